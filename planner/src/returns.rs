//! Technicians' returns: the spreadsheet they fill in on site, one row per
//! device with its new status. Read all or nothing, like every import.

use crate::rollout::Status;
use parc_readiness::import::{ImportError, Table};

pub const RETURN_COLUMNS: &[(&str, bool)] = &[
    ("device", false),
    ("hostname", false),
    ("serial_number", false),
    ("asset_tag", false),
    ("status", true),
    ("reason", false),
    ("wave", false),
    ("date", false),
    ("technician", false),
];

/// How a row names its device; the server looks it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceRef {
    /// A device id or a hostname.
    Device(String),
    Hostname(String),
    Serial(String),
    AssetTag(String),
}

impl DeviceRef {
    /// The column it came from, for error messages.
    pub fn column(&self) -> &'static str {
        match self {
            DeviceRef::Device(_) => "device",
            DeviceRef::Hostname(_) => "hostname",
            DeviceRef::Serial(_) => "serial_number",
            DeviceRef::AssetTag(_) => "asset_tag",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            DeviceRef::Device(t) | DeviceRef::Hostname(t) | DeviceRef::Serial(t) | DeviceRef::AssetTag(t) => {
                t
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnRow {
    pub line: u64,
    pub device: DeviceRef,
    pub status: Status,
    pub reason: String,
    pub wave: Option<u32>,
    /// When the work was done, as a day number; `None`: the import's day.
    pub day: Option<i64>,
    pub technician: String,
}

pub fn parse_returns(file: &str, bytes: &[u8]) -> Result<Vec<ReturnRow>, ImportError> {
    let table = Table::read(file, bytes, RETURN_COLUMNS)?;
    let mut rows = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let device = [
            ("device", DeviceRef::Device as fn(String) -> DeviceRef),
            ("hostname", DeviceRef::Hostname),
            ("serial_number", DeviceRef::Serial),
            ("asset_tag", DeviceRef::AssetTag),
        ]
        .into_iter()
        .find_map(|(column, make)| match row.text(column) {
            Ok(text) if !text.is_empty() => Some(Ok(make(text.to_string()))),
            Ok(_) => None,
            Err(error) => Some(Err(error)),
        })
        .transpose()?
        .ok_or_else(|| {
            row.error("device", "no device: fill in device, hostname, serial_number or asset_tag".into())
        })?;
        let status_text = row.text("status")?;
        let status = Status::parse(status_text).ok_or_else(|| {
            let names: Vec<_> = Status::ALL.iter().map(|s| s.name()).collect();
            row.error("status", format!("'{status_text}' is not one of {}", names.join(", ")))
        })?;
        let wave = match row.text("wave")? {
            "" => None,
            text => Some(
                text.parse::<u32>()
                    .ok()
                    .filter(|w| *w > 0)
                    .ok_or_else(|| row.error("wave", format!("'{text}' is not a wave number")))?,
            ),
        };
        rows.push(ReturnRow {
            line: row.line,
            device,
            status,
            reason: row.text("reason")?.to_string(),
            wave,
            day: row.date("date")?,
            technician: row.text("technician")?.to_string(),
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_french_returns_sheet_reads() {
        let text = "\u{feff}N° série;Statut;Motif;Vague;Date;Technicien\n\
                    PF1ABC;livré;;;12/01/2027;M. Roux\n\
                    PF2DEF;reporté;agent en congé;5;;M. Roux\n";
        // French headers are not columns: the error says which are.
        let error = parse_returns("retours.csv", text.as_bytes()).expect_err("french headers");
        assert!(error.to_string().contains("known columns: device, hostname"), "{error}");
        let text = "serial_number;status;reason;wave;date;technician\n\
                    PF1ABC;livré;;;12/01/2027;M. Roux\n\
                    PF2DEF;reporté;agent en congé;5;;M. Roux\n";
        let rows = parse_returns("retours.csv", text.as_bytes()).expect("rows");
        assert_eq!(rows[0].device, DeviceRef::Serial("PF1ABC".into()));
        assert_eq!(rows[0].status, Status::Delivered);
        assert_eq!(rows[0].day, parc_model::civil::parse_iso("2027-01-12"));
        assert_eq!((rows[1].status, rows[1].wave, rows[1].line), (Status::Postponed, Some(5), 3));
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let cases = [
            (
                "hostname,status\nPC-1,perdu\n",
                "returns.csv line 2, column status: 'perdu' is not one of planned",
            ),
            ("hostname,status,wave\nPC-1,postponed,next\n", "returns.csv line 2, column wave: 'next' is not"),
            ("hostname,status\n,done\n", "returns.csv line 2, column device: no device"),
            ("hostname\nPC-1\n", "returns.csv: header: the required column 'status' is missing"),
        ];
        for (text, expected) in cases {
            let error = parse_returns("returns.csv", text.as_bytes()).expect_err(text).to_string();
            assert!(error.starts_with(expected), "{error}");
        }
    }
}
