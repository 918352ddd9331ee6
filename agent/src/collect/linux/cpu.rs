//! /proc/cpuinfo → the CPU section.

use crate::collect::parse::sanitize;
use parc_model::{Cpu, REPORTED_CPU_FLAGS};
use std::collections::HashSet;

pub fn parse_cpuinfo(text: &str) -> Result<Cpu, String> {
    let mut logical = 0u32;
    let mut cores: HashSet<(String, String)> = HashSet::new();
    let mut first: Vec<(&str, &str)> = Vec::new();
    let mut current_physical = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match key {
            "processor" => logical += 1,
            "physical id" => current_physical = value.to_string(),
            "core id" => {
                cores.insert((current_physical.clone(), value.to_string()));
            }
            _ => {}
        }
        if logical == 1 {
            first.push((key, value));
        }
    }
    if logical == 0 {
        return Err("/proc/cpuinfo lists no processor".into());
    }
    let field = |name: &str| first.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or("");
    let number = |name: &str| field(name).parse::<u32>().unwrap_or(0);
    let model = sanitize(field("model name"));
    let flags: HashSet<&str> = field("flags").split_whitespace().collect();
    let physical_cores = match cores.len() {
        0 => number("cpu cores").max(1),
        n => u32::try_from(n).unwrap_or(u32::MAX),
    };
    Ok(Cpu {
        frequency_mhz: rated_mhz(&model)
            .unwrap_or_else(|| field("cpu MHz").parse::<f64>().map(|f| f as u32).unwrap_or(0)),
        model,
        vendor: sanitize(field("vendor_id")),
        physical_cores,
        logical_threads: logical,
        family: number("cpu family"),
        model_number: number("model"),
        stepping: number("stepping"),
        flags: REPORTED_CPU_FLAGS.iter().filter(|f| flags.contains(*f)).map(|f| f.to_string()).collect(),
    })
}

/// The rated frequency in the model name ("... @ 2.60GHz"), which is the
/// base frequency; "cpu MHz" is whatever the core runs at this instant.
fn rated_mhz(model: &str) -> Option<u32> {
    let after = model.rsplit_once('@')?.1.trim();
    let ghz: f64 = after.strip_suffix("GHz")?.trim().parse().ok()?;
    Some((ghz * 1000.0).round() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CORES_FOUR_THREADS: &str = "\
processor\t: 0
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 42
model name\t: Intel(R) Core(TM) i5-2540M CPU @ 2.60GHz
stepping\t: 7
cpu MHz\t\t: 800.000
physical id\t: 0
core id\t\t: 0
cpu cores\t: 2
flags\t\t: fpu vme lm sse4_1 sse4_2 popcnt avx

processor\t: 1
physical id\t: 0
core id\t\t: 0
processor\t: 2
physical id\t: 0
core id\t\t: 1
processor\t: 3
physical id\t: 0
core id\t\t: 1
";

    #[test]
    fn cores_threads_signature_and_flags() {
        let cpu = parse_cpuinfo(TWO_CORES_FOUR_THREADS).unwrap();
        assert_eq!((cpu.physical_cores, cpu.logical_threads), (2, 4));
        assert_eq!((cpu.family, cpu.model_number, cpu.stepping), (6, 42, 7));
        assert_eq!(cpu.flags, ["lm", "sse4_2", "popcnt"]);
        assert_eq!(cpu.frequency_mhz, 2600, "rated, not the idle 800 MHz");
        assert_eq!(cpu.vendor, "GenuineIntel");
    }

    #[test]
    fn an_empty_or_garbage_cpuinfo_is_an_error_not_a_panic() {
        assert!(parse_cpuinfo("").is_err());
        assert!(parse_cpuinfo("\u{0}\u{1}binary junk without colons").is_err());
        let odd = parse_cpuinfo("processor: 0\nmodel name: @ notGHz\ncpu family: x\n").unwrap();
        assert_eq!((odd.family, odd.frequency_mhz, odd.physical_cores), (0, 0, 1));
    }
}
