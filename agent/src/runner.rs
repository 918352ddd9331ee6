//! The agent's loop: collect, enroll when needed, report, sleep; and what to
//! do when the server is away or says no.
//!
//! `--once` makes a single cycle with a few quick retries and returns the
//! outcome; the service mode runs until it is stopped and never gives up:
//! an unreachable server means backoff, a refused secret means a long wait,
//! never a tight loop.

use crate::client::{AgentClient, ClientError, ReportAck, TlsMaterial};
use crate::collect::{collect, CollectOptions};
use crate::schedule::{jittered, Backoff};
use crate::spool;
use crate::state::{AgentState, Enrollment, StateDir, StateError};
use rand::Rng;
use std::path::PathBuf;
use std::time::Duration;
use tracing::{error, info, warn};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub server_url: String,
    /// Needed only until the agent is enrolled.
    pub enroll_secret: Option<String>,
    pub state_dir: PathBuf,
    /// One report, then return.
    pub once: bool,
    pub collect: CollectOptions,
    pub retry: RetryPolicy,
    /// The CA of an https:// server with a private CA.
    pub ca_file: Option<PathBuf>,
    /// This agent's certificate and key, for a server that asks for one.
    pub client_identity: Option<crate::config::ClientIdentity>,
    /// Labels sent with every report.
    pub labels: Vec<String>,
    /// The service's first report waits a random time up to this, so that
    /// PCs switched on together do not report together (not with `once`).
    pub splay: Duration,
}

/// The splay when the configuration does not say.
pub const DEFAULT_SPLAY: Duration = Duration::from_secs(120);

/// How hard to insist when things fail.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// First backoff ceiling after a failure.
    pub base: Duration,
    /// Largest backoff between two tries.
    pub cap: Duration,
    /// Tries `--once` makes before it gives up.
    pub once_attempts: u32,
    /// Wait after the server refused the enrollment secret or a report's
    /// content: a person must fix something first.
    pub after_refusal: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(15 * 60),
            once_attempts: 3,
            after_refusal: Duration::from_secs(3600),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("enrollment refused by {server}: {reason}")]
    EnrollRefused { server: String, reason: String },
    #[error("not enrolled yet and no enrollment secret given (--enroll-secret or PARC_ENROLL_SECRET)")]
    NoEnrollSecret,
    #[error("{server} rejected the report: {reason}")]
    ReportRejected { server: String, reason: String },
    #[error("gave up after {attempts} attempts: {last}")]
    GaveUp { attempts: u32, last: Box<RunError> },
    #[error(transparent)]
    Client(ClientError),
}

/// What one successful cycle achieved.
pub type CycleOutcome = ReportAck;

/// Runs the agent. Returns after one report with `once`; otherwise only
/// for errors that no wait can cure (a bad URL, an unreadable state file).
pub async fn run(options: &RunOptions) -> Result<CycleOutcome, RunError> {
    let states = StateDir::open(&options.state_dir)?;
    let mut state = states.load()?;
    let read = |what: &str, path: &std::path::Path| {
        std::fs::read(path).map_err(|e| {
            RunError::Client(ClientError::BadUrl {
                url: options.server_url.clone(),
                reason: format!("cannot read the {what} {}: {e}", path.display()),
            })
        })
    };
    let tls = TlsMaterial {
        ca_pem: options.ca_file.as_deref().map(|path| read("CA file", path)).transpose()?,
        identity: match &options.client_identity {
            Some(identity) => {
                Some((read("client certificate", &identity.cert)?, read("client key", &identity.key)?))
            }
            None => None,
        },
    };
    let client = AgentClient::with_tls(&options.server_url, tls).map_err(RunError::Client)?;
    let mut real = RealCycle { client: &client, states: &states, state: &mut state, options };
    drive(options, &mut real, &mut rand::rng()).await
}

/// One collect-and-report cycle. A trait so that the schedule around it
/// ([`drive`]) is tested on paused time with scripted outcomes.
pub(crate) trait Cycle {
    async fn run(&mut self) -> Result<ReportAck, CycleError>;
}

struct RealCycle<'a> {
    client: &'a AgentClient,
    states: &'a StateDir,
    state: &'a mut AgentState,
    options: &'a RunOptions,
}

impl Cycle for RealCycle<'_> {
    async fn run(&mut self) -> Result<ReportAck, CycleError> {
        cycle(self.client, self.states, self.state, self.options).await
    }
}

/// The schedule: the splay, then cycles, with the server's interval and
/// jitter after a report, backoff with full jitter after a failure, the
/// server's retry-after when it is busy, and a long wait after a refusal.
pub(crate) async fn drive(
    options: &RunOptions,
    cycles: &mut impl Cycle,
    rng: &mut impl Rng,
) -> Result<CycleOutcome, RunError> {
    let mut backoff = Backoff::new(options.retry.base, options.retry.cap);
    if !options.once && !options.splay.is_zero() {
        let wait = crate::schedule::splay(options.splay, rng);
        info!(first_report_in = %humantime::format_duration(rounded(wait)), "waiting a random time before the first report");
        tokio::time::sleep(wait).await;
    }
    loop {
        let wait = match cycles.run().await {
            Ok(ack) => {
                backoff.reset();
                if options.once {
                    return Ok(ack);
                }
                let wait = jittered(ack.next_report_in, rng);
                info!(device_id = ack.device_id, next_report_in = %humantime::format_duration(rounded(wait)), "report sent");
                wait
            }
            Err(CycleError::Busy { retry_after, last }) => {
                if options.once && backoff.failures() + 1 >= options.retry.once_attempts {
                    return Err(RunError::GaveUp {
                        attempts: options.retry.once_attempts,
                        last: Box::new(RunError::Client(last)),
                    });
                }
                backoff.record_failure();
                let wait = crate::schedule::after_busy(retry_after, rng);
                warn!(server = %options.server_url, retry_in = %humantime::format_duration(rounded(wait)), "server busy, coming back when it said");
                wait
            }
            Err(CycleError::Retry(last)) => {
                if options.once && backoff.failures() + 1 >= options.retry.once_attempts {
                    return Err(RunError::GaveUp {
                        attempts: options.retry.once_attempts,
                        last: Box::new(last),
                    });
                }
                let wait = backoff.next_delay(rng);
                warn!(server = %options.server_url, reason = %last, retry_in = %humantime::format_duration(rounded(wait)), "report failed, will retry");
                wait
            }
            Err(CycleError::Fatal(error)) => {
                let refusal =
                    matches!(error, RunError::EnrollRefused { .. } | RunError::ReportRejected { .. });
                if options.once || !refusal {
                    return Err(error);
                }
                let wait = options.retry.after_refusal;
                error!(%error, retry_in = %humantime::format_duration(wait), "server refused, waiting before trying again");
                wait
            }
        };
        release_freed_memory();
        tokio::time::sleep(wait).await;
    }
}

/// Between reports the agent holds almost nothing, but glibc keeps the
/// heap a collection grew to: hand the free pages back before sleeping for
/// an hour (docs/benchmarks.md: idle RSS).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel; it
    // touches no memory the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn rounded(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs().max(if duration.is_zero() { 0 } else { 1 }))
}

/// Follow-up reports in one cycle when the server lacks sections or asks
/// for a resync; a bound, so a confused server cannot keep an agent busy.
const MAX_FOLLOW_UPS: u32 = 2;

pub(crate) enum CycleError {
    /// Worth trying again soon, with backoff: the server is away, or the
    /// disk is full.
    Retry(RunError),
    /// The server is busy and said when to come back.
    Busy {
        retry_after: Duration,
        last: ClientError,
    },
    Fatal(RunError),
}

impl From<StateError> for CycleError {
    /// A state file that cannot be written (a full disk) may be writable
    /// later; one that cannot be read needs a person.
    fn from(error: StateError) -> Self {
        match error {
            StateError::Write { .. } => CycleError::Retry(RunError::State(error)),
            _ => CycleError::Fatal(RunError::State(error)),
        }
    }
}

async fn cycle(
    client: &AgentClient,
    states: &StateDir,
    state: &mut AgentState,
    options: &RunOptions,
) -> Result<ReportAck, CycleError> {
    let inventory = spooled_or_collected(states, state, options).await?;

    let mut reenrolled = false;
    let mut follow_ups = 0;
    loop {
        let node_key = match &state.enrollment {
            Some(enrollment) if enrollment.server_url == options.server_url => enrollment.node_key.clone(),
            _ => enroll(client, states, state, options, &inventory).await?,
        };
        state.sequence += 1;
        states.save(state)?;
        match client.report(&node_key, state.sequence, &inventory, &state.acked_sections).await {
            Ok(ack) => {
                state.acked_sections.clone_from(&ack.held);
                let again = ack.resync || !ack.missing.is_empty();
                if ack.resync {
                    state.acked_sections.clear();
                }
                for section in &ack.missing {
                    state.acked_sections.remove(section);
                }
                states.save(state)?;
                if let Err(error) = spool::clear(states) {
                    warn!(%error, "cannot empty the spool; its inventory will be sent again");
                }
                if again && follow_ups < MAX_FOLLOW_UPS {
                    follow_ups += 1;
                    info!(resync = ack.resync, missing = ?ack.missing, "server asked for sections; sending them now");
                    continue;
                }
                if !ack.stored {
                    warn!(
                        sequence = state.sequence,
                        server_sequence = ack.last_sequence,
                        "server ignored a stale report; catching up"
                    );
                }
                if ack.last_sequence > state.sequence {
                    state.sequence = ack.last_sequence;
                    states.save(state)?;
                }
                return Ok(ack);
            }
            Err(ClientError::Unauthenticated(reason)) if !reenrolled => {
                warn!(%reason, "node key refused, enrolling again");
                state.enrollment = None;
                state.acked_sections.clear();
                reenrolled = true;
            }
            Err(ClientError::Rejected(reason)) => {
                return Err(CycleError::Fatal(RunError::ReportRejected {
                    server: options.server_url.clone(),
                    reason,
                }))
            }
            Err(ClientError::Unavailable(reason)) => {
                return Err(CycleError::Retry(RunError::Client(ClientError::Unavailable(reason))))
            }
            Err(ClientError::Busy { retry_after, message }) => {
                return Err(CycleError::Busy {
                    retry_after,
                    last: ClientError::Busy { retry_after, message },
                })
            }
            Err(other) => return Err(CycleError::Fatal(RunError::Client(other))),
        }
    }
}

async fn enroll(
    client: &AgentClient,
    states: &StateDir,
    state: &mut AgentState,
    options: &RunOptions,
    inventory: &parc_model::Inventory,
) -> Result<String, CycleError> {
    let secret = options.enroll_secret.as_deref().ok_or(CycleError::Fatal(RunError::NoEnrollSecret))?;
    match client.enroll(secret, &inventory.machine_id, &inventory.hostname).await {
        Ok((device_id, node_key)) => {
            info!(device_id, server = %options.server_url, "enrolled");
            state.acked_sections.clear();
            state.enrollment = Some(Enrollment {
                server_url: options.server_url.clone(),
                device_id,
                node_key: node_key.clone(),
            });
            state.sequence = 0;
            states.save(state)?;
            Ok(node_key)
        }
        Err(ClientError::Unauthenticated(reason)) => {
            Err(CycleError::Fatal(RunError::EnrollRefused { server: options.server_url.clone(), reason }))
        }
        Err(ClientError::Unavailable(reason)) => {
            Err(CycleError::Retry(RunError::Client(ClientError::Unavailable(reason))))
        }
        Err(ClientError::Rejected(reason)) => {
            Err(CycleError::Fatal(RunError::EnrollRefused { server: options.server_url.clone(), reason }))
        }
        Err(other) => Err(CycleError::Fatal(RunError::Client(other))),
    }
}

/// The inventory to send: the spooled one when it is recent (the server
/// was away: send what was collected then, without collecting again), else
/// a fresh one, spooled before it goes out. A spool that cannot be written
/// (a full disk) does not stop the report.
async fn spooled_or_collected(
    states: &StateDir,
    state: &mut AgentState,
    options: &RunOptions,
) -> Result<parc_model::Inventory, CycleError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    match spool::load(states) {
        Ok(Some(spooled)) if spool::is_fresh(spooled.inventory.collected_at, now) => {
            info!(
                collected_at = spooled.inventory.collected_at,
                bytes = spooled.bytes,
                "sending the spooled inventory"
            );
            return Ok(spooled.inventory);
        }
        Ok(Some(spooled)) => {
            info!(
                collected_at = spooled.inventory.collected_at,
                "the spooled inventory is too old; collecting again"
            )
        }
        Ok(None) => {}
        Err(error) => {
            warn!(%error, "setting the spool aside");
            let _ = spool::clear(states);
        }
    }
    let mut inventory = collect(&options.collect, now).await;
    inventory.labels.clone_from(&options.labels);
    if inventory.machine_id.is_empty() {
        inventory.machine_id = fallback_machine_id(states, state)?;
    }
    if let Err(error) = spool::save(states, &inventory) {
        warn!(%error, "cannot spool the inventory; sending it anyway");
    }
    Ok(inventory)
}

fn fallback_machine_id(states: &StateDir, state: &mut AgentState) -> Result<String, StateError> {
    if let Some(id) = &state.fallback_machine_id {
        return Ok(id.clone());
    }
    let bytes: [u8; 16] = rand::rng().random();
    let id = hex::encode(bytes);
    warn!(machine_id = %id, "the OS has no machine id; using a generated one kept in the state directory");
    state.fallback_machine_id = Some(id.clone());
    states.save(state)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    //! The schedule on paused time: each scripted cycle records when it ran.
    use super::*;
    use rand::SeedableRng;
    use std::collections::VecDeque;
    use tokio::time::Instant;

    struct Script {
        outcomes: VecDeque<Result<ReportAck, CycleError>>,
        ran_at: Vec<Duration>,
        start: Instant,
    }

    impl Cycle for Script {
        async fn run(&mut self) -> Result<ReportAck, CycleError> {
            self.ran_at.push(self.start.elapsed());
            // When the script ends, a fatal error ends the loop.
            self.outcomes.pop_front().unwrap_or(Err(CycleError::Fatal(RunError::NoEnrollSecret)))
        }
    }

    fn ack(next_report_in: Duration) -> Result<ReportAck, CycleError> {
        Ok(ReportAck {
            device_id: 7,
            next_report_in,
            stored: true,
            last_sequence: 1,
            held: Default::default(),
            missing: Vec::new(),
            resync: false,
            unchanged: 0,
        })
    }

    fn unavailable() -> Result<ReportAck, CycleError> {
        Err(CycleError::Retry(RunError::Client(ClientError::Unavailable("connection refused".into()))))
    }

    fn busy(seconds: u64) -> Result<ReportAck, CycleError> {
        let retry_after = Duration::from_secs(seconds);
        Err(CycleError::Busy {
            retry_after,
            last: ClientError::Busy { retry_after, message: "queue full".into() },
        })
    }

    fn options(once: bool) -> RunOptions {
        RunOptions {
            server_url: "http://127.0.0.1:1".into(),
            enroll_secret: None,
            state_dir: PathBuf::new(),
            once,
            collect: Default::default(),
            retry: RetryPolicy::default(),
            ca_file: None,
            client_identity: None,
            labels: Vec::new(),
            splay: Duration::from_secs(300),
        }
    }

    /// Runs a script; the gaps between its cycles, the first from the start.
    async fn run_script(
        options: RunOptions,
        outcomes: Vec<Result<ReportAck, CycleError>>,
        seed: u64,
    ) -> (Vec<Duration>, Result<CycleOutcome, RunError>) {
        let mut script = Script { outcomes: outcomes.into(), ran_at: Vec::new(), start: Instant::now() };
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let result = drive(&options, &mut script, &mut rng).await;
        let mut previous = Duration::ZERO;
        let gaps = script
            .ran_at
            .iter()
            .map(|at| {
                let gap = *at - previous;
                previous = *at;
                gap
            })
            .collect();
        (gaps, result)
    }

    fn secs(gap: Duration) -> f64 {
        gap.as_secs_f64()
    }

    #[tokio::test(start_paused = true)]
    async fn the_service_splays_then_backs_off_obeys_the_server_and_keeps_its_interval() {
        for seed in 0..20 {
            let outcomes = vec![
                unavailable(),
                unavailable(),
                unavailable(),
                busy(30),
                ack(Duration::from_secs(3600)),
                ack(Duration::from_secs(3600)),
                Err(CycleError::Fatal(RunError::EnrollRefused {
                    server: "x".into(),
                    reason: "bad secret".into(),
                })),
            ];
            let (gaps, result) = run_script(options(false), outcomes, seed).await;
            assert!(matches!(result, Err(RunError::NoEnrollSecret)), "the script ended the loop");
            assert_eq!(gaps.len(), 8);
            // The splay: anywhere in 0..5 min.
            assert!(secs(gaps[0]) < 300.0, "splay {:?}", gaps[0]);
            // Full-jitter backoff: below a ceiling that doubles from 1 s.
            assert!(secs(gaps[1]) <= 1.0 && secs(gaps[2]) <= 2.0 && secs(gaps[3]) <= 4.0, "{gaps:?}");
            // Busy with retry-after 30 s: at least 30 s, at most twice.
            assert!((30.0..=60.0).contains(&secs(gaps[4])), "{gaps:?}");
            // The server's interval, within its 10 % jitter.
            for gap in &gaps[5..7] {
                assert!((3240.0..=3960.0).contains(&secs(*gap)), "{gaps:?}");
            }
            // A refused secret: an hour, not a tight loop.
            assert_eq!(gaps[7], Duration::from_secs(3600), "{gaps:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_splay_and_the_jitter_spread_a_fleet() {
        let mut firsts = Vec::new();
        let mut seconds = Vec::new();
        for seed in 0..200 {
            let (gaps, _) = run_script(options(false), vec![ack(Duration::from_secs(3600))], seed).await;
            firsts.push(secs(gaps[0]));
            seconds.push(secs(gaps[1]));
        }
        let spread = |v: &[f64]| {
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(
            spread(&firsts) > 240.0,
            "2000 PCs switched on at 08:30 report over minutes: {}",
            spread(&firsts)
        );
        assert!(spread(&seconds) > 500.0, "and stay spread: {}", spread(&seconds));
    }

    #[tokio::test(start_paused = true)]
    async fn once_reports_at_once_and_gives_up_after_its_tries() {
        let (gaps, result) = run_script(options(true), vec![ack(Duration::from_secs(3600))], 1).await;
        assert_eq!(gaps, vec![Duration::ZERO], "no splay for --once");
        assert_eq!(result.unwrap().device_id, 7);
        let (gaps, result) =
            run_script(options(true), vec![unavailable(), unavailable(), unavailable()], 1).await;
        assert_eq!(gaps.len(), 3);
        assert!(matches!(result, Err(RunError::GaveUp { attempts: 3, .. })), "{result:?}");
        let (_, result) = run_script(options(true), vec![busy(5), busy(5), busy(5)], 1).await;
        assert!(matches!(result, Err(RunError::GaveUp { .. })), "{result:?}");
    }
}
