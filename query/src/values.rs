//! The named values of the language: the fields whose values come from a
//! list (chassis, disk, rollout status, teleworker) and the readiness
//! dimensions with their states and groups, each with its canonical name,
//! the other spellings accepted, and the order help and errors show.

use std::fmt;

use crate::field::Field;

/// A value a field of named values takes: its canonical name, the other
/// spellings accepted, and the list in the order help and errors show it.
pub(crate) trait Choice: Copy + 'static {
    const ALL: &'static [Self];
    fn name(self) -> &'static str;
    /// Other accepted spellings, already folded (lowercase, `-` for `_`,
    /// no accents).
    fn aliases(self) -> &'static [&'static str] {
        &[]
    }
}

/// The names of a choice's values, in order.
pub(crate) fn choice_names<T: Choice>() -> impl Iterator<Item = &'static str> + Clone {
    T::ALL.iter().map(|c| c.name())
}

/// The choice `folded` names, by name or alias.
pub(crate) fn find_choice<T: Choice>(folded: &str) -> Option<T> {
    T::ALL.iter().copied().find(|c| c.name() == folded || c.aliases().contains(&folded))
}

macro_rules! display_by_name {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(Choice::name(*self))
            }
        }
    )*};
}

/// What the machine is (SMBIOS chassis type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chassis {
    Laptop,
    Desktop,
    AllInOne,
    Tablet,
    Server,
    /// A virtual machine.
    Vm,
    Other,
    Unknown,
}

impl Choice for Chassis {
    const ALL: &'static [Chassis] = &[
        Chassis::Laptop,
        Chassis::Desktop,
        Chassis::AllInOne,
        Chassis::Tablet,
        Chassis::Server,
        Chassis::Vm,
        Chassis::Other,
        Chassis::Unknown,
    ];

    fn name(self) -> &'static str {
        match self {
            Chassis::Laptop => "laptop",
            Chassis::Desktop => "desktop",
            Chassis::AllInOne => "all-in-one",
            Chassis::Tablet => "tablet",
            Chassis::Server => "server",
            Chassis::Vm => "vm",
            Chassis::Other => "other",
            Chassis::Unknown => "unknown",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Chassis::Laptop => &["notebook", "portable"],
            Chassis::AllInOne => &["allinone", "aio"],
            Chassis::Vm => &["virtual", "virtual-machine"],
            _ => &[],
        }
    }
}

/// The kind of the system disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiskKind {
    Hdd,
    Ssd,
    Nvme,
    Unknown,
}

impl Choice for DiskKind {
    const ALL: &'static [DiskKind] = &[DiskKind::Hdd, DiskKind::Ssd, DiskKind::Nvme, DiskKind::Unknown];

    fn name(self) -> &'static str {
        match self {
            DiskKind::Hdd => "hdd",
            DiskKind::Ssd => "ssd",
            DiskKind::Nvme => "nvme",
            DiskKind::Unknown => "unknown",
        }
    }
}

/// A device's status in the rollout of the published plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RolloutStatus {
    Planned,
    Scheduled,
    Prepared,
    Delivered,
    Done,
    Postponed,
    Cancelled,
    /// `status:none`: not in the rollout.
    NotInRollout,
}

impl Choice for RolloutStatus {
    const ALL: &'static [RolloutStatus] = &[
        RolloutStatus::Planned,
        RolloutStatus::Scheduled,
        RolloutStatus::Prepared,
        RolloutStatus::Delivered,
        RolloutStatus::Done,
        RolloutStatus::Postponed,
        RolloutStatus::Cancelled,
        RolloutStatus::NotInRollout,
    ];

    fn name(self) -> &'static str {
        match self {
            RolloutStatus::Planned => "planned",
            RolloutStatus::Scheduled => "scheduled",
            RolloutStatus::Prepared => "prepared",
            RolloutStatus::Delivered => "delivered",
            RolloutStatus::Done => "done",
            RolloutStatus::Postponed => "postponed",
            RolloutStatus::Cancelled => "cancelled",
            RolloutStatus::NotInRollout => "none",
        }
    }

    /// The technicians' French words, as the returns sheet takes them.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            RolloutStatus::Planned => &["prevu"],
            RolloutStatus::Scheduled => &["programme", "rdv", "rendez-vous"],
            RolloutStatus::Prepared => &["prepare"],
            RolloutStatus::Delivered => &["livre"],
            RolloutStatus::Done => &["fait", "termine", "remplace"],
            RolloutStatus::Postponed => &["reporte"],
            RolloutStatus::Cancelled => &["canceled", "annule"],
            RolloutStatus::NotInRollout => &[],
        }
    }
}

/// The asset register's teleworker flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Teleworker {
    Yes,
    No,
    /// No asset row, or the column is empty.
    Unknown,
}

impl Choice for Teleworker {
    const ALL: &'static [Teleworker] = &[Teleworker::Yes, Teleworker::No, Teleworker::Unknown];

    fn name(self) -> &'static str {
        match self {
            Teleworker::Yes => "yes",
            Teleworker::No => "no",
            Teleworker::Unknown => "unknown",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Teleworker::Yes => &["true", "oui"],
            Teleworker::No => &["false", "non"],
            Teleworker::Unknown => &[],
        }
    }
}

/// What a device can be ready for (the readiness rules' dimensions; this
/// crate keeps its own copy so it depends on no other Parc crate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    pub fn field(self) -> Field {
        match self {
            Dimension::Replacement => Field::Replacement,
            Dimension::Wifi => Field::Wifi,
            Dimension::Fibre => Field::Fibre,
            Dimension::Softphone => Field::Softphone,
            Dimension::Telework => Field::Telework,
            Dimension::Security => Field::Security,
        }
    }

    pub fn name(self) -> &'static str {
        self.field().name()
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A readiness value: the dimension's state, or for `replacement` only,
/// one of the replacement groups that are not also a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadinessValue {
    State(ReadinessState),
    Group(ReplacementGroup),
}

impl ReadinessValue {
    pub fn name(self) -> &'static str {
        match self {
            ReadinessValue::State(state) => state.name(),
            ReadinessValue::Group(group) => group.name(),
        }
    }
}

impl fmt::Display for ReadinessValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dimension's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadinessState {
    Ready,
    NotReady,
    /// A fact the rule needs is missing.
    Unknown,
}

impl Choice for ReadinessState {
    const ALL: &'static [ReadinessState] =
        &[ReadinessState::Ready, ReadinessState::NotReady, ReadinessState::Unknown];

    fn name(self) -> &'static str {
        match self {
            ReadinessState::Ready => "ready",
            ReadinessState::NotReady => "not-ready",
            ReadinessState::Unknown => "unknown",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            ReadinessState::NotReady => &["notready"],
            _ => &[],
        }
    }
}

/// The replacement groups beyond the state: `replacement:fixable` (can stay
/// after work on it) and `replacement:replace` (too old or cannot run
/// Windows 11). The `ready` and `unknown` groups are the states of the same
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReplacementGroup {
    Fixable,
    Replace,
}

impl Choice for ReplacementGroup {
    const ALL: &'static [ReplacementGroup] = &[ReplacementGroup::Fixable, ReplacementGroup::Replace];

    fn name(self) -> &'static str {
        match self {
            ReplacementGroup::Fixable => "fixable",
            ReplacementGroup::Replace => "replace",
        }
    }
}

impl ReadinessState {
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

impl ReplacementGroup {
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

impl Chassis {
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

impl DiskKind {
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

impl RolloutStatus {
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

impl Teleworker {
    pub fn name(self) -> &'static str {
        Choice::name(self)
    }
}

display_by_name!(Chassis, DiskKind, RolloutStatus, Teleworker, ReadinessState, ReplacementGroup);
