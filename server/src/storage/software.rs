//! A device's software: catalogue ids packed in the device's software
//! section, and one row per (package, device) in the link table
//! `software_devices` that answers "who has Lotus Notes".
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
use rusqlite::{params, Connection};
use std::collections::{BTreeSet, HashMap};

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

/// Writes a device's new software list: the packed section content it
/// returns, the link rows that changed, and the history when there was a
/// list before.
pub(super) fn write(
    db: &Connection,
    catalogue: &mut Catalogue,
    device_id: u64,
    packages: &[SoftwarePackage],
    before: Option<&[u8]>,
) -> Result<(Vec<u8>, Vec<Change>), StorageError> {
    let mut entries = Vec::with_capacity(packages.len());
    let mut by_id: HashMap<i64, &SoftwarePackage> = HashMap::with_capacity(packages.len());
    for package in packages {
        let software_id = catalogue.id(db, package)?;
        let install_day = civil::parse_iso(&package.install_date).unwrap_or(0);
        entries.push(Installed { software_id, source: source_code(package.source), install_day });
        by_id.insert(software_id, package);
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
    let new_ids: BTreeSet<i64> = entries.iter().map(|e| e.software_id).collect();
    let old_ids: BTreeSet<i64> = old.iter().flatten().map(|e| e.software_id).collect();
    let added: Vec<i64> = new_ids.difference(&old_ids).copied().collect();
    let removed: Vec<i64> = old_ids.difference(&new_ids).copied().collect();
    if !added.is_empty() {
        // One statement for the whole list, in id order: far cheaper than a
        // statement per row.
        db.prepare_cached(
            "INSERT OR IGNORE INTO software_devices (software_id, device_id) SELECT value, ?1 FROM json_each(?2)",
        )?
        .execute(params![device_id, ids_json(&added)])?;
    }
    if !removed.is_empty() {
        db.prepare_cached(
            "DELETE FROM software_devices WHERE device_id = ?1 AND software_id IN (SELECT value FROM json_each(?2))",
        )?
        .execute(params![device_id, ids_json(&removed)])?;
    }
    let changes = match old {
        None => Vec::new(),
        Some(_) if added.is_empty() && removed.is_empty() => Vec::new(),
        Some(old) => {
            // The old list: what is still there is in `packages`, what went
            // is read back from the catalogue.
            let gone = catalogue_rows(db, &removed)?;
            let mut before = Vec::with_capacity(old.len());
            for entry in &old {
                if let Some(package) = by_id.get(&entry.software_id) {
                    before.push((*package).clone());
                } else if let Some(package) = gone.get(&entry.software_id) {
                    before.push(package.clone());
                }
            }
            let old_inventory = Inventory { software: Some(before), ..Inventory::default() };
            let new_inventory = Inventory { software: Some(packages.to_vec()), ..Inventory::default() };
            diff_section(Section::Software, &old_inventory, &new_inventory)
        }
    };
    Ok((pack(&entries), changes))
}

fn ids_json(ids: &[i64]) -> String {
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

/// Catalogue entries by id (name, version, publisher, architecture).
fn catalogue_rows(db: &Connection, ids: &[i64]) -> Result<HashMap<i64, SoftwarePackage>, StorageError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut statement = db.prepare_cached(
        "SELECT id, name, version, publisher, architecture FROM software WHERE id IN (SELECT value FROM json_each(?1))",
    )?;
    let rows = statement.query_map([ids_json(ids)], |row| {
        Ok((
            row.get::<_, i64>(0)?,
            SoftwarePackage {
                name: row.get(1)?,
                version: row.get(2)?,
                publisher: row.get(3)?,
                architecture: row.get(4)?,
                ..SoftwarePackage::default()
            },
        ))
    })?;
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
