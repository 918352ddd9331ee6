//! The wave planner: which PCs are replaced in which wave, under the
//! constraints of a plan spec (capacity, technicians, sites per wave,
//! blackouts, budget, stock), with a reason for every choice. Candidates
//! and a spec in; a plan out. No I/O and no clock: same inputs, same plan.
//!
//! Also the rollout that follows a plan: device statuses and their
//! transitions, technicians' returns, the difference between two plans.

pub mod baseline;
mod book;
pub mod candidate;
pub mod diff;
mod explain;
pub mod export;
pub mod plan;
pub mod progress;
pub mod record;
pub mod returns;
pub mod rollout;
pub mod spec;

pub use candidate::{Candidate, DeviceClass};
pub use explain::euros;
pub use plan::{plan, Constraint, Fixed, LeftOut, Placement, Plan, Shortfall, Wave};
pub use spec::{Overrides, PlanSpec, Rules, SpecError};
