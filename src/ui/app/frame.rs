//! The frame around the screens: the header (store, shortcuts to the
//! other screens, who is signed in, the language), the demo banner, the
//! screen showing and the status bar; and what the customer-facing
//! window shows.

use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length};

use super::{App, Message, Screen};
use crate::terminal::views::Role;
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
        if let Some(user) = self.user() {
            if self.lock.is_none()
                && matches!(self.screen, Screen::Sale(_))
                && self.customer.cart.is_empty()
            {
                header = header.push(
                    button(text(t(lang, "history.open")).size(theme::TEXT_SMALL))
                        .on_press(Message::OpenHistory)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
                header = header.push(
                    button(text(t(lang, "refund.open")).size(theme::TEXT_SMALL))
                        .on_press(Message::OpenRefund)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
                header = header.push(
                    button(text(t(lang, "closeday.open")).size(theme::TEXT_SMALL))
                        .on_press(Message::OpenCloseDay)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
                // Only managers see the button; F10 tells anyone else why not.
                if user.role == Role::Manager {
                    header = header.push(
                        button(text(t(lang, "settings.open")).size(theme::TEXT_SMALL))
                            .on_press(Message::OpenSettings)
                            .style(theme::secondary)
                            .padding(theme::target_padding(theme::TEXT_SMALL)),
                    );
                }
            }
            header = header
                .push(text(user.name.clone()).size(theme::TEXT_SMALL))
                .push(
                    button(text(t(lang, "signin.sign_out")).size(theme::TEXT_SMALL))
                        .on_press(Message::SignOut)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                );
        }
        header = header.push(
            button(text(t(lang, "app.language")).size(theme::TEXT_SMALL))
                .on_press(Message::ToggleLanguage)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        );
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
            (Err(e), _, _) => container(
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
            (Ok(_), Some(state), _) => state
                .view(
                    &self.staff,
                    crate::ui::screen::history::open_sales_notice(self.status.open_sales(), lang),
                    lang,
                )
                .map(Message::SignIn),
            (Ok(_), None, screen) => self.screen_view(screen),
        }
    }

    fn status_bar(&self) -> Element<'_, Message> {
        let look = status_bar::Look {
            printer_error: self.printing.setup_error(),
            last_print: self.printing.last(),
            printer_busy: self.printing.busy(),
            demo: self.demo,
            scanner: self.scanner_state.as_ref(),
            gateways: self
                .health
                .as_ref()
                .map(|h| h.found.clone())
                .unwrap_or_default(),
            probing: self.health.is_some(),
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
}
