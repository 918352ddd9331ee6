//! The explanations for a dozen fixture PCs, as a manager reads them: the
//! fleet is a small text table (tests/fixtures/fleet.csv), the expected
//! result a snapshot of each PC's readiness. A rule change shows up as a
//! readable diff of the snapshot.

use parc_model::*;
use parc_readiness::asset::Asset;
use parc_readiness::site::{Rollout, Site, SiteKind, Subnet, WanLink};
use parc_readiness::{evaluate, DeviceInput, Policy, SiteContext};
use std::collections::HashMap;

const FLEET: &str = include_str!("fixtures/fleet.csv");
const GIB: u64 = 1 << 30;

fn now() -> i64 {
    civil::to_days(2026, 12, 3).expect("date") * 86_400
}

fn site(code: &str, link: WanLink, up: u32, fibre: Rollout, wifi: Rollout) -> Site {
    Site {
        code: code.into(),
        name: code.into(),
        kind: SiteKind::SocialServicesCentre,
        address: String::new(),
        wan_link: link,
        down_mbps: up.max(20),
        up_mbps: up,
        fibre,
        wifi,
        subnets: vec![Subnet::parse("10.0.0.0/8").expect("subnet")],
        technician_group: "SUD".into(),
    }
}

fn sites() -> HashMap<&'static str, Site> {
    let day = |y, m, d| civil::to_days(y, m, d).expect("date");
    HashMap::from([
        ("FIBRE", site("MDS-FIBRE", WanLink::Ftto, 200, Rollout::Done, Rollout::Done)),
        ("COPPER", site("MDS-COPPER", WanLink::Copper, 1, Rollout::None, Rollout::None)),
        (
            "PLANNED",
            site(
                "COL-PLANNED",
                WanLink::Copper,
                8,
                Rollout::Planned(day(2027, 3, 15)),
                Rollout::Planned(day(2027, 4, 1)),
            ),
        ),
    ])
}

/// One row of the fixture table: an inventory, its software, its site
/// key and its asset row.
struct Row {
    name: String,
    inventory: Inventory,
    software: Option<Vec<String>>,
    site: String,
    asset: Option<Asset>,
}

fn rows() -> Vec<Row> {
    let mut lines = FLEET.lines();
    let header: Vec<&str> = lines.next().expect("header").split(';').collect();
    lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split(';').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            let cell: HashMap<&str, &str> = header.iter().copied().zip(cells).collect();
            row(&cell)
        })
        .collect()
}

fn row(c: &HashMap<&str, &str>) -> Row {
    let list = |key: &str| -> Vec<String> {
        c[key].split(' ').filter(|s| !s.is_empty()).map(String::from).collect()
    };
    let number = |key: &str| -> Option<u64> { c[key].parse().ok() };
    let unknown: Vec<&str> = c["unknown"].split(',').filter(|s| !s.is_empty()).collect();
    let disk_kind = match c["disk"] {
        "hdd" => StorageKind::Hdd,
        "ssd" => StorageKind::Ssd,
        "nvme" => StorageKind::Nvme,
        _ => StorageKind::Unknown,
    };
    let chassis = match c["chassis"] {
        "laptop" => ChassisKind::Laptop,
        "desktop" => ChassisKind::Desktop,
        "vm" => ChassisKind::VirtualMachine,
        _ => ChassisKind::Unknown,
    };
    let mut interfaces = Vec::new();
    if let Some(speed) = number("wired_mbps") {
        interfaces.push(NetworkInterface {
            name: "Ethernet".into(),
            kind: InterfaceKind::Wired,
            addresses: vec!["10.1.2.3/16".into()],
            link_speed_mbps: u32::try_from(speed).ok(),
            ..NetworkInterface::default()
        });
    }
    if !c["wifi"].is_empty() {
        interfaces.push(NetworkInterface {
            name: "Wi-Fi".into(),
            kind: InterfaceKind::Wireless,
            addresses: if interfaces.is_empty() { vec!["10.1.2.4/16".into()] } else { vec![] },
            wifi: Some(WifiCapabilities {
                standards: list("wifi"),
                bands: list("bands"),
                wpa2_enterprise: c["enterprise"] == "yes",
                wpa3_enterprise: false,
                ..WifiCapabilities::default()
            }),
            ..NetworkInterface::default()
        });
    }
    let audio = list("audio");
    let inventory = Inventory {
        hostname: c["name"].into(),
        system: Some(System {
            manufacturer: c["manufacturer"].into(),
            model: c["model"].into(),
            serial_number: c["name"].to_uppercase(),
            chassis,
            bios_release_date: c["bios_date"].into(),
            ..System::default()
        }),
        os: Some(OperatingSystem {
            name: c["os"].into(),
            version: c["os_version"].into(),
            last_security_update: number("update_days").map_or(0, |d| now() - d as i64 * 86_400).max(0),
            ..OperatingSystem::default()
        }),
        cpu: Some(Cpu {
            model: c["cpu"].into(),
            physical_cores: number("cores").unwrap_or(0) as u32,
            flags: ["lm", "sse4_2", "popcnt"].map(String::from).to_vec(),
            ..Cpu::default()
        }),
        memory: number("ram_gb")
            .map(|gb| Memory { total_bytes: gb * GIB - 200 * (1 << 20), modules: vec![] }),
        volumes: Some(vec![Volume {
            mount_point: "C:\\".into(),
            kind: disk_kind,
            total_bytes: number("disk_gb").unwrap_or(0) * GIB,
            is_system: true,
            ..Volume::default()
        }]),
        disks: Some(vec![PhysicalDisk {
            size_bytes: number("disk_gb").unwrap_or(0) * 1_000_000_000,
            kind: disk_kind,
            holds_os: true,
            ..PhysicalDisk::default()
        }]),
        network_interfaces: Some(interfaces),
        security: Some(Security {
            tpm_present: !c["tpm"].is_empty(),
            tpm_version: c["tpm"].into(),
            firmware: if c["firmware"] == "uefi" { Firmware::Uefi } else { Firmware::Bios },
            secure_boot: match c["secure_boot"] {
                "on" => SecureBoot::On,
                "off" => SecureBoot::Off,
                "unsupported" => SecureBoot::Unsupported,
                _ => SecureBoot::Unknown,
            },
            system_disk_encryption: match c["encryption"] {
                "bitlocker" => DiskEncryption::Bitlocker,
                "luks" => DiskEncryption::Luks,
                "none" => DiskEncryption::None,
                _ => DiskEncryption::Unknown,
            },
        }),
        batteries: Some(match number("battery") {
            Some(health) => vec![Battery {
                name: "BAT0".into(),
                design_capacity_mwh: 50_000,
                full_charge_capacity_mwh: health * 500,
            }],
            None => vec![],
        }),
        peripherals: Some(Peripherals {
            audio: vec![AudioDevice {
                name: "Audio".into(),
                capture: audio.iter().any(|a| a == "capture"),
                playback: audio.iter().any(|a| a == "playback"),
                headset: c["headset"] == "yes",
                ..AudioDevice::default()
            }],
            cameras: vec![],
        }),
        unknown_sections: unknown
            .iter()
            .filter_map(|name| Section::from_name(name))
            .map(|section| UnknownSection { section, reason: "WMI query timed out after 20 s".into() })
            .collect(),
        ..Inventory::default()
    };
    let mut inventory = inventory;
    for section in inventory.unknown_sections.clone() {
        inventory.forget(section.section);
    }
    let software = (!unknown.contains(&"software"))
        .then(|| c["software"].split(',').filter(|s| !s.is_empty()).map(String::from).collect());
    let asset = (!c["purchase"].is_empty()).then(|| Asset {
        serial_number: c["name"].to_uppercase(),
        purchase_day: civil::parse_iso(c["purchase"]),
        ..Asset::default()
    });
    Row { name: c["name"].into(), inventory, software, site: c["site"].into(), asset }
}

#[test]
fn the_explanations_of_a_dozen_pcs() {
    let sites = sites();
    let policy = Policy::default();
    let mut report = String::new();
    let rows = rows();
    assert!(rows.len() >= 12, "{} fixture PCs", rows.len());
    for row in &rows {
        let input = DeviceInput {
            inventory: &row.inventory,
            last_seen_at: Some(now() - 3600),
            asset: row.asset.as_ref(),
            site: sites.get(row.site.as_str()).map(|site| SiteContext { site, devices_on_site: 30 }),
            software: row.software.as_deref(),
        };
        let readiness = evaluate(&input, &policy, now());
        report.push_str(&format!(
            "{} ({})\n{readiness}\n",
            row.name,
            if row.site.is_empty() { "no site" } else { &row.site }
        ));
    }
    insta::assert_snapshot!(report);
}
