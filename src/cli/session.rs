//! What the payment commands start with: a tokio runtime, the
//! configuration (in demo mode with the simulators started in-process),
//! the terminal and the gateways with progress on standard error.

use super::output::say;
use crate::errln;
use crate::locale::Text;
use std::path::Path;
use std::process::ExitCode;

use super::EXIT_USAGE;
use crate::config::{self, Config, Source};
use crate::logging::Redactor;
use crate::sim::{SimHandles, Simulators};
use crate::terminal::{PayEvent, Payments, Terminal};

/// A usage or configuration error: said on standard error, exit 3.
pub fn usage<T: std::fmt::Display + 'static>(msg: T) -> ExitCode {
    // An error that carries its facts is said in the user's language.
    errln!("till: {}", super::output::said(&msg, super::output::lang()));
    ExitCode::from(EXIT_USAGE)
}

/// The manager who approves a command: `--manager` (the demo's manager
/// when none is given in demo mode) and the PIN read from the terminal;
/// `missing` says which command needs `--manager`.
pub fn approving_manager(
    till: &Terminal,
    flag: Option<&String>,
    missing: &str,
) -> Result<crate::journal::User, ExitCode> {
    let name = match (flag, till.is_demo()) {
        (Some(m), _) => m.clone(),
        (None, true) => crate::terminal::DEMO_USERS[1].0.to_string(),
        (None, false) => return Err(usage(missing.to_string())),
    };
    till.manager_approves(&name, &super::input::read_pin())
        .map_err(usage)
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts")
}

/// The configuration; in demo mode with the simulators started in-process.
pub async fn setup(
    explicit: Option<&Path>,
    redactor: &Redactor,
) -> Result<(Config, Source, Option<SimHandles>), ExitCode> {
    let (cfg, source) = config::locate(explicit).map_err(usage)?;
    let (cfg, sims) = match source {
        Source::Demo => {
            let sims = Simulators::start_demo(&demo_books()).await.map_err(usage)?;
            errln!("{}", say(Text::new("words.cli.demo_mode_simulators")));
            let mut demo = sims.demo_config();
            demo.journal = cfg.journal.clone();
            (demo, Some(sims))
        }
        Source::File(_) => (cfg, None),
    };
    for s in cfg.secrets() {
        redactor.add_secret(s);
    }
    Ok((cfg, source, sims))
}

/// The books file of the demo's simulators, next to the demo journal: every
/// demo process (the GUI too) shares it.
pub fn demo_books() -> std::path::PathBuf {
    crate::sim::demo_books(&crate::terminal::journal_path(
        &Config::demo(),
        &Source::Demo,
    ))
}

/// What every payment command starts with: the configuration (simulators in
/// demo mode, kept alive by the returned handles), the terminal, and the
/// gateways with progress lines on standard error.
pub async fn session(
    explicit: Option<&Path>,
    redactor: &Redactor,
) -> Result<(Terminal, Payments, Option<SimHandles>), ExitCode> {
    let (_, till, payments, sims) = session_with_config(explicit, redactor).await?;
    Ok((till, payments, sims))
}

/// [`session`], keeping the configuration (refunds need the e-invoice settings).
pub async fn session_with_config(
    explicit: Option<&Path>,
    redactor: &Redactor,
) -> Result<(Config, Terminal, Payments, Option<SimHandles>), ExitCode> {
    let (cfg, source, sims) = setup(explicit, redactor).await?;
    let (till, payments) = open(&cfg, &source)?;
    Ok((cfg, till, progress(payments), sims))
}

pub fn open(cfg: &Config, source: &Source) -> Result<(Terminal, Payments), ExitCode> {
    let till = Terminal::open(cfg, source).map_err(usage)?;
    let payments = Payments::from_config(cfg).map_err(usage)?;
    Ok((till, payments))
}

/// Progress lines on standard error while a call is out.
fn progress(payments: Payments) -> Payments {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<PayEvent>();
    tokio::spawn(async move {
        while let Some(e) = rx.recv().await {
            errln!("{}", e.message());
        }
    });
    payments.with_events(tx)
}
