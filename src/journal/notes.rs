//! The notes an attempt's events carry (`Detail.extra` in the journal):
//! status codes, poll counts, who approved, what the request was. One
//! typed struct in code; in the journal the same JSON object as ever.
//!
//! The stored bytes must not change for the same content (old journals
//! keep reading, and the seal chain hashes each row as written), so every
//! note keeps its old key, absent notes are left out, and the fields are
//! declared in the order the workflow has always written them (the journal
//! keeps JSON keys in insertion order). A key this version does not know
//! (a newer till's, or one added by hand in a test) is kept in `other`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Declares [`Notes`] and, on [`super::Detail`], one builder per note.
macro_rules! notes {
    ($( $(#[$doc:meta])* $name:ident : $ty:ty ),* $(,)?) => {
        /// Everything an attempt event notes besides its state, gateway
        /// number, error and wallet. Never a payment code or a key.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct Notes {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $name: Option<$ty>,
            )*
            /// Keys this version does not know, kept as they came.
            #[serde(flatten)]
            pub other: Map<String, Value>,
        }

        impl super::Detail {
            $(
                $(#[$doc])*
                pub fn $name(mut self, value: impl Into<$ty>) -> super::Detail {
                    self.extra.$name = Some(value.into());
                    self
                }
            )*
        }
    };
}

// The order below is the order the keys have always been written in: a
// key written after another anywhere comes after it here (see the test).
notes! {
    /// When the request was made (RFC 3339, +08:00), on `Sending`.
    at: String,
    /// A pay-later order's pay type (`credit`, `atm`, `store`).
    pay_type: String,
    /// The items a MyPay payment sent, `[name, qty, unit price]` each (a
    /// refund with an e-invoice must name them as sold).
    items: Value,
    /// The gateway answered a repeat of an earlier request (JKoPay IsRep).
    is_rep: bool,
    /// What the gateway says it approved, in NT$.
    approved_amount: i64,
    /// Paid, but a person must look (MyPay 290, an amount that differs).
    review: String,
    /// When the gateway says it was paid (RFC 3339, +08:00).
    paid_at: String,
    /// MyPay's e-invoice fields, as it sent them.
    mypay_invoice: Value,
    /// MyPay issues this sale's invoice and has not sent it yet.
    mypay_invoice_due: bool,
    /// The gateway's status code.
    code: String,
    /// A PayPage's address, for the customer to pay on.
    paypage_url: String,
    /// A PayPage's handle at MyPay.
    paypage_handle: String,
    /// When a PayPage stops taking payment (RFC 3339, +08:00).
    expires_at: String,
    /// A first send answered as a repeat: the gateway's number of the
    /// payment it already had under this trade number.
    repeat_of: String,
    /// Nothing reached the gateway.
    not_sent: bool,
    /// Which Cancel try this was.
    cancel_try: u32,
    /// The gateway had no payment under the number: nothing was charged.
    nothing_to_cancel: bool,
    /// Which confirmation ask (MyPay WeChat 280) this was.
    confirm_poll: u32,
    /// Which inquiry this was.
    poll: u32,
    /// The WeChat `TradeNo` a MyPay 280 answer carried, to confirm with.
    wechat_trade_no: String,
    /// How the customer pays a pay-later order (the payer page's fields).
    pay_later: Value,
    /// Settled through a PayPage poll.
    paypage: bool,
    /// The server notification that settled it (`ecpay`, `mypay`, …).
    notice: String,
    /// A PayPage order nobody paid.
    not_paid: bool,
    /// A PayPage that expired (rather than one the cashier cancelled).
    expired: bool,
    /// A PayPage whose address was never shown: nobody could pay on it.
    never_shown: bool,
    /// The gateway accepted the refund without doing it yet (MyPay's
    /// queue): it is never sent again.
    refund_accepted: bool,
    /// A refund in doubt asked about again.
    refund_check: bool,
    /// A queued refund withdrawn on a manager's word.
    withdrawn: bool,
    /// Settled by a manager from the gateway's back office.
    by_hand: bool,
    /// Why (a refund's reason, a manager's reason for settling by hand).
    reason: String,
    /// The manager who approved it.
    manager: String,
    /// The payment attempt a refund gives money back for (…-P01).
    payment: String,
    /// A cash refund, paid from the drawer.
    drawer: bool,
    /// What a MyPay refund does to MyPay's invoice (`4` void, `6` allowance).
    invoice_state: String,
    /// This till must void / allowance its own invoice once the money is back.
    invoice_due: bool,
    /// What recovery found (`never sent`).
    recovered: String,
    /// Cash received, in NT$ (change follows from it).
    received: i64,
}

impl Notes {
    pub fn is_empty(&self) -> bool {
        *self == Notes::default()
    }

    /// The notes of a stored event detail (its `extra` object). Notes
    /// whose value has an unexpected type are kept in `other`, unread.
    pub fn of(detail: &Value) -> Notes {
        let Some(extra) = detail.get("extra").and_then(Value::as_object) else {
            return Notes::default();
        };
        serde_json::from_value(Value::Object(extra.clone())).unwrap_or_else(|_| Notes {
            other: extra.clone(),
            ..Notes::default()
        })
    }

    /// Add a note by its key: a known key lands in its field, any other in
    /// `other` (for callers that still name notes by key).
    pub(super) fn insert(&mut self, key: &str, value: Value) {
        let mut map = match serde_json::to_value(&*self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        map.insert(key.to_string(), value);
        *self = serde_json::from_value(Value::Object(map.clone())).unwrap_or(Notes {
            other: map,
            ..Notes::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::Detail;
    use super::*;

    fn stored(d: &Detail) -> String {
        serde_json::to_string(d).unwrap()
    }

    /// The exact bytes the workflow wrote before the notes were typed
    /// (seals hash these): typed notes must write them again.
    #[test]
    fn typed_notes_write_the_bytes_the_key_value_notes_wrote() {
        let sending = Detail::new()
            .at("2026-05-01T10:00:00+08:00")
            .pay_type("credit")
            .items(serde_json::json!([["茶", 2, 35]]));
        assert_eq!(
            stored(&sending),
            r#"{"extra":{"at":"2026-05-01T10:00:00+08:00","pay_type":"credit","items":[["茶",2,35]]}}"#
        );
        let approved = Detail::new()
            .gateway_trade_no("G1")
            .is_rep(false)
            .approved_amount(70)
            .review("amount differs")
            .paid_at("2026-05-01T10:00:05+08:00")
            .mypay_invoice_due(true)
            .confirm_poll(2u32)
            .wechat_trade_no("W1");
        assert_eq!(
            stored(&approved),
            r#"{"gateway_trade_no":"G1","extra":{"is_rep":false,"approved_amount":70,"review":"amount differs","paid_at":"2026-05-01T10:00:05+08:00","mypay_invoice_due":true,"confirm_poll":2,"wechat_trade_no":"W1"}}"#
        );
        let cancel = Detail::new()
            .error("取消被拒 / cancel refused")
            .code("301")
            .cancel_try(3u32);
        assert_eq!(
            stored(&cancel),
            r#"{"error":"取消被拒 / cancel refused","extra":{"code":"301","cancel_try":3}}"#
        );
        let refund = Detail::new()
            .at("2026-05-01T11:00:00+08:00")
            .reason("破損")
            .manager("王店長")
            .payment("T0126050100001P01")
            .invoice_state("4")
            .invoice_due(true);
        assert_eq!(
            stored(&refund),
            r#"{"extra":{"at":"2026-05-01T11:00:00+08:00","reason":"破損","manager":"王店長","payment":"T0126050100001P01","invoice_state":"4","invoice_due":true}}"#
        );
        let by_hand = Detail::new()
            .approved_amount(100)
            .by_hand(true)
            .reason("後台已扣款")
            .manager("王店長");
        assert_eq!(
            stored(&by_hand),
            r#"{"extra":{"approved_amount":100,"by_hand":true,"reason":"後台已扣款","manager":"王店長"}}"#
        );
        assert_eq!(stored(&Detail::new()), "{}");
    }

    #[test]
    fn stored_notes_read_back_typed_and_unknown_keys_survive() {
        let v: Value = serde_json::from_str(
            r#"{"error":"x","extra":{"code":"280","wechat_trade_no":"W9","poll":4,"from_a_newer_till":[1]}}"#,
        )
        .unwrap();
        let n = Notes::of(&v);
        assert_eq!(n.code.as_deref(), Some("280"));
        assert_eq!(n.wechat_trade_no.as_deref(), Some("W9"));
        assert_eq!(n.poll, Some(4));
        assert_eq!(
            n.other.get("from_a_newer_till"),
            Some(&serde_json::json!([1]))
        );
        // Written again, the unknown key stays, after the known ones.
        let d = Detail {
            extra: n,
            ..Detail::new()
        };
        assert_eq!(
            stored(&d),
            r#"{"extra":{"code":"280","poll":4,"wechat_trade_no":"W9","from_a_newer_till":[1]}}"#
        );
    }

    #[test]
    fn a_note_named_by_key_lands_in_its_typed_field() {
        let d = Detail::new().with("received", 500).with("poll", 2);
        assert_eq!(d.extra.received, Some(500));
        assert_eq!(d.extra.poll, Some(2));
        assert!(d.extra.other.is_empty());
        let odd = Detail::new().with("poll", "two");
        assert_eq!(odd.extra.poll, None);
        assert_eq!(odd.extra.other.get("poll"), Some(&serde_json::json!("two")));
    }
}
