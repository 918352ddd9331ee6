//! The software a simulated Windows PC reports: 150 to 600 entries, as real
//! ones do. A few dozen well-known applications (the shared catalogue), the
//! Appx packages every Windows install carries, runtimes and drivers, and a
//! long tail of business and utility software in which a few titles are on
//! most PCs and most titles on a few: the shape that makes a shared
//! catalogue pay.

use super::catalogue::CATALOGUE;
use parc_model::{SoftwarePackage, SoftwareSource};
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Entries per PC, inclusive.
pub const SOFTWARE_RANGE: (usize, usize) = (150, 600);

/// Appx packages of a stock Windows 10/11 install.
const APPX: &[&str] = &[
    "Microsoft.WindowsCalculator",
    "Microsoft.Windows.Photos",
    "Microsoft.WindowsStore",
    "Microsoft.WindowsCamera",
    "Microsoft.WindowsAlarms",
    "Microsoft.WindowsMaps",
    "Microsoft.WindowsSoundRecorder",
    "Microsoft.WindowsNotepad",
    "Microsoft.Paint",
    "Microsoft.ScreenSketch",
    "Microsoft.MicrosoftStickyNotes",
    "Microsoft.GetHelp",
    "Microsoft.Getstarted",
    "Microsoft.People",
    "Microsoft.ZuneMusic",
    "Microsoft.ZuneVideo",
    "Microsoft.YourPhone",
    "Microsoft.Xbox.TCUI",
    "Microsoft.XboxGameOverlay",
    "Microsoft.XboxGamingOverlay",
    "Microsoft.XboxIdentityProvider",
    "Microsoft.XboxSpeechToTextOverlay",
    "Microsoft.StorePurchaseApp",
    "Microsoft.DesktopAppInstaller",
    "Microsoft.HEIFImageExtension",
    "Microsoft.VP9VideoExtensions",
    "Microsoft.WebMediaExtensions",
    "Microsoft.WebpImageExtension",
    "Microsoft.RawImageExtension",
    "Microsoft.HEVCVideoExtension",
    "Microsoft.MicrosoftEdge.Stable",
    "Microsoft.MicrosoftOfficeHub",
    "Microsoft.MicrosoftSolitaireCollection",
    "Microsoft.BingWeather",
    "Microsoft.BingNews",
    "Microsoft.Todos",
    "Microsoft.PowerAutomateDesktop",
    "Microsoft.SecHealthUI",
    "Microsoft.WindowsTerminal",
    "Microsoft.Windows.DevHome",
    "Microsoft.OutlookForWindows",
    "Microsoft.549981C3F5F10",
    "Microsoft.UI.Xaml.2.7",
    "Microsoft.UI.Xaml.2.8",
    "Microsoft.VCLibs.140.00",
    "Microsoft.VCLibs.140.00.UWPDesktop",
    "Microsoft.NET.Native.Framework.2.2",
    "Microsoft.NET.Native.Runtime.2.2",
    "Microsoft.Services.Store.Engagement",
    "Microsoft.WindowsAppRuntime.1.4",
    "Microsoft.WindowsAppRuntime.1.5",
    "Microsoft.LanguageExperiencePackfr-FR",
    "Microsoft.Windows.CloudExperienceHost",
    "Microsoft.Windows.ShellExperienceHost",
    "Microsoft.Windows.StartMenuExperienceHost",
    "Microsoft.Windows.Search",
    "Microsoft.Windows.ContentDeliveryManager",
    "Microsoft.Windows.PeopleExperienceHost",
    "Microsoft.AAD.BrokerPlugin",
    "Microsoft.AccountsControl",
    "Microsoft.AsyncTextService",
    "Microsoft.BioEnrollment",
    "Microsoft.CredDialogHost",
    "Microsoft.ECApp",
    "Microsoft.LockApp",
    "Microsoft.Win32WebViewHost",
    "Microsoft.Windows.Apprep.ChxApp",
    "Microsoft.Windows.AssignedAccessLockApp",
    "Microsoft.Windows.CallingShellApp",
    "Microsoft.Windows.CapturePicker",
    "Microsoft.Windows.NarratorQuickStart",
    "Microsoft.Windows.OOBENetworkCaptivePortal",
    "Microsoft.Windows.ParentalControls",
    "Microsoft.Windows.PinningConfirmationDialog",
    "Microsoft.Windows.XGpuEjectDialog",
    "Microsoft.XboxGameCallableUI",
    "MicrosoftWindows.Client.CBS",
    "MicrosoftWindows.UndockedDevKit",
    "windows.immersivecontrolpanel",
    "Windows.PrintDialog",
    "Windows.CBSPreview",
    "NcsiUwpApp",
];

/// Runtimes found side by side on most business PCs.
const RUNTIMES: &[(&str, &str, u32)] = &[
    ("Microsoft Visual C++ 2005 Redistributable", "8.0.61001", 45),
    ("Microsoft Visual C++ 2008 Redistributable - x86 9.0.30729.6161", "9.0.30729.6161", 65),
    ("Microsoft Visual C++ 2008 Redistributable - x64 9.0.30729.6161", "9.0.30729.6161", 50),
    ("Microsoft Visual C++ 2010  x64 Redistributable - 10.0.40219", "10.0.40219", 55),
    ("Microsoft Visual C++ 2012 Redistributable (x86) - 11.0.61030", "11.0.61030.0", 60),
    ("Microsoft Visual C++ 2012 Redistributable (x64) - 11.0.61030", "11.0.61030.0", 55),
    ("Microsoft Visual C++ 2013 Redistributable (x64) - 12.0.40664", "12.0.40664.0", 65),
    ("Microsoft Visual C++ 2015-2022 Redistributable (x86) - 14.38.33135", "14.38.33135.0", 90),
    ("Microsoft Windows Desktop Runtime - 6.0.25 (x64)", "6.0.25.33020", 50),
    ("Microsoft Windows Desktop Runtime - 8.0.11 (x64)", "8.0.11.34221", 45),
    ("Microsoft .NET Runtime - 8.0.11 (x64)", "8.0.11.34221", 45),
    ("Microsoft ASP.NET Core 8.0.11 - Shared Framework (x64)", "8.0.11.24521", 20),
    ("Microsoft Edge WebView2 Runtime", "131.0.2903.70", 98),
    ("Microsoft Update Health Tools", "5.72.0.0", 80),
    ("Windows PC Health Check", "3.7.2204.15001", 35),
    ("Microsoft GameInput", "10.1.26100.3036", 40),
    ("Office 16 Click-to-Run Extensibility Component", "16.0.18129.20116", 55),
    ("Office 16 Click-to-Run Licensing Component", "16.0.18129.20158", 55),
    ("Microsoft OneDrive", "24.226.1110.0004", 85),
    ("Teams Machine-Wide Installer", "1.5.0.30767", 40),
];

/// Words the long tail's titles are made of: publishers and products as a
/// French public body's PCs show them.
const PUBLISHERS: &[&str] = &[
    "Berger-Levrault",
    "Inetum",
    "Sopra Steria",
    "Cegid",
    "Sage",
    "Ciril Group",
    "Arpège",
    "Docaposte",
    "Chorus Pro",
    "Agfa HealthCare",
    "Softway Medical",
    "Maincare",
    "Xerox",
    "Canon",
    "Ricoh",
    "Konica Minolta",
    "Brother",
    "Kyocera",
    "HP Inc.",
    "Dell Inc.",
    "Lenovo",
    "Intel Corporation",
    "Realtek",
    "NVIDIA Corporation",
    "AMD",
    "Synaptics",
    "Logitech",
    "Jabra",
    "EPOS",
    "Poly",
    "Zebra Technologies",
    "Dymo",
    "Adobe",
    "Autodesk",
    "Esri",
    "QGIS.org",
    "Mozilla",
    "Google LLC",
    "Oracle Corporation",
    "Notepad++ Team",
    "Simon Tatham",
    "WinSCP",
    "TeamViewer",
    "AnyDesk Software",
    "Ivanti",
    "Matrix42",
    "Stormshield",
    "WatchGuard",
    "Trend Micro",
    "Sophos",
    "Kaspersky",
    "GLPI Project",
    "OCS Inventory NG",
    "Fortinet",
    "Cisco Systems",
    "Citrix",
    "VMware",
    "Microsoft Corporation",
];
const PRODUCTS: &[&str] = &[
    "Client",
    "Agent",
    "Viewer",
    "Reader",
    "Driver",
    "Utility",
    "Update",
    "Connector",
    "Plugin",
    "Toolkit",
    "Suite",
    "Manager",
    "Scan",
    "Print",
    "Sign",
    "Portal",
    "Studio",
    "Runtime",
    "Service",
    "Assistant",
    "Module",
    "Companion",
];
const DOMAINS: &[&str] = &[
    "Paie",
    "RH",
    "Finances",
    "GED",
    "Courrier",
    "Etat civil",
    "Marchés",
    "Action sociale",
    "PMI",
    "Enfance",
    "Collèges",
    "Routes",
    "Patrimoine",
    "Archives",
    "Elections",
    "Subventions",
    "Transport scolaire",
    "Insertion",
    "Autonomie",
    "Cartographie",
    "Télétransmission",
    "Signature",
    "Visio",
    "Dictée",
    "Badge",
    "Imprimante",
    "Scanner",
    "Audio",
    "Webcam",
    "Chipset",
    "Bluetooth",
    "Wi-Fi",
    "Carte à puce",
    "Lecteur code-barres",
    "PDF",
    "Messagerie",
    "Agenda",
];

/// How many long-tail titles exist across the whole fleet.
const LONG_TAIL_TITLES: usize = 4000;

struct Title {
    name: String,
    publisher: &'static str,
    versions: Vec<String>,
}

fn long_tail() -> &'static [Title] {
    static TITLES: OnceLock<Vec<Title>> = OnceLock::new();
    TITLES.get_or_init(|| {
        (0..LONG_TAIL_TITLES)
            .map(|i| {
                let publisher = PUBLISHERS[i % PUBLISHERS.len()];
                let domain = DOMAINS[(i / PUBLISHERS.len()) % DOMAINS.len()];
                let product = PRODUCTS[(i / (PUBLISHERS.len() * DOMAINS.len()) + i) % PRODUCTS.len()];
                let short = publisher.split_whitespace().next().unwrap_or(publisher);
                let major = 1 + i % 17;
                // Popular titles get more versions in the field.
                let version_count = 1 + (LONG_TAIL_TITLES - i) * 4 / LONG_TAIL_TITLES;
                Title {
                    name: format!("{short} {domain} {product}"),
                    publisher,
                    versions: (0..version_count)
                        .map(|v| format!("{major}.{}.{}", v * 2, (i * 7 + v) % 100))
                        .collect(),
                }
            })
            .collect()
    })
}

/// The installed software of one simulated Windows PC.
pub fn installed(
    rng: &mut StdRng,
    windows11: bool,
    manufacturer: &str,
    install_years: (i32, i32),
) -> Vec<SoftwarePackage> {
    let target = rng.random_range(SOFTWARE_RANGE.0..=SOFTWARE_RANGE.1);
    let (first_year, last_year) = install_years;
    let date = |rng: &mut StdRng| {
        format!(
            "{}-{:02}-{:02}",
            rng.random_range(first_year..=last_year.max(first_year)),
            rng.random_range(1..=12),
            rng.random_range(1..=28)
        )
    };
    let mut packages = Vec::with_capacity(target);
    let push = |packages: &mut Vec<SoftwarePackage>,
                name: &str,
                version: &str,
                publisher: &str,
                source,
                arch: &str,
                date: String| {
        packages.push(SoftwarePackage {
            name: name.to_string(),
            version: version.to_string(),
            publisher: publisher.to_string(),
            install_date: date,
            source,
            architecture: arch.to_string(),
        })
    };
    for (name, publisher, versions, share) in CATALOGUE {
        if rng.random_range(0..100) < *share {
            let version = versions[rng.random_range(0..versions.len())];
            let d = date(rng);
            push(&mut packages, name, version, publisher, SoftwareSource::WindowsUninstall, "x64", d);
        }
    }
    for (name, version, share) in RUNTIMES {
        if rng.random_range(0..100) < *share {
            let d = date(rng);
            push(
                &mut packages,
                name,
                version,
                "Microsoft Corporation",
                SoftwareSource::WindowsUninstall,
                "x64",
                d,
            );
        }
    }
    let appx_build = if windows11 { "22631" } else { "19041" };
    for (i, name) in APPX.iter().enumerate() {
        if packages.len() >= target {
            break;
        }
        let version = format!("{}.{}.{}.0", 10 + i % 3, appx_build, 1000 + i * 37);
        push(
            &mut packages,
            name,
            &version,
            "CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US",
            SoftwareSource::Appx,
            "x64",
            String::new(),
        );
    }
    let titles = long_tail();
    let mut taken = HashSet::new();
    let mut tries = 0;
    while packages.len() < target && tries < target * 20 {
        tries += 1;
        // Cubed: index 0 is on most PCs, the last few on almost none.
        let u: f64 = rng.random();
        let index = ((u * u * u) * titles.len() as f64) as usize % titles.len();
        if !taken.insert(index) {
            continue;
        }
        let title = &titles[index];
        let version = &title.versions[rng.random_range(0..title.versions.len())];
        let publisher = if title.publisher == "Dell Inc."
            || title.publisher == "HP Inc."
            || title.publisher == "Lenovo"
        {
            manufacturer
        } else {
            title.publisher
        };
        let arch = if index.is_multiple_of(5) { "x86" } else { "x64" };
        let d = date(rng);
        push(&mut packages, &title.name, version, publisher, SoftwareSource::WindowsUninstall, arch, d);
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_pc_reports_150_to_600_entries_from_a_shared_catalogue() {
        let mut rng = StdRng::seed_from_u64(9);
        let mut distinct = HashSet::new();
        let mut total = 0;
        for _ in 0..200 {
            let packages = installed(&mut rng, true, "Dell Inc.", (2020, 2024));
            assert!((150..=600).contains(&packages.len()), "{} entries", packages.len());
            total += packages.len();
            for p in packages {
                distinct.insert((p.name, p.version, p.publisher, p.architecture));
            }
        }
        // Shared: far fewer distinct packages than installations.
        assert!(distinct.len() * 5 < total, "{} distinct of {total}", distinct.len());
    }
}
