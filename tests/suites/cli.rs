//! The `till` binary's command line as a person or a script uses it; and
//! the layout of the test binaries themselves.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../cli.rs"]
mod cli;

#[path = "../cli_scripting.rs"]
mod cli_scripting;

/// With `autotests = false`, a file in `tests/` that no test binary's root
/// names is silently never compiled: its tests would stop running without
/// a word. Every file must be in exactly one root, every root in Cargo.toml.
#[test]
fn every_test_file_is_in_a_test_binary() {
    use std::collections::BTreeMap;
    use std::path::Path;

    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rs_files = |dir: &Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".rs"))
            .collect();
        names.sort();
        names
    };
    let manifest: toml::Table = std::fs::read_to_string(manifest_dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let declared: Vec<&str> = manifest["test"]
        .as_array()
        .expect("[[test]] entries")
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();

    let suites = manifest_dir.join("tests/suites");
    let mut included: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for root in rs_files(&suites) {
        assert!(
            declared.contains(&format!("tests/suites/{root}").as_str()),
            "tests/suites/{root} has no [[test]] entry in Cargo.toml"
        );
        let text = std::fs::read_to_string(suites.join(&root)).unwrap();
        for line in text.lines() {
            if let Some(file) = line
                .trim()
                .strip_prefix("#[path = \"../")
                .and_then(|rest| rest.strip_suffix("\"]"))
                .filter(|file| !file.contains('/'))
            {
                included
                    .entry(file.to_string())
                    .or_default()
                    .push(root.clone());
            }
        }
    }
    for file in rs_files(&manifest_dir.join("tests")) {
        match included.get(&file).map(Vec::as_slice) {
            Some([_]) => {}
            Some(roots) => panic!("tests/{file} is in more than one test binary: {roots:?}"),
            None => panic!(
                "tests/{file} is in no test binary: add it to its group's root in tests/suites/"
            ),
        }
    }
}
