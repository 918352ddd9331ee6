//! Each rule's boundaries and unknown cases, on one ready laptop changed a
//! fact at a time.

use super::*;
use crate::site::{Rollout, Site, SiteKind, Subnet, WanLink};
use parc_model::*;

const GIB: u64 = 1 << 30;

fn now() -> i64 {
    civil::to_days(2026, 12, 3).expect("date") * 86_400
}

fn laptop() -> Inventory {
    Inventory {
        hostname: "MDS-L0001".into(),
        system: Some(System {
            manufacturer: "LENOVO".into(),
            model: "ThinkPad T14 Gen 3".into(),
            serial_number: "PF1ABC".into(),
            chassis: ChassisKind::Laptop,
            bios_release_date: "2023-01-10".into(),
            ..System::default()
        }),
        os: Some(OperatingSystem {
            name: "Windows".into(),
            version: "11 (24H2)".into(),
            last_security_update: now() - 10 * 86_400,
            ..OperatingSystem::default()
        }),
        cpu: Some(Cpu {
            model: "12th Gen Intel(R) Core(TM) i5-1235U".into(),
            vendor: "GenuineIntel".into(),
            physical_cores: 10,
            logical_threads: 12,
            family: 6,
            model_number: 154,
            flags: ["lm", "sse4_2", "popcnt", "avx2"].map(String::from).to_vec(),
            ..Cpu::default()
        }),
        memory: Some(Memory { total_bytes: 16 * GIB - 300 * (1 << 20), modules: vec![] }),
        volumes: Some(vec![Volume {
            mount_point: "C:\\".into(),
            kind: StorageKind::Nvme,
            total_bytes: 476 * GIB,
            is_system: true,
            ..Volume::default()
        }]),
        network_interfaces: Some(vec![
            NetworkInterface {
                name: "Ethernet".into(),
                kind: InterfaceKind::Wired,
                addresses: vec!["10.20.0.12/16".into()],
                link_speed_mbps: Some(1000),
                ..NetworkInterface::default()
            },
            NetworkInterface {
                name: "Wi-Fi".into(),
                kind: InterfaceKind::Wireless,
                wifi: Some(WifiCapabilities {
                    standards: ["802.11n", "802.11ac", "802.11ax"].map(String::from).to_vec(),
                    bands: ["2.4GHz", "5GHz"].map(String::from).to_vec(),
                    wpa2_enterprise: true,
                    wpa3_enterprise: true,
                    ..WifiCapabilities::default()
                }),
                ..NetworkInterface::default()
            },
        ]),
        disks: Some(vec![PhysicalDisk {
            size_bytes: 512_000_000_000,
            kind: StorageKind::Nvme,
            holds_os: true,
            ..PhysicalDisk::default()
        }]),
        security: Some(Security {
            tpm_present: true,
            tpm_version: "2.0".into(),
            firmware: Firmware::Uefi,
            secure_boot: SecureBoot::On,
            system_disk_encryption: DiskEncryption::Bitlocker,
        }),
        batteries: Some(vec![Battery {
            name: "BAT0".into(),
            design_capacity_mwh: 57_000,
            full_charge_capacity_mwh: 50_000,
        }]),
        peripherals: Some(Peripherals {
            audio: vec![AudioDevice {
                name: "Jabra Evolve2 40".into(),
                bus: DeviceBus::Usb,
                capture: true,
                playback: true,
                headset: true,
                usb_id: "0b0e:0305".into(),
            }],
            cameras: vec![],
        }),
        users: Some(Users::default()),
        software: None,
        ..Inventory::default()
    }
}

fn site() -> Site {
    Site {
        code: "MDS-ETAMPES".into(),
        name: "MDS d'Étampes".into(),
        kind: SiteKind::SocialServicesCentre,
        address: String::new(),
        wan_link: WanLink::Ftto,
        down_mbps: 100,
        up_mbps: 100,
        fibre: Rollout::Done,
        wifi: Rollout::Done,
        subnets: vec![Subnet::parse("10.20.0.0/16").expect("subnet")],
        technician_group: "SUD".into(),
    }
}

fn software() -> Vec<String> {
    vec!["Microsoft Teams".into(), "FortiClient VPN".into()]
}

/// Evaluates `inventory` on `site` with the default policy.
fn check(inventory: &Inventory, site: Option<&Site>, software: Option<&[String]>) -> DeviceReadiness {
    let input = DeviceInput {
        inventory,
        last_seen_at: Some(now() - 3600),
        asset: None,
        site: site.map(|site| SiteContext { site, devices_on_site: 40 }),
        software,
    };
    evaluate(&input, &Policy::default(), now())
}

fn state(readiness: &DeviceReadiness, dimension: Dimension) -> State {
    readiness.outcome(dimension).map_or(State::Unknown, |o| o.state)
}

fn texts(readiness: &DeviceReadiness, dimension: Dimension) -> Vec<String> {
    readiness
        .outcome(dimension)
        .map(|o| o.reasons.iter().map(|r| r.text.clone()).collect())
        .unwrap_or_default()
}

#[test]
fn a_recent_equipped_laptop_is_ready_for_everything() {
    let soft = software();
    let readiness = check(&laptop(), Some(&site()), Some(&soft));
    for dimension in Dimension::ALL {
        assert_eq!(
            state(&readiness, dimension),
            State::Ready,
            "{dimension}: {:?}",
            texts(&readiness, dimension)
        );
    }
    assert_eq!(readiness.replacement_group, ReplacementGroup::Ready);
    assert_eq!(readiness.replacement_score, 0);
}

#[test]
fn ram_thresholds_are_inclusive_with_slack_for_reserved_memory() {
    let soft = software();
    let mut pc = laptop();
    pc.memory = Some(Memory { total_bytes: 8 * GIB - 400 * (1 << 20), modules: vec![] });
    let ready = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(
        state(&ready, Dimension::Softphone),
        State::Ready,
        "{:?}",
        texts(&ready, Dimension::Softphone)
    );
    pc.memory = Some(Memory { total_bytes: 4 * GIB, modules: vec![] });
    let four = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(texts(&four, Dimension::Softphone), vec!["RAM 4 GB < 8 GB"]);
    assert_eq!(four.replacement_group, ReplacementGroup::Fixable);
    assert!(texts(&four, Dimension::Replacement).contains(&"RAM 4 GB < 8 GB".to_string()));
    pc.memory = Some(Memory { total_bytes: 2 * GIB, modules: vec![] });
    let two = check(&pc, Some(&site()), Some(&soft));
    assert!(texts(&two, Dimension::Replacement).contains(&"RAM 2 GB < 4 GB (Windows 11 minimum)".to_string()));
    pc.memory = None;
    pc.unknown_sections =
        vec![UnknownSection { section: Section::Memory, reason: "WMI timed out after 20 s".into() }];
    let unknown = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(state(&unknown, Dimension::Softphone), State::Unknown);
    assert_eq!(
        texts(&unknown, Dimension::Softphone),
        vec!["memory not readable on this PC: WMI timed out after 20 s"]
    );
}

#[test]
fn windows11_fixable_and_replace_follow_microsofts_groups() {
    let soft = software();
    let mut pc = laptop();
    pc.security.as_mut().expect("security").secure_boot = SecureBoot::Off;
    let fixable = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(fixable.replacement_group, ReplacementGroup::Fixable);
    assert_eq!(
        texts(&fixable, Dimension::Replacement),
        vec!["Secure Boot is off: enable it in the firmware"]
    );
    pc.security.as_mut().expect("security").tpm_version = "1.2".into();
    let tpm = check(&pc, Some(&site()), Some(&soft));
    assert!(
        texts(&tpm, Dimension::Replacement)[0].starts_with("TPM 1.2 < TPM 2.0"),
        "{:?}",
        texts(&tpm, Dimension::Replacement)
    );
    assert_eq!(texts(&tpm, Dimension::Security), vec!["Secure Boot is off", "TPM 1.2 < 2.0"]);

    let mut old = laptop();
    old.cpu.as_mut().expect("cpu").model = "Intel(R) Core(TM) i5-7300U CPU @ 2.60GHz".into();
    let replace = check(&old, Some(&site()), Some(&soft));
    assert_eq!(replace.replacement_group, ReplacementGroup::Replace);
    assert!(replace.replacement_score >= 30, "{}", replace.replacement_score);
    old.cpu.as_mut().expect("cpu").flags = vec!["lm".into()];
    let flags = check(&old, Some(&site()), Some(&soft));
    assert!(texts(&flags, Dimension::Replacement)
        .iter()
        .any(|t| t == "CPU lacks SSE4.2 and POPCNT (Windows 11 needs SSE4.2 and POPCNT)"));
}

#[test]
fn age_uses_the_purchase_date_before_any_guess() {
    let soft = software();
    let pc = laptop();
    let asset = crate::asset::Asset { purchase_day: civil::to_days(2019, 6, 1), ..Default::default() };
    let site = site();
    let input = DeviceInput {
        inventory: &pc,
        last_seen_at: Some(now()),
        asset: Some(&asset),
        site: Some(SiteContext { site: &site, devices_on_site: 40 }),
        software: Some(&soft),
    };
    let readiness = evaluate(&input, &Policy::default(), now());
    assert_eq!(readiness.replacement_group, ReplacementGroup::Replace);
    let text = &texts(&readiness, Dimension::Replacement)[0];
    assert_eq!(text, "7.5 years old ≥ 5 (from the purchase date, high confidence)");
    assert!(readiness.replacement_score >= 35 + 2 * 5, "{}", readiness.replacement_score);
}

#[test]
fn wifi_needs_ac_5ghz_enterprise_and_the_sites_rollout() {
    let soft = software();
    let mut pc = laptop();
    let caps = pc.network_interfaces.as_mut().expect("nics")[1].wifi.as_mut().expect("wifi");
    caps.standards = vec!["802.11n".into()];
    caps.bands = vec!["2.4GHz".into()];
    caps.wpa2_enterprise = false;
    caps.wpa3_enterprise = false;
    let old = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(
        texts(&old, Dimension::Wifi),
        vec![
            "Wi-Fi: 802.11n < 802.11ac",
            "Wi-Fi: no 5 GHz band (2.4GHz)",
            "Wi-Fi: no WPA2- or WPA3-Enterprise (802.1X) support"
        ]
    );
    // Wi-Fi 5 passes, with the advice to prefer Wi-Fi 6.
    let mut ac = laptop();
    ac.network_interfaces.as_mut().expect("nics")[1].wifi.as_mut().expect("wifi").standards =
        vec!["802.11ac".into()];
    let mut planned = site();
    planned.wifi = Rollout::Planned(civil::to_days(2027, 3, 1).expect("date"));
    let ac_planned = check(&ac, Some(&planned), Some(&soft));
    assert_eq!(state(&ac_planned, Dimension::Wifi), State::NotReady);
    assert_eq!(
        texts(&ac_planned, Dimension::Wifi),
        vec!["Wi-Fi: 802.11ac < 802.11ax (recommended)", "Wi-Fi at MDS-ETAMPES planned for 2027-03-01"]
    );
    let no_site = check(&laptop(), None, Some(&soft));
    assert_eq!(state(&no_site, Dimension::Wifi), State::Unknown);
    let mut desktop = laptop();
    desktop.network_interfaces.as_mut().expect("nics").truncate(1);
    assert_eq!(
        texts(&check(&desktop, Some(&site()), Some(&soft)), Dimension::Wifi),
        vec!["no Wi-Fi adapter"]
    );
}

#[test]
fn fibre_wants_the_sites_fibre_and_a_gigabit_link_or_ready_wifi() {
    let soft = software();
    let mut copper = site();
    copper.wan_link = WanLink::Copper;
    copper.fibre = Rollout::Planned(civil::to_days(2027, 1, 15).expect("date"));
    assert_eq!(
        texts(&check(&laptop(), Some(&copper), Some(&soft)), Dimension::Fibre),
        vec!["fibre at MDS-ETAMPES planned for 2027-01-15"]
    );
    let mut slow = laptop();
    let nics = slow.network_interfaces.as_mut().expect("nics");
    nics[0].link_speed_mbps = Some(100);
    nics.truncate(1);
    assert_eq!(
        texts(&check(&slow, Some(&site()), Some(&soft)), Dimension::Fibre),
        vec!["Ethernet: link negotiated at 100 Mb/s < 1000 Mb/s: check the cable and the switch port"]
    );
    // The same slow link is fine when Wi-Fi can take over.
    let mut slow_with_wifi = laptop();
    slow_with_wifi.network_interfaces.as_mut().expect("nics")[0].link_speed_mbps = Some(100);
    assert_eq!(state(&check(&slow_with_wifi, Some(&site()), Some(&soft)), Dimension::Fibre), State::Ready);
}

#[test]
fn softphone_counts_calls_against_the_sites_bandwidth() {
    let soft = software();
    let mut thin = site();
    thin.up_mbps = 1;
    // 40 PCs × 30% = 12 calls × 100 kb/s = 1.2 Mb/s > 1 Mb/s.
    assert_eq!(
        texts(&check(&laptop(), Some(&thin), Some(&soft)), Dimension::Softphone),
        vec!["MDS-ETAMPES has 1 Mb/s up, 12 concurrent calls need 1.2 Mb/s"]
    );
    thin.up_mbps = 2;
    assert_eq!(state(&check(&laptop(), Some(&thin), Some(&soft)), Dimension::Softphone), State::Ready);
    let mut no_headset = laptop();
    no_headset.peripherals.as_mut().expect("peripherals").audio[0].headset = false;
    let only_teams_missing = check(&no_headset, Some(&site()), Some(&["FortiClient VPN".to_string()]));
    assert_eq!(
        texts(&only_teams_missing, Dimension::Softphone),
        vec![
            "no headset (USB, Bluetooth hands-free or call-control)",
            "softphone client not installed (looked for Microsoft Teams, MSTeams, Zoiper, 3CX, Webex)"
        ]
    );
    assert_eq!(state(&check(&laptop(), Some(&site()), None), Dimension::Softphone), State::Unknown);
}

#[test]
fn telework_needs_a_laptop_battery_vpn_and_encryption() {
    let soft = software();
    let mut pc = laptop();
    pc.system.as_mut().expect("system").chassis = ChassisKind::Desktop;
    pc.batteries = Some(vec![]);
    pc.security.as_mut().expect("security").system_disk_encryption = DiskEncryption::None;
    assert_eq!(
        texts(&check(&pc, Some(&site()), Some(&["Microsoft Teams".to_string()])), Dimension::Telework),
        vec![
            "a desktop cannot go home",
            "VPN client not installed (looked for FortiClient, GlobalProtect, Cisco Secure Client, Cisco AnyConnect, WireGuard, OpenVPN, Stormshield)",
            "system disk not encrypted (BitLocker or LUKS expected)"
        ]
    );
    let mut worn = laptop();
    worn.batteries.as_mut().expect("batteries")[0].full_charge_capacity_mwh = 33_000;
    let readiness = check(&worn, Some(&site()), Some(&soft));
    assert_eq!(texts(&readiness, Dimension::Telework), vec!["battery health 57% < 60%"]);
    worn.batteries.as_mut().expect("batteries")[0].full_charge_capacity_mwh = 34_200;
    assert_eq!(state(&check(&worn, Some(&site()), Some(&soft)), Dimension::Telework), State::Ready);
}

#[test]
fn security_checks_updates_support_and_reporting() {
    let soft = software();
    let mut pc = laptop();
    pc.os = Some(OperatingSystem {
        name: "Windows".into(),
        version: "10 (22H2)".into(),
        last_security_update: now() - 46 * 86_400,
        ..OperatingSystem::default()
    });
    let readiness = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(
        texts(&readiness, Dimension::Security),
        vec![
            "Windows 10 (22H2) out of support since 2025-10-14",
            "last security update 46 days ago > 45 days"
        ]
    );
    pc.os.as_mut().expect("os").last_security_update = now() - 45 * 86_400;
    pc.os.as_mut().expect("os").version = "11 (25H2)".into();
    assert_eq!(state(&check(&pc, Some(&site()), Some(&soft)), Dimension::Security), State::Ready);
    let stale = DeviceInput {
        inventory: &pc,
        last_seen_at: Some(now() - 15 * 86_400),
        asset: None,
        site: None,
        software: Some(&soft),
    };
    let readiness = evaluate(&stale, &Policy::default(), now());
    assert_eq!(texts(&readiness, Dimension::Security), vec!["agent last reported 15 days ago > 14 days"]);
    pc.os.as_mut().expect("os").version = "11 (27H2)".into();
    let unknown = check(&pc, Some(&site()), Some(&soft));
    assert_eq!(state(&unknown, Dimension::Security), State::Unknown);
}

#[test]
fn an_empty_inventory_is_unknown_everywhere_never_ready() {
    let empty = Inventory::default();
    let readiness = check(&empty, None, None);
    for dimension in Dimension::ALL {
        assert_ne!(state(&readiness, dimension), State::Ready, "{dimension}");
    }
    assert_eq!(readiness.replacement_group, ReplacementGroup::Unknown);
}
