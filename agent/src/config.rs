//! The agent's configuration: one struct, from an optional TOML file
//! (`/etc/parc/agent.toml`, `%ProgramData%\Parc\agent.toml`), then the
//! environment and flags on top, validated before anything runs. A bad key
//! or value is an error that names the file and the key.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything `parc-agent run` needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    pub server_url: String,
    pub enroll_secret: Option<String>,
    pub state_dir: PathBuf,
    pub section_timeout: Duration,
    /// The CA that signed an https:// server's certificate; `None`: the
    /// system's roots.
    pub ca_file: Option<PathBuf>,
    /// The longest random wait before the service's first report.
    pub splay: Duration,
    /// This agent's certificate and key (PEM), for a server that asks
    /// agents for one (mutual TLS).
    pub client_identity: Option<ClientIdentity>,
    /// Labels sent with every report, searchable on the server (`label:`).
    pub labels: Vec<String>,
}

/// The paths of a client certificate and its private key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIdentity {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The file: every key optional, unknown keys refused.
#[derive(Debug, Default, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub server_url: Option<String>,
    pub enroll_secret: Option<String>,
    pub state_dir: Option<PathBuf>,
    /// Such as "20s".
    pub section_timeout: Option<String>,
    /// PEM CA certificate of an https:// server with a private CA
    /// (`ca.pem` from `parc-server gen-cert`).
    pub ca_file: Option<PathBuf>,
    /// Such as "2m": the longest random wait before the first report.
    pub splay: Option<String>,
    /// PEM certificate this agent presents to a server that asks for one.
    pub client_cert: Option<PathBuf>,
    /// The PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
    /// Such as ["pilot", "MDS-ETAMPES"]: sent with every report.
    pub labels: Option<Vec<String>>,
}

/// Values from flags or the environment (which win over the file).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub server_url: Option<String>,
    pub enroll_secret: Option<String>,
    pub state_dir: Option<PathBuf>,
    pub splay: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
    #[error("cannot write config file {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

/// Where the agent looks when no `--config` is given.
pub fn default_config_path() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\Parc\agent.toml")
    } else {
        PathBuf::from("/etc/parc/agent.toml")
    }
}

pub fn default_state_dir() -> PathBuf {
    if cfg!(windows) {
        PathBuf::from(r"C:\ProgramData\Parc\state")
    } else {
        PathBuf::from("/var/lib/parc-agent")
    }
}

impl ConfigFile {
    /// Reads `path`. A missing default file is no error (everything can come
    /// from flags); a missing file the user named is.
    pub fn load(path: &Path, named_by_user: bool) -> Result<ConfigFile, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => ConfigFile::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named_by_user => Ok(ConfigFile::default()),
            Err(e) => Err(ConfigError::Read { path: path.to_path_buf(), reason: e.to_string() }),
        }
    }

    /// Sets every key `changes` has, keeping the others.
    pub fn update(&mut self, changes: ConfigFile) {
        // The pattern names every field: a key added to the file and
        // forgotten here does not compile.
        macro_rules! keep_or_set {
            ($($key:ident),*) => {
                let ConfigFile { $($key),* } = changes;
                $( if $key.is_some() { self.$key = $key; } )*
            };
        }
        keep_or_set!(
            server_url,
            enroll_secret,
            state_dir,
            section_timeout,
            ca_file,
            splay,
            client_cert,
            client_key,
            labels
        );
    }

    pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().replace('\n', " "),
        })
    }
}

impl AgentConfig {
    pub fn resolve(file: ConfigFile, overrides: Overrides) -> Result<AgentConfig, ConfigError> {
        let server_url = overrides
            .server_url
            .or(file.server_url)
            .unwrap_or_else(|| parc_proto::DEFAULT_SERVER_URL.to_string())
            .trim()
            .trim_end_matches('/')
            .to_string();
        let scheme = ["https://", "http://"].into_iter().find(|s| server_url.starts_with(s));
        if scheme.is_none_or(|scheme| server_url.len() <= scheme.len()) {
            return Err(ConfigError::Invalid {
                key: "server_url",
                message: format!("{server_url:?} is not a URL such as https://parc.example:4750"),
            });
        }
        for (key, path) in
            [("ca_file", &file.ca_file), ("client_cert", &file.client_cert), ("client_key", &file.client_key)]
        {
            if let Some(path) = path.as_ref().filter(|path| !path.is_file()) {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!("{} is not a readable file", path.display()),
                });
            }
        }
        let client_identity = match (file.client_cert, file.client_key) {
            (Some(cert), Some(key)) => Some(ClientIdentity { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    key: "client_key",
                    message: "client_cert is set: set its private key too".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    key: "client_cert",
                    message: "client_key is set: set the certificate too".into(),
                })
            }
        };
        let section_timeout = match file.section_timeout {
            Some(text) => humantime::parse_duration(&text).map_err(|e| ConfigError::Invalid {
                key: "section_timeout",
                message: format!("{text:?}: {e}"),
            })?,
            None => Duration::from_secs(20),
        };
        if !(Duration::from_secs(1)..=Duration::from_secs(600)).contains(&section_timeout) {
            return Err(ConfigError::Invalid {
                key: "section_timeout",
                message: "must be between 1s and 10m".into(),
            });
        }
        let splay = match overrides.splay.or(file.splay) {
            Some(text) => humantime::parse_duration(&text)
                .map_err(|e| ConfigError::Invalid { key: "splay", message: format!("{text:?}: {e}") })?,
            None => crate::runner::DEFAULT_SPLAY,
        };
        if splay > Duration::from_secs(3600) {
            return Err(ConfigError::Invalid { key: "splay", message: "must be at most 1h".into() });
        }
        let labels = file.labels.unwrap_or_default();
        if labels.len() > parc_proto::limits::MAX_LABELS {
            return Err(ConfigError::Invalid {
                key: "labels",
                message: format!("{} labels, more than {}", labels.len(), parc_proto::limits::MAX_LABELS),
            });
        }
        if let Some((label, problem)) =
            labels.iter().find_map(|l| parc_proto::limits::label_problem(l).map(|problem| (l, problem)))
        {
            return Err(ConfigError::Invalid { key: "labels", message: format!("{label:?}: {problem}") });
        }
        Ok(AgentConfig {
            labels,
            splay,
            server_url,
            enroll_secret: overrides.enroll_secret.or(file.enroll_secret).filter(|s| !s.trim().is_empty()),
            state_dir: overrides.state_dir.or(file.state_dir).unwrap_or_else(default_state_dir),
            section_timeout,
            ca_file: file.ca_file,
            client_identity,
        })
    }
}

/// `parc-agent configure`: writes the values an installer was given into
/// the configuration file, keeping every key they do not name, so that an
/// upgrade run without them keeps the configuration. Nothing is written
/// unless the result is valid; the file is replaced atomically and is
/// readable by the agent's account and administrators only (it may hold
/// the enrollment secret).
pub fn configure(path: &Path, changes: ConfigFile) -> Result<AgentConfig, ConfigError> {
    let mut file = ConfigFile::load(path, false)?;
    file.update(changes);
    let config = AgentConfig::resolve(file.clone(), Overrides::default())?;
    let write_error = |reason: String| ConfigError::Write { path: path.to_path_buf(), reason };
    let body = toml::to_string(&file).map_err(|e| write_error(e.to_string()))?;
    let text = format!(
        "# parc-agent configuration, written by `parc-agent configure` (the installer).\n\
         # Keys: see deploy/agent.toml. Flags and PARC_* environment variables win.\n{body}"
    );
    let (dir, name) = match (path.parent(), path.file_name().and_then(|n| n.to_str())) {
        (Some(dir), Some(name)) => (dir, name),
        _ => return Err(write_error("not a file path".into())),
    };
    // A directory this creates is private (C:\ProgramData\Parc also holds
    // the state); one that exists keeps its permissions (/etc/parc is the
    // package's); the file itself is always private.
    let dir = if dir.is_dir() {
        crate::state::StateDir::existing(dir)
    } else {
        crate::state::StateDir::open(dir).map_err(|e| write_error(e.to_string()))?
    };
    dir.write_atomically(name, text.as_bytes()).map_err(|e| write_error(e.to_string()))?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(text, Path::new("/etc/parc/agent.toml"))
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let file =
            parse("server_url = \"http://parc.cd91.local:4750/\"\nenroll_secret = \"from-file\"\n").unwrap();
        let config = AgentConfig::resolve(
            file,
            Overrides { enroll_secret: Some("from-flag".into()), ..Overrides::default() },
        )
        .unwrap();
        assert_eq!(config.server_url, "http://parc.cd91.local:4750");
        assert_eq!(config.enroll_secret.as_deref(), Some("from-flag"));
        assert_eq!(config.state_dir, default_state_dir());
        assert_eq!(config.section_timeout, Duration::from_secs(20));
        let defaults = AgentConfig::resolve(ConfigFile::default(), Overrides::default()).unwrap();
        assert_eq!(defaults.server_url, parc_proto::DEFAULT_SERVER_URL);
        assert_eq!(defaults.enroll_secret, None);
    }

    #[test]
    fn an_unknown_key_is_named_with_the_file() {
        let message = parse("server = \"http://x:1\"\n").unwrap_err().to_string();
        assert!(
            message.contains("/etc/parc/agent.toml") && message.contains("unknown field `server`"),
            "{message}"
        );
        assert!(message.contains("server_url"), "the error lists the keys that exist: {message}");
    }

    #[test]
    fn the_sample_config_reads() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/agent.toml"));
        let file = ConfigFile::load(path, true).unwrap();
        assert!(file.server_url.unwrap().starts_with("https://"));
    }

    #[test]
    fn bad_values_name_their_key() {
        let bad = |text: &str| AgentConfig::resolve(parse(text).unwrap(), Overrides::default()).unwrap_err();
        assert!(matches!(bad("server_url = \"parc:4750\""), ConfigError::Invalid { key: "server_url", .. }));
        assert!(bad("server_url = \"https://\"").to_string().contains("not a URL"));
        assert!(matches!(
            bad("ca_file = \"/nonexistent/ca.pem\""),
            ConfigError::Invalid { key: "ca_file", .. }
        ));
        assert!(matches!(
            bad("section_timeout = \"soon\""),
            ConfigError::Invalid { key: "section_timeout", .. }
        ));
        assert!(matches!(
            bad("section_timeout = \"1h\""),
            ConfigError::Invalid { key: "section_timeout", .. }
        ));
        assert!(parse("server_url = 4750").unwrap_err().to_string().contains("server_url"));
        assert!(matches!(bad("splay = \"soon\""), ConfigError::Invalid { key: "splay", .. }));
        assert!(matches!(bad("splay = \"2h\""), ConfigError::Invalid { key: "splay", .. }));
    }

    #[test]
    fn configure_sets_what_it_is_given_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Parc").join("agent.toml");
        let given = |url: Option<&str>, secret: Option<&str>| ConfigFile {
            server_url: url.map(String::from),
            enroll_secret: secret.map(String::from),
            ..ConfigFile::default()
        };
        configure(&path, given(Some("https://parc.cd91.local:4750"), Some("s3cret"))).unwrap();
        std::fs::write(&path, format!("{}splay = \"5m\"\n", std::fs::read_to_string(&path).unwrap()))
            .unwrap();
        // An upgrade with no properties, then one with a new URL only.
        configure(&path, given(None, None)).unwrap();
        let config = configure(&path, given(Some("https://parc2.cd91.local:4750"), None)).unwrap();
        assert_eq!(config.server_url, "https://parc2.cd91.local:4750");
        assert_eq!(config.enroll_secret.as_deref(), Some("s3cret"));
        assert_eq!(config.splay, Duration::from_secs(300));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# parc-agent configuration"), "{text}");
        assert_eq!(ConfigFile::load(&path, true).unwrap().splay.as_deref(), Some("5m"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn configure_refuses_a_bad_value_and_keeps_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.toml");
        configure(&path, ConfigFile { server_url: Some("https://a:1".into()), ..ConfigFile::default() })
            .unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let error =
            configure(&path, ConfigFile { server_url: Some("parc:4750".into()), ..ConfigFile::default() })
                .unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { key: "server_url", .. }), "{error}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
    }

    #[test]
    fn labels_are_checked_and_named() {
        let ok = AgentConfig::resolve(
            parse("labels = [\"pilot\", \"MDS-ETAMPES\"]").unwrap(),
            Overrides::default(),
        );
        assert_eq!(ok.unwrap().labels, ["pilot", "MDS-ETAMPES"]);
        let bad = AgentConfig::resolve(parse("labels = [\"two words\"]").unwrap(), Overrides::default())
            .unwrap_err();
        assert!(bad.to_string().starts_with("labels: \"two words\": a label holds"), "{bad}");
        let many: Vec<String> = (0..17).map(|i| format!("\"l{i}\"")).collect();
        let text = format!("labels = [{}]", many.join(", "));
        let bad = AgentConfig::resolve(parse(&text).unwrap(), Overrides::default()).unwrap_err();
        assert!(bad.to_string().contains("17 labels"), "{bad}");
    }

    #[test]
    fn a_client_certificate_needs_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("agent.pem");
        std::fs::write(&cert, "x").unwrap();
        let file = ConfigFile { client_cert: Some(cert.clone()), ..ConfigFile::default() };
        let error = AgentConfig::resolve(file, Overrides::default()).unwrap_err();
        assert!(matches!(error, ConfigError::Invalid { key: "client_key", .. }), "{error}");
        let file = ConfigFile {
            client_cert: Some(cert.clone()),
            client_key: Some(cert.clone()),
            ..ConfigFile::default()
        };
        let config = AgentConfig::resolve(file, Overrides::default()).unwrap();
        assert_eq!(config.client_identity, Some(ClientIdentity { cert: cert.clone(), key: cert }));
    }

    #[test]
    fn a_missing_default_file_is_fine_but_a_named_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("agent.toml");
        assert_eq!(ConfigFile::load(&missing, false), Ok(ConfigFile::default()));
        assert!(matches!(ConfigFile::load(&missing, true), Err(ConfigError::Read { .. })));
    }
}
