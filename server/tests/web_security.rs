//! What every answer of the HTTP port promises a browser, through the real
//! router on a real database: the content security policy on each one
//! (pages, error pages, the sign-in form, refusals, redirects, downloads),
//! and no page that points at anything outside the server.

use crate::web::{pc, Answer, Dashboard, SITES, SPEC};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use parc_proto::pb;
use parc_server::access::Role;

/// The policy the dashboard promises (docs/dashboard.md): no script, nothing
/// from elsewhere, forms only to this server.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; \
                      form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The values of the attributes that make a browser load or go somewhere.
fn linked_urls(html: &str) -> Vec<String> {
    let mut urls = Vec::new();
    for attribute in ["src", "href", "action", "xlink:href", "srcset", "poster", "data"] {
        for quote in ['"', '\''] {
            let opening = format!(" {attribute}={quote}");
            let mut rest = html;
            while let Some(at) = rest.find(&opening) {
                rest = &rest[at + opening.len()..];
                let end = rest.find(quote).unwrap_or(rest.len());
                urls.push(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }
    urls
}

fn is_external(url: &str) -> bool {
    let url = url.trim().to_ascii_lowercase();
    url.starts_with("http://") || url.starts_with("https://") || url.starts_with("//")
}

#[test]
fn the_link_scanner_finds_outside_urls() {
    let html =
        r#"<a href="/sites">x</a><img src='https://cdn.example/x.png'><link href="//evil.example/a.css">"#;
    let mut urls = linked_urls(html);
    urls.sort();
    assert_eq!(urls, ["//evil.example/a.css", "/sites", "https://cdn.example/x.png"]);
    assert_eq!(urls.iter().filter(|u| is_external(u)).count(), 2);
}

#[tokio::test]
async fn every_answer_carries_the_policy_and_no_page_links_outside() {
    let dashboard = Dashboard::start().await;
    dashboard.import_sites(SITES).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (id, _) = dashboard.report(&pc(&format!("SIEGE-D000{i}"), &format!("10.1.0.{}", i + 10))).await;
        ids.push(id);
    }
    dashboard.report(&pc("METAMP-L0001", "10.20.0.5")).await;
    let mut fleet = dashboard.server.fleet().await;
    let plan =
        pb::PlanWavesRequest { spec_toml: SPEC.into(), spec_file: "spec.toml".into(), ..Default::default() };
    fleet.plan_waves(plan).await.unwrap();
    fleet.publish_plan(pb::PublishPlanRequest { id: 1 }).await.unwrap();
    let viewer = crate::util::make_token(&dashboard.server.storage, "lucie", Role::Viewer);

    let mut answers: Vec<(String, Answer)> = Vec::new();
    // Every page, and the answers that are not pages, with the admin token.
    let pages = [
        "/".to_string(),
        "/sites".into(),
        "/sites?dimension=fibre".into(),
        "/sites/SIEGE".into(),
        "/sites/MDS-ETAMPES".into(),
        format!("/devices/{}", ids[0]),
        "/devices/siege-d0001".into(),
        "/waves".into(),
        "/waves/1".into(),
        "/search".into(),
        "/search?q=siege".into(),
        "/search?q=ram%3C8XB".into(),
        "/search.csv?q=siege".into(),
        "/waves/export.csv".into(),
        "/waves/export.xlsx".into(),
        "/metrics".into(),
        "/healthz".into(),
        "/login".into(),
        "/login?failed=1&next=/sites".into(),
        "/sites/NOPE".into(),
        "/nowhere".into(),
        "/sites?dimension=colour".into(),
    ];
    for uri in &pages {
        answers.push((uri.clone(), dashboard.get(uri).await));
    }
    let request = |uri: &str, headers: &[(header::HeaderName, &str)]| {
        let mut request = Request::builder().uri(uri);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        request.body(Body::empty()).unwrap()
    };
    // Refusals and redirects.
    let bearer = format!("Bearer {viewer}");
    for (label, req, status) in [
        ("401 no token", request("/sites", &[]), StatusCode::UNAUTHORIZED),
        ("303 to sign in", request("/sites", &[(header::ACCEPT, "text/html")]), StatusCode::SEE_OTHER),
        (
            "403 viewer",
            request("/waves/export.csv", &[(header::AUTHORIZATION, bearer.as_str())]),
            StatusCode::FORBIDDEN,
        ),
        (
            "303 sign out",
            Request::builder().method("POST").uri("/logout").body(Body::empty()).unwrap(),
            StatusCode::SEE_OTHER,
        ),
        (
            "303 signed in",
            Request::builder()
                .method("POST")
                .uri("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("token={viewer}&next=%2Fsites")))
                .unwrap(),
            StatusCode::SEE_OTHER,
        ),
    ] {
        let answer = dashboard.send(req).await;
        assert_eq!(answer.status, status, "{label}: {}", answer.text());
        answers.push((label.to_string(), answer));
    }

    let mut html_pages = 0;
    for (uri, answer) in &answers {
        assert_eq!(answer.csp, POLICY, "{uri} ({}) lacks the content security policy", answer.status);
        if answer.content_type.starts_with("text/html") {
            html_pages += 1;
            let html = answer.text();
            assert!(!html.is_empty(), "{uri}");
            let outside: Vec<String> = linked_urls(&html).into_iter().filter(|u| is_external(u)).collect();
            assert!(outside.is_empty(), "{uri} points outside the server: {outside:?}");
            assert!(!html.contains("<script"), "{uri} has a script");
            assert!(
                !html.contains("@import") && !html.contains("url(http"),
                "{uri} loads a style from elsewhere"
            );
        }
    }
    assert!(html_pages >= 18, "the HTML answers were checked: {html_pages}");
}
