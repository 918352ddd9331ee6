//! `/`: the fleet at a glance: how many PCs, how recently they reported,
//! what they are ready for, and why not.

use super::layout::{count, page, percent, swatch, Page};
use super::svg::{self, Part, Row, Scale};
use super::{blocking, AppError, Context};
use crate::grpc::AppState;
use crate::readiness;
use crate::storage::LastSeenCounts;
use crate::summary::{summarize, FleetSummary};
use axum::extract::State;
use maud::{html, Markup, PreEscaped};
use parc_readiness::summary::{Counts, GroupSummary, Summarizer};
use std::sync::Arc;

const DAY: i64 = 86_400;
/// The reporting buckets' upper bounds, in seconds.
const BOUNDS: [i64; 4] = [DAY, 7 * DAY, 14 * DAY, 30 * DAY];
const TOP_REASONS: usize = 3;

pub struct Overview {
    pub seen: LastSeenCounts,
    pub fleet: FleetSummary,
    /// The whole fleet's readiness; `None` without devices.
    pub readiness: Option<GroupSummary>,
}

pub fn load(context: &Context<'_>) -> Result<Overview, AppError> {
    let seen = context.storage.last_seen_counts(context.now, &BOUNDS)?;
    let mut summarizer = Summarizer::default();
    let mut summaries = Vec::new();
    readiness::scan(context.storage, context.policy, context.now, |device| {
        summarizer.add("", &device.readiness);
        summaries.push(device.summary.clone());
    })?;
    Ok(Overview {
        seen,
        fleet: summarize(&summaries),
        readiness: summarizer.finish(TOP_REASONS).into_iter().next(),
    })
}

pub async fn show(State(state): State<Arc<AppState>>) -> Result<Page, AppError> {
    let overview = blocking(&state, load).await?;
    Ok(Page(render(&overview)))
}

/// Live devices by how long ago they last reported, in disjoint buckets.
pub fn buckets(seen: &LastSeenCounts) -> [(&'static str, u64); 6] {
    let within = |i: usize| seen.within.get(i).copied().unwrap_or(0);
    let reported = seen.live.saturating_sub(seen.never);
    [
        ("under 1 day", within(0)),
        ("1 to 7 days", within(1).saturating_sub(within(0))),
        ("7 to 14 days", within(2).saturating_sub(within(1))),
        ("14 to 30 days", within(3).saturating_sub(within(2))),
        ("30 days or more", reported.saturating_sub(within(3))),
        ("never reported", seen.never),
    ]
}

/// Ready, not ready, unknown: the three parts of a readiness bar.
pub fn state_parts(counts: &Counts) -> Vec<Part<'static>> {
    vec![
        Part { label: "ready", value: counts.ready, colour: svg::READY },
        Part { label: "not ready", value: counts.not_ready, colour: svg::NOT_READY },
        Part { label: "unknown", value: counts.unknown, colour: svg::UNKNOWN },
    ]
}

pub fn state_legend() -> Markup {
    html! {
        ul.legend {
            li { (swatch(svg::READY)) "ready" }
            li { (swatch(svg::NOT_READY)) "not ready" }
            li { (swatch(svg::UNKNOWN)) "unknown (a fact is missing)" }
        }
    }
}

pub fn render(overview: &Overview) -> Markup {
    let fleet = &overview.fleet;
    let buckets = buckets(&overview.seen);
    let reported_today = buckets[0].1;
    let parts: Vec<Part<'_>> = buckets
        .iter()
        .zip(svg::SEEN)
        .map(|((label, value), colour)| Part { label, value: *value, colour })
        .collect();
    let body = html! {
        div.cards {
            div.card { div.value id="fleet-size" { (count(overview.seen.live)) } div.label { "PCs in the fleet" } }
            div.card { div.value { (count(reported_today)) } div.label { "reported in the last day (" (percent(reported_today, overview.seen.live)) ")" } }
            div.card { div.value { (count(fleet.laptops as u64)) } div.label { "laptops" } }
            div.card { div.value { (count(fleet.desktops as u64)) } div.label { "desktops" } }
            div.card { div.value { (count(fleet.ram_under_8gb as u64)) } div.label { "with less than 8 GB of RAM" } }
            div.card { div.value { (count(fleet.hdd_system_disk as u64)) } div.label { "booting from a hard disk" } }
        }
        h2 { "Reporting health" }
        p.note { "Live PCs by the time since their last inventory report." }
        (PreEscaped(svg::split_bar("PCs by last report", &parts, 1000)))
        table.compact id="reporting" {
            thead { tr { th { "Last report" } th.num { "PCs" } th.num { "Share" } } }
            tbody {
                @for (part, (label, value)) in parts.iter().zip(buckets.iter()) {
                    tr { td { (swatch(part.colour)) (label) } td.num { (count(*value)) } td.num { (percent(*value, overview.seen.live)) } }
                }
            }
        }
        @match &overview.readiness {
            None => {
                h2 { "Readiness" }
                p { "No PC has reported yet: readiness appears once agents report." }
            }
            Some(group) => { (readiness(group)) }
        }
        h2 { "Operating systems" }
        (operating_systems(fleet))
    };
    page("Overview", "Overview", body)
}

fn readiness(group: &GroupSummary) -> Markup {
    let rows: Vec<Row<'_>> = group
        .dimensions
        .iter()
        .map(|d| Row { label: d.dimension.name(), href: None, parts: state_parts(&d.counts) })
        .collect();
    let groups = &group.replacement_groups;
    let replacement = [
        Part { label: "keep (ready)", value: groups.ready, colour: svg::READY },
        Part { label: "fixable", value: groups.fixable, colour: svg::FIXABLE },
        Part { label: "replace", value: groups.replace, colour: svg::NOT_READY },
        Part { label: "unknown", value: groups.unknown, colour: svg::UNKNOWN },
    ];
    html! {
        h2 { "Readiness per dimension" }
        (state_legend())
        (PreEscaped(svg::stacked_rows("Readiness per dimension", &rows, 1000, Scale::Shared)))
        table id="readiness" {
            thead { tr { th { "Dimension" } th.num { "Ready" } th.num { "Not ready" } th.num { "Unknown" } th { "Top reasons (PCs)" } } }
            tbody {
                @for d in &group.dimensions {
                    tr {
                        td { a href=(format!("/sites?dimension={}", d.dimension.name())) { (d.dimension.name()) } }
                        td.num { (count(d.counts.ready)) }
                        td.num { (count(d.counts.not_ready)) }
                        td.num { (count(d.counts.unknown)) }
                        td {
                            @if d.top_reasons.is_empty() { span.muted { "none" } }
                            ul.reasons {
                                @for reason in &d.top_reasons {
                                    li { (reason.label) " " span.muted { "(" (count(reason.devices)) ")" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        h3 { "Replacement" }
        ul.legend {
            @for part in &replacement { li { (swatch(part.colour)) (part.label) ": " strong { (count(part.value)) } } }
        }
        (PreEscaped(svg::split_bar("Replacement groups", &replacement, 1000)))
    }
}

fn operating_systems(fleet: &FleetSummary) -> Markup {
    let mut by_os: Vec<(&String, &usize)> = fleet.by_os.iter().collect();
    by_os.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    html! {
        @if by_os.is_empty() { p.muted { "No PC has reported its operating system yet." } }
        @else {
            table.facts {
                thead { tr { th { "Operating system" } th.num { "PCs" } th.num { "Share" } } }
                tbody {
                    @for (os, n) in by_os.iter().take(12) {
                        tr { td { (os) } td.num { (count(**n as u64)) } td.num { (percent(**n as u64, fleet.reporting as u64)) } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_disjoint_and_add_up_to_the_fleet() {
        let seen = LastSeenCounts { within: vec![50, 80, 85, 90], live: 100, never: 4 };
        let buckets = buckets(&seen);
        let values: Vec<u64> = buckets.iter().map(|b| b.1).collect();
        assert_eq!(values, vec![50, 30, 5, 5, 6, 4]);
        assert_eq!(values.iter().sum::<u64>(), seen.live);
    }

    #[test]
    fn an_empty_fleet_says_so() {
        let overview = Overview {
            seen: LastSeenCounts { within: vec![0; 4], live: 0, never: 0 },
            fleet: FleetSummary::default(),
            readiness: None,
        };
        let html = render(&overview).into_string();
        assert!(html.contains("No PC has reported yet"), "{html}");
        assert!(html.contains(r#"<div class="value" id="fleet-size">0</div>"#), "{html}");
    }
}
