//! `parc waves`: plan replacement waves, publish them, follow the rollout,
//! export the wave lists for technicians and suppliers.

use super::output::{table, OutputFormat};
use super::{emit, fleet_client, status_error, CliError, Remote};
use crate::cli::wave_files;
use anyhow::Context;
use parc_model::civil::iso;
use parc_planner::diff::PlanDiff;
use parc_planner::record::{PlanHeader, PlanRecord};
use parc_proto::convert::waves as convert;
use parc_proto::pb;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum WavesCommand {
    /// Plan the replacement waves as a draft: the devices the spec's
    /// selection picks (default: replacement group "replace"), under its
    /// constraints. Frozen waves and devices whose work has started keep
    /// their wave. Shows the plan and how it differs from the published one.
    Plan {
        /// The plan spec (TOML): calendar, capacities, technicians, budget,
        /// stock, blackouts, priorities. Flags below override it.
        #[arg(long)]
        spec: Option<PathBuf>,
        /// First day of wave 1 (YYYY-MM-DD or DD/MM/YYYY).
        #[arg(long)]
        start: Option<String>,
        /// Wave length: 1w, 2w, 10d.
        #[arg(long)]
        cadence: Option<String>,
        /// How many waves the plan may use.
        #[arg(long)]
        waves: Option<u32>,
        /// Devices per wave.
        #[arg(long)]
        capacity: Option<u32>,
        /// Sites a wave may visit: fewer trips for the technicians.
        #[arg(long)]
        max_sites_per_wave: Option<u32>,
        /// Devices to plan even if not selected: ids or hostnames, comma
        /// separated, or @FILE with one per line.
        #[arg(long)]
        include: Option<String>,
        /// Devices never to plan (same forms as --include).
        #[arg(long)]
        exclude: Option<String>,
        /// Show the plan, store nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Publish a draft (the latest when no id is given): it becomes the plan
    /// technicians follow; its waves freeze as they start.
    Publish { id: Option<u64> },
    /// Show the published plan (or the draft, or plan ID), wave by wave.
    Show {
        #[arg(long, conflicts_with = "plan")]
        draft: bool,
        #[arg(long)]
        plan: Option<u64>,
        /// List this wave's devices with their reasons.
        #[arg(long)]
        wave: Option<u32>,
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Progress of the published plan per wave and overall, what is late,
    /// and old PCs whose user already works on a new one.
    Status {
        #[arg(long, short, value_enum, default_value_t = OutputFormat::Table)]
        output: OutputFormat,
    },
    /// Set one device's rollout status: planned, scheduled, prepared,
    /// delivered, done, postponed (needs --reason and --wave) or cancelled
    /// (needs --reason).
    Set {
        device: String,
        status: String,
        #[arg(long, default_value = "")]
        reason: String,
        /// A postponement's new wave.
        #[arg(long)]
        wave: Option<u32>,
        #[arg(long, default_value = "")]
        technician: String,
    },
    /// Import technicians' returns (CSV): a device column (device, hostname,
    /// serial_number or asset_tag), status, and optionally reason, wave,
    /// date, technician. All rows or none.
    Returns {
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Export the wave list: CSV (stdout unless --out), XLSX (a summary
    /// sheet and one sheet per wave; needs --out) or JSON.
    Export {
        #[arg(long, value_enum, default_value_t = wave_files::Format::Csv)]
        format: wave_files::Format,
        #[arg(long)]
        wave: Option<u32>,
        /// The devices the plan leaves out instead, each with the
        /// constraint that kept it out (wave 0, status left_out).
        #[arg(long, conflicts_with = "wave")]
        left_out: bool,
        /// A plan other than the published one (a draft, to review it).
        #[arg(long)]
        plan: Option<u64>,
        /// CSV for French Excel: semicolons and a byte-order mark.
        #[arg(long)]
        excel_fr: bool,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn unexpected(server: &Remote, error: impl std::fmt::Display) -> CliError {
    CliError::Other(anyhow::anyhow!("unexpected answer from {server}: {error}"))
}

/// "12,PC-0042" or "@devices.txt" → the device names.
fn device_list(text: Option<String>) -> Result<Vec<String>, CliError> {
    let Some(text) = text else { return Ok(Vec::new()) };
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?,
        None => text,
    };
    Ok(text
        .split([',', '\n', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty() && !s.starts_with('#'))
        .map(String::from)
        .collect())
}

pub async fn run(server: &Remote, command: WavesCommand) -> Result<(), CliError> {
    let mut client = fleet_client(server)?;
    match command {
        WavesCommand::Plan {
            spec,
            start,
            cadence,
            waves,
            capacity,
            max_sites_per_wave,
            include,
            exclude,
            dry_run,
            output,
        } => {
            let (spec_file, spec_toml) = match &spec {
                Some(path) => (
                    path.display().to_string(),
                    std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?,
                ),
                None => (String::new(), String::new()),
            };
            let request = pb::PlanWavesRequest {
                spec_toml,
                spec_file,
                overrides: Some(pb::PlanOverrides { start, cadence, waves, capacity, max_sites_per_wave }),
                include: device_list(include)?,
                exclude: device_list(exclude)?,
                dry_run,
            };
            let progress = super::progress::spinner("planning the waves over the fleet's readiness");
            let answer = client.plan_waves(request).await.map_err(|s| status_error(server, s))?.into_inner();
            progress.finish_and_clear();
            let (header, record, names) = convert::plan_from_wire(answer.plan.unwrap_or_default())
                .map_err(|e| unexpected(server, e))?;
            let diff = answer.diff.map(convert::diff_from_wire);
            match output {
                OutputFormat::Json => emit(&plan_json(&header, &record, diff.as_ref())?),
                _ => {
                    let mut out = plan_text(&header, &record, &names);
                    if let Some((against, diff, names)) = &diff {
                        out.push_str(&diff_text(against, diff, names));
                    }
                    out.push_str(if dry_run {
                        "dry run: nothing stored\n"
                    } else {
                        "publish it with: parc waves publish\n"
                    });
                    emit(&out)
                }
            }
        }
        WavesCommand::Publish { id } => {
            let answer = client
                .publish_plan(pb::PublishPlanRequest { id: id.unwrap_or(0) })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let (header, record, _) = convert::plan_from_wire(answer).map_err(|e| unexpected(server, e))?;
            emit(&format!(
                "plan {} published: {} devices in {} waves\n",
                header.id,
                record.planned,
                record.waves.len()
            ))
        }
        WavesCommand::Show { draft, plan, wave: Some(wave), output } => {
            let id = plan_for(draft, plan, &mut client, server).await?;
            let rows = wave_files::fetch(&mut client, server, id, Some(wave)).await?;
            match output {
                OutputFormat::Json => {
                    emit(&format!("{}\n", serde_json::to_string_pretty(&rows).map_err(anyhow::Error::from)?))
                }
                _ => emit(&table(
                    &["DEVICE", "HOSTNAME", "SITE", "CLASS", "STATUS", "REASON"],
                    rows.iter()
                        .map(|r| {
                            vec![
                                r.device_id.to_string(),
                                r.hostname.clone(),
                                r.site_code.clone(),
                                r.replacement_class.clone(),
                                r.status.clone(),
                                r.reason.clone(),
                            ]
                        })
                        .collect(),
                )),
            }
        }
        WavesCommand::Show { draft, plan, wave: None, output } => {
            let answer = client
                .get_plan(pb::GetPlanRequest { id: plan.unwrap_or(0), draft })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            let (header, record, names) = convert::plan_from_wire(answer.plan.unwrap_or_default())
                .map_err(|e| unexpected(server, e))?;
            let diff = answer.diff.map(convert::diff_from_wire);
            match output {
                OutputFormat::Json => emit(&plan_json(&header, &record, diff.as_ref())?),
                _ => {
                    let mut out = plan_text(&header, &record, &names);
                    if let Some((against, diff, names)) = &diff {
                        out.push_str(&diff_text(against, diff, names));
                    }
                    emit(&out)
                }
            }
        }
        WavesCommand::Status { output } => {
            let answer = client
                .get_wave_status(pb::GetWaveStatusRequest {})
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            super::wave_status::print(server, answer, output)
        }
        WavesCommand::Set { device, status, reason, wave, technician } => {
            let answer = client
                .set_rollout_status(pb::SetRolloutStatusRequest {
                    device,
                    status,
                    reason,
                    wave: wave.unwrap_or(0),
                    technician,
                })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            emit(&format!(
                "{} (device {}): {} → {}, wave {}\n",
                answer.hostname, answer.device_id, answer.previous, answer.status, answer.wave
            ))
        }
        WavesCommand::Returns { file, dry_run } => {
            let csv = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let file_name = file
                .file_name()
                .map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let progress = super::progress::spinner(format!("importing {file_name}"));
            let answer = client
                .import_returns(pb::ImportReturnsRequest { csv, file_name: file_name.clone(), dry_run })
                .await
                .map_err(|s| status_error(server, s))?
                .into_inner();
            super::progress::done(&progress, format!("{file_name} read by the server"));
            let counts: Vec<String> =
                answer.statuses.iter().map(|s| format!("{} {}", s.devices, s.status)).collect();
            emit(&format!(
                "{} rows: {} changed ({}), {} unchanged{}\n",
                answer.rows,
                answer.changed,
                if counts.is_empty() { "none".to_string() } else { counts.join(", ") },
                answer.unchanged,
                if dry_run { " (dry run: nothing written)" } else { "" }
            ))
        }
        WavesCommand::Export { format, wave, left_out, plan, excel_fr, out } => {
            wave_files::export(
                &mut client,
                server,
                wave_files::ExportArgs { format, wave, left_out, plan: plan.unwrap_or(0), excel_fr, out },
            )
            .await
        }
    }
}

async fn plan_for(
    draft: bool,
    plan: Option<u64>,
    client: &mut super::Fleet,
    server: &Remote,
) -> Result<u64, CliError> {
    if let Some(id) = plan {
        return Ok(id);
    }
    if !draft {
        return Ok(0);
    }
    let answer = client
        .get_plan(pb::GetPlanRequest { id: 0, draft: true })
        .await
        .map_err(|s| status_error(server, s))?
        .into_inner();
    Ok(answer.plan.map_or(0, |p| p.id))
}

fn plan_json(
    header: &PlanHeader,
    record: &PlanRecord,
    diff: Option<&(String, PlanDiff, HashMap<u64, String>)>,
) -> Result<String, CliError> {
    let value = serde_json::json!({
        "id": header.id,
        "state": header.state,
        "based_on": header.based_on,
        "spec": header.spec_toml,
        "plan": record,
        "diff": diff.map(|(against, diff, _)| serde_json::json!({"against": against, "changes": diff})),
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&value).map_err(anyhow::Error::from)?))
}

fn euros(cents: u64) -> String {
    parc_planner::euros(cents)
}

fn limit(used: String, limit: Option<String>) -> String {
    match limit {
        Some(limit) => format!("{used}/{limit}"),
        None => used,
    }
}

/// The plan as planners read it: one line per wave, then what binds.
pub fn plan_text(header: &PlanHeader, record: &PlanRecord, names: &HashMap<u64, String>) -> String {
    let title = match header.id {
        0 => "plan (not stored)".to_string(),
        id => format!("plan {id} ({})", header.state),
    };
    let mut out = format!(
        "{title}: {} devices in {} waves, {} left out; {} site visits (one-by-one greedy: {} visits for {} devices)\n",
        record.planned,
        record.waves.iter().filter(|w| w.devices > 0).count(),
        record.left_out_total,
        record.site_visits,
        record.baseline_site_visits,
        record.baseline_planned
    );
    let rows = record
        .waves
        .iter()
        .map(|w| {
            let technicians: Vec<String> = w
                .technicians
                .iter()
                .map(|t| format!("{} {:.1}/{}", t.group, t.days_used, t.days_available))
                .collect();
            let stock: Vec<String> =
                w.stock.iter().map(|s| format!("{} {}/{}", s.class.name(), s.used, s.available)).collect();
            let mut notes = Vec::new();
            if w.frozen {
                notes.push("frozen".to_string());
            }
            notes.extend(w.overruns().into_iter().map(|over| format!("over the spec: {over}")));
            if let Some(blackout) = &w.blackout {
                notes.push(format!("closed: {blackout}"));
            }
            vec![
                w.number.to_string(),
                format!("{}..{}", iso(w.starts_on), iso(w.ends_on)),
                limit(w.devices.to_string(), w.capacity.map(|c| c.to_string())),
                limit(w.sites.to_string(), w.max_sites.map(|c| c.to_string())),
                format!("{}/{}", w.laptops, w.desktops),
                technicians.join(" "),
                match (w.budget_cents, w.budget_limit_cents) {
                    (0, None) => String::new(),
                    (used, budget) => limit(euros(used), budget.map(euros)),
                },
                stock.join(" "),
                notes.join("; "),
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "WAVE",
            "DATES",
            "DEVICES",
            "SITES",
            "LAPTOP/DESKTOP",
            "TECHNICIAN-DAYS",
            "BUDGET",
            "STOCK",
            "NOTE",
        ],
        rows,
    ));
    for shortfall in &record.shortfalls {
        out.push_str(&format!("short of {}: {}\n", shortfall.constraint.code(), shortfall.missing));
    }
    for left in record.left_out.iter().take(20) {
        let name = names.get(&left.device_id).map_or("", String::as_str);
        out.push_str(&format!("  {} {name} [{}]: {}\n", left.device_id, left.site, left.reason));
    }
    if record.left_out_total > 20 {
        out.push_str(&format!(
            "  … and {} more left out (parc waves show -o json lists {})\n",
            record.left_out_total - 20,
            record.left_out.len()
        ));
    }
    out
}

pub fn diff_text(against: &str, diff: &PlanDiff, names: &HashMap<u64, String>) -> String {
    if against.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "compared with {against}: {} added, {} removed, {} moved, {} unchanged\n",
        diff.added.len(),
        diff.removed.len(),
        diff.moved.len(),
        diff.unchanged
    );
    let name = |id: &u64| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    for (device, wave) in diff.added.iter().take(10) {
        out.push_str(&format!("  + {} → wave {wave}\n", name(device)));
    }
    for (device, wave) in diff.removed.iter().take(10) {
        out.push_str(&format!("  - {} (was wave {wave})\n", name(device)));
    }
    for (device, from, to) in diff.moved.iter().take(10) {
        out.push_str(&format!("  ~ {}: wave {from} → {to}\n", name(device)));
    }
    out
}
