//! How results are printed: aligned tables for people, JSON and CSV for
//! scripts and spreadsheets. One flat row type per listing, so the CSV
//! columns and the JSON keys are the same names.

use parc_model::{human_bytes, DeviceSummary};
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Csv,
}

/// One device as a flat row (CSV and JSON).
#[derive(Debug, Serialize)]
pub struct DeviceRow<'a> {
    pub id: u64,
    pub hostname: &'a str,
    pub serial_number: &'a str,
    pub manufacturer: &'a str,
    pub model: &'a str,
    pub chassis: &'static str,
    pub os_name: &'a str,
    pub os_version: &'a str,
    pub cpu_model: &'a str,
    pub cpu_cores: u32,
    pub ram_bytes: u64,
    pub system_storage: &'static str,
    pub enrolled_at: String,
    pub last_seen_at: String,
    pub revoked: bool,
    /// Joined by commas (a label cannot hold one): one CSV column.
    pub labels: String,
}

impl<'a> DeviceRow<'a> {
    pub fn new(d: &'a DeviceSummary) -> Self {
        DeviceRow {
            id: d.id,
            hostname: &d.hostname,
            serial_number: &d.serial_number,
            manufacturer: &d.manufacturer,
            model: &d.model,
            chassis: d.chassis.label(),
            os_name: &d.os_name,
            os_version: &d.os_version,
            cpu_model: &d.cpu_model,
            cpu_cores: d.cpu_cores,
            ram_bytes: d.ram_bytes,
            system_storage: d.system_storage.label(),
            enrolled_at: rfc3339(d.enrolled_at),
            last_seen_at: d.last_seen_at.map(rfc3339).unwrap_or_default(),
            revoked: d.revoked,
            labels: d.labels.join(","),
        }
    }
}

/// `2026-12-02T17:55:00Z`; empty for 0.
pub fn rfc3339(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(secs) if secs > 0 => {
            humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
        }
        _ => String::new(),
    }
}

/// "3 min ago", "2 d ago", "never".
pub fn ago(unix: Option<i64>, now: i64) -> String {
    let Some(then) = unix else { return "never".into() };
    let secs = (now - then).max(0);
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} d ago", s / 86_400),
    }
}

pub fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// An aligned table without borders, as the other listings print.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(header.to_vec());
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for row in rows {
        table.add_row(row);
    }
    table.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

pub fn devices_table(devices: &[DeviceSummary], now: i64) -> String {
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["ID", "HOSTNAME", "MODEL", "TYPE", "OS", "CORES", "RAM", "DISK", "LAST SEEN"]);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    for d in devices {
        let os = format!("{} {}", d.os_name, d.os_version);
        table.add_row([
            d.id.to_string(),
            d.hostname.clone(),
            format!("{} {}", short_maker(&d.manufacturer), d.model).trim().to_string(),
            d.chassis.label().to_string(),
            os.trim().to_string(),
            d.cpu_cores.to_string(),
            if d.ram_bytes > 0 { human_bytes(d.ram_bytes) } else { String::new() },
            d.system_storage.label().to_string(),
            if d.revoked { "revoked".into() } else { ago(d.last_seen_at, now) },
        ]);
    }
    table.to_string().lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// "Dell Inc." → "Dell"; models already carry "HP" and "ThinkPad".
fn short_maker(manufacturer: &str) -> &str {
    match manufacturer {
        "Dell Inc." => "Dell",
        "HP" | "Hewlett-Packard" => "",
        "LENOVO" => "Lenovo",
        other => other,
    }
}

/// Flat rows as CSV text, a header from the field names.
pub fn csv_text<T: Serialize>(rows: &[T]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.serialize(row)?;
    }
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn devices_csv(devices: &[DeviceSummary]) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for d in devices {
        writer.serialize(DeviceRow::new(d))?;
    }
    if devices.is_empty() {
        // Keep the header so spreadsheets and scripts still see the columns.
        writer.write_record([
            "id",
            "hostname",
            "serial_number",
            "manufacturer",
            "model",
            "chassis",
            "os_name",
            "os_version",
            "cpu_model",
            "cpu_cores",
            "ram_bytes",
            "system_storage",
            "enrolled_at",
            "last_seen_at",
            "revoked",
            "labels",
        ])?;
    }
    Ok(String::from_utf8(writer.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parc_model::{ChassisKind, StorageKind};

    fn sample() -> DeviceSummary {
        DeviceSummary {
            id: 7,
            hostname: "METAMP-L0003".into(),
            manufacturer: "Dell Inc.".into(),
            model: "Latitude 5420".into(),
            chassis: ChassisKind::Laptop,
            os_name: "Windows".into(),
            os_version: "11 (23H2)".into(),
            cpu_cores: 4,
            ram_bytes: 16 * 1024 * 1024 * 1024,
            system_storage: StorageKind::Nvme,
            enrolled_at: 1_796_200_000,
            last_seen_at: Some(1_796_200_000),
            ..DeviceSummary::default()
        }
    }

    #[test]
    fn the_table_reads_like_a_fleet_list() {
        let table = devices_table(&[sample()], 1_796_200_000 + 180);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 2, "{table}");
        for column in ["ID", "HOSTNAME", "MODEL", "LAST SEEN"] {
            assert!(lines[0].contains(column), "{table}");
        }
        for cell in [
            "METAMP-L0003",
            "Dell Latitude 5420",
            "laptop",
            "Windows 11 (23H2)",
            "16.0 GiB",
            "NVMe",
            "3 min ago",
        ] {
            assert!(lines[1].contains(cell), "missing {cell:?} in {table}");
        }
    }

    #[test]
    fn csv_has_one_header_and_one_row_per_device() {
        let csv = devices_csv(&[sample(), sample()]).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("id,hostname,serial_number"));
        assert!(lines[1].starts_with("7,METAMP-L0003,"));
        assert!(lines[1].contains("2026-12-02T08:26:40Z"));
        assert_eq!(devices_csv(&[]).unwrap().lines().count(), 1);
    }

    #[test]
    fn ages_are_said_in_words() {
        assert_eq!(ago(None, 100), "never");
        assert_eq!(ago(Some(100), 130), "just now");
        assert_eq!(ago(Some(0), 2 * 86_400 + 5), "2 d ago");
    }
}
