//! The life of one payment or refund attempt, as a pure state machine.
//!
//! Every edge is listed in [`EDGES`] with the vendor rule that needs it; the
//! journal refuses any move that is not in the table. The table is the single
//! source of truth: `till recover`, the terminal workflows and the tests all
//! read it.
//!
//! ```text
//!            ┌──────────── Abandoned (never sent)
//!  Created ──┤
//!            ├─(cash)───── Approved
//!            └─ Sending ──┬─ Approved | Declined
//!                         ├─ Unknown ──┬─ Approved | Declined   (inquiry, callback)
//!                         │            ├─ Unknown               (still pending, polled)
//!                         │            └─ Cancelling
//!                         └─ Cancelling ─┬─ Cancelled
//!                                        ├─ Cancelling          (cancel unanswered, polled)
//!                                        └─ Approved            (cancel refused: payment stands)
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// Journaled, nothing sent yet.
    Created,
    /// The request is (about to be) on the wire. Written and fsynced before
    /// the first byte leaves, so a crash here means "maybe charged".
    Sending,
    /// The gateway (or the cash drawer) took the money, or gave it back for a refund.
    Approved,
    /// The gateway said no; no money moved.
    Declined,
    /// No definite answer: timeout, lost connection, pending, crash while sending.
    Unknown,
    /// A cancel (reversal) was sent and has not been confirmed yet.
    Cancelling,
    /// The cancel was confirmed: no money moved, or it went back.
    Cancelled,
    /// Given up before anything was sent; no money can have moved.
    Abandoned,
}

impl AttemptState {
    pub const ALL: [AttemptState; 8] = [
        AttemptState::Created,
        AttemptState::Sending,
        AttemptState::Approved,
        AttemptState::Declined,
        AttemptState::Unknown,
        AttemptState::Cancelling,
        AttemptState::Cancelled,
        AttemptState::Abandoned,
    ];

    /// Stable name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Created => "created",
            AttemptState::Sending => "sending",
            AttemptState::Approved => "approved",
            AttemptState::Declined => "declined",
            AttemptState::Unknown => "unknown",
            AttemptState::Cancelling => "cancelling",
            AttemptState::Cancelled => "cancelled",
            AttemptState::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<AttemptState> {
        AttemptState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// No edge leaves this state.
    pub fn is_final(self) -> bool {
        !EDGES.iter().any(|e| e.from == self)
    }

    /// Money may be moving: no other attempt on the same sale may start, and
    /// `till recover` must resolve it on start-up.
    pub fn is_unresolved(self) -> bool {
        !self.is_final()
    }

    /// The name cashiers see.
    pub fn name_zh(self) -> &'static str {
        match self {
            AttemptState::Created => "已建立",
            AttemptState::Sending => "傳送中",
            AttemptState::Approved => "成功",
            AttemptState::Declined => "失敗",
            AttemptState::Unknown => "結果未明",
            AttemptState::Cancelling => "取消中",
            AttemptState::Cancelled => "已取消",
            AttemptState::Abandoned => "未送出",
        }
    }
}

impl fmt::Display for AttemptState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which attempts an edge applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Any attempt.
    Any,
    /// Attempts that go through a gateway.
    Gateway,
    /// Cash, settled at the drawer with no gateway call.
    Cash,
}

/// One legal move and why it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub from: AttemptState,
    pub to: AttemptState,
    pub via: Via,
    pub rule: &'static str,
}

use AttemptState::*;

const fn edge(from: AttemptState, to: AttemptState, via: Via, rule: &'static str) -> Edge {
    Edge {
        from,
        to,
        via,
        rule,
    }
}

/// Every legal transition.
pub const EDGES: &[Edge] = &[
    edge(
        Created,
        Sending,
        Via::Gateway,
        "the request is journaled (fsync) before it is sent, so a crash can never hide a charge",
    ),
    edge(
        Created,
        Abandoned,
        Via::Any,
        "nothing was sent (cashier backed out, or recovery found an attempt that never reached Sending): no money can have moved",
    ),
    edge(
        Created,
        Approved,
        Via::Cash,
        "cash is settled at the drawer; there is no gateway to wait for",
    ),
    edge(
        Sending,
        Approved,
        Via::Gateway,
        "success answer: JKoPay StatusCode 000 (a repeat with IsRep=1 is the same payment), MyPay 250/600 (290 = paid with mismatch, flagged in detail), ECPay RtnCode 1 in decrypted Data, aggregator callback code 200",
    ),
    edge(
        Sending,
        Declined,
        Via::Gateway,
        "definite refusal: JKoPay 802/906/928/…, MyPay 300, ECPay RtnCode other than 1; no money moved",
    ),
    edge(
        Sending,
        Unknown,
        Via::Gateway,
        "no definite answer: MyPay/ECPay timeout or lost answer (resolved by MyPay api/querydirect or ECPay query), MyPay A0001 pending, WeChat 280 awaiting confirmation, pay-later awaiting its callback, or a crash while Sending",
    ),
    edge(
        Sending,
        Cancelling,
        Via::Gateway,
        "JKoPay: no result within 15 s, or 801 gateway connection error, means send Cancel with the same MerchantTradeNo; MyPay api/refundcancel withdraws a queued refund",
    ),
    edge(
        Unknown,
        Approved,
        Via::Gateway,
        "inquiry or server callback reports the payment done (MyPay querydirect B200 with a paid row, JKoPay Inquiry, ECPay ReturnURL unless SimulatePaid=1)",
    ),
    edge(
        Unknown,
        Declined,
        Via::Gateway,
        "inquiry reports the payment failed or never existed (after JKoPay's 15 s window, 916 means no such order)",
    ),
    edge(
        Unknown,
        Unknown,
        Via::Gateway,
        "still pending (MyPay A0001, JKoPay 916 within 15 s of the payment): each poll is recorded",
    ),
    edge(
        Unknown,
        Cancelling,
        Via::Gateway,
        "JKoPay: a payment whose result is unknown is cancelled, not inquired forever",
    ),
    edge(
        Cancelling,
        Cancelling,
        Via::Gateway,
        "JKoPay: if Cancel gets no answer, poll Cancel until it answers; each poll is recorded",
    ),
    edge(
        Cancelling,
        Cancelled,
        Via::Gateway,
        "cancel confirmed (or the gateway has no such order): no money moved; a new attempt must use a new MerchantTradeNo",
    ),
    edge(
        Cancelling,
        Approved,
        Via::Gateway,
        "the cancel was refused because the payment completed and can no longer be reversed: the payment stands and the sale is booked as paid instead of charging again",
    ),
];

/// The edge from `from` to `to` for this kind of attempt, if there is one.
pub fn find_edge(from: AttemptState, to: AttemptState, cash: bool) -> Option<&'static Edge> {
    EDGES.iter().find(|e| {
        e.from == from
            && e.to == to
            && match e.via {
                Via::Any => true,
                Via::Gateway => !cash,
                Via::Cash => cash,
            }
    })
}

/// Whether the move is allowed.
pub fn is_legal(from: AttemptState, to: AttemptState, cash: bool) -> bool {
    find_edge(from, to, cash).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_states_are_the_outcomes() {
        let finals: Vec<_> = AttemptState::ALL
            .into_iter()
            .filter(|s| s.is_final())
            .collect();
        assert_eq!(finals, vec![Approved, Declined, Cancelled, Abandoned]);
    }

    #[test]
    fn nothing_leaves_an_outcome() {
        for from in [Approved, Declined, Cancelled, Abandoned] {
            for to in AttemptState::ALL {
                assert!(!is_legal(from, to, false), "{from} -> {to}");
                assert!(!is_legal(from, to, true), "{from} -> {to} (cash)");
            }
        }
    }

    #[test]
    fn a_gateway_attempt_cannot_skip_sending() {
        // Approving straight from Created would mean money moved with no
        // durable record that a request was ever sent.
        assert!(!is_legal(Created, Approved, false));
        assert!(!is_legal(Created, Declined, false));
        assert!(!is_legal(Created, Unknown, false));
        assert!(is_legal(Created, Sending, false));
    }

    #[test]
    fn cash_never_goes_to_a_gateway_state() {
        assert!(is_legal(Created, Approved, true));
        assert!(is_legal(Created, Abandoned, true));
        for to in [Sending, Unknown, Cancelling, Declined] {
            assert!(!is_legal(Created, to, true), "cash -> {to}");
        }
    }

    #[test]
    fn a_cancel_is_never_followed_by_inquiry() {
        // JKoPay: never use Inquiry after a Cancel.
        assert!(!is_legal(Cancelling, Unknown, false));
        assert!(!is_legal(Cancelling, Sending, false));
        assert!(!is_legal(Cancelling, Declined, false));
    }

    #[test]
    fn unresolved_are_exactly_the_states_money_may_still_be_moving_in() {
        let unresolved: Vec<_> = AttemptState::ALL
            .into_iter()
            .filter(|s| s.is_unresolved())
            .collect();
        assert_eq!(unresolved, vec![Created, Sending, Unknown, Cancelling]);
    }

    #[test]
    fn each_state_shows_its_own_name_to_cashiers_and_in_messages() {
        let zh: std::collections::HashSet<_> =
            AttemptState::ALL.into_iter().map(|s| s.name_zh()).collect();
        assert_eq!(zh.len(), AttemptState::ALL.len(), "{zh:?}");
        assert!(zh.iter().all(|n| !n.is_empty() && !n.is_ascii()), "{zh:?}");
        assert_eq!(Approved.name_zh(), "成功");
        assert_eq!(Unknown.name_zh(), "結果未明");
        // Error messages and the CLI print the journal's own names.
        for s in AttemptState::ALL {
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(Cancelling.to_string(), "cancelling");
    }

    #[test]
    fn every_edge_has_a_reason_and_names_round_trip() {
        for e in EDGES {
            assert!(e.rule.len() > 20, "{:?}", e);
        }
        for s in AttemptState::ALL {
            assert_eq!(AttemptState::parse(s.as_str()), Some(s));
        }
        assert_eq!(AttemptState::parse("paid"), None);
    }
}
