//! `till einvoice …`: rolls, status, issuing for scripts, closing a period.

use super::output::say;
use crate::locale::Text;
use crate::{errln, outln};
use std::process::ExitCode;

use clap::Subcommand;

use super::input::buyer_flags;
use crate::config::Config;
use crate::einvoice::Period;
use crate::terminal::Terminal;

#[derive(Debug, Subcommand)]
pub enum EinvoiceCommand {
    /// Number rolls (字軌) assigned by the tax office
    #[command(subcommand)]
    Roll(RollCommand),
    /// What waits for Turnkey, what is overdue (48 h) and how the rolls stand
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Issue the e-invoice of a paid sale and print its proof to stdout.
    /// Without --carrier, --donate or --ban: as the buyer chose at the
    /// counter (kept for a pay-later order), else a paper proof
    Issue {
        /// Sale number, receipt code or trade number
        #[arg(long)]
        trade: String,
        /// Carrier: a mobile barcode (/ABC1234) or a citizen certificate
        /// (AB12345678901234)
        #[arg(long, conflicts_with_all = ["donate", "ban"])]
        carrier: Option<String>,
        /// Donation love code (捐贈碼)
        #[arg(long, conflicts_with = "ban")]
        donate: Option<String>,
        /// Buyer business number (統一編號)
        #[arg(long)]
        ban: Option<String>,
    },
    /// Void an allowance made in error (作廢折讓, G0501), e.g. AB12345678001.
    /// The PIN is read from TILL_MANAGER_PIN or standard input
    VoidAllowance {
        /// The allowance number printed on its slip
        #[arg(long)]
        allowance: String,
        #[arg(long)]
        reason: String,
        #[arg(long)]
        manager: String,
    },
    /// After a period ends, report its unused numbers (E0402)
    ClosePeriod {
        /// ROC year + even month, e.g. 11512
        period: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RollCommand {
    /// Load a roll, e.g. --period 11512 --track AB --from 12345000 --to 12345049
    Add {
        #[arg(long)]
        period: String,
        #[arg(long)]
        track: String,
        #[arg(long)]
        from: u32,
        #[arg(long)]
        to: u32,
    },
    /// This terminal's rolls for a period (default: the current one)
    List {
        #[arg(long)]
        period: Option<String>,
        /// Machine-readable output: {"items": [...], "more": false, "next": null}
        #[arg(long)]
        json: bool,
    },
}

fn period_arg(s: &str) -> anyhow::Result<Period> {
    Ok(s.parse::<Period>()?)
}

/// Run one `till einvoice` command.
pub fn run(t: &mut Terminal, cfg: &Config, cmd: EinvoiceCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        EinvoiceCommand::Roll(RollCommand::Add {
            period,
            track,
            from,
            to,
        }) => {
            let p = period_arg(&period)?;
            t.add_invoice_roll(p, &track, from, to)?;
            outln!(
                "已載入 {p} {track}{from:08}–{track}{to:08} / loaded {} numbers",
                u64::from(to) - u64::from(from) + 1
            );
        }
        EinvoiceCommand::Roll(RollCommand::List { period, json }) => {
            let p = match period {
                Some(p) => period_arg(&p)?,
                None => t.current_period()?,
            };
            let rolls = t.invoice_rolls(p)?;
            if json {
                let none: Option<String> = None;
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&crate::cli::output::listing(&rolls, none))?
                );
            } else {
                for r in &rolls {
                    outln!(
                        "{} {}{:08}–{}{:08}  used {}  left {}",
                        r.period,
                        r.track,
                        r.start,
                        r.track,
                        r.end,
                        r.next - r.start,
                        r.left()
                    );
                }
            }
        }
        EinvoiceCommand::Status { json } => {
            // Whatever a crash left unwritten goes to Turnkey first.
            let written = t.export_pending(cfg)?;
            if !json {
                for f in &written {
                    outln!("已補寫 written now: {}", f.display());
                }
            }
            for (trade, made) in t.make_owed_invoice_changes(cfg)? {
                match made {
                    Ok(Some(inv)) => errln!(
                        "已補做退款發票 {} {:?} for refund {trade} / made now",
                        inv.number,
                        inv.treatment
                    ),
                    Ok(None) => {}
                    // The payment error is not worded from the locale yet.
                    Err(e) => errln!(
                        "{}: {e}",
                        say(Text::new("words.cli.refund_invoice_failed").arg("trade", trade))
                    ),
                }
            }
            let s = t.invoicing_status(cfg)?;
            if json {
                outln!("{}", serde_json::to_string_pretty(&s)?);
            } else {
                outln!("期別 period {}", s.period);
                for r in &s.rolls {
                    outln!(
                        "  {} {:08}–{:08} used {} left {}",
                        r.track,
                        r.first,
                        r.last,
                        r.used,
                        r.left
                    );
                }
                if s.low_water {
                    outln!(
                        "注意:發票號碼剩 {} 個,請載入下一本 / warning: only {} numbers left, load the next roll",
                        s.numbers_left,
                        s.numbers_left
                    );
                }
                outln!("Turnkey 待上傳 waiting: {}", s.pending_files.len());
                for f in &s.pending_files {
                    outln!("  {f}");
                }
                for n in &s.overdue {
                    outln!("逾期未上傳 overdue (48 h): {n}");
                }
                for n in &s.not_written {
                    outln!("尚未寫出 F0401 not written: {n}");
                }
                for n in &s.unprinted {
                    outln!("證明聯未列印 proof not printed: {n}");
                }
                for n in &s.changes_owed {
                    outln!("退款待作廢/折讓 refund still owes its void / allowance: {n}");
                }
                for n in &s.awaiting_invoice {
                    outln!(
                        "已付款未開發票 paid without an e-invoice: {n} (till einvoice issue --trade {n})"
                    );
                }
            }
            if !s.overdue.is_empty() {
                return Ok(ExitCode::from(1));
            }
        }
        EinvoiceCommand::Issue {
            trade,
            carrier,
            donate,
            ban,
        } => {
            let sale = t.journal().lookup(&trade)?.ok_or_else(|| {
                anyhow::anyhow!(say(
                    Text::new("words.cli.nothing_found").arg("query", &trade)
                ))
            })?;
            let buyer = match buyer_flags(carrier, donate, ban)? {
                Some(b) => b,
                // None given: as the buyer chose at the counter (kept for
                // a pay-later order), else the paper proof.
                None => t.remembered_buyer_choice(&sale)?.unwrap_or_default(),
            };
            let issued = t.issue_invoice(cfg, &sale, &buyer)?;
            outln!(
                "{} {} 隨機碼 {} 總計 {} ({})",
                sale,
                issued.invoice.number().dashed(),
                issued.invoice.random_code(),
                issued.invoice.total().dollars(),
                buyer.describe_en()
            );
            if let Some(f) = &issued.turnkey_file {
                outln!("F0401: {}", f.display());
            }
            if let Some(left) = issued.low_water {
                outln!(
                    "{}",
                    say(Text::new("words.cli.numbers_left").arg("left", left))
                );
            }
            // Scripts have no printer here: the proof counts as handed over.
            if issued.proof.is_some() {
                t.invoice_printed(issued.invoice.number())?;
            }
        }
        EinvoiceCommand::VoidAllowance {
            allowance,
            reason,
            manager,
        } => {
            if reason.trim().is_empty() {
                anyhow::bail!(say(Text::new("words.cli.give_reason")));
            }
            let m = t.manager_approves(&manager, &super::input::read_pin())?;
            match t.void_allowance(cfg, &allowance, reason.trim(), &m.name)? {
                Some(f) => outln!(
                    "折讓單 {allowance} 已作廢 / allowance voided: G0501 {}",
                    f.display()
                ),
                None => outln!(
                    "折讓單 {allowance} 已作廢 / allowance voided; set [einvoice] turnkey_dir to write its G0501"
                ),
            }
        }
        EinvoiceCommand::ClosePeriod { period } => {
            let p = period_arg(&period)?;
            let out = t.close_period(cfg, p)?;
            if out.is_empty() {
                outln!("{p}: 沒有未使用的號碼 / no unused numbers");
            }
            for (track, _, file) in out {
                match file {
                    Some(f) => outln!("{p} {track}: E0402 {}", f.display()),
                    None => {
                        outln!("{p} {track}: E0402 built; set [einvoice] turnkey_dir to write it")
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
