//! The page shell every dashboard page shares: head with the inline style
//! sheet, the top navigation, the footer; the HTML answer with its
//! headers; and the small pieces pages repeat (state badges, dates,
//! counts). Escaping: maud escapes every `(value)` it is given; [`escape`]
//! is for the text the SVG charts build by hand.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use parc_readiness::State;

const STYLE: &str = include_str!("style.css");

/// No script may run and nothing loads from elsewhere: the pages need
/// neither, so an escaping mistake cannot become script injection.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Escapes text for HTML and XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes text for a URL path segment or query value: every
/// byte but letters, digits and `-._~`.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The top navigation's entries: label, path.
pub const NAV: [(&str, &str); 4] =
    [("Overview", "/"), ("Sites", "/sites"), ("Waves", "/waves"), ("Search", "/search")];

/// A whole page: `active` is the navigation entry it belongs to.
pub fn page(title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Parc" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header.top {
                    div.wrap {
                        a.brand href="/" {
                            span.flag aria-hidden="true" { span {} span {} span {} }
                            span.name { "Parc" }
                            span.tagline { "Workstation fleet: inventory and rollout" }
                        }
                    }
                    nav.main aria-label="Main" {
                        div.wrap {
                            ul {
                                @for (label, path) in NAV {
                                    li {
                                        @if label == active {
                                            a href=(path) aria-current="page" { (label) }
                                        } @else {
                                            a href=(path) { (label) }
                                        }
                                    }
                                }
                                li.signout {
                                    form method="post" action="/logout" {
                                        button.link type="submit" { "Sign out" }
                                    }
                                }
                            }
                        }
                    }
                }
                main.wrap id="content" {
                    h1 { (title) }
                    (body)
                }
                footer.wrap {
                    "Parc · read-only dashboard served by parc-server · the "
                    code { "parc" }
                    " command line changes data"
                }
            }
        }
    }
}

/// The HTML answer, with the content security policy.
pub struct Page(pub Markup);

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.0.into_string(),
        )
            .into_response()
    }
}

/// A readiness state as a coloured word.
pub fn state_badge(state: State) -> Markup {
    let class = match state {
        State::Ready => "badge ready",
        State::NotReady => "badge not-ready",
        State::Unknown => "badge unknown",
    };
    html! { span class=(class) { (state.name()) } }
}

/// A small coloured square for legends, in a chart's colour.
pub fn swatch(colour: &str) -> Markup {
    html! { span.swatch style=(format!("background:{colour}")) {} }
}

/// "2026-11-01 14:03 UTC"; empty for 0 or before.
pub fn when(unix: i64) -> String {
    match u64::try_from(unix) {
        Ok(secs) if secs > 0 => {
            let text = humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
            )
            .to_string();
            format!("{} UTC", text.trim_end_matches('Z').replacen('T', " ", 1).get(..16).unwrap_or(&text))
        }
        _ => String::new(),
    }
}

/// "3 h ago", "never".
pub fn ago(unix: Option<i64>, now: i64) -> String {
    crate::cli::output::ago(unix, now)
}

/// A share as a whole percentage; "–" of nothing.
pub fn percent(part: u64, whole: u64) -> String {
    match (part * 100).checked_div(whole) {
        Some(p) if whole > 0 => format!("{p}%"),
        _ => "–".into(),
    }
}

/// "12 345": thousands separated by a thin space, as French readers expect.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// "HP ProDesk 400", not "HP HP ProDesk 400": the maker once.
pub fn maker_model(manufacturer: &str, model: &str) -> String {
    let maker = manufacturer.split_whitespace().next().unwrap_or("");
    if maker.is_empty() || model.to_lowercase().starts_with(&maker.to_lowercase()) {
        model.trim().to_string()
    } else {
        format!("{} {}", manufacturer.trim(), model.trim()).trim().to_string()
    }
}

/// A note under a capped list: "first 500 of 2 000".
pub fn capped(shown: usize, total: usize, what: &str) -> Markup {
    html! {
        @if total > shown {
            p.note { "Showing the first " (count(shown as u64)) " of " (count(total as u64)) " " (what) "." }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_in_text_and_attributes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("MDS d'Étampes"), "MDS d&#39;Étampes");
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn encode_keeps_urls_whole() {
        assert_eq!(encode("MDS-ETAMPES"), "MDS-ETAMPES");
        assert_eq!(encode("a b/c?d#é"), "a%20b%2Fc%3Fd%23%C3%A9");
    }

    #[test]
    fn the_page_shell_escapes_its_title_and_marks_the_current_entry() {
        let page = page("<b>x</b>", "Sites", html! { p { "body" } }).into_string();
        assert!(page.contains("<title>&lt;b&gt;x&lt;/b&gt; · Parc</title>"), "{page}");
        assert!(page.contains(r#"<a href="/sites" aria-current="page">Sites</a>"#), "{page}");
        assert!(!page.contains("<b>x</b>"));
    }

    #[test]
    fn numbers_and_dates_read_well() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(12_345), "12\u{202f}345");
        assert_eq!(count(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(0, 0), "–");
        assert_eq!(when(1_796_200_000), "2026-12-02 08:26 UTC");
        assert_eq!(when(0), "");
        assert_eq!(maker_model("HP", "HP ProDesk 400 G3"), "HP ProDesk 400 G3");
        assert_eq!(maker_model("Dell Inc.", "OptiPlex 7010"), "Dell Inc. OptiPlex 7010");
        assert_eq!(maker_model("", "OptiPlex"), "OptiPlex");
    }
}
