//! Reading the whole fleet in one pass, for the rules that look at every
//! device (readiness): each live device's summary and the inventory
//! sections asked for, decoded one device at a time so memory stays flat.

use super::codes::{section_code, section_from_code};
use super::read::{decode_sections, summary_from_row};
use super::{Storage, StorageError, SUMMARY_COLUMNS};
use parc_model::{DeviceSummary, Inventory, Section, UnknownSection};
use std::collections::HashMap;

/// One device as a fleet scan sees it.
pub struct ScannedDevice<'a> {
    pub summary: &'a DeviceSummary,
    /// The sections asked for (the others are `None`), with the unknown
    /// sections and their reasons.
    pub inventory: &'a Inventory,
    /// Whether the device's software list is stored (its names come from
    /// [`Storage::software_names_containing`]).
    pub has_software: bool,
}

impl Storage {
    /// Calls `visit` for every live device, in id order, with the listed
    /// sections of its inventory. Devices that never reported come with an
    /// empty inventory.
    pub fn scan_devices(
        &self,
        sections: &[Section],
        mut visit: impl FnMut(ScannedDevice<'_>),
    ) -> Result<(), StorageError> {
        let wanted: Vec<i64> = sections.iter().map(|s| section_code(*s)).collect();
        self.read(|db| {
            let mut summaries = db.prepare(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM devices WHERE revoked_at IS NULL ORDER BY id"
            ))?;
            let mut summaries = summaries.query_map([], summary_from_row)?;
            let mut rows = db.prepare(&section_rows(&wanted, "ORDER BY device_id, section"))?;
            let mut rows = rows.query([])?;
            let mut pending = rows.next()?.map(section_row).transpose()?;
            for summary in summaries.by_ref() {
                let summary = summary?;
                let mut own = Vec::new();
                while let Some(row) = pending.take() {
                    if row.device_id < summary.id {
                        pending = rows.next()?.map(section_row).transpose()?;
                        continue;
                    }
                    if row.device_id > summary.id {
                        pending = Some(row);
                        break;
                    }
                    own.push(row);
                    pending = rows.next()?.map(section_row).transpose()?;
                }
                let (inventory, has_software) = assemble(&summary, own, &wanted)?;
                visit(ScannedDevice { summary: &summary, inventory: &inventory, has_software });
            }
            Ok(())
        })
    }

    /// Calls `visit` for each of `ids` that is a live device, in the order
    /// given, as [`scan_devices`](Self::scan_devices) would see it: for the
    /// readers that follow another order (a wave list in plan order) a chunk
    /// at a time, without holding the reader for the whole fleet.
    pub fn read_devices(
        &self,
        ids: &[u64],
        sections: &[Section],
        mut visit: impl FnMut(ScannedDevice<'_>),
    ) -> Result<(), StorageError> {
        let wanted: Vec<i64> = sections.iter().map(|s| section_code(*s)).collect();
        // The chunk's ids as one JSON array: two statements a chunk, not two
        // a device.
        let ids_json = super::software::ids_json(&ids.iter().map(|id| *id as i64).collect::<Vec<_>>());
        self.read(|db| {
            let mut summaries = db.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM devices \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND revoked_at IS NULL"
            ))?;
            let mut found: HashMap<u64, DeviceSummary> = summaries
                .query_map([&ids_json], summary_from_row)?
                .map(|summary| summary.map(|s| (s.id, s)))
                .collect::<Result<_, _>>()?;
            let mut rows = db.prepare_cached(&section_rows(
                &wanted,
                "WHERE device_id IN (SELECT value FROM json_each(?1)) ORDER BY device_id, section",
            ))?;
            let mut sections: HashMap<u64, Vec<SectionRow>> = HashMap::new();
            for row in rows.query_map([&ids_json], section_row)? {
                let row = row?;
                sections.entry(row.device_id).or_default().push(row);
            }
            for id in ids {
                let Some(summary) = found.remove(id) else { continue };
                let (inventory, has_software) =
                    assemble(&summary, sections.remove(id).unwrap_or_default(), &wanted)?;
                visit(ScannedDevice { summary: &summary, inventory: &inventory, has_software });
            }
            Ok(())
        })
    }

    /// For each device, the names of its packages whose name contains one
    /// of `patterns` (case-insensitive): how the rules learn whether the
    /// softphone or VPN client is installed without reading every list.
    pub fn software_names_containing(
        &self,
        patterns: &[String],
    ) -> Result<HashMap<u64, Vec<String>>, StorageError> {
        self.read(|db| {
            let mut names: HashMap<u64, Vec<String>> = HashMap::new();
            let mut catalogue =
                db.prepare_cached("SELECT id, name FROM software WHERE instr(lower(name), lower(?1)) > 0")?;
            let mut holders = db.prepare_cached(super::links::HOLDERS_OF_PACKAGE)?;
            for pattern in patterns.iter().filter(|p| !p.trim().is_empty()) {
                let packages = catalogue
                    .query_map([pattern], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)))?
                    .collect::<Result<Vec<_>, _>>()?;
                for (id, name) in packages {
                    for row in holders.query_map([id], |row| {
                        Ok((row.get::<_, i64>(0)?, super::links::row_words(row, 1)?))
                    })? {
                        let (block, words) = row?;
                        for device in super::links::block_devices(block, words) {
                            let list = names.entry(device).or_default();
                            if !list.contains(&name) {
                                list.push(name.clone());
                            }
                        }
                    }
                }
            }
            Ok(names)
        })
    }
}

/// The query of section rows (see [`section_row`]) with `rest` after
/// FROM: only the wanted sections' content is read. The codes are our own
/// integers, not input.
fn section_rows(wanted: &[i64], rest: &str) -> String {
    let codes = wanted.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    format!(
        "SELECT device_id, section, hash IS NOT NULL, CASE WHEN section IN ({codes}) THEN content END, \
         unknown_reason FROM device_sections {rest}"
    )
}

/// A device's inventory from its section rows: the wanted sections
/// decoded, the others forgotten, the unknown ones with their reasons; and
/// whether its software list is stored.
fn assemble(
    summary: &DeviceSummary,
    rows: Vec<SectionRow>,
    wanted: &[i64],
) -> Result<(Inventory, bool), StorageError> {
    let mut bytes = Vec::new();
    let mut present = Vec::new();
    let mut unknown = Vec::new();
    let mut has_software = false;
    for row in rows {
        let Some(section) = section_from_code(row.section) else { continue };
        if section == Section::Software {
            has_software = row.has_content;
        } else if row.has_content && wanted.contains(&row.section) {
            present.push(section);
            bytes.extend(row.content.unwrap_or_default());
        }
        if let Some(reason) = row.unknown_reason {
            unknown.push(UnknownSection { section, reason });
        }
    }
    let mut inventory =
        if bytes.is_empty() { Inventory::default() } else { decode_sections(summary.id, &bytes)? };
    for section in Section::ALL {
        if !present.contains(&section) {
            inventory.forget(section);
        }
    }
    inventory.unknown_sections = unknown;
    inventory.hostname.clone_from(&summary.hostname);
    Ok((inventory, has_software))
}

struct SectionRow {
    device_id: u64,
    section: i64,
    has_content: bool,
    content: Option<Vec<u8>>,
    unknown_reason: Option<String>,
}

fn section_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SectionRow> {
    Ok(SectionRow {
        device_id: row.get(0)?,
        section: row.get(1)?,
        has_content: row.get(2)?,
        content: row.get(3)?,
        unknown_reason: row.get(4)?,
    })
}
