//! utmp (who is logged in now) and wtmp (who logged in last), read as the
//! fixed-size records glibc writes on Linux.

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::Users;
use std::io::{Read, Seek, SeekFrom};

const RECORD: usize = 384;
const USER_PROCESS: i16 = 7;
/// How much of the end of wtmp to read: the last 10,000 logins.
const WTMP_TAIL: u64 = (RECORD as u64) * 10_000;

pub fn read(root: &Root) -> Result<Users, String> {
    let utmp = ["run/utmp", "var/run/utmp"]
        .iter()
        .find_map(|path| root.read_capped(path, 4 * 1024 * 1024).ok().flatten())
        .ok_or("no readable utmp file")?;
    let mut logged_in: Vec<String> = user_records(&utmp).collect();
    logged_in.sort();
    logged_in.dedup();
    logged_in.truncate(parc_proto::limits::MAX_USERS);
    let last_logged_in =
        read_tail(&root.path("var/log/wtmp")).and_then(|tail| user_records(&tail).last()).unwrap_or_default();
    Ok(Users { logged_in, last_logged_in })
}

fn read_tail(path: &std::path::Path) -> Option<Vec<u8>> {
    let mut file = std::fs::File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    let start = length.saturating_sub(WTMP_TAIL);
    let start = start - start % RECORD as u64;
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut bytes = Vec::new();
    file.take(WTMP_TAIL).read_to_end(&mut bytes).ok()?;
    Some(bytes)
}

/// User names of USER_PROCESS records, in file order.
pub fn user_records(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes.chunks_exact(RECORD).filter_map(|record| {
        let kind = i16::from_ne_bytes([record[0], record[1]]);
        if kind != USER_PROCESS {
            return None;
        }
        let user = &record[44..76];
        let end = user.iter().position(|b| *b == 0).unwrap_or(user.len());
        let name = sanitize(&String::from_utf8_lossy(&user[..end]));
        (!name.is_empty()).then_some(name)
    })
}

#[cfg(test)]
pub fn record(kind: i16, user: &str) -> Vec<u8> {
    let mut record = vec![0u8; RECORD];
    record[0..2].copy_from_slice(&kind.to_ne_bytes());
    record[44..44 + user.len()].copy_from_slice(user.as_bytes());
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_user_processes_are_users() {
        let mut bytes = record(2, "reboot");
        bytes.extend(record(USER_PROCESS, "jdupont"));
        bytes.extend(record(8, "gone"));
        bytes.extend(record(USER_PROCESS, "mmartin"));
        bytes.extend([1, 2, 3]); // a truncated record
        assert_eq!(user_records(&bytes).collect::<Vec<_>>(), ["jdupont", "mmartin"]);
    }
}
