//! Which firmware identities mean something. Two enrolled PCs with the same
//! serial number or SMBIOS UUID are flagged for review, never merged; but
//! white-box boards and many VMs ship the same placeholder ("To Be Filled By
//! O.E.M.", an all-zero UUID), and flagging those would bury the real
//! duplicates (a cloned disk image, a re-imaged PC enrolled twice). Pure.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityKey {
    SerialNumber,
    SmbiosUuid,
}

impl IdentityKey {
    /// The name used on the wire and in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            IdentityKey::SerialNumber => "serial_number",
            IdentityKey::SmbiosUuid => "smbios_uuid",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            IdentityKey::SerialNumber => "serial number",
            IdentityKey::SmbiosUuid => "SMBIOS UUID",
        }
    }
}

/// Placeholders seen in the wild, compared without case or spaces.
const PLACEHOLDER_SERIALS: &[&str] = &[
    "tobefilledbyo.e.m.",
    "defaultstring",
    "systemserialnumber",
    "0",
    "00000000",
    "0123456789",
    "none",
    "notspecified",
    "notapplicable",
    "n/a",
    "oem",
    "invalid",
    "chassisserialnumber",
];

/// Whether `value` identifies one machine rather than a vendor placeholder.
pub fn is_real_identity(key: IdentityKey, value: &str) -> bool {
    let folded: String = value.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    if folded.is_empty() {
        return false;
    }
    match key {
        IdentityKey::SerialNumber => {
            !PLACEHOLDER_SERIALS.contains(&folded.as_str()) && !folded.chars().all(|c| c == '0' || c == 'x')
        }
        IdentityKey::SmbiosUuid => {
            let hex: String = folded.chars().filter(|c| *c != '-').collect();
            // All zeros, all F, and the sequence AMI boards ship with.
            !(hex.chars().all(|c| c == '0')
                || hex.chars().all(|c| c == 'f')
                || hex == "03000200040005000006000700080009")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_not_identities() {
        for serial in
            ["To Be Filled By O.E.M.", "Default string", "System Serial Number", "0", "  ", "000000", "N/A"]
        {
            assert!(!is_real_identity(IdentityKey::SerialNumber, serial), "{serial}");
        }
        for uuid in [
            "00000000-0000-0000-0000-000000000000",
            "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
            "03000200-0400-0500-0006-000700080009",
        ] {
            assert!(!is_real_identity(IdentityKey::SmbiosUuid, uuid), "{uuid}");
        }
    }

    #[test]
    fn real_serials_and_uuids_are() {
        assert!(is_real_identity(IdentityKey::SerialNumber, "5CG1234XYZ"));
        assert!(is_real_identity(IdentityKey::SerialNumber, "PF2ABCDE"));
        assert!(is_real_identity(IdentityKey::SmbiosUuid, "4C4C4544-0042-3510-8052-B4C04F565931"));
    }
}
