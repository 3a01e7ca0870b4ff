//! JKoPay `StatusCode` table (NOTES.md §1 "StatusCode", [2nd]). The kind is
//! how a Payment answer with that code reads; calls with their own rules
//! (Inquiry's 916, Cancel) adjust it in `jkopay::Response`.

use crate::gateway::CashierAction::*;
use crate::gateway::OutcomeKind::*;
use crate::gateway::StatusInfo;

const fn s(
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    action: crate::gateway::CashierAction,
    kind: crate::gateway::OutcomeKind,
) -> StatusInfo {
    StatusInfo {
        code,
        zh,
        en,
        action,
        kind,
    }
}

pub const SUCCESS: &str = "000";
/// "No such order": within 15 s of a payment it means "not booked yet".
pub const NO_SUCH_ORDER: &str = "916";
/// "Already refunded": answering a refund sent again, the first send may
/// be what did it.
pub const ALREADY_REFUNDED: &str = "812";
/// "Refunds exceed the payment": likewise, the first send may have gone
/// through.
pub const REFUNDS_EXCEED_PAYMENT: &str = "922";

pub static STATUS_CODES: &[StatusInfo] = &[
    s("000", "交易成功", "success", None, Success),
    // Failures where the money may have moved are Unknown: cancel, then retry.
    s(
        "301",
        "網路或系統異常",
        "network or system failure",
        CancelAndRetry,
        Unknown,
    ),
    s(
        "601",
        "無綁定會員",
        "no bound member",
        AskForAnotherPayment,
        Declined,
    ),
    // NOTES §1: 801 means cancel [code].
    s(
        "801",
        "金流連線異常",
        "gateway connection error",
        CancelAndRetry,
        Unknown,
    ),
    s(
        "802",
        "銀行拒絕交易",
        "declined by the bank",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "804",
        "缺少必要參數",
        "missing parameter",
        CheckConfig,
        Declined,
    ),
    s(
        "812",
        "此筆交易已退款",
        "already refunded",
        CallSupport,
        Declined,
    ),
    s(
        "901",
        "未定義的錯誤",
        "undefined error",
        CancelAndRetry,
        Unknown,
    ),
    s(
        "904",
        "簽章驗證失敗",
        "signature check failed",
        CheckConfig,
        Declined,
    ),
    s(
        "905",
        "資料解析失敗",
        "request could not be parsed",
        CheckConfig,
        Declined,
    ),
    s(
        "906",
        "付款條碼已過期",
        "payment code expired",
        AskCustomerToRefreshCode,
        Declined,
    ),
    s(
        "907",
        "非街口支付特店",
        "not a JKoPay store",
        CheckConfig,
        Declined,
    ),
    s(
        "909",
        "資料寫入失敗",
        "write failure at JKoPay",
        CancelAndRetry,
        Unknown,
    ),
    s(
        "911",
        "用戶已停權",
        "user suspended",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "912",
        "查無此會員",
        "no such member",
        AskCustomerToRefreshCode,
        Declined,
    ),
    s("916", "查無此訂單", "no such order", WaitAndQuery, Unknown),
    s(
        "922",
        "退款金額超過付款金額",
        "refunds exceed the payment",
        CheckAmount,
        Declined,
    ),
    s(
        "927",
        "付款條碼錯誤",
        "bad payment code",
        AskCustomerToRefreshCode,
        Declined,
    ),
    s(
        "928",
        "餘額不足",
        "insufficient balance",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "929",
        "不允許此付款方式",
        "payment type not allowed",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "931",
        "金額超過上限",
        "amount over the limit",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "932",
        "商店收款已達上限",
        "store receipts over the limit",
        CallSupport,
        Declined,
    ),
    s(
        "934",
        "訂單狀態不可退款",
        "order state forbids a refund",
        CallSupport,
        Declined,
    ),
    s(
        "935",
        "已達商店單日上限",
        "daily store limit reached",
        CallSupport,
        Declined,
    ),
    s(
        "939",
        "學生卡餘額不足",
        "student card balance too low",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "940",
        "金額必須大於 0",
        "amount must be more than 0",
        CheckAmount,
        Declined,
    ),
    s(
        "951",
        "退款將導致餘額不足",
        "refund would overdraw the account",
        CallSupport,
        Declined,
    ),
    s(
        "961",
        "退款須收回街口幣或回饋",
        "refund must reclaim coins or cashback",
        CallSupport,
        Declined,
    ),
    s(
        "962",
        "儲值退款失敗",
        "stored-value refund failed",
        RetryLater,
        Declined,
    ),
    s(
        "968",
        "已使用優惠券,不可部分退款",
        "coupon used: no partial refund",
        CheckAmount,
        Declined,
    ),
    s(
        "975",
        "退款超過未結算金額",
        "refund exceeds the unsettled amount",
        CallSupport,
        Declined,
    ),
    s(
        "977",
        "帳戶已休眠",
        "dormant account",
        AskForAnotherPayment,
        Declined,
    ),
    s(
        "978",
        "用戶受限制",
        "user barred",
        AskForAnotherPayment,
        Declined,
    ),
    s("980", "商店已停用", "store offline", CheckConfig, Declined),
];
