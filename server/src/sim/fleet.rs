//! A seeded generator of realistic département PCs: the same seed gives the
//! same fleet, byte for byte. Pure: the current time comes in as an
//! argument.

use super::catalogue::{ModelSpec, CPU_SIGNATURES, FIRST_NAMES, LAST_NAMES, MODELS};
use super::sites::{SimSite, SITES};
use parc_model::{
    AudioDevice, Battery, Camera, ChassisKind, Cpu, DeviceBus, DiskEncryption, Duplex, Firmware,
    InterfaceKind, Inventory, Memory, MemoryModule, NetworkInterface, OperatingSystem, Peripherals,
    PhysicalDisk, SecureBoot, Security, StorageKind, System, Users, Volume, WifiCapabilities,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const GIB: u64 = 1024 * 1024 * 1024;

/// The agent version simulated PCs report, so they are easy to tell apart.
pub const SIM_AGENT_VERSION: &str = "0.1.0-sim";

/// One simulated PC: where it is and what its agent would report.
#[derive(Debug, Clone, PartialEq)]
pub struct SimPc {
    pub site: &'static SimSite,
    pub inventory: Inventory,
    /// When the PC was bought: what the asset register knows and the
    /// firmware does not.
    pub purchase_year: i32,
}

/// Generates `count` PCs spread over the département's sites.
pub fn generate(seed: u64, count: usize, now_unix: i64) -> Vec<SimPc> {
    let mut rng = StdRng::seed_from_u64(seed);
    let this_year = year_of(now_unix);
    let site_weights: u32 = SITES.iter().map(|s| s.weight).sum();
    let mut per_site_counter = vec![0u32; SITES.len()];
    (0..count)
        .map(|_| {
            let site_index = pick_weighted(&mut rng, SITES.iter().map(|s| s.weight), site_weights);
            let site = &SITES[site_index];
            per_site_counter[site_index] += 1;
            let wants_laptop = rng.random_range(0..100) < site.laptop_percent;
            let model = pick_model(&mut rng, wants_laptop);
            let (inventory, purchase_year) =
                simulate_pc(&mut rng, site, model, per_site_counter[site_index], this_year, now_unix);
            SimPc { site, inventory, purchase_year }
        })
        .collect()
}

/// PC number `index` of the fleet `seed`, made on its own: a load tool can
/// make 100,000 of them one at a time without holding them all. Its host
/// number is `index + 1`, unique across the fleet.
pub fn generate_one(seed: u64, index: u64, now_unix: i64) -> SimPc {
    let mut rng = StdRng::seed_from_u64(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let site_weights: u32 = SITES.iter().map(|s| s.weight).sum();
    let site = &SITES[pick_weighted(&mut rng, SITES.iter().map(|s| s.weight), site_weights)];
    let wants_laptop = rng.random_range(0..100) < site.laptop_percent;
    let model = pick_model(&mut rng, wants_laptop);
    let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
    let (inventory, purchase_year) = simulate_pc(&mut rng, site, model, number, year_of(now_unix), now_unix);
    SimPc { site, inventory, purchase_year }
}

fn pick_weighted(rng: &mut StdRng, weights: impl Iterator<Item = u32>, total: u32) -> usize {
    let mut draw = rng.random_range(0..total.max(1));
    for (index, weight) in weights.enumerate() {
        if draw < weight {
            return index;
        }
        draw -= weight;
    }
    0
}

fn pick_model(rng: &mut StdRng, laptop: bool) -> &'static ModelSpec {
    let candidates: Vec<&ModelSpec> =
        MODELS.iter().filter(|m| (m.chassis == ChassisKind::Laptop) == laptop).collect();
    let total = candidates.iter().map(|m| m.weight).sum();
    candidates[pick_weighted(rng, candidates.iter().map(|m| m.weight), total)]
}

fn simulate_pc(
    rng: &mut StdRng,
    site: &'static SimSite,
    model: &ModelSpec,
    number: u32,
    this_year: i32,
    now_unix: i64,
) -> (Inventory, i32) {
    let purchase_year = (model.launch_year + rng.random_range(0..=2)).min(this_year);
    let bios_year = (purchase_year + rng.random_range(0..=4)).min(this_year);
    let age = this_year - purchase_year;
    let ram_gib = match age {
        a if a >= 10 => *pick(rng, &[2, 4, 4, 4, 8]),
        a if a >= 6 => *pick(rng, &[4, 4, 8, 8, 8]),
        a if a >= 4 => *pick(rng, &[8, 8, 8, 16]),
        _ => *pick(rng, &[8, 16, 16, 16, 32]),
    };
    let storage = match age {
        a if a >= 9 => *pick(rng, &[StorageKind::Hdd, StorageKind::Hdd, StorageKind::Hdd, StorageKind::Ssd]),
        a if a >= 6 => *pick(rng, &[StorageKind::Hdd, StorageKind::Ssd, StorageKind::Ssd]),
        _ => *pick(rng, &[StorageKind::Ssd, StorageKind::Nvme, StorageKind::Nvme]),
    };
    let disk_gib = match storage {
        StorageKind::Hdd => *pick(rng, &[250, 500, 500, 1000]),
        _ => *pick(rng, &[128, 256, 256, 512]),
    };
    let (os_version, build) = if model.launch_year >= 2018 && rng.random_range(0..100) < 55 {
        // Most upgraded PCs are on 24H2; a few lag on 23H2.
        if rng.random_range(0..100) < 80 {
            ("11 (24H2)", "26100")
        } else {
            ("11 (23H2)", "22631")
        }
    } else if age >= 10 && rng.random_range(0..100) < 15 {
        ("7 SP1", "7601")
    } else {
        ("10 (22H2)", "19045")
    };
    let laptop = model.chassis == ChassisKind::Laptop;
    let hostname = format!("{}-{}{:04}", site.host_prefix, if laptop { 'L' } else { 'D' }, number);
    let ip = format!("{}.{}.{}.{}", site.subnet.0, site.subnet.1, (number / 250) % 256, number % 250 + 2);
    let wired_up = !laptop || rng.random_bool(0.5);
    // Gigabit adapters on 100 Mb/s links point at old cabling.
    let wired_speed = if model.launch_year < 2010 || rng.random_range(0..100) < 8 { 100 } else { 1000 };
    let mut interfaces = vec![NetworkInterface {
        name: "Ethernet".into(),
        mac_address: random_mac(rng),
        addresses: if wired_up { vec![format!("{ip}/16")] } else { vec![] },
        kind: InterfaceKind::Wired,
        link_speed_mbps: wired_up.then_some(wired_speed),
        duplex: if wired_up { Duplex::Full } else { Duplex::Unknown },
        driver: if model.manufacturer == "LENOVO" { "e1iexpress".into() } else { "rt640x64".into() },
        wifi: None,
    }];
    if laptop {
        let modern = model.launch_year >= 2019;
        interfaces.push(NetworkInterface {
            name: "Wi-Fi".into(),
            mac_address: random_mac(rng),
            addresses: if wired_up { vec![] } else { vec![format!("{ip}/16")] },
            kind: InterfaceKind::Wireless,
            link_speed_mbps: (!wired_up).then_some(if modern { 866 } else { 144 }),
            duplex: Duplex::Unknown,
            driver: "Netwtw10".into(),
            wifi: Some(WifiCapabilities {
                standards: match model.launch_year {
                    y if y >= 2020 => vec!["802.11n".into(), "802.11ac".into(), "802.11ax".into()],
                    y if y >= 2015 => vec!["802.11n".into(), "802.11ac".into()],
                    _ => vec!["802.11n".into()],
                },
                bands: if model.launch_year >= 2015 {
                    vec!["2.4GHz".into(), "5GHz".into()]
                } else {
                    vec!["2.4GHz".into()]
                },
                wpa2_enterprise: true,
                wpa3_enterprise: model.launch_year >= 2019,
                driver_version: if modern { "23.60.0.10".into() } else { "19.51.40.1".into() },
                driver_date: format!("{}-06-15", (model.launch_year + 2).min(this_year)),
            }),
        });
    }
    let total_bytes = disk_gib * GIB;
    let uefi = model.launch_year >= 2013;
    let tpm_version = match model.launch_year {
        y if y >= 2016 => "2.0",
        y if y >= 2013 && rng.random_bool(0.7) => "1.2",
        _ => "",
    };
    let windows11 = os_version.starts_with("11");
    let encrypted = windows11 || (laptop && tpm_version == "2.0" && rng.random_bool(0.6));
    let signature = CPU_SIGNATURES
        .iter()
        .find(|(name, ..)| model.cpu.contains(name))
        .map_or((0, 0, 0), |s| (s.1, s.2, s.3));
    let mut flags = vec!["lm".to_string(), "sse4_2".into(), "popcnt".into()];
    if model.launch_year >= 2014 {
        flags.push("avx2".into());
    }
    let module_count = if laptop { 1 } else { *pick(rng, &[1u64, 2]) };
    let memory_kind = match model.launch_year {
        y if y >= 2021 => "DDR4",
        y if y >= 2015 => "DDR4",
        _ => "DDR3",
    };
    let user = format!("{}.{}", pick(rng, FIRST_NAMES), pick(rng, LAST_NAMES));
    let mut audio = vec![AudioDevice {
        name: "Realtek High Definition Audio".into(),
        bus: DeviceBus::Internal,
        capture: laptop,
        playback: true,
        headset: false,
        usb_id: String::new(),
    }];
    if rng.random_range(0..100) < 30 {
        audio.push(AudioDevice {
            name: pick(
                rng,
                &["Plantronics Blackwire 3210", "Jabra EVOLVE 30 II", "Logitech USB Headset H390"],
            )
            .to_string(),
            bus: DeviceBus::Usb,
            capture: true,
            playback: true,
            headset: true,
            usb_id: pick(rng, &["047f:c055", "0b0e:030c", "046d:0a44"]).to_string(),
        });
    }
    let cameras = if laptop && model.launch_year >= 2014 {
        vec![Camera { name: "Integrated Camera".into(), bus: DeviceBus::Usb, usb_id: "04f2:b71f".into() }]
    } else {
        vec![]
    };
    let software = super::software::installed(
        rng,
        os_version.starts_with("11"),
        model.manufacturer,
        (purchase_year, (purchase_year + 2).min(this_year)),
    );
    let last_update_days =
        if rng.random_range(0..100) < 85 { rng.random_range(1..30) } else { rng.random_range(30..400) };
    let machine_id = hex_string(rng, 16);
    // One PC in sixteen is in the pilot group (installed with TAGS=pilot),
    // decided without drawing from `rng` so the rest of the fleet stays
    // what it was.
    let labels = if machine_id.starts_with('0') { vec!["pilot".to_string()] } else { Vec::new() };
    let inventory = Inventory {
        collected_at: now_unix,
        hostname,
        machine_id,
        labels,
        agent_version: SIM_AGENT_VERSION.to_string(),
        system: Some(System {
            manufacturer: model.manufacturer.into(),
            model: model.model.into(),
            serial_number: serial_number(rng, model.manufacturer),
            smbios_uuid: uuid(rng),
            chassis: model.chassis,
            bios_vendor: match model.manufacturer {
                "LENOVO" => "LENOVO".into(),
                "HP" => "HP".into(),
                other => other.into(),
            },
            bios_version: format!(
                "{}.{}.{}",
                rng.random_range(1..3),
                rng.random_range(0..30),
                rng.random_range(0..9)
            ),
            bios_release_date: format!(
                "{bios_year:04}-{:02}-{:02}",
                rng.random_range(1..=12),
                rng.random_range(1..=28)
            ),
        }),
        os: Some(OperatingSystem {
            name: "Windows".into(),
            version: os_version.into(),
            build: build.into(),
            kernel: build.into(),
            architecture: "x86_64".into(),
            last_boot: now_unix - rng.random_range(600..(14 * 24 * 3600)),
            edition: "Professional".into(),
            install_date: now_unix - i64::from(age.max(0)) * 365 * 86_400,
            last_security_update: now_unix - last_update_days * 86_400,
        }),
        cpu: Some(Cpu {
            model: model.cpu.into(),
            vendor: if model.cpu.starts_with("AMD") { "AuthenticAMD" } else { "GenuineIntel" }.into(),
            physical_cores: model.cores,
            logical_threads: model.threads,
            frequency_mhz: model.mhz,
            family: signature.0,
            model_number: signature.1,
            stepping: signature.2,
            flags,
        }),
        memory: Some(Memory {
            total_bytes: ram_gib * GIB - rng.random_range(0..256) * 1024 * 1024,
            modules: (0..module_count)
                .map(|slot| MemoryModule {
                    slot: format!("DIMM {slot}"),
                    size_bytes: ram_gib * GIB / module_count,
                    kind: memory_kind.into(),
                    speed_mts: if memory_kind == "DDR4" { 2666 } else { 1600 },
                })
                .collect(),
        }),
        volumes: Some(vec![Volume {
            name: "OS".into(),
            mount_point: "C:\\".into(),
            file_system: "NTFS".into(),
            kind: storage,
            total_bytes,
            available_bytes: total_bytes / 100 * rng.random_range(5..60),
            removable: false,
            is_system: true,
        }]),
        network_interfaces: Some(interfaces),
        disks: Some(vec![PhysicalDisk {
            name: "PHYSICALDRIVE0".into(),
            model: match storage {
                StorageKind::Hdd => "ST500DM002-1BD142".into(),
                StorageKind::Nvme => "SAMSUNG MZVLB256HBHQ-000L7".into(),
                _ => "SanDisk SD8SB8U256G1001".into(),
            },
            serial_number: hex_string(rng, 6).to_uppercase(),
            size_bytes: total_bytes + GIB,
            kind: storage,
            holds_os: true,
            removable: false,
        }]),
        security: Some(Security {
            tpm_present: !tpm_version.is_empty(),
            tpm_version: tpm_version.into(),
            firmware: if uefi { Firmware::Uefi } else { Firmware::Bios },
            secure_boot: match (uefi, windows11 || rng.random_bool(0.4)) {
                (false, _) => SecureBoot::Unsupported,
                (true, true) => SecureBoot::On,
                (true, false) => SecureBoot::Off,
            },
            system_disk_encryption: if encrypted { DiskEncryption::Bitlocker } else { DiskEncryption::None },
        }),
        batteries: Some(if laptop {
            let design = *pick(rng, &[42_000u64, 54_000, 56_000, 68_000]);
            let health = (100 - age * rng.random_range(3..9)).clamp(35, 100) as u64;
            vec![Battery {
                name: "BAT0".into(),
                design_capacity_mwh: design,
                full_charge_capacity_mwh: design * health / 100,
            }]
        } else {
            vec![]
        }),
        peripherals: Some(Peripherals { audio, cameras }),
        users: Some(Users { logged_in: vec![user.clone()], last_logged_in: user }),
        software: Some(software),
        unknown_sections: vec![],
    };
    (inventory, purchase_year)
}

fn pick<'a, T>(rng: &mut StdRng, options: &'a [T]) -> &'a T {
    &options[rng.random_range(0..options.len())]
}

fn hex_string(rng: &mut StdRng, bytes: usize) -> String {
    (0..bytes).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

fn uuid(rng: &mut StdRng) -> String {
    let h = hex_string(rng, 16);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn random_mac(rng: &mut StdRng) -> String {
    let bytes: [u8; 6] = rng.random();
    // Locally administered, unicast: never a real vendor's address.
    let first = (bytes[0] | 0x02) & 0xfe;
    format!(
        "{first:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]
    )
}

fn serial_number(rng: &mut StdRng, manufacturer: &str) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut chars =
        |n: usize| -> String { (0..n).map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char).collect() };
    match manufacturer {
        "HP" => format!("CZC{}", chars(7)),
        "LENOVO" => format!("PF{}", chars(6)),
        _ => chars(7),
    }
}

/// Calendar year of a Unix time (close enough for ages in years).
fn year_of(unix: i64) -> i32 {
    i32::try_from(parc_model::civil::year_of_unix(unix)).unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    const NOW: i64 = 1_796_200_000; // 2026-12-02T08:26:40Z

    #[test]
    fn the_same_seed_gives_the_same_fleet() {
        assert_eq!(generate(7, 50, NOW), generate(7, 50, NOW));
        assert_ne!(generate(7, 50, NOW), generate(8, 50, NOW));
    }

    #[test]
    fn one_pc_at_a_time_is_the_same_pc_every_time_and_hostnames_stay_unique() {
        assert_eq!(generate_one(7, 99_999, NOW), generate_one(7, 99_999, NOW));
        let hostnames: HashSet<_> =
            (0..500).map(|i| generate_one(7, i * 200, NOW).inventory.hostname).collect();
        assert_eq!(hostnames.len(), 500);
        assert!(hostnames.iter().all(|h| h.len() <= 15), "NetBIOS names: {hostnames:?}");
    }

    #[test]
    fn year_of_knows_the_calendar() {
        assert_eq!(year_of(0), 1970);
        assert_eq!(year_of(NOW), 2026);
        assert_eq!(year_of(1_704_067_200), 2024); // 2024-01-01T00:00Z
        assert_eq!(year_of(1_704_067_199), 2023);
    }

    #[test]
    fn a_fleet_looks_like_a_departement() {
        let fleet = generate(42, 2000, NOW);
        let sites: HashSet<_> = fleet.iter().map(|pc| pc.site.code).collect();
        assert!(sites.len() >= 38, "only {} sites used", sites.len());
        let hostnames: HashSet<_> = fleet.iter().map(|pc| pc.inventory.hostname.clone()).collect();
        assert_eq!(hostnames.len(), 2000, "hostnames must be unique");
        assert!(hostnames.iter().all(|h| h.len() <= 15));
        let machine_ids: HashSet<_> = fleet.iter().map(|pc| pc.inventory.machine_id.clone()).collect();
        assert_eq!(machine_ids.len(), 2000);

        let share = |pred: &dyn Fn(&Inventory) -> bool| {
            fleet.iter().filter(|pc| pred(&pc.inventory)).count() as f64 / fleet.len() as f64
        };
        let laptops = share(&|i| i.system.as_ref().unwrap().chassis == ChassisKind::Laptop);
        let small_ram = share(&|i| i.memory.as_ref().unwrap().total_bytes < 8 * GIB - GIB / 2);
        let hdd = share(&|i| i.system_volume().unwrap().kind == StorageKind::Hdd);
        let windows11 = share(&|i| i.os.as_ref().unwrap().version.starts_with("11"));
        assert!((0.25..0.5).contains(&laptops), "laptops {laptops}");
        assert!((0.1..0.6).contains(&small_ram), "RAM < 8 GB {small_ram}");
        assert!((0.05..0.5).contains(&hdd), "HDD {hdd}");
        assert!((0.1..0.5).contains(&windows11), "Windows 11 {windows11}");

        let mut by_site: HashMap<&str, usize> = HashMap::new();
        for pc in &fleet {
            *by_site.entry(pc.site.code).or_default() += 1;
        }
        assert!(by_site["SIEGE-EVRY"] > by_site["PMI-MENNECY"] * 20);
    }

    #[test]
    fn every_generated_inventory_passes_the_wire_limits() {
        for pc in generate(1, 300, NOW) {
            let wire = parc_proto::convert::inventory_to_wire(&pc.inventory);
            parc_proto::convert::inventory_from_wire(wire).expect("simulated inventory is valid");
        }
    }
}
