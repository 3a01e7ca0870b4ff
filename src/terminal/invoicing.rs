//! Issuing e-invoices from this terminal's number rolls, voiding them or
//! making allowances on refunds, and reporting unused numbers at period end.
//!
//! Order of work, so that a crash anywhere loses or reuses no number:
//! 1. one journal transaction takes the number and stores the invoice (its
//!    data is built and checked inside it: a bad QR key or seller BAN takes
//!    no number);
//! 2. the F0401 message is written for Turnkey and the file name noted;
//! 3. the proof is printed by the caller, who then calls
//!    [`Terminal::invoice_printed`].
//!
//! A crash after 1 leaves `"proof": "pending"` and/or `"turnkey": null` in
//! the invoice's data; [`Terminal::resume_invoices`] finds those by query,
//! writes the missing messages and returns the proofs still to print.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Terminal, TerminalError};
use crate::config::{Config, InvoiceIssuer};
use crate::einvoice::buyer::BuyerChoice;
use crate::einvoice::mig::turnkey::{self, Pending, TurnkeyError};
use crate::einvoice::mig::{
    Allowance, AllowanceLine, BlankRange, BranchTrackBlank, CancelAllowance, CancelInvoice,
    InvoiceMessage, MessageType, MigError, Seller, g0401, g0501,
};
use crate::einvoice::qr::{self, Encoding, QrError};
use crate::einvoice::refund::RefundDateError;
use crate::einvoice::{
    CrossPeriodVoid, Invoice, InvoiceError, InvoiceNumber, Item, Period, RandomCode, Treatment,
    code39_content, refund_treatment,
};
use crate::journal::{InvoiceRecord, InvoiceRoll, InvoiceStatus, JournalError, SaleStatus};
use crate::money::Ntd;
use crate::print::{DetailItem, DetailSlipData, detail_slip_document};
use crate::print::{Document, ProofData};
use crate::sale::SaleNo;
use crate::taipei::{self, TaipeiTime};

/// Track (字軌) of the test roll demo mode loads by itself.
pub const DEMO_TRACK: &str = "TT";
/// Numbers in the demo roll.
pub const DEMO_ROLL_SIZE: u32 = 1_000;
/// B2C invoices must reach the platform within 48 hours of issue.
pub const UPLOAD_DEADLINE_HOURS: i64 = 48;

/// Why an e-invoice could not be issued, voided or reported.
#[derive(Debug, thiserror::Error)]
pub enum InvoicingError {
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Invoice(#[from] InvoiceError),
    #[error(transparent)]
    Qr(#[from] QrError),
    #[error(transparent)]
    Mig(#[from] MigError),
    #[error(transparent)]
    Turnkey(#[from] TurnkeyError),
    #[error(transparent)]
    RefundDate(#[from] RefundDateError),
    IssuerIsMypay,
    NoSuchSale(String),
    SaleNotPaid {
        sale: String,
        status: &'static str,
    },
    NoInvoice(String),
    RefundTooLarge {
        amount: Ntd,
        left: Ntd,
    },
    RefundNotPositive,
    NoSuchLine {
        sale: String,
        line: usize,
    },
    PeriodNotOver {
        period: Period,
        last: chrono::NaiveDate,
    },
    Data(String),
    /// An allowance journaled without its lines cannot be rebuilt.
    AllowanceWithoutLines {
        allowance: String,
    },
    /// An invoice of an earlier period cannot be voided and reissued.
    EarlierPeriod {
        number: String,
    },
}
impl crate::locale::Localized for InvoicingError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Terminal(e) => e.message(lang),
            Self::Journal(e) => e.message(lang),
            Self::Invoice(e) => e.message(lang),
            Self::Qr(e) => e.message(lang),
            Self::Mig(e) => e.message(lang),
            Self::Turnkey(e) => e.message(lang),
            Self::RefundDate(e) => e.message(lang),
            Self::IssuerIsMypay => tr(lang, "words.invoicing.issuer_is_mypay"),
            Self::NoSuchSale(v0) => fill(lang, "words.invoicing.no_such_sale", &[("value", v0)]),
            Self::SaleNotPaid { sale, status } => fill(
                lang,
                "words.invoicing.sale_not_paid",
                &[("sale", sale), ("status", status)],
            ),
            Self::NoInvoice(v0) => fill(lang, "words.invoicing.no_invoice", &[("value", v0)]),
            Self::RefundTooLarge { amount, left } => fill(
                lang,
                "words.invoicing.refund_too_large",
                &[("amount", amount), ("left", left)],
            ),
            Self::RefundNotPositive => tr(lang, "words.invoicing.refund_not_positive"),
            Self::NoSuchLine { sale, line } => fill(
                lang,
                "words.invoicing.no_such_line",
                &[("sale", sale), ("line", line)],
            ),
            Self::PeriodNotOver { period, last } => fill(
                lang,
                "words.invoicing.period_not_over",
                &[("period", period), ("last", last)],
            ),
            Self::Data(v0) => fill(lang, "words.invoicing.data", &[("value", v0)]),
            Self::AllowanceWithoutLines { allowance } => fill(
                lang,
                "words.invoicing.allowance_without_lines",
                &[("allowance", allowance)],
            ),
            Self::EarlierPeriod { number } => fill(
                lang,
                "words.invoicing.earlier_period",
                &[("number", number)],
            ),
        }
    }
}

crate::display_both!(InvoicingError);

pub type InvoicingResult<T> = std::result::Result<T, InvoicingError>;

/// What the invoice's data JSON in the journal holds. `proof` and
/// `turnkey` change as the invoice is delivered; the rest never does.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredInvoice {
    invoice: Invoice,
    buyer: BuyerChoice,
    seller_name: String,
    /// Invoice item (1-based) that each sale line became.
    line_items: Vec<usize>,
    /// `pending`, `printed` or `none` (carrier or donation).
    proof: String,
    /// The F0401 file handed to Turnkey; `null` until written.
    turnkey: Option<String>,
}

/// An issued invoice and what to print for it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuedProof {
    pub sale: SaleNo,
    pub invoice: Invoice,
    pub buyer: BuyerChoice,
    /// The paper proof; `None` for a carrier or a donation (nothing printed).
    pub proof: Option<ProofData>,
    /// Item details on their own slip: always with a buyer BAN.
    pub detail_slip: Option<Document>,
    /// Where the F0401 message was written, if `[einvoice] turnkey_dir` is set.
    pub turnkey_file: Option<PathBuf>,
    /// Numbers left in the period, when fewer than `[einvoice] low_water`.
    pub low_water: Option<u64>,
}

/// What a refund does to the sale's invoice.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundInvoice {
    /// The invoice concerned.
    pub number: InvoiceNumber,
    pub treatment: Treatment,
    /// Void: the paper proof the customer holds must be taken back.
    pub recover_proof: bool,
    /// Allowance: its own number (折讓單號).
    pub allowance_number: Option<String>,
    /// Allowance: the slip to print and have the buyer sign.
    pub allowance_slip: Option<Document>,
    /// The F0501 or G0401 file handed to Turnkey.
    pub turnkey_file: Option<PathBuf>,
}

/// A refund as the invoice sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRefund {
    /// Tax-inclusive amount paid back.
    pub amount: Ntd,
    /// Sale lines refunded (index, units); empty for an amount refund.
    pub lines: Vec<(usize, u32)>,
    pub reason: String,
    /// May a full refund be voided in the next period before the 15th?
    pub policy: CrossPeriodVoid,
}

/// One roll's use, for `till einvoice status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollUsage {
    pub period: String,
    pub track: String,
    pub first: u32,
    pub last: u32,
    pub used: u64,
    pub left: u64,
}

/// What waits, what is late and how the rolls stand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoicingStatus {
    pub period: String,
    /// Message files still in Turnkey's `SRC` folders.
    pub pending_files: Vec<String>,
    /// Invoices not yet taken by Turnkey more than 48 h after issue.
    pub overdue: Vec<String>,
    /// Invoices whose F0401 has not been written at all.
    pub not_written: Vec<String>,
    /// Proofs allocated but not printed.
    pub unprinted: Vec<String>,
    /// Sales of this period paid without an e-invoice yet (issue them).
    pub awaiting_invoice: Vec<String>,
    /// Refunds whose money is back and whose void / allowance is still to
    /// make (refund numbers).
    pub changes_owed: Vec<String>,
    pub rolls: Vec<RollUsage>,
    pub numbers_left: u64,
    /// Fewer numbers left than `[einvoice] low_water`.
    pub low_water: bool,
}

fn turnkey_root(cfg: &Config) -> Option<&Path> {
    let dir = cfg.einvoice.turnkey_dir.trim();
    (!dir.is_empty()).then(|| Path::new(dir))
}

/// Where a message file already handed to Turnkey is: still in `SRC`, or
/// moved on by Turnkey into a sibling folder (`BAK`, `ERR`, …) under the
/// message type's folder. Such a file is never written again.
fn handed_over(root: &Path, message: MessageType, name: &str) -> Option<PathBuf> {
    fn find(dir: &Path, name: &str, depth: u8) -> Option<PathBuf> {
        let direct = dir.join(name);
        if direct.is_file() {
            return Some(direct);
        }
        if depth == 0 {
            return None;
        }
        std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .find_map(|e| find(&e.path(), name, depth - 1))
    }
    let src = turnkey::src_dir(root, message);
    find(src.parent()?, name, 3)
}

/// Hand one message to Turnkey unless it was handed over already; the file
/// name comes from journal data only (type, key, time), so writing again
/// after a crash finds the same name. Returns the path and whether it was
/// written just now.
fn deliver(
    root: &Path,
    message: MessageType,
    key: &str,
    at: TaipeiTime,
    xml: &str,
) -> InvoicingResult<(PathBuf, bool)> {
    let name = turnkey::file_name(message, key, at)?;
    if let Some(p) = handed_over(root, message, &name) {
        return Ok((p, false));
    }
    match turnkey::write(root, message, key, at, xml) {
        Ok(p) => Ok((p, true)),
        Err(TurnkeyError::AlreadyExists(p)) => Ok((p, false)),
        Err(e) => Err(e.into()),
    }
}

fn parse_stamp(at: &str) -> InvoicingResult<TaipeiTime> {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&taipei::offset()))
        .map_err(|e| InvoicingError::Data(format!("{at}: {e}")))
}

/// What `close_period` journals for one track: enough to write the same
/// E0402 file again.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ClosedTrack {
    track: String,
    unused: Vec<String>,
    xml: String,
}

fn seller(cfg: &Config) -> Seller {
    Seller {
        ban: cfg.store.ban.clone(),
        name: cfg.store.name.clone(),
    }
}

fn stored(record: &InvoiceRecord) -> InvoicingResult<StoredInvoice> {
    serde_json::from_value(record.data.clone())
        .map_err(|e| InvoicingError::Data(format!("{}: {e}", record.number)))
}

/// Sale lines become invoice items at their tax-inclusive prices; a line
/// discount follows its line as a negative item, and whatever else the
/// sale took off (a cart discount) is one last negative item, so the
/// items always add up to what the customer paid.
fn items_for(lines: &[crate::sale::Line], total: Ntd) -> InvoicingResult<(Vec<Item>, Vec<usize>)> {
    let mut items = Vec::new();
    let mut line_items = Vec::new();
    for line in lines {
        items.push(Item::new(&line.name, line.qty, line.unit_price)?);
        line_items.push(items.len());
        if line.discount.is_positive() {
            items.push(Item::new(
                &format!("折扣 {}", line.name),
                1,
                Ntd::new(-line.discount.dollars()),
            )?);
        }
    }
    let sum = Ntd::checked_sum(items.iter().map(|i| i.amount))
        .map_err(|_| InvoiceError::TotalTooLarge)?;
    let rest = sum
        .checked_sub(total)
        .map_err(|_| InvoiceError::TotalTooLarge)?;
    if rest.is_positive() {
        items.push(Item::new("折扣", 1, Ntd::new(-rest.dollars()))?);
    }
    Ok((items, line_items))
}

/// `YYYY-MM-DD HH:MM:SS`, Taipei.
fn proof_datetime(t: TaipeiTime) -> String {
    t.with_timezone(&taipei::offset())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The paper proof for an invoice, or `None` when the buyer chose a
/// carrier or a donation.
pub fn proof_data(
    cfg: &Config,
    invoice: &Invoice,
    buyer: &BuyerChoice,
    reprint: bool,
) -> InvoicingResult<Option<ProofData>> {
    if !buyer.prints_proof() {
        return Ok(None);
    }
    let pair = qr::contents(invoice, &cfg.einvoice.qr_key, Encoding::Utf8)?;
    Ok(Some(ProofData {
        seller_name: Some(cfg.store.name.clone()),
        period_label: invoice.period().label_zh(),
        number_dashed: invoice.number().dashed(),
        datetime: proof_datetime(invoice.issued_at()),
        random_code: invoice.random_code().to_string(),
        total: invoice.total(),
        seller_ban: invoice.seller_ban().to_string(),
        buyer_ban: buyer.shows_format_25().then(|| {
            invoice
                .buyer_ban()
                .expect("a 格式 25 choice has a BAN")
                .to_string()
        }),
        code39: code39_content(invoice),
        left_qr: pair.left,
        right_qr: pair.right,
        test: invoice.is_test(),
        reprint,
    }))
}

/// What the item detail slip (交易明細) prints for an invoice.
pub fn detail_slip_data(
    invoice: &Invoice,
    seller_name: Option<&str>,
    reprint: bool,
) -> DetailSlipData {
    DetailSlipData {
        seller_name: seller_name.map(str::to_string),
        seller_ban: invoice.seller_ban().to_string(),
        number_dashed: invoice.number().dashed(),
        datetime: proof_datetime(invoice.issued_at()),
        buyer_ban: invoice.buyer_ban().map(str::to_string),
        items: invoice
            .items()
            .iter()
            .map(|i| DetailItem {
                name: i.name.clone(),
                qty: i.qty,
                unit_price: i.unit_price,
                amount: i.amount,
            })
            .collect(),
        sales_amount: invoice.sales_amount(),
        tax: invoice.tax(),
        total: invoice.total(),
        test: invoice.is_test(),
        reprint,
    }
}

/// The item detail slip (交易明細) printed with a B2B proof.
pub fn detail_slip(invoice: &Invoice) -> Document {
    detail_slip_document(&detail_slip_data(invoice, None, false))
}

/// The allowance slip (營業人銷貨退回、進貨退出或折讓證明單) to print.
pub fn allowance_slip(invoice: &Invoice, allowance: &Allowance, test: bool) -> Document {
    crate::print::slips::allowance_slip_document(invoice, allowance, test)
}

/// Spread a tax-inclusive refund over invoice items (1-based indexes into
/// `candidates`): whole units at their price first, the rest as a smaller
/// refund on one more unit. `already` is what earlier allowances took off
/// each item (by item index, dollars): an item is never allowed more than
/// it was sold for, so a second refund goes to what is left.
fn allowance_lines(
    invoice: &Invoice,
    candidates: &[(usize, u32)],
    amount: Ntd,
    already: &std::collections::HashMap<usize, i64>,
) -> Option<Vec<AllowanceLine>> {
    let mut left = amount.dollars();
    let mut out = Vec::new();
    for &(item, max_units) in candidates {
        if left == 0 {
            break;
        }
        let it = invoice.items().get(item.checked_sub(1)?)?;
        let price = it.unit_price.dollars();
        if price <= 0 {
            continue;
        }
        // Units untouched by earlier allowances (a unit partly allowed
        // counts as used: its rest is not a whole unit any more).
        let taken = already.get(&item).copied().unwrap_or(0);
        let untouched = (i64::from(it.qty) - (taken + price - 1) / price).max(0);
        let units = max_units.min(u32::try_from(untouched).ok()?);
        let whole = u32::try_from((left / price).min(i64::from(units))).ok()?;
        if whole > 0 {
            out.push(AllowanceLine {
                item,
                qty: whole,
                unit_refund: it.unit_price,
            });
            left -= price * i64::from(whole);
        }
        // The rest on one more unit, within what the item has left (an
        // untouched unit, or what a partly allowed one still has).
        let room = i64::from(it.qty) * price - taken - price * i64::from(whole);
        let partial_ok = whole < units || i64::from(max_units) > i64::from(whole);
        if left > 0 && left < price && left <= room && partial_ok {
            out.push(AllowanceLine {
                item,
                qty: 1,
                unit_refund: Ntd::new(left),
            });
            left = 0;
        }
    }
    (left == 0 && !out.is_empty()).then_some(out)
}

/// The allowances among `changes` not voided since (G0501).
fn standing_allowances(
    changes: &[crate::journal::InvoiceChange],
) -> impl Iterator<Item = &crate::journal::InvoiceChange> {
    let voided: Vec<&str> = changes
        .iter()
        .filter(|c| c.kind == "allowance_void")
        .filter_map(|c| c.data["allowance_number"].as_str())
        .collect();
    changes.iter().filter(move |c| {
        c.kind == "allowance"
            && !c.data["allowance_number"]
                .as_str()
                .is_some_and(|n| voided.contains(&n))
    })
}

/// An allowance's lines as its journal data keeps them: `[item, qty, unit_refund]`.
fn lines_to_json(lines: &[AllowanceLine]) -> serde_json::Value {
    lines
        .iter()
        .map(|l| json!([l.item, l.qty, l.unit_refund.dollars()]))
        .collect()
}

/// The lines an allowance journaled ([`lines_to_json`]); `None` when it
/// has none (made before they were kept) or they do not read.
fn recorded_lines(change: &crate::journal::InvoiceChange) -> Option<Vec<AllowanceLine>> {
    change.data["lines"]
        .as_array()?
        .iter()
        .map(|l| {
            Some(AllowanceLine {
                item: usize::try_from(l[0].as_u64()?).ok()?,
                qty: u32::try_from(l[1].as_u64()?).ok()?,
                unit_refund: Ntd::new(l[2].as_i64()?),
            })
        })
        .collect()
}

/// What the standing allowances among `changes` took off each invoice item
/// (1-based index → dollars), from the lines each one journaled.
fn allowed_per_item(
    changes: &[crate::journal::InvoiceChange],
) -> std::collections::HashMap<usize, i64> {
    let mut out = std::collections::HashMap::new();
    for l in standing_allowances(changes)
        .filter_map(recorded_lines)
        .flatten()
    {
        *out.entry(l.item).or_insert(0) += i64::from(l.qty) * l.unit_refund.dollars();
    }
    out
}

impl Terminal {
    /// Issue the e-invoice of a paid sale from this terminal's roll for the
    /// current period, as the buyer chose, and say what to print.
    pub fn issue_invoice(
        &mut self,
        cfg: &Config,
        sale: &SaleNo,
        buyer: &BuyerChoice,
    ) -> InvoicingResult<IssuedProof> {
        if cfg.einvoice.issuer == InvoiceIssuer::Mypay {
            return Err(InvoicingError::IssuerIsMypay);
        }
        if self.demo {
            self.ensure_demo_roll()?;
        }
        let detail = self
            .journal
            .sale_detail(sale)?
            .ok_or_else(|| InvoicingError::NoSuchSale(sale.to_string()))?;
        // A sale with part of its money given back still had its sale: the
        // invoice is for all of it, and the refunds then get their
        // allowance (the journal records them as owed with the invoice).
        if !matches!(
            detail.summary.status,
            SaleStatus::Paid | SaleStatus::PartRefunded
        ) {
            return Err(InvoicingError::SaleNotPaid {
                sale: sale.to_string(),
                status: detail.summary.status.as_str(),
            });
        }
        let (items, line_items) = items_for(&detail.lines, detail.summary.total)?;
        let random =
            RandomCode::from_number(self.next_random_code()).expect("0..=9999 is 4 digits");
        let buyer_id = buyer
            .ban()
            .map(|b| b.as_str().to_string())
            .or_else(|| buyer.carrier().map(|(_, id)| id.to_string()))
            .or_else(|| buyer.love_code().map(|c| c.as_str().to_string()));
        let demo = self.demo;
        let seller = seller(cfg);
        let issued = self.journal.issue_invoice_with(
            sale,
            random.as_str(),
            buyer_id.as_deref(),
            |alloc| -> InvoicingResult<_> {
                let mut invoice = Invoice::new(
                    alloc.number.clone(),
                    random,
                    alloc.at,
                    &cfg.store.ban,
                    buyer.ban().map(|b| b.as_str()),
                    items,
                )?;
                if demo {
                    invoice = invoice.into_test();
                }
                // Checked before the number is committed: a bad key or
                // seller must not use up a number.
                qr::contents(&invoice, &cfg.einvoice.qr_key, Encoding::Utf8)?;
                InvoiceMessage::new(&invoice, buyer, &seller, None)?.to_xml()?;
                let total = invoice.total();
                let data = StoredInvoice {
                    invoice,
                    buyer: buyer.clone(),
                    seller_name: seller.name.clone(),
                    line_items,
                    proof: if buyer.prints_proof() {
                        "pending"
                    } else {
                        "none"
                    }
                    .to_string(),
                    turnkey: None,
                };
                let value =
                    serde_json::to_value(&data).map_err(|e| InvoicingError::Data(e.to_string()))?;
                Ok((value, total))
            },
        )?;
        tracing::info!(sale = %sale, number = %issued.number, "e-invoice issued");
        let (_, record) = self
            .journal
            .invoice(&issued.number)?
            .ok_or_else(|| InvoicingError::Data(format!("{} vanished", issued.number)))?;
        let mut proof = self.proof_of(cfg, sale.clone(), &record)?;
        proof.turnkey_file = self.hand_to_turnkey(cfg, &record)?;
        proof.low_water = self.low_water_warning(cfg, issued.period)?;
        if detail.summary.status == SaleStatus::PartRefunded {
            // One that fails stays owed, listed, and is made at the next start.
            self.make_owed_invoice_changes(cfg)
                .map_err(|e| InvoicingError::Data(e.to_string()))?;
        }
        Ok(proof)
    }

    /// The printed proof is in the customer's hand.
    pub fn invoice_printed(&mut self, number: &InvoiceNumber) -> InvoicingResult<()> {
        self.journal.set_invoice_data(
            number.as_str(),
            "proof",
            &json!("printed"),
            "invoice.printed",
        )?;
        Ok(())
    }

    /// After a crash or restart: write the messages Turnkey was not handed
    /// ([`Terminal::export_pending`]), and return the proofs allocated but never printed, oldest
    /// first, to print now.
    pub fn resume_invoices(&mut self, cfg: &Config) -> InvoicingResult<Vec<IssuedProof>> {
        self.export_pending(cfg)?;
        let pending = self
            .journal
            .invoices_with(&self.terminal, "proof", &json!("pending"))?;
        let mut out = Vec::new();
        for (sale, record) in pending {
            if record.status == InvoiceStatus::Voided {
                continue;
            }
            let mut proof = self.proof_of(cfg, sale, &record)?;
            proof.turnkey_file = stored(&record)?
                .turnkey
                .zip(turnkey_root(cfg))
                .map(|(f, root)| turnkey::src_dir(root, MessageType::F0401).join(f));
            out.push(proof);
        }
        Ok(out)
    }

    /// The proof of an issued invoice printed again (補印); the caller
    /// journals the reprint with the print job.
    pub fn reprint_invoice(
        &self,
        cfg: &Config,
        number: &InvoiceNumber,
    ) -> InvoicingResult<Option<ProofData>> {
        let (_, record) = self
            .journal
            .invoice(number.as_str())?
            .ok_or_else(|| JournalError::NoSuchInvoice(number.to_string()))?;
        let s = stored(&record)?;
        proof_data(cfg, &s.invoice, &s.buyer, true)
    }

    fn proof_of(
        &self,
        cfg: &Config,
        sale: SaleNo,
        record: &InvoiceRecord,
    ) -> InvoicingResult<IssuedProof> {
        let s = stored(record)?;
        let proof = proof_data(cfg, &s.invoice, &s.buyer, false)?;
        let detail_slip = s.buyer.prints_detail_slip().then(|| {
            detail_slip_document(&detail_slip_data(&s.invoice, Some(&s.seller_name), false))
        });
        Ok(IssuedProof {
            sale,
            invoice: s.invoice,
            buyer: s.buyer,
            proof,
            detail_slip,
            turnkey_file: None,
            low_water: None,
        })
    }

    /// Write the F0401 of an invoice into Turnkey's folder and note the file
    /// in the journal. The file is named after the issue time, so writing
    /// again after a crash finds the same name and does not duplicate it.
    fn hand_to_turnkey(
        &mut self,
        cfg: &Config,
        record: &InvoiceRecord,
    ) -> InvoicingResult<Option<PathBuf>> {
        let Some(root) = turnkey_root(cfg) else {
            return Ok(None);
        };
        let s = stored(record)?;
        if let Some(done) = &s.turnkey {
            return Ok(Some(turnkey::src_dir(root, MessageType::F0401).join(done)));
        }
        let seller = Seller {
            ban: s.invoice.seller_ban().to_string(),
            name: s.seller_name.clone(),
        };
        let xml = InvoiceMessage::new(&s.invoice, &s.buyer, &seller, None)?.to_xml()?;
        let key = s.invoice.number().as_str();
        let at = s.invoice.issued_at();
        let (path, _) = deliver(root, MessageType::F0401, key, at, &xml)?;
        let name = turnkey::file_name(MessageType::F0401, key, at)?;
        self.journal
            .set_invoice_data(key, "turnkey", &json!(name), "invoice.turnkey")?;
        Ok(Some(path))
    }

    fn low_water_warning(&self, cfg: &Config, period: Period) -> InvoicingResult<Option<u64>> {
        let left =
            self.journal
                .low_water(&self.terminal, period, u64::from(cfg.einvoice.low_water))?;
        if let Some(left) = left {
            tracing::warn!(
                %period,
                left,
                "e-invoice numbers running low: load the next roll"
            );
        }
        Ok(left)
    }

    /// Demo mode: a test roll for the current period when none is loaded.
    fn ensure_demo_roll(&mut self) -> InvoicingResult<()> {
        let period = Period::of(self.journal.clock_now().date_naive())
            .map_err(|e| InvoicingError::Data(e.to_string()))?;
        if self
            .journal
            .invoice_rolls(&self.terminal, period)?
            .is_empty()
        {
            // Invoice numbers are unique across periods in the journal, so
            // each period's test roll starts where no other period's does.
            let index = u32::from(period.roc_year()) * 6 + u32::from(period.end_month()) / 2;
            let first = index * DEMO_ROLL_SIZE;
            self.journal.add_invoice_roll(
                &self.terminal,
                period,
                DEMO_TRACK,
                first,
                first + DEMO_ROLL_SIZE - 1,
            )?;
            tracing::info!(%period, "demo: test e-invoice roll loaded");
        }
        Ok(())
    }

    /// The sale's live invoice (issued, or with allowances), if any.
    pub fn live_invoice(&self, sale: &SaleNo) -> InvoicingResult<Option<(Invoice, InvoiceStatus)>> {
        let detail = self
            .journal
            .sale_detail(sale)?
            .ok_or_else(|| InvoicingError::NoSuchSale(sale.to_string()))?;
        detail
            .invoices
            .iter()
            .rev()
            .find(|r| r.status != InvoiceStatus::Voided)
            .map(|r| Ok((stored(r)?.invoice, r.status)))
            .transpose()
    }

    /// What a refund does to the sale's invoice: a full refund in the
    /// invoice's own period voids it (F0501; the paper proof is taken back);
    /// a partial refund, or any refund in a later period, is an allowance
    /// (G0401, its own number and a slip). Journaled and audited either way.
    pub fn invoice_for_refund(
        &mut self,
        cfg: &Config,
        sale: &SaleNo,
        refund: &InvoiceRefund,
    ) -> InvoicingResult<RefundInvoice> {
        if !refund.amount.is_positive() {
            return Err(InvoicingError::RefundNotPositive);
        }
        let record = self.live_record(sale)?;
        let record = &record;
        let s = stored(record)?;
        let invoice = &s.invoice;
        let number = invoice.number().clone();
        let changes = self.journal.invoice_changes(number.as_str())?;
        let allowed_so_far = Ntd::checked_sum(standing_allowances(&changes).map(|c| c.amount))
            .map_err(|_| InvoicingError::Data("allowance sum overflows".into()))?;
        let left = invoice
            .total()
            .checked_sub(allowed_so_far)
            .map_err(|_| InvoicingError::Data("allowances exceed the invoice".into()))?;
        if refund.amount > left {
            return Err(InvoicingError::RefundTooLarge {
                amount: refund.amount,
                left,
            });
        }
        let today = self.journal.clock_now().date_naive();
        let by_date = refund_treatment(invoice.issued_on(), today, refund.policy)?;
        let full = refund.amount == invoice.total() && record.status == InvoiceStatus::Issued;
        let treatment = if full { by_date } else { Treatment::Allowance };
        let why = match (treatment, full) {
            (Treatment::Void, _) => "full refund within the period: void",
            (Treatment::Allowance, true) => "full refund after the period: allowance",
            (Treatment::Allowance, false) => "partial refund: allowance",
        };
        tracing::info!(sale = %sale, number = %number, why, "refund e-invoice decision");
        let root = turnkey_root(cfg);
        match treatment {
            Treatment::Void => {
                let recover = s.buyer.prints_proof();
                let change = self.journal.void_invoice_with(
                    number.as_str(),
                    &refund.reason,
                    |ctx| -> InvoicingResult<_> {
                        let msg = CancelInvoice::new(invoice, ctx.at, &refund.reason)?;
                        Ok(json!({
                            "decision": why,
                            "refund": refund.amount.dollars(),
                            "proof_recovered": recover,
                            "message": "F0501",
                            "at": crate::journal::stamp(ctx.at),
                            "xml": msg.to_xml()?,
                            "turnkey": null,
                        }))
                    },
                )?;
                let turnkey_file = self.write_change(root, change, MessageType::F0501, &number)?;
                Ok(RefundInvoice {
                    number,
                    treatment,
                    recover_proof: recover,
                    allowance_number: None,
                    allowance_slip: None,
                    turnkey_file,
                })
            }
            Treatment::Allowance => {
                let candidates: Vec<(usize, u32)> = if refund.lines.is_empty() {
                    (1..=invoice.items().len()).map(|i| (i, u32::MAX)).collect()
                } else {
                    refund
                        .lines
                        .iter()
                        .map(|&(line, units)| {
                            s.line_items
                                .get(line)
                                .map(|&item| (item, units))
                                .ok_or_else(|| InvoicingError::NoSuchLine {
                                    sale: sale.to_string(),
                                    line,
                                })
                        })
                        .collect::<InvoicingResult<_>>()?
                };
                let already = allowed_per_item(&changes);
                let lines = allowance_lines(invoice, &candidates, refund.amount, &already)
                    .or_else(|| {
                        // Lines whose discount makes them worth less than
                        // their price: spread over every item instead.
                        let all: Vec<_> =
                            (1..=invoice.items().len()).map(|i| (i, u32::MAX)).collect();
                        allowance_lines(invoice, &all, refund.amount, &already)
                    })
                    .ok_or(InvoicingError::RefundTooLarge {
                        amount: refund.amount,
                        left,
                    })?;
                let seller = Seller {
                    ban: invoice.seller_ban().to_string(),
                    name: s.seller_name.clone(),
                };
                let mut made = None;
                let change = self.journal.record_allowance_with(
                    number.as_str(),
                    refund.amount,
                    &refund.reason,
                    |ctx| -> InvoicingResult<_> {
                        let allowance_no = format!("{}{:03}", number.as_str(), ctx.nth);
                        let a =
                            Allowance::new(invoice, &seller, None, &allowance_no, ctx.at, &lines)?;
                        let xml = a.to_xml()?;
                        let value = json!({
                            "decision": why,
                            "refund": refund.amount.dollars(),
                            "allowance_number": allowance_no,
                            "lines": lines_to_json(&lines),
                            "message": "G0401",
                            "at": crate::journal::stamp(ctx.at),
                            "xml": xml,
                            "turnkey": null,
                        });
                        made = Some(a);
                        Ok(value)
                    },
                )?;
                let allowance = made.expect("built in the transaction");
                let turnkey_file = self.write_change(root, change, MessageType::G0401, &number)?;
                Ok(RefundInvoice {
                    number,
                    treatment,
                    recover_proof: false,
                    allowance_slip: Some(allowance_slip(invoice, &allowance, invoice.is_test())),
                    allowance_number: Some(allowance.allowance_number),
                    turnkey_file,
                })
            }
        }
    }

    /// Write a void's or allowance's message (kept as XML in the journal)
    /// for Turnkey and note the file.
    fn write_change(
        &mut self,
        root: Option<&Path>,
        change_id: i64,
        message: MessageType,
        number: &InvoiceNumber,
    ) -> InvoicingResult<Option<PathBuf>> {
        let Some(root) = root else {
            return Ok(None);
        };
        let changes = self.journal.invoice_changes(number.as_str())?;
        let change = changes
            .iter()
            .find(|c| c.id == change_id)
            .ok_or_else(|| InvoicingError::Data(format!("change {change_id} vanished")))?;
        let xml = change.data["xml"]
            .as_str()
            .ok_or_else(|| InvoicingError::Data(format!("change {change_id} has no XML")))?;
        let key = change.data["allowance_number"]
            .as_str()
            .unwrap_or(number.as_str())
            .to_string();
        // A G0501 journaled by a build that left out AllowanceType is
        // written with it: the journal keeps what was decided, Turnkey gets
        // a message it takes (the same bytes each time it is written).
        let xml = if message == MessageType::G0501 {
            let allowance_type = changes
                .iter()
                .find(|c| c.kind == "allowance" && c.data["allowance_number"] == key.as_str())
                .and_then(|c| c.data["xml"].as_str())
                .and_then(g0401::allowance_type_of)
                .unwrap_or(g0401::SELLER_ISSUED);
            let fit = g0501::repaired(xml, allowance_type)?;
            if fit != xml {
                tracing::warn!(
                    allowance = key.as_str(),
                    "G0501 journaled without AllowanceType: written with it"
                );
            }
            fit
        } else {
            std::borrow::Cow::Borrowed(xml)
        };
        let at = parse_stamp(&change.at)?;
        let (path, _) = deliver(root, message, &key, at, &xml)?;
        let name = turnkey::file_name(message, &key, at)?;
        self.journal
            .set_invoice_change_data(change_id, "turnkey", &json!(name))?;
        Ok(Some(path))
    }

    /// Void an allowance made in error (作廢折讓, MIG G0501), e.g. one for a
    /// refund that turned out not to have happened: journaled and audited
    /// first, then handed to Turnkey. The invoice's other allowances stand;
    /// with none left it is plainly issued again. Returns the file written.
    pub fn void_allowance(
        &mut self,
        cfg: &Config,
        allowance_no: &str,
        reason: &str,
        manager: &str,
    ) -> InvoicingResult<Option<PathBuf>> {
        let number: InvoiceNumber = allowance_no
            .get(..10)
            .unwrap_or_default()
            .parse()
            .map_err(|_| JournalError::NoSuchAllowance(allowance_no.to_string()))?;
        let (_, record) = self
            .journal
            .invoice(number.as_str())?
            .ok_or_else(|| JournalError::NoSuchAllowance(allowance_no.to_string()))?;
        let s = stored(&record)?;
        let change = self
            .journal
            .invoice_changes(number.as_str())?
            .into_iter()
            .find(|c| c.kind == "allowance" && c.data["allowance_number"] == allowance_no)
            .ok_or_else(|| JournalError::NoSuchAllowance(allowance_no.to_string()))?;
        // The allowance as it was made, rebuilt from the lines it journaled.
        let lines =
            recorded_lines(&change).ok_or_else(|| InvoicingError::AllowanceWithoutLines {
                allowance: allowance_no.to_string(),
            })?;
        let allowance_at = parse_stamp(&change.at)?;
        let seller = Seller {
            ban: s.invoice.seller_ban().to_string(),
            name: s.seller_name.clone(),
        };
        let allowance = Allowance::new(
            &s.invoice,
            &seller,
            None,
            allowance_no,
            allowance_at,
            &lines,
        )?;
        let id = self.journal.void_allowance_with(
            number.as_str(),
            allowance_no,
            reason,
            |ctx| -> InvoicingResult<_> {
                let msg = CancelAllowance::new(&allowance, allowance_at, ctx.at, reason)?;
                Ok(json!({
                    "allowance_number": allowance_no,
                    "manager": manager,
                    "message": "G0501",
                    "at": crate::journal::stamp(ctx.at),
                    "xml": msg.to_xml()?,
                    "turnkey": null,
                }))
            },
        )?;
        tracing::info!(allowance = allowance_no, manager, "allowance voided");
        self.write_change(turnkey_root(cfg), id, MessageType::G0501, &number)
    }

    /// After a period ends: report its unused numbers (E0402, one message
    /// per track) and write them for Turnkey. Returns each track with its
    /// XML and the file written.
    ///
    /// Journal first, once: the messages and their time go into one audit
    /// record, then the files are written from it. Running it again (or
    /// after a crash between the two) records nothing new and writes only
    /// a file that is missing, under the same name.
    pub fn close_period(
        &mut self,
        cfg: &Config,
        period: Period,
    ) -> InvoicingResult<Vec<(String, String, Option<PathBuf>)>> {
        let now = self.journal.clock_now();
        if now.date_naive() <= period.last_day() {
            return Err(InvoicingError::PeriodNotOver {
                period,
                last: period.last_day(),
            });
        }
        let (at, tracks) = match self.period_closed(period)? {
            Some(done) => done,
            None => {
                let tracks = self.unused_messages(cfg, period)?;
                let at = crate::journal::stamp(now);
                self.journal.record_period_closed(
                    &self.terminal,
                    period,
                    &json!({ "at": at, "tracks": tracks }),
                )?;
                (parse_stamp(&at)?, tracks)
            }
        };
        let root = turnkey_root(cfg);
        let mut out = Vec::new();
        for t in tracks {
            let file = match root {
                Some(root) => {
                    let key = format!("{period}{}{}", t.track, self.terminal.as_str());
                    Some(deliver(root, MessageType::E0402, &key, at, &t.xml)?.0)
                }
                None => None,
            };
            out.push((t.track, t.xml, file));
        }
        Ok(out)
    }

    /// The E0402 messages of a period: its rolls' unused numbers per track.
    fn unused_messages(&self, cfg: &Config, period: Period) -> InvoicingResult<Vec<ClosedTrack>> {
        let mut by_track: BTreeMap<String, Vec<BlankRange>> = BTreeMap::new();
        for roll in self.journal.invoice_rolls(&self.terminal, period)? {
            if roll.next > roll.end {
                continue;
            }
            let n = |x: u32| InvoiceNumber::from_parts(&roll.track, &format!("{x:08}"));
            let first = n(roll.next).map_err(|e| InvoicingError::Data(e.to_string()))?;
            let last = n(roll.end).map_err(|e| InvoicingError::Data(e.to_string()))?;
            by_track
                .entry(roll.track.clone())
                .or_default()
                .push(BlankRange::new(first, last)?);
        }
        let mut out = Vec::new();
        for (track, ranges) in by_track {
            let msg = BranchTrackBlank::new(&cfg.store.ban, &cfg.store.ban, period, ranges)?;
            out.push(ClosedTrack {
                track,
                unused: msg
                    .ranges
                    .iter()
                    .map(|r| format!("{}-{}", r.first(), r.last()))
                    .collect(),
                xml: msg.to_xml()?,
            });
        }
        Ok(out)
    }

    /// The period's close as journaled (its time and messages), if it was
    /// closed on this terminal.
    fn period_closed(
        &self,
        period: Period,
    ) -> InvoicingResult<Option<(TaipeiTime, Vec<ClosedTrack>)>> {
        let subject = format!("{}:{period}", self.terminal.as_str());
        let rows: Vec<(String, String)> = self
            .journal
            .raw_connection()
            .prepare_cached(
                "SELECT at, detail FROM audit_log
                 WHERE action = 'invoice.close_period' AND subject = ?1 ORDER BY seq",
            )
            .and_then(|mut st| {
                st.query_map([&subject], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(JournalError::from)?;
        let Some((at, detail)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let detail: serde_json::Value =
            serde_json::from_str(&detail).map_err(|e| InvoicingError::Data(e.to_string()))?;
        let at = parse_stamp(detail["at"].as_str().unwrap_or(&at))?;
        let tracks: Vec<ClosedTrack> =
            serde_json::from_value(detail["tracks"].clone()).unwrap_or_default();
        Ok(Some((at, tracks)))
    }

    /// Write every message the journal holds that Turnkey has not been
    /// handed yet: F0401 of issued invoices, F0501/G0401 of voids and
    /// allowances, E0402 of closed periods. Run at start (from
    /// [`Terminal::resume_invoices`]) and by `till einvoice status`; a file
    /// already handed over is never written twice. Returns the files
    /// written now.
    pub fn export_pending(&mut self, cfg: &Config) -> InvoicingResult<Vec<PathBuf>> {
        let Some(root) = turnkey_root(cfg).map(Path::to_path_buf) else {
            return Ok(Vec::new());
        };
        let mut written = Vec::new();
        let unwritten =
            self.journal
                .invoices_with(&self.terminal, "turnkey", &serde_json::Value::Null)?;
        for (_, record) in &unwritten {
            let before = stored(record)?;
            let name = turnkey::file_name(
                MessageType::F0401,
                before.invoice.number().as_str(),
                before.invoice.issued_at(),
            )?;
            let fresh = handed_over(&root, MessageType::F0401, &name).is_none();
            if let Some(p) = self.hand_to_turnkey(cfg, record)?
                && fresh
            {
                written.push(p);
            }
        }
        // Voids and allowances whose file was never noted in the journal.
        let changes: Vec<(String, i64, String)> = self
            .journal
            .raw_connection()
            .prepare_cached(
                "SELECT i.number, v.id, json_extract(v.data, '$.message')
                 FROM invoice_voids v
                 JOIN invoices i ON i.id = v.invoice_id
                 JOIN invoice_rolls r ON r.id = i.roll_id
                 WHERE r.terminal = ?1 AND json_extract(v.data, '$.turnkey') IS NULL
                 ORDER BY v.id",
            )
            .and_then(|mut st| {
                st.query_map([self.terminal.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(JournalError::from)?;
        for (number, id, message) in changes {
            let message = match message.as_str() {
                "F0501" => MessageType::F0501,
                "G0401" => MessageType::G0401,
                "G0501" => MessageType::G0501,
                other => {
                    return Err(InvoicingError::Data(format!(
                        "change {id} has message {other:?}"
                    )));
                }
            };
            let number: InvoiceNumber = number
                .parse()
                .map_err(|e| InvoicingError::Data(format!("{number}: {e}")))?;
            let change = self
                .journal
                .invoice_changes(number.as_str())?
                .into_iter()
                .find(|c| c.id == id)
                .ok_or_else(|| InvoicingError::Data(format!("change {id} vanished")))?;
            let key = change.data["allowance_number"]
                .as_str()
                .unwrap_or(number.as_str())
                .to_string();
            let name = turnkey::file_name(message, &key, parse_stamp(&change.at)?)?;
            let fresh = handed_over(&root, message, &name).is_none();
            if let Some(p) = self.write_change(Some(&root), id, message, &number)?
                && fresh
            {
                written.push(p);
            }
        }
        // Closed periods whose E0402 file is missing.
        let closed: Vec<String> = self
            .journal
            .raw_connection()
            .prepare_cached(
                "SELECT DISTINCT subject FROM audit_log WHERE action = 'invoice.close_period'",
            )
            .and_then(|mut st| {
                st.query_map([], |r| r.get(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(JournalError::from)?;
        let mine = format!("{}:", self.terminal.as_str());
        for subject in closed {
            let Some(period) = subject.strip_prefix(&mine).and_then(|p| p.parse().ok()) else {
                continue;
            };
            if let Some((at, tracks)) = self.period_closed(period)? {
                for t in tracks {
                    let key = format!("{period}{}{}", t.track, self.terminal.as_str());
                    let (p, fresh) = deliver(&root, MessageType::E0402, &key, at, &t.xml)?;
                    if fresh {
                        written.push(p);
                    }
                }
            }
        }
        Ok(written)
    }

    /// Load a roll of numbers for this terminal.
    pub fn add_invoice_roll(
        &mut self,
        period: Period,
        track: &str,
        first: u32,
        last: u32,
    ) -> InvoicingResult<i64> {
        Ok(self
            .journal
            .add_invoice_roll(&self.terminal, period, track, first, last)?)
    }

    /// This terminal's rolls for a period.
    pub fn invoice_rolls(&self, period: Period) -> InvoicingResult<Vec<InvoiceRoll>> {
        Ok(self.journal.invoice_rolls(&self.terminal, period)?)
    }

    /// The current period by the journal's clock.
    pub fn current_period(&self) -> InvoicingResult<Period> {
        Period::of(self.journal.clock_now().date_naive())
            .map_err(|e| InvoicingError::Data(e.to_string()))
    }

    /// What waits in Turnkey's folders, what is overdue (a B2C invoice must
    /// reach the platform within 48 hours) and how the rolls stand.
    pub fn invoicing_status(&self, cfg: &Config) -> InvoicingResult<InvoicingStatus> {
        let now = self.journal.clock_now();
        let period = self.current_period()?;
        let pending: Vec<Pending> = match turnkey_root(cfg) {
            Some(root) => turnkey::pending(root)?,
            None => Vec::new(),
        };
        let waiting: std::collections::HashSet<&str> =
            pending.iter().map(|p| p.file_name.as_str()).collect();
        let mut overdue = Vec::new();
        let mut not_written = Vec::new();
        let mut unprinted = Vec::new();
        let mut records = Vec::new();
        if let Some(prev) = period.prev() {
            records.extend(self.journal.invoices_in_period(&self.terminal, prev)?);
        }
        records.extend(self.journal.invoices_in_period(&self.terminal, period)?);
        for (_, record) in &records {
            let s = stored(record)?;
            let issued = s.invoice.issued_at();
            let late = now - issued > Duration::hours(UPLOAD_DEADLINE_HOURS);
            let number = record.number.clone();
            match &s.turnkey {
                None => {
                    if late {
                        overdue.push(number.clone());
                    }
                    not_written.push(number.clone());
                }
                Some(file) if waiting.contains(file.as_str()) && late => {
                    overdue.push(number.clone())
                }
                Some(_) => {}
            }
            if s.proof == "pending" && record.status != InvoiceStatus::Voided {
                unprinted.push(number);
            }
        }
        let rolls: Vec<RollUsage> = self
            .journal
            .invoice_rolls(&self.terminal, period)?
            .iter()
            .map(|r| RollUsage {
                period: r.period.to_string(),
                track: r.track.clone(),
                first: r.start,
                last: r.end,
                used: u64::from(r.next - r.start),
                left: r.left(),
            })
            .collect();
        let numbers_left = rolls.iter().map(|r| r.left).sum::<u64>();
        Ok(InvoicingStatus {
            period: period.to_string(),
            pending_files: pending
                .iter()
                .map(|p| format!("{}/{}", p.message, p.file_name))
                .collect(),
            overdue,
            not_written,
            unprinted,
            awaiting_invoice: self
                .sales_awaiting_invoice(cfg)?
                .iter()
                .map(|s| s.to_string())
                .collect(),
            changes_owed: self
                .journal
                .invoice_changes_owed()?
                .iter()
                .map(|t| t.to_string())
                .collect(),
            rolls,
            numbers_left,
            low_water: numbers_left < u64::from(cfg.einvoice.low_water),
        })
    }
}

/// What [`Terminal::reissue_invoice`] did.
#[derive(Debug)]
pub struct Reissued {
    /// The invoice voided (F0501).
    pub voided: InvoiceNumber,
    /// Its paper proof must be taken back from the customer.
    pub recover_proof: bool,
    /// The new invoice, as now chosen.
    pub issued: IssuedProof,
}

impl Terminal {
    /// The buyer changed their mind after the invoice was issued (a BAN on
    /// it after all, a carrier instead of paper): within the invoice's own
    /// period the invoice is voided (F0501; a printed proof is taken back)
    /// and a new one issued as now chosen, with a new number. This is how a
    /// Taiwanese counter corrects it; after the period it cannot be done
    /// here. Both steps are journaled and audited. Nothing is voided
    /// unless a number is free for the new invoice, and the new choice is
    /// kept first: a crash between the two steps leaves the sale listed as
    /// paid without an e-invoice, to be issued as now chosen.
    pub fn reissue_invoice(
        &mut self,
        cfg: &Config,
        sale: &SaleNo,
        buyer: &BuyerChoice,
    ) -> InvoicingResult<Reissued> {
        if cfg.einvoice.issuer == InvoiceIssuer::Mypay {
            return Err(InvoicingError::IssuerIsMypay);
        }
        let record = self.live_record(sale)?;
        let record = &record;
        if record.status != InvoiceStatus::Issued {
            // An allowance was made on it: the original cannot be voided.
            return Err(InvoicingError::NoInvoice(sale.to_string()));
        }
        let s = stored(record)?;
        let invoice = &s.invoice;
        let number = invoice.number().clone();
        let today = self.journal.clock_now().date_naive();
        if refund_treatment(invoice.issued_on(), today, cfg.einvoice.void_across_period)?
            != Treatment::Void
        {
            return Err(InvoicingError::EarlierPeriod {
                number: number.dashed(),
            });
        }
        let period = self.current_period()?;
        let free: u64 = self
            .journal
            .invoice_rolls(sale.terminal(), period)?
            .iter()
            .map(|r| r.left())
            .sum();
        if free == 0 {
            return Err(JournalError::NoInvoiceNumbers {
                period: period.to_string(),
                terminal: sale.terminal().to_string(),
            }
            .into());
        }
        self.remember_buyer_choice(sale, buyer)?;
        // F0501 CancelReason holds at most 20 characters.
        let reason = "買受人變更";
        let recover = s.buyer.prints_proof();
        tracing::info!(sale = %sale, number = %number, "e-invoice voided to reissue for a new buyer choice");
        let change = self.journal.void_invoice_with(
            number.as_str(),
            reason,
            |ctx| -> InvoicingResult<_> {
                let msg = CancelInvoice::new(invoice, ctx.at, reason)?;
                Ok(json!({
                    "decision": "reissue for a new buyer choice: void",
                    "proof_recovered": recover,
                    "message": "F0501",
                    "at": crate::journal::stamp(ctx.at),
                    "xml": msg.to_xml()?,
                    "turnkey": null,
                }))
            },
        )?;
        self.write_change(turnkey_root(cfg), change, MessageType::F0501, &number)?;
        let issued = self.issue_invoice(cfg, sale, buyer)?;
        Ok(Reissued {
            voided: number,
            recover_proof: recover,
            issued,
        })
    }
}

impl Terminal {
    /// The sale's invoice that is not voided (issued, or with allowances).
    fn live_record(&self, sale: &SaleNo) -> InvoicingResult<crate::journal::InvoiceRecord> {
        let detail = self
            .journal
            .sale_detail(sale)?
            .ok_or_else(|| InvoicingError::NoSuchSale(sale.to_string()))?;
        detail
            .invoices
            .into_iter()
            .rev()
            .find(|r| r.status != InvoiceStatus::Voided)
            .ok_or_else(|| InvoicingError::NoInvoice(sale.to_string()))
    }
}

impl Terminal {
    /// Keep the buyer's choice (carrier, donation, BAN or paper) for a sale
    /// whose invoice is issued once it is paid, after the customer has left:
    /// [`Terminal::issue_awaiting_invoice`] then issues it that way.
    pub fn remember_buyer_choice(
        &mut self,
        sale: &SaleNo,
        buyer: &BuyerChoice,
    ) -> InvoicingResult<()> {
        let json = serde_json::to_string(buyer).expect("a buyer choice serialises");
        self.journal.remember_buyer_choice(sale, &json)?;
        Ok(())
    }

    /// The choice kept for `sale`, if one was.
    pub fn remembered_buyer_choice(&self, sale: &SaleNo) -> InvoicingResult<Option<BuyerChoice>> {
        Ok(self
            .journal
            .remembered_buyer_choice(sale)?
            .and_then(|json| match serde_json::from_str(&json) {
                Ok(choice) => Some(choice),
                Err(e) => {
                    // Never block the invoice a paid sale needs: paper it is.
                    tracing::warn!(sale = %sale, "kept buyer choice unreadable, issuing on paper: {e}");
                    None
                }
            }))
    }

    /// Issue the e-invoice of a sale paid after the customer left (one of
    /// [`Terminal::sales_awaiting_invoice`]) as the buyer chose at the
    /// counter, or as a paper proof kept for them when they chose nothing.
    pub fn issue_awaiting_invoice(
        &mut self,
        cfg: &Config,
        sale: &SaleNo,
    ) -> InvoicingResult<IssuedProof> {
        let buyer = self.remembered_buyer_choice(sale)?.unwrap_or_default();
        self.issue_invoice(cfg, sale, &buyer)
    }

    /// Issue, without asking anyone, the invoices of sales paid after the
    /// customer left whose buyer chose a carrier or a donation at the
    /// counter: nothing is printed or handed over, so nothing waits for the
    /// cashier. Paper proofs wait for them (the proof must be printed and
    /// kept for the customer). Stops at the first failure, which stays
    /// counted as awaiting.
    pub fn issue_awaiting_paperless(&mut self, cfg: &Config) -> InvoicingResult<Vec<IssuedProof>> {
        let mut issued = Vec::new();
        for sale in self.sales_awaiting_invoice(cfg)? {
            let Some(buyer) = self.remembered_buyer_choice(&sale)? else {
                continue;
            };
            if buyer.prints_proof() {
                continue;
            }
            issued.push(self.issue_invoice(cfg, &sale, &buyer)?);
        }
        Ok(issued)
    }

    /// Sales paid without an e-invoice (a pay-later order paid after the
    /// customer left, an issue that failed, no numbers left), even if part
    /// of the money was given back since: each still needs one. Looked for
    /// since the start of the previous period, so a sale paid on the last
    /// evening of a period is not forgotten the next morning (older ones
    /// are no longer this till's to issue). Empty when MyPay issues them.
    pub fn sales_awaiting_invoice(&self, cfg: &Config) -> InvoicingResult<Vec<SaleNo>> {
        if cfg.einvoice.issuer == InvoiceIssuer::Mypay {
            return Ok(Vec::new());
        }
        let period = self.current_period()?;
        let since = period.prev().unwrap_or(period).first_day();
        Ok(self.journal.paid_sales_without_invoice(since)?)
    }
}
