//! How enums are written in the database. Codes are stable: a new variant
//! gets a new code, an old code is never reused.

use parc_model::history::ChangeKind;
use parc_model::{Section, SoftwareSource};

pub fn section_code(section: Section) -> i64 {
    match section {
        Section::System => 1,
        Section::Os => 2,
        Section::Cpu => 3,
        Section::Memory => 4,
        Section::Volumes => 5,
        Section::NetworkInterfaces => 6,
        Section::Disks => 7,
        Section::Security => 8,
        Section::Batteries => 9,
        Section::Peripherals => 10,
        Section::Users => 11,
        Section::Software => 12,
    }
}

pub fn section_from_code(code: i64) -> Option<Section> {
    Section::ALL.into_iter().find(|s| section_code(*s) == code)
}

const SOURCES: [(SoftwareSource, i64); 8] = [
    (SoftwareSource::Unknown, 0),
    (SoftwareSource::Dpkg, 1),
    (SoftwareSource::Rpm, 2),
    (SoftwareSource::Flatpak, 3),
    (SoftwareSource::Snap, 4),
    (SoftwareSource::WindowsUninstall, 5),
    (SoftwareSource::WindowsUserUninstall, 6),
    (SoftwareSource::Appx, 7),
];

pub fn source_code(source: SoftwareSource) -> i64 {
    SOURCES.iter().find(|(s, _)| *s == source).map_or(0, |(_, code)| *code)
}

pub fn source_from_code(code: i64) -> SoftwareSource {
    SOURCES.iter().find(|(_, c)| *c == code).map_or(SoftwareSource::Unknown, |(s, _)| *s)
}

pub fn change_kind_code(kind: ChangeKind) -> i64 {
    match kind {
        ChangeKind::Added => 1,
        ChangeKind::Removed => 2,
        ChangeKind::Changed => 3,
    }
}

pub fn change_kind_from_code(code: i64) -> ChangeKind {
    match code {
        1 => ChangeKind::Added,
        2 => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    }
}

/// Enums shown in summary columns are stored by their serde name ("laptop").
pub fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "unknown".into(),
    }
}

pub fn enum_from_name<T: serde::de::DeserializeOwned + Default>(name: String) -> T {
    serde_json::from_value(serde_json::Value::String(name)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back() {
        for section in Section::ALL {
            assert_eq!(section_from_code(section_code(section)), Some(section));
        }
        for (source, code) in SOURCES {
            assert_eq!(source_from_code(code), source);
            assert_eq!(source_code(source), code);
        }
        for kind in [ChangeKind::Added, ChangeKind::Removed, ChangeKind::Changed] {
            assert_eq!(change_kind_from_code(change_kind_code(kind)), kind);
        }
    }
}
