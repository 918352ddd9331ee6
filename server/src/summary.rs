//! The fleet at a glance: counts that answer the first questions IT ops
//! ask (how many, which OS, how many are too weak or too old). Pure.

use parc_model::{ChassisKind, DeviceSummary, StorageKind};
use std::collections::BTreeMap;
use std::fmt;

const GIB: u64 = 1024 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FleetSummary {
    pub devices: usize,
    pub reporting: usize,
    pub laptops: usize,
    pub desktops: usize,
    /// Under 8 GB as sold (a few hundred MB go to firmware and graphics).
    pub ram_under_8gb: usize,
    pub hdd_system_disk: usize,
    /// "Windows 10 (22H2)" → count, most common first when displayed.
    pub by_os: BTreeMap<String, usize>,
    pub by_manufacturer: BTreeMap<String, usize>,
}

/// RAM as the spec sheet says it: 7.8 GiB usable is an 8 GB machine.
pub fn under_8gb(ram_bytes: u64) -> bool {
    ram_bytes > 0 && ram_bytes < 8 * GIB - GIB / 2
}

pub fn summarize(devices: &[DeviceSummary]) -> FleetSummary {
    let mut summary = FleetSummary { devices: devices.len(), ..FleetSummary::default() };
    for device in devices {
        if device.last_seen_at.is_none() {
            continue;
        }
        summary.reporting += 1;
        match device.chassis {
            ChassisKind::Laptop | ChassisKind::Tablet => summary.laptops += 1,
            ChassisKind::Desktop | ChassisKind::AllInOne => summary.desktops += 1,
            _ => {}
        }
        if under_8gb(device.ram_bytes) {
            summary.ram_under_8gb += 1;
        }
        if device.system_storage == StorageKind::Hdd {
            summary.hdd_system_disk += 1;
        }
        let os = format!("{} {}", device.os_name, device.os_version).trim().to_string();
        *summary.by_os.entry(if os.is_empty() { "unknown".into() } else { os }).or_default() += 1;
        let maker =
            if device.manufacturer.is_empty() { "unknown".to_string() } else { device.manufacturer.clone() };
        *summary.by_manufacturer.entry(maker).or_default() += 1;
    }
    summary
}

fn most_common(counts: &BTreeMap<String, usize>) -> Vec<(&str, usize)> {
    let mut sorted: Vec<(&str, usize)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    sorted
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.0}%", part as f64 * 100.0 / whole as f64)
    }
}

impl fmt::Display for FleetSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.reporting;
        writeln!(f, "Devices            {:>6}  ({} reporting)", self.devices, r)?;
        writeln!(f, "Laptops            {:>6}  {:>4}", self.laptops, percent(self.laptops, r))?;
        writeln!(f, "Desktops           {:>6}  {:>4}", self.desktops, percent(self.desktops, r))?;
        writeln!(f, "RAM under 8 GB     {:>6}  {:>4}", self.ram_under_8gb, percent(self.ram_under_8gb, r))?;
        writeln!(
            f,
            "HDD system disk    {:>6}  {:>4}",
            self.hdd_system_disk,
            percent(self.hdd_system_disk, r)
        )?;
        writeln!(f, "Operating systems")?;
        for (os, count) in most_common(&self.by_os) {
            writeln!(f, "  {os:<24} {count:>6}  {:>4}", percent(count, r))?;
        }
        writeln!(f, "Manufacturers")?;
        for (maker, count) in most_common(&self.by_manufacturer) {
            writeln!(f, "  {maker:<24} {count:>6}  {:>4}", percent(count, r))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(os: &str, chassis: ChassisKind, ram_gib: u64, storage: StorageKind) -> DeviceSummary {
        DeviceSummary {
            last_seen_at: Some(1),
            os_name: "Windows".into(),
            os_version: os.into(),
            manufacturer: "Dell Inc.".into(),
            chassis,
            ram_bytes: ram_gib * GIB - 300 * 1024 * 1024,
            system_storage: storage,
            ..DeviceSummary::default()
        }
    }

    #[test]
    fn counts_and_display_answer_the_first_questions() {
        let devices = vec![
            device("10 (22H2)", ChassisKind::Desktop, 4, StorageKind::Hdd),
            device("10 (22H2)", ChassisKind::Laptop, 8, StorageKind::Ssd),
            device("11 (23H2)", ChassisKind::Laptop, 16, StorageKind::Nvme),
            DeviceSummary { hostname: "never-reported".into(), ..DeviceSummary::default() },
        ];
        let summary = summarize(&devices);
        assert_eq!((summary.devices, summary.reporting, summary.laptops), (4, 3, 2));
        assert_eq!((summary.ram_under_8gb, summary.hdd_system_disk), (1, 1));
        let text = summary.to_string();
        assert_eq!(
            text,
            "Devices                 4  (3 reporting)\n\
             Laptops                 2   67%\n\
             Desktops                1   33%\n\
             RAM under 8 GB          1   33%\n\
             HDD system disk         1   33%\n\
             Operating systems\n  \
             Windows 10 (22H2)             2   67%\n  \
             Windows 11 (23H2)             1   33%\n\
             Manufacturers\n  \
             Dell Inc.                     3  100%\n"
        );
    }

    #[test]
    fn an_8gb_machine_with_reserved_memory_is_not_under_8gb() {
        assert!(!under_8gb(8 * GIB - 200 * 1024 * 1024));
        assert!(under_8gb(4 * GIB));
        assert!(!under_8gb(0), "unknown RAM is not small RAM");
    }
}
