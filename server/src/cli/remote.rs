//! Where `parc` finds its server, token and CA: flags, then the environment
//! (`PARC_SERVER_URL`, `PARC_TOKEN`, `PARC_CA_FILE`), then the config file
//! (`$XDG_CONFIG_HOME/parc/parc.toml`, else `~/.config/parc/parc.toml`, or
//! the file `PARC_CLI_CONFIG` names), then the default loopback address.

use parc_proto::pb::fleet_service_client::FleetServiceClient;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// A FleetService client that sends the token with every call.
pub type Fleet = FleetServiceClient<InterceptedService<Channel, Bearer>>;

/// The server `parc` talks to, and the token it shows.
#[derive(Debug, Clone)]
pub struct Remote {
    pub url: String,
    token: Option<String>,
    /// The CA that signed an https:// server's certificate (`ca.pem` from
    /// `parc-server gen-cert`); without it, the system's roots.
    ca_file: Option<PathBuf>,
}

impl std::fmt::Display for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.url)
    }
}

/// The CLI config file: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CliConfig {
    /// The parc-server gRPC URL.
    pub server: Option<String>,
    /// An API token (`parc tokens create`). Keep the file readable by you only.
    pub token: Option<String>,
    /// The CA certificate of an https:// server with a private CA.
    pub ca_file: Option<PathBuf>,
}

impl CliConfig {
    /// The config file's path, whether or not it exists.
    pub fn path() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("PARC_CLI_CONFIG") {
            return Some(PathBuf::from(path));
        }
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
            .or_else(|| std::env::var_os("APPDATA").map(PathBuf::from))?;
        Some(base.join("parc").join("parc.toml"))
    }

    /// Reads the file at `path`; a missing file is an empty config, a bad
    /// one an error naming the file, line and key.
    pub fn load(path: &Path) -> anyhow::Result<CliConfig> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CliConfig::default()),
            Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
        };
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

impl Remote {
    /// A remote from what the flags and environment gave, completed from
    /// the config file.
    pub fn resolve(
        server: Option<String>,
        token: Option<String>,
        ca_file: Option<PathBuf>,
    ) -> anyhow::Result<Remote> {
        let file = match CliConfig::path() {
            Some(path) if server.is_none() || token.is_none() || ca_file.is_none() => CliConfig::load(&path)?,
            _ => CliConfig::default(),
        };
        // The file's token goes with the file's server only: a token is
        // never sent to another server named by a flag.
        let token = match (&server, token) {
            (_, Some(token)) => Some(token),
            (None, None) => file.token,
            (Some(url), None) => file.token.filter(|_| file.server.as_deref() == Some(url.as_str())),
        };
        let url = server.or(file.server).unwrap_or_else(|| parc_proto::DEFAULT_SERVER_URL.to_string());
        let mut remote = Remote::new(&url, token);
        remote.ca_file = ca_file.or(file.ca_file);
        Ok(remote)
    }

    pub fn new(url: &str, token: Option<String>) -> Remote {
        let token = token.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        Remote { url: url.to_string(), token, ca_file: None }
    }

    /// The same server, trusting the CA in `ca_file`.
    pub fn with_ca_file(mut self, ca_file: Option<PathBuf>) -> Remote {
        self.ca_file = ca_file;
        self
    }

    /// A FleetService client; the connection is made on first use.
    pub fn fleet(&self) -> anyhow::Result<Fleet> {
        let mut endpoint = Endpoint::from_shared(self.url.clone())
            .map_err(|e| anyhow::anyhow!("bad server URL {:?}: {e}", self.url))?
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(60))
            .tcp_nodelay(true);
        if self.url.starts_with("https://") {
            let tls = match &self.ca_file {
                Some(path) => {
                    let pem = std::fs::read(path)
                        .map_err(|e| anyhow::anyhow!("cannot read the CA file {}: {e}", path.display()))?;
                    tonic::transport::ClientTlsConfig::new()
                        .ca_certificate(tonic::transport::Certificate::from_pem(pem))
                }
                None => tonic::transport::ClientTlsConfig::new().with_native_roots(),
            };
            endpoint = endpoint.tls_config(tls).map_err(|e| anyhow::anyhow!("TLS for {}: {e}", self.url))?;
        }
        let bearer = match &self.token {
            Some(token) => Some(format!("Bearer {token}").parse::<MetadataValue<Ascii>>().map_err(|_| {
                anyhow::anyhow!("the token has characters a token never has: check PARC_TOKEN")
            })?),
            None => None,
        };
        Ok(FleetServiceClient::with_interceptor(endpoint.connect_lazy(), Bearer(bearer))
            .accept_compressed(tonic::codec::CompressionEncoding::Zstd)
            .max_decoding_message_size(parc_proto::limits::MAX_MESSAGE_BYTES))
    }
}

/// Adds `authorization: Bearer TOKEN` to every call.
#[derive(Debug, Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}
