//! Flatpak applications and snaps: self-contained packages that dpkg and rpm
//! do not list (Ubuntu ships Firefox as a snap).

use super::Root;
use crate::collect::parse::sanitize;
use parc_model::{SoftwarePackage, SoftwareSource};

/// System-wide Flatpak apps: `/var/lib/flatpak/app/<id>/<arch>/<branch>/active/`.
pub fn flatpaks(root: &Root) -> Vec<SoftwarePackage> {
    let mut packages = Vec::new();
    for id in root.list("var/lib/flatpak/app") {
        for arch in root.list(&format!("var/lib/flatpak/app/{id}")).into_iter().filter(|a| a != "current") {
            for branch in root.list(&format!("var/lib/flatpak/app/{id}/{arch}")) {
                let metainfo = format!(
                    "var/lib/flatpak/app/{id}/{arch}/{branch}/active/files/share/metainfo/{id}.metainfo.xml"
                );
                packages.push(SoftwarePackage {
                    name: sanitize(&id),
                    version: release_version(&root.text(&metainfo)).unwrap_or_else(|| sanitize(&branch)),
                    publisher: String::new(),
                    install_date: String::new(),
                    source: SoftwareSource::Flatpak,
                    architecture: sanitize(&arch),
                });
            }
        }
    }
    packages
}

/// The newest `<release version="...">` of an AppStream metainfo file
/// (releases are listed newest first).
fn release_version(xml: &str) -> Option<String> {
    let start = xml.find("<release ")?;
    let rest = &xml[start..xml[start..].find('>').map(|end| start + end)?];
    let value = rest.split("version=").nth(1)?;
    let quote = value.chars().next()?;
    let value = value.strip_prefix(quote)?;
    Some(sanitize(&value[..value.find(quote)?]))
}

/// Installed snaps: `/snap/<name>/current/meta/snap.yaml`.
pub fn snaps(root: &Root) -> Vec<SoftwarePackage> {
    root.list("snap")
        .into_iter()
        .filter(|name| name != "bin" && name != "README")
        .filter_map(|name| {
            let yaml = root.try_text(&format!("snap/{name}/current/meta/snap.yaml")).ok()?;
            let field = |key: &str| {
                yaml.lines()
                    .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
                    .map(|v| sanitize(v.trim().trim_matches('\'').trim_matches('"')))
                    .unwrap_or_default()
            };
            Some(SoftwarePackage {
                name: sanitize(&name),
                version: field("version"),
                publisher: String::new(),
                install_date: String::new(),
                source: SoftwareSource::Snap,
                architecture: field("architectures")
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .trim()
                    .to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_release_is_the_version() {
        let xml = r#"<component><releases><release version="4.2.1" date="2024-05-01"/><release version="4.1"/></releases></component>"#;
        assert_eq!(release_version(xml).as_deref(), Some("4.2.1"));
        assert_eq!(release_version("<release date='x' version='1.0'>").as_deref(), Some("1.0"));
        assert_eq!(release_version("<component/>"), None);
        assert_eq!(release_version("<release version=\"unterminated"), None);
    }
}
