//! /sys/class/net → adapters: wired or wireless, negotiated speed, duplex,
//! driver. Addresses come from the kernel on the live system.

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::{Duplex, InterfaceKind, NetworkInterface};

pub fn read(root: &Root) -> Vec<NetworkInterface> {
    root.list("sys/class/net")
        .into_iter()
        .filter(|name| name != "lo")
        .take(parc_proto::limits::MAX_NETWORK_INTERFACES)
        .map(|name| {
            let dir = format!("sys/class/net/{name}");
            let attr = |file: &str| root.text(&format!("{dir}/{file}")).trim().to_string();
            let kind = if root.exists(&format!("{dir}/wireless")) || root.exists(&format!("{dir}/phy80211")) {
                InterfaceKind::Wireless
            } else if !root.exists(&format!("{dir}/device")) {
                InterfaceKind::Virtual
            } else {
                InterfaceKind::Wired
            };
            // speed reads -1 or fails while the link is down.
            let link_speed_mbps =
                attr("speed").parse::<i64>().ok().filter(|s| *s > 0).and_then(|s| u32::try_from(s).ok());
            let mac = attr("address");
            NetworkInterface {
                mac_address: if mac == "00:00:00:00:00:00" { String::new() } else { sanitize(&mac) },
                addresses: vec![],
                kind,
                link_speed_mbps,
                duplex: match attr("duplex").as_str() {
                    "full" => Duplex::Full,
                    "half" => Duplex::Half,
                    _ => Duplex::Unknown,
                },
                driver: sanitize(&root.link_name(&format!("{dir}/device/driver"))),
                wifi: None,
                name: sanitize(&name),
            }
        })
        .collect()
}
