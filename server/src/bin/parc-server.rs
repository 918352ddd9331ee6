//! `parc-server`: the central server. `serve` runs it; the other
//! subcommands are offline administration on the database file.

use anyhow::Context;
use clap::{Parser, Subcommand};
use parc_server::access::{Actor, Role};
use parc_server::config::{ConfigFile, Overrides, ServeConfig};
use parc_server::grpc::{serve_with_tls, AppState};
use parc_server::storage::Storage;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc rather than glibc's malloc: a report allocates and frees
/// thousands of small strings on several threads, where glibc spends a
/// large share of the time consolidating its free lists.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parc server: receives agents' reports, stores the fleet in an embedded
/// SQLite database and answers `parc` and the gRPC API.
#[derive(Parser)]
#[command(name = "parc-server", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// A TOML file with any of: db, listen, http_listen, write_queue,
        /// enroll_secret, report_interval, policy.
        #[arg(long, env = "PARC_CONFIG")]
        config: Option<PathBuf>,
        /// The SQLite database file (created if missing).
        #[arg(long, env = "PARC_DB")]
        db: Option<PathBuf>,
        /// gRPC address [default: 127.0.0.1:4750]. Listening beyond loopback
        /// is for TLS deployments (see docs).
        #[arg(long, env = "PARC_LISTEN")]
        listen: Option<SocketAddr>,
        /// HTTP address for /metrics [default: 127.0.0.1:4751].
        #[arg(long, env = "PARC_HTTP_LISTEN")]
        http_listen: Option<SocketAddr>,
        /// Reports waiting to be written before new ones are told to retry
        /// later [default: 1024].
        #[arg(long, env = "PARC_WRITE_QUEUE")]
        write_queue: Option<usize>,
        /// The secret agents present to enroll. No default, on purpose.
        #[arg(long, env = "PARC_ENROLL_SECRET", hide_env_values = true)]
        enroll_secret: Option<String>,
        /// How often agents report, such as "1h" or "30m" [default: 1h].
        #[arg(long, env = "PARC_REPORT_INTERVAL")]
        report_interval: Option<String>,
        /// The readiness policy (TOML; `parc policy show --defaults` prints
        /// one to start from) [default: the built-in thresholds].
        #[arg(long, env = "PARC_POLICY")]
        policy: Option<PathBuf>,
        /// PEM certificate chain for both ports; with --tls-key, the server
        /// speaks TLS only. Needed to listen beyond loopback.
        #[arg(long, env = "PARC_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's PEM private key.
        #[arg(long, env = "PARC_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// The CA (PEM) that signs agents' client certificates: agents must
        /// then show one to enroll and report (mutual TLS). People using
        /// `parc` and the dashboard still sign in with tokens.
        #[arg(long, env = "PARC_AGENT_CA_FILE", requires = "tls_cert")]
        agent_ca_file: Option<PathBuf>,
    },
    /// Make a private CA and a server certificate for a first install:
    /// DIR/ca.pem (give it to agents and IT ops' workstations),
    /// DIR/server.pem and DIR/server.key (for tls_cert and tls_key).
    GenCert {
        /// Where to write the three files.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// A name or IP address clients use to reach the server; repeat for
        /// each (parc.example.fr, 10.1.0.5, localhost).
        #[arg(long = "host", required = true)]
        hosts: Vec<String>,
        /// Also DIR/agent.pem and DIR/agent.key: a client certificate for
        /// agents (client_cert, client_key), signed by the same CA, for a
        /// server started with agent_ca_file = ca.pem.
        #[arg(long)]
        agent_cert: bool,
    },
    /// Copy the database to FILE while the server runs (SQLite's online
    /// backup: one consistent snapshot, checked before it replaces FILE).
    Backup {
        #[arg(long, env = "PARC_DB")]
        db: PathBuf,
        /// Where to write the copy; an earlier file there is replaced.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the database with a backup. Stop the server first: restore
    /// refuses while anything has the database open. The replaced file is
    /// kept as <db>.before-restore.
    Restore {
        #[arg(long, env = "PARC_DB")]
        db: PathBuf,
        /// The backup file, as written by `parc-server backup`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Revoke a device's node key: its reports are refused from now on and
    /// its data is kept. Works while the server runs.
    Revoke {
        #[arg(long, env = "PARC_DB")]
        db: PathBuf,
        /// The device id, as `parc devices` lists it.
        device_id: u64,
    },
    /// API tokens, on the database file: the first admin token of a new
    /// install (later ones with `parc tokens create`). Works while the
    /// server runs.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make a token and print its secret, once.
    Create {
        #[arg(long, env = "PARC_DB")]
        db: PathBuf,
        /// Who or what it is for ("marie.dupont", "grafana").
        #[arg(long)]
        name: String,
        /// viewer (read), planner (waves, statuses, exports) or admin
        /// (imports, tokens, audit).
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Revoke a token by id or name.
    Revoke {
        #[arg(long, env = "PARC_DB")]
        db: PathBuf,
        token: String,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| format!("{text:?} is not a role: give viewer, planner or admin"))
}

fn main() -> ExitCode {
    parc_server::init_logging("info");
    let cli = Cli::parse();
    parc_server::block_on_main(execute(cli.command), |_| ExitCode::FAILURE)
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            config,
            db,
            listen,
            http_listen,
            write_queue,
            enroll_secret,
            report_interval,
            policy,
            tls_cert,
            tls_key,
            agent_ca_file,
        } => {
            let file = match &config {
                Some(path) => ConfigFile::load(path)?,
                None => ConfigFile::default(),
            };
            let config = ServeConfig::resolve(
                file,
                Overrides {
                    db,
                    listen,
                    http_listen,
                    write_queue,
                    enroll_secret,
                    report_interval,
                    policy,
                    tls_cert,
                    tls_key,
                    agent_ca_file,
                },
            )?;
            let storage = Arc::new(Storage::open_with_queue(&config.db, config.write_queue)?);
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let http_listener = tokio::net::TcpListener::bind(config.http_listen)
                .await
                .with_context(|| format!("cannot listen on {} (http_listen)", config.http_listen))?;
            let address = listener.local_addr()?;
            let http_address = http_listener.local_addr()?;
            let tls = config.tls.is_some();
            // Before saying so: from then on, a SIGTERM means a clean stop.
            let shutdown = parc_server::shutdown_signal();
            tracing::info!(%address, %http_address, tls, db = %config.db.display(), "parc-server listening");
            // The policy `parc policy set` stored outranks `--policy`.
            let file_given = config.policy_source.clone();
            let (policy, policy_source) = parc_server::policy::at_start(
                storage.stored_policy()?,
                config.policy,
                config.policy_source,
            )
            .context("the readiness policy stored in the database (by `parc policy set`) does not read with this version")?;
            tracing::info!(origin = policy_source.origin(), "readiness policy");
            if let (Some(file), parc_server::policy::PolicySource::Stored { .. }) =
                (&file_given, &policy_source)
            {
                tracing::warn!(
                    file = %file.display(),
                    "the policy file is not in force: the one stored by `parc policy set` outranks it \
                     (`parc policy set FILE` puts a file in force)"
                );
            }
            let mut state = AppState::new(storage, &config.enroll_secret, config.report_interval)
                .with_policy(policy, policy_source);
            state.tls = tls;
            state.agents_need_certificate =
                config.tls.as_ref().is_some_and(|t| t.asks_agents_for_certificates());
            let state = Arc::new(state);
            let grpc_tls = config.tls.as_ref().map(|identity| identity.tonic());
            let http_tls = config.tls.as_ref().map(|identity| identity.rustls_config()).transpose()?;
            let (stop, stopped) = tokio::sync::watch::channel(false);
            let snapshots =
                tokio::spawn(parc_server::readiness::take_daily_snapshots(state.clone(), stopped.clone()));
            let http = tokio::spawn(parc_server::http::serve_with_tls(
                http_listener,
                state.clone(),
                http_tls,
                async move {
                    let mut stopped = stopped;
                    let _ = stopped.wait_for(|stop| *stop).await;
                },
            ));
            let grpc =
                serve_with_tls(listener, state, grpc_tls, shutdown).await.context("gRPC server failed");
            let _ = stop.send(true);
            let _ = snapshots.await;
            http.await.context("HTTP server task failed")?.context("HTTP server failed")?;
            grpc?;
            tracing::info!("parc-server stopped");
            Ok(())
        }
        Command::GenCert { dir, hosts, agent_cert } => {
            let year = 1970 + (parc_server::now_unix().div_euclid(86_400) * 400 / 146_097) as i32;
            let made = parc_server::tls::generate(&dir, &hosts, year, agent_cert)?;
            println!("wrote {} (give it to agents and parc users: ca_file)", made.ca.display());
            println!(
                "wrote {} and {} (tls_cert and tls_key of parc-server)",
                made.cert.display(),
                made.key.display()
            );
            if let Some((cert, key)) = &made.agent {
                println!(
                    "wrote {} and {} (client_cert and client_key of agents; agent_ca_file of parc-server: {})",
                    cert.display(),
                    key.display(),
                    made.ca.display()
                );
            }
            println!("valid for: {}", hosts.join(", "));
            Ok(())
        }
        Command::Backup { db, to } => {
            let summary = parc_server::storage::backup(&db, &to)?;
            println!(
                "backed up {} devices ({} bytes, schema {}) to {}",
                summary.devices,
                summary.bytes,
                summary.schema_version,
                to.display()
            );
            Ok(())
        }
        Command::Restore { db, from } => {
            let summary = parc_server::storage::restore(&from, &db)?;
            println!(
                "restored {} devices from {} into {}; the previous database is kept as {}.before-restore",
                summary.devices,
                from.display(),
                db.display(),
                db.display()
            );
            Ok(())
        }
        Command::Revoke { db, device_id } => {
            let storage = Storage::open(&db)?;
            if storage.revoke(device_id, &Actor::local("parc-server"), parc_server::now_unix())? {
                println!("device {device_id} revoked");
                Ok(())
            } else {
                anyhow::bail!("no live device with id {device_id} in {}", db.display())
            }
        }
        Command::Token { command: TokenCommand::Create { db, name, role } } => {
            let name = parc_server::access::check_token_name(&name).map_err(anyhow::Error::msg)?;
            let storage = Storage::open(&db)?;
            let secret = parc_server::access::new_token_secret();
            let token = storage.create_token(
                &name,
                role,
                &parc_server::access::token_hash(&secret),
                &Actor::local("parc-server"),
                parc_server::now_unix(),
            )?;
            eprintln!(
                "token {} {:?} ({}) created; its secret, shown only now:",
                token.id, token.name, token.role
            );
            println!("{secret}");
            Ok(())
        }
        Command::Token { command: TokenCommand::Revoke { db, token } } => {
            let storage = Storage::open(&db)?;
            match storage.revoke_token(&token, &Actor::local("parc-server"), parc_server::now_unix())? {
                Some(token) => {
                    println!("token {} {:?} revoked", token.id, token.name);
                    Ok(())
                }
                None => anyhow::bail!("no live token with id or name {token:?} in {}", db.display()),
            }
        }
    }
}
