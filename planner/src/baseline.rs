//! The spreadsheet way, to measure the planner against: devices sorted by
//! priority, each put in the first wave with room, sites ignored. Same
//! hard constraints (through the same book), so only the grouping differs.

use crate::book::{Book, Demand, SiteRef};
use crate::spec::Rules;
use crate::Candidate;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Baseline {
    pub placed: u32,
    pub site_visits: u32,
}

pub fn greedy(rules: &Rules, candidates: &[Candidate]) -> Baseline {
    let mut book = Book::new(rules);
    let mut sites: BTreeMap<&str, u32> = BTreeMap::new();
    let mut order: Vec<&Candidate> = candidates.iter().filter(|c| !c.site.is_empty()).collect();
    order.sort_by(|a, b| a.by_priority(b, &rules.priorities));
    let mut placed = 0;
    for candidate in order {
        let next = sites.len() as u32;
        let id = *sites.entry(candidate.site.as_str()).or_insert(next);
        let Ok(group) = book.group_of(&candidate.technician_group) else { continue };
        let site = SiteRef { id, kind: candidate.site_kind, group };
        let demand = Demand::one(candidate.class, rules);
        let first = candidate.not_before_wave.unwrap_or(1).max(1) as usize - 1;
        if let Some(index) = (first..book.waves.len()).find(|&i| book.check(i, site, demand).is_ok()) {
            book.take(index, site, demand);
            placed += 1;
        }
    }
    Baseline { placed, site_visits: book.site_visits() }
}
