//! The `till` command line. No subcommand starts the terminal; the
//! subcommands (`till::cli`) let scripts and support staff drive and
//! inspect it headless.

use std::process::ExitCode;

use clap::FromArgMatches;

use till::cli::{self, Cli, EXIT_USAGE};
use till::config::{Config, Source};
use till::errln;
use till::logging::{self, Redactor};

fn main() -> ExitCode {
    let cli = match cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let redactor = Redactor::new();
    logging::init(redactor.clone());
    let explicit = cli.config.as_deref();
    let result = match cli.command {
        Some(command) => cli::run(command, explicit, &redactor),
        None => cli::load(explicit, &redactor).and_then(|(cfg, source)| start_gui(&cfg, &source)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // In the language of the user's locale, from the locale files.
            errln!("till: {}", cli::output::error_text(&e, cli::output::lang()));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn start_gui(cfg: &Config, source: &Source) -> anyhow::Result<ExitCode> {
    let mode = match source {
        Source::Demo => "示範模式 DEMO".to_string(),
        Source::File(p) => format!("config {}", p.display()),
    };
    tracing::info!(terminal = %cfg.terminal.id, store = %cfg.store.name, "till starting ({mode})");
    let setup = till::ui::Setup {
        config: cfg.clone(),
        source: source.clone(),
        catalogue: till::catalogue::Catalogue::demo(),
    };
    till::ui::run(setup).map_err(|e| {
        anyhow::anyhow!(
            "無法開啟收銀視窗:{e}。請確認已登入桌面(DISPLAY 或 WAYLAND_DISPLAY)。\n\
             Cannot open the till window: {e}. Check that a desktop session is running (DISPLAY or WAYLAND_DISPLAY)."
        )
    })?;
    Ok(ExitCode::SUCCESS)
}
