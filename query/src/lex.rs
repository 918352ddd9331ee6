//! From characters to raw terms: where each term, field name, operator and
//! value is, values unquoted and split at commas. Knows the shape of the
//! language and its size limits, not what any field means (see `typed`).

use crate::error::{echo, ErrorKind, QueryError};
use crate::filter::{CmpOp, Span};
use crate::{MAX_ALTERNATIVES, MAX_TERMS, MAX_VALUE_CHARS};

/// A term before its field is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawTerm {
    pub negated: bool,
    pub span: Span,
    pub body: RawBody,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawBody {
    /// A bare word or quoted phrase.
    Free(RawValue),
    /// `name op values`
    Field { name: String, name_span: Span, op: RawOp, op_span: Span, values: Vec<RawValue> },
}

/// One value, unquoted and unescaped, and where it was (quotes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawValue {
    pub text: String,
    pub span: Span,
}

/// `:` and `=` are equality; the others compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RawOp {
    Eq,
    Cmp(CmpOp),
}

/// Splits a query (already checked for length) into raw terms, handing
/// each to `each` as soon as it is read, so the first error in the query is
/// the one reported whichever step finds it.
pub(crate) fn lex(
    chars: &[char],
    mut each: impl FnMut(RawTerm) -> Result<(), QueryError>,
) -> Result<(), QueryError> {
    let mut lexer = Lexer { chars, pos: 0 };
    let mut count = 0;
    loop {
        lexer.skip_spaces();
        if lexer.peek().is_none() {
            return Ok(());
        }
        if count == MAX_TERMS {
            let start = lexer.pos;
            let message = format!("too many terms: at most {MAX_TERMS}");
            return Err(QueryError::new(ErrorKind::TooManyTerms, start, lexer.word_len(), message));
        }
        let term = lexer.term()?;
        let span = &chars[term.span.start..term.span.end];
        if let Some(at) = span.iter().position(|c| c.is_control() && !c.is_whitespace()) {
            let message = format!("control character U+{:04X} is not allowed", u32::from(span[at]));
            return Err(QueryError::new(ErrorKind::ControlCharacter, term.span.start + at, 1, message));
        }
        each(term)?;
        count += 1;
    }
}

struct Lexer<'a> {
    chars: &'a [char],
    pos: usize,
}

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn is_op_char(c: char) -> bool {
    matches!(c, ':' | '=' | '<' | '>')
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    /// At a space or the end: where a term may end.
    fn at_boundary(&self) -> bool {
        self.peek().is_none_or(char::is_whitespace)
    }

    fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    /// Characters from here to the next space, at least 1 (for carets).
    fn word_len(&self) -> usize {
        self.chars[self.pos..].iter().take_while(|c| !c.is_whitespace()).count().max(1)
    }

    fn term(&mut self) -> Result<RawTerm, QueryError> {
        let start = self.pos;
        let negated = self.peek() == Some('-');
        if negated {
            self.pos += 1;
            if self.at_boundary() {
                let message = "'-' needs a term right after it, as in -wifi:ready";
                return Err(QueryError::new(ErrorKind::Syntax, start, 1, message));
            }
        }
        let body = if self.peek() == Some('"') {
            let value = self.quoted()?;
            if !self.at_boundary() {
                return Err(self.no_space_after_quote(false));
            }
            if value.text.is_empty() {
                let message = "empty quotes: put a word or phrase between them";
                return Err(QueryError::new(ErrorKind::EmptyValue, value.span.start, 2, message));
            }
            RawBody::Free(checked_len(value)?)
        } else if let Some(name_end) = self.field_name_end() {
            let name: String = self.chars[self.pos..name_end].iter().collect();
            let name_span = Span { start: self.pos, end: name_end };
            self.pos = name_end;
            let (op, op_span) = self.op();
            let label = format!("{name}{}", self.text(op_span));
            let values = self.values(&label)?;
            RawBody::Field { name, name_span, op, op_span, values }
        } else {
            RawBody::Free(checked_len(self.word()?)?)
        };
        Ok(RawTerm { negated, span: Span { start, end: self.pos }, body })
    }

    fn text(&self, span: Span) -> String {
        self.chars[span.start..span.end].iter().collect()
    }

    /// Where a field name ends when one starts here: a letter, then
    /// letters, digits, `_` or `-`, right before an operator.
    fn field_name_end(&self) -> Option<usize> {
        if !self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            return None;
        }
        let end = self.pos + self.chars[self.pos..].iter().take_while(|c| is_field_char(**c)).count();
        self.chars.get(end).copied().filter(|c| is_op_char(*c)).map(|_| end)
    }

    /// `:` `=` `<` `<=` `>` `>=`, and GitHub's `:<` `:<=` `:>` `:>=`.
    fn op(&mut self) -> (RawOp, Span) {
        let start = self.pos;
        let mut first = self.peek();
        if first == Some(':') && matches!(self.peek_at(1), Some('<' | '>')) {
            self.pos += 1;
            first = self.peek();
        }
        self.pos += 1;
        let or_equal = matches!(first, Some('<' | '>')) && self.peek() == Some('=');
        if or_equal {
            self.pos += 1;
        }
        let op = match (first, or_equal) {
            (Some('<'), false) => RawOp::Cmp(CmpOp::Lt),
            (Some('<'), true) => RawOp::Cmp(CmpOp::Le),
            (Some('>'), false) => RawOp::Cmp(CmpOp::Gt),
            (Some('>'), true) => RawOp::Cmp(CmpOp::Ge),
            _ => RawOp::Eq,
        };
        (op, Span { start, end: self.pos })
    }

    /// A value, or values separated by commas, up to a space.
    fn values(&mut self, label: &str) -> Result<Vec<RawValue>, QueryError> {
        let mut values: Vec<RawValue> = Vec::new();
        loop {
            let start = self.pos;
            let value = if self.peek() == Some('"') { self.quoted()? } else { self.value_part()? };
            if value.text.is_empty() {
                return Err(if values.is_empty() {
                    let message = format!("empty value after {}", echo(label));
                    QueryError::new(ErrorKind::EmptyValue, start, value.span.len(), message)
                } else {
                    let message = "empty alternative after ','";
                    QueryError::new(ErrorKind::EmptyValue, start.saturating_sub(1), 1, message)
                });
            }
            let value = checked_len(value)?;
            if values.len() == MAX_ALTERNATIVES {
                let message = format!("too many alternatives: at most {MAX_ALTERNATIVES} in one term");
                let len = self.pos - start;
                return Err(QueryError::new(ErrorKind::TooManyAlternatives, start, len, message));
            }
            values.push(value);
            match self.peek() {
                Some(',') => self.pos += 1,
                None => return Ok(values),
                Some(c) if c.is_whitespace() => return Ok(values),
                // After a closing quote (a bare part stops only at a space,
                // a comma or a quote, and a quote there is refused).
                Some(_) => return Err(self.no_space_after_quote(true)),
            }
        }
    }

    /// A bare part of a value: up to a space or a comma.
    fn value_part(&mut self) -> Result<RawValue, QueryError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() || c == ',' {
                break;
            }
            if c == '"' {
                let message =
                    "unexpected '\"' inside a value: quotes go around a whole value, as in os:\"Windows 10\"";
                return Err(QueryError::new(ErrorKind::Syntax, self.pos, 1, message));
            }
            self.pos += 1;
        }
        Ok(RawValue { text: self.text(Span { start, end: self.pos }), span: Span { start, end: self.pos } })
    }

    /// A bare word of free text: up to a space.
    fn word(&mut self) -> Result<RawValue, QueryError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                break;
            }
            if c == '"' {
                let message =
                    "unexpected '\"' inside a word: quotes go around a whole phrase, as in \"Lotus Notes\"";
                return Err(QueryError::new(ErrorKind::Syntax, self.pos, 1, message));
            }
            self.pos += 1;
        }
        Ok(RawValue { text: self.text(Span { start, end: self.pos }), span: Span { start, end: self.pos } })
    }

    /// A double-quoted string; `\"` is a quote and `\\` a backslash, any
    /// other backslash is kept as it is.
    fn quoted(&mut self) -> Result<RawValue, QueryError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => {
                    let message = format!("unterminated quote starting at column {}", start + 1);
                    return Err(QueryError::new(
                        ErrorKind::UnterminatedQuote,
                        start,
                        self.pos - start,
                        message,
                    ));
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(RawValue { text, span: Span { start, end: self.pos } });
                }
                Some('\\') if matches!(self.peek_at(1), Some('"' | '\\')) => {
                    text.extend(self.peek_at(1));
                    self.pos += 2;
                }
                Some(c) => {
                    text.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn no_space_after_quote(&self, in_list: bool) -> QueryError {
        let message = if in_list {
            "expected a space or ',' after the closing quote"
        } else {
            "expected a space after the closing quote"
        };
        QueryError::new(ErrorKind::Syntax, self.pos, 1, message)
    }
}

/// The value, if not longer than [`MAX_VALUE_CHARS`].
fn checked_len(value: RawValue) -> Result<RawValue, QueryError> {
    let len = value.text.chars().count();
    if len <= MAX_VALUE_CHARS {
        return Ok(value);
    }
    let message = format!("value is too long: {len} characters, at most {MAX_VALUE_CHARS}");
    Err(QueryError::new(ErrorKind::ValueTooLong, value.span.start, value.span.len(), message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexed(input: &str) -> Vec<RawTerm> {
        let chars: Vec<char> = input.chars().collect();
        let mut terms = Vec::new();
        if let Err(e) = lex(&chars, |term| {
            terms.push(term);
            Ok(())
        }) {
            panic!("{}", e.render(input));
        }
        terms
    }

    fn values(input: &str) -> Vec<String> {
        match &lexed(input)[0].body {
            RawBody::Field { values, .. } => values.iter().map(|v| v.text.clone()).collect(),
            RawBody::Free(value) => vec![value.text.clone()],
        }
    }

    #[test]
    fn spans_are_in_characters() {
        let terms = lexed("é  -site:Évry");
        assert_eq!(terms[0].span, Span { start: 0, end: 1 });
        assert_eq!(terms[1].span, Span { start: 3, end: 13 });
        let RawBody::Field { name_span, op_span, values, .. } = &terms[1].body else { panic!("not a field") };
        assert_eq!(*name_span, Span { start: 4, end: 8 });
        assert_eq!(*op_span, Span { start: 8, end: 9 });
        assert_eq!(values[0].span, Span { start: 9, end: 13 });
    }

    #[test]
    fn operators() {
        let op = |input: &str| match lexed(input)[0].body {
            RawBody::Field { op, op_span, .. } => (op, op_span.len()),
            RawBody::Free(_) => panic!("not a field"),
        };
        assert_eq!(op("a:1"), (RawOp::Eq, 1));
        assert_eq!(op("a=1"), (RawOp::Eq, 1));
        assert_eq!(op("a<1"), (RawOp::Cmp(CmpOp::Lt), 1));
        assert_eq!(op("a<=1"), (RawOp::Cmp(CmpOp::Le), 2));
        assert_eq!(op("a>1"), (RawOp::Cmp(CmpOp::Gt), 1));
        assert_eq!(op("a>=1"), (RawOp::Cmp(CmpOp::Ge), 2));
        assert_eq!(op("a:>=1"), (RawOp::Cmp(CmpOp::Ge), 3));
        assert_eq!(op("a:<1"), (RawOp::Cmp(CmpOp::Lt), 2));
    }

    #[test]
    fn values_split_at_commas_outside_quotes() {
        assert_eq!(values("a:x,y"), ["x", "y"]);
        assert_eq!(values("a:\"x,y\""), ["x,y"]);
        assert_eq!(values("a:\"x y\",z"), ["x y", "z"]);
        assert_eq!(values(r#"a:"say \"hi\" \\ \n""#), [r#"say "hi" \ \n"#]);
        assert_eq!(values("a:x:y"), ["x:y"]);
        assert_eq!(values("free,text"), ["free,text"]);
        assert_eq!(values("1:x"), ["1:x"]);
        assert_eq!(values("--x"), ["-x"]);
    }
}
