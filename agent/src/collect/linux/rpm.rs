//! The rpm database: `/var/lib/rpm/rpmdb.sqlite` (Fedora, RHEL 9 and later),
//! opened read-only and immutable so the agent can never change it, or the
//! older Berkeley DB `Packages` file (RHEL 8 and before, `rpm_bdb`). Each
//! holds one header per package, decoded here (pure, tested on built
//! headers).

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::{SoftwarePackage, SoftwareSource};
use rusqlite::{Connection, OpenFlags};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_INSTALLTIME: u32 = 1008;
const TAG_VENDOR: u32 = 1011;
const TAG_ARCH: u32 = 1022;
const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_I18NSTRING: u32 = 9;

pub const SQLITE_DB: &str = "var/lib/rpm/rpmdb.sqlite";

pub fn packages(root: &Root) -> Result<Vec<SoftwarePackage>, String> {
    let mut packages = Vec::new();
    let mut seen = 0usize;
    let mut take = |blob: &[u8]| {
        seen += 1;
        if seen <= parc_proto::limits::MAX_SOFTWARE * 2 {
            packages.extend(parse_header(blob));
        }
    };
    let sqlite = root.path(SQLITE_DB);
    let bdb = root.path(super::rpm_bdb::PACKAGES);
    if sqlite.exists() {
        sqlite_headers(&sqlite, &mut take)?;
    } else if bdb.exists() {
        super::rpm_bdb::values(&bdb, &mut take)?;
    } else {
        return Err("/var/lib/rpm holds neither rpmdb.sqlite nor Packages (Berkeley DB)".into());
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.architecture.cmp(&b.architecture)));
    Ok(packages)
}

/// Every header blob of an rpmdb.sqlite.
fn sqlite_headers(path: &std::path::Path, mut visit: impl FnMut(&[u8])) -> Result<(), String> {
    let uri = format!("file:{}?immutable=1", path.display());
    let db = Connection::open_with_flags(uri, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut statement =
        db.prepare("SELECT blob FROM Packages").map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = statement.query([]).map_err(|e| format!("{}: {e}", path.display()))?;
    while let Some(row) = rows.next().map_err(|e| format!("{}: {e}", path.display()))? {
        let blob = row.get_ref(0).and_then(|v| v.as_blob().map_err(Into::into));
        visit(blob.map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok(())
}

/// One header blob: index count and data length (big-endian), the index
/// entries (tag, type, offset, count), then the data. `None` for malformed
/// headers and for the `gpg-pubkey` pseudo-packages.
pub fn parse_header(blob: &[u8]) -> Option<SoftwarePackage> {
    let be = |at: usize| blob.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    let entries = be(0)? as usize;
    let data_length = be(4)? as usize;
    let data_start = 8usize.checked_add(entries.checked_mul(16)?)?;
    let data = blob.get(data_start..data_start.checked_add(data_length)?)?;
    let mut strings = std::collections::HashMap::new();
    let mut numbers = std::collections::HashMap::new();
    for i in 0..entries.min(10_000) {
        let at = 8 + i * 16;
        let (tag, kind, offset) = (be(at)?, be(at + 4)?, be(at + 8)? as usize);
        match kind {
            TYPE_STRING | TYPE_I18NSTRING => {
                let rest = data.get(offset..)?;
                let end = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
                strings.insert(tag, String::from_utf8_lossy(&rest[..end]).into_owned());
            }
            TYPE_INT32 => {
                let b = data.get(offset..offset + 4)?;
                numbers.insert(tag, u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            }
            _ => {}
        }
    }
    let name = strings.get(&TAG_NAME)?.clone();
    if name == "gpg-pubkey" {
        return None;
    }
    let text = |tag: u32| strings.get(&tag).cloned().unwrap_or_default();
    let mut version = format!("{}-{}", text(TAG_VERSION), text(TAG_RELEASE));
    if let Some(epoch) = numbers.get(&TAG_EPOCH).filter(|e| **e > 0) {
        version = format!("{epoch}:{version}");
    }
    Some(SoftwarePackage {
        name: sanitize(&name),
        version: sanitize(version.trim_end_matches('-')),
        publisher: sanitize(&text(TAG_VENDOR)),
        install_date: numbers
            .get(&TAG_INSTALLTIME)
            .map(|t| crate::collect::parse::iso_date_from_unix(u64::from(*t)))
            .unwrap_or_default(),
        source: SoftwareSource::Rpm,
        architecture: sanitize(&text(TAG_ARCH)),
    })
}

/// Builds a header blob, for tests.
#[cfg(test)]
pub fn build_header(strings: &[(u32, &str)], numbers: &[(u32, u32)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    for (tag, value) in strings {
        index.extend([*tag, TYPE_STRING, data.len() as u32, 1].iter().flat_map(|v| v.to_be_bytes()));
        data.extend(value.as_bytes());
        data.push(0);
    }
    while !data.len().is_multiple_of(4) {
        data.push(0);
    }
    for (tag, value) in numbers {
        index.extend([*tag, TYPE_INT32, data.len() as u32, 1].iter().flat_map(|v| v.to_be_bytes()));
        data.extend(value.to_be_bytes());
    }
    let mut blob = Vec::new();
    blob.extend(((index.len() / 16) as u32).to_be_bytes());
    blob.extend((data.len() as u32).to_be_bytes());
    blob.extend(index);
    blob.extend(data);
    blob
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_give_name_epoch_version_release_vendor_arch_and_date() {
        let blob = build_header(
            &[
                (TAG_NAME, "firefox"),
                (TAG_VERSION, "128.5.0"),
                (TAG_RELEASE, "1.el9_5"),
                (TAG_VENDOR, "Red Hat, Inc."),
                (TAG_ARCH, "x86_64"),
            ],
            &[(TAG_EPOCH, 1), (TAG_INSTALLTIME, 1_733_097_600)],
        );
        let package = parse_header(&blob).unwrap();
        assert_eq!(package.name, "firefox");
        assert_eq!(package.version, "1:128.5.0-1.el9_5");
        assert_eq!((package.publisher.as_str(), package.architecture.as_str()), ("Red Hat, Inc.", "x86_64"));
        assert_eq!(package.install_date, "2024-12-02");
    }

    #[test]
    fn pseudo_packages_and_broken_headers_are_skipped() {
        assert_eq!(parse_header(&build_header(&[(TAG_NAME, "gpg-pubkey")], &[])), None);
        assert_eq!(parse_header(&[0, 0, 0, 9, 0, 0, 0, 1]), None);
        assert_eq!(parse_header(&[0xff; 64]), None);
        let mut truncated = build_header(&[(TAG_NAME, "bash")], &[]);
        truncated.truncate(20);
        assert_eq!(parse_header(&truncated), None);
    }

    #[test]
    fn the_database_is_read_without_being_touched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SQLITE_DB);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)",
            )
            .unwrap();
            for name in ["zsh", "bash", "gpg-pubkey"] {
                let blob = build_header(
                    &[(TAG_NAME, name), (TAG_VERSION, "1.0"), (TAG_RELEASE, "1"), (TAG_ARCH, "x86_64")],
                    &[],
                );
                db.execute("INSERT INTO Packages (blob) VALUES (?1)", [blob]).unwrap();
            }
        }
        let before = std::fs::read(&path).unwrap();
        let listed = packages(&Root::new(dir.path())).unwrap();
        let names: Vec<&str> = listed.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bash", "zsh"]);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no journal or WAL file left"
        );
    }
    #[test]
    fn a_berkeley_db_packages_file_is_read_when_there_is_no_sqlite_database() {
        let dir = tempfile::tempdir().unwrap();
        let rpm = dir.path().join("var/lib/rpm");
        std::fs::create_dir_all(&rpm).unwrap();
        let root = Root::new(dir.path());
        let error = packages(&root).unwrap_err();
        assert!(error.contains("neither rpmdb.sqlite nor Packages"), "{error}");
        let headers = vec![
            build_header(
                &[(TAG_NAME, "zsh"), (TAG_VERSION, "5.5.1"), (TAG_RELEASE, "10.el8"), (TAG_ARCH, "x86_64")],
                &[],
            ),
            build_header(
                &[(TAG_NAME, "bash"), (TAG_VERSION, "4.4.20"), (TAG_RELEASE, "4.el8"), (TAG_ARCH, "x86_64")],
                &[],
            ),
            build_header(&[(TAG_NAME, "gpg-pubkey"), (TAG_VERSION, "fd431d51")], &[]),
        ];
        super::super::rpm_bdb::tests::load_with_berkeley_db(&rpm.join("Packages"), 4096, &headers);
        let listed = packages(&root).unwrap();
        let names: Vec<(&str, &str)> = listed.iter().map(|p| (p.name.as_str(), p.version.as_str())).collect();
        assert_eq!(names, [("bash", "4.4.20-4.el8"), ("zsh", "5.5.1-10.el8")]);
    }
}
