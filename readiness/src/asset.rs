//! What the asset register knows and agents cannot: asset tag, purchase
//! date, warranty, who the PC is for. Joined to devices on the serial
//! number, never guessed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Asset {
    /// The join key with the serial number agents report.
    pub serial_number: String,
    pub asset_tag: String,
    /// Days since 1970-01-01.
    pub purchase_day: Option<i64>,
    pub warranty_end_day: Option<i64>,
    pub assigned_user: String,
    pub department: String,
    /// `None` when the register does not say.
    pub teleworker: Option<bool>,
}

/// How the rows of an assets import meet the fleet.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssetMatch {
    /// Serials held by exactly one live device.
    pub matched: u64,
    /// Serials no device reports (yet): kept, joined when the PC enrolls.
    pub unknown_serials: Vec<String>,
    /// Serials several live devices report: not applied to any of them
    /// until a person settles it (`parc devices --duplicates`).
    pub conflicts: Vec<(String, Vec<u64>)>,
}

/// Normalises a serial number for the join: case and surrounding spaces
/// differ between a supplier's spreadsheet and the firmware.
pub fn serial_key(serial: &str) -> String {
    serial.trim().to_ascii_uppercase()
}
