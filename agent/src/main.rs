//! `parc-agent`: the endpoint agent's command line. Parses arguments, sets
//! up logging and hands over to the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use parc_agent::collect::{collect, CollectOptions};
use parc_agent::config::{configure, default_config_path, AgentConfig, ConfigFile, Overrides};
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
    /// Write the configuration file from the values given, keeping every
    /// key not given (or given empty): what the Windows installer runs with
    /// its SERVER_URL, ENROLL_SECRET and CA_FILE, so an upgrade without them
    /// keeps the configuration. Changes nothing when the result is not
    /// valid. On Windows it also sets the service's restart-on-failure.
    Configure {
        /// The configuration file [default: /etc/parc/agent.toml, or
        /// C:\ProgramData\Parc\agent.toml].
        #[arg(long, env = "PARC_AGENT_CONFIG")]
        config: Option<PathBuf>,
        /// The parc-server gRPC URL, such as https://parc.example.org:4750.
        #[arg(long)]
        server_url: Option<String>,
        /// The fleet's enrollment secret.
        #[arg(long)]
        enroll_secret: Option<String>,
        /// The CA certificate (PEM) of a server with a private CA.
        #[arg(long)]
        ca_file: Option<String>,
        /// This agent's certificate (PEM), for a server that asks for one.
        #[arg(long)]
        client_cert: Option<String>,
        /// The private key (PEM) of --client-cert.
        #[arg(long)]
        client_key: Option<String>,
        /// Labels sent with every report, separated by commas or
        /// semicolons: "pilot,MDS-ETAMPES" (the MSI's TAGS).
        #[arg(long)]
        labels: Option<String>,
    },
    /// Show what this agent holds: its enrollment, the sections the server
    /// confirmed, and the inventory waiting in the spool. Exits 1 when the
    /// state or the spool is damaged.
    Status {
        /// The configuration file, to find the state directory.
        #[arg(long, env = "PARC_AGENT_CONFIG")]
        config: Option<PathBuf>,
        /// The state directory [default: from the configuration].
        #[arg(long, env = "PARC_STATE_DIR")]
        state_dir: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = StatusOutput::Text)]
        output: StatusOutput,
    },
    /// Run as the Windows service (the Service Control Manager starts it
    /// so; the installer registers it). Logs go to STATE_DIR\agent.log.
    Service {
        /// The configuration file [default: C:\ProgramData\Parc\agent.toml].
        #[arg(long, env = "PARC_AGENT_CONFIG")]
        config: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum StatusOutput {
    Text,
    Json,
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
        Command::Configure {
            config,
            server_url,
            enroll_secret,
            ca_file,
            client_cert,
            client_key,
            labels,
        } => {
            let path = config.unwrap_or_else(default_config_path);
            // An installer passes every property, empty when not set.
            let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
            let changes = ConfigFile {
                server_url: given(server_url),
                enroll_secret: given(enroll_secret),
                ca_file: given(ca_file).map(PathBuf::from),
                client_cert: given(client_cert).map(PathBuf::from),
                client_key: given(client_key).map(PathBuf::from),
                labels: given(labels).map(|list| {
                    list.split([',', ';'])
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(String::from)
                        .collect()
                }),
                ..ConfigFile::default()
            };
            let config =
                configure(&path, changes).with_context(|| format!("{} is unchanged", path.display()))?;
            tracing::info!(path = %path.display(), server = %config.server_url, "configuration written");
            #[cfg(windows)]
            match service::set_recovery() {
                Ok(()) => tracing::info!(service = service::SERVICE_NAME, "restart on failure set"),
                Err(error) => tracing::warn!(%error, "service recovery not set"),
            }
            Ok(())
        }
        Command::Status { config, state_dir, output } => {
            let options = run_options(config, Overrides { state_dir, ..Overrides::default() }, true)?;
            status(&options.state_dir, output)
        }
        // Handled in main, before logging and the runtime.
        Command::Service { config } => service(config),
    }
}

/// `parc-agent status`: reads the state directory, changes nothing.
fn status(state_dir: &std::path::Path, output: StatusOutput) -> anyhow::Result<()> {
    use parc_agent::{spool, state::StateDir};
    // Reading only: a directory that does not exist is an agent that never ran.
    let states = StateDir::existing(state_dir);
    let state = states.load()?;
    let spooled = spool::load(&states)?;
    if output == StatusOutput::Json {
        let value = serde_json::json!({
            "state_dir": state_dir,
            "enrollment": state.enrollment.as_ref().map(|e| serde_json::json!({
                "server_url": e.server_url, "device_id": e.device_id,
            })),
            "sequence": state.sequence,
            "sections_held": state.acked_sections.keys().collect::<Vec<_>>(),
            "spool": spooled.as_ref().map(|s| serde_json::json!({
                "collected_at": s.inventory.collected_at,
                "bytes": s.bytes,
                "software": s.inventory.software.as_ref().map(Vec::len),
            })),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("state directory  {}", state_dir.display());
    match &state.enrollment {
        Some(e) => println!("enrolled         device {} on {}", e.device_id, e.server_url),
        None => println!("enrolled         no"),
    }
    println!("last sequence    {}", state.sequence);
    println!(
        "sections held    {} (the next report leaves them out while they stay the same)",
        state.acked_sections.len()
    );
    match spooled {
        None => println!("spool            empty (the server has the last inventory)"),
        Some(s) => {
            let age = now_unix().saturating_sub(s.inventory.collected_at).max(0).unsigned_abs();
            println!(
                "spool            one inventory, {} bytes, collected {} ago, waiting to be sent",
                s.bytes,
                humantime::format_duration(std::time::Duration::from_secs(age))
            );
        }
    }
    Ok(())
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
        client_identity: config.client_identity,
        labels: config.labels,
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
