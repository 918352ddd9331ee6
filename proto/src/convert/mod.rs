//! Conversions between `parc.v1` messages and `parc-model` domain types.
//!
//! Domain → wire never fails. Wire → domain validates against
//! [`crate::limits`] and fails with a [`WireError`] naming the field path
//! (`inventory.volumes[2].mount_point`), so a bad report is rejected whole
//! and nothing of it is stored.

mod device;
mod inventory;
pub mod readiness;
mod software;
#[cfg(test)]
mod tests;
pub mod waves;

pub use device::{
    device_from_wire, device_summary_from_wire, device_summary_to_wire, device_to_wire,
    history_entry_from_wire, history_entry_to_wire,
};
pub use inventory::{
    inventory_from_wire, inventory_to_wire, inventory_to_wire_without_software, report_from_wire,
};
pub use software::{report_inventory_to_wire, NameCoding, PackageRef, SoftwareColumns};

use crate::limits::*;
use crate::pb;
use parc_model as m;

/// Why a message from the wire was refused; `field` is the path in the
/// message, as a client developer would write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct WireError {
    pub field: String,
    pub problem: String,
}

impl WireError {
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        WireError { field: field.into(), problem: problem.into() }
    }
}

impl From<WireError> for tonic::Status {
    fn from(error: WireError) -> Self {
        tonic::Status::invalid_argument(error.to_string())
    }
}

fn text(value: String, field: impl FnOnce() -> String, max: usize) -> Result<String, WireError> {
    if value.len() > max {
        return Err(WireError::new(field(), format!("{} bytes, more than the limit of {max}", value.len())));
    }
    Ok(value)
}

fn count<T>(items: Vec<T>, field: &str, max: usize) -> Result<Vec<T>, WireError> {
    if items.len() > max {
        return Err(WireError::new(field, format!("{} entries, more than the limit of {max}", items.len())));
    }
    Ok(items)
}

/// Checks an identity string: present and within its limit.
pub fn required_text(value: String, field: &str, max: usize) -> Result<String, WireError> {
    if value.trim().is_empty() {
        return Err(WireError::new(field, "must not be empty"));
    }
    text(value, || field.to_string(), max)
}

// ---- enums ---------------------------------------------------------------

/// Maps a domain enum to its wire enum and back. Values this build does not
/// know (sent by a newer peer) read as the domain's Unknown.
macro_rules! enum_mapping {
    ($to:ident, $from:ident, $m:ty, $p:ty, $m_unknown:ident => $p_unknown:ident, [$($mv:ident => $pv:ident),* $(,)?]) => {
        fn $to(value: $m) -> i32 {
            (match value {
                <$m>::$m_unknown => <$p>::$p_unknown,
                $(<$m>::$mv => <$p>::$pv,)*
            }) as i32
        }
        fn $from(value: i32) -> $m {
            match <$p>::try_from(value).unwrap_or(<$p>::$p_unknown) {
                <$p>::$p_unknown => <$m>::$m_unknown,
                $(<$p>::$pv => <$m>::$mv,)*
            }
        }
    };
}

enum_mapping!(chassis_to_wire, chassis_from_wire, m::ChassisKind, pb::ChassisKind, Unknown => Unspecified, [
    Desktop => Desktop, Laptop => Laptop, AllInOne => AllInOne, Tablet => Tablet, Server => Server,
    VirtualMachine => VirtualMachine, Other => Other,
]);
enum_mapping!(storage_to_wire, storage_from_wire, m::StorageKind, pb::StorageKind, Unknown => Unspecified, [
    Hdd => Hdd, Ssd => Ssd, Nvme => Nvme,
]);
enum_mapping!(interface_to_wire, interface_from_wire, m::InterfaceKind, pb::InterfaceKind, Unknown => Unspecified, [
    Wired => Wired, Wireless => Wireless, Virtual => Virtual,
]);
enum_mapping!(duplex_to_wire, duplex_from_wire, m::Duplex, pb::Duplex, Unknown => Unspecified, [
    Half => Half, Full => Full,
]);
enum_mapping!(firmware_to_wire, firmware_from_wire, m::Firmware, pb::Firmware, Unknown => Unspecified, [
    Bios => Bios, Uefi => Uefi,
]);
enum_mapping!(secure_boot_to_wire, secure_boot_from_wire, m::SecureBoot, pb::SecureBoot, Unknown => Unspecified, [
    On => On, Off => Off, Unsupported => Unsupported,
]);
enum_mapping!(encryption_to_wire, encryption_from_wire, m::DiskEncryption, pb::DiskEncryption, Unknown => Unspecified, [
    None => None, Bitlocker => Bitlocker, Luks => Luks, Other => Other,
]);
enum_mapping!(bus_to_wire, bus_from_wire, m::DeviceBus, pb::DeviceBus, Unknown => Unspecified, [
    Usb => Usb, Bluetooth => Bluetooth, Internal => Internal,
]);
enum_mapping!(source_to_wire, source_from_wire, m::SoftwareSource, pb::SoftwareSource, Unknown => Unspecified, [
    Dpkg => Dpkg, Rpm => Rpm, Flatpak => Flatpak, Snap => Snap, WindowsUninstall => WindowsUninstall,
    WindowsUserUninstall => WindowsUserUninstall, Appx => Appx,
]);

/// Checks strings against their limits while converting, building the
/// field path only when something is wrong.
struct Checker {
    prefix: String,
}

impl Checker {
    fn at(prefix: impl Into<String>) -> Checker {
        Checker { prefix: prefix.into() }
    }

    fn s(&self, value: String, field: &str) -> Result<String, WireError> {
        text(value, || format!("{}.{field}", self.prefix), MAX_STRING_LEN)
    }

    fn list(&self, values: Vec<String>, field: &str, max: usize) -> Result<Vec<String>, WireError> {
        count(values, &format!("{}.{field}", self.prefix), max)?
            .into_iter()
            .enumerate()
            .map(|(i, v)| text(v, || format!("{}.{field}[{i}]", self.prefix), MAX_STRING_LEN))
            .collect()
    }
}

/// Converts each element of a repeated field with its indexed path.
fn each<W, D>(
    items: Vec<W>,
    field: &str,
    max: usize,
    convert: impl Fn(W, Checker) -> Result<D, WireError>,
) -> Result<Vec<D>, WireError> {
    count(items, field, max)?
        .into_iter()
        .enumerate()
        .map(|(i, item)| convert(item, Checker::at(format!("{field}[{i}]"))))
        .collect()
}
