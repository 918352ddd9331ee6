//! `parc demo`: the whole system on one machine in one command. A real
//! server on an embedded SQLite file, this machine reported by the real
//! agent code, a simulated département fleet reported through the same gRPC
//! path, a summary, and the server left running until Ctrl-C.

use crate::grpc::{serve, AppState};
use crate::storage::Storage;
use crate::summary::summarize;
use anyhow::Context;
use parc_agent::runner::{RetryPolicy, RunOptions};
use parc_proto::pb;
use rand::Rng;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The demo département's sites, as a planner's spreadsheet exports them.
const SAMPLE_SITES: &[u8] = include_bytes!("../../../samples/sites.csv");

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many simulated PCs to report.
    #[arg(long, default_value_t = 2000)]
    fleet_size: usize,
    /// Same seed, same fleet.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the server listens; when the default is taken, a free port is used.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Where /metrics and /healthz are served; when the default is taken, a
    /// free port is used.
    #[arg(long)]
    http_listen: Option<SocketAddr>,
    /// Folder for the database and the agent's state (default: a new folder
    /// under the system's temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let data_dir = match args.data_dir {
        Some(dir) => dir,
        None => std::env::temp_dir().join(format!("parc-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
    let db_path = data_dir.join("parc.db");
    let storage = Arc::new(Storage::open(&db_path)?);
    let secret = hex::encode(rand::rng().random::<[u8; 16]>());

    let listener = bind(args.listen, parc_proto::DEFAULT_GRPC_ADDR).await?;
    let address = listener.local_addr()?;
    let server_url = format!("http://{address}");
    let http_listener = bind(args.http_listen, crate::config::DEFAULT_HTTP_ADDR).await?;
    let dashboard_url = format!("http://{}/", http_listener.local_addr()?);
    let metrics_url = format!("{dashboard_url}metrics");
    let state = Arc::new(AppState::new(storage, &secret, Duration::from_secs(3600)));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // The HTTP side ends with the process: the demo stops on Ctrl-C.
    tokio::spawn(crate::http::serve(http_listener, state.clone(), std::future::pending()));
    let server = tokio::spawn(serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));

    // An admin token for the person trying the demo: the API and the
    // dashboard need one, as on a real server.
    let token = crate::access::new_token_secret();
    let token_hash = crate::access::token_hash(&token);
    let token_storage = state.storage.clone();
    tokio::task::spawn_blocking(move || {
        token_storage.create_token(
            "demo",
            crate::access::Role::Admin,
            &token_hash,
            &crate::access::Actor::local("demo"),
            crate::now_unix(),
        )
    })
    .await
    .context("token task")??;
    let remote = super::Remote::new(&server_url, Some(token.clone()));

    println!("Parc demo");
    println!("  server      {server_url}  (database {})", db_path.display());
    println!("  dashboard   {dashboard_url}  (sign in with the token)");
    println!("  token       {token}  (admin)");
    println!("  metrics     {metrics_url}");

    let agent = RunOptions {
        server_url: server_url.clone(),
        enroll_secret: Some(secret.clone()),
        state_dir: data_dir.join("agent-state"),
        once: true,
        collect: Default::default(),
        retry: RetryPolicy::default(),
        ca_file: None,
        client_identity: None,
        labels: Vec::new(),
        splay: std::time::Duration::ZERO,
    };
    let ack = parc_agent::runner::run(&agent).await.context("reporting this machine")?;
    println!("  this PC     reported by the real agent as device {}", ack.device_id);

    let started = Instant::now();
    let pcs = crate::sim::fleet::generate(args.seed, args.fleet_size, crate::now_unix());
    let pcs_for_assets = pcs.clone();
    let simulated = crate::sim::driver::drive(&server_url, &secret, pcs, 32).await?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "  simulated   {} PCs over {} sites reported in {elapsed:.1} s ({:.0} enrollments+reports/s){}",
        simulated.reported,
        crate::sim::sites::SITES.len(),
        simulated.reported as f64 / elapsed.max(0.001),
        match &simulated.first_error {
            Some(e) => format!(", {} failed: {e}", simulated.failed),
            None => String::new(),
        }
    );

    // The sites and the asset register go in as a person would import them.
    let mut client = super::fleet_client(&remote)?;
    let sites = client
        .import_sites(pb::ImportRequest {
            file_name: "sites.csv".into(),
            content: SAMPLE_SITES.to_vec(),
            dry_run: false,
        })
        .await
        .map_err(|status| {
            anyhow::anyhow!("importing samples/sites.csv: {}", parc_proto::status_text(&status))
        })?
        .into_inner();
    let register = crate::sim::assets::assets_csv(&pcs_for_assets, args.seed);
    std::fs::write(data_dir.join("assets.csv"), &register).context("writing the demo's assets.csv")?;
    let assets = client
        .import_assets(pb::ImportRequest {
            file_name: "assets.csv".into(),
            content: register.into_bytes(),
            dry_run: false,
        })
        .await
        .map_err(|status| anyhow::anyhow!("importing assets.csv: {}", parc_proto::status_text(&status)))?
        .into_inner();
    println!(
        "  imported    {} sites (samples/sites.csv), {} assets ({} match a PC; {})",
        sites.created + sites.updated + sites.unchanged,
        assets.stored,
        assets.matched,
        data_dir.join("assets.csv").display()
    );
    let snapshot_state = state.clone();
    tokio::task::spawn_blocking(move || {
        crate::readiness::snapshot_if_due(
            &snapshot_state.storage,
            &snapshot_state.policy.get(),
            crate::now_unix(),
        )
    })
    .await
    .context("readiness snapshot task")??;

    let devices = super::devices::fetch_all(&remote).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("\nFleet summary\n{}", indent(&summarize(&devices).to_string()));
    let readiness = client
        .get_readiness(pb::GetReadinessRequest { by: "dimension".into(), top_reasons: 3 })
        .await
        .map_err(|status| anyhow::anyhow!("readiness: {}", parc_proto::status_text(&status)))?
        .into_inner();
    let groups = parc_proto::convert::readiness::readiness_groups_from_wire(readiness)?;
    println!(
        "Readiness\n{}",
        indent(super::readiness::readiness_table(&groups, super::readiness::By::Dimension).trim_end())
    );
    let (plan, published) = plan_waves(&mut client).await?;
    println!(
        "Replacement waves ({published}: samples/plan-spec.toml from next Monday)\n{}",
        indent(plan.trim_end())
    );
    let pick = devices.get(1).map(|d| d.hostname.clone()).unwrap_or_else(|| "1".into());
    println!("Where to look next: the dashboard at {dashboard_url} in a browser (sign in with the token), or in another terminal:");
    println!("  export PARC_SERVER_URL={server_url} PARC_TOKEN={token}");
    println!("  parc devices");
    println!("  parc devices --query 'ram<8GB chassis:laptop'   # the query language: docs/query.md");
    println!("  parc devices --output csv > fleet.csv");
    println!("  parc device {}        # this PC", ack.device_id);
    println!("  parc device {pick}         # with its readiness and reasons");
    println!("  parc readiness --by site");
    println!("  parc sites");
    println!("  parc waves status");
    println!("  parc waves export --format xlsx --out waves.xlsx");
    println!("  parc sites set MDS-ETAMPES --fibre live --wan-link ftto --down 500 --up 500");
    println!("  parc audit                                   # who changed what");
    println!("  grpcurl -plaintext {address} list          # reflection is on");
    println!("  curl -s -H \"Authorization: Bearer $PARC_TOKEN\" {metrics_url}");
    println!("\nServing until Ctrl-C.");

    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C")?,
        result = server => {
            return match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e).context("server stopped"),
                Err(e) => Err(e).context("server task"),
            };
        }
    }
    let _ = stop.send(());
    println!("Stopped. The database stays at {}", db_path.display());
    Ok(())
}

async fn bind(wanted: Option<SocketAddr>, default: &str) -> anyhow::Result<TcpListener> {
    if let Some(address) = wanted {
        return TcpListener::bind(address).await.with_context(|| format!("cannot listen on {address}"));
    }
    match TcpListener::bind(default).await {
        Ok(listener) => Ok(listener),
        Err(error) => {
            eprintln!("note: {default} is taken ({error}); using a free port");
            TcpListener::bind("127.0.0.1:0").await.context("cannot listen on any loopback port")
        }
    }
}

const SAMPLE_SPEC: &str = include_str!("../../../samples/plan-spec.toml");

/// Plans the sample spec's waves from next Monday and publishes them;
/// returns the plan as `parc waves plan` prints it.
async fn plan_waves(client: &mut super::Fleet) -> anyhow::Result<(String, &'static str)> {
    let today = crate::now_unix().div_euclid(86_400);
    // 1970-01-01 was a Thursday: days to the next Monday.
    let monday = today + (7 - (today + 3).rem_euclid(7));
    let request = pb::PlanWavesRequest {
        spec_toml: SAMPLE_SPEC.to_string(),
        spec_file: "samples/plan-spec.toml".into(),
        overrides: Some(pb::PlanOverrides {
            start: Some(parc_model::civil::iso(monday)),
            ..Default::default()
        }),
        ..Default::default()
    };
    let planned = client
        .plan_waves(request)
        .await
        .map_err(|status| anyhow::anyhow!("waves: {}", parc_proto::status_text(&status)))?
        .into_inner();
    let (header, record, names) =
        parc_proto::convert::waves::plan_from_wire(planned.plan.unwrap_or_default())?;
    client
        .publish_plan(pb::PublishPlanRequest { id: header.id })
        .await
        .map_err(|status| anyhow::anyhow!("publish: {}", parc_proto::status_text(&status)))?;
    let mut text = super::waves::plan_text(&header, &record, &names);
    text = text.replacen("(draft)", "(published)", 1);
    Ok((text, "published"))
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}
