//! parc-server's configuration: one struct, read once from an optional TOML
//! file, then the environment and flags on top, validated before serving.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What `parc-server serve` needs to run.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub db: PathBuf,
    pub listen: SocketAddr,
    /// The HTTP port: `/metrics` (and the dashboard to come).
    pub http_listen: SocketAddr,
    /// Reports waiting for the writer before new ones are refused with a
    /// retry-after hint.
    pub write_queue: usize,
    pub enroll_secret: String,
    pub report_interval: Duration,
    /// The readiness policy, and the file it was read from (`None`: the
    /// built-in defaults).
    pub policy: parc_readiness::Policy,
    pub policy_source: Option<PathBuf>,
    /// The certificate and key both ports present; `None`: plain text,
    /// which only loopback addresses may use.
    pub tls: Option<crate::tls::ServerIdentity>,
}

/// The TOML file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub db: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub http_listen: Option<SocketAddr>,
    pub write_queue: Option<usize>,
    pub enroll_secret: Option<String>,
    /// A duration such as "1h" or "30m".
    pub report_interval: Option<String>,
    /// The readiness policy file (`parc policy show --defaults` prints one).
    pub policy: Option<PathBuf>,
    /// PEM certificate chain for both ports (`parc-server gen-cert` makes one).
    pub tls_cert: Option<PathBuf>,
    /// Its PEM private key.
    pub tls_key: Option<PathBuf>,
    /// The CA that signs agents' client certificates: agents must show one.
    pub agent_ca_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        toml::from_str(&text)
            .map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })
    }
}

/// The shortest and longest report intervals a server may ask for.
pub const MIN_REPORT_INTERVAL: Duration = Duration::from_secs(10);
pub const MAX_REPORT_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);
/// An enrollment secret shorter than this is refused.
pub const MIN_SECRET_LEN: usize = 12;
/// Where `/metrics` is served unless configured.
pub const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:4751";
/// A bigger queue only holds more memory; past this it is a typo.
pub const MAX_WRITE_QUEUE: usize = 100_000;

/// Values given on the command line or in the environment (flags win).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub db: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub http_listen: Option<SocketAddr>,
    pub write_queue: Option<usize>,
    pub enroll_secret: Option<String>,
    pub report_interval: Option<String>,
    pub policy: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub agent_ca_file: Option<PathBuf>,
}

impl ServeConfig {
    /// Merges file and overrides and validates the result.
    pub fn resolve(file: ConfigFile, overrides: Overrides) -> Result<ServeConfig, ConfigError> {
        let db = overrides.db.or(file.db).ok_or_else(|| {
            ConfigError::Invalid("no database path: give --db PATH or `db` in the config file".into())
        })?;
        let listen = match overrides.listen.or(file.listen) {
            Some(listen) => listen,
            None => parc_proto::DEFAULT_GRPC_ADDR
                .parse()
                .map_err(|e| ConfigError::Invalid(format!("default listen address: {e}")))?,
        };
        let http_listen = match overrides.http_listen.or(file.http_listen) {
            Some(listen) => listen,
            None => DEFAULT_HTTP_ADDR
                .parse()
                .map_err(|e| ConfigError::Invalid(format!("default http_listen address: {e}")))?,
        };
        let write_queue =
            overrides.write_queue.or(file.write_queue).unwrap_or(crate::storage::DEFAULT_WRITE_QUEUE);
        if !(1..=MAX_WRITE_QUEUE).contains(&write_queue) {
            return Err(ConfigError::Invalid(format!(
                "write_queue: {write_queue} is outside 1..{MAX_WRITE_QUEUE}"
            )));
        }
        let enroll_secret = overrides.enroll_secret.or(file.enroll_secret).ok_or_else(|| {
            ConfigError::Invalid(
                "no enrollment secret: set PARC_ENROLL_SECRET, --enroll-secret or `enroll_secret` in the config file"
                    .into(),
            )
        })?;
        if enroll_secret.trim().len() < MIN_SECRET_LEN {
            return Err(ConfigError::Invalid(format!(
                "enrollment secret: {} characters, at least {MIN_SECRET_LEN} needed",
                enroll_secret.trim().len()
            )));
        }
        let report_interval = match overrides.report_interval.or(file.report_interval) {
            Some(text) => humantime::parse_duration(&text)
                .map_err(|e| ConfigError::Invalid(format!("report_interval {text:?}: {e}")))?,
            None => Duration::from_secs(3600),
        };
        if !(MIN_REPORT_INTERVAL..=MAX_REPORT_INTERVAL).contains(&report_interval) {
            return Err(ConfigError::Invalid(format!(
                "report_interval: {} is outside 10s..7days",
                humantime::format_duration(report_interval)
            )));
        }
        let policy_source = overrides.policy.or(file.policy);
        let policy = match &policy_source {
            None => parc_readiness::Policy::default(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
                parc_readiness::Policy::from_toml(&path.display().to_string(), &text)
                    .map_err(|e| ConfigError::Invalid(format!("policy {e}")))?
            }
        };
        let agent_ca_file = overrides.agent_ca_file.or(file.agent_ca_file);
        let tls = match (overrides.tls_cert.or(file.tls_cert), overrides.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(
                crate::tls::ServerIdentity::load(&cert, &key, agent_ca_file.as_deref())
                    .map_err(|e| ConfigError::Invalid(e.to_string()))?,
            ),
            (None, None) if agent_ca_file.is_some() => {
                return Err(ConfigError::Invalid(
                    "agent_ca_file asks agents for client certificates, which needs TLS: give tls_cert and tls_key"
                        .into(),
                ))
            }
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::Invalid("tls_cert is given without tls_key".into())),
            (None, Some(_)) => return Err(ConfigError::Invalid("tls_key is given without tls_cert".into())),
        };
        if tls.is_none() {
            for (key, address) in [("listen", listen), ("http_listen", http_listen)] {
                if !crate::tls::plain_text_allowed(&address) {
                    return Err(ConfigError::Invalid(format!(
                        "{key}: {address} is not a loopback address, and plain text is only for loopback: \
                         give tls_cert and tls_key (`parc-server gen-cert` makes a pair), or listen on 127.0.0.1"
                    )));
                }
            }
        }
        Ok(ServeConfig {
            tls,
            db,
            listen,
            http_listen,
            write_queue,
            enroll_secret: enroll_secret.trim().to_string(),
            report_interval,
            policy,
            policy_source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Overrides {
        Overrides {
            db: Some("x.db".into()),
            enroll_secret: Some("a-long-enough-secret".into()),
            ..Overrides::default()
        }
    }

    #[test]
    fn flags_win_over_the_file() {
        let file = ConfigFile {
            db: Some("file.db".into()),
            report_interval: Some("2h".into()),
            ..ConfigFile::default()
        };
        let config = ServeConfig::resolve(file, secret()).unwrap();
        assert_eq!(config.db, PathBuf::from("x.db"));
        assert_eq!(config.report_interval, Duration::from_secs(7200));
        assert_eq!(config.listen.to_string(), parc_proto::DEFAULT_GRPC_ADDR);
    }

    #[test]
    fn the_sample_config_reads() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/parc-server.toml"));
        let file = ConfigFile::load(path).unwrap();
        assert!(file.tls_cert.is_some() && file.tls_key.is_some(), "the sample listens beyond loopback");
    }

    #[test]
    fn plain_text_is_only_for_loopback() {
        let wide = Overrides { listen: Some("0.0.0.0:4750".parse().unwrap()), ..secret() };
        let message = ServeConfig::resolve(ConfigFile::default(), wide).unwrap_err().to_string();
        assert!(message.starts_with("listen: 0.0.0.0:4750 is not a loopback address"), "{message}");
        let file =
            ConfigFile { http_listen: Some("10.1.2.3:4751".parse().unwrap()), ..ConfigFile::default() };
        let message = ServeConfig::resolve(file, secret()).unwrap_err().to_string();
        assert!(message.starts_with("http_listen: 10.1.2.3:4751"), "{message}");
        let half = Overrides { tls_cert: Some("cert.pem".into()), ..secret() };
        let message = ServeConfig::resolve(ConfigFile::default(), half).unwrap_err().to_string();
        assert_eq!(message, "tls_cert is given without tls_key");

        let dir = tempfile::tempdir().unwrap();
        let made = crate::tls::generate(dir.path(), &["localhost".into()], 2026, false).unwrap();
        let tls = Overrides {
            listen: Some("0.0.0.0:4750".parse().unwrap()),
            tls_cert: Some(made.cert),
            tls_key: Some(made.key),
            ..secret()
        };
        assert!(ServeConfig::resolve(ConfigFile::default(), tls).unwrap().tls.is_some());
    }

    #[test]
    fn there_is_no_built_in_secret() {
        let overrides = Overrides { enroll_secret: None, ..secret() };
        let message = ServeConfig::resolve(ConfigFile::default(), overrides).unwrap_err().to_string();
        assert!(message.contains("PARC_ENROLL_SECRET"), "{message}");
    }

    #[test]
    fn short_secrets_and_silly_intervals_are_refused() {
        let short = Overrides { enroll_secret: Some("abc".into()), ..secret() };
        assert!(ServeConfig::resolve(ConfigFile::default(), short)
            .unwrap_err()
            .to_string()
            .contains("at least 12"));
        let fast = Overrides { report_interval: Some("1s".into()), ..secret() };
        assert!(ServeConfig::resolve(ConfigFile::default(), fast)
            .unwrap_err()
            .to_string()
            .contains("report_interval"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("parc-server.toml");
        std::fs::write(&path, "db = \"a.db\"\nenrol_secret = \"typo\"\n").unwrap();
        let message = ConfigFile::load(&path).unwrap_err().to_string();
        assert!(message.contains("enrol_secret") && message.contains("parc-server.toml"), "{message}");
    }
}
