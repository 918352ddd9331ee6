//! Sites, the asset register and readiness over real gRPC, on a real
//! database file: imports are all or nothing, devices land on the site of
//! their subnet unless assigned by hand, and readiness counts what the
//! stored inventories, sites and assets say.

use crate::util::{inventory, TestServer, SECRET};
use parc_model::Inventory;
use parc_proto::pb;
use tonic::Code;

const SITES: &str = "code;name;kind;address;wan_link;down_mbps;up_mbps;fibre;wifi;subnets;technician_group\n\
    MDS-ETAMPES;MDS d'Étampes;MDS;Étampes;copper;20;1;planned:2027-03-15;none;10.20.0.0/16;SUD\n\
    SIEGE;Hôtel du Département;siège;Évry;ftto;1000;1000;live;live;10.1.0.0/16;NORD\n";

fn import(file_name: &str, content: &str) -> pb::ImportRequest {
    pb::ImportRequest { file_name: file_name.into(), content: content.as_bytes().to_vec(), dry_run: false }
}

/// A PC at `address`, with `serial`; Microsoft Teams installed when `teams`.
fn pc(hostname: &str, address: &str, serial: &str, teams: bool) -> Inventory {
    let mut pc = inventory(hostname, &format!("{hostname:0>32}"));
    for interface in pc.network_interfaces.iter_mut().flatten() {
        interface.addresses = vec![format!("{address}/16")];
    }
    if let Some(system) = pc.system.as_mut() {
        system.serial_number = serial.into();
    }
    let software = pc.software.get_or_insert_with(Vec::new);
    software.retain(|p| !p.name.contains("Teams"));
    if teams {
        software.push(parc_model::SoftwarePackage {
            name: "Microsoft Teams".into(),
            version: "24.1".into(),
            ..Default::default()
        });
    }
    pc
}

async fn report(server: &TestServer, pc: &Inventory) -> u64 {
    let agent = server.agent();
    let (id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    agent.report(&key, 1, pc, &Default::default()).await.unwrap();
    id
}

async fn sites(fleet: &mut parc_server::cli::Fleet) -> Vec<pb::Site> {
    fleet.list_sites(pb::ListSitesRequest {}).await.unwrap().into_inner().sites
}

#[tokio::test]
async fn a_bad_row_names_its_line_and_column_and_writes_nothing() {
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    fleet.import_sites(import("sites.csv", SITES)).await.unwrap();

    // The second row of this file is wrong: its first row must not land.
    let bad = SITES
        .replace("copper;20", "ftth;20")
        .replace("SIEGE;Hôtel", "SIEGE;Hôtel changed")
        .replace("ftto;1000", "fiber;1000");
    let status = fleet.import_sites(import("sites-v2.csv", &bad)).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.message(),
        "sites-v2.csv line 3, column wan_link: 'fiber' is not one of ftto, ftth, copper, 4g, none"
    );
    let stored = sites(&mut fleet).await;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored.iter().find(|s| s.code == "MDS-ETAMPES").unwrap().wan_link, "copper");
    let changes =
        fleet.get_site(pb::GetSiteRequest { code: "SIEGE".into() }).await.unwrap().into_inner().changes;
    assert!(changes.is_empty(), "{changes:?}");

    let assets = "serial_number;purchase_date\nPF1;2020-01-01\nPF2;31/02/2020\n";
    let status = fleet.import_assets(import("assets.csv", assets)).await.unwrap_err();
    assert_eq!(
        status.message(),
        "assets.csv line 3, column purchase_date: '31/02/2020' is not a date (YYYY-MM-DD or DD/MM/YYYY)"
    );
    assert!(server.storage.joins().unwrap().assets.is_empty());
}

#[tokio::test]
async fn reimports_and_edits_keep_every_change_with_its_date() {
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    let first = fleet.import_sites(import("sites.csv", SITES)).await.unwrap().into_inner();
    assert_eq!((first.created, first.updated, first.unchanged), (2, 0, 0));

    let fibre_live = SITES.replace("copper;20;1;planned:2027-03-15", "ftto;500;500;live");
    let mut dry = import("sites.csv", &fibre_live);
    dry.dry_run = true;
    let planned = fleet.import_sites(dry).await.unwrap().into_inner();
    assert_eq!((planned.updated, planned.unchanged, planned.changes.len()), (1, 1, 4));
    assert_eq!(
        sites(&mut fleet).await.iter().find(|s| s.code == "MDS-ETAMPES").unwrap().fibre,
        "planned:2027-03-15"
    );

    let again = fleet.import_sites(import("sites.csv", &fibre_live)).await.unwrap().into_inner();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 1, 1));
    let edit = pb::UpdateSiteRequest {
        code: "MDS-ETAMPES".into(),
        wifi: Some("planned:2027-06-01".into()),
        ..Default::default()
    };
    fleet.update_site(edit).await.unwrap();
    let site = fleet.get_site(pb::GetSiteRequest { code: "MDS-ETAMPES".into() }).await.unwrap().into_inner();
    let changes: Vec<(String, String, String, String)> = site
        .changes
        .iter()
        .map(|c| (c.field.clone(), c.before.clone(), c.after.clone(), c.source.clone()))
        .collect();
    assert_eq!(
        changes,
        vec![
            ("wan_link".into(), "copper".into(), "ftto".into(), "import sites.csv".into()),
            ("down_mbps".into(), "20".into(), "500".into(), "import sites.csv".into()),
            ("up_mbps".into(), "1".into(), "500".into(), "import sites.csv".into()),
            ("fibre".into(), "planned:2027-03-15".into(), "live".into(), "import sites.csv".into()),
            ("wifi".into(), "none".into(), "planned:2027-06-01".into(), "parc sites set".into()),
        ]
    );
    assert!(site.changes.iter().all(|c| c.at > 0));

    let status = fleet
        .update_site(pb::UpdateSiteRequest {
            code: "MDS-ETAMPES".into(),
            fibre: Some("soon".into()),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().starts_with("fibre: 'soon' is not one of"), "{}", status.message());
    let status = fleet
        .update_site(pb::UpdateSiteRequest { code: "NOPE".into(), up_mbps: Some(3), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn devices_land_on_their_subnets_site_unless_assigned_and_assets_join_on_serials() {
    let started = parc_server::now_unix();
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    fleet.import_sites(import("sites.csv", SITES)).await.unwrap();
    let etampes = report(&server, &pc("METAMP-L0001", "10.20.0.5", "PF1AAA", true)).await;
    let siege = report(&server, &pc("SIEGE-D0001", "10.1.3.4", "PF1BBB", false)).await;
    let nowhere = report(&server, &pc("LOST-D0001", "192.168.1.9", "PF1CCC", false)).await;
    // Two enrolled PCs with one serial: a cloned image, say.
    let twin_a = report(&server, &pc("SIEGE-D0002", "10.1.3.5", "PF1DUP", false)).await;
    let twin_b = report(&server, &pc("SIEGE-D0003", "10.1.3.6", "PF1DUP", false)).await;

    let counts: Vec<(String, u64)> =
        sites(&mut fleet).await.into_iter().map(|s| (s.code, s.devices)).collect();
    assert_eq!(counts, vec![("MDS-ETAMPES".into(), 1), ("SIEGE".into(), 3)]);

    let assets = "serial_number;asset_tag;purchase_date;department;teleworker\n\
        pf1aaa;INV-1;14/03/2017;Solidarités;oui\nPF1DUP;INV-2;2024-01-10;Finances;non\nPF9ZZZ;INV-3;;Routes;\n";
    let answer = fleet.import_assets(import("assets.csv", assets)).await.unwrap().into_inner();
    assert_eq!(answer.stored, 3);
    assert_eq!(answer.matched, 1);
    assert_eq!(answer.unknown_serials, vec!["PF9ZZZ".to_string()]);
    assert_eq!(answer.conflicts.len(), 1);
    assert_eq!(answer.conflicts[0].serial_number, "PF1DUP");
    assert_eq!(answer.conflicts[0].device_ids, vec![twin_a, twin_b]);

    let device = |id: u64| pb::GetDeviceReadinessRequest { device: id.to_string() };
    let view = fleet.get_device_readiness(device(etampes)).await.unwrap().into_inner();
    assert_eq!((view.site_code.as_str(), view.site_source.as_str()), ("MDS-ETAMPES", "subnet"));
    assert_eq!((view.asset_tag.as_str(), view.department.as_str()), ("INV-1", "Solidarités"));
    let age = view.age.clone().unwrap();
    assert_eq!((age.source.as_str(), age.confidence.as_str()), ("purchase_date", "high"));
    assert_eq!(parc_model::civil::iso(age.since_day), "2017-03-14");
    let outcome = |view: &pb::GetDeviceReadinessResponse, dimension: &str| {
        view.outcomes.iter().find(|o| o.dimension == dimension).cloned().unwrap()
    };
    let fibre = outcome(&view, "fibre");
    assert_eq!(fibre.state, "not_ready");
    assert!(
        fibre.reasons.iter().any(|r| r.text == "fibre at MDS-ETAMPES planned for 2027-03-15"),
        "{fibre:?}"
    );
    let softphone = outcome(&view, "softphone");
    assert!(
        !softphone.reasons.iter().any(|r| r.code == "softphone_client_missing"),
        "Teams is installed: {softphone:?}"
    );
    let replacement = outcome(&view, "replacement");
    assert!(
        replacement.reasons.iter().any(|r| r.code == "age" && r.text.contains("from the purchase date")),
        "{replacement:?}"
    );

    let lost = fleet.get_device_readiness(device(nowhere)).await.unwrap().into_inner();
    assert_eq!(lost.site_code, "");
    assert_eq!(outcome(&lost, "wifi").reasons.iter().filter(|r| r.code == "site_unknown").count(), 1);
    let softphone = outcome(&lost, "softphone");
    assert!(softphone.reasons.iter().any(|r| r.code == "softphone_client_missing"), "{softphone:?}");
    // The twins' shared serial is nobody's asset.
    let twin = fleet.get_device_readiness(device(twin_a)).await.unwrap().into_inner();
    assert_eq!(twin.asset_tag, "");

    // By hand, then back to the subnet.
    fleet
        .assign_site(pb::AssignSiteRequest { device: "LOST-D0001".into(), site_code: "MDS-ETAMPES".into() })
        .await
        .unwrap();
    let assigned = fleet.get_device_readiness(device(nowhere)).await.unwrap().into_inner();
    assert_eq!((assigned.site_code.as_str(), assigned.site_source.as_str()), ("MDS-ETAMPES", "manual"));
    let status = fleet
        .assign_site(pb::AssignSiteRequest { device: siege.to_string(), site_code: "NOPE".into() })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    fleet
        .assign_site(pb::AssignSiteRequest { device: nowhere.to_string(), site_code: String::new() })
        .await
        .unwrap();
    let back = fleet.get_device_readiness(device(nowhere)).await.unwrap().into_inner();
    assert_eq!(back.site_code, "");

    // Counts by site and department add up to the fleet.
    let by_site = fleet
        .get_readiness(pb::GetReadinessRequest { by: "site".into(), top_reasons: 0 })
        .await
        .unwrap()
        .into_inner();
    let keys: Vec<(String, u64)> = by_site.groups.iter().map(|g| (g.key.clone(), g.devices)).collect();
    assert_eq!(keys, vec![("".into(), 1), ("MDS-ETAMPES".into(), 1), ("SIEGE".into(), 3)]);
    for group in &by_site.groups {
        for dimension in &group.dimensions {
            let counts = dimension.counts.unwrap();
            assert_eq!(counts.ready + counts.not_ready + counts.unknown, group.devices, "{dimension:?}");
        }
    }
    let by_department = fleet
        .get_readiness(pb::GetReadinessRequest { by: "department".into(), top_reasons: 0 })
        .await
        .unwrap()
        .into_inner();
    let keys: Vec<(String, u64)> = by_department.groups.iter().map(|g| (g.key.clone(), g.devices)).collect();
    assert_eq!(keys, vec![("".into(), 4), ("Solidarités".into(), 1)]);
    let status = fleet
        .get_readiness(pb::GetReadinessRequest { by: "colour".into(), top_reasons: 0 })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);

    // An edit and a resync, then the audit log: every change, by whom,
    // when (within this test) and on what.
    fleet
        .update_site(pb::UpdateSiteRequest { code: "SIEGE".into(), up_mbps: Some(500), ..Default::default() })
        .await
        .unwrap();
    fleet
        .request_resync(pb::RequestResyncRequest { device: "SIEGE-D0001".into(), all: false })
        .await
        .unwrap();
    let ended = parc_server::now_unix();
    let log = fleet
        .list_audit(pb::ListAuditRequest { since: started, ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let changes: Vec<(&str, &str, &str, &str)> = log
        .iter()
        .rev()
        .filter(|e| e.action != "tokens.create")
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.target.as_str(), e.detail.as_str()))
        .collect();
    let (lost, siege_id) = (format!("device {nowhere}"), format!("device {siege}"));
    assert_eq!(
        changes,
        [
            (
                "test-admin",
                "sites.import",
                "import sites.csv",
                "2 sites: 2 created, 0 updated, 0 unchanged; 0 field changes"
            ),
            (
                "test-admin",
                "assets.import",
                "import assets.csv",
                "3 rows: 1 matched, 1 unknown serials, 1 shared serials"
            ),
            ("test-admin", "sites.assign", lost.as_str(), "assigned to site MDS-ETAMPES by hand"),
            ("test-admin", "sites.assign", lost.as_str(), "placed by subnet again"),
            ("test-admin", "sites.update", "SIEGE", "up_mbps: 1000 → 500"),
            ("test-admin", "devices.resync", siege_id.as_str(), "1 devices asked for a full report"),
        ],
        "{log:#?}"
    );
    for entry in log.iter().filter(|e| e.action != "tokens.create") {
        assert!((started..=ended).contains(&entry.at), "{entry:?} not within {started}..={ended}");
        assert_eq!(entry.role, pb::Role::Admin as i32, "{entry:?}");
    }
}

#[tokio::test]
async fn the_daily_snapshot_is_taken_once_and_feeds_the_trend() {
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    fleet.import_sites(import("sites.csv", SITES)).await.unwrap();
    report(&server, &pc("METAMP-L0001", "10.20.0.5", "PF1AAA", true)).await;
    report(&server, &pc("SIEGE-D0001", "10.1.3.4", "PF1BBB", false)).await;
    let policy = parc_readiness::Policy::default();
    let now = parc_server::now_unix();
    assert!(parc_server::readiness::snapshot_if_due(&server.storage, &policy, now).unwrap());
    assert!(!parc_server::readiness::snapshot_if_due(&server.storage, &policy, now).unwrap());
    // Yesterday's, as if the server had run then.
    assert!(parc_server::readiness::snapshot_if_due(&server.storage, &policy, now - 86_400).unwrap());

    let trend =
        fleet.get_readiness_trend(pb::GetReadinessTrendRequest::default()).await.unwrap().into_inner().points;
    assert_eq!(trend.len(), 2 * 6, "two days of six dimensions: {trend:?}");
    let today = now.div_euclid(86_400);
    assert_eq!(trend.iter().filter(|p| p.day == today).count(), 6);
    for point in &trend {
        let counts = point.counts.unwrap();
        assert_eq!(counts.ready + counts.not_ready + counts.unknown, 2, "{point:?}");
    }
    let one_site = fleet
        .get_readiness_trend(pb::GetReadinessTrendRequest { site_code: "SIEGE".into(), days: 0 })
        .await
        .unwrap()
        .into_inner()
        .points;
    assert!(one_site
        .iter()
        .all(|p| p.counts.unwrap().ready + p.counts.unwrap().not_ready + p.counts.unwrap().unknown == 1));
}
