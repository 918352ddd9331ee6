use super::*;

fn sample() -> m::Inventory {
    m::Inventory {
        collected_at: 1_700_000_000,
        hostname: "PC-MDS-ETA-0042".into(),
        machine_id: "4c4c4544-0042-3510-8048-b4c04f4e3232".into(),
        agent_version: "0.1.0".into(),
        labels: vec!["pilot".into(), "MDS-ETAMPES".into()],
        system: Some(m::System {
            manufacturer: "Dell Inc.".into(),
            model: "Latitude 5420".into(),
            chassis: m::ChassisKind::Laptop,
            bios_release_date: "2021-06-01".into(),
            ..m::System::default()
        }),
        os: Some(m::OperatingSystem {
            name: "Windows".into(),
            version: "11 (23H2)".into(),
            ..Default::default()
        }),
        cpu: Some(m::Cpu {
            model: "Intel(R) Core(TM) i5-1145G7".into(),
            physical_cores: 4,
            logical_threads: 8,
            ..Default::default()
        }),
        memory: Some(m::Memory { total_bytes: 16 << 30, modules: vec![] }),
        volumes: Some(vec![m::Volume {
            mount_point: "C:\\".into(),
            kind: m::StorageKind::Nvme,
            total_bytes: 256 << 30,
            is_system: true,
            ..Default::default()
        }]),
        network_interfaces: Some(vec![
            m::NetworkInterface {
                name: "Ethernet".into(),
                mac_address: "aa:bb:cc:dd:ee:ff".into(),
                addresses: vec!["10.12.3.4/24".into()],
                kind: m::InterfaceKind::Wired,
                link_speed_mbps: Some(1000),
                duplex: m::Duplex::Full,
                driver: "e1000e".into(),
                wifi: None,
            },
            m::NetworkInterface {
                name: "Wi-Fi".into(),
                kind: m::InterfaceKind::Wireless,
                wifi: Some(m::WifiCapabilities {
                    standards: vec!["802.11ac".into(), "802.11ax".into()],
                    bands: vec!["2.4GHz".into(), "5GHz".into()],
                    wpa2_enterprise: true,
                    wpa3_enterprise: true,
                    driver_version: "22.200.0.6".into(),
                    driver_date: "2023-01-05".into(),
                }),
                ..Default::default()
            },
        ]),
        disks: Some(vec![m::PhysicalDisk {
            name: "nvme0n1".into(),
            model: "SAMSUNG MZVLB256".into(),
            size_bytes: 256 << 30,
            kind: m::StorageKind::Nvme,
            holds_os: true,
            ..Default::default()
        }]),
        security: Some(m::Security {
            tpm_present: true,
            tpm_version: "2.0".into(),
            firmware: m::Firmware::Uefi,
            secure_boot: m::SecureBoot::On,
            system_disk_encryption: m::DiskEncryption::Bitlocker,
        }),
        batteries: Some(vec![m::Battery {
            name: "BAT0".into(),
            design_capacity_mwh: 54_000,
            full_charge_capacity_mwh: 41_000,
        }]),
        peripherals: Some(m::Peripherals {
            audio: vec![m::AudioDevice {
                name: "Plantronics Blackwire 3210".into(),
                bus: m::DeviceBus::Usb,
                capture: true,
                playback: true,
                headset: true,
                usb_id: "047f:c055".into(),
            }],
            cameras: vec![m::Camera {
                name: "Integrated Camera".into(),
                bus: m::DeviceBus::Usb,
                usb_id: "04f2:b71f".into(),
            }],
        }),
        users: Some(m::Users { logged_in: vec!["jdupont".into()], last_logged_in: "jdupont".into() }),
        software: Some(vec![m::SoftwarePackage {
            name: "Mozilla Firefox".into(),
            version: "128.5.0".into(),
            publisher: "Mozilla".into(),
            install_date: "2024-11-02".into(),
            source: m::SoftwareSource::WindowsUninstall,
            architecture: "x64".into(),
        }]),
        unknown_sections: vec![],
    }
}

#[test]
fn inventory_round_trips_through_the_wire() {
    let inventory = sample();
    assert_eq!(inventory_from_wire(inventory_to_wire(&inventory)), Ok(inventory));
}

#[test]
fn every_list_section_marked_unknown_comes_back_as_none() {
    let mut inventory = sample();
    inventory.software = None;
    inventory.disks = None;
    inventory.batteries = None;
    inventory.unknown_sections = [m::Section::Software, m::Section::Disks, m::Section::Batteries]
        .into_iter()
        .map(|section| m::UnknownSection { section, reason: "could not read".into() })
        .collect();
    assert_eq!(inventory_from_wire(inventory_to_wire(&inventory)), Ok(inventory));
}

#[test]
fn too_many_software_entries_are_refused_by_name() {
    let mut inventory = sample();
    let one = inventory.software.as_ref().unwrap()[0].clone();
    inventory.software = Some(vec![one; MAX_SOFTWARE + 1]);
    let error = inventory_from_wire(inventory_to_wire(&inventory)).unwrap_err();
    assert_eq!(error.field, "inventory.software.names");
    assert!(error.problem.contains("20001 entries"), "{error}");
}

#[test]
fn nested_fields_are_named_with_their_index() {
    let mut wire = inventory_to_wire(&sample());
    wire.network_interfaces[1].wifi.as_mut().unwrap().bands.push("x".repeat(MAX_STRING_LEN + 1));
    assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.network_interfaces[1].wifi.bands[2]");
    let mut wire = inventory_to_wire(&sample());
    wire.software.as_mut().unwrap().versions[0] = "v".repeat(MAX_STRING_LEN + 1);
    assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.software.versions[0]");
}

#[test]
fn software_columns_must_line_up_and_publishers_must_exist() {
    let mut wire = inventory_to_wire(&sample());
    wire.software.as_mut().unwrap().versions.push("extra".into());
    let error = inventory_from_wire(wire).unwrap_err();
    assert_eq!(error.field, "inventory.software.versions");
    assert!(error.problem.contains("2 entries for 1 names"), "{error}");

    let mut wire = inventory_to_wire(&sample());
    wire.software.as_mut().unwrap().publisher_index[0] = 7;
    assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.software.publisher_index[0]");
}

#[test]
fn reports_front_code_software_names_and_decode_to_the_same_inventory() {
    let mut inventory = sample();
    let one = inventory.software.as_ref().unwrap()[0].clone();
    let names = ["libreoffice-calc", "libreoffice-core", "libreoffice-writer", "éditeur", "édition", "zsh"];
    inventory.software =
        Some(names.iter().map(|n| m::SoftwarePackage { name: n.to_string(), ..one.clone() }).collect());
    let wire = report_inventory_to_wire(&inventory);
    let list = wire.software.as_ref().unwrap();
    assert_eq!(list.names, ["libreoffice-calc", "ore", "writer", "éditeur", "ion", "zsh"]);
    assert_eq!(list.name_prefix_lengths, [0, 13, 12, 0, 5, 0]);
    assert_eq!(inventory_from_wire(wire), Ok(inventory));
}

#[test]
fn a_prefix_length_past_the_previous_name_is_refused() {
    let mut wire = report_inventory_to_wire(&sample());
    wire.software.as_mut().unwrap().name_prefix_lengths[0] = 3;
    let error = inventory_from_wire(wire).unwrap_err();
    assert_eq!(error.field, "inventory.software.name_prefix_lengths[0]");
}

#[test]
fn publishers_are_sent_once() {
    let mut inventory = sample();
    let one = inventory.software.as_ref().unwrap()[0].clone();
    inventory.software =
        Some((0..50).map(|i| m::SoftwarePackage { name: format!("p{i}"), ..one.clone() }).collect());
    let wire = inventory_to_wire(&inventory);
    assert_eq!(wire.software.as_ref().unwrap().publishers, ["Mozilla"]);
    assert_eq!(inventory_from_wire(wire), Ok(inventory));
}

#[test]
fn an_unknown_list_section_stays_unknown_not_empty() {
    let mut inventory = sample();
    inventory.network_interfaces = None;
    inventory.unknown_sections = vec![m::UnknownSection {
        section: m::Section::NetworkInterfaces,
        reason: "timed out after 5s".into(),
    }];
    let back = inventory_from_wire(inventory_to_wire(&inventory)).unwrap();
    assert_eq!(back.network_interfaces, None);
    assert_eq!(back, inventory);
}

#[test]
fn an_oversized_string_is_refused_with_its_field_path() {
    let mut wire = inventory_to_wire(&sample());
    wire.volumes[0].mount_point = "x".repeat(MAX_STRING_LEN + 1);
    let error = inventory_from_wire(wire).unwrap_err();
    assert_eq!(error.field, "inventory.volumes[0].mount_point");
    assert!(error.problem.contains("limit of 1024"), "{error}");
}

#[test]
fn too_many_addresses_are_refused() {
    let mut wire = inventory_to_wire(&sample());
    wire.network_interfaces[0].addresses = vec!["10.0.0.1/8".into(); MAX_ADDRESSES_PER_INTERFACE + 1];
    let error = inventory_from_wire(wire).unwrap_err();
    assert_eq!(error.field, "inventory.network_interfaces[0].addresses");
}

#[test]
fn a_missing_hostname_is_refused() {
    let mut wire = inventory_to_wire(&sample());
    wire.hostname = "  ".into();
    assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.hostname");
}

#[test]
fn an_unknown_section_name_is_refused() {
    let mut wire = inventory_to_wire(&sample());
    wire.unknown_sections.push(pb::UnknownSection { section: "bogus".into(), reason: String::new() });
    assert_eq!(inventory_from_wire(wire).unwrap_err().field, "inventory.unknown_sections[0].section");
}

#[test]
fn chassis_values_from_a_newer_peer_read_as_unknown() {
    let mut wire = inventory_to_wire(&sample());
    wire.system.as_mut().unwrap().chassis = 99;
    assert_eq!(inventory_from_wire(wire).unwrap().system.unwrap().chassis, m::ChassisKind::Unknown);
}

/// Every count and length limit, hit once past its bound: the error names
/// the field where the limit was crossed.
#[test]
fn every_limit_names_its_field() {
    type Breaker = Box<dyn Fn(&mut pb::Inventory)>;
    let long = |max: usize| "x".repeat(max + 1);
    let cases: Vec<(&str, Breaker)> = vec![
        ("inventory.hostname", Box::new(move |w| w.hostname = long(MAX_HOSTNAME_LEN))),
        ("inventory.machine_id", Box::new(move |w| w.machine_id = long(MAX_MACHINE_ID_LEN))),
        ("inventory.agent_version", Box::new(move |w| w.agent_version = long(MAX_STRING_LEN))),
        ("inventory.labels", Box::new(|w| w.labels = vec!["pilot".into(); MAX_LABELS + 1])),
        ("inventory.labels[1]", Box::new(move |w| w.labels = vec!["ok".into(), long(MAX_LABEL_LEN)])),
        (
            "inventory.system.serial_number",
            Box::new(move |w| {
                w.system.get_or_insert_with(Default::default).serial_number = long(MAX_STRING_LEN)
            }),
        ),
        ("inventory.volumes", Box::new(|w| w.volumes = vec![pb::Volume::default(); MAX_VOLUMES + 1])),
        (
            "inventory.network_interfaces",
            Box::new(|w| {
                w.network_interfaces = vec![pb::NetworkInterface::default(); MAX_NETWORK_INTERFACES + 1]
            }),
        ),
        (
            "inventory.network_interfaces[0].addresses",
            Box::new(|w| {
                w.network_interfaces = vec![pb::NetworkInterface {
                    addresses: vec!["10.0.0.1/8".into(); MAX_ADDRESSES_PER_INTERFACE + 1],
                    ..Default::default()
                }]
            }),
        ),
        ("inventory.disks", Box::new(|w| w.disks = vec![pb::PhysicalDisk::default(); MAX_DISKS + 1])),
        (
            "inventory.memory.modules",
            Box::new(|w| {
                w.memory = Some(pb::Memory {
                    total_bytes: 1,
                    modules: vec![pb::MemoryModule::default(); MAX_MEMORY_MODULES + 1],
                })
            }),
        ),
        ("inventory.batteries", Box::new(|w| w.batteries = vec![pb::Battery::default(); MAX_BATTERIES + 1])),
        (
            "inventory.peripherals.audio",
            Box::new(|w| {
                w.peripherals = Some(pb::Peripherals {
                    audio: vec![pb::AudioDevice::default(); MAX_PERIPHERALS + 1],
                    cameras: vec![],
                })
            }),
        ),
        (
            "inventory.peripherals.cameras",
            Box::new(|w| {
                w.peripherals = Some(pb::Peripherals {
                    audio: vec![],
                    cameras: vec![pb::Camera::default(); MAX_PERIPHERALS + 1],
                })
            }),
        ),
        (
            "inventory.users.logged_in",
            Box::new(|w| {
                w.users = Some(pb::Users {
                    logged_in: vec!["u".into(); MAX_USERS + 1],
                    last_logged_in: String::new(),
                })
            }),
        ),
        (
            "inventory.cpu.flags",
            Box::new(|w| {
                w.cpu.get_or_insert_with(Default::default).flags = vec!["lm".into(); MAX_SHORT_LIST + 1]
            }),
        ),
        (
            "inventory.unknown_sections",
            Box::new(|w| {
                w.unknown_sections = vec![
                    pb::UnknownSection { section: "os".into(), reason: String::new() };
                    MAX_UNKNOWN_SECTIONS + 1
                ]
            }),
        ),
    ];
    for (field, breaker) in cases {
        let mut wire = inventory_to_wire(&sample());
        breaker(&mut wire);
        let error = inventory_from_wire(wire).expect_err(field);
        assert!(error.field.starts_with(field), "expected an error at {field}, got {error}");
        assert!(error.problem.contains("limit"), "the problem names the limit: {error}");
    }
}

#[test]
fn a_label_that_would_not_read_back_is_refused() {
    for bad in ["a,b", "two words", ""] {
        let mut wire = inventory_to_wire(&sample());
        wire.labels = vec![bad.into()];
        let error = inventory_from_wire(wire).unwrap_err();
        assert_eq!(error.field, "inventory.labels[0]", "{bad:?}: {error}");
    }
    assert_eq!(inventory_from_wire(inventory_to_wire(&sample())).unwrap().labels, ["pilot", "MDS-ETAMPES"]);
}

#[test]
fn a_report_keeps_its_software_in_columns_that_read_as_the_packages() {
    let mut inventory = sample();
    let names = ["libreoffice-calc", "libreoffice-core", "éditeur", "édition", "zsh"];
    inventory.software = Some(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| m::SoftwarePackage {
                name: n.to_string(),
                version: format!("{i}.0"),
                publisher: if i % 2 == 0 { "Debian".into() } else { "TDF".into() },
                architecture: if i == 4 { "i386".into() } else { "amd64".into() },
                install_date: if i == 1 { String::new() } else { format!("2024-0{}-1{i}", i + 1) },
                source: if i == 3 { m::SoftwareSource::Snap } else { m::SoftwareSource::Dpkg },
            })
            .collect(),
    );
    let (rest, columns) = report_from_wire(report_inventory_to_wire(&inventory)).unwrap();
    let columns = columns.expect("the section was sent");
    assert_eq!(columns.len(), names.len());
    assert_eq!(columns.get(2).name, "éditeur");
    assert_eq!(columns.get(3).name, "édition", "front coding undone across a multi-byte character");
    assert_eq!(columns.get(1).install_day, 0);
    assert_eq!(columns.to_packages(), *inventory.software.as_ref().unwrap());
    assert_eq!(SoftwareColumns::from_packages(inventory.software.as_ref().unwrap()), columns);
    assert_eq!(rest, m::Inventory { software: None, ..inventory.clone() }, "everything else as before");

    // Sent empty is an empty list; listed unknown is no list at all.
    inventory.software = Some(Vec::new());
    let (_, columns) = report_from_wire(report_inventory_to_wire(&inventory)).unwrap();
    assert_eq!(columns, Some(SoftwareColumns::default()));
    inventory.software = None;
    inventory.unknown_sections =
        vec![m::UnknownSection { section: m::Section::Software, reason: "dpkg locked".into() }];
    let (rest, columns) = report_from_wire(report_inventory_to_wire(&inventory)).unwrap();
    assert_eq!(columns, None);
    assert!(rest.is_unknown(m::Section::Software));
    // A list sent beside the unknown flag is ignored, but still checked.
    let mut wire = report_inventory_to_wire(&inventory);
    wire.software = report_inventory_to_wire(&sample()).software;
    assert_eq!(report_from_wire(wire.clone()).unwrap().1, None);
    wire.software.as_mut().unwrap().publisher_index[0] = 9;
    assert_eq!(report_from_wire(wire).unwrap_err().field, "inventory.software.publisher_index[0]");
}

#[test]
fn columns_built_from_packages_keep_them_whole_even_past_the_wire_limits() {
    let one = sample().software.unwrap()[0].clone();
    let long = m::SoftwarePackage { name: "n".repeat(MAX_STRING_LEN + 10), ..one.clone() };
    let packages = vec![one.clone(), long, m::SoftwarePackage { publisher: "Other".into(), ..one }];
    let columns = SoftwareColumns::from_packages(&packages);
    assert_eq!(columns.to_packages(), packages);
    assert_eq!(columns.get(2).publisher, "Other");
}

#[test]
fn report_software_is_checked_like_the_inventory_with_the_same_field_paths() {
    type Spoil<'a> = Box<dyn Fn(&mut pb::SoftwareList) + 'a>;
    let long = "x".repeat(MAX_STRING_LEN + 1);
    let cases: Vec<(Spoil, &str)> = vec![
        (Box::new(|l| l.versions[0] = long.clone()), "inventory.software.versions[0]"),
        (Box::new(|l| l.names[0] = long.clone()), "inventory.software.names[0]"),
        (Box::new(|l| l.publishers[0] = long.clone()), "inventory.software.publishers[0]"),
        (Box::new(|l| l.versions.push("extra".into())), "inventory.software.versions"),
        (Box::new(|l| l.sources.clear()), "inventory.software.sources"),
        (Box::new(|l| l.publisher_index[0] = 7), "inventory.software.publisher_index[0]"),
        (Box::new(|l| l.architecture_index[0] = 7), "inventory.software.architecture_index[0]"),
        (Box::new(|l| l.name_prefix_lengths = vec![3]), "inventory.software.name_prefix_lengths[0]"),
        (Box::new(|l| l.name_prefix_lengths = vec![0, 0]), "inventory.software.name_prefix_lengths"),
        (Box::new(|l| l.names = vec![String::new(); MAX_SOFTWARE + 1]), "inventory.software.names"),
    ];
    for (spoil, field) in cases {
        let mut wire = report_inventory_to_wire(&sample());
        spoil(wire.software.as_mut().unwrap());
        assert_eq!(report_from_wire(wire.clone()).unwrap_err().field, field);
        assert_eq!(inventory_from_wire(wire).unwrap_err().field, field);
    }
    // A name rebuilt from a prefix and its suffix is held to the limit whole.
    let mut wire = report_inventory_to_wire(&sample());
    let list = wire.software.as_mut().unwrap();
    list.names = vec!["a".repeat(MAX_STRING_LEN), "b".into()];
    list.name_prefix_lengths = vec![0, MAX_STRING_LEN as u32];
    for column in [&mut list.versions, &mut list.publishers, &mut list.architectures] {
        let first = column[0].clone();
        column.push(first);
    }
    list.publisher_index.push(0);
    list.architecture_index.push(0);
    list.install_days.push(0);
    list.sources.push(0);
    assert_eq!(report_from_wire(wire).unwrap_err().field, "inventory.software.names[1]");
}
