//! Helpers for the end-to-end tests: find the real binaries that `cargo
//! test --workspace` built, start them on loopback with their own temporary
//! directories, and read what they print.

pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Generous: these waits guard against hangs, they do not measure speed.
pub const PATIENCE: Duration = Duration::from_secs(120);

pub const SECRET: &str = "e2e-enroll-secret-0123456";

/// Path of a workspace binary next to the test executable's folder.
pub fn bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target directory");
    let path = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: run the suite with `cargo test --workspace` so the binaries are built",
        path.display()
    );
    path
}

/// The target folder the tests run from (`target/`, or
/// `$CARGO_TARGET_DIR`), for test artifacts.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target
    exe.ancestors().nth(3).expect("target directory").to_path_buf()
}

/// Runs a binary to completion. `parc --server URL ...` gets the admin
/// token of the server at URL (see [`register_token`]) in `PARC_TOKEN`.
pub fn run(name: &str, args: &[&str]) -> Output {
    run_with_env(name, args, &token_env(name, args))
}

/// Runs a binary to completion with more environment variables.
pub fn run_with_env(name: &str, args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = Command::new(bin(name));
    command.args(args).env("RUST_LOG", "info").env_remove("PARC_TOKEN").env_remove("PARC_SERVER_URL");
    // Never the developer's own ~/.config/parc/parc.toml.
    command.env("PARC_CLI_CONFIG", "/nonexistent/parc.toml");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run binary")
}

/// The admin token of each server the tests started, by URL (gRPC and
/// HTTP), so that `run("parc", ...)` and [`http_get`] present it as a
/// person would with `PARC_TOKEN`.
static TOKENS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Remembers `token` for the server at `url`.
pub fn register_token(url: &str, token: &str) {
    TOKENS.lock().unwrap().push((url.trim_end_matches('/').to_string(), token.to_string()));
}

/// The token registered for the server whose URL starts `url`.
pub fn token_for(url: &str) -> Option<String> {
    let tokens = TOKENS.lock().unwrap();
    tokens.iter().rev().find(|(base, _)| url.starts_with(base.as_str())).map(|(_, token)| token.clone())
}

fn token_env(name: &str, args: &[&str]) -> Vec<(String, String)> {
    if name != "parc" {
        return Vec::new();
    }
    let server = args.windows(2).find(|pair| pair[0] == "--server").map(|pair| pair[1]);
    match server.and_then(token_for) {
        Some(token) => vec![("PARC_TOKEN".to_string(), token)],
        None => Vec::new(),
    }
}

/// Makes a token on the database file with `parc-server token create`;
/// returns its secret.
pub fn create_token(db: &Path, name: &str, role: &str) -> String {
    let db = db.to_str().expect("utf-8 path");
    let output = run("parc-server", &["token", "create", "--db", db, "--name", name, "--role", role]);
    assert!(output.status.success(), "token create failed: {}", text(&output.stderr));
    let token = text(&output.stdout).trim().to_string();
    assert!(token.starts_with("parc_"), "{token:?}");
    token
}

/// A running binary whose output lines are collected as they come.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Running {
    pub fn start(name: &str, args: &[&str]) -> Running {
        Running::start_with_env(name, args, &[])
    }

    pub fn start_with_env(name: &str, args: &[&str], env: &[(&str, &str)]) -> Running {
        Running::spawn(Command::new(bin(name)), args, env)
    }

    /// A program that is not one of the workspace's binaries.
    pub fn start_path(path: &Path, args: &[&str]) -> Running {
        Running::spawn(Command::new(path), args, &[])
    }

    fn spawn(mut command: Command, args: &[&str], env: &[(&str, &str)]) -> Running {
        command
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("spawn binary");
        let stdout = collect_lines(child.stdout.take().expect("stdout"));
        let stderr = collect_lines(child.stderr.take().expect("stderr"));
        Running { child, stdout, stderr }
    }

    /// Waits until a stderr line contains `needle`; returns that line.
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        wait_for_line(&self.stderr, needle, || self.describe())
    }

    /// Waits until a stdout line contains `needle`; returns that line.
    pub fn wait_for_stdout(&self, needle: &str) -> String {
        wait_for_line(&self.stdout, needle, || self.describe())
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name ("TERM", "INT", "KILL") and waits for the exit.
    pub fn signal_and_wait(&mut self, signal: &str) -> std::process::ExitStatus {
        let status = Command::new("kill").arg(format!("-{signal}")).arg(self.pid().to_string()).status();
        assert!(status.map(|s| s.success()).unwrap_or(false), "kill -{signal} failed");
        self.wait()
    }

    pub fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                // Let the reader threads drain the pipes.
                std::thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(Instant::now() < deadline, "process did not exit\n{}", self.describe());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn describe(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout_lines().join("\n"), self.stderr_lines().join("\n"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect_lines(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

fn wait_for_line(lines: &Mutex<Vec<String>>, needle: &str, describe: impl Fn() -> String) -> String {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(line) = lines.lock().unwrap().iter().find(|l| l.contains(needle)) {
            return line.clone();
        }
        assert!(Instant::now() < deadline, "no line with {needle:?} in time\n{}", describe());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A parc-server on a free loopback port with a database in `dir`.
pub struct Server {
    pub process: Running,
    /// The gRPC URL.
    pub url: String,
    /// The HTTP base URL (/metrics).
    pub http_url: String,
    pub db: PathBuf,
    /// An admin token made before the server started.
    pub token: String,
}

impl Server {
    pub fn start(db: &Path) -> Server {
        Server::start_on(db, "127.0.0.1:0")
    }

    pub fn start_on(db: &Path, listen: &str) -> Server {
        Server::start_with(db, listen, &[])
    }

    /// With more `serve` flags (`--policy FILE`).
    pub fn start_with(db: &Path, listen: &str, extra: &[&str]) -> Server {
        let db_arg = db.to_str().expect("utf-8 path");
        // A fresh name each start: a restarted server keeps the tokens it had.
        static STARTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let start = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let token = create_token(db, &format!("e2e-admin-{start}"), "admin");
        let mut args = vec![
            "serve",
            "--db",
            db_arg,
            "--listen",
            listen,
            "--http-listen",
            "127.0.0.1:0",
            "--report-interval",
            "1h",
        ];
        args.extend_from_slice(extra);
        let process = Running::start_with_env("parc-server", &args, &[("PARC_ENROLL_SECRET", SECRET)]);
        let line = process.wait_for_stderr("parc-server listening");
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|word| word.strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name} in {line:?}"))
                .to_string()
        };
        let (address, http_address) = (field("address="), field("http_address="));
        let (url, http_url) = (format!("http://{address}"), format!("http://{http_address}"));
        register_token(&url, &token);
        register_token(&http_url, &token);
        Server { process, url, http_url, db: db.to_path_buf(), token }
    }

    /// Stops the server the way systemd does (SIGTERM) and checks it exits cleanly.
    pub fn stop(mut self) {
        let status = self.process.signal_and_wait("TERM");
        assert!(status.success(), "parc-server exited with {status}");
    }
}

/// A free loopback port, released for the caller to use.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `parc --server URL devices --output json`, parsed.
pub fn devices_json(server_url: &str) -> Vec<serde_json::Value> {
    let output = run("parc", &["--server", server_url, "devices", "--output", "json"]);
    assert!(output.status.success(), "parc devices failed: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("parc devices --output json prints JSON")
}

/// The body of `GET url` with the server's registered token, failing on
/// any status but 200.
pub fn http_get(url: &str) -> String {
    let (status, body) = http_request(url, token_for(url).as_deref());
    assert_eq!(status, 200, "GET {url}: {status}\n{body}");
    body
}

/// `GET url` (plain HTTP/1.1 on loopback, `Connection: close`) with an
/// optional bearer token: the status code and the body. No client
/// library: one request.
pub fn http_request(url: &str, token: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_once('/').map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).expect("connect to the HTTP port");
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    let authorization = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Connection: close\r\n\r\n")
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).expect("read the HTTP response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
