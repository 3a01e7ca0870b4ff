//! 手機付款: the customer pays on their own phone. The PayPage's URL is
//! shown as a QR code (and printed on a slip, and on the customer window);
//! `till` asks MyPay every few seconds whether it has been paid and moves
//! on by itself. The cashier can cancel when the customer pays another way.

use std::time::Instant;

use iced::widget::{button, column, container, qr_code, text};
use iced::{Alignment, Element, Length};

use crate::terminal::PayPageOrder;
use crate::ui::i18n::{Lang, one_language, t, tf};
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
    /// MyPay's last word, while it is not paid yet.
    StillOpen(String),
    /// The printer answered for the slip of the PayPage `trade`.
    SlipPrinted(String, Result<(), String>),
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

    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::Cancel => Some(Event::Cancel),
            Message::StillOpen(why) => {
                self.last = Some(why);
                None
            }
            Message::SlipPrinted(trade, printed) => {
                if trade == self.order.trade_no {
                    self.slip = Some(printed);
                }
                None
            }
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
            info = info.push(
                text(tf(lang, "paypage.expires", &[("at", &as_read(until))]))
                    .size(theme::TEXT_SMALL),
            );
        }
        if let Some(last) = &self.last {
            info = info.push(text(one_language(last, lang)).size(theme::TEXT_SMALL));
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

/// A gateway's time as the cashier reads it: Asia/Taipei, to the minute
/// ("2026-12-06 14:05"), whatever offset the gateway wrote.
pub fn as_read(at: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(at)
        .or_else(|_| chrono::DateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S%z"))
        .map(|t| {
            t.with_timezone(&crate::taipei::offset())
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_reads_as_taipei_time_to_the_minute() {
        assert_eq!(as_read("2026-12-06T14:05:59+08:00"), "2026-12-06 14:05");
        // Written in UTC by a gateway: shown as the till's clock says it.
        assert_eq!(as_read("2026-12-06T06:05:00Z"), "2026-12-06 14:05");
        assert_eq!(as_read("2026-12-06T06:05:00.123+00:00"), "2026-12-06 14:05");
    }
}
