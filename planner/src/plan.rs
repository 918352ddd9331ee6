//! Planning: devices are grouped by site (and tier), groups are taken in
//! priority order, and each group goes whole into the first wave it fits
//! (preferably one already visiting its site), or over the earliest run of
//! consecutive waves that holds it when no wave can, or, when no run can,
//! into whatever room each wave has left. Every placement goes through the book's
//! check, so hard constraints hold; what fits nowhere is left out with the
//! constraint that stopped it.

use crate::book::{Book, Demand, SiteRef, Taken};
use crate::explain;
use crate::spec::Rules;
use crate::{Candidate, DeviceClass};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A device whose wave is decided already: in a frozen wave, or kept by
/// its rollout status. Taken as it is, before anything is planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fixed {
    pub candidate: Candidate,
    pub wave: u32,
    /// Why it stays: "frozen, started 2027-01-11", "status delivered".
    pub why: String,
}

/// The hard constraint that kept a device out of a wave.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "constraint", content = "detail")]
pub enum Constraint {
    Capacity,
    /// The technician group's days are used up.
    TechnicianDays(String),
    SitesPerWave,
    Budget,
    Stock(DeviceClass),
    /// Every open wave falls in a blackout for the site.
    Blackout,
    /// The spec limits technician groups but not this site's one.
    UnknownTechnicianGroup(String),
    /// The device is on no site.
    NoSite,
    /// No wave left: postponed past the plan's last wave, or every wave frozen.
    Horizon,
}

impl Constraint {
    /// A stable code for scripts and counts.
    pub fn code(&self) -> &'static str {
        match self {
            Constraint::Capacity => "capacity",
            Constraint::TechnicianDays(_) => "technician_days",
            Constraint::SitesPerWave => "sites_per_wave",
            Constraint::Budget => "budget",
            Constraint::Stock(_) => "stock",
            Constraint::Blackout => "blackout",
            Constraint::UnknownTechnicianGroup(_) => "technician_group",
            Constraint::NoSite => "no_site",
            Constraint::Horizon => "horizon",
        }
    }

    /// The constraint of a code and detail, as [`code`](Self::code) and
    /// [`detail`](Self::detail) give them.
    pub fn from_code(code: &str, detail: &str) -> Option<Constraint> {
        Some(match code {
            "capacity" => Constraint::Capacity,
            "technician_days" => Constraint::TechnicianDays(detail.to_string()),
            "sites_per_wave" => Constraint::SitesPerWave,
            "budget" => Constraint::Budget,
            "stock" => Constraint::Stock(DeviceClass::ALL.into_iter().find(|c| c.name() == detail)?),
            "blackout" => Constraint::Blackout,
            "technician_group" => Constraint::UnknownTechnicianGroup(detail.to_string()),
            "no_site" => Constraint::NoSite,
            "horizon" => Constraint::Horizon,
            _ => return None,
        })
    }

    /// The group name or device class it is about, "" otherwise.
    pub fn detail(&self) -> &str {
        match self {
            Constraint::TechnicianDays(group) | Constraint::UnknownTechnicianGroup(group) => group,
            Constraint::Stock(class) => class.name(),
            _ => "",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placement {
    pub device_id: u64,
    pub wave: u32,
    pub site: String,
    /// "wave 1 (2027-01-04): teleworker; score 87: 7 years old, HDD; site
    /// MDS-ETAMPES in one visit (12 PCs)".
    pub reason: String,
    /// Kept from the previous plan (frozen wave or status).
    pub fixed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    pub device_id: u64,
    pub site: String,
    pub constraint: Constraint,
    pub reason: String,
}

/// A constraint that left devices out, and how much more of it would
/// hold them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shortfall {
    pub constraint: Constraint,
    pub devices: u32,
    /// "120 devices beyond 40 per wave: 3 more waves".
    pub missing: String,
}

/// One wave's calendar and utilisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Wave {
    pub number: u32,
    pub starts_on: i64,
    pub ends_on: i64,
    pub frozen: bool,
    pub devices: u32,
    pub capacity: Option<u32>,
    pub sites: u32,
    pub max_sites: Option<u32>,
    pub laptops: u32,
    pub desktops: u32,
    pub technicians: Vec<TechnicianUse>,
    pub budget_cents: u64,
    pub budget_limit_cents: Option<u64>,
    pub stock: Vec<StockUse>,
    /// The blackout closing the wave to every site.
    pub blackout: Option<String>,
}

impl Wave {
    /// The limits of the spec a wave goes past: only a frozen wave can,
    /// since its devices are kept as they were when a tighter spec came.
    /// "12 devices for a capacity of 10".
    pub fn overruns(&self) -> Vec<String> {
        let mut over = Vec::new();
        if let Some(capacity) = self.capacity.filter(|c| self.devices > *c) {
            over.push(format!("{} devices for a capacity of {capacity}", self.devices));
        }
        if let Some(max) = self.max_sites.filter(|m| self.sites > *m) {
            over.push(format!("{} sites for at most {max}", self.sites));
        }
        for t in self.technicians.iter().filter(|t| t.days_used > t.days_available + 1e-9) {
            over.push(format!(
                "{} technician-days of {} for {}",
                explain::number(t.days_used),
                t.group,
                t.days_available
            ));
        }
        if let Some(budget) = self.budget_limit_cents.filter(|b| self.budget_cents > *b) {
            over.push(format!(
                "{} spent of a {} budget",
                explain::euros(self.budget_cents),
                explain::euros(budget)
            ));
        }
        over
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TechnicianUse {
    pub group: String,
    pub days_used: f64,
    pub days_available: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockUse {
    pub class: DeviceClass,
    pub used: u32,
    /// Delivered up to this wave minus what earlier waves used.
    pub available: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub waves: Vec<Wave>,
    /// By wave, then in the order they were placed (priority order).
    pub placements: Vec<Placement>,
    pub left_out: Vec<LeftOut>,
    pub shortfalls: Vec<Shortfall>,
    /// Site visits: for each wave, the sites it goes to.
    pub site_visits: u32,
}

/// Devices of one site and tier (and postponement), placed together.
struct Group {
    first_tier: bool,
    site: SiteRef,
    not_before: u32,
    members: Vec<usize>,
}

/// How a group's placement is explained.
#[derive(Clone)]
pub(crate) enum Split {
    Whole,
    /// Over several waves, because of this constraint.
    By(Constraint),
}

/// Plans `candidates` into the waves of `rules`. Waves before
/// `first_open_wave` are frozen: they take no new device. `fixed` devices
/// keep their waves.
pub fn plan(rules: &Rules, candidates: &[Candidate], fixed: &[Fixed], first_open_wave: u32) -> Plan {
    let mut book = Book::new(rules);
    let mut sites: BTreeMap<&str, u32> = BTreeMap::new();
    for code in
        fixed.iter().map(|f| f.candidate.site.as_str()).chain(candidates.iter().map(|c| c.site.as_str()))
    {
        let next = sites.len() as u32;
        sites.entry(code).or_insert(next);
    }
    let site_of = |book: &Book, candidate: &Candidate| -> Result<SiteRef, Constraint> {
        let group = book
            .group_of(&candidate.technician_group)
            .map_err(|()| Constraint::UnknownTechnicianGroup(candidate.technician_group.clone()))?;
        Ok(SiteRef { id: sites[candidate.site.as_str()], kind: candidate.site_kind, group })
    };

    let mut placed: Vec<(u32, Placement)> = Vec::new();
    let mut fixed_ids = HashSet::new();
    for entry in fixed {
        let wave = entry.wave.clamp(1, rules.waves);
        let site = site_of(&book, &entry.candidate).unwrap_or(SiteRef {
            id: sites[entry.candidate.site.as_str()],
            kind: None,
            group: None,
        });
        book.take(wave as usize - 1, site, Demand::one(entry.candidate.class, rules));
        fixed_ids.insert(entry.candidate.device_id);
        placed.push((
            wave,
            Placement {
                device_id: entry.candidate.device_id,
                wave,
                site: entry.candidate.site.clone(),
                reason: format!("wave {wave}: {}", entry.why),
                fixed: true,
            },
        ));
    }

    let mut left_out = Vec::new();
    let mut seen = HashSet::new();
    let mut groups: HashMap<(bool, u32, u32), Group> = HashMap::new();
    for (index, candidate) in candidates.iter().enumerate() {
        if fixed_ids.contains(&candidate.device_id) || !seen.insert(candidate.device_id) {
            continue;
        }
        let refused =
            if candidate.site.is_empty() { Err(Constraint::NoSite) } else { site_of(&book, candidate) };
        let site = match refused {
            Ok(site) => site,
            Err(constraint) => {
                left_out.push(explain::left_out(rules, &book, candidate, constraint, None));
                continue;
            }
        };
        let first_tier = candidate.first_tier(&rules.priorities);
        let not_before = candidate.not_before_wave.unwrap_or(1).max(first_open_wave).max(1);
        groups
            .entry((first_tier, site.id, not_before))
            .or_insert_with(|| Group { first_tier, site, not_before, members: Vec::new() })
            .members
            .push(index);
    }
    let priorities = &rules.priorities;
    let by_priority = |a: &usize, b: &usize| candidates[*a].by_priority(&candidates[*b], priorities);
    let mut groups: Vec<Group> = groups.into_values().collect();
    for group in &mut groups {
        group.members.sort_by(by_priority);
    }
    groups.sort_by(|a, b| {
        b.first_tier.cmp(&a.first_tier).then_with(|| by_priority(&a.members[0], &b.members[0]))
    });

    // The last wave of each site's first tier: its other devices go no earlier.
    let mut tier_floor: HashMap<u32, u32> = HashMap::new();
    let mut explained: Vec<(usize, u32, Split)> = Vec::with_capacity(candidates.len());
    for group in &groups {
        let floor = if group.first_tier {
            group.not_before
        } else {
            group.not_before.max(tier_floor.get(&group.site.id).copied().unwrap_or(0))
        };
        let outcome = place_group(rules, &mut book, group, floor, candidates);
        for &(member, wave) in &outcome.placed {
            explained.push((member, wave, outcome.split.clone()));
        }
        if group.first_tier {
            if let Some(last) = outcome.placed.iter().map(|(_, wave)| *wave).max() {
                let entry = tier_floor.entry(group.site.id).or_insert(0);
                *entry = (*entry).max(last);
            }
        }
        for (member, constraint) in outcome.refused {
            left_out.push(explain::left_out(rules, &book, &candidates[member], constraint, Some(floor)));
        }
    }

    let site_waves = explain::site_waves(
        fixed
            .iter()
            .map(|f| (f.candidate.site.as_str(), f.wave.clamp(1, rules.waves)))
            .chain(explained.iter().map(|(member, wave, _)| (candidates[*member].site.as_str(), *wave))),
    );
    for (member, wave, split) in &explained {
        let candidate = &candidates[*member];
        let reason = explain::placement(rules, candidate, *wave, split, &site_waves);
        placed.push((
            *wave,
            Placement {
                device_id: candidate.device_id,
                wave: *wave,
                site: candidate.site.clone(),
                reason,
                fixed: false,
            },
        ));
    }
    placed.sort_by_key(|(wave, _)| *wave);
    left_out.sort_by(|a, b| a.site.cmp(&b.site).then(a.device_id.cmp(&b.device_id)));
    let shortfalls = explain::shortfalls(rules, &book, &left_out, candidates);
    let last_wave = placed.last().map_or(0, |(wave, _)| *wave);
    Plan {
        waves: (1..=last_wave).map(|n| explain::wave(rules, &book, n, first_open_wave)).collect(),
        placements: placed.into_iter().map(|(_, p)| p).collect(),
        left_out,
        shortfalls,
        site_visits: book.site_visits(),
    }
}

struct GroupOutcome {
    placed: Vec<(usize, u32)>,
    refused: Vec<(usize, Constraint)>,
    split: Split,
}

fn place_group(
    rules: &Rules,
    book: &mut Book,
    group: &Group,
    floor: u32,
    candidates: &[Candidate],
) -> GroupOutcome {
    let demands: Vec<Demand> =
        group.members.iter().map(|m| Demand::one(candidates[*m].class, rules)).collect();
    let mut total = Demand::default();
    for demand in &demands {
        total.add(*demand);
    }
    let open = (floor.max(1) as usize - 1)..book.waves.len();
    let fits = |book: &Book, index: usize| book.check(index, group.site, total).is_ok();
    let whole = open
        .clone()
        .find(|&index| book.waves[index].sites.contains(&group.site.id) && fits(book, index))
        .or_else(|| open.clone().find(|&index| fits(book, index)));
    if let Some(index) = whole {
        book.take(index, group.site, total);
        let wave = index as u32 + 1;
        return GroupOutcome {
            placed: group.members.iter().map(|m| (*m, wave)).collect(),
            refused: Vec::new(),
            split: Split::Whole,
        };
    }
    // No wave holds the whole group: the earliest run of consecutive waves
    // that holds it all (waves closed to the site by a blackout do not break
    // a run: nobody can go there then); failing that, whatever each wave can
    // still take, so nobody is left out to keep the visits together.
    let why_split = open.clone().find_map(|index| book.check(index, group.site, total).err());
    let split = Split::By(why_split.unwrap_or(Constraint::Capacity));
    for start in open.clone() {
        let run = fill(rules, book, group, &demands, candidates, start..book.waves.len(), true);
        if run.remaining.is_empty() {
            return GroupOutcome { placed: run.placed, refused: Vec::new(), split };
        }
        for taken in run.taken.into_iter().rev() {
            book.untake(taken);
        }
    }
    let spread = fill(rules, book, group, &demands, candidates, open, false);
    let refused = spread
        .remaining
        .into_iter()
        .map(|position| {
            let member = group.members[position];
            (member, binding(&spread.refusals[candidates[member].class.index()]))
        })
        .collect();
    GroupOutcome { placed: spread.placed, refused, split }
}

/// What [`fill`] placed, and what it could not.
struct Fill {
    /// (candidate index, wave number)
    placed: Vec<(usize, u32)>,
    /// Positions in the group's members.
    remaining: Vec<usize>,
    /// Per class: how many waves each constraint refused.
    refusals: [BTreeMap<Constraint, u32>; 2],
    taken: Vec<Taken>,
}

/// Places the group's members, best first, into `waves` in order, each
/// wave taking what it can. With `consecutive`, stops at the first open
/// wave that takes none, so the waves used follow each other.
fn fill(
    rules: &Rules,
    book: &mut Book,
    group: &Group,
    demands: &[Demand],
    candidates: &[Candidate],
    waves: std::ops::Range<usize>,
    consecutive: bool,
) -> Fill {
    let mut fill = Fill {
        placed: Vec::new(),
        remaining: (0..group.members.len()).collect(),
        refusals: [BTreeMap::new(), BTreeMap::new()],
        taken: Vec::new(),
    };
    for index in waves {
        let before = fill.remaining.len();
        let mut blocked = [false; 2];
        fill.remaining.retain(|&position| {
            let class = candidates[group.members[position]].class.index();
            if blocked[class] {
                return true;
            }
            match book.check(index, group.site, demands[position]) {
                Ok(()) => {
                    fill.taken.push(book.take(index, group.site, demands[position]));
                    fill.placed.push((group.members[position], index as u32 + 1));
                    false
                }
                Err(constraint) => {
                    blocked[class] = true;
                    *fill.refusals[class].entry(constraint).or_insert(0) += 1;
                    true
                }
            }
        });
        if fill.remaining.is_empty() {
            break;
        }
        let closed = rules.blackout(index as u32 + 1, group.site.kind).is_some();
        if consecutive && fill.remaining.len() == before && (fill.placed.is_empty() || !closed) {
            break;
        }
    }
    fill
}

/// The constraint that refused most waves; a blackout only when nothing
/// else did, since more capacity cannot lift it.
fn binding(refusals: &BTreeMap<Constraint, u32>) -> Constraint {
    refusals
        .iter()
        .filter(|(c, _)| **c != Constraint::Blackout)
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(c, _)| c.clone())
        .unwrap_or(if refusals.is_empty() { Constraint::Horizon } else { Constraint::Blackout })
}
