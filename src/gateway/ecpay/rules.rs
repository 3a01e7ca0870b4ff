//! ECPay's rules for the workflow (NOTES.md §3).

use crate::gateway::rules::{PaidWith, PaymentDoubt, VendorRules};
use crate::sale::GatewayId;
use crate::taipei::TaipeiTime;

pub struct EcpayRules;

/// ECPG has no refund call in our specs.
const REFUND_RULE: &str = "綠界 ECPG 退款不在本系統規格內,請至綠界後台辦理 / ECPG refunds are not in our specs: refund in ECPay's back office";

impl VendorRules for EcpayRules {
    fn id(&self) -> GatewayId {
        GatewayId::Ecpay
    }

    fn name_zh(&self) -> &'static str {
        "綠界"
    }

    /// The ReturnURL notification settles it.
    fn payment_doubt(&self) -> PaymentDoubt {
        PaymentDoubt::AwaitNotice
    }

    fn refund_rule(&self) -> &'static str {
        REFUND_RULE
    }

    fn refund_refused(&self, _: PaidWith, _: TaipeiTime, _: TaipeiTime) -> Option<String> {
        Some(REFUND_RULE.to_string())
    }
}
