//! The web dashboard over its real router, on a real database file that
//! real agents' reports filled through gRPC: each page shows what the
//! stored fleet says, data is escaped, unknown things are 404 pages, and
//! the wave lists download as CSV and XLSX.

use crate::util::{inventory, TestServer, SECRET};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use calamine::Reader;
use parc_model::Inventory;
use parc_proto::pb;
use parc_server::grpc::AppState;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub(crate) const SITES: &str =
    "code;name;kind;address;wan_link;down_mbps;up_mbps;fibre;wifi;subnets;technician_group\n\
    MDS-ETAMPES;MDS d'Étampes;MDS;Étampes;copper;20;1;planned:2027-03-15;none;10.20.0.0/16;SUD\n\
    SIEGE;Hôtel du Département;siège;Évry;ftto;1000;1000;live;live;10.1.0.0/16;NORD\n";

pub(crate) const SPEC: &str =
    "start = \"2027-01-04\"\ncapacity = 2\n[select]\ngroups = [\"replace\", \"fixable\", \"unknown\", \"ready\"]\n";

/// A dashboard over the test server's database.
pub(crate) struct Dashboard {
    pub(crate) server: TestServer,
    pub(crate) state: Arc<AppState>,
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
    pub(crate) location: String,
    pub(crate) cookie: String,
    /// The Content-Security-Policy header; empty when there is none.
    pub(crate) csp: String,
}

impl Answer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8")
    }
}

impl Dashboard {
    pub(crate) async fn start() -> Dashboard {
        let server = TestServer::start().await;
        let state = Arc::new(AppState::new(server.storage.clone(), SECRET, Duration::from_secs(900)));
        Dashboard { server, state }
    }

    /// `GET uri` with the admin token, as a script would send it.
    pub(crate) async fn get(&self, uri: &str) -> Answer {
        let request = Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.server.token))
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> Answer {
        let response = parc_server::http::router(self.state.clone()).oneshot(request).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let cookie = response
            .headers()
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let csp = response
            .headers()
            .get(header::CONTENT_SECURITY_POLICY)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
        Answer { status, content_type, body, location, cookie, csp }
    }

    /// The page at `uri`, which must answer 200 with HTML.
    pub(crate) async fn page(&self, uri: &str) -> String {
        let answer = self.get(uri).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {uri}: {}", answer.text());
        assert_eq!(answer.content_type, "text/html; charset=utf-8", "GET {uri}");
        answer.text()
    }

    pub(crate) async fn import_sites(&self, sites: &str) {
        crate::util::import_sites(&mut self.server.fleet().await, sites).await;
    }

    /// Enrolls and reports `pc`; returns its id and node key.
    pub(crate) async fn report(&self, pc: &Inventory) -> (u64, String) {
        let agent = self.server.agent();
        let (id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
        agent.report(&key, 1, pc, &Default::default()).await.unwrap();
        (id, key)
    }
}

/// A PC at `address` (in a /16).
pub(crate) fn pc(hostname: &str, address: &str) -> Inventory {
    let mut pc = inventory(hostname, &format!("{:032x}", machine_id(hostname)));
    for interface in pc.network_interfaces.iter_mut().flatten() {
        interface.addresses = vec![format!("{address}/16")];
    }
    pc
}

/// A stable machine id per hostname.
fn machine_id(text: &str) -> u128 {
    text.bytes()
        .fold(0x9e37_79b9_7f4a_7c15_u128, |h, b| h.wrapping_mul(0x100_0000_01b3).wrapping_add(u128::from(b)))
}

#[tokio::test]
async fn the_overview_counts_the_fleet_and_a_site_lists_its_pcs() {
    let dashboard = Dashboard::start().await;
    let empty = dashboard.page("/").await;
    assert!(empty.contains(r#"id="fleet-size">0<"#), "{empty}");
    assert!(empty.contains("No PC has reported yet"), "{empty}");

    dashboard.import_sites(SITES).await;
    let (siege_1, _) = dashboard.report(&pc("SIEGE-D0001", "10.1.3.4")).await;
    let (siege_2, _) = dashboard.report(&pc("SIEGE-L0002", "10.1.3.5")).await;
    dashboard.report(&pc("METAMP-L0001", "10.20.0.5")).await;

    let overview = dashboard.page("/").await;
    assert!(overview.contains(r#"id="fleet-size">3<"#), "{overview}");
    assert!(overview.contains("Readiness per dimension"), "{overview}");
    for dimension in ["replacement", "wifi", "fibre", "softphone", "telework", "security"] {
        assert!(overview.contains(&format!(r#"href="/sites?dimension={dimension}""#)), "{dimension}");
    }
    assert!(overview.contains("under 1 day"), "{overview}");
    assert!(overview.contains("<svg class=\"chart split\""), "the reporting bar");

    let sites = dashboard.page("/sites?dimension=wifi").await;
    assert!(sites.contains(r#"href="/sites?dimension=wifi" aria-current="true""#), "{sites}");
    assert!(sites.contains(r#"href="/sites/SIEGE""#) && sites.contains(r#"href="/sites/MDS-ETAMPES""#));
    assert!(sites.contains("planned 2027-03-15"), "the fibre rollout: {sites}");
    assert!(sites.contains("Readiness for wifi per site"));

    let siege = dashboard.page("/sites/SIEGE").await;
    assert!(siege.contains("Hôtel du Département") && siege.contains("ftto 1000/1000 Mb/s"), "{siege}");
    assert!(siege.contains(&format!(r#"<a href="/devices/{siege_1}">SIEGE-D0001</a>"#)), "{siege}");
    assert!(siege.contains(&format!(r#"<a href="/devices/{siege_2}">SIEGE-L0002</a>"#)), "{siege}");
    assert!(!siege.contains("METAMP-L0001"), "a PC of another site: {siege}");
    // The site's link, fibre and Wi-Fi rows say what the sites file says.
    for row in [
        r#"<tr><th>WAN link</th><td>ftto 1000/1000 Mb/s</td></tr>"#,
        r#"<tr><th>Fibre</th><td><span class="badge ready">live</span></td></tr>"#,
        r#"<tr><th>Wi-Fi</th><td><span class="badge ready">deployed</span></td></tr>"#,
    ] {
        assert!(siege.contains(row), "SIEGE lacks {row}: {siege}");
    }
    let etampes = dashboard.page("/sites/MDS-ETAMPES").await;
    assert!(etampes.contains("METAMP-L0001") && !etampes.contains("SIEGE-D0001"));
    for row in [
        r#"<tr><th>WAN link</th><td>copper 20/1 Mb/s</td></tr>"#,
        r#"<tr><th>Fibre</th><td><span class="badge info">planned 2027-03-15</span></td></tr>"#,
        r#"<tr><th>Wi-Fi</th><td><span class="badge unknown">none</span></td></tr>"#,
    ] {
        assert!(etampes.contains(row), "MDS-ETAMPES lacks {row}: {etampes}");
    }
}

#[tokio::test]
async fn a_device_page_shows_its_inventory_reasons_site_and_history() {
    let dashboard = Dashboard::start().await;
    dashboard.import_sites(SITES).await;
    let mut first = pc("METAMP-L0042", "10.20.0.9");
    let (id, key) = dashboard.report(&first).await;
    // A second report: a package installed, which history records.
    first.software.get_or_insert_with(Vec::new).push(parc_model::SoftwarePackage {
        name: "Zoiper5".into(),
        version: "5.6.1".into(),
        ..Default::default()
    });
    dashboard.server.agent().report(&key, 2, &first, &Default::default()).await.unwrap();

    let page = dashboard.page(&format!("/devices/{id}")).await;
    assert!(page.contains(r#"<td id="hostname">METAMP-L0042</td>"#), "{page}");
    assert!(page.contains(r#"<a href="/sites/MDS-ETAMPES">MDS-ETAMPES</a>"#), "{page}");
    assert!(page.contains("fibre at MDS-ETAMPES planned for 2027-03-15"), "a readiness reason: {page}");
    assert!(page.contains("installed <strong>Zoiper5</strong>"), "the history entry: {page}");
    for section in ["System", "Operating system", "CPU", "Memory", "Disks", "Security", "Network", "Users"] {
        assert!(page.contains(&format!("<h3>{section}</h3>")), "section {section}");
    }
    assert!(page.contains(r#"<details id="software"><summary>"#), "{page}");
    // A hostname opens the same page.
    let by_name = dashboard.page("/devices/metamp-l0042").await;
    assert!(by_name.contains(&format!("<td>{id}</td>")), "{by_name}");
    // A hostname two devices share lists both, by id.
    let mut twin = pc("METAMP-L0042", "10.20.0.10");
    twin.machine_id = format!("{:032x}", machine_id("twin"));
    let (twin_id, _) = dashboard.report(&twin).await;
    let both = dashboard.page("/devices/METAMP-L0042").await;
    assert!(both.contains("Several devices have the hostname"), "{both}");
    for id in [id, twin_id] {
        assert!(both.contains(&format!(r#"<a href="/devices/{id}">{id}</a>"#)), "{both}");
    }
}

#[tokio::test]
async fn hostile_data_is_escaped_on_every_page() {
    let dashboard = Dashboard::start().await;
    let sites = format!(
        "{SITES}EVIL;<img src=x onerror=alert(1)>;other;<b>rue</b>;none;0;0;none;none;10.9.0.0/16;<i>g</i>\n"
    );
    dashboard.import_sites(&sites).await;
    let hostile = "<script>alert(\"x\")</script>";
    let (id, _) = dashboard.report(&pc(hostile, "10.9.0.3")).await;
    let pages = [
        "/".to_string(),
        "/sites".to_string(),
        "/sites/EVIL".to_string(),
        format!("/devices/{id}"),
        "/search?q=script".to_string(),
        "/search?q=%3Cscript%3E".to_string(),
        "/devices/%3Cscript%3E".to_string(),
    ];
    for uri in pages {
        let answer = dashboard.get(&uri).await;
        let html = answer.text();
        assert!(!html.contains("<script"), "GET {uri} lets a script through: {html}");
        assert!(!html.contains("<img"), "GET {uri} lets markup through: {html}");
        assert!(!html.contains("<b>rue"), "GET {uri}: {html}");
    }
    let device = dashboard.page(&format!("/devices/{id}")).await;
    assert!(device.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), "{device}");
    let site = dashboard.page("/sites/EVIL").await;
    assert!(site.contains("&lt;img src=x onerror=alert(1)&gt;"), "{site}");
    let search = dashboard.page("/search?q=script").await;
    assert!(search.contains("1 devices match"), "{search}");
    let answer = dashboard.get("/").await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_things_are_pages_that_say_so() {
    let dashboard = Dashboard::start().await;
    dashboard.import_sites(SITES).await;
    for (uri, status, message) in [
        ("/sites/NOPE", StatusCode::NOT_FOUND, "There is no site with the code 'NOPE'."),
        ("/devices/999", StatusCode::NOT_FOUND, "There is no device with the id or hostname '999'."),
        ("/devices/no-such-pc", StatusCode::NOT_FOUND, "no-such-pc"),
        ("/waves/2", StatusCode::NOT_FOUND, "No plan is published yet."),
        ("/waves/abc", StatusCode::NOT_FOUND, "waves are numbered from 1"),
        ("/waves/export.csv", StatusCode::NOT_FOUND, "There is nothing to download."),
        ("/nowhere", StatusCode::NOT_FOUND, "There is no page at /nowhere."),
        ("/sites?dimension=colour", StatusCode::BAD_REQUEST, "There is no dimension 'colour'"),
    ] {
        let answer = dashboard.get(uri).await;
        let html = answer.text();
        assert_eq!(answer.status, status, "GET {uri}: {html}");
        assert!(html.contains(message), "GET {uri}: {html}");
        assert!(html.contains(r#"<nav class="main""#), "an error is a whole page: {html}");
    }
    let waves = dashboard.page("/waves").await;
    assert!(waves.contains("No plan is published yet.") && waves.contains("parc waves publish"), "{waves}");
}

#[tokio::test]
async fn the_waves_pages_follow_the_published_plan_and_export_it() {
    let dashboard = Dashboard::start().await;
    dashboard.import_sites(SITES).await;
    for i in 0..3 {
        dashboard.report(&pc(&format!("SIEGE-D000{i}"), &format!("10.1.0.{}", i + 10))).await;
    }
    let mut fleet = dashboard.server.fleet().await;
    let plan =
        pb::PlanWavesRequest { spec_toml: SPEC.into(), spec_file: "spec.toml".into(), ..Default::default() };
    fleet.plan_waves(plan).await.unwrap();
    fleet.publish_plan(pb::PublishPlanRequest { id: 1 }).await.unwrap();
    fleet
        .set_rollout_status(pb::SetRolloutStatusRequest {
            device: "SIEGE-D0000".into(),
            status: "done".into(),
            ..Default::default()
        })
        .await
        .unwrap();

    let waves = dashboard.page("/waves").await;
    assert!(waves.contains("Plan 1, published"), "{waves}");
    assert!(waves.contains(r#"<div class="value" id="planned">3</div>"#), "{waves}");
    assert_eq!(waves.matches(r#"<rect class="wave""#).count(), 2, "one bar per wave: {waves}");
    assert!(waves.contains(r#"<a href="/waves/1">Wave 1</a>"#) && waves.contains(r#"<a href="/waves/2">"#));
    assert!(waves.contains(r#"href="/waves/export.xlsx""#) && waves.contains(r#"href="/waves/export.csv""#));
    assert!(waves.contains("1 done"), "the statuses: {waves}");

    let wave = dashboard.page("/waves/1").await;
    assert_eq!(wave.matches(r#"<a href="/devices/"#).count(), 2, "{wave}");
    assert!(wave.contains("wave 1 ("), "the planner's reason: {wave}");
    assert!(wave.contains(r#"href="/waves/export.csv?wave=1&amp;excel_fr=1""#), "{wave}");
    let beyond = dashboard.get("/waves/99").await;
    assert_eq!(beyond.status, StatusCode::NOT_FOUND);
    assert!(beyond.text().contains("there is no wave 99."), "{}", beyond.text());

    let csv = dashboard.get("/waves/export.csv").await;
    assert_eq!((csv.status, csv.content_type.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    let text = csv.text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("wave,planned_date,site_code,"), "{text}");
    assert_eq!(lines.len(), 4, "a header and the 3 PCs: {text}");
    assert!(text.contains(",done,"), "the status: {text}");
    let french = dashboard.get("/waves/export.csv?wave=2&excel_fr=1").await;
    assert!(french.body.starts_with(b"\xEF\xBB\xBFwave;planned_date;"));
    assert_eq!(french.text().lines().count(), 2, "wave 2 alone: {}", french.text());

    let xlsx = dashboard.get("/waves/export.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.body)).unwrap();
    assert_eq!(book.sheet_names(), vec!["Summary", "Wave 1", "Wave 2"]);
    let wave1 = book.worksheet_range("Wave 1").unwrap();
    assert_eq!(wave1.height(), 3, "header and 2 PCs");
}

#[tokio::test]
async fn search_lists_matching_hostnames_and_downloads_them() {
    let dashboard = Dashboard::start().await;
    for name in ["SIEGE-D0001", "SIEGE-D0002", "METAMP-L0001"] {
        dashboard.report(&pc(name, "10.1.0.1")).await;
    }
    let form = dashboard.page("/search").await;
    assert!(form.contains(r#"<input type="search" id="q" name="q""#), "{form}");
    let found = dashboard.page("/search?q=siege").await;
    assert!(found.contains("2 devices match"), "{found}");
    assert!(found.contains(">SIEGE-D0001</a>") && !found.contains("METAMP-L0001"), "{found}");
    assert!(found.contains(r#"href="/search.csv?q=siege""#), "{found}");
    let csv = dashboard.get("/search.csv?q=siege").await;
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let text = csv.text();
    assert!(text.starts_with("id,hostname,serial_number,"), "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");

    // The query language: fields, negation, and a mistake shown where it is.
    let found = dashboard.page("/search?q=siege%20-hostname%3AD0002").await;
    assert!(found.contains("1 devices match") && found.contains(">SIEGE-D0001</a>"), "{found}");
    let mistake = dashboard.page("/search?q=ram%3C8XB").await;
    assert!(mistake.contains(r#"<pre class="error" id="search-error" role="alert">ram&lt;8XB"#), "{mistake}");
    assert!(mistake.contains("^^^") && mistake.contains("8GB"), "{mistake}");
    assert!(mistake.contains("<code>not-seen</code>"), "the field help is shown: {mistake}");
    let bad_csv = dashboard.get("/search.csv?q=ram%3C8XB").await;
    assert_eq!(bad_csv.status, StatusCode::BAD_REQUEST);

    // A query over the language's 2,000 characters is refused, whole and
    // with its length, never cut down to a shorter question that would
    // match (here: the first 2,000 characters alone are a valid query).
    let long = format!("siege{}-hostname:D0002", " ".repeat(2_100));
    let encoded = long.replace(' ', "+").replace(':', "%3A");
    assert!(parc_query::parse(&long.chars().take(2_000).collect::<String>()).is_ok());
    let refused = dashboard.page(&format!("/search?q={encoded}")).await;
    assert!(
        refused.contains("query is too long: 2,120 characters, at most 2,000"),
        "{}",
        &refused[..refused.len().min(3000)]
    );
    assert!(refused.contains(r#"id="search-error""#) && !refused.contains(r#"id="search-count""#));
    let refused_csv = dashboard.get(&format!("/search.csv?q={encoded}")).await;
    assert_eq!(refused_csv.status, StatusCode::BAD_REQUEST);
    assert!(refused_csv.text().contains("query is too long: 2,120 characters"), "{}", refused_csv.text());
}

#[tokio::test]
async fn every_page_needs_a_token_with_the_right_role() {
    let dashboard = Dashboard::start().await;
    let viewer =
        crate::util::make_token(&dashboard.server.storage, "lucie", parc_server::access::Role::Viewer);
    let planner =
        crate::util::make_token(&dashboard.server.storage, "paul", parc_server::access::Role::Planner);
    let admin = dashboard.server.token.clone();
    let revoked =
        crate::util::make_token(&dashboard.server.storage, "gone", parc_server::access::Role::Admin);
    dashboard.server.storage.revoke_token("gone", &crate::util::tester(), 1).unwrap();
    dashboard.state.auth.forget_all();
    let get = |uri: &str, headers: &[(header::HeaderName, String)]| {
        let mut request = Request::builder().uri(uri);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.body(Body::empty()).unwrap()
    };
    let bearer = |token: &str| vec![(header::AUTHORIZATION, format!("Bearer {token}"))];
    let browser = vec![(header::ACCEPT, "text/html,application/xhtml+xml".to_string())];
    let pages = [
        "/",
        "/sites",
        "/sites/SIEGE",
        "/devices/1",
        "/waves",
        "/waves/1",
        "/search?q=PC",
        "/search.csv?q=PC",
        "/metrics",
        "/audit",
    ];
    for page in pages {
        // No token: a browser is sent to sign in, a script gets 401.
        let answer = dashboard.send(get(page, &browser)).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            answer.location,
            format!("/login?next={}", page.replace('?', "%3F").replace('=', "%3D")),
            "{page}"
        );
        let answer = dashboard.send(get(page, &[])).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{page}");
        let answer = dashboard.send(get(page, &bearer("parc_unknown"))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{page}");
        // A revoked token: refused to a script, and a browser's stale
        // cookie is cleared on the way to the sign-in page.
        let answer = dashboard.send(get(page, &bearer(&revoked))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{page}");
        assert_eq!(answer.text(), "unknown or revoked token\n", "{page}");
        let stale = [browser[0].clone(), (header::COOKIE, format!("parc_session={revoked}"))];
        let answer = dashboard.send(get(page, &stale)).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        assert!(answer.cookie.starts_with("parc_session=; "), "{page}: {}", answer.cookie);
        // Every role reads every page (some answer 404: nothing is there yet).
        for token in [&viewer, &planner, &admin] {
            let answer = dashboard.send(get(page, &bearer(token))).await;
            assert!(![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&answer.status), "{page}");
        }
    }
    // Wave lists are for planners: a viewer is told which role it takes.
    for export in ["/waves/export.csv", "/waves/export.xlsx?wave=1"] {
        let answer = dashboard.send(get(export, &bearer(&viewer))).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{export}");
        assert!(answer.text().contains("needs the planner role"), "{}", answer.text());
        for token in [&planner, &admin] {
            let answer = dashboard.send(get(export, &bearer(token))).await;
            assert!(![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&answer.status), "{export}");
        }
        assert_eq!(dashboard.send(get(export, &[])).await.status, StatusCode::UNAUTHORIZED);
    }
    // The search's CSV is a viewer's: the same list `parc devices --output
    // csv` gives one.
    let csv = dashboard.send(get("/search.csv?q=PC", &bearer(&viewer))).await;
    assert_eq!((csv.status, csv.content_type.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"));
    // The health check and the sign-in page are open.
    assert_eq!(dashboard.send(get("/healthz", &[])).await.status, StatusCode::OK);
    assert!(dashboard.send(get("/login", &[])).await.text().contains("Sign in to Parc"));
    // Signing out is open to anyone, token or not (it only clears the
    // cookie), and only by POST: a link cannot sign a person out.
    let logout = |headers: &[(header::HeaderName, String)]| {
        let mut request = Request::builder().method("POST").uri("/logout");
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.body(Body::empty()).unwrap()
    };
    for headers in [vec![], bearer(&viewer), bearer(&admin), bearer(&revoked), bearer("parc_unknown")] {
        let out = dashboard.send(logout(&headers)).await;
        assert_eq!((out.status, out.location.as_str()), (StatusCode::SEE_OTHER, "/login"), "{headers:?}");
        assert!(out.cookie.contains("Max-Age=0"), "{}", out.cookie);
    }
    let get_logout = dashboard.send(get("/logout", &bearer(&viewer))).await;
    assert_eq!(get_logout.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn signing_in_keeps_the_token_in_a_strict_cookie_until_sign_out() {
    let dashboard = Dashboard::start().await;
    let viewer =
        crate::util::make_token(&dashboard.server.storage, "lucie", parc_server::access::Role::Viewer);
    let post = |body: String| {
        Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    // A wrong token goes back to the form, which says so; no cookie.
    let answer = dashboard.send(post("token=parc_wrong&next=%2Fsites".into())).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location, "/login?failed=1&next=/sites");
    assert!(answer.cookie.is_empty());
    let form = dashboard.send(Request::builder().uri(&answer.location).body(Body::empty()).unwrap()).await;
    assert!(form.text().contains("unknown or revoked"), "{}", form.text());
    // The right one: back to where the person was going, with the cookie.
    let answer = dashboard.send(post(format!("token={viewer}&next=%2Fsites"))).await;
    assert_eq!((answer.status, answer.location.as_str()), (StatusCode::SEE_OTHER, "/sites"));
    assert!(answer.cookie.starts_with(&format!("parc_session={viewer}; ")), "{}", answer.cookie);
    assert!(
        answer.cookie.contains("HttpOnly") && answer.cookie.contains("SameSite=Strict"),
        "{}",
        answer.cookie
    );
    // Never sent elsewhere after signing in.
    let answer = dashboard.send(post(format!("token={viewer}&next=https%3A%2F%2Fevil.example%2F"))).await;
    assert_eq!(answer.location, "/");
    let with_cookie = |uri: &str, token: &str| {
        Request::builder()
            .uri(uri)
            .header(header::COOKIE, format!("theme=x; parc_session={token}"))
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap()
    };
    let page = dashboard.send(with_cookie("/sites", &viewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    // Revoked: the cookie stops working and is cleared.
    dashboard.server.storage.revoke_token("lucie", &crate::util::tester(), 1).unwrap();
    dashboard.state.auth.forget_all();
    let page = dashboard.send(with_cookie("/sites", &viewer)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(page.cookie.starts_with("parc_session=; "), "{}", page.cookie);
    let out =
        dashboard.send(Request::builder().method("POST").uri("/logout").body(Body::empty()).unwrap()).await;
    assert_eq!((out.status, out.location.as_str()), (StatusCode::SEE_OTHER, "/login"));
    assert!(out.cookie.contains("Max-Age=0"), "{}", out.cookie);
}
