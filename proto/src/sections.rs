//! Section fingerprints for delta reports.
//!
//! Agent and server must compute the same hash from the same section, so
//! the rule lives here, once: the first 16 bytes of the SHA-256 of the
//! section's protobuf encoding as the only field of an otherwise empty
//! `Inventory`. 128 bits is far beyond what a fleet needs to tell two
//! versions of one PC's section apart, and keeps an unchanged PC's report
//! to a few hundred bytes.

use crate::pb;
use parc_model::Section;
use prost::encoding::message;
use sha2::{Digest, Sha256};

/// Bytes in a section hash.
pub const SECTION_HASH_LEN: usize = 16;

pub type SectionHash = [u8; SECTION_HASH_LEN];

/// The section's encoding as the only field of an `Inventory`; empty when
/// the section is absent (or an empty list).
pub fn section_bytes(section: Section, inv: &pb::Inventory) -> Vec<u8> {
    let mut buf = Vec::new();
    match section {
        Section::System => encode_one(10, &inv.system, &mut buf),
        Section::Os => encode_one(11, &inv.os, &mut buf),
        Section::Cpu => encode_one(12, &inv.cpu, &mut buf),
        Section::Memory => encode_one(13, &inv.memory, &mut buf),
        Section::Volumes => message::encode_repeated(14, &inv.volumes, &mut buf),
        Section::NetworkInterfaces => message::encode_repeated(15, &inv.network_interfaces, &mut buf),
        Section::Disks => message::encode_repeated(16, &inv.disks, &mut buf),
        Section::Security => encode_one(17, &inv.security, &mut buf),
        Section::Batteries => message::encode_repeated(18, &inv.batteries, &mut buf),
        Section::Peripherals => encode_one(19, &inv.peripherals, &mut buf),
        Section::Users => encode_one(20, &inv.users, &mut buf),
        Section::Software => encode_one(21, &inv.software, &mut buf),
    }
    buf
}

fn encode_one<M: prost::Message>(tag: u32, value: &Option<M>, buf: &mut Vec<u8>) {
    if let Some(value) = value {
        message::encode(tag, value, buf);
    }
}

/// The fingerprint of one section of a wire inventory.
pub fn section_hash(section: Section, inv: &pb::Inventory) -> SectionHash {
    hash_bytes(&section_bytes(section, inv))
}

pub fn hash_bytes(bytes: &[u8]) -> SectionHash {
    let digest = Sha256::digest(bytes);
    let mut hash = [0u8; SECTION_HASH_LEN];
    hash.copy_from_slice(&digest[..SECTION_HASH_LEN]);
    hash
}

/// The sections this inventory carries: every section not listed unknown.
pub fn read_sections(inv: &pb::Inventory) -> Vec<Section> {
    Section::ALL
        .into_iter()
        .filter(|section| !inv.unknown_sections.iter().any(|u| u.section == section.name()))
        .collect()
}

/// Removes a section's content from a wire inventory, for a delta report.
pub fn clear_section(section: Section, inv: &mut pb::Inventory) {
    match section {
        Section::System => inv.system = None,
        Section::Os => inv.os = None,
        Section::Cpu => inv.cpu = None,
        Section::Memory => inv.memory = None,
        Section::Volumes => inv.volumes.clear(),
        Section::NetworkInterfaces => inv.network_interfaces.clear(),
        Section::Disks => inv.disks.clear(),
        Section::Security => inv.security = None,
        Section::Batteries => inv.batteries.clear(),
        Section::Peripherals => inv.peripherals = None,
        Section::Users => inv.users = None,
        Section::Software => inv.software = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    fn sample() -> pb::Inventory {
        pb::Inventory {
            hostname: "PC-1".into(),
            os: Some(pb::OperatingSystem {
                name: "Windows".into(),
                version: "11".into(),
                ..Default::default()
            }),
            volumes: vec![
                pb::Volume { mount_point: "C:\\".into(), total_bytes: 1, ..Default::default() },
                pb::Volume { mount_point: "D:\\".into(), total_bytes: 2, ..Default::default() },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn section_bytes_decode_as_an_inventory_holding_only_that_section() {
        let inv = sample();
        for section in [Section::Os, Section::Volumes] {
            let only = pb::Inventory::decode(section_bytes(section, &inv).as_slice()).expect("decodes");
            let mut expected = pb::Inventory::default();
            match section {
                Section::Os => expected.os = inv.os.clone(),
                _ => expected.volumes = inv.volumes.clone(),
            }
            assert_eq!(only, expected);
        }
    }

    #[test]
    fn concatenated_sections_decode_as_the_whole() {
        let inv = sample();
        let mut bytes = Vec::new();
        for section in Section::ALL {
            bytes.extend(section_bytes(section, &inv));
        }
        let whole = pb::Inventory::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(whole, pb::Inventory { hostname: String::new(), ..inv });
    }

    #[test]
    fn a_change_in_a_section_changes_its_hash_only() {
        let before = sample();
        let mut after = sample();
        after.volumes[1].total_bytes = 3;
        assert_ne!(section_hash(Section::Volumes, &before), section_hash(Section::Volumes, &after));
        assert_eq!(section_hash(Section::Os, &before), section_hash(Section::Os, &after));
        assert_eq!(section_hash(Section::Os, &before), section_hash(Section::Os, &sample()));
    }

    #[test]
    fn clearing_a_section_leaves_it_out_of_the_encoding() {
        let mut inv = sample();
        clear_section(Section::Volumes, &mut inv);
        assert!(section_bytes(Section::Volumes, &inv).is_empty());
        assert!(!section_bytes(Section::Os, &inv).is_empty());
    }
}
