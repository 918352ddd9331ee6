//! Sections read through sysinfo, the same on Linux and Windows.

use super::parse::sanitize;
use super::SectionResult;
use parc_model::{Cpu, Memory, NetworkInterface, OperatingSystem, StorageKind, Volume};
use sysinfo::{CpuRefreshKind, DiskKind, Disks, MemoryRefreshKind, Networks, RefreshKind, System};

pub fn hostname() -> String {
    System::host_name().map(|h| sanitize(&h)).unwrap_or_default()
}

#[cfg_attr(target_os = "linux", allow(dead_code))] // Linux reads these through the root
pub fn os() -> SectionResult<OperatingSystem> {
    let name = System::name().ok_or("the OS did not say its name")?;
    Ok(OperatingSystem {
        name: sanitize(&name),
        version: sanitize(&System::os_version().unwrap_or_default()),
        build: sanitize(&build_number().unwrap_or_default()),
        kernel: sanitize(&System::kernel_version().unwrap_or_default()),
        architecture: sanitize(&System::cpu_arch()),
        last_boot: i64::try_from(System::boot_time()).unwrap_or(0),
        ..OperatingSystem::default()
    })
}

#[cfg(windows)]
fn build_number() -> Option<String> {
    // sysinfo's kernel version on Windows is the build number ("22631").
    System::kernel_version()
}

#[cfg(not(windows))]
#[cfg_attr(target_os = "linux", allow(dead_code))]
fn build_number() -> Option<String> {
    None
}

#[cfg_attr(target_os = "linux", allow(dead_code))] // Linux reads these through the root
pub fn cpu() -> SectionResult<Cpu> {
    let system = System::new_with_specifics(
        RefreshKind::nothing().with_cpu(CpuRefreshKind::nothing().with_frequency()),
    );
    let cpus = system.cpus();
    let first = cpus.first().ok_or("no CPU listed by the OS")?;
    let logical = u32::try_from(cpus.len()).unwrap_or(u32::MAX);
    Ok(Cpu {
        model: sanitize(first.brand()),
        vendor: sanitize(first.vendor_id()),
        physical_cores: System::physical_core_count().and_then(|n| u32::try_from(n).ok()).unwrap_or(logical),
        logical_threads: logical,
        frequency_mhz: u32::try_from(first.frequency()).unwrap_or(0),
        ..Cpu::default()
    })
}

#[cfg_attr(target_os = "linux", allow(dead_code))] // Linux reads these through the root
pub fn memory() -> SectionResult<Memory> {
    let system = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    match system.total_memory() {
        0 => Err("the OS reported 0 bytes of RAM".into()),
        total_bytes => Ok(Memory { total_bytes, modules: vec![] }),
    }
}

pub fn volumes() -> SectionResult<Vec<Volume>> {
    let disks = Disks::new_with_refreshed_list();
    let system_mount = system_mount_point();
    let mut volumes: Vec<Volume> = disks
        .list()
        .iter()
        .take(parc_proto::limits::MAX_VOLUMES)
        .map(|disk| {
            let name = sanitize(&disk.name().to_string_lossy());
            let mount_point = sanitize(&disk.mount_point().to_string_lossy());
            Volume {
                kind: match disk.kind() {
                    DiskKind::SSD if name.contains("nvme") => StorageKind::Nvme,
                    DiskKind::SSD => StorageKind::Ssd,
                    DiskKind::HDD => StorageKind::Hdd,
                    _ => StorageKind::Unknown,
                },
                is_system: mount_point.eq_ignore_ascii_case(&system_mount),
                file_system: sanitize(&disk.file_system().to_string_lossy()),
                total_bytes: disk.total_space(),
                available_bytes: disk.available_space(),
                removable: disk.is_removable(),
                name,
                mount_point,
            }
        })
        .collect();
    volumes.sort_by(|a, b| a.mount_point.cmp(&b.mount_point));
    Ok(volumes)
}

#[cfg(windows)]
fn system_mount_point() -> String {
    let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
    format!("{drive}\\")
}

#[cfg(not(windows))]
fn system_mount_point() -> String {
    "/".into()
}

#[cfg_attr(any(target_os = "linux", windows), allow(dead_code))] // used on other OSes only
pub fn network_interfaces() -> SectionResult<Vec<NetworkInterface>> {
    let networks = Networks::new_with_refreshed_list();
    let mut interfaces: Vec<NetworkInterface> = networks
        .list()
        .iter()
        .filter(|(name, _)| name.as_str() != "lo")
        .take(parc_proto::limits::MAX_NETWORK_INTERFACES)
        .map(|(name, data)| {
            let mac = data.mac_address();
            NetworkInterface {
                name: sanitize(name),
                mac_address: if mac.is_unspecified() { String::new() } else { mac.to_string() },
                addresses: addresses_of(data),
                ..NetworkInterface::default()
            }
        })
        .collect();
    interfaces.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(interfaces)
}

fn addresses_of(data: &sysinfo::NetworkData) -> Vec<String> {
    data.ip_networks()
        .iter()
        .filter(|net| !net.addr.is_loopback())
        .take(parc_proto::limits::MAX_ADDRESSES_PER_INTERFACE)
        .map(|net| format!("{}/{}", net.addr, net.prefix))
        .collect()
}

/// Each interface's addresses, from the kernel (getifaddrs).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn addresses_by_interface() -> std::collections::HashMap<String, Vec<String>> {
    Networks::new_with_refreshed_list()
        .list()
        .iter()
        .map(|(name, data)| (name.clone(), addresses_of(data)))
        .collect()
}
