//! /sys/class/power_supply → the machine's own batteries (not those of a
//! wireless mouse, which the kernel marks `scope=Device`).

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::Battery;

pub fn batteries(root: &Root) -> Vec<Battery> {
    root.list("sys/class/power_supply")
        .into_iter()
        .filter_map(|name| {
            let attr =
                |file: &str| root.text(&format!("sys/class/power_supply/{name}/{file}")).trim().to_string();
            if attr("type") != "Battery" || attr("scope") == "Device" {
                return None;
            }
            let number = |file: &str| attr(file).parse::<u64>().unwrap_or(0);
            // energy_* in µWh; charge_* in µAh, times the design voltage in µV.
            let (design, full) = if number("energy_full_design") > 0 {
                (number("energy_full_design") / 1000, number("energy_full") / 1000)
            } else {
                let volts = number("voltage_min_design");
                (
                    number("charge_full_design").saturating_mul(volts) / 1_000_000_000,
                    number("charge_full").saturating_mul(volts) / 1_000_000_000,
                )
            };
            Some(Battery {
                name: sanitize(&name),
                design_capacity_mwh: design,
                full_charge_capacity_mwh: full,
            })
        })
        .take(parc_proto::limits::MAX_BATTERIES)
        .collect()
}
