//! The Linux collectors against fixture trees (`tests/fixtures/linux/`),
//! against hostile files, and against the live machine.

#![cfg(target_os = "linux")]

use parc_agent::collect::{collect, CollectOptions};
use parc_model::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn fixture(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux").join(kind)
}

async fn collect_from(root: &Path) -> Inventory {
    collect(
        &CollectOptions { root: root.to_path_buf(), section_timeout: Duration::from_secs(30) },
        1_796_200_000,
    )
    .await
}

fn unknown_reason(inventory: &Inventory, section: Section) -> Option<&str> {
    inventory.unknown_sections.iter().find(|u| u.section == section).map(|u| u.reason.as_str())
}

#[tokio::test]
async fn laptop_with_luks_tpm2_secure_boot_wifi_and_a_worn_battery() {
    let inv = collect_from(&fixture("laptop")).await;
    assert_eq!(inv.hostname, "MDSETA-L0042");
    assert_eq!(inv.machine_id, "8f3c2a1b9d4e4f5a8b7c6d5e4f3a2b1c");

    let system = inv.system.as_ref().unwrap();
    assert_eq!((system.manufacturer.as_str(), system.model.as_str()), ("Dell Inc.", "Latitude 3310"));
    assert_eq!(system.chassis, ChassisKind::Laptop);
    assert_eq!(system.bios_release_date, "2020-12-17");

    let os = inv.os.as_ref().unwrap();
    assert_eq!(
        (os.name.as_str(), os.version.as_str(), os.kernel.as_str()),
        ("Ubuntu", "22.04", "6.5.0-41-generic")
    );
    assert_eq!(os.last_boot, 1_796_100_000);

    let cpu = inv.cpu.as_ref().unwrap();
    assert_eq!(cpu.model, "Intel(R) Core(TM) i5-8265U CPU @ 1.60GHz");
    assert_eq!((cpu.physical_cores, cpu.logical_threads, cpu.frequency_mhz), (4, 8, 1600));
    assert_eq!((cpu.family, cpu.model_number, cpu.stepping), (6, 142, 12));
    assert_eq!(cpu.flags, ["lm", "sse4_2", "popcnt", "avx2"]);

    let memory = inv.memory.as_ref().unwrap();
    assert_eq!(memory.total_bytes, 7_972_140 * 1024);
    assert_eq!(
        memory.modules,
        [MemoryModule { slot: "DIMM A".into(), size_bytes: 8 << 30, kind: "DDR4".into(), speed_mts: 2666 }],
        "the empty slot is not a module"
    );

    let disks = inv.disks.as_ref().unwrap();
    assert_eq!(disks.len(), 1, "loop and dm devices are not disks: {disks:?}");
    assert_eq!(disks[0].name, "nvme0n1");
    assert_eq!(disks[0].kind, StorageKind::Nvme);
    assert_eq!(disks[0].size_bytes, 500_118_192 * 512);
    assert_eq!(disks[0].model, "KBG40ZNS256G NVMe KIOXIA 256GB");
    assert_eq!(disks[0].serial_number, "X0AS10AGT6QP");
    assert!(disks[0].holds_os, "root is LVM on LUKS on nvme0n1p3");

    let security = inv.security.as_ref().unwrap();
    assert_eq!(
        security,
        &Security {
            tpm_present: true,
            tpm_version: "2.0".into(),
            firmware: Firmware::Uefi,
            secure_boot: SecureBoot::On,
            system_disk_encryption: DiskEncryption::Luks,
        }
    );

    let nics = inv.network_interfaces.as_ref().unwrap();
    let nic =
        |name: &str| nics.iter().find(|n| n.name == name).unwrap_or_else(|| panic!("{name} in {nics:?}"));
    assert_eq!(nic("enp0s31f6").kind, InterfaceKind::Wired);
    assert_eq!(nic("enp0s31f6").link_speed_mbps, Some(100));
    assert_eq!(nic("enp0s31f6").duplex, Duplex::Full);
    assert_eq!(nic("enp0s31f6").driver, "e1000e");
    assert_eq!(nic("wlp2s0").kind, InterfaceKind::Wireless);
    assert_eq!(nic("wlp2s0").link_speed_mbps, None);
    assert_eq!(nic("wlp2s0").driver, "iwlwifi");
    assert_eq!(nic("docker0").kind, InterfaceKind::Virtual);

    let batteries = inv.batteries.as_ref().unwrap();
    assert_eq!(batteries.len(), 1, "the mouse's battery is not the laptop's: {batteries:?}");
    assert_eq!((batteries[0].design_capacity_mwh, batteries[0].full_charge_capacity_mwh), (42_002, 31_120));
    assert_eq!(batteries[0].health_percent(), Some(74));

    let users = inv.users.as_ref().unwrap();
    assert_eq!(users.logged_in, ["marie.dubois"]);
    assert_eq!(users.last_logged_in, "marie.dubois");

    let software = inv.software.as_ref().unwrap();
    let listed: Vec<(&str, &str, SoftwareSource)> =
        software.iter().map(|p| (p.name.as_str(), p.version.as_str(), p.source)).collect();
    assert_eq!(
        listed,
        [
            ("firefox", "1:1snap1-0ubuntu2", SoftwareSource::Dpkg),
            ("libreoffice-writer", "1:7.3.7-0ubuntu0.22.04.5", SoftwareSource::Dpkg),
            ("network-manager-openconnect", "1.2.8-1", SoftwareSource::Dpkg),
            ("org.zoiper.Zoiper5", "5.6.6", SoftwareSource::Flatpak),
            ("firefox", "125.0.2-1", SoftwareSource::Snap),
        ],
        "config-files only is not installed; the real Firefox is the snap"
    );
    assert_eq!(software[1].publisher, "Debian");

    assert_eq!(unknown_reason(&inv, Section::Volumes), Some("volumes are read from the live system only"));
    let peripherals = inv.peripherals.as_ref().unwrap();
    let audio: Vec<(&str, bool, DeviceBus)> =
        peripherals.audio.iter().map(|a| (a.name.as_str(), a.headset, a.bus)).collect();
    assert_eq!(
        audio,
        [
            ("Plantronics Blackwire 3210 Series", true, DeviceBus::Usb),
            ("HDA Intel PCH", false, DeviceBus::Internal)
        ],
        "the USB card is listed once, from its descriptors"
    );
    assert_eq!(peripherals.cameras.len(), 1);
    assert_eq!(
        (peripherals.cameras[0].name.as_str(), peripherals.cameras[0].usb_id.as_str()),
        ("Integrated_Webcam_HD", "0bda:5520")
    );
}

#[tokio::test]
async fn desktop_on_legacy_bios_with_tpm_1_2_an_hdd_and_a_usb_stick() {
    let inv = collect_from(&fixture("desktop")).await;
    assert_eq!(inv.machine_id, "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "falls back to the D-Bus machine id");
    let system = inv.system.as_ref().unwrap();
    assert_eq!(system.model, "ThinkCentre E73", "Lenovo's model name is in the version field");
    assert_eq!(system.serial_number, "PC0ABCDE");
    assert_eq!(system.smbios_uuid, "4c4c4544-0042-3510-8048-b4c04f4e3232");
    assert_eq!(system.chassis, ChassisKind::Desktop);

    let disks = inv.disks.as_ref().unwrap();
    let names: Vec<&str> = disks.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sda", "sdb"], "the optical drive is not a disk");
    assert_eq!((disks[0].kind, disks[0].holds_os, disks[0].removable), (StorageKind::Hdd, true, false));
    assert_eq!((disks[1].holds_os, disks[1].removable), (false, true));

    let security = inv.security.as_ref().unwrap();
    assert_eq!((security.tpm_present, security.tpm_version.as_str()), (true, "1.2"));
    assert_eq!((security.firmware, security.secure_boot), (Firmware::Bios, SecureBoot::Unsupported));
    assert_eq!(security.system_disk_encryption, DiskEncryption::None);

    assert_eq!(
        inv.batteries.as_deref(),
        Some(&[][..]),
        "a desktop has no battery, which is known, not unknown"
    );
    assert_eq!(inv.network_interfaces.as_ref().unwrap()[0].link_speed_mbps, Some(100));
    assert_eq!(inv.cpu.as_ref().unwrap().frequency_mhz, 3600);
    let notes = inv.software.as_ref().unwrap().iter().find(|p| p.name == "lotus-notes").unwrap();
    assert_eq!((notes.version.as_str(), notes.architecture.as_str()), ("9.0.1", "i386"));
    assert!(unknown_reason(&inv, Section::Users).is_some(), "no utmp: unknown, not nobody");
}

#[tokio::test]
async fn vm_captured_from_a_real_debian_guest() {
    let inv = collect_from(&fixture("vm")).await;
    assert_eq!(inv.os.as_ref().unwrap().name, "Debian GNU/Linux");
    assert!(unknown_reason(&inv, Section::System).unwrap().contains("no DMI"));
    let disks = inv.disks.as_ref().unwrap();
    assert_eq!(disks.len(), 1);
    assert_eq!((disks[0].name.as_str(), disks[0].holds_os), ("vda", true));
    assert_eq!(inv.security.as_ref().unwrap().firmware, Firmware::Bios);
    let software = inv.software.as_ref().unwrap();
    assert!(software.len() > 500, "{} packages", software.len());
    assert!(software.iter().any(|p| p.name == "bash"));
    let eth0 = &inv.network_interfaces.as_ref().unwrap()[0];
    assert_eq!(
        (eth0.name.as_str(), eth0.kind, eth0.driver.as_str()),
        ("eth0", InterfaceKind::Wired, "virtio_net")
    );
    // The whole inventory still crosses the wire.
    parc_proto::convert::inventory_from_wire(parc_proto::convert::inventory_to_wire(&inv)).unwrap();
}

#[tokio::test]
async fn hostile_files_give_a_bounded_valid_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |rel: &str, bytes: &[u8]| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    // A 1 GB dpkg status file (sparse: costs no disk), binary junk in DMI,
    // a huge vendor string, garbage cpuinfo, a non-UTF-8 interface name.
    let status = root.join("var/lib/dpkg/status");
    std::fs::create_dir_all(status.parent().unwrap()).unwrap();
    std::fs::File::create(&status).unwrap().set_len(1 << 30).unwrap();
    write("sys/class/dmi/id/sys_vendor", &[0xff, 0xfe, 0x00, 0x07, b'H', b'P', 0x1b, 0x9b]);
    write("sys/class/dmi/id/product_name", "X".repeat(50_000).as_bytes());
    write("sys/class/dmi/id/chassis_type", b"\x00\x01garbage");
    write("proc/cpuinfo", &[0u8; 3000]);
    write("proc/meminfo", b"MemTotal: lots kB\n");
    write("etc/os-release", &[0xc3, 0x28, b'\n', b'N', b'A', b'M', b'E', b'=', 0xe2, 0x82]);
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"eth\xff0");
        let dir = root.join("sys/class/net").join(odd);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("address"), b"zz:\xff\n").unwrap();
    }

    let inv = collect_from(root).await;
    let software_reason = unknown_reason(&inv, Section::Software).unwrap();
    assert!(software_reason.contains("larger than 256 MiB"), "{software_reason}");
    let system = inv.system.as_ref().unwrap();
    assert_eq!(system.manufacturer, "\u{fffd}\u{fffd}HP\u{fffd}", "control characters dropped");
    assert!(system.model.len() <= parc_proto::limits::MAX_STRING_LEN);
    assert_eq!(system.chassis, ChassisKind::Unknown);
    assert!(unknown_reason(&inv, Section::Cpu).is_some());
    assert!(unknown_reason(&inv, Section::Memory).unwrap().contains("MemTotal"));
    let nic = &inv.network_interfaces.as_ref().unwrap()[0];
    assert_eq!(nic.name, "eth\u{fffd}0");
    // Whatever came in, the report is valid on the wire (the runner supplies
    // a generated machine id when the OS has none).
    let mut inv = inv;
    inv.machine_id = "generated-by-the-runner".into();
    parc_proto::convert::inventory_from_wire(parc_proto::convert::inventory_to_wire(&inv)).unwrap();
}

// ---- accuracy on the machine running the tests -----------------------------

fn command_stdout(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is needed for this test (Debian CI has it): {e}"));
    assert!(output.status.success(), "{program} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn on_this_machine_packages_ram_and_disks_match_the_system_tools() {
    let inv = collect_from(Path::new("/")).await;

    let installed = command_stdout("dpkg-query", &["-W", "-f", "${db:Status-Status}\\n"])
        .lines()
        .filter(|status| *status == "installed")
        .count();
    assert_eq!(inv.software.as_ref().unwrap().len(), installed, "package count vs dpkg-query");

    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(inv.memory.as_ref().unwrap().total_bytes, kib * 1024, "RAM vs /proc/meminfo");

    let mut expected: Vec<(String, u64)> =
        command_stdout("lsblk", &["-d", "-b", "-n", "-o", "NAME,SIZE,TYPE"])
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.len() == 3 && fields[2] == "disk" && !fields[0].starts_with("zram"))
                    .then(|| (fields[0].to_string(), fields[1].parse().unwrap()))
            })
            .collect();
    let mut found: Vec<(String, u64)> =
        inv.disks.as_ref().unwrap().iter().map(|d| (d.name.clone(), d.size_bytes)).collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "disks vs lsblk");
    assert_eq!(
        inv.disks.as_ref().unwrap().iter().filter(|d| d.holds_os).count(),
        1,
        "exactly one disk holds the OS"
    );
}
