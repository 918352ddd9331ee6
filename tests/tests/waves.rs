//! A rollout through the real binaries: a planner writes a spec, plans
//! the replacement waves of a simulated fleet, publishes them, technicians
//! report back (one by one and with a returns spreadsheet), the planner
//! re-plans with the started wave frozen, and exports the wave lists as
//! CSV for French Excel, XLSX (read back) and JSON.

use calamine::{open_workbook, Reader, Xlsx};
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

fn refused(output: std::process::Output) -> String {
    assert!(!output.status.success(), "accepted: {}", text(&output.stdout));
    text(&output.stderr)
}

fn today() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    now.div_euclid(86_400)
}

fn rows(url: &str, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["waves", "show", "--output", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(parc(url, &all))).unwrap()
}

#[test]
fn a_planner_plans_publishes_follows_replans_and_exports_waves() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, "[replacement]\nmax_age_years = 2\n").unwrap();
    let server = Server::start_with(
        &dir.path().join("parc.db"),
        "127.0.0.1:0",
        &["--policy", policy.to_str().unwrap()],
    );
    let url = server.url.as_str();
    ok(parc(url, &["sites", "import", SAMPLE_SITES]));
    let mut sim = Running::start_with_env(
        "parc",
        &["--server", url, "sim", "--fleet-size", "120", "--concurrency", "16"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    assert!(sim.wait().success(), "{}", sim.stderr_lines().join("\n"));
    let devices = devices_json(url);
    let serial = |i: usize| devices[i]["serial_number"].as_str().unwrap().to_string();
    let assets = dir.path().join("assets.csv");
    std::fs::write(
        &assets,
        format!(
            "serial_number;asset_tag;assigned_user;department;teleworker\n{};INV-1;jdupont;Solidarités;oui\n{};INV-2;amartin;Routes;oui\n",
            serial(0),
            serial(1)
        ),
    )
    .unwrap();
    ok(parc(url, &["assets", "import", assets.to_str().unwrap()]));

    // Bad specs are refused with the file and the field.
    let bad = dir.path().join("bad-spec.toml");
    std::fs::write(
        &bad,
        "start = \"2027-01-04\"\n[[blackout]]\nfrom = \"2027-04-20\"\nto = \"2027-04-01\"\n",
    )
    .unwrap();
    let message = refused(parc(url, &["waves", "plan", "--spec", bad.to_str().unwrap()]));
    assert!(
        message.contains("bad-spec.toml: blackout[0].to: 2027-04-01 is before from (2027-04-20)"),
        "{message}"
    );
    std::fs::write(&bad, "start = \"2027-01-04\"\n[[blackout]]\nfrom = \"2027-04-01\"\nto = \"2027-04-20\"\nsite_kinds = [\"lycée\"]\n").unwrap();
    let message = refused(parc(url, &["waves", "plan", "--spec", bad.to_str().unwrap()]));
    assert!(message.contains("blackout[0].site_kinds: 'lycée' is not one of"), "{message}");
    let message = refused(parc(url, &["waves", "plan", "--start", "2027-01-04", "--capacity", "0"]));
    assert!(message.contains("capacity: 0 cannot plan anything"), "{message}");

    // Wave 1 started a week ago, so it freezes once published.
    let start = parc_model::civil::iso(today() - 8);
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        format!(
            "start = \"{start}\"\ncadence = \"1w\"\nwaves = 12\ncapacity = 15\nmax_sites_per_wave = 6\n\
             budget_per_wave = 20000\n[select]\ngroups = [\"replace\", \"fixable\", \"unknown\"]\n\
             [prices]\nlaptop = 1100\ndesktop = 800\n[stock]\nlaptop = 12\ndesktop = 12\n\
             [technicians.default]\ndevices_per_day = 5\ndays_per_wave = 3\n"
        ),
    )
    .unwrap();
    let planned = ok(parc(url, &["waves", "plan", "--spec", spec.to_str().unwrap()]));
    assert!(planned.starts_with("plan 1 (draft): "), "{planned}");
    assert!(
        planned.contains("WAVE") && planned.contains("TECHNICIAN-DAYS") && planned.contains("default "),
        "{planned}"
    );
    assert!(planned.contains("one-by-one greedy"), "{planned}");
    let draft = rows(url, &["--draft", "--wave", "1"]);
    assert!(!draft.is_empty());
    assert!(draft.iter().all(|r| r["reason"].as_str().unwrap().starts_with("wave 1 (")), "{draft:?}");
    // The two teleworkers go first.
    let teleworkers: Vec<_> = draft.iter().filter(|r| r["teleworker"] == "yes").collect();
    assert_eq!(teleworkers.len(), 2, "{draft:?}");
    assert!(teleworkers.iter().all(|r| r["reason"].as_str().unwrap().contains("teleworker; score ")));
    let message = refused(parc(url, &["waves", "status"]));
    assert!(message.contains("no plan is published yet"), "{message}");

    let published = ok(parc(url, &["waves", "publish"]));
    assert!(published.starts_with("plan 1 published: "), "{published}");
    let status = ok(parc(url, &["waves", "status"]));
    assert!(status.contains("plan 1: 0 of "), "{status}");
    assert!(status.contains("late (their wave is over):"), "wave 1 ended yesterday:\n{status}");

    // Technicians report: one by one, and with a returns sheet.
    let wave1 = rows(url, &["--wave", "1"]);
    let wave2 = rows(url, &["--wave", "2"]);
    assert!(wave2.len() >= 2, "{wave2:?}");
    let done_id = wave1[0]["device_id"].as_u64().unwrap().to_string();
    ok(parc(url, &["waves", "set", &done_id, "done", "--technician", "M. Roux"]));
    let postponed_id = wave2[0]["device_id"].as_u64().unwrap().to_string();
    let message = refused(parc(url, &["waves", "set", &postponed_id, "postponed", "--wave", "4"]));
    assert!(message.contains("postponed needs a reason"), "{message}");
    let moved = ok(parc(
        url,
        &["waves", "set", &postponed_id, "postponed", "--reason", "agent en congé", "--wave", "4"],
    ));
    assert!(moved.contains("planned → postponed, wave 4"), "{moved}");
    let returns = dir.path().join("retours.csv");
    let delivered_serial = wave2[1]["serial_number"].as_str().unwrap();
    std::fs::write(&returns, format!("\u{feff}serial_number;status;date;technician\n{delivered_serial};livré;02/01/2027;M. Roux\nNO-SUCH;fait;;\n")).unwrap();
    let message = refused(parc(url, &["waves", "returns", returns.to_str().unwrap()]));
    assert!(
        message.contains("retours.csv line 3, column serial_number: no device matches 'NO-SUCH'"),
        "{message}"
    );
    std::fs::write(&returns, format!("serial_number;status;technician\n{delivered_serial};livré;M. Roux\n"))
        .unwrap();
    let imported = ok(parc(url, &["waves", "returns", returns.to_str().unwrap()]));
    assert!(imported.contains("1 rows: 1 changed (1 delivered)"), "{imported}");
    let status: serde_json::Value =
        serde_json::from_str(&ok(parc(url, &["waves", "status", "--output", "json"]))).unwrap();
    assert_eq!(status["overall"]["done"], 1, "{status}");
    assert_eq!(status["overall"]["statuses"]["delivered"], 1, "{status}");

    // Re-planning with less capacity keeps wave 1 (frozen) and every status.
    let replanned = ok(parc(url, &["waves", "plan", "--spec", spec.to_str().unwrap(), "--capacity", "10"]));
    assert!(replanned.starts_with("plan 2 (draft): "), "{replanned}");
    assert!(replanned.contains("frozen"), "{replanned}");
    assert!(replanned.contains("over the spec: 15 devices for a capacity of 10"), "{replanned}");
    assert!(replanned.contains("compared with published plan 1: "), "{replanned}");
    let new_wave1 = rows(url, &["--draft", "--wave", "1"]);
    let ids = |rows: &[serde_json::Value]| {
        let mut ids: Vec<u64> = rows.iter().map(|r| r["device_id"].as_u64().unwrap()).collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(ids(&new_wave1), ids(&wave1), "the frozen wave changed");
    assert!(new_wave1.iter().all(|r| r["reason"].as_str().unwrap().contains("frozen, the wave started on")));
    ok(parc(url, &["waves", "publish"]));
    let exported: Vec<serde_json::Value> =
        serde_json::from_str(&ok(parc(url, &["waves", "export", "--format", "json"]))).unwrap();
    let postponed_row =
        exported.into_iter().find(|r| r["device_id"].as_u64().unwrap().to_string() == postponed_id);
    let postponed_row = postponed_row.expect("the postponed device stays in the plan");
    assert!(postponed_row["wave"].as_u64().unwrap() >= 4, "{postponed_row}");
    assert_eq!(postponed_row["status"], "postponed");

    // Exports: CSV for French Excel, XLSX read back, JSON.
    let csv_path = dir.path().join("waves.csv");
    ok(parc(url, &["waves", "export", "--format", "csv", "--excel-fr", "--out", csv_path.to_str().unwrap()]));
    let csv = std::fs::read(&csv_path).unwrap();
    assert!(csv.starts_with(
        b"\xEF\xBB\xBFwave;planned_date;site_code;site_name;site_address;technician_group;asset_tag;hostname"
    ));
    let csv = String::from_utf8(csv).unwrap();
    let total = csv.lines().count() - 1;
    assert!(total > 20, "{csv}");
    assert!(csv.contains(";INV-1;"), "the asset tag is exported");
    let xlsx_path = dir.path().join("waves.xlsx");
    let written =
        ok(parc(url, &["waves", "export", "--format", "xlsx", "--out", xlsx_path.to_str().unwrap()]));
    assert!(written.starts_with(&format!("{total} devices written to")), "{written}");
    let mut workbook: Xlsx<_> = open_workbook(&xlsx_path).unwrap();
    let names = workbook.sheet_names().to_vec();
    assert_eq!(names[0], "Summary");
    assert!(names[1..].iter().all(|n| n.starts_with("Wave ")), "{names:?}");
    let mut sheet_rows = 0;
    for name in &names[1..] {
        let range = workbook.worksheet_range(name).unwrap();
        assert_eq!(range.get((0, 7)).map(|c| c.to_string()), Some("hostname".into()));
        sheet_rows += range.height() - 1;
    }
    assert_eq!(sheet_rows, total);
    let summary = workbook.worksheet_range("Summary").unwrap();
    assert_eq!(summary.get((0, 2)).map(|c| c.to_string()), Some("devices".into()));
    let total_row = summary.rows().find(|r| r[0] == "total").expect("total row");
    assert_eq!(total_row[2].to_string(), total.to_string());
    let json: Vec<serde_json::Value> =
        serde_json::from_str(&ok(parc(url, &["waves", "export", "--format", "json", "--wave", "1"])))
            .unwrap();
    assert_eq!(json.len(), wave1.len());
    assert!(json.iter().all(|r| r["windows11"].is_string() && r["site_fibre"].is_string()));

    // A draft too small for the fleet: its left-out devices, each with why.
    let tight = ok(parc(
        url,
        &["waves", "plan", "--spec", spec.to_str().unwrap(), "--capacity", "1", "--waves", "2"],
    ));
    let draft = tight.strip_prefix("plan ").and_then(|rest| rest.split_whitespace().next()).unwrap();
    let left: Vec<serde_json::Value> = serde_json::from_str(&ok(parc(
        url,
        &["waves", "export", "--left-out", "--plan", draft, "--format", "json"],
    )))
    .unwrap();
    assert!(!left.is_empty(), "{tight}");
    assert!(left.iter().all(|r| r["status"] == "left_out" && r["wave"] == 0), "{left:?}");
    assert!(left.iter().all(|r| r["reason"].as_str().unwrap().starts_with("left out: ")), "{left:?}");
    let both = parc(url, &["waves", "export", "--left-out", "--wave", "1"]);
    assert_eq!(both.status.code(), Some(2), "--left-out and --wave exclude each other");
}
