//! One PC's inventory, section by section.

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
    /// Labels from the agent's configuration (the MSI's TAGS).
    #[serde(default)]
    pub labels: Vec<String>,
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
    /// Keeps what `previous` knew of each section this report could not
    /// read, so a collector's hiccup never erases data: the section stays
    /// listed in `unknown_sections` (with today's reason), its content is
    /// the last one read.
    pub fn carry_forward_unknown(&mut self, previous: &Inventory) {
        for unknown in &self.unknown_sections {
            match unknown.section {
                Section::System if self.system.is_none() => self.system.clone_from(&previous.system),
                Section::Os if self.os.is_none() => self.os.clone_from(&previous.os),
                Section::Cpu if self.cpu.is_none() => self.cpu.clone_from(&previous.cpu),
                Section::Memory if self.memory.is_none() => self.memory.clone_from(&previous.memory),
                Section::Volumes if self.volumes.is_none() => self.volumes.clone_from(&previous.volumes),
                Section::NetworkInterfaces if self.network_interfaces.is_none() => {
                    self.network_interfaces.clone_from(&previous.network_interfaces)
                }
                Section::Disks if self.disks.is_none() => self.disks.clone_from(&previous.disks),
                Section::Security if self.security.is_none() => self.security.clone_from(&previous.security),
                Section::Batteries if self.batteries.is_none() => {
                    self.batteries.clone_from(&previous.batteries)
                }
                Section::Peripherals if self.peripherals.is_none() => {
                    self.peripherals.clone_from(&previous.peripherals)
                }
                Section::Users if self.users.is_none() => self.users.clone_from(&previous.users),
                Section::Software if self.software.is_none() => self.software.clone_from(&previous.software),
                _ => {}
            }
        }
    }

    /// Drops a section's content: what a delta report leaves out, or a
    /// section that was never read.
    pub fn forget(&mut self, section: Section) {
        match section {
            Section::System => self.system = None,
            Section::Os => self.os = None,
            Section::Cpu => self.cpu = None,
            Section::Memory => self.memory = None,
            Section::Volumes => self.volumes = None,
            Section::NetworkInterfaces => self.network_interfaces = None,
            Section::Disks => self.disks = None,
            Section::Security => self.security = None,
            Section::Batteries => self.batteries = None,
            Section::Peripherals => self.peripherals = None,
            Section::Users => self.users = None,
            Section::Software => self.software = None,
        }
    }

    /// Whether the section has content.
    pub fn has(&self, section: Section) -> bool {
        match section {
            Section::System => self.system.is_some(),
            Section::Os => self.os.is_some(),
            Section::Cpu => self.cpu.is_some(),
            Section::Memory => self.memory.is_some(),
            Section::Volumes => self.volumes.is_some(),
            Section::NetworkInterfaces => self.network_interfaces.is_some(),
            Section::Disks => self.disks.is_some(),
            Section::Security => self.security.is_some(),
            Section::Batteries => self.batteries.is_some(),
            Section::Peripherals => self.peripherals.is_some(),
            Section::Users => self.users.is_some(),
            Section::Software => self.software.is_some(),
        }
    }

    /// Whether the agent said it could not read the section.
    pub fn is_unknown(&self, section: Section) -> bool {
        self.unknown_sections.iter().any(|u| u.section == section)
    }

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
