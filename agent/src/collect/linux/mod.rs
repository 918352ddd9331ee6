//! Linux reads, all through the configurable root (`/` on a real machine, a
//! fixture tree in tests). Files are read with a size cap, so a huge or
//! binary file gives an unknown section or sanitised strings, never
//! unbounded memory. Parsing is in the pure submodules, tested on fixtures.

mod blocks;
mod bundles;
mod cpu;
mod dpkg;
mod net;
mod os;
mod power;
mod rpm;
mod rpm_bdb;
mod security;
mod smbios;
mod sound;
mod users;
mod wifi;

use super::parse::{machine_id_from_file, sanitize, system_from_dmi, DmiStrings};
use super::SectionResult;
use parc_model::{
    Battery, Cpu, Memory, NetworkInterface, OperatingSystem, PhysicalDisk, Security, SoftwarePackage, System,
    Users, Volume,
};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Bigger than any sysfs attribute, machine-id or os-release file.
const MAX_SMALL_FILE: u64 = 64 * 1024;
/// Bigger than the dpkg status file of a workstation with every package
/// Debian has (about 60 MB); a larger file is refused, not read.
pub const MAX_PACKAGE_DB: u64 = 256 * 1024 * 1024;

/// A file-system root and bounded reads below it.
#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
}

impl Root {
    pub fn new(base: &Path) -> Root {
        Root { base: base.to_path_buf() }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.base.join(relative.trim_start_matches('/'))
    }

    /// Whether this is the live system (addresses and volumes come from the
    /// kernel, not from files).
    pub fn is_live(&self) -> bool {
        self.base == Path::new("/")
    }

    pub fn exists(&self, relative: &str) -> bool {
        self.path(relative).exists()
    }

    /// Reads at most `limit` bytes; `None` when the file is larger.
    pub fn read_capped(&self, relative: &str, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
        let file = std::fs::File::open(self.path(relative))?;
        // sysfs files say 4096 whatever they hold: only trust a larger size.
        if file.metadata()?.len() > limit.max(4096) {
            return Ok(None);
        }
        let mut bytes = Vec::new();
        file.take(limit + 1).read_to_end(&mut bytes)?;
        Ok((bytes.len() as u64 <= limit).then_some(bytes))
    }

    /// A small text file, lossily decoded; empty on any error.
    pub fn text(&self, relative: &str) -> String {
        self.try_text(relative).unwrap_or_default()
    }

    pub fn try_text(&self, relative: &str) -> std::io::Result<String> {
        let file = std::fs::File::open(self.path(relative))?;
        let mut bytes = Vec::new();
        file.take(MAX_SMALL_FILE).read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Names in a directory, sorted; empty when it is missing.
    pub fn list(&self, relative: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(relative))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|name| !name.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.truncate(4096);
        names
    }

    /// The last component of a symlink's target ("e1000e" for a driver link).
    pub fn link_name(&self, relative: &str) -> String {
        std::fs::read_link(self.path(relative))
            .ok()
            .and_then(|target| target.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default()
    }
}

pub fn hostname(root: &Path) -> String {
    let name = sanitize(&Root::new(root).text("proc/sys/kernel/hostname"));
    if name.is_empty() {
        super::common::hostname()
    } else {
        name
    }
}

pub fn machine_id(root: &Path) -> SectionResult<String> {
    let root = Root::new(root);
    for candidate in ["etc/machine-id", "var/lib/dbus/machine-id"] {
        if let Some(id) = machine_id_from_file(&root.text(candidate)) {
            return Ok(id);
        }
    }
    Err("no /etc/machine-id or /var/lib/dbus/machine-id".into())
}

pub fn system(root: &Path) -> SectionResult<System> {
    let root = Root::new(root);
    let dir = "sys/class/dmi/id";
    if !root.exists(dir) {
        return Err(format!("{} is missing (no DMI on this machine)", root.path(dir).display()));
    }
    // product_serial and product_uuid are readable by root only; without
    // them the section is still right, just less complete.
    let attr = |name: &str| root.text(&format!("{dir}/{name}"));
    let dmi = DmiStrings {
        sys_vendor: attr("sys_vendor"),
        product_name: attr("product_name"),
        product_version: attr("product_version"),
        product_serial: attr("product_serial"),
        product_uuid: attr("product_uuid"),
        board_vendor: attr("board_vendor"),
        board_name: attr("board_name"),
        chassis_type: attr("chassis_type").trim().parse().ok(),
        bios_vendor: attr("bios_vendor"),
        bios_version: attr("bios_version"),
        bios_date: attr("bios_date"),
    };
    Ok(system_from_dmi(&dmi))
}

pub fn os(root: &Path) -> SectionResult<OperatingSystem> {
    os::read(&Root::new(root))
}

pub fn cpu(root: &Path) -> SectionResult<Cpu> {
    let root = Root::new(root);
    let text = root.try_text("proc/cpuinfo").map_err(|e| format!("/proc/cpuinfo: {e}"))?;
    let mut cpu = cpu::parse_cpuinfo(&text)?;
    if let Ok(khz) = root.text("sys/devices/system/cpu/cpu0/cpufreq/base_frequency").trim().parse::<u64>() {
        cpu.frequency_mhz = u32::try_from(khz / 1000).unwrap_or(cpu.frequency_mhz);
    }
    Ok(cpu)
}

pub fn memory(root: &Path) -> SectionResult<Memory> {
    let text = Root::new(root).try_text("proc/meminfo").map_err(|e| format!("/proc/meminfo: {e}"))?;
    let total_kib = text
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .ok_or("/proc/meminfo has no MemTotal line")?;
    Ok(Memory { total_bytes: total_kib * 1024, modules: smbios::memory_modules(&Root::new(root)) })
}

pub fn volumes(root: &Path) -> SectionResult<Vec<Volume>> {
    if Root::new(root).is_live() {
        super::common::volumes()
    } else {
        Err("volumes are read from the live system only".into())
    }
}

pub fn network_interfaces(root: &Path) -> SectionResult<Vec<NetworkInterface>> {
    let root = Root::new(root);
    let mut interfaces = net::read(&root);
    if root.is_live() {
        let addresses = super::common::addresses_by_interface();
        let radios = if interfaces.iter().any(|i| i.kind == parc_model::InterfaceKind::Wireless) {
            wifi::read_phys().unwrap_or_else(|reason| {
                tracing::warn!(%reason, "Wi-Fi capabilities not read");
                Default::default()
            })
        } else {
            Default::default()
        };
        for interface in &mut interfaces {
            if let Some(found) = addresses.get(&interface.name) {
                interface.addresses.clone_from(found);
            }
            let phy = root.text(&format!("sys/class/net/{}/phy80211/name", interface.name));
            interface.wifi = radios.get(phy.trim()).cloned();
        }
    }
    Ok(interfaces)
}

pub fn disks(root: &Path) -> SectionResult<Vec<PhysicalDisk>> {
    blocks::disks(&Root::new(root))
}

pub fn security(root: &Path) -> SectionResult<Security> {
    let root = Root::new(root);
    let mut security = security::firmware_and_tpm(&root);
    security.system_disk_encryption = blocks::system_disk_encryption(&root);
    Ok(security)
}

pub fn batteries(root: &Path) -> SectionResult<Vec<Battery>> {
    Ok(power::batteries(&Root::new(root)))
}

pub fn peripherals(root: &Path) -> SectionResult<parc_model::Peripherals> {
    sound::read(&Root::new(root))
}

pub fn users(root: &Path) -> SectionResult<Users> {
    users::read(&Root::new(root))
}

pub fn software(root: &Path) -> SectionResult<Vec<SoftwarePackage>> {
    let root = Root::new(root);
    let status = "var/lib/dpkg/status";
    let mut packages = Vec::new();
    let mut databases = 0;
    if root.exists(status) {
        let bytes = root
            .read_capped(status, MAX_PACKAGE_DB)
            .map_err(|e| format!("/{status}: {e}"))?
            .ok_or_else(|| format!("/{status} is larger than {} MiB; not read", MAX_PACKAGE_DB >> 20))?;
        let mut listed = dpkg::parse_status(&String::from_utf8_lossy(&bytes));
        listed.truncate(parc_proto::limits::MAX_SOFTWARE);
        dpkg::install_dates(&root, &mut listed);
        packages.extend(listed);
        databases += 1;
    } else if root.exists("var/lib/rpm") {
        // Without the main package list the section would look complete
        // and be wrong: an unreadable rpm database makes it unknown.
        let mut listed = rpm::packages(&root)?;
        listed.truncate(parc_proto::limits::MAX_SOFTWARE);
        packages.extend(listed);
        databases += 1;
    }
    if root.exists("var/lib/flatpak/app") {
        packages.extend(bundles::flatpaks(&root));
        databases += 1;
    }
    if root.exists("snap") || root.exists("var/lib/snapd") {
        packages.extend(bundles::snaps(&root));
        databases += 1;
    }
    if databases == 0 {
        return Err("no package database found (dpkg, flatpak, snap)".into());
    }
    packages.truncate(parc_proto::limits::MAX_SOFTWARE);
    Ok(packages)
}
