//! Reading the fleet back as domain types: a device's inventory rebuilt
//! from its sections and software links, pages of summaries, history,
//! duplicate identities.

use super::codes::{change_kind_from_code, enum_from_name, section_from_code};
use super::{DevicePage, DeviceQuery, DuplicateGroup, StorageError, SUMMARY_COLUMNS};
use crate::identity::IdentityKey;
use parc_model::history::{Change, HistoryEntry};
use parc_model::{ChassisKind, Device, DeviceSummary, Inventory, Section, StorageKind, UnknownSection};
use prost::Message;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The summary from the first `SUMMARY_COLUMN_COUNT` columns of `row`.
pub(super) fn summary_from_row(row: &Row<'_>) -> rusqlite::Result<DeviceSummary> {
    Ok(DeviceSummary {
        id: row.get(0)?,
        hostname: row.get(1)?,
        machine_id: row.get(2)?,
        enrolled_at: row.get(3)?,
        last_seen_at: row.get(4)?,
        os_name: row.get(5)?,
        os_version: row.get(6)?,
        manufacturer: row.get(7)?,
        model: row.get(8)?,
        chassis: enum_from_name::<ChassisKind>(row.get(9)?),
        cpu_model: row.get(10)?,
        cpu_cores: row.get(11)?,
        ram_bytes: u64::try_from(row.get::<_, i64>(12)?).unwrap_or(0),
        system_storage: enum_from_name::<StorageKind>(row.get(13)?),
        serial_number: row.get(14)?,
        revoked: row.get::<_, Option<i64>>(15)?.is_some(),
        labels: labels_from_column(&row.get::<_, String>(16)?),
    })
}

/// Labels are stored joined by commas, which a label cannot hold.
pub(crate) fn labels_to_column(labels: &[String]) -> String {
    labels.join(",")
}

pub(crate) fn labels_from_column(column: &str) -> Vec<String> {
    column.split(',').filter(|l| !l.is_empty()).map(String::from).collect()
}

/// One device's summary line.
pub(super) fn summary(db: &Connection, device_id: u64) -> Result<Option<DeviceSummary>, StorageError> {
    Ok(db
        .prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM devices WHERE id = ?1"))?
        .query_row([device_id], summary_from_row)
        .optional()?)
}

/// Stored section encodings (one, or several concatenated) as an inventory.
pub(super) fn decode_sections(device_id: u64, bytes: &[u8]) -> Result<Inventory, StorageError> {
    let corrupt = |reason: String| StorageError::CorruptInventory { device_id, reason };
    let mut wire = parc_proto::pb::Inventory::decode(bytes).map_err(|e| corrupt(e.to_string()))?;
    // Identity lives in the devices row; the caller fills it in. These only
    // satisfy the wire checks.
    wire.hostname = "stored".into();
    wire.machine_id = "stored".into();
    wire.agent_version = "stored".into();
    parc_proto::convert::inventory_from_wire(wire).map_err(|e| corrupt(e.to_string()))
}

pub(super) fn get_device(db: &Connection, device_id: u64) -> Result<Option<Device>, StorageError> {
    let summary = db
        .prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM devices WHERE id = ?1"))?
        .query_row([device_id], summary_from_row)
        .optional()?;
    let Some(summary) = summary else { return Ok(None) };
    let (agent_version, collected_at): (String, Option<i64>) = db
        .prepare_cached("SELECT agent_version, collected_at FROM devices WHERE id = ?1")?
        .query_row([device_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    let mut statement = db.prepare_cached(
        "SELECT section, hash IS NOT NULL, content, unknown_reason FROM device_sections WHERE device_id = ?1 ORDER BY section",
    )?;
    let rows = statement
        .query_map([device_id], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, Option<Vec<u8>>>(2)?,
                row.get::<_, Option<String>>(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(Some(Device { summary, inventory: None }));
    }
    let mut bytes = Vec::new();
    let mut read = Vec::new();
    let mut unknown_sections = Vec::new();
    let mut software = None;
    for (code, has_content, content, unknown_reason) in rows {
        let Some(section) = section_from_code(code) else { continue };
        if has_content {
            read.push(section);
            match section {
                Section::Software => software = content,
                _ => bytes.extend(content.unwrap_or_default()),
            }
        }
        if let Some(reason) = unknown_reason {
            unknown_sections.push(UnknownSection { section, reason });
        }
    }
    let mut inventory = decode_sections(device_id, &bytes)?;
    for section in Section::ALL {
        if !read.contains(&section) {
            inventory.forget(section);
        }
    }
    if let Some(packed) = software.filter(|_| read.contains(&Section::Software)) {
        inventory.software = Some(super::software::read(db, device_id, &packed)?);
    }
    inventory.unknown_sections = unknown_sections;
    inventory.hostname.clone_from(&summary.hostname);
    inventory.machine_id.clone_from(&summary.machine_id);
    inventory.agent_version = agent_version;
    inventory.collected_at = collected_at.unwrap_or_default();
    inventory.labels.clone_from(&summary.labels);
    Ok(Some(Device { summary, inventory: Some(inventory) }))
}

pub(super) fn list_devices(db: &Connection, query: &DeviceQuery) -> Result<DevicePage, StorageError> {
    // A device that never reported counts from its enrollment. The filter is
    // left out rather than made always-true, so that SQLite uses the index on
    // this very expression for both the count and the page.
    let seen = match query.not_seen_before {
        Some(_) => "coalesce(d.last_seen_at, d.enrolled_at) < ?1",
        None => "?1 IS NULL",
    };
    let (condition, filter_params) = match &query.filter {
        Some(filter) => (filter.condition.as_str(), filter.params.as_slice()),
        None => ("1", &[][..]),
    };
    let page = [
        super::query::SqlValue::Int(i64::try_from(query.after_id).unwrap_or(i64::MAX)),
        super::query::SqlValue::Int(i64::from(query.limit) + 1),
    ];
    let not_seen: Option<i64> = query.not_seen_before;
    // Both statements bind ?1..?3 and the filter's values after them, so
    // the filter's placeholders keep their numbers; the count names ?2 and
    // ?3 (NULL there) only so that SQLite counts them.
    let values = |with_page: bool| {
        let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(3 + filter_params.len());
        values.push(&not_seen);
        values.push(if with_page { &page[0] } else { &rusqlite::types::Null });
        values.push(if with_page { &page[1] } else { &rusqlite::types::Null });
        values.extend(filter_params.iter().map(|v| v as &dyn rusqlite::ToSql));
        values
    };
    let total_count: u64 = db
        .prepare_cached(&format!(
            "SELECT count(*) FROM devices d WHERE {seen} AND ({condition}) AND coalesce(?2, ?3, 1)"
        ))?
        .query_row(rusqlite::params_from_iter(values(false)), |row| row.get(0))?;
    let mut statement = db.prepare_cached(&format!(
        "SELECT {SUMMARY_COLUMNS} FROM devices d WHERE {seen} AND ({condition}) AND d.id > ?2 ORDER BY d.id LIMIT ?3"
    ))?;
    let limit = query.limit as usize;
    let mut devices = statement
        .query_map(rusqlite::params_from_iter(values(true)), summary_from_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let next_after = if devices.len() > limit {
        devices.truncate(limit);
        devices.last().map(|d| d.id)
    } else {
        None
    };
    Ok(DevicePage { devices, next_after, total_count })
}

pub(super) fn history(
    db: &Connection,
    device_id: u64,
    limit: u32,
) -> Result<Vec<HistoryEntry>, StorageError> {
    let mut statement = db.prepare_cached(
        "SELECT at, section, kind, subject, before, after FROM history WHERE device_id = ?1 \
         ORDER BY at DESC, id DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![device_id, limit], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        ))
    })?;
    let mut entries = Vec::new();
    for row in rows {
        let (at, section, kind, subject, before, after) = row?;
        let Some(section) = section_from_code(section) else { continue };
        entries.push(HistoryEntry {
            at,
            change: Change { section, kind: change_kind_from_code(kind), subject, before, after },
        });
    }
    Ok(entries)
}

pub(super) fn duplicates(db: &Connection) -> Result<Vec<DuplicateGroup>, StorageError> {
    let mut groups = Vec::new();
    for (key, column) in
        [(IdentityKey::SerialNumber, "serial_number"), (IdentityKey::SmbiosUuid, "smbios_uuid")]
    {
        let mut statement = db.prepare(&format!(
            "SELECT {column}, group_concat(id) FROM devices WHERE revoked_at IS NULL AND {column} <> '' \
             GROUP BY {column} HAVING count(*) > 1 ORDER BY {column}"
        ))?;
        let rows = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        for (value, ids) in rows {
            if !crate::identity::is_real_identity(key, &value) {
                continue;
            }
            let mut devices = Vec::new();
            for id in ids.split(',').filter_map(|id| id.parse::<u64>().ok()) {
                if let Some(device) = db
                    .prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM devices WHERE id = ?1"))?
                    .query_row([id], summary_from_row)
                    .optional()?
                {
                    devices.push(device);
                }
            }
            devices.sort_by_key(|d| d.id);
            groups.push(DuplicateGroup { key, value, devices });
        }
    }
    Ok(groups)
}
