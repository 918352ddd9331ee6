//! IT ops through the real binaries: the first admin token made offline,
//! tokens handed out and revoked with `parc tokens`, the CLI config file,
//! the query language on `parc devices --query`, `parc software`, the
//! audit log, and the HTTP port's token check.

use parc_e2e::{create_token, http_request, run, run_with_env, text, Server, SECRET};

fn ok(output: std::process::Output) -> String {
    assert!(output.status.success(), "stderr: {}\nstdout: {}", text(&output.stderr), text(&output.stdout));
    text(&output.stdout)
}

fn as_token(token: &str) -> Vec<(String, String)> {
    vec![("PARC_TOKEN".to_string(), token.to_string())]
}

#[test]
fn ops_hand_out_tokens_query_the_fleet_and_read_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let url = server.url.as_str();
    ok(run("parc", &["--server", url, "sim", "--fleet-size", "40", "--enroll-secret", SECRET]));

    // Without a token: refused, with the way to get one, exit code 4.
    let anonymous = run_with_env("parc", &["--server", url, "devices"], &[]);
    assert_eq!(anonymous.status.code(), Some(4), "{}", text(&anonymous.stderr));
    assert!(text(&anonymous.stderr).contains("a token is needed"), "{}", text(&anonymous.stderr));

    // The admin hands a viewer token to Marie; it is printed once.
    let created = run("parc", &["--server", url, "tokens", "create", "--name", "marie", "--role", "viewer"]);
    let marie = ok(created).trim().to_string();
    assert!(marie.starts_with("parc_"), "{marie}");
    let who = ok(run_with_env("parc", &["--server", url, "whoami"], &as_token(&marie)));
    assert!(who.starts_with("marie (viewer), token "), "{who}");
    let listed = ok(run("parc", &["--server", url, "tokens", "list", "--output", "json"]));
    assert!(listed.contains("\"name\": \"marie\"") && !listed.contains(&marie), "{listed}");
    // A viewer reads but does not plan, publish or administer.
    let refused = run_with_env("parc", &["--server", url, "waves", "publish"], &as_token(&marie));
    assert_eq!(refused.status.code(), Some(4));
    assert!(
        text(&refused.stderr).contains("needs the planner role; this token is viewer"),
        "{}",
        text(&refused.stderr)
    );
    let refused = run_with_env("parc", &["--server", url, "audit"], &as_token(&marie));
    assert_eq!(refused.status.code(), Some(4));

    // The CLI config file gives server and token when flags do not.
    let config = dir.path().join("parc.toml");
    std::fs::write(&config, format!("server = \"{url}\"\ntoken = \"{marie}\"\n")).unwrap();
    let env = vec![("PARC_CLI_CONFIG".to_string(), config.to_str().unwrap().to_string())];
    let all: Vec<serde_json::Value> =
        serde_json::from_str(&ok(run_with_env("parc", &["devices", "--output", "json"], &env))).unwrap();
    assert_eq!(all.len(), 40);
    std::fs::write(&config, "server = \"http://127.0.0.1:1\"\ntokn = \"x\"\n").unwrap();
    let bad = run_with_env("parc", &["devices"], &env);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("parc.toml") && text(&bad.stderr).contains("unknown field `tokn`"),
        "{}",
        text(&bad.stderr)
    );

    // The query language: the answer is the fleet filtered the same way.
    let laptops_small: Vec<u64> = all
        .iter()
        .filter(|d| d["chassis"] == "laptop" && d["ram_bytes"].as_u64().unwrap() < 8 << 30)
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    let queried: Vec<serde_json::Value> = serde_json::from_str(&ok(run_with_env(
        "parc",
        &["--server", url, "devices", "--query", "chassis:laptop ram<8GB", "--output", "json"],
        &as_token(&marie),
    )))
    .unwrap();
    let queried: Vec<u64> = queried.iter().map(|d| d["id"].as_u64().unwrap()).collect();
    assert_eq!(queried, laptops_small);
    // A query that starts with a negation is a value, not a flag.
    let not_laptops: Vec<serde_json::Value> = serde_json::from_str(&ok(run_with_env(
        "parc",
        &["--server", url, "devices", "--query", "-chassis:laptop", "--output", "json"],
        &as_token(&marie),
    )))
    .unwrap();
    assert_eq!(not_laptops.len(), all.iter().filter(|d| d["chassis"] != "laptop").count());
    let table =
        run_with_env("parc", &["--server", url, "devices", "-q", "chassis:laptop"], &as_token(&marie));
    assert!(text(&table.stderr).contains("devices matching chassis:laptop"), "{}", text(&table.stderr));
    let mistake =
        run_with_env("parc", &["--server", url, "devices", "--query", "ram<8XB"], &as_token(&marie));
    assert_eq!(mistake.status.code(), Some(1));
    let message = text(&mistake.stderr);
    assert!(
        message.contains("column 5") && message.contains("ram<8XB\n") && message.contains("^^^"),
        "{message}"
    );

    // Who has a piece of software, by version.
    let software = ok(run_with_env("parc", &["--server", url, "software", "firefox"], &as_token(&marie)));
    assert!(software.contains("PACKAGE") && software.to_lowercase().contains("firefox"), "{software}");
    let none = run_with_env("parc", &["--server", url, "software", "Lotus Notes 3"], &as_token(&marie));
    assert_eq!(none.status.code(), Some(3));

    // The audit log names who did what; revoking stops the token at once.
    ok(run("parc", &["--server", url, "tokens", "revoke", "marie"]));
    let gone = run_with_env("parc", &["--server", url, "whoami"], &as_token(&marie));
    assert_eq!(gone.status.code(), Some(4));
    let audit: Vec<serde_json::Value> =
        serde_json::from_str(&ok(run("parc", &["--server", url, "audit", "--output", "json"]))).unwrap();
    let actions: Vec<(&str, &str, &str)> = audit
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(actions[0], ("e2e-admin-0", "tokens.revoke", "marie"), "{actions:?}");
    assert!(actions.contains(&("e2e-admin-0", "tokens.create", "marie")), "{actions:?}");
    assert!(actions.contains(&("parc-server", "tokens.create", "e2e-admin-0")), "{actions:?}");

    // Shell completions know every command.
    let bash = ok(run("parc", &["completions", "bash"]));
    assert!(bash.contains("_parc()") && bash.contains("tokens") && bash.contains("--query"), "{bash:.200}");

    // On a terminal, an import shows its progress and a closing line; in
    // a pipe (every run above), nothing of it.
    let sites = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/sites.csv");
    let admin = parc_e2e::token_for(url).unwrap();
    let command = format!("{} --server {url} sites import {sites}", parc_e2e::bin("parc").display());
    let on_terminal = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("PARC_TOKEN", &admin)
        .env("PARC_CLI_CONFIG", "/nonexistent/parc.toml")
        .output()
        .expect("script(1) from util-linux runs a command on a terminal");
    let shown = text(&on_terminal.stdout);
    assert!(on_terminal.status.success(), "{shown}");
    assert!(shown.contains("✓ sites.csv read by the server"), "{shown}");
    assert!(shown.contains("41 sites created"), "{shown}");
    let piped = run("parc", &["--server", url, "sites", "import", sites]);
    assert!(!text(&piped.stderr).contains("read by the server"), "{}", text(&piped.stderr));

    // The example query, whole, through `parc devices --query`, its
    // values taken from this fleet (no simulated PC runs Lotus Notes or is
    // silent for 14 days): the site, OS, package and wave of a planned
    // laptop that is not ready for Wi-Fi. The answer is checked against
    // the plan's export, the device list and the software listing.
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "start = \"2027-01-04\"\ncapacity = 3\n[select]\ngroups = [\"replace\", \"fixable\", \"unknown\", \"ready\"]\n",
    )
    .unwrap();
    ok(run("parc", &["--server", url, "waves", "plan", "--spec", spec.to_str().unwrap()]));
    ok(run("parc", &["--server", url, "waves", "publish"]));
    // A long export too, with its closing line, on a terminal.
    let exported = dir.path().join("waves.csv");
    let command = format!(
        "{} --server {url} waves export --format csv --out {}",
        parc_e2e::bin("parc").display(),
        exported.display()
    );
    let on_terminal = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("PARC_TOKEN", &admin)
        .env("PARC_CLI_CONFIG", "/nonexistent/parc.toml")
        .output()
        .expect("script(1) runs the export on a terminal");
    let shown = text(&on_terminal.stdout);
    let lines = std::fs::read_to_string(&exported).unwrap().lines().count() - 1;
    assert!(shown.contains(&format!("✓ {lines} rows exported")), "{shown}");
    let json = |args: &[&str]| -> Vec<serde_json::Value> {
        let mut all = vec!["--server", url];
        all.extend_from_slice(args);
        serde_json::from_str(&ok(run("parc", &all))).unwrap()
    };
    let rows = json(&["waves", "export", "--format", "json"]);
    let firefox: Vec<u64> = json(&["software", "firefox", "--output", "json"])
        .iter()
        .map(|r| r["device_id"].as_u64().unwrap())
        .collect();
    let device = |id: u64| all.iter().find(|d| d["id"].as_u64() == Some(id)).unwrap();
    let ram = |d: &serde_json::Value| d["ram_bytes"].as_u64().unwrap();
    let chosen = rows
        .iter()
        .find(|r| {
            let d = device(r["device_id"].as_u64().unwrap());
            d["chassis"] == "laptop" && r["wifi"] != "ready" && firefox.contains(&d["id"].as_u64().unwrap())
        })
        .expect("a planned laptop with Firefox, not ready for Wi-Fi");
    let pick = device(chosen["device_id"].as_u64().unwrap());
    let (site, wave, os) = (
        chosen["site_code"].as_str().unwrap(),
        chosen["wave"].as_u64().unwrap(),
        pick["os_name"].as_str().unwrap(),
    );
    let max_gb = (ram(pick) >> 30) + 1;
    let example = format!(
        "site:{site} ram<{max_gb}GB os:\"{os}\" -wifi:ready software:\"Firefox\" not-seen<14d chassis:laptop wave:{wave}"
    );
    let mut expected: Vec<u64> = rows
        .iter()
        .filter(|r| r["site_code"] == site && r["wifi"] != "ready" && r["wave"].as_u64() == Some(wave))
        .map(|r| r["device_id"].as_u64().unwrap())
        .filter(|id| {
            let d = device(*id);
            let os_text = format!("{} {}", d["os_name"].as_str().unwrap(), d["os_version"].as_str().unwrap());
            d["chassis"] == "laptop"
                && ram(d) < max_gb << 30
                && os_text.to_lowercase().contains(&os.to_lowercase())
                && firefox.contains(id)
        })
        .collect();
    expected.sort_unstable();
    let answered: Vec<u64> = json(&["devices", "--query", &example, "--output", "json"])
        .iter()
        .map(|d| d["id"].as_u64().unwrap())
        .collect();
    assert!(!expected.is_empty(), "{example}");
    assert_eq!(answered, expected, "{example}");

    // The HTTP port: /healthz is open, /metrics needs a token.
    let metrics = format!("{}/metrics", server.http_url);
    assert_eq!(http_request(&format!("{}/healthz", server.http_url), None).0, 200);
    assert_eq!(http_request(&metrics, None).0, 401);
    assert_eq!(http_request(&metrics, Some(&marie)).0, 401, "a revoked token");
    let viewer = create_token(&server.db, "prometheus", "viewer");
    let (status, body) = http_request(&metrics, Some(&viewer));
    assert_eq!(status, 200);
    assert!(body.contains("parc_reports_total"), "{body}");
    server.stop();
}
