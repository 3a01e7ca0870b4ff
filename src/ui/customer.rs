//! The customer-facing window (`[display] customer_window = true`): what
//! the customer needs to see from their side of the counter, in both
//! languages at once (they did not choose the cashier's), large enough to
//! read from a step away: the lines as they are rung up, the total, the
//! change, and the PayPage QR code to scan with their own phone.

use iced::widget::{Column, column, container, qr_code, row, text};
use iced::{Alignment, Element, Length};

use crate::money::Ntd;
use crate::ui::theme;

/// What the customer window shows; derived from the cashier's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerDisplay {
    /// Nobody is being served.
    Welcome {
        store: String,
    },
    /// Items being rung up (the newest last).
    Basket {
        lines: Vec<(String, u32, Ntd)>,
        total: Ntd,
    },
    /// Payment is being taken.
    Due {
        total: Ntd,
    },
    /// The gateway is working on it.
    Processing {
        total: Ntd,
    },
    /// Scan this with your phone to pay.
    PayPage {
        total: Ntd,
        url: String,
    },
    Paid {
        total: Ntd,
        change: Ntd,
    },
}

/// How many of the latest lines fit above the total.
const LINES_SHOWN: usize = 8;

/// A QR code's cached modules, built once per URL (not per frame).
pub struct QrCache {
    url: String,
    data: Option<qr_code::Data>,
}

impl QrCache {
    pub fn new() -> QrCache {
        QrCache {
            url: String::new(),
            data: None,
        }
    }

    /// The QR code of `url`, rebuilt only when the URL changes.
    pub fn set(&mut self, url: &str) {
        if self.url != url {
            self.url = url.to_string();
            self.data = qr_code::Data::new(url.as_bytes()).ok();
        }
    }

    pub fn data(&self, url: &str) -> Option<&qr_code::Data> {
        (self.url == url).then_some(self.data.as_ref()).flatten()
    }
}

impl Default for QrCache {
    fn default() -> Self {
        QrCache::new()
    }
}

fn big<'a, M: 'a>(zh: &str, en: &str) -> Element<'a, M> {
    column![
        text(zh.to_string()).size(theme::TEXT_TOTAL),
        text(en.to_string()).size(theme::TEXT_LARGE),
    ]
    .align_x(Alignment::Center)
    .spacing(4)
    .into()
}

fn total_line<'a, M: 'a>(label_zh: &str, label_en: &str, amount: Ntd) -> Element<'a, M> {
    row![
        text(format!("{label_zh} {label_en}"))
            .size(theme::TEXT_LARGE)
            .width(Length::Fill),
        text(amount.to_string()).size(theme::TEXT_TOTAL * 1.5),
    ]
    .align_y(Alignment::Center)
    .into()
}

/// The window's content.
pub fn view<'a, M: 'a>(display: CustomerDisplay, qr: &'a QrCache) -> Element<'a, M> {
    let body: Element<'a, M> = match display {
        CustomerDisplay::Welcome { store } => column![
            text(store).size(theme::TEXT_LARGE),
            big("歡迎光臨", "Welcome"),
        ]
        .spacing(theme::PAD * 2.0)
        .align_x(Alignment::Center)
        .into(),
        CustomerDisplay::Basket { lines, total } => {
            let mut list = Column::new().spacing(theme::GAP);
            let skip = lines.len().saturating_sub(LINES_SHOWN);
            for (name, qty, amount) in lines.into_iter().skip(skip) {
                list = list.push(
                    row![
                        text(name).size(theme::TEXT_LARGE).width(Length::Fill),
                        text(format!("× {qty}")).size(theme::TEXT_LARGE),
                        text(amount.to_string())
                            .size(theme::TEXT_LARGE)
                            .width(Length::Fixed(200.0))
                            .align_x(Alignment::End),
                    ]
                    .spacing(theme::PAD),
                );
            }
            column![
                container(list).height(Length::Fill),
                total_line("合計", "Total", total),
            ]
            .spacing(theme::PAD)
            .into()
        }
        CustomerDisplay::Due { total } => column![
            big("請付款", "Please pay"),
            text(total.to_string()).size(theme::TEXT_TOTAL * 2.0),
        ]
        .spacing(theme::PAD * 2.0)
        .align_x(Alignment::Center)
        .into(),
        CustomerDisplay::Processing { total } => column![
            big("付款處理中…", "Processing your payment…"),
            text(total.to_string()).size(theme::TEXT_TOTAL * 2.0),
        ]
        .spacing(theme::PAD * 2.0)
        .align_x(Alignment::Center)
        .into(),
        CustomerDisplay::PayPage { total, url } => {
            let code: Element<'a, M> = match qr.data(&url) {
                Some(data) => qr_code(data).cell_size(8).into(),
                None => text(url).size(theme::TEXT).into(),
            };
            column![
                big("請用手機掃描付款", "Scan with your phone to pay"),
                text(total.to_string()).size(theme::TEXT_TOTAL * 1.5),
                code,
            ]
            .spacing(theme::PAD * 2.0)
            .align_x(Alignment::Center)
            .into()
        }
        CustomerDisplay::Paid { total, change } => {
            let mut c = column![
                big("付款完成,謝謝光臨", "Paid. Thank you!"),
                text(total.to_string()).size(theme::TEXT_TOTAL * 1.5),
            ]
            .spacing(theme::PAD * 2.0)
            .align_x(Alignment::Center);
            if change.is_positive() {
                c = c.push(total_line("找零", "Change", change));
            }
            c.into()
        }
    };
    container(body)
        .padding(theme::PAD * 2.0)
        .center(Length::Fill)
        .style(theme::panel)
        .into()
}
