//! Parc's domain types: the inventory of one PC, as the agent collects it and
//! the server stores it.
//!
//! This crate owns no I/O and knows nothing of the wire: `parc-proto`
//! converts these types to and from protobuf, the agent fills them, the
//! server stores and reasons about them. A section is an `Option`: `None`
//! means "could not be read", and the reason is in
//! [`Inventory::unknown_sections`]. An empty list is a real, read answer.

pub mod civil;
mod device;
pub mod history;
mod inventory;

pub use device::{Device, DeviceSummary};
pub use inventory::*;

/// Formats a byte count the way IT people say it: "7.7 GiB", "512 MiB".
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smbios_chassis_codes_map_to_the_kinds_planners_use() {
        assert_eq!(ChassisKind::from_smbios_type(10), ChassisKind::Laptop); // Notebook
        assert_eq!(ChassisKind::from_smbios_type(9), ChassisKind::Laptop); // Laptop
        assert_eq!(ChassisKind::from_smbios_type(3), ChassisKind::Desktop);
        assert_eq!(ChassisKind::from_smbios_type(7), ChassisKind::Desktop); // Tower
        assert_eq!(ChassisKind::from_smbios_type(15), ChassisKind::Desktop); // Space-saving
        assert_eq!(ChassisKind::from_smbios_type(13), ChassisKind::AllInOne);
        assert_eq!(ChassisKind::from_smbios_type(1), ChassisKind::Other);
        assert_eq!(ChassisKind::from_smbios_type(2), ChassisKind::Unknown);
        assert_eq!(ChassisKind::from_smbios_type(200), ChassisKind::Unknown);
    }

    #[test]
    fn section_names_round_trip() {
        for section in Section::ALL {
            assert_eq!(Section::from_name(section.name()), Some(section));
        }
        assert_eq!(Section::from_name("applications"), None);
    }

    #[test]
    fn human_bytes_reads_like_a_person_writes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(8 * 1024 * 1024 * 1024), "8.0 GiB");
        assert_eq!(human_bytes(256 * 1024 * 1024 * 1024), "256 GiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
    }

    #[test]
    fn system_volume_is_found_among_volumes() {
        let inventory = Inventory {
            volumes: Some(vec![
                Volume { mount_point: "/boot".into(), ..Volume::default() },
                Volume { mount_point: "/".into(), is_system: true, ..Volume::default() },
            ]),
            ..Inventory::default()
        };
        assert_eq!(inventory.system_volume().map(|v| v.mount_point.as_str()), Some("/"));
        assert_eq!(Inventory::default().system_volume(), None);
    }

    #[test]
    fn an_unknown_section_keeps_what_the_last_report_knew() {
        let package = SoftwarePackage { name: "Lotus Notes".into(), ..SoftwarePackage::default() };
        let previous = Inventory {
            software: Some(vec![package.clone()]),
            memory: Some(Memory { total_bytes: 8 << 30, modules: vec![] }),
            ..Inventory::default()
        };
        let mut latest = Inventory {
            memory: Some(Memory { total_bytes: 4 << 30, modules: vec![] }),
            unknown_sections: vec![UnknownSection {
                section: Section::Software,
                reason: "WMI timed out".into(),
            }],
            ..Inventory::default()
        };
        latest.carry_forward_unknown(&previous);
        assert_eq!(latest.software, Some(vec![package]), "software does not disappear");
        assert_eq!(latest.memory.unwrap().total_bytes, 4 << 30, "a section read now is today's answer");
        assert_eq!(latest.unknown_sections.len(), 1, "and it still says it could not read software now");
    }

    #[test]
    fn inventory_json_names_sections_in_snake_case() {
        let inventory = Inventory {
            unknown_sections: vec![UnknownSection {
                section: Section::NetworkInterfaces,
                reason: "timed out".into(),
            }],
            ..Inventory::default()
        };
        let json = serde_json::to_string(&inventory).unwrap();
        assert!(json.contains(r#""section":"network_interfaces""#), "{json}");
    }
}

#[cfg(test)]
mod battery_tests {
    use super::Battery;

    #[test]
    fn battery_health_is_full_charge_over_design() {
        let battery = |design, full| Battery {
            name: "BAT0".into(),
            design_capacity_mwh: design,
            full_charge_capacity_mwh: full,
        };
        assert_eq!(battery(50_000, 30_000).health_percent(), Some(60));
        assert_eq!(battery(50_000, 52_000).health_percent(), Some(100), "new batteries can exceed design");
        assert_eq!(battery(0, 30_000).health_percent(), None);
        assert_eq!(battery(50_000, 0).health_percent(), None);
    }
}
