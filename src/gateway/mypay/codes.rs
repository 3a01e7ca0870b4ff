//! MyPay status codes (`mypay-link-agent-api.txt` 附錄二 and the 2020
//! manual's 附錄二, which adds nothing the newer list lacks). The kind reads
//! the code as the state of a payment; refund and PayPage answers check
//! their own success codes (230, B200, 200) first.

use crate::gateway::CashierAction::{self, *};
use crate::gateway::OutcomeKind::{self, *};
use crate::gateway::StatusInfo;

const fn s(
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    action: CashierAction,
    kind: OutcomeKind,
) -> StatusInfo {
    StatusInfo {
        code,
        zh,
        en,
        action,
        kind,
    }
}

/// Paid, but "the details do not match": book it and flag it (NOTES §2).
pub const PAID_WITH_MISMATCH: &str = "290";
/// WECHATOFF over WeChat's limits: the customer confirms in the app.
pub const AWAITING_CONFIRMATION: &str = "280";
/// 『執行成功』: an agent call (querydirect, queryorder, refundcancel) was done.
pub const DONE: &str = "B200";
/// 『退款成功』: the refund is done.
pub const REFUNDED: &str = "230";
/// 『資料正確,交易處理中』: the request was taken (a PayPage was made).
pub const ACCEPTED: &str = "200";
/// 『訂單綁定,尚未完成』: a PayPage order is bound but not paid.
pub const ORDER_BOUND: &str = "265";

/// A refund row that is done: 230, or B200 on the agent's lists.
pub fn refund_done(code: &str) -> bool {
    code == REFUNDED || code == DONE
}

/// A PayPage order nobody has started paying (200 accepted, 265 bound):
/// safe to give up at the till's deadline.
pub fn page_untouched(code: &str) -> bool {
    code == ACCEPTED || code == ORDER_BOUND
}

pub static STATUS_CODES: &[StatusInfo] = &[
    s(
        "100",
        "資料錯誤",
        "data or format error",
        CheckConfig,
        Declined,
    ),
    // 200 only says MyPay took the request and goes on to the next step.
    s(
        "200",
        "資料正確,交易處理中",
        "request accepted, in progress",
        WaitAndQuery,
        Pending,
    ),
    s(
        "220",
        "取消成功",
        "order cancelled",
        AskForAnotherPayment,
        Declined,
    ),
    s("230", "退款成功", "refund succeeded", None, Success),
    s("245", "授權成功", "authorised", None, Success),
    s("247", "請款進行中", "capture in progress", None, Success),
    s("250", "付款成功", "paid", None, Success),
    s(
        "260",
        "等候超商繳費",
        "waiting for payment at a convenience store",
        WaitAndQuery,
        Pending,
    ),
    s(
        "265",
        "訂單綁定,尚未完成",
        "order bound, not completed",
        WaitAndQuery,
        Pending,
    ),
    s(
        "270",
        "等候 ATM 繳費",
        "waiting for an ATM transfer",
        WaitAndQuery,
        Pending,
    ),
    s(
        "275",
        "分期審核中",
        "instalment under review",
        WaitAndQuery,
        Pending,
    ),
    s(
        "280",
        "等候顧客確認付款",
        "waiting for the customer to confirm",
        AskCustomerToConfirmInApp,
        Pending,
    ),
    s(
        "282",
        "後付款審核中",
        "pay-later under review",
        WaitAndQuery,
        Pending,
    ),
    s(
        "284",
        "後付款待請款",
        "pay-later awaiting capture",
        WaitAndQuery,
        Pending,
    ),
    s(
        "290",
        "付款成功但資訊不符",
        "paid, but the details do not match",
        ReviewPayment,
        Success,
    ),
    s(
        "300",
        "交易失敗",
        "payment failed",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "380",
        "逾期未繳費",
        "payment deadline passed",
        AskForAnotherPayment,
        Declined,
    ),
    s("400", "系統錯誤", "system error", WaitAndQuery, Unknown),
    s("600", "結帳完成", "settled", None, Success),
    s(
        "A0001",
        "交易待確認",
        "awaiting confirmation from the provider",
        WaitAndQuery,
        Pending,
    ),
    s(
        "A0002",
        "顧客放棄交易",
        "customer abandoned the payment",
        AskForAnotherPayment,
        Declined,
    ),
    s("B200", "執行成功", "done", None, Success),
    s(
        "B500",
        "執行失敗",
        "refused: data not acceptable",
        CallSupport,
        Declined,
    ),
];
