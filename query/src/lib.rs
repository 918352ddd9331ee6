//! The fleet filter language: how a person says which PCs they mean, the
//! same way in `parc devices --query`, the gRPC API (`ListDevices.query`)
//! and the web dashboard's search box:
//!
//! ```text
//! site:MDS-ETAMPES ram<8GB os:"Windows 10" -wifi:ready software:"Lotus Notes" not-seen>14d
//! ```
//!
//! This crate owns the language: its grammar, the field registry
//! ([`field_help`]: names, kinds, values, examples, meanings, which help
//! text and `docs/query.md` follow), the typed filters a query reads into,
//! and the errors that point at the bad part of a query with what was
//! expected there. [`parse`] is the way in; `Display` on [`Query`] is the
//! way back, in canonical form.
//!
//! It must not touch SQL, storage, the network or the clock, and depends on
//! no other Parc crate. The server compiles the typed filters into
//! parameterised SQL (never by pasting a value into the statement) and
//! supplies "now" for `not-seen` and `age`, which stay durations here.
//!
//! Architecture invariant: `parse` is total and pure. Any string, of any
//! length or content, gives a `Query` or a `QueryError`, never a panic, and
//! the same string always gives the same answer.
//!
//! What a query means, for the code that runs it:
//! - terms are ANDed; the values of one term (`chassis:laptop,tablet`) are
//!   ORed; the empty query selects every device;
//! - a negated term (`-wifi:ready`) selects exactly the devices the term
//!   does not, those whose value is unknown included (in SQL,
//!   `NOT coalesce(condition, false)`);
//! - text compares with case ignored, as a substring except for `site`
//!   and `tag`, which are exact ([`TextField::matching`]);
//! - sizes are bytes, durations seconds, ages tenths of a year; `age:5y`
//!   and `not-seen:14d` mean `>=`.

mod error;
mod field;
mod filter;
mod lex;
mod typed;
mod units;
mod values;

#[cfg(test)]
mod tests;

pub use error::{ErrorKind, QueryError};
pub use field::{field_help, Field, FieldHelp, FieldKind};
pub use filter::{
    Chassis, CmpOp, Dimension, DiskKind, Filter, NumberField, NumberTest, Query, ReadinessState,
    ReadinessValue, ReplacementGroup, RolloutStatus, Span, Teleworker, Term, TextField, TextMatch, WaveTest,
};

/// The longest query read, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;
/// The most terms in one query.
pub const MAX_TERMS: usize = 32;
/// The most alternatives in one term (`chassis:a,b,...`).
pub const MAX_ALTERNATIVES: usize = 16;
/// The longest value, in characters (after unquoting).
pub const MAX_VALUE_CHARS: usize = 256;

/// Reads a query into typed filters, or says what is wrong and where.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let len = input.chars().count();
    if len > MAX_QUERY_CHARS {
        let message = format!(
            "query is too long: {} characters, at most {}",
            thousands(len),
            thousands(MAX_QUERY_CHARS)
        );
        return Err(QueryError::new(
            ErrorKind::QueryTooLong,
            MAX_QUERY_CHARS,
            len - MAX_QUERY_CHARS,
            message,
        ));
    }
    let chars: Vec<char> = input.chars().collect();
    let mut terms = Vec::new();
    lex::lex(&chars, |raw| {
        terms.push(typed::term(raw)?);
        Ok(())
    })?;
    Ok(Query { terms })
}

/// `2345` as `2,345`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
