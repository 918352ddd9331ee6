//! The Linux package: `deploy/build-deb` packs the agent the suite built;
//! its metadata, files, permissions, conffile and maintainer scripts are
//! read back with dpkg-deb, and its unit file passes `systemd-analyze
//! verify` (no warning) and `systemd-analyze security` (exposure "OK").

use parc_e2e::{bin, text};
use std::path::Path;
use std::process::Command;

fn run(program: &str, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} is missing ({e}): ./scripts/test installs it"));
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn the_deb_holds_the_agent_a_hardened_unit_and_its_config() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let agent = bin("parc-agent");
    let (ok, stdout, stderr) = run(
        repo.join("deploy/build-deb").to_str().unwrap(),
        &["--binary", agent.to_str().unwrap(), "--out", out.to_str().unwrap()],
    );
    assert!(ok, "build-deb failed: {stderr}");
    let deb = stdout.trim().to_string();
    assert!(deb.ends_with(".deb") && Path::new(&deb).is_file(), "{deb}");

    let (ok, info, stderr) = run("dpkg-deb", &["--info", &deb]);
    assert!(ok, "{stderr}");
    let version = env!("CARGO_PKG_VERSION");
    for line in ["Package: parc-agent", &format!("Version: {version}"), "Section: admin", "Depends: libc6"] {
        assert!(info.contains(line), "no {line:?} in\n{info}");
    }

    let (ok, contents, stderr) = run("dpkg-deb", &["--contents", &deb]);
    assert!(ok, "{stderr}");
    let entry = |path: &str| {
        contents
            .lines()
            .find(|l| l.ends_with(path))
            .unwrap_or_else(|| panic!("{path} is not in the package:\n{contents}"))
            .to_string()
    };
    assert!(entry("./usr/bin/parc-agent").starts_with("-rwxr-xr-x root/root"));
    assert!(entry("./lib/systemd/system/parc-agent.service").starts_with("-rw-r--r-- root/root"));
    assert!(
        entry("./etc/parc/agent.toml").starts_with("-rw------- root/root"),
        "the config may hold the secret"
    );

    // Unpacked: the conffile, the scripts, and the agent itself runs.
    let unpacked = dir.path().join("root");
    let (ok, _, stderr) = run("dpkg-deb", &["--raw-extract", &deb, unpacked.to_str().unwrap()]);
    assert!(ok, "{stderr}");
    let conffiles = std::fs::read_to_string(unpacked.join("DEBIAN/conffiles")).unwrap();
    assert_eq!(conffiles.trim(), "/etc/parc/agent.toml");
    for script in ["postinst", "prerm", "postrm"] {
        let (ok, _, stderr) = run("sh", &["-n", unpacked.join("DEBIAN").join(script).to_str().unwrap()]);
        assert!(ok, "{script} is not valid sh: {stderr}");
    }
    let postrm = std::fs::read_to_string(unpacked.join("DEBIAN/postrm")).unwrap();
    assert!(postrm.contains("rm -rf /var/lib/parc-agent"), "purge forgets the node key");
    let installed_agent = unpacked.join("usr/bin/parc-agent");
    let (ok, version_line, _) = run(installed_agent.to_str().unwrap(), &["--version"]);
    assert!(ok && version_line.contains(version), "{version_line}");
    let config = unpacked.join("etc/parc/agent.toml");
    let (_, _, stderr) = run(
        installed_agent.to_str().unwrap(),
        &[
            "run",
            "--once",
            "--config",
            config.to_str().unwrap(),
            "--state-dir",
            dir.path().join("s").to_str().unwrap(),
        ],
    );
    assert!(!stderr.contains("unknown field"), "the packaged config reads: {stderr}");

    // The unit: systemd reads it without a word, and finds it well confined.
    let unit = std::fs::read_to_string(unpacked.join("lib/systemd/system/parc-agent.service")).unwrap();
    for hardening in
        ["NoNewPrivileges=yes", "ProtectSystem=strict", "StateDirectory=parc-agent", "Restart=on-failure"]
    {
        assert!(unit.contains(hardening), "{hardening}");
    }
    let checked = dir.path().join("parc-agent.service");
    std::fs::write(&checked, unit.replace("/usr/bin/parc-agent", installed_agent.to_str().unwrap())).unwrap();
    let (ok, stdout, stderr) = run("systemd-analyze", &["verify", "--man=no", checked.to_str().unwrap()]);
    assert!(ok && stderr.trim().is_empty() && stdout.trim().is_empty(), "verify: {stdout}{stderr}");
    let (_, security, stderr) =
        run("systemd-analyze", &["security", "--offline=yes", checked.to_str().unwrap()]);
    let exposure: f64 = security
        .lines()
        .chain(stderr.lines())
        .find_map(|l| l.split("Overall exposure level for parc-agent.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in {security}{stderr}"));
    assert!(exposure <= 5.0, "exposure {exposure}: systemd calls above 5 MEDIUM\n{security}");
}
