//! Collects the inventory, one section at a time.
//!
//! Each section runs on a blocking thread under a timeout; a section that
//! fails, panics or times out is listed in `unknown_sections` with the
//! reason and the rest of the inventory goes on. OS reads happen here and in
//! the per-OS modules; turning raw text into domain values is done by pure
//! functions in [`parse`], which the unit tests call on fixture data.

mod common;
#[cfg(target_os = "linux")]
mod linux;
pub mod parse;
#[cfg(windows)]
mod windows;

use parc_model::{Inventory, Section, UnknownSection};
use std::path::PathBuf;
use std::time::Duration;

/// Where and how long to look.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Root of the file system the Linux collectors read (`/` on a real
    /// machine, a fixture tree in tests).
    pub root: PathBuf,
    /// How long one section may take before it is reported unknown.
    pub section_timeout: Duration,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions { root: PathBuf::from("/"), section_timeout: Duration::from_secs(20) }
    }
}

/// What one section collector returns: the section, or why it is unknown.
pub type SectionResult<T> = Result<T, String>;

/// Collects this machine's inventory. Never fails: what cannot be read is
/// listed in `unknown_sections`.
pub async fn collect(options: &CollectOptions, now_unix: i64) -> Inventory {
    let mut inventory = Inventory {
        collected_at: now_unix,
        agent_version: crate::AGENT_VERSION.to_string(),
        hostname: common::hostname(),
        ..Inventory::default()
    };
    let root = options.root.clone();
    inventory.machine_id =
        run_blocking(options, move || platform::machine_id(&root)).await.unwrap_or_default();

    let root = options.root.clone();
    inventory.system = record(&mut inventory.unknown_sections, Section::System, {
        run_blocking(options, move || platform::system(&root)).await
    });
    inventory.os =
        record(&mut inventory.unknown_sections, Section::Os, run_blocking(options, common::os).await);
    inventory.cpu =
        record(&mut inventory.unknown_sections, Section::Cpu, run_blocking(options, common::cpu).await);
    inventory.memory =
        record(&mut inventory.unknown_sections, Section::Memory, run_blocking(options, common::memory).await);
    inventory.volumes = record(
        &mut inventory.unknown_sections,
        Section::Volumes,
        run_blocking(options, common::volumes).await,
    );
    inventory.network_interfaces = record(
        &mut inventory.unknown_sections,
        Section::NetworkInterfaces,
        run_blocking(options, common::network_interfaces).await,
    );
    inventory
}

fn record<T>(unknown: &mut Vec<UnknownSection>, section: Section, result: SectionResult<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(reason) => {
            tracing::warn!(%section, %reason, "section unknown");
            unknown.push(UnknownSection { section, reason });
            None
        }
    }
}

async fn run_blocking<T, F>(options: &CollectOptions, read: F) -> SectionResult<T>
where
    F: FnOnce() -> SectionResult<T> + Send + 'static,
    T: Send + 'static,
{
    let task = tokio::task::spawn_blocking(read);
    match tokio::time::timeout(options.section_timeout, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join_error)) => Err(format!("collector crashed: {join_error}")),
        Err(_) => Err(format!("timed out after {}", humantime::format_duration(options.section_timeout))),
    }
}

#[cfg(target_os = "linux")]
use linux as platform;
#[cfg(windows)]
use windows as platform;

#[cfg(not(any(target_os = "linux", windows)))]
mod platform {
    use super::SectionResult;
    use std::path::Path;
    pub fn machine_id(_root: &Path) -> SectionResult<String> {
        Err("machine id is not collected on this OS".into())
    }
    pub fn system(_root: &Path) -> SectionResult<parc_model::System> {
        Err("system section is not collected on this OS".into())
    }
}
