//! Which CPU generation a PC has, the year it launched, and whether Windows 11
//! supports it, from the processor's model name (the CPUID signature only when
//! the name says nothing).
//!
//! The knowledge lives in data, `data/cpu_generations.csv`, parsed at first use:
//! this module only finds the product line and the model number in a name
//! ("Intel(R) Core(TM) i5-2540M CPU @ 2.60GH" -> `core-i`, `2540M`) and looks
//! them up. It never guesses: an unknown part is `None`, and the caller says
//! "unknown" rather than a wrong generation. Pure: no I/O, never panics.

use std::sync::OnceLock;

use parc_model::Cpu;

/// The table, compiled in so the crate stays free of I/O.
const TABLE_CSV: &str = include_str!("../data/cpu_generations.csv");

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
mod tests {
    use super::*;

    /// Generation name, launch year and Windows 11 verdict (or launch year and verdict); `None`: unknown.
    type Expected = Option<(&'static str, u16, bool)>;
    type Verdict = Option<(u16, bool)>;

    fn check(model: &str, expected: Expected) {
        let cpu = Cpu { model: model.to_string(), ..Cpu::default() };
        let got = identify(&cpu);
        let got = got.as_ref().map(|g| (g.name.as_str(), g.launch_year, g.windows11));
        assert_eq!(got, expected, "{model:?}");
    }

    #[test]
    fn every_row_parses_with_a_plausible_year() {
        let (rows, errors) = parse_table(TABLE_CSV);
        assert_eq!(errors, vec![], "{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
        let data = TABLE_CSV.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        assert_eq!(rows.len() + 1, data.count(), "every row but the header parsed");
        let mut keys = std::collections::BTreeSet::new();
        for row in &rows {
            let (year, name) = (row.generation.launch_year, &row.generation.name);
            assert!((2006..=2026).contains(&year), "{} {name}: year {year}", row.pattern);
            assert!(keys.insert((row.line, &row.pattern)), "duplicate row {} {}", row.line, row.pattern);
        }
    }

    #[test]
    fn table_errors_name_the_line() {
        let text = "# c\nline,pattern,name,launch_year,windows11\ncore-i,2###@,X,2011\nfoo,1,X,2011,no\n\
                    core-i,2#!,X,2011,no\ncore-i,2###,,2011,no\ncore-i,2###,X,soon,no\ncore-i,2###,X,2011,maybe\n";
        let (rows, errors) = parse_table(text);
        assert!(rows.is_empty());
        #[rustfmt::skip]
        assert_eq!(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(), [
            "line 3: expected 5 comma-separated fields, found 4",
            "line 4: line \"foo\" is not a known product line",
            "line 5: pattern \"2#!\" is not made of A-Z 0-9 - + # @ *",
            "line 6: name \"\" is not a name",
            "line 7: launch_year \"soon\" is not a year",
            "line 8: windows11 \"maybe\" is not yes or no",
        ]);
        let (_, errors) = parse_table("core-i,2###,X,2011,no\n");
        assert_eq!(errors, vec![TableError::MissingHeader { line: 1 }]);
    }

    #[test]
    fn patterns_match_whole_model_numbers() {
        assert!(matches(b"8###@", b"8265U"));
        assert!(matches(b"8###@", b"8700"));
        assert!(!matches(b"8###@", b"82650"));
        assert!(matches(b"10##G#", b"1035G1"));
        assert!(!matches(b"10###@", b"1035G1"));
        assert!(matches(b"E3-1###@V5", b"E3-1505MV5"));
        assert!(!matches(b"E3-12##@", b"E3-1225V2"));
        assert!(matches(b"INTEL-6-42-*", b"INTEL-6-42-7"));
        assert!(!matches(b"INTEL-6-42-*", b"INTEL-6-142-7"));
        assert!(matches(b"*", b""));
        assert!(!matches(b"#", b""));
    }

    /// Model names as firmware and Windows report them, and the generation expected.
    #[rustfmt::skip]
    const NAMES: &[(&str, Expected)] = &[
        ("Intel(R) Core(TM) i5-8265U CPU @ 1.60GHz", Some(("Intel Core 8th gen (Whiskey Lake)", 2018, true))),
        ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", Some(("Intel Core 8th gen (Kaby Lake R/Coffee Lake)", 2017, true))),
        ("Intel(R) Core(TM) i5-2540M CPU @ 2.60GH", Some(("Intel Core 2nd gen (Sandy Bridge)", 2011, false))),
        ("Intel(R) Core(TM) i5 CPU       M 520  @ 2.40GHz", Some(("Intel Core 1st gen (Westmere: Clarkdale/Arrandale)", 2010, false))),
        ("Intel(R) Core(TM) i7 CPU         920  @ 2.67GHz", Some(("Intel Core 1st gen (Nehalem: Bloomfield)", 2008, false))),
        ("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", Some(("Intel Core 11th gen (Tiger Lake)", 2020, true))),
        ("12th Gen Intel(R) Core(TM) i5-1235U", Some(("Intel Core 12th gen (Alder Lake)", 2022, true))),
        ("Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz", Some(("Intel Core 10th gen (Comet Lake)", 2020, true))),
        ("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", Some(("Intel Core 10th gen (Comet Lake)", 2019, true))),
        ("Intel(R) Core(TM) i5-1035G1 CPU @ 1.00GHz", Some(("Intel Core 10th gen (Ice Lake)", 2019, true))),
        ("12th Gen Intel(R) Core(TM) i5-12400", Some(("Intel Core 12th gen (Alder Lake)", 2022, true))),
        ("Intel(R) Core(TM) i7-4790 CPU @ 3.60GHz", Some(("Intel Core 4th gen (Haswell Refresh)", 2014, false))),
        ("Intel(R) Core(TM) i5-4570 CPU @ 3.20GHz", Some(("Intel Core 4th gen (Haswell)", 2013, false))),
        ("Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz", Some(("Intel Core 7th gen (Kaby Lake)", 2017, false))),
        ("Intel(R) Core(TM) i7-7820HQ CPU @ 2.90GHz", Some(("Intel Core 7th gen (Kaby Lake)", 2017, false))),
        ("Intel(R) Core(TM) i9-7900X CPU @ 3.30GHz", Some(("Intel Core X-series (Skylake-X)", 2017, true))),
        ("Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz", Some(("Intel Core 2 (Wolfdale)", 2008, false))),
        ("Intel(R) Core(TM)2 CPU          6600  @ 2.40GHz", Some(("Intel Core 2 (Conroe)", 2006, false))),
        ("Intel(R) Core(TM) Ultra 5 125U", Some(("Intel Core Ultra series 1 (Meteor Lake)", 2023, true))),
        ("Intel(R) Core(TM) Ultra 7 258V", Some(("Intel Core Ultra series 2 (Lunar Lake/Arrow Lake)", 2024, true))),
        ("Intel(R) Core(TM) 5 120U", Some(("Intel Core series 1 (Raptor Lake Refresh)", 2024, true))),
        ("Intel(R) Core(TM) m3-8100Y CPU @ 1.10GHz", Some(("Intel Core m 8th gen (Amber Lake)", 2018, true))),
        ("Intel(R) Core(TM) M-5Y71 CPU @ 1.20GHz", Some(("Intel Core M (Broadwell)", 2014, false))),
        ("Intel(R) Core(TM) i3-N305", Some(("Intel Core i3 N-series (Alder Lake-N)", 2023, true))),
        ("Intel(R) Pentium(R) CPU G630 @ 2.70GHz", Some(("Intel Pentium (Sandy Bridge)", 2011, false))),
        ("Intel(R) Celeron(R) CPU 3865U @ 1.80GHz", Some(("Intel Celeron (Kaby Lake)", 2017, false))),
        ("Intel(R) Celeron(R) CPU 3855U @ 1.60GHz", Some(("Intel Celeron (Skylake)", 2015, false))),
        ("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz", Some(("Intel Celeron (Gemini Lake Refresh)", 2019, true))),
        ("Intel(R) Celeron(R) J4025 CPU @ 2.00GHz", Some(("Intel Celeron (Gemini Lake Refresh)", 2019, true))),
        ("Intel(R) Celeron(R) CPU  N3060  @ 1.60GHz", Some(("Intel Celeron (Braswell)", 2015, false))),
        ("Intel(R) Pentium(R) Silver N5000 CPU @ 1.10GHz", Some(("Intel Pentium Silver (Gemini Lake)", 2017, true))),
        ("Intel(R) Pentium(R) CPU 4415U @ 2.30GHz", Some(("Intel Pentium (Kaby Lake)", 2017, false))),
        ("Intel(R) Pentium(R) Gold G5400 CPU @ 3.70GHz", Some(("Intel Pentium Gold (Coffee Lake)", 2018, true))),
        ("Intel(R) Pentium(R) Gold 7505 @ 2.00GHz", Some(("Intel Pentium Gold (Tiger Lake)", 2020, true))),
        ("Intel(R) Atom(TM) x5-Z8350  CPU @ 1.44GHz", Some(("Intel Atom (Cherry Trail)", 2016, false))),
        ("Intel(R) N100", Some(("Intel Processor N-series (Alder Lake-N)", 2023, true))),
        ("Intel(R) Xeon(R) CPU E3-1225 v3 @ 3.20GHz", Some(("Intel Xeon E3 v3 (Haswell)", 2013, false))),
        ("Intel(R) Xeon(R) CPU E3-1505M v5 @ 2.80GHz", Some(("Intel Xeon E3 v5 (Skylake)", 2015, false))),
        ("Intel(R) Xeon(R) E-2176M  CPU @ 2.70GHz", Some(("Intel Xeon E (Coffee Lake)", 2018, true))),
        ("Intel(R) Pentium(R) 4 CPU 3.00GHz", None),
        ("QEMU Virtual CPU version 2.5+", None), ("pc-q35-8.2", None), ("Common KVM processor", None), ("", None),
        ("Genuine Intel(R) CPU 0000 @ 2.40GHz", None),
        ("AMD Ryzen 3 PRO 1300 Quad-Core Processor", Some(("AMD Ryzen 1000 (Zen: Summit Ridge)", 2017, false))),
        ("AMD Ryzen 7 PRO 2700U w/ Radeon Vega Mobile Gfx", Some(("AMD Ryzen 2000 mobile (Zen: Raven Ridge)", 2018, true))),
        ("AMD Ryzen 7 2700 Eight-Core Processor", Some(("AMD Ryzen 2000 (Zen+: Pinnacle Ridge)", 2018, true))),
        ("AMD Ryzen 5 2400G with Radeon Vega Graphics", Some(("AMD Ryzen 2000 G (Zen: Raven Ridge)", 2018, true))),
        ("AMD Ryzen 5 4500U with Radeon Graphics", Some(("AMD Ryzen 4000 (Zen 2: Renoir)", 2020, true))),
        ("AMD Ryzen 7 PRO 6850U with Radeon Graphics", Some(("AMD Ryzen 6000 (Zen 3+: Rembrandt)", 2022, true))),
        ("AMD Ryzen 9 5900X 12-Core Processor", Some(("AMD Ryzen 5000 (Zen 3: Vermeer)", 2020, true))),
        ("AMD Ryzen 7 7840U w/ Radeon 780M Graphics", Some(("AMD Ryzen 7000 (Zen 4: Phoenix / Zen 3+: Rembrandt-R)", 2023, true))),
        ("AMD Ryzen AI 7 PRO 360 w/ Radeon 880M", Some(("AMD Ryzen AI 300 (Zen 5: Strix Point/Krackan Point)", 2024, true))),
        ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", Some(("AMD Ryzen AI 300 (Zen 5: Strix Point/Krackan Point)", 2024, true))),
        ("AMD Ryzen AI Max+ PRO 395", Some(("AMD Ryzen AI Max (Zen 5: Strix Halo)", 2025, true))),
        ("AMD Ryzen Threadripper 1950X 16-Core Processor", Some(("AMD Ryzen Threadripper 1000 (Zen)", 2017, false))),
        ("AMD A10-7800 Radeon R7, 12 Compute Cores 4C+8G", Some(("AMD A-series (Kaveri)", 2014, false))),
        ("AMD A10 PRO-7800B R7, 12 Compute Cores 4C+8G", Some(("AMD A-series (Kaveri)", 2014, false))),
        ("AMD PRO A10-8770 R7, 10 Compute Cores 4C+6G", Some(("AMD A-series PRO (Bristol Ridge)", 2016, false))),
        ("AMD A6-3420M APU with Radeon(tm) HD Graphics", Some(("AMD A-series (Llano)", 2011, false))),
        ("AMD A9-9420 RADEON R5, 5 COMPUTE CORES 2C+3G", Some(("AMD A-series (Stoney Ridge)", 2016, false))),
        ("AMD E1-2100 APU with Radeon(TM) HD Graphics", Some(("AMD E-series (Kabini)", 2013, false))),
        ("AMD Athlon 200GE with Radeon Vega Graphics", Some(("AMD Athlon (Zen: Raven Ridge)", 2018, true))),
        ("AMD Athlon Silver 3050U with Radeon Graphics", Some(("AMD Athlon Silver (Zen: Dali)", 2020, true))),
        ("AMD Athlon 3000G with Radeon Vega Graphics", Some(("AMD Athlon (Zen: Raven Ridge)", 2019, true))),
        ("AMD Athlon(tm) II X2 250 Processor", None),
        ("AMD 3020e with Radeon Graphics", Some(("AMD 3000 (Zen: Dali)", 2020, true))),
    ];

    #[test]
    fn generations_from_model_names() {
        for (model, expected) in NAMES {
            check(model, *expected);
        }
    }

    /// Vendor, family, model, stepping and the verdict when the name says nothing.
    #[rustfmt::skip]
    const SIGNATURES: &[(&str, [u32; 3], Verdict)] = &[
        ("GenuineIntel", [6, 42, 7], Some((2011, false))),
        ("Intel(R) Corporation", [6, 165, 5], Some((2020, true))),
        ("GenuineIntel", [6, 142, 9], None), // Kaby Lake U and 8th-gen Amber Lake share 6/142/9
        ("GenuineIntel", [6, 158, 9], None), // Kaby Lake S and 8th-gen Kaby Lake-G share 6/158/9
        ("AuthenticAMD", [23, 1, 1], Some((2017, false))),
        ("Advanced Micro Devices, Inc.", [23, 17, 0], Some((2018, true))),
        ("AuthenticAMD", [6, 42, 7], None), // AMD family 6 is an Athlon XP: the vendor decides
        ("QEMU", [6, 154, 4], None),
        ("GenuineIntel", [0, 0, 0], None),
        ("", [6, 42, 7], None),
    ];

    #[test]
    fn cpuid_is_a_conservative_fallback() {
        for &(vendor, [family, model_number, stepping], expected) in SIGNATURES {
            let model = "QEMU Virtual CPU version 2.5+".to_string();
            let cpu =
                Cpu { model, vendor: vendor.to_string(), family, model_number, stepping, ..Cpu::default() };
            let got = identify(&cpu).map(|g| (g.launch_year, g.windows11));
            assert_eq!(got, expected, "{vendor} {family}/{model_number}/{stepping}");
        }
        // A name the table knows wins over the signature (6/142/12 alone would say 2018, supported).
        let (model, vendor) = ("Intel(R) Celeron(R) CPU 3865U @ 1.80GHz".into(), "GenuineIntel".into());
        let cpu = Cpu { model, vendor, family: 6, model_number: 142, stepping: 12, ..Cpu::default() };
        assert_eq!(identify(&cpu).map(|g| (g.launch_year, g.windows11)), Some((2017, false)));
    }

    /// Odd names, and fragments for pseudo-random ones, that reach every branch of the name reader.
    const ODD: &str = "| |@|@@@|Core|CORE i|i5-|Core(TM) i5-|Core(TM) i5 CPU M|A10-|AMD A10|AMD A10 PRO-|AMD E-|Ryzen|\
                       Ryzen 9|Ryzen AI|Xeon v2|Atom X5-|Core 2|Core 5-|Core M-|Core m3-|Intel N|Intel NN|AMD|AMD 3|\
                       (R)(TM)(C)|Ultra|----|++++|Core(TM) i5-\u{0}\u{7}|Core™ i7-8565U|Intel® Core™ i5-1235U|\
                       Ryzen 5 𝟒𝟓𝟎𝟎𝐔|ï5-8265U|Core i5-99999999999999999999999999999999999999|Celeron(R) CPU 1.80GHz|\
                       Core(TM)2 Duo T";
    const PARTS: &str =
        "Intel|AMD|Core|(TM)|i5-|i7|CPU|M|520|8265U|Ryzen|5|PRO|AI|Max+|Xeon|E3-1225|v3|A10-|E1-|Atom|\
                         x5-Z8350|@|2.6|-|Ultra|N100|Celeron|Pentium|Athlon|X4|Threadripper|é|,|(|#|*";

    #[test]
    fn odd_input_never_panics() {
        let mut names: Vec<String> = ODD.split('|').map(str::to_string).collect();
        names.push("Intel Core i7-".repeat(500));
        let parts: Vec<&str> = PARTS.split('|').collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2000 {
            let mut name = String::new();
            for _ in 0..(state % 7) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                name.push_str(parts[(state % parts.len() as u64) as usize]);
                name.push_str(if state.is_multiple_of(3) { " " } else { "" });
            }
            state = state.wrapping_add(1);
            names.push(name);
        }
        for (i, name) in names.iter().enumerate() {
            let vendor = ["GenuineIntel", "AuthenticAMD", "", "QEMU"][i % 4].to_string();
            let family = [0, 6, 23, 25, u32::MAX][i % 5];
            let (model_number, stepping) = ((i as u32).wrapping_mul(2_654_435_761), i as u32 % 17);
            let cpu = Cpu { model: name.clone(), vendor, family, model_number, stepping, ..Cpu::default() };
            let _ = identify(&cpu);
        }
    }
}
