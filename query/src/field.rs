//! The field registry: the one table of every field's name, kind, values,
//! example and meaning. The parser looks names up in it, errors list it
//! ("expected one of ..."), help text and `docs/query.md` are checked
//! against it. Adding a field starts here.

use std::fmt;

/// Every field of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Hostname,
    Serial,
    Model,
    Manufacturer,
    Cpu,
    Os,
    Software,
    User,
    Department,
    Site,
    Tag,
    Label,
    Chassis,
    Disk,
    Status,
    Teleworker,
    Replacement,
    Wifi,
    Fibre,
    Softphone,
    Telework,
    Security,
    Ram,
    Cores,
    Id,
    Wave,
    Age,
    Score,
    NotSeen,
}

impl Field {
    /// This field's row in the registry.
    pub fn help(self) -> &'static FieldHelp {
        // Every variant has exactly one row (a unit test checks it); the
        // fallback only keeps this total.
        FIELDS.iter().find(|h| h.field == self).unwrap_or(&FIELDS[0])
    }

    /// The canonical name: lowercase, `-` between words.
    pub fn name(self) -> &'static str {
        self.help().name
    }

    pub fn kind(self) -> FieldKind {
        self.help().kind
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a field's values are, which decides the operators it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Free text; `:` only.
    Text,
    /// One of a list of names; `:` only.
    Choice,
    /// A readiness dimension: ready, not-ready, unknown; `:` only.
    Readiness,
    /// A size with a unit (`8GB`); all operators.
    Size,
    /// A whole number; all operators.
    Number,
    /// A wave number or `none`; all operators.
    Wave,
    /// Years (`5y`, `4.5`); `:` means `>=`.
    Age,
    /// A duration with a unit (`14d`); `:` means `>=`.
    Duration,
}

impl FieldKind {
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Choice => "choice",
            FieldKind::Readiness => "readiness",
            FieldKind::Size => "size",
            FieldKind::Number => "number",
            FieldKind::Wave => "wave",
            FieldKind::Age => "age",
            FieldKind::Duration => "duration",
        }
    }

    /// Whether `<`, `<=`, `>`, `>=` apply.
    pub fn compares(self) -> bool {
        !matches!(self, FieldKind::Text | FieldKind::Choice | FieldKind::Readiness)
    }

    /// Whether `:` takes a list of alternatives (`a,b`).
    pub fn takes_list(self) -> bool {
        !matches!(self, FieldKind::Age | FieldKind::Duration)
    }

    /// The operators, as help text shows them.
    pub fn operators(self) -> &'static str {
        match self {
            FieldKind::Text | FieldKind::Choice | FieldKind::Readiness => ":",
            FieldKind::Size | FieldKind::Number | FieldKind::Wave => ": < <= > >=",
            FieldKind::Age | FieldKind::Duration => "< <= > >= (: is >=)",
        }
    }
}

impl fmt::Display for FieldKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One field, as help text shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldHelp {
    pub field: Field,
    /// The canonical name (lowercase; `_` and `-` are the same when typed).
    pub name: &'static str,
    pub kind: FieldKind,
    /// For choice and readiness fields, the values, canonical names in
    /// order (other spellings are accepted too); empty otherwise.
    pub values: &'static [&'static str],
    /// A term using the field, in canonical form.
    pub example: &'static str,
    /// What it means, for IT staff.
    pub meaning: &'static str,
}

const READINESS: &[&str] = &["ready", "not-ready", "unknown"];

/// The registry, in the order help and errors list the fields.
pub(crate) static FIELDS: &[FieldHelp] = &[
    text(Field::Hostname, "hostname", "hostname:PC-0042", "the computer name contains this"),
    text(Field::Serial, "serial", "serial:5CG1234", "the serial number contains this"),
    text(Field::Model, "model", "model:\"EliteBook 840\"", "the model contains this"),
    text(Field::Manufacturer, "manufacturer", "manufacturer:lenovo", "the manufacturer contains this"),
    text(Field::Cpu, "cpu", "cpu:i5-8", "the processor's name contains this"),
    text(
        Field::Os,
        "os",
        "os:\"Windows 10\"",
        "the OS name and version contain this (\"Windows 11 (23H2)\", \"Debian GNU/Linux 12\")",
    ),
    text(
        Field::Software,
        "software",
        "software:\"Lotus Notes\"",
        "an installed program's name contains this",
    ),
    text(Field::User, "user", "user:dupont", "the assigned user (asset register) contains this"),
    text(
        Field::Department,
        "department",
        "department:\"Action sociale\"",
        "the department (asset register) contains this",
    ),
    text(Field::Site, "site", "site:MDS-ETAMPES", "on this site: the site code, exactly"),
    text(Field::Tag, "tag", "tag:CD91-004512", "this asset tag, exactly"),
    text(Field::Label, "label", "label:pilot", "the agent reports this label (TAGS at install), exactly"),
    choice(
        Field::Chassis,
        "chassis",
        &["laptop", "desktop", "all-in-one", "tablet", "server", "vm", "other", "unknown"],
        "chassis:laptop",
        "the kind of machine (vm: a virtual machine)",
    ),
    choice(
        Field::Disk,
        "disk",
        &["hdd", "ssd", "nvme", "unknown"],
        "disk:hdd",
        "the kind of the system disk",
    ),
    choice(
        Field::Status,
        "status",
        &["planned", "scheduled", "prepared", "delivered", "done", "postponed", "cancelled", "none"],
        "status:scheduled",
        "the rollout status of its replacement (none: not in the rollout)",
    ),
    choice(
        Field::Teleworker,
        "teleworker",
        &["yes", "no", "unknown"],
        "teleworker:yes",
        "the assigned user works from home (asset register; oui/non, true/false too)",
    ),
    FieldHelp {
        field: Field::Replacement,
        name: "replacement",
        kind: FieldKind::Readiness,
        values: &["ready", "not-ready", "unknown", "fixable", "replace"],
        example: "replacement:replace",
        meaning: "replacement readiness, or its group: fixable (can stay after work on it), \
                  replace (too old or cannot run Windows 11)",
    },
    readiness(Field::Wifi, "wifi", "wifi:not-ready", "ready for the site's Wi-Fi"),
    readiness(Field::Fibre, "fibre", "fibre:ready", "ready for the site's fibre link"),
    readiness(Field::Softphone, "softphone", "softphone:ready", "ready for the softphone (headset, camera)"),
    readiness(Field::Telework, "telework", "telework:not-ready", "ready for working from home"),
    readiness(
        Field::Security,
        "security",
        "security:not-ready",
        "meets the security baseline (TPM, encryption)",
    ),
    number(
        Field::Ram,
        "ram",
        FieldKind::Size,
        "ram<8GB",
        "installed memory; GB and GiB both mean 1024 MB, as for RAM people say",
    ),
    number(Field::Cores, "cores", FieldKind::Number, "cores>=4", "the number of CPU cores"),
    number(Field::Id, "id", FieldKind::Number, "id:1042", "Parc's device id"),
    number(
        Field::Wave,
        "wave",
        FieldKind::Wave,
        "wave:3",
        "its wave in the published plan; wave:none is in no wave",
    ),
    number(
        Field::Age,
        "age",
        FieldKind::Age,
        "age>=5y",
        "estimated age in years (5, 4.5 or 5y); age:5y means 5 years or more",
    ),
    number(
        Field::Score,
        "score",
        FieldKind::Number,
        "score>=80",
        "the replacement priority score, 0 to 100: the higher, the sooner",
    ),
    number(
        Field::NotSeen,
        "not-seen",
        FieldKind::Duration,
        "not-seen>14d",
        "last report older than this (m, h, d, w); not-seen<1d is seen within a day",
    ),
];

const fn text(field: Field, name: &'static str, example: &'static str, meaning: &'static str) -> FieldHelp {
    FieldHelp { field, name, kind: FieldKind::Text, values: &[], example, meaning }
}

const fn choice(
    field: Field,
    name: &'static str,
    values: &'static [&'static str],
    example: &'static str,
    meaning: &'static str,
) -> FieldHelp {
    FieldHelp { field, name, kind: FieldKind::Choice, values, example, meaning }
}

const fn readiness(
    field: Field,
    name: &'static str,
    example: &'static str,
    meaning: &'static str,
) -> FieldHelp {
    FieldHelp { field, name, kind: FieldKind::Readiness, values: READINESS, example, meaning }
}

const fn number(
    field: Field,
    name: &'static str,
    kind: FieldKind,
    example: &'static str,
    meaning: &'static str,
) -> FieldHelp {
    FieldHelp { field, name, kind, values: &[], example, meaning }
}

/// Every field, in order, with its kind, values, example and meaning: for
/// help text (CLI, the web search page) and the docs.
pub fn field_help() -> &'static [FieldHelp] {
    FIELDS
}

/// The field a name typed in a query means: case ignored, `_` same as `-`.
pub(crate) fn lookup(name: &str) -> Option<&'static FieldHelp> {
    let folded: String = name.chars().map(|c| if c == '_' { '-' } else { c.to_ascii_lowercase() }).collect();
    FIELDS.iter().find(|h| h.name == folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_one_row() {
        for (i, help) in FIELDS.iter().enumerate() {
            assert_eq!(FIELDS.iter().filter(|h| h.field == help.field).count(), 1, "{}", help.name);
            assert_eq!(help.field.help(), help);
            assert!(FIELDS[..i].iter().all(|h| h.name != help.name), "{} twice", help.name);
            assert_eq!(
                help.values.is_empty(),
                !matches!(help.kind, FieldKind::Choice | FieldKind::Readiness)
            );
        }
        assert_eq!(FIELDS.len(), 29);
    }

    #[test]
    fn names_are_folded() {
        assert_eq!(lookup("NOT_SEEN").map(|h| h.field), Some(Field::NotSeen));
        assert_eq!(lookup("Not-Seen").map(|h| h.field), Some(Field::NotSeen));
        assert_eq!(lookup("WiFi").map(|h| h.field), Some(Field::Wifi));
        assert_eq!(lookup("wi-fi"), None);
    }
}
