//! CPU generations and age estimates from real `dmidecode` dumps.
//!
//! The dumps are read in place from `../shared/fixtures/real/dmi/` (beside the
//! checkout; their licence does not allow copying them into the repository).
//! A missing directory fails the test: a skipped check would look like a pass.
//! The expected Windows 11 verdicts are those of the fixtures' README table.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use parc_model::{civil, Cpu};
use parc_readiness::age::{self, AgeEvidence, AgeSource, Confidence};
use parc_readiness::cpu;
use AgeSource::{Bios, Cpu as FromCpu, CpuAndBios};
use Confidence::{Low, Medium};

const DMI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/real/dmi");

/// What a dump's BIOS and processor sections say.
#[derive(Debug, Default)]
struct Dmi {
    /// `Release Date` as ISO `YYYY-MM-DD`; empty when missing or not a date.
    bios_release_date: String,
    cpu: Cpu,
}

/// A tiny `dmidecode` text reader: the first `BIOS Information` and the first
/// `Processor Information` section, `Key: Value` lines indented by one tab.
fn parse_dmi(text: &str) -> Dmi {
    let mut dmi = Dmi::default();
    let mut section = "";
    let (mut bios_done, mut cpu_done) = (false, false);
    for line in text.lines() {
        if !line.starts_with(['\t', ' ']) {
            if !line.trim().is_empty() && !line.starts_with("Handle ") {
                if section == "BIOS Information" {
                    bios_done = true;
                }
                if section == "Processor Information" {
                    cpu_done = true;
                }
                section = line.trim();
            }
            continue;
        }
        if line.starts_with("\t\t") {
            continue;
        }
        let Some((key, value)) = line.trim().split_once(':') else { continue };
        let value = value.trim();
        match (section, key) {
            ("BIOS Information", "Release Date") if !bios_done => {
                dmi.bios_release_date = us_date_to_iso(value).unwrap_or_default();
            }
            ("Processor Information", "Version") if !cpu_done => dmi.cpu.model = value.to_string(),
            ("Processor Information", "Manufacturer") if !cpu_done => dmi.cpu.vendor = value.to_string(),
            ("Processor Information", "Signature") if !cpu_done => {
                // "Type 0, Family 6, Model 142, Stepping 12" (Intel) or "Family 23, Model 1, Stepping 1" (AMD).
                for part in value.split(',') {
                    let mut words = part.split_whitespace();
                    let (Some(name), Some(number)) = (words.next(), words.next()) else { continue };
                    let Ok(number) = number.parse::<u32>() else { continue };
                    match name {
                        "Family" => dmi.cpu.family = number,
                        "Model" => dmi.cpu.model_number = number,
                        "Stepping" => dmi.cpu.stepping = number,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    dmi
}

/// `MM/DD/YYYY` (or `M/D/YYYY`, as QEMU writes it) to `YYYY-MM-DD`.
fn us_date_to_iso(text: &str) -> Option<String> {
    let mut parts = text.split('/');
    let month = parts.next()?.trim().parse().ok()?;
    let day = parts.next()?.trim().parse().ok()?;
    let year = parts.next()?.trim().parse().ok()?;
    civil::to_days(year, month, day).map(civil::iso)
}

/// One fixture and what readiness must make of it.
struct Expected {
    file: &'static str,
    bios: &'static str,
    /// Generation name, launch year, Windows 11; `None` when the CPU is unknown.
    generation: Option<(&'static str, u16, bool)>,
    since: &'static str,
    source: AgeSource,
    confidence: Confidence,
}

const fn row(
    file: &'static str,
    bios: &'static str,
    generation: Option<(&'static str, u16, bool)>,
    since: &'static str,
    source: AgeSource,
    confidence: Confidence,
) -> Expected {
    Expected { file, bios, generation, since, source, confidence }
}

#[rustfmt::skip]
const EXPECTED: [Expected; 13] = [
    row("laptop-dell-latitude-3310.txt", "2020-12-17",
        Some(("Intel Core 8th gen (Whiskey Lake)", 2018, true)), "2020-12-17", CpuAndBios, Medium),
    row("laptop-dell-latitude-e6420.txt", "2011-10-18",
        Some(("Intel Core 2nd gen (Sandy Bridge)", 2011, false)), "2011-10-18", CpuAndBios, Medium),
    row("desktop-dell-optiplex-7010.txt", "2012-09-19",
        Some(("Intel Pentium (Sandy Bridge)", 2011, false)), "2012-09-19", CpuAndBios, Medium),
    // Ryzen 1000 with a 2022 BIOS update: dated from the CPU.
    row("desktop-dell-optiplex-5055.txt", "2022-10-11",
        Some(("AMD Ryzen 1000 (Zen: Summit Ridge)", 2017, false)), "2018-07-01", FromCpu, Low),
    row("laptop-hp-elitebook-745-g5.txt", "2019-02-26",
        Some(("AMD Ryzen 2000 mobile (Zen: Raven Ridge)", 2018, true)), "2019-02-26", CpuAndBios, Medium),
    row("laptop-hp-probook-455-g7.txt", "2020-10-23",
        Some(("AMD Ryzen 4000 (Zen 2: Renoir)", 2020, true)), "2020-10-23", CpuAndBios, Medium),
    row("desktop-hp-elitedesk-705-g4-mt.txt", "2021-12-28",
        Some(("AMD Ryzen 2000 (Zen+: Pinnacle Ridge)", 2018, true)), "2019-07-01", FromCpu, Low),
    row("desktop-hp-prodesk-400-g7.txt", "2021-06-03",
        Some(("Intel Core 10th gen (Comet Lake)", 2020, true)), "2021-06-03", CpuAndBios, Medium),
    // Kaby Lake Celeron: same CPUID model as 8th-gen parts, not supported.
    row("laptop-lenovo-thinkpad-13-2nd-gen.txt", "2020-12-01",
        Some(("Intel Celeron (Kaby Lake)", 2017, false)), "2018-07-01", FromCpu, Low),
    row("laptop-lenovo-thinkpad-21ck.txt", "2023-03-21",
        Some(("AMD Ryzen 6000 (Zen 3+: Rembrandt)", 2022, true)), "2023-03-21", CpuAndBios, Medium),
    // Haswell Refresh i7-4790 (2014) with a 2020 BIOS update.
    row("desktop-lenovo-thinkcentre-e73.txt", "2020-04-17",
        Some(("Intel Core 4th gen (Haswell Refresh)", 2014, false)), "2015-07-01", FromCpu, Low),
    // Same Ryzen 7 2700 as the EliteDesk; its 2020 BIOS is inside the 2018..=2020 window, so it is believed.
    row("desktop-whitebox-asrock-ab350m-pro4.txt", "2020-07-27",
        Some(("AMD Ryzen 2000 (Zen+: Pinnacle Ridge)", 2018, true)), "2020-07-27", CpuAndBios, Medium),
    // QEMU guest: CPU "pc-q35-8.2", vendor QEMU, no signature; only the BIOS date is left.
    row("vm-qemu-standard-pc-q35.txt", "2022-02-02", None, "2022-02-02", Bios, Low),
];

fn dmi_dir() -> PathBuf {
    let dir = Path::new(DMI_DIR);
    assert!(
        dir.is_dir(),
        "the real dmidecode fixtures are missing: expected them in {} (the shared fixtures checkout \
         beside the repository, ../shared/fixtures/real/dmi)",
        dir.display()
    );
    dir.to_path_buf()
}

fn read_fixture(dir: &Path, file: &str) -> Dmi {
    let path = dir.join(file);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_dmi(&text)
}

#[test]
fn every_fixture_is_covered() {
    let dir = dmi_dir();
    let on_disk: BTreeSet<String> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".txt"))
        .collect();
    let expected: BTreeSet<String> = EXPECTED.iter().map(|e| e.file.to_string()).collect();
    assert_eq!(on_disk, expected, "every dump in {} needs an expected row", dir.display());
}

#[test]
fn generations_and_ages_from_real_dumps() {
    let dir = dmi_dir();
    let mut failures = Vec::new();
    for expected in &EXPECTED {
        let dmi = read_fixture(&dir, expected.file);
        let file = expected.file;
        if dmi.bios_release_date != expected.bios {
            failures
                .push(format!("{file}: BIOS date {:?}, expected {:?}", dmi.bios_release_date, expected.bios));
        }
        let generation = cpu::identify(&dmi.cpu);
        let got = generation.as_ref().map(|g| (g.name.as_str(), g.launch_year, g.windows11));
        if got != expected.generation {
            failures.push(format!("{file}: CPU {:?} identified as {got:?}", dmi.cpu.model));
        }
        let estimate = age::estimate(&AgeEvidence {
            purchase_day: None,
            cpu: Some(&dmi.cpu),
            bios_release_date: Some(&dmi.bios_release_date),
        });
        let got = estimate.as_ref().map(|e| (civil::iso(e.since_day), e.source, e.confidence));
        let want = Some((expected.since.to_string(), expected.source, expected.confidence));
        if got != want {
            failures.push(format!("{file}: age {got:?}, expected {want:?}"));
        }
        if let Some(estimate) = &estimate {
            if !estimate.evidence.contains(&dmi.bios_release_date) {
                failures.push(format!("{file}: evidence does not name the BIOS date: {}", estimate.evidence));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// With the name blanked, the CPUID signature alone either agrees with the
/// name's Windows 11 verdict or says nothing; it never contradicts it.
#[test]
fn cpuid_fallback_never_contradicts_the_name() {
    let dir = dmi_dir();
    let mut decided = Vec::new();
    for expected in &EXPECTED {
        let dmi = read_fixture(&dir, expected.file);
        let by_name = cpu::identify(&dmi.cpu);
        let blank = Cpu { model: String::new(), ..dmi.cpu.clone() };
        let by_cpuid = cpu::identify(&blank);
        if let (Some(name), Some(id)) = (&by_name, &by_cpuid) {
            assert_eq!(name.windows11, id.windows11, "{}: {name:?} vs {id:?}", expected.file);
            let gap = i32::from(name.launch_year) - i32::from(id.launch_year);
            assert!(gap.abs() <= 1, "{}: {name:?} vs {id:?}", expected.file);
        }
        decided.push((expected.file, by_cpuid.map(|g| g.windows11)));
    }
    // Decisive signatures: Sandy Bridge (6/42), Haswell (6/60), Comet Lake (6/165), Whiskey Lake (6/142/12),
    // every Zen part. Not decisive: the Kaby Lake Celeron's 6/142/9, and the QEMU guest (no signature).
    let undecided: Vec<&str> = decided.iter().filter(|(_, w)| w.is_none()).map(|(f, _)| *f).collect();
    assert_eq!(undecided, ["laptop-lenovo-thinkpad-13-2nd-gen.txt", "vm-qemu-standard-pc-q35.txt"]);
}
