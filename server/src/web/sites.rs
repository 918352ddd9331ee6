//! `/sites`: readiness per site for one dimension (chart and table) with
//! each site's link, fibre and Wi-Fi; `/sites/{code}`: one site, its PCs
//! and their readiness.

use super::layout::{ago, capped, count, encode, maker_model, page, state_badge, when, Page};
use super::overview::{state_legend, state_parts};
use super::svg::{self, Row, Scale};
use super::{blocking, AppError, Context};
use crate::grpc::AppState;
use crate::readiness::{self, GroupBy};
use axum::extract::{Path, Query, State};
use maud::{html, Markup, PreEscaped};
use parc_readiness::site::{Rollout, Site, SiteChange};
use parc_readiness::summary::{GroupSummary, Summarizer};
use parc_readiness::{Dimension, State as Readiness};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// The most PCs a site page lists.
pub const LISTED: usize = 500;
/// The most site changes a site page lists (newest first).
const CHANGES: usize = 20;

#[derive(Debug, Deserialize)]
pub struct SitesQuery {
    pub dimension: Option<String>,
}

pub struct SitesPage {
    pub dimension: Dimension,
    pub sites: Vec<Site>,
    /// Readiness counts by site code; "" holds the PCs on no site.
    pub groups: HashMap<String, GroupSummary>,
}

fn dimension(query: &SitesQuery) -> Result<Dimension, AppError> {
    match query.dimension.as_deref().map(str::trim) {
        None | Some("") => Ok(Dimension::Replacement),
        Some(name) => Dimension::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Dimension::ALL.iter().map(|d| d.name()).collect();
            AppError::BadRequest(format!("There is no dimension '{name}': use one of {}.", names.join(", ")))
        }),
    }
}

pub fn load_list(context: &Context<'_>, dimension: Dimension) -> Result<SitesPage, AppError> {
    let sites = context.storage.sites()?;
    let groups = readiness::summarize(context.storage, context.policy, context.now, GroupBy::Site, 0)?
        .into_iter()
        .map(|g| (g.key.clone(), g))
        .collect();
    Ok(SitesPage { dimension, sites, groups })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    Query(query): Query<SitesQuery>,
) -> Result<Page, AppError> {
    let dimension = dimension(&query)?;
    let sites = blocking(&state, move |context| load_list(context, dimension)).await?;
    Ok(Page(render_list(&sites)))
}

fn kind(site: &Site) -> String {
    site.kind.name().replace('_', " ")
}

fn wan(site: &Site) -> String {
    match (site.down_mbps, site.up_mbps) {
        (0, 0) => site.wan_link.name().to_string(),
        (down, up) => format!("{} {down}/{up} Mb/s", site.wan_link.name()),
    }
}

/// A rollout as a badge: `done` is what "done" is called (live, deployed).
fn rollout(rollout: Rollout, done: &str) -> Markup {
    match rollout {
        Rollout::Done => html! { span.badge.ready { (done) } },
        Rollout::Planned(day) => html! { span.badge.info { "planned " (parc_model::civil::iso(day)) } },
        Rollout::None => html! { span.badge.unknown { "none" } },
    }
}

fn dimension_tabs(current: Dimension) -> Markup {
    html! {
        nav.tabs aria-label="Dimension" {
            @for d in Dimension::ALL {
                @if d == current {
                    a href=(format!("/sites?dimension={}", d.name())) aria-current="true" { (d.name()) }
                } @else {
                    a href=(format!("/sites?dimension={}", d.name())) { (d.name()) }
                }
            }
        }
    }
}

pub fn render_list(page_data: &SitesPage) -> Markup {
    let dimension = page_data.dimension;
    let counts = |code: &str| {
        page_data
            .groups
            .get(code)
            .and_then(|g| g.dimensions.iter().find(|d| d.dimension == dimension))
            .map(|d| d.counts)
            .unwrap_or_default()
    };
    let devices = |code: &str| page_data.groups.get(code).map_or(0, |g| g.devices);
    let mut rows: Vec<Row<'_>> = page_data
        .sites
        .iter()
        .map(|site| Row {
            label: &site.code,
            href: Some(format!("/sites/{}", encode(&site.code))),
            parts: state_parts(&counts(&site.code)),
        })
        .collect();
    let unplaced = devices("");
    if unplaced > 0 {
        rows.push(Row { label: "(on no site)", href: None, parts: state_parts(&counts("")) });
    }
    let title = format!("Readiness for {} per site", dimension.name());
    let body = html! {
        @if page_data.sites.is_empty() {
            div.notice {
                p { "No sites are known yet. Import the sites file with " code { "parc sites import sites.csv" } "." }
            }
        }
        p.note { "Choose the dimension:" }
        (dimension_tabs(dimension))
        (state_legend())
        p.note { "Each bar is one site's PCs as shares of " (dimension.name()) " readiness; the number after it is the site's PCs." }
        (PreEscaped(svg::stacked_rows(&title, &rows, 1000, Scale::Share)))
        table id="sites" {
            thead {
                tr {
                    th { "Site" } th { "Kind" } th { "WAN link" } th { "Fibre" } th { "Wi-Fi" }
                    th { "Technicians" } th.num { "PCs" } th.num { "Ready" } th.num { "Not ready" } th.num { "Unknown" }
                }
            }
            tbody {
                @for site in &page_data.sites {
                    @let c = counts(&site.code);
                    tr {
                        td { a.nowrap href=(format!("/sites/{}", encode(&site.code))) { (site.code) } br; span.muted { (site.name) } }
                        td { (kind(site)) }
                        td.nowrap { (wan(site)) }
                        td { (rollout(site.fibre, "live")) }
                        td { (rollout(site.wifi, "deployed")) }
                        td { (site.technician_group) }
                        td.num { (count(devices(&site.code))) }
                        td.num { (count(c.ready)) }
                        td.num { (count(c.not_ready)) }
                        td.num { (count(c.unknown)) }
                    }
                }
                @if unplaced > 0 {
                    @let c = counts("");
                    tr {
                        td colspan="6" { span.muted { "PCs on no site (no subnet matches, none assigned)" } }
                        td.num { (count(unplaced)) }
                        td.num { (count(c.ready)) }
                        td.num { (count(c.not_ready)) }
                        td.num { (count(c.unknown)) }
                    }
                }
            }
        }
    };
    page("Sites", "Sites", body)
}

/// One PC of a site, as its list shows it.
pub struct SitePc {
    pub id: u64,
    pub hostname: String,
    pub model: String,
    pub os: String,
    pub last_seen_at: Option<i64>,
    pub states: Vec<Readiness>,
    pub replacement: &'static str,
    pub score: u32,
}

pub struct SitePage {
    pub site: Site,
    /// The first [`LISTED`] PCs by hostname.
    pub pcs: Vec<SitePc>,
    pub total: usize,
    pub group: Option<GroupSummary>,
    /// Newest first, the last [`CHANGES`].
    pub changes: Vec<SiteChange>,
    pub now: i64,
}

pub fn load_site(context: &Context<'_>, code: &str) -> Result<SitePage, AppError> {
    let Some(site) = context.storage.site(code)? else {
        return Err(AppError::NotFound(format!("There is no site with the code '{code}'.")));
    };
    let mut pcs = Vec::new();
    let mut summarizer = Summarizer::default();
    readiness::scan(context.storage, context.policy, context.now, |device| {
        if device.site.map(|s| s.code.as_str()) != Some(code) {
            return;
        }
        summarizer.add(code, &device.readiness);
        let summary = device.summary;
        pcs.push(SitePc {
            id: summary.id,
            hostname: summary.hostname.clone(),
            model: maker_model(&summary.manufacturer, &summary.model),
            os: format!("{} {}", summary.os_name, summary.os_version).trim().to_string(),
            last_seen_at: summary.last_seen_at,
            states: Dimension::ALL
                .iter()
                .map(|d| device.readiness.outcome(*d).map_or(Readiness::Unknown, |o| o.state))
                .collect(),
            replacement: device.readiness.replacement_group.name(),
            score: device.readiness.replacement_score,
        });
    })?;
    let total = pcs.len();
    pcs.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
    pcs.truncate(LISTED);
    let mut changes = context.storage.site_changes(code)?;
    changes.reverse();
    changes.truncate(CHANGES);
    Ok(SitePage {
        site,
        pcs,
        total,
        group: summarizer.finish(3).into_iter().next(),
        changes,
        now: context.now,
    })
}

pub async fn detail(State(state): State<Arc<AppState>>, Path(code): Path<String>) -> Result<Page, AppError> {
    let site = blocking(&state, move |context| load_site(context, &code)).await?;
    Ok(Page(render_site(&site)))
}

pub fn render_site(data: &SitePage) -> Markup {
    let site = &data.site;
    let body = html! {
        p.lead { (site.name) }
        div.columns {
            table.facts id="site-facts" {
                tbody {
                    tr { th { "Code" } td { (site.code) } }
                    tr { th { "Kind" } td { (kind(site)) } }
                    tr { th { "Address" } td { (site.address) } }
                    tr { th { "WAN link" } td { (wan(site)) } }
                    tr { th { "Fibre" } td { (rollout(site.fibre, "live")) } }
                    tr { th { "Wi-Fi" } td { (rollout(site.wifi, "deployed")) } }
                    tr { th { "Subnets" } td { code { (site.subnets_text()) } } }
                    tr { th { "Technician group" } td { (site.technician_group) } }
                    tr { th { "PCs" } td { (count(data.total as u64)) } }
                }
            }
            @if let Some(group) = &data.group {
                div {
                    (state_legend())
                    @let rows: Vec<Row<'_>> = group.dimensions.iter()
                        .map(|d| Row { label: d.dimension.name(), href: Some(format!("/sites?dimension={}", d.dimension.name())), parts: state_parts(&d.counts) })
                        .collect();
                    (PreEscaped(svg::stacked_rows(&format!("Readiness at {}", site.code), &rows, 540, Scale::Shared)))
                }
            }
        }
        @if let Some(group) = &data.group {
            h2 { "Readiness" }
            table id="site-readiness" {
                thead { tr { th { "Dimension" } th.num { "Ready" } th.num { "Not ready" } th.num { "Unknown" } th { "Top reasons (PCs)" } } }
                tbody {
                    @for d in &group.dimensions {
                        tr {
                            td { (d.dimension.name()) }
                            td.num { (count(d.counts.ready)) }
                            td.num { (count(d.counts.not_ready)) }
                            td.num { (count(d.counts.unknown)) }
                            td { ul.reasons { @for r in &d.top_reasons { li { (r.label) " " span.muted { "(" (r.devices) ")" } } } } }
                        }
                    }
                }
            }
        }
        h2 { "PCs" }
        @if data.pcs.is_empty() {
            p { "No PC is placed on this site: none has an address in its subnets, and none is assigned to it." }
        } @else {
            (capped(data.pcs.len(), data.total, "PCs, by hostname"))
            table id="site-pcs" {
                thead {
                    tr {
                        th { "Hostname" } th { "Model and OS" } th { "Last report" }
                        @for d in Dimension::ALL { th { (d.name()) } }
                        th.num { "Priority" }
                    }
                }
                tbody {
                    @for pc in &data.pcs {
                        tr {
                            td.nowrap { a href=(format!("/devices/{}", pc.id)) { (pc.hostname) } }
                            td.nowrap { (pc.model) br; span.muted { (pc.os) } }
                            td.nowrap { (ago(pc.last_seen_at, data.now)) }
                            @for state in &pc.states { td { (state_badge(*state)) } }
                            td.num title=(format!("replacement group: {}", pc.replacement)) { (pc.score) }
                        }
                    }
                }
            }
        }
        @if !data.changes.is_empty() {
            h2 { "Recent changes to the site" }
            table {
                thead { tr { th { "When" } th { "Field" } th { "Before" } th { "After" } th { "Source" } } }
                tbody {
                    @for change in &data.changes {
                        tr { td.nowrap { (when(change.at)) } td { (change.field) } td { (change.before) } td { (change.after) } td { (change.source) } }
                    }
                }
            }
        }
    };
    page(&format!("Site {}", site.code), "Sites", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_dimension_is_refused_with_the_choices() {
        let error = dimension(&SitesQuery { dimension: Some("colour".into()) }).unwrap_err();
        assert!(error.to_string().contains("use one of replacement, wifi, fibre"), "{error}");
        assert_eq!(dimension(&SitesQuery { dimension: Some("wifi".into()) }).unwrap(), Dimension::Wifi);
        assert_eq!(dimension(&SitesQuery { dimension: None }).unwrap(), Dimension::Replacement);
    }
}
