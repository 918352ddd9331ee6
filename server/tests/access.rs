//! Access control over real gRPC: every FleetService call tried with no
//! token, a revoked one and each role; tokens made, listed and revoked
//! through the API; the audit log of changes with who made them.

use crate::util::{import_sites, inventory, make_token, TestServer, SECRET};
use parc_proto::pb;
use parc_server::access::{required_role, Role};
use prost::Message;
use std::collections::BTreeSet;
use tonic::Code;

/// An empty message: every request type decodes from it (all fields at
/// their defaults), and any answer decodes into it.
#[derive(Clone, PartialEq, prost::Message)]
struct Nothing {}

fn fleet_methods() -> Vec<(String, bool)> {
    let set = prost_types::FileDescriptorSet::decode(parc_proto::FILE_DESCRIPTOR_SET).unwrap();
    set.file
        .iter()
        .flat_map(|file| &file.service)
        .filter(|service| service.name() == "FleetService")
        .flat_map(|service| &service.method)
        .map(|method| (method.name().to_string(), method.server_streaming()))
        .collect()
}

/// Calls `method` with an empty request and `token`; the status code
/// (`Ok` when the call went through).
async fn call(url: &str, method: &str, streaming: bool, token: Option<&str>) -> Code {
    let channel = tonic::transport::Endpoint::from_shared(url.to_string()).unwrap().connect().await.unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(Nothing {});
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let path = http::uri::PathAndQuery::try_from(format!("/parc.v1.FleetService/{method}")).unwrap();
    let codec = tonic_prost::ProstCodec::<Nothing, Nothing>::default();
    let result = if streaming {
        match grpc.server_streaming(request, path, codec).await {
            Ok(response) => {
                let mut stream = response.into_inner();
                loop {
                    match stream.message().await {
                        Ok(Some(_)) => continue,
                        Ok(None) => break Ok(()),
                        Err(status) => break Err(status),
                    }
                }
            }
            Err(status) => Err(status),
        }
    } else {
        grpc.unary(request, path, codec).await.map(|_| ())
    };
    match result {
        Ok(()) => Code::Ok,
        Err(status) => status.code(),
    }
}

/// The least role each FleetService call needs, written here by hand from
/// the roles (viewer reads; planner plans, publishes, sets
/// statuses, imports returns and exports wave lists; admin imports sites
/// and assets, edits sites, resyncs devices, manages tokens and policy,
/// reads the audit log), and never taken from `access::required_role`:
/// the server's own table is what this checks.
const EXPECTED_ROLES: &[(&str, Role)] = &[
    ("ListDevices", Role::Viewer),
    ("GetDevice", Role::Viewer),
    ("GetDeviceHistory", Role::Viewer),
    ("ListDuplicates", Role::Viewer),
    ("ListSoftware", Role::Viewer),
    ("ListSites", Role::Viewer),
    ("GetSite", Role::Viewer),
    ("GetPolicy", Role::Viewer),
    ("GetReadiness", Role::Viewer),
    ("GetDeviceReadiness", Role::Viewer),
    ("GetReadinessTrend", Role::Viewer),
    ("GetPlan", Role::Viewer),
    ("GetWaveStatus", Role::Viewer),
    ("WhoAmI", Role::Viewer),
    ("PlanWaves", Role::Planner),
    ("PublishPlan", Role::Planner),
    ("SetRolloutStatus", Role::Planner),
    ("ImportReturns", Role::Planner),
    ("ExportWaves", Role::Planner),
    ("RequestResync", Role::Admin),
    ("ImportSites", Role::Admin),
    ("UpdateSite", Role::Admin),
    ("AssignSite", Role::Admin),
    ("ImportAssets", Role::Admin),
    ("CreateToken", Role::Admin),
    ("ListTokens", Role::Admin),
    ("RevokeToken", Role::Admin),
    ("ListAudit", Role::Admin),
    ("SetPolicy", Role::Admin),
];

fn expected_role(method: &str) -> Role {
    match EXPECTED_ROLES.iter().find(|(name, _)| *name == method) {
        Some((_, role)) => *role,
        None => panic!("{method} is in the contract but not in EXPECTED_ROLES: say which role it needs"),
    }
}

#[test]
fn the_hand_written_roles_are_the_contracts_methods_and_the_servers_rules() {
    let contract: BTreeSet<String> = fleet_methods().into_iter().map(|(name, _)| name).collect();
    let by_hand: BTreeSet<String> = EXPECTED_ROLES.iter().map(|(name, _)| name.to_string()).collect();
    assert_eq!(by_hand.len(), EXPECTED_ROLES.len(), "a method twice in EXPECTED_ROLES");
    assert_eq!(
        contract.difference(&by_hand).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "methods of the contract missing from EXPECTED_ROLES"
    );
    assert_eq!(
        by_hand.difference(&contract).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "EXPECTED_ROLES names methods the contract does not have"
    );
    for (method, role) in EXPECTED_ROLES {
        assert_eq!(required_role(method), Some(*role), "the server's rule for {method}");
    }
}

#[tokio::test]
async fn every_call_checks_the_token_and_its_role() {
    let server = TestServer::start().await;
    let tokens: Vec<(Role, String)> = Role::ALL
        .iter()
        .map(|role| (*role, make_token(&server.storage, &format!("t-{role}"), *role)))
        .collect();
    let revoked = make_token(&server.storage, "gone", Role::Admin);
    server.storage.revoke_token("gone", &crate::util::tester(), 1).unwrap();

    let methods = fleet_methods();
    assert!(methods.len() >= 28, "{methods:?}");
    let mut tried = 0;
    for (method, streaming) in &methods {
        // What the server does is checked against the hand-written table.
        let needed = expected_role(method);
        for token in [None, Some("parc_0000"), Some(revoked.as_str())] {
            let code = call(&server.url, method, *streaming, token).await;
            assert_eq!(code, Code::Unauthenticated, "{method} with token {token:?}");
            tried += 1;
        }
        for (role, token) in &tokens {
            let code = call(&server.url, method, *streaming, Some(token)).await;
            if role.allows(needed) {
                assert!(
                    !matches!(code, Code::Unauthenticated | Code::PermissionDenied),
                    "{method} as {role}: {code:?}"
                );
            } else {
                assert_eq!(code, Code::PermissionDenied, "{method} as {role}");
            }
            tried += 1;
        }
    }
    assert_eq!(tried, methods.len() * 6);

    // The agent's service needs no token: agents have their node keys.
    let agent = server.agent();
    let pc = inventory("PC-1", &"1".repeat(32));
    let (_, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
}

#[tokio::test]
async fn refusals_say_what_is_missing() {
    let server = TestServer::start().await;
    let viewer = make_token(&server.storage, "lucie", Role::Viewer);
    let denied = server.fleet_as(None).list_sites(pb::ListSitesRequest {}).await.unwrap_err();
    assert_eq!(denied.code(), Code::Unauthenticated);
    assert!(denied.message().contains("a token is needed"), "{}", denied.message());
    let denied =
        server.fleet_as(Some(&viewer)).publish_plan(pb::PublishPlanRequest { id: 0 }).await.unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(denied.message(), "PublishPlan needs the planner role; this token is viewer");
}

#[tokio::test]
async fn admins_make_and_revoke_tokens_and_every_change_is_audited() {
    let server = TestServer::start().await;
    let mut admin = server.fleet().await;

    // A token made through the API works at once, with its role.
    let made = admin
        .create_token(pb::CreateTokenRequest { name: "marie.dupont".into(), role: pb::Role::Planner as i32 })
        .await
        .unwrap()
        .into_inner();
    assert!(made.secret.starts_with("parc_"));
    let mut marie = server.fleet_as(Some(&made.secret));
    let me = marie.who_am_i(pb::WhoAmIRequest {}).await.unwrap().into_inner();
    assert_eq!((me.name.as_str(), me.role), ("marie.dupont", pb::Role::Planner as i32));
    let same_name = admin
        .create_token(pb::CreateTokenRequest { name: "Marie.Dupont".into(), role: pb::Role::Viewer as i32 })
        .await
        .unwrap_err();
    assert_eq!(same_name.code(), Code::FailedPrecondition);
    let bad = admin.create_token(pb::CreateTokenRequest { name: " ".into(), role: 1 }).await.unwrap_err();
    assert!(bad.message().starts_with("name:"), "{}", bad.message());
    let bad = admin.create_token(pb::CreateTokenRequest { name: "x".into(), role: 0 }).await.unwrap_err();
    assert!(bad.message().starts_with("role:"), "{}", bad.message());

    // Changes by two people, recorded with their names.
    import_sites(
        &mut admin,
        "code;name;kind;address;wan_link;fibre;wifi;subnets\nSIEGE;Siège;siège;Évry;ftto;live;live;10.1.0.0/16\n",
    )
    .await;
    let agent = server.agent();
    let mut pc = inventory("PC-1", &"1".repeat(32));
    for interface in pc.network_interfaces.iter_mut().flatten() {
        interface.addresses = vec!["10.1.0.10/16".into()];
    }
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
    marie
        .plan_waves(pb::PlanWavesRequest {
            spec_toml: "start = \"2027-01-04\"\n[select]\ngroups = [\"replace\", \"fixable\", \"unknown\", \"ready\"]\n"
                .into(),
            spec_file: "spec.toml".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    marie.publish_plan(pb::PublishPlanRequest { id: 0 }).await.unwrap();
    marie
        .set_rollout_status(pb::SetRolloutStatusRequest {
            device: device_id.to_string(),
            status: "scheduled".into(),
            reason: "rdv mardi".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    // A planner may not read the audit log, nor touch tokens.
    assert_eq!(
        marie.list_audit(pb::ListAuditRequest::default()).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    let log = admin.list_audit(pb::ListAuditRequest::default()).await.unwrap().into_inner().entries;
    let lines: Vec<(String, String, String)> =
        log.iter().rev().map(|e| (e.actor.clone(), e.action.clone(), e.target.clone())).collect();
    let expected: Vec<(String, String, String)> = [
        ("test-admin", "tokens.create", "marie.dupont"),
        ("test-admin", "sites.import", "import sites.csv"),
        ("marie.dupont", "waves.plan", "plan 1"),
        ("marie.dupont", "waves.publish", "plan 1"),
        ("marie.dupont", "waves.status", &format!("device {device_id}")),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    // The first entry is the tests' own admin token, made in storage.
    assert_eq!(lines[1..], expected[..], "{log:#?}");
    let status = log.iter().find(|e| e.action == "waves.status").unwrap();
    assert_eq!(status.detail, "planned → scheduled (parc waves set): rdv mardi");
    assert_eq!(status.role, pb::Role::Planner as i32);
    let only_waves = admin
        .list_audit(pb::ListAuditRequest { action_prefix: "waves.".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(only_waves.len(), 3);
    let too_many = admin.list_audit(pb::ListAuditRequest { limit: 10_001, ..Default::default() }).await;
    assert!(too_many.unwrap_err().message().starts_with("limit:"));

    // Revoked through the API: refused at once, kept in the list.
    let revoked = admin
        .revoke_token(pb::RevokeTokenRequest { token: "marie.dupont".into() })
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.token.unwrap().revoked_at > 0);
    assert_eq!(marie.who_am_i(pb::WhoAmIRequest {}).await.unwrap_err().code(), Code::Unauthenticated);
    let listed =
        admin.list_tokens(pb::ListTokensRequest { include_revoked: true }).await.unwrap().into_inner();
    assert!(listed.tokens.iter().any(|t| t.name == "marie.dupont" && t.revoked_at > 0));
    let live =
        admin.list_tokens(pb::ListTokensRequest { include_revoked: false }).await.unwrap().into_inner();
    assert!(live.tokens.iter().all(|t| t.name != "marie.dupont"));
    let unknown = admin.revoke_token(pb::RevokeTokenRequest { token: "nobody".into() }).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // The database holds hashes, never a secret.
    let db = std::fs::read(server.storage.path()).unwrap();
    let wal = std::fs::read(server.storage.path().with_extension("db-wal")).unwrap_or_default();
    let secret = made.secret.as_bytes();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret), "a token secret is stored in clear");
    }
}
