//! What changed between two versions of a plan, device by device.

use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanDiff {
    /// In the new plan only: (device, wave).
    pub added: Vec<(u64, u32)>,
    /// In the old plan only: (device, wave it had).
    pub removed: Vec<(u64, u32)>,
    /// In both, in another wave: (device, old wave, new wave).
    pub moved: Vec<(u64, u32, u32)>,
    pub unchanged: u64,
}

impl PlanDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.moved.is_empty()
    }
}

/// Compares two plans given as (device, wave) pairs, in any order.
pub fn diff(
    old: impl IntoIterator<Item = (u64, u32)>,
    new: impl IntoIterator<Item = (u64, u32)>,
) -> PlanDiff {
    let old: BTreeMap<u64, u32> = old.into_iter().collect();
    let mut result = PlanDiff::default();
    let mut seen = BTreeMap::new();
    for (device, wave) in new {
        seen.insert(device, wave);
    }
    for (&device, &wave) in &seen {
        match old.get(&device) {
            None => result.added.push((device, wave)),
            Some(&before) if before != wave => result.moved.push((device, before, wave)),
            Some(_) => result.unchanged += 1,
        }
    }
    for (&device, &wave) in &old {
        if !seen.contains_key(&device) {
            result.removed.push((device, wave));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_removed_moved_and_unchanged_are_told_apart() {
        let result = diff([(1, 1), (2, 1), (3, 2)], [(1, 1), (2, 3), (4, 2)]);
        assert_eq!(result.added, vec![(4, 2)]);
        assert_eq!(result.removed, vec![(3, 2)]);
        assert_eq!(result.moved, vec![(2, 1, 3)]);
        assert_eq!(result.unchanged, 1);
        assert!(diff([(1, 1)], [(1, 1)]).is_empty());
    }
}
