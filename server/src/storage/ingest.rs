//! Storing a report: the sections that changed, the software links, the
//! history of what changed, the device's summary. Runs on the writer thread,
//! inside the writer's transaction.

use super::codes::{change_kind_code, section_code};
use super::held::{HeldCache, HeldSection};
use super::software::LinkChanges;
use super::{HeldSections, Report, ReportOutcome, StorageError, SUMMARY_COLUMNS, SUMMARY_COLUMN_COUNT};
use parc_model::history::{diff_section, is_tracked, Change};
use parc_model::{DeviceSummary, Inventory, Section};
use parc_proto::convert::{PackageRef, SoftwareColumns};
use parc_proto::sections::section_bytes;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::time::{Duration, Instant};

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
    /// Link-table changes not yet written: this transaction's, and under
    /// load those of earlier ones, whose blocks are in `link_pending`.
    pub links: LinkChanges,
    pub held: HeldCache,
    /// When `links` began to hold changes of a committed transaction.
    links_held_since: Option<Instant>,
    /// False in a fresh state: changes an earlier state held may be lost,
    /// and the blocks they were noted in must be rebuilt.
    repaired: bool,
}

/// Under load, link-table changes are merged in memory across transactions
/// for at most this long (or this many rows) before they are written. The
/// link table is the largest write of a full report, and the reports of
/// consecutive transactions share most of its rows: merged over a second, a
/// row is written once instead of once per transaction. "Who has this
/// package" may lag this much behind the reports while agents queue up.
pub const LINKS_HELD_AT_MOST: Duration = Duration::from_secs(2);
const LINK_ROWS_HELD_AT_MOST: usize = 65_536;

impl super::writer::WriterState for IngestState {
    fn before_commit(&mut self, connection: &Connection, more_waiting: bool) -> Result<(), StorageError> {
        if !self.repaired {
            super::software::repair_pending(connection)?;
            self.repaired = true;
        }
        if self.links.is_empty() {
            return Ok(());
        }
        let held_since = *self.links_held_since.get_or_insert_with(Instant::now);
        let blocks = self.links.blocks();
        if write_links_now(more_waiting, self.links.len(), held_since.elapsed()) {
            self.links.write(connection)?;
            super::software::forget_pending(connection, &blocks)?;
            self.links_held_since = None;
        } else {
            // Every block held, not only this transaction's: another process
            // may have rebuilt and forgotten them meanwhile.
            super::software::note_pending(connection, &blocks)?;
        }
        Ok(())
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

/// Whether the link changes held go to the table in this transaction:
/// always when no job waits (nothing lags behind an idle server), else once
/// they are many or old.
fn write_links_now(more_waiting: bool, rows: usize, held_for: Duration) -> bool {
    !more_waiting || rows >= LINK_ROWS_HELD_AT_MOST || held_for >= LINKS_HELD_AT_MOST
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
                &mut state.links,
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

#[cfg(test)]
mod held_link_tests {
    use super::*;
    use crate::storage::writer::WriterState;
    use crate::storage::Storage;
    use parc_model::SoftwarePackage;
    use std::path::{Path, PathBuf};

    #[test]
    fn links_wait_only_while_jobs_wait_and_never_long_or_many() {
        let now = Duration::ZERO;
        assert!(write_links_now(false, 1, now), "an idle writer writes them");
        assert!(!write_links_now(true, 1, now));
        assert!(!write_links_now(
            true,
            LINK_ROWS_HELD_AT_MOST - 1,
            LINKS_HELD_AT_MOST - Duration::from_millis(1)
        ));
        assert!(write_links_now(true, LINK_ROWS_HELD_AT_MOST, now));
        assert!(write_links_now(true, 1, LINKS_HELD_AT_MOST));
    }

    /// A database with two enrolled devices, "key-a" (id 1) and "key-b" (id
    /// 2), and a connection set up as the writer's.
    fn fleet(dir: &Path) -> (PathBuf, Connection) {
        let path = dir.join("parc.db");
        {
            let storage = Storage::open(&path).unwrap();
            assert_eq!(storage.enroll("a", "PC-A", "key-a", 10).unwrap(), 1);
            assert_eq!(storage.enroll("b", "PC-B", "key-b", 10).unwrap(), 2);
        }
        let db = Connection::open(&path).unwrap();
        db.pragma_update(None, "foreign_keys", "ON").unwrap();
        (path, db)
    }

    /// Stores a full report with these packages in a transaction of its
    /// own, as the writer would with `more_waiting` jobs queued or not.
    fn report(
        db: &Connection,
        state: &mut IngestState,
        key: &str,
        sequence: u64,
        names: &[&str],
        more_waiting: bool,
    ) {
        let software = names
            .iter()
            .map(|name| SoftwarePackage {
                name: name.to_string(),
                version: "1.0".into(),
                publisher: "Editor".into(),
                architecture: "x64".into(),
                ..SoftwarePackage::default()
            })
            .collect();
        let inventory = Inventory { software: Some(software), ..Inventory::default() };
        db.execute_batch("BEGIN IMMEDIATE").unwrap();
        let stored = record_report(db, state, &Report::full(key, sequence, inventory, 100 + sequence as i64));
        assert!(matches!(stored, Ok(ReportOutcome::Stored { .. })), "{stored:?}");
        state.before_commit(db, more_waiting).unwrap();
        db.execute_batch("COMMIT").unwrap();
    }

    fn holders(db: &Connection, name: &str) -> Vec<u64> {
        let found = super::super::software::devices_with(db, name).unwrap();
        found.into_iter().map(|(id, _)| id).collect()
    }

    fn pending(db: &Connection) -> Vec<i64> {
        let mut statement = db.prepare("SELECT block FROM link_pending ORDER BY block").unwrap();
        let blocks = statement.query_map([], |row| row.get(0)).unwrap();
        blocks.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn under_load_link_changes_wait_in_memory_until_the_queue_empties() {
        let dir = tempfile::tempdir().unwrap();
        let (_, db) = fleet(dir.path());
        let mut state = IngestState::default();
        report(&db, &mut state, "key-a", 1, &["Firefox", "Notes"], true);
        assert_eq!(holders(&db, "Firefox"), Vec::<u64>::new(), "held in memory");
        assert_eq!(pending(&db), vec![0], "and its block noted, in the same transaction");
        report(&db, &mut state, "key-b", 1, &["Notes", "Zoom"], true);
        assert_eq!(holders(&db, "Notes"), Vec::<u64>::new());
        // The queue empties: everything held is written, merged.
        report(&db, &mut state, "key-a", 2, &["Firefox"], false);
        assert_eq!(holders(&db, "Firefox"), vec![1]);
        assert_eq!(holders(&db, "Notes"), vec![2], "device 1 lost it in its second report");
        assert_eq!(holders(&db, "Zoom"), vec![2]);
        assert_eq!(pending(&db), Vec::<i64>::new());

        // Held too long: written even with jobs waiting.
        report(&db, &mut state, "key-b", 2, &["Zoom", "Teams"], true);
        assert_eq!(holders(&db, "Teams"), Vec::<u64>::new());
        state.links_held_since = Some(Instant::now() - LINKS_HELD_AT_MOST);
        report(&db, &mut state, "key-a", 3, &["Firefox", "Teams"], true);
        assert_eq!(holders(&db, "Teams"), vec![1, 2]);
        assert_eq!(holders(&db, "Notes"), Vec::<u64>::new());
        assert_eq!(pending(&db), Vec::<i64>::new());
    }

    #[test]
    fn changes_a_lost_state_held_are_rebuilt_from_the_software_sections() {
        let dir = tempfile::tempdir().unwrap();
        let (_, db) = fleet(dir.path());
        let mut lost = IngestState::default();
        report(&db, &mut lost, "key-a", 1, &["Firefox", "Notes"], true);
        report(&db, &mut lost, "key-b", 1, &["Notes", "Zoom"], true);
        drop(lost); // as a rolled-back transaction drops the writer's state
        let mut fresh = IngestState::default();
        report(&db, &mut fresh, "key-b", 2, &["Zoom"], true);
        assert_eq!(holders(&db, "Firefox"), vec![1], "rebuilt");
        assert_eq!(holders(&db, "Notes"), vec![1]);
        assert_eq!(pending(&db), vec![0], "the new report's change is held, its block noted again");
        report(&db, &mut fresh, "key-a", 2, &["Firefox", "Notes"], false);
        assert_eq!(holders(&db, "Zoom"), vec![2]);
        assert_eq!(holders(&db, "Notes"), vec![1]);
        assert_eq!(pending(&db), Vec::<i64>::new());
    }

    #[test]
    fn another_process_rebuilding_the_held_blocks_loses_nothing_the_server_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (path, server) = fleet(dir.path());
        let mut held = IngestState::default();
        report(&server, &mut held, "key-a", 1, &["Firefox"], true);
        // An admin command opens the database: its writer's first
        // transaction rebuilds block 0 and forgets it.
        let admin = Connection::open(&path).unwrap();
        let mut fresh = IngestState::default();
        admin.execute_batch("BEGIN IMMEDIATE").unwrap();
        fresh.before_commit(&admin, false).unwrap();
        admin.execute_batch("COMMIT").unwrap();
        assert_eq!(holders(&admin, "Firefox"), vec![1], "the rebuild has what the server holds");
        assert_eq!(pending(&admin), Vec::<i64>::new());
        // The server holds one more change to that block, then dies.
        report(&server, &mut held, "key-b", 1, &["Zoom"], true);
        assert_eq!(pending(&server), vec![0], "noted again");
        drop((held, server, admin));
        let storage = Storage::open(&path).unwrap();
        assert_eq!(storage.software_holders("Zoom").unwrap().len(), 1);
    }

    #[test]
    fn a_crash_with_link_changes_in_memory_is_repaired_when_the_database_opens() {
        let dir = tempfile::tempdir().unwrap();
        let (path, db) = fleet(dir.path());
        let mut state = IngestState::default();
        report(&db, &mut state, "key-a", 1, &["Firefox"], true);
        report(&db, &mut state, "key-b", 1, &["Firefox", "Zoom"], true);
        assert_eq!(holders(&db, "Firefox"), Vec::<u64>::new());
        drop((state, db)); // the process dies

        let storage = Storage::open(&path).unwrap();
        let firefox: Vec<u64> =
            storage.software_holders("Firefox").unwrap().into_iter().map(|(id, _)| id).collect();
        assert_eq!(firefox, vec![1, 2]);
        assert_eq!(storage.software_holders("Zoom").unwrap().len(), 1);
        drop(storage);
        assert_eq!(pending(&Connection::open(&path).unwrap()), Vec::<i64>::new());
    }
}
