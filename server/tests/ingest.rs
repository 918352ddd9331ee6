//! Storage of reports on a real SQLite file: history, delta reports,
//! resync, duplicates, stale devices, the write queue, backup and restore,
//! and the move from schema version 1.

use crate::util::{as_stored, inventory};
use parc_model::history::ChangeKind;
use parc_model::{Section, SoftwarePackage, UnknownSection};
use parc_server::storage::{DeviceQuery, Report, ReportOutcome, Storage, StorageError};
use std::sync::atomic::Ordering;
use std::sync::Arc;

const GIB: u64 = 1 << 30;

fn stored_sections(outcome: &ReportOutcome) -> &parc_server::storage::HeldSections {
    match outcome {
        ReportOutcome::Stored { sections, .. } => sections,
        other => panic!("expected Stored, got {other:?}"),
    }
}

fn open(dir: &tempfile::TempDir) -> Storage {
    Storage::open(&dir.path().join("parc.db")).unwrap()
}

fn package(name: &str, version: &str) -> SoftwarePackage {
    SoftwarePackage {
        name: name.into(),
        version: version.into(),
        publisher: "Vendor".into(),
        ..Default::default()
    }
}

#[test]
fn history_records_exactly_the_changes_and_nothing_for_an_unknown_section() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(&dir);
    let mut pc = inventory("PC-HIST", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1");
    pc.software =
        Some(vec![package("Firefox", "128.0"), package("Lotus Notes", "9.0.1"), package("7-Zip", "23.01")]);
    pc.memory.as_mut().unwrap().total_bytes = 16 * GIB;
    let id = storage.enroll(&pc.machine_id, &pc.hostname, "k", 1).unwrap();
    storage.record_report(Report::full("k", 1, pc.clone(), 100)).unwrap();
    assert!(storage.history(id, 100).unwrap().is_empty(), "a first report is not a change");

    // Firefox upgraded, Lotus Notes removed, Teams installed, RAM halved;
    // the free space and the last boot changed too, which is not history.
    let mut next = pc.clone();
    next.software =
        Some(vec![package("Firefox", "129.0.2"), package("7-Zip", "23.01"), package("Teams", "24.1")]);
    next.memory.as_mut().unwrap().total_bytes = 8 * GIB;
    next.os.as_mut().unwrap().last_boot += 3600;
    for volume in next.volumes.as_mut().unwrap() {
        volume.available_bytes /= 2;
    }
    storage.record_report(Report::full("k", 2, next.clone(), 200)).unwrap();
    let history = storage.history(id, 100).unwrap();
    let mut found: Vec<(i64, Section, &str, &str, &str, &str)> = history
        .iter()
        .map(|e| {
            let c = &e.change;
            (e.at, c.section, c.verb(), c.subject.as_str(), c.before.as_str(), c.after.as_str())
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (200, Section::Memory, "changed", "RAM", "16.0 GiB", "8.0 GiB"),
            (200, Section::Software, "installed", "Teams", "", "24.1"),
            (200, Section::Software, "removed", "Lotus Notes", "9.0.1", ""),
            (200, Section::Software, "upgraded", "Firefox", "128.0", "129.0.2"),
        ]
    );

    // Software and memory could not be read: nothing is recorded, nothing
    // is lost.
    let mut hiccup = next.clone();
    hiccup.software = None;
    hiccup.memory = None;
    hiccup.unknown_sections = vec![
        UnknownSection { section: Section::Software, reason: "WMI timed out".into() },
        UnknownSection { section: Section::Memory, reason: "no SMBIOS".into() },
    ];
    storage.record_report(Report::full("k", 3, hiccup, 300)).unwrap();
    assert_eq!(storage.history(id, 100).unwrap().len(), 4, "an unknown section records no removal");
    let device = storage.get_device(id).unwrap().unwrap();
    let stored = device.inventory.unwrap();
    assert_eq!(stored.software, as_stored(&next).software);
    assert_eq!(stored.memory, next.memory);
    assert_eq!(stored.unknown_sections.len(), 2);

    // Read again, unchanged: still nothing new, and no longer unknown.
    storage.record_report(Report::full("k", 4, next.clone(), 400)).unwrap();
    assert_eq!(storage.history(id, 100).unwrap().len(), 4);
    let stored = storage.get_device(id).unwrap().unwrap().inventory.unwrap();
    assert!(stored.unknown_sections.is_empty());
    assert_eq!(stored, as_stored(&next));

    // One package removed: exactly one entry, the newest first.
    let mut last = next.clone();
    last.software.as_mut().unwrap().retain(|p| p.name != "7-Zip");
    storage.record_report(Report::full("k", 5, last, 500)).unwrap();
    let history = storage.history(id, 100).unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(
        (history[0].at, history[0].change.kind, history[0].change.subject.as_str()),
        (500, ChangeKind::Removed, "7-Zip")
    );
}

#[test]
fn a_delta_report_keeps_the_held_sections_and_names_the_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(&dir);
    let pc = inventory("PC-DELTA", "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2");
    let id = storage.enroll(&pc.machine_id, &pc.hostname, "k", 1).unwrap();
    let full = Report::full("k", 1, pc.clone(), 100);
    let first = storage.record_report(full.clone()).unwrap();
    let held = stored_sections(&first).held.clone();
    assert_eq!(held.len(), full.sent.len(), "every section sent is held");
    assert!(stored_sections(&first).missing.is_empty());

    // Everything unchanged: the inventory carries no section at all.
    let mut empty = pc.clone();
    for section in Section::ALL {
        empty.forget(section);
    }
    let delta = Report {
        sequence: 2,
        inventory: empty.clone(),
        sent: vec![],
        unchanged: held.clone(),
        ..full.clone()
    };
    let outcome = storage.record_report(delta).unwrap();
    assert_eq!(stored_sections(&outcome).held, held);
    assert!(stored_sections(&outcome).missing.is_empty());
    let device = storage.get_device(id).unwrap().unwrap();
    assert_eq!(device.inventory.unwrap(), as_stored(&pc));
    assert_eq!(device.summary.ram_bytes, pc.memory.as_ref().unwrap().total_bytes, "the summary stays whole");

    // A hash the server does not hold: that section is asked for.
    let mut wrong = held.clone();
    let os = wrong.iter_mut().find(|(s, _)| *s == Section::Os).unwrap();
    os.1 = [7u8; 16];
    let delta = Report { sequence: 3, inventory: empty, sent: vec![], unchanged: wrong, ..full };
    let outcome = storage.record_report(delta).unwrap();
    assert_eq!(stored_sections(&outcome).missing, vec![Section::Os]);
    assert_eq!(
        storage.get_device(id).unwrap().unwrap().inventory.unwrap().os,
        pc.os,
        "the held OS is kept meanwhile"
    );
}

#[test]
fn a_resync_is_asked_until_a_full_report_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(&dir);
    let pc = inventory("PC-RESYNC", "c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3");
    let id = storage.enroll(&pc.machine_id, &pc.hostname, "k", 1).unwrap();
    let full = Report::full("k", 1, pc.clone(), 100);
    let held = stored_sections(&storage.record_report(full.clone()).unwrap()).held.clone();
    assert_eq!(storage.request_resync(Some(id), &crate::util::tester(), 1).unwrap(), 1);
    assert_eq!(storage.request_resync(Some(9999), &crate::util::tester(), 1).unwrap(), 0);

    let mut empty = pc.clone();
    for section in Section::ALL {
        empty.forget(section);
    }
    let delta = Report { sequence: 2, inventory: empty, sent: vec![], unchanged: held, ..full.clone() };
    assert!(stored_sections(&storage.record_report(delta).unwrap()).resync);
    let full = Report { sequence: 3, ..full };
    assert!(!stored_sections(&storage.record_report(full.clone()).unwrap()).resync);
    let again = Report { sequence: 4, ..full };
    assert!(!stored_sections(&storage.record_report(again).unwrap()).resync, "the flag was cleared");
}

#[test]
fn shared_serials_and_uuids_are_flagged_but_placeholders_and_revoked_devices_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(&dir);
    let mut ids = Vec::new();
    for (n, (serial, uuid)) in [
        ("5CG1234XYZ", "4C4C4544-0042-3510-8052-B4C04F565931"),
        ("5CG1234XYZ", "4C4C4544-0042-3510-8052-000000000002"),
        ("To Be Filled By O.E.M.", "03000200-0400-0500-0006-000700080009"),
        ("To Be Filled By O.E.M.", "03000200-0400-0500-0006-000700080009"),
        ("PF2AAAAA", "11111111-2222-3333-4444-555555555555"),
        ("PF2BBBBB", "11111111-2222-3333-4444-555555555555"),
        ("PF2BBBBB", "99999999-2222-3333-4444-555555555555"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut pc = inventory(&format!("PC-DUP-{n}"), &format!("{n:032}"));
        let system = pc.system.as_mut().unwrap();
        system.serial_number = serial.into();
        system.smbios_uuid = uuid.into();
        let key = format!("key-{n}");
        ids.push(storage.enroll(&pc.machine_id, &pc.hostname, &key, 1).unwrap());
        storage.record_report(Report::full(&key, 1, pc, 10)).unwrap();
    }
    // The last device was retired: its serial is no longer a duplicate.
    assert!(storage.revoke(ids[6], &crate::util::tester(), 20).unwrap());

    let groups = storage.duplicates().unwrap();
    let described: Vec<(&str, &str, Vec<u64>)> = groups
        .iter()
        .map(|g| (g.key.name(), g.value.as_str(), g.devices.iter().map(|d| d.id).collect()))
        .collect();
    assert_eq!(
        described,
        vec![
            ("serial_number", "5CG1234XYZ", vec![ids[0], ids[1]]),
            ("smbios_uuid", "11111111-2222-3333-4444-555555555555", vec![ids[4], ids[5]]),
        ]
    );
}

#[test]
fn not_seen_lists_devices_silent_since_a_date_including_those_that_never_reported() {
    let dir = tempfile::tempdir().unwrap();
    let storage = open(&dir);
    let day = 86_400;
    let now = 100 * day;
    let mut ids = Vec::new();
    for (n, last_seen) in [Some(now - day), Some(now - 20 * day), None].into_iter().enumerate() {
        let pc = inventory(&format!("PC-SEEN-{n}"), &format!("{:032}", n + 50));
        let key = format!("seen-{n}");
        ids.push(storage.enroll(&pc.machine_id, &pc.hostname, &key, now - 30 * day).unwrap());
        if let Some(at) = last_seen {
            storage.record_report(Report::full(&key, 1, pc, at)).unwrap();
        }
    }
    let query = DeviceQuery { not_seen_before: Some(now - 14 * day), ..DeviceQuery::page(0, 100) };
    let page = storage.list_devices(&query).unwrap();
    assert_eq!(page.devices.iter().map(|d| d.id).collect::<Vec<_>>(), vec![ids[1], ids[2]]);
    assert_eq!(page.total_count, 2);
    assert_eq!(storage.list_devices(&DeviceQuery::page(0, 100)).unwrap().total_count, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_write_queue_says_when_to_come_back_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(Storage::open_with_queue(&dir.path().join("parc.db"), 1).unwrap());
    let count = 60;
    let mut keys = Vec::new();
    for n in 0..count {
        let pc = inventory(&format!("PC-STORM-{n}"), &format!("{:032}", n + 100));
        let key = format!("storm-{n}");
        storage.enroll(&pc.machine_id, &pc.hostname, &key, 1).unwrap();
        keys.push((key, pc));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (key, pc) in keys {
        let storage = storage.clone();
        tasks.spawn(async move {
            let mut busy = 0;
            let mut sequence = 1;
            loop {
                match storage.submit_report(Report::full(&key, sequence, pc.clone(), 10)).await {
                    Ok(outcome) => return (outcome, busy),
                    Err(StorageError::Busy { retry_after, .. }) => {
                        assert!(retry_after >= std::time::Duration::from_secs(1), "{retry_after:?}");
                        busy += 1;
                        sequence += 1;
                        // The test does not wait the hint out; an agent does.
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        });
    }
    let mut refused = 0;
    while let Some(joined) = tasks.join_next().await {
        let (outcome, busy) = joined.unwrap();
        assert!(matches!(outcome, ReportOutcome::Stored { .. }), "{outcome:?}");
        refused += busy;
    }
    assert!(refused > 0, "sixty reports at once through a queue of one must meet a full queue");
    let page = storage.list_devices(&DeviceQuery::page(0, 1000)).unwrap();
    assert_eq!(page.devices.iter().filter(|d| d.last_seen_at == Some(10)).count(), count);
}

/// Reports of many devices committed together merge their link-table
/// changes: who has a package must still be exact, device by device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_has_a_package_stays_exact_when_reports_share_a_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parc.db");
    let storage = Arc::new(Storage::open(&db).unwrap());
    let count = 520u64; // two blocks of 512 device ids, nine words of 64
    let software = |n: u64, round: u32| {
        let mut packages = vec![package("Firefox", "129.0")];
        let notes = match round {
            1 => n.is_multiple_of(2),
            _ => (n.is_multiple_of(2) && n != 2 && n != 66 && n != 514) || n == 3 || n == 515,
        };
        if notes {
            packages.push(package("Lotus Notes", if n == 10 { "8.5" } else { "9.0.1" }));
        }
        if round == 1 && (n <= 64 || n >= 510) {
            packages.push(package("Old Tool", "1.0"));
        }
        packages
    };
    let mut devices = Vec::new();
    for n in 1..=count {
        let mut pc = inventory(&format!("PC-LINK-{n}"), &format!("{:032}", n + 500));
        let key = format!("link-{n}");
        let id = storage.enroll(&pc.machine_id, &pc.hostname, &key, 1).unwrap();
        pc.software = Some(software(n, 1));
        devices.push((n, id, key, pc));
    }
    let submit_round = |round: u32| {
        let mut tasks = tokio::task::JoinSet::new();
        for (n, _, key, pc) in &devices {
            let storage = storage.clone();
            let mut pc = pc.clone();
            pc.software = Some(software(*n, round));
            let (key, sequence) = (key.clone(), u64::from(round));
            tasks.spawn(async move { storage.submit_report(Report::full(&key, sequence, pc, 10)).await });
        }
        tasks
    };
    for round in [1, 2] {
        let mut tasks = submit_round(round);
        while let Some(joined) = tasks.join_next().await {
            assert!(matches!(joined.unwrap().unwrap(), ReportOutcome::Stored { .. }));
        }
        let expected: Vec<(u64, String)> = devices
            .iter()
            .filter_map(|(n, id, _, _)| {
                let packages = software(*n, round);
                let notes = packages.iter().find(|p| p.name == "Lotus Notes")?;
                Some((*id, notes.version.clone()))
            })
            .collect();
        let holders: Vec<(u64, String)> = storage
            .software_holders("Lotus Notes")
            .unwrap()
            .into_iter()
            .map(|(id, package)| (id, package.version))
            .collect();
        assert_eq!(holders, expected, "round {round}");
        assert_eq!(storage.software_holders("Firefox").unwrap().len(), count as usize);
    }
    let stats = storage.writer_stats();
    let (jobs, transactions) =
        (stats.jobs.load(Ordering::Relaxed), stats.transactions.load(Ordering::Relaxed));
    assert!(transactions < jobs, "{jobs} jobs in {transactions} transactions: nothing was shared");
    // Removed from every device of its blocks: no holder, and no empty row
    // left behind.
    assert!(storage.software_holders("Old Tool").unwrap().is_empty());
    let check = rusqlite::Connection::open(&db).unwrap();
    let empty: u64 = check
        .query_row(
            "SELECT count(*) FROM software_devices WHERE (w0 | w1 | w2 | w3 | w4 | w5 | w6 | w7) = 0",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(empty, 0);
}

#[test]
fn a_backup_taken_while_writing_restores_to_a_whole_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parc.db");
    let copy = dir.path().join("backup.db");
    let storage = Arc::new(Storage::open(&db).unwrap());
    let writer = {
        let storage = storage.clone();
        std::thread::spawn(move || {
            for n in 0..40 {
                let pc = inventory(&format!("PC-BAK-{n}"), &format!("{:032}", n + 300));
                let key = format!("bak-{n}");
                storage.enroll(&pc.machine_id, &pc.hostname, &key, 1).unwrap();
                storage.record_report(Report::full(&key, 1, pc, 10)).unwrap();
            }
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(50));
    let summary = parc_server::storage::backup(&db, &copy).unwrap();
    writer.join().unwrap();
    assert!(summary.devices <= 40);
    let check = rusqlite::Connection::open(&copy).unwrap();
    let integrity: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    drop(check);

    // Restore refuses while the database is open...
    let error = parc_server::storage::restore(&copy, &db).unwrap_err();
    assert!(error.to_string().contains("stop the server first"), "{error}");
    // ...and works once it is closed, keeping the replaced file aside.
    drop(storage);
    let restored = parc_server::storage::restore(&copy, &db).unwrap();
    assert_eq!(restored.devices, summary.devices);
    assert!(dir.path().join("parc.db.before-restore").exists());
    let storage = Storage::open(&db).unwrap();
    let page = storage.list_devices(&DeviceQuery::page(0, 1000)).unwrap();
    assert_eq!(page.total_count, summary.devices);
    for device in &page.devices {
        let full = storage.get_device(device.id).unwrap().unwrap();
        if device.last_seen_at.is_some() {
            assert!(
                full.inventory.is_some_and(|i| i.software.is_some()),
                "device {} restored whole",
                device.id
            );
        }
    }

    // A file that is not a backup is refused, and the database is untouched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, "not a database").unwrap();
    drop(storage);
    let error = parc_server::storage::restore(&junk, &db).unwrap_err();
    assert!(
        error.to_string().contains("junk.db") && error.to_string().contains("not a usable Parc backup"),
        "{error}"
    );
    assert_eq!(
        Storage::open(&db).unwrap().list_devices(&DeviceQuery::page(0, 10)).unwrap().total_count,
        summary.devices
    );
}

/// Schema version 1 as it shipped: devices and whole JSON inventories.
const SCHEMA_V1: &str = r#"
    CREATE TABLE devices (
        id INTEGER PRIMARY KEY AUTOINCREMENT, machine_id TEXT NOT NULL, hostname TEXT NOT NULL,
        node_key_hash TEXT NOT NULL UNIQUE, enrolled_at INTEGER NOT NULL, revoked_at INTEGER,
        last_seen_at INTEGER, last_sequence INTEGER NOT NULL DEFAULT 0,
        os_name TEXT NOT NULL DEFAULT '', os_version TEXT NOT NULL DEFAULT '',
        manufacturer TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '',
        chassis TEXT NOT NULL DEFAULT 'unknown', cpu_model TEXT NOT NULL DEFAULT '',
        cpu_cores INTEGER NOT NULL DEFAULT 0, ram_bytes INTEGER NOT NULL DEFAULT 0,
        system_storage TEXT NOT NULL DEFAULT 'unknown', serial_number TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX devices_machine_id ON devices (machine_id);
    CREATE INDEX devices_hostname ON devices (hostname COLLATE NOCASE);
    CREATE TABLE inventories (
        device_id INTEGER PRIMARY KEY REFERENCES devices (id), received_at INTEGER NOT NULL,
        sequence INTEGER NOT NULL, inventory_json TEXT NOT NULL
    );
    PRAGMA user_version = 1;
"#;

#[test]
fn a_version_1_database_is_moved_to_sections_without_losing_an_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("parc.db");
    let mut pc = inventory("PC-V1", "d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4");
    pc.unknown_sections = vec![UnknownSection { section: Section::Users, reason: "no utmp".into() }];
    {
        let db = rusqlite::Connection::open(&path).unwrap();
        db.execute_batch(SCHEMA_V1).unwrap();
        db.execute(
            "INSERT INTO devices (machine_id, hostname, node_key_hash, enrolled_at, last_seen_at, last_sequence) \
             VALUES (?1, ?2, 'old-key', 5, 50, 3)",
            rusqlite::params![pc.machine_id, pc.hostname],
        )
        .unwrap();
        db.execute("INSERT INTO inventories VALUES (1, 50, 3, ?1)", [serde_json::to_string(&pc).unwrap()])
            .unwrap();
    }
    let storage = Storage::open(&path).unwrap();
    let device = storage.get_device(1).unwrap().unwrap();
    assert_eq!(device.inventory.unwrap(), as_stored(&pc));
    let tables: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'inventories'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0, "the JSON table is gone");
    // The device goes on reporting under its key and sequence.
    assert!(matches!(
        storage.record_report(Report::full("old-key", 3, pc.clone(), 60)).unwrap(),
        ReportOutcome::Stale { last_sequence: 3, .. }
    ));
    assert!(matches!(
        storage.record_report(Report::full("old-key", 4, pc, 60)).unwrap(),
        ReportOutcome::Stored { .. }
    ));
}
