//! Wave plans over real gRPC on a real database file: only drafts are
//! published, statuses are checked against the published plan, and a
//! returns file is stored whole or not at all.

use crate::util::{inventory, TestServer, SECRET};
use parc_proto::pb;
use tonic::Code;

const SITES: &str = "code;name;kind;address;wan_link;fibre;wifi;subnets;technician_group\n\
    SIEGE;Hôtel du Département;siège;Évry;ftto;live;live;10.1.0.0/16;NORD\n";

const SPEC: &str = "start = \"2027-01-04\"\ncapacity = 2\n[select]\ngroups = [\"replace\", \"fixable\", \"unknown\", \"ready\"]\n";

fn plan_request() -> pb::PlanWavesRequest {
    pb::PlanWavesRequest { spec_toml: SPEC.into(), spec_file: "spec.toml".into(), ..Default::default() }
}

#[tokio::test]
async fn only_drafts_publish_and_returns_are_all_or_nothing() {
    let started = parc_server::now_unix();
    let server = TestServer::start().await;
    let mut fleet = server.fleet().await;
    fleet
        .import_sites(pb::ImportRequest {
            file_name: "sites.csv".into(),
            content: SITES.as_bytes().to_vec(),
            dry_run: false,
        })
        .await
        .unwrap();
    let agent = server.agent();
    for i in 0..3 {
        let mut pc = inventory(&format!("PC-{i}"), &format!("{i:0>32}"));
        for interface in pc.network_interfaces.iter_mut().flatten() {
            interface.addresses = vec![format!("10.1.0.{}/16", i + 10)];
        }
        let (_, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
        agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
    }

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

    let first = fleet.plan_waves(plan_request()).await.unwrap().into_inner().plan.unwrap();
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
    fleet
        .import_sites(pb::ImportRequest {
            file_name: "sites.csv".into(),
            content: SITES.as_bytes().to_vec(),
            dry_run: false,
        })
        .await
        .unwrap();
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
    let published = fleet.plan_waves(plan_request()).await.unwrap().into_inner().plan.unwrap();
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
    assert_eq!(status.overall.unwrap().done, 1);
}
