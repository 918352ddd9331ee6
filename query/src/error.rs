//! A query that does not read: where (in characters, so the CLI and the web
//! page can point at it), what is wrong, what would have been accepted, and
//! a close spelling when there is one.

use thiserror::Error;

/// Why a query was refused; the message says it in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Longer than [`crate::MAX_QUERY_CHARS`].
    QueryTooLong,
    /// More than [`crate::MAX_TERMS`] terms.
    TooManyTerms,
    /// More than [`crate::MAX_ALTERNATIVES`] values in one term.
    TooManyAlternatives,
    /// A value longer than [`crate::MAX_VALUE_CHARS`].
    ValueTooLong,
    /// A control character (other than spaces, tabs and newlines).
    ControlCharacter,
    /// A `"` never closed.
    UnterminatedQuote,
    /// A quote inside a word, no space after a closing quote, a lone `-`.
    Syntax,
    /// Nothing after `field:`, or between commas.
    EmptyValue,
    /// Not a field name.
    UnknownField,
    /// A comparison on a field that has no order (`os<...`).
    OperatorNotAllowed,
    /// A list where one value is needed (`ram<8GB,16GB`, `age:5,6`).
    ListNotAllowed,
    /// Not one of the field's values (`chassis:laptp`).
    UnknownValue,
    /// Not a size, number, age or duration, or out of range.
    BadValue,
}

/// What is wrong with a query, and where.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("column {}: {}", .position + 1, .message)]
pub struct QueryError {
    /// Where the bad part starts: characters (not bytes) from the start of
    /// the query, from 0. Shown as a column, from 1.
    pub position: usize,
    /// How many characters the bad part spans (at least 1).
    pub len: usize,
    pub kind: ErrorKind,
    /// The whole explanation, the suggestion included: "chassis: 'laptp' is
    /// not one of laptop, desktop, ...; did you mean 'laptop'?".
    pub message: String,
    /// What would have been accepted there: field names, a field's values,
    /// or a description ("a size such as 8GB"). May be empty.
    pub expected: Vec<String>,
    /// The close spelling the message proposes, for a "did you mean" link.
    pub suggestion: Option<String>,
}

/// Wider than this, `render` shows a window of the query around the error.
const RENDER_WIDTH: usize = 100;

impl QueryError {
    pub(crate) fn new(
        kind: ErrorKind,
        position: usize,
        len: usize,
        message: impl Into<String>,
    ) -> QueryError {
        QueryError {
            position,
            len: len.max(1),
            kind,
            message: message.into(),
            expected: Vec::new(),
            suggestion: None,
        }
    }

    pub(crate) fn expecting<I, S>(mut self, expected: I) -> QueryError
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.expected = expected.into_iter().map(Into::into).collect();
        self
    }

    /// Adds "did you mean" to the message when one is given.
    pub(crate) fn suggesting(mut self, suggestion: Option<&str>) -> QueryError {
        if let Some(s) = suggestion {
            self.message.push_str(&format!("; did you mean '{s}'?"));
            self.suggestion = Some(s.to_owned());
        }
        self
    }

    /// The query on one line, carets under the bad part, then the message:
    ///
    /// ```text
    /// site:MDS-ETAMPES ram<8XB
    ///                      ^^^
    /// ram: '8XB' is not a size: expected a number with a unit such as 8GB or 512MB
    /// ```
    ///
    /// Spaces, tabs and newlines show as spaces; a query wider than 100
    /// characters is cut around the error, with `…` where it was cut.
    pub fn render(&self, input: &str) -> String {
        let chars: Vec<char> =
            input.chars().map(|c| if c.is_whitespace() || c.is_control() { ' ' } else { c }).collect();
        let position = self.position.min(chars.len());
        let len = self.len.max(1);
        let (from, to) = if chars.len() <= RENDER_WIDTH {
            (0, chars.len())
        } else {
            let from = position.saturating_sub(RENDER_WIDTH / 4).min(chars.len() - RENDER_WIDTH);
            (from, from + RENDER_WIDTH)
        };
        let mut line = String::new();
        let mut indent = position - from;
        if from > 0 {
            line.push('…');
            indent += 1;
        }
        line.extend(&chars[from..to]);
        if to < chars.len() {
            line.push('…');
        }
        let carets = len.min(to.saturating_sub(position)).max(1);
        format!("{}\n{}{}\n{}", line.trim_end(), " ".repeat(indent), "^".repeat(carets), self.message)
    }
}

/// A piece of the query quoted in a message, cut when long so a message
/// stays readable whatever was typed.
pub(crate) fn echo(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        format!("'{text}'")
    } else {
        format!("'{}…'", text.chars().take(MAX).collect::<String>())
    }
}

/// The candidate `typed` most likely misspells: within one edit for short
/// words, two for longer ones (a swap of two letters is one edit), else
/// the only candidate it begins. `None` when nothing is close.
pub(crate) fn suggest<'a>(
    typed: &str,
    candidates: impl IntoIterator<Item = &'a str> + Clone,
) -> Option<&'a str> {
    let typed: Vec<char> = typed.to_lowercase().chars().collect();
    if typed.is_empty() || typed.len() > 64 {
        return None;
    }
    let limit = if typed.len() <= 4 { 1 } else { 2 };
    // Closest first; on a tie, one with the same first letter (people
    // rarely get the first letter wrong), then the first listed.
    let mut best: Option<((usize, bool), &str)> = None;
    for candidate in candidates.clone() {
        let distance = edit_distance(&typed, &candidate.chars().collect::<Vec<_>>());
        let rank = (distance, candidate.chars().next() != typed.first().copied());
        if distance <= limit && best.is_none_or(|(r, _)| rank < r) {
            best = Some((rank, candidate));
        }
    }
    if let Some((_, candidate)) = best {
        return Some(candidate);
    }
    if typed.len() < 3 {
        return None;
    }
    let prefix: String = typed.iter().collect();
    let mut starting = candidates.into_iter().filter(|c| c.starts_with(&prefix));
    match (starting.next(), starting.next()) {
        (Some(only), None) => Some(only),
        _ => None,
    }
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and swaps of neighbours, one each.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> usize {
        edit_distance(&a.chars().collect::<Vec<_>>(), &b.chars().collect::<Vec<_>>())
    }

    #[test]
    fn distances() {
        assert_eq!(distance("laptp", "laptop"), 1);
        assert_eq!(distance("rm", "ram"), 1);
        assert_eq!(distance("wifi", "wfii"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn suggestions() {
        let names = ["hostname", "ram", "site", "status", "security", "software", "score"];
        assert_eq!(suggest("rm", names), Some("ram"));
        assert_eq!(suggest("stie", names), Some("site"));
        assert_eq!(suggest("host", names), Some("hostname"));
        assert_eq!(suggest("so", names), None);
        assert_eq!(suggest("s", names), None);
        assert_eq!(suggest("xyz", names), None);
        assert_eq!(suggest("sdd", ["hdd", "ssd", "nvme"]), Some("ssd"));
        assert_eq!(suggest("", names), None);
    }

    #[test]
    fn render_points_at_the_bad_part() {
        let error = QueryError::new(ErrorKind::BadValue, 21, 3, "bad");
        assert_eq!(
            error.render("site:MDS-ETAMPES ram<8XB"),
            "site:MDS-ETAMPES ram<8XB\n                     ^^^\nbad"
        );
        assert_eq!(error.to_string(), "column 22: bad");
    }

    #[test]
    fn render_at_the_end_and_beyond() {
        let error = QueryError::new(ErrorKind::EmptyValue, 5, 1, "empty");
        assert_eq!(error.render("site:"), "site:\n     ^\nempty");
        assert_eq!(error.render(""), "\n^\nempty");
        let error = QueryError::new(ErrorKind::EmptyValue, 1000, 5000, "far");
        assert_eq!(error.render("ab\tc"), "ab c\n    ^\nfar");
    }

    #[test]
    fn render_cuts_long_queries() {
        let input = format!("{} ram<8XB {}", "a".repeat(300), "b".repeat(300));
        let error = QueryError::new(ErrorKind::BadValue, 305, 3, "bad");
        let rendered = error.render(&input);
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines[0].starts_with('…') && lines[0].ends_with('…'), "{}", lines[0]);
        let caret = lines[1].chars().position(|c| c == '^');
        let at: String = lines[0].chars().skip(caret.unwrap_or(0)).take(3).collect();
        assert_eq!(at, "8XB");
    }
}
