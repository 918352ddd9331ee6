//! Which CPU generation a PC has, the year it launched, and whether Windows 11
//! supports it, from the processor's model name (the CPUID signature only when
//! the name says nothing).
//!
//! The knowledge lives in data, `data/cpu_generations.csv`, parsed at first use:
//! this module only finds the product line and the model number in a name
//! ("Intel(R) Core(TM) i5-2540M CPU @ 2.60GH" -> `core-i`, `2540M`) and looks
//! them up. It never guesses: an unknown part is `None`, and the caller says
//! "unknown" rather than a wrong generation. Pure: no I/O, never panics.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use parc_model::Cpu;

/// The table, compiled in so the crate stays free of I/O.
const TABLE_CSV: &str = include_str!("../../data/cpu_generations.csv");

/// The columns the table must declare, so a reordered file fails the tests
/// instead of silently swapping fields.
const HEADER: &str = "line,pattern,name,launch_year,windows11";

/// Names and model numbers longer than this are not real CPUs; capping them
/// keeps the work per device small whatever a collector sends.
const MAX_NAME_CHARS: usize = 256;
const MAX_MODEL_CHARS: usize = 24;

/// A CPU generation as the readiness rules need it: how to call it, how old it
/// is, and Microsoft's Windows 11 verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuGeneration {
    /// "Intel Core 8th gen (Whiskey Lake)".
    pub name: String,
    /// The year Intel or AMD launched the generation.
    pub launch_year: u16,
    /// Whether Microsoft's Windows 11 processor lists include the part.
    pub windows11: bool,
}

/// Identifies the generation of `cpu` from its model name, falling back to the
/// CPUID vendor, family, model and stepping only when the name gives nothing
/// the table knows. `None` when neither is decisive: readiness then reports the
/// CPU as unknown instead of guessing.
pub fn identify(cpu: &Cpu) -> Option<CpuGeneration> {
    // A fleet repeats a few dozen CPUs, and the table lookup is the rules'
    // costliest step: remember the answers (a bounded memo; the answer for
    // a CPU never changes within a process, so this is not state).
    type Key = (String, String, u32, u32, u32);
    static MEMO: OnceLock<Mutex<HashMap<Key, Option<CpuGeneration>>>> = OnceLock::new();
    const MEMO_ENTRIES: usize = 4096;
    let key = (cpu.model.clone(), cpu.vendor.clone(), cpu.family, cpu.model_number, cpu.stepping);
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(found) = memo.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return found.clone();
    }
    let found = identify_uncached(cpu);
    let mut memo = memo.lock().unwrap_or_else(|p| p.into_inner());
    if memo.len() >= MEMO_ENTRIES {
        memo.clear();
    }
    memo.insert(key, found.clone());
    found
}

fn identify_uncached(cpu: &Cpu) -> Option<CpuGeneration> {
    let rows = table();
    let tokens = tokens(&cpu.model);
    let tokens: Vec<&str> = tokens.split_whitespace().collect();
    if let Some((line, model)) = name_key(&tokens) {
        if let Some(row) = lookup(rows, line, &model) {
            return Some(row.generation.clone());
        }
    }
    let key = cpuid_key(cpu)?;
    lookup(rows, "cpuid", &key).map(|row| row.generation.clone())
}

/// The product lines the table is keyed by: what the code can tell apart in a
/// model name ("cpuid" rows are keyed by the CPUID signature instead). A row
/// with any other line is an error, so a typo in the data cannot hide a row.
#[rustfmt::skip]
const LINES: [&str; 19] = [
    "core2", "core-i", "core-ultra", "core-series", "core-m", "pentium", "celeron", "intel-n", "atom", "xeon",
    "ryzen", "threadripper", "ryzen-ai", "ryzen-ai-max", "athlon", "amd", "amd-a", "amd-e", "cpuid",
];

/// One row of the table.
#[derive(Debug, Clone)]
struct Row {
    line: &'static str,
    /// Upper case; see the file header for `#`, `@` and `*`.
    pattern: String,
    generation: CpuGeneration,
}

impl Row {
    /// How specific the pattern is: its literal characters. The most specific
    /// matching row wins, so `3#65U` (Kaby Lake Celeron) beats `38##U`.
    fn specificity(&self) -> usize {
        self.pattern.bytes().filter(|b| !matches!(b, b'#' | b'@' | b'*')).count()
    }
}

/// What is wrong with a line of the table; the unit tests require none.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum TableError {
    #[error("line {line}: the first row must be the header {HEADER:?}")]
    MissingHeader { line: usize },
    #[error("line {line}: expected 5 comma-separated fields, found {found}")]
    FieldCount { line: usize, found: usize },
    #[error("line {line}: {column} {value:?} is not {expected}")]
    Invalid { line: usize, column: &'static str, value: String, expected: &'static str },
}

/// The parsed table, built once. A bad row is left out rather than failing
/// the whole table (the unit tests make sure there is none).
fn table() -> &'static [Row] {
    static TABLE: OnceLock<Vec<Row>> = OnceLock::new();
    TABLE.get_or_init(|| parse_table(TABLE_CSV).0)
}

/// Parses the table's text: rows that parse, and what was wrong with the others.
fn parse_table(text: &str) -> (Vec<Row>, Vec<TableError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut header_seen = false;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            if raw != HEADER {
                errors.push(TableError::MissingHeader { line });
            }
            continue;
        }
        match parse_row(line, raw) {
            Ok(row) => rows.push(row),
            Err(error) => errors.push(error),
        }
    }
    (rows, errors)
}

fn parse_row(line: usize, raw: &str) -> Result<Row, TableError> {
    let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
    let [line_key, pattern, name, year, windows11] = fields[..] else {
        return Err(TableError::FieldCount { line, found: fields.len() });
    };
    let invalid = |column, value: &str, expected| TableError::Invalid {
        line,
        column,
        value: value.to_string(),
        expected,
    };
    let product_line = *LINES
        .iter()
        .find(|key| **key == line_key)
        .ok_or_else(|| invalid("line", line_key, "a known product line"))?;
    if pattern.is_empty() || !pattern.bytes().all(|b| b.is_ascii_alphanumeric() || b"-+#@*".contains(&b)) {
        return Err(invalid("pattern", pattern, "made of A-Z 0-9 - + # @ *"));
    }
    if name.is_empty() {
        return Err(invalid("name", name, "a name"));
    }
    let launch_year = year.parse::<u16>().map_err(|_| invalid("launch_year", year, "a year"))?;
    let windows11 = match windows11 {
        "yes" => true,
        "no" => false,
        other => return Err(invalid("windows11", other, "yes or no")),
    };
    let generation = CpuGeneration { name: name.to_string(), launch_year, windows11 };
    Ok(Row { line: product_line, pattern: pattern.to_ascii_uppercase(), generation })
}

/// The most specific row of `line` whose pattern matches `model`; the first
/// such row on a tie.
fn lookup<'a>(rows: &'a [Row], line: &str, model: &str) -> Option<&'a Row> {
    // `max_by_key` keeps the last of equals; reversed, that is the first in the file.
    let candidates = rows.iter().rev().filter(|row| row.line == line);
    candidates
        .filter(|row| matches(row.pattern.as_bytes(), model.as_bytes()))
        .max_by_key(|row| row.specificity())
}

/// Whole-string match of a table pattern: `#` one digit, `@` zero or more
/// letters, `*` anything, other bytes themselves. Dynamic programming over
/// the text, so the cost is bounded by pattern length times text length.
fn matches(pattern: &[u8], text: &[u8]) -> bool {
    let n = text.len();
    // reach[j]: the pattern so far matches text[..j].
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    for &p in pattern {
        let mut next = vec![false; n + 1];
        for j in 0..=n {
            next[j] = match p {
                b'*' => reach[j] || (j > 0 && next[j - 1]),
                b'@' => reach[j] || (j > 0 && next[j - 1] && text[j - 1].is_ascii_alphabetic()),
                b'#' => j > 0 && reach[j - 1] && text[j - 1].is_ascii_digit(),
                c => j > 0 && reach[j - 1] && text[j - 1] == c,
            };
        }
        reach = next;
    }
    reach[n]
}

/// The model name reduced to plain upper-case words: trademarks dropped,
/// everything from `@` (the clock speed) on cut, punctuation made spaces.
/// "Intel(R) Core(TM)2 Duo CPU E8400 @ 3.00GHz" -> "INTEL  CORE 2 DUO CPU E8400".
fn tokens(name: &str) -> String {
    let upper: String = name
        .chars()
        .take(MAX_NAME_CHARS)
        .map(|c| if c.is_ascii() && !c.is_ascii_control() { c.to_ascii_uppercase() } else { ' ' })
        .collect();
    let before_at = match upper.find('@') {
        Some(at) => &upper[..at],
        None => &upper,
    };
    before_at
        .replace("(R)", " ")
        .replace("(TM)", " ")
        .replace("(C)", " ")
        .chars()
        .map(|c| if matches!(c, ',' | '(' | ')' | ';' | '"' | '\'') { ' ' } else { c })
        .collect()
}

/// The product line and model number a name states, if it states one.
fn name_key(tokens: &[&str]) -> Option<(&'static str, String)> {
    for (index, token) in tokens.iter().enumerate() {
        let rest = &tokens[index + 1..];
        let line = match *token {
            "CORE" => return core_key(rest),
            "PENTIUM" => "pentium",
            "CELERON" => "celeron",
            "XEON" => return xeon_key(rest),
            "RYZEN" => return ryzen_key(rest),
            "ATHLON" => "athlon",
            "ATOM" => {
                let model = model_after(rest)?.model;
                return Some(("atom", strip_tier_prefix(&model).to_string()));
            }
            _ => continue,
        };
        return model_after(rest).map(|found| (line, found.model));
    }
    if tokens.contains(&"AMD") {
        return amd_key(tokens);
    }
    if tokens.contains(&"INTEL") {
        // "Intel(R) N100": the N-series has no brand word at all.
        let model = tokens.iter().find(|t| {
            t.len() <= 4 && t.starts_with('N') && t.len() >= 3 && t[1..].bytes().all(|b| b.is_ascii_digit())
        })?;
        return Some(("intel-n", model.to_string()));
    }
    None
}

/// After "Core": "2 Duo CPU E8400", "i5-8265U", "i5 CPU M 520", "Ultra 5 125U",
/// "5 120U", "m3-6Y30", "M-5Y71".
fn core_key(rest: &[&str]) -> Option<(&'static str, String)> {
    let first = *rest.first()?;
    let after = &rest[1..];
    match first {
        "2" => model_after(after).map(|found| ("core2", found.model)),
        "ULTRA" => model_after(after).map(|found| ("core-ultra", found.model)),
        "3" | "5" | "7" | "9" => model_after(after).map(|found| ("core-series", found.model)),
        "I3" | "I5" | "I7" | "I9" => {
            // 1st gen mobile: "i5 CPU M 520" is the i5-520M.
            let found = model_after(after)?;
            let model = match found.letter_before {
                Some(letter) if found.model.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("{}{letter}", found.model)
                }
                _ => found.model,
            };
            Some(("core-i", model))
        }
        // "i5-8265U", "m3-6Y30", "M-5Y71", and "5-120U" as some firmware spells "Core 5 120U".
        _ => match first.split_once('-')? {
            ("I3" | "I5" | "I7" | "I9", model) => clean_model(model).map(|model| ("core-i", model)),
            ("M" | "M3" | "M5" | "M7", model) => clean_model(model).map(|model| ("core-m", model)),
            ("3" | "5" | "7" | "9", model) => clean_model(model).map(|model| ("core-series", model)),
            _ => None,
        },
    }
}

/// After "Xeon": "CPU E3-1225 v3" -> E3-1225V3 (the version is part of the
/// model), "E-2176M CPU", "W-1250".
fn xeon_key(rest: &[&str]) -> Option<(&'static str, String)> {
    let found = model_after(rest)?;
    let version =
        rest.get(found.index + 1).filter(|v| matches!(v.as_bytes(), [b'V', d] if d.is_ascii_digit()));
    Some(("xeon", format!("{}{}", found.model, version.unwrap_or(&""))))
}

/// After "Ryzen": "5 PRO 4650G", "Threadripper 1950X", "AI 9 HX 370", "AI Max+ PRO 395".
fn ryzen_key(rest: &[&str]) -> Option<(&'static str, String)> {
    let (line, rest) = match rest.first() {
        Some(&"THREADRIPPER") => ("threadripper", &rest[1..]),
        Some(&"AI") if rest.iter().any(|t| t.starts_with("MAX")) => ("ryzen-ai-max", &rest[1..]),
        Some(&"AI") => ("ryzen-ai", &rest[1..]),
        _ => ("ryzen", rest),
    };
    model_after(rest).map(|found| (line, found.model))
}

/// AMD names without a brand word: "A10-7800", "PRO A10-8770", "A10 PRO-7800B",
/// "E1-2100", "E-450", "3020e".
fn amd_key(tokens: &[&str]) -> Option<(&'static str, String)> {
    for (index, token) in tokens.iter().enumerate() {
        let bytes = token.as_bytes();
        let digits = bytes.iter().skip(1).take_while(|b| b.is_ascii_digit()).count();
        if bytes.first() == Some(&b'A') && (1..=2).contains(&digits) {
            let after = &token[1 + digits..];
            if let Some(model) = after.strip_prefix('-') {
                return clean_model(model).map(|model| ("amd-a", model));
            }
            if after.is_empty() {
                let next = tokens.get(index + 1)?;
                return clean_model(next.strip_prefix("PRO-")?).map(|model| ("amd-a", model));
            }
        }
        for prefix in ["E1-", "E2-", "E-"] {
            if let Some(model) = token.strip_prefix(prefix) {
                return clean_model(model).map(|model| ("amd-e", model));
            }
        }
    }
    let after_amd = tokens.iter().position(|t| *t == "AMD").and_then(|i| tokens.get(i + 1))?;
    if after_amd.starts_with(|c: char| c.is_ascii_digit()) {
        return clean_model(after_amd).map(|model| ("amd", model));
    }
    None
}

/// The model number found after a brand word.
struct Found {
    model: String,
    /// Index of the model's token in the slice searched.
    index: usize,
    /// A one- or two-letter word just before the number ("M" in "CPU M 520").
    letter_before: Option<String>,
}

/// The first word with a digit after a brand word, skipping words without
/// digits ("CPU", "Gold", "PRO", "Duo") and a tier ("5" in "Ryzen 5", "X4" in
/// "Athlon X4"). A word with a dot is the clock speed: the name stated no model.
fn model_after(rest: &[&str]) -> Option<Found> {
    let mut letter_before = None;
    for (index, token) in rest.iter().enumerate() {
        if token.contains('.') {
            return None;
        }
        if !token.bytes().any(|b| b.is_ascii_digit()) {
            let short_letters = token.len() <= 2 && token.bytes().all(|b| b.is_ascii_alphabetic());
            letter_before = short_letters.then(|| token.to_string());
            continue;
        }
        if is_tier(token) {
            letter_before = None;
            continue;
        }
        return clean_model(token).map(|model| Found { model, index, letter_before });
    }
    None
}

/// "5", "9", "X4", "X9": a tier within a line, not a model number.
fn is_tier(token: &str) -> bool {
    match token.as_bytes() {
        [d] => d.is_ascii_digit(),
        [b'X', d] => d.is_ascii_digit(),
        _ => false,
    }
}

/// "X5-Z8350" -> "Z8350" (Atom tiers are written into the model number).
fn strip_tier_prefix(model: &str) -> &str {
    match model.as_bytes() {
        [b'X', d, b'-', _, ..] if d.is_ascii_digit() => &model[3..],
        _ => model,
    }
}

/// A model number as the table spells it, or `None` when the word cannot be one.
fn clean_model(token: &str) -> Option<String> {
    let model = token.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let plausible = !model.is_empty()
        && model.len() <= MAX_MODEL_CHARS
        && model.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'+');
    plausible.then(|| model.to_string())
}

/// "INTEL-6-142-10" / "AMD-23-1-1" for the CPUID rows; `None` when the vendor
/// is not Intel or AMD (a VM's "QEMU") or the family is unknown (0).
fn cpuid_key(cpu: &Cpu) -> Option<String> {
    let vendor = cpu.vendor.to_ascii_uppercase();
    let known = [("INTEL", "INTEL"), ("AMD", "AMD"), ("ADVANCED MICRO", "AMD")];
    let (_, vendor) = known.into_iter().find(|(needle, _)| vendor.contains(needle))?;
    (cpu.family != 0).then(|| format!("{vendor}-{}-{}-{}", cpu.family, cpu.model_number, cpu.stepping))
}

#[cfg(test)]
mod tests;
