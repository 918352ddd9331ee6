//! The language through `parse` only: what queries read into and their
//! canonical form (`meaning`), every error with its message and position
//! (`errors`), and the field registry against the parser (here).

mod errors;
mod meaning;

use crate::*;

pub(super) const GIB: i64 = 1 << 30;
pub(super) const DAY: i64 = 86_400;

/// Parses `input` or fails the test with the rendered error.
pub(super) fn parsed(input: &str) -> Query {
    parse(input).unwrap_or_else(|e| panic!("{input:?} did not parse:\n{}", e.render(input)))
}

/// The one filter `input` reads into.
pub(super) fn filter(input: &str) -> Filter {
    let query = parsed(input);
    assert_eq!(query.terms.len(), 1, "{input:?}");
    query.terms[0].filter.clone()
}

/// `input` reads back in canonical form as `canonical`, which reads to
/// the same filters.
pub(super) fn check(input: &str, canonical: &str) {
    let query = parsed(input);
    assert_eq!(query.to_string(), canonical, "{input:?}");
    let again = parsed(canonical);
    let filters = |q: &Query| q.terms.iter().map(|t| (t.negated, t.filter.clone())).collect::<Vec<_>>();
    assert_eq!(filters(&again), filters(&query), "{canonical:?}");
    assert_eq!(again.to_string(), canonical);
}

/// `input` is refused with this kind, position, length and message.
pub(super) fn check_err(input: &str, kind: ErrorKind, position: usize, len: usize, message: &str) {
    let error = match parse(input) {
        Ok(query) => panic!("{input:?} parsed as {query:?}"),
        Err(e) => e,
    };
    assert_eq!(error.message, message, "{input:?}");
    assert_eq!((error.kind, error.position, error.len), (kind, position, len), "{input:?}: {message}");
    assert_eq!(error.to_string(), format!("column {}: {message}", position + 1));
}

/// Every field name, as an unknown-field error lists them.
pub(super) fn field_names() -> String {
    field_help().iter().map(|h| h.name).collect::<Vec<_>>().join(", ")
}

pub(super) fn text(field: TextField, values: &[&str]) -> Filter {
    Filter::Text { field, values: values.iter().map(|v| v.to_string()).collect() }
}

pub(super) fn term(negated: bool, filter: Filter, start: usize, end: usize) -> Term {
    Term { negated, filter, span: Span { start, end } }
}

#[test]
fn help_lists_every_field_once_with_an_example_that_parses() {
    for help in field_help() {
        let query = parsed(help.example);
        assert_eq!(query.to_string(), help.example, "examples are canonical");
        assert_eq!(query.fields(), [help.field], "{}", help.name);
        assert_eq!(help.field.name(), help.name);
        for value in help.values {
            parsed(&format!("{}:{value}", help.name));
        }
    }
}

#[test]
fn choice_values_match_the_registry() {
    use crate::filter::{choice_names, Choice};
    fn names<T: Choice>() -> Vec<&'static str> {
        choice_names::<T>().collect()
    }
    let values = |field: Field| field.help().values.to_vec();
    assert_eq!(values(Field::Chassis), names::<Chassis>());
    assert_eq!(values(Field::Disk), names::<DiskKind>());
    assert_eq!(values(Field::Status), names::<RolloutStatus>());
    assert_eq!(values(Field::Teleworker), names::<Teleworker>());
    assert_eq!(values(Field::Wifi), names::<ReadinessState>());
    let mut replacement = names::<ReadinessState>();
    replacement.extend(names::<ReplacementGroup>());
    assert_eq!(values(Field::Replacement), replacement);
}
