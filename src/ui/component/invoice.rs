//! The e-invoice at the counter, as the cashier sees it: the buyer's
//! choice (carrier, donation, BAN or paper) with a field to type one, what
//! a scan means for it, and the invoice as the result screen shows it.

use iced::widget::{button, row, text};
use iced::{Alignment, Element, Length};

use crate::einvoice::buyer::BuyerChoice;
use crate::terminal::completion::Invoice;
use crate::ui::i18n::{Lang, t};
use crate::ui::theme;

/// What the choice row asks for.
#[derive(Debug, Clone)]
pub enum Message {
    /// The code typed so far.
    Input(String),
    /// Take the typed code as the choice.
    Apply,
    /// Back to a printed proof (a BAN stays).
    Print,
    /// Void the invoice just issued and issue it again as now chosen.
    Reissue,
}

/// The e-invoice choice row: what is chosen, a field to type a
/// carrier/BAN/love code, and (once an invoice was issued with `issued`)
/// the reissue button, live when the choice changed since.
pub fn chooser<'a>(
    chosen: &BuyerChoice,
    typed: &'a str,
    issued: Option<&BuyerChoice>,
    lang: Lang,
) -> Element<'a, Message> {
    let choice = buyer_text(chosen, lang);
    let mut chooser = row![
        text(format!("{} {choice}", t(lang, "buyer.label")))
            .size(theme::TEXT)
            .color(theme::OK_GREEN)
            .width(Length::Fill),
        iced::widget::text_input(&t(lang, "buyer.placeholder"), typed)
            .on_input(Message::Input)
            .on_submit(Message::Apply)
            .size(theme::TEXT_SMALL)
            .padding(8)
            .width(Length::Fixed(260.0)),
        button(text(t(lang, "buyer.apply")).size(theme::TEXT_SMALL))
            .on_press(Message::Apply)
            .style(theme::secondary)
            .padding(theme::target_padding(theme::TEXT_SMALL)),
    ]
    .spacing(8)
    .align_y(Alignment::Center);
    // "Print the proof instead" only when something else is chosen.
    if *chosen != BuyerChoice::Print {
        chooser = chooser.push(
            button(text(t(lang, "buyer.print")).size(theme::TEXT_SMALL))
                .on_press(Message::Print)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        );
    }
    if let Some(issued) = issued {
        let changed = issued != chosen;
        chooser = chooser.push(
            button(text(t(lang, "buyer.reissue")).size(theme::TEXT_SMALL))
                .on_press_maybe(changed.then_some(Message::Reissue))
                .style(theme::danger)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        );
    }
    chooser.into()
}

/// The e-invoice as the result screen shows it: its number (and where it
/// went when nothing prints), or why there is none.
pub fn invoice_text(invoice: &Invoice, lang: Lang) -> Result<String, String> {
    let paperless = |key: &str, number: &str, code: &str| {
        crate::ui::i18n::tf(lang, key, &[("number", number), ("code", code)])
    };
    match invoice {
        Invoice::Issued {
            number,
            paper: true,
            ..
        } => Ok(number.dashed()),
        Invoice::Issued { number, buyer, .. } => {
            Ok(format!("{} → {}", number.dashed(), buyer_text(buyer, lang)))
        }
        Invoice::Mypay { number } => Ok(number.clone()),
        Invoice::MypayCarrier { number, carrier } => {
            Ok(paperless("result.mypay_carrier", number, carrier))
        }
        Invoice::MypayDonated { number, love_code } => {
            Ok(paperless("result.mypay_donated", number, love_code))
        }
        Invoice::MypayLater => Err(t(lang, "result.mypay_invoice_later")),
        Invoice::ByMypay => Err(t(lang, "result.invoice_by_mypay")),
    }
}

/// What a scan means for the e-invoice, if anything: carriers anywhere; a
/// BAN only where an 8-digit code is not a product; love codes at the tender.
pub fn buyer_choice_of(code: &str, tendering: bool) -> Option<BuyerChoice> {
    use crate::barcode::{ScanContext, Scanned, classify};
    let context = if tendering {
        ScanContext::Tendering
    } else {
        ScanContext::Selling
    };
    let scanned = classify(code, context).ok().or_else(|| {
        tendering
            .then(|| classify(code, ScanContext::BuyerChoice).ok())
            .flatten()
    })?;
    match scanned {
        Scanned::MobileCarrier(c) => Some(BuyerChoice::Mobile(c)),
        Scanned::CitizenCertificate(c) => Some(BuyerChoice::Citizen(c)),
        Scanned::LoveCode(c) => Some(BuyerChoice::Donate(c)),
        Scanned::Ban(b) => Some(BuyerChoice::Company(b)),
        _ => None,
    }
}

/// The buyer's e-invoice choice in the cashier's language.
pub fn buyer_text(choice: &BuyerChoice, lang: Lang) -> String {
    match lang {
        Lang::ZhTw => choice.describe_zh(),
        Lang::En => choice.describe_en(),
    }
}
