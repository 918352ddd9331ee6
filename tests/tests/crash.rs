//! The server killed with SIGKILL while simulated agents report: every
//! report it acknowledged is in the database after the restart, the
//! database is whole, and the agents carry on until all is sent.

use parc_e2e::{free_port, Running, Server, PATIENCE, SECRET};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn acked(path: &std::path::Path) -> Vec<(String, u64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        // The last line may be half-written while the tool runs.
        .filter_map(|l| {
            let (host, sequence) = l.split_once(' ')?;
            Some((host.to_string(), sequence.parse().ok()?))
        })
        .collect()
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_server_killed_mid_ingest_keeps_every_acknowledged_report_and_agents_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parc.db");
    let log = dir.path().join("acked.log");
    let address = format!("127.0.0.1:{}", free_port());
    let (devices, rounds) = (200u64, 4u64);

    let mut server = Server::start_on(&db, &address);
    let url = server.url.clone();
    let mut load = Running::start_with_env(
        "parc-load",
        &[
            "run",
            "--server",
            &url,
            "--devices",
            &devices.to_string(),
            "--rounds",
            &rounds.to_string(),
            "--concurrency",
            "32",
            "--connections",
            "4",
            "--acked-log",
            log.to_str().unwrap(),
        ],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );

    // Kill it in the middle of the first round, full reports in flight:
    // under load the writer holds their link-table changes in memory.
    wait_until("half the first round", || acked(&log).len() as u64 > devices / 2);
    let status = server.process.signal_and_wait("KILL");
    assert!(!status.success());
    let acked_before_kill = acked(&log);

    // What was acknowledged before the kill is durable: check the database
    // as the killed server left it, before anything else writes to it.
    let held = last_sequences(&db);
    for (host, sequence) in &acked_before_kill {
        let stored = held.get(host).copied().unwrap_or(0);
        assert!(stored >= *sequence, "{host}: report {sequence} was acknowledged, the database has {stored}");
    }

    let restarted = Server::start_on(&db, &address);
    let status = load.wait();
    assert!(status.success(), "the load tool gave up:\n{}", load.stderr_lines().join("\n"));
    restarted.stop();

    // The agents carried on: every report of every round went through.
    let all = acked(&log);
    assert_eq!(all.len() as u64, devices * rounds, "every report acknowledged once");
    let held = last_sequences(&db);
    assert_eq!(held.len() as u64, devices);
    let mut last_acked: BTreeMap<String, u64> = BTreeMap::new();
    for (host, sequence) in all {
        let entry = last_acked.entry(host).or_default();
        *entry = (*entry).max(sequence);
    }
    for (host, sequence) in &last_acked {
        assert!(held[host] >= *sequence, "{host}: acknowledged {sequence}, stored {}", held[host]);
    }

    let check = rusqlite::Connection::open(&db).unwrap();
    let integrity: String = check.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    drop(check);

    // The link table ("who has this package") lost nothing the killed
    // writer held in memory: it is what the server rebuilds from the
    // devices' software lists when every block is marked for repair.
    let rebuilt = dir.path().join("rebuilt.db");
    std::fs::copy(&db, &rebuilt).unwrap();
    rusqlite::Connection::open(&rebuilt)
        .unwrap()
        .execute("INSERT OR IGNORE INTO link_pending (block) SELECT DISTINCT id / 512 FROM devices", [])
        .unwrap();
    Server::start_on(&rebuilt, &format!("127.0.0.1:{}", free_port())).stop();
    let (links, expected) = (link_rows(&db), link_rows(&rebuilt));
    assert!(expected.len() > 100, "{} link rows", expected.len());
    let wrong: Vec<_> = expected.iter().filter(|row| !links.contains(row)).take(3).collect();
    assert!(
        links == expected,
        "the link table after the crash has {} rows, one rebuilt {}; rows it lacks or has wrong: {wrong:?}",
        links.len(),
        expected.len()
    );
}

/// The link table's rows, in key order.
fn link_rows(db: &std::path::Path) -> Vec<[i64; 10]> {
    let connection = rusqlite::Connection::open(db).unwrap();
    let pending: u32 = connection.query_row("SELECT count(*) FROM link_pending", [], |r| r.get(0)).unwrap();
    assert_eq!(pending, 0, "no block left to repair in {}", db.display());
    let mut statement = connection
        .prepare(
            "SELECT block, software_id, w0, w1, w2, w3, w4, w5, w6, w7 FROM software_devices ORDER BY 1, 2",
        )
        .unwrap();
    let rows = statement
        .query_map([], |r| {
            let mut row = [0; 10];
            for (i, value) in row.iter_mut().enumerate() {
                *value = r.get(i)?;
            }
            Ok(row)
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// Each device's last stored report sequence, by hostname.
fn last_sequences(db: &std::path::Path) -> BTreeMap<String, u64> {
    let connection =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap();
    let mut statement = connection.prepare("SELECT hostname, last_sequence FROM devices").unwrap();
    let rows = statement.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?))).unwrap();
    rows.map(Result::unwrap).collect()
}
