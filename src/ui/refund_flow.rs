//! Refunds from the GUI, below the screen: what a refund would do (shown
//! before the manager confirms, from `Terminal::refund_preview`) and its
//! printed slip. The refund itself runs as a gateway job (`wallet`).

use crate::config::Config;
use crate::locale::{Localized, Text};
use crate::money::Ntd;
use crate::print::slips::RefundBriefData;
use crate::sale::{RefundRequest, SaleNo};
use crate::terminal::{InvoicePreview, RefundVia, Terminal, gateway_name_zh};
use crate::ui::i18n::{Lang, t};
use crate::ui::screen::confirming::gateway_label;
use crate::ui::screen::{PrintFor, PrintJob};

pub use crate::terminal::{RefundMoney, RefundOutcome};

/// What the screen shows before the manager confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub paid: Ntd,
    pub refunded: Ntd,
    /// What can still go back.
    pub left: Ntd,
    /// What this request would give back, or why it cannot.
    pub amount: Result<Ntd, String>,
    /// How the money goes back (gateway and original trade, or cash); when
    /// refused, the tenders the sale was paid with. Worded by [`money_line`]
    /// in the screen's language when shown.
    pub money: Vec<RefundVia>,
    /// The gateway's rules for refunds.
    pub rules: Vec<String>,
    /// The gateway (or the sale) refuses this refund, and why.
    pub refused: Option<String>,
    /// The e-invoice decision this refund would make.
    pub invoice: String,
}

impl Preview {
    /// Whether the confirm button may send this refund.
    pub fn allows(&self) -> bool {
        self.amount.is_ok() && self.refused.is_none()
    }
}

/// What a refund of `sale` as `request` would do; no journal writes.
pub fn preview(
    terminal: &Terminal,
    cfg: &Config,
    sale: &SaleNo,
    request: &RefundRequest,
) -> Result<Preview, String> {
    let p = terminal
        .refund_preview(cfg, sale, request)
        .map_err(|e| e.to_string())?;
    let money = match &p.via {
        Some(via) => vec![via.clone()],
        // Refused: the tenders the sale was paid with.
        None => p
            .tenders
            .iter()
            .map(|tender| match tender.gateway {
                Some(gateway) => RefundVia::Gateway {
                    gateway,
                    payment: tender.trade_no.clone(),
                },
                None => RefundVia::Cash,
            })
            .collect(),
    };
    let mut rules: Vec<String> = Vec::new();
    for t in &p.tenders {
        // Cash's rule ("from the drawer") is what the money line already
        // says: shown twice, the cash line read twice.
        if t.gateway.is_none() && matches!(p.via, Some(RefundVia::Cash)) {
            continue;
        }
        if !rules.contains(&t.rule) {
            rules.push(t.rule.clone());
        }
    }
    let (amount, refused) = match p.amount {
        Some(a) => (Ok(a), None),
        None => {
            let why = p.refused.clone().unwrap_or_default();
            // A tender's rule refused it, rather than the amount asked.
            let by_rule = p.tenders.iter().any(|t| t.refused.as_ref() == Some(&why));
            if by_rule {
                (Err(String::new()), Some(why))
            } else {
                (Err(why), None)
            }
        }
    };
    Ok(Preview {
        paid: p.paid,
        refunded: p.refunded,
        left: p.refundable,
        amount,
        money,
        rules,
        refused,
        invoice: match (&p.invoice, p.amount) {
            (Some(i), _) => invoice_preview_line(i),
            (None, Some(_)) => "無電子發票 / no e-invoice".to_string(),
            (None, None) => String::new(),
        },
    })
}

/// The e-invoice decision a refund would make, zh-TW / English.
fn invoice_preview_line(i: &InvoicePreview) -> String {
    use crate::config::InvoiceIssuer;
    use crate::einvoice::Treatment;
    let n = i
        .number
        .parse::<crate::einvoice::InvoiceNumber>()
        .map(|n| n.dashed())
        .unwrap_or_else(|_| i.number.clone());
    let by_mypay = if i.issuer == InvoiceIssuer::Mypay {
        ";由 MyPay 處理 / MyPay makes the change"
    } else {
        ""
    };
    match (i.treatment, i.recover_proof) {
        (Treatment::Void, true) => format!(
            "作廢發票 {n}(同期全額退款,收回證明聯{by_mypay})/ void {n} (full refund in its period; take the proof back)"
        ),
        (Treatment::Void, false) => {
            format!("作廢發票 {n}(同期全額退款{by_mypay})/ void {n} (full refund in its period)")
        }
        (Treatment::Allowance, _) => format!(
            "折讓 {n}(部分退款或已跨期,列印折讓單請顧客簽收{by_mypay})/ allowance on {n} (partial or a later period; the buyer signs the slip)"
        ),
    }
}

/// How the money goes back, in `lang`: "JKoPay · D01…P01", "Cash, from
/// the drawer", joined with " + " for several tenders.
pub fn money_line(ways: &[RefundVia], lang: Lang) -> String {
    ways.iter()
        .map(|way| match way {
            RefundVia::Gateway { gateway, payment } => {
                format!("{} · {payment}", gateway_label(*gateway, lang))
            }
            RefundVia::Cash => t(lang, "refund.cash_back"),
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Whether the money went back.
pub fn approved(outcome: &RefundOutcome) -> bool {
    outcome.money.is_back()
}

/// The refund's trade number (…R01).
pub fn trade_no(outcome: &RefundOutcome) -> &str {
    outcome.money.trade_no()
}

/// The brief refund slip's data, for when the journal cannot give the
/// full one (its layout: `print::slips::refund_brief`).
pub fn refund_brief(
    outcome: &RefundOutcome,
    reason: &str,
    manager: &str,
    at: &str,
    demo: bool,
) -> RefundBriefData {
    let paid_back_via = match &outcome.money {
        RefundMoney::Gateway(r) => format!("{} {}", gateway_name_zh(r.gateway), r.gateway.as_str()),
        RefundMoney::Cash { .. } => "現金 cash".to_string(),
    };
    // The slip speaks zh-TW.
    let invoice = invoice_words(outcome).message(Lang::ZhTw);
    RefundBriefData {
        test: demo,
        sale_no: outcome.sale_no.to_string(),
        receipt_code: outcome.sale_no.receipt_code().to_string(),
        refund_trade_no: trade_no(outcome).to_string(),
        paid_back_via,
        refunded: outcome.amount,
        reason: reason.to_string(),
        manager: manager.to_string(),
        datetime: at.to_string(),
        invoice,
        // The cash goes back out of the drawer.
        drawer_pin: matches!(outcome.money, RefundMoney::Cash { .. }).then_some(2),
    }
}

/// The e-invoice decision, worded when shown: in the cashier's language on
/// the result screen, in zh-TW on the slip.
pub fn invoice_words(outcome: &RefundOutcome) -> Text {
    use crate::einvoice::Treatment;
    match &outcome.invoice {
        None => Text::new("refund.invoice_none"),
        Some(i) => match i.treatment {
            Treatment::Void => Text::new("refund.invoice_voided").arg("number", i.number.dashed()),
            Treatment::Allowance => Text::new("refund.invoice_allowance")
                .arg("number", i.number.dashed())
                .arg("allowance", i.allowance_number.clone().unwrap_or_default()),
        },
    }
}

/// The slips of a refund that went through: the refund slip (its answer
/// awaited by the screen), and the allowance slip when an allowance was made.
pub fn slips(
    terminal: &Terminal,
    config: &Config,
    outcome: &RefundOutcome,
    reason: &str,
    manager: &str,
) -> Vec<PrintJob> {
    let at = terminal.now().format("%Y-%m-%d %H:%M:%S%:z").to_string();
    // The slip is built from the journal (what was recorded is what is
    // printed); the interim slip only if the journal cannot say.
    let from_journal = trade_no(outcome)
        .parse::<crate::sale::TradeNo>()
        .ok()
        .and_then(|trade| {
            terminal
                .refund_slip(&config.store, &trade, false)
                .ok()
                .flatten()
        });
    let mut slip = match from_journal {
        Some(data) => crate::print::refund_slip_document(&data),
        None => crate::print::slips::refund_brief_document(&refund_brief(
            outcome,
            reason,
            manager,
            &at,
            terminal.is_demo(),
        )),
    };
    if matches!(outcome.money, RefundMoney::Cash { .. })
        && !slip
            .blocks
            .iter()
            .any(|b| matches!(b, crate::print::document::Block::Drawer { .. }))
    {
        // The cash goes back out of the drawer.
        slip.drawer(2);
    }
    let mut jobs = vec![PrintJob {
        kind: "refund_slip",
        document: slip,
        sale: Some(outcome.sale_no.clone()),
        approval: None,
        answer: Some(PrintFor::Refund),
    }];
    if let Some(allowance) = outcome
        .invoice
        .as_ref()
        .and_then(|i| i.allowance_slip.as_ref())
    {
        jobs.push(PrintJob {
            kind: "allowance_slip",
            document: allowance.clone(),
            sale: Some(outcome.sale_no.clone()),
            approval: None,
            answer: None,
        });
    }
    jobs
}
