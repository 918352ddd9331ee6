//! rpm's Berkeley DB database (RHEL 8 and older, CentOS 7, SUSE before
//! 15 SP4: `/var/lib/rpm/Packages`): a hash database whose values are the
//! package headers. Read page by page from the file, without libdb and
//! without locking or writing anything, so a running rpm is never disturbed
//! and a damaged file gives an error, not a crash.
//!
//! The format: page 0 is the metadata page (magic 0x061561, page size,
//! byte order by the magic's). Hash pages (type 13, or 2 in old files) hold
//! an index of item offsets after a 26-byte page header, items alternating
//! key and value: an inline item (type 1) is its bytes; an off-page item
//! (type 3) names the first of a chain of overflow pages (type 7) and the
//! total length. An overflow page's header says how many of its bytes are
//! data and which page comes next.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

pub const PACKAGES: &str = "var/lib/rpm/Packages";

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const PAGE_HASH: u8 = 13;
const PAGE_HASH_UNSORTED: u8 = 2;
const PAGE_OVERFLOW: u8 = 7;
const ITEM_INLINE: u8 = 1;
const ITEM_OFF_PAGE: u8 = 3;
/// A header larger than this is not a package header: refused, not read.
const MAX_VALUE: usize = 64 << 20;

/// Calls `visit` with every value of the database (the package headers, and
/// rpm's own small records, which are no headers). Errors name the file
/// and the page.
pub fn values(path: &Path, mut visit: impl FnMut(&[u8])) -> Result<(), String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let length = file.metadata().map_err(|e| format!("{}: {e}", path.display()))?.len();
    let db = Database::open(file, length).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut page = vec![0; db.page_size];
    for number in 1..db.pages {
        db.read_page(number, &mut page).map_err(|e| format!("{}: {e}", path.display()))?;
        if page[25] != PAGE_HASH && page[25] != PAGE_HASH_UNSORTED {
            continue;
        }
        let items = db.items(&page).map_err(|e| format!("{}: page {number}: {e}", path.display()))?;
        // Keys at even positions, values at odd ones.
        for item in items.iter().skip(1).step_by(2) {
            match item.first() {
                Some(&ITEM_INLINE) => visit(&item[1..]),
                Some(&ITEM_OFF_PAGE) => {
                    let value =
                        db.off_page(item).map_err(|e| format!("{}: page {number}: {e}", path.display()))?;
                    visit(&value);
                }
                // Duplicates (types 2 and 4) are not in rpm's Packages.
                _ => {}
            }
        }
    }
    Ok(())
}

struct Database {
    file: File,
    page_size: usize,
    pages: u64,
    big_endian: bool,
}

impl Database {
    fn open(file: File, length: u64) -> Result<Database, String> {
        let mut meta = [0u8; 32];
        file.read_exact_at(&mut meta, 0).map_err(|_| "too short for a Berkeley DB file".to_string())?;
        let little = u32::from_le_bytes([meta[12], meta[13], meta[14], meta[15]]);
        let big_endian = match little {
            HASH_MAGIC => false,
            _ if u32::from_be_bytes([meta[12], meta[13], meta[14], meta[15]]) == HASH_MAGIC => true,
            _ => return Err("not a Berkeley DB hash database (bad magic)".into()),
        };
        let mut db = Database { file, page_size: 0, pages: 0, big_endian };
        let page_size = db.u32(&meta, 20) as usize;
        if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("page size {page_size} is not one Berkeley DB uses"));
        }
        db.page_size = page_size;
        db.pages = length / page_size as u64;
        Ok(db)
    }

    fn u16(&self, bytes: &[u8], at: usize) -> u16 {
        let pair = [bytes[at], bytes[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    }

    fn u32(&self, bytes: &[u8], at: usize) -> u32 {
        let quad = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(quad)
        } else {
            u32::from_le_bytes(quad)
        }
    }

    fn read_page(&self, number: u64, page: &mut [u8]) -> Result<(), String> {
        if number >= self.pages {
            return Err(format!("page {number} is past the end of the file ({} pages)", self.pages));
        }
        self.file
            .read_exact_at(page, number * self.page_size as u64)
            .map_err(|e| format!("page {number}: {e}"))
    }

    /// A hash page's items, in index order; an item runs from its offset to
    /// the previous item's (items fill the page from its end).
    fn items<'p>(&self, page: &'p [u8]) -> Result<Vec<&'p [u8]>, String> {
        let count = usize::from(self.u16(page, 20));
        if PAGE_HEADER + 2 * count > page.len() {
            return Err(format!("{count} items do not fit a page"));
        }
        let mut items = Vec::with_capacity(count);
        let mut end = page.len();
        for i in 0..count {
            let start = usize::from(self.u16(page, PAGE_HEADER + 2 * i));
            if start < PAGE_HEADER + 2 * count || start >= end {
                return Err(format!("item {i} at offset {start} is outside the page's data"));
            }
            items.push(&page[start..end]);
            end = start;
        }
        Ok(items)
    }

    /// The value an off-page item stands for: its chain of overflow pages.
    fn off_page(&self, item: &[u8]) -> Result<Vec<u8>, String> {
        if item.len() < 12 {
            return Err("an off-page item shorter than 12 bytes".into());
        }
        let mut next = u64::from(self.u32(item, 4));
        let total = self.u32(item, 8) as usize;
        if total > MAX_VALUE {
            return Err(format!("a value of {total} bytes (more than {} MiB)", MAX_VALUE >> 20));
        }
        let mut value = Vec::with_capacity(total);
        let mut page = vec![0; self.page_size];
        let mut visited = std::collections::HashSet::new();
        while value.len() < total {
            if next == 0 {
                return Err(format!("an overflow chain ends after {} of {total} bytes", value.len()));
            }
            if !visited.insert(next) {
                return Err(format!("an overflow chain comes back to page {next}"));
            }
            self.read_page(next, &mut page)?;
            if page[25] != PAGE_OVERFLOW {
                return Err(format!("page {next} is not an overflow page (type {})", page[25]));
            }
            let here = usize::from(self.u16(&page, 22)).min(total - value.len());
            let data = page
                .get(PAGE_HEADER..PAGE_HEADER + here)
                .ok_or_else(|| format!("overflow page {next} says {here} bytes, more than a page holds"))?;
            value.extend_from_slice(data);
            next = u64::from(self.u32(&page, 16));
        }
        Ok(value)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A database by hand, in either byte order: metadata, one hash page with an
    /// inline and an off-page value, and a chain of two overflow pages.
    fn handmade(page_size: usize, big_endian: bool) -> Vec<u8> {
        let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let mut file = vec![0u8; page_size * 4];
        file[12..16].copy_from_slice(&u32b(HASH_MAGIC));
        file[20..24].copy_from_slice(&u32b(page_size as u32));
        file[25] = 8;
        let hash = page_size;
        file[hash + 25] = PAGE_HASH;
        // Items from the end: key 1, inline value, key 2, off-page value.
        let long: Vec<u8> = (0..page_size + 100).map(|i| (i % 251) as u8).collect();
        let mut items: Vec<Vec<u8>> = vec![
            [&[ITEM_INLINE][..], &1u32.to_le_bytes()].concat(),
            [&[ITEM_INLINE][..], b"short value"].concat(),
            [&[ITEM_INLINE][..], &2u32.to_le_bytes()].concat(),
        ];
        let mut off = vec![ITEM_OFF_PAGE, 0, 0, 0];
        off.extend(u32b(2));
        off.extend(u32b(long.len() as u32));
        items.push(off);
        file[hash + 20..hash + 22].copy_from_slice(&u16b(items.len() as u16));
        let mut end = page_size;
        for (i, item) in items.iter().enumerate() {
            let start = end - item.len();
            file[hash + start..hash + end].copy_from_slice(item);
            file[hash + PAGE_HEADER + 2 * i..hash + PAGE_HEADER + 2 * i + 2]
                .copy_from_slice(&u16b(start as u16));
            end = start;
        }
        let first = page_size - PAGE_HEADER;
        for (page, (chunk, next)) in [(2usize, (&long[..first], 3u32)), (3, (&long[first..], 0))] {
            let at = page * page_size;
            file[at + 25] = PAGE_OVERFLOW;
            file[at + 16..at + 20].copy_from_slice(&u32b(next));
            file[at + 22..at + 24].copy_from_slice(&u16b(chunk.len() as u16));
            file[at + PAGE_HEADER..at + PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
        }
        file
    }

    fn read(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Packages");
        std::fs::write(&path, bytes).unwrap();
        let mut values = Vec::new();
        values_of(&path, &mut values)?;
        Ok(values)
    }

    fn values_of(path: &Path, out: &mut Vec<Vec<u8>>) -> Result<(), String> {
        values(path, |v| out.push(v.to_vec()))
    }

    #[test]
    fn inline_and_overflow_values_in_either_byte_order() {
        for big_endian in [false, true] {
            let values = read(&handmade(512, big_endian)).unwrap();
            assert_eq!(values.len(), 2, "big endian {big_endian}");
            assert_eq!(values[0], b"short value");
            assert_eq!(values[1], (0..612).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
        }
    }

    #[test]
    fn damaged_files_are_errors_that_name_the_place() {
        assert!(read(b"").unwrap_err().contains("too short"));
        assert!(read(&[7u8; 4096]).unwrap_err().contains("bad magic"));
        let mut loop_chain = handmade(512, false);
        // The second overflow page points back at the first: a cycle.
        loop_chain[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        loop_chain[3 * 512 + 22..3 * 512 + 24].copy_from_slice(&0u16.to_le_bytes());
        let error = read(&loop_chain).unwrap_err();
        assert!(error.contains("page 1: an overflow chain comes back to page 2"), "{error}");
        let mut cut_chain = handmade(512, false);
        cut_chain[2 * 512 + 16..2 * 512 + 20].copy_from_slice(&0u32.to_le_bytes());
        let error = read(&cut_chain).unwrap_err();
        assert!(error.contains("an overflow chain ends after 486 of 612 bytes"), "{error}");
        let mut bad_offset = handmade(512, false);
        bad_offset[512 + PAGE_HEADER..512 + PAGE_HEADER + 2].copy_from_slice(&5u16.to_le_bytes());
        let error = read(&bad_offset).unwrap_err();
        assert!(error.contains("page 1: item 0 at offset 5"), "{error}");
        let mut huge = handmade(512, false);
        let at = (1..512).find(|i| huge[512 + i] == ITEM_OFF_PAGE && huge[512 + i + 1] == 0).unwrap();
        huge[512 + at + 8..512 + at + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read(&huge).unwrap_err().contains("more than 64 MiB"));
    }

    /// Writes `values` under 4-byte keys 1, 2, ... (and rpm's own record 0)
    /// into a hash database made by Berkeley DB itself: `db5.3_load`, from
    /// Debian's db5.3-util, which `scripts/test` installs.
    pub(in crate::collect::linux) fn load_with_berkeley_db(
        path: &Path,
        page_size: usize,
        values: &[Vec<u8>],
    ) {
        let mut dump =
            format!("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize={page_size}\nHEADER=END\n");
        let record = |key: u32, value: &[u8]| {
            format!(" {}\n {}\n", hex::encode(key.to_le_bytes()), hex::encode(value))
        };
        dump.push_str(&record(0, &(values.len() as u32 + 1).to_le_bytes()));
        for (i, value) in values.iter().enumerate() {
            dump.push_str(&record(i as u32 + 1, value));
        }
        dump.push_str("DATA=END\n");
        let input = path.with_extension("dump");
        std::fs::write(&input, dump).unwrap();
        let loaded = std::process::Command::new("db5.3_load")
            .arg("-f")
            .arg(&input)
            .arg(path)
            .status()
            .expect("db5.3_load (Debian package db5.3-util; scripts/test installs it)");
        assert!(loaded.success());
        std::fs::remove_file(input).unwrap();
    }

    /// Headers as RHEL's Packages holds them, loaded by Berkeley DB itself:
    /// every header comes back whole, in either page size, and rpm's own
    /// small record is no header.
    #[test]
    fn a_database_made_by_berkeley_db_reads_back_every_header() {
        use super::super::rpm::{build_header, parse_header};
        let dir = tempfile::tempdir().unwrap();
        let headers: Vec<Vec<u8>> = (0..300u32)
            .map(|i| {
                let name = format!("package-{i:03}");
                let filler = "x".repeat((i as usize * 37) % 9000);
                build_header(
                    &[
                        (1000, name.as_str()),
                        (1001, "1.0"),
                        (1002, "1.el8"),
                        (1022, "x86_64"),
                        (1016, &filler),
                    ],
                    &[(1008, 1_600_000_000 + i)],
                )
            })
            .collect();
        for page_size in [4096, 65_536] {
            let path = dir.path().join(format!("Packages-{page_size}"));
            load_with_berkeley_db(&path, page_size, &headers);
            let mut values = Vec::new();
            values_of(&path, &mut values).unwrap();
            assert_eq!(values.len(), 301, "page size {page_size}");
            let mut names: Vec<String> =
                values.iter().filter_map(|v| parse_header(v)).map(|p| p.name).collect();
            names.sort();
            let expected: Vec<String> = (0..300).map(|i| format!("package-{i:03}")).collect();
            assert_eq!(names, expected, "page size {page_size}");
        }
    }
}
