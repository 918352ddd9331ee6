//! Sections read through WMI (and a few registry values next to them).

use super::*;

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
                kind: crate::collect::parse::smbios_memory_type(m.smbios_memory_type.unwrap_or(0))
                    .to_string(),
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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QuickFix {
    installed_on: Option<String>,
}

/// When the newest update (hotfix) was installed, as a Unix time (midnight
/// UTC of that day): Windows records the day only.
pub(super) fn last_hotfix() -> Option<i64> {
    let connection = wmi_connection(r"ROOT\CIMV2").ok()?;
    let fixes: Vec<QuickFix> =
        wmi_query(&connection, "SELECT InstalledOn FROM Win32_QuickFixEngineering").ok()?;
    fixes
        .iter()
        .filter_map(|f| windows_data::hotfix_day(f.installed_on.as_deref()?))
        .max()
        .map(|day| day * 86_400)
}
