//! The CPU's own identification (CPUID), for systems whose OS does not
//! spell it out in a file: family/model/stepping and the flags that decide
//! Windows 11 and x86-64 level support. Decoding is pure and unit-tested.

/// Family, model and stepping from CPUID leaf 1 EAX, decoded as Intel and
/// AMD document it (extended family and model fold in for families 6 and 15).
pub fn signature(eax: u32) -> (u32, u32, u32) {
    let stepping = eax & 0xf;
    let base_model = (eax >> 4) & 0xf;
    let base_family = (eax >> 8) & 0xf;
    let extended_model = (eax >> 16) & 0xf;
    let extended_family = (eax >> 20) & 0xff;
    let family = if base_family == 0xf { base_family + extended_family } else { base_family };
    let model = if base_family == 0x6 || base_family == 0xf {
        (extended_model << 4) | base_model
    } else {
        base_model
    };
    (family, model, stepping)
}

/// The reported flags (Linux names) from leaf 1 ECX, leaf 7 EBX and leaf
/// 0x80000001 EDX.
pub fn flags(leaf1_ecx: u32, leaf7_ebx: u32, ext1_edx: u32) -> Vec<String> {
    let mut flags = Vec::new();
    if ext1_edx & (1 << 29) != 0 {
        flags.push("lm".to_string());
    }
    if leaf1_ecx & (1 << 20) != 0 {
        flags.push("sse4_2".to_string());
    }
    if leaf1_ecx & (1 << 23) != 0 {
        flags.push("popcnt".to_string());
    }
    if leaf7_ebx & (1 << 5) != 0 {
        flags.push("avx2".to_string());
    }
    flags
}

/// Reads this CPU: `(family, model, stepping, flags)`.
#[cfg(target_arch = "x86_64")]
#[cfg_attr(target_os = "linux", allow(dead_code))] // Linux reads /proc/cpuinfo
pub fn read() -> (u32, u32, u32, Vec<String>) {
    use std::arch::x86_64::__cpuid;
    // SAFETY: CPUID exists on every x86-64 processor; leaves past the
    // maximum reported ones are not queried.
    #[allow(unused_unsafe)]
    unsafe {
        let max_leaf = __cpuid(0).eax;
        let leaf1 = __cpuid(1);
        let leaf7_ebx = if max_leaf >= 7 { __cpuid(7).ebx } else { 0 };
        let max_ext = __cpuid(0x8000_0000).eax;
        let ext1_edx = if max_ext >= 0x8000_0001 { __cpuid(0x8000_0001).edx } else { 0 };
        let (family, model, stepping) = signature(leaf1.eax);
        (family, model, stepping, flags(leaf1.ecx, leaf7_ebx, ext1_edx))
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[allow(dead_code)]
pub fn read() -> (u32, u32, u32, Vec<String>) {
    (0, 0, 0, Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_of_real_cpus_decode_as_dmidecode_prints_them() {
        assert_eq!(signature(0x0008_06EC), (6, 142, 12)); // i5-8265U, Whiskey Lake
        assert_eq!(signature(0x0000_206A7), (6, 42, 7)); // i5-2540M, Sandy Bridge
        assert_eq!(signature(0x0080_0F82), (23, 8, 2)); // Ryzen 7 2700, Pinnacle Ridge
        assert_eq!(signature(0x00A4_0F41), (25, 68, 1)); // Ryzen 7 PRO 6850U, Rembrandt
        assert_eq!(signature(0x0000_0F4A), (15, 4, 10)); // Pentium 4
    }

    #[test]
    fn flags_are_named_like_linux() {
        assert_eq!(flags(1 << 20 | 1 << 23, 1 << 5, 1 << 29), ["lm", "sse4_2", "popcnt", "avx2"]);
        assert!(flags(0, 0, 0).is_empty());
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn this_cpu_is_64_bit() {
        let (family, _, _, flags) = read();
        assert!(family > 0);
        assert!(flags.contains(&"lm".to_string()));
    }
}
