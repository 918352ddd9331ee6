//! The typed result of a parse: a query is terms, a term is a filter that
//! may be negated, and a filter carries its values already converted (sizes
//! in bytes, durations in seconds, ages in tenths of a year) so a caller
//! matches on it and binds the numbers, never re-reading a string.
//!
//! `Display` writes the canonical form (lowercase field names, `:` for
//! equality, values quoted only when needed), which parses back to the same
//! filters. Nothing here knows SQL or devices.

use std::fmt;

use crate::field::Field;
use crate::units;
pub use crate::values::*;

/// Where something is in the query, in characters (not bytes) from its
/// start, `end` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// A parsed query: every term must hold. No terms: every device.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    /// True when the query selects every device.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The fields the query uses, each once, in order of first use (free
    /// text has no field). Lets a caller join only the tables it needs.
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        for field in self.terms.iter().filter_map(|t| t.filter.field()) {
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        fields
    }
}

/// One term: `filter`, or with a leading `-`, its opposite.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    /// `-term`: the devices the filter does not match, those whose value is
    /// unknown included.
    pub negated: bool,
    pub filter: Filter,
    /// The whole term in the input, `-` included.
    pub span: Span,
}

/// What one term asks for. Lists are alternatives: any one matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Filter {
    /// A bare word or quoted phrase: the hostname, serial number, model,
    /// asset tag or assigned user contains it, case ignored.
    FreeText(String),
    /// `os:"Windows 10"`, `site:A,B`: the field matches one of the values,
    /// case ignored, as [`TextField::matching`] says (substring or exact).
    Text { field: TextField, values: Vec<String> },
    /// `chassis:laptop,tablet`
    Chassis(Vec<Chassis>),
    /// `disk:hdd`: the kind of the system disk.
    Disk(Vec<DiskKind>),
    /// `status:scheduled`: the device's rollout status.
    Status(Vec<RolloutStatus>),
    /// `teleworker:yes`: the asset register's teleworker flag.
    Teleworker(Vec<Teleworker>),
    /// `wifi:not-ready`, `replacement:replace`
    Readiness { dimension: Dimension, values: Vec<ReadinessValue> },
    /// `ram<8GB`, `cores:4,8`, `age>=5y`; the unit of `value`s is the
    /// field's (see [`NumberField`]).
    Number { field: NumberField, test: NumberTest },
    /// `not-seen>14d`: the time since the last report compared with
    /// `seconds` (`not-seen:14d` is `>=`; `not-seen<1d` is seen within a day).
    NotSeen { op: CmpOp, seconds: i64 },
    /// `wave:3`, `wave:none`, `wave>2`: the device's wave in the published plan.
    Wave(WaveTest),
}

impl Filter {
    /// The field the filter is on; `None` for free text.
    pub fn field(&self) -> Option<Field> {
        Some(match self {
            Filter::FreeText(_) => return None,
            Filter::Text { field, .. } => field.field(),
            Filter::Chassis(_) => Field::Chassis,
            Filter::Disk(_) => Field::Disk,
            Filter::Status(_) => Field::Status,
            Filter::Teleworker(_) => Field::Teleworker,
            Filter::Readiness { dimension, .. } => dimension.field(),
            Filter::Number { field, .. } => field.field(),
            Filter::NotSeen { .. } => Field::NotSeen,
            Filter::Wave(_) => Field::Wave,
        })
    }
}

/// A text field; all compare with case ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TextField {
    Hostname,
    Serial,
    Model,
    Manufacturer,
    Cpu,
    /// The OS name and version together: "Windows 11 (23H2)", "Debian GNU/Linux 12".
    Os,
    /// The name of an installed package.
    Software,
    /// The assigned user (asset register).
    User,
    Department,
    /// The site code, exact.
    Site,
    /// The asset tag, exact.
    Tag,
    /// One of the labels the agent reports, exact.
    Label,
}

/// How a text field compares with its value, case ignored either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextMatch {
    /// The field contains the value.
    Contains,
    /// The field is the value.
    Exact,
}

impl TextField {
    pub fn field(self) -> Field {
        match self {
            TextField::Hostname => Field::Hostname,
            TextField::Serial => Field::Serial,
            TextField::Model => Field::Model,
            TextField::Manufacturer => Field::Manufacturer,
            TextField::Cpu => Field::Cpu,
            TextField::Os => Field::Os,
            TextField::Software => Field::Software,
            TextField::User => Field::User,
            TextField::Department => Field::Department,
            TextField::Site => Field::Site,
            TextField::Tag => Field::Tag,
            TextField::Label => Field::Label,
        }
    }

    pub fn name(self) -> &'static str {
        self.field().name()
    }

    pub fn matching(self) -> TextMatch {
        match self {
            TextField::Site | TextField::Tag | TextField::Label => TextMatch::Exact,
            _ => TextMatch::Contains,
        }
    }
}

/// A field whose values are numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NumberField {
    /// Installed memory, in bytes (GB and GiB both 2^30).
    Ram,
    /// CPU cores.
    Cores,
    /// Parc's device id.
    Id,
    /// Estimated age in tenths of a year (`4.5y` is 45). `age:5y` is parsed
    /// as `age>=5y`, so there is never a list.
    Age,
    /// The replacement priority score, 0 to 100.
    Score,
}

impl NumberField {
    pub fn field(self) -> Field {
        match self {
            NumberField::Ram => Field::Ram,
            NumberField::Cores => Field::Cores,
            NumberField::Id => Field::Id,
            NumberField::Age => Field::Age,
            NumberField::Score => Field::Score,
        }
    }

    pub fn name(self) -> &'static str {
        self.field().name()
    }

    /// Writes a value in this field's unit the way the query language reads it.
    fn write_value(self, f: &mut fmt::Formatter<'_>, value: i64) -> fmt::Result {
        match self {
            NumberField::Ram => f.write_str(&units::format_size(value)),
            NumberField::Age => f.write_str(&units::format_age(value)),
            NumberField::Cores | NumberField::Id | NumberField::Score => write!(f, "{value}"),
        }
    }
}

/// How a number field is tested.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NumberTest {
    /// `cores:4,8`: equal to one of these.
    OneOf(Vec<i64>),
    /// `ram<8GB`: `field op value`.
    Cmp { op: CmpOp, value: i64 },
}

/// `wave:...`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WaveTest {
    /// `wave:3,4,none`: in one of these waves; `None` is "in no wave".
    OneOf(Vec<Option<u32>>),
    /// `wave>2`: in a wave, whose number compares so (a device in no wave
    /// never matches).
    Cmp { op: CmpOp, wave: u32 },
}

/// An ordering comparison, `field op value`. Equality is a list (`OneOf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A value as the language reads it back: bare when it is a plain word,
/// else in double quotes with `"` and `\` escaped.
pub(crate) fn write_value(f: &mut fmt::Formatter<'_>, value: &str) -> fmt::Result {
    if is_plain(value) {
        return f.write_str(value);
    }
    f.write_str("\"")?;
    for c in value.chars() {
        if c == '"' || c == '\\' {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

/// A word that reads back as itself outside quotes, as a value or as free
/// text: no space, quote, backslash, comma or operator, no leading `-`.
fn is_plain(value: &str) -> bool {
    !value.is_empty()
        && !value.starts_with('-')
        && value.chars().all(|c| !c.is_whitespace() && !c.is_control() && !"\"\\,:=<>".contains(c))
}

fn write_list<I, T>(f: &mut fmt::Formatter<'_>, name: &str, values: I) -> fmt::Result
where
    I: IntoIterator<Item = T>,
    T: fmt::Display,
{
    write!(f, "{name}:")?;
    for (i, value) in values.into_iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{value}")?;
    }
    Ok(())
}

/// A string value, quoted when it must be.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self.0)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::FreeText(text) => write_value(f, text),
            Filter::Text { field, values } => write_list(f, field.name(), values.iter().map(|v| Quoted(v))),
            Filter::Chassis(values) => write_list(f, Field::Chassis.name(), values),
            Filter::Disk(values) => write_list(f, Field::Disk.name(), values),
            Filter::Status(values) => write_list(f, Field::Status.name(), values),
            Filter::Teleworker(values) => write_list(f, Field::Teleworker.name(), values),
            Filter::Readiness { dimension, values } => write_list(f, dimension.name(), values),
            Filter::Number { field, test: NumberTest::OneOf(values) } => {
                write!(f, "{}:", field.name())?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    field.write_value(f, *value)?;
                }
                Ok(())
            }
            Filter::Number { field, test: NumberTest::Cmp { op, value } } => {
                write!(f, "{}{op}", field.name())?;
                field.write_value(f, *value)
            }
            Filter::NotSeen { op, seconds } => {
                write!(f, "{}{op}{}", Field::NotSeen.name(), units::format_duration(*seconds))
            }
            Filter::Wave(WaveTest::OneOf(waves)) => write_list(
                f,
                Field::Wave.name(),
                waves.iter().map(|w| w.map_or_else(|| "none".to_owned(), |n| n.to_string())),
            ),
            Filter::Wave(WaveTest::Cmp { op, wave }) => write!(f, "{}{op}{wave}", Field::Wave.name()),
        }
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("-")?;
        }
        write!(f, "{}", self.filter)
    }
}

/// The canonical form: terms separated by one space. `parse` reads it back
/// to the same filters, and to the very same `Query`, spans included, when
/// the query was itself parsed from its canonical form.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{term}")?;
        }
        Ok(())
    }
}
