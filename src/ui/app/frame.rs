//! The frame around the screens: the header (store, shortcuts to the
//! other screens, who is signed in, the language), the demo banner, the
//! screen showing and the status bar; the window's title; what the
//! customer-facing window shows; and what shows, as the log, the scripts
//! driving the real window and the tests read it.

use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length};

use super::{App, Message, Screen};
use crate::sale::Cart;
use crate::terminal::Terminal;
use crate::terminal::views::{Role, User};
use crate::ui::component::status_bar;
use crate::ui::i18n::{Lang, t};
use crate::ui::screen::checkout;
use crate::ui::theme;

impl App {
    /// What the customer-facing window shows now.
    pub fn customer_display(&self) -> crate::ui::customer::CustomerDisplay {
        use crate::ui::customer::CustomerDisplay as D;
        let total = self.customer.cart.total();
        let paying = matches!(&self.screen, Screen::Checkout(s) if s.with_gateway());
        if self.lock.is_some() && !paying {
            return D::Welcome {
                store: self.config.store.name.clone(),
            };
        }
        match &self.screen {
            Screen::Sale(_) if self.customer.cart.is_empty() => D::Welcome {
                store: self.config.store.name.clone(),
            },
            Screen::Sale(_) => D::Basket {
                lines: self
                    .customer
                    .cart
                    .lines()
                    .iter()
                    .map(|l| (l.name.clone(), l.qty, l.total().unwrap_or(l.unit_price)))
                    .collect(),
                total,
            },
            Screen::Checkout(state) => state.display(total),
            _ => D::Welcome {
                store: self.config.store.name.clone(),
            },
        }
    }

    pub fn view(&self) -> Element<'_, Message> {
        let lang = self.lang;
        let page = self
            .banner(lang)
            .push(self.header(lang))
            .push(
                container(self.body(lang))
                    .padding([0, 16])
                    .height(Length::Fill),
            )
            .push(self.status_bar());
        // A language switch or a new screen repaints the whole window: a
        // partial repaint left the old words' descenders under the new ones.
        crate::ui::widget::repaint::repaint_on(u64::from(lang == Lang::En), page).into()
    }

    /// The store, the other screens (from an empty sale), who is signed
    /// in, and the language.
    fn header(&self, lang: Lang) -> iced::widget::Row<'_, Message> {
        let mut header = row![
            text(format!(
                "{} · {}",
                self.config.store.name, self.config.terminal.name
            ))
            .size(theme::TEXT)
            .width(Length::Fill),
        ]
        .spacing(theme::GAP)
        .align_y(Alignment::Center)
        .padding([8, 16]);
        // The header's buttons: small, secondary, a finger wide.
        let small = |key: &str, press: Message| {
            button(text(t(lang, key)).size(theme::TEXT_SMALL))
                .on_press(press)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL))
        };
        if let Some(user) = self.user() {
            if self.lock.is_none()
                && matches!(self.screen, Screen::Sale(_))
                && self.customer.cart.is_empty()
            {
                header = header
                    .push(small("history.open", Message::OpenHistory))
                    .push(small("refund.open", Message::OpenRefund))
                    .push(small("closeday.open", Message::OpenCloseDay));
                // Only managers see the button; F10 tells anyone else why not.
                if user.role == Role::Manager {
                    header = header.push(small("settings.open", Message::OpenSettings));
                }
            }
            header = header
                .push(text(user.name.clone()).size(theme::TEXT_SMALL))
                .push(small("signin.sign_out", Message::SignOut));
        }
        header = header.push(small("app.language", Message::ToggleLanguage));
        header
    }

    /// The demo banner over the frame (the counter's part of the frame).
    fn banner(&self, lang: Lang) -> iced::widget::Column<'_, Message> {
        let mut page = column![];
        if self.demo() {
            page = page.push(
                container(text(t(lang, "app.demo_banner")).size(theme::TEXT))
                    .padding([6, 16])
                    .width(Length::Fill)
                    .style(theme::demo_banner),
            );
        }
        page
    }

    /// What the screen shows between the header and the status bar.
    fn body(&self, lang: Lang) -> Element<'_, Message> {
        match (&self.terminal, &self.lock, &self.screen) {
            // The terminal is away with the payment: show the wait.
            (_, None, screen @ Screen::Checkout(s)) if s.with_gateway() => self.screen_view(screen),
            (_, None, screen @ Screen::Refund(s)) if s.is_running() => self.screen_view(screen),
            // Out with a job (a 確認中 or PayPage look, MyPay's e-invoices)
            // is not a till that cannot start.
            (Err(e), _, _) if !self.jobs.is_out() => container(
                column![
                    text(t(lang, "app.cannot_start"))
                        .size(theme::TEXT_LARGE)
                        .color(theme::DANGER_RED),
                    text(e.clone()).size(theme::TEXT),
                ]
                .spacing(theme::GAP),
            )
            .padding(theme::PAD)
            .into(),
            (_, Some(state), _) => state
                .view(
                    &self.staff,
                    crate::ui::screen::history::open_sales_notice(self.status.open_sales(), lang),
                    lang,
                )
                .map(Message::SignIn),
            (_, None, screen) => self.screen_view(screen),
        }
    }

    fn status_bar(&self) -> Element<'_, Message> {
        let look = status_bar::Look {
            printer_error: self.printing.setup_error(),
            last_print: self.printing.last(),
            printer_busy: self.printing.busy(),
            demo: self.demo,
        };
        self.status.view(look, self.lang).map(Message::Status)
    }

    fn screen_view<'a>(&'a self, screen: &'a Screen) -> Element<'a, Message> {
        let lang = self.lang;
        match screen {
            Screen::Sale(state) => state
                .view(&self.customer.cart, &self.catalogue, lang)
                .map(Message::Sale),
            Screen::Checkout(state) => {
                let look = checkout::Look {
                    customer: &self.customer,
                    job: self.jobs.out(),
                    pausing: self.jobs.pausing(),
                    gateways: &self.config.gateways,
                    preview: self.printing.preview(),
                    lang,
                };
                state.view(look).map(Message::Checkout)
            }
            Screen::History(state) => {
                let managers = self.managers();
                state.view(managers, lang).map(Message::History)
            }
            Screen::CloseDay(state) => {
                let managers = self.managers();
                state.view(managers, lang).map(Message::CloseDay)
            }
            Screen::Settings(state) => state.view(lang).map(Message::Settings),
            Screen::Refund(state) => {
                let waiting = self.jobs.out().map(|o| o.started.elapsed());
                state
                    .view(self.managers(), waiting, lang)
                    .map(Message::Refund)
            }
        }
    }

    pub(super) fn demo(&self) -> bool {
        self.demo
    }

    pub fn title(&self) -> String {
        let mut title = format!(
            "till — {} · {}",
            self.config.store.name, self.config.terminal.name
        );
        if self.demo() {
            title.push_str(" · 示範模式 DEMO");
        }
        title
    }

    /// Who is signed in.
    pub fn user(&self) -> Option<&User> {
        self.terminal.as_ref().ok().and_then(|t| t.user())
    }

    pub fn terminal(&self) -> Option<&Terminal> {
        self.terminal.as_ref().ok()
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn cart(&self) -> &Cart {
        &self.customer.cart
    }

    /// The e-invoice choice made for the current sale.
    pub fn buyer(&self) -> &crate::einvoice::buyer::BuyerChoice {
        &self.customer.buyer.choice
    }

    /// The PayPage URL on screen, if one is showing (tests, customer window).
    pub fn paypage_url(&self) -> Option<&str> {
        match &self.screen {
            Screen::Checkout(state) => state.paypage_url(),
            _ => None,
        }
    }

    /// Whether every job out is only pausing before its next look (the
    /// 確認中 and PayPage screens between two asks) and the printer has
    /// nothing: the app waits for time, not for work.
    pub fn only_pausing(&self) -> bool {
        self.jobs.pausing() && !self.printing.printing()
    }

    /// Whether print jobs are with the printer now (answers not back).
    pub fn printing(&self) -> bool {
        self.printing.printing()
    }

    /// How many print-outs the result screen previews (demo mode).
    pub fn preview_count(&self) -> usize {
        self.printing.preview().len()
    }

    /// The screen's name, for tests and logs.
    pub fn screen_name(&self) -> &'static str {
        if let Screen::Checkout(state) = &self.screen
            && state.with_gateway()
            && self.lock.is_none()
        {
            return state.name();
        }
        if matches!(&self.screen, Screen::Refund(s) if s.is_running()) {
            return "refunding";
        }
        if self.terminal.is_err() && !self.jobs.is_out() {
            return "error";
        }
        if self.lock.is_some() {
            return "sign_in";
        }
        match &self.screen {
            Screen::Sale(_) => "sale",
            Screen::Checkout(state) => state.name(),
            Screen::CloseDay(_) => "close_day",
            Screen::History(_) => "history",
            Screen::Refund(_) => "refund",
            Screen::Settings(s) if s.is_refused() => "settings_refused",
            Screen::Settings(_) => "settings",
        }
    }

    /// Every change of screen or of the cart's count and total is logged:
    /// it tells what the till showed when, and lets scripts driving the
    /// real window wait for what it shows instead of sleeping (.ci/gui-*).
    pub(super) fn log_shown(&mut self) {
        let shown = (
            self.screen_name(),
            self.customer.cart.units(),
            self.customer.cart.total(),
            self.lang,
        );
        if shown != self.shown {
            self.shown = shown;
            let (screen, items, total, lang) = shown;
            tracing::info!(screen, items, total = total.dollars(), ?lang, "shows");
        }
    }

    /// The configuration the till runs with now.
    pub fn config(&self) -> &crate::config::Config {
        &self.config
    }

    /// Staff who may approve refunds, reprints and the day close.
    pub(super) fn managers(&self) -> Vec<&User> {
        self.staff
            .iter()
            .filter(|u| u.role == Role::Manager)
            .collect()
    }
}
