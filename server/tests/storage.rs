//! Storage on a real SQLite file: opening safely, surviving reopen.

use crate::util::inventory;
use parc_server::storage::{latest_version, Report, ReportOutcome, Storage, StorageError};

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn a_new_database_gets_the_latest_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parc.db");
    drop(Storage::open(&path).unwrap());
    let db = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = db.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    let mode: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    assert_eq!(version, latest_version());
    assert_eq!(mode, "wal");
}

/// A closed database is whole in its one file: copied alone after the server
/// stopped, it still holds every report.
#[test]
fn closing_folds_the_wal_into_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parc.db");
    let pc = inventory("PC-CLOSE", "45454545454545454545454545454545");
    {
        let storage = Storage::open(&path).unwrap();
        storage.enroll(&pc.machine_id, &pc.hostname, "hash-close", 100).unwrap();
        storage.record_report(Report::full("hash-close", 1, pc.clone(), 110)).unwrap();
        // A read, so that the reader has been used before it closes.
        assert_eq!(
            storage.list_devices(&parc_server::storage::DeviceQuery::page(0, 10)).unwrap().devices.len(),
            1
        );
        assert!(dir.path().join("parc.db-wal").exists(), "writes go to the WAL while open");
    }
    assert!(!dir.path().join("parc.db-wal").exists(), "the WAL is folded in and removed on close");
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let db = rusqlite::Connection::open(&copy).unwrap();
    let hostname: String = db.query_row("SELECT hostname FROM devices", [], |r| r.get(0)).unwrap();
    assert_eq!(hostname, "PC-CLOSE");
    let sections: u32 = db.query_row("SELECT count(*) FROM device_sections", [], |r| r.get(0)).unwrap();
    assert!(sections > 5, "{sections} sections");
}

#[test]
fn reopening_keeps_every_device_and_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parc.db");
    let pc = inventory("PC-KEEP", "44444444444444444444444444444444");
    let id = {
        let storage = Storage::open(&path).unwrap();
        let id = storage.enroll(&pc.machine_id, &pc.hostname, "hash-1", 100).unwrap();
        assert_eq!(
            storage.record_report(Report::full("hash-1", 1, pc.clone(), 200)).unwrap().device_id(),
            Some(id)
        );
        id
    };
    let storage = Storage::open(&path).unwrap();
    let device = storage.get_device(id).unwrap().unwrap();
    assert_eq!(device.inventory, Some(crate::util::as_stored(&pc)));
    assert_eq!(device.summary.last_seen_at, Some(200));
    assert!(matches!(
        storage.record_report(Report::full("hash-1", 1, inventory("X", "y"), 300)).unwrap(),
        ReportOutcome::Stale { device_id, last_sequence: 1, .. } if device_id == id
    ));
}

#[test]
fn a_database_from_a_newer_parc_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.db");
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch("CREATE TABLE future (x); PRAGMA user_version = 99;").unwrap();
    }
    let before = file_bytes(&path);
    let error = Storage::open(&path).unwrap_err();
    assert!(matches!(error, StorageError::NewerSchema { found: 99, .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("newer.db") && message.contains("99") && message.contains("upgrade"),
        "{message}"
    );
    assert_eq!(file_bytes(&path), before);
    assert!(!dir.path().join("newer.db-wal").exists());
}

#[test]
fn a_file_that_is_not_a_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "these are somebody's notes, not a database; ".repeat(40)).unwrap();
    let before = file_bytes(&path);
    let error = Storage::open(&path).unwrap_err();
    assert!(matches!(error, StorageError::NotADatabase { .. }), "{error:?}");
    assert!(error.to_string().contains("notes.db"));
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn another_applications_sqlite_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('x');").unwrap();
    }
    let before = file_bytes(&path);
    let error = Storage::open(&path).unwrap_err();
    assert!(matches!(error, StorageError::NotADatabase { .. }), "{error:?}");
    assert_eq!(file_bytes(&path), before);
}

#[test]
fn a_missing_folder_or_a_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = Storage::open(&dir.path().join("missing").join("parc.db")).unwrap_err();
    assert!(error.to_string().contains("does not exist"), "{error}");
    let error = Storage::open(dir.path()).unwrap_err();
    assert!(error.to_string().contains("is a directory"), "{error}");
}

#[test]
fn a_section_reported_unknown_keeps_its_last_content_and_the_summary_too() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::open(&dir.path().join("parc.db")).unwrap();
    let pc = inventory("PC-UNKNOWN", "55555555555555555555555555555555");
    let id = storage.enroll(&pc.machine_id, &pc.hostname, "hash-5", 1).unwrap();
    storage.record_report(Report::full("hash-5", 1, pc.clone(), 10)).unwrap();

    let mut hiccup = pc.clone();
    hiccup.software = None;
    hiccup.os = None;
    hiccup.unknown_sections = vec![
        parc_model::UnknownSection { section: parc_model::Section::Software, reason: "WMI timed out".into() },
        parc_model::UnknownSection { section: parc_model::Section::Os, reason: "registry busy".into() },
    ];
    storage.record_report(Report::full("hash-5", 2, hiccup.clone(), 20)).unwrap();
    let device = storage.get_device(id).unwrap().unwrap();
    let stored = device.inventory.unwrap();
    assert_eq!(
        stored.software,
        crate::util::as_stored(&pc).software,
        "software never disappears on a hiccup"
    );
    assert_eq!(stored.os, pc.os);
    assert_eq!(stored.unknown_sections.len(), 2, "the report still says what it could not read");
    assert_eq!(device.summary.os_name, pc.os.as_ref().unwrap().name);
    assert_eq!(device.summary.last_seen_at, Some(20));
}
