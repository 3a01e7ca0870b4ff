//! The `till` binary as a script or support engineer uses it.

use std::process::Command;

fn till() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_till"));
    // Never pick up a developer's own config or home directory.
    cmd.env_remove("TILL_CONFIG")
        .env("HOME", std::env::temp_dir().join("till-cli-test-home"))
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("till-cli-test-home/none"),
        );
    cmd
}

#[test]
fn help_lists_every_subcommand_with_a_purpose() {
    let out = till().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["config", "help"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(sub))
            .unwrap_or_else(|| panic!("{sub} missing from --help:\n{text}"));
        assert!(
            line.split_whitespace().count() > 2,
            "{sub} has no purpose: {line}"
        );
    }
    let version = till().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("till {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_3() {
    let out = till().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn config_init_then_check_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("till/config.toml");
    let out = till().args(["config", "init"]).arg(&path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a file holding keys is owner-only");
    }
    let check = till()
        .arg("--config")
        .arg(&path)
        .args(["config", "check"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(check.stdout).unwrap();
    assert!(check.status.success(), "{stdout}");
    assert!(stdout.contains("configuration is usable"), "{stdout}");

    // A second init never overwrites a store's real config.
    let again = till().args(["config", "init"]).arg(&path).output().unwrap();
    assert_eq!(again.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn check_explains_each_problem_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = till::config::EXAMPLE
        .replace("id = \"T01\"", "id = \"t-1\"")
        .replace("hash_iv = \"EkRm7iFT261dpevs\"", "hash_iv = \"short\"");
    till::config::create_private(&path, &text).unwrap();
    let out = till()
        .arg("--config")
        .arg(&path)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("terminal.id"), "{stdout}");
    assert!(stdout.contains("gateways.ecpay.hash_iv"), "{stdout}");
    assert!(
        !stdout.contains("short\""),
        "the bad key itself is not echoed: {stdout}"
    );
}

#[cfg(unix)]
#[test]
fn a_world_readable_config_with_keys_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, till::config::EXAMPLE).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = till()
        .arg("--config")
        .arg(&path)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(
        !stderr.contains("2AA6B9B6"),
        "no key in the message: {stderr}"
    );
}

#[test]
fn no_config_means_demo_mode() {
    let out = till().args(["config", "check"]).output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("demo mode"));
}
