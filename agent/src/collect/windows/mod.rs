//! Windows reads: the registry, WMI (`wmi.rs`) and the network APIs
//! (`net.rs`), never the localised text output of commands; sysinfo for the
//! CPU name, RAM and volumes.

use super::common;
use super::SectionResult;
use crate::collect::parse::{machine_id_from_file, sanitize, system_from_dmi, DmiStrings, WindowsRelease};
use crate::collect::windows_data;
use ::wmi::WMIConnection;
use parc_model::{SoftwarePackage, SoftwareSource, System};
use serde::Deserialize;
use std::path::Path;
use winreg::enums::{HKEY_LOCAL_MACHINE, HKEY_USERS, KEY_READ, KEY_WOW64_32KEY, KEY_WOW64_64KEY};
use winreg::RegKey;

mod net;
mod wmi;

pub use net::network_interfaces;
pub use wmi::{batteries, disks, memory, peripherals, security, system, users};

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
    os.version = crate::collect::parse::windows_version(&release);
    if !release.build.is_empty() {
        os.build = release.build.clone();
    }
    os.edition = text("EditionID");
    os.install_date = key.get_value::<u32, _>("InstallDate").map(i64::from).unwrap_or(0);
    os.last_security_update = wmi::last_hotfix().unwrap_or(0);
    Ok(os)
}

pub fn cpu(_root: &Path) -> SectionResult<parc_model::Cpu> {
    let mut cpu = common::cpu()?;
    (cpu.family, cpu.model_number, cpu.stepping, cpu.flags) = crate::collect::cpuid::read();
    Ok(cpu)
}

pub fn volumes(_root: &Path) -> SectionResult<Vec<parc_model::Volume>> {
    common::volumes()
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
    Ok(crate::collect::parse::dedup_software(packages))
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
            install_date: crate::collect::parse::iso_date_from_yyyymmdd(&text("InstallDate"))
                .unwrap_or_default(),
            source,
            architecture: architecture.to_string(),
        });
    }
}
