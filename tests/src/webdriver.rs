//! A small WebDriver client for the dashboard's browser test: starts
//! chromedriver on a free loopback port, opens a headless Chromium session
//! in a fresh profile, and speaks the W3C WebDriver protocol over plain
//! HTTP/1.1 with std's `TcpStream` and `serde_json`. Only what the test
//! needs: navigate, find by CSS, text, attributes, click, type, screenshot.

use crate::{free_port, Running, PATIENCE};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The W3C key of an element reference in JSON.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Fails (never skips) when the browser is missing, saying how to get it.
pub fn require_browser() {
    for path in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the dashboard's browser test needs Chromium and ChromeDriver; \
             ./scripts/test installs them (apt-get install chromium chromium-driver)"
        );
    }
}

/// One request to chromedriver: the JSON answer's `value`, or a panic
/// with WebDriver's error and message.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect to chromedriver: {e}"))?;
    stream.set_read_timeout(Some(PATIENCE)).map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()))
        .map_err(|e| e.to_string())?;
    let (head, payload) = read_response(&mut stream).map_err(|e| format!("{method} {path}: {e}"))?;
    let answer: Value = serde_json::from_slice(&payload)
        .map_err(|e| format!("{method} {path}: not JSON ({e}): {}", String::from_utf8_lossy(&payload)))?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!(
            "{method} {path}: {} {}: {}",
            head.lines().next().unwrap_or(""),
            value["error"].as_str().unwrap_or(""),
            value["message"].as_str().unwrap_or("")
        ));
    }
    Ok(value)
}

/// Reads one HTTP/1.1 response: chromedriver keeps connections open, so
/// the body is read by its Content-Length (or its chunks), not to the end.
fn read_response(stream: &mut TcpStream) -> Result<(String, Vec<u8>), String> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let split = loop {
        if let Some(split) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break split;
        }
        let read = stream.read(&mut chunk).map_err(|e| format!("read chromedriver's answer: {e}"))?;
        if read == 0 {
            return Err("chromedriver closed the connection before answering".into());
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..split]).to_string();
    let mut body = buffer[split + 4..].to_vec();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_ascii_lowercase())
        })
    };
    let complete = |body: &[u8]| match (header("content-length"), header("transfer-encoding")) {
        (Some(length), _) => body.len() >= length.parse::<usize>().unwrap_or(0),
        (None, Some(encoding)) if encoding.contains("chunked") => body.ends_with(b"0\r\n\r\n"),
        _ => false,
    };
    while !complete(&body) {
        let read = stream.read(&mut chunk).map_err(|e| format!("read chromedriver's answer: {e}"))?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    if header("transfer-encoding").is_some_and(|e| e.contains("chunked")) {
        body = dechunk(&body);
    }
    Ok((head, body))
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = &body[(start + size + 2).min(body.len())..];
    }
    out
}

/// Standard base64 (screenshots), padding and line breaks allowed.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for sextet in text.bytes().filter_map(value) {
        bits = (bits << 6) | u32::from(sextet);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// chromedriver, running on a free loopback port until dropped.
pub struct Driver {
    _process: Running,
    port: u16,
}

impl Driver {
    pub fn start() -> Driver {
        require_browser();
        let port = free_port();
        let process = Running::start_path(Path::new(CHROMEDRIVER), &[&format!("--port={port}")]);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(status) = request(port, "GET", "/status", None) {
                if status["ready"].as_bool() == Some(true) {
                    return Driver { _process: process, port };
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not answer /status on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A headless Chromium session in a new profile, `width`×`height`.
    pub fn session(&self, width: u32, height: u32) -> Session {
        let profile = tempfile::tempdir().expect("a profile folder");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
                }
            }
        });
        let value = request(self.port, "POST", "/session", Some(&capabilities))
            .unwrap_or_else(|e| panic!("cannot start a Chromium session: {e}"));
        let id = value["sessionId"].as_str().expect("a session id").to_string();
        Session { port: self.port, id, _profile: profile }
    }
}

/// A browser session; deleted (Chromium closed) on drop.
pub struct Session {
    port: u16,
    id: String,
    _profile: tempfile::TempDir,
}

/// An element found on the current page.
#[derive(Debug, Clone)]
pub struct Element {
    id: String,
}

impl Session {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.id);
        request(self.port, method, &path, body.as_ref()).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    /// Waits until the current address ends with `suffix` (a click on a
    /// form's button may return before the next page comes); returns it.
    pub fn wait_for_url(&self, suffix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.url();
            if url.ends_with(suffix) {
                return url;
            }
            assert!(Instant::now() < deadline, "the browser stayed on {url}, not …{suffix}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn title(&self) -> String {
        self.call("GET", "/title", None).as_str().unwrap_or_default().to_string()
    }

    /// Every element matching a CSS selector (none is an empty list).
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.call("POST", "/elements", Some(json!({ "using": "css selector", "value": css })));
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e[ELEMENT].as_str())
                    .map(|id| Element { id: id.to_string() })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching a CSS selector; panics, naming the page,
    /// when there is none.
    pub fn find(&self, css: &str) -> Element {
        self.find_all(css)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element matches {css:?} on {} ({})", self.url(), self.title()))
    }

    /// The rendered text of an element.
    pub fn text(&self, element: &Element) -> String {
        self.call("GET", &format!("/element/{}/text", element.id), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The text of the first element matching `css`.
    pub fn text_of(&self, css: &str) -> String {
        let element = self.find(css);
        self.text(&element)
    }

    pub fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.call("GET", &format!("/element/{}/attribute/{name}", element.id), None)
            .as_str()
            .map(str::to_string)
    }

    /// Clicks an element (following a link waits for the next page).
    pub fn click(&self, element: &Element) {
        self.call("POST", &format!("/element/{}/click", element.id), Some(json!({})));
    }

    pub fn type_into(&self, element: &Element, text: &str) {
        self.call("POST", &format!("/element/{}/value", element.id), Some(json!({ "text": text })));
    }

    /// Runs a script in the page (WebDriver's, not the page's: the page's
    /// content security policy does not apply) and returns its result.
    pub fn script(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    pub fn set_window(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", Some(json!({ "width": width, "height": height })));
    }

    /// A PNG of what the window shows, written to `path`.
    pub fn screenshot(&self, path: &Path) -> PathBuf {
        let encoded = self.call("GET", "/screenshot", None);
        let png = base64_decode(encoded.as_str().expect("base64 PNG"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is not a PNG");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the screenshot folder");
        }
        std::fs::write(path, png).expect("write the screenshot");
        path.to_path_buf()
    }

    /// A PNG of the whole page: the window is made as tall as the page
    /// (at most `max_height`), then put back to `width`×`height`.
    pub fn full_screenshot(&self, path: &Path, width: u32, height: u32, max_height: u32) -> PathBuf {
        let page = self.script("return document.documentElement.scrollHeight").as_u64().unwrap_or(0) as u32;
        self.set_window(width, page.clamp(height, max_height) + 100);
        let written = self.screenshot(path);
        self.set_window(width, height);
        written
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = request(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64_decode("aGVsbG8="), b"hello");
        assert_eq!(base64_decode("aGVsbG8h"), b"hello!");
        assert_eq!(base64_decode("aGVs\nbG8="), b"hello");
        assert_eq!(base64_decode(""), b"");
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"), b"Wikipedia");
    }
}
