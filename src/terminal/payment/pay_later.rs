//! Pay-later instructions: what the customer needs to pay an aggregator
//! order after leaving the shop (ATM virtual account, convenience-store
//! code, deadline, payer page), for the pay-later slip.
//!
//! The gateway reads them off the create-order answer
//! ([`crate::gateway::goodbuy::payer_page`]); `pay` journals them with the
//! attempt under [`DETAIL_KEY`] (no secrets: these are printed for the
//! customer anyway), and [`Terminal::pay_later_instructions`] reads them back.

use serde::Serialize;

use super::PayError;
use crate::gateway::goodbuy::{self, payer_page::PayerPage};
use crate::money::Ntd;
use crate::sale::{PayMethod, TradeNo};
use crate::terminal::Terminal;
use crate::terminal::attempt_notes::pay_type_of;

/// Journal detail key of the instructions.
pub const DETAIL_KEY: &str = "pay_later";

/// How the customer pays a pay-later order (the slip prints these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PayLaterInstructions {
    pub trade_no: String,
    /// `credit`, `atm` or `store` (the check fields are not kept).
    pub pay_type: goodbuy::PayType,
    pub amount: Ntd,
    /// ATM: the bank's code and the virtual account to transfer to.
    pub bank_code: Option<String>,
    pub account: Option<String>,
    /// Convenience store: the code to pay at the counter or kiosk.
    pub store_code: Option<String>,
    /// The payer page, if the aggregator gave one (a QR code on the slip).
    pub pay_url: Option<String>,
    /// Pay before this (RFC 3339, +08:00).
    pub deadline: Option<String>,
}

/// The journal form of a gateway's pending `reference` (a [`PayerPage`] as
/// JSON): only the known fields, so nothing else slips into the journal.
pub(super) fn journal_value(reference: &str) -> Option<serde_json::Value> {
    let page: PayerPage = serde_json::from_str(reference).ok()?;
    (!page.is_empty()).then(|| serde_json::to_value(page).expect("a page serialises"))
}

impl Terminal {
    /// The instructions journaled with pay-later attempt `trade_no`, in
    /// whatever state it is now. `None`: not a pay-later attempt, or the
    /// aggregator's answer carried none.
    pub fn pay_later_instructions(
        &self,
        trade_no: &TradeNo,
    ) -> Result<Option<PayLaterInstructions>, PayError> {
        let rec = self
            .journal
            .attempt(trade_no)?
            .ok_or_else(|| PayError::NoSuchAttempt(trade_no.to_string()))?;
        if rec.method != PayMethod::PayLater {
            return Ok(None);
        }
        let page = rec.events.iter().rev().find_map(|e| {
            e.notes()
                .pay_later
                .and_then(|v| serde_json::from_value::<PayerPage>(v).ok())
        });
        Ok(page.map(|p| PayLaterInstructions {
            trade_no: rec.trade_no.to_string(),
            pay_type: pay_type_of(&rec),
            amount: rec.amount,
            bank_code: p.bank_code,
            account: p.account,
            store_code: p.store_code,
            pay_url: p.pay_url,
            deadline: p.deadline,
        }))
    }
}
