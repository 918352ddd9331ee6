//! The CPU table and name parsing, on names as firmware and OSes write them.

use super::*;

/// Generation name, launch year and Windows 11 verdict (or launch year and verdict); `None`: unknown.
type Expected = Option<(&'static str, u16, bool)>;
type Verdict = Option<(u16, bool)>;

fn check(model: &str, expected: Expected) {
    let cpu = Cpu { model: model.to_string(), ..Cpu::default() };
    let got = identify(&cpu);
    let got = got.as_ref().map(|g| (g.name.as_str(), g.launch_year, g.windows11));
    assert_eq!(got, expected, "{model:?}");
}

#[test]
fn every_row_parses_with_a_plausible_year() {
    let (rows, errors) = parse_table(TABLE_CSV);
    assert_eq!(errors, vec![], "{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"));
    let data = TABLE_CSV.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
    assert_eq!(rows.len() + 1, data.count(), "every row but the header parsed");
    let mut keys = std::collections::BTreeSet::new();
    for row in &rows {
        let (year, name) = (row.generation.launch_year, &row.generation.name);
        assert!((2006..=2026).contains(&year), "{} {name}: year {year}", row.pattern);
        assert!(keys.insert((row.line, &row.pattern)), "duplicate row {} {}", row.line, row.pattern);
    }
}

#[test]
fn table_errors_name_the_line() {
    let text = "# c\nline,pattern,name,launch_year,windows11\ncore-i,2###@,X,2011\nfoo,1,X,2011,no\n\
                core-i,2#!,X,2011,no\ncore-i,2###,,2011,no\ncore-i,2###,X,soon,no\ncore-i,2###,X,2011,maybe\n";
    let (rows, errors) = parse_table(text);
    assert!(rows.is_empty());
    #[rustfmt::skip]
    assert_eq!(errors.iter().map(|e| e.to_string()).collect::<Vec<_>>(), [
        "line 3: expected 5 comma-separated fields, found 4",
        "line 4: line \"foo\" is not a known product line",
        "line 5: pattern \"2#!\" is not made of A-Z 0-9 - + # @ *",
        "line 6: name \"\" is not a name",
        "line 7: launch_year \"soon\" is not a year",
        "line 8: windows11 \"maybe\" is not yes or no",
    ]);
    let (_, errors) = parse_table("core-i,2###,X,2011,no\n");
    assert_eq!(errors, vec![TableError::MissingHeader { line: 1 }]);
}

#[test]
fn patterns_match_whole_model_numbers() {
    assert!(matches(b"8###@", b"8265U"));
    assert!(matches(b"8###@", b"8700"));
    assert!(!matches(b"8###@", b"82650"));
    assert!(matches(b"10##G#", b"1035G1"));
    assert!(!matches(b"10###@", b"1035G1"));
    assert!(matches(b"E3-1###@V5", b"E3-1505MV5"));
    assert!(!matches(b"E3-12##@", b"E3-1225V2"));
    assert!(matches(b"INTEL-6-42-*", b"INTEL-6-42-7"));
    assert!(!matches(b"INTEL-6-42-*", b"INTEL-6-142-7"));
    assert!(matches(b"*", b""));
    assert!(!matches(b"#", b""));
}

/// Model names as firmware and Windows report them, and the generation expected.
#[rustfmt::skip]
const NAMES: &[(&str, Expected)] = &[
    ("Intel(R) Core(TM) i5-8265U CPU @ 1.60GHz", Some(("Intel Core 8th gen (Whiskey Lake)", 2018, true))),
    ("Intel(R) Core(TM) i5-8250U CPU @ 1.60GHz", Some(("Intel Core 8th gen (Kaby Lake R/Coffee Lake)", 2017, true))),
    ("Intel(R) Core(TM) i5-2540M CPU @ 2.60GH", Some(("Intel Core 2nd gen (Sandy Bridge)", 2011, false))),
    ("Intel(R) Core(TM) i5 CPU       M 520  @ 2.40GHz", Some(("Intel Core 1st gen (Westmere: Clarkdale/Arrandale)", 2010, false))),
    ("Intel(R) Core(TM) i7 CPU         920  @ 2.67GHz", Some(("Intel Core 1st gen (Nehalem: Bloomfield)", 2008, false))),
    ("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz", Some(("Intel Core 11th gen (Tiger Lake)", 2020, true))),
    ("12th Gen Intel(R) Core(TM) i5-1235U", Some(("Intel Core 12th gen (Alder Lake)", 2022, true))),
    ("Intel(R) Core(TM) i7-10700 CPU @ 2.90GHz", Some(("Intel Core 10th gen (Comet Lake)", 2020, true))),
    ("Intel(R) Core(TM) i5-10210U CPU @ 1.60GHz", Some(("Intel Core 10th gen (Comet Lake)", 2019, true))),
    ("Intel(R) Core(TM) i5-1035G1 CPU @ 1.00GHz", Some(("Intel Core 10th gen (Ice Lake)", 2019, true))),
    ("12th Gen Intel(R) Core(TM) i5-12400", Some(("Intel Core 12th gen (Alder Lake)", 2022, true))),
    ("Intel(R) Core(TM) i7-4790 CPU @ 3.60GHz", Some(("Intel Core 4th gen (Haswell Refresh)", 2014, false))),
    ("Intel(R) Core(TM) i5-4570 CPU @ 3.20GHz", Some(("Intel Core 4th gen (Haswell)", 2013, false))),
    ("Intel(R) Core(TM) i7-7700 CPU @ 3.60GHz", Some(("Intel Core 7th gen (Kaby Lake)", 2017, false))),
    ("Intel(R) Core(TM) i7-7820HQ CPU @ 2.90GHz", Some(("Intel Core 7th gen (Kaby Lake)", 2017, false))),
    ("Intel(R) Core(TM) i9-7900X CPU @ 3.30GHz", Some(("Intel Core X-series (Skylake-X)", 2017, true))),
    ("Intel(R) Core(TM)2 Duo CPU     E8400  @ 3.00GHz", Some(("Intel Core 2 (Wolfdale)", 2008, false))),
    ("Intel(R) Core(TM)2 CPU          6600  @ 2.40GHz", Some(("Intel Core 2 (Conroe)", 2006, false))),
    ("Intel(R) Core(TM) Ultra 5 125U", Some(("Intel Core Ultra series 1 (Meteor Lake)", 2023, true))),
    ("Intel(R) Core(TM) Ultra 7 258V", Some(("Intel Core Ultra series 2 (Lunar Lake/Arrow Lake)", 2024, true))),
    ("Intel(R) Core(TM) 5 120U", Some(("Intel Core series 1 (Raptor Lake Refresh)", 2024, true))),
    ("Intel(R) Core(TM) m3-8100Y CPU @ 1.10GHz", Some(("Intel Core m 8th gen (Amber Lake)", 2018, true))),
    ("Intel(R) Core(TM) M-5Y71 CPU @ 1.20GHz", Some(("Intel Core M (Broadwell)", 2014, false))),
    ("Intel(R) Core(TM) i3-N305", Some(("Intel Core i3 N-series (Alder Lake-N)", 2023, true))),
    ("Intel(R) Pentium(R) CPU G630 @ 2.70GHz", Some(("Intel Pentium (Sandy Bridge)", 2011, false))),
    ("Intel(R) Celeron(R) CPU 3865U @ 1.80GHz", Some(("Intel Celeron (Kaby Lake)", 2017, false))),
    ("Intel(R) Celeron(R) CPU 3855U @ 1.60GHz", Some(("Intel Celeron (Skylake)", 2015, false))),
    ("Intel(R) Celeron(R) N4020 CPU @ 1.10GHz", Some(("Intel Celeron (Gemini Lake Refresh)", 2019, true))),
    ("Intel(R) Celeron(R) J4025 CPU @ 2.00GHz", Some(("Intel Celeron (Gemini Lake Refresh)", 2019, true))),
    ("Intel(R) Celeron(R) CPU  N3060  @ 1.60GHz", Some(("Intel Celeron (Braswell)", 2015, false))),
    ("Intel(R) Pentium(R) Silver N5000 CPU @ 1.10GHz", Some(("Intel Pentium Silver (Gemini Lake)", 2017, true))),
    ("Intel(R) Pentium(R) CPU 4415U @ 2.30GHz", Some(("Intel Pentium (Kaby Lake)", 2017, false))),
    ("Intel(R) Pentium(R) Gold G5400 CPU @ 3.70GHz", Some(("Intel Pentium Gold (Coffee Lake)", 2018, true))),
    ("Intel(R) Pentium(R) Gold 7505 @ 2.00GHz", Some(("Intel Pentium Gold (Tiger Lake)", 2020, true))),
    ("Intel(R) Atom(TM) x5-Z8350  CPU @ 1.44GHz", Some(("Intel Atom (Cherry Trail)", 2016, false))),
    ("Intel(R) N100", Some(("Intel Processor N-series (Alder Lake-N)", 2023, true))),
    ("Intel(R) Xeon(R) CPU E3-1225 v3 @ 3.20GHz", Some(("Intel Xeon E3 v3 (Haswell)", 2013, false))),
    ("Intel(R) Xeon(R) CPU E3-1505M v5 @ 2.80GHz", Some(("Intel Xeon E3 v5 (Skylake)", 2015, false))),
    ("Intel(R) Xeon(R) E-2176M  CPU @ 2.70GHz", Some(("Intel Xeon E (Coffee Lake)", 2018, true))),
    ("Intel(R) Pentium(R) 4 CPU 3.00GHz", None),
    ("QEMU Virtual CPU version 2.5+", None), ("pc-q35-8.2", None), ("Common KVM processor", None), ("", None),
    ("Genuine Intel(R) CPU 0000 @ 2.40GHz", None),
    ("AMD Ryzen 3 PRO 1300 Quad-Core Processor", Some(("AMD Ryzen 1000 (Zen: Summit Ridge)", 2017, false))),
    ("AMD Ryzen 7 PRO 2700U w/ Radeon Vega Mobile Gfx", Some(("AMD Ryzen 2000 mobile (Zen: Raven Ridge)", 2018, true))),
    ("AMD Ryzen 7 2700 Eight-Core Processor", Some(("AMD Ryzen 2000 (Zen+: Pinnacle Ridge)", 2018, true))),
    ("AMD Ryzen 5 2400G with Radeon Vega Graphics", Some(("AMD Ryzen 2000 G (Zen: Raven Ridge)", 2018, true))),
    ("AMD Ryzen 5 4500U with Radeon Graphics", Some(("AMD Ryzen 4000 (Zen 2: Renoir)", 2020, true))),
    ("AMD Ryzen 7 PRO 6850U with Radeon Graphics", Some(("AMD Ryzen 6000 (Zen 3+: Rembrandt)", 2022, true))),
    ("AMD Ryzen 9 5900X 12-Core Processor", Some(("AMD Ryzen 5000 (Zen 3: Vermeer)", 2020, true))),
    ("AMD Ryzen 7 7840U w/ Radeon 780M Graphics", Some(("AMD Ryzen 7000 (Zen 4: Phoenix / Zen 3+: Rembrandt-R)", 2023, true))),
    ("AMD Ryzen AI 7 PRO 360 w/ Radeon 880M", Some(("AMD Ryzen AI 300 (Zen 5: Strix Point/Krackan Point)", 2024, true))),
    ("AMD Ryzen AI 9 HX 370 w/ Radeon 890M", Some(("AMD Ryzen AI 300 (Zen 5: Strix Point/Krackan Point)", 2024, true))),
    ("AMD Ryzen AI Max+ PRO 395", Some(("AMD Ryzen AI Max (Zen 5: Strix Halo)", 2025, true))),
    ("AMD Ryzen Threadripper 1950X 16-Core Processor", Some(("AMD Ryzen Threadripper 1000 (Zen)", 2017, false))),
    ("AMD A10-7800 Radeon R7, 12 Compute Cores 4C+8G", Some(("AMD A-series (Kaveri)", 2014, false))),
    ("AMD A10 PRO-7800B R7, 12 Compute Cores 4C+8G", Some(("AMD A-series (Kaveri)", 2014, false))),
    ("AMD PRO A10-8770 R7, 10 Compute Cores 4C+6G", Some(("AMD A-series PRO (Bristol Ridge)", 2016, false))),
    ("AMD A6-3420M APU with Radeon(tm) HD Graphics", Some(("AMD A-series (Llano)", 2011, false))),
    ("AMD A9-9420 RADEON R5, 5 COMPUTE CORES 2C+3G", Some(("AMD A-series (Stoney Ridge)", 2016, false))),
    ("AMD E1-2100 APU with Radeon(TM) HD Graphics", Some(("AMD E-series (Kabini)", 2013, false))),
    ("AMD Athlon 200GE with Radeon Vega Graphics", Some(("AMD Athlon (Zen: Raven Ridge)", 2018, true))),
    ("AMD Athlon Silver 3050U with Radeon Graphics", Some(("AMD Athlon Silver (Zen: Dali)", 2020, true))),
    ("AMD Athlon 3000G with Radeon Vega Graphics", Some(("AMD Athlon (Zen: Raven Ridge)", 2019, true))),
    ("AMD Athlon(tm) II X2 250 Processor", None),
    ("AMD 3020e with Radeon Graphics", Some(("AMD 3000 (Zen: Dali)", 2020, true))),
];

#[test]
fn generations_from_model_names() {
    for (model, expected) in NAMES {
        check(model, *expected);
    }
}

/// Vendor, family, model, stepping and the verdict when the name says nothing.
#[rustfmt::skip]
const SIGNATURES: &[(&str, [u32; 3], Verdict)] = &[
    ("GenuineIntel", [6, 42, 7], Some((2011, false))),
    ("Intel(R) Corporation", [6, 165, 5], Some((2020, true))),
    ("GenuineIntel", [6, 142, 9], None), // Kaby Lake U and 8th-gen Amber Lake share 6/142/9
    ("GenuineIntel", [6, 158, 9], None), // Kaby Lake S and 8th-gen Kaby Lake-G share 6/158/9
    ("AuthenticAMD", [23, 1, 1], Some((2017, false))),
    ("Advanced Micro Devices, Inc.", [23, 17, 0], Some((2018, true))),
    ("AuthenticAMD", [6, 42, 7], None), // AMD family 6 is an Athlon XP: the vendor decides
    ("QEMU", [6, 154, 4], None),
    ("GenuineIntel", [0, 0, 0], None),
    ("", [6, 42, 7], None),
];

#[test]
fn cpuid_is_a_conservative_fallback() {
    for &(vendor, [family, model_number, stepping], expected) in SIGNATURES {
        let model = "QEMU Virtual CPU version 2.5+".to_string();
        let cpu = Cpu { model, vendor: vendor.to_string(), family, model_number, stepping, ..Cpu::default() };
        let got = identify(&cpu).map(|g| (g.launch_year, g.windows11));
        assert_eq!(got, expected, "{vendor} {family}/{model_number}/{stepping}");
    }
    // A name the table knows wins over the signature (6/142/12 alone would say 2018, supported).
    let (model, vendor) = ("Intel(R) Celeron(R) CPU 3865U @ 1.80GHz".into(), "GenuineIntel".into());
    let cpu = Cpu { model, vendor, family: 6, model_number: 142, stepping: 12, ..Cpu::default() };
    assert_eq!(identify(&cpu).map(|g| (g.launch_year, g.windows11)), Some((2017, false)));
}

/// Odd names, and fragments for pseudo-random ones, that reach every branch of the name reader.
const ODD: &str = "| |@|@@@|Core|CORE i|i5-|Core(TM) i5-|Core(TM) i5 CPU M|A10-|AMD A10|AMD A10 PRO-|AMD E-|Ryzen|\
                   Ryzen 9|Ryzen AI|Xeon v2|Atom X5-|Core 2|Core 5-|Core M-|Core m3-|Intel N|Intel NN|AMD|AMD 3|\
                   (R)(TM)(C)|Ultra|----|++++|Core(TM) i5-\u{0}\u{7}|Core™ i7-8565U|Intel® Core™ i5-1235U|\
                   Ryzen 5 𝟒𝟓𝟎𝟎𝐔|ï5-8265U|Core i5-99999999999999999999999999999999999999|Celeron(R) CPU 1.80GHz|\
                   Core(TM)2 Duo T";
const PARTS: &str =
    "Intel|AMD|Core|(TM)|i5-|i7|CPU|M|520|8265U|Ryzen|5|PRO|AI|Max+|Xeon|E3-1225|v3|A10-|E1-|Atom|\
                     x5-Z8350|@|2.6|-|Ultra|N100|Celeron|Pentium|Athlon|X4|Threadripper|é|,|(|#|*";

#[test]
fn odd_input_never_panics() {
    let mut names: Vec<String> = ODD.split('|').map(str::to_string).collect();
    names.push("Intel Core i7-".repeat(500));
    let parts: Vec<&str> = PARTS.split('|').collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        let mut name = String::new();
        for _ in 0..(state % 7) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            name.push_str(parts[(state % parts.len() as u64) as usize]);
            name.push_str(if state.is_multiple_of(3) { " " } else { "" });
        }
        state = state.wrapping_add(1);
        names.push(name);
    }
    for (i, name) in names.iter().enumerate() {
        let vendor = ["GenuineIntel", "AuthenticAMD", "", "QEMU"][i % 4].to_string();
        let family = [0, 6, 23, 25, u32::MAX][i % 5];
        let (model_number, stepping) = ((i as u32).wrapping_mul(2_654_435_761), i as u32 % 17);
        let cpu = Cpu { model: name.clone(), vendor, family, model_number, stepping, ..Cpu::default() };
        let _ = identify(&cpu);
    }
}
