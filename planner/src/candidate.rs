//! A device the planner may place, with what the priorities and the
//! constraints read from it.

use crate::spec::Priority;
use parc_model::ChassisKind;
use parc_readiness::site::SiteKind;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What the replacement is bought as: prices and stock are per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    Laptop,
    Desktop,
}

impl DeviceClass {
    pub const ALL: [DeviceClass; 2] = [DeviceClass::Laptop, DeviceClass::Desktop];

    pub fn name(self) -> &'static str {
        match self {
            DeviceClass::Laptop => "laptop",
            DeviceClass::Desktop => "desktop",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// A laptop is replaced by a laptop, and so is a teleworker's desktop:
    /// working from home needs one. Everything else by a desktop.
    pub fn of(chassis: ChassisKind, teleworker: bool) -> DeviceClass {
        match chassis {
            ChassisKind::Laptop | ChassisKind::Tablet => DeviceClass::Laptop,
            _ if teleworker => DeviceClass::Laptop,
            _ => DeviceClass::Desktop,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub device_id: u64,
    pub hostname: String,
    /// The site's code; "" when the device is on no site.
    pub site: String,
    pub site_kind: Option<SiteKind>,
    pub technician_group: String,
    pub class: DeviceClass,
    pub teleworker: bool,
    /// The replacement score, 0-100.
    pub score: u32,
    pub age_days: Option<u32>,
    /// Why it is replaced, briefly: "7 years old, HDD, no TPM 2.0".
    pub why: String,
    /// Postponed to this wave: not placed earlier.
    pub not_before_wave: Option<u32>,
}

impl Candidate {
    /// Whether it is in the first tier (placed before everyone else).
    pub fn first_tier(&self, priorities: &[Priority]) -> bool {
        priorities.first() == Some(&Priority::Teleworker) && self.teleworker
    }

    /// `Less` when `self` goes first. Ties are broken by the device id, so
    /// the order is total and the plan deterministic.
    pub fn by_priority(&self, other: &Candidate, priorities: &[Priority]) -> Ordering {
        for priority in priorities {
            let order = match priority {
                Priority::Teleworker => other.teleworker.cmp(&self.teleworker),
                Priority::Score => other.score.cmp(&self.score),
                Priority::Age => other.age_days.unwrap_or(0).cmp(&self.age_days.unwrap_or(0)),
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        self.device_id.cmp(&other.device_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teleworkers_get_laptops() {
        assert_eq!(DeviceClass::of(ChassisKind::Desktop, true), DeviceClass::Laptop);
        assert_eq!(DeviceClass::of(ChassisKind::AllInOne, false), DeviceClass::Desktop);
        assert_eq!(DeviceClass::of(ChassisKind::Laptop, false), DeviceClass::Laptop);
    }
}
