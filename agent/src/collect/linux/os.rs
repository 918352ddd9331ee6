//! /etc/os-release, the kernel release and boot time → the OS section.

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::OperatingSystem;
use std::time::UNIX_EPOCH;

pub fn read(root: &Root) -> Result<OperatingSystem, String> {
    let release = root
        .try_text("etc/os-release")
        .or_else(|_| root.try_text("usr/lib/os-release"))
        .map_err(|e| format!("no os-release file: {e}"))?;
    let mut os = parse_os_release(&release);
    os.kernel = sanitize(&root.text("proc/sys/kernel/osrelease"));
    os.architecture = std::env::consts::ARCH.to_string();
    os.last_boot = root
        .text("proc/stat")
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    os.install_date = modified(root, "var/log/installer").unwrap_or(0);
    os.last_security_update =
        modified(root, "var/log/unattended-upgrades/unattended-upgrades.log").unwrap_or(0);
    Ok(os)
}

fn modified(root: &Root, relative: &str) -> Option<i64> {
    let time = std::fs::metadata(root.path(relative)).ok()?.modified().ok()?;
    i64::try_from(time.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()
}

pub fn parse_os_release(text: &str) -> OperatingSystem {
    let value = |key: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
            .map(|v| sanitize(v.trim().trim_matches('"').trim_matches('\'')))
            .unwrap_or_default()
    };
    OperatingSystem {
        name: value("NAME"),
        version: value("VERSION_ID"),
        build: value("BUILD_ID"),
        edition: value("VARIANT"),
        ..OperatingSystem::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_fields() {
        let os = parse_os_release(
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n",
        );
        assert_eq!((os.name.as_str(), os.version.as_str()), ("Debian GNU/Linux", "12"));
        let os = parse_os_release("NAME=Fedora Linux\nVERSION_ID=40\nVARIANT=\"Workstation Edition\"\n");
        assert_eq!((os.name.as_str(), os.edition.as_str()), ("Fedora Linux", "Workstation Edition"));
    }
}
