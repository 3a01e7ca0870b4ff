//! 確認中: a payment whose result is in doubt (no answer, a dropped
//! connection, a cancel not yet confirmed), or the start-up check of
//! payments a crash left open. Never shown as a failure: the screen says
//! what `till` is doing about it and keeps asking the gateway on its own
//! until the answer is definite. No new charge can start meanwhile (the
//! journal refuses one while an attempt on the sale is unresolved).

use std::time::Instant;

use iced::widget::{Column, button, column, container, row, text};
use iced::{Alignment, Element, Length};

use crate::terminal::payment::{PayEvent, PayResult, Resolving, gateway_name_zh};
use crate::terminal::views::AttemptState;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;

/// What is being confirmed.
#[derive(Debug, Clone)]
pub enum Subject {
    /// One payment of the sale at the counter.
    Payment {
        trade_no: String,
        gateway: crate::sale::GatewayId,
    },
    /// Attempts left open by a crash or a lost answer, checked at sign-in.
    Recovery,
}

#[derive(Debug, Clone)]
pub struct State {
    pub subject: Subject,
    since: Instant,
    /// The gateway's last word on it (for a payment) or the outcomes so far.
    last: Option<String>,
    /// Checks made so far.
    pub checks: u32,
    /// Recovery finished: what became of each attempt.
    results: Option<Vec<PayResult>>,
}

#[derive(Debug, Clone)]
pub enum Message {
    /// Ask the gateway now instead of at the next tick.
    CheckNow,
    /// Recovery done: back to selling.
    Continue,
    /// The gateway's answer is still not definite.
    StillOpen(String),
    /// Recovery finished with these outcomes.
    Recovered(Vec<PayResult>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    CheckNow,
    Continue,
}

impl State {
    pub fn payment(result: &PayResult) -> State {
        State {
            subject: Subject::Payment {
                trade_no: result.trade_no.clone(),
                gateway: result.gateway,
            },
            since: Instant::now(),
            last: Some(result.message.clone()),
            checks: 0,
            results: None,
        }
    }

    pub fn recovery() -> State {
        State {
            subject: Subject::Recovery,
            since: Instant::now(),
            last: None,
            checks: 0,
            results: None,
        }
    }

    /// The trade number being confirmed, if this is a payment.
    pub fn trade_no(&self) -> Option<&str> {
        match &self.subject {
            Subject::Payment { trade_no, .. } => Some(trade_no),
            Subject::Recovery => None,
        }
    }

    /// Another answer that is still not definite.
    fn still_open(&mut self, message: String) {
        self.checks += 1;
        self.last = Some(message);
    }

    /// Recovery finished with these outcomes.
    fn recovered(&mut self, results: Vec<PayResult>) {
        self.checks += 1;
        self.results = Some(results);
    }

    pub fn recovery_done(&self) -> bool {
        self.results.is_some()
    }

    pub fn update(&mut self, message: Message) -> Option<Event> {
        match message {
            Message::CheckNow => Some(Event::CheckNow),
            Message::Continue => Some(Event::Continue),
            Message::StillOpen(why) => {
                self.still_open(why);
                None
            }
            Message::Recovered(results) => {
                self.recovered(results);
                None
            }
        }
    }

    pub fn view(
        &self,
        progress: Option<&PayEvent>,
        busy: bool,
        lang: Lang,
    ) -> Element<'_, Message> {
        let secs = self.since.elapsed().as_secs().to_string();
        let mut body = Column::new().spacing(theme::GAP).align_x(Alignment::Center);
        match &self.subject {
            Subject::Payment { trade_no, gateway } => {
                body = body
                    .push(
                        text(t(lang, "confirming.heading"))
                            .size(theme::TEXT_TOTAL)
                            .color(theme::DEMO_AMBER),
                    )
                    .push(
                        text(tf(
                            lang,
                            "confirming.payment",
                            &[
                                ("gateway", gateway_label(*gateway, lang)),
                                ("trade", trade_no),
                                ("secs", &secs),
                            ],
                        ))
                        .size(theme::TEXT),
                    );
            }
            Subject::Recovery => {
                body = body.push(
                    text(t(lang, "confirming.recovery"))
                        .size(theme::TEXT_LARGE)
                        .color(theme::DEMO_AMBER),
                );
            }
        }
        let doing = match progress {
            Some(e) if busy => progress_text(e, lang),
            _ if busy => t(lang, "confirming.asking"),
            _ => tf(
                lang,
                "confirming.next_check",
                &[("checks", &self.checks.to_string())],
            ),
        };
        body = body.push(text(doing).size(theme::TEXT));
        if let Some(last) = &self.last {
            body = body.push(
                text(tf(lang, "confirming.last", &[("message", last)])).size(theme::TEXT_SMALL),
            );
        }
        if let Some(results) = &self.results {
            let mut list = column![].spacing(4);
            for r in results {
                list = list.push(
                    row![
                        text(r.trade_no.clone()).size(theme::TEXT_SMALL),
                        text(gateway_label(r.gateway, lang)).size(theme::TEXT_SMALL),
                        text(r.amount.to_string()).size(theme::TEXT_SMALL),
                        text(state_label(r.state, lang)).size(theme::TEXT_SMALL),
                    ]
                    .spacing(theme::GAP),
                );
            }
            if results.is_empty() {
                list = list.push(text(t(lang, "confirming.nothing")).size(theme::TEXT_SMALL));
            }
            body = body.push(list).push(
                button(text(t(lang, "confirming.continue")).size(theme::TEXT_LARGE))
                    .on_press(Message::Continue)
                    .style(theme::primary)
                    .padding([16, 32]),
            );
        } else {
            body = body
                .push(
                    text(t(lang, "confirming.do_not_charge"))
                        .size(theme::TEXT)
                        .color(theme::DANGER_RED),
                )
                .push(
                    button(text(t(lang, "confirming.check_now")).size(theme::TEXT))
                        .on_press_maybe((!busy).then_some(Message::CheckNow))
                        .style(theme::secondary)
                        .padding([12, 24]),
                );
        }
        container(body)
            .center(Length::Fill)
            .style(theme::panel)
            .into()
    }
}

/// A gateway's name in the screen's language.
pub fn gateway_label(g: crate::sale::GatewayId, lang: Lang) -> &'static str {
    match lang {
        Lang::ZhTw => gateway_name_zh(g),
        Lang::En => match g {
            crate::sale::GatewayId::JkoPay => "JKoPay",
            crate::sale::GatewayId::MyPay => "MyPay",
            crate::sale::GatewayId::Ecpay => "ECPay",
            crate::sale::GatewayId::Goodbuy => "pay-later",
        },
    }
}

fn state_label(s: AttemptState, lang: Lang) -> String {
    match lang {
        Lang::ZhTw => s.name_zh().to_string(),
        Lang::En => s.to_string(),
    }
}

/// One line for what the payment in flight is doing, in the screen's language.
pub fn progress_text(e: &PayEvent, lang: Lang) -> String {
    match e {
        PayEvent::Sending { gateway, .. } => tf(
            lang,
            "paying.sending",
            &[("gateway", gateway_label(*gateway, lang))],
        ),
        PayEvent::Waiting {
            gateway,
            elapsed_secs,
            ..
        } => tf(
            lang,
            "paying.waiting_gateway",
            &[
                ("gateway", gateway_label(*gateway, lang)),
                ("secs", &elapsed_secs.to_string()),
            ],
        ),
        PayEvent::Unknown { doing, .. } => match doing {
            Resolving::Cancelling { try_no } => {
                tf(lang, "confirming.cancelling", &[("n", &try_no.to_string())])
            }
            Resolving::Querying { poll } => {
                tf(lang, "confirming.querying", &[("n", &poll.to_string())])
            }
            Resolving::AwaitingCallback => t(lang, "confirming.awaiting_callback"),
            Resolving::AwaitingCustomer => t(lang, "confirming.awaiting_customer"),
        },
        PayEvent::Resolved { state, .. } => state_label(*state, lang),
    }
}
