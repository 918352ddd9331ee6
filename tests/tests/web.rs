//! The web dashboard in a real browser: the real parc-server with the
//! sample sites, a simulated fleet and a published wave plan (all through
//! the real `parc` CLI), and a headless Chromium driven over WebDriver
//! through every page, clicking the navigation and the links as a person
//! would. Each page's content is checked against what the CLI says, and a
//! screenshot of each is saved under `target/web-screenshots/`.
//!
//! Needs /usr/bin/chromium and /usr/bin/chromedriver: the test fails (it
//! never skips) without them; `./scripts/test` installs them.

use parc_e2e::webdriver::{Driver, Session};
use parc_e2e::{devices_json, http_get, run, target_dir, text, Running, Server, SECRET};
use std::path::PathBuf;
use std::time::Instant;

const SAMPLE_SITES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/sites.csv");
const WIDTH: u32 = 1366;
const HEIGHT: u32 = 900;

fn parc(url: &str, args: &[&str]) -> String {
    let mut all = vec!["--server", url];
    all.extend_from_slice(args);
    let output = run("parc", &all);
    assert!(output.status.success(), "parc {args:?}: {}\n{}", text(&output.stderr), text(&output.stdout));
    text(&output.stdout)
}

fn today() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    now.div_euclid(86_400)
}

/// The width and height a PNG file's header gives; (0, 0) when the file
/// is not a PNG.
fn png_size(path: &std::path::Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_default();
    if bytes.len() < 24 || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || &bytes[12..16] != b"IHDR" {
        return (0, 0);
    }
    let word = |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    (word(16), word(20))
}

/// Saves what the window shows, and the whole page beside it.
fn screenshots(browser: &Session, name: &str, saved: &mut Vec<PathBuf>) {
    let dir = target_dir().join("web-screenshots");
    saved.push(browser.screenshot(&dir.join(format!("{name}.png"))));
    saved.push(browser.full_screenshot(&dir.join(format!("{name}-full.png")), WIDTH, HEIGHT, 6000));
}

/// Clicks the first element matching `css` and checks where it led.
fn click(browser: &Session, css: &str, path_ends_with: &str) {
    let element = browser.find(css);
    browser.click(&element);
    browser.wait_for_url(path_ends_with);
}

#[test]
fn a_person_browses_every_page_of_the_dashboard() {
    let started = Instant::now();
    // A browser is needed: fail now, before the fleet is made.
    parc_e2e::webdriver::require_browser();

    // This run's screenshots only: `./scripts/test` lists the folder as
    // the suite's artifacts.
    let shots = target_dir().join("web-screenshots");
    if shots.exists() {
        std::fs::remove_dir_all(&shots).expect("clear the old screenshots");
    }

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let url = server.url.as_str();
    parc(url, &["sites", "import", SAMPLE_SITES]);
    let mut sim = Running::start_with_env(
        "parc",
        &["--server", url, "sim", "--fleet-size", "120", "--concurrency", "16"],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    assert!(sim.wait().success(), "{}", sim.stderr_lines().join("\n"));
    // Wave 1 started eight days ago: it is over, so its open PCs are late.
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        format!(
            "start = \"{}\"\ncadence = \"1w\"\nwaves = 12\ncapacity = 15\nmax_sites_per_wave = 6\n\
             [select]\ngroups = [\"replace\", \"fixable\", \"unknown\"]\n",
            parc_model::civil::iso(today() - 8)
        ),
    )
    .unwrap();
    parc(url, &["waves", "plan", "--spec", spec.to_str().unwrap()]);
    parc(url, &["waves", "publish"]);
    let rows: Vec<serde_json::Value> =
        serde_json::from_str(&parc(url, &["waves", "export", "--format", "json"])).unwrap();
    let wave = |row: &serde_json::Value| row["wave"].as_u64().unwrap();
    let last_wave = rows.iter().map(wave).max().expect("a planned PC");
    let wave1: Vec<&serde_json::Value> = rows.iter().filter(|r| wave(r) == 1).collect();
    let done = wave1[0]["device_id"].as_u64().unwrap().to_string();
    parc(url, &["waves", "set", &done, "done", "--technician", "M. Roux"]);
    let devices = devices_json(url);
    let sites: Vec<serde_json::Value> =
        serde_json::from_str(&parc(url, &["sites", "--output", "json"])).unwrap();
    let siege_pcs = sites.iter().find(|s| s["code"] == "SIEGE-EVRY").unwrap()["devices"].as_u64().unwrap();
    assert!(siege_pcs > 0, "the simulator puts PCs at the head office");
    let prepared = started.elapsed();

    let driver = Driver::start();
    let browser = driver.session(WIDTH, HEIGHT);
    let mut saved = Vec::new();
    let base = server.http_url.as_str();

    // What a blank window looks like as a PNG: a page's screenshot must
    // be larger, or the browser drew nothing.
    browser.goto("about:blank");
    let blank = browser.screenshot(&dir.path().join("blank.png"));
    let blank_bytes = std::fs::metadata(&blank).map(|m| m.len()).unwrap_or(0);
    assert!(blank_bytes > 0, "the blank window's screenshot");

    // Signing in: the first page sends a person to the sign-in form; a
    // wrong token brings them back to it, the right one where they went.
    browser.goto(&format!("{base}/sites"));
    browser.wait_for_url(&format!("{base}/login?next=/sites"));
    assert_eq!(browser.title(), "Sign in · Parc");
    screenshots(&browser, "login", &mut saved);
    browser.type_into(&browser.find("#token"), "parc_not-a-token");
    click(&browser, "form.login button", "/login?failed=1&next=/sites");
    assert!(browser.text_of(".error").contains("unknown or revoked"));
    browser.type_into(&browser.find("#token"), &server.token);
    click(&browser, "form.login button", &format!("{base}/sites"));

    // Overview: the fleet size, reporting health, readiness per dimension.
    browser.goto(&format!("{base}/"));
    assert_eq!(browser.title(), "Overview · Parc");
    assert_eq!(browser.text_of("#fleet-size"), devices.len().to_string());
    assert_eq!(browser.find_all("#readiness tbody tr").len(), 6, "six dimensions");
    assert!(browser.text_of("#reporting").contains("under 1 day"));
    assert_eq!(browser.find_all("svg.chart").len(), 3, "reporting, readiness, replacement charts");
    screenshots(&browser, "overview", &mut saved);

    // Sites: every site of the sample file, the dimension chosen by a tab.
    click(&browser, r#"nav.main a[href="/sites"]"#, "/sites");
    assert_eq!(browser.text_of("h1"), "Sites");
    let site_lines =
        std::fs::read_to_string(SAMPLE_SITES).unwrap().lines().skip(1).filter(|l| !l.is_empty()).count();
    assert!(browser.find_all("#sites tbody tr").len() >= site_lines, "every site has a row");
    click(&browser, r#"nav.tabs a[href="/sites?dimension=wifi"]"#, "/sites?dimension=wifi");
    let tab = browser.find(r#"nav.tabs a[aria-current="true"]"#);
    assert_eq!(browser.text(&tab), "wifi");
    assert!(browser.find_all("svg.rows g.bar").len() >= site_lines, "a bar per site");
    screenshots(&browser, "sites", &mut saved);

    // A site: its facts and its PCs, as many as the CLI counts.
    click(&browser, r#"#sites a[href="/sites/SIEGE-EVRY"]"#, "/sites/SIEGE-EVRY");
    assert_eq!(browser.text_of("h1"), "Site SIEGE-EVRY");
    let facts = browser.text_of("#site-facts");
    assert!(facts.contains("Boulevard de France") && facts.contains("ftto 1000/1000 Mb/s"), "{facts}");
    let listed = browser.find_all("#site-pcs tbody tr").len() as u64;
    assert_eq!(listed, siege_pcs.min(500), "the site's PCs");
    screenshots(&browser, "site", &mut saved);

    // A PC of the site: its readiness reasons are the CLI's.
    let first_pc = browser.find("#site-pcs tbody tr a");
    let hostname = browser.text(&first_pc);
    let href = browser.attribute(&first_pc, "href").expect("a link");
    browser.click(&first_pc);
    let device_url = browser.wait_for_url(&href);
    let id = device_url.rsplit('/').next().unwrap().to_string();
    assert_eq!(browser.text_of("h1"), format!("Device {hostname}"));
    assert_eq!(browser.text_of("#hostname"), hostname);
    let readiness = browser.text_of("#device-readiness");
    let cli = parc(url, &["device", &id]);
    let reasons: Vec<&str> = cli
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("✗ ").or_else(|| l.trim_start().strip_prefix("? ")))
        .collect();
    assert!(!reasons.is_empty(), "the simulated PC has reasons: {cli}");
    for reason in &reasons {
        assert!(readiness.contains(reason), "the page lacks the reason {reason:?}:\n{readiness}");
    }
    assert!(browser.text_of("#device-facts").contains("SIEGE-EVRY"));
    screenshots(&browser, "device", &mut saved);

    // Waves: a bar per wave on the calendar, the table, what is late.
    click(&browser, r#"nav.main a[href="/waves"]"#, "/waves");
    let bars = browser.find_all("svg.timeline rect.wave").len() as u64;
    assert_eq!(bars, last_wave, "one bar per wave of the plan");
    assert_eq!(browser.find_all("#waves tbody tr").len() as u64, last_wave);
    assert_eq!(browser.text_of("#planned"), rows.len().to_string());
    assert!(!browser.find_all("#late tbody tr").is_empty(), "wave 1 is over with PCs still open");
    let exports: Vec<String> =
        browser.find_all("#exports a").iter().filter_map(|a| browser.attribute(a, "href")).collect();
    assert!(exports.iter().any(|h| h.ends_with("/waves/export.xlsx")), "{exports:?}");
    let csv = http_get(&format!("{base}/waves/export.csv"));
    assert_eq!(csv.lines().count(), rows.len() + 1, "the CSV has every planned PC");
    screenshots(&browser, "waves", &mut saved);

    // One wave: its PCs with status and reason.
    click(&browser, r#"#waves a[href="/waves/1"]"#, "/waves/1");
    assert_eq!(browser.text_of("h1"), "Wave 1");
    assert_eq!(browser.find_all("#wave-pcs tbody tr").len(), wave1.len().min(500));
    assert!(browser.text_of("#wave-pcs").contains("done"), "the PC marked done");
    screenshots(&browser, "wave", &mut saved);

    // Search: typed into the form, as a person would.
    click(&browser, r#"nav.main a[href="/search"]"#, "/search");
    let field = browser.find("#q");
    browser.type_into(&field, "SIEGE");
    browser.click(&browser.find("form.search button"));
    browser.wait_for_url("/search?q=SIEGE");
    let matching = devices.iter().filter(|d| d["hostname"].as_str().unwrap().contains("SIEGE")).count();
    let count = browser.text_of("#search-count");
    assert!(count.starts_with(&format!("{matching} devices")), "{count}");

    // The query language, as the CLI answers it.
    let query = "chassis:laptop -ram<8GB site:SIEGE-EVRY";
    let expected: Vec<serde_json::Value> =
        serde_json::from_str(&parc(url, &["devices", "--query", query, "--output", "json"])).unwrap();
    let field = browser.find("#q");
    browser.script("document.getElementById('q').value = ''");
    browser.type_into(&field, query);
    browser.click(&browser.find("form.search button"));
    browser.wait_for_url("site%3ASIEGE-EVRY");
    let count = browser.text_of("#search-count");
    assert!(count.starts_with(&format!("{} devices match", expected.len())), "{count}");
    assert_eq!(browser.find_all("#results tbody tr").len(), expected.len());
    screenshots(&browser, "search", &mut saved);
    // A mistake is shown where it is, with what was expected.
    browser.goto(&format!("{base}/search?q=chassis%3Alaptp"));
    let mistake = browser.text_of("#search-error");
    assert!(mistake.contains("chassis:laptp") && mistake.contains("laptop"), "{mistake}");
    screenshots(&browser, "search-mistake", &mut saved);

    // A device that does not exist: a page that says so.
    browser.goto(&format!("{base}/devices/NO-SUCH-PC"));
    assert_eq!(browser.text_of("h1"), "Not found");
    assert!(browser.text_of("main").contains("There is no device with the id or hostname 'NO-SUCH-PC'."));
    saved.push(browser.screenshot(&target_dir().join("web-screenshots/not-found.png")));

    drop(browser);
    for path in &saved {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let (width, height) = png_size(path);
        println!("screenshot: {} ({width}×{height}, {size} bytes)", path.display());
        // An empty file, an image with no pixels, or one no larger than a
        // blank window is no screenshot of a page.
        assert!(width > 0 && height > 0, "{} has no pixels", path.display());
        assert!(
            size > blank_bytes,
            "{} is blank: {size} bytes, a blank window {blank_bytes}",
            path.display()
        );
    }
    println!(
        "web e2e: fleet, sites and plan ready in {:.1} s; browsing {:.1} s; {:.1} s in all",
        prepared.as_secs_f64(),
        (started.elapsed() - prepared).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    server.stop();
}
