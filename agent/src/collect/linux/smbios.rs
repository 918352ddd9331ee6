//! Memory modules from the raw SMBIOS type 17 ("Memory Device") entries the
//! kernel exposes in /sys/firmware/dmi/entries (readable by root only).

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::MemoryModule;

pub fn memory_modules(root: &Root) -> Vec<MemoryModule> {
    root.list("sys/firmware/dmi/entries")
        .into_iter()
        .filter(|entry| entry.starts_with("17-"))
        .filter_map(|entry| {
            root.read_capped(&format!("sys/firmware/dmi/entries/{entry}/raw"), 4096).ok().flatten()
        })
        .filter_map(|raw| parse_memory_device(&raw))
        .take(parc_proto::limits::MAX_MEMORY_MODULES)
        .collect()
}

/// One type 17 structure; `None` for an empty slot or a malformed entry.
pub fn parse_memory_device(raw: &[u8]) -> Option<MemoryModule> {
    if raw.len() < 0x17 || raw[0] != 17 {
        return None;
    }
    let length = raw[1] as usize;
    if length < 0x15 || length > raw.len() {
        return None;
    }
    let word =
        |offset: usize| (offset + 2 <= length).then(|| u16::from_le_bytes([raw[offset], raw[offset + 1]]));
    let size_bytes = match word(0x0C)? {
        0 | 0xFFFF => return None, // no module, or unknown
        0x7FFF => {
            let extended = raw.get(0x1C..0x20).filter(|_| length >= 0x20)?;
            u64::from(u32::from_le_bytes([extended[0], extended[1], extended[2], extended[3]]) & 0x7FFF_FFFF)
                << 20
        }
        size if size & 0x8000 != 0 => u64::from(size & 0x7FFF) << 10,
        size => u64::from(size) << 20,
    };
    let strings = strings_after(raw, length);
    let string = |index: u8| {
        index.checked_sub(1).and_then(|i| strings.get(i as usize)).map(|s| sanitize(s)).unwrap_or_default()
    };
    let configured = word(0x20).filter(|s| *s != 0 && *s != 0xFFFF);
    Some(MemoryModule {
        slot: string(raw[0x10]),
        size_bytes,
        kind: crate::collect::parse::smbios_memory_type(u32::from(raw[0x12])).to_string(),
        speed_mts: u32::from(configured.or(word(0x15)).filter(|s| *s != 0xFFFF).unwrap_or(0)),
    })
}

/// The NUL-terminated strings that follow a structure's formatted area.
fn strings_after(raw: &[u8], length: usize) -> Vec<String> {
    raw[length..]
        .split(|b| *b == 0)
        .take_while(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

#[cfg(test)]
pub fn sample_memory_device(size_word: u16, kind: u8, speed: u16, locator: &str) -> Vec<u8> {
    let mut raw = vec![0u8; 0x28];
    raw[0] = 17;
    raw[1] = 0x28;
    raw[0x0C..0x0E].copy_from_slice(&size_word.to_le_bytes());
    raw[0x10] = 1;
    raw[0x12] = kind;
    raw[0x15..0x17].copy_from_slice(&speed.to_le_bytes());
    raw.extend(locator.as_bytes());
    raw.extend([0, b'B', b'A', b'N', b'K', b' ', b'0', 0, 0]);
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_sizes_kinds_speeds_and_slots() {
        let module = parse_memory_device(&sample_memory_device(8192, 0x1A, 2666, "DIMM A")).unwrap();
        assert_eq!(
            module,
            MemoryModule { slot: "DIMM A".into(), size_bytes: 8 << 30, kind: "DDR4".into(), speed_mts: 2666 }
        );
        assert_eq!(
            parse_memory_device(&sample_memory_device(0x8000 | 512, 0x18, 1600, "X")).unwrap().size_bytes,
            512 << 10
        );
        let mut big = sample_memory_device(0x7FFF, 0x22, 4800, "DIMM 1");
        big[0x1C..0x20].copy_from_slice(&(65_536u32).to_le_bytes());
        assert_eq!(parse_memory_device(&big).unwrap().size_bytes, 64 << 30);
    }

    #[test]
    fn empty_slots_and_junk_are_skipped() {
        assert_eq!(parse_memory_device(&sample_memory_device(0, 0x1A, 0, "Empty")), None);
        assert_eq!(parse_memory_device(&[17, 0xff, 0, 0]), None);
        assert_eq!(parse_memory_device(&[0u8; 64]), None);
        let mut lying = sample_memory_device(4096, 0x18, 1333, "DIMM");
        lying[1] = 0x7f; // claims to be longer than it is
        assert_eq!(parse_memory_device(&lying), None);
    }
}
