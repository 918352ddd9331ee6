//! `parc`: the command line for IT ops and planners. It talks to
//! parc-server over gRPC only (never to the database), so it works from any
//! workstation that can reach the server.

mod access;
mod demo;
mod devices;
mod history;
pub(crate) mod output;
mod policy;
mod progress;
mod readiness;
mod remote;
mod review;
mod sites;
mod software;
pub mod wave_files;
mod wave_status;
pub mod waves;

use clap::{Parser, Subcommand};
pub use output::OutputFormat;
pub use remote::{CliConfig, Fleet, Remote};
use std::process::ExitCode;

/// Parc: know your workstation fleet and renew it in waves.
#[derive(Debug, Parser)]
#[command(
    name = "parc",
    version,
    after_help = "The server and token come from --server and --token, else PARC_SERVER_URL and \
                  PARC_TOKEN, else the config file ~/.config/parc/parc.toml (keys `server`, \
                  `token` and `ca_file`), else http://127.0.0.1:4750 and no token.\n\n\
                  Exit codes: 0 success, 1 error (server unreachable, refused request), \
                  2 bad command line, 3 not found, 4 no token or a token whose role is not enough."
)]
pub struct Cli {
    /// The parc-server gRPC URL [default: http://127.0.0.1:4750].
    #[arg(long, global = true, env = "PARC_SERVER_URL")]
    pub server: Option<String>,
    /// An API token (`parc tokens create`, or `parc-server token create`
    /// for the first one).
    #[arg(long, global = true, env = "PARC_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// The CA certificate of an https:// server (`ca.pem` from
    /// `parc-server gen-cert`) [default: the system's roots].
    #[arg(long, global = true, env = "PARC_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every device the server knows.
    Devices {
        /// table for people, json or csv for scripts and spreadsheets.
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        /// Only devices that have not reported for this long, such as "14d"
        /// or "36h" (a device that never reported counts from enrollment).
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        not_seen: Option<std::time::Duration>,
        /// Instead, the devices that share a serial number or SMBIOS UUID
        /// with another: a cloned image or a PC enrolled twice, to review.
        #[arg(long, conflicts_with_all = ["not_seen", "query"])]
        duplicates: bool,
        /// Only the devices this filter matches, in the query language
        /// (docs/query.md): `site:MDS-ETAMPES ram<8GB -wifi:ready
        /// software:"Lotus Notes" not-seen>14d chassis:laptop wave:3`.
        #[arg(long, short, value_name = "FILTER", default_value = "", allow_hyphen_values = true)]
        query: String,
    },
    /// Show one device: its identity and latest inventory.
    Device {
        /// A device id (as listed by `parc devices`) or a hostname.
        device: String,
        /// table for people, json for scripts (csv with --software).
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        /// List the device's installed software instead.
        #[arg(long, conflicts_with = "history")]
        software: bool,
        /// Show what changed on the device instead, newest first: software
        /// installed, upgraded or removed, RAM, disks, OS upgrades.
        #[arg(long)]
        history: bool,
    },
    /// Who has a piece of software, by version: `parc software "Lotus
    /// Notes"`. Matches any package whose name contains the text.
    Software {
        /// Part of the package name (case-insensitive).
        name: String,
        /// Only packages named exactly so.
        #[arg(long)]
        exact: bool,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Ask a device (or every device, with --all) to send a full report at
    /// its next contact instead of only what changed.
    Resync {
        /// A device id or hostname.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        device: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Sites: their WAN link and the fibre and Wi-Fi rollouts (`parc sites`
    /// lists them).
    Sites {
        #[command(subcommand)]
        command: Option<sites::SitesCommand>,
        /// For the list: table, json or csv.
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// The asset register: what agents cannot know, joined on serial numbers.
    Assets {
        #[command(subcommand)]
        command: AssetsCommand,
    },
    /// Put a device on a site by hand, overriding its subnet (or back to
    /// placement by subnet with --by-subnet).
    Assign {
        /// A device id or hostname.
        device: String,
        /// The site code.
        #[arg(long, required_unless_present = "by_subnet", conflicts_with = "by_subnet")]
        site: Option<String>,
        #[arg(long)]
        by_subnet: bool,
    },
    /// Is the fleet ready for replacement, Wi-Fi, fibre, softphones,
    /// telework and the security baseline? Counts ready / not ready /
    /// unknown per dimension and the reasons that block most PCs.
    Readiness {
        /// How to group the counts.
        #[arg(long, value_enum, default_value_t = readiness::By::Dimension)]
        by: readiness::By,
        /// How many blocking reasons to list per dimension.
        #[arg(long, default_value_t = 3)]
        top: u32,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
        /// Instead, the daily snapshots: ready PCs per dimension over time.
        #[arg(long)]
        trend: bool,
        /// With --trend: one site only.
        #[arg(long, requires = "trend")]
        site: Option<String>,
        /// With --trend: how many days back.
        #[arg(long, default_value_t = 90, requires = "trend")]
        days: u32,
    },
    /// The readiness rules' thresholds (one TOML file; defaults built in).
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
    /// Replacement waves: plan, publish, follow the rollout, export lists.
    Waves {
        #[command(subcommand)]
        command: waves::WavesCommand,
    },
    /// API tokens: who may read (viewer), plan (planner) or administer
    /// (admin). Admin only.
    Tokens {
        #[command(subcommand)]
        command: access::TokensCommand,
    },
    /// Who changed what, when: imports, site edits, plans published,
    /// rollout statuses, tokens. Admin only.
    Audit(access::AuditArgs),
    /// The name and role of the token in use.
    Whoami,
    /// Print a shell completion script: `parc completions bash >
    /// /etc/bash_completion.d/parc` (also zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Start a server on an embedded database, report this machine and a
    /// simulated fleet to it, print a summary and keep serving until Ctrl-C.
    Demo(demo::DemoArgs),
    /// Enroll and report a simulated fleet to a running server (load tests,
    /// trying Parc out on a real server).
    Sim {
        /// How many simulated PCs.
        #[arg(long, default_value_t = 2000)]
        fleet_size: usize,
        /// Same seed, same fleet.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The server's enrollment secret.
        #[arg(long, env = "PARC_ENROLL_SECRET", hide_env_values = true)]
        enroll_secret: String,
        /// Reports in flight at once.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum AssetsCommand {
    /// Import assets.csv (UTF-8, comma or semicolon): serial_number,
    /// asset_tag, purchase_date, warranty_end, assigned_user, department,
    /// teleworker. All rows or none. Unknown serials and serials that
    /// several devices share are reported, never guessed.
    Import {
        file: std::path::PathBuf,
        /// Check and show how rows meet the fleet, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// An error with the exit code scripts can rely on.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    NotFound(String),
    /// No token, an unknown one, or a role that is not enough.
    #[error("{0}")]
    Denied(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::NotFound(_) => ExitCode::from(3),
            CliError::Denied(_) => ExitCode::from(4),
            CliError::Other(_) => ExitCode::FAILURE,
        }
    }
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    if let Command::Completions { shell } = cli.command {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "parc", &mut script);
        return emit(&String::from_utf8_lossy(&script));
    }
    let remote = Remote::resolve(cli.server, cli.token, cli.ca_file)?;
    let server = &remote;
    match cli.command {
        Command::Devices { output, duplicates: true, .. } => review::duplicates(server, output).await,
        Command::Devices { output, not_seen, query, .. } => {
            devices::list(server, output, not_seen, &query).await
        }
        Command::Device { device, output, history: true, .. } => history::show(server, &device, output).await,
        Command::Device { device, output, software, .. } => {
            devices::show(server, &device, output, software).await
        }
        Command::Resync { device, all } => review::resync(server, device, all).await,
        Command::Sites { command, output } => {
            let command = command.unwrap_or(sites::SitesCommand::List { output });
            sites::run(server, command).await
        }
        Command::Assets { command: AssetsCommand::Import { file, dry_run } } => {
            sites::import_assets(server, &file, dry_run).await
        }
        Command::Assign { device, site, .. } => sites::assign(server, device, site).await,
        Command::Readiness { by, top, output, trend, site, days } => {
            readiness::readiness(server, readiness::ReadinessArgs { by, top, output, trend, site, days })
                .await
        }
        Command::Policy { command } => policy::policy(server, command).await,
        Command::Waves { command } => waves::run(server, command).await,
        Command::Software { name, exact, output } => software::software(server, name, exact, output).await,
        Command::Tokens { command } => access::tokens(server, command).await,
        Command::Audit(args) => access::audit(server, args).await,
        Command::Whoami => access::whoami(server).await,
        Command::Completions { .. } => Ok(()),
        Command::Demo(args) => demo::run(args).await.map_err(CliError::Other),
        Command::Sim { fleet_size, seed, enroll_secret, concurrency } => {
            let pcs = crate::sim::fleet::generate(seed, fleet_size, crate::now_unix());
            let started = std::time::Instant::now();
            let summary = crate::sim::driver::drive(&server.url, &enroll_secret, pcs, concurrency)
                .await
                .map_err(|e| CliError::Other(e.into()))?;
            println!(
                "{} simulated PCs reported, {} failed, in {:.1} s",
                summary.reported,
                summary.failed,
                started.elapsed().as_secs_f64()
            );
            match summary.first_error {
                Some(error) => Err(CliError::Other(anyhow::anyhow!("first failure: {error}"))),
                None => Ok(()),
            }
        }
    }
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (write it like 14d, 36h or 90m)"))
}

/// Writes command output to stdout. A closed pipe (`parc devices | head`)
/// ends the output quietly instead of crashing.
pub fn emit(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(CliError::Other(anyhow::Error::from(e).context("cannot write to standard output")))
        }
        _ => Ok(()),
    }
}

/// A FleetService client for `server`; the connection is made on first use.
pub fn fleet_client(server: &Remote) -> anyhow::Result<Fleet> {
    server.fleet()
}

/// Turns a gRPC status into a message that says which server and why.
pub fn status_error(server: &Remote, status: tonic::Status) -> CliError {
    let message = parc_proto::status_text(&status);
    match status.code() {
        tonic::Code::NotFound => CliError::NotFound(message),
        tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => {
            CliError::Denied(format!("{server} refused: {message}"))
        }
        tonic::Code::Unavailable => {
            CliError::Other(anyhow::anyhow!("cannot reach parc-server at {server}: {message}"))
        }
        code => CliError::Other(anyhow::anyhow!("{server} answered {code:?}: {message}")),
    }
}
