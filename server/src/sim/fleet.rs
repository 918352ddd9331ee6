//! A seeded generator of realistic département PCs: the same seed gives the
//! same fleet, byte for byte. Pure: the current time comes in as an
//! argument.

use super::sites::{SimSite, SITES};
use parc_model::{
    ChassisKind, Cpu, Inventory, Memory, NetworkInterface, OperatingSystem, StorageKind, System, Volume,
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
}

struct ModelSpec {
    manufacturer: &'static str,
    model: &'static str,
    chassis: ChassisKind,
    launch_year: i32,
    cpu: &'static str,
    cores: u32,
    threads: u32,
    mhz: u32,
    /// Relative frequency in the fleet.
    weight: u32,
}

/// Positional on purpose: the MODELS table below reads as a table.
#[allow(clippy::too_many_arguments)]
const fn spec(
    manufacturer: &'static str,
    model: &'static str,
    chassis: ChassisKind,
    launch_year: i32,
    cpu: &'static str,
    cores: u32,
    threads: u32,
    mhz: u32,
    weight: u32,
) -> ModelSpec {
    ModelSpec { manufacturer, model, chassis, launch_year, cpu, cores, threads, mhz, weight }
}

use ChassisKind::{AllInOne, Desktop, Laptop};

const MODELS: &[ModelSpec] = &[
    spec(
        "Dell Inc.",
        "OptiPlex 7010",
        Desktop,
        2012,
        "Intel(R) Core(TM) i5-3470 CPU @ 3.20GHz",
        4,
        4,
        3200,
        8,
    ),
    spec(
        "Dell Inc.",
        "OptiPlex 7020",
        Desktop,
        2014,
        "Intel(R) Core(TM) i5-4590 CPU @ 3.30GHz",
        4,
        4,
        3300,
        10,
    ),
    spec(
        "Dell Inc.",
        "OptiPlex 5050",
        Desktop,
        2017,
        "Intel(R) Core(TM) i5-7500 CPU @ 3.40GHz",
        4,
        4,
        3400,
        10,
    ),
    spec(
        "Dell Inc.",
        "OptiPlex 7080",
        Desktop,
        2020,
        "Intel(R) Core(TM) i5-10500 CPU @ 3.10GHz",
        6,
        12,
        3100,
        6,
    ),
    spec(
        "Dell Inc.",
        "Latitude E6420",
        Laptop,
        2011,
        "Intel(R) Core(TM) i5-2540M CPU @ 2.60GHz",
        2,
        4,
        2600,
        3,
    ),
    spec(
        "Dell Inc.",
        "Latitude 5490",
        Laptop,
        2018,
        "Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz",
        4,
        8,
        1600,
        8,
    ),
    spec(
        "Dell Inc.",
        "Latitude 5420",
        Laptop,
        2021,
        "11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz",
        4,
        8,
        2600,
        7,
    ),
    spec(
        "HP",
        "HP ProDesk 600 G1 SFF",
        Desktop,
        2013,
        "Intel(R) Core(TM) i5-4570 CPU @ 3.20GHz",
        4,
        4,
        3200,
        9,
    ),
    spec(
        "HP",
        "HP ProDesk 400 G3 SFF",
        Desktop,
        2016,
        "Intel(R) Core(TM) i5-6500 CPU @ 3.20GHz",
        4,
        4,
        3200,
        8,
    ),
    spec(
        "HP",
        "HP EliteDesk 800 G4 SFF",
        Desktop,
        2018,
        "Intel(R) Core(TM) i5-8500 CPU @ 3.00GHz",
        6,
        6,
        3000,
        7,
    ),
    spec(
        "HP",
        "HP EliteBook 840 G3",
        Laptop,
        2016,
        "Intel(R) Core(TM) i5-6300U CPU @ 2.40GHz",
        2,
        4,
        2400,
        6,
    ),
    spec(
        "HP",
        "HP EliteBook 840 G8",
        Laptop,
        2021,
        "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz",
        4,
        8,
        2400,
        6,
    ),
    spec("HP", "HP ProBook 450 G7", Laptop, 2020, "Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", 4, 8, 1600, 6),
    spec(
        "HP",
        "HP EliteOne 800 G3 23.8-in All-in-One",
        AllInOne,
        2017,
        "Intel(R) Core(TM) i5-7500 CPU @ 3.40GHz",
        4,
        4,
        3400,
        3,
    ),
    spec(
        "LENOVO",
        "ThinkCentre M73",
        Desktop,
        2014,
        "Intel(R) Core(TM) i5-4570 CPU @ 3.20GHz",
        4,
        4,
        3200,
        7,
    ),
    spec(
        "LENOVO",
        "ThinkCentre M720q",
        Desktop,
        2018,
        "Intel(R) Core(TM) i5-8400T CPU @ 1.70GHz",
        6,
        6,
        1700,
        5,
    ),
    spec("LENOVO", "ThinkPad T470", Laptop, 2017, "Intel(R) Core(TM) i5-7300U CPU @ 2.60GHz", 2, 4, 2600, 5),
    spec(
        "LENOVO",
        "ThinkPad T14 Gen 2",
        Laptop,
        2021,
        "11th Gen Intel(R) Core(TM) i5-1135G7 @ 2.40GHz",
        4,
        8,
        2400,
        5,
    ),
    spec(
        "LENOVO",
        "ThinkPad L14 Gen 3",
        Laptop,
        2022,
        "AMD Ryzen 5 PRO 5675U with Radeon Graphics",
        6,
        12,
        2300,
        4,
    ),
];

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
            let inventory =
                simulate_pc(&mut rng, site, model, per_site_counter[site_index], this_year, now_unix);
            SimPc { site, inventory }
        })
        .collect()
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
    let candidates: Vec<&ModelSpec> = MODELS.iter().filter(|m| (m.chassis == Laptop) == laptop).collect();
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
) -> Inventory {
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
        ("11 (23H2)", "22631")
    } else if age >= 10 && rng.random_range(0..100) < 15 {
        ("7 SP1", "7601")
    } else {
        ("10 (22H2)", "19045")
    };
    let laptop = model.chassis == Laptop;
    let hostname = format!("{}-{}{:04}", site.host_prefix, if laptop { 'L' } else { 'D' }, number);
    let ip = format!("{}.{}.{}.{}", site.subnet.0, site.subnet.1, number / 250, number % 250 + 2);
    let mut interfaces = vec![NetworkInterface {
        name: "Ethernet".into(),
        mac_address: random_mac(rng),
        addresses: if laptop && rng.random_bool(0.5) { vec![] } else { vec![format!("{ip}/16")] },
    }];
    if laptop {
        let wired = !interfaces[0].addresses.is_empty();
        interfaces.push(NetworkInterface {
            name: "Wi-Fi".into(),
            mac_address: random_mac(rng),
            addresses: if wired { vec![] } else { vec![format!("{ip}/16")] },
        });
    }
    let total_bytes = disk_gib * GIB;
    Inventory {
        collected_at: now_unix,
        hostname,
        machine_id: hex_string(rng, 16),
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
        }),
        cpu: Some(Cpu {
            model: model.cpu.into(),
            vendor: if model.cpu.starts_with("AMD") { "AuthenticAMD" } else { "GenuineIntel" }.into(),
            physical_cores: model.cores,
            logical_threads: model.threads,
            frequency_mhz: model.mhz,
        }),
        memory: Some(Memory { total_bytes: ram_gib * GIB - rng.random_range(0..256) * 1024 * 1024 }),
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
        unknown_sections: vec![],
    }
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
    let days = unix.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant), year part only.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2)) as i32
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
        let laptops = share(&|i| i.system.as_ref().unwrap().chassis == Laptop);
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
