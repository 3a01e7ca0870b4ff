//! Print jobs: journal first, then the printer, then the outcome.
//!
//! A job is written to the journal before a byte is sent, so a crash or a
//! paper change never loses a receipt. An e-invoice proof is a legal
//! document: one that may be cut short (paper ran out mid-print, the till
//! crashed while printing) is never silently printed again as an original;
//! it is reprinted as 補印 with a manager's approval, on record.

use serde_json::json;

use super::{Terminal, TerminalError};
use crate::device::printer::{JobError, Printed, Printer, PrinterError};
use crate::einvoice::mypay::{Delivery, MypayInvoice, Title};
use crate::journal::{AttemptState, InvoiceChange};
use crate::journal::{JournalError, PrintState};
use crate::money::Ntd;
use crate::print::Document;
use crate::print::{
    DetailItem, DetailSlipData, ProofData, RefundInvoiceLine, RefundSlipData, detail_slip_document,
    encode, proof_document,
};
use crate::sale::{GatewayId, SaleNo, TradeNo};
use crate::secret::Secret;

/// Journal kind of an e-invoice proof (電子發票證明聯).
pub const PROOF: &str = "invoice_proof";
pub const RECEIPT: &str = "receipt";
/// Journal kind of an e-invoice's detail slip (交易明細).
pub const DETAIL_SLIP: &str = "invoice_detail";

/// `last_error` of a job that may be partly on paper starts with this.
pub const INCOMPLETE: &str = "incomplete: ";

/// A manager's name and PIN, for one approval.
#[derive(Debug, Clone, Copy)]
pub struct Approval<'a> {
    pub manager: &'a str,
    pub pin: &'a Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The job is in the journal as failed with this reason.
    Printer {
        job: i64,
        error: JobError,
    },
    /// The document cannot be put into this printer's bytes.
    Encode(crate::print::EncodeError),
    /// The printer cannot be used; the reason is already worded.
    Unavailable(String),
    /// The proof's invoice cannot be read back.
    Invoice(Box<super::InvoicingError>),
    /// A reprint of a sale that has no e-invoice proof.
    NoProof,
    NoSuchJob(i64),
    NotMarkedReprint,
    /// A MyPay invoice stored in the buyer's carrier has no paper proof:
    /// none may be printed or reprinted (補印) for it.
    InCarrier {
        number: String,
        carrier: String,
    },
    /// A donated MyPay invoice has no paper proof either.
    Donated {
        number: String,
        love_code: String,
    },
    MypayItem(String),
}
impl crate::locale::Localized for PrintError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Terminal(e) => e.message(lang),
            Self::Journal(e) => e.message(lang),
            Self::Printer { error, .. } => error.error.message(lang),
            Self::Encode(e) => fill(
                lang,
                "words.terminal_print.encode",
                &[("value", &e.message(lang))],
            ),
            Self::Unavailable(why) => fill(lang, "words.terminal_print.encode", &[("value", why)]),
            Self::Invoice(e) => fill(
                lang,
                "words.terminal_print.encode",
                &[("value", &e.message(lang))],
            ),
            Self::NoProof => fill(
                lang,
                "words.terminal_print.encode",
                &[("value", &tr(lang, "words.terminal_print.no_proof"))],
            ),
            Self::NoSuchJob(v0) => fill(lang, "words.terminal_print.no_such_job", &[("value", v0)]),
            Self::NotMarkedReprint => tr(lang, "words.terminal_print.not_marked_reprint"),
            Self::InCarrier { number, carrier } => fill(
                lang,
                "words.terminal_print.in_carrier",
                &[("number", number), ("carrier", carrier)],
            ),
            Self::Donated { number, love_code } => fill(
                lang,
                "words.terminal_print.donated",
                &[("number", number), ("love_code", love_code)],
            ),
            Self::MypayItem(v0) => fill(lang, "words.terminal_print.mypay_item", &[("value", v0)]),
        }
    }
}

crate::display_both!(PrintError);

impl PrintError {
    /// The cashier's message for a printer problem, if that is what it is.
    pub fn printer_error(&self) -> Option<&PrinterError> {
        match self {
            PrintError::Printer { error, .. } => Some(&error.error),
            _ => None,
        }
    }
}

/// What [`Terminal::resume_print_jobs`] did.
#[derive(Debug, Default)]
pub struct Resumed {
    pub printed: Vec<i64>,
    /// Proofs that may be cut short: reprint each with
    /// [`Terminal::reprint_proof`] and a manager's approval.
    pub needs_approval: Vec<i64>,
    /// The job the printer stopped at; later jobs wait for the next resume.
    pub stopped: Option<(i64, JobError)>,
}

/// The reason recorded for a failed job.
fn reason(kind: &str, e: &JobError) -> String {
    let base = format!("{}: {}", e.error.code(), e.error);
    if kind == PROOF && e.printed == Printed::Maybe {
        format!("{INCOMPLETE}{base}")
    } else {
        base
    }
}

/// The proof a MyPay-issued invoice prints: its codes exactly as MyPay gave them.
pub fn proof_from_mypay(inv: &MypayInvoice, reprint: bool) -> ProofData {
    ProofData {
        seller_name: match &inv.title {
            Some(Title::Text(t)) => Some(t.clone()),
            // An image title would need a download; the proof is valid without it.
            Some(Title::ImageUrl(_)) | None => None,
        },
        period_label: inv.period.label_zh(),
        number_dashed: inv.number.dashed(),
        datetime: match inv.issued_at {
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => inv.issued_on.format("%Y-%m-%d").to_string(),
        },
        random_code: inv.random_code.as_str().to_string(),
        total: inv.total,
        seller_ban: inv.seller_ban.clone(),
        buyer_ban: inv.buyer_ban.clone(),
        code39: inv.middle_barcode.clone(),
        left_qr: inv.left_qr.clone(),
        right_qr: inv.right_qr.clone(),
        test: false,
        reprint,
    }
}

/// A MyPay invoice's proof, refused for one MyPay stored in the buyer's
/// carrier or donated: no paper proof exists for it, so there is nothing to
/// print or 補印 (the GUI's history screen and `till print einvoice` both
/// come here).
pub fn mypay_proof(inv: &MypayInvoice, reprint: bool) -> Result<ProofData, PrintError> {
    let number = inv.number.dashed();
    match &inv.delivery {
        Delivery::Paper => Ok(proof_from_mypay(inv, reprint)),
        Delivery::Carrier(code) => Err(PrintError::InCarrier {
            number,
            // The e-mail cloud carrier has no code to show.
            carrier: if code.is_empty() {
                "MyPay".into()
            } else {
                code.clone()
            },
        }),
        Delivery::Donated(code) => Err(PrintError::Donated {
            number,
            love_code: code.clone(),
        }),
    }
}

/// The detail slip (交易明細) printed after the proof of a MyPay invoice to
/// a company (buyer BAN), as the till's own B2B invoices have it; `None`
/// for a consumer's invoice. Items are MyPay's `invoice_order_detail`, or
/// what its QR codes record when it sent none.
pub fn mypay_detail_slip(
    inv: &MypayInvoice,
    reprint: bool,
    test: bool,
) -> Result<Option<DetailSlipData>, PrintError> {
    if inv.buyer_ban.is_none() || inv.delivery != Delivery::Paper {
        return Ok(None);
    }
    let whole = |what: &str, name: &str, text: &str| -> Result<i64, PrintError> {
        text.trim()
            .parse::<i64>()
            .map_err(|_| PrintError::MypayItem(format!("{name} {what} {text}")))
    };
    let items = if inv.items.is_empty() {
        inv.qr_items
            .iter()
            .map(|i| {
                let qty = whole("數量 quantity", &i.name, &i.qty)?;
                let unit = whole("單價 unit price", &i.name, &i.unit_price)?;
                let amount = Ntd::new(unit)
                    .checked_mul(qty)
                    .map_err(|_| PrintError::MypayItem(i.name.clone()))?;
                Ok((i.name.clone(), qty, unit, amount))
            })
            .collect::<Result<Vec<_>, PrintError>>()?
    } else {
        inv.items
            .iter()
            .map(|i| {
                let name = &i.description;
                Ok((
                    name.clone(),
                    whole("數量 quantity", name, &i.quantity)?,
                    whole("單價 unit price", name, &i.unit_price)?,
                    Ntd::new(whole("金額 amount", name, &i.amount)?),
                ))
            })
            .collect::<Result<Vec<_>, PrintError>>()?
    };
    let items = items
        .into_iter()
        .map(|(name, qty, unit, amount)| {
            Ok(DetailItem {
                qty: u32::try_from(qty)
                    .map_err(|_| PrintError::MypayItem(format!("{name} 數量 quantity {qty}")))?,
                name,
                unit_price: Ntd::new(unit),
                amount,
            })
        })
        .collect::<Result<Vec<_>, PrintError>>()?;
    // A company's slip shows the untaxed amount and the tax apart. MyPay
    // may state tax 0 with sales = the total (its consumer sample; the
    // simulator does so for companies too): then the split is the one its
    // left QR code records (checked against the fields by `from_fields`).
    let (sales_amount, tax) = if inv.tax.is_positive() || !inv.left.sales_amount.is_positive() {
        (inv.sales_amount, inv.tax)
    } else {
        let untaxed = inv.left.sales_amount;
        let tax = inv
            .total
            .checked_sub(untaxed)
            .ok()
            .filter(|t| !t.is_negative())
            .ok_or_else(|| PrintError::MypayItem(format!("銷售額 sales {untaxed}")))?;
        (untaxed, tax)
    };
    let proof = proof_from_mypay(inv, reprint);
    Ok(Some(DetailSlipData {
        seller_name: proof.seller_name,
        seller_ban: inv.seller_ban.clone(),
        number_dashed: proof.number_dashed,
        datetime: proof.datetime,
        buyer_ban: inv.buyer_ban.clone(),
        items,
        sales_amount,
        tax,
        total: inv.total,
        test,
        reprint,
    }))
}

/// [`mypay_detail_slip`] as a document to print, for a caller that prints
/// it as a job of its own after the proof (kind [`DETAIL_SLIP`]). A slip
/// MyPay's items cannot fill is logged and left out: the proof, the legal
/// document, still prints.
pub fn mypay_detail_slip_document(inv: &MypayInvoice, test: bool) -> Option<Document> {
    match mypay_detail_slip(inv, false, test) {
        Ok(slip) => slip.as_ref().map(detail_slip_document),
        Err(e) => {
            tracing::warn!(number = %inv.number, "MyPay detail slip not printed: {e}");
            None
        }
    }
}

impl Terminal {
    fn actor(&self) -> String {
        self.user()
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "system".into())
    }

    /// Journal a job and print it. A reprint needs a manager's approval and
    /// is audited under the manager's name. On a printer problem the job
    /// stays in the journal as failed, to be printed by
    /// [`Terminal::resume_print_jobs`].
    pub fn print(
        &mut self,
        printer: &mut Printer,
        kind: &str,
        bytes: &[u8],
        sale: Option<&SaleNo>,
        reprint: Option<Approval<'_>>,
    ) -> Result<i64, PrintError> {
        let id = self.enqueue(&printer.profile, kind, bytes, sale, reprint)?;
        self.run_job(printer, id, kind, bytes)?;
        Ok(id)
    }

    fn enqueue(
        &mut self,
        profile: &crate::print::Profile,
        kind: &str,
        bytes: &[u8],
        sale: Option<&SaleNo>,
        reprint: Option<Approval<'_>>,
    ) -> Result<i64, PrintError> {
        let by = match reprint {
            Some(a) => {
                let manager = self.manager_approves(a.manager, a.pin)?;
                if kind == PROOF && !says_reprint(profile, bytes) {
                    return Err(PrintError::NotMarkedReprint);
                }
                manager.name
            }
            None => self.actor(),
        };
        Ok(self
            .journal_mut()
            .enqueue_print(sale, kind, bytes, reprint.is_some(), &by)?)
    }

    fn run_job(
        &mut self,
        printer: &mut Printer,
        id: i64,
        kind: &str,
        bytes: &[u8],
    ) -> Result<(), PrintError> {
        self.journal_mut().start_print(id)?;
        let outcome = printer.send(bytes).map(|_| ());
        self.print_done(id, kind, outcome)
    }

    /// Print an e-invoice proof; with an approval it is a 補印 reprint.
    pub fn print_proof(
        &mut self,
        printer: &mut Printer,
        proof: &ProofData,
        sale: Option<&SaleNo>,
        reprint: Option<Approval<'_>>,
    ) -> Result<i64, PrintError> {
        let bytes = proof_bytes(printer, proof, reprint.is_some())?;
        self.print(printer, PROOF, &bytes, sale, reprint)
    }

    /// After a restart or a paper change: print what is still pending, in
    /// order, stopping at the first printer problem. Proofs that may be on
    /// paper already are left for a manager's 補印.
    pub fn resume_print_jobs(&mut self, printer: &mut Printer) -> Result<Resumed, PrintError> {
        self.requeue_after_restart()?;
        let mut done = Resumed::default();
        for job in self.journal().pending_print_jobs()? {
            if is_incomplete_proof(&job) {
                done.needs_approval.push(job.id);
                continue;
            }
            if done.stopped.is_some() {
                continue;
            }
            match self.run_job(printer, job.id, &job.kind, &job.payload) {
                Ok(()) => done.printed.push(job.id),
                Err(PrintError::Printer { job, error }) => done.stopped = Some((job, error)),
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Reprint a proof that may have been cut short, as 補印, with a
    /// manager's approval. The old job is closed once the reprint is queued
    /// (the journal has no "superseded" state; the audit row records the
    /// reprint).
    pub fn reprint_proof(
        &mut self,
        printer: &mut Printer,
        job: i64,
        proof: &ProofData,
        approval: Approval<'_>,
    ) -> Result<i64, PrintError> {
        let old = self
            .journal()
            .pending_print_jobs()?
            .into_iter()
            .find(|j| j.id == job && j.kind == PROOF && j.state == PrintState::Failed)
            .ok_or(PrintError::NoSuchJob(job))?;
        let bytes = proof_bytes(printer, proof, true)?;
        let id = self.enqueue(
            &printer.profile,
            PROOF,
            &bytes,
            old.sale.as_ref(),
            Some(approval),
        )?;
        self.journal_mut().start_print(old.id)?;
        self.journal_mut().finish_print(old.id)?;
        self.run_job(printer, id, PROOF, &bytes)?;
        Ok(id)
    }

    /// Pulse the cash drawer (a cash tender). Not a print job: the drawer
    /// opens even when the paper is out.
    pub fn open_drawer_for_cash(&mut self, printer: &mut Printer) -> Result<(), PrintError> {
        pulse(printer).map_err(|error| PrintError::Printer {
            job: 0,
            error: JobError {
                printed: Printed::Nothing,
                error,
            },
        })
    }

    /// Open the drawer without a sale: a manager approves, and the opening
    /// is in the audit log before the drawer moves.
    pub fn no_sale(
        &mut self,
        printer: &mut Printer,
        approval: Approval<'_>,
        reason: &str,
    ) -> Result<(), PrintError> {
        self.approve_no_sale(approval, reason)?;
        self.open_drawer_for_cash(printer)
    }

    /// A manager approves opening the drawer without a sale; the opening is
    /// in the audit log before the drawer moves (the caller sends the pulse).
    pub fn approve_no_sale(
        &mut self,
        approval: Approval<'_>,
        reason: &str,
    ) -> Result<(), PrintError> {
        let manager = self.manager_approves(approval.manager, approval.pin)?;
        let cashier = self.actor();
        let conn = self.journal().raw_connection();
        let tx = conn.unchecked_transaction().map_err(JournalError::from)?;
        crate::journal::audit::append(
            &tx,
            &crate::journal::stamp(crate::taipei::now()),
            &manager.name,
            "drawer.no_sale",
            "",
            &json!({ "cashier": cashier, "reason": reason }),
        )?;
        tx.commit().map_err(JournalError::from)?;
        tracing::info!(manager = %manager.name, "no-sale drawer opening");
        Ok(())
    }
}

fn gateway_label(g: Option<GatewayId>) -> String {
    match g {
        None => "現金 Cash",
        Some(GatewayId::JkoPay) => "街口支付 JKoPay",
        Some(GatewayId::MyPay) => "MyPay",
        Some(GatewayId::Ecpay) => "綠界 ECPay",
        Some(GatewayId::Goodbuy) => "超商/ATM Pay later",
    }
    .to_string()
}

/// `YYYY-MM-DD HH:MM:SS +08:00` from a journal stamp.
fn slip_time(stamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .map(|t| {
            t.with_timezone(&crate::taipei::offset())
                .format("%Y-%m-%d %H:%M:%S %:z")
                .to_string()
        })
        .unwrap_or_else(|_| stamp.to_string())
}

impl Terminal {
    /// What the refund slip of one refund prints, from the journal: the
    /// refund attempt (amount, reason, approving manager, the payment it
    /// refunds) and the e-invoice decision recorded for it (void or
    /// allowance). `None` when the journal has no such refund.
    pub fn refund_slip(
        &self,
        store: &crate::config::Store,
        refund_trade_no: &TradeNo,
        reprint: bool,
    ) -> Result<Option<RefundSlipData>, PrintError> {
        let Some(detail) = self.journal().sale_detail(refund_trade_no.sale())? else {
            return Ok(None);
        };
        let Some(refund) = detail
            .refunds
            .iter()
            .find(|r| &r.trade_no == refund_trade_no)
        else {
            return Ok(None);
        };
        // The refund's reason, manager and payment are noted on one of its
        // events (`Sending` for a gateway refund, see `Terminal::refund`).
        let events = self
            .journal()
            .attempt(refund_trade_no)?
            .map(|a| a.events)
            .unwrap_or_default();
        let said = |key: &str| {
            events
                .iter()
                .find_map(|e| e.detail["extra"].get(key).and_then(|v| v.as_str()))
                .map(str::to_string)
        };
        let original = said("payment").unwrap_or_else(|| {
            detail
                .payments
                .iter()
                .rev()
                .find(|p| p.state == AttemptState::Approved)
                .map(|p| p.trade_no.to_string())
                .unwrap_or_default()
        });
        let refunded_total = crate::money::Ntd::checked_sum(
            detail
                .refunds
                .iter()
                .filter(|r| r.state == AttemptState::Approved || r.trade_no == refund.trade_no)
                .map(|r| r.amount),
        )
        .unwrap_or(refund.amount);
        let remaining = detail
            .summary
            .paid
            .checked_sub(refunded_total)
            .unwrap_or(crate::money::Ntd::ZERO);
        // The invoice decision taken for this refund: the first change on
        // the sale's invoices made at or after the refund began, for its
        // amount (an allowance) or the whole invoice (a void).
        let mut decision = RefundInvoiceLine::None;
        'found: for inv in &detail.invoices {
            let changes: Vec<InvoiceChange> = self.journal().invoice_changes(&inv.number)?;
            for c in changes {
                if c.at < refund.created_at {
                    continue;
                }
                let dashed = inv
                    .number
                    .parse::<crate::einvoice::InvoiceNumber>()
                    .map(|n| n.dashed())
                    .unwrap_or_else(|_| inv.number.clone());
                if c.kind == "void" {
                    decision = RefundInvoiceLine::Void {
                        number_dashed: dashed,
                        proof_recovered: c.data["proof_recovered"].as_bool().unwrap_or(false),
                    };
                    break 'found;
                }
                if c.kind == "allowance" && c.amount == refund.amount {
                    decision = RefundInvoiceLine::Allowance {
                        number_dashed: dashed,
                        allowance_number: c.data["allowance_number"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string(),
                    };
                    break 'found;
                }
            }
        }
        let mut header_lines = Vec::new();
        if !store.address.is_empty() {
            header_lines.push(store.address.clone());
        }
        header_lines.push(format!("統編 {}", store.ban));
        Ok(Some(RefundSlipData {
            shop_name: store.name.clone(),
            header_lines,
            sale_no: detail.summary.sale_no.to_string(),
            receipt_code: detail.summary.sale_no.receipt_code().to_string(),
            original_trade_no: original,
            gateway: gateway_label(refund.gateway),
            refund_trade_no: refund.trade_no.to_string(),
            refunded: refund.amount,
            remaining,
            reason: said("reason").unwrap_or_default(),
            manager: said("manager").unwrap_or_default(),
            datetime: slip_time(&refund.created_at),
            invoice: decision,
            test: self.is_demo(),
            reprint,
        }))
    }
}

fn pulse(printer: &mut Printer) -> Result<(), PrinterError> {
    let bytes = printer.drawer_pulse()?;
    let timeout = printer.write_timeout;
    printer.connect()?.write_all(&bytes, timeout)
}

fn proof_bytes(printer: &Printer, proof: &ProofData, reprint: bool) -> Result<Vec<u8>, PrintError> {
    encode_proof(&printer.profile, proof, reprint)
}

/// A proof's bytes for a printer profile, 補印 when `reprint`.
fn encode_proof(
    profile: &crate::print::Profile,
    proof: &ProofData,
    reprint: bool,
) -> Result<Vec<u8>, PrintError> {
    let proof = ProofData {
        reprint,
        ..proof.clone()
    };
    encode(&proof_document(&proof), profile).map_err(PrintError::Encode)
}

/// Whether the bytes print 補印. Printers without a Chinese font get text as
/// images, which the emulator cannot read back; those are trusted.
fn says_reprint(profile: &crate::print::Profile, bytes: &[u8]) -> bool {
    profile.chinese == crate::print::Chinese::None
        || crate::print::render(bytes, profile)
            .report
            .text
            .contains("補印")
}

/// Printing in two halves, for a caller that sends the bytes from another
/// thread (the GUI's spooler, so a slow or unplugged printer never freezes
/// the screen): [`Terminal::queue_print`] journals the job before a byte
/// leaves, [`Terminal::print_done`] journals what the printer said.
impl Terminal {
    /// Journal a job as being printed, as [`Terminal::print`] does before
    /// it sends: a reprint needs a manager's approval (and a proof must say
    /// 補印). Returns the job id to report back with.
    pub fn queue_print(
        &mut self,
        profile: &crate::print::Profile,
        kind: &str,
        bytes: &[u8],
        sale: Option<&SaleNo>,
        reprint: Option<Approval<'_>>,
    ) -> Result<i64, PrintError> {
        let id = self.enqueue(profile, kind, bytes, sale, reprint)?;
        self.journal_mut().start_print(id)?;
        Ok(id)
    }

    /// What the printer did with job `id`: printed, or failed (then the job
    /// waits in the journal for a resume, or a manager's 補印 for a proof
    /// that may be on paper).
    pub fn print_done(
        &mut self,
        id: i64,
        kind: &str,
        outcome: Result<(), JobError>,
    ) -> Result<(), PrintError> {
        match outcome {
            Ok(()) => {
                self.journal_mut().finish_print(id)?;
                tracing::info!(job = id, kind, "printed");
                Ok(())
            }
            Err(error) => {
                let why = reason(kind, &error);
                tracing::warn!(job = id, kind, "print failed: {why}");
                self.journal_mut().fail_print(id, &why)?;
                Err(PrintError::Printer { job: id, error })
            }
        }
    }

    /// The bytes of an e-invoice proof for this printer (補印 when `reprint`).
    pub fn proof_bytes(
        &self,
        profile: &crate::print::Profile,
        proof: &ProofData,
        reprint: bool,
    ) -> Result<Vec<u8>, PrintError> {
        encode_proof(profile, proof, reprint)
    }
}

/// `YYYY-MM-DD HH:MM` of an RFC 3339 time (+08:00 as given), for slips.
fn slip_minutes(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// The PayPage slip (手機付款) for an order: its URL as a QR code.
pub fn paypage_slip(
    store: &crate::config::Store,
    order: &super::PayPageOrder,
    test: bool,
) -> crate::print::PayPageSlipData {
    crate::print::PayPageSlipData {
        shop_name: store.name.clone(),
        trade_no: order.trade_no.clone(),
        amount: order.amount,
        url: order.url.clone(),
        expires_at: order.expires_at.as_deref().map(slip_minutes),
        test,
    }
}

/// The pay-later slip (繳費單) for what the aggregator told the customer to do.
pub fn pay_later_slip(
    store: &crate::config::Store,
    how: &super::PayLaterInstructions,
    test: bool,
) -> crate::print::PayLaterSlipData {
    use crate::gateway::goodbuy::PayType;
    crate::print::PayLaterSlipData {
        shop_name: store.name.clone(),
        trade_no: how.trade_no.clone(),
        pay_type: match how.pay_type {
            PayType::Atm { .. } => crate::print::PayLaterKind::Atm,
            PayType::Store { .. } => crate::print::PayLaterKind::Store,
            PayType::Credit { .. } => crate::print::PayLaterKind::Credit,
        },
        amount: how.amount,
        bank_code: how.bank_code.clone(),
        account: how.account.clone(),
        store_code: how.store_code.clone(),
        pay_url: how.pay_url.clone(),
        deadline: how.deadline.as_deref().map(slip_minutes),
        test,
    }
}

/// Resuming and 補印 for a caller that sends the bytes itself (the GUI's
/// printer thread), by the same rules as [`Terminal::resume_print_jobs`]
/// and [`Terminal::reprint_proof`].
impl Terminal {
    /// After a restart or a paper change: proofs caught mid-print are set
    /// aside for a manager's 補印 (they may be on paper already); every
    /// other job still waiting is marked printing again and returned, in
    /// order, to be sent and then reported with [`Terminal::print_done`].
    pub fn take_resumable_prints(&mut self) -> Result<Vec<crate::journal::PrintJob>, PrintError> {
        self.requeue_after_restart()?;
        let mut out = Vec::new();
        for job in self.journal().pending_print_jobs()? {
            if is_incomplete_proof(&job) {
                continue;
            }
            self.journal_mut().start_print(job.id)?;
            out.push(job);
        }
        Ok(out)
    }

    /// Proofs that may be cut short on paper, waiting for a manager's 補印.
    pub fn proofs_awaiting_reprint(&self) -> Result<Vec<crate::journal::PrintJob>, PrintError> {
        Ok(self
            .journal()
            .pending_print_jobs()?
            .into_iter()
            .filter(is_incomplete_proof)
            .collect())
    }

    /// The proof of `sale`'s e-invoice, marked 補印: the till's own, or the
    /// one MyPay issued. `None` when the sale has no e-invoice on paper; an
    /// error naming where it went when MyPay stored it in the buyer's
    /// carrier or donated it ([`mypay_proof`]).
    pub fn proof_for_reprint(
        &self,
        cfg: &crate::config::Config,
        sale: &SaleNo,
    ) -> Result<Option<ProofData>, PrintError> {
        let own = self
            .live_invoice(sale)
            .map_err(|e| PrintError::Invoice(Box::new(e)))?;
        if let Some((invoice, _)) = own {
            return self
                .reprint_invoice(cfg, invoice.number())
                .map_err(|e| PrintError::Invoice(Box::new(e)));
        }
        match self.mypay_invoice(sale).ok().flatten() {
            Some(inv) => mypay_proof(&inv, true).map(Some),
            None => Ok(None),
        }
    }

    /// Journal a 補印 of `sale`'s proof with a manager's approval (audited);
    /// a cut-short proof job of the sale is closed by it. Returns the job id
    /// and the bytes to send.
    pub fn queue_proof_reprint(
        &mut self,
        cfg: &crate::config::Config,
        profile: &crate::print::Profile,
        sale: &SaleNo,
        approval: Approval<'_>,
    ) -> Result<(i64, Vec<u8>), PrintError> {
        let proof = self
            .proof_for_reprint(cfg, sale)?
            .ok_or_else(|| PrintError::NoProof)?;
        let bytes = self.proof_bytes(profile, &proof, true)?;
        let id = self.queue_print(profile, PROOF, &bytes, Some(sale), Some(approval))?;
        for old in self.proofs_awaiting_reprint()? {
            if old.sale.as_ref() == Some(sale) {
                self.journal_mut().start_print(old.id)?;
                self.journal_mut().finish_print(old.id)?;
            }
        }
        Ok((id, bytes))
    }
}

impl Terminal {
    /// Proofs caught mid-print by a crash may be on paper: mark them before
    /// the journal puts every interrupted job back in the queue.
    fn requeue_after_restart(&mut self) -> Result<(), PrintError> {
        for job in self.journal().pending_print_jobs()? {
            if job.kind == PROOF && job.state == PrintState::Printing {
                self.journal_mut().fail_print(
                    job.id,
                    &format!("{INCOMPLETE}interrupted: 列印中斷 / interrupted while printing"),
                )?;
            }
        }
        self.journal_mut().requeue_interrupted_prints()?;
        Ok(())
    }
}

/// A proof that may be on paper already: only a 補印 may print it again.
pub fn is_incomplete_proof(job: &crate::journal::PrintJob) -> bool {
    job.kind == PROOF
        && job
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with(INCOMPLETE))
}

/// The test page for `printer` (`till print test`, the Settings screen).
pub fn test_page(store: &crate::config::Store, printer: &Printer) -> Document {
    crate::print::slips::test_page_document(&crate::device::printer::test_page_data(
        &store.name,
        printer,
    ))
}
