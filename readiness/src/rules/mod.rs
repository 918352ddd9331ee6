//! The readiness rules: one device (its inventory, what the asset register
//! and the site say about it) and the policy in; for each dimension a state
//! and the reasons behind it, worded for a manager and carrying the values.
//! A fact that is missing makes a check unknown, never passed or failed.

mod facts;
mod network;
mod replacement;
mod security;
mod softphone;
mod telework;

use crate::age::AgeEstimate;
use crate::asset::Asset;
use crate::policy::Policy;
use crate::site::Site;
use parc_model::Inventory;
use serde::Serialize;
use std::borrow::Cow;
use std::fmt;

pub use replacement::ReplacementGroup;

/// What a device can be ready for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Replacement,
    Wifi,
    Fibre,
    Softphone,
    Telework,
    Security,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::Replacement,
        Dimension::Wifi,
        Dimension::Fibre,
        Dimension::Softphone,
        Dimension::Telework,
        Dimension::Security,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Replacement => "replacement",
            Dimension::Wifi => "wifi",
            Dimension::Fibre => "fibre",
            Dimension::Softphone => "softphone",
            Dimension::Telework => "telework",
            Dimension::Security => "security",
        }
    }

    pub fn from_name(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Ready,
    NotReady,
    /// Some fact the rule needs is missing.
    Unknown,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Ready => "ready",
            State::NotReady => "not ready",
            State::Unknown => "unknown",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    /// Makes the device not ready.
    Blocks,
    /// A fact is missing: the device is at best unknown.
    Missing,
    /// Worth doing, not required.
    Advice,
}

/// One finding. `code` is stable (scripts and counts group by it), `label`
/// names the finding without values ("RAM below the minimum"), `text` says
/// it with them ("RAM 4 GB < 8 GB").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: Cow<'static, str>,
    pub kind: ReasonKind,
    pub label: Cow<'static, str>,
    pub text: String,
}

/// A dimension's verdict for one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub dimension: Dimension,
    pub state: State,
    pub reasons: Vec<Reason>,
}

/// Every dimension for one device.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceReadiness {
    pub outcomes: Vec<Outcome>,
    /// Replacement priority, 0 (keep) to 100 (replace first).
    pub replacement_score: u32,
    pub replacement_group: ReplacementGroup,
    pub age: Option<AgeEstimate>,
}

impl DeviceReadiness {
    pub fn outcome(&self, dimension: Dimension) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.dimension == dimension)
    }
}

/// The verdicts as people read them: one line per dimension, its reasons
/// beneath (✗ blocks, ? a fact is missing, · advice).
impl fmt::Display for DeviceReadiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(age) = &self.age {
            writeln!(
                f,
                "  Age           since {} ({} confidence): {}",
                parc_model::civil::iso(age.since_day),
                age.confidence,
                age.evidence
            )?;
        }
        writeln!(
            f,
            "  Replacement   {} (priority {}/100)",
            self.replacement_group.name(),
            self.replacement_score
        )?;
        for outcome in &self.outcomes {
            let mark = match outcome.state {
                State::Ready => "ready",
                State::NotReady => "NOT READY",
                State::Unknown => "unknown",
            };
            writeln!(f, "  {:<13} {mark}", outcome.dimension.name())?;
            for reason in &outcome.reasons {
                let prefix = match reason.kind {
                    ReasonKind::Blocks => "✗",
                    ReasonKind::Missing => "?",
                    ReasonKind::Advice => "·",
                };
                writeln!(f, "      {prefix} {}", reason.text)?;
            }
        }
        Ok(())
    }
}

/// A device's site, with what the site-level rules need to know about it.
#[derive(Debug, Clone, Copy)]
pub struct SiteContext<'a> {
    pub site: &'a Site,
    /// Devices placed on the site, for the bandwidth of concurrent calls.
    pub devices_on_site: u32,
}

/// One device as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct DeviceInput<'a> {
    pub inventory: &'a Inventory,
    /// Seconds since the Unix epoch; `None` before the first report.
    pub last_seen_at: Option<i64>,
    pub asset: Option<&'a Asset>,
    pub site: Option<SiteContext<'a>>,
    /// Names of installed packages, enough to contain those the policy
    /// looks for (softphone and VPN clients); `None` when the software
    /// section is unknown.
    pub software: Option<&'a [String]>,
}

/// Evaluates every dimension. `now` is seconds since the Unix epoch.
pub fn evaluate(device: &DeviceInput<'_>, policy: &Policy, now: i64) -> DeviceReadiness {
    let facts = facts::Facts::of(device, policy, now);
    let replacement = replacement::evaluate(&facts, policy);
    let wifi_adapter = network::wifi_adapter(&facts, policy);
    let outcomes = vec![
        replacement.outcome,
        network::wifi(&facts, &wifi_adapter),
        network::fibre(&facts, policy, &wifi_adapter),
        softphone::evaluate(&facts, policy),
        telework::evaluate(&facts, policy, &wifi_adapter),
        security::evaluate(&facts, policy),
    ];
    DeviceReadiness {
        outcomes,
        replacement_score: replacement.score,
        replacement_group: replacement.group,
        age: facts.age.clone(),
    }
}

/// Collects a dimension's findings and decides its state: any blocking
/// finding makes it not ready, else any missing fact makes it unknown.
#[derive(Debug, Default)]
struct Checks {
    reasons: Vec<Reason>,
}

impl Checks {
    fn blocks(&mut self, code: &'static str, label: &'static str, text: String) {
        self.reasons.push(Reason { code: code.into(), kind: ReasonKind::Blocks, label: label.into(), text });
    }

    fn missing(&mut self, code: &'static str, label: &'static str, text: String) {
        self.reasons.push(Reason { code: code.into(), kind: ReasonKind::Missing, label: label.into(), text });
    }

    fn advise(&mut self, code: &'static str, label: &'static str, text: String) {
        self.reasons.push(Reason { code: code.into(), kind: ReasonKind::Advice, label: label.into(), text });
    }

    fn state(&self) -> State {
        if self.reasons.iter().any(|r| r.kind == ReasonKind::Blocks) {
            State::NotReady
        } else if self.reasons.iter().any(|r| r.kind == ReasonKind::Missing) {
            State::Unknown
        } else {
            State::Ready
        }
    }

    fn outcome(self, dimension: Dimension) -> Outcome {
        Outcome { dimension, state: self.state(), reasons: self.reasons }
    }
}

/// "8 GB", "7.5 GB", "256 GB": sizes as people say them (binary GB, as
/// RAM is sold and as Windows shows disks).
fn gb(bytes: u64) -> String {
    let value = bytes as f64 / (1u64 << 30) as f64;
    number(value)
}

fn number(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests;
