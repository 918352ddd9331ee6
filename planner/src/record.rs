//! A plan as it is stored and sent: its header, what it looked like when
//! made, and each device's place.

use crate::{LeftOut, Shortfall, Wave};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanHeader {
    pub id: u64,
    /// draft, published or superseded.
    pub state: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    /// The published plan it re-planned.
    pub based_on: Option<u64>,
    /// The spec as planned, flags applied.
    pub spec_toml: String,
}

/// What a plan looked like when it was made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub waves: Vec<Wave>,
    pub shortfalls: Vec<Shortfall>,
    /// The first few; `left_out_total` counts them all.
    pub left_out: Vec<LeftOut>,
    pub left_out_total: u32,
    pub planned: u32,
    pub site_visits: u32,
    /// The same candidates placed one by one in priority order, sites ignored.
    pub baseline_site_visits: u32,
    pub baseline_planned: u32,
}

/// One device's place in a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedDevice {
    pub device_id: u64,
    pub wave: u32,
    pub position: u32,
    pub site_code: String,
    /// laptop or desktop.
    pub class: String,
    pub reason: String,
    /// Kept from the previous plan: frozen wave or status.
    pub fixed: bool,
}
