//! The query language over the stored fleet, for `ListDevices.query`, the
//! CLI and the dashboard's search. Storage answers what its columns can
//! (`storage::query`, parameterised SQL); terms on readiness, sites and
//! the asset register are then tested here on each candidate, with the
//! same joins and rules as `parc readiness` ([`crate::readiness::scan`]).
//!
//! Cost: a query of columns only is one indexed SQL statement per page; a
//! query with a readiness, site or asset term reads the whole fleet once,
//! like `parc readiness`, and its answer is kept for [`ANSWER_TTL`] so the
//! next pages of the same query cost nothing and page consistently.

use crate::error::ServerError;
use crate::readiness::DeviceFacts;
use crate::storage::query::{compare, compile, CompiledQuery};
use crate::storage::{DevicePage, DeviceQuery, Storage};
use parc_query::{
    Dimension, Filter, NumberField, NumberTest, Query, ReadinessState, ReadinessValue, ReplacementGroup,
    Teleworker, Term, TextField,
};
use parc_readiness::rules::ReplacementGroup as Group;
use parc_readiness::{Policy, State};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the answer of a query with post terms serves its next pages.
pub const ANSWER_TTL: Duration = Duration::from_secs(30);
/// How many such answers are kept at once.
const ANSWERS_KEPT: usize = 8;

/// The devices a query selected, shared by its pages.
type Answer = Arc<Vec<parc_model::DeviceSummary>>;

/// Recent answers of queries with post terms, by query and filter.
#[derive(Debug, Default)]
pub struct Answers {
    kept: Mutex<Vec<(String, Instant, Answer)>>,
}

impl Answers {
    fn get(&self, key: &str) -> Option<Answer> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(_, at, _)| at.elapsed() < ANSWER_TTL);
        kept.iter().find(|(k, _, _)| k == key).map(|(_, _, answer)| answer.clone())
    }

    fn put(&self, key: String, answer: Answer) {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.retain(|(k, _, _)| *k != key);
        if kept.len() >= ANSWERS_KEPT {
            kept.remove(0);
        }
        kept.push((key, Instant::now(), answer));
    }
}

/// Reads a query's text, or says where it is wrong (as INVALID_ARGUMENT).
pub fn parse(text: &str) -> Result<Query, ServerError> {
    parc_query::parse(text)
        .map_err(|error| ServerError::Invalid(format!("query: {error}\n{}", error.render(text))))
}

/// One page of the devices `query` selects (and not seen since
/// `not_seen_before`, when given), by id after `after_id`.
#[allow(clippy::too_many_arguments)]
pub fn list(
    storage: &Storage,
    policy: &Policy,
    answers: &Answers,
    now: i64,
    query: &Query,
    not_seen_before: Option<i64>,
    after_id: u64,
    limit: u32,
) -> Result<DevicePage, ServerError> {
    let compiled = compile(query, now, DeviceQuery::FILTER_FIRST_PARAM);
    if !compiled.needs_post() {
        let page = DeviceQuery { after_id, limit, not_seen_before, filter: Some(compiled) };
        return Ok(storage.list_devices(&page)?);
    }
    // The same query and filter, to the minute: its pages share one answer.
    let key = format!("{query}\n{:?}", not_seen_before.map(|t| t.div_euclid(60)));
    let matching = match answers.get(&key).filter(|_| after_id > 0) {
        Some(answer) => answer,
        None => {
            let answer = Arc::new(matching_devices(storage, policy, now, compiled, not_seen_before)?);
            answers.put(key, answer.clone());
            answer
        }
    };
    let total_count = matching.len() as u64;
    let start = matching.partition_point(|d| d.id <= after_id);
    let mut devices: Vec<_> = matching[start..].iter().take(limit as usize + 1).cloned().collect();
    let next_after = if devices.len() > limit as usize {
        devices.truncate(limit as usize);
        devices.last().map(|d| d.id)
    } else {
        None
    };
    Ok(DevicePage { devices, next_after, total_count })
}

/// Every live device the query selects, by id: the SQL candidates, then
/// the post terms on each one's readiness, site and asset row.
fn matching_devices(
    storage: &Storage,
    policy: &Policy,
    now: i64,
    compiled: CompiledQuery,
    not_seen_before: Option<i64>,
) -> Result<Vec<parc_model::DeviceSummary>, ServerError> {
    let post = compiled.post.clone();
    let mut candidates: HashSet<u64> = HashSet::new();
    let mut after_id = 0;
    loop {
        let page = DeviceQuery { after_id, limit: 10_000, not_seen_before, filter: Some(compiled.clone()) };
        let page = storage.list_devices(&page)?;
        candidates.extend(page.devices.iter().map(|d| d.id));
        match page.next_after {
            Some(next) => after_id = next,
            None => break,
        }
    }
    let mut found = Vec::new();
    crate::readiness::scan(storage, policy, now, |facts| {
        if candidates.contains(&facts.summary.id) && post.iter().all(|term| holds(term, &facts, now)) {
            found.push(facts.summary.clone());
        }
    })?;
    found.sort_by_key(|d| d.id);
    Ok(found)
}

/// Whether a post term holds for a device. A term on an unknown value
/// (no site, no asset row, a readiness fact missing) does not hold, and
/// its negation does: the language's rule, as in SQL.
pub fn holds(term: &Term, facts: &DeviceFacts<'_>, now: i64) -> bool {
    term.negated != test(&term.filter, facts, now).unwrap_or(false)
}

fn test(filter: &Filter, facts: &DeviceFacts<'_>, now: i64) -> Option<bool> {
    let contains = |field: &str, values: &[String]| {
        let field = field.to_lowercase();
        values.iter().any(|v| field.contains(&v.to_lowercase()))
    };
    let exact = |field: &str, values: &[String]| values.iter().any(|v| field.eq_ignore_ascii_case(v.trim()));
    match filter {
        Filter::Text { field: TextField::Site, values } => facts.site.map(|site| exact(&site.code, values)),
        Filter::Text { field: TextField::Tag, values } => {
            facts.asset.filter(|a| !a.asset_tag.is_empty()).map(|a| exact(&a.asset_tag, values))
        }
        Filter::Text { field: TextField::User, values } => {
            facts.asset.map(|a| contains(&a.assigned_user, values))
        }
        Filter::Text { field: TextField::Department, values } => {
            facts.asset.map(|a| contains(&a.department, values))
        }
        Filter::Teleworker(wanted) => {
            let flag = facts.asset.and_then(|a| a.teleworker);
            Some(wanted.iter().any(|w| match w {
                Teleworker::Yes => flag == Some(true),
                Teleworker::No => flag == Some(false),
                Teleworker::Unknown => flag.is_none(),
            }))
        }
        Filter::Readiness { dimension, values } => {
            let outcome = facts.readiness.outcome(readiness_dimension(*dimension))?;
            Some(values.iter().any(|value| match value {
                ReadinessValue::State(state) => match state {
                    ReadinessState::Ready => outcome.state == State::Ready,
                    ReadinessState::NotReady => outcome.state == State::NotReady,
                    ReadinessState::Unknown => outcome.state == State::Unknown,
                },
                ReadinessValue::Group(ReplacementGroup::Fixable) => {
                    facts.readiness.replacement_group == Group::Fixable
                }
                ReadinessValue::Group(ReplacementGroup::Replace) => {
                    facts.readiness.replacement_group == Group::Replace
                }
            }))
        }
        Filter::Number { field: NumberField::Score, test } => {
            Some(number(test, i64::from(facts.readiness.replacement_score)))
        }
        Filter::Number { field: NumberField::Age, test } => {
            let age = facts.readiness.age.as_ref()?;
            // Tenths of a year, as the language counts them.
            let tenths = (now.div_euclid(86_400) - age.since_day) * 10 * 100 / 36_525;
            Some(number(test, tenths))
        }
        // Everything else is answered in SQL before this runs.
        _ => Some(true),
    }
}

fn number(test: &NumberTest, value: i64) -> bool {
    match test {
        NumberTest::OneOf(values) => values.contains(&value),
        NumberTest::Cmp { op, value: other } => compare(*op, value, *other),
    }
}

fn readiness_dimension(dimension: Dimension) -> parc_readiness::Dimension {
    match dimension {
        Dimension::Replacement => parc_readiness::Dimension::Replacement,
        Dimension::Wifi => parc_readiness::Dimension::Wifi,
        Dimension::Fibre => parc_readiness::Dimension::Fibre,
        Dimension::Softphone => parc_readiness::Dimension::Softphone,
        Dimension::Telework => parc_readiness::Dimension::Telework,
        Dimension::Security => parc_readiness::Dimension::Security,
    }
}
