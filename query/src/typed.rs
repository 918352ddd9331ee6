//! From raw terms to typed filters: the field looked up in the registry,
//! the operator checked against its kind, each value read as what the
//! field holds (a name from its list, a size, a duration...).

use crate::error::{echo, suggest, ErrorKind, QueryError};
use crate::field::{self, Field, FieldHelp, FieldKind, FIELDS};
use crate::filter::{
    choice_names, find_choice, Chassis, Choice, CmpOp, Dimension, DiskKind, Filter, NumberField, NumberTest,
    ReadinessState, ReadinessValue, ReplacementGroup, RolloutStatus, Teleworker, Term, TextField, WaveTest,
};
use crate::lex::{RawBody, RawOp, RawTerm, RawValue};
use crate::units::{self, NumberError};

pub(crate) fn term(raw: RawTerm) -> Result<Term, QueryError> {
    let filter = match raw.body {
        RawBody::Free(value) => Filter::FreeText(value.text),
        RawBody::Field { name, name_span, op, op_span, values } => {
            let Some(help) = field::lookup(&name) else {
                let names = FIELDS.iter().map(|h| h.name);
                let message =
                    format!("unknown field {}: expected one of {}", echo(&name), join(names.clone()));
                return Err(QueryError::new(
                    ErrorKind::UnknownField,
                    name_span.start,
                    name_span.len(),
                    message,
                )
                .expecting(names.clone())
                .suggesting(suggest(&name, names)));
            };
            let field = FieldTerm {
                help,
                label: format!("{}{}", help.name, op_text(op)),
                op,
                op_start: op_span.start,
            };
            field.filter(op_span.len(), values)?
        }
    };
    Ok(Term { negated: raw.negated, filter, span: raw.span })
}

fn op_text(op: RawOp) -> &'static str {
    match op {
        RawOp::Eq => ":",
        RawOp::Cmp(op) => op.symbol(),
    }
}

fn join<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names.into_iter().collect::<Vec<_>>().join(", ")
}

/// A field term being read.
struct FieldTerm {
    help: &'static FieldHelp,
    /// `ram<`, for messages.
    label: String,
    op: RawOp,
    op_start: usize,
}

impl FieldTerm {
    fn name(&self) -> &'static str {
        self.help.name
    }

    fn filter(&self, op_len: usize, values: Vec<RawValue>) -> Result<Filter, QueryError> {
        let kind = self.help.kind;
        if let RawOp::Cmp(op) = self.op {
            if !kind.compares() {
                let message = format!("'{op}' needs a number: {} is a {kind} field", self.name());
                return Err(QueryError::new(ErrorKind::OperatorNotAllowed, self.op_start, op_len, message)
                    .expecting([":"]));
            }
        }
        if values.len() > 1 && (matches!(self.op, RawOp::Cmp(_)) || !kind.takes_list()) {
            let (first, last) = (&values[1], &values[values.len() - 1]);
            let message = format!("'{}' takes one value, not a list", self.label);
            let (start, end) = (first.span.start.saturating_sub(1), last.span.end);
            return Err(QueryError::new(ErrorKind::ListNotAllowed, start, end - start, message));
        }
        let cmp = match self.op {
            RawOp::Cmp(op) => Some(op),
            RawOp::Eq => None,
        };
        Ok(match self.help.field {
            Field::Hostname => self.text(TextField::Hostname, values),
            Field::Serial => self.text(TextField::Serial, values),
            Field::Model => self.text(TextField::Model, values),
            Field::Manufacturer => self.text(TextField::Manufacturer, values),
            Field::Cpu => self.text(TextField::Cpu, values),
            Field::Os => self.text(TextField::Os, values),
            Field::Software => self.text(TextField::Software, values),
            Field::User => self.text(TextField::User, values),
            Field::Department => self.text(TextField::Department, values),
            Field::Site => self.text(TextField::Site, values),
            Field::Tag => self.text(TextField::Tag, values),
            Field::Label => self.text(TextField::Label, values),
            Field::Chassis => Filter::Chassis(self.choices::<Chassis>(&values)?),
            Field::Disk => Filter::Disk(self.choices::<DiskKind>(&values)?),
            Field::Status => Filter::Status(self.choices::<RolloutStatus>(&values)?),
            Field::Teleworker => Filter::Teleworker(self.choices::<Teleworker>(&values)?),
            Field::Replacement => self.readiness(Dimension::Replacement, &values)?,
            Field::Wifi => self.readiness(Dimension::Wifi, &values)?,
            Field::Fibre => self.readiness(Dimension::Fibre, &values)?,
            Field::Softphone => self.readiness(Dimension::Softphone, &values)?,
            Field::Telework => self.readiness(Dimension::Telework, &values)?,
            Field::Security => self.readiness(Dimension::Security, &values)?,
            Field::Ram => self.number(NumberField::Ram, cmp, &values)?,
            Field::Cores => self.number(NumberField::Cores, cmp, &values)?,
            Field::Id => self.number(NumberField::Id, cmp, &values)?,
            Field::Score => self.number(NumberField::Score, cmp, &values)?,
            Field::Age => {
                let value = self.value(&values[0], units::parse_age)?;
                Filter::Number {
                    field: NumberField::Age,
                    test: NumberTest::Cmp { op: cmp.unwrap_or(CmpOp::Ge), value },
                }
            }
            Field::NotSeen => {
                let seconds = self.value(&values[0], units::parse_duration)?;
                Filter::NotSeen { op: cmp.unwrap_or(CmpOp::Ge), seconds }
            }
            Field::Wave => self.wave(cmp, &values)?,
        })
    }

    fn text(&self, field: TextField, values: Vec<RawValue>) -> Filter {
        Filter::Text { field, values: values.into_iter().map(|v| v.text).collect() }
    }

    fn choices<T: Choice>(&self, values: &[RawValue]) -> Result<Vec<T>, QueryError> {
        values
            .iter()
            .map(|v| {
                let folded = fold(&v.text);
                find_choice(&folded).ok_or_else(|| {
                    // `teleworker:ready` is likely meant for the readiness.
                    let readiness = self.help.field == Field::Teleworker
                        && find_choice::<ReadinessState>(&folded).is_some();
                    let note = if readiness {
                        " (telework:ready is the readiness for working from home)"
                    } else {
                        ""
                    };
                    self.not_one_of(v, choice_names::<T>(), note)
                })
            })
            .collect()
    }

    fn readiness(&self, dimension: Dimension, values: &[RawValue]) -> Result<Filter, QueryError> {
        let values = values
            .iter()
            .map(|v| {
                let folded = fold(&v.text);
                if let Some(state) = find_choice::<ReadinessState>(&folded) {
                    return Ok(ReadinessValue::State(state));
                }
                let group = find_choice::<ReplacementGroup>(&folded);
                match (dimension, group) {
                    (Dimension::Replacement, Some(group)) => Ok(ReadinessValue::Group(group)),
                    (Dimension::Replacement, None) => Err(self.not_one_of(
                        v,
                        choice_names::<ReadinessState>().chain(choice_names::<ReplacementGroup>()),
                        "",
                    )),
                    (_, Some(_)) => Err(self.not_one_of(
                        v,
                        choice_names::<ReadinessState>(),
                        " (fixable and replace are for replacement)",
                    )),
                    (Dimension::Telework, None) if find_choice::<Teleworker>(&folded).is_some() => Err(self
                        .not_one_of(
                            v,
                            choice_names::<ReadinessState>(),
                            " (teleworker:yes is the user who works from home)",
                        )),
                    (_, None) => Err(self.not_one_of(v, choice_names::<ReadinessState>(), "")),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Filter::Readiness { dimension, values })
    }

    fn not_one_of(
        &self,
        value: &RawValue,
        names: impl Iterator<Item = &'static str> + Clone,
        note: &str,
    ) -> QueryError {
        let message =
            format!("{}: {} is not one of {}{note}", self.name(), echo(&value.text), join(names.clone()));
        QueryError::new(ErrorKind::UnknownValue, value.span.start, value.span.len(), message)
            .expecting(names.clone())
            .suggesting(suggest(&fold(&value.text), names))
    }

    fn number(
        &self,
        field: NumberField,
        cmp: Option<CmpOp>,
        values: &[RawValue],
    ) -> Result<Filter, QueryError> {
        let read = |v: &RawValue| match field {
            NumberField::Ram => self.value(v, units::parse_size),
            NumberField::Age => self.value(v, units::parse_age),
            NumberField::Cores | NumberField::Id => self.value(v, units::parse_whole),
            NumberField::Score => {
                let score = self.value(v, units::parse_whole)?;
                if score > 100 {
                    let message =
                        format!("score: {} is out of range: expected a number from 0 to 100", echo(&v.text));
                    return Err(QueryError::new(ErrorKind::BadValue, v.span.start, v.span.len(), message)
                        .expecting(["a number from 0 to 100"]));
                }
                Ok(score)
            }
        };
        let test = match cmp {
            Some(op) => NumberTest::Cmp { op, value: read(&values[0])? },
            None => NumberTest::OneOf(values.iter().map(read).collect::<Result<_, _>>()?),
        };
        Ok(Filter::Number { field, test })
    }

    fn wave(&self, cmp: Option<CmpOp>, values: &[RawValue]) -> Result<Filter, QueryError> {
        let read = |v: &RawValue| -> Result<Option<u32>, QueryError> {
            if v.text.eq_ignore_ascii_case("none") {
                return Ok(None);
            }
            let wave =
                units::parse_whole(&v.text).ok().and_then(|n| u32::try_from(n).ok()).filter(|n| *n >= 1);
            wave.map(Some).ok_or_else(|| self.bad_value(v, "is not a wave", "a wave number from 1, or none"))
        };
        Ok(Filter::Wave(match cmp {
            None => WaveTest::OneOf(values.iter().map(read).collect::<Result<_, _>>()?),
            Some(op) => match read(&values[0])? {
                Some(wave) => WaveTest::Cmp { op, wave },
                None => {
                    let v = &values[0];
                    let message = "wave: 'none' can't be compared: use wave:none or -wave:none";
                    return Err(QueryError::new(ErrorKind::BadValue, v.span.start, v.span.len(), message)
                        .expecting(["a wave number from 1"]));
                }
            },
        }))
    }

    /// A value read by `parse`, or the error that says what was expected.
    fn value(&self, v: &RawValue, parse: fn(&str) -> Result<i64, NumberError>) -> Result<i64, QueryError> {
        let (what, expected) = match self.help.kind {
            FieldKind::Size => ("is not a size", "a number with a unit such as 8GB or 512MB"),
            FieldKind::Age => ("is not an age", "years such as 5, 4.5 or 5y"),
            FieldKind::Duration => ("is not a duration", "a number with a unit such as 14d, 2w, 12h or 30m"),
            _ => ("is not a whole number", "a whole number such as 4"),
        };
        parse(&v.text).map_err(|e| match e {
            NumberError::Invalid => self.bad_value(v, what, expected),
            NumberError::TooLarge => self.bad_value(v, "is too large", expected),
        })
    }

    fn bad_value(&self, v: &RawValue, what: &str, expected: &str) -> QueryError {
        let message = format!("{}: {} {what}: expected {expected}", self.name(), echo(&v.text));
        QueryError::new(ErrorKind::BadValue, v.span.start, v.span.len(), message).expecting([expected])
    }
}

/// A value of a field of names as the lists hold it: lowercase, `-` for
/// `_`, French accents off (`annulé` is `annule`).
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '_' => '-',
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}
