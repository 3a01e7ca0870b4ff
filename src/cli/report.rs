//! `till report x|z`: the shift (X) or day-close (Z) report, on screen, as
//! JSON, as a PNG or on the printer.

use super::output::say;
use crate::locale::Text;
use crate::outln;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::secret::Secret;
use crate::terminal::{self, Terminal};

#[derive(clap::Args)]
pub struct ReportArgs {
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

pub fn report(t: &mut Terminal, cfg: &Config, args: &ReportArgs) -> anyhow::Result<ExitCode> {
    let report = if args.kind == "z" {
        let Some(manager) = &args.manager else {
            anyhow::bail!(say(Text::new("words.cli.close_needs_manager")));
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
        let profile = crate::print::Profile::find(&cfg.printer.profile)?;
        let bytes = crate::print::encode(&document, &profile)?;
        std::fs::write(out, crate::print::render(&bytes, &profile).png())?;
    }
    if args.print {
        let mut printer = crate::device::printer::Printer::from_config(&cfg.printer)?;
        let bytes = crate::print::encode(&document, &printer.profile)?;
        t.print(&mut printer, "report", &bytes, None, None)?;
    }
    Ok(ExitCode::SUCCESS)
}
