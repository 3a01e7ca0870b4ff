//! What each vendor's rules say about a payment or refund in doubt, about
//! refunds and about its codes. The terminal's workflow asks these instead
//! of branching on vendors: adding a gateway means one more impl here, not
//! one more `match` up in `terminal`. Pure: no I/O, no clock reads (the
//! time is passed in).

use crate::sale::GatewayId;
use crate::taipei::TaipeiTime;

/// How a pay-later order was paid, as far as refund rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidWith {
    Card,
    Atm,
    Store,
}

/// How a payment whose result is in doubt gets settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentDoubt {
    /// Cancel with the same trade number, repeated until it answers; a
    /// new charge then gets a new trade number (JKoPay).
    Cancel,
    /// Ask the gateway (`query`) up to `polls` times; `None`: as many
    /// times as the till's policy says (MyPay querydirect, goodbuy
    /// order_status, which the customer may pay tomorrow: one ask).
    Query { polls: Option<u32> },
    /// Asking is no use: wait for the gateway's notification (ECPay
    /// ReturnURL), or a manager settles it from the back office.
    AwaitNotice,
}

/// One vendor's rules, as the workflow needs them.
pub trait VendorRules: Send + Sync {
    /// The gateway these rules are for.
    fn id(&self) -> GatewayId;

    /// The gateway's name as cashiers know it.
    fn name_zh(&self) -> &'static str;

    /// How a payment in doubt resolves.
    fn payment_doubt(&self) -> PaymentDoubt;

    /// A pending answer with this code waits for the customer to confirm in
    /// the wallet app (MyPay WECHATOFF 280): the till confirms with the
    /// answer's reference instead of querying, up to the policy's polls.
    fn awaits_customer(&self, pending_code: &str) -> bool {
        let _ = pending_code;
        false
    }

    /// While the till does not ask (the customer is still to act), the
    /// customer confirms in the app (MyPay) rather than the gateway
    /// notifying the till.
    fn customer_confirms_in_app(&self) -> bool {
        false
    }

    /// The payment code must be kept (sealed) while the payment is in
    /// doubt: the Cancel that settles it carries it (JKoPay NOTES §1).
    fn cancel_needs_payment_code(&self) -> bool {
        false
    }

    /// Whether the gateway may be asked about a payment it cancelled
    /// (JKoPay: no Inquiry after a Cancel).
    fn asks_after_cancel(&self) -> bool {
        true
    }

    /// A pending payment's reference is the pay-later page the customer
    /// pays on (goodbuy), kept for the slip.
    fn pending_reference_is_payer_page(&self) -> bool {
        false
    }

    /// The gateway can issue the e-invoice with the payment and void or
    /// allowance it with the refund (MyPay): payments send the items and
    /// the buyer's choice, refunds what they do to the invoice.
    fn invoices_with_payment(&self) -> bool {
        false
    }

    /// A decline answering a refund sent again that may only mean the
    /// first send went through (JKoPay 812 already refunded, 922 refunds
    /// exceed the payment): the refund stays in doubt rather than declined.
    fn refund_resend_means_done(&self, code: &str) -> bool {
        let _ = code;
        false
    }

    /// The refund rule, zh-TW / English, for the refund screen.
    fn refund_rule(&self) -> &'static str;

    /// Why a payment made `paid_at` (`paid_with` for a pay-later order)
    /// cannot be refunded `now` through the gateway; `None` when it can.
    fn refund_refused(
        &self,
        paid_with: PaidWith,
        paid_at: TaipeiTime,
        now: TaipeiTime,
    ) -> Option<String> {
        let _ = (paid_with, paid_at, now);
        None
    }

    /// Refunds carry no amount: the whole order or nothing (goodbuy).
    fn refunds_whole_order_only(&self) -> bool {
        false
    }
}

/// The rules of `gateway` (the registry lives with the vendors, in
/// `gateway`, so this file names none of them).
pub use super::rules_of as of;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_gateway_has_its_own_rules() {
        for g in GatewayId::ALL {
            let r = of(g);
            assert_eq!(r.id(), g);
            assert!(!r.name_zh().is_empty());
            assert!(r.refund_rule().contains(" / "), "{g:?}: zh-TW / English");
        }
    }

    #[test]
    fn only_jkopay_settles_a_payment_in_doubt_by_cancel() {
        // JKoPay NOTES §1: cancel after 15 s without an answer; no inquiry
        // after a cancel. The others are asked, or notify.
        assert_eq!(of(GatewayId::JkoPay).payment_doubt(), PaymentDoubt::Cancel);
        assert!(!of(GatewayId::JkoPay).asks_after_cancel());
        assert!(of(GatewayId::JkoPay).cancel_needs_payment_code());
        assert_eq!(
            of(GatewayId::MyPay).payment_doubt(),
            PaymentDoubt::Query { polls: None }
        );
        assert_eq!(
            of(GatewayId::Goodbuy).payment_doubt(),
            PaymentDoubt::Query { polls: Some(1) }
        );
        assert_eq!(
            of(GatewayId::Ecpay).payment_doubt(),
            PaymentDoubt::AwaitNotice
        );
        for g in [GatewayId::MyPay, GatewayId::Ecpay, GatewayId::Goodbuy] {
            assert!(of(g).asks_after_cancel(), "{g:?}");
            assert!(!of(g).cancel_needs_payment_code(), "{g:?}");
        }
    }

    #[test]
    fn only_mypay_waits_for_the_customer_on_280() {
        use crate::gateway::mypay::codes::AWAITING_CONFIRMATION;
        assert!(of(GatewayId::MyPay).awaits_customer(AWAITING_CONFIRMATION));
        assert!(!of(GatewayId::MyPay).awaits_customer("290"));
        assert!(of(GatewayId::MyPay).customer_confirms_in_app());
        for g in [GatewayId::JkoPay, GatewayId::Ecpay, GatewayId::Goodbuy] {
            assert!(!of(g).awaits_customer(AWAITING_CONFIRMATION), "{g:?}");
            assert!(!of(g).customer_confirms_in_app(), "{g:?}");
        }
    }

    #[test]
    fn only_mypay_invoices_with_the_payment_and_only_goodbuy_hands_out_a_payer_page() {
        for g in GatewayId::ALL {
            assert_eq!(
                of(g).invoices_with_payment(),
                g == GatewayId::MyPay,
                "{g:?}"
            );
            assert_eq!(
                of(g).pending_reference_is_payer_page(),
                g == GatewayId::Goodbuy,
                "{g:?}"
            );
        }
    }

    #[test]
    fn a_refund_resend_declined_as_done_stays_in_doubt_only_at_jkopay() {
        use crate::gateway::jkopay::codes::{ALREADY_REFUNDED, REFUNDS_EXCEED_PAYMENT};
        let jko = of(GatewayId::JkoPay);
        assert!(jko.refund_resend_means_done(ALREADY_REFUNDED));
        assert!(jko.refund_resend_means_done(REFUNDS_EXCEED_PAYMENT));
        assert!(!jko.refund_resend_means_done("301"));
        assert!(!of(GatewayId::MyPay).refund_resend_means_done(ALREADY_REFUNDED));
    }

    #[test]
    fn ecpay_refunds_go_to_the_back_office_and_goodbuy_refunds_credit_only() {
        let now = crate::taipei::at(2026, 5, 1, 10, 0, 0).expect("a valid time");
        let store = PaidWith::Store;
        let credit = PaidWith::Card;
        assert!(
            of(GatewayId::Ecpay)
                .refund_refused(credit, now, now)
                .is_some()
        );
        assert!(
            of(GatewayId::Goodbuy)
                .refund_refused(store, now, now)
                .is_some()
        );
        assert!(
            of(GatewayId::Goodbuy)
                .refund_refused(credit, now, now)
                .is_none()
        );
        assert!(of(GatewayId::Goodbuy).refunds_whole_order_only());
        for g in [GatewayId::JkoPay, GatewayId::MyPay] {
            assert!(of(g).refund_refused(store, now, now).is_none(), "{g:?}");
            assert!(!of(g).refunds_whole_order_only(), "{g:?}");
        }
    }
}
