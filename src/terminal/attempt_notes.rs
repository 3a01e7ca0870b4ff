//! What an attempt's journal notes (`Detail.extra`) say, read back: when
//! its request was made, what it paid with, which items it named. Shared
//! by payments, refunds, MyPay's invoices and the pay-later slip, so none
//! of them has to reach into another for it.

use crate::gateway::client::{PayItem, PayWith};
use crate::gateway::goodbuy;
use crate::journal::AttemptRecord;
use crate::money::Ntd;
use crate::sale::PayMethod;
use crate::taipei::{self, TaipeiTime};

/// When the attempt's request was made: the `at` journaled with `Sending`.
pub(super) fn request_time(rec: &AttemptRecord) -> TaipeiTime {
    rec.events
        .iter()
        .find_map(|e| e.notes().at)
        .or_else(|| Some(rec.created_at.clone()))
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&taipei::offset()))
        .unwrap_or_else(taipei::now)
}

/// The request of a journaled attempt, as far as cancel and query need it.
/// `code` is the full payment code when it was kept sealed (a JKoPay
/// attempt in doubt, [`Terminal::unsealed_code`]); otherwise empty: a
/// query, a refund or a MyPay cancel never needs it.
pub(super) fn rebuild_with(rec: &AttemptRecord, code: Option<String>) -> PayWith {
    match rec.method {
        PayMethod::Wallet(wallet) => PayWith::WalletCode {
            wallet,
            code: code.unwrap_or_default(),
        },
        PayMethod::BoundCard => PayWith::BoundCard {
            bind_card_id: String::new(),
            member_id: String::new(),
        },
        _ => PayWith::PayLater {
            pay_type: pay_type_of(rec),
            phone: String::new(),
        },
    }
}

pub(super) fn pay_type_of(rec: &AttemptRecord) -> goodbuy::PayType {
    let t = rec
        .events
        .iter()
        .find_map(|e| e.notes().pay_type)
        .unwrap_or_default();
    match t.as_str() {
        "credit" => goodbuy::PayType::Credit {
            card_owner: String::new(),
            card_last4: String::new(),
        },
        "atm" => goodbuy::PayType::Atm {
            account_owner: String::new(),
            account_last5: Vec::new(),
        },
        _ => goodbuy::PayType::Store {
            payer: String::new(),
        },
    }
}

/// The items of a MyPay payment as its `Sending` notes them (`items`:
/// `[name, qty, unit price]` each; a refund with an e-invoice must name
/// them as sold).
pub(super) fn items_json(items: &[PayItem]) -> serde_json::Value {
    items
        .iter()
        .map(|i| serde_json::json!([i.name, i.qty, i.unit_price.dollars()]))
        .collect()
}

/// The items a payment sent (its `items` note); empty when it sent none
/// (the MyPay client then sent one line, 商品, for the whole amount).
pub(super) fn sent_items(paid: &AttemptRecord) -> Vec<PayItem> {
    let Some(list) = paid
        .events
        .iter()
        .find_map(|e| e.notes().items.and_then(|v| v.as_array().cloned()))
    else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(n, v)| {
            Some(PayItem {
                id: (n + 1).to_string(),
                name: v.get(0)?.as_str()?.to_string(),
                qty: u32::try_from(v.get(1)?.as_u64()?).ok()?,
                unit_price: Ntd::new(v.get(2)?.as_i64()?),
            })
        })
        .collect()
}
