//! Charts as SVG text, pure: data in, an `<svg>` string out; no I/O, no
//! clock (the caller passes "today"). Every label is escaped here, so the
//! pages insert the result as it is. Colours are fixed here and reused by
//! the pages' legends, so a chart and its legend always agree.

use super::layout::escape;
use std::fmt::Write;

pub const READY: &str = "#18753c";
pub const NOT_READY: &str = "#ce0500";
pub const UNKNOWN: &str = "#929292";
pub const FIXABLE: &str = "#c8aa39";
pub const DONE: &str = "#000091";
pub const OPEN: &str = "#cacafb";
pub const LATE: &str = "#e4794a";
/// Reporting health, from fresh to silent.
pub const SEEN: [&str; 6] = ["#18753c", "#68a532", "#c8aa39", "#e4794a", "#ce0500", "#929292"];

/// One coloured part of a bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Part<'a> {
    pub label: &'a str,
    pub value: u64,
    pub colour: &'a str,
}

/// One labelled bar of a chart of bars.
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    pub label: &'a str,
    pub href: Option<String>,
    pub parts: Vec<Part<'a>>,
}

/// One wave of a timeline: its days (inclusive) and progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveSpan {
    pub number: u32,
    pub starts_on: i64,
    pub ends_on: i64,
    pub devices: u32,
    pub done: u32,
    pub late: u32,
    /// Why the wave is closed to every site (a blackout), if it is.
    pub closed: Option<String>,
}

const ROW: u32 = 24;
const BAR: u32 = 16;

/// How the bars of a chart of bars are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// One scale for all: the largest total fills the bar area, so sizes
    /// compare.
    Shared,
    /// Every bar fills the bar area, so shares compare.
    Share,
}

/// Numbers read on a dark colour in white, on a light one in black.
fn ink(colour: &str) -> &'static str {
    let hex = colour.trim_start_matches('#');
    let channel = |i: usize| u32::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let luminance = 299 * channel(0) + 587 * channel(2) + 114 * channel(4);
    if luminance > 150_000 {
        "#161616"
    } else {
        "#ffffff"
    }
}

/// Cuts a label to `max` characters, with an ellipsis.
fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let mut short: String = label.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// The parts laid side by side from `x`, `scale` pixels per unit, with
/// their values written inside when they fit.
fn segments(out: &mut String, parts: &[Part<'_>], x: f64, y: u32, height: u32, scale: f64) -> f64 {
    let mut left = x;
    for part in parts.iter().filter(|p| p.value > 0) {
        let width = part.value as f64 * scale;
        let _ = write!(
            out,
            r#"<rect x="{left:.1}" y="{y}" width="{width:.1}" height="{height}" fill="{}"><title>{}: {}</title></rect>"#,
            escape(part.colour),
            escape(part.label),
            part.value
        );
        let text = part.value.to_string();
        if width >= 7.5 * text.len() as f64 + 6.0 {
            let _ = write!(
                out,
                r#"<text class="inside" x="{:.1}" y="{}" text-anchor="middle" style="fill:{}">{text}</text>"#,
                left + width / 2.0,
                y + height / 2 + 4,
                ink(part.colour)
            );
        }
        left += width;
    }
    left
}

/// One bar split into parts in proportion to their values, across the
/// whole width. A bar of nothing is a grey outline saying so.
pub fn split_bar(title: &str, parts: &[Part<'_>], width: u32) -> String {
    let height = 28;
    let total: u64 = parts.iter().map(|p| p.value).sum();
    let mut out = format!(
        r#"<svg class="chart split" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{0}"><title>{0}</title>"#,
        escape(title)
    );
    if total == 0 {
        let _ = write!(
            out,
            r##"<rect x="0.5" y="0.5" width="{}" height="{}" fill="none" stroke="#929292"/><text x="8" y="18">no data</text>"##,
            width - 1,
            height - 1
        );
    } else {
        segments(&mut out, parts, 0.0, 0, height, f64::from(width) / total as f64);
    }
    out.push_str("</svg>");
    out
}

/// Horizontal stacked bars, one per row, each with its label (a link when
/// the row has one) and its total. Many rows are drawn thinner.
pub fn stacked_rows(title: &str, rows: &[Row<'_>], width: u32, scale: Scale) -> String {
    let longest = rows.iter().map(|r| r.label.chars().count().min(26)).max().unwrap_or(0) as u32;
    let label_width = (longest * 8 + 24).clamp(60, 230);
    let total_width = 64;
    let (row_height, bar) = if rows.len() > 12 { (19, 13) } else { (ROW, BAR) };
    let bar_area = f64::from(width.saturating_sub(label_width + total_width).max(50));
    let total_of = |row: &Row<'_>| row.parts.iter().map(|p| p.value).sum::<u64>();
    let max = rows.iter().map(total_of).max().unwrap_or(0);
    let height = row_height * rows.len().max(1) as u32 + 4;
    let mut out = format!(
        r#"<svg class="chart rows" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{0}"><title>{0}</title>"#,
        escape(title)
    );
    for (i, row) in rows.iter().enumerate() {
        let y = i as u32 * row_height + 2;
        let total = total_of(row);
        let scale = match (scale, total, max) {
            (_, 0, _) | (_, _, 0) => 0.0,
            (Scale::Shared, _, max) => bar_area / max as f64,
            (Scale::Share, total, _) => bar_area / total as f64,
        };
        let label = format!(
            r#"<text x="{}" y="{}" text-anchor="end">{}<title>{}</title></text>"#,
            label_width - 10,
            y + bar / 2 + 4,
            escape(&shorten(row.label, 26)),
            escape(row.label)
        );
        match &row.href {
            Some(href) => {
                let _ = write!(out, r#"<a href="{}">{label}</a>"#, escape(href));
            }
            None => out.push_str(&label),
        }
        let _ = write!(out, r#"<g class="bar">"#);
        let end = segments(&mut out, &row.parts, f64::from(label_width), y, bar, scale);
        let _ = write!(out, r#"</g><text x="{:.1}" y="{}">{total}</text>"#, end + 6.0, y + bar / 2 + 4);
    }
    if rows.is_empty() {
        let _ = write!(out, r#"<text x="8" y="18">no data</text>"#);
    }
    out.push_str("</svg>");
    out
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The months from `first` to `last` (days since 1970): where each
/// starts (`first` itself for the month under way), its number and year.
fn month_starts(first: i64, last: i64) -> Vec<(i64, u32, i64)> {
    let (mut year, mut month, day) = parc_model::civil::from_days(first);
    let mut starts = Vec::new();
    if day != 1 {
        starts.push((first, month, year));
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
    while let Some(day) = parc_model::civil::to_days(year, month, 1) {
        if day > last {
            break;
        }
        starts.push((day, month, year));
        (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    }
    starts
}

/// How far before the first wave or after the last one "today" still
/// widens the calendar to show where it stands.
const TODAY_MARGIN_DAYS: i64 = 62;

/// The waves on a calendar: one bar per wave across its days, the done
/// share dark, the rest light (orange when the wave is over with devices
/// still open, grey when a blackout closes it), months along the top and
/// a line on `today` when it is near.
pub fn timeline(waves: &[WaveSpan], today: i64, width: u32) -> String {
    let label_width = 74;
    let count_width = 110;
    let axis = 24;
    let (row_height, bar_height) = if waves.len() > 16 { (18, 12) } else { (ROW, BAR) };
    let height = axis + row_height * waves.len().max(1) as u32 + 18;
    let mut out = format!(
        r#"<svg class="chart timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="Waves on a calendar"><title>Waves on a calendar</title>"#
    );
    let (Some(mut first), Some(mut last)) =
        (waves.iter().map(|w| w.starts_on).min(), waves.iter().map(|w| w.ends_on).max())
    else {
        out.push_str(r#"<text x="8" y="18">no waves</text></svg>"#);
        return out;
    };
    let show_today = (first - TODAY_MARGIN_DAYS..=last + TODAY_MARGIN_DAYS).contains(&today);
    if show_today {
        (first, last) = (first.min(today), last.max(today));
    }
    let span = (last + 1 - first).max(1) as f64;
    let area = f64::from(width.saturating_sub(label_width + count_width).max(50));
    let x = |day: i64| f64::from(label_width) + (day - first) as f64 * area / span;
    let months = month_starts(first, last + 1);
    let every = months.len().div_ceil(14).max(1);
    for (i, (day, month, year)) in months.iter().enumerate() {
        let whole = parc_model::civil::to_days(*year, *month, 1) == Some(*day);
        if whole {
            let _ = write!(
                out,
                r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2}" stroke="#dddddd"/>"##,
                x(*day),
                axis - 6,
                height - 16
            );
        }
        // The month under way is named only when it has room before the next.
        let room = months.get(i + 1).is_none_or(|next| x(next.0) - x(*day) > 60.0);
        if i % every == 0 && (whole || room) {
            let _ = write!(
                out,
                r#"<text class="axis" x="{:.1}" y="{}">{} {year}</text>"#,
                x(*day) + 3.0,
                axis - 10,
                MONTHS[(*month as usize + 11) % 12]
            );
        }
    }
    for (i, wave) in waves.iter().enumerate() {
        let y = axis + i as u32 * row_height + 3;
        let (left, right) = (x(wave.starts_on), x(wave.ends_on + 1));
        let bar = (right - left).max(3.0);
        let late = wave.late > 0;
        let (fill, stroke) = match (&wave.closed, late) {
            (Some(_), _) if wave.devices == 0 => ("#eeeeee", r##" stroke="#929292" stroke-dasharray="2 2""##),
            (_, true) => (LATE, ""),
            _ => (OPEN, ""),
        };
        let text_y = y + bar_height / 2 + 4;
        let _ = write!(
            out,
            r#"<text x="{}" y="{text_y}" text-anchor="end">Wave {}</text>"#,
            label_width - 8,
            wave.number
        );
        let _ = write!(
            out,
            r#"<rect class="wave" data-wave="{}" x="{left:.1}" y="{y}" width="{bar:.1}" height="{bar_height}" fill="{fill}"{stroke}><title>Wave {}: {} to {}, {} of {} done{}</title></rect>"#,
            wave.number,
            wave.number,
            parc_model::civil::iso(wave.starts_on),
            parc_model::civil::iso(wave.ends_on),
            wave.done,
            wave.devices,
            if late { format!(", {} late", wave.late) } else { String::new() }
        );
        if wave.devices > 0 && wave.done > 0 {
            let done = bar * f64::from(wave.done.min(wave.devices)) / f64::from(wave.devices);
            let _ = write!(
                out,
                r#"<rect class="done" x="{left:.1}" y="{y}" width="{done:.1}" height="{bar_height}" fill="{DONE}"/>"#
            );
        }
        let note = match (&wave.closed, late) {
            (Some(reason), _) if wave.devices == 0 => format!("closed: {}", escape(&shorten(reason, 24))),
            (_, true) => format!("{}/{} late", wave.done, wave.devices),
            _ => format!("{}/{}", wave.done, wave.devices),
        };
        let _ = write!(out, r#"<text x="{:.1}" y="{text_y}">{note}</text>"#, left + bar + 6.0);
    }
    if show_today {
        let _ = write!(
            out,
            r##"<line class="today" x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2}" stroke="#ce0500" stroke-width="2" stroke-dasharray="4 3"/><text class="axis" x="{3:.1}" y="{4}" style="fill:#ce0500">today</text>"##,
            x(today),
            axis - 4,
            height - 14,
            x(today) + 3.0,
            height - 3
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(svg: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .filter_map(|r| r.split("width=\"").nth(1)?.split('"').next()?.parse().ok())
            .collect()
    }

    #[test]
    fn a_split_bar_shares_the_width_in_proportion() {
        let parts = [
            Part { label: "ready", value: 1, colour: READY },
            Part { label: "not ready", value: 3, colour: NOT_READY },
            Part { label: "unknown", value: 0, colour: UNKNOWN },
        ];
        let svg = split_bar("Wi-Fi", &parts, 400);
        assert_eq!(widths(&svg), vec![100.0, 300.0], "{svg}");
        assert!(svg.contains("<title>not ready: 3</title>"));
        assert!(!svg.contains("unknown: 0"), "empty parts are left out");
        assert!(split_bar("none", &[], 400).contains("no data"));
    }

    #[test]
    fn labels_are_escaped_everywhere() {
        let hostile = "<script>alert(1)</script>";
        let parts = [Part { label: hostile, value: 2, colour: READY }];
        let rows = [Row { label: hostile, href: Some("/sites/\"><script>".into()), parts: parts.to_vec() }];
        for svg in [split_bar(hostile, &parts, 300), stacked_rows(hostile, &rows, 600, Scale::Shared)] {
            assert!(!svg.contains("<script>"), "{svg}");
            assert!(svg.contains("&lt;script&gt;"), "{svg}");
        }
    }

    #[test]
    fn stacked_rows_compare_sizes_or_shares_and_say_their_totals() {
        let rows = [
            Row {
                label: "SIEGE",
                href: Some("/sites/SIEGE".into()),
                parts: vec![Part { label: "ready", value: 30, colour: READY }],
            },
            Row {
                label: "A very long site name that does not fit",
                href: None,
                parts: vec![
                    Part { label: "ready", value: 5, colour: READY },
                    Part { label: "not ready", value: 10, colour: NOT_READY },
                ],
            },
        ];
        let svg = stacked_rows("Wi-Fi per site", &rows, 894, Scale::Shared);
        // 894 - 230 (labels) - 64 (totals) = 600 px for 30 devices: 20 px each.
        assert_eq!(widths(&svg), vec![600.0, 100.0, 200.0], "{svg}");
        let shares = stacked_rows("Wi-Fi per site", &rows, 894, Scale::Share);
        assert_eq!(widths(&shares), vec![600.0, 200.0, 400.0], "{shares}");
        assert!(svg.contains(r#"<a href="/sites/SIEGE">"#));
        assert!(svg.contains("A very long site name tha…"), "{svg}");
        assert!(svg.contains(">30</text>") && svg.contains(">15</text>"));
    }

    fn waves() -> Vec<WaveSpan> {
        let start = parc_model::civil::parse_iso("2027-01-04").unwrap();
        (0..3)
            .map(|i| WaveSpan {
                number: i + 1,
                starts_on: start + 14 * i64::from(i),
                ends_on: start + 14 * i64::from(i) + 4,
                devices: 10,
                done: [10, 4, 0][i as usize],
                late: [0, 6, 0][i as usize],
                closed: None,
            })
            .collect()
    }

    #[test]
    fn the_timeline_has_one_bar_per_wave_in_date_order() {
        let waves = waves();
        let today = waves[1].ends_on + 3;
        let svg = timeline(&waves, today, 900);
        assert_eq!(svg.matches(r#"class="wave""#).count(), 3);
        let xs: Vec<f64> = svg
            .split(r#"class="wave""#)
            .skip(1)
            .map(|r| r.split("x=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
            .collect();
        assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
        assert!(svg.contains(">10/10</text>") && svg.contains(">4/10 late</text>"));
        assert!(svg.contains(r#"class="today""#));
        assert!(svg.contains(">Jan 2027</text>"));
        assert!(timeline(&[], today, 900).contains("no waves"));
    }

    #[test]
    fn a_closed_wave_says_why_and_today_far_away_is_left_out() {
        let mut waves = waves();
        waves.push(WaveSpan {
            number: 4,
            starts_on: waves[2].starts_on + 14,
            ends_on: waves[2].ends_on + 14,
            devices: 0,
            done: 0,
            late: 0,
            closed: Some("<summer> holidays".into()),
        });
        let svg = timeline(&waves, waves[0].starts_on - 400, 900);
        assert_eq!(svg.matches(r#"class="wave""#).count(), 4);
        assert!(svg.contains(">closed: &lt;summer&gt; holidays</text>"), "{svg}");
        assert!(!svg.contains(r#"class="today""#));
        let soon = timeline(&waves, waves[0].starts_on - 10, 900);
        assert!(soon.contains(r#"class="today""#), "today shows when the plan starts soon");
    }

    #[test]
    fn the_timeline_snapshot() {
        let waves = waves();
        insta::assert_snapshot!(timeline(&waves, waves[1].ends_on + 3, 600).replace("><", ">\n<"));
    }

    #[test]
    fn month_ticks_cover_the_span() {
        let first = parc_model::civil::parse_iso("2027-01-20").unwrap();
        let last = parc_model::civil::parse_iso("2027-04-02").unwrap();
        let months: Vec<(i64, u32)> = month_starts(first, last).iter().map(|m| (m.0, m.1)).collect();
        let day = |text: &str| parc_model::civil::parse_iso(text).unwrap();
        assert_eq!(
            months,
            vec![(first, 1), (day("2027-02-01"), 2), (day("2027-03-01"), 3), (day("2027-04-01"), 4)]
        );
    }

    #[test]
    fn ink_contrasts_with_its_background() {
        assert_eq!(ink(DONE), "#ffffff");
        assert_eq!(ink(OPEN), "#161616");
        assert_eq!(ink(READY), "#ffffff");
    }
}
