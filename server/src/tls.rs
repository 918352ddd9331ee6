//! TLS for both ports: reading the certificate and key the config names,
//! serving HTTPS on the dashboard port, and `parc-server gen-cert`, which
//! makes a small private CA and a server certificate it signs, for a first
//! install (clients and agents trust `ca.pem`).
//!
//! rustls with the `ring` provider: pure Rust plus ring's C, nothing from
//! the system, and it cross-builds for Windows.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} {path}: {reason}")]
    Read { what: &'static str, path: PathBuf, reason: String },
    #[error("{path}: no {what} in it (a PEM file with -----BEGIN {what}----- is needed)")]
    Empty { what: &'static str, path: PathBuf },
    #[error("tls_cert {cert} and tls_key {key} do not go together: {reason}")]
    Mismatch { cert: PathBuf, key: PathBuf, reason: String },
    #[error("cannot make the certificates: {0}")]
    Generate(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// The certificate chain and key a server presents, read once at start.
#[derive(Debug, Clone)]
pub struct ServerIdentity {
    cert_pem: Vec<u8>,
    key_pem: Vec<u8>,
    certs: Vec<CertificateDer<'static>>,
    cert_path: PathBuf,
    key_path: PathBuf,
    /// The CA of agents' client certificates, when agents must show one.
    agent_ca_pem: Option<Vec<u8>>,
}

impl ServerIdentity {
    /// Reads and checks a PEM certificate chain and its private key, and
    /// the CA of agents' client certificates when there is one.
    pub fn load(
        cert_path: &Path,
        key_path: &Path,
        agent_ca: Option<&Path>,
    ) -> Result<ServerIdentity, TlsError> {
        let read = |what: &'static str, path: &Path| {
            std::fs::read(path).map_err(|e| TlsError::Read {
                what,
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        };
        let cert_pem = read("certificate", cert_path)?;
        let key_pem = read("private key", key_path)?;
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&cert_pem).collect::<Result<_, _>>().map_err(|e| {
                TlsError::Read { what: "certificate", path: cert_path.to_path_buf(), reason: e.to_string() }
            })?;
        if certs.is_empty() {
            return Err(TlsError::Empty { what: "CERTIFICATE", path: cert_path.to_path_buf() });
        }
        PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Read {
            what: "private key",
            path: key_path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let agent_ca_pem = match agent_ca {
            Some(path) => {
                let pem = read("agent CA", path)?;
                let certs =
                    CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>().map_err(|e| {
                        TlsError::Read { what: "agent CA", path: path.to_path_buf(), reason: e.to_string() }
                    })?;
                if certs.is_empty() {
                    return Err(TlsError::Empty { what: "CERTIFICATE", path: path.to_path_buf() });
                }
                Some(pem)
            }
            None => None,
        };
        let identity = ServerIdentity {
            cert_pem,
            key_pem,
            certs,
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            agent_ca_pem,
        };
        // A key that is not the certificate's is found now, not at the
        // first connection.
        identity.rustls_config()?;
        Ok(identity)
    }

    /// For the gRPC port. With an agent CA, a client certificate is asked
    /// for and checked against it; it stays optional at the TLS level so
    /// that `parc` users connect with a token alone, and the agent service
    /// refuses agents without one.
    pub fn tonic(&self) -> tonic::transport::ServerTlsConfig {
        let config = tonic::transport::ServerTlsConfig::new()
            .identity(tonic::transport::Identity::from_pem(&self.cert_pem, &self.key_pem));
        match &self.agent_ca_pem {
            Some(ca) => {
                config.client_ca_root(tonic::transport::Certificate::from_pem(ca)).client_auth_optional(true)
            }
            None => config,
        }
    }

    pub fn asks_agents_for_certificates(&self) -> bool {
        self.agent_ca_pem.is_some()
    }

    /// For the HTTP port: HTTP/1.1 and HTTP/2 by ALPN.
    pub fn rustls_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let mismatch = |reason: String| TlsError::Mismatch {
            cert: self.cert_path.clone(),
            key: self.key_path.clone(),
            reason,
        };
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|e| mismatch(e.to_string()))?;
        // ring rather than aws-lc: it builds with mingw for the Windows
        // agent and needs no cmake; rustls deprecates it only because it
        // lacks post-quantum key exchange.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| mismatch(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(self.certs.clone(), key)
            .map_err(|e| mismatch(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Whether plain text is allowed on this address: only on loopback.
pub fn plain_text_allowed(address: &SocketAddr) -> bool {
    address.ip().is_loopback()
}

/// What `gen-cert` wrote.
#[derive(Debug, Clone)]
pub struct GeneratedCert {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
    /// The agents' client certificate and key, when asked for.
    pub agent: Option<(PathBuf, PathBuf)>,
}

/// Makes a private CA and a server certificate for `hosts` (names and IP
/// addresses clients use to reach the server), valid from `year` for five
/// years, in `dir`: `ca.pem` (give it to clients and agents), `server.pem`
/// and `server.key` (readable by the owner only). The CA's own key is not
/// kept: to add a host, run it again and hand out the new `ca.pem`.
pub fn generate(
    dir: &Path,
    hosts: &[String],
    year: i32,
    agent_cert: bool,
) -> Result<GeneratedCert, TlsError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
        KeyPair, KeyUsagePurpose,
    };
    let failed = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut ca_name = DistinguishedName::new();
    ca_name.push(DnType::CommonName, "Parc private CA");
    ca_params.distinguished_name = ca_name;
    ca_params.not_before = rcgen::date_time_ymd(year, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
    let ca_key = KeyPair::generate().map_err(failed)?;
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(failed)?;

    let mut names = Vec::new();
    for host in hosts {
        let host = host.trim();
        if host.is_empty() {
            continue;
        }
        names.push(match host.parse::<IpAddr>() {
            Ok(ip) => ip.to_string(),
            Err(_) => host.to_string(),
        });
    }
    if names.is_empty() {
        return Err(TlsError::Generate("give at least one --host (a name or an IP address)".into()));
    }
    let mut params = CertificateParams::new(names.clone()).map_err(failed)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, names[0].clone());
    params.distinguished_name = name;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(year, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 5, 1, 1);
    let key = KeyPair::generate().map_err(failed)?;
    let cert = params.signed_by(&key, &ca).map_err(failed)?;

    std::fs::create_dir_all(dir)
        .map_err(|e| TlsError::Write { path: dir.to_path_buf(), reason: e.to_string() })?;
    let mut files = GeneratedCert {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.pem"),
        key: dir.join("server.key"),
        agent: None,
    };
    write(&files.ca, ca.pem().as_bytes(), false)?;
    write(&files.cert, format!("{}{}", cert.pem(), ca.pem()).as_bytes(), false)?;
    write(&files.key, key.serialize_pem().as_bytes(), true)?;
    if agent_cert {
        // One certificate for the whole fleet: it proves "a PC we installed",
        // on top of the enrollment secret. A PKI that issues each PC its
        // own (Active Directory Certificate Services) does better.
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, "parc-agent");
        params.distinguished_name = name;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = rcgen::date_time_ymd(year, 1, 1);
        params.not_after = rcgen::date_time_ymd(year + 5, 1, 1);
        let agent_key = KeyPair::generate().map_err(failed)?;
        let agent = params.signed_by(&agent_key, &ca).map_err(failed)?;
        let (agent_cert, agent_key_path) = (dir.join("agent.pem"), dir.join("agent.key"));
        write(&agent_cert, agent.pem().as_bytes(), false)?;
        write(&agent_key_path, agent_key.serialize_pem().as_bytes(), true)?;
        files.agent = Some((agent_cert, agent_key_path));
    }
    Ok(files)
}

fn write(path: &Path, bytes: &[u8], secret: bool) -> Result<(), TlsError> {
    let failed = |e: std::io::Error| TlsError::Write { path: path.to_path_buf(), reason: e.to_string() };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    use std::io::Write;
    options
        .open(path)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .map_err(failed)
}

/// Serves `app` over TLS on `listener` until `shutdown` completes: HTTP/1.1
/// and HTTP/2, one task per connection. A failed handshake is logged and
/// dropped, never fatal.
pub async fn serve_https(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let stream = match acceptor.accept(tcp).await {
                Ok(stream) => stream,
                Err(error) => {
                    tracing::info!(%peer, %error, "TLS handshake failed");
                    return;
                }
            };
            let service =
                hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let app = app.clone();
                    async move {
                        use tower::ServiceExt;
                        app.oneshot(request.map(axum::body::Body::new)).await
                    }
                });
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            if let Err(error) = builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service).await
            {
                tracing::debug!(%peer, %error, "connection ended");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_load_and_a_wrong_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let made = generate(dir.path(), &["parc.cd91.local".into(), "127.0.0.1".into()], 2026, true).unwrap();
        let identity = ServerIdentity::load(&made.cert, &made.key, None).unwrap();
        assert_eq!(identity.certs.len(), 2, "the server certificate, then the CA");
        assert!(!identity.asks_agents_for_certificates());
        let (agent_cert, agent_key) = made.agent.clone().unwrap();
        assert!(ServerIdentity::load(&made.cert, &made.key, Some(&made.ca))
            .unwrap()
            .asks_agents_for_certificates());
        let error = ServerIdentity::load(&made.cert, &made.key, Some(&agent_key)).unwrap_err().to_string();
        assert!(error.contains("no CERTIFICATE") && error.contains("agent.key"), "{error}");
        assert!(std::fs::read_to_string(agent_cert).unwrap().contains("BEGIN CERTIFICATE"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&made.key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let other = generate(&dir.path().join("other"), &["x".into()], 2026, false).unwrap();
        assert!(other.agent.is_none());
        let error = ServerIdentity::load(&made.cert, &other.key, None).unwrap_err().to_string();
        assert!(error.contains("do not go together"), "{error}");
        let error = ServerIdentity::load(&made.key, &made.key, None).unwrap_err().to_string();
        assert!(error.contains("no CERTIFICATE"), "{error}");
        let error =
            ServerIdentity::load(&dir.path().join("missing.pem"), &made.key, None).unwrap_err().to_string();
        assert!(error.contains("cannot read certificate") && error.contains("missing.pem"), "{error}");
        assert!(generate(dir.path(), &[" ".into()], 2026, false).is_err());
    }

    #[test]
    fn plain_text_only_on_loopback() {
        assert!(plain_text_allowed(&"127.0.0.1:4750".parse().unwrap()));
        assert!(plain_text_allowed(&"[::1]:4750".parse().unwrap()));
        assert!(!plain_text_allowed(&"0.0.0.0:4750".parse().unwrap()));
        assert!(!plain_text_allowed(&"10.1.2.3:4750".parse().unwrap()));
    }
}
