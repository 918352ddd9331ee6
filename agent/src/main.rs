//! `parc-agent`: the endpoint agent's command line. Parses arguments, sets
//! up logging and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use parc_agent::collect::{collect, CollectOptions};
use parc_agent::config::{default_config_path, AgentConfig, ConfigFile, Overrides};
use parc_agent::runner::{run, RetryPolicy, RunOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[cfg(windows)]
mod service;

/// Parc endpoint agent: reports this PC's hardware and software to a
/// parc-server. It only reports; it never runs anything the server sends.
#[derive(Parser)]
#[command(name = "parc-agent", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print this machine's inventory as JSON, without talking to any server.
    Collect {
        /// json for people and scripts; protobuf is exactly what a report
        /// carries on the wire (for measuring and debugging).
        #[arg(long, value_enum, default_value_t = CollectOutput::Json)]
        output: CollectOutput,
        /// Read Linux files under this root instead of / (for tests).
        #[arg(long, default_value = "/", hide = true)]
        root: PathBuf,
    },
    /// Enroll once, then report at the interval the server asks for.
    Run {
        /// The configuration file [default: /etc/parc/agent.toml, or
        /// C:\ProgramData\Parc\agent.toml]. Flags and environment win over it.
        #[arg(long, env = "PARC_AGENT_CONFIG")]
        config: Option<PathBuf>,
        /// The parc-server gRPC URL [default: http://127.0.0.1:4750].
        #[arg(long, env = "PARC_SERVER_URL")]
        server: Option<String>,
        /// The fleet's enrollment secret; needed only until enrolled.
        #[arg(long, env = "PARC_ENROLL_SECRET", hide_env_values = true)]
        enroll_secret: Option<String>,
        /// Where the node key and report state are kept [default:
        /// /var/lib/parc-agent, or C:\ProgramData\Parc\state].
        #[arg(long, env = "PARC_STATE_DIR")]
        state_dir: Option<PathBuf>,
        /// Report once and exit (for scripts and tests): 0 when the report
        /// was stored, 1 otherwise.
        #[arg(long)]
        once: bool,
        /// The first report waits a random time up to this, such as "2m"
        /// (the default) or "0s", so PCs switched on together spread out.
        #[arg(long, env = "PARC_SPLAY")]
        splay: Option<String>,
    },
    /// Run as the Windows service (the Service Control Manager starts it
    /// so; the installer registers it). Logs go to STATE_DIR\agent.log.
    Service {
        /// The configuration file [default: C:\ProgramData\Parc\agent.toml].
        #[arg(long, env = "PARC_AGENT_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum CollectOutput {
    Json,
    Protobuf,
}

fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Service { config } = cli.command {
        return match service(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        };
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(execute(cli.command));
    // A collector that timed out may still sit in a system call (a stuck
    // WMI query): do not wait for it on the way out.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Collect { output, root } => {
            let options = CollectOptions { root, ..CollectOptions::default() };
            let inventory = collect(&options, now_unix()).await;
            let bytes = match output {
                CollectOutput::Json => {
                    let mut text =
                        serde_json::to_string_pretty(&inventory).context("cannot encode the inventory")?;
                    text.push('\n');
                    text.into_bytes()
                }
                CollectOutput::Protobuf => {
                    prost::Message::encode_to_vec(&parc_proto::convert::report_inventory_to_wire(&inventory))
                }
            };
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&bytes).and_then(|()| stdout.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(e).context("cannot write the inventory")
                }
                _ => Ok(()),
            }
        }
        Command::Run { config, server, enroll_secret, state_dir, once, splay } => {
            let options =
                run_options(config, Overrides { server_url: server, enroll_secret, state_dir, splay }, once)?;
            tokio::select! {
                outcome = run(&options) => {
                    let ack = outcome?;
                    tracing::info!(device_id = ack.device_id, stored = ack.stored, "report done");
                    Ok(())
                }
                () = shutdown_signal() => {
                    tracing::info!("stopping");
                    Ok(())
                }
            }
        }
        // Handled in main, before logging and the runtime.
        Command::Service { config } => service(config),
    }
}

/// The loop's options from the config file (the default one when not
/// named) and the flags and environment on top.
fn run_options(config: Option<PathBuf>, overrides: Overrides, once: bool) -> anyhow::Result<RunOptions> {
    let (path, named) = match config {
        Some(path) => (path, true),
        None => (default_config_path(), false),
    };
    let file = ConfigFile::load(&path, named)?;
    let config = AgentConfig::resolve(file, overrides)?;
    Ok(RunOptions {
        server_url: config.server_url,
        enroll_secret: config.enroll_secret,
        state_dir: config.state_dir,
        once,
        collect: CollectOptions { section_timeout: config.section_timeout, ..CollectOptions::default() },
        retry: RetryPolicy::default(),
        ca_file: config.ca_file,
        splay: config.splay,
    })
}

/// The Windows service: logs to a file in the state directory (a service
/// has no console), then hands over to the Service Control Manager.
#[cfg(windows)]
fn service(config: Option<PathBuf>) -> anyhow::Result<()> {
    let options = run_options(config, Overrides::default(), false)?;
    std::fs::create_dir_all(&options.state_dir)
        .with_context(|| format!("cannot create {}", options.state_dir.display()))?;
    let log = options.state_dir.join("agent.log");
    // One older log is kept: the file never grows past twice this.
    if std::fs::metadata(&log).map(|m| m.len() > 4 << 20).unwrap_or(false) {
        let _ = std::fs::rename(&log, options.state_dir.join("agent.log.old"));
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("cannot open {}", log.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .init();
    service::run_as_service(options)
}

#[cfg(not(windows))]
fn service(_config: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("`parc-agent service` is the Windows service; on Linux systemd runs `parc-agent run`")
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
