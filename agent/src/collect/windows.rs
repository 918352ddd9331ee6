//! Windows reads: the registry, never localised command output.

use super::parse::{machine_id_from_file, system_from_dmi, DmiStrings};
use super::SectionResult;
use parc_model::System;
use std::path::Path;
use winreg::enums::{HKEY_LOCAL_MACHINE, KEY_READ, KEY_WOW64_64KEY};
use winreg::RegKey;

fn hklm_key(path: &str) -> std::io::Result<RegKey> {
    RegKey::predef(HKEY_LOCAL_MACHINE).open_subkey_with_flags(path, KEY_READ | KEY_WOW64_64KEY)
}

pub fn machine_id(_root: &Path) -> SectionResult<String> {
    let key = hklm_key(r"SOFTWARE\Microsoft\Cryptography").map_err(|e| format!("Cryptography key: {e}"))?;
    let guid: String = key.get_value("MachineGuid").map_err(|e| format!("MachineGuid: {e}"))?;
    machine_id_from_file(&guid).ok_or_else(|| format!("MachineGuid {guid:?} is not an identifier"))
}

/// The firmware strings Windows copies into the registry at boot.
pub fn system(_root: &Path) -> SectionResult<System> {
    let key = hklm_key(r"HARDWARE\DESCRIPTION\System\BIOS").map_err(|e| format!("BIOS key: {e}"))?;
    let value = |name: &str| key.get_value::<String, _>(name).unwrap_or_default();
    let dmi = DmiStrings {
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
    Ok(system_from_dmi(&dmi))
}
