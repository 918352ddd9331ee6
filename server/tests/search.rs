//! The query language over real gRPC on a simulated fleet: each query's
//! answer is checked against the same question answered another way
//! (device summaries, per-device readiness, the software listing).

use crate::util::{TestServer, SECRET};
use parc_proto::pb;
use std::collections::BTreeSet;
use tonic::Code;

const SITES: &[u8] = include_bytes!("../../samples/sites.csv");

async fn fleet_of(size: usize) -> (TestServer, Vec<pb::DeviceSummary>) {
    let server = TestServer::start().await;
    let pcs = parc_server::sim::fleet::generate(7, size, parc_server::now_unix());
    let register = parc_server::sim::assets::assets_csv(&pcs, 7);
    let summary = parc_server::sim::driver::drive(&server.url, SECRET, pcs, 8).await.unwrap();
    assert_eq!(summary.failed, 0);
    let mut fleet = server.fleet().await;
    let import =
        |file: &str, content: Vec<u8>| pb::ImportRequest { file_name: file.into(), content, dry_run: false };
    fleet.import_sites(import("sites.csv", SITES.to_vec())).await.unwrap();
    fleet.import_assets(import("assets.csv", register.into_bytes())).await.unwrap();
    let all = query(&server, "").await;
    assert_eq!(all.len(), size);
    (server, all)
}

/// Every device the query selects, through pages of 7.
async fn query(server: &TestServer, text: &str) -> Vec<pb::DeviceSummary> {
    let mut fleet = server.fleet().await;
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = fleet
            .list_devices(pb::ListDevicesRequest {
                page_size: 7,
                page_token,
                not_seen_for_seconds: 0,
                query: text.into(),
            })
            .await
            .unwrap_or_else(|status| panic!("{text}: {status}"))
            .into_inner();
        found.extend(page.devices);
        assert!(page.total_count as usize >= found.len());
        if page.next_page_token.is_empty() {
            return found;
        }
        page_token = page.next_page_token;
    }
}

fn ids<'a>(devices: impl IntoIterator<Item = &'a pb::DeviceSummary>) -> BTreeSet<u64> {
    devices.into_iter().map(|d| d.id).collect()
}

#[tokio::test]
async fn column_terms_select_what_the_summaries_say() {
    let (server, all) = fleet_of(60).await;
    let small = ids(all.iter().filter(|d| d.ram_bytes < 8 << 30));
    assert!(!small.is_empty() && small.len() < all.len(), "the simulated fleet mixes RAM sizes");
    assert_eq!(ids(&query(&server, "ram<8GB").await), small);
    assert_eq!(ids(&query(&server, "-ram<8GB").await), ids(&all).difference(&small).copied().collect());

    let laptops = ids(all.iter().filter(|d| d.chassis == pb::ChassisKind::Laptop as i32));
    assert!(!laptops.is_empty());
    assert_eq!(ids(&query(&server, "chassis:laptop").await), laptops);
    let both = ids(&query(&server, "chassis:laptop ram<8GB").await);
    assert_eq!(both, laptops.intersection(&small).copied().collect());

    let windows11 = ids(all.iter().filter(|d| format!("{} {}", d.os_name, d.os_version).contains("11")));
    assert_eq!(ids(&query(&server, "os:\"Windows 11\"").await), windows11);

    let host = &all[3].hostname;
    let fragment = &host[..host.len() - 1];
    let expected = ids(all.iter().filter(|d| d.hostname.to_lowercase().contains(&fragment.to_lowercase())));
    assert_eq!(ids(&query(&server, &fragment.to_lowercase()).await), expected);

    assert_eq!(ids(&query(&server, "not-seen<1d").await), ids(&all));
    assert!(query(&server, "not-seen>1d").await.is_empty());
    assert_eq!(
        ids(&query(&server, &format!("id:{},{}", all[0].id, all[5].id)).await),
        ids([&all[0], &all[5]])
    );
}

#[tokio::test]
async fn software_terms_agree_with_the_software_listing() {
    let (server, all) = fleet_of(40).await;
    let mut fleet = server.fleet().await;
    // A package some PCs have and others do not.
    let listing = fleet
        .list_software(pb::ListSoftwareRequest { name: "Firefox".into(), exact: false })
        .await
        .unwrap()
        .into_inner();
    let holders: BTreeSet<u64> =
        listing.packages.iter().flat_map(|p| p.devices.iter().map(|d| d.id)).collect();
    assert!(!holders.is_empty() && holders.len() < all.len(), "{} of {}", holders.len(), all.len());
    assert_eq!(ids(&query(&server, "software:firefox").await), holders);
    assert_eq!(
        ids(&query(&server, "-software:firefox").await),
        ids(&all).difference(&holders).copied().collect()
    );
    let none =
        fleet.list_software(pb::ListSoftwareRequest { name: "Lotus Notes 3".into(), exact: true }).await;
    assert!(none.unwrap().into_inner().packages.is_empty());
}

#[tokio::test]
async fn readiness_site_and_asset_terms_agree_with_each_devices_readiness() {
    let (server, all) = fleet_of(50).await;
    let mut fleet = server.fleet().await;
    let mut views = Vec::new();
    for device in &all {
        let view = fleet
            .get_device_readiness(pb::GetDeviceReadinessRequest { device: device.id.to_string() })
            .await
            .unwrap()
            .into_inner();
        views.push(view);
    }
    let state = |view: &pb::GetDeviceReadinessResponse, dimension: &str| {
        view.outcomes.iter().find(|o| o.dimension == dimension).map(|o| o.state.clone()).unwrap_or_default()
    };
    let wifi_ready: BTreeSet<u64> =
        views.iter().filter(|v| state(v, "wifi") == "ready").map(|v| v.device_id).collect();
    assert!(!wifi_ready.is_empty() && wifi_ready.len() < all.len(), "{} of {}", wifi_ready.len(), all.len());
    assert_eq!(ids(&query(&server, "wifi:ready").await), wifi_ready);
    assert_eq!(
        ids(&query(&server, "-wifi:ready").await),
        ids(&all).difference(&wifi_ready).copied().collect()
    );
    let replace: BTreeSet<u64> =
        views.iter().filter(|v| v.replacement_group == "replace").map(|v| v.device_id).collect();
    assert!(!replace.is_empty());
    assert_eq!(ids(&query(&server, "replacement:replace").await), replace);
    let high: BTreeSet<u64> =
        views.iter().filter(|v| v.replacement_score >= 60).map(|v| v.device_id).collect();
    assert!(!high.is_empty() && high.len() < all.len(), "{} of {}", high.len(), all.len());
    assert_eq!(ids(&query(&server, "score>=60").await), high);

    let site = views.iter().find(|v| !v.site_code.is_empty()).unwrap().site_code.clone();
    let on_site: BTreeSet<u64> = views.iter().filter(|v| v.site_code == site).map(|v| v.device_id).collect();
    assert_eq!(ids(&query(&server, &format!("site:{}", site.to_lowercase())).await), on_site);
    let small_on_site: BTreeSet<u64> =
        all.iter().filter(|d| on_site.contains(&d.id) && d.ram_bytes < 16 << 30).map(|d| d.id).collect();
    assert!(on_site.len() > small_on_site.len() || !small_on_site.is_empty());
    assert_eq!(ids(&query(&server, &format!("site:{site} ram<16GB")).await), small_on_site);

    let with_user = views.iter().find(|v| !v.assigned_user.is_empty()).unwrap();
    let user = with_user.assigned_user.clone();
    let theirs: BTreeSet<u64> =
        views.iter().filter(|v| v.assigned_user.contains(&user)).map(|v| v.device_id).collect();
    assert_eq!(ids(&query(&server, &format!("user:\"{user}\"")).await), theirs);
    // Free text finds a PC by its user's name too.
    assert!(ids(&query(&server, &format!("\"{user}\"")).await).contains(&with_user.device_id));
}

#[tokio::test]
async fn a_bad_query_says_where_and_what_was_expected() {
    let (server, _) = fleet_of(3).await;
    let mut fleet = server.fleet().await;
    let status = fleet
        .list_devices(pb::ListDevicesRequest { query: "ram<8XB chassis:laptop".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("query: column 5:"), "{}", status.message());
    assert!(status.message().contains("8GB"), "{}", status.message());
    assert!(status.message().contains("ram<8XB chassis:laptop\n    ^^^"), "{}", status.message());
    let status = fleet
        .list_devices(pb::ListDevicesRequest { query: "chassis:laptp".into(), ..Default::default() })
        .await
        .unwrap_err();
    assert!(status.message().contains("laptop"), "{}", status.message());
}

#[tokio::test]
async fn labels_the_agents_report_are_searched_whole_and_follow_the_last_report() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let mut keys = Vec::new();
    for (i, labels) in [vec!["pilot", "MDS-ETAMPES"], vec!["MDS-ETAMPES"], vec![]].into_iter().enumerate() {
        let mut pc = crate::util::inventory(&format!("PC-LABEL-{i}"), &format!("{i:0>32}"));
        pc.labels = labels.into_iter().map(String::from).collect();
        let (_, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
        agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
        keys.push((key, pc));
    }
    let hosts = |found: Vec<pb::DeviceSummary>| found.into_iter().map(|d| d.hostname).collect::<Vec<_>>();
    assert_eq!(hosts(query(&server, "label:pilot").await), ["PC-LABEL-0"]);
    assert_eq!(hosts(query(&server, "label:mds-etampes").await), ["PC-LABEL-0", "PC-LABEL-1"]);
    assert_eq!(hosts(query(&server, "label:MDS").await), Vec::<String>::new(), "a whole label, not a part");
    assert_eq!(hosts(query(&server, "-label:pilot").await), ["PC-LABEL-1", "PC-LABEL-2"]);
    let first = query(&server, "label:pilot").await.remove(0);
    assert_eq!(first.labels, ["pilot", "MDS-ETAMPES"]);

    // A later report (a delta: only the header changes) moves the label.
    let (key, mut pc) = keys.swap_remove(1);
    pc.labels = vec!["pilot".into()];
    let acked = agent.report(&key, 2, &pc, &Default::default()).await.unwrap().held;
    pc.labels = vec!["pilot".into(), "wave-2".into()];
    let ack = agent.report(&key, 3, &pc, &acked).await.unwrap();
    assert!(ack.unchanged > 0, "a delta report");
    assert_eq!(hosts(query(&server, "label:pilot").await), ["PC-LABEL-0", "PC-LABEL-1"]);
    assert_eq!(hosts(query(&server, "label:wave-2").await), ["PC-LABEL-1"]);

    // A label the agent could not have sent is refused, naming it.
    let mut bad = pc.clone();
    bad.labels = vec!["two words".into()];
    let error = agent.report(&key, 4, &bad, &Default::default()).await.unwrap_err().to_string();
    assert!(error.contains("inventory.labels[0]"), "{error}");
}
