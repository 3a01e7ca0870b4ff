//! 手機付款: the customer pays on their own phone. The PayPage's URL is
//! shown as a QR code (and printed on a slip, and on the customer window);
//! `till` asks MyPay every few seconds whether it has been paid and moves
//! on by itself. The cashier can cancel when the customer pays another way.

use std::time::Instant;

use iced::widget::{button, column, container, qr_code, text};
use iced::{Alignment, Element, Length};

use crate::terminal::PayPageOrder;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;

pub struct State {
    pub order: PayPageOrder,
    qr: Option<qr_code::Data>,
    since: Instant,
    /// MyPay's last word, while it is not paid yet.
    last: Option<String>,
    /// Whether the slip printed (or why not); `None` while printing.
    pub slip: Option<Result<(), String>>,
}

#[derive(Debug, Clone)]
pub enum Message {
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Cancel,
}

impl State {
    pub fn new(order: PayPageOrder) -> State {
        State {
            qr: qr_code::Data::new(order.url.as_bytes()).ok(),
            order,
            since: Instant::now(),
            last: None,
            slip: None,
        }
    }

    pub fn still_open(&mut self, message: String) {
        self.last = Some(message);
    }

    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Cancel => Some(Event::Cancel),
        }
    }

    pub fn view(&self, busy: bool, lang: Lang) -> Element<'_, Message> {
        let code: Element<'_, Message> = match &self.qr {
            Some(data) => qr_code(data).cell_size(6).into(),
            None => text(self.order.url.clone()).size(theme::TEXT).into(),
        };
        let mut info = column![
            text(t(lang, "paypage.heading")).size(theme::TEXT_LARGE),
            text(self.order.amount.to_string()).size(theme::TEXT_TOTAL),
            text(t(lang, "paypage.explain")).size(theme::TEXT),
            text(tf(
                lang,
                "paypage.waiting",
                &[("secs", &self.since.elapsed().as_secs().to_string())],
            ))
            .size(theme::TEXT),
            text(self.order.trade_no.clone()).size(theme::TEXT_SMALL),
        ]
        .spacing(theme::GAP);
        if let Some(until) = &self.order.expires_at {
            info = info
                .push(text(tf(lang, "paypage.expires", &[("at", until)])).size(theme::TEXT_SMALL));
        }
        if let Some(last) = &self.last {
            info = info.push(text(last.clone()).size(theme::TEXT_SMALL));
        }
        info = info.push(match &self.slip {
            None => text(t(lang, "paypage.slip_printing")).size(theme::TEXT_SMALL),
            Some(Ok(())) => text(t(lang, "paypage.slip_printed")).size(theme::TEXT_SMALL),
            Some(Err(e)) => text(format!("{} {e}", t(lang, "paypage.slip_not_printed")))
                .size(theme::TEXT_SMALL)
                .color(theme::DANGER_RED),
        });
        info = info.push(
            button(text(t(lang, "paypage.cancel")).size(theme::TEXT))
                .on_press_maybe((!busy).then_some(Message::Cancel))
                .style(theme::secondary)
                .padding([12, 24]),
        );
        container(
            iced::widget::row![
                container(code).center_x(Length::FillPortion(1)),
                container(info).width(Length::FillPortion(1)),
            ]
            .spacing(theme::PAD * 2.0)
            .align_y(Alignment::Center),
        )
        .padding(theme::PAD)
        .center(Length::Fill)
        .style(theme::panel)
        .into()
    }
}
