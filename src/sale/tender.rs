//! How a sale is paid: cash, a wallet code shown at the counter, a member's
//! bound card, a pay-later slip, or a pay page on the customer's own phone.

use serde::{Deserialize, Serialize};

use crate::money::Ntd;

/// A mobile wallet whose payment code a customer shows at the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    JkoPay,
    LinePay,
    PiWallet,
    WeChatPay,
    Alipay,
    EasyWallet,
    /// A wallet code whose issuer the format alone cannot tell; MyPay's
    /// OFFLINE auto-detect decides.
    Unidentified,
}

impl Wallet {
    /// The wallet's name as cashiers and customers know it (zh-TW).
    pub fn name_zh(self) -> &'static str {
        match self {
            Wallet::JkoPay => "街口支付",
            Wallet::LinePay => "LINE Pay",
            Wallet::PiWallet => "Pi 拍錢包",
            Wallet::WeChatPay => "微信支付",
            Wallet::Alipay => "支付寶",
            Wallet::EasyWallet => "悠遊付",
            Wallet::Unidentified => "行動支付",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Wallet::JkoPay => "JKoPay",
            Wallet::LinePay => "LINE Pay",
            Wallet::PiWallet => "Pi Wallet",
            Wallet::WeChatPay => "WeChat Pay",
            Wallet::Alipay => "Alipay",
            Wallet::EasyWallet => "easy wallet",
            Wallet::Unidentified => "mobile wallet",
        }
    }
}

/// A payment gateway `till` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayId {
    /// JKoPay in-store POS API (CardToken scanned at the counter).
    JkoPay,
    /// MyPay Link: in-person wallets and PayPage.
    MyPay,
    /// ECPay ECPG: a member's bound card.
    Ecpay,
    /// The form-POST aggregator: ATM / convenience-store pay-later.
    Goodbuy,
}

impl GatewayId {
    pub const ALL: [GatewayId; 4] = [
        GatewayId::JkoPay,
        GatewayId::MyPay,
        GatewayId::Ecpay,
        GatewayId::Goodbuy,
    ];

    /// Stable lower-case name used in config sections and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            GatewayId::JkoPay => "jkopay",
            GatewayId::MyPay => "mypay",
            GatewayId::Ecpay => "ecpay",
            GatewayId::Goodbuy => "goodbuy",
        }
    }

    pub fn parse(s: &str) -> Option<GatewayId> {
        GatewayId::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// The way one tender was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "wallet")]
pub enum PayMethod {
    Cash,
    /// A wallet code scanned at the counter (JKoPay directly, others via MyPay).
    Wallet(Wallet),
    /// A member's card bound at ECPay.
    BoundCard,
    /// ATM transfer or convenience-store code, paid later (the aggregator).
    PayLater,
    /// The customer pays on their own phone from a QR code (MyPay PayPage).
    PayPage,
}

impl PayMethod {
    /// Cash is the only tender the till itself can overpay and give change for.
    pub fn gives_change(self) -> bool {
        matches!(self, PayMethod::Cash)
    }

    /// Whether the drawer opens for this tender.
    pub fn opens_drawer(self) -> bool {
        matches!(self, PayMethod::Cash)
    }
}

/// One tender applied to a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub method: PayMethod,
    /// What this tender pays toward the sale (never more than was due).
    pub amount: Ntd,
    /// For cash: what the customer handed over.
    pub received: Ntd,
}

impl Tender {
    pub fn change(&self) -> Ntd {
        self.received
            .checked_sub(self.amount)
            .unwrap_or(Ntd::ZERO)
            .max(Ntd::ZERO)
    }
}

/// The tenders of one sale and what is still due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    total: Ntd,
    tenders: Vec<Tender>,
}

impl Payment {
    pub fn new(total: Ntd) -> Payment {
        Payment {
            total,
            tenders: Vec::new(),
        }
    }

    pub fn total(&self) -> Ntd {
        self.total
    }

    pub fn tenders(&self) -> &[Tender] {
        &self.tenders
    }

    pub fn paid(&self) -> Ntd {
        self.tenders.iter().map(|t| t.amount).sum()
    }

    pub fn due(&self) -> Ntd {
        self.total.checked_sub(self.paid()).unwrap_or(Ntd::ZERO)
    }

    pub fn is_settled(&self) -> bool {
        self.due() == Ntd::ZERO
    }

    /// Apply a tender of `offered` dollars. Cash may exceed what is due (the
    /// rest is change); every electronic tender must not, because a gateway
    /// charge cannot give change.
    pub fn apply(&mut self, method: PayMethod, offered: Ntd) -> Result<&Tender, TenderError> {
        let due = self.due();
        if due == Ntd::ZERO {
            return Err(TenderError::AlreadyPaid);
        }
        if !offered.is_positive() {
            return Err(TenderError::NotPositive);
        }
        let amount = if offered > due {
            if !method.gives_change() {
                return Err(TenderError::MoreThanDue { due, offered });
            }
            due
        } else {
            offered
        };
        self.tenders.push(Tender {
            method,
            amount,
            received: offered,
        });
        Ok(self.tenders.last().expect("just pushed"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    AlreadyPaid,
    NotPositive,
    MoreThanDue { due: Ntd, offered: Ntd },
}
impl crate::locale::Localized for TenderError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::AlreadyPaid => tr(lang, "words.tender.already_paid"),
            Self::NotPositive => tr(lang, "words.tender.not_positive"),
            Self::MoreThanDue { due, offered } => fill(
                lang,
                "words.tender.more_than_due",
                &[("due", due), ("offered", offered)],
            ),
        }
    }
}

crate::display_both!(TenderError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cash_gives_change_and_settles() {
        let mut p = Payment::new(Ntd::new(85));
        let t = p.apply(PayMethod::Cash, Ntd::new(100)).unwrap().clone();
        assert_eq!(t.amount, Ntd::new(85));
        assert_eq!(t.change(), Ntd::new(15));
        assert!(p.is_settled());
        assert_eq!(
            p.apply(PayMethod::Cash, Ntd::new(1)),
            Err(TenderError::AlreadyPaid)
        );
    }

    #[test]
    fn split_tender_wallet_then_cash() {
        let mut p = Payment::new(Ntd::new(500));
        p.apply(PayMethod::Wallet(Wallet::JkoPay), Ntd::new(300))
            .unwrap();
        assert_eq!(p.due(), Ntd::new(200));
        assert_eq!(
            p.apply(PayMethod::Wallet(Wallet::LinePay), Ntd::new(201)),
            Err(TenderError::MoreThanDue {
                due: Ntd::new(200),
                offered: Ntd::new(201)
            })
        );
        p.apply(PayMethod::Cash, Ntd::new(200)).unwrap();
        assert!(p.is_settled());
        assert_eq!(p.paid(), Ntd::new(500));
    }

    #[test]
    fn zero_tender_is_refused() {
        let mut p = Payment::new(Ntd::new(5));
        assert_eq!(
            p.apply(PayMethod::Cash, Ntd::ZERO),
            Err(TenderError::NotPositive)
        );
    }
}
