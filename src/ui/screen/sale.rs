//! The sale screen: scan or pick products, adjust quantities, see the total.

use iced::widget::{Column, button, column, container, row, scrollable, text, text_input};
use iced::{Alignment, Element, Length};

use crate::barcode::{self, ScanContext, Scanned};
use crate::catalogue::Catalogue;
use crate::money::Ntd;
use crate::sale::{Cart, Line};
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::shortcut::Shortcut;
use crate::ui::theme;

/// The widget id of a product's tile (tests and the UI-automation hooks use it).
pub fn product_tile_id(ean: &str) -> iced::widget::Id {
    iced::widget::Id::from(format!("product-{ean}"))
}

fn kind(scanned: &Scanned, lang: Lang) -> &'static str {
    match lang {
        Lang::ZhTw => scanned.kind_zh(),
        Lang::En => scanned.kind_en(),
    }
}

#[derive(Debug, Default)]
pub struct State {
    query: String,
    open_amount: String,
    confirm_remove: Option<usize>,
    notice: Option<String>,
    /// The line whose discount is being typed, and what was typed.
    discount_for: Option<usize>,
    discount_input: String,
}

#[derive(Debug, Clone)]
pub enum Message {
    Query(String),
    /// Enter in the search box: a typed barcode, or the single match.
    Submit,
    Add(String),
    OpenAmount(String),
    AddOpenAmount,
    Increase(usize),
    Decrease(usize),
    AskRemove(usize),
    ConfirmRemove,
    Keep,
    /// Open the discount entry for a line.
    AskDiscount(usize),
    DiscountInput(String),
    ApplyDiscount,
    CancelDiscount,
    Tender,
    /// A scanner read this code while `from_field` had the focus.
    Scanned {
        code: String,
        from_field: String,
    },
    /// A scan meant for another part of the till (the buyer's e-invoice
    /// choice): only the characters the focused field swallowed go back.
    TakeBack(String),
    /// The "remove" shortcut: ask about the last line.
    AskRemoveLast,
}

/// What the parent must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Tender,
}

impl State {
    pub fn update(
        &mut self,
        message: Message,
        cart: &mut Cart,
        catalogue: &Catalogue,
        lang: Lang,
    ) -> Option<Event> {
        // A scan or a shortcut leaves the notice shown (as a click does not).
        match message {
            Message::Scanned { code, from_field } => {
                self.take_back(&from_field);
                self.scanned(&code, cart, catalogue, lang);
                return None;
            }
            Message::TakeBack(from_field) => {
                self.take_back(&from_field);
                return None;
            }
            Message::AskRemoveLast => {
                self.ask_remove_last(cart);
                return None;
            }
            _ => {}
        }
        self.notice = None;
        match message {
            Message::Scanned { .. } | Message::TakeBack(_) | Message::AskRemoveLast => {}
            Message::Query(q) => self.query = q,
            Message::Submit => {
                let q = self.query.trim().to_string();
                if q.is_empty() {
                    return None;
                }
                // A name that matches one product adds it, as a search does.
                let single = {
                    let found = catalogue.search(&q);
                    (found.len() == 1 && catalogue.by_barcode(&q).is_none())
                        .then(|| found[0].ean.clone())
                };
                if let Some(ean) = single {
                    self.add(&ean, cart, catalogue, lang);
                    self.query.clear();
                    return None;
                }
                self.scanned(&q, cart, catalogue, lang);
                if self.notice.is_none() {
                    self.query.clear();
                }
            }
            Message::Add(ean) => self.add(&ean, cart, catalogue, lang),
            Message::OpenAmount(s) => {
                self.open_amount = s.chars().filter(|c| c.is_ascii_digit()).take(8).collect()
            }
            Message::AddOpenAmount => match crate::money::parse_payment(&self.open_amount) {
                Ok(amount) => {
                    let line = Line::new("OPEN", &t(lang, "sale.open_amount"), 1, amount)
                        .expect("an open-amount line is valid");
                    self.apply(cart.add(line).map(|_| ()));
                    self.open_amount.clear();
                }
                Err(e) => self.notice = Some(e.to_string()),
            },
            Message::Increase(i) => {
                let qty = cart.lines().get(i).map(|l| l.qty + 1);
                if let Some(qty) = qty {
                    self.apply(cart.set_qty(i, qty));
                }
            }
            Message::Decrease(i) => match cart.lines().get(i).map(|l| l.qty) {
                Some(1) => self.confirm_remove = Some(i),
                Some(qty) => self.apply(cart.set_qty(i, qty - 1)),
                None => {}
            },
            Message::AskRemove(i) => {
                if i < cart.lines().len() {
                    self.confirm_remove = Some(i);
                }
            }
            Message::ConfirmRemove => {
                if let Some(i) = self.confirm_remove.take() {
                    self.apply(cart.remove(i).map(|_| ()));
                }
            }
            Message::Keep => self.confirm_remove = None,
            Message::AskDiscount(i) => {
                if let Some(line) = cart.lines().get(i) {
                    self.discount_for = Some(i);
                    self.discount_input = if line.discount.is_positive() {
                        line.discount.dollars().to_string()
                    } else {
                        String::new()
                    };
                }
            }
            Message::DiscountInput(s) => {
                self.discount_input = s.chars().filter(|c| c.is_ascii_digit()).take(8).collect()
            }
            Message::ApplyDiscount => {
                if let Some(i) = self.discount_for {
                    // Empty means no discount; the cart refuses more than the line.
                    let amount = Ntd::new(self.discount_input.parse::<i64>().unwrap_or(0));
                    self.apply(cart.set_line_discount(i, amount));
                    // A refused discount keeps the entry open beside its reason.
                    if self.notice.is_none() {
                        self.discount_for = None;
                        self.discount_input.clear();
                    }
                }
            }
            Message::CancelDiscount => {
                self.discount_for = None;
                self.discount_input.clear();
            }
            Message::Tender => {
                if !cart.is_empty() && cart.total().is_positive() {
                    return Some(Event::Tender);
                }
            }
        }
        None
    }

    /// A code typed into the search box or read by a scanner while selling.
    fn scanned(&mut self, code: &str, cart: &mut Cart, catalogue: &Catalogue, lang: Lang) {
        match barcode::classify(code, ScanContext::Selling) {
            Ok(Scanned::Product(gtin)) => self.add(gtin.as_str(), cart, catalogue, lang),
            Ok(other) if other.is_payment() => {
                self.notice = Some(tf(
                    lang,
                    "sale.payment_code_first",
                    &[("kind", kind(&other, lang))],
                ));
            }
            Ok(other) => {
                self.notice = Some(tf(
                    lang,
                    "sale.not_a_product",
                    &[("kind", kind(&other, lang))],
                ));
            }
            // Words that are not a code are a search that found nothing.
            Err(_) if !code.bytes().any(|b| b.is_ascii_digit()) => {}
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    /// What Enter does: look up what is in the search box, else add the
    /// open amount. (Enter reaches the app through the wedge detector, so a
    /// scanner's Enter never submits a half-typed search.)
    pub fn enter(&self) -> Message {
        if self.query.trim().is_empty() && !self.open_amount.is_empty() {
            Message::AddOpenAmount
        } else {
            Message::Submit
        }
    }

    /// Take a scan's characters back out of whichever field swallowed them.
    fn take_back(&mut self, swallowed: &str) {
        crate::ui::keys::take_back(&mut self.query, swallowed);
        crate::ui::keys::take_back(&mut self.open_amount, swallowed);
    }

    /// The line a "remove" shortcut acts on: the last one.
    fn ask_remove_last(&mut self, cart: &Cart) {
        if !cart.is_empty() {
            self.confirm_remove = Some(cart.lines().len() - 1);
        }
    }

    /// What a shortcut means here: F2 pays, F8 asks to remove the last
    /// line, Escape/Enter answer that question, Enter adds what is typed.
    pub fn key(&self, key: Shortcut) -> Option<Message> {
        match key {
            Shortcut::Pay => Some(Message::Tender),
            Shortcut::Remove => Some(Message::AskRemoveLast),
            Shortcut::Escape if self.is_confirming() => Some(Message::Keep),
            Shortcut::Enter if self.is_confirming() => Some(Message::ConfirmRemove),
            Shortcut::Enter => Some(self.enter()),
            _ => None,
        }
    }

    pub fn is_confirming(&self) -> bool {
        self.confirm_remove.is_some()
    }

    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    fn add(&mut self, ean: &str, cart: &mut Cart, catalogue: &Catalogue, lang: Lang) {
        match catalogue.by_barcode(ean) {
            Some(p) => match Line::new(&p.ean, &p.name, 1, p.price) {
                Ok(line) => self.apply(cart.add(line).map(|_| ())),
                Err(e) => self.notice = Some(e.to_string()),
            },
            None => self.notice = Some(tf(lang, "sale.unknown_product", &[("code", ean)])),
        }
    }

    fn apply(&mut self, result: Result<(), crate::sale::CartError>) {
        if let Err(e) = result {
            self.notice = Some(e.to_string());
        }
    }

    pub fn view<'a>(
        &'a self,
        cart: &'a Cart,
        catalogue: &'a Catalogue,
        lang: Lang,
    ) -> Element<'a, Message> {
        row![
            self.cart_view(cart, lang),
            self.picker_view(catalogue, lang)
        ]
        .spacing(theme::GAP)
        .height(Length::Fill)
        .into()
    }

    fn cart_view<'a>(&'a self, cart: &'a Cart, lang: Lang) -> Element<'a, Message> {
        let mut lines = Column::new().spacing(6);
        if cart.is_empty() {
            lines = lines.push(text(t(lang, "sale.empty")).size(theme::TEXT));
        }
        for (i, line) in cart.lines().iter().enumerate() {
            let total = line.total().unwrap_or(Ntd::ZERO);
            lines = lines.push(
                row![
                    text(line.name.clone())
                        .size(theme::TEXT)
                        .width(Length::Fill),
                    button(text("-").size(theme::TEXT).center())
                        .on_press(Message::Decrease(i))
                        .style(theme::secondary)
                        .width(theme::TARGET)
                        .height(theme::TARGET),
                    text(line.qty.to_string())
                        .size(theme::TEXT)
                        .width(48)
                        .align_x(Alignment::Center),
                    button(text("+").size(theme::TEXT).center())
                        .on_press(Message::Increase(i))
                        .style(theme::secondary)
                        .width(theme::TARGET)
                        .height(theme::TARGET),
                    column![
                        text(total.to_string()).size(theme::TEXT),
                        if line.discount.is_positive() {
                            text(tf(
                                lang,
                                "sale.line_discount",
                                &[("amount", &line.discount.to_string())],
                            ))
                            .size(theme::TEXT_SMALL)
                            .color(theme::OK_GREEN)
                        } else {
                            text(String::new()).size(1)
                        },
                    ]
                    .width(130)
                    .align_x(Alignment::End),
                    button(text(t(lang, "sale.discount")).size(theme::TEXT_SMALL))
                        .on_press(Message::AskDiscount(i))
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                    button(text(t(lang, "sale.remove")).size(theme::TEXT_SMALL))
                        .on_press(Message::AskRemove(i))
                        .style(theme::danger)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                ]
                .spacing(8)
                .align_y(Alignment::Center),
            );
        }

        let confirm: Element<'a, Message> =
            match self.confirm_remove.and_then(|i| cart.lines().get(i)) {
                Some(line) => row![
                    text(tf(lang, "sale.confirm_remove", &[("name", &line.name)]))
                        .size(theme::TEXT)
                        .width(Length::Fill),
                    button(text(t(lang, "sale.yes_remove")).size(theme::TEXT))
                        .on_press(Message::ConfirmRemove)
                        .style(theme::danger)
                        .padding([12, 20]),
                    button(text(t(lang, "sale.keep")).size(theme::TEXT))
                        .on_press(Message::Keep)
                        .style(theme::secondary)
                        .padding([12, 20]),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
                .into(),
                None => column![].into(),
            };

        let discount: Element<'a, Message> =
            match self.discount_for.and_then(|i| cart.lines().get(i)) {
                Some(line) => row![
                    text(tf(lang, "sale.discount_for", &[("name", &line.name)]))
                        .size(theme::TEXT)
                        .width(Length::Fill),
                    text_input(&t(lang, "sale.discount_amount"), &self.discount_input)
                        .on_input(Message::DiscountInput)
                        .on_submit(Message::ApplyDiscount)
                        .size(theme::TEXT)
                        .padding(8)
                        .width(140),
                    button(text(t(lang, "sale.discount_apply")).size(theme::TEXT))
                        .on_press(Message::ApplyDiscount)
                        .style(theme::primary)
                        .padding(theme::target_padding(theme::TEXT)),
                    button(text(t(lang, "sale.keep")).size(theme::TEXT))
                        .on_press(Message::CancelDiscount)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT)),
                ]
                .spacing(8)
                .align_y(Alignment::Center)
                .into(),
                None => column![].into(),
            };

        let notice: Element<'a, Message> = match &self.notice {
            Some(n) => container(
                text(crate::ui::i18n::one_language(n, lang))
                    .size(theme::TEXT)
                    .color(theme::DANGER_RED),
            )
            .id("notice")
            .into(),
            None => column![].into(),
        };

        let pay = button(
            text(t(lang, "sale.tender"))
                .size(theme::TEXT_LARGE)
                .align_x(Alignment::Center)
                .width(Length::Fill),
        )
        .width(Length::Fill)
        .height(theme::TOUCH + 16.0)
        .style(theme::primary)
        .on_press_maybe(
            (!cart.is_empty() && cart.total().is_positive()).then_some(Message::Tender),
        );

        let totals = row![
            column![
                text(t(lang, "sale.items")).size(theme::TEXT_SMALL),
                text(cart.units().to_string()).size(theme::TEXT_LARGE),
            ]
            .width(Length::FillPortion(1)),
            column![
                text(t(lang, "sale.total")).size(theme::TEXT_SMALL),
                text(cart.total().to_string()).size(theme::TEXT_TOTAL),
            ]
            .align_x(Alignment::End)
            .width(Length::FillPortion(2)),
        ]
        .align_y(Alignment::End);

        container(
            column![
                text(t(lang, "sale.heading")).size(theme::TEXT_LARGE),
                scrollable(lines).height(Length::Fill),
                confirm,
                discount,
                notice,
                totals,
                pay,
            ]
            .spacing(theme::GAP),
        )
        .padding(theme::PAD)
        .style(theme::panel)
        .width(Length::FillPortion(3))
        .height(Length::Fill)
        .into()
    }

    fn picker_view<'a>(&'a self, catalogue: &'a Catalogue, lang: Lang) -> Element<'a, Message> {
        let found = catalogue.search(&self.query);
        let mut grid = Column::new().spacing(8);
        for chunk in found.chunks(2) {
            let mut r = row![].spacing(8);
            for p in chunk {
                r = r.push(
                    button(
                        container(
                            column![
                                text(p.name.clone()).size(theme::TEXT_SMALL),
                                text(p.price.to_string()).size(theme::TEXT),
                            ]
                            .spacing(2),
                        )
                        .id(product_tile_id(&p.ean)),
                    )
                    .width(Length::Fill)
                    // Two lines of name and the price: at 1024 px the
                    // names wrap, and 76 px cut the price.
                    .height(theme::TOUCH + 28.0)
                    .style(theme::tile)
                    .on_press(Message::Add(p.ean.clone())),
                );
            }
            grid = grid.push(r);
        }
        if found.is_empty() {
            grid = grid.push(
                text(tf(lang, "sale.no_match", &[("query", self.query.trim())])).size(theme::TEXT),
            );
        }
        let search = text_input(&t(lang, "sale.search"), &self.query)
            .on_input(Message::Query)
            .size(theme::TEXT)
            .padding(12);
        let open = row![
            text_input(&t(lang, "sale.open_amount"), &self.open_amount)
                .on_input(Message::OpenAmount)
                .size(theme::TEXT)
                .padding(12),
            button(text(t(lang, "sale.add")).size(theme::TEXT))
                .on_press(Message::AddOpenAmount)
                .style(theme::secondary)
                .padding([12, 20]),
        ]
        .spacing(8);
        container(column![search, scrollable(grid).height(Length::Fill), open].spacing(theme::GAP))
            .padding(theme::PAD)
            .style(theme::panel)
            .width(Length::FillPortion(2))
            .height(Length::Fill)
            .into()
    }
}
