//! JKoPay's rules for the workflow (NOTES.md §1).

use super::codes::{ALREADY_REFUNDED, REFUNDS_EXCEED_PAYMENT};
use crate::gateway::rules::{PaymentDoubt, VendorRules};
use crate::sale::GatewayId;

pub struct JkoPayRules;

impl VendorRules for JkoPayRules {
    fn id(&self) -> GatewayId {
        GatewayId::JkoPay
    }

    fn name_zh(&self) -> &'static str {
        "街口支付"
    }

    /// No result within 15 s (or 801): Cancel with the same
    /// MerchantTradeNo until it answers; Inquiry is not for payments in doubt.
    fn payment_doubt(&self) -> PaymentDoubt {
        PaymentDoubt::Cancel
    }

    /// Cancel carries the same fields as Payment, the CardToken included.
    fn cancel_needs_payment_code(&self) -> bool {
        true
    }

    /// No Inquiry after a Cancel.
    fn asks_after_cancel(&self) -> bool {
        false
    }

    fn refund_resend_means_done(&self, code: &str) -> bool {
        code == ALREADY_REFUNDED || code == REFUNDS_EXCEED_PAYMENT
    }

    fn refund_rule(&self) -> &'static str {
        "可部分、多次退款,合計不超過付款金額 / partial and repeated refunds up to the paid amount"
    }
}
