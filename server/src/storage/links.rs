//! The link table `software_devices`, which answers "who has Lotus Notes":
//! for each package, bitmaps of the devices that have it, by blocks of 512
//! device ids in eight 64-bit words (migration 10). Derived from the
//! devices' packed software lists (storage/software.rs), written by the
//! writer only: merged per transaction, and under load across transactions
//! ([`HeldLinks`]), with the blocks held noted in `link_pending` (migration
//! 11) so that a crash loses nothing.

use super::software::{sorted_ids, unpack};
use super::StorageError;
use parc_model::Section;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// foldhash rather than SipHash for maps keyed by ids: the keys are ours,
/// and a report of 600 packages sets 600 bits.
type FoldHash = foldhash::fast::RandomState;

/// Under load, link-table changes are merged in memory across transactions
/// for at most this long (or this many rows) before they are written. The
/// link table is the largest write of a full report, and the reports of
/// consecutive transactions share most of its rows: merged over a second, a
/// row is written once instead of once per transaction. "Who has this
/// package" may lag this much behind the reports while agents queue up.
pub const LINKS_HELD_AT_MOST: Duration = Duration::from_secs(2);
const LINK_ROWS_HELD_AT_MOST: usize = 65_536;

/// The writer's link changes not yet written: the transaction's, and under
/// load those of earlier ones, whose blocks are in `link_pending`.
#[derive(Default)]
pub struct HeldLinks {
    pub changes: LinkChanges,
    /// Since when `changes` holds changes of a committed transaction, whose
    /// blocks are noted in `link_pending`.
    held_since: Option<Instant>,
    /// False in a fresh state: changes an earlier state held may be lost,
    /// and the blocks they were noted in must be rebuilt.
    repaired: bool,
}

impl HeldLinks {
    /// Just before the writer commits: writes the changes held, or notes
    /// their blocks and keeps them while `more_waiting` jobs queue.
    pub(super) fn before_commit(
        &mut self,
        connection: &Connection,
        more_waiting: bool,
    ) -> Result<(), StorageError> {
        if !self.repaired {
            repair_pending(connection)?;
            self.repaired = true;
        }
        if self.changes.is_empty() {
            return Ok(());
        }
        let held_for = self.held_since.map_or(Duration::ZERO, |since| since.elapsed());
        let blocks = self.changes.blocks();
        if write_now(more_waiting, self.changes.len(), held_for) {
            self.changes.write(connection)?;
            if self.held_since.take().is_some() {
                forget_pending(connection, &blocks)?;
            }
        } else {
            // Every block held, not only this transaction's: another process
            // may have rebuilt and forgotten them meanwhile.
            self.held_since.get_or_insert_with(Instant::now);
            note_pending(connection, &blocks)?;
        }
        Ok(())
    }
}

/// Whether the link changes held go to the table in this transaction:
/// always when no job waits (nothing lags behind an idle server), else once
/// they are many or old.
fn write_now(more_waiting: bool, rows: usize, held_for: Duration) -> bool {
    !more_waiting || rows >= LINK_ROWS_HELD_AT_MOST || held_for >= LINKS_HELD_AT_MOST
}

/// The link table's changes in the transaction under way, merged by
/// (package, block). The reports of one transaction come mostly from
/// devices enrolled together, whose ids share blocks, and share most of
/// their packages: merged, a batch of 512 reports of 400 packages writes a
/// few thousand rows instead of 200,000. Writing them in the table's key
/// order visits each page once.
#[derive(Debug, Default)]
pub struct LinkChanges {
    /// (software id, block) → the bits to set and to clear in its words.
    bits: HashMap<(i64, i64), WordChanges, FoldHash>,
    /// The blocks `bits` has changes for; the last one apart, as the
    /// packages of one device all go to the same block.
    touched: HashSet<i64, FoldHash>,
    last_touched: Option<i64>,
}

/// Bits to set and to clear in the eight words of one link-table row.
#[derive(Debug, Default, Clone, Copy)]
struct WordChanges {
    set: [i64; WORDS],
    clear: [i64; WORDS],
}

/// Devices per link-table row: eight 64-bit words.
pub(super) const BLOCK_DEVICES: u64 = 512;
const WORDS: usize = 8;

/// Where a device's bit is in the link table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LinkBit {
    pub block: i64,
    pub word: usize,
    pub bit: i64,
}

impl LinkChanges {
    /// Later calls win over earlier ones for the same bit, as the reports
    /// of one device come in order.
    pub fn set(&mut self, software_id: i64, place: LinkBit) {
        self.touch(place.block);
        let changes = self.bits.entry((software_id, place.block)).or_default();
        changes.set[place.word] |= place.bit;
        changes.clear[place.word] &= !place.bit;
    }

    pub fn clear(&mut self, software_id: i64, place: LinkBit) {
        self.touch(place.block);
        let changes = self.bits.entry((software_id, place.block)).or_default();
        changes.set[place.word] &= !place.bit;
        changes.clear[place.word] |= place.bit;
    }

    fn touch(&mut self, block: i64) {
        if self.last_touched != Some(block) {
            self.touched.insert(block);
            self.last_touched = Some(block);
        }
    }

    /// The rows with changes not yet written.
    pub fn len(&self) -> usize {
        self.bits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// The blocks with changes not yet written.
    pub(super) fn blocks(&self) -> Vec<i64> {
        let mut blocks: Vec<i64> = self.touched.iter().copied().collect();
        blocks.sort_unstable();
        blocks
    }

    /// Writes the merged changes and forgets them: each word ends up with
    /// `(word & !clear) | set`, and a row goes when no device is left.
    /// A statement per row: a statement that changes many rows keeps a
    /// journal of every page it touches, which costs more than the
    /// statements saved.
    pub(super) fn write(&mut self, db: &Connection) -> Result<(), StorageError> {
        self.touched.clear();
        self.last_touched = None;
        if self.bits.is_empty() {
            return Ok(());
        }
        let mut changes: Vec<_> = self.bits.drain().collect();
        // The table's key order: (block, package).
        changes.sort_unstable_by_key(|((software_id, block), _)| (*block, *software_id));
        let mut upsert = db.prepare_cached(
            "INSERT INTO software_devices (block, software_id, w0, w1, w2, w3, w4, w5, w6, w7) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (block, software_id) DO UPDATE SET \
             w0 = (w0 & ~?11) | excluded.w0, w1 = (w1 & ~?12) | excluded.w1, \
             w2 = (w2 & ~?13) | excluded.w2, w3 = (w3 & ~?14) | excluded.w3, \
             w4 = (w4 & ~?15) | excluded.w4, w5 = (w5 & ~?16) | excluded.w5, \
             w6 = (w6 & ~?17) | excluded.w6, w7 = (w7 & ~?18) | excluded.w7",
        )?;
        // Most rows only gain devices (a full report, a package installed):
        // ten parameters and an OR per word rather than eighteen and a mask.
        let mut add = db.prepare_cached(
            "INSERT INTO software_devices (block, software_id, w0, w1, w2, w3, w4, w5, w6, w7) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (block, software_id) DO UPDATE SET \
             w0 = w0 | excluded.w0, w1 = w1 | excluded.w1, w2 = w2 | excluded.w2, w3 = w3 | excluded.w3, \
             w4 = w4 | excluded.w4, w5 = w5 | excluded.w5, w6 = w6 | excluded.w6, w7 = w7 | excluded.w7",
        )?;
        let mut unset = db.prepare_cached(
            "UPDATE software_devices SET w0 = w0 & ~?3, w1 = w1 & ~?4, w2 = w2 & ~?5, w3 = w3 & ~?6, \
             w4 = w4 & ~?7, w5 = w5 & ~?8, w6 = w6 & ~?9, w7 = w7 & ~?10 \
             WHERE block = ?1 AND software_id = ?2 RETURNING w0 | w1 | w2 | w3 | w4 | w5 | w6 | w7",
        )?;
        let mut delete =
            db.prepare_cached("DELETE FROM software_devices WHERE block = ?1 AND software_id = ?2")?;
        for ((software_id, block), WordChanges { set, clear }) in changes {
            let sets = set.iter().any(|word| *word != 0);
            let clears = clear.iter().any(|word| *word != 0);
            if sets && !clears {
                let [s0, s1, s2, s3, s4, s5, s6, s7] = set;
                add.execute(params![block, software_id, s0, s1, s2, s3, s4, s5, s6, s7])?;
            } else if sets {
                let [s0, s1, s2, s3, s4, s5, s6, s7] = set;
                let [c0, c1, c2, c3, c4, c5, c6, c7] = clear;
                upsert.execute(params![
                    block,
                    software_id,
                    s0,
                    s1,
                    s2,
                    s3,
                    s4,
                    s5,
                    s6,
                    s7,
                    c0,
                    c1,
                    c2,
                    c3,
                    c4,
                    c5,
                    c6,
                    c7
                ])?;
            } else if clears {
                let [c0, c1, c2, c3, c4, c5, c6, c7] = clear;
                let left: Option<i64> = unset
                    .query_row(params![block, software_id, c0, c1, c2, c3, c4, c5, c6, c7], |row| row.get(0))
                    .optional()?;
                if left == Some(0) {
                    delete.execute(params![block, software_id])?;
                }
            }
        }
        Ok(())
    }

    /// Writes the bits to set in the table's first form, one 64-bit row per
    /// block of 64 devices: for migration 2, which runs before migration 10
    /// gave the table its words (and then converts these rows).
    pub(super) fn write_as_blocks_of_64(&mut self, db: &Connection) -> Result<(), StorageError> {
        let mut upsert = db.prepare(
            "INSERT INTO software_devices (block, software_id, devices) VALUES (?1, ?2, ?3) \
             ON CONFLICT (block, software_id) DO UPDATE SET devices = devices | excluded.devices",
        )?;
        for ((software_id, block), changes) in self.bits.drain() {
            for (word, bits) in changes.set.into_iter().enumerate().filter(|(_, bits)| *bits != 0) {
                upsert.execute(params![block * WORDS as i64 + word as i64, software_id, bits])?;
            }
        }
        Ok(())
    }
}

/// Notes in `link_pending` blocks whose changes stay in the writer's
/// memory past this transaction.
pub(super) fn note_pending(db: &Connection, blocks: &[i64]) -> Result<(), StorageError> {
    let mut insert = db.prepare_cached("INSERT OR IGNORE INTO link_pending (block) VALUES (?1)")?;
    for block in blocks {
        insert.execute([block])?;
    }
    Ok(())
}

/// Forgets pending blocks: their changes are written.
pub(super) fn forget_pending(db: &Connection, blocks: &[i64]) -> Result<(), StorageError> {
    let mut delete = db.prepare_cached("DELETE FROM link_pending WHERE block = ?1")?;
    for block in blocks {
        delete.execute([block])?;
    }
    Ok(())
}

/// Rebuilds the blocks noted in `link_pending` from the software sections
/// of their devices, and forgets them: after a crash, or when the writer
/// lost the changes it held (a rolled-back transaction). Returns the
/// blocks rebuilt.
///
/// Safe while another process's writer holds changes for these blocks
/// (an admin command opening the database under a busy server): a rebuild
/// reads every committed list, so what that writer holds is in it, and that
/// writer notes every block it holds again in each transaction that defers.
pub(super) fn repair_pending(db: &Connection) -> Result<Vec<i64>, StorageError> {
    let blocks: Vec<i64> = db
        .prepare_cached("SELECT block FROM link_pending ORDER BY block")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    for block in &blocks {
        rebuild_block(db, *block)?;
    }
    if !blocks.is_empty() {
        forget_pending(db, &blocks)?;
        tracing::info!(blocks = blocks.len(), "link table blocks rebuilt from the software sections");
    }
    Ok(blocks)
}

/// Rewrites one block's rows of the link table from the packed software
/// lists of its 512 devices, the truth the table is derived from.
pub(super) fn rebuild_block(db: &Connection, block: i64) -> Result<(), StorageError> {
    let first = block.saturating_mul(BLOCK_DEVICES as i64);
    let mut words: std::collections::BTreeMap<i64, [i64; WORDS]> = std::collections::BTreeMap::new();
    let mut lists = db.prepare_cached(
        "SELECT device_id, content FROM device_sections \
         WHERE device_id >= ?1 AND device_id < ?2 AND section = ?3 AND content IS NOT NULL",
    )?;
    let rows = lists.query_map(
        params![
            first,
            first.saturating_add(BLOCK_DEVICES as i64),
            super::codes::section_code(Section::Software)
        ],
        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?)),
    )?;
    for row in rows {
        let (device_id, packed) = row?;
        let Some(entries) = unpack(&packed) else {
            // Its list cannot be read, so it has no package to link: the
            // device's page says its inventory is damaged.
            tracing::warn!(device_id, "stored software list cannot be unpacked; left out of the link table");
            continue;
        };
        let place = device_block(u64::try_from(device_id).unwrap_or(0));
        for software_id in sorted_ids(&entries) {
            words.entry(software_id).or_default()[place.word] |= place.bit;
        }
    }
    db.prepare_cached("DELETE FROM software_devices WHERE block = ?1")?.execute([block])?;
    let mut insert = db.prepare_cached(
        "INSERT INTO software_devices (block, software_id, w0, w1, w2, w3, w4, w5, w6, w7) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for (software_id, [w0, w1, w2, w3, w4, w5, w6, w7]) in words {
        insert.execute(params![block, software_id, w0, w1, w2, w3, w4, w5, w6, w7])?;
    }
    Ok(())
}

/// The link-table row of a device, its word in the row and its bit in the
/// word.
pub(super) fn device_block(device_id: u64) -> LinkBit {
    LinkBit {
        block: i64::try_from(device_id / BLOCK_DEVICES).unwrap_or(i64::MAX),
        word: ((device_id % BLOCK_DEVICES) / 64) as usize,
        bit: 1i64 << (device_id % 64),
    }
}

/// The words of a link-table row, from its columns `w0`..`w7` starting at
/// `first`.
pub(super) fn row_words(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<[i64; WORDS]> {
    let mut words = [0; WORDS];
    for (i, word) in words.iter_mut().enumerate() {
        *word = row.get(first + i)?;
    }
    Ok(words)
}

/// The link table's word columns, for a SELECT.
pub(super) const WORD_COLUMNS: &str = "l.w0, l.w1, l.w2, l.w3, l.w4, l.w5, l.w6, l.w7";

/// The devices a block's row holds.
pub(super) fn block_devices(block: i64, words: [i64; WORDS]) -> impl Iterator<Item = u64> {
    let base = u64::try_from(block).unwrap_or(0) * BLOCK_DEVICES;
    words.into_iter().enumerate().flat_map(move |(word, bits)| {
        let base = base + word as u64 * 64;
        (0..64u64).filter(move |bit| (bits as u64) & (1 << bit) != 0).map(move |bit| base + bit)
    })
}

/// The link table's rows of one package (`?1`), block by block: a seek
/// per block, since the table is keyed by block first. Each row: the
/// block, then its words (read with [`row_words`] from column 1).
pub(super) const HOLDERS_OF_PACKAGE: &str = "WITH RECURSIVE blocks (block) AS ( \
     SELECT 0 UNION ALL SELECT block + 1 FROM blocks \
     WHERE block < (SELECT coalesce(max(block), -1) FROM software_devices)) \
     SELECT l.block, l.w0, l.w1, l.w2, l.w3, l.w4, l.w5, l.w6, l.w7 FROM blocks b CROSS JOIN software_devices l \
     WHERE l.block = b.block AND l.software_id = ?1";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::software::{pack, Installed};

    #[test]
    fn every_device_has_one_bit_in_one_block() {
        assert_eq!(device_block(0), LinkBit { block: 0, word: 0, bit: 1 });
        assert_eq!(device_block(63), LinkBit { block: 0, word: 0, bit: i64::MIN });
        assert_eq!(device_block(64), LinkBit { block: 0, word: 1, bit: 1 });
        assert_eq!(device_block(511), LinkBit { block: 0, word: 7, bit: i64::MIN });
        assert_eq!(device_block(512), LinkBit { block: 1, word: 0, bit: 1 });
        for id in [1u64, 63, 64, 511, 512, 1000, 99_999] {
            let place = device_block(id);
            let mut words = [0; WORDS];
            words[place.word] = place.bit;
            assert_eq!(block_devices(place.block, words).collect::<Vec<_>>(), vec![id]);
        }
        let mut words = [0; WORDS];
        for id in [1030u64, 1031, 1100, 1535] {
            let place = device_block(id);
            assert_eq!(place.block, 2);
            words[place.word] |= place.bit;
        }
        assert_eq!(block_devices(2, words).collect::<Vec<_>>(), vec![1030, 1031, 1100, 1535]);
    }

    /// Every row of the link table: (block, package, devices).
    fn link_rows(db: &Connection) -> Vec<(i64, i64, Vec<u64>)> {
        let mut statement = db
            .prepare("SELECT block, software_id, w0, w1, w2, w3, w4, w5, w6, w7 FROM software_devices l ORDER BY 1, 2")
            .unwrap();
        let rows = statement
            .query_map([], |row| {
                let block: i64 = row.get(0)?;
                Ok((block, row.get(1)?, block_devices(block, row_words(row, 2)?).collect()))
            })
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn a_block_rebuilt_from_the_software_lists_is_what_the_writes_built() {
        let mut db = Connection::open_in_memory().unwrap();
        crate::storage::migrate(&mut db, 0).unwrap();
        // Lists without their devices' rows: only the lists matter here.
        db.pragma_update(None, "foreign_keys", "OFF").unwrap();
        let lists: &[(u64, &[i64])] = &[
            (1, &[10, 11, 12]),
            (63, &[11]),
            (64, &[12, 13]),
            (511, &[10]),
            (512, &[10, 14]),
            (1000, &[11]),
        ];
        let mut links = LinkChanges::default();
        for (device, ids) in lists {
            let entries: Vec<Installed> =
                ids.iter().map(|id| Installed { software_id: *id, source: 1, install_day: 0 }).collect();
            db.execute(
                "INSERT INTO device_sections (device_id, section, hash, content, changed_at) VALUES (?1, ?2, x'00', ?3, 0)",
                params![device, crate::storage::codes::section_code(Section::Software), pack(&entries)],
            )
            .unwrap();
            for id in *ids {
                links.set(*id, device_block(*device));
            }
        }
        links.write(&db).unwrap();
        let written = link_rows(&db);
        assert_eq!(
            written,
            vec![
                (0, 10, vec![1, 511]),
                (0, 11, vec![1, 63]),
                (0, 12, vec![1, 64]),
                (0, 13, vec![64]),
                (1, 10, vec![512]),
                (1, 11, vec![1000]),
                (1, 14, vec![512]),
            ]
        );
        // Bits and rows the lists do not hold, in both blocks.
        db.execute_batch(
            "UPDATE software_devices SET w0 = w0 | 4, w7 = 0 WHERE block = 0; \
             INSERT INTO software_devices (block, software_id, w3) VALUES (1, 99, 8); \
             DELETE FROM software_devices WHERE block = 1 AND software_id = 11;",
        )
        .unwrap();
        // Only the noted block is rebuilt.
        note_pending(&db, &[1]).unwrap();
        assert_eq!(repair_pending(&db).unwrap(), vec![1]);
        let rows = link_rows(&db);
        assert_eq!(rows[4..], written[4..], "block 1 as written");
        assert_ne!(rows[..4], written[..4], "block 0 still damaged");
        assert_eq!(repair_pending(&db).unwrap(), Vec::<i64>::new(), "nothing left pending");
        rebuild_block(&db, 0).unwrap();
        assert_eq!(link_rows(&db), written);
        // A list that cannot be read leaves its device out, not the block.
        db.execute("UPDATE device_sections SET content = x'05' WHERE device_id = 64", []).unwrap();
        rebuild_block(&db, 0).unwrap();
        assert_eq!(link_rows(&db)[..3], [(0, 10, vec![1, 511]), (0, 11, vec![1, 63]), (0, 12, vec![1])]);
    }
}

#[cfg(test)]
mod held_link_tests {
    use super::*;
    use crate::storage::ingest::{record_report, IngestState};
    use crate::storage::writer::WriterState;
    use crate::storage::Storage;
    use crate::storage::{Report, ReportOutcome};
    use parc_model::Inventory;
    use parc_model::SoftwarePackage;
    use std::path::{Path, PathBuf};

    #[test]
    fn links_wait_only_while_jobs_wait_and_never_long_or_many() {
        let now = Duration::ZERO;
        assert!(write_now(false, 1, now), "an idle writer writes them");
        assert!(!write_now(true, 1, now));
        assert!(!write_now(true, LINK_ROWS_HELD_AT_MOST - 1, LINKS_HELD_AT_MOST - Duration::from_millis(1)));
        assert!(write_now(true, LINK_ROWS_HELD_AT_MOST, now));
        assert!(write_now(true, 1, LINKS_HELD_AT_MOST));
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
        let found = crate::storage::software::devices_with(db, name).unwrap();
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
        state.links.held_since = Some(Instant::now() - LINKS_HELD_AT_MOST);
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
