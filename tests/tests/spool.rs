//! The agent's offline spool, through the real binaries: an inventory
//! collected while the server is away survives the agent's death and goes
//! out when the server is back; a kill at any moment leaves a state and a
//! spool that read back; a full disk is logged and retried.

use parc_e2e::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn status(state: &Path) -> Output {
    Command::new(bin("parc-agent"))
        .args(["status", "--output", "json", "--state-dir", state.to_str().unwrap()])
        .output()
        .expect("run parc-agent status")
}

/// `parc-agent status --output json`, which must succeed: the state and the
/// spool both read back.
fn status_json(state: &Path) -> serde_json::Value {
    let output = status(state);
    assert!(output.status.success(), "parc-agent status failed: {}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("status JSON")
}

fn once(url: &str, state: &Path) -> Command {
    let mut command = Command::new(bin("parc-agent"));
    command
        .args(["run", "--once", "--server", url, "--state-dir", state.to_str().unwrap()])
        .env("PARC_ENROLL_SECRET", SECRET)
        .env("RUST_LOG", "info");
    command
}

#[test]
fn an_inventory_collected_while_the_server_is_down_survives_a_kill_and_goes_out_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let state = dir.path().join("agent");

    let mut agent = Running::start_with_env(
        "parc-agent",
        &["run", "--server", &url, "--state-dir", state.to_str().unwrap(), "--splay", "0s"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    agent.wait_for_stderr("will retry");
    let spooled = status_json(&state)["spool"].clone();
    let collected_at = spooled["collected_at"].as_i64().expect("an inventory waits in the spool");
    assert!(spooled["bytes"].as_u64().unwrap() > 100, "{spooled}");
    // A power cut, not a clean stop.
    agent.signal_and_wait("KILL");

    let server = Server::start_on(&dir.path().join("parc.db"), &format!("127.0.0.1:{port}"));
    let output = once(&url, &state).output().unwrap();
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("sending the spooled inventory")
            && stderr.contains(&format!("collected_at={collected_at}")),
        "the spooled inventory went out, not a new one: {stderr}"
    );
    assert_eq!(devices_json(&server.url).len(), 1);
    assert!(status_json(&state)["spool"].is_null(), "the spool is emptied once the server has it");

    // The next report collects afresh.
    let output = once(&url, &state).output().unwrap();
    assert!(output.status.success());
    assert!(!text(&output.stderr).contains("sending the spooled inventory"));
    server.stop();
}

#[test]
fn an_agent_killed_at_any_moment_leaves_a_state_and_spool_that_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let state = dir.path().join("agent");

    // How long a whole cycle takes here, so the kills land all over it:
    // collecting, spooling, enrolling, saving the state, reporting.
    let started = Instant::now();
    assert!(once(&server.url, &state).output().unwrap().status.success());
    let cycle = started.elapsed();
    std::fs::remove_dir_all(&state).unwrap();

    let kills = 24u32;
    for i in 0..kills {
        let mut child =
            once(&server.url, &state).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(cycle * i / kills);
        let _ = child.kill();
        child.wait().unwrap();
        let status = status(&state);
        assert!(status.status.success(), "after a kill at {:?}: {}", cycle * i / kills, text(&status.stderr));
        let leftovers: Vec<_> = std::fs::read_dir(&state)
            .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            leftovers.iter().all(|name| !name.to_string_lossy().starts_with("spool") || name == "spool.pb"),
            "{leftovers:?}"
        );
    }
    let output = once(&server.url, &state).output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(status_json(&state)["spool"].is_null());
    assert_eq!(devices_json(&server.url).len(), 1, "kills never made a second device");
    server.stop();
}

#[test]
fn a_full_disk_is_logged_and_retried_and_the_agent_reports_once_there_is_room() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let state = dir.path().join("agent");
    std::fs::create_dir_all(&state).unwrap();
    // Every write to /dev/full fails with ENOSPC, as on a full disk. The
    // agent writes through these temp names, and removes a temp file whose
    // write failed: the room comes back after that first failure.
    for name in [".agent-state.json.tmp", ".spool.pb.tmp"] {
        std::os::unix::fs::symlink("/dev/full", state.join(name)).unwrap();
    }
    let agent = Running::start_with_env(
        "parc-agent",
        &["run", "--server", &server.url, "--state-dir", state.to_str().unwrap(), "--splay", "0s"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    let spool_warning = agent.wait_for_stderr("cannot spool the inventory");
    assert!(spool_warning.contains("No space left on device"), "{spool_warning}");
    let retry = agent.wait_for_stderr("will retry");
    assert!(retry.contains("No space left on device") && retry.contains("agent-state.json"), "{retry}");
    agent.wait_for_stderr("report sent");
    assert!(!agent.stderr_lines().iter().any(|l| l.contains("panicked")));
    assert_eq!(devices_json(&server.url).len(), 1);
    let deadline = Instant::now() + Duration::from_secs(5);
    while status_json(&state)["enrollment"].is_null() {
        assert!(Instant::now() < deadline, "the enrollment was never saved");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(agent);
    server.stop();
}
