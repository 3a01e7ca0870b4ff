//! F0501 `CancelInvoice` (平台存證作廢發票, MIG 4.1): voiding an invoice in
//! its own period. Replaces C0501 of MIG 3.x.
//!
//! A flat message: `CancelInvoiceNumber`, `InvoiceDate`, `BuyerId`,
//! `SellerId`, `CancelDate`, `CancelTime`, `CancelReason`, optional
//! `Remark` (ho600 `F0501JSON2MIGXMl` input; a .NET `MIG4.F0501` class; a
//! Turnkey test harness validating against F0501.xsd) \[code\].
//! `CancelReason` is 1–20 characters (the .NET class refuses longer)
//! \[code\]. Whether a void is allowed at all is decided by
//! [`crate::einvoice::refund_treatment`], not here.

use super::limits::CANCEL_REASON_MAX;
use super::xml::Writer;
use super::{CONSUMER_BUYER_ID, MessageType, MigError, check_text, mig_date, mig_time};
use crate::einvoice::Invoice;
use crate::taipei::TaipeiTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelInvoice {
    pub invoice_number: String,
    pub invoice_date: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub cancel_date: String,
    pub cancel_time: String,
    pub reason: String,
}

impl CancelInvoice {
    /// Void `invoice` at `at` for `reason` (e.g. `退貨`).
    pub fn new(invoice: &Invoice, at: TaipeiTime, reason: &str) -> Result<CancelInvoice, MigError> {
        let reason = reason.trim();
        check_text("CancelReason", reason, CANCEL_REASON_MAX)?;
        if at < invoice.issued_at() {
            return Err(MigError::BeforeIssue {
                what: "作廢時間 / the void",
            });
        }
        Ok(CancelInvoice {
            invoice_number: invoice.number().as_str().to_string(),
            invoice_date: mig_date(invoice.issued_at()),
            buyer_id: invoice.buyer_ban().unwrap_or(CONSUMER_BUYER_ID).to_string(),
            seller_id: invoice.seller_ban().to_string(),
            cancel_date: mig_date(at),
            cancel_time: mig_time(at),
            reason: reason.to_string(),
        })
    }

    pub fn to_xml(&self) -> Result<String, MigError> {
        let t = MessageType::F0501;
        let mut w = Writer::new(t);
        w.leaf("CancelInvoiceNumber", &self.invoice_number);
        w.leaf("InvoiceDate", &self.invoice_date);
        w.leaf("BuyerId", &self.buyer_id);
        w.leaf("SellerId", &self.seller_id);
        w.leaf("CancelDate", &self.cancel_date);
        w.leaf("CancelTime", &self.cancel_time);
        w.leaf("CancelReason", &self.reason);
        let xml = w.finish(t);
        super::schema::check(t, &xml)?;
        Ok(xml)
    }
}
