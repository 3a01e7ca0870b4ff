//! The command line: every `till` subcommand, one file per command group
//! (argument types, output and exit codes). `main.rs` parses the command
//! line with [`command`] and hands a subcommand to [`run`]; with none it
//! starts the GUI.
//!
//! Exit codes: 0 done (or approved), 1 declined / not found / not intact,
//! 2 unknown or pending, 3 usage or configuration errors ([`EXIT_USAGE`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::{Config, Source};
use crate::logging::Redactor;
use crate::terminal::Terminal;

pub mod config;
pub mod demo;
pub mod docs;
pub mod einvoice;
pub mod history;
pub mod input;
pub mod journal;
pub mod output;
pub mod pay;
pub mod printer;
pub mod refund;
pub mod report;
pub mod scanner;
pub mod session;
pub mod users;

/// Exit code for usage and configuration errors (0 approved, 1 declined,
/// 2 unknown/pending are the payment results).
pub const EXIT_USAGE: u8 = 3;

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
pub struct Cli {
    /// Config file (default: the platform config directory; none → demo mode)
    #[arg(long, global = true, value_name = "FILE", env = "TILL_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check, create or locate the configuration file
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Check the journal's integrity and its tamper-evident audit chain
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Find sales by trade number, receipt code or date
    History(history::HistoryArgs),
    /// Manage the staff who sign in at the till
    #[command(subcommand)]
    User(users::UserCommand),
    /// Shift (X) or day-close (Z) report; Z needs a manager PIN on standard input
    Report(report::ReportArgs),
    /// Print each scan from the configured scanner with what it is (Ctrl-D / Ctrl-C ends)
    ScanTest,
    /// Charge a scanned payment code (exit 0 approved, 1 declined, 2 unknown/pending, 3 usage)
    Pay(pay::PayArgs),
    /// Refund a paid sale (manager PIN from TILL_MANAGER_PIN or standard input)
    Refund(refund::RefundArgs),
    /// Ask what became of a payment or refund; settles one still in doubt
    Query(pay::QueryArgs),
    /// Settle every payment a crash left in doubt
    Recover(pay::RecoverArgs),
    /// Settle by hand, from the gateway's back office, an attempt the till cannot settle by asking (manager PIN)
    Settle(pay::SettleArgs),
    /// Money a gateway took after the till had closed the attempt, owed back (exit 1 while any is open)
    LatePayments(pay::LateArgs),
    /// Run the four gateway simulators in the foreground and print a config snippet
    Simulate(demo::SimulateArgs),
    /// Demo mode's own data (the demo journal, the simulated vendors' books)
    #[command(subcommand)]
    Demo(demo::DemoCommand),
    /// Receive gateway notifications (ECPay ReturnURL, MyPay notify, goodbuy returnurl)
    CallbackServer(pay::CallbackArgs),
    /// E-invoice rolls, status, issuing and period close
    #[command(subcommand)]
    Einvoice(einvoice::EinvoiceCommand),
    /// Say what a scanned code is (product, payment code, carrier, BAN…)
    Classify {
        /// The scanned text
        code: String,
        /// Where the till is: selling, tendering, buyer-choice, refund
        #[arg(long, default_value = "selling")]
        context: String,
    },
    /// Render ESC/POS bytes to a PNG as a printer would (exit 1 on unknown commands)
    Render(printer::RenderArgs),
    /// Run a virtual printer on TCP that writes each job as a PNG
    VirtualPrinter(printer::VirtualPrinterArgs),
    /// Print e-invoice proofs and test pages
    #[command(subcommand)]
    Print(printer::PrintCommand),
    /// Ask the printer how it is
    #[command(subcommand)]
    Printer(printer::PrinterCommand),
    /// List serial ports and USB devices
    Devices,
    /// Print the shell completion script for bash, zsh or fish (generated from these definitions)
    Completions {
        /// bash, zsh or fish (also elvish, powershell)
        shell: clap_complete::Shell,
    },
    /// Print the man page till(1) (roff, generated from these definitions)
    Man {
        /// Instead, write till.1 and a page per subcommand (till-history.1 …) into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `till --version`: the version and the journal schema it writes, so
/// support can tell which journals a build reads and makes.
fn version_line() -> &'static str {
    let line = format!(
        "{} (journal schema {})",
        env!("CARGO_PKG_VERSION"),
        crate::journal::schema::LATEST
    );
    // Once per run; clap keeps a `&'static str`.
    Box::leak(line.into_boxed_str())
}

/// The argument definitions, as parsing, completions and the man page see them.
pub fn command() -> clap::Command {
    Cli::command().version(version_line())
}

/// Run one subcommand. `explicit` is `--config FILE`.
pub fn run(
    command: Command,
    explicit: Option<&Path>,
    redactor: &Redactor,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Config(cmd) => config::run(cmd, explicit, redactor),
        Command::Classify { code, context } => scanner::classify(&code, &context),
        Command::Report(args) => {
            let (cfg, source) = load(explicit, redactor)?;
            let mut t = Terminal::open(&cfg, &source)?;
            report::report(&mut t, &cfg, &args)
        }
        Command::ScanTest => scanner::scan_test(&load(explicit, redactor)?.0.scanner),
        Command::Render(args) => printer::render_file(&args),
        Command::VirtualPrinter(args) => printer::virtual_printer(&args),
        Command::Print(cmd) => printer::print(&cmd, &load(explicit, redactor)?.0, || {
            open_terminal(explicit, redactor)
        }),
        Command::Printer(cmd) => printer::printer_status(&cmd, &load(explicit, redactor)?.0),
        Command::Devices => printer::devices(),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man { dir } => docs::man(dir.as_deref()),
        Command::Pay(a) => Ok(pay::pay(explicit, redactor, a)),
        Command::Refund(a) => Ok(refund::refund(explicit, redactor, a)),
        Command::Query(a) => Ok(pay::query(explicit, redactor, a)),
        Command::Settle(a) => Ok(pay::settle(explicit, redactor, a)),
        Command::LatePayments(a) => Ok(pay::late_payments(explicit, redactor, a)),
        Command::Recover(a) => Ok(pay::recover(explicit, redactor, a)),
        Command::Simulate(a) => Ok(demo::simulate(a)),
        Command::Demo(demo::DemoCommand::Reset) => Ok(demo::demo_reset()),
        Command::CallbackServer(a) => Ok(pay::callback_server(explicit, redactor, a)),
        Command::Journal(cmd) => journal::run(cmd, explicit, redactor),
        Command::History(args) => history::history(&open_terminal(explicit, redactor)?, &args),
        Command::Einvoice(cmd) => {
            let (cfg, source) = load(explicit, redactor)?;
            let mut t = Terminal::open(&cfg, &source)?;
            einvoice::run(&mut t, &cfg, cmd)
        }
        Command::User(cmd) => users::user(&mut open_terminal(explicit, redactor)?, cmd),
    }
}

/// Open the terminal (and its journal) of the configuration.
pub fn open_terminal(explicit: Option<&Path>, redactor: &Redactor) -> anyhow::Result<Terminal> {
    let (cfg, source) = load(explicit, redactor)?;
    Ok(Terminal::open(&cfg, &source)?)
}

/// Load the configuration and register its secrets with the log redactor
/// before anything else can log.
pub fn load(explicit: Option<&Path>, redactor: &Redactor) -> anyhow::Result<(Config, Source)> {
    let (cfg, source) = crate::config::locate(explicit)?;
    for secret in cfg.secrets() {
        redactor.add_secret(secret);
    }
    Ok((cfg, source))
}
