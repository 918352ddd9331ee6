//! `parc sites`, `parc assets import`, `parc assign`: what agents cannot
//! know, typed or imported by people. Files are sent whole; the server
//! checks them and names the line and column of the first mistake.

use super::output::{rfc3339, table, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use anyhow::Context;
use parc_proto::convert::readiness::{site_change_from_wire, site_from_wire};
use parc_proto::pb;
use parc_readiness::site::{Site, SiteChange};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, clap::Subcommand)]
pub enum SitesCommand {
    /// List the sites with their link, rollouts and device counts.
    List {
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Create or update sites from a CSV file (UTF-8, comma or semicolon):
    /// code, name, kind, address, wan_link, down_mbps, up_mbps, fibre, wifi,
    /// subnets, technician_group. All rows or none: the first bad row stops
    /// the import. Sites missing from the file are left as they are.
    Import {
        file: std::path::PathBuf,
        /// Show what would change, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// One site with its devices count and every recorded change.
    Show {
        code: String,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Change a site as its rollout moves (the change is kept with its date):
    /// `parc sites set MDS-ETAMPES --fibre live --wan-link ftto --down 500 --up 500`.
    Set {
        code: String,
        /// live, planned:YYYY-MM-DD or none.
        #[arg(long)]
        fibre: Option<String>,
        /// live (deployed), planned:YYYY-MM-DD or none.
        #[arg(long)]
        wifi: Option<String>,
        /// ftto, ftth, copper, 4g or none.
        #[arg(long)]
        wan_link: Option<String>,
        /// Download bandwidth, Mb/s.
        #[arg(long)]
        down: Option<u32>,
        /// Upload bandwidth, Mb/s.
        #[arg(long)]
        up: Option<u32>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        address: Option<String>,
        /// Replaces the subnets: "10.20.0.0/16 10.21.0.0/16".
        #[arg(long)]
        subnets: Option<String>,
        #[arg(long)]
        technician_group: Option<String>,
    },
}

fn read_file(path: &Path) -> Result<(String, Vec<u8>), CliError> {
    let content = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name =
        path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok((name, content))
}

fn unexpected(server: &Remote, error: impl std::fmt::Display) -> CliError {
    CliError::Other(anyhow::anyhow!("unexpected answer from {server}: {error}"))
}

pub async fn run(server: &Remote, command: SitesCommand) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    match command {
        SitesCommand::List { output } => {
            let wire = client
                .list_sites(pb::ListSitesRequest {})
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let sites = wire
                .sites
                .into_iter()
                .map(site_from_wire)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| unexpected(server, e))?;
            emit(&sites_output(&sites, output)?)
        }
        SitesCommand::Import { file, dry_run } => {
            let (file_name, content) = read_file(&file)?;
            let progress =
                super::progress::spinner(format!("importing {file_name} ({} KB)", content.len() / 1024));
            let answer = client
                .import_sites(pb::ImportRequest { file_name: file_name.clone(), content, dry_run })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            super::progress::done(&progress, format!("{file_name} read by the server"));
            let changes: Vec<SiteChange> = answer.changes.into_iter().map(site_change_from_wire).collect();
            let verb = if dry_run { "would be" } else { "" };
            let mut out = format!(
                "{} sites created, {} updated, {} unchanged{}\n",
                answer.created,
                answer.updated,
                answer.unchanged,
                if dry_run { " (dry run: nothing written)" } else { "" }
            );
            for change in &changes {
                out.push_str(&format!(
                    "  {} {}: {} → {} {verb}\n",
                    change.site_code, change.field, change.before, change.after
                ));
            }
            emit(&out)
        }
        SitesCommand::Show { code, output } => {
            let answer = client
                .get_site(pb::GetSiteRequest { code })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let (site, devices) =
                site_from_wire(answer.site.unwrap_or_default()).map_err(|e| unexpected(server, e))?;
            let changes: Vec<SiteChange> = answer.changes.into_iter().map(site_change_from_wire).collect();
            match output {
                OutputFormat::Json => emit(&format!(
                    "{}\n",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"site": site, "devices": devices, "changes": changes})
                    )
                    .map_err(anyhow::Error::from)?
                )),
                OutputFormat::Table => emit(&site_detail(&site, devices, &changes)),
                OutputFormat::Csv => {
                    Err(CliError::Other(anyhow::anyhow!("--output csv is for lists; use table or json")))
                }
            }
        }
        SitesCommand::Set {
            code,
            fibre,
            wifi,
            wan_link,
            down,
            up,
            name,
            address,
            subnets,
            technician_group,
        } => {
            let request = pb::UpdateSiteRequest {
                code,
                name,
                address,
                wan_link,
                down_mbps: down,
                up_mbps: up,
                fibre,
                wifi,
                set_subnets: subnets.is_some(),
                subnets: subnets
                    .map(|s| s.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default(),
                technician_group,
            };
            let answer = client.update_site(request).await.map_err(|s| status_error(server, s))?.into_inner();
            let changes: Vec<SiteChange> = answer.changes.into_iter().map(site_change_from_wire).collect();
            if changes.is_empty() {
                return emit("nothing changed: the site already had these values\n");
            }
            let mut out = String::new();
            for change in &changes {
                out.push_str(&format!(
                    "{} {}: {} → {}\n",
                    change.site_code, change.field, change.before, change.after
                ));
            }
            emit(&out)
        }
    }
}

/// A site as a flat row (CSV and JSON).
#[derive(Debug, Serialize)]
struct SiteRow<'a> {
    code: &'a str,
    name: &'a str,
    kind: &'a str,
    wan_link: &'a str,
    down_mbps: u32,
    up_mbps: u32,
    fibre: String,
    wifi: String,
    subnets: String,
    technician_group: &'a str,
    devices: u64,
}

fn sites_output(sites: &[(Site, u64)], output: OutputFormat) -> Result<String, CliError> {
    let rows: Vec<SiteRow> = sites
        .iter()
        .map(|(s, devices)| SiteRow {
            code: &s.code,
            name: &s.name,
            kind: s.kind.name(),
            wan_link: s.wan_link.name(),
            down_mbps: s.down_mbps,
            up_mbps: s.up_mbps,
            fibre: s.fibre.to_string(),
            wifi: s.wifi.to_string(),
            subnets: s.subnets_text(),
            technician_group: &s.technician_group,
            devices: *devices,
        })
        .collect();
    match output {
        OutputFormat::Json => {
            Ok(format!("{}\n", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?))
        }
        OutputFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            for row in &rows {
                writer.serialize(row).map_err(anyhow::Error::from)?;
            }
            Ok(String::from_utf8(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
                .map_err(anyhow::Error::from)?)
        }
        OutputFormat::Table => {
            if rows.is_empty() {
                return Ok("no sites yet: import them with `parc sites import sites.csv`\n".into());
            }
            let body = rows
                .iter()
                .map(|r| {
                    vec![
                        r.code.to_string(),
                        r.kind.to_string(),
                        r.wan_link.to_string(),
                        format!("{}/{}", r.down_mbps, r.up_mbps),
                        r.fibre.clone(),
                        r.wifi.clone(),
                        r.devices.to_string(),
                        r.name.to_string(),
                    ]
                })
                .collect();
            Ok(format!(
                "{}\n",
                table(&["CODE", "KIND", "LINK", "MB/S DOWN/UP", "FIBRE", "WI-FI", "PCS", "NAME"], body)
            ))
        }
    }
}

fn site_detail(site: &Site, devices: u64, changes: &[SiteChange]) -> String {
    let subnets = site.subnets_text();
    let mut out = format!(
        "Site {}  {}\n  Kind          {}\n  Address       {}\n  WAN link      {} ({} Mb/s down, {} Mb/s up)\n  Fibre         {}\n  \
         Wi-Fi         {}\n  Subnets       {}\n  Technicians   {}\n  PCs           {}\n",
        site.code,
        site.name,
        site.kind.name(),
        site.address,
        site.wan_link.name(),
        site.down_mbps,
        site.up_mbps,
        site.fibre,
        site.wifi,
        subnets,
        site.technician_group,
        devices
    );
    if !changes.is_empty() {
        out.push_str("\nChanges\n");
        for change in changes {
            out.push_str(&format!(
                "  {}  {}: {} → {}  ({})\n",
                rfc3339(change.at),
                change.field,
                change.before,
                change.after,
                change.source
            ));
        }
    }
    out
}

/// `parc assets import FILE`.
pub async fn import_assets(server: &Remote, file: &Path, dry_run: bool) -> Result<(), CliError> {
    let (file_name, content) = read_file(file)?;
    let mut client = fleet_client(server)?;
    let progress = super::progress::spinner(format!("importing {file_name} ({} KB)", content.len() / 1024));
    let answer = client
        .import_assets(pb::ImportRequest { file_name: file_name.clone(), content, dry_run })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    super::progress::done(&progress, format!("{file_name} read by the server"));
    let rows = answer.matched + answer.unknown_serials.len() as u64 + answer.conflicts.len() as u64;
    let mut out = if dry_run {
        format!("{rows} assets checked (dry run: nothing written); {} match one device\n", answer.matched)
    } else {
        format!("{} assets stored; {} match one device\n", answer.stored, answer.matched)
    };
    if !answer.unknown_serials.is_empty() {
        out.push_str(&format!(
            "{} serial numbers no device reports (kept; joined when the PC enrolls): {}\n",
            answer.unknown_serials.len(),
            answer.unknown_serials.join(", ")
        ));
    }
    for conflict in &answer.conflicts {
        let ids: Vec<String> = conflict.device_ids.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "conflict: serial {} is reported by devices {}: applied to none (see `parc devices --duplicates`)\n",
            conflict.serial_number,
            ids.join(", ")
        ));
    }
    emit(&out)
}

/// `parc assign DEVICE --site CODE` or `--by-subnet`.
pub async fn assign(server: &Remote, device: String, site: Option<String>) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    let site_code = site.clone().unwrap_or_default();
    let answer = client
        .assign_site(pb::AssignSiteRequest { device, site_code })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    match site {
        Some(code) => emit(&format!("device {} is on site {code} (assigned by hand)\n", answer.device_id)),
        None => emit(&format!("device {} is placed by its subnet again\n", answer.device_id)),
    }
}
