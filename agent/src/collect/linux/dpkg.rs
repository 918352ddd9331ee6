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
                publisher: publisher(maintainer),
                install_date: String::new(),
                source: SoftwareSource::Dpkg,
                architecture: sanitize(architecture),
            });
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name).then(a.architecture.cmp(&b.architecture)));
    packages
}

/// Who publishes a package, as planners mean it: the distribution for its
/// own archive's packages (recognised by the maintainer's address), the
/// maintainer's name for third-party ones (Google, Microsoft, a vendor).
fn publisher(maintainer: &str) -> String {
    let address = maintainer
        .rsplit_once('<')
        .map(|(_, a)| a.trim_end_matches('>').to_ascii_lowercase())
        .unwrap_or_default();
    let domain = address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    if domain == "debian.org" || domain.ends_with(".debian.org") || domain == "debian.net" {
        "Debian".into()
    } else if domain == "ubuntu.com" || domain.ends_with(".ubuntu.com") || domain == "canonical.com" {
        "Ubuntu".into()
    } else {
        sanitize(maintainer.split('<').next().unwrap_or(""))
    }
}

/// When each package was installed or last upgraded: the modification time
/// of its file list in /var/lib/dpkg/info, as YYYY-MM-DD.
pub fn install_dates(root: &super::Root, packages: &mut [SoftwarePackage]) {
    for package in packages {
        let candidates = [
            format!("var/lib/dpkg/info/{}.list", package.name),
            format!("var/lib/dpkg/info/{}:{}.list", package.name, package.architecture),
        ];
        let modified = candidates
            .iter()
            .find_map(|relative| std::fs::metadata(root.path(relative)).ok()?.modified().ok());
        if let Some(time) = modified {
            if let Ok(since) = time.duration_since(std::time::UNIX_EPOCH) {
                package.install_date = crate::collect::parse::iso_date_from_unix(since.as_secs());
            }
        }
    }
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
        assert_eq!(packages[0].publisher, "Debian", "the distribution publishes its own packages");
        assert_eq!(packages[1].architecture, "i386");
    }

    #[test]
    fn publishers_are_the_distribution_or_the_vendor() {
        assert_eq!(
            publisher("Debian LibreOffice Maintainers <debian-openoffice@lists.debian.org>"),
            "Debian"
        );
        assert_eq!(publisher("Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>"), "Ubuntu");
        assert_eq!(publisher("Chrome Linux Team <chromium-dev@chromium.org>"), "Chrome Linux Team");
        assert_eq!(publisher(""), "");
    }

    #[test]
    fn junk_gives_no_packages_and_no_panic() {
        assert!(parse_status("\u{0}\u{ff}\n\n::::\nPackage:\nStatus: installed").is_empty());
    }
}
