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
use crate::ui::screen::tender;
use crate::ui::theme;

/// How wide each print-out is shown on the result screen (demo mode).
const PREVIEW_WIDTH: f32 = 180.0;

impl App {
    /// What the customer-facing window shows now.
    pub fn customer_display(&self) -> crate::ui::customer::CustomerDisplay {
        use crate::ui::customer::CustomerDisplay as D;
        let total = self.cart.total();
        if self.lock.is_some() && !matches!(self.screen, Screen::Paying { .. }) {
            return D::Welcome {
                store: self.config.store.name.clone(),
            };
        }
        match &self.screen {
            Screen::Sale(_) if self.cart.is_empty() => D::Welcome {
                store: self.config.store.name.clone(),
            },
            Screen::Sale(_) => D::Basket {
                lines: self
                    .cart
                    .lines()
                    .iter()
                    .map(|l| (l.name.clone(), l.qty, l.total().unwrap_or(l.unit_price)))
                    .collect(),
                total,
            },
            Screen::Tender(_) => D::Due { total },
            Screen::Paying { .. } | Screen::Confirming(_) => D::Processing { total },
            Screen::PayPage(state) => D::PayPage {
                total: state.order.amount,
                url: state.order.url.clone(),
            },
            Screen::Done(d) => D::Paid {
                total: d.total,
                change: d.change,
            },
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
            if self.lock.is_none() && matches!(self.screen, Screen::Sale(_)) && self.cart.is_empty()
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
            (
                _,
                None,
                screen @ (Screen::Paying { .. } | Screen::Confirming(_) | Screen::PayPage(_)),
            ) => self.screen_view(screen),
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
                .view(&self.cart, &self.catalogue, lang)
                .map(Message::Sale),
            Screen::Tender(state) => {
                let mut col = column![self.buyer_chooser(false)].spacing(4);
                if let Some(e) = &self.buyer_error {
                    col = col.push(text(e.clone()).size(theme::TEXT).color(theme::DANGER_RED));
                }
                col.push(state.view(lang).map(Message::Tender)).into()
            }
            Screen::Done(state) => {
                let mut col = column![self.buyer_chooser(true)].spacing(4);
                if let Some(e) = &self.buyer_error {
                    col = col.push(text(e.clone()).size(theme::TEXT).color(theme::DANGER_RED));
                }
                let result = state.view(lang).map(Message::Done);
                if self.printing.preview().is_empty() {
                    return col.push(result).into();
                }
                // Demo mode: the print-outs as the emulator drew them.
                let mut paper = row![].spacing(theme::GAP);
                for handle in self.printing.preview() {
                    paper = paper.push(
                        iced::widget::image(handle.clone()).width(Length::Fixed(PREVIEW_WIDTH)),
                    );
                }
                let previews = column![
                    text(t(lang, "result.preview")).size(theme::TEXT_SMALL),
                    iced::widget::scrollable(paper).height(Length::Fill),
                ]
                .spacing(4);
                col.push(
                    row![
                        container(result).width(Length::FillPortion(3)),
                        container(previews).width(Length::FillPortion(2)),
                    ]
                    .spacing(theme::GAP),
                )
                .into()
            }
            Screen::Paying { what } => {
                let job = self.job.as_ref();
                let secs = job.map(|o| o.started.elapsed().as_secs()).unwrap_or(0);
                let cancel = job.filter(|o| o.cancel.is_some()).map(|o| {
                    let press = (!o.cancelled).then_some(Message::CancelPayment);
                    let label = if o.cancelled {
                        "tasks.cancelling"
                    } else {
                        "tasks.cancel"
                    };
                    (t(lang, label), press)
                });
                tender::waiting_view(
                    tender::waiting_lines(
                        what,
                        secs,
                        job.and_then(|o| o.progress.as_ref()),
                        &self.config.gateways,
                        lang,
                    ),
                    cancel,
                )
            }
            Screen::PayPage(state) => {
                // Between two looks the job only pauses: the cancel is
                // taken then (it closes the PayPage instead of asking).
                let busy = self.job.as_ref().is_some_and(|o| o.cancelled);
                state.view(busy, lang).map(Message::PayPage)
            }
            Screen::Confirming(state) => {
                let job = self.job.as_ref();
                let asking = job.is_some() && self.pacer.parked() == 0;
                state
                    .view(job.and_then(|o| o.progress.as_ref()), asking, lang)
                    .map(Message::Confirming)
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
                let waiting = self.job.as_ref().map(|o| o.started.elapsed());
                state
                    .view(self.managers(), waiting, lang)
                    .map(Message::Refund)
            }
        }
    }

    /// The e-invoice choice row of the tender and result screens.
    fn buyer_chooser(&self, after_payment: bool) -> Element<'_, Message> {
        use crate::ui::component::invoice::{Message as M, chooser};
        let issued = self.issued_buyer.as_ref().filter(|_| after_payment);
        chooser(&self.buyer, &self.buyer_input, issued, self.lang).map(|m| match m {
            M::Input(s) => Message::BuyerInput(s),
            M::Apply => Message::BuyerApply,
            M::Print => Message::BuyerPrint,
            M::Reissue => Message::Reissue,
        })
    }
}
