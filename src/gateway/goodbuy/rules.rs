//! The pay-later aggregator's rules for the workflow (NOTES.md §4).

use crate::gateway::rules::{PaidWith, PaymentDoubt, VendorRules};
use crate::sale::GatewayId;
use crate::taipei::TaipeiTime;

pub struct GoodbuyRules;

impl VendorRules for GoodbuyRules {
    fn id(&self) -> GatewayId {
        GatewayId::Goodbuy
    }

    fn name_zh(&self) -> &'static str {
        "超商/ATM 代收"
    }

    /// One `order_status`: the customer may pay tomorrow, and the
    /// callback tells the till when they do.
    fn payment_doubt(&self) -> PaymentDoubt {
        PaymentDoubt::Query { polls: Some(1) }
    }

    fn pending_reference_is_payer_page(&self) -> bool {
        true
    }

    fn refund_rule(&self) -> &'static str {
        "僅信用卡、整筆退款,訂單次日 09:30 前 / credit card only, the whole order, before 09:30 the day after the order"
    }

    fn refund_refused(
        &self,
        paid_with: PaidWith,
        paid_at: TaipeiTime,
        now: TaipeiTime,
    ) -> Option<String> {
        super::check_refund_allowed_with(paid_with, paid_at, now)
            .err()
            .map(|e| e.to_string())
    }

    fn refunds_whole_order_only(&self) -> bool {
        true
    }
}
