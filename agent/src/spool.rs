//! The offline spool: the latest inventory the server has not yet
//! acknowledged, kept in the state directory so that it survives a reboot,
//! a crash or weeks away from the network, and goes out when the server is
//! back without collecting again.
//!
//! One file, replaced atomically ([`StateDir::write_atomically`]): a crash
//! leaves the previous spool or the new one. Its header carries a checksum,
//! so a file damaged some other way (a disk error, a copy cut short) is
//! recognised and set aside rather than sent. The size is bounded by what a
//! report may carry on the wire.

use crate::state::{StateDir, StateError};
use parc_model::Inventory;
use parc_proto::convert::{inventory_from_wire, inventory_to_wire};
use parc_proto::limits::MAX_MESSAGE_BYTES;
use prost::Message;
use std::time::Duration;

const SPOOL_FILE: &str = "spool.pb";
/// The format, versioned: `PARCSPL1`, the CRC-32 of the payload (little
/// endian), then the inventory as a `parc.v1.Inventory` protobuf.
const MAGIC: &[u8; 8] = b"PARCSPL1";
const HEADER_LEN: usize = MAGIC.len() + 4;

/// Largest spooled inventory; a larger one could not be sent either.
pub const MAX_SPOOL_BYTES: usize = MAX_MESSAGE_BYTES;

/// A spooled inventory older than this is collected again rather than sent:
/// after a day the PC may have changed, and the fresh one is what counts.
pub const MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// What the spool holds, for `parc-agent status`.
#[derive(Debug)]
pub struct Spooled {
    pub inventory: Inventory,
    pub bytes: usize,
}

/// Keeps `inventory` as the one waiting to be sent, replacing any other.
pub fn save(states: &StateDir, inventory: &Inventory) -> Result<usize, StateError> {
    let payload = inventory_to_wire(inventory).encode_to_vec();
    if payload.len() > MAX_SPOOL_BYTES {
        return Err(StateError::BadSpool {
            path: states.file(SPOOL_FILE),
            reason: format!("{} bytes, over the {MAX_SPOOL_BYTES}-byte limit", payload.len()),
        });
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    states.write_atomically(SPOOL_FILE, &bytes)?;
    Ok(bytes.len())
}

/// The spooled inventory, if there is one. A damaged spool is an error
/// naming the file; the caller sets it aside with [`clear`].
pub fn load(states: &StateDir) -> Result<Option<Spooled>, StateError> {
    let path = states.file(SPOOL_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateError::Read { path, source }),
    };
    let bad = |reason: String| StateError::BadSpool { path: path.clone(), reason };
    let (header, payload) =
        bytes.split_at_checked(HEADER_LEN).ok_or_else(|| bad("truncated header".into()))?;
    if &header[..MAGIC.len()] != MAGIC {
        return Err(bad("not a spool file".into()));
    }
    if payload.len() > MAX_SPOOL_BYTES {
        return Err(bad(format!("{} bytes, over the {MAX_SPOOL_BYTES}-byte limit", payload.len())));
    }
    let mut crc = [0u8; 4];
    crc.copy_from_slice(&header[MAGIC.len()..]);
    if crc32fast::hash(payload) != u32::from_le_bytes(crc) {
        return Err(bad("checksum mismatch: the file is damaged".into()));
    }
    let wire = parc_proto::pb::Inventory::decode(payload).map_err(|e| bad(e.to_string()))?;
    let inventory = inventory_from_wire(wire).map_err(|e| bad(e.to_string()))?;
    Ok(Some(Spooled { inventory, bytes: bytes.len() }))
}

/// Empties the spool once the server has the inventory.
pub fn clear(states: &StateDir) -> Result<(), StateError> {
    let path = states.file(SPOOL_FILE);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StateError::Write { path, source: e }),
        _ => Ok(()),
    }
}

/// Whether an inventory collected at `collected_at` is still worth sending
/// at `now` (both Unix seconds). One from the future (a clock set back) is
/// not: its age cannot be known.
pub fn is_fresh(collected_at: i64, now: i64) -> bool {
    let age = now.saturating_sub(collected_at);
    (0..=MAX_AGE.as_secs() as i64).contains(&age)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inventory() -> Inventory {
        Inventory {
            collected_at: 1_765_000_000,
            hostname: "PC-ETAMPES-042".into(),
            machine_id: "0123456789abcdef".into(),
            agent_version: "0.1.0".into(),
            volumes: Some(Vec::new()),
            network_interfaces: Some(Vec::new()),
            disks: Some(Vec::new()),
            batteries: Some(Vec::new()),
            software: Some(vec![parc_model::SoftwarePackage {
                name: "Mozilla Firefox".into(),
                version: "128.5.1esr".into(),
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    fn states() -> (tempfile::TempDir, StateDir) {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::open(&dir.path().join("state")).unwrap();
        (dir, states)
    }

    #[test]
    fn a_spooled_inventory_comes_back_whole_until_cleared() {
        let (_dir, states) = states();
        assert!(load(&states).unwrap().is_none());
        let written = save(&states, &inventory()).unwrap();
        let spooled = load(&states).unwrap().unwrap();
        assert_eq!(spooled.inventory, inventory());
        assert_eq!(spooled.bytes, written);
        clear(&states).unwrap();
        assert!(load(&states).unwrap().is_none());
        clear(&states).unwrap();
    }

    #[test]
    fn a_damaged_spool_is_named_and_never_read_as_an_inventory() {
        let (_dir, states) = states();
        save(&states, &inventory()).unwrap();
        let path = states.file(SPOOL_FILE);
        let good = std::fs::read(&path).unwrap();
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x40;
        let cases: [(&[u8], &str); 4] = [
            (&good[..5], "truncated header"),
            (&good[..good.len() - 3], "checksum"),
            (&flipped, "checksum"),
            (b"{\"json\": true}", "not a spool file"),
        ];
        for (bytes, expected) in cases {
            std::fs::write(&path, bytes).unwrap();
            let message = load(&states).unwrap_err().to_string();
            assert!(message.contains("spool.pb") && message.contains(expected), "{message}");
        }
    }

    #[test]
    fn a_crash_before_the_rename_leaves_the_previous_spool() {
        let (_dir, states) = states();
        save(&states, &inventory()).unwrap();
        // What a kill in the middle of the next write leaves: a partial temp file.
        std::fs::write(states.file(".spool.pb.tmp"), b"PARCSPL1\x00\x01").unwrap();
        assert_eq!(load(&states).unwrap().unwrap().inventory, inventory());
        // And the next save goes through regardless.
        let mut newer = inventory();
        newer.collected_at += 60;
        save(&states, &newer).unwrap();
        assert_eq!(load(&states).unwrap().unwrap().inventory.collected_at, newer.collected_at);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_is_an_error_and_keeps_the_previous_spool() {
        let (_dir, states) = states();
        save(&states, &inventory()).unwrap();
        // /dev/full answers every write with ENOSPC, as a full disk does.
        std::os::unix::fs::symlink("/dev/full", states.file(".spool.pb.tmp")).unwrap();
        let mut newer = inventory();
        newer.collected_at += 60;
        let error = save(&states, &newer).unwrap_err().to_string();
        assert!(error.contains("spool.pb") && error.contains("No space left"), "{error}");
        assert_eq!(load(&states).unwrap().unwrap().inventory, inventory());
        assert!(!states.file(".spool.pb.tmp").exists(), "the temp file is not left behind");
    }

    #[test]
    fn a_spool_too_big_for_the_wire_is_refused() {
        let (_dir, states) = states();
        let mut huge = inventory();
        huge.software = Some(
            (0..100_000)
                .map(|i| parc_model::SoftwarePackage {
                    name: format!("package number {i} with a long enough name"),
                    version: "1.0.0".into(),
                    publisher: "A publisher with a long name, Inc.".into(),
                    ..Default::default()
                })
                .collect(),
        );
        let error = save(&states, &huge).unwrap_err().to_string();
        assert!(error.contains("limit"), "{error}");
        assert!(load(&states).unwrap().is_none());
    }

    #[test]
    fn freshness_is_a_day_and_never_the_future() {
        let now = 1_765_000_000;
        assert!(is_fresh(now, now));
        assert!(is_fresh(now - 23 * 3600, now));
        assert!(!is_fresh(now - 25 * 3600, now));
        assert!(!is_fresh(now + 60, now));
    }
}
