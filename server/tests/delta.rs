//! Delta reports and back-pressure over real gRPC, with the agent's client.

use crate::util::{as_stored, inventory, TestServer, SECRET};
use parc_agent::client::{delta_request, AckedSections, ClientError};
use parc_proto::pb::agent_service_client::AgentServiceClient;
use parc_proto::pb::{ReportRequest, SectionHash};
use prost::Message;
use tonic::Code;

#[tokio::test]
async fn an_unchanged_pc_sends_a_few_hundred_bytes_and_the_server_keeps_everything() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-DELTA-1", "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let first = agent.report(&key, 1, &pc, &AckedSections::new()).await.unwrap();
    assert_eq!(first.unchanged, 0);
    assert!(first.held.len() >= 10, "the server confirms what it holds: {:?}", first.held.keys());

    let full_bytes = delta_request(&key, 2, &pc, &AckedSections::new()).encoded_len();
    let delta_bytes = delta_request(&key, 2, &pc, &first.held).encoded_len();
    assert!(delta_bytes < 600, "an unchanged PC's report is {delta_bytes} bytes (full: {full_bytes})");

    let second = agent.report(&key, 2, &pc, &first.held).await.unwrap();
    assert!(second.stored);
    assert_eq!(second.unchanged, first.held.len());
    assert_eq!(second.held, first.held);
    assert!(second.missing.is_empty() && !second.resync);
    let stored = server.storage.get_device(device_id).unwrap().unwrap();
    assert_eq!(stored.inventory.unwrap(), as_stored(&pc));
    assert!(stored.summary.last_seen_at.is_some());

    // One section changed: only it travels, and its new hash is confirmed.
    let mut upgraded = pc.clone();
    upgraded.os.as_mut().unwrap().version = "11 (24H2)".into();
    let third = agent.report(&key, 3, &upgraded, &second.held).await.unwrap();
    assert_eq!(third.unchanged, first.held.len() - 1);
    assert_ne!(third.held["os"], second.held["os"]);
    let stored = server.storage.get_device(device_id).unwrap().unwrap();
    assert_eq!(stored.summary.os_version, "11 (24H2)");
    let history = server.storage.history(device_id, 10).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].change.subject, "OS");
}

#[tokio::test]
async fn a_section_the_server_lacks_is_asked_for_and_a_resync_asks_for_all() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-DELTA-2", "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let first = agent.report(&key, 1, &pc, &AckedSections::new()).await.unwrap();

    // An agent restored from an old copy of its state claims an OS section
    // the server never held.
    let mut request = delta_request(&key, 2, &pc, &first.held);
    request.unchanged_sections.retain(|h| h.section != "os");
    request.unchanged_sections.push(SectionHash { section: "os".into(), sha256_128: vec![0; 16] });
    request.inventory.as_mut().unwrap().os = None;
    let mut raw = AgentServiceClient::connect(server.url.clone()).await.unwrap();
    let response = raw.report(request).await.unwrap().into_inner();
    assert!(response.stored);
    assert_eq!(response.missing_sections, vec!["os".to_string()]);

    server.storage.request_resync(Some(device_id), &crate::util::tester(), 1).unwrap();
    let ack = agent.report(&key, 3, &pc, &first.held).await.unwrap();
    assert!(ack.resync, "a delta report is answered with the resync request");
    let ack = agent.report(&key, 4, &pc, &AckedSections::new()).await.unwrap();
    assert!(!ack.resync, "a full report settles it");
}

#[tokio::test]
async fn malformed_unchanged_sections_name_the_field_and_store_nothing() {
    let server = TestServer::start().await;
    let agent = server.agent();
    let pc = inventory("PC-DELTA-3", "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
    let (device_id, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let first = agent.report(&key, 1, &pc, &AckedSections::new()).await.unwrap();
    let before = server.storage.get_device(device_id).unwrap().unwrap();
    let mut raw = AgentServiceClient::connect(server.url.clone()).await.unwrap();

    let hash = |section: &str, len: usize| SectionHash { section: section.into(), sha256_128: vec![1; len] };
    type Breaker = Box<dyn Fn(&mut ReportRequest)>;
    let cases: Vec<(&str, Breaker)> = vec![
        ("unchanged_sections[0].section", Box::new(move |r| r.unchanged_sections = vec![hash("bios", 16)])),
        (
            "unchanged_sections[0].sha256_128",
            Box::new(move |r| r.unchanged_sections = vec![hash("users", 8)]),
        ),
        (
            "unchanged_sections[1].section",
            Box::new(move |r| {
                r.unchanged_sections = vec![hash("users", 16), hash("users", 16)];
                r.inventory.as_mut().unwrap().users = None;
            }),
        ),
        ("unchanged_sections[0].section", Box::new(move |r| r.unchanged_sections = vec![hash("os", 16)])),
        ("unchanged_sections", Box::new(move |r| r.unchanged_sections = vec![hash("os", 16); 13])),
    ];
    for (sequence, (field, breaker)) in (2..).zip(cases) {
        let mut request = delta_request(&key, sequence, &pc, &AckedSections::new());
        breaker(&mut request);
        let status = raw.report(request).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
        assert!(
            status.message().starts_with(&format!("{field}:")),
            "expected {field}, got {}",
            status.message()
        );
    }
    let after = server.storage.get_device(device_id).unwrap().unwrap();
    assert_eq!(after, before, "nothing of a refused report is stored");
    assert!(!first.held.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boot_storm_meets_resource_exhausted_with_a_retry_after_and_everything_lands() {
    let server = TestServer::start_with_queue(1).await;
    let agent = server.agent();
    let mut pcs = Vec::new();
    for n in 0..60 {
        let pc = inventory(&format!("PC-BOOT-{n}"), &format!("{:032}", n + 700));
        let (_, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
        pcs.push((key, pc));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (key, pc) in pcs {
        let agent = agent.clone();
        tasks.spawn(async move {
            let mut busy = Vec::new();
            for sequence in 1.. {
                match agent.report(&key, sequence, &pc, &AckedSections::new()).await {
                    Ok(ack) => return (ack, busy),
                    Err(ClientError::Busy { retry_after, message }) => {
                        assert!(message.contains("busy"), "{message}");
                        busy.push(retry_after);
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            unreachable!()
        });
    }
    let mut hints = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (ack, busy) = joined.unwrap();
        assert!(ack.stored);
        hints.extend(busy);
    }
    assert!(!hints.is_empty(), "a queue of one must turn some of sixty reports away");
    // Below the client's one-minute fallback: the hint came from the
    // server's retry-after metadata.
    let plausible = std::time::Duration::from_secs(1)..std::time::Duration::from_secs(60);
    assert!(hints.iter().all(|h| plausible.contains(h)), "{hints:?}");
    let page = server.storage.list_devices(&parc_server::storage::DeviceQuery::page(0, 100)).unwrap();
    assert_eq!(page.devices.iter().filter(|d| d.last_seen_at.is_some()).count(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrollment_storm_waits_for_room_in_the_queue_without_a_thread_each() {
    let server = TestServer::start_with_queue(1).await;
    let agent = server.agent();
    let threads = || std::fs::read_dir("/proc/self/task").unwrap().count();
    let before = threads();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..60 {
        let agent = agent.clone();
        tasks.spawn(async move {
            let pc = inventory(&format!("PC-ENROLL-{n}"), &format!("{:032}", n + 900));
            agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await
        });
    }
    let mut ids = std::collections::BTreeSet::new();
    while let Some(joined) = tasks.join_next().await {
        let (device_id, _) = joined.unwrap().expect("an enrollment waits for room; it is never refused busy");
        ids.insert(device_id);
    }
    assert_eq!(ids.len(), 60, "sixty devices");
    // Waiting enrollments hold no thread: a blocking thread each would have
    // started dozens here (they outlive their task by ten seconds).
    let started = threads().saturating_sub(before);
    assert!(started < 8, "{started} threads started for sixty enrollments");
}

/// A loopback forwarder that counts the bytes a client sends through it.
async fn counting_proxy(target: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicU64>) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = std::sync::Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let target = target.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else { return };
            let target = target.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                let (mut client_read, mut client_write) = inbound.split();
                let (mut server_read, mut server_write) = tokio::io::split(outbound);
                let upstream = async {
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        match client_read.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                counter.fetch_add(n as u64, Ordering::Relaxed);
                                if server_write.write_all(&buffer[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                };
                let downstream = tokio::io::copy(&mut server_read, &mut client_write);
                let _ = tokio::join!(upstream, downstream);
            });
        }
    });
    (url, sent)
}

#[tokio::test]
async fn reports_travel_compressed() {
    use std::sync::atomic::Ordering;
    let server = TestServer::start().await;
    let (url, sent) = counting_proxy(server.url.clone()).await;
    let agent = parc_agent::client::AgentClient::new(&url).unwrap();
    let pc = inventory("PC-ZSTD-1", "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0");
    let (_, key) = agent.enroll(SECRET, &pc.machine_id, &pc.hostname).await.unwrap();
    let before = sent.load(Ordering::Relaxed);
    let ack = agent.report(&key, 1, &pc, &AckedSections::new()).await.unwrap();
    assert!(ack.stored);
    let compressed = sent.load(Ordering::Relaxed) - before;
    // The same report from a client that does not compress, through the
    // same proxy: the difference is the compression.
    let channel = tonic::transport::Endpoint::from_shared(url.clone()).unwrap().connect().await.unwrap();
    let mut plain = AgentServiceClient::new(channel);
    plain.report(delta_request(&key, 2, &pc, &AckedSections::new())).await.unwrap();
    let before = sent.load(Ordering::Relaxed);
    plain.report(delta_request(&key, 3, &pc, &AckedSections::new())).await.unwrap();
    let uncompressed = sent.load(Ordering::Relaxed) - before;
    assert!(
        compressed * 10 < uncompressed * 7,
        "a full report took {compressed} bytes compressed, {uncompressed} bytes plain"
    );
    // And the server stored it whole.
    let stored = server.storage.find_by_hostname("PC-ZSTD-1").unwrap();
    assert_eq!(stored.len(), 1);
}
