//! Wave plans over real gRPC on a real database file: only drafts are
//! published, statuses are checked against the published plan, and a
//! returns file is stored whole or not at all.

use crate::util::{import_sites, inventory, TestServer, SECRET};
use parc_proto::pb;
use tonic::Code;

const SITES: &str = "code;name;kind;address;wan_link;fibre;wifi;subnets;technician_group\n\
    SIEGE;Hôtel du Département;siège;Évry;ftto;live;live;10.1.0.0/16;NORD\n";

const SPEC: &str = "start = \"2027-01-04\"\ncapacity = 2\n[select]\ngroups = [\"replace\", \"fixable\", \"unknown\", \"ready\"]\n";

fn plan_request() -> pb::PlanWavesRequest {
    pb::PlanWavesRequest { spec_toml: SPEC.into(), spec_file: "spec.toml".into(), ..Default::default() }
}

/// A plan made (a draft) and its summary.
async fn draft(fleet: &mut parc_server::cli::Fleet, request: pb::PlanWavesRequest) -> pb::PlanSummary {
    fleet.plan_waves(request).await.unwrap().into_inner().plan.unwrap()
}

/// PC-0 .. PC-{n-1} on the head office's subnet, enrolled and reported
/// over gRPC.
async fn report_head_office_pcs(server: &TestServer, n: usize) {
    let agent = server.agent();
    for i in 0..n {
        let mut pc = inventory(&format!("PC-{i}"), &format!("{i:0>32}"));
        for interface in pc.network_interfaces.iter_mut().flatten() {
            interface.addresses = vec![format!("10.1.0.{}/16", i + 10)];
        }
        let (_, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
        agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
    }
}

#[tokio::test]
async fn only_drafts_publish_and_returns_are_all_or_nothing() {
    let started = parc_server::now_unix();
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    import_sites(&mut fleet, SITES).await;
    report_head_office_pcs(&server, 3).await;

    // A dry run stores nothing.
    let dry = fleet
        .plan_waves(pb::PlanWavesRequest { dry_run: true, ..plan_request() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dry.plan.as_ref().unwrap().id, 0);
    assert_eq!(dry.plan.as_ref().unwrap().planned, 3);
    let none = fleet.get_plan(pb::GetPlanRequest { id: 0, draft: true }).await.unwrap_err();
    assert_eq!(none.code(), Code::NotFound);

    let first = draft(&mut fleet, plan_request()).await;
    assert_eq!((first.id, first.state.as_str(), first.planned, first.waves.len()), (1, "draft", 3, 2));
    fleet.publish_plan(pb::PublishPlanRequest { id: 1 }).await.unwrap();
    let second = fleet.plan_waves(plan_request()).await.unwrap().into_inner();
    assert_eq!(second.diff.as_ref().unwrap().unchanged, 3, "same inputs, same plan");
    fleet.publish_plan(pb::PublishPlanRequest { id: 2 }).await.unwrap();
    let again = fleet.publish_plan(pb::PublishPlanRequest { id: 1 }).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert!(again.message().contains("plan 1 is superseded, not a draft"), "{}", again.message());

    // A bad second row: the first is not stored either.
    let returns = "hostname;status;reason\nPC-0;done;\nPC-1;postponed;\n";
    let refused = fleet
        .import_returns(pb::ImportReturnsRequest {
            csv: returns.as_bytes().to_vec(),
            file_name: "returns.csv".into(),
            dry_run: false,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(
        refused.message().contains("returns.csv line 3: postponed needs a reason"),
        "{}",
        refused.message()
    );
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    assert_eq!(status.overall.as_ref().unwrap().done, 0);

    // A dry run checks and counts, and writes nothing.
    let good = "hostname;status\nPC-0;done\nPC-1;fait\n";
    let counted = fleet
        .import_returns(pb::ImportReturnsRequest {
            csv: good.as_bytes().to_vec(),
            file_name: "returns.csv".into(),
            dry_run: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((counted.rows, counted.changed), (2, 2));
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    assert_eq!(status.overall.as_ref().unwrap().done, 0);
    fleet
        .import_returns(pb::ImportReturnsRequest {
            csv: good.as_bytes().to_vec(),
            file_name: "returns.csv".into(),
            dry_run: false,
        })
        .await
        .unwrap();
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    assert_eq!(status.overall.as_ref().unwrap().done, 2);
    // The returns are in the audit log, a status change per PC, by the
    // token that imported them, now (the file gives no dates); the refused
    // file and the dry run left nothing there.
    let ended = parc_server::now_unix();
    let log = fleet
        .list_audit(pb::ListAuditRequest { action_prefix: "waves.status".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let hosts = [("PC-0", 0), ("PC-1", 1)];
    let mut expected: Vec<(String, String)> = Vec::new();
    for (host, _) in hosts.iter().rev() {
        let id = fleet
            .list_devices(pb::ListDevicesRequest { query: format!("hostname:{host}"), ..Default::default() })
            .await
            .unwrap()
            .into_inner()
            .devices[0]
            .id;
        expected.push((format!("device {id}"), "planned → done (import returns.csv)".to_string()));
    }
    let got: Vec<(String, String)> = log.iter().map(|e| (e.target.clone(), e.detail.clone())).collect();
    assert_eq!(got, expected, "{log:#?}");
    for entry in &log {
        assert_eq!((entry.actor.as_str(), entry.role), ("test-admin", pb::Role::Admin as i32), "{entry:?}");
        assert!((started..=ended).contains(&entry.at), "{entry:?} not within {started}..={ended}");
    }
    // And the import itself, once, with what it changed.
    let imports = fleet
        .list_audit(pb::ListAuditRequest { action_prefix: "waves.returns".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let got: Vec<(&str, &str, &str)> =
        imports.iter().map(|e| (e.actor.as_str(), e.target.as_str(), e.detail.as_str())).collect();
    assert_eq!(got, [("test-admin", "returns.csv", "2 rows: 2 changed (2 done)")]);

    // Done is closed: only back to planned.
    let closed = fleet
        .set_rollout_status(pb::SetRolloutStatusRequest {
            device: "PC-0".into(),
            status: "delivered".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(closed.message().contains("is done already"), "{}", closed.message());
    let unknown = fleet
        .set_rollout_status(pb::SetRolloutStatusRequest {
            device: "PC-0".into(),
            status: "lost".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument);
    assert!(unknown.message().contains("status"), "{}", unknown.message());
}

#[tokio::test]
async fn a_new_pc_of_the_same_user_proposes_the_old_one_done() {
    use parc_server::storage::Report;
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    import_sites(&mut fleet, SITES).await;
    let now = parc_server::now_unix();
    let day = 86_400;
    let pc = |hostname: &str, user: &str| {
        let mut pc = inventory(hostname, &format!("{hostname:0>32}"));
        for interface in pc.network_interfaces.iter_mut().flatten() {
            interface.addresses = vec!["10.1.0.20/16".into()];
        }
        pc.users = Some(parc_model::Users { logged_in: Vec::new(), last_logged_in: user.into() });
        pc
    };
    // The old PC enrolled a month ago and last reported 8 days ago.
    let old = server.storage.enroll("OLD-MACHINE", "PC-OLD", "old-key", now - 30 * day).unwrap();
    server
        .storage
        .record_report(Report::full("old-key", 1, pc("PC-OLD", "DEPT91\\jdupont"), now - 8 * day))
        .unwrap();
    let published = draft(&mut fleet, plan_request()).await;
    fleet.publish_plan(pb::PublishPlanRequest { id: published.id }).await.unwrap();
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    assert!(status.proposals.is_empty(), "no new PC yet: {:?}", status.proposals);

    // Their new PC enrolls after the plan was published, and reports.
    let new = server.storage.enroll("NEW-MACHINE", "PC-NEW", "new-key", now + 60).unwrap();
    server
        .storage
        .record_report(Report::full("new-key", 1, pc("PC-NEW", "jdupont@dept91.fr"), now + 60))
        .unwrap();
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    assert_eq!(status.proposals.len(), 1, "{:?}", status.proposals);
    let proposal = &status.proposals[0];
    assert_eq!((proposal.old_device_id, proposal.new_device_id), (old, new));
    assert_eq!((proposal.old_hostname.as_str(), proposal.new_hostname.as_str()), ("PC-OLD", "PC-NEW"));
    assert_eq!((proposal.user.as_str(), proposal.silent_days), ("jdupont", 8));

    // Accepted: done, and no longer proposed.
    fleet
        .set_rollout_status(pb::SetRolloutStatusRequest {
            device: old.to_string(),
            status: "done".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    assert!(status.proposals.is_empty());
    assert_eq!(status.overall.as_ref().unwrap().done, 1);

    // The register's assigned user counts over the last login: a shared
    // PC last used by an agent on duty is still its owner's.
    let shared = server.storage.enroll("SHARED", "PC-SHARED", "shared-key", now - 30 * day).unwrap();
    let mut old_pc = pc("PC-SHARED", "accueil");
    old_pc.system.as_mut().unwrap().serial_number = "SERIAL-SHARED".into();
    server.storage.record_report(Report::full("shared-key", 1, old_pc, now - 9 * day)).unwrap();
    fleet
        .import_assets(pb::ImportRequest {
            file_name: "assets.csv".into(),
            content: "serial_number;asset_tag;assigned_user\nSERIAL-SHARED;INV-1;mmartin\n"
                .as_bytes()
                .to_vec(),
            dry_run: false,
        })
        .await
        .unwrap();
    let replanned = draft(&mut fleet, plan_request()).await;
    fleet.publish_plan(pb::PublishPlanRequest { id: replanned.id }).await.unwrap();
    let newer = server.storage.enroll("NEWER", "PC-MM", "mm-key", now + 120).unwrap();
    server
        .storage
        .record_report(Report::full("mm-key", 1, pc("PC-MM", "DEPT91\\MMartin"), now + 120))
        .unwrap();
    let status = fleet.get_wave_status(pb::GetWaveStatusRequest {}).await.unwrap().into_inner();
    let proposal = status.proposals.iter().find(|p| p.old_device_id == shared).expect("proposed");
    assert_eq!((proposal.new_device_id, proposal.user.as_str()), (newer, "mmartin"));
}

/// Every row of a plan's wave list: hostname → (wave, status, reason).
async fn wave_list(
    fleet: &mut parc_server::cli::Fleet,
    plan_id: u64,
) -> std::collections::BTreeMap<String, (u32, String, String)> {
    let mut stream = fleet
        .export_waves(pb::ExportWavesRequest { plan_id, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut rows = std::collections::BTreeMap::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        for row in chunk.rows {
            rows.insert(row.hostname, (row.wave, row.status, row.reason));
        }
    }
    rows
}

#[tokio::test]
async fn replanning_keeps_started_work_drops_cancelled_devices_and_obeys_include_and_exclude() {
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    import_sites(&mut fleet, SITES).await;
    report_head_office_pcs(&server, 6).await;

    // Excluded by hostname: never planned.
    let first =
        draft(&mut fleet, pb::PlanWavesRequest { exclude: vec!["PC-5".into()], ..plan_request() }).await;
    assert_eq!(first.planned, 5);
    fleet.publish_plan(pb::PublishPlanRequest { id: first.id }).await.unwrap();
    let rows = wave_list(&mut fleet, first.id).await;
    assert!(!rows.contains_key("PC-5"), "{rows:?}");
    let (last, (last_wave, _, _)) = rows.iter().max_by_key(|(_, (wave, _, _))| *wave).unwrap();
    let (last, last_wave) = (last.clone(), *last_wave);
    assert_eq!(last_wave, 3, "five PCs, two per wave: {rows:?}");
    let first_wave_pc = rows.iter().find(|(_, (wave, _, _))| *wave == 1).unwrap().0.clone();

    // Work started on one (prepared), another is cancelled.
    for (device, status, reason) in
        [(&last, "prepared", ""), (&first_wave_pc, "cancelled", "broken, not replaced")]
    {
        fleet
            .set_rollout_status(pb::SetRolloutStatusRequest {
                device: device.clone(),
                status: status.into(),
                reason: reason.into(),
                ..Default::default()
            })
            .await
            .unwrap();
    }

    // Re-planned one per wave, nobody excluded: the prepared PC keeps its
    // wave, the cancelled one is gone, PC-5 comes in.
    let spec = SPEC.replace("capacity = 2", "capacity = 1");
    let second = fleet
        .plan_waves(pb::PlanWavesRequest { spec_toml: spec.clone(), ..plan_request() })
        .await
        .unwrap()
        .into_inner();
    let plan = second.plan.unwrap();
    let rows = wave_list(&mut fleet, plan.id).await;
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert!(!rows.contains_key(&first_wave_pc), "cancelled, still planned: {rows:?}");
    assert!(rows.contains_key("PC-5"));
    let (wave, status, reason) = &rows[&last];
    assert_eq!((*wave, status.as_str()), (last_wave, "prepared"));
    assert!(reason.contains("kept, status prepared"), "{reason}");
    let removed: Vec<&str> =
        second.diff.as_ref().unwrap().removed.iter().map(|m| m.hostname.as_str()).collect();
    assert_eq!(removed, [first_wave_pc.as_str()]);

    // Included by hand although the policy selects nobody.
    let nobody = format!("{spec}min_score = 1000\n");
    let third = draft(
        &mut fleet,
        pb::PlanWavesRequest { spec_toml: nobody, include: vec!["PC-2".into()], ..plan_request() },
    )
    .await;
    let rows = wave_list(&mut fleet, third.id).await;
    let mut planned: Vec<&str> = rows.keys().map(String::as_str).collect();
    planned.sort_unstable();
    let mut expected = vec!["PC-2", last.as_str()];
    expected.sort_unstable();
    expected.dedup();
    assert_eq!(planned, expected, "only the included PC and the kept one");
}

/// PC-0000 .. on the head office's subnets, enrolled and reported straight
/// into storage: faster than gRPC for the fleets of a thousand and more
/// that the export tests need.
fn store_head_office_pcs(server: &TestServer, n: usize) {
    use parc_server::storage::Report;
    let now = parc_server::now_unix();
    for i in 0..n {
        let hostname = format!("PC-{i:04}");
        let mut pc = inventory(&hostname, &format!("{i:0>32}"));
        for interface in pc.network_interfaces.iter_mut().flatten() {
            interface.addresses = vec![format!("10.1.{}.{}/16", i / 200, i % 200 + 10)];
        }
        let key = format!("key-{i}");
        server.storage.enroll(&pc.machine_id, &hostname, &key, now).unwrap();
        server.storage.record_report(Report::full(&key, 1, pc, now)).unwrap();
    }
}

#[tokio::test]
async fn a_wave_list_longer_than_a_chunk_streams_in_wave_order_with_every_row_filled() {
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    import_sites(&mut fleet, SITES).await;
    let devices = parc_proto::limits::EXPORT_CHUNK_ROWS * 2 + 37;
    store_head_office_pcs(&server, devices);
    let spec = SPEC.replace("capacity = 2", "capacity = 400\nwaves = 4");
    let plan = draft(&mut fleet, pb::PlanWavesRequest { spec_toml: spec, ..plan_request() }).await;
    assert_eq!(plan.planned as usize, devices);

    let mut stream = fleet
        .export_waves(pb::ExportWavesRequest { plan_id: plan.id, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let (mut chunks, mut rows) = (0, Vec::new());
    while let Some(chunk) = stream.message().await.unwrap() {
        assert!(chunk.rows.len() <= parc_proto::limits::EXPORT_CHUNK_ROWS);
        let total = if chunks == 0 { devices as u64 } else { 0 };
        assert_eq!(chunk.total_rows, total, "the size comes with the first chunk only");
        chunks += 1;
        rows.extend(chunk.rows);
    }
    assert_eq!((chunks, rows.len()), (3, devices));
    assert!(rows.windows(2).all(|pair| pair[0].wave <= pair[1].wave), "in wave order");
    let waves: std::collections::BTreeSet<u32> = rows.iter().map(|r| r.wave).collect();
    assert_eq!(waves.len(), 3, "400 per wave");
    let mut hostnames: Vec<&str> = rows.iter().map(|r| r.hostname.as_str()).collect();
    hostnames.sort_unstable();
    hostnames.dedup();
    assert_eq!(hostnames.len(), devices, "each device once, each row filled from its own device");
    for row in &rows {
        assert!(row.hostname.starts_with("PC-") && !row.serial_number.is_empty(), "{row:?}");
        assert_eq!((row.site_code.as_str(), row.site_link.as_str()), ("SIEGE", "live (ftto)"));
        assert_eq!(row.site_fibre, "ready", "a live fibre site: {row:?}");
        assert!(["ready", "not_ready", "unknown"].contains(&row.wifi.as_str()));
    }

    // One wave alone.
    let mut stream = fleet
        .export_waves(pb::ExportWavesRequest { plan_id: plan.id, wave: 3, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut third = 0;
    while let Some(chunk) = stream.message().await.unwrap() {
        assert!(chunk.rows.iter().all(|r| r.wave == 3));
        third += chunk.rows.len();
    }
    assert_eq!(third, devices - 800);
}

#[tokio::test]
async fn every_left_out_device_is_listed_with_why_beyond_the_records_thousand() {
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    import_sites(&mut fleet, SITES).await;
    let listed = parc_server::waves::LEFT_OUT_LISTED;
    let devices = listed + 30;
    store_head_office_pcs(&server, devices);
    // Two waves of five: all but ten left out, for capacity.
    let spec = SPEC.replace("capacity = 2", "capacity = 5\nwaves = 2");
    let plan = draft(&mut fleet, pb::PlanWavesRequest { spec_toml: spec, ..plan_request() }).await;
    assert_eq!((plan.planned as usize, plan.left_out_total as usize), (10, devices - 10));
    assert_eq!(plan.left_out.len(), listed, "the record lists the first thousand");

    let mut stream = fleet
        .export_waves(pb::ExportWavesRequest { plan_id: plan.id, left_out: true, ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    let mut rows = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        rows.extend(chunk.rows);
    }
    assert_eq!(rows.len(), devices - 10, "every one, past the record's thousand");
    let mut ids: Vec<u64> = rows.iter().map(|r| r.device_id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), rows.len());
    for row in &rows {
        assert_eq!(
            (row.wave, row.planned_date.as_str(), row.status.as_str()),
            (0, "", "left_out"),
            "{row:?}"
        );
        assert!(row.reason.starts_with("left out: every wave is full"), "{row:?}");
        assert!(row.hostname.starts_with("PC-") && row.site_code == "SIEGE", "{row:?}");
    }
    let placed: std::collections::HashSet<String> =
        wave_list(&mut fleet, plan.id).await.into_keys().collect();
    assert_eq!(placed.len(), 10);
    assert!(rows.iter().all(|r| !placed.contains(&r.hostname)), "left out and planned are apart");
}
