//! E-invoices MyPay issued for our sales (`[einvoice] issuer = "mypay"`).
//!
//! MyPay's invoice fields come with its answers (`api/querydirect`,
//! `api/queryorder`, the notification, a refund's `row_data`). They are
//! journaled verbatim with the attempt whose answer carried them, in the
//! same commit as that attempt's `Approved` (so they are audited with it):
//! no table of their own, and no number is taken from this till's rolls.
//! A refund's answer carries the invoice's state after the refund (4 void,
//! 6 allowance), so the newest fields journaled for a sale are the
//! invoice as it stands. An invoice MyPay issued after the payment's
//! answer is fetched later (`Terminal::fetch_mypay_invoices`) and kept in
//! the journal's `mypay_invoices_due` row.

use crate::einvoice::mypay::{MypayInvoice, MypayInvoiceError, MypayInvoiceFields};
use crate::gateway::rules;
use crate::journal::{AttemptState, JournalError};
use crate::sale::SaleNo;

use super::Terminal;
use super::payment::{PayError, Payments, rebuild_request};
use crate::gateway::Outcome;

/// Why the sale's MyPay invoice cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum MypayInvoiceLookupError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    NoSuchSale(String),
    /// MyPay's fields disagree with each other: print nothing (a proof
    /// whose codes name another invoice is worse than none).
    #[error(transparent)]
    Invalid(#[from] MypayInvoiceError),
}
impl crate::locale::Localized for MypayInvoiceLookupError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Journal(e) => e.message(lang),
            Self::NoSuchSale(v0) => fill(
                lang,
                "words.mypay_invoice_lookup.no_such_sale",
                &[("value", v0)],
            ),
            Self::Invalid(e) => e.message(lang),
        }
    }
}

crate::display_both!(MypayInvoiceLookupError);

impl Terminal {
    /// MyPay's invoice fields for `sale`, as MyPay last sent them (after a
    /// refund: the voided or allowanced invoice). `None` when no MyPay
    /// answer about the sale carried an invoice.
    pub fn mypay_invoice_fields(
        &self,
        sale: &SaleNo,
    ) -> Result<Option<MypayInvoiceFields>, MypayInvoiceLookupError> {
        let detail = self
            .journal
            .sale_detail(sale)?
            .ok_or_else(|| MypayInvoiceLookupError::NoSuchSale(sale.to_string()))?;
        let mut newest: Option<(&str, serde_json::Value)> = None;
        for a in detail
            .payments
            .iter()
            .chain(detail.refunds.iter())
            .filter(|a| {
                a.gateway
                    .is_some_and(|g| rules::of(g).invoices_with_payment())
                    && a.state == AttemptState::Approved
            })
        {
            for e in &a.events {
                if let Some(v) = e.notes().mypay_invoice
                    && newest.as_ref().is_none_or(|(at, _)| e.at.as_str() >= *at)
                {
                    newest = Some((e.at.as_str(), v));
                }
            }
        }
        // An invoice MyPay issued after the payment, fetched later.
        let fetched = self.journal.fetched_mypay_invoice(sale)?;
        if let Some((at, json)) = &fetched
            && newest.as_ref().is_none_or(|(n, _)| at.as_str() >= *n)
        {
            return Ok(serde_json::from_str(json).ok());
        }
        Ok(newest.and_then(|(_, v)| serde_json::from_value(v).ok()))
    }

    /// How many MyPay e-invoices are still to fetch (the status bar).
    pub fn mypay_invoices_due(&self) -> Result<usize, JournalError> {
        Ok(self.journal.mypay_invoices_due()?.len())
    }

    /// The e-invoice MyPay issued for `sale`, checked field by field and
    /// ready to print verbatim ([`super::proof_from_mypay`]). `None` when
    /// MyPay issued none (yet), or it was voided by a refund; an error when
    /// MyPay's fields do not agree with each other.
    pub fn mypay_invoice(
        &self,
        sale: &SaleNo,
    ) -> Result<Option<MypayInvoice>, MypayInvoiceLookupError> {
        let Some(fields) = self.mypay_invoice_fields(sale)? else {
            return Ok(None);
        };
        match MypayInvoice::from_fields(&fields) {
            Ok(inv) => Ok(Some(inv)),
            Err(MypayInvoiceError::Voided | MypayInvoiceError::NotIssued { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Ask MyPay again for every e-invoice it still owes (a payment
    /// approved before MyPay had issued it; manual §11, 電子發票通知回報):
    /// `api/querydirect`'s row carries it once issued. Each answer is
    /// journaled: the fields as MyPay sent them once the invoice is issued
    /// and its codes check out, else one more try with the reason. Returns
    /// the sales whose invoice arrived now (their proofs are to print).
    pub async fn fetch_mypay_invoices(
        &mut self,
        payments: &Payments,
    ) -> Result<Vec<SaleNo>, PayError> {
        let due = self.journal.mypay_invoices_due()?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let gw = payments.invoice_issuer()?;
        let mut arrived = Vec::new();
        for d in due {
            let Some(rec) = self.journal.attempt(&d.trade_no)? else {
                continue;
            };
            let req = rebuild_request(&rec, None);
            let answer = payments.timed(gw.id(), &d.trade_no, gw.query(&req)).await;
            let fields = match answer {
                Ok(Outcome::Approved(a)) => a.einvoice.map(|f| *f),
                _ => None,
            };
            let checked = fields
                .as_ref()
                .map(crate::einvoice::mypay::MypayInvoice::from_fields);
            match (fields, checked) {
                (Some(f), Some(Ok(_))) => {
                    let v = serde_json::to_value(&f).unwrap_or_default();
                    self.journal.mypay_invoice_fetched(&d.trade_no, &v)?;
                    tracing::info!(trade = %d.trade_no, "MyPay e-invoice fetched");
                    arrived.push(d.sale_no);
                }
                (_, Some(Err(e))) => {
                    self.journal
                        .mypay_invoice_not_yet(&d.trade_no, &e.to_string())?;
                }
                _ => {
                    self.journal.mypay_invoice_not_yet(
                        &d.trade_no,
                        "MyPay 尚未開立發票 / MyPay has not issued the invoice yet",
                    )?;
                }
            }
        }
        Ok(arrived)
    }
}
