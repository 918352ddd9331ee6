//! `/waves`: the published plan on a calendar, each wave's progress, what
//! is late, and the wave lists to download (`/waves/export.csv`,
//! `/waves/export.xlsx`, with `?wave=N`); `/waves/{n}`: one wave's PCs
//! with their status and the planner's reason.

use super::layout::{capped, count, encode, maker_model, page, percent, swatch, Page};
use super::svg::{self, WaveSpan};
use super::{blocking, AppError, Context};
use crate::grpc::AppState;
use crate::waves::files::{self, Writer};
use crate::waves::status::{wave_status, WaveStatus};
use crate::waves::{export, rules_of};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped};
use parc_model::civil::iso;
use parc_planner::export::WaveRow;
use parc_planner::progress::Progress;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The most PCs a wave page lists, and late PCs the plan page lists.
pub const LISTED: usize = 500;
const LATE_LISTED: usize = 200;

const NO_PLAN: &str = "No plan is published yet.";

fn how_to_plan() -> Markup {
    html! {
        div.notice id="no-plan" {
            p.lead { (NO_PLAN) }
            p { "Plan the replacement waves from a plan spec, look at the draft, then publish it:" }
            p { code { "parc waves plan --spec plan-spec.toml" } br; code { "parc waves show --draft" } br; code { "parc waves publish" } }
            p.note { "docs/waves.md explains the plan spec." }
        }
    }
}

pub struct WavesPage {
    pub status: Option<WaveStatus>,
    pub today: i64,
}

pub async fn plan(State(state): State<Arc<AppState>>) -> Result<Page, AppError> {
    let data = blocking(&state, |context| {
        Ok(WavesPage {
            status: wave_status(context.storage, context.now)?,
            today: context.now.div_euclid(86_400),
        })
    })
    .await?;
    Ok(Page(render(&data)))
}

fn statuses(progress: &Progress) -> String {
    progress.statuses.iter().map(|(s, n)| format!("{n} {}", s.name())).collect::<Vec<_>>().join(", ")
}

/// One wave of the published plan: its days and sites as planned, its
/// progress as the statuses say now.
pub struct WaveLine<'a> {
    pub span: WaveSpan,
    pub sites: Option<u32>,
    pub progress: Option<&'a Progress>,
}

/// Every wave of the plan (the empty and closed ones too), in order.
pub fn lines(status: &WaveStatus) -> Vec<WaveLine<'_>> {
    let mut lines: BTreeMap<u32, WaveLine<'_>> = BTreeMap::new();
    for wave in &status.plan.record.waves {
        let span = WaveSpan {
            number: wave.number,
            starts_on: wave.starts_on,
            ends_on: wave.ends_on,
            devices: 0,
            done: 0,
            late: 0,
            closed: wave.blackout.clone(),
        };
        lines.insert(wave.number, WaveLine { span, sites: Some(wave.sites), progress: None });
    }
    for progress in &status.waves {
        let line = lines.entry(progress.wave).or_insert_with(|| WaveLine {
            span: WaveSpan {
                number: progress.wave,
                starts_on: progress.starts_on,
                ends_on: progress.ends_on,
                devices: 0,
                done: 0,
                late: 0,
                closed: None,
            },
            sites: None,
            progress: None,
        });
        line.span.devices = progress.devices;
        line.span.done = progress.done;
        line.span.late = progress.late;
        line.progress = Some(progress);
    }
    lines.into_values().collect()
}

fn export_buttons(wave: Option<u32>) -> Markup {
    let query = wave.map(|w| format!("?wave={w}")).unwrap_or_default();
    let french = wave.map_or("?excel_fr=1".to_string(), |w| format!("?wave={w}&excel_fr=1"));
    html! {
        div.actions id="exports" {
            a.button href=(format!("/waves/export.xlsx{query}")) { "Download XLSX" }
            a.button.secondary href=(format!("/waves/export.csv{query}")) { "Download CSV" }
            a.button.secondary href=(format!("/waves/export.csv{french}")) { "CSV for French Excel" }
        }
    }
}

pub fn render(data: &WavesPage) -> Markup {
    let Some(status) = &data.status else {
        return page("Waves", "Waves", how_to_plan());
    };
    let overall = &status.overall;
    let lines = lines(status);
    let spans: Vec<WaveSpan> = lines.iter().map(|l| l.span.clone()).collect();
    let (first, last) = (spans.first().map_or(0, |s| s.starts_on), spans.last().map_or(0, |s| s.ends_on));
    let hostname = |id: u64| status.hostnames.get(&id).cloned().unwrap_or_else(|| format!("device {id}"));
    let body = html! {
        p.lead {
            "Plan " (status.plan.id) ", published "
            (status.plan.published_at.map(|t| iso(t.div_euclid(86_400))).unwrap_or_default())
            ": " (count(u64::from(overall.devices))) " PCs in " (lines.len()) " waves, "
            (iso(first)) " to " (iso(last)) "."
        }
        div.cards {
            div.card { div.value id="planned" { (count(u64::from(overall.devices))) } div.label { "PCs planned" } }
            div.card { div.value { (count(u64::from(overall.done))) } div.label { "done (" (percent(u64::from(overall.done), u64::from(overall.devices))) ")" } }
            div.card { div.value { (count(u64::from(overall.late))) } div.label { "late (their wave is over)" } }
            div.card { div.value { (status.plan.record.site_visits) } div.label { "site visits" } }
            @if status.plan.record.left_out_total > 0 {
                div.card { div.value { (count(u64::from(status.plan.record.left_out_total))) } div.label { "left out (parc waves show)" } }
            }
        }
        (export_buttons(None))
        h2 { "Calendar" }
        ul.legend {
            li { (swatch(svg::DONE)) "done" }
            li { (swatch(svg::OPEN)) "still to do" }
            li { (swatch(svg::LATE)) "still to do, the wave is over" }
            li { span.swatch style="background:#eeeeee;border:1px dashed #929292" {} "closed (blackout)" }
            li { span.swatch style="background:#fff;border:2px dashed #ce0500" {} "today" }
        }
        (PreEscaped(svg::timeline(&spans, data.today, 1000)))
        h2 { "Waves" }
        table id="waves" {
            thead {
                tr {
                    th { "Wave" } th { "Dates" } th.num { "PCs" } th.num { "Sites" } th.num { "Done" }
                    th.num { "Progress" } th.num { "Late" } th { "Statuses" }
                }
            }
            tbody {
                @for line in &lines {
                    @let w = &line.span;
                    tr {
                        td.nowrap { a href=(format!("/waves/{}", w.number)) { "Wave " (w.number) } }
                        td.nowrap { (iso(w.starts_on)) " to " (iso(w.ends_on)) }
                        td.num { (w.devices) }
                        td.num { (line.sites.map(|s| s.to_string()).unwrap_or_default()) }
                        td.num { (w.done) }
                        td.num { (percent(u64::from(w.done), u64::from(w.devices))) }
                        td.num { @if w.late > 0 { span.badge.late { (w.late) } } @else { "0" } }
                        td {
                            @if let Some(progress) = line.progress { (statuses(progress)) }
                            @if let Some(reason) = &w.closed { @if w.devices == 0 { span.muted { "closed: " (reason) } } }
                        }
                    }
                }
            }
        }
        h2 { "Late" }
        @if status.late.is_empty() {
            p { "Nothing is late: every PC of a finished wave is done, postponed or cancelled." }
        } @else {
            (capped(status.late.len().min(LATE_LISTED), status.late.len(), "late PCs"))
            table id="late" {
                thead { tr { th { "PC" } th { "Site" } th { "Wave" } th { "Wave ended" } th { "Status" } } }
                tbody {
                    @for late in status.late.iter().take(LATE_LISTED) {
                        tr {
                            td.nowrap { a href=(format!("/devices/{}", late.device_id)) { (hostname(late.device_id)) } }
                            td.nowrap { a href=(format!("/sites/{}", encode(&late.site_code))) { (late.site_code) } }
                            td { a href=(format!("/waves/{}", late.wave)) { (late.wave) } }
                            td.nowrap { (iso(late.ends_on)) }
                            td { (late.status.name()) }
                        }
                    }
                }
            }
        }
        @if !status.proposals.is_empty() {
            h2 { "Looks replaced" }
            p.note { "The user's new PC reports and the old one has been silent: mark the old one done." }
            table id="proposals" {
                thead { tr { th { "Old PC" } th { "New PC" } th { "User" } th.num { "Silent" } th { "Command" } } }
                tbody {
                    @for p in status.proposals.iter().take(LATE_LISTED) {
                        tr {
                            td { a href=(format!("/devices/{}", p.old_device)) { (hostname(p.old_device)) } }
                            td { a href=(format!("/devices/{}", p.new_device)) { (hostname(p.new_device)) } }
                            td { (p.user) }
                            td.num { (p.silent_days) " days" }
                            td { code { "parc waves set " (p.old_device) " done" } }
                        }
                    }
                }
            }
        }
    };
    page("Waves", "Waves", body)
}

pub struct WavePage {
    pub plan: u64,
    pub wave: u32,
    /// The waves the plan uses.
    pub waves: u32,
    pub days: (i64, i64),
    /// The first [`LISTED`] rows, in plan order.
    pub rows: Vec<WaveRow>,
    pub total: usize,
    pub statuses: BTreeMap<String, usize>,
}

fn wave_number(text: &str) -> Result<u32, AppError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::NotFound(format!("There is no wave '{text}': waves are numbered from 1.")))
}

pub fn load_wave(context: &Context<'_>, wave: u32) -> Result<WavePage, AppError> {
    let Some(plan) = context.storage.published_plan()? else {
        return Err(AppError::NotFound(format!(
            "{NO_PLAN} Plan one with parc waves plan, then parc waves publish."
        )));
    };
    let rules = rules_of(&plan)?;
    if wave > rules.waves {
        return Err(AppError::NotFound(format!(
            "Plan {} has waves 1 to {}: there is no wave {wave}.",
            plan.id, rules.waves
        )));
    }
    let mut rows =
        export::rows(context.storage, context.policy, context.now, &plan, export::Listing::Wave(wave))?;
    let mut statuses = BTreeMap::new();
    for row in &rows {
        *statuses.entry(row.status.clone()).or_insert(0) += 1;
    }
    let total = rows.len();
    rows.truncate(LISTED);
    Ok(WavePage {
        plan: plan.id,
        wave,
        // The waves the plan uses (its spec may allow more).
        waves: (plan.record.waves.len() as u32).max(wave),
        days: rules.wave_days(wave),
        rows,
        total,
        statuses,
    })
}

pub async fn wave(State(state): State<Arc<AppState>>, Path(wave): Path<String>) -> Result<Page, AppError> {
    let wave = wave_number(&wave)?;
    let data = blocking(&state, move |context| load_wave(context, wave)).await?;
    Ok(Page(render_wave(&data)))
}

pub fn render_wave(data: &WavePage) -> Markup {
    let body = html! {
        p.lead {
            "Plan " (data.plan) ", wave " (data.wave) " of " (data.waves) ": "
            (iso(data.days.0)) " to " (iso(data.days.1)) ", " (count(data.total as u64)) " PCs"
            @if !data.statuses.is_empty() {
                " (" (data.statuses.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ")) ")"
            }
            "."
        }
        p {
            @if data.wave > 1 { a href=(format!("/waves/{}", data.wave - 1)) { "← wave " (data.wave - 1) } " · " }
            a href="/waves" { "all waves" }
            @if data.wave < data.waves { " · " a href=(format!("/waves/{}", data.wave + 1)) { "wave " (data.wave + 1) " →" } }
        }
        (export_buttons(Some(data.wave)))
        @if data.rows.is_empty() {
            p { "No PC is planned in this wave." }
        } @else {
            (capped(data.rows.len(), data.total, "PCs; the downloads have them all"))
            table id="wave-pcs" {
                thead {
                    tr {
                        th { "PC" } th { "Site" } th { "Model" } th { "User" } th.num { "Age" }
                        th.num { "Priority" } th { "Status" } th { "Reason" }
                    }
                }
                tbody {
                    @for row in &data.rows {
                        tr {
                            td.nowrap { a href=(format!("/devices/{}", row.device_id)) { (row.hostname) } br; span.muted { (row.asset_tag) } }
                            td.nowrap { a href=(format!("/sites/{}", encode(&row.site_code))) { (row.site_code) } }
                            td.nowrap { (maker_model(&row.manufacturer, &row.model)) }
                            td { (row.assigned_user) }
                            td.num { (row.age_years) }
                            td.num { (row.score) }
                            td { span.badge.info { (row.status) } }
                            td.reason { (row.reason) }
                        }
                    }
                }
            }
        }
    };
    page(&format!("Wave {}", data.wave), "Waves", body)
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    pub wave: Option<String>,
    pub excel_fr: Option<String>,
}

/// The published plan's rows (one wave, or all), with the file's name.
fn export_rows(context: &Context<'_>, wave: Option<u32>) -> Result<(Vec<WaveRow>, String), AppError> {
    let Some(plan) = context.storage.published_plan()? else {
        return Err(AppError::NotFound(format!("{NO_PLAN} There is nothing to download.")));
    };
    let listing = wave.map_or(export::Listing::Waves, export::Listing::Wave);
    let rows = export::rows(context.storage, context.policy, context.now, &plan, listing)?;
    let name = match wave {
        Some(w) => format!("plan-{}-wave-{w}", plan.id),
        None => format!("plan-{}-waves", plan.id),
    };
    Ok((rows, name))
}

fn export_wave(query: &ExportQuery) -> Result<Option<u32>, AppError> {
    match query.wave.as_deref().map(str::trim) {
        None | Some("") | Some("0") => Ok(None),
        Some(text) => wave_number(text).map(Some),
    }
}

fn download(bytes: Vec<u8>, content_type: &'static str, file: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

pub async fn export_csv(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let wave = export_wave(&query)?;
    let excel_fr = matches!(query.excel_fr.as_deref(), Some("1" | "true" | "yes" | "on"));
    let (bytes, name) = blocking(&state, move |context| {
        let (rows, name) = export_rows(context, wave)?;
        Ok((files::to_bytes(Writer::csv(Vec::new(), excel_fr)?, &rows)?, name))
    })
    .await?;
    Ok(download(bytes, "text/csv; charset=utf-8", format!("{name}.csv")))
}

pub async fn export_xlsx(
    State(state): State<Arc<AppState>>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let wave = export_wave(&query)?;
    let (bytes, name) = blocking(&state, move |context| {
        let (rows, name) = export_rows(context, wave)?;
        Ok((files::to_bytes(Writer::xlsx()?, &rows)?, name))
    })
    .await?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("{name}.xlsx"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_plan_the_page_says_how_to_make_one() {
        let html = render(&WavesPage { status: None, today: 0 }).into_string();
        assert!(html.contains("No plan is published yet."), "{html}");
        assert!(html.contains("parc waves plan --spec plan-spec.toml"), "{html}");
        assert!(html.contains("parc waves publish"), "{html}");
    }

    #[test]
    fn wave_numbers_start_at_one() {
        assert_eq!(wave_number("3").unwrap(), 3);
        assert!(matches!(wave_number("0"), Err(AppError::NotFound(_))));
        assert!(matches!(wave_number("abc"), Err(AppError::NotFound(_))));
        assert_eq!(export_wave(&ExportQuery { wave: Some("0".into()), excel_fr: None }).unwrap(), None);
        assert_eq!(export_wave(&ExportQuery { wave: Some("2".into()), excel_fr: None }).unwrap(), Some(2));
    }
}
