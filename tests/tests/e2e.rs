//! End-to-end: the real parc-server, parc-agent and parc binaries on
//! loopback, each with its own temporary directory.

use parc_e2e::*;

fn agent_once(server_url: &str, state_dir: &std::path::Path, secret: &str) -> std::process::Output {
    let state = state_dir.to_str().unwrap();
    std::process::Command::new(bin("parc-agent"))
        .args(["run", "--once", "--server", server_url, "--state-dir", state])
        .env("PARC_ENROLL_SECRET", secret)
        .env("RUST_LOG", "info")
        .output()
        .expect("run parc-agent")
}

#[test]
fn the_agent_reports_and_parc_lists_what_it_collected_and_a_restart_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));

    let collected = run("parc-agent", &["collect"]);
    assert!(collected.status.success(), "{}", text(&collected.stderr));
    let collected: serde_json::Value = serde_json::from_slice(&collected.stdout).unwrap();

    let report = agent_once(&server.url, &dir.path().join("agent"), SECRET);
    assert!(report.status.success(), "agent failed: {}", text(&report.stderr));

    let devices = devices_json(&server.url);
    assert_eq!(devices.len(), 1, "{devices:?}");
    let device = &devices[0];
    assert_eq!(device["hostname"], collected["hostname"]);
    assert_eq!(device["os_name"], collected["os"]["name"]);
    assert_eq!(device["os_version"], collected["os"]["version"]);
    assert_eq!(device["ram_bytes"], collected["memory"]["total_bytes"]);
    assert!(device["ram_bytes"].as_u64().unwrap() > 0);
    let id = device["id"].as_u64().unwrap().to_string();

    let table = run("parc", &["--server", &server.url, "devices"]);
    assert!(table.status.success());
    let table = text(&table.stdout);
    assert!(table.lines().next().unwrap().contains("HOSTNAME"), "{table}");
    assert!(table.contains(collected["hostname"].as_str().unwrap()), "{table}");

    let detail = run("parc", &["--server", &server.url, "device", &id]);
    assert!(detail.status.success(), "{}", text(&detail.stderr));
    let detail = text(&detail.stdout);
    assert!(detail.contains(collected["cpu"]["model"].as_str().unwrap()), "{detail}");
    assert!(
        detail.contains(&format!("Device {id}  {}", collected["hostname"].as_str().unwrap())),
        "{detail}"
    );

    // A second report from the same agent reuses its enrollment.
    let again = agent_once(&server.url, &dir.path().join("agent"), "");
    assert!(again.status.success(), "re-report without secret failed: {}", text(&again.stderr));
    assert_eq!(devices_json(&server.url).len(), 1);
    let software = run("parc", &["--server", &server.url, "device", &id, "--software", "--output", "csv"]);
    assert!(software.status.success(), "{}", text(&software.stderr));
    let rows = text(&software.stdout).lines().count() - 1;
    assert_eq!(
        rows,
        collected["software"].as_array().unwrap().len(),
        "every package reaches parc, none lost"
    );
    let before_restart = run("parc", &["--server", &server.url, "device", &id, "--output", "json"]);
    let devices = devices_json(&server.url);
    assert!(text(&before_restart.stdout).contains("\"inventory\""), "device json");

    // Restart on the same database and address: nothing lost.
    let db = server.db.clone();
    let address = server.url.trim_start_matches("http://").to_string();
    server.stop();
    let server = Server::start_on(&db, &address);
    let after_restart = run("parc", &["--server", &server.url, "device", &id, "--output", "json"]);
    assert!(after_restart.status.success());
    assert_eq!(text(&after_restart.stdout), text(&before_restart.stdout));
    assert_eq!(devices_json(&server.url), devices);

    // And the agent carries on reporting to the restarted server.
    let third = agent_once(&server.url, &dir.path().join("agent"), "");
    assert!(third.status.success(), "{}", text(&third.stderr));
    server.stop();
}

#[test]
fn a_wrong_enrollment_secret_gives_one_clear_line_and_no_retries() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let output = agent_once(&server.url, &dir.path().join("agent"), "this-is-the-wrong-secret");
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "expected one error line:\n{stderr}");
    assert!(
        errors[0].contains("enrollment refused") && errors[0].contains("wrong enrollment secret"),
        "{stderr}"
    );
    assert!(!stderr.contains("will retry"), "must not retry a refused secret:\n{stderr}");
    // The server's log reaches the test through a pipe and a thread: wait
    // for the refusal, and let a query's round trip bring any later line.
    server.process.wait_for_stderr("enrollment refused");
    assert!(devices_json(&server.url).is_empty());
    let refusals = server.process.stderr_lines().iter().filter(|l| l.contains("enrollment refused")).count();
    assert_eq!(refusals, 1, "the agent asked more than once");
}

#[test]
fn an_agent_started_before_its_server_backs_off_then_reports() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let state = dir.path().join("agent");
    let agent = Running::start_with_env(
        "parc-agent",
        &["run", "--server", &url, "--state-dir", state.to_str().unwrap(), "--splay", "0s"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    let first = agent.wait_for_stderr("will retry");
    assert!(first.contains("Connection refused") && first.contains("retry_in="), "{first}");
    assert!(!agent.stderr_lines().iter().any(|l| l.contains("panicked")));

    let server = Server::start_on(&dir.path().join("parc.db"), &format!("127.0.0.1:{port}"));
    agent.wait_for_stderr("report sent");
    let devices = devices_json(&server.url);
    assert_eq!(devices.len(), 1);
    assert!(agent.stderr_lines().iter().any(|l| l.contains("next_report_in=")));
    drop(agent);
    server.stop();
}

#[test]
fn a_revoked_agent_is_refused_then_enrolls_again_as_a_new_device() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let state = dir.path().join("agent");
    assert!(agent_once(&server.url, &state, SECRET).status.success());
    let id = devices_json(&server.url)[0]["id"].as_u64().unwrap();

    let revoke = run("parc-server", &["revoke", "--db", server.db.to_str().unwrap(), &id.to_string()]);
    assert!(revoke.status.success(), "{}", text(&revoke.stderr));
    assert!(text(&revoke.stdout).contains(&format!("device {id} revoked")));

    let output = agent_once(&server.url, &state, SECRET);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("node key refused, enrolling again"), "{}", text(&output.stderr));
    let devices = devices_json(&server.url);
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[0]["revoked"], true);
    assert_eq!(devices[1]["revoked"], false);
    server.stop();
}

#[test]
fn a_database_that_cannot_be_used_is_refused_with_a_clear_error_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |db: &std::path::Path| {
        std::process::Command::new(bin("parc-server"))
            .args(["serve", "--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .env("PARC_ENROLL_SECRET", SECRET)
            .output()
            .unwrap()
    };

    let missing = dir.path().join("no-such-folder").join("parc.db");
    let output = serve(&missing);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("no-such-folder does not exist"), "{}", text(&output.stderr));
    assert!(!missing.exists());

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0xA5u8; 8192]).unwrap();
    let output = serve(&garbage);
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("is not a Parc database"), "{}", text(&output.stderr));
    assert_eq!(std::fs::read(&garbage).unwrap(), vec![0xA5u8; 8192]);

    let newer = dir.path().join("newer.db");
    {
        let db = rusqlite::Connection::open(&newer).unwrap();
        db.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1000;").unwrap();
    }
    let before = std::fs::read(&newer).unwrap();
    let output = serve(&newer);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("schema version 1000") && stderr.contains("upgrade parc-server"), "{stderr}");
    assert_eq!(std::fs::read(&newer).unwrap(), before);
}

/// systemd may stop the service the moment it has started: a SIGTERM right
/// after "listening" is a clean stop (exit 0), never death by the signal.
#[test]
fn a_server_stopped_as_soon_as_it_listens_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parc.db");
    for _ in 0..10 {
        Server::start(&db).stop();
    }
}

#[test]
fn the_server_refuses_to_start_without_an_enrollment_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("parc.db");
    let output = std::process::Command::new(bin("parc-server"))
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env_remove("PARC_ENROLL_SECRET")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(text(&output.stderr).contains("no enrollment secret"), "{}", text(&output.stderr));
}

#[test]
fn parc_demo_serves_a_simulated_fleet_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Running::start(
        "parc",
        &[
            "demo",
            "--fleet-size",
            "60",
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--data-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    demo.wait_for_stdout("Serving until Ctrl-C.");
    let server_line = demo.wait_for_stdout("  server ");
    let url = server_line.split_whitespace().nth(1).expect("server URL").to_string();
    // The demo makes an admin token and says how to use it.
    let token_line = demo.wait_for_stdout("  token ");
    let token = token_line.split_whitespace().nth(1).expect("token").to_string();
    let stdout = demo.stdout_lines().join("\n");
    assert!(stdout.contains(&format!("export PARC_SERVER_URL={url} PARC_TOKEN={token}")), "{stdout}");
    let denied = run("parc", &["--server", &url, "devices"]);
    assert_eq!(denied.status.code(), Some(4), "no token yet: {}", text(&denied.stderr));
    assert!(text(&denied.stderr).contains("a token is needed"), "{}", text(&denied.stderr));
    register_token(&url, &token);
    let dashboard_line = demo.wait_for_stdout("  dashboard ");
    register_token(dashboard_line.split_whitespace().nth(1).expect("dashboard URL"), &token);
    assert!(stdout.contains("60 PCs over 41 sites reported"), "{stdout}");
    assert!(stdout.contains("Devices                61  (61 reporting)"), "{stdout}");
    // The sample sites and the simulated register went in; readiness is printed.
    assert!(stdout.contains("  imported    41 sites (samples/sites.csv)"), "{stdout}");
    assert!(stdout.contains("Whole fleet: 61 PCs; replacement:"), "{stdout}");
    // The sample spec's waves are planned and published.
    assert!(stdout.contains("Replacement waves (published"), "{stdout}");
    assert!(stdout.contains("plan 1 (published): "), "{stdout}");
    let sites = run("parc", &["--server", &url, "sites", "--output", "json"]);
    let sites: Vec<serde_json::Value> = serde_json::from_slice(&sites.stdout).expect("sites as JSON");
    assert_eq!(sites.len(), 41);
    // Every simulated PC sits on a site by its subnet (this PC may not).
    let placed: u64 = sites.iter().map(|s| s["devices"].as_u64().unwrap()).sum();
    assert!(placed >= 60, "{placed} PCs placed: {sites:?}");

    let waves = run("parc", &["--server", &url, "waves", "status"]);
    assert!(
        text(&waves.stdout).starts_with("plan 1: 0 of "),
        "{}{}",
        text(&waves.stdout),
        text(&waves.stderr)
    );

    let devices = devices_json(&url);
    assert_eq!(devices.len(), 61);
    assert!(devices.iter().filter(|d| d["os_name"] == "Windows").count() >= 60);
    let metrics_line = demo.wait_for_stdout("  metrics ");
    let metrics = http_get(metrics_line.split_whitespace().nth(1).expect("metrics URL"));
    assert!(metrics.contains("parc_reports_total{kind=\"full\",result=\"stored\"} 61"), "{metrics}");
    let dashboard_line = demo.wait_for_stdout("  dashboard ");
    let overview = http_get(dashboard_line.split_whitespace().nth(1).expect("dashboard URL"));
    assert!(overview.contains(r#"id="fleet-size">61<"#), "the dashboard counts the demo's fleet");

    let status = demo.signal_and_wait("INT");
    assert!(status.success(), "demo exited with {status}");
    assert!(demo.stdout_lines().iter().any(|l| l.starts_with("Stopped.")));
    assert!(dir.path().join("parc.db").exists());
}

#[test]
fn parc_says_which_server_it_cannot_reach() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let output = run("parc", &["--server", &url, "devices"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains(&format!("cannot reach parc-server at {url}")), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_agent_reads_its_config_file_and_names_a_bad_key() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let config = dir.path().join("agent.toml");
    let state = dir.path().join("state");
    std::fs::write(
        &config,
        format!(
            "server_url = \"{}\"\nenroll_secret = \"{SECRET}\"\nstate_dir = \"{}\"\nsection_timeout = \"30s\"\n",
            server.url,
            state.display()
        ),
    )
    .unwrap();
    let output = std::process::Command::new(bin("parc-agent"))
        .args(["run", "--once", "--config", config.to_str().unwrap()])
        .env_remove("PARC_ENROLL_SECRET")
        .env_remove("PARC_SERVER_URL")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(devices_json(&server.url).len(), 1);
    assert!(state.join("agent-state.json").exists(), "state_dir from the file is used");

    std::fs::write(&config, "server_url = \"http://127.0.0.1:1\"\nenrol_secret = \"typo\"\n").unwrap();
    let output = std::process::Command::new(bin("parc-agent"))
        .args(["run", "--once", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(stderr.contains("agent.toml") && stderr.contains("unknown field `enrol_secret`"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
    server.stop();
}
