//! The `till` command line. No subcommand starts the terminal; the
//! subcommands let scripts and support staff drive and inspect it headless.

use std::path::PathBuf;
use std::process::ExitCode;
use till::{errln, outln};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use till::barcode::{self, ScanContext};
use till::config::{self, Config, Severity, Source};
use till::device::printer::cli as printer_cli;
use till::journal::Role;
use till::logging::{self, Redactor};
use till::secret::Secret;
use till::terminal::{self, Terminal};

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
    /// Check the journal's integrity and its tamper-evident audit chain
    #[command(subcommand)]
    Journal(JournalCommand),
    /// Find sales by trade number, receipt code or date
    History(HistoryArgs),
    /// Manage the staff who sign in at the till
    #[command(subcommand)]
    User(UserCommand),
    /// Shift (X) or day-close (Z) report; Z needs a manager PIN on standard input
    Report(ReportArgs),
    /// Print each scan from the configured scanner with what it is (Ctrl-D / Ctrl-C ends)
    ScanTest,
    /// Charge a scanned payment code (exit 0 approved, 1 declined, 2 unknown/pending, 3 usage)
    Pay(terminal::payment_cli::PayArgs),
    /// Refund a paid sale (manager PIN from TILL_MANAGER_PIN or standard input)
    Refund(terminal::payment_cli::RefundArgs),
    /// Ask what became of a payment or refund; settles one still in doubt
    Query(terminal::payment_cli::QueryArgs),
    /// Settle every payment a crash left in doubt
    Recover(terminal::payment_cli::RecoverArgs),
    /// Settle by hand, from the gateway's back office, an attempt the till cannot settle by asking (manager PIN)
    Settle(terminal::payment_cli::SettleArgs),
    /// Money a gateway took after the till had closed the attempt, owed back (exit 1 while any is open)
    LatePayments(terminal::payment_cli::LateArgs),
    /// Run the four gateway simulators in the foreground and print a config snippet
    Simulate(terminal::payment_cli::SimulateArgs),
    /// Demo mode's own data (the demo journal, the simulated vendors' books)
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Receive gateway notifications (ECPay ReturnURL, MyPay notify, goodbuy returnurl)
    CallbackServer(terminal::payment_cli::CallbackArgs),
    /// E-invoice rolls, status, issuing and period close
    #[command(subcommand)]
    Einvoice(till::terminal::invoicing_cli::EinvoiceCommand),
    /// Say what a scanned code is (product, payment code, carrier, BAN…)
    Classify {
        /// The scanned text
        code: String,
        /// Where the till is: selling, tendering, buyer-choice, refund
        #[arg(long, default_value = "selling")]
        context: String,
    },
    /// Render ESC/POS bytes to a PNG as a printer would (exit 1 on unknown commands)
    Render(printer_cli::RenderArgs),
    /// Run a virtual printer on TCP that writes each job as a PNG
    VirtualPrinter(printer_cli::VirtualPrinterArgs),
    /// Print e-invoice proofs and test pages
    #[command(subcommand)]
    Print(printer_cli::PrintCommand),
    /// Ask the printer how it is
    #[command(subcommand)]
    Printer(printer_cli::PrinterCommand),
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
        till::journal::schema::LATEST
    );
    // Once per run; clap keeps a `&'static str`.
    Box::leak(line.into_boxed_str())
}

/// The argument definitions, as parsing, completions and the man page see them.
fn cli_command() -> clap::Command {
    Cli::command().version(version_line())
}

#[derive(clap::Args)]
struct ReportArgs {
    /// x: the shift so far; z: close the day
    #[arg(value_parser = ["x", "z"])]
    kind: String,
    /// The manager closing the day (Z); the PIN is read from standard input
    #[arg(long)]
    manager: Option<String>,
    /// Also render the printed report to this PNG
    #[arg(long, value_name = "FILE.png")]
    out: Option<PathBuf>,
    /// Print it on the configured printer
    #[arg(long)]
    print: bool,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum DemoCommand {
    /// Start the demo afresh: no demo sales, and simulated vendors that were never paid (close the demo till first)
    Reset,
}

#[derive(Subcommand)]
enum JournalCommand {
    /// Verify SQLite integrity, the audit chain and every sealed row (exit 1 when tampered)
    Verify(VerifyArgs),
    /// Print where the journal file is
    Path,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The anchor code from the last Z slip: also proves the journal was
    /// not cut short or restored from an older copy since
    #[arg(long, value_name = "CODE")]
    anchor: Option<String>,
    /// A journal file other than the configured one (e.g. a copy)
    #[arg(long, value_name = "FILE", requires = "key")]
    journal: Option<PathBuf>,
    /// The seal key file for --journal
    #[arg(long, value_name = "FILE", requires = "journal")]
    key: Option<PathBuf>,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct HistoryArgs {
    /// A sale number, trade number, receipt code (TL…), gateway trade number or invoice number
    #[arg(long, conflicts_with_all = ["from", "to"])]
    trade: Option<String>,
    /// First Taipei business date (YYYY-MM-DD); default today
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// Last Taipei business date (YYYY-MM-DD); default the same as --from
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    /// Most sales to list (one page); a full page says how to get the next
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Continue after this cursor: the `next` of the previous page
    #[arg(long, value_name = "CURSOR", conflicts_with_all = ["trade", "all"])]
    after: Option<till::journal::Cursor>,
    /// Every sale in the range, however many (with --json: one JSON object per line)
    #[arg(long, conflicts_with = "trade")]
    all: bool,
    /// Machine-readable output: {"items": [...], "more": bool, "next": CURSOR or null}
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a cashier or manager; the PIN (4-8 digits) is read from standard input
    Add {
        name: String,
        #[arg(long, value_parser = ["cashier", "manager"], default_value = "cashier")]
        role: String,
    },
    /// List the staff who can sign in
    List {
        /// Machine-readable output: {"items": [...], "more": false, "next": null}
        #[arg(long)]
        json: bool,
    },
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
    let cli = match cli_command()
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
    match run(cli, &redactor) {
        Ok(code) => code,
        Err(e) => {
            errln!("till: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli, redactor: &Redactor) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Config(ConfigCommand::Init { path })) => {
            // `till --config FILE config init` means that FILE too.
            let path = match path.or(cli.config.clone()).or_else(config::default_path) {
                Some(p) => p,
                None => anyhow::bail!(
                    "找不到設定資料夾,請指定檔案 / no config directory found: give a FILE"
                ),
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
        Some(Command::Config(ConfigCommand::Path)) => {
            match config::default_path() {
                Some(p) => outln!("config: {}", p.display()),
                None => outln!("config: (no platform config directory)"),
            }
            outln!("data:   {}", config::default_data_dir().display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Config(ConfigCommand::Check)) => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            Ok(config_check(&cfg, &source))
        }
        Some(Command::Classify { code, context }) => classify(&code, &context),
        Some(Command::Report(args)) => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            let mut t = Terminal::open(&cfg, &source)?;
            report(&mut t, &cfg, &args)
        }
        Some(Command::ScanTest) => {
            let (cfg, _) = load(cli.config.as_deref(), redactor)?;
            scan_test(&cfg.scanner)
        }
        Some(Command::Render(args)) => printer_cli::render_file(&args),
        Some(Command::VirtualPrinter(args)) => printer_cli::virtual_printer(&args),
        Some(Command::Print(cmd)) => {
            printer_cli::print(&cmd, &load(cli.config.as_deref(), redactor)?.0, || {
                open_terminal(cli.config.as_deref(), redactor)
            })
        }
        Some(Command::Printer(cmd)) => {
            printer_cli::printer_status(&cmd, &load(cli.config.as_deref(), redactor)?.0)
        }
        Some(Command::Devices) => printer_cli::devices(),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cli_command(), "till", &mut script);
            till::cli_output::write_stdout(format_args!("{}", String::from_utf8_lossy(&script)));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man { dir }) => {
            match dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)?;
                    clap_mangen::generate_to(cli_command(), &dir)?;
                    outln!("{}", dir.display());
                }
                None => {
                    let mut page = Vec::new();
                    clap_mangen::Man::new(cli_command()).render(&mut page)?;
                    till::cli_output::write_stdout(format_args!(
                        "{}",
                        String::from_utf8_lossy(&page)
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Pay(a)) => Ok(terminal::payment_cli::pay(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::Refund(a)) => Ok(terminal::payment_cli::refund(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::Query(a)) => Ok(terminal::payment_cli::query(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::Settle(a)) => Ok(terminal::payment_cli::settle(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::LatePayments(a)) => Ok(terminal::payment_cli::late_payments(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::Recover(a)) => Ok(terminal::payment_cli::recover(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::Simulate(a)) => Ok(terminal::payment_cli::simulate(a)),
        Some(Command::Demo(DemoCommand::Reset)) => Ok(terminal::payment_cli::demo_reset()),
        Some(Command::CallbackServer(a)) => Ok(terminal::payment_cli::callback_server(
            cli.config.as_deref(),
            redactor,
            a,
        )),
        Some(Command::Journal(JournalCommand::Path)) => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            outln!("{}", terminal::journal_path(&cfg, &source).display());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Journal(JournalCommand::Verify(args))) => {
            let journal = match (&args.journal, &args.key) {
                (Some(path), Some(key)) => till::journal::Journal::open_with_key(path, key)?,
                _ => {
                    let (cfg, source) = load(cli.config.as_deref(), redactor)?;
                    let path = terminal::journal_path(&cfg, &source);
                    if !path.exists() {
                        anyhow::bail!("找不到日誌 / no journal at {}", path.display());
                    }
                    till::journal::Journal::open_with_key(
                        &path,
                        terminal::seal_key_path(&cfg, &path),
                    )?
                }
            };
            journal_verify(&journal, &args)
        }
        Some(Command::History(args)) => {
            let t = open_terminal(cli.config.as_deref(), redactor)?;
            history(&t, &args)
        }
        Some(Command::Einvoice(cmd)) => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            let mut t = Terminal::open(&cfg, &source)?;
            till::terminal::invoicing_cli::run(&mut t, &cfg, cmd)
        }
        Some(Command::User(cmd)) => {
            let mut t = open_terminal(cli.config.as_deref(), redactor)?;
            user(&mut t, cmd)
        }
        None => {
            let (cfg, source) = load(cli.config.as_deref(), redactor)?;
            start_terminal(&cfg, &source)
        }
    }
}

fn open_terminal(
    explicit: Option<&std::path::Path>,
    redactor: &Redactor,
) -> anyhow::Result<Terminal> {
    let (cfg, source) = load(explicit, redactor)?;
    Ok(Terminal::open(&cfg, &source)?)
}

fn classify(code: &str, context: &str) -> anyhow::Result<ExitCode> {
    let context = match context {
        "selling" => ScanContext::Selling,
        "tendering" => ScanContext::Tendering,
        "buyer-choice" => ScanContext::BuyerChoice,
        "refund" => ScanContext::Refund,
        other => anyhow::bail!(
            "不認得的情境「{other}」/ unknown context \"{other}\": use selling, tendering, buyer-choice or refund"
        ),
    };
    match barcode::classify(code, context) {
        Ok(scanned) => {
            outln!(
                "{} / {}: {}",
                scanned.kind_zh(),
                scanned.kind_en(),
                scanned.shown()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            outln!("{why}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Show one scan the way support staff need it: what it is in every
/// context, and a keyboard-layout hint when it looks mangled.
fn describe_scan(text: &str) {
    use till::device::scanner::diagnose::layout_hint;
    outln!("掃描 scan: {}", barcode::mask_payment_code(text));
    for (name, ctx) in [
        ("selling", ScanContext::Selling),
        ("tendering", ScanContext::Tendering),
        ("buyer-choice", ScanContext::BuyerChoice),
    ] {
        match barcode::classify(text, ctx) {
            Ok(s) => outln!(
                "  {name:<13} {} / {}: {}",
                s.kind_zh(),
                s.kind_en(),
                s.shown()
            ),
            Err(why) => outln!("  {name:<13} {why}"),
        }
    }
    if let Some(hint) = layout_hint(text) {
        outln!("  {hint}");
    }
}

fn scan_test(scanner: &config::Scanner) -> anyhow::Result<ExitCode> {
    use till::device::scanner::{ScannerEvent, ScannerHub};
    if scanner.kind == "wedge" {
        outln!(
            "鍵盤式掃描器:請對著本視窗掃描,每筆一行。/ keyboard-wedge scanner: scan into this window, one code per line."
        );
        for line in std::io::stdin().lines() {
            let line = line?;
            let framing = till::device::scanner::Framing::from_config(scanner);
            if let Some((text, _)) = framing.apply(&line) {
                describe_scan(&text);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let hub = ScannerHub::from_config(scanner)?;
    outln!(
        "等待掃描 {} / waiting for scans from {}",
        scanner.device,
        scanner.device
    );
    loop {
        match hub.recv_timeout(std::time::Duration::from_secs(3600)) {
            Some(ScannerEvent::Scan(scan)) => describe_scan(&scan.text),
            Some(ScannerEvent::Connected(s)) | Some(ScannerEvent::Reconnected(s)) => {
                outln!("已連線 connected: {s}")
            }
            Some(ScannerEvent::Disconnected { source, reason }) => {
                outln!("未連線,重試中 disconnected, retrying: {source}: {reason}")
            }
            None => {}
        }
    }
}

fn report(t: &mut Terminal, cfg: &Config, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let report = if args.kind == "z" {
        let Some(manager) = &args.manager else {
            anyhow::bail!(
                "日結需要店長:--manager NAME / closing the day needs a manager: --manager NAME"
            );
        };
        let mut pin = String::new();
        std::io::stdin().read_line(&mut pin)?;
        let pin = Secret::new(pin.trim().to_string());
        t.close_day(terminal::Approval { manager, pin: &pin })?
    } else {
        t.x_report()?
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            "{} #{}  {} 筆 sales  營業額 gross {}  錢櫃現金 cash {}  未確認 unresolved {}",
            report.kind,
            report.z_number,
            report.sales,
            report.gross,
            report.cash_in_drawer,
            report.unresolved
        );
        for p in &report.payments {
            outln!(
                "  {:<10} {:<8} {:<10} ×{:<4} {}",
                p.method,
                p.gateway.as_deref().unwrap_or("-"),
                p.wallet.as_deref().unwrap_or("-"),
                p.count,
                p.amount
            );
        }
        if let Some(anchor) = &report.anchor {
            outln!("日誌錨碼 journal anchor {anchor}");
        }
    }
    let document = terminal::report_document(&report, &cfg.store);
    if let Some(out) = &args.out {
        let profile = till::print::Profile::find(&cfg.printer.profile)?;
        let bytes = till::print::encode(&document, &profile)?;
        std::fs::write(out, till::print::render(&bytes, &profile).png())?;
    }
    if args.print {
        let mut printer = till::device::printer::Printer::from_config(&cfg.printer)?;
        let bytes = till::print::encode(&document, &printer.profile)?;
        t.print(&mut printer, "report", &bytes, None, None)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn journal_verify(journal: &till::journal::Journal, args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let anchor = args
        .anchor
        .as_deref()
        .map(str::parse::<till::journal::Anchor>)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
    let till::journal::Verification {
        sqlite,
        audit,
        seals,
        anchor: anchored,
    } = journal.verify(anchor.as_ref())?;
    let intact = sqlite.is_empty()
        && audit.is_intact()
        && seals.as_ref().is_some_and(|s| s.is_intact())
        && anchored.is_empty();
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "intact": intact,
                "sqlite": sqlite,
                "audit": audit,
                "seals": seals,
                "anchor": anchor.as_ref().map(|a| a.to_string()),
                "anchor_problems": anchored,
            }))?
        );
        return Ok(ExitCode::from(if intact { 0 } else { 1 }));
    }
    for p in &sqlite {
        outln!("SQLite: {p}");
    }
    if let Some(problem) = &audit.first_problem {
        outln!("{problem}");
    }
    match &seals {
        None => outln!("日誌尚未封存 / the journal is not sealed"),
        Some(s) => {
            for p in &s.problems {
                outln!("{p}");
            }
            if s.more > 0 {
                outln!("… 另有 {} 筆 / {} more rows", s.more, s.more);
            }
        }
    }
    for p in &anchored {
        outln!("{p}");
    }
    if intact {
        let s = seals.as_ref().expect("intact means sealed");
        outln!(
            "日誌完整:{} 筆稽核紀錄,{} 筆封存資料,封存鏈 {} 筆 / journal intact: {} audit rows, {} sealed rows, {} chain entries, head {}",
            audit.rows,
            s.rows_checked,
            s.chain_entries,
            audit.rows,
            s.rows_checked,
            s.chain_entries,
            s.head
        );
        if let Some(a) = &anchor {
            outln!("與錨碼相符 / matches the anchor {a}");
        }
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

fn history(t: &Terminal, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let journal = t.journal();
    if let Some(code) = &args.trade {
        let Some(sale) = journal.lookup(code)? else {
            outln!("找不到「{code}」/ nothing found for \"{code}\"");
            return Ok(ExitCode::from(1));
        };
        let detail = journal
            .sale_detail(&sale)?
            .ok_or_else(|| anyhow::anyhow!("sale {sale} vanished while reading"))?;
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&detail)?);
        } else {
            let s = &detail.summary;
            outln!(
                "{}  {}  {}  {}  {}",
                s.sale_no,
                s.created_at,
                s.cashier,
                s.total,
                s.status.as_str()
            );
            for line in &detail.lines {
                outln!(
                    "  {} × {}  {}",
                    line.name,
                    line.qty,
                    line.total().unwrap_or_default()
                );
            }
            for a in detail.payments.iter().chain(&detail.refunds) {
                outln!(
                    "  {}  {}  {}  {}",
                    a.trade_no,
                    a.gateway.map(|g| g.as_str()).unwrap_or("cash"),
                    a.amount,
                    a.state.name_zh()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let from = args
        .from
        .unwrap_or_else(|| till::taipei::now().date_naive());
    let to = args.to.unwrap_or(from);
    let line = |s: &till::journal::SaleSummary| {
        format!(
            "{}  {}  {:>10}  {}  {}",
            s.sale_no,
            s.created_at,
            s.total.to_string(),
            s.status.as_str(),
            s.cashier
        )
    };
    if args.all {
        // Page by page, so a year of sales streams in constant memory and
        // stops as soon as the reader goes away.
        const PAGE: u32 = 1000;
        let (mut after, mut count) = (None, 0usize);
        loop {
            let page = journal.sales_by_date(from, to, after, PAGE)?;
            for s in &page.items {
                if args.json {
                    outln!("{}", serde_json::to_string(s)?);
                } else {
                    outln!("{}", line(s));
                }
            }
            count += page.items.len();
            match page.next {
                Some(next) if !till::cli_output::stdout_closed() => after = Some(next),
                _ => break,
            }
        }
        if !args.json {
            outln!("{count} 筆 / {count} sales");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let page = journal.sales_by_date(from, to, args.after, args.limit)?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&till::cli_output::listing(&page.items, page.next))?
        );
    } else {
        for s in &page.items {
            outln!("{}", line(s));
        }
        outln!("{} 筆 / {} sales", page.items.len(), page.items.len());
        if let Some(next) = page.next {
            outln!(
                "還有更多:加上 --after {next} 看下一頁,或 --all 列出全部 / more: add --after {next} for the next page, or --all for all of them"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn user(t: &mut Terminal, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::List { json } => {
            let staff = t.staff()?;
            if json {
                let none: Option<String> = None;
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&till::cli_output::listing(&staff, none))?
                );
            } else {
                for u in staff {
                    outln!("{}  {:?}", u.name, u.role);
                }
            }
        }
        UserCommand::Add { name, role } => {
            let role = if role == "manager" {
                Role::Manager
            } else {
                Role::Cashier
            };
            let mut pin = String::new();
            std::io::stdin().read_line(&mut pin)?;
            let pin = Secret::new(pin.trim().to_string());
            t.journal_mut().add_user(&name, role, &pin, "cli")?;
            outln!("已新增 {name} / added {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
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
        Source::File(p) => outln!("設定檔 config: {}", p.display()),
        Source::Demo => outln!("沒有設定檔,使用示範模式 / no config file: demo mode"),
    }
    let problems = cfg.problems();
    for p in &problems {
        outln!("{p}");
    }
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let warnings = problems.len() - errors;
    if errors == 0 {
        outln!("設定可用({warnings} 個注意事項)/ configuration is usable ({warnings} warnings)");
        ExitCode::SUCCESS
    } else {
        outln!(
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
