//! `till` as a scripting user pipes and parses it: a reader that goes away,
//! JSON listings that say whether more follow, amounts, refund words,
//! completions, man page and version. Each runs the real binary.

use crate::cli_support::plain_locale;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn till() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_till"));
    plain_locale(&mut cmd);
    cmd.env_remove("TILL_CONFIG")
        .env_remove("XDG_DATA_HOME")
        .env("HOME", std::env::temp_dir().join("till-cli-scripting-home"))
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("till-cli-scripting-home/none"),
        );
    cmd
}

fn at(config: &Path) -> Command {
    let mut cmd = till();
    cmd.arg("--config").arg(config);
    cmd
}

/// A store config whose journal lives in `dir`, with `sales` cash sales of
/// today and a manager.
fn store_with_sales(dir: &Path, sales: usize) -> PathBuf {
    let path = dir.join("config.toml");
    let text = till::config::EXAMPLE.replace(
        "# path = \"/var/lib/till/journal.sqlite3\"",
        &format!(
            "path = {:?}",
            dir.join("journal.sqlite3").display().to_string()
        ),
    );
    till::config::create_private(&path, &text).unwrap();
    let config = till::config::load(&path).unwrap();
    let source = till::config::Source::File(path.clone());
    let mut t = till::terminal::Terminal::open(&config, &source).unwrap();
    let pin = till::secret::Secret::new("2468");
    t.journal_mut()
        .add_user("王小明", till::journal::Role::Manager, &pin, "test")
        .unwrap();
    t.sign_in("王小明", &pin).unwrap();
    for i in 0..sales {
        let mut cart = till::sale::Cart::new();
        let price = till::Ntd::new(80 + i as i64);
        cart.add(till::sale::Line::new("4710000000028", "拿鐵", 1, price).unwrap())
            .unwrap();
        t.cash_sale(&cart, price).unwrap();
    }
    path
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A pipe (read end, write end), both closed on exec so that no other
/// child keeps an end open.
#[cfg(target_os = "linux")]
fn pipe() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills in two new descriptors, which the Files own.
    unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    }
}

/// The command with its standard output a pipe whose reader is already
/// gone: the first write fails with EPIPE.
#[cfg(target_os = "linux")]
fn into_closed_pipe(cmd: &mut Command) -> Output {
    let (reader, writer) = pipe();
    drop(reader);
    cmd.stdout(writer)
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Every command that writes to standard output, into a closed pipe: no
/// panic, no "Broken pipe" message, and the exit code the command has
/// when it is read (a script's `|| …` still means the same).
#[cfg(target_os = "linux")]
#[test]
fn a_closed_pipe_never_panics_and_keeps_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = store_with_sales(dir.path(), 3);
    let commands: &[&[&str]] = &[
        &["history"],
        &["history", "--json"],
        &["history", "--all", "--json"],
        &["history", "--trade", "TLT0126010100001"],
        &["user", "list"],
        &["user", "list", "--json"],
        &["report", "x", "--json"],
        &["journal", "verify"],
        &["journal", "path"],
        &["config", "check"],
        &["config", "path"],
        &["einvoice", "status", "--json"],
        &["einvoice", "roll", "list", "--json"],
        &["late-payments", "--json"],
        &["classify", "22J111111111111111", "--context", "tendering"],
        &["completions", "bash"],
        &["man"],
        &["--version"],
        &["--help"],
        &["history", "--help"],
    ];
    for args in commands {
        let read = at(&cfg).args(*args).output().unwrap();
        let closed = into_closed_pipe(at(&cfg).args(*args));
        let stderr = String::from_utf8_lossy(&closed.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "till {args:?} into a closed pipe:\n{}",
            text(&closed)
        );
        assert_eq!(
            closed.status.code(),
            read.status.code(),
            "till {args:?}: the same exit code whether read or not\n{}",
            text(&closed)
        );
    }
}

/// `till history … | head -2`: a real reader takes two lines and goes away
/// while the listing is still being written (the pipe is made small so
/// the listing cannot fit in it).
#[cfg(target_os = "linux")]
#[test]
fn a_reader_that_leaves_after_two_lines_ends_the_listing_quietly() {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    let cfg = store_with_sales(dir.path(), 120);
    let (mut reader, writer) = pipe();
    // SAFETY: F_SETPIPE_SZ on a pipe we own; 4096 is the smallest size.
    let size = unsafe { libc::fcntl(writer.as_raw_fd(), libc::F_SETPIPE_SZ, 4096) };
    assert!(size >= 4096);
    let child = at(&cfg)
        .args(["history", "--limit", "1000"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // The listing is about 120 × 70 bytes: more than the pipe holds, so
    // the child is still writing when the reader leaves.
    let mut lines = 0;
    let mut byte = [0u8; 1];
    while lines < 2 {
        reader.read_exact(&mut byte).unwrap();
        lines += usize::from(byte[0] == b'\n');
    }
    drop(reader);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.to_lowercase().contains("pipe"),
        "ends quietly: {stderr}"
    );
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

/// A page of `history --json` says whether more follow and gives the
/// cursor for them; following the cursors lists every sale once, in
/// order; `--all --json` streams them all, one object per line.
#[test]
fn json_listings_say_whether_more_follow_and_how_to_get_them() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = store_with_sales(dir.path(), 5);
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut cmd = at(&cfg);
        cmd.args(["history", "--json", "--limit", "2"]);
        if let Some(c) = &after {
            cmd.args(["--after", c]);
        }
        let page = json(&cmd.output().unwrap());
        pages += 1;
        for s in page["items"].as_array().unwrap() {
            seen.push(s["sale_no"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(c) => {
                assert_eq!(page["more"], true);
                after = Some(c.to_string());
            }
            None => {
                assert_eq!(page["more"], false);
                break;
            }
        }
    }
    assert_eq!(pages, 3, "2 + 2 + 1");
    assert_eq!(seen.len(), 5);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "each sale once, oldest first");

    // The text listing says how to get the rest.
    let page = at(&cfg).args(["history", "--limit", "2"]).output().unwrap();
    let out = String::from_utf8_lossy(&page.stdout);
    assert!(out.contains("--after "), "{out}");

    let all = at(&cfg)
        .args(["history", "--all", "--json"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(all.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let streamed: Vec<&str> = lines
        .iter()
        .map(|s| s["sale_no"].as_str().unwrap())
        .collect();
    assert_eq!(streamed, seen);

    let bad = at(&cfg)
        .args(["history", "--json", "--after", "yesterday"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(3), "{}", text(&bad));

    // Listings that are never cut short say so.
    for args in [
        &["user", "list", "--json"][..],
        &["late-payments", "--json"],
        &["einvoice", "roll", "list", "--json"],
    ] {
        let v = json(&at(&cfg).args(args).output().unwrap());
        assert_eq!(v["more"], false, "{args:?}");
        assert!(v["next"].is_null(), "{args:?}");
        assert!(v["items"].is_array(), "{args:?}");
    }
    let users = json(&at(&cfg).args(["user", "list", "--json"]).output().unwrap());
    assert_eq!(users["items"][0]["name"], "王小明");
}

/// Amounts are plain digits: a sign, a leading zero, a comma or a decimal
/// point is refused with a message that says so, before anything is sent.
#[test]
fn amounts_with_a_sign_or_leading_zero_are_refused() {
    let home = tempfile::tempdir().unwrap();
    // ("-85" never gets this far: clap takes it for an option.)
    for bad in ["+85", "085", "1,000", "85.0", " 85", ""] {
        let out = till()
            .env("HOME", home.path())
            .args(["pay", "--amount", bad, "--barcode", "22J111111111111111"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{bad:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("plain digits"), "{bad:?}: {err}");
        let refund = till()
            .env("HOME", home.path())
            .args(["refund", "--trade", "T0126010100001", "--reason", "x"])
            .args(["--amount", bad])
            .output()
            .unwrap();
        assert_eq!(refund.status.code(), Some(3), "{bad:?}: {}", text(&refund));
        assert!(String::from_utf8_lossy(&refund.stderr).contains("plain digits"));
    }
    // Nothing reached the journal: no sale was opened for a refused amount.
    let history = till()
        .env("HOME", home.path())
        .args(["history", "--json"])
        .output()
        .unwrap();
    assert_eq!(json(&history)["items"].as_array().unwrap().len(), 0);
}

/// `till simulate` in the background (one set of simulator books for
/// several `till` runs) and a store config whose gateways are its
/// simulators, with its journal in `dir` and a manager 王小明 (PIN 2468).
struct Simulated {
    child: std::process::Child,
    config: PathBuf,
}

impl Simulated {
    fn start(dir: &Path) -> Simulated {
        use std::io::BufRead;
        // `till simulate` keeps the demo's durable books under HOME: a home
        // of this test's own, so no other test's (or run's) payments are
        // already booked under the same trade numbers.
        let mut child = till()
            .env("HOME", dir.join("home"))
            .arg("simulate")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut snippet = String::new();
        let mut inside = false;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if line.starts_with("# Ctrl-C") {
                break;
            }
            if inside {
                snippet.push_str(&line);
                snippet.push('\n');
            }
            inside |= line.starts_with("# 貼入設定檔");
        }
        let example = till::config::EXAMPLE;
        let (head, rest) = example.split_at(example.find("[gateways.jkopay]").unwrap());
        let tail = &rest[rest.find("[printer]").unwrap()..];
        let text = format!("{head}{snippet}\n{tail}").replace(
            "# path = \"/var/lib/till/journal.sqlite3\"",
            &format!(
                "path = {:?}",
                dir.join("journal.sqlite3").display().to_string()
            ),
        );
        let config = dir.join("config.toml");
        till::config::create_private(&config, &text).unwrap();
        let cfg = till::config::load(&config).unwrap();
        let source = till::config::Source::File(config.clone());
        let mut t = till::terminal::Terminal::open(&cfg, &source).unwrap();
        t.journal_mut()
            .add_user(
                "王小明",
                till::journal::Role::Manager,
                &till::secret::Secret::new("2468"),
                "test",
            )
            .unwrap();
        Simulated { child, config }
    }
}

impl Drop for Simulated {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A refund speaks of a refund, in JSON and in text, and prints no empty
/// gateway number line.
#[test]
fn a_refund_is_reported_in_refund_words() {
    let dir = tempfile::tempdir().unwrap();
    let sims = Simulated::start(dir.path());
    let pay = at(&sims.config)
        .args(["pay", "--amount", "120", "--barcode", "22J111111111111111"])
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(pay.status.code(), Some(0), "{}", text(&pay));
    let paid = json(&pay);
    assert_eq!(paid["message"], "付款成功 / approved");
    let sale = paid["sale_no"].as_str().unwrap().to_string();

    let refund = |amount: &str, json_out: bool| {
        let mut cmd = at(&sims.config);
        cmd.env("TILL_MANAGER_PIN", "2468")
            .args(["refund", "--trade", &sale, "--amount", amount])
            .args(["--reason", "退貨", "--manager", "王小明"]);
        if json_out {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };
    let first = refund("20", true);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let v = json(&first);
    assert_eq!(v["kind"], "refund");
    assert_eq!(v["message"], "退款成功 / refunded", "{v}");
    assert!(!String::from_utf8_lossy(&first.stdout).contains("付款成功"));

    let second = refund("30", false);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(out.contains("退款成功 / refunded"), "{out}");
    assert!(!out.contains("付款成功"), "{out}");
    for line in out.lines() {
        if let Some(n) = line.strip_prefix("金流交易序號 gateway trade no:") {
            assert!(!n.trim().is_empty(), "an empty gateway number line: {out}");
        }
    }
}

/// Every `kind` in `v`, however deep.
fn kinds(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                if k == "kind" {
                    out.push(x.as_str().map_or_else(|| x.to_string(), str::to_string));
                }
                kinds(x, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| kinds(x, out)),
        _ => {}
    }
}

/// A script reads `kind` one way everywhere: lower snake_case, the same
/// word for a gateway refund as for a cash one, for a payment, a sale's
/// attempts and tenders, and the X and Z reports (`till report x|z`).
#[test]
fn every_json_kind_is_spelled_in_snake_case() {
    let dir = tempfile::tempdir().unwrap();
    let sims = Simulated::start(dir.path());
    let cash_sale = {
        let cfg = till::config::load(&sims.config).unwrap();
        let source = till::config::Source::File(sims.config.clone());
        let mut t = till::terminal::Terminal::open(&cfg, &source).unwrap();
        let pin = till::secret::Secret::new("2468");
        t.sign_in("王小明", &pin).unwrap();
        let mut cart = till::sale::Cart::new();
        let price = till::Ntd::new(90);
        cart.add(till::sale::Line::new("4710000000028", "拿鐵", 1, price).unwrap())
            .unwrap();
        t.cash_sale(&cart, price).unwrap().sale_no.to_string()
    };
    let run = |args: &[&str], stdin: &str| {
        use std::io::Write as _;
        let mut child = at(&sims.config)
            .env("TILL_MANAGER_PIN", "2468")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
        json(&out)
    };
    let paid = run(
        &[
            "pay",
            "--amount",
            "120",
            "--barcode",
            "22J111111111111111",
            "--json",
        ],
        "",
    );
    let sale = paid["sale_no"].as_str().unwrap().to_string();
    let refund = [
        "--amount",
        "20",
        "--reason",
        "退貨",
        "--manager",
        "王小明",
        "--json",
    ];
    let by_gateway = run(&[&["refund", "--trade", &sale][..], &refund].concat(), "");
    let in_cash = run(
        &[&["refund", "--trade", &cash_sale][..], &refund].concat(),
        "",
    );
    assert_eq!(
        (by_gateway["via"].as_str(), in_cash["via"].as_str()),
        (Some("gateway"), Some("cash"))
    );
    assert_eq!(by_gateway["kind"], in_cash["kind"]);

    let answers = [
        paid,
        by_gateway,
        in_cash,
        run(&["history", "--trade", &sale, "--json"], ""),
        run(&["history", "--trade", &cash_sale, "--json"], ""),
        run(&["history", "--json"], ""),
        run(&["report", "x", "--json"], ""),
        run(&["report", "z", "--manager", "王小明", "--json"], "2468\n"),
    ];
    let mut seen = Vec::new();
    for a in &answers {
        kinds(a, &mut seen);
    }
    let snake = |k: &str| {
        k.starts_with(|c: char| c.is_ascii_lowercase())
            && k.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    let odd: Vec<&String> = seen.iter().filter(|k| !snake(k)).collect();
    assert!(odd.is_empty(), "not snake_case: {odd:?} among {seen:?}");
    for want in ["payment", "refund", "cash", "x", "z"] {
        assert!(seen.iter().any(|k| k == want), "no {want:?} among {seen:?}");
    }
}

/// Completions and the man page come from the same definitions as the
/// parser: every subcommand and its options are in them.
#[test]
fn completions_and_man_page_are_generated_from_the_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = till().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        // fish names options without their dashes (`-l after`).
        let option = |o: &str| match shell {
            "fish" => format!("-l {o}"),
            _ => format!("--{o}"),
        };
        let words = ["history", "late-payments", "void-allowance"].map(String::from);
        for word in words.into_iter().chain([option("after"), option("json")]) {
            assert!(script.contains(&word), "{shell} completions lack {word}");
        }
    }
    let bad = till().args(["completions", "cmd.exe"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(3));

    let man = till().arg("man").output().unwrap();
    assert_eq!(man.status.code(), Some(0));
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH till 1"), "{page}");
    for word in ["history", "refund", "einvoice", "completions"] {
        assert!(page.contains(word), "the man page lacks {word}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = till()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let history = std::fs::read_to_string(dir.path().join("till-history.1")).unwrap();
    assert!(history.contains("after"), "{history}");
    assert!(dir.path().join("till.1").is_file());
}

/// `till --version` names the version and the journal schema it writes.
#[test]
fn version_names_the_journal_schema() {
    let out = till().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!(
            "till {} (journal schema {})",
            env!("CARGO_PKG_VERSION"),
            till::journal::schema::LATEST
        )
    );
}
