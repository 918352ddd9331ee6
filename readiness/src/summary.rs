//! Counting readiness over many devices: per group (a site, a department,
//! a model, or the whole fleet), ready / not ready / unknown per dimension
//! and the reasons that block most often.

use crate::rules::{DeviceReadiness, Dimension, ReasonKind, ReplacementGroup, State};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub ready: u64,
    pub not_ready: u64,
    pub unknown: u64,
}

impl Counts {
    pub fn add(&mut self, state: State) {
        match state {
            State::Ready => self.ready += 1,
            State::NotReady => self.not_ready += 1,
            State::Unknown => self.unknown += 1,
        }
    }

    pub fn total(&self) -> u64 {
        self.ready + self.not_ready + self.unknown
    }
}

/// A reason and how many devices it blocks (or leaves unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReasonCount {
    pub code: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub devices: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DimensionSummary {
    pub dimension: Dimension,
    pub counts: Counts,
    /// Most frequent first; ties by code, so the order is stable.
    pub top_reasons: Vec<ReasonCount>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct GroupCounts {
    pub ready: u64,
    pub fixable: u64,
    pub replace: u64,
    pub unknown: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupSummary {
    /// The site code, department, model, or "" for the whole fleet.
    pub key: String,
    pub devices: u64,
    pub dimensions: Vec<DimensionSummary>,
    pub replacement_groups: GroupCounts,
}

/// Devices per reason code, with the reason's label.
type ReasonTally = HashMap<Cow<'static, str>, (Cow<'static, str>, u64)>;

#[derive(Default)]
struct Accumulator {
    devices: u64,
    counts: [Counts; 6],
    reasons: [ReasonTally; 6],
    groups: GroupCounts,
}

/// Sums device results by key, one device at a time, so a fleet scan
/// never holds every result at once.
#[derive(Default)]
pub struct Summarizer {
    groups: BTreeMap<String, Accumulator>,
}

impl Summarizer {
    pub fn add(&mut self, key: &str, readiness: &DeviceReadiness) {
        let group = match self.groups.get_mut(key) {
            Some(group) => group,
            None => self.groups.entry(key.to_string()).or_default(),
        };
        group.devices += 1;
        match readiness.replacement_group {
            ReplacementGroup::Ready => group.groups.ready += 1,
            ReplacementGroup::Fixable => group.groups.fixable += 1,
            ReplacementGroup::Replace => group.groups.replace += 1,
            ReplacementGroup::Unknown => group.groups.unknown += 1,
        }
        for outcome in &readiness.outcomes {
            let index = outcome.dimension as usize;
            group.counts[index].add(outcome.state);
            let mut seen: Vec<&str> = Vec::new();
            for reason in outcome.reasons.iter().filter(|r| r.kind != ReasonKind::Advice) {
                // A device counts once per reason even if two adapters say it.
                if seen.contains(&reason.code.as_ref()) {
                    continue;
                }
                seen.push(reason.code.as_ref());
                group.reasons[index].entry(reason.code.clone()).or_insert((reason.label.clone(), 0)).1 += 1;
            }
        }
    }

    /// The groups sorted by key, keeping `top` reasons per dimension.
    pub fn finish(self, top: usize) -> Vec<GroupSummary> {
        self.groups
            .into_iter()
            .map(|(key, group)| GroupSummary {
                key,
                devices: group.devices,
                replacement_groups: group.groups,
                dimensions: Dimension::ALL
                    .iter()
                    .map(|dimension| {
                        let index = *dimension as usize;
                        let mut reasons: Vec<ReasonCount> = group.reasons[index]
                            .iter()
                            .map(|(code, (label, devices))| ReasonCount {
                                code: code.clone(),
                                label: label.clone(),
                                devices: *devices,
                            })
                            .collect();
                        reasons.sort_by(|a, b| b.devices.cmp(&a.devices).then(a.code.cmp(&b.code)));
                        reasons.truncate(top);
                        DimensionSummary {
                            dimension: *dimension,
                            counts: group.counts[index],
                            top_reasons: reasons,
                        }
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Sums device results by key; groups come out sorted by key.
pub fn summarize<'a>(
    results: impl IntoIterator<Item = (&'a str, &'a DeviceReadiness)>,
    top: usize,
) -> Vec<GroupSummary> {
    let mut summarizer = Summarizer::default();
    for (key, readiness) in results {
        summarizer.add(key, readiness);
    }
    summarizer.finish(top)
}
