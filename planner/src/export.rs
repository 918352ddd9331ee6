//! The wave list technicians and suppliers work from: one row per device,
//! the same columns in CSV, XLSX and JSON.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaveRow {
    pub wave: u32,
    pub planned_date: String,
    pub site_code: String,
    pub site_name: String,
    pub site_address: String,
    pub technician_group: String,
    pub asset_tag: String,
    pub hostname: String,
    pub serial_number: String,
    pub manufacturer: String,
    pub model: String,
    pub age_years: String,
    pub assigned_user: String,
    pub department: String,
    pub teleworker: String,
    pub windows11: String,
    pub wifi: String,
    pub softphone: String,
    /// The fibre readiness state (site link, fibre, wired or Wi-Fi).
    pub site_fibre: String,
    /// The site's fibre status and WAN link: "planned:2027-03-01 (adsl)".
    pub site_link: String,
    pub replacement_class: String,
    pub score: u32,
    pub reason: String,
    pub status: String,
    pub device_id: u64,
}

/// Column headers, in the order of [`WaveRow::cells`].
pub const COLUMNS: [&str; 25] = [
    "wave",
    "planned_date",
    "site_code",
    "site_name",
    "site_address",
    "technician_group",
    "asset_tag",
    "hostname",
    "serial_number",
    "manufacturer",
    "model",
    "age_years",
    "assigned_user",
    "department",
    "teleworker",
    "windows11",
    "wifi",
    "softphone",
    "site_fibre",
    "site_link",
    "replacement_class",
    "score",
    "reason",
    "status",
    "device_id",
];

impl WaveRow {
    pub fn cells(&self) -> [String; 25] {
        [
            self.wave.to_string(),
            self.planned_date.clone(),
            self.site_code.clone(),
            self.site_name.clone(),
            self.site_address.clone(),
            self.technician_group.clone(),
            self.asset_tag.clone(),
            self.hostname.clone(),
            self.serial_number.clone(),
            self.manufacturer.clone(),
            self.model.clone(),
            self.age_years.clone(),
            self.assigned_user.clone(),
            self.department.clone(),
            self.teleworker.clone(),
            self.windows11.clone(),
            self.wifi.clone(),
            self.softphone.clone(),
            self.site_fibre.clone(),
            self.site_link.clone(),
            self.replacement_class.clone(),
            self.score.to_string(),
            self.reason.clone(),
            self.status.clone(),
            self.device_id.to_string(),
        ]
    }
}
