//! Linux reads, all through the configurable root so that tests run against
//! fixture trees. Files are read with a size cap: a huge or binary file
//! yields an unknown section, never unbounded memory.

use super::parse::{machine_id_from_file, system_from_dmi, DmiStrings};
use super::SectionResult;
use parc_model::System;
use std::io::Read;
use std::path::Path;

/// Bigger than any sysfs attribute or machine-id file.
const MAX_SMALL_FILE: u64 = 64 * 1024;

fn read_small(root: &Path, relative: &str) -> std::io::Result<String> {
    let file = std::fs::File::open(root.join(relative))?;
    let mut bytes = Vec::new();
    file.take(MAX_SMALL_FILE).read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn machine_id(root: &Path) -> SectionResult<String> {
    for candidate in ["etc/machine-id", "var/lib/dbus/machine-id"] {
        if let Some(id) = read_small(root, candidate).ok().as_deref().and_then(machine_id_from_file) {
            return Ok(id);
        }
    }
    Err("no /etc/machine-id or /var/lib/dbus/machine-id".into())
}

pub fn system(root: &Path) -> SectionResult<System> {
    let dir = "sys/class/dmi/id";
    if !root.join(dir).is_dir() {
        return Err(format!("{} is missing (no DMI on this machine)", root.join(dir).display()));
    }
    // product_serial and product_uuid are readable by root only; without
    // them the section is still right, just less complete.
    let attr = |name: &str| read_small(root, &format!("{dir}/{name}")).unwrap_or_default();
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
