//! `SetPolicy` over real gRPC on a real database file: only an admin may
//! change the readiness policy; a bad file is refused with its line and
//! column and changes nothing; a good one changes readiness answers at
//! once, is in the audit log, and is still in force after a restart.

use crate::util::{inventory, make_token, TestServer, SECRET};
use parc_proto::pb;
use parc_server::access::Role;
use tonic::Code;

/// Asks for 64 GB of RAM before a PC is kept: every simulated PC falls short.
const STRICT: &str = "# the Département's rules\n[replacement]\nmin_ram_gb = 64.0\n";
/// A key that does not exist, on line 3.
const BAD: &str = "[replacement]\nmin_ram_gb = 64.0\nmin_ram = 3\n";

fn set(toml: &str, dry_run: bool) -> pb::SetPolicyRequest {
    pb::SetPolicyRequest { toml: toml.into(), file_name: "strict.toml".into(), dry_run }
}

/// The codes of the replacement reasons of device `id`.
async fn replacement_codes(server: &TestServer, id: u64) -> Vec<String> {
    let view = server
        .fleet()
        .await
        .get_device_readiness(pb::GetDeviceReadinessRequest { device: id.to_string() })
        .await
        .unwrap()
        .into_inner();
    let replacement = view.outcomes.into_iter().find(|o| o.dimension == "replacement").unwrap();
    replacement.reasons.into_iter().map(|r| r.code).collect()
}

async fn policy(server: &TestServer) -> pb::GetPolicyResponse {
    server.fleet().await.get_policy(pb::GetPolicyRequest {}).await.unwrap().into_inner()
}

#[tokio::test]
async fn an_admin_sets_the_policy_which_applies_at_once_is_audited_and_survives_a_restart() {
    let started = parc_server::now_unix();
    let server = TestServer::start().await;
    let agent = server.agent();
    let mut pc = inventory("PC-1", &"1".repeat(32));
    if let Some(memory) = pc.memory.as_mut() {
        memory.total_bytes = 16 << 30;
    }
    let (id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
    drop(agent);
    assert!(!replacement_codes(&server, id).await.contains(&"ram_below_min".to_string()));
    let before = policy(&server).await;
    assert_eq!((before.origin.as_str(), before.source.as_str()), ("defaults", ""));

    // Viewers and planners are refused, and nothing changes.
    for role in [Role::Viewer, Role::Planner] {
        let token = make_token(&server.storage, &format!("t-{role}"), role);
        let refused = server.fleet_as(Some(&token)).set_policy(set(STRICT, false)).await.unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied, "{role}");
        assert_eq!(refused.message(), format!("SetPolicy needs the admin role; this token is {role}"));
        // They may read it.
        let seen = server.fleet_as(Some(&token)).get_policy(pb::GetPolicyRequest {}).await.unwrap();
        assert_eq!(seen.into_inner().origin, "defaults");
    }

    // A bad file: its line and column, and nothing stored or applied.
    let mut admin = server.fleet().await;
    let refused = admin.set_policy(set(BAD, false)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(refused.message().starts_with("strict.toml line 3, column 1: "), "{}", refused.message());
    assert!(refused.message().contains("min_ram"), "{}", refused.message());
    assert_eq!(policy(&server).await, before);
    assert!(server.storage.stored_policy().unwrap().is_none());

    // A dry run says what would change and stores nothing.
    let dry = admin.set_policy(set(STRICT, true)).await.unwrap().into_inner();
    assert!(!dry.stored);
    assert_eq!(dry.changes.len(), 1, "{:?}", dry.changes);
    assert!(dry.changes[0].starts_with("replacement.min_ram_gb: ") && dry.changes[0].ends_with(" → 64.0"));
    assert_eq!(policy(&server).await, before);

    // Set: the next answer already uses it.
    let answer = admin.set_policy(set(STRICT, false)).await.unwrap().into_inner();
    assert!(answer.stored);
    assert_eq!(answer.changes, dry.changes);
    assert!(replacement_codes(&server, id).await.contains(&"ram_below_min".to_string()));
    let now = policy(&server).await;
    assert_eq!(
        (now.origin.as_str(), now.source.as_str(), now.set_by.as_str()),
        ("stored", "strict.toml", "test-admin")
    );
    assert!(now.toml.contains("min_ram_gb = 64.0"), "{}", now.toml);
    let stored = server.storage.stored_policy().unwrap().unwrap();
    assert_eq!(stored.value, STRICT, "the file as it was sent, comments kept");

    // The audit log: who, when, what.
    let ended = parc_server::now_unix();
    let log = admin
        .list_audit(pb::ListAuditRequest { action_prefix: "policy.".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(log.len(), 1, "the refused file and the dry run are not changes: {log:#?}");
    let entry = &log[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str(), entry.target.as_str()),
        ("test-admin", "policy.set", "strict.toml")
    );
    assert_eq!(entry.detail, dry.changes[0]);
    assert!((started..=ended).contains(&entry.at) && entry.at == now.set_at, "{entry:?}");

    // A restart keeps it (over the defaults the server starts with).
    drop(admin);
    let server = server.restart().await;
    let after = policy(&server).await;
    assert_eq!(after, now);
    assert!(replacement_codes(&server, id).await.contains(&"ram_below_min".to_string()));

    // Back to the defaults: an empty file leaves every key at its default.
    let answer = server.fleet().await.set_policy(set("", false)).await.unwrap().into_inner();
    assert_eq!(answer.changes.len(), 1);
    assert!(!replacement_codes(&server, id).await.contains(&"ram_below_min".to_string()));
}
