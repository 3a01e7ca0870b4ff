//! Taking payment. A wallet code scanned here (any scanner) goes to its
//! gateway whatever tab is showing; the tabs are what the cashier chooses:
//! cash with change on an on-screen keypad (digits, Backspace and Enter on
//! a keyboard work too), a member's card bound at ECPay, the customer
//! paying on their own phone (MyPay PayPage), or a pay-later slip (ATM
//! transfer, convenience-store code, card) from the aggregator.

use iced::widget::{Column, button, column, container, row, text, text_input};
use iced::{Alignment, Element, Length};

use crate::gateway::goodbuy::PayType;
use crate::money::Ntd;
use crate::terminal::views::Member;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;
use crate::ui::widget::keypad::{key_sized, keypad, keypad_of_height};

#[derive(Debug)]
pub struct State {
    due: Ntd,
    /// Digits typed for the cash received.
    received: String,
    /// Whether an empty keypad means the exact amount. Not after a wallet
    /// payment failed: one hurried Enter would book cash nobody handed over.
    exact_when_empty: bool,
    notice: Option<String>,
    mode: Mode,
    /// Member card tab: the number typed or scanned, and who it found.
    member_no: String,
    member: Option<Member>,
    /// Pay-later tab.
    later: Later,
    later_phone: String,
    later_name: String,
    /// Last 5 digits of the account (ATM) or last 4 of the card (credit).
    later_digits: String,
}

/// The tender tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Cash,
    MemberCard,
    PayPage,
    PayLater,
}

/// Which pay-later order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Later {
    #[default]
    Atm,
    Store,
    Credit,
}

#[derive(Debug, Clone)]
pub enum Message {
    Digit(char),
    Backspace,
    Clear,
    /// A banknote button or "exact".
    Quick(Ntd),
    Confirm,
    Back,
    Mode(Mode),
    MemberNo(String),
    FindMember,
    PayCard(String),
    StartPayPage,
    Later(Later),
    LaterPhone(String),
    LaterName(String),
    LaterDigits(String),
    CreateSlip,
    /// The payment could not be recorded or sent: why.
    Refused(String),
    /// The member looked up (`None`: no such member).
    Member(Option<Member>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Cash taken: what the customer handed over.
    PaidCash {
        received: Ntd,
    },
    Back,
    /// Look the member up (the parent has the journal).
    FindMember(String),
    /// Charge this member's bound card.
    PayBoundCard {
        member_id: String,
        bind_card_id: String,
    },
    /// Show a PayPage QR for the customer's phone.
    PayPage,
    /// Create a pay-later order and print its slip.
    PayLater {
        pay_type: PayType,
        phone: String,
    },
}

/// Banknotes the keypad offers; NT$ notes are 100, 500, 1000 (200 and 2000 are rare).
const NOTES: [i64; 3] = [100, 500, 1000];

impl State {
    pub fn new(due: Ntd) -> State {
        State {
            due,
            received: String::new(),
            exact_when_empty: true,
            notice: None,
            mode: Mode::Cash,
            member_no: String::new(),
            member: None,
            later: Later::Atm,
            later_phone: String::new(),
            later_name: String::new(),
            later_digits: String::new(),
        }
    }

    /// Back at the tender after a wallet payment failed or was cancelled:
    /// why, and nothing prefilled (the cash must be typed or chosen).
    pub fn after_failure(due: Ntd, why: String) -> State {
        let mut state = State::new(due);
        state.exact_when_empty = false;
        state.notice = Some(why);
        state
    }

    /// The tender for a sale a wallet payment was already tried on: the
    /// cash received must be typed or chosen, never taken as exact.
    pub fn typed_only(mut self) -> State {
        self.exact_when_empty = false;
        self
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The member the parent found for the number typed (or none).
    fn show_member(&mut self, member: Option<Member>, lang: Lang) {
        self.notice = match &member {
            None => Some(t(lang, "tender.no_member")),
            Some(m) if m.cards.is_empty() => Some(t(lang, "tender.no_card")),
            Some(_) => None,
        };
        self.member = member;
    }

    /// The pay-later order as the form says, or why not.
    fn pay_later(&self, lang: Lang) -> Result<Event, String> {
        let phone: String = self
            .later_phone
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if !(phone.len() == 10
            && phone.starts_with("09")
            && phone.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(t(lang, "tender.bad_phone"));
        }
        let name = self.later_name.trim().to_string();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(t(lang, "tender.bad_name"));
        }
        let digits = self.later_digits.trim();
        let want = match self.later {
            Later::Atm => 5,
            Later::Credit => 4,
            Later::Store => 0,
        };
        if want > 0 && !(digits.len() == want && digits.chars().all(|c| c.is_ascii_digit())) {
            return Err(tf(lang, "tender.bad_digits", &[("n", &want.to_string())]));
        }
        let pay_type = match self.later {
            Later::Atm => PayType::Atm {
                account_owner: name,
                account_last5: vec![digits.to_string()],
            },
            Later::Store => PayType::Store { payer: name },
            Later::Credit => PayType::Credit {
                card_owner: name,
                card_last4: digits.to_string(),
            },
        };
        Ok(Event::PayLater { pay_type, phone })
    }

    pub fn due(&self) -> Ntd {
        self.due
    }

    fn received(&self) -> Ntd {
        self.received.parse().unwrap_or(Ntd::ZERO)
    }

    /// The payment could not be recorded: say why, keep the keypad as it was.
    fn refused(&mut self, message: String) {
        self.notice = Some(message);
    }

    pub fn update(&mut self, message: Message, lang: Lang) -> Option<Event> {
        self.notice = None;
        match message {
            Message::Refused(why) => self.refused(why),
            Message::Member(member) => self.show_member(member, lang),
            Message::Digit(d) if d.is_ascii_digit() && self.mode == Mode::MemberCard => {
                self.member_no.push(d);
                self.member = None;
            }
            Message::Digit(d) if d.is_ascii_digit() => {
                // 8 digits is more cash than any till holds.
                if self.received.len() < 8 && !(self.received.is_empty() && d == '0') {
                    self.received.push(d);
                }
            }
            Message::Digit(_) => {}
            Message::Backspace if self.mode == Mode::MemberCard => {
                self.member_no.pop();
                self.member = None;
            }
            Message::Backspace => {
                self.received.pop();
            }
            Message::Clear if self.mode == Mode::MemberCard => {
                self.member_no.clear();
                self.member = None;
            }
            Message::Clear => self.received.clear(),
            Message::Quick(amount) => self.received = amount.dollars().to_string(),
            Message::Back => return Some(Event::Back),
            Message::Mode(m) => self.mode = m,
            Message::MemberNo(no) => {
                self.member_no = no.chars().filter(|c| !c.is_control()).take(64).collect();
                self.member = None;
            }
            Message::FindMember => {
                let no = self.member_no.trim().to_string();
                if no.is_empty() {
                    self.notice = Some(t(lang, "tender.member_first"));
                    return None;
                }
                return Some(Event::FindMember(no));
            }
            Message::PayCard(bind_card_id) => {
                let member = self.member.as_ref()?;
                return Some(Event::PayBoundCard {
                    member_id: member.merchant_member_id.clone(),
                    bind_card_id,
                });
            }
            Message::StartPayPage => return Some(Event::PayPage),
            Message::Later(l) => {
                self.later = l;
                self.later_digits.clear();
            }
            Message::LaterPhone(p) => self.later_phone = p.chars().take(20).collect(),
            Message::LaterName(n) => self.later_name = n.chars().take(50).collect(),
            Message::LaterDigits(d) => {
                self.later_digits = d.chars().filter(|c| c.is_ascii_digit()).take(5).collect()
            }
            Message::CreateSlip => match self.pay_later(lang) {
                Ok(e) => return Some(e),
                Err(why) => self.notice = Some(why),
            },
            Message::Confirm if self.mode == Mode::MemberCard => {
                return self.update(Message::FindMember, lang);
            }
            Message::Confirm if self.mode == Mode::PayPage => return Some(Event::PayPage),
            Message::Confirm if self.mode == Mode::PayLater => {
                return self.update(Message::CreateSlip, lang);
            }
            Message::Confirm => {
                // Enter on an empty keypad means "exact amount", except
                // after a failed wallet payment.
                let received = match (self.received.is_empty(), self.exact_when_empty) {
                    (true, true) => self.due,
                    (true, false) => {
                        self.notice = Some(t(lang, "tender.type_received"));
                        return None;
                    }
                    (false, _) => self.received(),
                };
                if received < self.due {
                    let short = self.due.checked_sub(received).unwrap_or(self.due);
                    self.notice = Some(tf(lang, "tender.short", &[("amount", &short.to_string())]));
                    return None;
                }
                return Some(Event::PaidCash { received });
            }
        }
        None
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let tab = |mode: Mode, key: &str| {
            button(text(t(lang, key)).size(theme::TEXT))
                .on_press(Message::Mode(mode))
                .style(if self.mode == mode {
                    theme::primary
                } else {
                    theme::secondary
                })
                .padding([12, 20])
        };
        let tabs = row![
            tab(Mode::Cash, "tender.tab_cash"),
            tab(Mode::MemberCard, "tender.tab_member"),
            tab(Mode::PayPage, "tender.tab_paypage"),
            tab(Mode::PayLater, "tender.tab_later"),
        ]
        .spacing(8);
        let due = row![
            text(t(lang, "tender.due"))
                .size(theme::TEXT_LARGE)
                .width(Length::Fill),
            text(self.due.to_string()).size(theme::TEXT_TOTAL),
        ]
        .align_y(Alignment::Center);

        let body: Element<'_, Message> = match self.mode {
            Mode::Cash => self.cash_view(lang),
            Mode::MemberCard => column![due, self.member_view(lang)]
                .spacing(theme::GAP)
                .into(),
            Mode::PayLater => column![due, self.later_view(lang)]
                .spacing(theme::GAP)
                .into(),
            Mode::PayPage => column![
                due,
                text(t(lang, "tender.paypage_explain")).size(theme::TEXT),
                button(text(t(lang, "tender.paypage_start")).size(theme::TEXT_LARGE))
                    .on_press(Message::StartPayPage)
                    .style(theme::primary)
                    .padding([16, 32]),
            ]
            .spacing(theme::PAD)
            .into(),
        };

        // A notice takes the scan hint's line rather than a line of its own:
        // below the keypad it pushed 返回 under the status bar at 768 px.
        let notice: Element<'_, Message> = match &self.notice {
            // A gateway's "中文 / English" answer in the cashier's language.
            Some(n) => container(
                text(crate::ui::i18n::one_language(n, lang))
                    .size(theme::TEXT)
                    .color(theme::DANGER_RED),
            )
            .id("tender-notice")
            .into(),
            None => text(t(lang, "paying.scan")).size(theme::TEXT).into(),
        };
        let confirm = match self.mode {
            Mode::Cash => Some("tender.confirm"),
            Mode::PayLater => Some("tender.later_create"),
            Mode::MemberCard | Mode::PayPage => None,
        };
        let mut actions = row![
            button(text(t(lang, "tender.back")).size(theme::TEXT))
                .on_press(Message::Back)
                .style(theme::secondary)
                .padding([16, 24]),
        ]
        .spacing(theme::GAP)
        .align_y(Alignment::Center);
        if let Some(label) = confirm {
            actions = actions.push(
                button(
                    text(t(lang, label))
                        .size(theme::TEXT_LARGE)
                        .align_x(Alignment::Center)
                        .width(Length::Fill),
                )
                .width(Length::Fill)
                .height(theme::TOUCH + 16.0)
                .on_press(Message::Confirm)
                .style(theme::primary),
            );
        }

        container(
            column![
                row![
                    text(t(lang, "tender.heading"))
                        .size(theme::TEXT_LARGE)
                        .width(Length::Fill),
                    tabs
                ]
                .align_y(Alignment::Center),
                notice,
                body,
                actions,
            ]
            .spacing(theme::GAP),
        )
        .padding(theme::PAD)
        .style(theme::panel)
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
    }
}

impl State {
    fn cash_view(&self, lang: Lang) -> Element<'_, Message> {
        let received = match (self.received.is_empty(), self.exact_when_empty) {
            (true, true) => self.due,
            _ => self.received(),
        };
        let change = received
            .checked_sub(self.due)
            .unwrap_or(Ntd::ZERO)
            .max(Ntd::ZERO);
        let figures = column![
            row![
                text(t(lang, "tender.due"))
                    .size(theme::TEXT_LARGE)
                    .width(Length::Fill),
                text(self.due.to_string()).size(theme::TEXT_TOTAL),
            ]
            .align_y(Alignment::Center),
            row![
                text(t(lang, "tender.received"))
                    .size(theme::TEXT_LARGE)
                    .width(Length::Fill),
                text(received.to_string()).size(theme::TEXT_TOTAL),
            ]
            .align_y(Alignment::Center),
            row![
                text(t(lang, "tender.change"))
                    .size(theme::TEXT_LARGE)
                    .width(Length::Fill),
                text(change.to_string())
                    .size(theme::TEXT_TOTAL)
                    .color(theme::OK_GREEN),
            ]
            .align_y(Alignment::Center),
        ]
        .spacing(theme::GAP);
        let pad = keypad_of_height(
            Message::Digit,
            ("C", Message::Clear),
            ("←", Message::Backspace),
            theme::TARGET + 4.0,
        );
        let mut quick = row![
            key_sized(
                t(lang, "tender.exact"),
                theme::TEXT,
                Message::Quick(self.due)
            )
            .height(theme::TARGET + 4.0)
        ]
        .spacing(8);
        for note in NOTES {
            quick = quick.push(
                key_sized(
                    Ntd::new(note).to_string(),
                    theme::TEXT,
                    Message::Quick(Ntd::new(note)),
                )
                .height(theme::TARGET + 4.0),
            );
        }
        row![
            container(figures).width(Length::FillPortion(1)),
            column![quick, pad].spacing(8).width(Length::FillPortion(1)),
        ]
        .spacing(theme::PAD * 2.0)
        .into()
    }

    fn member_view(&self, lang: Lang) -> Element<'_, Message> {
        let find = row![
            text_input(&t(lang, "tender.member_no"), &self.member_no)
                .on_input(Message::MemberNo)
                .on_submit(Message::FindMember)
                .size(theme::TEXT)
                .padding(12),
            button(text(t(lang, "tender.find_member")).size(theme::TEXT))
                .on_press(Message::FindMember)
                .style(theme::secondary)
                .padding([12, 20]),
        ]
        .spacing(8);
        let mut cards = Column::new().spacing(8);
        if let Some(m) = &self.member {
            cards = cards.push(text(m.display_name.clone()).size(theme::TEXT_LARGE));
            for c in &m.cards {
                cards = cards.push(
                    button(
                        text(tf(lang, "tender.pay_card", &[("card", &c.card_hint)]))
                            .size(theme::TEXT_LARGE),
                    )
                    .on_press(Message::PayCard(c.bind_card_id.clone()))
                    .style(theme::primary)
                    .padding([16, 24]),
                );
            }
        }
        let pad = keypad(
            Message::Digit,
            ("C", Message::Clear),
            ("←", Message::Backspace),
        );
        row![
            column![find, cards]
                .spacing(theme::PAD)
                .width(Length::FillPortion(1)),
            container(pad).width(Length::FillPortion(1)),
        ]
        .spacing(theme::PAD * 2.0)
        .into()
    }

    fn later_view(&self, lang: Lang) -> Element<'_, Message> {
        let kind = |l: Later, key: &str| {
            button(text(t(lang, key)).size(theme::TEXT))
                .on_press(Message::Later(l))
                .style(if self.later == l {
                    theme::primary
                } else {
                    theme::secondary
                })
                .padding([12, 20])
        };
        let field = |placeholder: String, value: &str, on: fn(String) -> Message| {
            text_input(&placeholder, value)
                .on_input(on)
                .on_submit(Message::CreateSlip)
                .size(theme::TEXT)
                .padding(12)
        };
        let mut form = column![
            row![
                kind(Later::Atm, "tender.later_atm"),
                kind(Later::Store, "tender.later_store"),
                kind(Later::Credit, "tender.later_credit"),
            ]
            .spacing(8),
            field(
                t(lang, "tender.later_phone"),
                &self.later_phone,
                Message::LaterPhone
            ),
            field(
                t(lang, "tender.later_name"),
                &self.later_name,
                Message::LaterName
            ),
        ]
        .spacing(theme::GAP);
        match self.later {
            Later::Atm => {
                form = form.push(field(
                    t(lang, "tender.later_account"),
                    &self.later_digits,
                    Message::LaterDigits,
                ))
            }
            Later::Credit => {
                form = form.push(field(
                    t(lang, "tender.later_card"),
                    &self.later_digits,
                    Message::LaterDigits,
                ))
            }
            Later::Store => {}
        }
        form.push(text(t(lang, "tender.later_explain")).size(theme::TEXT_SMALL))
            .into()
    }
}

/// The wallet-waiting screen's two lines: what the till waits for (once),
/// then the seconds left before the till gives up and cancels (the
/// gateway's timeout), or what it is doing about a late answer.
pub fn waiting_lines(
    what: &str,
    since_secs: u64,
    progress: Option<&crate::terminal::PayEvent>,
    gateways: &crate::config::Gateways,
    lang: Lang,
) -> (String, String) {
    use crate::terminal::PayEvent;
    let headline = tf(lang, "paying.waiting_for", &[("what", what)]);
    let detail = match progress {
        Some(PayEvent::Waiting {
            gateway,
            elapsed_secs,
            ..
        }) => {
            let limit = timeout_of(gateways, *gateway);
            tf(
                lang,
                "paying.left",
                &[("secs", &limit.saturating_sub(*elapsed_secs).to_string())],
            )
        }
        Some(e) => crate::ui::screen::confirming::progress_text(e, lang),
        None => tf(lang, "paying.elapsed", &[("secs", &since_secs.to_string())]),
    };
    (headline, detail)
}

/// How long the till waits for `gateway` before it cancels.
fn timeout_of(gateways: &crate::config::Gateways, gateway: crate::sale::GatewayId) -> u64 {
    use crate::sale::GatewayId;
    match gateway {
        GatewayId::JkoPay => gateways.jkopay.as_ref().map(|g| g.timeout_secs),
        GatewayId::MyPay => gateways.mypay.as_ref().map(|g| g.timeout_secs),
        GatewayId::Ecpay => gateways.ecpay.as_ref().map(|g| g.timeout_secs),
        GatewayId::Goodbuy => gateways.goodbuy.as_ref().map(|g| g.timeout_secs),
    }
    .unwrap_or_else(|| crate::config::default_timeout_secs(gateway))
}

/// The wallet-waiting screen, with the cashier's cancel when the job has
/// one: its label, and the message it sends (none once pressed).
pub fn waiting_view<'a, M: Clone + 'a>(
    lines: (String, String),
    cancel: Option<(String, Option<M>)>,
) -> Element<'a, M> {
    let mut body = column![
        text(lines.0).size(theme::TEXT_TOTAL),
        text(lines.1).size(theme::TEXT_LARGE),
    ]
    .spacing(theme::GAP)
    .align_x(Alignment::Center);
    if let Some((label, press)) = cancel {
        body = body.push(
            button(text(label).size(theme::TEXT_LARGE))
                .padding(theme::PAD)
                .style(theme::danger)
                .on_press_maybe(press),
        );
    }
    container(body)
        .center(Length::Fill)
        .style(theme::panel)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wallet wait is said once (not "waiting … 4 s" and "waiting for
    /// JKoPay … 4 s" again), with the seconds left before the till cancels.
    #[test]
    fn the_wallet_wait_is_said_once_with_the_seconds_left() {
        let gateways = crate::config::Config::demo().gateways;
        // The demo's JKoPay is a simulator: the default 15 s applies.
        assert!(gateways.jkopay.is_none());
        let limit = crate::config::default_timeout_secs(crate::sale::GatewayId::JkoPay);
        assert_eq!(limit, 15);
        let waiting = crate::terminal::PayEvent::Waiting {
            gateway: crate::sale::GatewayId::JkoPay,
            trade_no: "D0126120600001P01".into(),
            elapsed_secs: 4,
        };
        let (head, detail) = waiting_lines("街口支付", 4, Some(&waiting), &gateways, Lang::ZhTw);
        assert_eq!(head, "等待街口支付回應…");
        assert_eq!(detail, format!("還有 {} 秒,逾時自動取消", limit - 4));
        let (head, detail) = waiting_lines("JKoPay code", 4, Some(&waiting), &gateways, Lang::En);
        assert_eq!(head, "Waiting for the JKoPay code…");
        assert!(
            detail.starts_with(&format!("{} s left", limit - 4)),
            "{detail}"
        );
        // Past the limit (cancelling): never a negative count.
        let late = crate::terminal::PayEvent::Waiting {
            gateway: crate::sale::GatewayId::JkoPay,
            trade_no: "D0126120600001P01".into(),
            elapsed_secs: limit + 3,
        };
        let (_, detail) = waiting_lines("街口支付", 0, Some(&late), &gateways, Lang::ZhTw);
        assert!(detail.starts_with("還有 0 秒"), "{detail}");
    }

    #[test]
    fn short_cash_is_refused_with_the_missing_amount() {
        let mut s = State::new(Ntd::new(185));
        s.update(Message::Digit('1'), Lang::En);
        s.update(Message::Digit('0'), Lang::En);
        s.update(Message::Digit('0'), Lang::En);
        assert_eq!(s.update(Message::Confirm, Lang::En), None);
        assert_eq!(
            s.notice.as_deref(),
            Some("Not enough: NT$85 more is needed")
        );
        assert_eq!(s.update(Message::Quick(Ntd::new(500)), Lang::En), None);
        assert_eq!(
            s.update(Message::Confirm, Lang::En),
            Some(Event::PaidCash {
                received: Ntd::new(500)
            })
        );
    }

    #[test]
    fn enter_on_an_empty_keypad_is_exact_cash() {
        let mut s = State::new(Ntd::new(60));
        assert_eq!(
            s.update(Message::Confirm, Lang::ZhTw),
            Some(Event::PaidCash {
                received: Ntd::new(60)
            })
        );
    }

    #[test]
    fn after_a_failed_wallet_nothing_is_prefilled_and_enter_books_nothing() {
        let mut s = State::after_failure(Ntd::new(65), "declined".into());
        assert_eq!(
            s.received(),
            Ntd::ZERO,
            "the received amount is not the due"
        );
        assert_eq!(s.update(Message::Confirm, Lang::En), None);
        assert_eq!(
            s.notice.as_deref(),
            Some("Type the cash received, or tap Exact")
        );
        s.update(Message::Quick(Ntd::new(65)), Lang::En);
        assert_eq!(
            s.update(Message::Confirm, Lang::En),
            Some(Event::PaidCash {
                received: Ntd::new(65)
            })
        );
    }

    #[test]
    fn leading_zeros_and_runaway_digits_are_ignored() {
        let mut s = State::new(Ntd::new(1));
        for _ in 0..3 {
            s.update(Message::Digit('0'), Lang::En);
        }
        assert_eq!(s.received, "");
        for _ in 0..12 {
            s.update(Message::Digit('9'), Lang::En);
        }
        assert_eq!(s.received.len(), 8);
        s.update(Message::Backspace, Lang::En);
        assert_eq!(s.received.len(), 7);
    }
}
