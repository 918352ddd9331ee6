//! Numbers with units, both ways: `8GB` to bytes and back, `14d` to seconds
//! and back, `4.5y` to tenths of a year and back. Checked arithmetic
//! throughout: a value too large is an error, never an overflow.

/// Why a number did not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not the expected shape.
    Invalid,
    /// The right shape, beyond what the field holds.
    TooLarge,
}

const KIB: u128 = 1 << 10;

/// Size units, binary all: for RAM people say GB and mean GiB. `o` (octet)
/// for the French-speaking.
const SIZE_UNITS: &[(&str, u128)] = &[
    ("b", 1),
    ("o", 1),
    ("k", KIB),
    ("kb", KIB),
    ("kib", KIB),
    ("ko", KIB),
    ("m", KIB * KIB),
    ("mb", KIB * KIB),
    ("mib", KIB * KIB),
    ("mo", KIB * KIB),
    ("g", KIB * KIB * KIB),
    ("gb", KIB * KIB * KIB),
    ("gib", KIB * KIB * KIB),
    ("go", KIB * KIB * KIB),
    ("t", KIB * KIB * KIB * KIB),
    ("tb", KIB * KIB * KIB * KIB),
    ("tib", KIB * KIB * KIB * KIB),
    ("to", KIB * KIB * KIB * KIB),
];

/// Duration units, in seconds.
const DURATION_UNITS: &[(&str, u128)] = &[("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)];

/// At most this many digits after the decimal point.
const MAX_FRACTION_DIGITS: u32 = 9;

/// A decimal number without sign: its integer part, and its fractional
/// part as digits over 10^`scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    int: u128,
    frac: u128,
    scale: u32,
}

impl Decimal {
    /// `self × unit`, rounded down.
    fn times(self, unit: u128) -> Result<u128, NumberError> {
        let int = self.int.checked_mul(unit).ok_or(NumberError::TooLarge)?;
        let frac = self.frac.checked_mul(unit).ok_or(NumberError::TooLarge)? / 10u128.pow(self.scale);
        int.checked_add(frac).ok_or(NumberError::TooLarge)
    }
}

/// Splits `text` into its leading decimal number and the rest.
fn split_decimal(text: &str) -> Result<(Decimal, &str), NumberError> {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    if digits_end == 0 {
        return Err(NumberError::Invalid);
    }
    let int = digits(&text[..digits_end])?;
    let rest = &text[digits_end..];
    let Some(after_point) = rest.strip_prefix('.') else {
        return Ok((Decimal { int, frac: 0, scale: 0 }, rest));
    };
    let frac_end = after_point.find(|c: char| !c.is_ascii_digit()).unwrap_or(after_point.len());
    if frac_end == 0 || frac_end > MAX_FRACTION_DIGITS as usize {
        return Err(NumberError::Invalid);
    }
    let frac = digits(&after_point[..frac_end])?;
    // frac_end <= MAX_FRACTION_DIGITS, so this fits.
    let scale = frac_end as u32;
    Ok((Decimal { int, frac, scale }, &after_point[frac_end..]))
}

/// ASCII digits to a number.
fn digits(text: &str) -> Result<u128, NumberError> {
    text.chars().try_fold(0u128, |n, c| {
        let digit = c.to_digit(10).ok_or(NumberError::Invalid)?;
        n.checked_mul(10).and_then(|n| n.checked_add(u128::from(digit))).ok_or(NumberError::TooLarge)
    })
}

fn to_i64(n: u128) -> Result<i64, NumberError> {
    i64::try_from(n).map_err(|_| NumberError::TooLarge)
}

/// `8GB`, `512MB`, `1.5 GiB`, `16Go` to bytes; a unit is required.
pub(crate) fn parse_size(text: &str) -> Result<i64, NumberError> {
    let (number, unit) = split_decimal(text)?;
    let unit = unit.trim_start().to_ascii_lowercase();
    let (_, factor) = SIZE_UNITS.iter().find(|(name, _)| *name == unit).ok_or(NumberError::Invalid)?;
    to_i64(number.times(*factor)?)
}

/// `14d`, `2w`, `12h`, `30m` to seconds; a unit is required.
pub(crate) fn parse_duration(text: &str) -> Result<i64, NumberError> {
    let (number, unit) = split_decimal(text)?;
    if number.scale > 0 {
        return Err(NumberError::Invalid);
    }
    let unit = unit.to_ascii_lowercase();
    let (_, factor) = DURATION_UNITS.iter().find(|(name, _)| *name == unit).ok_or(NumberError::Invalid)?;
    to_i64(number.times(*factor)?)
}

/// `5`, `4.5`, `5y` to tenths of a year; at most one decimal.
pub(crate) fn parse_age(text: &str) -> Result<i64, NumberError> {
    let (number, unit) = split_decimal(text)?;
    if number.scale > 1 || !(unit.is_empty() || unit.eq_ignore_ascii_case("y")) {
        return Err(NumberError::Invalid);
    }
    to_i64(number.times(10)?)
}

/// A whole number, no sign, no unit.
pub(crate) fn parse_whole(text: &str) -> Result<i64, NumberError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NumberError::Invalid);
    }
    to_i64(digits(text)?)
}

/// Bytes in the largest unit that divides them: `8GB`, `1536MB`, `100B`.
pub(crate) fn format_size(bytes: i64) -> String {
    let units = [("TB", 1i64 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)];
    for (name, factor) in units {
        if bytes != 0 && bytes % factor == 0 {
            return format!("{}{name}", bytes / factor);
        }
    }
    if bytes == 0 {
        "0GB".to_owned()
    } else {
        format!("{bytes}B")
    }
}

/// Seconds in days, hours or minutes, the largest that divides them (weeks
/// are written as days: `14d`, as people write it).
pub(crate) fn format_duration(seconds: i64) -> String {
    let units = [("d", 86_400), ("h", 3600), ("m", 60)];
    for (name, factor) in units {
        if seconds % factor == 0 {
            return format!("{}{name}", seconds / factor);
        }
    }
    // Not reached for parsed durations (whole minutes); kept readable.
    format!("{}m", seconds / 60)
}

/// Tenths of a year as `5y` or `4.5y`.
pub(crate) fn format_age(tenths: i64) -> String {
    let (whole, tenth) = (tenths / 10, (tenths % 10).abs());
    if tenth == 0 {
        format!("{whole}y")
    } else {
        format!("{whole}.{tenth}y")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: i64 = 1 << 30;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("8GB"), Ok(8 * GIB));
        assert_eq!(parse_size("8G"), Ok(8 * GIB));
        assert_eq!(parse_size("8gib"), Ok(8 * GIB));
        assert_eq!(parse_size("8Go"), Ok(8 * GIB));
        assert_eq!(parse_size("8 GB"), Ok(8 * GIB));
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("1.5GB"), Ok(3 * GIB / 2));
        assert_eq!(parse_size("1TB"), Ok(1 << 40));
        assert_eq!(parse_size("0.3KB"), Ok(307));
        assert_eq!(parse_size("16"), Err(NumberError::Invalid));
        assert_eq!(parse_size("8XB"), Err(NumberError::Invalid));
        assert_eq!(parse_size("GB"), Err(NumberError::Invalid));
        assert_eq!(parse_size("8.GB"), Err(NumberError::Invalid));
        assert_eq!(parse_size("-8GB"), Err(NumberError::Invalid));
        assert_eq!(parse_size("1.0000000001GB"), Err(NumberError::Invalid));
        assert_eq!(parse_size("9999999999GB"), Err(NumberError::TooLarge));
        assert_eq!(parse_size(&"9".repeat(200)), Err(NumberError::TooLarge));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("14d"), Ok(14 * 86_400));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400));
        assert_eq!(parse_duration("12H"), Ok(12 * 3600));
        assert_eq!(parse_duration("30m"), Ok(1800));
        assert_eq!(parse_duration("14"), Err(NumberError::Invalid));
        assert_eq!(parse_duration("1.5d"), Err(NumberError::Invalid));
        assert_eq!(parse_duration("3s"), Err(NumberError::Invalid));
        assert_eq!(parse_duration("99999999999999999w"), Err(NumberError::TooLarge));
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("5"), Ok(50));
        assert_eq!(parse_age("5y"), Ok(50));
        assert_eq!(parse_age("4.5"), Ok(45));
        assert_eq!(parse_age("4.5Y"), Ok(45));
        assert_eq!(parse_age("4.25"), Err(NumberError::Invalid));
        assert_eq!(parse_age("5 years"), Err(NumberError::Invalid));
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(parse_whole("42"), Ok(42));
        assert_eq!(parse_whole("0"), Ok(0));
        assert_eq!(parse_whole("-1"), Err(NumberError::Invalid));
        assert_eq!(parse_whole("4.0"), Err(NumberError::Invalid));
        assert_eq!(parse_whole(""), Err(NumberError::Invalid));
        assert_eq!(parse_whole("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_whole("9223372036854775808"), Err(NumberError::TooLarge));
    }

    #[test]
    fn formats_read_back() {
        for bytes in [0, 1, 307, 1024, 3 * GIB / 2, 8 * GIB, 1 << 40, i64::MAX] {
            assert_eq!(parse_size(&format_size(bytes)), Ok(bytes), "{}", format_size(bytes));
        }
        assert_eq!(format_size(8 * GIB), "8GB");
        assert_eq!(format_size(3 * GIB / 2), "1536MB");
        for seconds in [0, 60, 3600, 86_400, 14 * 86_400, 90 * 60] {
            assert_eq!(parse_duration(&format_duration(seconds)), Ok(seconds));
        }
        assert_eq!(format_duration(14 * 86_400), "14d");
        assert_eq!(format_age(45), "4.5y");
        assert_eq!(format_age(50), "5y");
        assert_eq!(parse_age(&format_age(7)), Ok(7));
    }
}
