//! `till config check | init | path`.

use super::output::{lang, say};
use crate::locale::Text;
use crate::outln;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::{EXIT_USAGE, load};
use crate::config::{self, Config, Severity, Source};
use crate::locale::Localized;
use crate::logging::Redactor;

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Explain every problem in the configuration (exit 0 when usable)
    Check,
    /// Write a commented example config, owner-only, to FILE or the default path
    Init {
        /// Where to write it (default: the platform config directory)
        #[arg(value_name = "FILE")]
        path: Option<PathBuf>,
    },
    /// Print where till looks for its config file and keeps its data
    Path,
}

pub fn config_check(cfg: &Config, source: &Source) -> ExitCode {
    match source {
        Source::File(p) => outln!("設定檔 config: {}", p.display()),
        Source::Demo => outln!("{}", say(Text::new("words.cli.no_config_demo"))),
    }
    let problems = cfg.findings();
    let lang = lang();
    for p in &problems {
        match lang {
            Some(lang) => outln!("{}", p.message(lang)),
            None => outln!("{}", config::Problem::from(p.clone())),
        }
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    if errors == 0 {
        outln!(
            "{}",
            say(Text::new("words.cli.config_usable").arg("warnings", warnings))
        );
        ExitCode::SUCCESS
    } else {
        outln!(
            "{}",
            say(Text::new("words.cli.config_has_errors")
                .arg("errors", errors)
                .arg("warnings", warnings))
        );
        ExitCode::from(EXIT_USAGE)
    }
}

/// `till config …`.
pub fn run(
    cmd: ConfigCommand,
    explicit: Option<&Path>,
    redactor: &Redactor,
) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Init { path } => {
            // `till --config FILE config init` means that FILE too.
            let path = match path
                .or_else(|| explicit.map(Path::to_path_buf))
                .or_else(config::default_path)
            {
                Some(p) => p,
                None => anyhow::bail!(say(Text::new("words.cli.no_config_dir"))),
            };
            config::create_private(&path, config::EXAMPLE)?;
            outln!(
                "已建立 {} (僅擁有者可讀寫)。請填入商店與金流資料後執行 `till config check`。\n\
                 Wrote {} (owner-only). Fill in your store and gateway details, then run `till config check`.",
                path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Path => {
            match config::default_path() {
                Some(p) => outln!("config: {}", p.display()),
                None => outln!("config: (no platform config directory)"),
            }
            outln!("data:   {}", config::default_data_dir().display());
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Check => {
            let (cfg, source) = load(explicit, redactor)?;
            Ok(config_check(&cfg, &source))
        }
    }
}
