//! `/search?q=`: the devices a query in the fleet query language selects
//! (`site:MDS-ETAMPES ram<8GB -wifi:ready`, docs/query.md), and
//! `/search.csv?q=` for the same list as CSV. A mistake is shown with the
//! column and what was expected, with the fields one can use.

use super::layout::{ago, capped, count, encode, maker_model, page, Page};
use super::{blocking, AppError, Context};
use crate::grpc::AppState;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use parc_model::DeviceSummary;
use serde::Deserialize;
use std::sync::Arc;

/// The most results the page lists (by hostname); the CSV has them all.
pub const LISTED: usize = 500;
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
}

impl SearchQuery {
    /// The query as typed, whole: one over the language's length limit is
    /// refused by `parc_query::parse` with its length, never cut short
    /// (a shortened query would answer another question).
    fn text(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().to_string()
    }
}

/// Every device the query selects, in id order; a mistake in the query
/// comes back as the rendered error (query, caret line, message).
pub fn find(context: &Context<'_>, q: &str) -> Result<Result<Vec<DeviceSummary>, String>, AppError> {
    let query = match parc_query::parse(q) {
        Ok(query) => query,
        Err(error) => return Ok(Err(error.render(q))),
    };
    let mut found = Vec::new();
    let mut after_id = 0;
    // The pages of one search share its answer.
    let answers = crate::search::Answers::default();
    loop {
        let page = crate::search::list(
            context.storage,
            context.policy,
            &answers,
            context.now,
            &query,
            None,
            after_id,
            10_000,
        )?;
        found.extend(page.devices);
        match page.next_after {
            Some(next) => after_id = next,
            None => return Ok(Ok(found)),
        }
    }
}

pub struct Results {
    pub q: String,
    pub devices: Vec<DeviceSummary>,
    pub total: usize,
    pub now: i64,
    /// The query's mistake, rendered with its caret line.
    pub mistake: Option<String>,
}

pub async fn results(
    State(state): State<Arc<AppState>>,
    Query(query): Query<SearchQuery>,
) -> Result<Page, AppError> {
    let q = query.text();
    if q.is_empty() {
        return Ok(Page(render(None)));
    }
    let results = blocking(&state, move |context| {
        let (mut devices, mistake) = match find(context, &q)? {
            Ok(devices) => (devices, None),
            Err(mistake) => (Vec::new(), Some(mistake)),
        };
        devices.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
        let total = devices.len();
        devices.truncate(LISTED);
        Ok(Results { q, devices, total, now: context.now, mistake })
    })
    .await?;
    Ok(Page(render(Some(&results))))
}

pub async fn csv(
    State(state): State<Arc<AppState>>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let q = query.text();
    let text = blocking(&state, move |context| {
        let devices = find(context, &q)?.map_err(AppError::BadRequest)?;
        crate::cli::output::devices_csv(&devices).map_err(|e| AppError::Internal(e.to_string()))
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"devices.csv\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response())
}

pub fn render(results: Option<&Results>) -> Markup {
    let q = results.map_or("", |r| r.q.as_str());
    let body = html! {
        form.search method="get" action="/search" role="search" {
            label for="q" class="muted" { "Query" }
            input type="search" id="q" name="q" value=(q)
                placeholder="e.g. site:MDS-ETAMPES ram<8GB -wifi:ready" autofocus;
            button.button type="submit" { "Search" }
        }
        @if let Some(mistake) = results.and_then(|r| r.mistake.as_ref()) {
            pre.error id="search-error" role="alert" { (mistake) }
        } @else if let Some(results) = results {
            p id="search-count" {
                (count(results.total as u64)) " devices match " code { (results.q) } "."
                @if results.total > 0 { " " a href=(format!("/search.csv?q={}", encode(&results.q))) { "Download as CSV" } }
            }
            @if !results.devices.is_empty() {
                (capped(results.devices.len(), results.total, "devices; the CSV has them all"))
                table id="results" {
                    thead { tr { th { "Hostname" } th { "Model" } th { "OS" } th { "Serial number" } th { "Last report" } } }
                    tbody {
                        @for d in &results.devices {
                            tr {
                                td.nowrap { a href=(format!("/devices/{}", d.id)) { (d.hostname) } }
                                td { (maker_model(&d.manufacturer, &d.model)) }
                                td { (d.os_name) " " (d.os_version) }
                                td { (d.serial_number) }
                                td.nowrap { (ago(d.last_seen_at, results.now)) }
                            }
                        }
                    }
                }
            }
        }
    };
    let help = html! {
        details id="query-help" open[results.is_none() || results.is_some_and(|r| r.mistake.is_some())] {
            summary { "What you can ask (the query language, docs/query.md)" }
            p.muted { "Terms are combined with AND; " code { "a,b" } " means a or b; a leading " code { "-" }
                " negates a term; quote values with spaces: " code { "os:\"Windows 10\"" } "." }
            table {
                thead { tr { th { "Field" } th { "Example" } th { "Meaning" } } }
                tbody {
                    @for field in parc_query::field_help() {
                        tr { td { code { (field.name) } } td.nowrap { code { (field.example) } } td { (field.meaning) } }
                    }
                }
            }
        }
    };
    page("Search", "Search", html! { (body) (help) })
}
