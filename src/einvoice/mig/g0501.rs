//! G0501 `CancelAllowance` (平台存證作廢折讓證明單, MIG 4.1): voiding an
//! allowance. Replaces D0501 of MIG 3.x.
//!
//! A flat message like F0501: `CancelAllowanceNumber`, `AllowanceType`,
//! `AllowanceDate`, `BuyerId`, `SellerId`, `CancelDate`, `CancelTime`,
//! `CancelReason` (G0501.xsd, 4.0 and 4.1 copies: `AllowanceType` is
//! required). `AllowanceType` is the voided allowance's own type, as its
//! G0401 wrote it.
//!
//! Builds before `AllowanceType` was written journaled G0501s without it;
//! [`repaired`] makes such a message fit for Turnkey when it is exported.

use std::borrow::Cow;

use super::g0401::Allowance;
use super::limits::CANCEL_REASON_MAX;
use super::xml::{Writer, parse};
use super::{MessageType, MigError, check_text, mig_date, mig_time};
use crate::taipei::TaipeiTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelAllowance {
    pub allowance_number: String,
    /// The voided allowance's `AllowanceType`.
    pub allowance_type: &'static str,
    pub allowance_date: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub cancel_date: String,
    pub cancel_time: String,
    pub reason: String,
}

impl CancelAllowance {
    /// Void `allowance` (issued at `allowance_at`) at `at`.
    pub fn new(
        allowance: &Allowance,
        allowance_at: TaipeiTime,
        at: TaipeiTime,
        reason: &str,
    ) -> Result<CancelAllowance, MigError> {
        let reason = reason.trim();
        check_text("CancelReason", reason, CANCEL_REASON_MAX)?;
        if mig_date(allowance_at) != allowance.allowance_date {
            return Err(MigError::Format {
                field: "AllowanceDate",
                reason: "與折讓單日期不符 / differs from the allowance's date".into(),
            });
        }
        if at < allowance_at {
            return Err(MigError::BeforeIssue {
                what: "作廢折讓時間 / the allowance void",
            });
        }
        Ok(CancelAllowance {
            allowance_number: allowance.allowance_number.clone(),
            allowance_type: allowance.allowance_type,
            allowance_date: allowance.allowance_date.clone(),
            buyer_id: allowance.buyer_id.clone(),
            seller_id: allowance.seller.ban.clone(),
            cancel_date: mig_date(at),
            cancel_time: mig_time(at),
            reason: reason.to_string(),
        })
    }

    pub fn to_xml(&self) -> Result<String, MigError> {
        let t = MessageType::G0501;
        let mut w = Writer::new(t);
        w.leaf("CancelAllowanceNumber", &self.allowance_number);
        w.leaf("AllowanceType", self.allowance_type);
        w.leaf("AllowanceDate", &self.allowance_date);
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

/// The leaves of a G0501 written before `AllowanceType` was, in order.
const LEGACY_FIELDS: [&str; 7] = [
    "CancelAllowanceNumber",
    "AllowanceDate",
    "BuyerId",
    "SellerId",
    "CancelDate",
    "CancelTime",
    "CancelReason",
];

/// A journaled G0501, fit to hand to Turnkey.
///
/// A message that passes [`super::schema::check`] comes back as it is. One
/// in the shape earlier builds journaled (every field but the required
/// `AllowanceType`) is written again from its own fields, naming
/// `allowance_type` (the voided allowance's, as its G0401 said). Anything
/// else keeps its check error: Turnkey is never handed a message the
/// schema refuses.
pub fn repaired<'a>(xml: &'a str, allowance_type: &'static str) -> Result<Cow<'a, str>, MigError> {
    let invalid = match super::schema::check(MessageType::G0501, xml) {
        Ok(()) => return Ok(Cow::Borrowed(xml)),
        Err(e) => e,
    };
    let root = parse(xml)?;
    let names: Vec<&str> = root.children.iter().map(|c| c.name.as_str()).collect();
    if root.name != MessageType::G0501.root()
        || names != LEGACY_FIELDS
        || root.children.iter().any(|c| !c.children.is_empty())
    {
        return Err(invalid);
    }
    let field = |i: usize| root.children[i].text.clone();
    let message = CancelAllowance {
        allowance_number: field(0),
        allowance_type,
        allowance_date: field(1),
        buyer_id: field(2),
        seller_id: field(3),
        cancel_date: field(4),
        cancel_time: field(5),
        reason: field(6),
    };
    Ok(Cow::Owned(message.to_xml()?))
}
