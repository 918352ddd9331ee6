//! `parc-server`: the central server. `serve` runs it; the other
//! subcommands are offline administration on the database file.

use anyhow::Context;
use clap::{Parser, Subcommand};
use parc_server::config::{ConfigFile, Overrides, ServeConfig};
use parc_server::grpc::{serve, AppState};
use parc_server::storage::Storage;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Parc server: receives agents' reports, stores the fleet in an embedded
/// SQLite database and answers `parc` and the gRPC API.
#[derive(Parser)]
#[command(name = "parc-server", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// A TOML file with any of: db, listen, enroll_secret, report_interval.
        #[arg(long, env = "PARC_CONFIG")]
        config: Option<PathBuf>,
        /// The SQLite database file (created if missing).
        #[arg(long, env = "PARC_DB")]
        db: Option<PathBuf>,
        /// gRPC address [default: 127.0.0.1:4750]. Listening beyond loopback
        /// is for TLS deployments (see docs).
        #[arg(long, env = "PARC_LISTEN")]
        listen: Option<SocketAddr>,
        /// The secret agents present to enroll. No default, on purpose.
        #[arg(long, env = "PARC_ENROLL_SECRET", hide_env_values = true)]
        enroll_secret: Option<String>,
        /// How often agents report, such as "1h" or "30m" [default: 1h].
        #[arg(long, env = "PARC_REPORT_INTERVAL")]
        report_interval: Option<String>,
    },
    /// Revoke a device's node key: its reports are refused from now on and
    /// its data is kept. Works while the server runs.
    Revoke {
        #[arg(long, env = "PARC_DB")]
        db: PathBuf,
        /// The device id, as `parc devices` lists it.
        device_id: u64,
    },
}

fn main() -> ExitCode {
    parc_server::init_logging("info");
    let cli = Cli::parse();
    parc_server::block_on_main(execute(cli.command), |_| ExitCode::FAILURE)
}

async fn execute(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { config, db, listen, enroll_secret, report_interval } => {
            let file = match &config {
                Some(path) => ConfigFile::load(path)?,
                None => ConfigFile::default(),
            };
            let config =
                ServeConfig::resolve(file, Overrides { db, listen, enroll_secret, report_interval })?;
            let storage = Arc::new(Storage::open(&config.db)?);
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let address = listener.local_addr()?;
            tracing::info!(%address, db = %config.db.display(), "parc-server listening");
            let state = Arc::new(AppState::new(storage, &config.enroll_secret, config.report_interval));
            serve(listener, state, parc_server::shutdown_signal()).await.context("gRPC server failed")?;
            tracing::info!("parc-server stopped");
            Ok(())
        }
        Command::Revoke { db, device_id } => {
            let storage = Storage::open(&db)?;
            if storage.revoke(device_id, parc_server::now_unix())? {
                println!("device {device_id} revoked");
                Ok(())
            } else {
                anyhow::bail!("no live device with id {device_id} in {}", db.display())
            }
        }
    }
}
