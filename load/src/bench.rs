//! The ingest benchmark: the same load against parc-server and against the
//! no-op baseline on the same machine, each in its own process, with the
//! ratios the targets are stated in. The baseline runs twice, before and
//! after parc-server, and the ratios take the mean of the two: on a shared
//! host the machine's speed drifts over the minutes a run takes, and a
//! baseline on one side only carried that drift into the ratio.

use crate::drive::{self, LoadOptions};
use crate::stats::{percentile, Phase};
use parc_proto::pb::ListDevicesRequest;
use rand::Rng;
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub load: LoadOptions,
    pub write_queue: usize,
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub devices: u64,
    pub server: Vec<Phase>,
    /// The no-op baseline, run before parc-server and after it.
    pub baseline_before: Vec<Phase>,
    pub baseline_after: Vec<Phase>,
    pub full_ratio: f64,
    pub delta_ratio: f64,
    pub server_peak_rss_mib: f64,
    pub db_bytes: u64,
    pub db_bytes_per_device: u64,
    /// The first call on a new connection (TCP, HTTP/2, the token's
    /// check): kept apart so that the page figures are the pages'.
    pub first_call_ms: f64,
    pub filtered_page_p50_ms: f64,
    pub filtered_page_p99_ms: f64,
}

/// A child process whose stderr (or stdout) announces its address.
struct Process {
    child: Child,
}

impl Process {
    fn start(
        mut command: Command,
        announce: &str,
        field: &str,
        log: &Path,
    ) -> anyhow::Result<(Process, String)> {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn()?;
        let stderr = child.stderr.take().ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let (found, wait) = std::sync::mpsc::channel::<String>();
        for stream in [Box::new(stderr) as Box<dyn std::io::Read + Send>, Box::new(stdout)] {
            let found = found.clone();
            let announce = announce.to_string();
            let mut log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
            std::thread::spawn(move || {
                use std::io::Write;
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if line.contains(&announce) {
                        let _ = found.send(line.clone());
                    }
                    let _ = writeln!(log, "{line}");
                }
            });
        }
        let line = wait
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| anyhow::anyhow!("no {announce:?} line in 30 s; see {}", log.display()))?;
        let address = line
            .split_whitespace()
            .find_map(|word| word.strip_prefix(field))
            .ok_or_else(|| anyhow::anyhow!("no {field} in {line:?}"))?
            .to_string();
        Ok((Process { child }, address))
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (VmHWM), in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    }

    fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status()?;
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        anyhow::bail!("process {} did not stop on SIGTERM within a minute", self.pid())
    }
}

fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(name);
    anyhow::ensure!(
        path.exists(),
        "{} not found next to {}; build both: cargo build --release -p parc-server -p parc-load",
        path.display(),
        exe.display()
    );
    Ok(path)
}

pub async fn run(options: BenchOptions) -> anyhow::Result<BenchReport> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("bench.db");
    let log = dir.path().join("processes.log");

    // A viewer token for the filtered-page timing, made before the server
    // opens the database.
    let token = parc_server::access::new_token_secret();
    parc_server::storage::Storage::open(&db)?.create_token(
        "bench",
        parc_server::access::Role::Viewer,
        &parc_server::access::token_hash(&token),
        &parc_server::access::Actor::local("parc-load"),
        parc_server::now_unix(),
    )?;
    let baseline_before = run_baseline(&options, &log).await?;

    let mut command = Command::new(sibling_binary("parc-server")?);
    command
        .args(["serve", "--db"])
        .arg(&db)
        .args(["--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--report-interval", "1h"])
        .args(["--write-queue", &options.write_queue.to_string()])
        .env("PARC_ENROLL_SECRET", &options.load.enroll_secret)
        .env("RUST_LOG", "warn,parc_server=info");
    let (server, address) = Process::start(command, "parc-server listening", "address=", &log)?;
    let url = format!("http://{address}");
    eprintln!("parc-server on {url}: {} devices, {} rounds", options.load.devices, options.load.rounds);
    let load = LoadOptions { server: url.clone(), server_pid: Some(server.pid()), ..options.load.clone() };
    let served = drive::run(&load).await?;
    let (first_call_ms, filtered_page_p50_ms, filtered_page_p99_ms) =
        filtered_page_latency(&url, &token, options.load.devices).await?;
    let server_peak_rss_mib = server.peak_rss_mib();
    server.stop()?;
    let db_bytes = [db.clone(), PathBuf::from(format!("{}-wal", db.display()))]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum::<u64>();

    let baseline_after = run_baseline(&options, &log).await?;

    let rate = |phases: &[Phase], name: &str| {
        phases.iter().find(|p| p.name.starts_with(name)).map_or(0.0, |p| p.per_second)
    };
    let ratio = |name: &str| {
        let base = (rate(&baseline_before, name) + rate(&baseline_after, name)) / 2.0;
        if base > 0.0 {
            rate(&served.phases, name) / base
        } else {
            0.0
        }
    };
    Ok(BenchReport {
        devices: options.load.devices,
        full_ratio: ratio("full"),
        delta_ratio: ratio("delta"),
        server: served.phases,
        baseline_before,
        baseline_after,
        server_peak_rss_mib,
        db_bytes,
        db_bytes_per_device: db_bytes / options.load.devices.max(1),
        first_call_ms,
        filtered_page_p50_ms,
        filtered_page_p99_ms,
    })
}

/// The same load against a fresh no-op server of its own.
async fn run_baseline(options: &BenchOptions, log: &Path) -> anyhow::Result<Vec<Phase>> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["noop-server", "--listen", "127.0.0.1:0"]);
    let (noop, address) = Process::start(command, "noop listening", "address=", log)?;
    eprintln!("no-op baseline on http://{address}");
    let load = LoadOptions {
        server: format!("http://{address}"),
        server_pid: Some(noop.pid()),
        ..options.load.clone()
    };
    let baseline = drive::run(&load).await?;
    noop.stop()?;
    Ok(baseline.phases)
}

/// Pages of 100 devices not seen for a second (so all of them match and the
/// count covers the whole table), from random places in the list: the
/// first call's time, then the pages' p50 and p99, in milliseconds.
async fn filtered_page_latency(url: &str, token: &str, devices: u64) -> anyhow::Result<(f64, f64, f64)> {
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mut client = parc_server::cli::Remote::new(url, Some(token.to_string())).fleet()?;
    // The connection is opened by a call that reads no device, so that its
    // setup (TCP, HTTP/2) is not counted as the first page's.
    let started = Instant::now();
    client.who_am_i(parc_proto::pb::WhoAmIRequest {}).await?;
    let first_call_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut micros = Vec::new();
    for _ in 0..50 {
        let after = rand::rng().random_range(0..devices.max(1));
        let started = Instant::now();
        let page = client
            .list_devices(ListDevicesRequest {
                page_size: 100,
                page_token: after.to_string(),
                not_seen_for_seconds: 1,
                query: String::new(),
            })
            .await?
            .into_inner();
        micros.push(u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX));
        anyhow::ensure!(page.total_count == devices, "the filter matched {} of {devices}", page.total_count);
    }
    micros.sort_unstable();
    Ok((first_call_ms, percentile(&micros, 50.0), percentile(&micros, 99.0)))
}

pub fn print(report: &BenchReport) {
    println!("Ingest benchmark, {} simulated devices", report.devices);
    println!(
        "{:<22} {:>10} {:>8} {:>8} {:>8} {:>9} {:>5} {:>10} {:>10} {:>8}",
        "phase",
        "reports/s",
        "seconds",
        "p50 ms",
        "p99 ms",
        "bytes/req",
        "busy",
        "server cpu",
        "of it, writer",
        "load cpu"
    );
    for (label, phases) in [
        ("no-op baseline, before", &report.baseline_before),
        ("parc-server", &report.server),
        ("no-op baseline, after", &report.baseline_after),
    ] {
        println!("{label}");
        for p in phases.iter() {
            println!(
                "  {:<20} {:>10.0} {:>8.1} {:>8.1} {:>8.1} {:>9} {:>5} {:>7.2} ms {:>10} {:>5.2} ms",
                p.name,
                p.per_second,
                p.seconds,
                p.p50_ms,
                p.p99_ms,
                p.mean_bytes,
                p.busy_answers,
                p.server_cpu_ms_per_report.unwrap_or(0.0),
                p.writer_cpu_ms_per_report.map_or_else(|| "-".to_string(), |ms| format!("{ms:.3} ms")),
                p.load_cpu_ms_per_report
            );
        }
    }
    println!("cpu columns: CPU time per report of the server (or no-op), of its writer thread, and of this load tool,");
    println!("which share the machine's cores: the ratios below are bounded by the load tool's cost.");
    println!("ratios: parc-server's rate to the mean of the two baselines' rates");
    println!("full reports:  {:.0}% of the baseline rate (target at least 50%)", report.full_ratio * 100.0);
    println!("delta reports: {:.0}% of the baseline rate (target at least 80%)", report.delta_ratio * 100.0);
    println!("server peak RSS: {:.0} MiB (target at most 300 MiB)", report.server_peak_rss_mib);
    println!(
        "database: {} bytes, {} bytes per device (target at most 20 KB)",
        report.db_bytes, report.db_bytes_per_device
    );
    println!(
        "filtered page of 100 devices: p50 {:.1} ms, p99 {:.1} ms (target under 50 ms); \
         before them, the connection's first call: {:.1} ms",
        report.filtered_page_p50_ms, report.filtered_page_p99_ms, report.first_call_ms
    );
}
