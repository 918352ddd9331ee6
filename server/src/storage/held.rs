//! What each device's rows in `device_sections` hold (a hash, or the unknown
//! flag, per section), kept in the writer's memory.
//!
//! Every report compares its sections with these, and a delta report needs
//! nothing else of the table. Read from SQLite, they cost a cache miss or
//! two per report at 100,000 devices (a device's rows share their leaf pages
//! with the first kilobyte of each section's content): a fifth of the
//! writer's time on delta reports. Only the writer changes
//! `device_sections`, and it drops this cache with the rest of its state
//! whenever a transaction rolls back, so what is here is what the database
//! holds, committed or about to be.

use super::codes::section_from_code;
use super::StorageError;
use parc_model::Section;
use parc_proto::sections::SectionHash;
use rusqlite::Connection;

const SECTIONS: usize = Section::ALL.len();
const _: () = assert!(SECTIONS <= u16::BITS as usize, "a bit per section in a u16");

/// What the database holds of one section of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HeldSection {
    pub hash: Option<SectionHash>,
    pub unknown: bool,
}

/// The held sections of one device: about 200 bytes, so that the whole
/// fleet's fit in the writer's memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct HeldSet {
    /// Bit `section as usize`: the section has a row.
    present: u16,
    /// The row has a hash (in `hashes`).
    hashed: u16,
    /// The row says the agent could not read the section.
    unknown: u16,
    hashes: [SectionHash; SECTIONS],
}

const fn bit(section: Section) -> u16 {
    1 << section as usize
}

impl HeldSet {
    pub fn get(&self, section: Section) -> Option<HeldSection> {
        if self.present & bit(section) == 0 {
            return None;
        }
        Some(HeldSection {
            hash: (self.hashed & bit(section) != 0).then(|| self.hashes[section as usize]),
            unknown: self.unknown & bit(section) != 0,
        })
    }

    pub fn set(&mut self, section: Section, held: HeldSection) {
        let b = bit(section);
        self.present |= b;
        match held.hash {
            Some(hash) => {
                self.hashed |= b;
                self.hashes[section as usize] = hash;
            }
            None => self.hashed &= !b,
        }
        if held.unknown {
            self.unknown |= b;
        } else {
            self.unknown &= !b;
        }
    }

    /// The sections held with a hash, in `Section::ALL` order: what the
    /// server confirms to the agent.
    pub fn confirmed(&self) -> Vec<(Section, SectionHash)> {
        Section::ALL
            .into_iter()
            .filter_map(|section| self.get(section).and_then(|h| h.hash).map(|hash| (section, hash)))
            .collect()
    }
}

/// Reads a device's held sections from the database.
pub(super) fn read(db: &Connection, device_id: u64) -> Result<HeldSet, StorageError> {
    let mut statement = db.prepare_cached(
        "SELECT section, hash, unknown_reason IS NOT NULL FROM device_sections WHERE device_id = ?1",
    )?;
    let mut rows = statement.query([device_id])?;
    let mut held = HeldSet::default();
    while let Some(row) = rows.next()? {
        let Some(section) = section_from_code(row.get(0)?) else { continue };
        let hash = match row.get_ref(1)? {
            rusqlite::types::ValueRef::Blob(bytes) => SectionHash::try_from(bytes).ok(),
            _ => None,
        };
        held.set(section, HeldSection { hash, unknown: row.get(2)? });
    }
    Ok(held)
}

/// Devices are cached by id in chunks, so that the cache never reallocates
/// (and never holds two copies at once) as the fleet grows.
const CHUNK: usize = 1024;
/// Devices with an id above this are read from the database each time:
/// the cache stays under about 50 MB whatever the fleet.
const MAX_CACHED_ID: u64 = 256 * CHUNK as u64;

/// The held sections of every device the writer has seen, by device id
/// (ids are dense: devices are numbered as they enroll).
#[derive(Default)]
pub struct HeldCache {
    chunks: Vec<Option<Box<[Option<HeldSet>]>>>,
}

impl HeldCache {
    /// A device's held sections, from memory, or read from the database the
    /// first time.
    pub(super) fn get(&mut self, db: &Connection, device_id: u64) -> Result<HeldSet, StorageError> {
        if let Some(held) = self.slot(device_id).and_then(|slot| *slot) {
            return Ok(held);
        }
        let held = read(db, device_id)?;
        self.put(device_id, held);
        Ok(held)
    }

    /// Records what a device's rows now hold, in the running transaction.
    pub(super) fn put(&mut self, device_id: u64, held: HeldSet) {
        if device_id >= MAX_CACHED_ID {
            return;
        }
        let (chunk, index) = ((device_id as usize) / CHUNK, (device_id as usize) % CHUNK);
        if self.chunks.len() <= chunk {
            self.chunks.resize_with(chunk + 1, || None);
        }
        let slots = self.chunks[chunk].get_or_insert_with(|| vec![None; CHUNK].into_boxed_slice());
        slots[index] = Some(held);
    }

    fn slot(&self, device_id: u64) -> Option<&Option<HeldSet>> {
        if device_id >= MAX_CACHED_ID {
            return None;
        }
        let (chunk, index) = ((device_id as usize) / CHUNK, (device_id as usize) % CHUNK);
        self.chunks.get(chunk)?.as_ref()?.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(byte: u8) -> SectionHash {
        [byte; 16]
    }

    #[test]
    fn a_set_holds_each_section_apart() {
        let mut held = HeldSet::default();
        assert_eq!(held.get(Section::Os), None);
        held.set(Section::Os, HeldSection { hash: Some(hash(1)), unknown: false });
        held.set(Section::Software, HeldSection { hash: Some(hash(2)), unknown: true });
        held.set(Section::Batteries, HeldSection { hash: None, unknown: true });
        assert_eq!(held.get(Section::Os), Some(HeldSection { hash: Some(hash(1)), unknown: false }));
        assert_eq!(held.get(Section::Software), Some(HeldSection { hash: Some(hash(2)), unknown: true }));
        assert_eq!(held.get(Section::Batteries), Some(HeldSection { hash: None, unknown: true }));
        assert_eq!(held.get(Section::System), None);
        assert_eq!(held.confirmed(), vec![(Section::Os, hash(1)), (Section::Software, hash(2))]);
        // A section loses its hash or its flag without touching the others.
        held.set(Section::Software, HeldSection { hash: None, unknown: false });
        assert_eq!(held.get(Section::Software), Some(HeldSection { hash: None, unknown: false }));
        assert_eq!(held.confirmed(), vec![(Section::Os, hash(1))]);
    }

    #[test]
    fn the_cache_reads_a_device_once_and_then_answers_from_memory() {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE device_sections (device_id INTEGER, section INTEGER, hash BLOB, \
             unknown_reason TEXT, changed_at INTEGER, content BLOB, PRIMARY KEY (device_id, section))",
        )
        .unwrap();
        db.execute("INSERT INTO device_sections VALUES (7, 2, ?1, NULL, 0, NULL)", [hash(3).as_slice()])
            .unwrap();
        db.execute("INSERT INTO device_sections VALUES (7, 9, NULL, 'no battery', 0, NULL)", []).unwrap();
        // A hash of the wrong length is not a hash.
        db.execute("INSERT INTO device_sections VALUES (7, 3, x'0102', NULL, 0, NULL)", []).unwrap();
        let mut cache = HeldCache::default();
        let held = cache.get(&db, 7).unwrap();
        assert_eq!(held.confirmed(), vec![(Section::Os, hash(3))]);
        assert_eq!(held.get(Section::Batteries), Some(HeldSection { hash: None, unknown: true }));
        assert_eq!(held.get(Section::Cpu), Some(HeldSection { hash: None, unknown: false }));

        db.execute("DELETE FROM device_sections", []).unwrap();
        assert_eq!(cache.get(&db, 7).unwrap(), held, "answered from memory");
        assert_eq!(HeldCache::default().get(&db, 7).unwrap(), HeldSet::default(), "read afresh");

        let mut changed = held;
        changed.set(Section::Memory, HeldSection { hash: Some(hash(4)), unknown: false });
        cache.put(7, changed);
        assert_eq!(cache.get(&db, 7).unwrap(), changed);
        // Past the bound, nothing is kept: every call reads the table.
        cache.put(MAX_CACHED_ID, changed);
        assert_eq!(cache.get(&db, MAX_CACHED_ID).unwrap(), HeldSet::default());
        assert_eq!(cache.get(&db, 7 + CHUNK as u64 * 3).unwrap(), HeldSet::default());
        assert_eq!(cache.chunks.len(), 4);
    }
}
