//! AgentService and FleetService over real gRPC.

use crate::util::{inventory, TestServer, SECRET};
use parc_agent::client::ClientError;
use parc_proto::pb::{GetDeviceRequest, ListDevicesRequest, ReportRequest};
use parc_server::storage::DeviceQuery;
use tonic::Code;

#[tokio::test]
async fn enroll_then_report_stores_the_inventory() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("MDS-TEST-01", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let ack = agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
    assert!(ack.stored);
    assert_eq!(ack.device_id, device_id);
    assert_eq!(ack.next_report_in.as_secs(), 900);

    let stored = server.storage.get_device(device_id).unwrap().unwrap();
    assert_eq!(stored.inventory, Some(crate::util::as_stored(&pc)));
    assert_eq!(stored.summary.hostname, "MDS-TEST-01");
    assert_eq!(stored.summary.ram_bytes, pc.memory.as_ref().unwrap().total_bytes);
}

#[tokio::test]
async fn a_wrong_enrollment_secret_is_unauthenticated() {
    let server = TestServer::start().await;
    let error =
        server.agent().enroll("not-the-secret-at-all", "bbbbbbbbbbbbbbbbbbbb", "PC").await.unwrap_err();
    match error {
        ClientError::Unauthenticated(message) => {
            assert!(message.contains("wrong enrollment secret"), "{message}")
        }
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
    assert_eq!(server.storage.list_devices(&DeviceQuery::page(0, 10)).unwrap().total_count, 0);
}

#[tokio::test]
async fn an_unknown_node_key_is_unauthenticated_and_stores_nothing() {
    let server = TestServer::start().await;
    let pc = inventory("PC-1", "cccccccccccccccccccccccccccccccc");
    let error = server.agent().report("no-such-key", 1, &pc, &Default::default()).await.unwrap_err();
    assert!(matches!(error, ClientError::Unauthenticated(_)), "{error:?}");
    assert_eq!(server.storage.list_devices(&DeviceQuery::page(0, 10)).unwrap().total_count, 0);
}

#[tokio::test]
async fn a_revoked_node_key_is_unauthenticated_and_stores_nothing() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-2", "dddddddddddddddddddddddddddddddd");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
    assert!(server.storage.revoke(device_id, &crate::util::tester(), 1).unwrap());

    let mut changed = pc.clone();
    changed.hostname = "PC-2-RENAMED".into();
    let error = agent.report(&key, 2, &changed, &Default::default()).await.unwrap_err();
    assert!(matches!(error, ClientError::Unauthenticated(_)), "{error:?}");
    let stored = server.storage.get_device(device_id).unwrap().unwrap();
    assert_eq!(stored.inventory.unwrap().hostname, "PC-2");
    assert!(stored.summary.revoked);
}

#[tokio::test]
async fn an_invalid_report_names_the_field_and_stores_nothing() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-3", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let mut bad = pc.clone();
    bad.cpu.as_mut().unwrap().model = "x".repeat(5000);
    match agent.report(&key, 1, &bad, &Default::default()).await.unwrap_err() {
        ClientError::Rejected(message) => assert!(message.contains("inventory.cpu.model"), "{message}"),
        other => panic!("expected Rejected, got {other:?}"),
    }
    assert_eq!(server.storage.get_device(device_id).unwrap().unwrap().inventory, None);

    // A report with no inventory at all.
    let mut raw =
        parc_proto::pb::agent_service_client::AgentServiceClient::connect(server.url.clone()).await.unwrap();
    let status = raw
        .report(ReportRequest { node_key: key, sequence: 2, inventory: None, unchanged_sections: vec![] })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("inventory"), "{}", status.message());
}

#[tokio::test]
async fn replayed_and_stale_reports_are_ignored() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-4", "ffffffffffffffffffffffffffffffff");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    assert!(agent.report(&key, 5, &pc, &Default::default()).await.unwrap().stored);
    let mut older = pc.clone();
    older.hostname = "PC-4-OLD".into();
    let ack = agent.report(&key, 4, &older, &Default::default()).await.unwrap();
    assert!(!ack.stored);
    assert_eq!(ack.last_sequence, 5);
    let ack = agent.report(&key, 5, &older, &Default::default()).await.unwrap();
    assert!(!ack.stored, "a replay of the same sequence is ignored");
    assert_eq!(server.storage.get_device(device_id).unwrap().unwrap().summary.hostname, "PC-4");
}

#[tokio::test]
async fn enrolling_again_keeps_the_device_and_retires_the_old_key() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-5", "11111111111111111111111111111111");
    let (first_id, old_key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let (second_id, new_key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    assert_eq!(first_id, second_id);
    assert_ne!(old_key, new_key);
    assert!(matches!(
        agent.report(&old_key, 1, &pc, &Default::default()).await,
        Err(ClientError::Unauthenticated(_))
    ));
    assert!(agent.report(&new_key, 1, &pc, &Default::default()).await.unwrap().stored);
    assert_eq!(server.storage.list_devices(&DeviceQuery::page(0, 10)).unwrap().total_count, 1);
}

#[tokio::test]
async fn list_devices_pages_through_the_whole_fleet() {
    let server = TestServer::start().await;
    let pcs = parc_server::sim::fleet::generate(11, 25, 1_796_200_000);
    let summary = parc_server::sim::driver::drive(&server.url, SECRET, pcs.clone(), 8).await.unwrap();
    assert_eq!((summary.reported, summary.failed), (25, 0));

    let mut fleet = server.fleet().await;
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let page = fleet
            .list_devices(ListDevicesRequest {
                page_size: 10,
                page_token: token,
                not_seen_for_seconds: 0,
                query: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.total_count, 25);
        assert!(page.devices.len() <= 10);
        seen.extend(page.devices.into_iter().map(|d| d.hostname));
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    let mut expected: Vec<String> = pcs.iter().map(|pc| pc.inventory.hostname.clone()).collect();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);

    let too_big = fleet
        .list_devices(ListDevicesRequest {
            page_size: 5000,
            page_token: String::new(),
            not_seen_for_seconds: 0,
            query: String::new(),
        })
        .await;
    let status = too_big.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(status.message().contains("page_size"), "{}", status.message());
    let bad_token = fleet
        .list_devices(ListDevicesRequest {
            page_size: 5,
            page_token: "abc".into(),
            not_seen_for_seconds: 0,
            query: String::new(),
        })
        .await;
    assert!(bad_token.unwrap_err().message().contains("page_token"));
}

#[tokio::test]
async fn get_device_by_id_or_hostname_and_ambiguous_hostnames_name_the_ids() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let mut ids = Vec::new();
    for machine_id in ["22222222222222222222222222222222", "33333333333333333333333333333333"] {
        let pc = inventory("SHARED-NAME", machine_id);
        let (id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
        agent.report(&key, 1, &pc, &Default::default()).await.unwrap();
        ids.push(id);
    }
    let mut fleet = server.fleet().await;
    let by_id = fleet.get_device(GetDeviceRequest { device: ids[0].to_string() }).await.unwrap().into_inner();
    assert_eq!(by_id.summary.unwrap().hostname, "SHARED-NAME");
    assert!(by_id.inventory.is_some());

    let status = fleet.get_device(GetDeviceRequest { device: "shared-name".into() }).await.unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains(&format!("{}, {}", ids[0], ids[1])), "{}", status.message());

    let status = fleet.get_device(GetDeviceRequest { device: "NOPE".into() }).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = fleet.get_device(GetDeviceRequest { device: "999".into() }).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn health_checking_and_reflection_answer_standard_clients() {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::HealthCheckRequest;
    let server = TestServer::start().await;
    let channel =
        tonic::transport::Endpoint::from_shared(server.url.clone()).unwrap().connect().await.unwrap();
    let mut health = HealthClient::new(channel.clone());
    for service in ["", "parc.v1.AgentService", "parc.v1.FleetService"] {
        let response =
            health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(response.status, 1, "{service} should be SERVING");
    }

    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    let mut reflection = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses =
        reflection.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let response = responses.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in ["parc.v1.AgentService", "parc.v1.FleetService", "grpc.health.v1.Health"] {
        assert!(names.iter().any(|n| n == expected), "{expected} missing from {names:?}");
    }
}
