//! A device's software: catalogue ids packed in the device's software
//! section, from which the link table `software_devices` that answers "who
//! has Lotus Notes" is derived (storage/links.rs).
//!
//! The packed list (5 to 6 bytes a package) holds what is per device: the
//! catalogue id, where the agent found the package and when it was
//! installed. The link table holds only what a fleet-wide question needs.
//! Both are written by the writer only.

use super::codes::{source_code, source_from_code};
use super::ingest::Catalogue;
use super::links::{block_devices, device_block, row_words, LinkChanges, HOLDERS_OF_PACKAGE, WORD_COLUMNS};
use super::StorageError;
use parc_model::history::{diff_section, Change};
use parc_model::{civil, Inventory, Section, SoftwarePackage};
use parc_proto::convert::SoftwareColumns;
use rusqlite::Connection;
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
pub(super) fn sorted_ids(entries: &[Installed]) -> Vec<i64> {
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
