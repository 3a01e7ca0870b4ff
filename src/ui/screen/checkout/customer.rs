//! The customer at the counter: their cart, their sale once it is
//! journaled (a payment was tried), and their e-invoice choice. It outlives
//! a visit to the tender (the cashier goes back to change the cart) and is
//! forgotten when the next customer comes.

use iced::Element;

use crate::einvoice::buyer::BuyerChoice;
use crate::sale::{Cart, SaleNo};
use crate::ui::component::invoice::{Message as ChooserMessage, chooser};
use crate::ui::i18n::{Lang, t, tf};

#[derive(Debug, Default)]
pub struct Customer {
    pub cart: Cart,
    /// The journaled sale of the cart, once a payment was tried.
    pub open_sale: Option<SaleNo>,
    pub buyer: Buyer,
}

/// The customer's e-invoice choice, and the row that takes it.
#[derive(Debug, Default)]
pub struct Buyer {
    /// Paper by default.
    pub choice: BuyerChoice,
    /// A carrier, BAN or love code the cashier is typing in.
    pub input: String,
    /// Why the last scan or entry was refused, shown under the choice.
    pub error: Option<String>,
    /// The choice the sale's invoice was issued with (to offer a reissue
    /// on the result screen when the customer changes their mind).
    pub issued: Option<BuyerChoice>,
}

impl Buyer {
    /// A carrier, donation code or buyer BAN for this sale's e-invoice, by
    /// the mutual-exclusion rules.
    pub fn choose(&mut self, choice: BuyerChoice) {
        match BuyerChoice::combine(&self.choice, choice) {
            Ok(c) => {
                self.choice = c;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// What the cashier types, without control characters, kept short.
    pub fn typed(&mut self, s: &str) {
        self.input = s.chars().filter(|c| !c.is_control()).take(24).collect();
    }

    /// What the cashier typed: checked exactly as a scan in the e-invoice
    /// context, with the same precise refusal messages.
    pub fn apply_typed(&mut self, lang: Lang) {
        use crate::barcode::{ScanContext, Scanned, classify};
        let typed = self.input.trim().to_uppercase();
        if typed.is_empty() {
            self.error = Some(t(lang, "buyer.type_first"));
            return;
        }
        let choice = match classify(&typed, ScanContext::BuyerChoice) {
            Ok(Scanned::MobileCarrier(c)) => BuyerChoice::Mobile(c),
            Ok(Scanned::CitizenCertificate(c)) => BuyerChoice::Citizen(c),
            Ok(Scanned::LoveCode(c)) => BuyerChoice::Donate(c),
            Ok(Scanned::Ban(b)) => BuyerChoice::Company(b),
            Ok(other) => {
                let kind = match lang {
                    Lang::ZhTw => other.kind_zh(),
                    Lang::En => other.kind_en(),
                };
                self.error = Some(tf(lang, "buyer.not_a_choice", &[("kind", kind)]));
                return;
            }
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        self.choose(choice);
        if self.error.is_none() {
            self.input.clear();
        }
    }

    /// Back to a paper proof, with nothing typed or refused: the choice
    /// belonged to the customer who left.
    pub fn forget(&mut self) {
        *self = Buyer::default();
    }

    /// The choice row of the tender and result screens (with the reissue
    /// after payment), and why the last entry was refused.
    pub fn view(&self, after_payment: bool, lang: Lang) -> Element<'_, ChooserMessage> {
        let issued = self.issued.as_ref().filter(|_| after_payment);
        let row = chooser(&self.choice, &self.input, issued, lang);
        match &self.error {
            Some(e) => iced::widget::column![
                row,
                iced::widget::text(e.clone())
                    .size(crate::ui::theme::TEXT)
                    .color(crate::ui::theme::DANGER_RED)
            ]
            .spacing(4)
            .into(),
            None => row,
        }
    }
}
