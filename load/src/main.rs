//! `parc-load`: drives simulated agents against a server from its own
//! process, serves the no-op baseline, and runs the ingest benchmark.

mod bench;
mod drive;
mod noop;
mod plan_bench;
mod readiness_bench;
mod stats;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The same allocator as parc-server, so that the no-op baseline (this
/// binary) and the server differ only in their handlers.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Load tool and ingest benchmark for parc-server.
#[derive(Parser)]
#[command(name = "parc-load", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Load {
    /// Simulated devices.
    #[arg(long, default_value_t = 2000)]
    devices: u64,
    /// Reports in flight at once.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// HTTP/2 connections the simulated agents share.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Report rounds: the first sends full reports, the others deltas.
    #[arg(long, default_value_t = 2)]
    rounds: u32,
    /// Seed of the simulated fleet.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, env = "PARC_ENROLL_SECRET", default_value = "parc-load-enroll-secret")]
    enroll_secret: String,
}

#[derive(Subcommand)]
enum Command {
    /// Drive simulated agents against a running server and print the rates.
    Run {
        #[arg(long, default_value = parc_proto::DEFAULT_SERVER_URL)]
        server: String,
        #[command(flatten)]
        load: Load,
        /// Append "hostname sequence" for every acknowledged report.
        #[arg(long)]
        acked_log: Option<PathBuf>,
    },
    /// Serve the no-op AgentService (the benchmark's baseline).
    NoopServer {
        #[arg(long, default_value = "127.0.0.1:4760")]
        listen: std::net::SocketAddr,
    },
    /// Drive the same load against the no-op baseline, parc-server, then the
    /// baseline again (each started here), and print the figures with the
    /// ratios to the mean of the two baselines.
    Bench {
        #[command(flatten)]
        load: Load,
        /// parc-server's write queue.
        #[arg(long, default_value_t = 1024)]
        write_queue: usize,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Time the readiness rules on N simulated PCs (and, with --db, the
    /// server's whole readiness path on a database no server has open).
    Readiness {
        #[arg(long, default_value_t = 100_000)]
        devices: u64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Timed passes; the best is printed.
        #[arg(long, default_value_t = 3)]
        repeat: u32,
        #[arg(long)]
        db: Option<PathBuf>,
    },
    /// Time the wave planner on N candidates over S sites, and compare its
    /// site visits with a greedy baseline's on the same input.
    Plan {
        #[arg(long, default_value_t = 100_000)]
        devices: u64,
        #[arg(long, default_value_t = 500)]
        sites: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value_t = 3)]
        repeat: u32,
    },
}

fn load_options(server: String, load: Load, acked_log: Option<PathBuf>) -> drive::LoadOptions {
    drive::LoadOptions {
        server,
        enroll_secret: load.enroll_secret,
        devices: load.devices,
        seed: load.seed,
        concurrency: load.concurrency,
        connections: load.connections,
        rounds: load.rounds,
        acked_log,
        now: parc_server::now_unix(),
        server_pid: None,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Run { server, load, acked_log } => {
            let result = drive::run(&load_options(server, load, acked_log)).await?;
            println!("{}", serde_json::to_string_pretty(&result.phases)?);
        }
        Command::Readiness { devices, seed, repeat, db } => {
            readiness_bench::run(devices, seed, repeat, db.as_deref())?
        }
        Command::Plan { devices, sites, seed, repeat } => plan_bench::run(devices, sites, seed, repeat)?,
        Command::NoopServer { listen } => {
            let listener = tokio::net::TcpListener::bind(listen).await?;
            eprintln!("noop listening address={}", listener.local_addr()?);
            noop::serve(listener).await?;
        }
        Command::Bench { load, write_queue, json } => {
            let options = bench::BenchOptions { load: load_options(String::new(), load, None), write_queue };
            let report = bench::run(options).await?;
            bench::print(&report);
            if let Some(path) = json {
                std::fs::write(path, serde_json::to_string_pretty(&report)?)?;
            }
        }
    }
    Ok(())
}
