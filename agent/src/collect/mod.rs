//! Collects the inventory, one section at a time.
//!
//! Each section runs on a blocking thread under a timeout; a section that
//! fails, panics or times out is listed in `unknown_sections` with the
//! reason and the rest of the inventory goes on. OS reads happen here and in
//! the per-OS modules; turning raw text into domain values is done by pure
//! functions in [`parse`], which the unit tests call on fixture data.

mod common;
pub mod cpuid;
#[cfg(target_os = "linux")]
mod linux;
pub mod parse;
pub mod usb;
#[cfg(windows)]
mod windows;
pub mod windows_data;

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
    let root = options.root.clone();
    let mut inventory = Inventory {
        collected_at: now_unix,
        agent_version: crate::AGENT_VERSION.to_string(),
        hostname: platform::hostname(&root),
        ..Inventory::default()
    };
    let mut unknown = Vec::new();
    inventory.machine_id = run(options, platform::machine_id).await.unwrap_or_default();

    /// Runs one section's collector on a blocking thread under the timeout.
    macro_rules! section {
        ($field:ident, $section:expr, $collector:path) => {
            inventory.$field = record(&mut unknown, $section, run(options, $collector).await);
        };
    }
    section!(system, Section::System, platform::system);
    section!(os, Section::Os, platform::os);
    section!(cpu, Section::Cpu, platform::cpu);
    section!(memory, Section::Memory, platform::memory);
    section!(volumes, Section::Volumes, platform::volumes);
    section!(network_interfaces, Section::NetworkInterfaces, platform::network_interfaces);
    section!(disks, Section::Disks, platform::disks);
    section!(security, Section::Security, platform::security);
    section!(batteries, Section::Batteries, platform::batteries);
    section!(peripherals, Section::Peripherals, platform::peripherals);
    section!(users, Section::Users, platform::users);
    section!(software, Section::Software, platform::software);
    inventory.unknown_sections = unknown;
    inventory
}

async fn run<T: Send + 'static>(
    options: &CollectOptions,
    collector: fn(&std::path::Path) -> SectionResult<T>,
) -> SectionResult<T> {
    let root = options.root.clone();
    run_blocking(options, move || collector(&root)).await
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

/// Elsewhere (macOS, BSD): what sysinfo knows, and the rest unknown.
#[cfg(not(any(target_os = "linux", windows)))]
mod platform {
    use super::{common, SectionResult};
    use std::path::Path;

    pub fn hostname(_root: &Path) -> String {
        common::hostname()
    }
    pub fn os(_root: &Path) -> SectionResult<parc_model::OperatingSystem> {
        common::os()
    }
    pub fn cpu(_root: &Path) -> SectionResult<parc_model::Cpu> {
        common::cpu()
    }
    pub fn memory(_root: &Path) -> SectionResult<parc_model::Memory> {
        common::memory()
    }
    pub fn volumes(_root: &Path) -> SectionResult<Vec<parc_model::Volume>> {
        common::volumes()
    }
    pub fn network_interfaces(_root: &Path) -> SectionResult<Vec<parc_model::NetworkInterface>> {
        common::network_interfaces()
    }
    macro_rules! not_collected {
        ($($name:ident -> $t:ty),* $(,)?) => {$(
            pub fn $name(_root: &Path) -> SectionResult<$t> {
                Err("not collected on this OS".into())
            }
        )*};
    }
    not_collected!(
        machine_id -> String,
        system -> parc_model::System,
        disks -> Vec<parc_model::PhysicalDisk>,
        security -> parc_model::Security,
        batteries -> Vec<parc_model::Battery>,
        peripherals -> parc_model::Peripherals,
        users -> parc_model::Users,
        software -> Vec<parc_model::SoftwarePackage>,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(timeout: Duration) -> CollectOptions {
        CollectOptions { root: PathBuf::from("/"), section_timeout: timeout }
    }

    #[tokio::test]
    async fn a_section_that_hangs_is_reported_unknown_with_the_timeout() {
        let result: SectionResult<()> = run_blocking(&options(Duration::from_millis(50)), || {
            std::thread::sleep(Duration::from_millis(1500));
            Ok(())
        })
        .await;
        assert_eq!(result, Err("timed out after 50ms".to_string()));
    }

    #[tokio::test]
    async fn a_section_that_panics_is_reported_unknown_and_the_rest_goes_on() {
        let result: SectionResult<()> =
            run_blocking(&options(Duration::from_secs(5)), || panic!("WMI said something odd")).await;
        assert!(result.unwrap_err().starts_with("collector crashed"));
        let mut unknown = Vec::new();
        assert_eq!(record(&mut unknown, Section::Cpu, Ok(7)), Some(7));
        assert_eq!(record::<u8>(&mut unknown, Section::Disks, Err("no disks".into())), None);
        assert_eq!(unknown, [UnknownSection { section: Section::Disks, reason: "no disks".into() }]);
    }
}
