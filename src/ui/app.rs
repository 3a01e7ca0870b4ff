//! The application shell: which screen is showing, the banner, the status
//! bar, keyboard shortcuts and the language switch.

use iced::keyboard::{self, Key, key::Named};
use iced::widget::{button, column, container, row, text};
use iced::{Alignment, Element, Length, Subscription};

use crate::catalogue::Catalogue;
use crate::money::Ntd;
use crate::sale::Cart;
use crate::ui::i18n::{Lang, t};
use crate::ui::screen::{done, sale, tender};
use crate::ui::theme;

pub struct App {
    lang: Lang,
    demo: bool,
    store_name: String,
    terminal_name: String,
    catalogue: Catalogue,
    cart: Cart,
    screen: Screen,
}

enum Screen {
    Sale(sale::State),
    Tender(tender::State),
    Done(done::State),
}

#[derive(Debug, Clone)]
pub enum Message {
    Sale(sale::Message),
    Tender(tender::Message),
    Done(done::Message),
    ToggleLanguage,
    Shortcut(Shortcut),
}

/// Keys that work on every screen (listed in the footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    /// F2: take payment.
    Pay,
    /// F4: switch language.
    Language,
    /// F8: remove the last line (asks first).
    Remove,
    Escape,
    Enter,
    Digit(char),
    Backspace,
}

/// What the app needs to start.
#[derive(Debug, Clone)]
pub struct Setup {
    pub demo: bool,
    pub store_name: String,
    pub terminal_name: String,
    pub catalogue: Catalogue,
}

impl App {
    pub fn new(setup: Setup) -> App {
        App {
            lang: Lang::default(),
            demo: setup.demo,
            store_name: setup.store_name,
            terminal_name: setup.terminal_name,
            catalogue: setup.catalogue,
            cart: Cart::new(),
            screen: Screen::Sale(sale::State::default()),
        }
    }

    pub fn title(&self) -> String {
        let mut title = format!("till — {} · {}", self.store_name, self.terminal_name);
        if self.demo {
            title.push_str(" · 示範模式 DEMO");
        }
        title
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn cart(&self) -> &Cart {
        &self.cart
    }

    /// The screen's name, for tests and logs.
    pub fn screen_name(&self) -> &'static str {
        match self.screen {
            Screen::Sale(_) => "sale",
            Screen::Tender(_) => "tender",
            Screen::Done(_) => "done",
        }
    }

    pub fn update(&mut self, message: Message) {
        match message {
            Message::ToggleLanguage | Message::Shortcut(Shortcut::Language) => {
                self.lang = self.lang.toggled()
            }
            Message::Sale(m) => {
                if let Screen::Sale(state) = &mut self.screen
                    && let Some(sale::Event::Tender) =
                        state.update(m, &mut self.cart, &self.catalogue, self.lang)
                {
                    self.screen = Screen::Tender(tender::State::new(self.cart.total()));
                }
            }
            Message::Tender(m) => {
                if let Screen::Tender(state) = &mut self.screen {
                    match state.update(m, self.lang) {
                        Some(tender::Event::Back) => {
                            self.screen = Screen::Sale(sale::State::default())
                        }
                        Some(tender::Event::PaidCash { received }) => {
                            let total = state.due();
                            self.finish(total, received);
                        }
                        None => {}
                    }
                }
            }
            Message::Done(done::Message::Next) => self.next_customer(),
            Message::Shortcut(key) => self.shortcut(key),
        }
    }

    fn finish(&mut self, total: Ntd, received: Ntd) {
        let change = received.checked_sub(total).unwrap_or(Ntd::ZERO);
        tracing::info!(%total, %change, "cash sale completed");
        self.screen = Screen::Done(done::State {
            total,
            change,
            sale_no: String::new(),
        });
    }

    fn next_customer(&mut self) {
        self.cart = Cart::new();
        self.screen = Screen::Sale(sale::State::default());
    }

    fn shortcut(&mut self, key: Shortcut) {
        match (&mut self.screen, key) {
            (Screen::Sale(_), Shortcut::Pay) => self.update(Message::Sale(sale::Message::Tender)),
            (Screen::Sale(state), Shortcut::Remove) => state.ask_remove_last(&self.cart),
            (Screen::Sale(state), Shortcut::Escape) if state.is_confirming() => {
                self.update(Message::Sale(sale::Message::Keep))
            }
            (Screen::Sale(state), Shortcut::Enter) if state.is_confirming() => {
                self.update(Message::Sale(sale::Message::ConfirmRemove))
            }
            (Screen::Tender(_), Shortcut::Escape) => {
                self.update(Message::Tender(tender::Message::Back))
            }
            (Screen::Tender(_), Shortcut::Enter | Shortcut::Pay) => {
                self.update(Message::Tender(tender::Message::Confirm))
            }
            (Screen::Tender(_), Shortcut::Digit(d)) => {
                self.update(Message::Tender(tender::Message::Digit(d)))
            }
            (Screen::Tender(_), Shortcut::Backspace) => {
                self.update(Message::Tender(tender::Message::Backspace))
            }
            (Screen::Done(_), Shortcut::Enter | Shortcut::Escape) => self.next_customer(),
            _ => {}
        }
    }

    /// Keys no widget took (a focused text field keeps its typing).
    pub fn subscription(&self) -> Subscription<Message> {
        keyboard::listen().filter_map(|event| match event {
            keyboard::Event::KeyPressed { key, .. } => shortcut_for(&key).map(Message::Shortcut),
            _ => None,
        })
    }

    pub fn view(&self) -> Element<'_, Message> {
        let lang = self.lang;
        let body: Element<'_, Message> = match &self.screen {
            Screen::Sale(state) => state
                .view(&self.cart, &self.catalogue, lang)
                .map(Message::Sale),
            Screen::Tender(state) => state.view(lang).map(Message::Tender),
            Screen::Done(state) => state.view(lang).map(Message::Done),
        };

        let header = row![
            text(format!("{} · {}", self.store_name, self.terminal_name))
                .size(theme::TEXT)
                .width(Length::Fill),
            button(text(t(lang, "app.language")).size(theme::TEXT_SMALL))
                .on_press(Message::ToggleLanguage)
                .style(theme::secondary)
                .padding([8, 16]),
        ]
        .align_y(Alignment::Center)
        .padding([8, 16]);

        let mut page = column![];
        if self.demo {
            page = page.push(
                container(text(t(lang, "app.demo_banner")).size(theme::TEXT))
                    .padding([6, 16])
                    .width(Length::Fill)
                    .style(theme::demo_banner),
            );
        }
        page.push(header)
            .push(container(body).padding([0, 16]).height(Length::Fill))
            .push(self.status_bar())
            .into()
    }

    fn status_bar(&self) -> Element<'_, Message> {
        let lang = self.lang;
        let printer = format!(
            "{}: {}",
            t(lang, "status.printer"),
            if self.demo {
                t(lang, "status.virtual")
            } else {
                t(lang, "status.ready")
            }
        );
        container(
            row![
                text(printer).size(theme::TEXT_SMALL),
                text(t(lang, "keys.hint"))
                    .size(theme::TEXT_SMALL)
                    .width(Length::Fill)
                    .align_x(Alignment::End),
            ]
            .spacing(theme::PAD),
        )
        .padding([8, 16])
        .width(Length::Fill)
        .style(theme::status_bar)
        .into()
    }
}

fn shortcut_for(key: &Key) -> Option<Shortcut> {
    match key {
        Key::Named(Named::F2) => Some(Shortcut::Pay),
        Key::Named(Named::F4) => Some(Shortcut::Language),
        Key::Named(Named::F8) => Some(Shortcut::Remove),
        Key::Named(Named::Escape) => Some(Shortcut::Escape),
        Key::Named(Named::Enter) => Some(Shortcut::Enter),
        Key::Named(Named::Backspace) => Some(Shortcut::Backspace),
        Key::Character(c) => {
            let mut chars = c.chars();
            match (chars.next(), chars.next()) {
                (Some(d), None) if d.is_ascii_digit() => Some(Shortcut::Digit(d)),
                _ => None,
            }
        }
        _ => None,
    }
}
