//! Storing a report: the sections that changed, the software links, the
//! history of what changed, the device's summary. Runs on the writer thread,
//! inside the writer's transaction.

use super::codes::{change_kind_code, section_code};
use super::held::{HeldCache, HeldSection};
use super::links::{HeldLinks, LinkChanges};
use super::{HeldSections, Report, ReportOutcome, StorageError, SUMMARY_COLUMNS, SUMMARY_COLUMN_COUNT};
use parc_model::history::{diff_section, is_tracked, Change};
use parc_model::{DeviceSummary, Inventory, Section};
use parc_proto::convert::{PackageRef, SoftwareColumns};
use parc_proto::sections::section_bytes;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

/// Catalogue ids by (name, version, publisher, architecture): most packages
/// of a report are already in the catalogue, and a lookup in memory saves a
/// query each. Looked up by hash, so a hit allocates nothing; foldhash
/// rather than SipHash, as the keys come from enrolled agents and a lookup
/// per package is most of the cost of a report. The four fields of every
/// cached package sit back to back in one arena: checking a hit reads the
/// table and one place in the arena, where separate strings cost a cache
/// miss each (the writer's largest cost on full reports).
#[derive(Default)]
pub struct Catalogue {
    hasher: foldhash::fast::RandomState,
    ids: HashMap<u64, Cached, std::hash::BuildHasherDefault<KeyIsHash>>,
    arena: Vec<u8>,
}

/// A cached catalogue id and where its four fields are in the arena.
#[derive(Debug, Clone, Copy)]
struct Cached {
    id: i64,
    start: u32,
    lengths: [u16; 4],
}

impl Cached {
    fn matches(&self, arena: &[u8], fields: [&str; 4]) -> bool {
        let mut at = self.start as usize;
        for (length, field) in self.lengths.iter().zip(fields) {
            let end = at + usize::from(*length);
            if arena.get(at..end) != Some(field.as_bytes()) {
                return false;
            }
            at = end;
        }
        true
    }
}

/// The catalogue cache's keys are already hashes: used as they are.
#[derive(Default)]
pub struct KeyIsHash(u64);

impl std::hash::Hasher for KeyIsHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// What the writer keeps across jobs and transactions.
#[derive(Default)]
pub struct IngestState {
    pub catalogue: Catalogue,
    pub links: HeldLinks,
    pub held: HeldCache,
}

impl super::writer::WriterState for IngestState {
    fn before_commit(&mut self, connection: &Connection, more_waiting: bool) -> Result<(), StorageError> {
        self.links.before_commit(connection, more_waiting)
    }
}

/// Past these, the cache is emptied rather than grown: memory stays bounded
/// (about 100 bytes a package) whatever the fleet installs.
const MAX_CACHED_PACKAGES: usize = 400_000;
const MAX_ARENA_BYTES: usize = 64 << 20;

impl Catalogue {
    pub(super) fn id(&mut self, db: &Connection, package: &PackageRef<'_>) -> Result<i64, StorageError> {
        use std::hash::BuildHasher;
        let fields = [package.name, package.version, package.publisher, package.architecture];
        let hash = self.hasher.hash_one(fields);
        if let Some(cached) = self.ids.get(&hash) {
            if cached.matches(&self.arena, fields) {
                return Ok(cached.id);
            }
        }
        let existing: Option<i64> = db
            .prepare_cached(
                "SELECT id FROM software WHERE name = ?1 AND version = ?2 AND publisher = ?3 AND architecture = ?4",
            )?
            .query_row(params![fields[0], fields[1], fields[2], fields[3]], |row| row.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                db.prepare_cached(
                    "INSERT INTO software (name, version, publisher, architecture) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![fields[0], fields[1], fields[2], fields[3]])?;
                db.last_insert_rowid()
            }
        };
        self.remember(hash, id, fields);
        Ok(id)
    }

    fn remember(&mut self, hash: u64, id: i64, fields: [&str; 4]) {
        if self.ids.len() >= MAX_CACHED_PACKAGES || self.arena.len() >= MAX_ARENA_BYTES {
            self.ids.clear();
            self.arena.clear();
        }
        let ([Ok(name), Ok(version), Ok(publisher), Ok(architecture)], Ok(start)) =
            (fields.map(|f| u16::try_from(f.len())), u32::try_from(self.arena.len()))
        else {
            return;
        };
        // Another package with the same hash keeps the slot: that rare one
        // is then answered by the database each time, never by the cache.
        if let std::collections::hash_map::Entry::Vacant(slot) = self.ids.entry(hash) {
            for field in fields {
                self.arena.extend_from_slice(field.as_bytes());
            }
            slot.insert(Cached { id, start, lengths: [name, version, publisher, architecture] });
        }
    }
}

pub(super) fn record_report(
    db: &Connection,
    state: &mut IngestState,
    report: &Report,
) -> Result<ReportOutcome, StorageError> {
    let sequence = i64::try_from(report.sequence).unwrap_or(i64::MAX);
    // The summary comes in the same read: the report updates it at the end.
    let device: Option<(DeviceSummary, i64, bool)> = db
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS}, last_sequence, resync_requested FROM devices \
             WHERE node_key_hash = ?1 AND revoked_at IS NULL"
        ))?
        .query_row([&report.node_key_hash], |row| {
            Ok((
                super::read::summary_from_row(row)?,
                row.get(SUMMARY_COLUMN_COUNT)?,
                row.get(SUMMARY_COLUMN_COUNT + 1)?,
            ))
        })
        .optional()?;
    let Some((summary, last_sequence, resync_requested)) = device else {
        return Ok(ReportOutcome::UnknownNodeKey);
    };
    let device_id = summary.id;
    let mut held = state.held.get(db, device_id)?;
    if sequence <= last_sequence {
        return Ok(ReportOutcome::Stale {
            device_id,
            last_sequence: u64::try_from(last_sequence).unwrap_or(0),
            sections: HeldSections { held: held.confirmed(), missing: Vec::new(), resync: resync_requested },
        });
    }
    let now = report.received_at;
    let mut missing = Vec::new();
    for (section, hash) in &report.unchanged {
        match held.get(*section) {
            Some(h) if h.hash == Some(*hash) => {
                if h.unknown {
                    set_known(db, device_id, *section)?;
                    held.set(*section, HeldSection { hash: h.hash, unknown: false });
                }
            }
            _ => missing.push(*section),
        }
    }

    let inventory = &report.inventory;
    let no_software = SoftwareColumns::default();
    let wire = parc_proto::convert::inventory_to_wire_without_software(inventory);
    for (section, hash) in &report.sent {
        let before = held.get(*section);
        if let Some(h) = before.filter(|h| h.hash == Some(*hash)) {
            if h.unknown {
                set_known(db, device_id, *section)?;
            }
            held.set(*section, HeldSection { hash: Some(*hash), unknown: false });
            continue;
        }
        let had_content = before.is_some_and(|h| h.hash.is_some());
        let (content, changes) = if *section == Section::Software {
            let before = if had_content { stored_content(db, device_id, *section)? } else { None };
            let packages = report.software.as_ref().unwrap_or(&no_software);
            super::software::write(
                db,
                &mut state.catalogue,
                &mut state.links.changes,
                device_id,
                packages,
                before.as_deref(),
            )?
        } else {
            let content = section_bytes(*section, &wire);
            let changes = if had_content && is_tracked(*section) {
                match stored_content(db, device_id, *section)? {
                    Some(old) => {
                        diff_section(*section, &super::read::decode_sections(device_id, &old)?, inventory)
                    }
                    None => Vec::new(),
                }
            } else {
                Vec::new()
            };
            (content, changes)
        };
        db.prepare_cached(
            "INSERT INTO device_sections (device_id, section, hash, content, unknown_reason, changed_at) \
             VALUES (?1, ?2, ?3, ?4, NULL, ?5) ON CONFLICT (device_id, section) DO UPDATE SET \
             hash = excluded.hash, content = excluded.content, unknown_reason = NULL, changed_at = excluded.changed_at",
        )?
        .execute(params![device_id, section_code(*section), hash.as_slice(), content, now])?;
        record_history(db, device_id, now, &changes)?;
        held.set(*section, HeldSection { hash: Some(*hash), unknown: false });
    }

    for unknown in &inventory.unknown_sections {
        db.prepare_cached(
            "INSERT INTO device_sections (device_id, section, hash, content, unknown_reason, changed_at) \
             VALUES (?1, ?2, NULL, NULL, ?3, ?4) ON CONFLICT (device_id, section) DO UPDATE SET \
             unknown_reason = excluded.unknown_reason",
        )?
        .execute(params![device_id, section_code(unknown.section), unknown.reason, now])?;
        let hash = held.get(unknown.section).and_then(|h| h.hash);
        held.set(unknown.section, HeldSection { hash, unknown: true });
    }

    let full = report.unchanged.is_empty();
    update_summary(db, summary, inventory, sequence, now, full)?;
    state.held.put(device_id, held);
    Ok(ReportOutcome::Stored {
        device_id,
        sections: HeldSections { held: held.confirmed(), missing, resync: resync_requested && !full },
    })
}

fn set_known(db: &Connection, device_id: u64, section: Section) -> Result<(), StorageError> {
    db.prepare_cached(
        "UPDATE device_sections SET unknown_reason = NULL WHERE device_id = ?1 AND section = ?2",
    )?
    .execute(params![device_id, section_code(section)])?;
    Ok(())
}

/// The stored content of one section of one device.
fn stored_content(
    db: &Connection,
    device_id: u64,
    section: Section,
) -> Result<Option<Vec<u8>>, StorageError> {
    let content: Option<Option<Vec<u8>>> = db
        .prepare_cached("SELECT content FROM device_sections WHERE device_id = ?1 AND section = ?2")?
        .query_row(params![device_id, section_code(section)], |row| row.get(0))
        .optional()?;
    Ok(content.flatten())
}

fn record_history(db: &Connection, device_id: u64, at: i64, changes: &[Change]) -> Result<(), StorageError> {
    let mut insert = db.prepare_cached(
        "INSERT INTO history (device_id, at, section, kind, subject, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for change in changes {
        insert.execute(params![
            device_id,
            at,
            section_code(change.section),
            change_kind_code(change.kind),
            change.subject,
            change.before,
            change.after,
        ])?;
    }
    Ok(())
}

/// Sets the summary columns from the sections this report carries; the
/// others keep what earlier reports said.
fn update_summary(
    db: &Connection,
    mut summary: DeviceSummary,
    inventory: &Inventory,
    sequence: i64,
    now: i64,
    full: bool,
) -> Result<(), StorageError> {
    let device_id = summary.id;
    let before = summary.clone();
    summary.fill_from(inventory);
    if inventory.system.is_none() && summary == before {
        // Most delta reports: nothing listed changed. Setting only what
        // moves spares the indexes on the identity columns.
        db.prepare_cached(
            "UPDATE devices SET last_seen_at = ?1, last_sequence = ?2, agent_version = ?3, collected_at = ?4, \
             resync_requested = CASE WHEN ?5 THEN 0 ELSE resync_requested END WHERE id = ?6",
        )?
        .execute(params![now, sequence, inventory.agent_version, inventory.collected_at, full, device_id])?;
        return Ok(());
    }
    let smbios_uuid = inventory.system.as_ref().map(|s| s.smbios_uuid.as_str());
    db.prepare_cached(
        "UPDATE devices SET hostname = ?1, last_seen_at = ?2, last_sequence = ?3, os_name = ?4, \
         os_version = ?5, manufacturer = ?6, model = ?7, chassis = ?8, cpu_model = ?9, cpu_cores = ?10, \
         ram_bytes = ?11, system_storage = ?12, serial_number = ?13, smbios_uuid = coalesce(?14, smbios_uuid), \
         agent_version = ?15, collected_at = ?16, labels = ?19, \
         resync_requested = CASE WHEN ?17 THEN 0 ELSE resync_requested END WHERE id = ?18",
    )?
    .execute(params![
        summary.hostname,
        now,
        sequence,
        summary.os_name,
        summary.os_version,
        summary.manufacturer,
        summary.model,
        super::codes::enum_name(&summary.chassis),
        summary.cpu_model,
        summary.cpu_cores,
        i64::try_from(summary.ram_bytes).unwrap_or(i64::MAX),
        super::codes::enum_name(&summary.system_storage),
        summary.serial_number,
        smbios_uuid,
        inventory.agent_version,
        inventory.collected_at,
        full,
        device_id,
        super::read::labels_to_column(&summary.labels),
    ])?;
    Ok(())
}

/// Migration 2: moves version 1's JSON inventories into sections and
/// software links, then drops them. No history: there was none to move.
pub fn move_v1_inventories(tx: &rusqlite::Transaction<'_>) -> Result<(), StorageError> {
    let rows: Vec<(u64, i64, String)> = tx
        .prepare("SELECT device_id, received_at, inventory_json FROM inventories")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut catalogue = Catalogue::default();
    let mut links = LinkChanges::default();
    for (device_id, received_at, json) in rows {
        let inventory: Inventory = match serde_json::from_str(&json) {
            Ok(inventory) => inventory,
            Err(error) => {
                tracing::warn!(device_id, %error, "version 1 inventory unreadable; left out of the migration");
                continue;
            }
        };
        let wire = parc_proto::convert::report_inventory_to_wire(&inventory);
        let plain = parc_proto::convert::inventory_to_wire_without_software(&inventory);
        for section in Section::ALL {
            if !inventory.has(section) {
                continue;
            }
            let hash = parc_proto::sections::section_hash(section, &wire);
            let content = match (section, inventory.software.as_deref()) {
                (Section::Software, Some(packages)) => {
                    let columns = SoftwareColumns::from_packages(packages);
                    super::software::write(tx, &mut catalogue, &mut links, device_id, &columns, None)?.0
                }
                _ => section_bytes(section, &plain),
            };
            tx.execute(
                "INSERT INTO device_sections (device_id, section, hash, content, unknown_reason, changed_at) \
                 VALUES (?1, ?2, ?3, ?4, NULL, ?5)",
                params![device_id, section_code(section), hash.as_slice(), content, received_at],
            )?;
        }
        for unknown in &inventory.unknown_sections {
            tx.execute(
                "INSERT INTO device_sections (device_id, section, hash, content, unknown_reason, changed_at) \
                 VALUES (?1, ?2, NULL, NULL, ?3, ?4) ON CONFLICT (device_id, section) DO UPDATE SET \
                 unknown_reason = excluded.unknown_reason",
                params![device_id, section_code(unknown.section), unknown.reason, received_at],
            )?;
        }
        tx.execute(
            "UPDATE devices SET agent_version = ?1, collected_at = ?2, smbios_uuid = ?3 WHERE id = ?4",
            params![
                inventory.agent_version,
                inventory.collected_at,
                inventory.system.as_ref().map(|s| s.smbios_uuid.clone()).unwrap_or_default(),
                device_id
            ],
        )?;
    }
    links.write_as_blocks_of_64(tx)?;
    tx.execute_batch("DROP TABLE inventories")?;
    Ok(())
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;

    fn package<'a>(name: &'a str, version: &'a str) -> PackageRef<'a> {
        PackageRef {
            name,
            version,
            publisher: "Debian",
            architecture: "amd64",
            install_day: 0,
            source: parc_model::SoftwareSource::Dpkg,
        }
    }

    #[test]
    fn the_cache_answers_as_the_table_does_field_by_field() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE software (id INTEGER PRIMARY KEY, name TEXT, version TEXT, publisher TEXT, \
             architecture TEXT, UNIQUE (name, version, publisher, architecture))",
        )
        .unwrap();
        let mut catalogue = Catalogue::default();
        // Same bytes back to back, split differently: different packages.
        let a = catalogue.id(&db, &package("libfoo", "1.2")).unwrap();
        let b = catalogue.id(&db, &package("libfoo1", ".2")).unwrap();
        assert_ne!(a, b);
        assert_eq!(catalogue.id(&db, &package("libfoo", "1.2")).unwrap(), a);
        assert_eq!(catalogue.id(&db, &package("libfoo1", ".2")).unwrap(), b);
        // A hit is answered from memory: the table can change under it.
        db.execute("UPDATE software SET id = 99 WHERE id = ?1", [a]).unwrap();
        assert_eq!(catalogue.id(&db, &package("libfoo", "1.2")).unwrap(), a, "cached");
        assert_eq!(Catalogue::default().id(&db, &package("libfoo", "1.2")).unwrap(), 99, "read");
        // A cached entry another package's hash lands on is not taken for it.
        let mut forged = Catalogue::default();
        let hash = {
            use std::hash::BuildHasher;
            let p = package("libbar", "2");
            forged.hasher.hash_one([p.name, p.version, p.publisher, p.architecture])
        };
        forged.remember(hash, 7, ["libfoo", "1.2", "Debian", "amd64"]);
        let bar = forged.id(&db, &package("libbar", "2")).unwrap();
        assert_ne!(bar, 7);
        assert_eq!(forged.ids[&hash].id, 7, "the slot keeps its first owner");
    }
}
