//! `parc readiness`: whether the fleet is ready for each change, grouped
//! as planners ask (the rules' thresholds: `policy.rs`).

use super::output::{table, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use parc_model::civil;
use parc_proto::convert::readiness::{
    device_readiness_from_wire, readiness_groups_from_wire, trend_from_wire,
};
use parc_proto::pb;
use parc_readiness::summary::GroupSummary;
use parc_readiness::view::{DeviceReadinessView, SiteSource};
use parc_readiness::Dimension;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// One block per site (devices on no site under "(no site)").
    Site,
    /// Per department, from the asset register.
    Department,
    /// Per hardware model.
    Model,
    /// The whole fleet, per dimension.
    Dimension,
}

impl By {
    fn wire(self) -> &'static str {
        match self {
            By::Site => "site",
            By::Department => "department",
            By::Model => "model",
            By::Dimension => "dimension",
        }
    }
}

pub struct ReadinessArgs {
    pub by: By,
    pub top: u32,
    pub output: OutputFormat,
    pub trend: bool,
    pub site: Option<String>,
    pub days: u32,
}

pub async fn readiness(server: &Remote, args: ReadinessArgs) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    if args.trend {
        let answer = client
            .get_readiness_trend(pb::GetReadinessTrendRequest {
                site_code: args.site.clone().unwrap_or_default(),
                days: args.days,
            })
            .await
            .map_err(|s| status_error(server, s))?
            .into_inner();
        let points = trend_from_wire(answer.points)
            .map_err(|e| anyhow::anyhow!("unexpected answer from {server}: {e}"))?;
        return match args.output {
            OutputFormat::Json => {
                let rows: Vec<_> = points
                    .iter()
                    .map(|(day, dimension, counts)| serde_json::json!({"day": civil::iso(*day), "dimension": dimension, "counts": counts}))
                    .collect();
                emit(&format!("{}\n", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?))
            }
            _ => emit(&trend_table(&points)),
        };
    }
    let answer = client
        .get_readiness(pb::GetReadinessRequest { by: args.by.wire().into(), top_reasons: args.top })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    let groups = readiness_groups_from_wire(answer)
        .map_err(|e| anyhow::anyhow!("unexpected answer from {server}: {e}"))?;
    match args.output {
        OutputFormat::Json => {
            emit(&format!("{}\n", serde_json::to_string_pretty(&groups).map_err(anyhow::Error::from)?))
        }
        OutputFormat::Csv => emit(&readiness_csv(&groups)?),
        OutputFormat::Table => emit(&readiness_table(&groups, args.by)),
    }
}

fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        return "-".into();
    }
    format!("{}%", (part * 100 + total / 2) / total)
}

/// Per group: one line per dimension with its counts, then the reasons
/// that block most devices.
pub fn readiness_table(groups: &[GroupSummary], by: By) -> String {
    if groups.is_empty() {
        return "no devices yet\n".into();
    }
    let mut out = String::new();
    for group in groups {
        let title = match (by, group.key.as_str()) {
            (By::Dimension, _) => "Whole fleet".to_string(),
            (By::Site, "") => "(no site)".to_string(),
            (By::Department, "") => "(no department)".to_string(),
            (_, "") => "(unknown)".to_string(),
            (_, key) => key.to_string(),
        };
        let r = &group.replacement_groups;
        let _ = writeln!(
            out,
            "{title}: {} PCs; replacement: {} ready, {} fixable, {} to replace, {} unknown",
            group.devices, r.ready, r.fixable, r.replace, r.unknown
        );
        let rows = group
            .dimensions
            .iter()
            .map(|d| {
                let total = d.counts.total();
                let reasons: Vec<String> =
                    d.top_reasons.iter().map(|r| format!("{} ({})", r.label, r.devices)).collect();
                vec![
                    format!("  {}", d.dimension),
                    d.counts.ready.to_string(),
                    percent(d.counts.ready, total),
                    d.counts.not_ready.to_string(),
                    d.counts.unknown.to_string(),
                    reasons.join("; "),
                ]
            })
            .collect();
        let _ = writeln!(
            out,
            "{}\n",
            table(&["  DIMENSION", "READY", "%", "NOT READY", "UNKNOWN", "TOP REASONS"], rows)
        );
    }
    out
}

fn readiness_csv(groups: &[GroupSummary]) -> Result<String, CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["group", "devices", "dimension", "ready", "not_ready", "unknown", "top_reasons"])
        .map_err(anyhow::Error::from)?;
    for group in groups {
        for d in &group.dimensions {
            let reasons: Vec<String> =
                d.top_reasons.iter().map(|r| format!("{}={}", r.code, r.devices)).collect();
            writer
                .write_record([
                    group.key.clone(),
                    group.devices.to_string(),
                    d.dimension.to_string(),
                    d.counts.ready.to_string(),
                    d.counts.not_ready.to_string(),
                    d.counts.unknown.to_string(),
                    reasons.join(" "),
                ])
                .map_err(anyhow::Error::from)?;
        }
    }
    Ok(String::from_utf8(writer.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
        .map_err(anyhow::Error::from)?)
}

fn trend_table(points: &[(i64, Dimension, parc_readiness::summary::Counts)]) -> String {
    if points.is_empty() {
        return "no snapshots yet: the server takes one a day\n".into();
    }
    let mut days: Vec<i64> = points.iter().map(|p| p.0).collect();
    days.dedup();
    let rows = days
        .iter()
        .map(|day| {
            let mut row = vec![civil::iso(*day)];
            for dimension in Dimension::ALL {
                let cell = points
                    .iter()
                    .find(|p| p.0 == *day && p.1 == dimension)
                    .map(|(_, _, c)| format!("{} ({})", c.ready, percent(c.ready, c.total())))
                    .unwrap_or_default();
                row.push(cell);
            }
            row
        })
        .collect();
    let mut header = vec!["DAY"];
    header.extend(Dimension::ALL.iter().map(|d| d.name()));
    format!("Ready PCs per day\n{}\n", table(&header, rows))
}

/// Fetches a device's readiness (for `parc device`).
pub async fn fetch_device(server: &Remote, device: &str) -> Result<DeviceReadinessView, CliError> {
    let answer = fleet_client(server)?
        .get_device_readiness(pb::GetDeviceReadinessRequest { device: device.to_string() })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    device_readiness_from_wire(answer)
        .map_err(|e| CliError::Other(anyhow::anyhow!("unexpected answer from {server}: {e}")))
}

/// The readiness block of `parc device`: each dimension with its reasons.
pub fn device_block(view: &DeviceReadinessView) -> String {
    let mut out = String::from("\nReadiness\n");
    let site = match (&view.site_code, view.site_source) {
        (Some(code), SiteSource::Manual) => format!("{code} (assigned by hand)"),
        (Some(code), _) => format!("{code} (by subnet)"),
        (None, _) => "none: no site's subnet matches its addresses".into(),
    };
    let _ = writeln!(out, "  Site          {site}");
    if let Some(asset) = &view.asset {
        let _ =
            writeln!(out, "  Asset         {} {} {}", asset.asset_tag, asset.department, asset.assigned_user);
    }
    let _ = write!(out, "{}", view.readiness);
    out
}
