//! The Windows agent for real, under Wine: cross-built `parc-agent.exe`
//! collects in a fresh Wine prefix (Windows 10 mode) and lists the software
//! in Wine's registry, then enrolls and reports to a real parc-server.
//!
//! Needs `wine` and `x86_64-w64-mingw32-gcc` (Debian: wine64,
//! gcc-mingw-w64-x86-64) and the exe built by `./scripts/test`.

use parc_e2e::*;
use parc_model::{Inventory, SoftwareSource};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// target/x86_64-pc-windows-gnu/debug/parc-agent.exe
fn windows_agent_exe() -> PathBuf {
    let linux_bin = bin("parc-server");
    let profile_dir = linux_bin.parent().unwrap();
    let profile = profile_dir.file_name().unwrap();
    let exe =
        profile_dir.parent().unwrap().join("x86_64-pc-windows-gnu").join(profile).join("parc-agent.exe");
    assert!(
        exe.exists(),
        "{} is missing: ./scripts/test cross-builds it (cargo build --target x86_64-pc-windows-gnu -p parc-agent)",
        exe.display()
    );
    exe
}

struct WinePrefix {
    prefix: tempfile::TempDir,
    app: tempfile::TempDir,
}

impl WinePrefix {
    /// A fresh prefix in Windows 10 mode, with the agent and the test-only
    /// bcryptprimitives.dll stand-in (see tests/wine/) side by side.
    fn new() -> WinePrefix {
        let prefix = tempfile::tempdir().unwrap();
        let app = tempfile::tempdir().unwrap();
        let wine_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("wine");
        let dll = app.path().join("bcryptprimitives.dll");
        let gcc = Command::new("x86_64-w64-mingw32-gcc")
            .args(["-shared", "-O2", "-o"])
            .arg(&dll)
            .arg(wine_dir.join("bcryptprimitives.c"))
            .arg(wine_dir.join("bcryptprimitives.def"))
            .arg("-ladvapi32")
            .output()
            .expect("x86_64-w64-mingw32-gcc is needed (Debian package gcc-mingw-w64-x86-64)");
        assert!(gcc.status.success(), "building the stand-in DLL failed: {}", text(&gcc.stderr));
        std::fs::copy(windows_agent_exe(), app.path().join("parc-agent.exe")).unwrap();
        let wine = WinePrefix { prefix, app };
        wine.run("wineboot", &["-i"]);
        wine.run("wineserver", &["-w"]);
        wine.run("wine", &["winecfg", "-v", "win10"]);
        // Also where an installed parc-agent.exe finds it.
        std::fs::copy(&dll, wine.prefix.path().join("drive_c/windows/system32/bcryptprimitives.dll"))
            .unwrap();
        wine
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("WINEPREFIX", self.prefix.path())
            .env("WINEDEBUG", "-all")
            .env_remove("DISPLAY")
            .env("RUST_LOG", "info")
            .current_dir(self.app.path());
        command
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let output = self.command(program).args(args).output().unwrap_or_else(|e| {
            panic!("{program} is needed (Debian package wine64): {e}");
        });
        assert!(output.status.success(), "{program} {args:?} failed: {}", text(&output.stderr));
        output
    }

    fn reg_add(&self, key: &str, name: &str, kind: &str, data: &str) {
        self.run("wine", &["reg", "add", key, "/v", name, "/t", kind, "/d", data, "/f"]);
    }

    fn reg_key(&self, key: &str) {
        self.run("wine", &["reg", "add", key, "/f"]);
    }

    /// `wine sc ARGS`, its output through a file: `sc start` may be the
    /// call that starts Wine's services.exe, which would then hold a pipe
    /// open for as long as it runs.
    fn sc(&self, args: &[&str]) -> String {
        let out = self.app.path().join("sc.out");
        let file = std::fs::File::create(&out).unwrap();
        let status = self
            .command("wine")
            .arg("sc")
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .expect("wine is needed (Debian package wine64)");
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        assert!(status.success(), "wine sc {args:?} failed: {text}");
        text
    }

    /// Wine stops its services when its last ordinary process ends: an
    /// agent retrying against nothing keeps the prefix alive while held.
    fn keep_alive(&self) -> KeepAlive {
        let child = self
            .command("wine")
            .args(["parc-agent.exe", "run", "--server", "http://127.0.0.1:1", "--splay", "0s"])
            .args(["--state-dir", r"C:\keepalive"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("wine is needed (Debian package wine64)");
        KeepAlive(child)
    }

    /// `wine msiexec ARGS /l*v LOG`: whether it succeeded, and the log.
    fn msiexec(&self, args: &[&str], log: &Path) -> (bool, String) {
        let status = self
            .command("wine")
            .arg("msiexec")
            .args(args)
            .args(["/l*v", &wine_path(log)])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("wine is needed (Debian package wine64)");
        let bytes = std::fs::read(log).unwrap_or_default();
        (status.success(), String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The installed service's state, or `None` when there is no such service.
    fn service_state(&self) -> Option<String> {
        let out = self.app.path().join("query.out");
        let file = std::fs::File::create(&out).unwrap();
        let status = self
            .command("wine")
            .args(["sc", "query", "ParcAgent"])
            .stdin(std::process::Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .unwrap();
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        status.success().then_some(text)
    }

    fn drive_c(&self, path: &str) -> PathBuf {
        self.prefix.path().join("drive_c").join(path)
    }

    fn agent(&self, args: &[&str]) -> Output {
        self.command("wine").arg("parc-agent.exe").args(args).output().expect("run wine")
    }
}

struct KeepAlive(std::process::Child);

impl Drop for KeepAlive {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WinePrefix {
    fn drop(&mut self) {
        let _ = self.command("wineserver").arg("-k").output();
    }
}

const UNINSTALL: &str = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall";
const UNINSTALL_32: &str = r"HKLM\Software\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall";
const UNINSTALL_USER: &str = r"HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall";

#[test]
fn the_windows_agent_collects_under_wine_and_reports_to_a_real_server() {
    let wine = WinePrefix::new();
    wine.reg_add(&format!(r"{UNINSTALL}\ParcTest64"), "DisplayName", "REG_SZ", "Parc Test 64");
    wine.reg_add(&format!(r"{UNINSTALL}\ParcTest64"), "DisplayVersion", "REG_SZ", "6.4.0");
    wine.reg_add(&format!(r"{UNINSTALL}\ParcTest64"), "Publisher", "REG_SZ", "Département de Test");
    wine.reg_add(&format!(r"{UNINSTALL}\ParcTest64"), "InstallDate", "REG_SZ", "20241102");
    wine.reg_add(&format!(r"{UNINSTALL_32}\ParcTest32"), "DisplayName", "REG_SZ", "Parc Test 32");
    wine.reg_add(&format!(r"{UNINSTALL_USER}\ParcUser"), "DisplayName", "REG_SZ", "Parc Per-User App");
    wine.reg_add(&format!(r"{UNINSTALL}\ParcHidden"), "DisplayName", "REG_SZ", "Hidden component");
    wine.reg_add(&format!(r"{UNINSTALL}\ParcHidden"), "SystemComponent", "REG_DWORD", "1");
    wine.reg_add(&format!(r"{UNINSTALL}\KB0000001"), "DisplayName", "REG_SZ", "Update for Parc Test 64");
    wine.reg_add(&format!(r"{UNINSTALL}\KB0000001"), "ParentKeyName", "REG_SZ", "ParcTest64");

    wine.reg_key(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Appx\AppxAllUserStore\Applications\Contoso.Softphone_2.1.0.0_x64__abcdefghijklm");

    let collected = wine.agent(&["collect"]);
    assert!(collected.status.success(), "collect failed: {}", text(&collected.stderr));
    let inventory: Inventory =
        serde_json::from_slice(&collected.stdout).expect("collect prints an inventory");
    parc_proto::convert::inventory_from_wire(parc_proto::convert::inventory_to_wire(&inventory))
        .expect("a valid inventory on the wire");

    let os = inventory.os.as_ref().expect("OS section");
    assert_eq!(os.name, "Windows");
    assert!(os.version.starts_with("10"), "winecfg -v win10: {os:?}");
    let guid = text(
        &wine
            .run("wine", &["reg", "query", r"HKLM\Software\Microsoft\Cryptography", "/v", "MachineGuid"])
            .stdout,
    );
    assert!(
        guid.to_lowercase().contains(&inventory.machine_id),
        "machine id {} not in {guid}",
        inventory.machine_id
    );
    assert!(inventory.memory.as_ref().unwrap().total_bytes > 0);
    let cpu = inventory.cpu.as_ref().expect("CPU section");
    assert!(cpu.family > 0 && cpu.flags.contains(&"lm".to_string()), "CPUID signature and flags: {cpu:?}");

    // WMI answers under Wine: its disks, its sound device, the console user.
    let disks = inventory.disks.as_ref().expect("disks from Win32_DiskDrive");
    assert!(!disks.is_empty() && disks.iter().all(|d| d.size_bytes > 0), "{disks:?}");
    assert_eq!(disks.iter().filter(|d| d.holds_os).count(), 1, "the disk holding C: is found: {disks:?}");
    let peripherals = inventory.peripherals.as_ref().expect("peripherals from Win32_SoundDevice");
    assert!(!peripherals.audio.is_empty(), "{peripherals:?}");
    let nics = inventory.network_interfaces.as_ref().expect("adapters from GetAdaptersAddresses");
    assert!(
        nics.iter().any(|n| !n.mac_address.is_empty() && n.addresses.iter().any(|a| a.contains('/'))),
        "an adapter with its MAC and addresses: {nics:?}"
    );
    let users = inventory.users.as_ref().expect("users from Win32_ComputerSystem");
    assert!(!users.logged_in.is_empty(), "{users:?}");
    assert!(inventory.batteries.is_some(), "Win32_Battery answers: no battery is a known answer");
    // Wine has no TPM provider: the section must say unknown, with the reason,
    // rather than claim there is no TPM.
    if inventory.security.is_none() {
        let reason = inventory.unknown_sections.iter().find(|u| u.section == parc_model::Section::Security);
        assert!(
            reason.is_some_and(|u| u.reason.contains("MicrosoftTpm")),
            "{:?}",
            inventory.unknown_sections
        );
    }

    let software = inventory.software.as_ref().expect("software section");
    let find = |name: &str| software.iter().find(|p| p.name == name);
    let x64 = find("Parc Test 64").unwrap_or_else(|| panic!("64-bit entry missing from {software:?}"));
    assert_eq!(
        (x64.version.as_str(), x64.publisher.as_str(), x64.install_date.as_str(), x64.architecture.as_str()),
        ("6.4.0", "Département de Test", "2024-11-02", "x64")
    );
    assert_eq!(x64.source, SoftwareSource::WindowsUninstall);
    assert_eq!(find("Parc Test 32").map(|p| p.architecture.as_str()), Some("x86"));
    assert_eq!(find("Parc Per-User App").map(|p| p.source), Some(SoftwareSource::WindowsUserUninstall));
    assert!(find("Hidden component").is_none(), "system components are not programs");
    let appx = find("Contoso.Softphone").unwrap_or_else(|| panic!("Appx package missing from {software:?}"));
    assert_eq!((appx.version.as_str(), appx.source), ("2.1.0.0", SoftwareSource::Appx));
    assert!(find("Update for Parc Test 64").is_none(), "updates are not programs");
    let unknown: Vec<_> = inventory.unknown_sections.iter().map(|u| u.section).collect();
    assert!(!unknown.contains(&parc_model::Section::Software), "{unknown:?}");

    // The same exe enrolls and reports to a real server on loopback.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let report = wine.agent(&[
        "run",
        "--once",
        "--server",
        &server.url,
        "--enroll-secret",
        SECRET,
        "--state-dir",
        r"C:\ProgramData\Parc\state",
    ]);
    assert!(report.status.success(), "agent run under Wine failed: {}", text(&report.stderr));
    let devices = devices_json(&server.url);
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["os_name"], "Windows");
    assert_eq!(devices[0]["hostname"], serde_json::Value::String(inventory.hostname.clone()));
    assert!(wine.prefix.path().join("drive_c/ProgramData/Parc/state/agent-state.json").exists());
    server.stop();
}

/// The Windows path of a file in the prefix's view of the Linux tree.
fn wine_path(path: &Path) -> String {
    format!("Z:{}", path.display()).replace('/', "\\")
}

#[test]
fn the_windows_service_starts_reports_and_stops_under_wine() {
    let wine = WinePrefix::new();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("parc.db"));
    let config_dir = wine.prefix.path().join("drive_c/ProgramData/Parc");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("agent.toml"),
        format!(
            "server_url = \"{}\"\nenroll_secret = \"{SECRET}\"\nsplay = \"0s\"\nstate_dir = 'C:\\ProgramData\\Parc\\state'\n",
            server.url
        ),
    )
    .unwrap();
    let _keep_alive = wine.keep_alive();
    let exe = wine_path(&wine.app.path().join("parc-agent.exe"));
    wine.sc(&["create", "ParcAgent", "binPath=", &format!("{exe} service"), "start=", "demand"]);
    let started = wine.sc(&["start", "ParcAgent"]);
    assert!(started.contains("RUNNING"), "{started}");

    // The service enrolls and reports on its own.
    let deadline = std::time::Instant::now() + PATIENCE;
    while devices_json(&server.url).is_empty() {
        assert!(std::time::Instant::now() < deadline, "the service never reported");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
    let query = wine.sc(&["query", "ParcAgent"]);
    assert!(query.contains("RUNNING"), "still running after its report: {query}");

    // Stop: it ends the wait between reports at once and exits cleanly.
    wine.sc(&["stop", "ParcAgent"]);
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let query = wine.sc(&["query", "ParcAgent"]);
        if query.contains("STOPPED") {
            assert!(query.contains("WIN32_EXIT_CODE    : 0"), "{query}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the service did not stop: {query}");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let log = std::fs::read_to_string(config_dir.join("state/agent.log")).unwrap();
    assert!(
        log.contains("report sent") && log.contains("service stopped") && log.contains("code=0"),
        "{log}"
    );
    // The state directory's protected ACL was applied (SetFileSecurityW).
    assert!(!log.contains("cannot restrict permissions"), "{log}");

    // Outside the Service Control Manager, `service` says what to do
    // (while the keep-alive runs: this call must not start Wine's services).
    let outside = wine.agent(&["service"]);
    assert!(!outside.status.success());
    assert!(text(&outside.stderr).contains("use `parc-agent run`"), "{}", text(&outside.stderr));
}

/// deploy/build-msi with the cross-built exe, at `version`.
fn build_msi(out: &Path, version: &str) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/build-msi");
    let output = Command::new(script)
        .args(["--binary", windows_agent_exe().to_str().unwrap(), "--out", out.to_str().unwrap()])
        .args(["--version", version])
        .output()
        .expect("run deploy/build-msi");
    assert!(output.status.success(), "build-msi failed: {}", text(&output.stderr));
    PathBuf::from(text(&output.stdout).trim())
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

fn agent_state(wine: &WinePrefix) -> serde_json::Value {
    std::fs::read(wine.drive_c("ProgramData/Parc/state/agent-state.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn the_msi_installs_configures_upgrades_and_uninstalls_the_agent_under_wine() {
    let wine = WinePrefix::new();
    let dir = tempfile::tempdir().unwrap();
    let (v1, v2) = (build_msi(&dir.path().join("v1"), "0.1.0"), build_msi(&dir.path().join("v2"), "0.1.1"));
    let server = Server::start(&dir.path().join("parc.db"));
    let exe = wine.drive_c("Program Files/Parc/parc-agent.exe");
    let config = wine.drive_c("ProgramData/Parc/agent.toml");
    let log = dir.path().join("msi.log");

    // Without SERVER_URL, or with one that is not a URL: the install fails
    // at its launch condition and leaves nothing.
    for args in [vec![], vec!["SERVER_URL=parc.cd91.local:4750".to_string()]] {
        let mut command = vec!["/i".to_string(), wine_path(&v1), "/qn".to_string()];
        command.extend(args);
        let command: Vec<&str> = command.iter().map(String::as_str).collect();
        let (ok, text) = wine.msiexec(&command, &log);
        assert!(!ok, "installed without a valid SERVER_URL");
        assert!(text.contains("LaunchConditions. Return value 0"), "{text}");
        assert!(!exe.exists() && wine.service_state().is_none());
    }
    // One that passes that check but that the agent refuses: the install
    // fails in `parc-agent configure` and is rolled back.
    let (ok, text_log) = wine.msiexec(&["/i", &wine_path(&v1), "/qn", "SERVER_URL=https://"], &log);
    assert!(!ok && text_log.contains("LaunchConditions. Return value 1"), "{text_log}");
    assert!(!exe.exists() && wine.service_state().is_none(), "rolled back");
    let launch =
        Command::new("msiinfo").args(["export", v1.to_str().unwrap(), "LaunchCondition"]).output().unwrap();
    assert!(text(&launch.stdout).contains("SERVER_URL is missing or malformed"), "Windows logs this message");

    // A key the properties do not name is kept: no splay, for the test.
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "splay = \"0s\"\n").unwrap();
    let _keep_alive = wine.keep_alive();

    let url = format!("SERVER_URL={}", server.url);
    let secret = format!("ENROLL_SECRET={SECRET}");
    let (ok, install_log) =
        wine.msiexec(&["/i", &wine_path(&v1), "/qn", &url, &secret, "TAGS=pilot,MDS-ETAMPES"], &log);
    assert!(ok, "{install_log}");
    // Windows Installer keeps MsiHiddenProperties out of its log; Wine's
    // msiexec logs every property regardless, so the table is what is checked.
    let properties =
        Command::new("msiinfo").args(["export", v1.to_str().unwrap(), "Property"]).output().unwrap();
    let properties = text(&properties.stdout);
    assert!(properties.contains("MsiHiddenProperties\tENROLL_SECRET"), "{properties}");
    assert!(
        properties.contains("SecureCustomProperties\t")
            && properties.contains(";SERVER_URL;ENROLL_SECRET;CA_FILE")
    );
    assert!(exe.exists());
    let written = std::fs::read_to_string(&config).unwrap();
    assert!(
        written.contains(&format!("server_url = \"{}\"", server.url))
            && written.contains(&format!("enroll_secret = \"{SECRET}\""))
            && written.contains("splay = \"0s\"")
            && written.contains(r#"labels = ["pilot", "MDS-ETAMPES"]"#),
        "{written}"
    );
    // Wine's sc has no `qc`: the service's registry key says the same.
    let registered = wine.run("wine", &["reg", "query", r"HKLM\System\CurrentControlSet\Services\ParcAgent"]);
    let registered = text(&registered.stdout);
    let value = |name: &str| {
        registered
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .map(|l| l.trim().to_string())
            .unwrap_or_default()
    };
    assert!(
        value("ImagePath").contains(r"C:\Program Files\Parc\parc-agent.exe")
            && value("ImagePath").ends_with("service"),
        "{registered}"
    );
    assert!(value("Start").ends_with("0x2"), "automatic start: {registered}");
    assert!(value("ObjectName").ends_with("LocalSystem"), "{registered}");
    // Restart on failure: `configure` sets it through the Service Control
    // Manager, which answers under Wine but does not store it (its
    // ChangeServiceConfig2 ignores failure actions). Run again by hand, it
    // says whether the call went through.
    let again =
        wine.command("wine").args([r"C:\Program Files\Parc\parc-agent.exe", "configure"]).output().unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("restart on failure set"), "{}", text(&again.stderr));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        written,
        "configure without values changes nothing"
    );

    // The installed service enrolls and reports on its own.
    wait_for("the service's first report", || devices_json(&server.url).len() == 1);
    // Its labels, searchable.
    let labelled =
        run("parc", &["--server", &server.url, "devices", "-q", "label:mds-etampes", "--output", "json"]);
    assert!(labelled.status.success(), "{}", text(&labelled.stderr));
    let labelled: Vec<serde_json::Value> = serde_json::from_slice(&labelled.stdout).unwrap();
    assert_eq!(labelled.len(), 1);
    assert_eq!(labelled[0]["labels"], "pilot,MDS-ETAMPES");
    assert!(wine.service_state().is_some_and(|state| state.contains("RUNNING")));
    wait_for("the saved enrollment", || !agent_state(&wine)["enrollment"].is_null());
    let enrollment = agent_state(&wine)["enrollment"].clone();

    // A major upgrade with no properties: same configuration, same node
    // key, one product, and the service back and reporting.
    let sequence = agent_state(&wine)["sequence"].as_u64().unwrap();
    let (ok, upgrade_log) = wine.msiexec(&["/i", &wine_path(&v2), "/qn"], &log);
    assert!(ok, "{upgrade_log}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), written, "the upgrade keeps the configuration");
    let products = wine
        .run("wine", &["reg", "query", r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall", "/s"]);
    let products = text(&products.stdout);
    assert_eq!(products.matches("Parc agent").count(), 1, "the old version is gone: {products}");
    assert!(products.contains("0.1.1"), "{products}");
    wait_for("a report from the upgraded service", || {
        agent_state(&wine)["sequence"].as_u64().is_some_and(|now| now > sequence)
    });
    assert_eq!(agent_state(&wine)["enrollment"], enrollment, "the same node key, not a new enrollment");
    assert_eq!(devices_json(&server.url).len(), 1);

    // Uninstall: the service and the program go; the configuration and the
    // node key stay for a reinstall.
    let (ok, uninstall_log) = wine.msiexec(&["/x", &wine_path(&v2), "/qn"], &log);
    assert!(ok, "{uninstall_log}");
    assert!(wine.service_state().is_none(), "the service is removed");
    assert!(!exe.exists(), "the program is removed");
    assert!(config.exists() && wine.drive_c("ProgramData/Parc/state/agent-state.json").exists());
    server.stop();
}
