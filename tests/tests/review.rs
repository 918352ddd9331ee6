//! What IT ops ask of the stored fleet, through the real binaries: the
//! history of each PC, the PCs that went silent, and a backup taken while
//! the server ingests, restored.

use parc_e2e::{devices_json, http_get, run, text, Running, Server, SECRET};
use std::time::Duration;

fn history(url: &str, device: &str) -> Vec<serde_json::Value> {
    let output = run("parc", &["--server", url, "device", device, "--history", "--output", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("history as JSON")
}

fn not_seen(url: &str, age: &str) -> Vec<serde_json::Value> {
    let output = run("parc", &["--server", url, "devices", "--not-seen", age, "--output", "json"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("devices as JSON")
}

#[test]
fn history_silent_pcs_and_an_online_backup_through_the_real_binaries() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parc.db");
    let server = Server::start(&db);
    let devices = 100;

    // Three reports per PC: a full one, then deltas where free space and
    // uptime drift and now and then a package is upgraded.
    let mut load = Running::start_with_env(
        "parc-load",
        &["run", "--server", &server.url, "--devices", "100", "--rounds", "3"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    assert!(load.wait().success(), "{}", load.stderr_lines().join("\n"));
    let listed = devices_json(&server.url);
    assert_eq!(listed.len(), devices);

    // What Prometheus scrapes says the same.
    let metrics = http_get(&format!("{}/metrics", server.http_url));
    for line in [
        "parc_reports_total{kind=\"full\",result=\"stored\"} 100",
        "parc_reports_total{kind=\"delta\",result=\"stored\"} 200",
        "parc_ingest_seconds_count 300",
        "parc_devices{last_seen=\"1h\"} 100",
        "parc_devices{last_seen=\"never\"} 0",
        "parc_write_queue_depth 0",
    ] {
        assert!(metrics.lines().any(|l| l == line), "no {line:?} in\n{metrics}");
    }
    assert_eq!(http_get(&format!("{}/healthz", server.http_url)), "ok\n");

    // History holds exactly the upgrades: free space and uptime changed on
    // every PC and are not history.
    let mut upgraded = Vec::new();
    for device in &listed {
        let id = device["id"].to_string();
        for entry in history(&server.url, &id) {
            let change = &entry["change"];
            assert_eq!(
                (change["section"].as_str(), change["kind"].as_str()),
                (Some("software"), Some("changed"))
            );
            let (before, after) = (change["before"].as_str().unwrap(), change["after"].as_str().unwrap());
            assert!(after.starts_with(&format!("{before}.")), "{before} → {after}");
            upgraded.push((id.clone(), change["subject"].as_str().unwrap().to_string()));
        }
    }
    assert!(!upgraded.is_empty(), "a few percent of PCs upgrade a package each round");
    assert!(upgraded.len() < devices / 2, "{} upgrades", upgraded.len());
    let (id, package) = &upgraded[0];
    let table = run("parc", &["--server", &server.url, "device", id, "--history"]);
    let table = text(&table.stdout);
    assert!(table.contains("upgraded") && table.contains(package.as_str()), "{table}");

    // Nobody is silent yet; a second later, everybody is "not seen for 1s".
    assert!(not_seen(&server.url, "14d").is_empty());
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(not_seen(&server.url, "1s").len(), devices);
    let bad = run("parc", &["--server", &server.url, "devices", "--not-seen", "fortnight"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("14d"), "{}", text(&bad.stderr));

    // A backup while the server runs and agents report.
    let backup = dir.path().join("backup.db");
    let mut more = Running::start_with_env(
        "parc-load",
        &["run", "--server", &server.url, "--devices", "30", "--seed", "7", "--rounds", "1"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    let output =
        run("parc-server", &["backup", "--db", db.to_str().unwrap(), "--to", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("backed up"), "{}", text(&output.stdout));
    assert!(more.wait().success());

    // Restoring needs the server stopped, and says so.
    let restore = ["restore", "--db", db.to_str().unwrap(), "--from", backup.to_str().unwrap()];
    let refused = run("parc-server", &restore);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("stop the server first"), "{}", text(&refused.stderr));
    server.stop();
    let restored = run("parc-server", &restore);
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    assert!(dir.path().join("parc.db.before-restore").exists());

    let server = Server::start(&db);
    let after = devices_json(&server.url);
    assert!(after.len() >= devices && after.len() <= devices + 30, "{} devices", after.len());
    let entries = history(&server.url, id);
    assert!(entries.iter().any(|e| e["change"]["subject"] == package.as_str()), "history survives a restore");
    server.stop();
}
