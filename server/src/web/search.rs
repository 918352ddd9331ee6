//! `/search?q=`: devices whose hostname contains `q` (case-insensitive),
//! and `/search.csv?q=` for the same list as CSV. A stand-in: the query
//! language replaces [`find`]; the page and the CSV stay.

use super::layout::{ago, capped, count, encode, maker_model, page, Page};
use super::{blocking, AppError, Context};
use crate::grpc::AppState;
use crate::storage::DeviceQuery;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup};
use parc_model::DeviceSummary;
use serde::Deserialize;
use std::sync::Arc;

/// The most results the page lists (by hostname); the CSV has them all.
pub const LISTED: usize = 500;
/// The longest query taken.
const MAX_QUERY: usize = 200;

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    pub q: Option<String>,
}

impl SearchQuery {
    fn text(&self) -> String {
        self.q.as_deref().unwrap_or("").trim().chars().take(MAX_QUERY).collect()
    }
}

/// Every device whose hostname contains `q`, in id order.
pub fn find(context: &Context<'_>, q: &str) -> Result<Vec<DeviceSummary>, AppError> {
    let wanted = q.to_lowercase();
    let mut found = Vec::new();
    let mut after_id = 0;
    loop {
        let page = context.storage.list_devices(&DeviceQuery::page(after_id, 1000))?;
        found.extend(page.devices.into_iter().filter(|d| d.hostname.to_lowercase().contains(&wanted)));
        match page.next_after {
            Some(next) => after_id = next,
            None => return Ok(found),
        }
    }
}

pub struct Results {
    pub q: String,
    pub devices: Vec<DeviceSummary>,
    pub total: usize,
    pub now: i64,
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
        let mut devices = find(context, &q)?;
        devices.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
        let total = devices.len();
        devices.truncate(LISTED);
        Ok(Results { q, devices, total, now: context.now })
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
        let devices = find(context, &q)?;
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
            label for="q" class="muted" { "Hostname contains" }
            input type="search" id="q" name="q" value=(q) placeholder="e.g. METAMP" autofocus;
            button.button type="submit" { "Search" }
        }
        @if let Some(results) = results {
            p id="search-count" {
                (count(results.total as u64)) " devices whose hostname contains " strong { (results.q) } "."
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
    page("Search", "Search", body)
}
