//! Simulated agents over real gRPC: enroll, one full report each, then
//! delta reports with the small changes real PCs show between two reports
//! (free space, a reboot, a new login, now and then a software update).

use crate::stats::{CpuClock, Phase, Timings};
use parc_agent::client::{delta_request, AckedSections, RETRY_AFTER_METADATA};
use parc_model::{Inventory, Section};
use parc_proto::pb::agent_service_client::AgentServiceClient;
use parc_proto::pb::EnrollRequest;
use parc_proto::sections::{read_sections, section_hash};
use parc_server::sim::fleet::generate_one;
use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tonic::transport::{Channel, Endpoint};
use tonic::Code;

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub server: String,
    pub enroll_secret: String,
    pub devices: u64,
    pub seed: u64,
    /// Reports in flight at once.
    pub concurrency: usize,
    /// HTTP/2 connections shared by the simulated agents.
    pub connections: usize,
    /// 1 = full reports only; each further round is a delta report.
    pub rounds: u32,
    /// Appends "hostname sequence" for every acknowledged report.
    pub acked_log: Option<PathBuf>,
    pub now: i64,
    /// The server's process, when it runs here: each phase gives its CPU.
    pub server_pid: Option<u32>,
}

/// One simulated agent's memory between reports.
struct Agent {
    node_key: String,
    sequence: u64,
    acked: AckedSections,
}

pub struct LoadResult {
    pub phases: Vec<Phase>,
}

pub async fn run(options: &LoadOptions) -> anyhow::Result<LoadResult> {
    let channels = connect(&options.server, options.connections)?;
    let mut phases = Vec::new();
    let agents = enroll_all(options, &channels, &mut phases).await?;
    let agents: Arc<Vec<Mutex<Agent>>> = Arc::new(agents.into_iter().map(Mutex::new).collect());
    let log = match &options.acked_log {
        Some(path) => {
            Some(Arc::new(Mutex::new(std::fs::OpenOptions::new().create(true).append(true).open(path)?)))
        }
        None => None,
    };
    for round in 1..=options.rounds {
        let name = if round == 1 { "full".to_string() } else { format!("delta (round {round})") };
        phases.push(report_round(options, &channels, &agents, round, &name, log.clone()).await?);
    }
    Ok(LoadResult { phases })
}

fn connect(server: &str, connections: usize) -> anyhow::Result<Vec<Channel>> {
    (0..connections.max(1))
        .map(|_| {
            Ok(Endpoint::from_shared(server.to_string())?
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(120))
                .tcp_nodelay(true)
                .connect_lazy())
        })
        .collect()
}

fn client(channels: &[Channel], index: u64) -> AgentServiceClient<Channel> {
    AgentServiceClient::new(channels[(index as usize) % channels.len()].clone())
        .max_decoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES)
        .max_encoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES)
}

async fn enroll_all(
    options: &LoadOptions,
    channels: &[Channel],
    phases: &mut Vec<Phase>,
) -> anyhow::Result<Vec<Agent>> {
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    let cpu = CpuClock::start(options.server_pid);
    for index in 0..options.devices {
        let permit = permits.clone().acquire_owned().await?;
        let client = client(channels, index);
        let (seed, now, secret) = (options.seed, options.now, options.enroll_secret.clone());
        tasks.spawn(async move {
            let _permit = permit;
            let pc = generate_one(seed, index, now).inventory;
            let begun = Instant::now();
            let request = EnrollRequest {
                enroll_secret: secret,
                machine_id: pc.machine_id.clone(),
                hostname: pc.hostname.clone(),
                agent_version: pc.agent_version.clone(),
            };
            let answer = with_retries(|| {
                let mut client = client.clone();
                let request = request.clone();
                async move { client.enroll(request).await }
            })
            .await?;
            Ok::<_, anyhow::Error>((index, answer.0.into_inner().node_key, begun.elapsed()))
        });
    }
    let mut agents: Vec<Option<Agent>> = (0..options.devices).map(|_| None).collect();
    let mut timings = Timings::default();
    while let Some(joined) = tasks.join_next().await {
        let (index, node_key, took) = joined??;
        timings.record(took, 0, 0);
        agents[index as usize] = Some(Agent { node_key, sequence: 0, acked: AckedSections::new() });
    }
    phases.push(timings.finish("enroll", started.elapsed(), cpu.elapsed()));
    Ok(agents.into_iter().flatten().collect())
}

/// Retries through a server that is down or restarting, and waits out
/// RESOURCE_EXHAUSTED by its retry-after hint, as agents do. Returns the
/// answer and how many times the server said it was busy.
async fn with_retries<T, F, Fut>(mut call: F) -> anyhow::Result<(T, u32)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let mut busy = 0;
    let mut down_since: Option<Instant> = None;
    loop {
        match call().await {
            Ok(answer) => return Ok((answer, busy)),
            Err(status) if status.code() == Code::ResourceExhausted => {
                busy += 1;
                let hint = status
                    .metadata()
                    .get(RETRY_AFTER_METADATA)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1000);
                let wait = parc_agent::schedule::after_busy(Duration::from_millis(hint), &mut rand::rng());
                tokio::time::sleep(wait).await;
            }
            Err(status) if matches!(status.code(), Code::Unavailable | Code::Unknown | Code::Cancelled) => {
                let since = *down_since.get_or_insert_with(Instant::now);
                if since.elapsed() > Duration::from_secs(120) {
                    anyhow::bail!("server unavailable for two minutes: {}", status.message());
                }
                let pause = Duration::from_millis(rand::rng().random_range(100..500));
                tokio::time::sleep(pause).await;
            }
            Err(status) => anyhow::bail!("{:?}: {}", status.code(), status.message()),
        }
    }
}

/// What changes on a PC between two reports.
fn drift(inventory: &mut Inventory, rng: &mut StdRng, round: u32) {
    for volume in inventory.volumes.iter_mut().flatten() {
        let used = rng.random_range(0..volume.total_bytes / 100 + 1);
        volume.available_bytes = volume.available_bytes.saturating_sub(used);
    }
    if rng.random_range(0..100) < 30 {
        if let Some(os) = inventory.os.as_mut() {
            os.last_boot += 3600 * i64::from(round);
        }
    }
    if rng.random_range(0..100) < 3 {
        if let Some(package) = inventory.software.as_mut().and_then(|s| s.first_mut()) {
            package.version = format!("{}.{round}", package.version);
        }
    }
}

async fn report_round(
    options: &LoadOptions,
    channels: &[Channel],
    agents: &Arc<Vec<Mutex<Agent>>>,
    round: u32,
    name: &str,
    log: Option<Arc<Mutex<std::fs::File>>>,
) -> anyhow::Result<Phase> {
    let permits = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    let started = Instant::now();
    let cpu = CpuClock::start(options.server_pid);
    for index in 0..options.devices {
        let permit = permits.clone().acquire_owned().await?;
        let client = client(channels, index);
        let agents = agents.clone();
        let log = log.clone();
        let (seed, now) = (options.seed, options.now);
        tasks.spawn(async move {
            let _permit = permit;
            let mut pc = generate_one(seed, index, now).inventory;
            // Each round's drift comes from its own seed, so round 3 is
            // round 2 plus what changed since, as on a real PC.
            for past in 2..=round {
                let mut rng = StdRng::seed_from_u64(seed ^ (u64::from(past) << 40) ^ index);
                drift(&mut pc, &mut rng, past);
            }
            let (node_key, acked) = {
                let agent = agents[index as usize].lock().expect("agent state");
                (agent.node_key.clone(), agent.acked.clone())
            };
            let begun = Instant::now();
            let mut sent_bytes = 0;
            let mut own = AckedSections::new();
            let ((response, sequence), busy) = with_retries(|| {
                let mut client = client.clone();
                let sequence = {
                    let mut agent = agents[index as usize].lock().expect("agent state");
                    agent.sequence += 1;
                    agent.sequence
                };
                let request = delta_request(&node_key, sequence, &pc, &acked);
                sent_bytes = request.encoded_len();
                if let Some(wire) = &request.inventory {
                    // The sections sent; the ones left out as unchanged are
                    // empty in `wire`: their hash comes back in the response.
                    let unchanged =
                        |s: &Section| request.unchanged_sections.iter().any(|u| u.section == s.name());
                    own = read_sections(wire)
                        .into_iter()
                        .filter(|s| !unchanged(s))
                        .map(|s| (s.name().to_string(), hex::encode(section_hash(s, wire))))
                        .collect();
                }
                async move { client.report(request).await.map(|r| (r.into_inner(), sequence)) }
            })
            .await?;
            let took = begun.elapsed();
            // What the server confirms, over what was just sent: parc-server
            // confirms both, the no-op echoes only the sections left out as
            // unchanged, and its next round must be a delta of the same size.
            let held: AckedSections = own
                .into_iter()
                .chain(response.held_sections.into_iter().map(|h| (h.section, hex::encode(h.sha256_128))))
                .collect();
            agents[index as usize].lock().expect("agent state").acked = held;
            if let Some(log) = &log {
                let mut file = log.lock().expect("acked log");
                writeln!(file, "{} {sequence}", pc.hostname)?;
            }
            Ok::<_, anyhow::Error>((took, sent_bytes, busy))
        });
    }
    let mut timings = Timings::default();
    while let Some(joined) = tasks.join_next().await {
        let (took, bytes, busy) = joined??;
        timings.record(took, bytes, busy);
    }
    Ok(timings.finish(name, started.elapsed(), cpu.elapsed()))
}
