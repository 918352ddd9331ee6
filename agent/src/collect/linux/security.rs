//! TPM, firmware type and Secure Boot, from sysfs and EFI variables.

use super::Root;
use parc_model::{Firmware, SecureBoot, Security};

const SECURE_BOOT_VAR: &str = "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

pub fn firmware_and_tpm(root: &Root) -> Security {
    let tpm_present = root.exists("sys/class/tpm/tpm0");
    let tpm_version = if !tpm_present {
        String::new()
    } else {
        match root.text("sys/class/tpm/tpm0/tpm_version_major").trim() {
            "2" => "2.0".to_string(),
            "1" => "1.2".to_string(),
            _ => {
                let caps = root.text("sys/class/tpm/tpm0/device/caps");
                caps.lines()
                    .find_map(|l| l.strip_prefix("TCG version:"))
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            }
        }
    };
    let uefi = root.exists("sys/firmware/efi");
    let secure_boot = if !uefi {
        SecureBoot::Unsupported
    } else {
        // 4 bytes of attributes, then the value.
        match root.read_capped(SECURE_BOOT_VAR, 64).ok().flatten().as_deref().and_then(|b| b.get(4).copied())
        {
            Some(1) => SecureBoot::On,
            Some(0) => SecureBoot::Off,
            _ => SecureBoot::Unknown,
        }
    };
    Security {
        tpm_present,
        tpm_version,
        firmware: if uefi { Firmware::Uefi } else { Firmware::Bios },
        secure_boot,
        system_disk_encryption: parc_model::DiskEncryption::Unknown,
    }
}
