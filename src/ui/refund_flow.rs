//! Refunds from the GUI, below the screen: what a refund would do (shown
//! before the manager confirms), the refund itself on the payment runtime
//! (the terminal travels with it, as with payments), and its printed slip.
//!
//! The application layer's one refund call (`Terminal::refund_sale`, with
//! `refund_preview`) is being written beside this; until it lands, the
//! `adapter` module below stands in for it with the same shapes, so the
//! swap is: delete `adapter`, import the terminal's types.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::journal::{AttemptState, User};
use crate::money::Ntd;
use crate::print::document::{Document, Style};
use crate::sale::{RefundRequest, SaleNo};
use crate::terminal::payment::PayError;
use crate::terminal::{Terminal, gateway_name_zh};
use crate::ui::wallet::WalletPay;

pub use adapter::{RefundMoney, RefundOutcome};

type Done = (Terminal, Result<RefundOutcome, PayError>);

/// What the screen shows before the manager confirms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub paid: Ntd,
    pub refunded: Ntd,
    /// What can still go back.
    pub left: Ntd,
    /// What this request would give back, or why it cannot.
    pub amount: Result<Ntd, String>,
    /// How the money goes back (gateway and original trade, or cash).
    pub money: String,
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
    adapter::preview(terminal, cfg, sale, request)
}

/// A refund running on the payment runtime.
pub struct RefundJob {
    rx: mpsc::Receiver<Done>,
    started: Instant,
    /// For the slip: why, and who approved.
    pub reason: String,
    pub manager: String,
}

impl RefundJob {
    /// Send the refund; the terminal goes with it and comes back with the outcome.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        wallet: &WalletPay,
        terminal: Terminal,
        cfg: &Config,
        sale: SaleNo,
        request: RefundRequest,
        reason: String,
        manager: User,
    ) -> RefundJob {
        let cfg = cfg.clone();
        let (why, by) = (reason.clone(), manager.name.clone());
        let rx = wallet.run(terminal, move |mut terminal, payments| async move {
            let outcome = adapter::refund_sale(
                &mut terminal,
                &cfg,
                &payments,
                &sale,
                &request,
                &reason,
                &manager,
            )
            .await;
            (terminal, outcome)
        });
        RefundJob {
            rx,
            started: Instant::now(),
            reason: why,
            manager: by,
        }
    }

    pub fn waiting(&self) -> Duration {
        self.started.elapsed()
    }

    /// The finished refund, if it has finished.
    pub fn poll(&self) -> Option<Done> {
        self.rx.try_recv().ok()
    }

    /// Wait for the refund, at most `timeout` (tests).
    pub fn wait(&self, timeout: Duration) -> Option<Done> {
        self.rx.recv_timeout(timeout).ok()
    }
}

/// Whether the money went back.
pub fn approved(outcome: &RefundOutcome) -> bool {
    match &outcome.money {
        RefundMoney::Gateway(r) => r.state == AttemptState::Approved,
        RefundMoney::Cash { .. } => true,
    }
}

/// The refund's trade number (…R01).
pub fn trade_no(outcome: &RefundOutcome) -> &str {
    match &outcome.money {
        RefundMoney::Gateway(r) => &r.trade_no,
        RefundMoney::Cash { trade_no, .. } => trade_no,
    }
}

/// THE place the refund slip (退款單) is made. Interim: a plain slip built
/// here until the print module's refund slip document lands; then this
/// returns that document built from the journal.
pub fn refund_slip_document(
    outcome: &RefundOutcome,
    reason: &str,
    manager: &str,
    at: &str,
    demo: bool,
) -> Document {
    let mut d = Document::new();
    if demo {
        d.text("測試", Style::center().bold());
    }
    d.text("退款單 REFUND", Style::center().bold());
    d.row("原交易", outcome.sale_no.to_string());
    d.row("收據", outcome.sale_no.receipt_code().to_string());
    d.row("退款單號", trade_no(outcome).to_string());
    let how = match &outcome.money {
        RefundMoney::Gateway(r) => format!("{} {}", gateway_name_zh(r.gateway), r.gateway.as_str()),
        RefundMoney::Cash { .. } => "現金 cash".to_string(),
    };
    d.row("退款方式", how);
    d.row_styled(
        "退款金額",
        outcome.amount.to_string(),
        Style::default().bold(),
    );
    d.row("原因", reason.to_string());
    d.row("核准", manager.to_string());
    d.row("時間", at.to_string());
    d.rule();
    let invoice = invoice_line(outcome);
    // The slip speaks zh-TW: the part before " / ".
    d.text(
        invoice.split(" / ").next().unwrap_or(&invoice).to_string(),
        Style::default(),
    );
    d.feed(3).cut();
    if matches!(outcome.money, RefundMoney::Cash { .. }) {
        // The cash goes back out of the drawer.
        d.drawer(2);
    }
    d
}

/// The e-invoice decision, one line, zh-TW / English.
pub fn invoice_line(outcome: &RefundOutcome) -> String {
    use crate::einvoice::Treatment;
    match &outcome.invoice {
        None => "電子發票:無 / e-invoice: none".to_string(),
        Some(i) => match i.treatment {
            Treatment::Void => format!(
                "電子發票 {} 已作廢 / e-invoice {} voided",
                i.number.dashed(),
                i.number.dashed()
            ),
            Treatment::Allowance => {
                let no = i.allowance_number.clone().unwrap_or_default();
                format!(
                    "電子發票 {} 折讓單 {no} / e-invoice {} allowance {no}",
                    i.number.dashed(),
                    i.number.dashed()
                )
            }
        },
    }
}

/// Stand-ins for `Terminal::refund_sale` and `Terminal::refund_preview`.
mod adapter {
    use super::Preview;
    use crate::config::Config;
    use crate::einvoice::{CrossPeriodVoid, Treatment, refund_treatment};
    use crate::journal::{AttemptState, InvoiceStatus, User};
    use crate::money::Ntd;
    use crate::sale::{GatewayId, RefundRequest, Refundable, SaleNo};
    use crate::terminal::payment::{PayError, PayResult, Payments};
    use crate::terminal::{InvoiceRefund, RefundInvoice};
    use crate::terminal::{Terminal, gateway_name_zh};

    pub enum RefundMoney {
        Gateway(PayResult),
        Cash { trade_no: String, amount: Ntd },
    }

    pub struct RefundOutcome {
        pub sale_no: SaleNo,
        pub amount: Ntd,
        pub money: RefundMoney,
        pub invoice: Option<RefundInvoice>,
    }

    pub async fn refund_sale(
        terminal: &mut Terminal,
        cfg: &Config,
        payments: &Payments,
        sale: &SaleNo,
        request: &RefundRequest,
        reason: &str,
        manager: &User,
    ) -> Result<RefundOutcome, PayError> {
        let r = terminal
            .refund(payments, sale, request, reason, manager)
            .await?;
        let invoice = if r.state == AttemptState::Approved {
            let lines = match request {
                RefundRequest::Lines(l) => l.clone(),
                _ => Vec::new(),
            };
            terminal
                .invoice_for_refund(
                    cfg,
                    sale,
                    &InvoiceRefund {
                        amount: r.amount,
                        lines,
                        reason: reason.to_string(),
                        policy: CrossPeriodVoid::default(),
                    },
                )
                .ok()
        } else {
            None
        };
        Ok(RefundOutcome {
            sale_no: sale.clone(),
            amount: r.amount,
            money: RefundMoney::Gateway(r),
            invoice,
        })
    }

    pub fn preview(
        terminal: &Terminal,
        _cfg: &Config,
        sale: &SaleNo,
        request: &RefundRequest,
    ) -> Result<Preview, String> {
        let detail = terminal
            .journal()
            .sale_detail(sale)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("找不到交易 {sale} / no sale {sale}"))?;
        let mut refunded_units = vec![0u32; detail.lines.len()];
        for r in detail
            .refunds
            .iter()
            .filter(|r| r.state == AttemptState::Approved)
        {
            for &(i, q) in &r.refund_lines {
                if let Some(u) = refunded_units.get_mut(i) {
                    *u += q;
                }
            }
        }
        let refundable = Refundable {
            lines: &detail.lines,
            paid: detail.summary.paid,
            refunded: detail.summary.refunded,
            refunded_units,
        };
        let left = refundable.left();
        let amount = refundable
            .plan(request)
            .map(|p| p.amount)
            .map_err(|e| e.to_string());
        let paid_by = detail
            .payments
            .iter()
            .rev()
            .find(|p| p.state == AttemptState::Approved);
        let (money, rules, mut refused) = match paid_by.and_then(|p| p.gateway.map(|g| (p, g))) {
            Some((p, g)) => {
                let money = format!("{} {} · {}", gateway_name_zh(g), g.as_str(), p.trade_no);
                let (rules, refused) = match g {
                    GatewayId::JkoPay => (
                        "可部分退款、可多次,合計不超過實付 / partial and repeated refunds up to the amount paid",
                        None,
                    ),
                    GatewayId::MyPay => (
                        "可部分退款,合計不超過實付 / partial refunds up to the amount paid",
                        None,
                    ),
                    GatewayId::Ecpay => ("退回綠界綁定信用卡 / back to the bound card", None),
                    GatewayId::Goodbuy => (
                        "僅限信用卡、整筆退款、訂單次日 09:30 前 / credit card only, whole order, before 09:30 the next day",
                        (amount.as_ref().ok() != Some(&detail.summary.paid)).then(|| {
                            "只能整筆退款 / only the whole order can be refunded".to_string()
                        }),
                    ),
                };
                (money, vec![rules.to_string()], refused)
            }
            None => (
                "現金(由錢櫃退還)/ cash from the drawer".to_string(),
                Vec::new(),
                None,
            ),
        };
        if paid_by.is_none() {
            refused = Some("此交易尚未付款 / this sale is not paid".into());
        }
        let invoice = match terminal.live_invoice(sale) {
            Ok(None) => "無電子發票 / no e-invoice".to_string(),
            Ok(Some((invoice, status))) => {
                let today = terminal.now().date_naive();
                let full = amount.as_ref().ok() == Some(&invoice.total())
                    && status == InvoiceStatus::Issued;
                let by_date =
                    refund_treatment(invoice.issued_on(), today, CrossPeriodVoid::default())
                        .unwrap_or(Treatment::Allowance);
                let n = invoice.number().dashed();
                match (full, by_date) {
                    (true, Treatment::Void) => format!(
                        "作廢發票 {n}(同期全額退款,收回證明聯)/ void {n} (full refund in its period; take the proof back)"
                    ),
                    (true, Treatment::Allowance) => {
                        format!("折讓 {n}(已跨期)/ allowance on {n} (a later period)")
                    }
                    (false, _) => format!(
                        "折讓 {n}(部分退款,列印折讓單請顧客簽收)/ allowance on {n} (partial refund; the buyer signs the slip)"
                    ),
                }
            }
            Err(e) => e.to_string(),
        };
        Ok(Preview {
            paid: detail.summary.paid,
            refunded: detail.summary.refunded,
            left,
            amount,
            money,
            rules,
            refused,
            invoice,
        })
    }
}
