//! parc-load as its users run it: the no-op baseline in one process, the
//! simulated agents in another, over real gRPC on loopback.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const LOAD: &str = env!("CARGO_BIN_EXE_parc-load");

#[test]
fn simulated_agents_enroll_send_a_full_report_then_small_deltas_and_log_each_acknowledgement() {
    let mut noop = Command::new(LOAD)
        .args(["noop-server", "--listen", "127.0.0.1:0"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(noop.stderr.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    let address = line.split_whitespace().find_map(|w| w.strip_prefix("address=")).unwrap().to_string();

    let dir = tempfile::tempdir().unwrap();
    let acked = dir.path().join("acked.log");
    let output = Command::new(LOAD)
        .args(["run", "--server", &format!("http://{address}"), "--devices", "25", "--rounds", "3"])
        .args(["--concurrency", "8", "--connections", "2", "--acked-log"])
        .arg(&acked)
        .output()
        .unwrap();
    let _ = noop.kill();
    let _ = noop.wait();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let phases: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = phases.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["enroll", "full", "delta (round 2)", "delta (round 3)"]);
    for phase in &phases {
        assert_eq!(phase["count"], 25, "{phase}");
        assert!(phase["per_second"].as_f64().unwrap() > 0.0, "{phase}");
        assert!(phase["p99_ms"].as_f64().unwrap() >= phase["p50_ms"].as_f64().unwrap(), "{phase}");
    }
    let bytes = |i: usize| phases[i]["mean_bytes"].as_u64().unwrap();
    // 150 to 600 packages make a full report of several kilobytes; a delta
    // carries the hashes and the few sections that drift.
    assert!(bytes(1) > 5_000, "full report of {} bytes", bytes(1));
    assert!(bytes(2) * 5 < bytes(1), "delta {} bytes against full {}", bytes(2), bytes(1));

    let log = std::fs::read_to_string(&acked).unwrap();
    let mut entries: Vec<(String, u64)> = log
        .lines()
        .map(|l| {
            let (host, sequence) = l.split_once(' ').unwrap();
            (host.to_string(), sequence.parse().unwrap())
        })
        .collect();
    assert_eq!(entries.len(), 75, "one line per acknowledged report");
    entries.sort();
    entries.dedup_by(|a, b| a.0 == b.0);
    assert_eq!(entries.len(), 25, "25 distinct simulated PCs");
}
