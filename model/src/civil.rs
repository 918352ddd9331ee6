//! Calendar dates as days since 1970-01-01 (UTC), the proleptic Gregorian
//! calendar (Howard Hinnant's algorithms). Pure arithmetic, no clock.

/// `(year, month, day)` of a day number.
pub fn from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The day number of a date; `None` when it is not a real date.
pub fn to_days(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `YYYY-MM-DD` of a day number.
pub fn iso(days: i64) -> String {
    let (y, m, d) = from_days(days);
    match u32::try_from(y) {
        // Digit by digit rather than through `format!`: the server turns
        // every install day of every report into a date.
        Ok(year @ 0..=9999) => {
            let mut text = String::with_capacity(10);
            for (value, digits) in [(year, 4), (m, 2), (d, 2)] {
                if !text.is_empty() {
                    text.push('-');
                }
                for place in (0..digits).rev() {
                    text.push(char::from(b'0' + (value / 10u32.pow(place) % 10) as u8));
                }
            }
            text
        }
        _ => format!("{y:04}-{m:02}-{d:02}"),
    }
}

/// The day number of a `YYYY-MM-DD` date.
pub fn parse_iso(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    to_days(year, month, day)
}

/// The day number of an ISO date, or of DD/MM/YYYY as French spreadsheets
/// write them.
pub fn parse_date(text: &str) -> Option<i64> {
    parse_iso(text).or_else(|| {
        let mut parts = text.split('/');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 {
            return None;
        }
        to_days(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    })
}

/// The calendar year of a Unix time.
pub fn year_of_unix(unix: i64) -> i64 {
    from_days(unix.div_euclid(86_400)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_dates_are_refused() {
        assert_eq!(iso(0), "1970-01-01");
        assert_eq!(parse_iso("2024-02-29"), Some(19_782));
        assert_eq!(iso(19_782), "2024-02-29");
        for days in [-1000, 0, 1, 10_957, 19_782, 20_789, 60_000] {
            assert_eq!(parse_iso(&iso(days)), Some(days));
        }
        for days in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = from_days(days);
            assert_eq!(iso(days), format!("{y:04}-{m:02}-{d:02}"), "day {days}");
        }
        assert_eq!(parse_iso("2023-02-29"), None);
        assert_eq!(parse_iso("2024-13-01"), None);
        assert_eq!(parse_iso("garbage"), None);
        assert_eq!(parse_iso(""), None);
        assert_eq!(year_of_unix(1_796_200_000), 2026);
        assert_eq!(year_of_unix(1_704_067_199), 2023);
    }
}
