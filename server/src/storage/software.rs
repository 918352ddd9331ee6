//! A device's software: catalogue ids packed in the device's software
//! section, and the link table `software_devices` that answers "who has
//! Lotus Notes": for each package, bitmaps of the devices that have it, by
//! blocks of 512 device ids in eight 64-bit words (see migration 10).
//!
//! The packed list (5 to 6 bytes a package) holds what is per device: the
//! catalogue id, where the agent found the package and when it was
//! installed. The link table holds only what a fleet-wide question needs.
//! Both are written by the writer only, in the same transaction.

use super::codes::{source_code, source_from_code};
use super::ingest::Catalogue;
use super::StorageError;
use parc_model::history::{diff_section, Change};
use parc_model::{civil, Inventory, Section, SoftwarePackage};
use parc_proto::convert::SoftwareColumns;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::{HashMap, HashSet};

/// One installed package of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Installed {
    pub software_id: i64,
    pub source: i64,
    /// Days since the epoch; 0 when unknown.
    pub install_day: i64,
}

/// Packs a list sorted by id: a varint count, then for each entry the id's
/// delta from the previous one, the source and the install day.
pub fn pack(entries: &[Installed]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 6 + 4);
    put_varint(&mut out, entries.len() as u64);
    let mut previous = 0i64;
    for entry in entries {
        put_varint(&mut out, u64::try_from(entry.software_id - previous).unwrap_or(0));
        put_varint(&mut out, u64::try_from(entry.source).unwrap_or(0));
        put_varint(&mut out, u64::try_from(entry.install_day).unwrap_or(0));
        previous = entry.software_id;
    }
    out
}

pub fn unpack(bytes: &[u8]) -> Option<Vec<Installed>> {
    let mut input = bytes;
    let count = usize::try_from(get_varint(&mut input)?).ok()?;
    let mut entries = Vec::with_capacity(count.min(100_000));
    let mut previous = 0i64;
    for _ in 0..count {
        let software_id = previous.checked_add(i64::try_from(get_varint(&mut input)?).ok()?)?;
        let source = i64::try_from(get_varint(&mut input)?).ok()?;
        let install_day = i64::try_from(get_varint(&mut input)?).ok()?;
        entries.push(Installed { software_id, source, install_day });
        previous = software_id;
    }
    input.is_empty().then_some(entries)
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn get_varint(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Writes a device's new software list: returns the packed section content
/// and, when there was a list before, the history; the link bits that
/// change go to `links`, written when the transaction commits.
pub(super) fn write(
    db: &Connection,
    catalogue: &mut Catalogue,
    links: &mut LinkChanges,
    device_id: u64,
    packages: &SoftwareColumns,
    before: Option<&[u8]>,
) -> Result<(Vec<u8>, Vec<Change>), StorageError> {
    let mut ids = Vec::with_capacity(packages.len());
    let mut entries = Vec::with_capacity(packages.len());
    for package in packages.iter() {
        let software_id = catalogue.id(db, &package)?;
        entries.push(Installed {
            software_id,
            source: source_code(package.source),
            install_day: i64::from(package.install_day),
        });
        ids.push(software_id);
    }
    entries.sort_unstable();
    entries.dedup_by_key(|e| (e.software_id, e.source));
    let old = match before {
        Some(bytes) => Some(unpack(bytes).ok_or_else(|| StorageError::CorruptInventory {
            device_id,
            reason: "stored software list cannot be unpacked".into(),
        })?),
        None => None,
    };
    // Both lists are sorted by id: what came and what went in one walk.
    let new_ids = sorted_ids(&entries);
    let old_ids = old.as_deref().map(sorted_ids).unwrap_or_default();
    let (added, removed) = differences(&new_ids, &old_ids);
    let place = device_block(device_id);
    for software_id in &added {
        links.set(*software_id, place);
    }
    for software_id in &removed {
        links.clear(*software_id, place);
    }
    let changes = match old {
        None => Vec::new(),
        Some(_) if added.is_empty() && removed.is_empty() => Vec::new(),
        Some(old) => {
            // What went is read back from the catalogue. Only the (name,
            // architecture) pairs that gained or lost a version can show a
            // change, so the diff sees those packages alone, not the other
            // hundreds the PC still has.
            let by_id: HashMap<i64, usize, FoldHash> = ids.iter().copied().zip(0..).collect();
            let gone = catalogue_rows(db, &removed)?;
            let touched: HashSet<(&str, &str)> = added
                .iter()
                .filter_map(|id| by_id.get(id).map(|&i| packages.get(i)))
                .map(|p| (p.name, p.architecture))
                .chain(gone.values().map(|p| (p.name.as_str(), p.architecture.as_str())))
                .collect();
            let relevant = |name: &str, architecture: &str| touched.contains(&(name, architecture));
            let before: Vec<SoftwarePackage> = old
                .iter()
                .filter_map(|entry| match by_id.get(&entry.software_id) {
                    Some(&i) => {
                        let p = packages.get(i);
                        relevant(p.name, p.architecture).then(|| p.to_package())
                    }
                    None => {
                        gone.get(&entry.software_id).filter(|p| relevant(&p.name, &p.architecture)).cloned()
                    }
                })
                .collect();
            let after: Vec<SoftwarePackage> = packages
                .iter()
                .filter(|p| relevant(p.name, p.architecture))
                .map(|p| p.to_package())
                .collect();
            let old_inventory = Inventory { software: Some(before), ..Inventory::default() };
            let new_inventory = Inventory { software: Some(after), ..Inventory::default() };
            diff_section(Section::Software, &old_inventory, &new_inventory)
        }
    };
    Ok((pack(&entries), changes))
}

/// foldhash rather than SipHash for maps keyed by ids: the keys are ours,
/// and a report of 600 packages looks them up 600 times.
type FoldHash = foldhash::fast::RandomState;

/// The distinct ids of entries sorted by id.
fn sorted_ids(entries: &[Installed]) -> Vec<i64> {
    let mut ids: Vec<i64> = entries.iter().map(|e| e.software_id).collect();
    ids.dedup();
    ids
}

/// (in `new` only, in `old` only), both sorted and distinct.
fn differences(new: &[i64], old: &[i64]) -> (Vec<i64>, Vec<i64>) {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    let (mut n, mut o) = (new.iter().peekable(), old.iter().peekable());
    loop {
        match (n.peek(), o.peek()) {
            (Some(a), Some(b)) if a == b => {
                n.next();
                o.next();
            }
            (Some(a), Some(b)) if a < b => added.extend(n.next()),
            (Some(_), Some(_)) => removed.extend(o.next()),
            (Some(_), None) => added.extend(n.next()),
            (None, Some(_)) => removed.extend(o.next()),
            (None, None) => return (added, removed),
        }
    }
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

/// Live devices that have any version of the package `name`, by device id.
pub(super) fn devices_with(db: &Connection, name: &str) -> Result<Vec<(u64, SoftwarePackage)>, StorageError> {
    // For each version of the package, a seek per block (the table is keyed
    // by block first); CROSS JOIN keeps that loop order.
    let mut statement = db.prepare_cached(&format!(
        "WITH RECURSIVE blocks (block) AS ( \
             SELECT 0 UNION ALL SELECT block + 1 FROM blocks \
             WHERE block < (SELECT coalesce(max(block), -1) FROM software_devices)) \
         SELECT s.name, s.version, s.publisher, s.architecture, l.block, {WORD_COLUMNS} \
         FROM software s CROSS JOIN blocks b CROSS JOIN software_devices l \
         WHERE s.name = ?1 AND l.block = b.block AND l.software_id = s.id"
    ))?;
    let rows = statement.query_map([name], |row| {
        Ok((catalogue_package(row, 0)?, row.get::<_, i64>(4)?, row_words(row, 5)?))
    })?;
    let mut found = Vec::new();
    for row in rows {
        let (package, block, words) = row?;
        found.extend(block_devices(block, words).map(|id| (id, package.clone())));
    }
    found.sort_by(|a, b| (a.0, &a.1.version).cmp(&(b.0, &b.1.version)));
    Ok(found)
}

pub(super) fn ids_json(ids: &[i64]) -> String {
    let mut json = String::with_capacity(ids.len() * 7 + 2);
    json.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    json
}

/// A catalogue entry from four columns (name, version, publisher,
/// architecture) starting at `first`.
fn catalogue_package(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<SoftwarePackage> {
    Ok(SoftwarePackage {
        name: row.get(first)?,
        version: row.get(first + 1)?,
        publisher: row.get(first + 2)?,
        architecture: row.get(first + 3)?,
        ..SoftwarePackage::default()
    })
}

/// Catalogue entries by id (name, version, publisher, architecture).
fn catalogue_rows(db: &Connection, ids: &[i64]) -> Result<HashMap<i64, SoftwarePackage>, StorageError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut statement = db.prepare_cached(
        "SELECT id, name, version, publisher, architecture FROM software WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = statement
        .query_map([ids_json(ids)], |row| Ok((row.get::<_, i64>(0)?, catalogue_package(row, 1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// A device's packages from its packed list, sorted by name, version and
/// architecture.
pub(super) fn read(
    db: &Connection,
    device_id: u64,
    packed: &[u8],
) -> Result<Vec<SoftwarePackage>, StorageError> {
    let entries = unpack(packed).ok_or_else(|| StorageError::CorruptInventory {
        device_id,
        reason: "stored software list cannot be unpacked".into(),
    })?;
    let ids: Vec<i64> = entries.iter().map(|e| e.software_id).collect();
    let catalogue = catalogue_rows(db, &ids)?;
    let mut packages: Vec<SoftwarePackage> = entries
        .iter()
        .filter_map(|entry| {
            let mut package = catalogue.get(&entry.software_id)?.clone();
            package.source = source_from_code(entry.source);
            if entry.install_day > 0 {
                package.install_date = civil::iso(entry.install_day);
            }
            Some(package)
        })
        .collect();
    packages
        .sort_by(|a, b| (&a.name, &a.version, &a.architecture).cmp(&(&b.name, &b.version, &b.architecture)));
    Ok(packages)
}

/// The link table's rows of one package (`?1`), block by block: a seek
/// per block, since the table is keyed by block first. Each row: the
/// block, then its words (read with [`row_words`] from column 1).
pub(super) const HOLDERS_OF_PACKAGE: &str = "WITH RECURSIVE blocks (block) AS ( \
     SELECT 0 UNION ALL SELECT block + 1 FROM blocks \
     WHERE block < (SELECT coalesce(max(block), -1) FROM software_devices)) \
     SELECT l.block, l.w0, l.w1, l.w2, l.w3, l.w4, l.w5, l.w6, l.w7 FROM blocks b CROSS JOIN software_devices l \
     WHERE l.block = b.block AND l.software_id = ?1";

/// A catalogue entry and the ids of the devices that have it.
pub(super) struct PackageHolders {
    pub package: SoftwarePackage,
    pub devices: Vec<u64>,
}

/// Catalogue entries whose name contains `text` (or equals it, with
/// `exact`), case-insensitive, by name then version: at most `limit`, and
/// how many more matched. With the ids of the devices that have each.
pub(super) fn holders_by_version(
    db: &Connection,
    text: &str,
    exact: bool,
    limit: usize,
) -> Result<(Vec<PackageHolders>, usize), StorageError> {
    let mut catalogue = db.prepare_cached(
        "SELECT id, name, version, publisher, architecture FROM software \
         WHERE CASE WHEN ?2 THEN lower(name) = lower(?1) ELSE instr(lower(name), lower(?1)) > 0 END \
         ORDER BY lower(name), name, version, architecture",
    )?;
    let packages = catalogue
        .query_map(rusqlite::params![text, exact], |row| {
            Ok((row.get::<_, i64>(0)?, catalogue_package(row, 1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let more = packages.len().saturating_sub(limit);
    let mut holders = db.prepare_cached(HOLDERS_OF_PACKAGE)?;
    let mut found = Vec::new();
    for (id, package) in packages.into_iter().take(limit) {
        let mut devices = Vec::new();
        for row in holders.query_map([id], |row| Ok((row.get::<_, i64>(0)?, row_words(row, 1)?)))? {
            let (block, words) = row?;
            devices.extend(block_devices(block, words));
        }
        if !devices.is_empty() {
            found.push(PackageHolders { package, devices });
        }
    }
    Ok((found, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_list_unpacks_to_itself_in_a_few_bytes_an_entry() {
        let entries: Vec<Installed> = (0..400)
            .map(|i| Installed { software_id: 10 + i * 37, source: i % 8, install_day: 19_000 + i })
            .collect();
        let packed = pack(&entries);
        assert_eq!(unpack(&packed), Some(entries));
        assert!(packed.len() < 400 * 7, "{} bytes", packed.len());
        assert_eq!(unpack(&pack(&[])), Some(vec![]));
    }

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

    #[test]
    fn a_damaged_list_is_refused_not_misread() {
        let packed = pack(&[Installed { software_id: 5, source: 1, install_day: 20_000 }]);
        assert_eq!(unpack(&packed[..packed.len() - 1]), None);
        let mut longer = packed.clone();
        longer.push(0);
        assert_eq!(unpack(&longer), None);
        assert_eq!(unpack(&[0xff; 11]), None);
    }
}

#[cfg(test)]
mod differences_tests {
    use super::differences;

    #[test]
    fn what_came_and_what_went() {
        assert_eq!(differences(&[1, 3, 5, 7], &[2, 3, 7, 9]), (vec![1, 5], vec![2, 9]));
        assert_eq!(differences(&[1, 2], &[]), (vec![1, 2], vec![]));
        assert_eq!(differences(&[], &[4]), (vec![], vec![4]));
        assert_eq!(differences(&[4], &[4]), (vec![], vec![]));
    }
}
