//! Domain values in the cashier's words: what the journal stores as keys
//! (`cash`, `approved`) shown through the locale files, in the screen's
//! language.

use crate::sale::{PayMethod, Wallet};
use crate::terminal::views::{AttemptRecord, AttemptState};
use crate::ui::i18n::{Lang, t};

/// A way of paying: 現金 / Cash, 街口支付 / JKoPay…
pub fn method_name(method: PayMethod, lang: Lang) -> String {
    let key = match method {
        PayMethod::Cash => "cash",
        PayMethod::Wallet(w) => match w {
            Wallet::JkoPay => "jko_pay",
            Wallet::LinePay => "line_pay",
            Wallet::PiWallet => "pi_wallet",
            Wallet::WeChatPay => "we_chat_pay",
            Wallet::Alipay => "alipay",
            Wallet::EasyWallet => "easy_wallet",
            Wallet::Unidentified => "unidentified",
        },
        PayMethod::BoundCard => "bound_card",
        PayMethod::PayLater => "pay_later",
        PayMethod::PayPage => "pay_page",
    };
    t(lang, &format!("method.{key}"))
}

/// Where a payment or refund stands: 成功 / Approved…
pub fn attempt_state(state: AttemptState, lang: Lang) -> String {
    t(lang, &format!("attempt.{}", state.as_str()))
}

/// One payment or refund of a sale, as history and refund list them:
/// trade number, way of paying, amount, where it stands.
pub fn attempt_line(a: &AttemptRecord, lang: Lang) -> String {
    format!(
        "{}  {}  {}  {}",
        a.trade_no,
        method_name(a.method, lang),
        a.amount,
        attempt_state(a.state, lang)
    )
}
