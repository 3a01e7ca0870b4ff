//! `till refund`: pay back a paid sale on a manager's approval, and say
//! what became of its e-invoice.

use super::output::say;
use crate::locale::Text;
use crate::outln;
use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::pay::{answer, parse_amount, pay_error, print_result};
use super::session::{approving_manager, runtime, session_with_config, usage};
use crate::logging::Redactor;
use crate::money::Ntd;
use crate::sale::{RefundRequest, TradeNo};
use crate::terminal::{RefundMoney, RefundOutcome};

#[derive(Args, Debug)]
pub struct RefundArgs {
    /// The payment's trade number (or the sale's number / receipt code)
    #[arg(long)]
    pub trade: String,
    /// Amount to give back, whole NT$ in plain digits (default: everything
    /// not refunded yet)
    #[arg(long, conflicts_with = "withdraw", value_parser = parse_amount)]
    pub amount: Option<i64>,
    #[arg(long)]
    pub reason: String,
    /// Withdraw the refund --trade names (…-R01), which the gateway queued
    /// and has not done yet (MyPay api/refundcancel)
    #[arg(long)]
    pub withdraw: bool,
    /// Approving manager; the PIN is read from TILL_MANAGER_PIN or standard input
    #[arg(long)]
    pub manager: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn refund(explicit: Option<&Path>, redactor: &Redactor, args: RefundArgs) -> ExitCode {
    runtime().block_on(async move {
        let (cfg, mut till, payments, _sims) = match session_with_config(explicit, redactor).await {
            Ok(x) => x,
            Err(c) => return c,
        };
        let sale = match till.journal().lookup(&args.trade) {
            Ok(Some(s)) => s,
            Ok(None) => {
                return usage(Text::new("words.cli.no_sale").arg("trade", &args.trade));
            }
            Err(e) => return usage(e),
        };
        let manager = match approving_manager(
            &till,
            args.manager.as_ref(),
            &say(Text::new("words.cli.refund_needs_manager")),
        ) {
            Ok(m) => m,
            Err(code) => return code,
        };
        if args.withdraw {
            let trade: TradeNo = match args.trade.parse() {
                Ok(t) => t,
                Err(e) => return usage(e),
            };
            return match till
                .withdraw_refund(&payments, &trade, &args.reason, &manager)
                .await
            {
                Ok(r) => answer(&r, args.json),
                Err(e) => pay_error(e),
            };
        }
        let request = match args.amount {
            Some(a) => RefundRequest::Amount(Ntd::new(a)),
            None => RefundRequest::Full,
        };
        match till
            .refund_sale(&cfg, &payments, &sale, &request, &args.reason, &manager)
            .await
        {
            Ok(out) => {
                print_refund(&out, args.json);
                ExitCode::from(out.money.exit_code())
            }
            Err(e) => pay_error(e),
        }
    })
}

/// The e-invoice part of a refund, for scripts.
fn invoice_json(out: &RefundOutcome) -> serde_json::Value {
    match &out.invoice {
        Some(i) => serde_json::json!({
            "number": i.number.as_str(),
            "treatment": i.treatment,
            "recover_proof": i.recover_proof,
            "allowance_number": i.allowance_number,
            "turnkey_file": i.turnkey_file.as_ref().map(|p| p.display().to_string()),
        }),
        None => serde_json::Value::Null,
    }
}

/// A refund's result: the money as before (a gateway refund prints the
/// same fields as ever), then the invoice decision.
fn print_refund(out: &RefundOutcome, json: bool) {
    if json {
        let mut v = match &out.money {
            RefundMoney::Gateway(r) => serde_json::to_value(r).expect("a result serialises"),
            RefundMoney::Cash { trade_no, amount } => serde_json::json!({
                "sale_no": out.sale_no.to_string(),
                "trade_no": trade_no,
                "kind": "refund",
                "amount": amount,
                "state": "approved",
                "message": "現金退款,請由錢櫃退還 / cash refund: pay it back from the drawer",
            }),
        };
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "via".into(),
                match &out.money {
                    RefundMoney::Gateway(_) => "gateway",
                    RefundMoney::Cash { .. } => "cash",
                }
                .into(),
            );
            o.insert("invoice".into(), invoice_json(out));
            if let Some(e) = &out.invoice_error {
                o.insert("invoice_error".into(), e.clone().into());
            }
        }
        outln!("{v}");
        return;
    }
    match &out.money {
        RefundMoney::Gateway(r) => print_result(r, false),
        RefundMoney::Cash { trade_no, amount } => {
            outln!("{trade_no} cash {amount} 成功:approved");
            outln!("{}", say(Text::new("words.cli.cash_refund_from_drawer")));
        }
    }
    match &out.invoice {
        Some(i) => match i.treatment {
            crate::einvoice::Treatment::Void => {
                outln!("發票 {} 已作廢 / e-invoice voided", i.number.as_str());
                if i.recover_proof {
                    outln!("{}", say(Text::new("words.cli.take_back_proof")));
                }
            }
            crate::einvoice::Treatment::Allowance => outln!(
                "發票 {} 開立折讓單 {} / allowance on the e-invoice",
                i.number.as_str(),
                i.allowance_number.as_deref().unwrap_or("")
            ),
        },
        None if out.money.is_back() => {
            outln!("{}", say(Text::new("words.cli.e_invoice_unchanged")))
        }
        None => outln!("{}", say(Text::new("words.cli.refund_not_done"))),
    }
    if let Some(e) = &out.invoice_error {
        outln!("發票處理失敗,請手動處理 / the e-invoice change failed, do it by hand: {e}");
    }
}
