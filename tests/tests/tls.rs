//! TLS through the real binaries: `parc-server gen-cert` makes a private CA
//! and a server certificate, the server serves both ports over TLS with
//! them, `parc` trusts the CA file, and plain text is refused beyond
//! loopback.

use parc_e2e::{create_token, run_with_env, text, Running, SECRET};
use std::io::{Read, Write};
use std::sync::Arc;

/// `GET path` over HTTPS to 127.0.0.1:`port`, checking the certificate for
/// `host` against the CA in `ca_pem`: status and body.
fn https_get(port: u16, host: &str, path: &str, ca_pem: &[u8], token: &str) -> (u16, String) {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}

#[test]
fn both_ports_speak_tls_with_a_generated_certificate_and_plain_text_stays_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let made = run_with_env(
        "parc-server",
        &["gen-cert", "--dir", certs.to_str().unwrap(), "--host", "localhost", "--host", "127.0.0.1"],
        &[],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert!(text(&made.stdout).contains("ca.pem"), "{}", text(&made.stdout));
    let (ca, cert, key) = (certs.join("ca.pem"), certs.join("server.pem"), certs.join("server.key"));

    // Beyond loopback without TLS: refused before anything listens.
    let db = dir.path().join("parc.db");
    let db_arg = db.to_str().unwrap();
    let refused = run_with_env(
        "parc-server",
        &["serve", "--db", db_arg, "--listen", "0.0.0.0:0"],
        &[("PARC_ENROLL_SECRET".into(), SECRET.into())],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("listen: 0.0.0.0:0 is not a loopback address"),
        "{}",
        text(&refused.stderr)
    );
    // A key that is not the certificate's is named at start.
    let wrong = run_with_env(
        "parc-server",
        &["serve", "--db", db_arg, "--tls-cert", cert.to_str().unwrap(), "--tls-key", ca.to_str().unwrap()],
        &[("PARC_ENROLL_SECRET".into(), SECRET.into())],
    );
    assert!(!wrong.status.success());
    assert!(text(&wrong.stderr).contains("private key"), "{}", text(&wrong.stderr));

    let token = create_token(&db, "ops", "admin");
    let server = Running::start_with_env(
        "parc-server",
        &[
            "serve",
            "--db",
            db_arg,
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    let line = server.wait_for_stderr("parc-server listening");
    assert!(line.contains("tls=true"), "{line}");
    let port = |name: &str| -> u16 {
        let address = line.split_whitespace().find_map(|w| w.strip_prefix(name)).unwrap();
        address.rsplit(':').next().unwrap().parse().unwrap()
    };
    let (grpc, http) = (port("address="), port("http_address="));
    let env = vec![("PARC_TOKEN".to_string(), token.clone())];

    // parc trusts the private CA given as --ca-file.
    let url = format!("https://localhost:{grpc}");
    let whoami = run_with_env("parc", &["--server", &url, "--ca-file", ca.to_str().unwrap(), "whoami"], &env);
    assert!(whoami.status.success(), "{}", text(&whoami.stderr));
    assert!(text(&whoami.stdout).starts_with("ops (admin)"), "{}", text(&whoami.stdout));
    // Without the CA, the certificate is not trusted; plain text gets nowhere.
    let untrusted = run_with_env("parc", &["--server", &url, "whoami"], &env);
    assert!(!untrusted.status.success());
    let plain = run_with_env("parc", &["--server", &format!("http://127.0.0.1:{grpc}"), "whoami"], &env);
    assert!(!plain.status.success());

    // The HTTP port too: the dashboard's health check and metrics over HTTPS.
    let ca_pem = std::fs::read(&ca).unwrap();
    assert_eq!(https_get(http, "localhost", "/healthz", &ca_pem, &token), (200, "ok\n".to_string()));
    let (status, body) = https_get(http, "127.0.0.1", "/metrics", &ca_pem, &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("parc_"), "{body}");
    // And the dashboard itself, signed in with the token.
    let (status, body) = https_get(http, "localhost", "/", &ca_pem, &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(" · Parc</title>"), "{body}");
}

#[test]
fn with_an_agent_ca_only_agents_holding_a_client_certificate_enroll_and_people_still_use_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    let made = run_with_env(
        "parc-server",
        &["gen-cert", "--dir", certs.to_str().unwrap(), "--host", "localhost", "--agent-cert"],
        &[],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert!(text(&made.stdout).contains("agent.pem"), "{}", text(&made.stdout));
    let path = |name: &str| certs.join(name).to_str().unwrap().to_string();
    let db = dir.path().join("parc.db");
    let token = create_token(&db, "ops", "admin");
    let server = Running::start_with_env(
        "parc-server",
        &[
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--http-listen",
            "127.0.0.1:0",
            "--tls-cert",
            &path("server.pem"),
            "--tls-key",
            &path("server.key"),
            "--agent-ca-file",
            &path("ca.pem"),
        ],
        &[("PARC_ENROLL_SECRET", SECRET)],
    );
    let line = server.wait_for_stderr("parc-server listening");
    let grpc = line.split_whitespace().find_map(|w| w.strip_prefix("address=")).unwrap();
    let url = format!("https://localhost:{}", grpc.rsplit(':').next().unwrap());

    let agent = |name: &str, identity: &[(&str, String)]| {
        let config = dir.path().join(format!("{name}.toml"));
        let mut text = format!("server_url = \"{url}\"\nca_file = '{}'\n", path("ca.pem"));
        for (key, value) in identity {
            text.push_str(&format!("{key} = '{value}'\n"));
        }
        std::fs::write(&config, text).unwrap();
        let state = dir.path().join(name);
        std::process::Command::new(parc_e2e::bin("parc-agent"))
            .args([
                "run",
                "--once",
                "--config",
                config.to_str().unwrap(),
                "--state-dir",
                state.to_str().unwrap(),
            ])
            .env("PARC_ENROLL_SECRET", SECRET)
            .output()
            .unwrap()
    };
    // No certificate: refused, and told what to set.
    let refused = agent("bare", &[]);
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("client_cert and client_key"), "{}", text(&refused.stderr));
    // A certificate from another CA: the handshake refuses it.
    let other = dir.path().join("other");
    let made = run_with_env(
        "parc-server",
        &["gen-cert", "--dir", other.to_str().unwrap(), "--host", "x", "--agent-cert"],
        &[],
    );
    assert!(made.status.success());
    let foreign = other.join("agent.pem").to_str().unwrap().to_string();
    let foreign_key = other.join("agent.key").to_str().unwrap().to_string();
    let stranger = agent("stranger", &[("client_cert", foreign), ("client_key", foreign_key)]);
    assert!(!stranger.status.success(), "{}", text(&stranger.stderr));
    // The fleet's certificate: enrolled and reported.
    let fleet = agent("fleet", &[("client_cert", path("agent.pem")), ("client_key", path("agent.key"))]);
    assert!(fleet.status.success(), "{}", text(&fleet.stderr));

    // People: a token, no certificate.
    let env = vec![("PARC_TOKEN".to_string(), token)];
    let devices = run_with_env(
        "parc",
        &["--server", &url, "--ca-file", &path("ca.pem"), "devices", "--output", "json"],
        &env,
    );
    assert!(devices.status.success(), "{}", text(&devices.stderr));
    let listed: serde_json::Value = serde_json::from_slice(&devices.stdout).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
}
