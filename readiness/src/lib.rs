//! Readiness: for every PC and every site, whether it is ready for each change
//! (replacement, Wi-Fi, fibre, softphone, telework, security) and why not, in
//! words a manager can read. Devices, sites and a policy in; results out. No
//! I/O and no clock: the caller passes "today".

pub mod age;
pub mod asset;
pub mod cpu;
pub mod import;
pub mod policy;
pub mod rules;
pub mod site;
pub mod summary;

pub use policy::Policy;
pub use rules::{
    evaluate, DeviceInput, DeviceReadiness, Dimension, Outcome, Reason, ReasonKind, SiteContext, State,
};
pub mod view;
