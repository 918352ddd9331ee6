//! The readiness policy in force, which an admin can change while the
//! server runs (`parc policy set`): every handler and page reads it
//! through [`LivePolicy::get`] when a request comes, so an answer after a
//! change uses the new policy at once, and a request already running
//! keeps the policy it started with.
//!
//! Where it comes from at start, first found: the policy stored by
//! `parc policy set` (the database), the `--policy` file, the built-in
//! defaults. A stored policy outranks the file because it is the later,
//! deliberate change, made through the API and recorded in the audit log.
//!
//! Must not touch: storage. Callers read and store the text; this module
//! parses, compares and swaps.

use crate::storage::StoredSetting;
use parc_readiness::policy::PolicyError;
use parc_readiness::Policy;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

/// Where the policy in force comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySource {
    Defaults,
    /// `--policy FILE` (or `policy` in the configuration file).
    File(PathBuf),
    /// `parc policy set`, kept in the database: the file name it was set
    /// from, who set it, when.
    Stored {
        file: String,
        by: String,
        at: i64,
    },
}

impl PolicySource {
    /// "stored", "file" or "defaults", as `GetPolicy` says it.
    pub fn origin(&self) -> &'static str {
        match self {
            PolicySource::Defaults => "defaults",
            PolicySource::File(_) => "file",
            PolicySource::Stored { .. } => "stored",
        }
    }
}

/// The policy in force and its source, swapped whole.
#[derive(Debug)]
pub struct LivePolicy {
    current: RwLock<(Arc<Policy>, PolicySource)>,
    /// Held by one change at a time, from storing to swapping, so the
    /// policy in force is always the one stored last.
    changing: Mutex<()>,
}

impl LivePolicy {
    pub fn new(policy: Policy, source: PolicySource) -> LivePolicy {
        LivePolicy { current: RwLock::new((Arc::new(policy), source)), changing: Mutex::new(()) }
    }

    /// The policy in force now.
    pub fn get(&self) -> Arc<Policy> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).0.clone()
    }

    pub fn source(&self) -> PolicySource {
        self.current.read().unwrap_or_else(|p| p.into_inner()).1.clone()
    }

    /// Runs `store` (which writes the new policy to the database) and, when
    /// it succeeds, puts `policy` in force; one change at a time.
    pub fn change<E>(
        &self,
        policy: Policy,
        store: impl FnOnce() -> Result<PolicySource, E>,
    ) -> Result<(), E> {
        let _one_at_a_time = self.changing.lock().unwrap_or_else(|p| p.into_inner());
        let source = store()?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (Arc::new(policy), source);
        Ok(())
    }
}

/// The policy a server starts with: `stored` when there is one, else the
/// one read from `file` (the defaults when `file` is `None`). A stored
/// policy this build cannot read is an error, never silently replaced.
pub fn at_start(
    stored: Option<StoredSetting>,
    file_policy: Policy,
    file: Option<PathBuf>,
) -> Result<(Policy, PolicySource), PolicyError> {
    match stored {
        Some(setting) => {
            let label = format!("the policy stored by `parc policy set` ({})", setting.source);
            let policy = Policy::from_toml(&label, &setting.value)?;
            Ok((
                policy,
                PolicySource::Stored { file: setting.source, by: setting.set_by, at: setting.set_at },
            ))
        }
        None => Ok((file_policy, file.map_or(PolicySource::Defaults, PolicySource::File))),
    }
}

/// The keys whose value differs between two policies, as
/// "key: before → after" in key order (lists and tables of lists as one
/// value each).
pub fn changes(before: &Policy, after: &Policy) -> Vec<String> {
    let flat = |policy: &Policy| {
        let mut keys = std::collections::BTreeMap::new();
        if let Ok(toml::Value::Table(table)) = toml::Value::try_from(policy) {
            flatten("", &table, &mut keys);
        }
        keys
    };
    let (old, new) = (flat(before), flat(after));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (a, b) = (old.get(key), new.get(key));
            (a != b).then(|| {
                let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "(none)".into());
                format!("{key}: {} → {}", show(a), show(b))
            })
        })
        .collect()
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut std::collections::BTreeMap<String, String>) {
    for (key, value) in table {
        let key = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            toml::Value::Table(inner) => flatten(&key, inner, out),
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_name_each_key_that_differs() {
        let before = Policy::default();
        let after = Policy::from_toml(
            "p.toml",
            "[wifi]\nmin_standard = \"802.11ax\"\n[replacement]\nmin_ram_gb = 16.0\n",
        )
        .unwrap();
        let changes = changes(&before, &after);
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(
            changes[0].starts_with("replacement.min_ram_gb: ") && changes[0].ends_with(" → 16.0"),
            "{changes:?}"
        );
        assert_eq!(changes[1], format!("wifi.min_standard: \"{}\" → \"802.11ax\"", before.wifi.min_standard));
        assert!(super::changes(&after, &after).is_empty());
    }

    #[test]
    fn a_stored_policy_outranks_the_file_and_an_unreadable_one_is_an_error() {
        let file = Some(PathBuf::from("/etc/parc/policy.toml"));
        let (_, source) = at_start(None, Policy::default(), file.clone()).unwrap();
        assert_eq!(source, PolicySource::File(PathBuf::from("/etc/parc/policy.toml")));
        assert_eq!(at_start(None, Policy::default(), None).unwrap().1, PolicySource::Defaults);
        let stored = StoredSetting {
            value: "[replacement]\nmin_ram_gb = 16.0\n".into(),
            source: "strict.toml".into(),
            set_by: "marie".into(),
            set_at: 1_800_000_000,
        };
        let (policy, source) = at_start(Some(stored.clone()), Policy::default(), file.clone()).unwrap();
        assert_eq!(policy.replacement.min_ram_gb, 16.0);
        assert_eq!(source.origin(), "stored");
        let broken = StoredSetting { value: "[replacement]\nmin_ram = 16\n".into(), ..stored };
        let error = at_start(Some(broken), Policy::default(), file).unwrap_err().to_string();
        assert!(error.contains("strict.toml") && error.contains("line 2, column 1"), "{error}");
    }
}
