//! What changed on a PC between two reports: RAM removed, a disk swapped,
//! software installed, upgraded or removed, the OS upgraded. Pure.
//!
//! Only lasting changes are history. Free space, link speed, the logged-in
//! user and plugged-in headsets change all day by design and would drown the
//! rest, so volumes are compared by size, adapters without their speed, and
//! peripherals and users not at all. A section missing from either side
//! (unknown, or never read) gives no change: a collector's hiccup is never
//! mistaken for a removal.

use crate::human_bytes;
use crate::inventory::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One change in one section. `subject` names the thing (a package, a slot,
/// a disk); `before` and `after` describe it, empty on the side where it
/// did not exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub section: Section,
    pub kind: ChangeKind,
    pub subject: String,
    pub before: String,
    pub after: String,
}

impl Change {
    /// The verb people use for this change: "installed", "upgraded", "removed".
    pub fn verb(&self) -> &'static str {
        match (self.section, self.kind) {
            (Section::Software, ChangeKind::Added) => "installed",
            (Section::Software, ChangeKind::Changed) => match compare_versions(&self.before, &self.after) {
                Ordering::Greater => "downgraded",
                _ => "upgraded",
            },
            (_, ChangeKind::Added) => "added",
            (_, ChangeKind::Removed) => "removed",
            (_, ChangeKind::Changed) => "changed",
        }
    }
}

/// A change with when the server saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Seconds since the Unix epoch, when the report was stored.
    pub at: i64,
    pub change: Change,
}

/// The sections whose changes are history.
pub fn is_tracked(section: Section) -> bool {
    !matches!(section, Section::Peripherals | Section::Users)
}

/// The lasting changes of `section` from `old` to `new`; none when the
/// section is missing from either.
pub fn diff_section(section: Section, old: &Inventory, new: &Inventory) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut out = Diff { section, changes: &mut changes };
    match section {
        Section::System => {
            if let (Some(a), Some(b)) = (&old.system, &new.system) {
                out.field("manufacturer", &a.manufacturer, &b.manufacturer);
                out.field("model", &a.model, &b.model);
                out.field("serial number", &a.serial_number, &b.serial_number);
                out.field("SMBIOS UUID", &a.smbios_uuid, &b.smbios_uuid);
                out.field("BIOS", &bios(a), &bios(b));
            }
        }
        Section::Os => {
            if let (Some(a), Some(b)) = (&old.os, &new.os) {
                out.field("OS", &os_release(a), &os_release(b));
                out.field("kernel", &a.kernel, &b.kernel);
            }
        }
        Section::Cpu => {
            if let (Some(a), Some(b)) = (&old.cpu, &new.cpu) {
                out.field("CPU", &cpu(a), &cpu(b));
            }
        }
        Section::Memory => {
            if let (Some(a), Some(b)) = (&old.memory, &new.memory) {
                out.field("RAM", &ram(a.total_bytes), &ram(b.total_bytes));
                out.keyed(&a.modules, &b.modules, |m| format!("slot {}", m.slot), memory_module);
            }
        }
        Section::Volumes => {
            if let (Some(a), Some(b)) = (&old.volumes, &new.volumes) {
                out.keyed(a, b, |v| format!("volume {}", v.mount_point), volume);
            }
        }
        Section::NetworkInterfaces => {
            if let (Some(a), Some(b)) = (&old.network_interfaces, &new.network_interfaces) {
                out.keyed(a, b, adapter_key, adapter);
            }
        }
        Section::Disks => {
            if let (Some(a), Some(b)) = (&old.disks, &new.disks) {
                out.keyed(a, b, disk_key, disk);
            }
        }
        Section::Security => {
            if let (Some(a), Some(b)) = (&old.security, &new.security) {
                out.field("TPM", &tpm(a), &tpm(b));
                out.field("firmware", &label(a.firmware), &label(b.firmware));
                out.field("Secure Boot", &label(a.secure_boot), &label(b.secure_boot));
                out.field(
                    "disk encryption",
                    &label(a.system_disk_encryption),
                    &label(b.system_disk_encryption),
                );
            }
        }
        Section::Batteries => {
            if let (Some(a), Some(b)) = (&old.batteries, &new.batteries) {
                out.keyed(
                    a,
                    b,
                    |b| format!("battery {}", b.name),
                    |b| format!("design {} mWh", b.design_capacity_mwh),
                );
            }
        }
        Section::Software => {
            if let (Some(a), Some(b)) = (&old.software, &new.software) {
                diff_software(a, b, &mut changes);
            }
        }
        Section::Peripherals | Section::Users => {}
    }
    changes
}

/// Every lasting change from `old` to `new`, section by section.
pub fn diff_inventories(old: &Inventory, new: &Inventory) -> Vec<Change> {
    Section::ALL.into_iter().flat_map(|section| diff_section(section, old, new)).collect()
}

struct Diff<'a> {
    section: Section,
    changes: &'a mut Vec<Change>,
}

impl Diff<'_> {
    fn push(&mut self, kind: ChangeKind, subject: String, before: String, after: String) {
        self.changes.push(Change { section: self.section, kind, subject, before, after });
    }

    fn field(&mut self, subject: &str, before: &str, after: &str) {
        if before != after {
            self.push(ChangeKind::Changed, subject.to_string(), before.to_string(), after.to_string());
        }
    }

    /// Items matched by key: added, removed, or changed in what `describe` shows.
    fn keyed<T>(
        &mut self,
        old: &[T],
        new: &[T],
        key: impl Fn(&T) -> String,
        describe: impl Fn(&T) -> String,
    ) {
        let old: BTreeMap<String, String> = old.iter().map(|item| (key(item), describe(item))).collect();
        let new: BTreeMap<String, String> = new.iter().map(|item| (key(item), describe(item))).collect();
        for (subject, before) in &old {
            match new.get(subject) {
                None => self.push(ChangeKind::Removed, subject.clone(), before.clone(), String::new()),
                Some(after) if after != before => {
                    self.push(ChangeKind::Changed, subject.clone(), before.clone(), after.clone())
                }
                Some(_) => {}
            }
        }
        for (subject, after) in &new {
            if !old.contains_key(subject) {
                self.push(ChangeKind::Added, subject.clone(), String::new(), after.clone());
            }
        }
    }
}

/// Packages are matched by name and architecture. When exactly one version
/// went and one came, that is an upgrade (or a downgrade); several versions
/// side by side (.NET runtimes, kernels) are listed one by one.
fn diff_software(old: &[SoftwarePackage], new: &[SoftwarePackage], changes: &mut Vec<Change>) {
    type Versions<'a> = BTreeMap<(&'a str, &'a str), Vec<&'a str>>;
    fn group(packages: &[SoftwarePackage]) -> Versions<'_> {
        let mut grouped: Versions<'_> = BTreeMap::new();
        for package in packages {
            grouped.entry((&package.name, &package.architecture)).or_default().push(&package.version);
        }
        for versions in grouped.values_mut() {
            versions.sort_unstable();
            versions.dedup();
        }
        grouped
    }
    let old = group(old);
    let new = group(new);
    let empty = Vec::new();
    let keys: std::collections::BTreeSet<_> = old.keys().chain(new.keys()).copied().collect();
    for key in keys {
        let before = old.get(&key).unwrap_or(&empty);
        let after = new.get(&key).unwrap_or(&empty);
        let gone: Vec<&str> = before.iter().filter(|v| !after.contains(v)).copied().collect();
        let came: Vec<&str> = after.iter().filter(|v| !before.contains(v)).copied().collect();
        let subject = match key.1 {
            "" => key.0.to_string(),
            arch => format!("{} ({arch})", key.0),
        };
        let change = |kind, before: &str, after: &str| Change {
            section: Section::Software,
            kind,
            subject: subject.clone(),
            before: before.to_string(),
            after: after.to_string(),
        };
        if let ([from], [to]) = (gone.as_slice(), came.as_slice()) {
            changes.push(change(ChangeKind::Changed, from, to));
            continue;
        }
        changes.extend(gone.iter().map(|v| change(ChangeKind::Removed, v, "")));
        changes.extend(came.iter().map(|v| change(ChangeKind::Added, "", v)));
    }
}

/// Orders "10.2" after "9.11": digit runs compare as numbers, the rest as text.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(version: &str) -> Vec<Result<u64, &str>> {
        let mut parts = Vec::new();
        let mut rest = version;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
            if digits > 0 {
                parts.push(rest[..digits].parse::<u64>().map_err(|_| &rest[..digits]));
                rest = &rest[digits..];
            } else {
                let text = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
                parts.push(Err(&rest[..text]));
                rest = &rest[text..];
            }
        }
        parts
    }
    parts(a).cmp(&parts(b))
}

fn label<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

fn bios(system: &System) -> String {
    join(&[&system.bios_vendor, &system.bios_version, &system.bios_release_date])
}

fn os_release(os: &OperatingSystem) -> String {
    let name = join(&[&os.name, &os.version, &os.edition]);
    if os.build.is_empty() {
        name
    } else {
        format!("{name} (build {})", os.build)
    }
}

fn cpu(cpu: &Cpu) -> String {
    format!("{}, {} cores", cpu.model, cpu.physical_cores)
}

fn ram(bytes: u64) -> String {
    human_bytes(bytes)
}

fn memory_module(module: &MemoryModule) -> String {
    join(&[&human_bytes(module.size_bytes), &module.kind, &speed(module.speed_mts)])
}

fn speed(mts: u32) -> String {
    if mts == 0 {
        String::new()
    } else {
        format!("{mts} MT/s")
    }
}

fn volume(volume: &Volume) -> String {
    join(&[&volume.file_system, &human_bytes(volume.total_bytes)])
}

fn adapter_key(adapter: &NetworkInterface) -> String {
    if adapter.mac_address.is_empty() {
        format!("adapter {}", adapter.name)
    } else {
        format!("adapter {}", adapter.mac_address)
    }
}

fn adapter(adapter: &NetworkInterface) -> String {
    join(&[&adapter.name, &label(adapter.kind), &adapter.driver])
}

fn disk_key(disk: &PhysicalDisk) -> String {
    if disk.serial_number.is_empty() {
        format!("disk {}", disk.name)
    } else {
        format!("disk {}", disk.serial_number)
    }
}

fn disk(disk: &PhysicalDisk) -> String {
    join(&[&disk.model, &human_bytes(disk.size_bytes), &label(disk.kind)])
}

fn tpm(security: &Security) -> String {
    match (security.tpm_present, security.tpm_version.as_str()) {
        (false, _) => "none".into(),
        (true, "") => "present".into(),
        (true, version) => version.to_string(),
    }
}

fn join(parts: &[&str]) -> String {
    parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    fn package(name: &str, version: &str) -> SoftwarePackage {
        SoftwarePackage { name: name.into(), version: version.into(), ..SoftwarePackage::default() }
    }

    fn with_software(packages: Vec<SoftwarePackage>) -> Inventory {
        Inventory { software: Some(packages), ..Inventory::default() }
    }

    fn changes(old: &Inventory, new: &Inventory) -> Vec<(ChangeKind, String, String, String)> {
        diff_inventories(old, new).into_iter().map(|c| (c.kind, c.subject, c.before, c.after)).collect()
    }

    #[test]
    fn software_installed_upgraded_and_removed() {
        let old = with_software(vec![
            package("Firefox", "128.0"),
            package("Lotus Notes", "9.0.1"),
            package("7-Zip", "23.01"),
        ]);
        let new = with_software(vec![
            package("Firefox", "129.0.2"),
            package("7-Zip", "23.01"),
            package("Teams", "24.1"),
        ]);
        let found = diff_inventories(&old, &new);
        let described: Vec<_> = found
            .iter()
            .map(|c| (c.verb(), c.subject.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        assert_eq!(
            described,
            vec![
                ("upgraded", "Firefox", "128.0", "129.0.2"),
                ("removed", "Lotus Notes", "9.0.1", ""),
                ("installed", "Teams", "", "24.1"),
            ]
        );
    }

    #[test]
    fn side_by_side_versions_are_listed_one_by_one() {
        let old = with_software(vec![package(".NET Runtime", "6.0.1"), package(".NET Runtime", "8.0.1")]);
        let new = with_software(vec![
            package(".NET Runtime", "8.0.1"),
            package(".NET Runtime", "8.0.4"),
            package(".NET Runtime", "9.0.0"),
        ]);
        assert_eq!(
            changes(&old, &new),
            vec![
                (ChangeKind::Removed, ".NET Runtime".into(), "6.0.1".into(), String::new()),
                (ChangeKind::Added, ".NET Runtime".into(), String::new(), "8.0.4".into()),
                (ChangeKind::Added, ".NET Runtime".into(), String::new(), "9.0.0".into()),
            ]
        );
    }

    #[test]
    fn a_downgrade_is_called_one() {
        let old = with_software(vec![package("Chrome", "10.2")]);
        let new = with_software(vec![package("Chrome", "9.11")]);
        assert_eq!(diff_inventories(&old, &new)[0].verb(), "downgraded");
    }

    #[test]
    fn versions_compare_by_their_numbers() {
        assert_eq!(compare_versions("10.2", "9.11"), Ordering::Greater);
        assert_eq!(compare_versions("1.2.10", "1.2.9"), Ordering::Greater);
        assert_eq!(compare_versions("2.0", "2.0"), Ordering::Equal);
        assert_eq!(compare_versions("2.0-rc1", "2.0-rc2"), Ordering::Less);
    }

    #[test]
    fn an_unknown_section_records_nothing() {
        let old = with_software(vec![package("Firefox", "128.0")]);
        let new = Inventory {
            software: None,
            unknown_sections: vec![UnknownSection {
                section: Section::Software,
                reason: "WMI timed out".into(),
            }],
            ..Inventory::default()
        };
        assert!(diff_inventories(&old, &new).is_empty());
        assert!(diff_inventories(&new, &old).is_empty());
    }

    #[test]
    fn ram_removed_and_a_module_pulled() {
        let module = |slot: &str| MemoryModule {
            slot: slot.into(),
            size_bytes: 8 * GIB,
            kind: "DDR4".into(),
            speed_mts: 3200,
        };
        let old = Inventory {
            memory: Some(Memory { total_bytes: 16 * GIB, modules: vec![module("A"), module("B")] }),
            ..Inventory::default()
        };
        let new = Inventory {
            memory: Some(Memory { total_bytes: 8 * GIB, modules: vec![module("A")] }),
            ..Inventory::default()
        };
        assert_eq!(
            changes(&old, &new),
            vec![
                (ChangeKind::Changed, "RAM".into(), "16.0 GiB".into(), "8.0 GiB".into()),
                (ChangeKind::Removed, "slot B".into(), "8.0 GiB DDR4 3200 MT/s".into(), String::new()),
            ]
        );
    }

    #[test]
    fn a_swapped_disk_is_one_removal_and_one_addition() {
        let disk = |serial: &str, kind| PhysicalDisk {
            name: "disk0".into(),
            model: "Generic".into(),
            serial_number: serial.into(),
            size_bytes: 500_000_000_000,
            kind,
            holds_os: true,
            removable: false,
        };
        let old = Inventory { disks: Some(vec![disk("HDD-1", StorageKind::Hdd)]), ..Inventory::default() };
        let new = Inventory { disks: Some(vec![disk("SSD-9", StorageKind::Ssd)]), ..Inventory::default() };
        let found = changes(&old, &new);
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].0, found[0].1.as_str()), (ChangeKind::Removed, "disk HDD-1"));
        assert_eq!((found[1].0, found[1].1.as_str()), (ChangeKind::Added, "disk SSD-9"));
    }

    #[test]
    fn an_os_upgrade_is_one_change() {
        let os = |version: &str, build: &str| OperatingSystem {
            name: "Windows".into(),
            version: version.into(),
            build: build.into(),
            edition: "Pro".into(),
            last_boot: 1,
            ..OperatingSystem::default()
        };
        let old = Inventory { os: Some(os("10 (22H2)", "19045")), ..Inventory::default() };
        let mut new = Inventory { os: Some(os("11 (23H2)", "22631")), ..Inventory::default() };
        assert_eq!(
            changes(&old, &new),
            vec![(
                ChangeKind::Changed,
                "OS".into(),
                "Windows 10 (22H2) Pro (build 19045)".into(),
                "Windows 11 (23H2) Pro (build 22631)".into()
            )]
        );
        // A reboot is not history.
        new.os = Some(OperatingSystem { last_boot: 99, ..os("10 (22H2)", "19045") });
        assert!(changes(&old, &new).is_empty());
    }

    #[test]
    fn free_space_and_link_speed_are_not_history() {
        let volume = |free| Volume {
            mount_point: "C:\\".into(),
            total_bytes: 256 * GIB,
            available_bytes: free,
            ..Volume::default()
        };
        let adapter = |speed| NetworkInterface {
            name: "eth0".into(),
            mac_address: "aa:bb".into(),
            link_speed_mbps: Some(speed),
            ..NetworkInterface::default()
        };
        let old = Inventory {
            volumes: Some(vec![volume(10)]),
            network_interfaces: Some(vec![adapter(100)]),
            ..Inventory::default()
        };
        let new = Inventory {
            volumes: Some(vec![volume(20)]),
            network_interfaces: Some(vec![adapter(1000)]),
            ..Inventory::default()
        };
        assert!(changes(&old, &new).is_empty());
    }

    #[test]
    fn security_changes_name_the_setting() {
        let security = |secure_boot| Security {
            tpm_present: true,
            tpm_version: "2.0".into(),
            firmware: Firmware::Uefi,
            secure_boot,
            system_disk_encryption: DiskEncryption::Bitlocker,
        };
        let old = Inventory { security: Some(security(SecureBoot::Off)), ..Inventory::default() };
        let new = Inventory { security: Some(security(SecureBoot::On)), ..Inventory::default() };
        assert_eq!(
            changes(&old, &new),
            vec![(ChangeKind::Changed, "Secure Boot".into(), "off".into(), "on".into())]
        );
    }
}
