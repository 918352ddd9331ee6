//! Windows reads: the registry (never localised command output), and
//! sysinfo for what it reads through the Win32 API.

use super::common;
use super::parse::{machine_id_from_file, sanitize, system_from_dmi, DmiStrings, WindowsRelease};
use super::windows_data;
use super::SectionResult;
use parc_model::{SoftwarePackage, SoftwareSource, System};
use serde::Deserialize;
use std::path::Path;
use winreg::enums::{HKEY_LOCAL_MACHINE, HKEY_USERS, KEY_READ, KEY_WOW64_32KEY, KEY_WOW64_64KEY};
use winreg::RegKey;
use wmi::WMIConnection;

fn hklm_key(path: &str, view: u32) -> std::io::Result<RegKey> {
    RegKey::predef(HKEY_LOCAL_MACHINE).open_subkey_with_flags(path, KEY_READ | view)
}

pub fn hostname(_root: &Path) -> String {
    common::hostname()
}

pub fn machine_id(_root: &Path) -> SectionResult<String> {
    let key = hklm_key(r"SOFTWARE\Microsoft\Cryptography", KEY_WOW64_64KEY)
        .map_err(|e| format!("Cryptography key: {e}"))?;
    let guid: String = key.get_value("MachineGuid").map_err(|e| format!("MachineGuid: {e}"))?;
    machine_id_from_file(&guid).ok_or_else(|| format!("MachineGuid {guid:?} is not an identifier"))
}

pub fn os(_root: &Path) -> SectionResult<parc_model::OperatingSystem> {
    let mut os = common::os()?;
    let key = hklm_key(r"SOFTWARE\Microsoft\Windows NT\CurrentVersion", KEY_WOW64_64KEY)
        .map_err(|e| format!("CurrentVersion key: {e}"))?;
    let text = |name: &str| sanitize(&key.get_value::<String, _>(name).unwrap_or_default());
    let release = WindowsRelease {
        major: key.get_value::<u32, _>("CurrentMajorVersionNumber").ok(),
        current_version: text("CurrentVersion"),
        build: text("CurrentBuildNumber"),
        display_version: text("DisplayVersion"),
        service_pack: text("CSDVersion"),
    };
    os.name = "Windows".into();
    os.version = super::parse::windows_version(&release);
    if !release.build.is_empty() {
        os.build = release.build.clone();
    }
    os.edition = text("EditionID");
    os.install_date = key.get_value::<u32, _>("InstallDate").map(i64::from).unwrap_or(0);
    os.last_security_update = last_hotfix().unwrap_or(0);
    Ok(os)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QuickFix {
    installed_on: Option<String>,
}

/// When the newest update (hotfix) was installed, as a Unix time (midnight
/// UTC of that day): Windows records the day only.
fn last_hotfix() -> Option<i64> {
    let connection = wmi_connection(r"ROOT\CIMV2").ok()?;
    let fixes: Vec<QuickFix> =
        wmi_query(&connection, "SELECT InstalledOn FROM Win32_QuickFixEngineering").ok()?;
    fixes
        .iter()
        .filter_map(|f| windows_data::hotfix_day(f.installed_on.as_deref()?))
        .max()
        .map(|day| day * 86_400)
}

pub fn cpu(_root: &Path) -> SectionResult<parc_model::Cpu> {
    let mut cpu = common::cpu()?;
    (cpu.family, cpu.model_number, cpu.stepping, cpu.flags) = super::cpuid::read();
    Ok(cpu)
}

pub fn volumes(_root: &Path) -> SectionResult<Vec<parc_model::Volume>> {
    common::volumes()
}

/// Adapters from GetAdaptersAddresses (name, MAC, kind, negotiated speed,
/// driver, addresses) and, for Wi-Fi, the Native Wifi API and the driver's
/// registry entry. Loopback and tunnel pseudo-interfaces are left out.
pub fn network_interfaces(_root: &Path) -> SectionResult<Vec<parc_model::NetworkInterface>> {
    let adapters = adapters()?;
    let radios = wlan::radios();
    Ok(adapters
        .into_iter()
        .filter(|a| a.if_type != 24 && a.if_type != 131)
        .map(|adapter| {
            let wifi = radios.get(&adapter.guid.to_ascii_lowercase()).cloned().map(|mut caps| {
                (caps.driver_version, caps.driver_date) = driver_of(&adapter.guid);
                caps
            });
            parc_model::NetworkInterface {
                name: sanitize(&adapter.name),
                mac_address: adapter.mac,
                addresses: adapter.addresses,
                kind: windows_data::interface_kind(adapter.if_type),
                link_speed_mbps: (adapter.up && adapter.speed_bps > 0 && adapter.speed_bps != u64::MAX)
                    .then(|| u32::try_from(adapter.speed_bps / 1_000_000).unwrap_or(u32::MAX)),
                duplex: parc_model::Duplex::Unknown,
                driver: sanitize(&adapter.description),
                wifi,
            }
        })
        .collect())
}

struct Adapter {
    guid: String,
    name: String,
    addresses: Vec<String>,
    mac: String,
    description: String,
    if_type: u32,
    speed_bps: u64,
    up: bool,
}

fn wide(pointer: *const u16) -> String {
    if pointer.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated UTF-16 string from the OS, read up to its NUL.
    unsafe {
        let mut length = 0;
        while *pointer.add(length) != 0 && length < 4096 {
            length += 1;
        }
        String::from_utf16_lossy(std::slice::from_raw_parts(pointer, length))
    }
}

/// `10.1.2.3` or `fe80::1` from a SOCKADDR (AF_INET = 2, AF_INET6 = 23).
fn socket_address(pointer: *const u8, length: i32) -> Option<std::net::IpAddr> {
    if pointer.is_null() || length < 8 {
        return None;
    }
    // SAFETY: the OS says `length` bytes are readable at `pointer`.
    let bytes = unsafe { std::slice::from_raw_parts(pointer, length as usize) };
    match u16::from_ne_bytes([bytes[0], bytes[1]]) {
        2 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes.get(4..8)?).ok()?)),
        23 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(bytes.get(8..24)?).ok()?)),
        _ => None,
    }
}

fn adapters() -> SectionResult<Vec<Adapter>> {
    use windows_sys::Win32::NetworkManagement::IpHelper::{GetAdaptersAddresses, IP_ADAPTER_ADDRESSES_LH};
    let mut size: u32 = 32 * 1024;
    for _ in 0..3 {
        let mut buffer = vec![0u64; (size as usize).div_ceil(8)];
        let first = buffer.as_mut_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
        // SAFETY: the buffer is 8-byte aligned and `size` bytes long.
        let status = unsafe { GetAdaptersAddresses(0, 0, std::ptr::null(), first, &mut size) };
        if status == 111 {
            continue; // ERROR_BUFFER_OVERFLOW: `size` now says how much
        }
        if status != 0 {
            return Err(format!("GetAdaptersAddresses failed with status {status}"));
        }
        let mut found = Vec::new();
        let mut current = first as *const IP_ADAPTER_ADDRESSES_LH;
        while !current.is_null() && found.len() < parc_proto::limits::MAX_NETWORK_INTERFACES {
            // SAFETY: a node of the list the OS wrote into our buffer.
            let adapter = unsafe { &*current };
            let mac_length = (adapter.PhysicalAddressLength as usize).min(8);
            let guid = if adapter.AdapterName.is_null() {
                String::new()
            } else {
                // SAFETY: AdapterName is a NUL-terminated ANSI string.
                unsafe { std::ffi::CStr::from_ptr(adapter.AdapterName.cast()) }.to_string_lossy().into_owned()
            };
            let mut addresses = Vec::new();
            let mut unicast = adapter.FirstUnicastAddress
                as *const windows_sys::Win32::NetworkManagement::IpHelper::IP_ADAPTER_UNICAST_ADDRESS_LH;
            while !unicast.is_null() && addresses.len() < parc_proto::limits::MAX_ADDRESSES_PER_INTERFACE {
                // SAFETY: a node of the address list inside our buffer.
                let entry = unsafe { &*unicast };
                if let Some(ip) =
                    socket_address(entry.Address.lpSockaddr.cast(), entry.Address.iSockaddrLength)
                {
                    if !ip.is_loopback() {
                        addresses.push(format!("{ip}/{}", entry.OnLinkPrefixLength));
                    }
                }
                unicast = entry.Next;
            }
            found.push(Adapter {
                guid,
                name: wide(adapter.FriendlyName),
                addresses,
                mac: if mac_length == 6 {
                    adapter.PhysicalAddress[..6]
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                } else {
                    String::new()
                },
                description: wide(adapter.Description),
                if_type: adapter.IfType,
                speed_bps: adapter.TransmitLinkSpeed,
                up: adapter.OperStatus == 1,
            });
            current = adapter.Next;
        }
        return Ok(found);
    }
    Err("GetAdaptersAddresses kept asking for a larger buffer".into())
}

/// DriverVersion and DriverDate of a network adapter, from its entry in the
/// network class key whose NetCfgInstanceId is the adapter's GUID.
fn driver_of(guid: &str) -> (String, String) {
    const NET_CLASS: &str = r"SYSTEM\CurrentControlSet\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}";
    let Ok(class) = hklm_key(NET_CLASS, KEY_WOW64_64KEY) else { return Default::default() };
    for name in class.enum_keys().filter_map(Result::ok) {
        let Ok(entry) = class.open_subkey_with_flags(&name, KEY_READ) else { continue };
        let instance: String = entry.get_value("NetCfgInstanceId").unwrap_or_default();
        if instance.eq_ignore_ascii_case(guid) {
            let version: String = entry.get_value("DriverVersion").unwrap_or_default();
            let date: String = entry.get_value("DriverDate").unwrap_or_default();
            return (sanitize(&version), windows_data::date_from_driver_date(&date).unwrap_or_default());
        }
    }
    Default::default()
}

/// The Native Wifi API: what each wireless radio can do.
mod wlan {
    use super::windows_data::wifi_from_windows;
    use parc_model::WifiCapabilities;
    use std::collections::HashMap;
    use windows_sys::Win32::Foundation::HANDLE;
    use windows_sys::Win32::NetworkManagement::WiFi::{
        wlan_intf_opcode_supported_infrastructure_auth_cipher_pairs, WlanCloseHandle, WlanEnumInterfaces,
        WlanFreeMemory, WlanGetInterfaceCapability, WlanOpenHandle, WlanQueryInterface,
        DOT11_AUTH_CIPHER_PAIR, DOT11_AUTH_CIPHER_PAIR_LIST, WLAN_INTERFACE_CAPABILITY, WLAN_INTERFACE_INFO,
        WLAN_INTERFACE_INFO_LIST,
    };

    /// Radios by adapter GUID ("{…}", lower case); empty when the WLAN
    /// service is not running (desktops without Wi-Fi, Wine).
    pub fn radios() -> HashMap<String, WifiCapabilities> {
        let mut found = HashMap::new();
        let mut version = 0u32;
        let mut handle: HANDLE = std::ptr::null_mut();
        // SAFETY: out-pointers to locals; the handle is closed below.
        if unsafe { WlanOpenHandle(2, std::ptr::null(), &mut version, &mut handle) } != 0 {
            return found;
        }
        let mut list: *mut WLAN_INTERFACE_INFO_LIST = std::ptr::null_mut();
        // SAFETY: valid handle; the list is freed with WlanFreeMemory.
        if unsafe { WlanEnumInterfaces(handle, std::ptr::null(), &mut list) } == 0 && !list.is_null() {
            // SAFETY: the OS wrote dwNumberOfItems entries from InterfaceInfo on.
            let interfaces: &[WLAN_INTERFACE_INFO] = unsafe {
                std::slice::from_raw_parts(
                    (*list).InterfaceInfo.as_ptr(),
                    ((*list).dwNumberOfItems as usize).min(64),
                )
            };
            for interface in interfaces {
                let guid = &interface.InterfaceGuid;
                let key = format!(
                    "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
                    guid.data1,
                    guid.data2,
                    guid.data3,
                    guid.data4[0],
                    guid.data4[1],
                    guid.data4[2],
                    guid.data4[3],
                    guid.data4[4],
                    guid.data4[5],
                    guid.data4[6],
                    guid.data4[7]
                );
                found.insert(key, query(handle, guid));
            }
            // SAFETY: allocated by WlanEnumInterfaces.
            unsafe { WlanFreeMemory(list.cast()) };
        }
        // SAFETY: opened above.
        unsafe { WlanCloseHandle(handle, std::ptr::null()) };
        found
    }

    fn query(handle: HANDLE, guid: &windows_sys::core::GUID) -> WifiCapabilities {
        let mut phys = Vec::new();
        let mut capability: *mut WLAN_INTERFACE_CAPABILITY = std::ptr::null_mut();
        // SAFETY: valid handle and GUID; freed with WlanFreeMemory.
        if unsafe { WlanGetInterfaceCapability(handle, guid, std::ptr::null(), &mut capability) } == 0
            && !capability.is_null()
        {
            // SAFETY: the structure the OS returned.
            let capability = unsafe { &*capability };
            let count = (capability.dwNumberOfSupportedPhys as usize).min(capability.dot11PhyTypes.len());
            phys.extend_from_slice(&capability.dot11PhyTypes[..count]);
            // SAFETY: allocated by WlanGetInterfaceCapability.
            unsafe { WlanFreeMemory((capability as *const WLAN_INTERFACE_CAPABILITY).cast()) };
        }
        let mut algorithms = Vec::new();
        let mut size = 0u32;
        let mut data: *mut core::ffi::c_void = std::ptr::null_mut();
        // SAFETY: as above; the opcode returns a DOT11_AUTH_CIPHER_PAIR_LIST.
        let status = unsafe {
            WlanQueryInterface(
                handle,
                guid,
                wlan_intf_opcode_supported_infrastructure_auth_cipher_pairs,
                std::ptr::null(),
                &mut size,
                &mut data,
                std::ptr::null_mut(),
            )
        };
        if status == 0 && !data.is_null() {
            let list = data.cast::<DOT11_AUTH_CIPHER_PAIR_LIST>();
            // SAFETY: uNumOfEntries pairs follow, within the `size` bytes returned.
            unsafe {
                let header = std::mem::size_of::<DOT11_AUTH_CIPHER_PAIR_LIST>()
                    - std::mem::size_of::<DOT11_AUTH_CIPHER_PAIR>();
                let fits =
                    (size as usize).saturating_sub(header) / std::mem::size_of::<DOT11_AUTH_CIPHER_PAIR>();
                let count = ((*list).uNumOfEntries as usize).min(fits).min(256);
                let pairs = std::slice::from_raw_parts((*list).AuthCipherPairs.as_ptr(), count);
                algorithms.extend(pairs.iter().map(|p| p.AuthAlgoId));
                WlanFreeMemory(data);
            }
        }
        wifi_from_windows(&phys, &algorithms)
    }
}

fn wmi_connection(namespace: &str) -> SectionResult<WMIConnection> {
    WMIConnection::with_namespace_path(namespace).map_err(|e| format!("WMI {namespace}: {e}"))
}

fn wmi_query<T: serde::de::DeserializeOwned>(
    connection: &WMIConnection,
    query: &str,
) -> SectionResult<Vec<T>> {
    connection.raw_query(query).map_err(|e| format!("WMI {query:?}: {e}"))
}

/// A uint64 property: Windows' WMI sends them as strings, Wine's as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum WmiU64 {
    Number(u64),
    Text(String),
}

fn number(value: &Option<WmiU64>) -> u64 {
    match value {
        Some(WmiU64::Number(n)) => *n,
        Some(WmiU64::Text(text)) => text.trim().parse().unwrap_or(0),
        None => 0,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ComputerSystemProduct {
    identifying_number: Option<String>,
    #[serde(rename = "UUID")]
    uuid: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SystemEnclosure {
    chassis_types: Option<Vec<u16>>,
}

/// The firmware strings Windows copies into the registry at boot, plus the
/// serial number, SMBIOS UUID and chassis type from WMI when it answers.
pub fn system(_root: &Path) -> SectionResult<System> {
    let key = hklm_key(r"HARDWARE\DESCRIPTION\System\BIOS", KEY_WOW64_64KEY)
        .map_err(|e| format!("BIOS key: {e}"))?;
    let value = |name: &str| key.get_value::<String, _>(name).unwrap_or_default();
    let mut dmi = DmiStrings {
        sys_vendor: value("SystemManufacturer"),
        product_name: value("SystemProductName"),
        product_version: value("SystemVersion"),
        board_vendor: value("BaseBoardManufacturer"),
        board_name: value("BaseBoardProduct"),
        bios_vendor: value("BIOSVendor"),
        bios_version: value("BIOSVersion"),
        bios_date: value("BIOSReleaseDate"),
        ..DmiStrings::default()
    };
    if let Ok(connection) = wmi_connection(r"ROOT\CIMV2") {
        if let Ok(products) = wmi_query::<ComputerSystemProduct>(
            &connection,
            "SELECT IdentifyingNumber, UUID FROM Win32_ComputerSystemProduct",
        ) {
            if let Some(product) = products.into_iter().next() {
                dmi.product_serial = product.identifying_number.unwrap_or_default();
                dmi.product_uuid = product.uuid.unwrap_or_default();
            }
        }
        if let Ok(enclosures) =
            wmi_query::<SystemEnclosure>(&connection, "SELECT ChassisTypes FROM Win32_SystemEnclosure")
        {
            dmi.chassis_type =
                enclosures.into_iter().find_map(|e| e.chassis_types?.first().copied()).map(u32::from);
        }
    }
    Ok(system_from_dmi(&dmi))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PhysicalMemory {
    device_locator: Option<String>,
    capacity: Option<WmiU64>,
    #[serde(rename = "SMBIOSMemoryType")]
    smbios_memory_type: Option<u32>,
    speed: Option<u32>,
}

pub fn memory(_root: &Path) -> SectionResult<parc_model::Memory> {
    let mut memory = common::memory()?;
    if let Ok(connection) = wmi_connection(r"ROOT\CIMV2") {
        let modules: Vec<PhysicalMemory> = match wmi_query(
            &connection,
            "SELECT DeviceLocator, Capacity, SMBIOSMemoryType, Speed FROM Win32_PhysicalMemory",
        ) {
            Ok(modules) => modules,
            Err(reason) => {
                tracing::warn!(%reason, "memory modules not read");
                Vec::new()
            }
        };
        memory.modules = modules
            .iter()
            .take(parc_proto::limits::MAX_MEMORY_MODULES)
            .map(|m| parc_model::MemoryModule {
                slot: sanitize(m.device_locator.as_deref().unwrap_or("")),
                size_bytes: number(&m.capacity),
                kind: super::parse::smbios_memory_type(m.smbios_memory_type.unwrap_or(0)).to_string(),
                speed_mts: m.speed.unwrap_or(0),
            })
            .collect();
    }
    Ok(memory)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DiskDrive {
    index: Option<u32>,
    model: Option<String>,
    serial_number: Option<String>,
    size: Option<WmiU64>,
    media_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StorageDisk {
    device_id: Option<String>,
    media_type: Option<u16>,
    bus_type: Option<u16>,
}

pub fn disks(_root: &Path) -> SectionResult<Vec<parc_model::PhysicalDisk>> {
    let connection = wmi_connection(r"ROOT\CIMV2")?;
    let drives: Vec<DiskDrive> =
        wmi_query(&connection, "SELECT Index, Model, SerialNumber, Size, MediaType FROM Win32_DiskDrive")?;
    // Kind (HDD/SSD/NVMe) comes from the Storage namespace, absent before Windows 8.
    let kinds: Vec<StorageDisk> = wmi_connection(r"ROOT\Microsoft\Windows\Storage")
        .and_then(|storage| wmi_query(&storage, "SELECT DeviceId, MediaType, BusType FROM MSFT_PhysicalDisk"))
        .unwrap_or_default();
    let system_disk = system_disk_index(&connection);
    Ok(drives
        .into_iter()
        .take(parc_proto::limits::MAX_DISKS)
        .map(|d| {
            let index = d.index.unwrap_or(u32::MAX);
            let kind = kinds
                .iter()
                .find(|k| k.device_id.as_deref() == Some(index.to_string().as_str()))
                .map(|k| windows_data::disk_kind(k.bus_type, k.media_type))
                .unwrap_or_default();
            parc_model::PhysicalDisk {
                name: format!("PHYSICALDRIVE{index}"),
                model: sanitize(d.model.as_deref().unwrap_or("")),
                serial_number: sanitize(d.serial_number.as_deref().unwrap_or("")),
                size_bytes: number(&d.size),
                kind,
                holds_os: system_disk == Some(index),
                removable: d
                    .media_type
                    .as_deref()
                    .is_some_and(|m| m.to_ascii_lowercase().contains("removable")),
            }
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DiskPartition {
    disk_index: Option<u32>,
}

/// The disk holding the system drive: Win32_LogicalDisk → partition → disk.
fn system_disk_index(connection: &WMIConnection) -> Option<u32> {
    let drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
    let query = format!(
        "ASSOCIATORS OF {{Win32_LogicalDisk.DeviceID='{drive}'}} WHERE AssocClass = Win32_LogicalDiskToPartition"
    );
    wmi_query::<DiskPartition>(connection, &query).ok()?.into_iter().find_map(|p| p.disk_index)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Tpm {
    spec_version: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EncryptableVolume {
    drive_letter: Option<String>,
    protection_status: Option<u32>,
}

pub fn security(_root: &Path) -> SectionResult<parc_model::Security> {
    let control = hklm_key(r"SYSTEM\CurrentControlSet\Control", KEY_WOW64_64KEY)
        .map_err(|e| format!("Control key: {e}"))?;
    let firmware = match control.get_value::<u32, _>("PEFirmwareType") {
        Ok(2) => parc_model::Firmware::Uefi,
        Ok(1) => parc_model::Firmware::Bios,
        _ => parc_model::Firmware::Unknown,
    };
    let secure_boot = match firmware {
        parc_model::Firmware::Bios => parc_model::SecureBoot::Unsupported,
        _ => match hklm_key(r"SYSTEM\CurrentControlSet\Control\SecureBoot\State", KEY_WOW64_64KEY)
            .and_then(|k| k.get_value::<u32, _>("UEFISecureBootEnabled"))
        {
            Ok(1) => parc_model::SecureBoot::On,
            Ok(0) => parc_model::SecureBoot::Off,
            _ => parc_model::SecureBoot::Unknown,
        },
    };
    // Without an answer about the TPM the section would claim "no TPM": say unknown instead.
    let tpm_connection = wmi_connection(r"ROOT\CIMV2\Security\MicrosoftTpm")?;
    let tpms: Vec<Tpm> = wmi_query(&tpm_connection, "SELECT SpecVersion FROM Win32_Tpm")?;
    let tpm_version = tpms
        .first()
        .and_then(|t| t.spec_version.as_deref())
        .map(windows_data::tpm_version)
        .unwrap_or_default();
    let system_drive = std::env::var("SystemDrive").unwrap_or_else(|_| "C:".into());
    let system_disk_encryption = wmi_connection(r"ROOT\CIMV2\Security\MicrosoftVolumeEncryption")
        .and_then(|c| {
            wmi_query::<EncryptableVolume>(
                &c,
                "SELECT DriveLetter, ProtectionStatus FROM Win32_EncryptableVolume",
            )
        })
        .ok()
        .and_then(|volumes| {
            volumes.into_iter().find(|v| v.drive_letter.as_deref() == Some(system_drive.as_str()))
        })
        .map(|v| match v.protection_status {
            Some(1) => parc_model::DiskEncryption::Bitlocker,
            Some(0) => parc_model::DiskEncryption::None,
            _ => parc_model::DiskEncryption::Unknown,
        })
        .unwrap_or_default();
    Ok(parc_model::Security {
        tpm_present: !tpms.is_empty(),
        tpm_version,
        firmware,
        secure_boot,
        system_disk_encryption,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatteryStatic {
    instance_name: Option<String>,
    designed_capacity: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatteryFull {
    instance_name: Option<String>,
    full_charged_capacity: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Win32Battery {
    name: Option<String>,
}

pub fn batteries(_root: &Path) -> SectionResult<Vec<parc_model::Battery>> {
    let connection = wmi_connection(r"ROOT\CIMV2")?;
    let present: Vec<Win32Battery> = wmi_query(&connection, "SELECT Name FROM Win32_Battery")?;
    if present.is_empty() {
        return Ok(Vec::new());
    }
    // Capacities (mWh) are in root\WMI, keyed by instance name.
    let acpi = wmi_connection(r"ROOT\WMI").ok();
    let designed: Vec<BatteryStatic> = acpi
        .as_ref()
        .and_then(|c| wmi_query(c, "SELECT InstanceName, DesignedCapacity FROM BatteryStaticData").ok())
        .unwrap_or_default();
    let full: Vec<BatteryFull> = acpi
        .as_ref()
        .and_then(|c| {
            wmi_query(c, "SELECT InstanceName, FullChargedCapacity FROM BatteryFullChargedCapacity").ok()
        })
        .unwrap_or_default();
    Ok(present
        .iter()
        .enumerate()
        .take(parc_proto::limits::MAX_BATTERIES)
        .map(|(i, battery)| {
            let design = designed.get(i);
            let instance = design.and_then(|d| d.instance_name.clone());
            let full_charge = full
                .iter()
                .find(|f| f.instance_name == instance)
                .or(full.get(i))
                .and_then(|f| f.full_charged_capacity);
            parc_model::Battery {
                name: sanitize(battery.name.as_deref().unwrap_or("Battery")),
                design_capacity_mwh: u64::from(design.and_then(|d| d.designed_capacity).unwrap_or(0)),
                full_charge_capacity_mwh: u64::from(full_charge.unwrap_or(0)),
            }
        })
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PnpDevice {
    name: Option<String>,
    #[serde(rename = "PNPDeviceID")]
    pnp_device_id: Option<String>,
}

pub fn peripherals(_root: &Path) -> SectionResult<parc_model::Peripherals> {
    use parc_model::{AudioDevice, Camera, DeviceBus};
    let connection = wmi_connection(r"ROOT\CIMV2")?;
    let sound: Vec<PnpDevice> = wmi_query(&connection, "SELECT Name, PNPDeviceID FROM Win32_SoundDevice")?;
    let cameras: Vec<PnpDevice> = wmi_query(
        &connection,
        "SELECT Name, PNPDeviceID FROM Win32_PnPEntity WHERE PNPClass = 'Camera' OR PNPClass = 'Image'",
    )
    .unwrap_or_default();
    let bus = |pnp: &str| {
        let upper = pnp.to_ascii_uppercase();
        if upper.starts_with("USB") {
            DeviceBus::Usb
        } else if upper.starts_with("BTH") {
            DeviceBus::Bluetooth
        } else {
            DeviceBus::Internal
        }
    };
    Ok(parc_model::Peripherals {
        audio: sound
            .iter()
            .take(parc_proto::limits::MAX_PERIPHERALS)
            .map(|d| {
                let name = sanitize(d.name.as_deref().unwrap_or(""));
                let pnp = d.pnp_device_id.as_deref().unwrap_or("");
                let usb_id = windows_data::usb_id_from_pnp(pnp);
                AudioDevice {
                    headset: windows_data::is_headset(&name, usb_id.as_deref())
                        || pnp.to_ascii_uppercase().starts_with("BTHHFENUM"),
                    // A sound device with endpoints both ways; Windows lists
                    // endpoints separately, the device is what is plugged in.
                    capture: true,
                    playback: true,
                    bus: bus(pnp),
                    usb_id: usb_id.unwrap_or_default(),
                    name,
                }
            })
            .collect(),
        cameras: cameras
            .iter()
            .take(parc_proto::limits::MAX_PERIPHERALS)
            .map(|d| {
                let pnp = d.pnp_device_id.as_deref().unwrap_or("");
                Camera {
                    name: sanitize(d.name.as_deref().unwrap_or("")),
                    bus: bus(pnp),
                    usb_id: windows_data::usb_id_from_pnp(pnp).unwrap_or_default(),
                }
            })
            .collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ComputerSystem {
    user_name: Option<String>,
}

/// The console user (Win32_ComputerSystem) and the last one to log on
/// (LogonUI's LastLoggedOnUser).
pub fn users(_root: &Path) -> SectionResult<parc_model::Users> {
    let connection = wmi_connection(r"ROOT\CIMV2")?;
    let systems: Vec<ComputerSystem> = wmi_query(&connection, "SELECT UserName FROM Win32_ComputerSystem")?;
    let logged_in: Vec<String> = systems
        .into_iter()
        .filter_map(|s| s.user_name)
        .map(|u| sanitize(&u))
        .filter(|u| !u.is_empty())
        .collect();
    let last_logged_in =
        hklm_key(r"SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\LogonUI", KEY_WOW64_64KEY)
            .and_then(|k| k.get_value::<String, _>("LastLoggedOnUser"))
            .map(|u| sanitize(&u))
            .unwrap_or_else(|_| logged_in.first().cloned().unwrap_or_default());
    Ok(parc_model::Users { logged_in, last_logged_in })
}

const UNINSTALL: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

/// "Programs and Features": the 64- and 32-bit machine-wide Uninstall keys
/// and each loaded user's own.
pub fn software(_root: &Path) -> SectionResult<Vec<SoftwarePackage>> {
    let mut packages = Vec::new();
    let mut opened = 0;
    for (view, architecture) in [(KEY_WOW64_64KEY, "x64"), (KEY_WOW64_32KEY, "x86")] {
        if let Ok(key) = hklm_key(UNINSTALL, view) {
            opened += 1;
            read_uninstall(&key, SoftwareSource::WindowsUninstall, architecture, &mut packages);
        }
    }
    if let Ok(users) = RegKey::predef(HKEY_USERS).open_subkey_with_flags("", KEY_READ) {
        for sid in users
            .enum_keys()
            .filter_map(Result::ok)
            .filter(|s| s.starts_with("S-1-5-21-") && !s.ends_with("_Classes"))
        {
            if let Ok(key) = users.open_subkey_with_flags(format!(r"{sid}\{UNINSTALL}"), KEY_READ) {
                read_uninstall(&key, SoftwareSource::WindowsUserUninstall, "", &mut packages);
            }
        }
    }
    if opened == 0 {
        return Err("cannot open the Uninstall registry keys".into());
    }
    read_appx(&mut packages);
    Ok(super::parse::dedup_software(packages))
}

/// Appx/MSIX packages: provisioned for all users, and each loaded user's.
fn read_appx(out: &mut Vec<SoftwarePackage>) {
    const ALL_USERS: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Appx\AppxAllUserStore\Applications";
    const PER_USER: &str = r"Software\Classes\Local Settings\Software\Microsoft\Windows\CurrentVersion\AppModel\Repository\Packages";
    let mut names: Vec<String> = Vec::new();
    if let Ok(key) = hklm_key(ALL_USERS, KEY_WOW64_64KEY) {
        names.extend(key.enum_keys().filter_map(Result::ok));
    }
    if let Ok(users) = RegKey::predef(HKEY_USERS).open_subkey_with_flags("", KEY_READ) {
        for sid in users
            .enum_keys()
            .filter_map(Result::ok)
            .filter(|s| s.starts_with("S-1-5-21-") && !s.ends_with("_Classes"))
        {
            if let Ok(key) = users.open_subkey_with_flags(format!(r"{sid}\{PER_USER}"), KEY_READ) {
                names.extend(key.enum_keys().filter_map(Result::ok));
            }
        }
    }
    for full_name in names.iter().take(parc_proto::limits::MAX_SOFTWARE) {
        if let Some((name, version, architecture)) = windows_data::appx_full_name(full_name) {
            out.push(SoftwarePackage {
                name: sanitize(&name),
                version: sanitize(&version),
                publisher: String::new(),
                install_date: String::new(),
                source: SoftwareSource::Appx,
                architecture: sanitize(&architecture),
            });
        }
    }
}

fn read_uninstall(key: &RegKey, source: SoftwareSource, architecture: &str, out: &mut Vec<SoftwarePackage>) {
    for name in key.enum_keys().filter_map(Result::ok) {
        let Ok(entry) = key.open_subkey_with_flags(&name, KEY_READ) else { continue };
        let text = |value: &str| entry.get_value::<String, _>(value).unwrap_or_default();
        let system_component = entry.get_value::<u32, _>("SystemComponent").unwrap_or(0) == 1;
        let display_name = text("DisplayName");
        if display_name.trim().is_empty() || system_component || !text("ParentKeyName").is_empty() {
            continue; // updates and components, not programs a person installed
        }
        out.push(SoftwarePackage {
            name: sanitize(&display_name),
            version: sanitize(&text("DisplayVersion")),
            publisher: sanitize(&text("Publisher")),
            install_date: super::parse::iso_date_from_yyyymmdd(&text("InstallDate")).unwrap_or_default(),
            source,
            architecture: architecture.to_string(),
        });
    }
}
