//! Sites, assets, the policy and readiness through the real binaries: a
//! planner imports the sample sites file and an asset spreadsheet, tunes
//! the policy, follows a site's rollout, and reads readiness per site and
//! per PC, with the daily snapshot behind the trend.

use parc_e2e::{devices_json, run, text, Running, Server, SECRET};

const SAMPLE_SITES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/sites.csv");

fn parc(url: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--server", url];
    all.extend_from_slice(args);
    run("parc", &all)
}

fn ok(output: std::process::Output) -> String {
    assert!(output.status.success(), "stderr: {}\nstdout: {}", text(&output.stderr), text(&output.stdout));
    text(&output.stdout)
}

#[test]
fn a_planner_imports_sites_and_assets_tunes_the_policy_and_reads_readiness() {
    let dir = tempfile::tempdir().unwrap();
    // The policy: a bad file is refused with its place; a good one is used.
    let bad_policy = dir.path().join("bad.toml");
    std::fs::write(&bad_policy, "[replacement]\nmax_age_year = 4\n").unwrap();
    let checked = run("parc", &["policy", "check", bad_policy.to_str().unwrap()]);
    assert!(!checked.status.success());
    let message = text(&checked.stderr);
    assert!(message.contains("bad.toml line 2, column 1: unknown field `max_age_year`"), "{message}");
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[replacement]\nmax_age_years = 3\n\n[softphone]\nclients = [\"Zoiper\"]\n")
        .unwrap();
    assert!(ok(run("parc", &["policy", "check", policy.to_str().unwrap()])).contains("valid policy"));
    let refused = std::process::Command::new(parc_e2e::bin("parc-server"))
        .args([
            "serve",
            "--db",
            dir.path().join("x.db").to_str().unwrap(),
            "--policy",
            bad_policy.to_str().unwrap(),
        ])
        .env("PARC_ENROLL_SECRET", SECRET)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("unknown field `max_age_year`"), "{}", text(&refused.stderr));

    let server = Server::start_with(
        &dir.path().join("parc.db"),
        "127.0.0.1:0",
        &["--policy", policy.to_str().unwrap()],
    );
    let url = server.url.as_str();
    let shown = ok(parc(url, &["policy", "show"]));
    assert!(
        shown.contains("policy.toml")
            && shown.contains("max_age_years = 3.0")
            && shown.contains("\"Zoiper\""),
        "{shown}"
    );

    // The sample sites file, as a French spreadsheet exports it.
    let imported = ok(parc(url, &["sites", "import", SAMPLE_SITES]));
    assert!(imported.starts_with("41 sites created, 0 updated, 0 unchanged"), "{imported}");
    let bad_sites = dir.path().join("sites-bad.csv");
    let sample = std::fs::read_to_string(SAMPLE_SITES).unwrap();
    let mut lines: Vec<String> = sample.lines().map(str::to_string).collect();
    lines[2] = lines[2].replace(";copper;", ";fiber;");
    std::fs::write(&bad_sites, lines.join("\n")).unwrap();
    let refused = parc(url, &["sites", "import", bad_sites.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("sites-bad.csv line 3, column wan_link: 'fiber' is not one of"),
        "{}",
        text(&refused.stderr)
    );

    // A simulated fleet reports over the same gRPC path as agents.
    let mut sim = Running::start_with_env(
        "parc",
        &["--server", url, "sim", "--fleet-size", "200", "--concurrency", "16"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    assert!(sim.wait().success(), "{}", sim.stderr_lines().join("\n"));
    let devices = devices_json(url);
    assert_eq!(devices.len(), 200);

    // The asset register: two known serials, one unknown.
    let serial = |i: usize| devices[i]["serial_number"].as_str().unwrap().to_string();
    let assets = dir.path().join("assets.csv");
    std::fs::write(
        &assets,
        format!(
            "\u{feff}serial_number;asset_tag;purchase_date;department;teleworker\n{};INV-1;14/03/2015;Solidarités;oui\n\
             {};INV-2;2025-09-01;Finances;non\nNOT-IN-FLEET;INV-3;;Routes;\n",
            serial(0),
            serial(1)
        ),
    )
    .unwrap();
    let answer = ok(parc(url, &["assets", "import", assets.to_str().unwrap()]));
    assert!(answer.contains("3 assets stored; 2 match one device"), "{answer}");
    assert!(
        answer.contains("1 serial numbers no device reports") && answer.contains("NOT-IN-FLEET"),
        "{answer}"
    );

    // Readiness per site adds up to the fleet; every PC is on a site.
    let by_site: Vec<serde_json::Value> =
        serde_json::from_str(&ok(parc(url, &["readiness", "--by", "site", "--output", "json"]))).unwrap();
    let total: u64 = by_site.iter().map(|g| g["devices"].as_u64().unwrap()).sum();
    assert_eq!(total, 200);
    assert!(by_site.iter().all(|g| g["key"] != ""), "a simulated PC on no site: {by_site:?}");
    let table = ok(parc(url, &["readiness"]));
    assert!(table.starts_with("Whole fleet: 200 PCs; replacement:"), "{table}");
    for dimension in ["replacement", "wifi", "fibre", "softphone", "telework", "security"] {
        assert!(table.contains(&format!("  {dimension} ")), "{dimension} missing:\n{table}");
    }
    let csv = ok(parc(url, &["readiness", "--by", "department", "--output", "csv"]));
    assert!(csv.lines().any(|l| l.starts_with("Solidarités,1,replacement,")), "{csv}");

    // One PC: its site, its asset row, its age from the purchase date and
    // the policy's three-year limit.
    let first = devices[0]["id"].as_u64().unwrap().to_string();
    let detail = ok(parc(url, &["device", &first]));
    assert!(detail.contains("\nReadiness\n"), "{detail}");
    assert!(detail.contains("(by subnet)"), "{detail}");
    assert!(detail.contains("INV-1 Solidarités"), "{detail}");
    assert!(detail.contains("since 2015-03-14 (high confidence)"), "{detail}");
    assert!(detail.contains("years old ≥ 3 (from the purchase date, high confidence)"), "{detail}");
    // The simulated fleet has Teams, not Zoiper, which this policy asks for.
    assert!(detail.contains("softphone client not installed (looked for Zoiper)"), "{detail}");

    // A site's rollout moves: the change is kept with its date.
    let code =
        by_site.iter().find(|g| g["key"] == "MDS-ETAMPES").map(|_| "MDS-ETAMPES").unwrap_or("SIEGE-EVRY");
    let set = ok(parc(url, &["sites", "set", code, "--wifi", "planned:2027-05-01", "--up", "100"]));
    assert!(set.contains(&format!("{code} wifi:")), "{set}");
    let shown: serde_json::Value =
        serde_json::from_str(&ok(parc(url, &["sites", "show", code, "--output", "json"]))).unwrap();
    let changes = shown["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["field"] == "wifi"
        && c["after"] == "planned:2027-05-01"
        && c["source"] == "parc sites set"));
    let listed = ok(parc(url, &["sites", "--output", "csv"]));
    assert_eq!(listed.lines().count(), 42, "{listed}");

    // By hand onto another site, then back to the subnet.
    let moved = ok(parc(url, &["assign", &first, "--site", "CTR-VILLABE"]));
    assert!(moved.contains("CTR-VILLABE"), "{moved}");
    assert!(ok(parc(url, &["device", &first])).contains("CTR-VILLABE (assigned by hand)"));
    ok(parc(url, &["assign", &first, "--by-subnet"]));
    let missing = parc(url, &["assign", &first, "--site", "NOPE"]);
    assert_eq!(missing.status.code(), Some(3), "{}", text(&missing.stderr));

    // The daily snapshot is taken shortly after start; the trend shows it.
    server.process.wait_for_stderr("readiness snapshot stored");
    let trend = ok(parc(url, &["readiness", "--trend"]));
    assert!(trend.starts_with("Ready PCs per day\nDAY"), "{trend}");
    assert_eq!(trend.lines().count(), 3, "{trend}");

    // An admin sets another policy: in force at once, and it outranks the
    // --policy file after a restart of the real binary. A file is a whole
    // policy: the softphone clients it leaves out go back to the defaults.
    let shown = ok(parc(url, &["policy", "show"]));
    assert!(shown.lines().next().unwrap().contains("the server's --policy file "), "{shown}");
    let strict = dir.path().join("strict.toml");
    std::fs::write(&strict, "[replacement]\nmax_age_years = 1.0\n").unwrap();
    let set = ok(parc(url, &["policy", "set", strict.to_str().unwrap()]));
    assert!(
        set.contains("stored and in force; 2 keys changed")
            && set.contains("replacement.max_age_years: 3.0 → 1.0"),
        "{set}"
    );
    let shown = ok(parc(url, &["policy", "show"]));
    assert!(shown.contains("set with `parc policy set` from strict.toml by e2e-admin-"), "{shown}");
    server.stop();
    let server = Server::start_with(
        &dir.path().join("parc.db"),
        "127.0.0.1:0",
        &["--policy", policy.to_str().unwrap()],
    );
    server.process.wait_for_stderr("the policy file is not in force");
    let shown = ok(parc(server.url.as_str(), &["policy", "show"]));
    assert!(shown.contains("from strict.toml") && shown.contains("max_age_years = 1.0"), "{shown}");
    server.stop();
}
