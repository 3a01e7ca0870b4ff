//! `drivers/udev/60-till.rules` is read by udev, which skips a line it
//! cannot parse with only a log message: check the syntax, that every
//! device rule grants access, and that the README documents each id.

use std::collections::BTreeSet;

const RULES: &str = include_str!("../drivers/udev/60-till.rules");
const README: &str = include_str!("../drivers/udev/README.md");

/// `KEY{attr}=="value"` items of one rule line.
fn items(line: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let op_at = rest
            .find(['=', '!', '+', ':'])
            .unwrap_or_else(|| panic!("no operator in {rest:?}"));
        let key = rest[..op_at].trim().to_string();
        let after = &rest[op_at..];
        let op_len = after.find('"').expect("quoted value");
        let op = after[..op_len].to_string();
        let value_and_rest = &after[op_len + 1..];
        let close = value_and_rest.find('"').expect("closing quote");
        out.push((key, op, value_and_rest[..close].to_string()));
        rest = value_and_rest[close + 1..].trim_start_matches([',', ' ']);
    }
    out
}

fn rule_lines() -> impl Iterator<Item = &'static str> {
    RULES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

#[test]
fn every_rule_parses_and_grants_access() {
    let known = [
        "ACTION",
        "SUBSYSTEM",
        "KERNEL",
        "ENV{DEVTYPE}",
        "ATTR{idVendor}",
        "ATTR{idProduct}",
        "ATTRS{idVendor}",
        "ATTRS{idProduct}",
        "ATTRS{serial}",
        "TAG",
        "SYMLINK",
        "GOTO",
        "LABEL",
    ];
    let mut labels = BTreeSet::new();
    let mut gotos = BTreeSet::new();
    for line in rule_lines() {
        let items = items(line);
        for (key, op, value) in &items {
            assert!(known.contains(&key.as_str()), "unknown key {key} in {line}");
            match key.as_str() {
                "TAG" => assert_eq!((op.as_str(), value.as_str()), ("+=", "uaccess"), "{line}"),
                "SYMLINK" => {
                    assert_eq!(
                        (op.as_str(), value.as_str()),
                        ("+=", "till-scanner"),
                        "{line}"
                    )
                }
                "LABEL" => {
                    labels.insert(value.clone());
                }
                "GOTO" => {
                    gotos.insert(value.clone());
                }
                k if k.ends_with("{idVendor}") || k.ends_with("{idProduct}") => {
                    assert_eq!(op, "==", "{line}");
                    assert!(
                        value.len() == 4
                            && value
                                .bytes()
                                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                        "ids are 4 lower-case hex digits, as in sysfs: {line}"
                    );
                }
                _ => assert!(op == "==" || op == "!=", "{line}"),
            }
        }
        let is_flow =
            items.iter().any(|(k, _, _)| k == "LABEL") || items.iter().any(|(k, _, _)| k == "GOTO");
        if !is_flow {
            assert!(
                items.iter().any(|(k, _, _)| k == "TAG"),
                "a device rule without uaccess grants nothing: {line}"
            );
        }
    }
    assert_eq!(gotos, labels, "every GOTO has its LABEL");
}

#[test]
fn every_id_in_the_rules_is_documented() {
    for line in rule_lines() {
        for (key, _, value) in items(line) {
            if key.ends_with("{idVendor}") && !line.contains("ATTRS{serial}") {
                assert!(README.contains(&value), "README does not mention {value}");
            }
        }
    }
}
