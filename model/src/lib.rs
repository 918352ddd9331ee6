//! Parc's domain types: the inventory of one PC, as the agent collects it and
//! the server stores it.
//!
//! This crate owns no I/O and knows nothing of the wire: `parc-proto`
//! converts these types to and from protobuf, the agent fills them, the
//! server stores and reasons about them. A section is an `Option`: `None`
//! means "could not be read", and the reason is in
//! [`Inventory::unknown_sections`]. An empty list is a real, read answer.

use serde::{Deserialize, Serialize};

/// One collection of a PC's state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Inventory {
    /// Seconds since the Unix epoch, by the agent's clock.
    pub collected_at: i64,
    pub hostname: String,
    /// The OS's stable machine identifier, the key for re-enrollment.
    pub machine_id: String,
    pub agent_version: String,
    pub system: Option<System>,
    pub os: Option<OperatingSystem>,
    pub cpu: Option<Cpu>,
    pub memory: Option<Memory>,
    /// `None` when the volumes could not be listed.
    pub volumes: Option<Vec<Volume>>,
    /// `None` when the interfaces could not be listed.
    pub network_interfaces: Option<Vec<NetworkInterface>>,
    /// Physical disks; `None` when they could not be listed.
    pub disks: Option<Vec<PhysicalDisk>>,
    pub security: Option<Security>,
    /// Empty when the machine has no battery.
    pub batteries: Option<Vec<Battery>>,
    pub peripherals: Option<Peripherals>,
    pub users: Option<Users>,
    /// Every installed package; `None` when no package database could be read.
    pub software: Option<Vec<SoftwarePackage>>,
    /// What could not be read, and why.
    pub unknown_sections: Vec<UnknownSection>,
}

impl Inventory {
    /// The volume the OS runs from, when the agent recognised one.
    pub fn system_volume(&self) -> Option<&Volume> {
        self.volumes.as_ref()?.iter().find(|v| v.is_system)
    }
}

/// A section the agent could not read, with the reason, so that "unknown" is
/// never mistaken for "none".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownSection {
    pub section: Section,
    pub reason: String,
}

/// The sections of an inventory, named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    System,
    Os,
    Cpu,
    Memory,
    Volumes,
    NetworkInterfaces,
    Disks,
    Security,
    Batteries,
    Peripherals,
    Users,
    Software,
}

impl Section {
    pub const ALL: [Section; 12] = [
        Section::System,
        Section::Os,
        Section::Cpu,
        Section::Memory,
        Section::Volumes,
        Section::NetworkInterfaces,
        Section::Disks,
        Section::Security,
        Section::Batteries,
        Section::Peripherals,
        Section::Users,
        Section::Software,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::System => "system",
            Section::Os => "os",
            Section::Cpu => "cpu",
            Section::Memory => "memory",
            Section::Volumes => "volumes",
            Section::NetworkInterfaces => "network_interfaces",
            Section::Disks => "disks",
            Section::Security => "security",
            Section::Batteries => "batteries",
            Section::Peripherals => "peripherals",
            Section::Users => "users",
            Section::Software => "software",
        }
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Section {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The physical form of a machine, which decides who can take it home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChassisKind {
    #[default]
    Unknown,
    Desktop,
    Laptop,
    AllInOne,
    Tablet,
    Server,
    VirtualMachine,
    Other,
}

impl ChassisKind {
    /// Maps an SMBIOS chassis type number (DMI type 3, "Type") to a kind.
    pub fn from_smbios_type(code: u32) -> ChassisKind {
        match code {
            3 | 4 | 5 | 6 | 7 | 15 | 16 | 24 | 35 | 36 => ChassisKind::Desktop,
            8 | 9 | 10 | 14 | 31 | 32 => ChassisKind::Laptop,
            13 => ChassisKind::AllInOne,
            11 | 30 => ChassisKind::Tablet,
            17 | 23 | 25 | 28 | 29 => ChassisKind::Server,
            1 => ChassisKind::Other,
            _ => ChassisKind::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ChassisKind::Unknown => "unknown",
            ChassisKind::Desktop => "desktop",
            ChassisKind::Laptop => "laptop",
            ChassisKind::AllInOne => "all-in-one",
            ChassisKind::Tablet => "tablet",
            ChassisKind::Server => "server",
            ChassisKind::VirtualMachine => "vm",
            ChassisKind::Other => "other",
        }
    }
}

/// What the firmware (SMBIOS/DMI) says about the machine.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct System {
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub smbios_uuid: String,
    pub chassis: ChassisKind,
    pub bios_vendor: String,
    pub bios_version: String,
    /// ISO 8601 (YYYY-MM-DD), empty when unknown.
    pub bios_release_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OperatingSystem {
    pub name: String,
    pub version: String,
    pub build: String,
    pub kernel: String,
    pub architecture: String,
    /// Seconds since the Unix epoch; 0 when unknown.
    pub last_boot: i64,
    /// "Pro", "Enterprise", "LTSC"; empty where the OS has none.
    pub edition: String,
    /// Seconds since the Unix epoch; 0 when unknown.
    pub install_date: i64,
    /// When the last security update was installed, where the OS records
    /// it (seconds since the Unix epoch; 0 when unknown).
    pub last_security_update: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cpu {
    pub model: String,
    pub vendor: String,
    pub physical_cores: u32,
    pub logical_threads: u32,
    pub frequency_mhz: u32,
    /// CPUID family, model and stepping (decimal, as `dmidecode` prints
    /// them), which identify the generation when the name does not.
    pub family: u32,
    pub model_number: u32,
    pub stepping: u32,
    /// The instruction-set flags that decide OS support, by their Linux
    /// names: `lm` (64-bit), `sse4_2`, `popcnt`, `avx2`.
    pub flags: Vec<String>,
}

/// The CPU flags worth reporting; the rest of /proc/cpuinfo is noise.
pub const REPORTED_CPU_FLAGS: [&str; 4] = ["lm", "sse4_2", "popcnt", "avx2"];

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Memory {
    pub total_bytes: u64,
    /// Installed modules, where the firmware tables are readable.
    pub modules: Vec<MemoryModule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MemoryModule {
    pub slot: String,
    pub size_bytes: u64,
    /// "DDR4", "LPDDR5".
    pub kind: String,
    /// Mega-transfers per second.
    pub speed_mts: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    #[default]
    Unknown,
    Hdd,
    Ssd,
    Nvme,
}

impl StorageKind {
    pub fn label(self) -> &'static str {
        match self {
            StorageKind::Unknown => "unknown",
            StorageKind::Hdd => "HDD",
            StorageKind::Ssd => "SSD",
            StorageKind::Nvme => "NVMe",
        }
    }
}

/// A mounted file system.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Volume {
    pub name: String,
    pub mount_point: String,
    pub file_system: String,
    pub kind: StorageKind,
    pub total_bytes: u64,
    pub available_bytes: u64,
    pub removable: bool,
    /// The volume the OS runs from (`/` or `C:\`).
    pub is_system: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetworkInterface {
    pub name: String,
    /// Lower-case `aa:bb:cc:dd:ee:ff`; empty when the interface has none.
    pub mac_address: String,
    /// `10.1.2.3/24`-style addresses.
    pub addresses: Vec<String>,
    pub kind: InterfaceKind,
    /// Negotiated speed; `None` when down or not reported.
    pub link_speed_mbps: Option<u32>,
    pub duplex: Duplex,
    pub driver: String,
    /// Present on Wi-Fi adapters when their capabilities could be read.
    pub wifi: Option<WifiCapabilities>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterfaceKind {
    #[default]
    Unknown,
    Wired,
    Wireless,
    /// Bridges, tunnels, VPN adapters, container links.
    Virtual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duplex {
    #[default]
    Unknown,
    Half,
    Full,
}

/// What a Wi-Fi adapter can do, which decides whether a PC is ready for the
/// site's new access points.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WifiCapabilities {
    /// "802.11n", "802.11ac", "802.11ax", "802.11be".
    pub standards: Vec<String>,
    /// "2.4GHz", "5GHz", "6GHz".
    pub bands: Vec<String>,
    pub wpa2_enterprise: bool,
    pub wpa3_enterprise: bool,
    pub driver_version: String,
    /// ISO 8601 date, empty when unknown.
    pub driver_date: String,
}

/// A physical disk (not a partition or a volume).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PhysicalDisk {
    pub name: String,
    pub model: String,
    pub serial_number: String,
    pub size_bytes: u64,
    pub kind: StorageKind,
    /// The disk the OS runs from.
    pub holds_os: bool,
    pub removable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Firmware {
    #[default]
    Unknown,
    Bios,
    Uefi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecureBoot {
    #[default]
    Unknown,
    On,
    Off,
    /// Legacy BIOS boot: Secure Boot cannot be on.
    Unsupported,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiskEncryption {
    #[default]
    Unknown,
    None,
    Bitlocker,
    Luks,
    Other,
}

/// The facts behind the hardening plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Security {
    pub tpm_present: bool,
    /// "2.0", "1.2"; empty without a TPM.
    pub tpm_version: String,
    pub firmware: Firmware,
    pub secure_boot: SecureBoot,
    pub system_disk_encryption: DiskEncryption,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Battery {
    pub name: String,
    pub design_capacity_mwh: u64,
    pub full_charge_capacity_mwh: u64,
}

impl Battery {
    /// Full-charge capacity as a share of design capacity, when both are known.
    pub fn health_percent(&self) -> Option<u32> {
        if self.design_capacity_mwh == 0 || self.full_charge_capacity_mwh == 0 {
            return None;
        }
        let percent = self.full_charge_capacity_mwh.saturating_mul(100) / self.design_capacity_mwh;
        Some(u32::try_from(percent.min(100)).unwrap_or(100))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceBus {
    #[default]
    Unknown,
    Usb,
    Bluetooth,
    Internal,
}

/// An audio device; what a softphone needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AudioDevice {
    pub name: String,
    pub bus: DeviceBus,
    pub capture: bool,
    pub playback: bool,
    /// A headset: a USB audio headset terminal or call-control (HID
    /// telephony) interface, or a Bluetooth hands-free device.
    pub headset: bool,
    /// USB vendor:product ("047f:c055"), empty elsewhere.
    pub usb_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Camera {
    pub name: String,
    pub bus: DeviceBus,
    pub usb_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Peripherals {
    pub audio: Vec<AudioDevice>,
    pub cameras: Vec<Camera>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Users {
    pub logged_in: Vec<String>,
    /// The last user to log in, where the OS records it.
    pub last_logged_in: String,
}

/// Where a package was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SoftwareSource {
    #[default]
    Unknown,
    Dpkg,
    Rpm,
    Flatpak,
    Snap,
    /// Windows "Programs and Features" (Uninstall keys), machine-wide.
    WindowsUninstall,
    /// The same, installed for one user only.
    WindowsUserUninstall,
    /// Appx/MSIX packages.
    Appx,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SoftwarePackage {
    pub name: String,
    pub version: String,
    pub publisher: String,
    /// ISO 8601 date, empty when unknown.
    pub install_date: String,
    pub source: SoftwareSource,
    pub architecture: String,
}

/// A device as the fleet list shows it: its identity plus the few facts
/// people scan for, taken from its latest inventory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: u64,
    pub hostname: String,
    pub machine_id: String,
    /// Seconds since the Unix epoch.
    pub enrolled_at: i64,
    /// Seconds since the Unix epoch; `None` until the first report.
    pub last_seen_at: Option<i64>,
    pub os_name: String,
    pub os_version: String,
    pub manufacturer: String,
    pub model: String,
    pub chassis: ChassisKind,
    pub cpu_model: String,
    pub cpu_cores: u32,
    pub ram_bytes: u64,
    pub system_storage: StorageKind,
    pub serial_number: String,
    pub revoked: bool,
}

impl DeviceSummary {
    /// Copies the listed facts from an inventory onto this summary.
    pub fn fill_from(&mut self, inventory: &Inventory) {
        self.hostname.clone_from(&inventory.hostname);
        if let Some(os) = &inventory.os {
            self.os_name.clone_from(&os.name);
            self.os_version.clone_from(&os.version);
        }
        if let Some(system) = &inventory.system {
            self.manufacturer.clone_from(&system.manufacturer);
            self.model.clone_from(&system.model);
            self.chassis = system.chassis;
            self.serial_number.clone_from(&system.serial_number);
        }
        if let Some(cpu) = &inventory.cpu {
            self.cpu_model.clone_from(&cpu.model);
            self.cpu_cores = cpu.physical_cores;
        }
        if let Some(memory) = &inventory.memory {
            self.ram_bytes = memory.total_bytes;
        }
        if let Some(volume) = inventory.system_volume() {
            self.system_storage = volume.kind;
        }
    }
}

/// A device with its latest inventory (`None` before its first report).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Device {
    pub summary: DeviceSummary,
    pub inventory: Option<Inventory>,
}

/// Calendar dates as days since 1970-01-01 (UTC), the proleptic Gregorian
/// calendar (Howard Hinnant's algorithms). Pure arithmetic, no clock.
pub mod civil {
    /// `(year, month, day)` of a day number.
    pub fn from_days(days: i64) -> (i64, u32, u32) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (yoe + era * 400 + i64::from(month <= 2), month, day)
    }

    /// The day number of a date; `None` when it is not a real date.
    pub fn to_days(year: i64, month: u32, day: u32) -> Option<i64> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(era * 146_097 + doe - 719_468)
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        match month {
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// `YYYY-MM-DD` of a day number.
    pub fn iso(days: i64) -> String {
        let (y, m, d) = from_days(days);
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// The day number of a `YYYY-MM-DD` date.
    pub fn parse_iso(text: &str) -> Option<i64> {
        let mut parts = text.splitn(3, '-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        to_days(year, month, day)
    }

    /// The calendar year of a Unix time.
    pub fn year_of_unix(unix: i64) -> i64 {
        from_days(unix.div_euclid(86_400)).0
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn dates_round_trip_and_bad_dates_are_refused() {
            assert_eq!(iso(0), "1970-01-01");
            assert_eq!(parse_iso("2024-02-29"), Some(19_782));
            assert_eq!(iso(19_782), "2024-02-29");
            for days in [-1000, 0, 1, 10_957, 19_782, 20_789, 60_000] {
                assert_eq!(parse_iso(&iso(days)), Some(days));
            }
            assert_eq!(parse_iso("2023-02-29"), None);
            assert_eq!(parse_iso("2024-13-01"), None);
            assert_eq!(parse_iso("garbage"), None);
            assert_eq!(parse_iso(""), None);
            assert_eq!(year_of_unix(1_796_200_000), 2026);
            assert_eq!(year_of_unix(1_704_067_199), 2023);
        }
    }
}

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
