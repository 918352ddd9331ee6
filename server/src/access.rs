//! Who may do what: roles, API tokens and the role each FleetService call
//! needs. Pure: the gRPC and HTTP edges look tokens up (`auth.rs`) and ask
//! this module whether the caller's role is enough.
//!
//! Must not touch: storage or the network. A new RPC without an entry in
//! [`required_role`] is refused to everyone (and a test fails), so nothing
//! is ever open by omission.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// What a token may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads everything: devices, sites, readiness, plans, the dashboard.
    Viewer,
    /// Plans and publishes waves, sets rollout statuses, exports wave lists.
    Planner,
    /// Imports sites and assets, edits sites, sets the readiness policy,
    /// manages tokens, reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Planner, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Planner => "planner",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name().eq_ignore_ascii_case(text.trim()))
    }

    /// Whether this role may do what `needed` allows.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who made a change, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The token's name, or the offline command ("parc-server", "demo").
    pub name: String,
    pub role: Role,
    /// The token's id; `None` for offline commands.
    pub token_id: Option<u64>,
}

impl Actor {
    /// A change made on the server machine itself, not through the API
    /// (offline `parc-server` commands, the demo, tests).
    pub fn local(name: &str) -> Actor {
        Actor { name: name.to_string(), role: Role::Admin, token_id: None }
    }
}

/// Every token starts with this, so a leaked one is easy to recognise
/// (secret scanners, logs).
pub const TOKEN_PREFIX: &str = "parc_";
/// Random bytes in a token: 256 bits.
const TOKEN_BYTES: usize = 32;
/// Longest token name.
pub const MAX_TOKEN_NAME: usize = 64;

/// A new token secret: the prefix and 64 hex digits of OS randomness.
pub fn new_token_secret() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// What the database keeps of a token: its SHA-256, in hex. A stolen
/// database holds no usable token. (A fast hash is right here: the secret
/// is 256 random bits, not a password.)
pub fn token_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// Checks a token name: 1 to 64 characters, no control characters.
pub fn check_token_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("name: give who or what the token is for, such as marie.dupont or grafana".into());
    }
    if name.chars().count() > MAX_TOKEN_NAME {
        return Err(format!("name: {} characters, at most {MAX_TOKEN_NAME}", name.chars().count()));
    }
    if name.chars().any(char::is_control) {
        return Err("name: control characters are not allowed".into());
    }
    Ok(name.to_string())
}

/// The gRPC service whose calls need a token. AgentService is for
/// endpoints (enrollment secret and node keys); health and reflection are
/// open.
pub const FLEET_SERVICE: &str = "parc.v1.FleetService";

/// The role a FleetService method needs; `None` for a method this table
/// does not know, which is then refused to everyone.
pub fn required_role(method: &str) -> Option<Role> {
    use Role::*;
    Some(match method {
        "ListDevices" | "GetDevice" | "GetDeviceHistory" | "ListDuplicates" | "ListSites" | "GetSite"
        | "GetPolicy" | "GetReadiness" | "GetDeviceReadiness" | "GetReadinessTrend" | "GetPlan"
        | "GetWaveStatus" | "WhoAmI" | "ListSoftware" => Viewer,
        "PlanWaves" | "PublishPlan" | "SetRolloutStatus" | "ImportReturns" | "ExportWaves" => Planner,
        "RequestResync" | "ImportSites" | "UpdateSite" | "AssignSite" | "ImportAssets" | "CreateToken"
        | "ListTokens" | "RevokeToken" | "ListAudit" | "SetPolicy" => Admin,
        _ => return None,
    })
}

/// The role a page or file of the HTTP port needs; `None`: open to all
/// (the health check, the sign-in page and its style sheet).
pub fn required_http_role(path: &str) -> Option<Role> {
    match path {
        "/healthz" | "/login" | "/logout" | "/style.css" => None,
        path if path.starts_with("/waves/export") => Some(Role::Planner),
        // Everything else is read-only, `/search.csv` included: it is the
        // list `parc devices --output csv` gives any viewer.
        _ => Some(Role::Viewer),
    }
}

/// Why a call was refused, in words for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or one the server does not know (or revoked).
    Unauthenticated(String),
    /// A valid token whose role is not enough.
    Forbidden(String),
}

/// Decides whether `caller` (with the role of their token, if any) may
/// call `method` of FleetService.
pub fn authorize(method: &str, caller: Option<Role>) -> Result<Role, Refusal> {
    let Some(needed) = required_role(method) else {
        return Err(Refusal::Forbidden(format!("{method} is not open to any role")));
    };
    let Some(role) = caller else {
        return Err(Refusal::Unauthenticated(
            "a token is needed: pass --token, set PARC_TOKEN, or put `token` in the parc config file \
             (an admin makes one with `parc tokens create`)"
                .into(),
        ));
    };
    if role.allows(needed) {
        Ok(needed)
    } else {
        Err(Refusal::Forbidden(format!("{method} needs the {needed} role; this token is {role}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_before_them() {
        assert!(Role::Admin.allows(Role::Planner));
        assert!(Role::Admin.allows(Role::Viewer));
        assert!(Role::Planner.allows(Role::Viewer));
        assert!(!Role::Planner.allows(Role::Admin));
        assert!(!Role::Viewer.allows(Role::Planner));
        assert_eq!(Role::parse(" Planner "), Some(Role::Planner));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn every_fleet_method_has_a_role() {
        // The contract's own list: a new RPC without a role fails here.
        use prost::Message;
        let set = prost_types::FileDescriptorSet::decode(parc_proto::FILE_DESCRIPTOR_SET).unwrap();
        let methods: Vec<String> = set
            .file
            .iter()
            .flat_map(|file| &file.service)
            .filter(|service| service.name() == "FleetService")
            .flat_map(|service| &service.method)
            .map(|method| method.name().to_string())
            .collect();
        assert!(methods.len() > 25, "{methods:?}");
        for method in &methods {
            assert!(required_role(method).is_some(), "{method} has no role in access::required_role");
        }
    }

    #[test]
    fn refusals_say_what_is_missing() {
        assert_eq!(authorize("GetDevice", Some(Role::Viewer)), Ok(Role::Viewer));
        assert!(matches!(authorize("GetDevice", None), Err(Refusal::Unauthenticated(_))));
        assert_eq!(
            authorize("PublishPlan", Some(Role::Viewer)),
            Err(Refusal::Forbidden("PublishPlan needs the planner role; this token is viewer".into()))
        );
        assert!(matches!(authorize("DropDatabase", Some(Role::Admin)), Err(Refusal::Forbidden(_))));
    }

    #[test]
    fn pages_need_a_viewer_and_wave_lists_a_planner() {
        assert_eq!(required_http_role("/healthz"), None);
        assert_eq!(required_http_role("/login"), None);
        assert_eq!(required_http_role("/"), Some(Role::Viewer));
        assert_eq!(required_http_role("/metrics"), Some(Role::Viewer));
        assert_eq!(required_http_role("/devices/3"), Some(Role::Viewer));
        assert_eq!(required_http_role("/waves/export.xlsx"), Some(Role::Planner));
        assert_eq!(required_http_role("/search.csv"), Some(Role::Viewer));
        assert_eq!(required_http_role("/logout"), None);
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token_secret();
        let b = new_token_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 64);
        assert_eq!(token_hash(&a), token_hash(&format!(" {a}\n")));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert!(!token_hash(&a).contains(&a[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn token_names_are_checked() {
        assert_eq!(check_token_name(" grafana "), Ok("grafana".into()));
        assert!(check_token_name("").unwrap_err().starts_with("name:"));
        assert!(check_token_name(&"x".repeat(65)).unwrap_err().contains("at most 64"));
        assert!(check_token_name("a\nb").is_err());
    }
}
