//! /var/lib/dpkg/status → installed packages.

use crate::collect::parse::sanitize;
use parc_model::{SoftwarePackage, SoftwareSource};

/// Packages whose status says "installed". Stanzas are separated by blank
/// lines; continuation lines (starting with a space) belong to the field
/// above and are skipped.
pub fn parse_status(text: &str) -> Vec<SoftwarePackage> {
    let mut packages = Vec::new();
    for stanza in text.split("\n\n") {
        let mut name = "";
        let mut version = "";
        let mut architecture = "";
        let mut maintainer = "";
        let mut installed = false;
        for line in stanza.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            match key {
                "Package" => name = value,
                "Version" => version = value,
                "Architecture" => architecture = value,
                "Maintainer" => maintainer = value,
                "Status" => installed = value.split_whitespace().last() == Some("installed"),
                _ => {}
            }
        }
        if installed && !name.is_empty() {
            packages.push(SoftwarePackage {
                name: sanitize(name),
                version: sanitize(version),
                publisher: sanitize(maintainer.split('<').next().unwrap_or("")),
                install_date: String::new(),
                source: SoftwareSource::Dpkg,
                architecture: sanitize(architecture),
            });
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.architecture.cmp(&b.architecture)));
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_installed_packages_count() {
        let text = "Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b7\n\
                    Maintainer: Matthias Klose <doko@debian.org>\nDescription: GNU shell\n multi-line\n\n\
                    Package: removed-tool\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
                    Package: half\nStatus: install ok half-configured\n\n\
                    Package: libc6\nStatus: install ok installed\nArchitecture: i386\nVersion: 2.36-9\n";
        let packages = parse_status(text);
        let names: Vec<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bash", "libc6"]);
        assert_eq!(packages[0].version, "5.2.15-2+b7");
        assert_eq!(packages[0].publisher, "Matthias Klose");
        assert_eq!(packages[1].architecture, "i386");
    }

    #[test]
    fn junk_gives_no_packages_and_no_panic() {
        assert!(parse_status("\u{0}\u{ff}\n\n::::\nPackage:\nStatus: installed").is_empty());
    }
}
