//! MyPay's rules for the workflow (NOTES.md §2).

use super::codes::AWAITING_CONFIRMATION;
use crate::gateway::rules::{PaymentDoubt, VendorRules};
use crate::sale::GatewayId;

pub struct MyPayRules;

impl VendorRules for MyPayRules {
    fn id(&self) -> GatewayId {
        GatewayId::MyPay
    }

    fn name_zh(&self) -> &'static str {
        "MyPay"
    }

    /// `api/querydirect`, polled while pending.
    fn payment_doubt(&self) -> PaymentDoubt {
        PaymentDoubt::Query { polls: None }
    }

    /// WECHATOFF over WeChat's limits: `api/wechatconfirmation` once the
    /// customer confirmed in the app.
    fn awaits_customer(&self, pending_code: &str) -> bool {
        pending_code == AWAITING_CONFIRMATION
    }

    fn customer_confirms_in_app(&self) -> bool {
        true
    }

    /// `[einvoice] issuer = "mypay"`: the invoice travels with the payment
    /// and MyPay voids or allowances it from the refund's `invoice_state`.
    fn invoices_with_payment(&self) -> bool {
        true
    }

    fn refund_rule(&self) -> &'static str {
        "可部分退款,合計不超過付款金額;MyPay 開立的發票由 MyPay 作廢或折讓 / partial refunds up to the paid amount; an invoice MyPay issued is voided or allowanced by MyPay"
    }
}
