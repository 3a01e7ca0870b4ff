//! The `till` command line. No subcommand starts the terminal; the
//! subcommands let scripts and support staff drive and inspect it headless.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use till::config::{self, Config, Severity, Source};
use till::logging::{self, Redactor};

/// Exit code for usage and configuration errors (0 approved, 1 declined,
/// 2 unknown/pending are the payment results).
const EXIT_USAGE: u8 = 3;

#[derive(Parser)]
#[command(
    name = "till",
    version,
    about = "收銀機 till — in-store POS for Taiwanese shops: wallet payments, receipts and e-invoice proofs",
    long_about = "收銀機 till — in-store POS for Taiwanese shops.\n\n\
        With no subcommand, starts the terminal. With no config file it runs in demo mode \
        (示範模式): built-in gateway simulators, a virtual printer and a test invoice roll.\n\n\
        Logging: set TILL_LOG=debug for more detail; secrets and payment codes are never logged."
)]
struct Cli {
    /// Config file (default: the platform config directory; none → demo mode)
    #[arg(long, global = true, value_name = "FILE", env = "TILL_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Check, create or locate the configuration file
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand)]
enum ConfigCommand {
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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let redactor = Redactor::new();
    logging::init(redactor.clone());
    match run(cli, &redactor) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("till: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli, redactor: &Redactor) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Config(ConfigCommand::Init { path })) => {
            let path = match path.or_else(config::default_path) {
                Some(p) => p,
                None => anyhow::bail!(
                    "找不到設定資料夾,請指定檔案 / no config directory found: give a FILE"
                ),
            };
            config::create_private(&path, config::EXAMPLE)?;
            println!(
                "已建立 {} (僅擁有者可讀寫)。請填入商店與金流資料後執行 `till config check`。\n\
                 Wrote {} (owner-only). Fill in your store and gateway details, then run `till config check`.",
                path.display(),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::Path)) => {
            match config::default_path() {
                Some(p) => println!("config: {}", p.display()),
                None => println!("config: (no platform config directory)"),
            }
            println!("data:   {}", config::default_data_dir().display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::Check)) => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            Ok(config_check(&cfg, &source))
        }
        None => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            start_terminal(&cfg, &source)
        }
    }
}

/// Load the configuration and register its secrets with the log redactor
/// before anything else can log.
fn load(
    explicit: Option<&std::path::Path>,
    redactor: &Redactor,
) -> anyhow::Result<(Config, Source)> {
    let (cfg, source) = config::locate(explicit)?;
    for secret in cfg.secrets() {
        redactor.add_secret(secret);
    }
    Ok((cfg, source))
}

fn config_check(cfg: &Config, source: &Source) -> ExitCode {
    match source {
        Source::File(p) => println!("設定檔 config: {}", p.display()),
        Source::Demo => println!("沒有設定檔,使用示範模式 / no config file: demo mode"),
    }
    let problems = cfg.problems();
    for p in &problems {
        println!("{p}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    if errors == 0 {
        println!("設定可用({warnings} 個注意事項)/ configuration is usable ({warnings} warnings)");
        ExitCode::SUCCESS
    } else {
        println!(
            "設定有 {errors} 個錯誤、{warnings} 個注意事項 / {errors} errors, {warnings} warnings"
        );
        ExitCode::from(EXIT_USAGE)
    }
}

fn start_terminal(cfg: &Config, source: &Source) -> anyhow::Result<ExitCode> {
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
