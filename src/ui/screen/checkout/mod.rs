//! The customer's payment, from the tender to the result: one screen whose
//! phases are the tender, the wait while a gateway has the sale (paying),
//! 確認中, the PayPage and the result. It does its own work on the screens'
//! contract: it journals the sale, sends it to its gateway as a job that
//! takes the terminal along ([`Ctx::send`]), takes the job's end, has the
//! terminal complete a paid sale, and tells the app only what to print and
//! when the customer is done.

mod customer;
mod pay;

use std::time::Duration;

use iced::widget::{column, container, row, text};
use iced::{Element, Length, Task};

pub use customer::{Buyer, Customer};

use crate::money::Ntd;
use crate::sale::SaleNo;
use crate::terminal::completion::{Completion, Printout};
use crate::ui::component::printing::Reply;
use crate::ui::customer::CustomerDisplay;
use crate::ui::i18n::{Lang, t};
use crate::ui::screen::{Ctx, PrintFor, PrintJob, confirming, done, paypage, tender};
use crate::ui::shortcut::Shortcut;
use crate::ui::theme;
use crate::ui::wallet::{Finished, Out};

/// How often the PayPage asks MyPay whether it has been paid.
const PAYPAGE_EVERY: Duration = Duration::from_secs(3);

/// How often 確認中 asks the gateway again on its own.
pub const CONFIRM_EVERY: Duration = Duration::from_secs(5);

/// How wide each print-out is shown on the result (demo mode).
const PREVIEW_WIDTH: f32 = 180.0;

pub struct State {
    phase: Phase,
}

enum Phase {
    Tender(tender::State),
    /// A gateway has the sale: what was presented, shown while waiting.
    Paying {
        what: String,
    },
    /// A payment in doubt, or the start-up check of open ones.
    Confirming(confirming::State),
    /// The customer pays on their own phone (MyPay PayPage QR).
    PayPage(Box<paypage::State>),
    Done(done::State),
}

#[derive(Debug, Clone)]
pub enum Message {
    Tender(tender::Message),
    Done(done::Message),
    Confirming(confirming::Message),
    PayPage(paypage::Message),
    /// The e-invoice choice typed at the tender or the result.
    BuyerInput(String),
    BuyerApply,
    /// Back to a printed proof (a BAN stays).
    BuyerPrint,
    /// Void the invoice just issued and issue it again as now chosen.
    Reissue,
    /// The cashier stops waiting for a wallet payment (取消 / Esc).
    CancelPayment,
    /// A scanner read this while the screen shows; `from_field` is what a
    /// focused field swallowed of it.
    Scanned {
        code: String,
        from_field: String,
    },
    /// The gateway job this screen sent came back (the terminal is home
    /// again); `cancelled`: the cashier pressed 取消 while it was out.
    Finished {
        finished: Box<Finished>,
        cancelled: bool,
    },
    /// Time for 確認中 or the PayPage to look again (after a pause inside
    /// the job it sends): the app says so once a job's end is handled and
    /// the journal counted, with the terminal home.
    LookAgain {
        cancelled: bool,
    },
    /// The printer answered for a print-out of this screen.
    Printed(Printed, Result<(), String>),
}

/// What this screen sent to the printer, for the answer to find it.
#[derive(Debug, Clone)]
pub enum Printed {
    /// The receipt (or the pay-later slip) of this sale.
    Receipt(String),
    /// The e-invoice proof of this sale.
    Proof(String),
    /// The slip of the PayPage with this trade number.
    PayPageSlip(String),
}

/// What the app must do.
#[derive(Debug)]
pub enum Event {
    /// Back to the sale screen; the customer stays (cart, sale, choice).
    Back,
    /// The customer is done: the next one starts afresh.
    NextCustomer,
    /// A sale was paid and completed; `numbers_left` in the e-invoice
    /// period when the issue found the roll low.
    Paid { numbers_left: Option<u64> },
    /// The sale's e-invoice was voided and issued again: what the status
    /// bar counts changed.
    Reissued,
}

/// What the screen shows besides its own state.
pub struct Look<'a> {
    pub customer: &'a Customer,
    /// The gateway job out, and whether it only pauses between looks.
    pub job: Option<&'a Out>,
    pub pausing: bool,
    pub gateways: &'a crate::config::Gateways,
    /// Demo mode: this sale's print-outs as the emulator drew them.
    pub preview: &'a [iced::widget::image::Handle],
    pub lang: Lang,
}

impl State {
    /// The tender for the customer's cart: the cash received must be typed
    /// or chosen when a wallet payment was already tried on their sale.
    pub fn tender(customer: &Customer) -> State {
        let state = tender::State::new(customer.cart.total());
        State::taking(match customer.open_sale {
            Some(_) => state.typed_only(),
            None => state,
        })
    }

    /// The tender for what is still due on a half-paid sale taken up.
    pub fn rest(due: Ntd) -> State {
        State::taking(tender::State::new(due).typed_only())
    }

    fn taking(tender: tender::State) -> State {
        State {
            phase: Phase::Tender(tender),
        }
    }

    /// After sign-in: payments a crash or a lost answer left open are
    /// settled first, on 確認中, before anything new is charged. `None`
    /// when there are none (or no gateway to ask: logged).
    pub fn recovery(ctx: &mut Ctx<'_>) -> Option<State> {
        let open = ctx.terminal_ref().ok()?.open_payments().unwrap_or(0);
        if open == 0 || ctx.jobs.is_out() {
            return None;
        }
        tracing::info!(open, "checking payments left open");
        if let Err(e) = ctx.send(None, |wallet, terminal| wallet.recover(terminal)) {
            tracing::warn!("cannot check open payments: {e}");
            return None;
        }
        Some(State {
            phase: Phase::Confirming(confirming::State::recovery()),
        })
    }

    /// The phase's name, for tests and logs.
    pub fn name(&self) -> &'static str {
        match self.phase {
            Phase::Tender(_) => "tender",
            Phase::Paying { .. } => "paying",
            Phase::Confirming(_) => "confirming",
            Phase::PayPage(_) => "paypage",
            Phase::Done(_) => "done",
        }
    }

    /// Whether a gateway has the sale (or may at any moment): shown even
    /// over the sign-in screen, as the terminal is away with it.
    pub fn with_gateway(&self) -> bool {
        matches!(
            self.phase,
            Phase::Paying { .. } | Phase::Confirming(_) | Phase::PayPage(_)
        )
    }

    /// The PayPage URL on screen, if one is showing.
    pub fn paypage_url(&self) -> Option<&str> {
        match &self.phase {
            Phase::PayPage(state) => Some(&state.order.url),
            _ => None,
        }
    }

    pub fn update(
        &mut self,
        message: Message,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> (Task<Message>, Option<Event>) {
        (Task::none(), self.act(message, ctx, customer))
    }

    fn act(
        &mut self,
        message: Message,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        let lang = ctx.lang;
        match message {
            Message::Tender(m) => {
                let Phase::Tender(state) = &mut self.phase else {
                    return None;
                };
                let event = state.update(m, lang)?;
                return self.tendered(event, ctx, customer);
            }
            Message::Done(m) => {
                if let Phase::Done(state) = &mut self.phase
                    && let Some(done::Event::Next) = state.update(m)
                {
                    return Some(Event::NextCustomer);
                }
            }
            Message::Confirming(m) => {
                let Phase::Confirming(state) = &mut self.phase else {
                    return None;
                };
                match state.update(m)? {
                    confirming::Event::CheckNow if ctx.jobs.is_out() => ctx.jobs.wake(),
                    confirming::Event::CheckNow => self.check_in_doubt(Duration::ZERO, ctx),
                    confirming::Event::Continue => return Some(Event::Back),
                }
            }
            Message::PayPage(m) => {
                let Phase::PayPage(state) = &mut self.phase else {
                    return None;
                };
                if let Some(paypage::Event::Cancel) = state.update(m) {
                    self.cancel_paypage(ctx);
                }
            }
            Message::BuyerInput(s) => customer.buyer.typed(&s),
            Message::BuyerApply => customer.buyer.apply_typed(lang),
            Message::BuyerPrint => customer
                .buyer
                .choose(crate::einvoice::buyer::BuyerChoice::Print),
            Message::Reissue => return self.reissue(ctx, customer),
            Message::CancelPayment => {
                if matches!(self.phase, Phase::Paying { .. }) && ctx.jobs.cancel() {
                    tracing::info!("the cashier cancelled the payment in flight");
                }
            }
            Message::Scanned { code, from_field } => {
                return self.scanned(code, &from_field, ctx, customer);
            }
            Message::Finished {
                finished,
                cancelled,
            } => return self.finished(*finished, cancelled, ctx, customer),
            Message::LookAgain { cancelled } => self.next_look(cancelled, ctx),
            Message::Printed(printed, result) => self.printed(printed, result),
        }
        None
    }

    /// What the tender asked for.
    fn tendered(
        &mut self,
        event: tender::Event,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        use crate::gateway::client::PayWith;
        use crate::terminal::payment::Tender;
        let lang = ctx.lang;
        match event {
            tender::Event::Back => return Some(Event::Back),
            tender::Event::PaidCash { received } => return self.pay_cash(received, ctx, customer),
            tender::Event::FindMember(no) => {
                let found = ctx.terminal_ref().ok()?.member(&no);
                match found {
                    Ok(m) => self.tell_tender(tender::Message::Member(m), lang),
                    Err(e) => self.notice(e.to_string(), lang),
                }
            }
            tender::Event::PayBoundCard {
                member_id,
                bind_card_id,
            } => {
                let with = PayWith::BoundCard {
                    bind_card_id,
                    member_id,
                };
                let what = t(lang, "tender.tab_member");
                self.send_to_gateway(Tender::With(with), what, ctx, customer);
            }
            tender::Event::PayLater { pay_type, phone } => {
                let with = PayWith::PayLater { pay_type, phone };
                let what = t(lang, "tender.tab_later");
                self.send_to_gateway(Tender::With(with), what, ctx, customer);
            }
            tender::Event::PayPage => self.start_paypage(ctx, customer),
        }
        None
    }

    /// A code scanned here: the customer's e-invoice choice (at the tender
    /// or the result), else at the tender a payment code for its gateway.
    fn scanned(
        &mut self,
        code: String,
        from_field: &str,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        if !matches!(self.phase, Phase::Tender(_) | Phase::Done(_)) {
            return None;
        }
        if let Some(choice) = crate::ui::component::invoice::buyer_choice_of(&code, true) {
            crate::ui::keys::take_back(&mut customer.buyer.input, from_field);
            customer.buyer.choose(choice);
        } else if matches!(self.phase, Phase::Tender(_)) {
            crate::ui::keys::take_back(&mut customer.buyer.input, from_field);
            self.pay_with_code(code, ctx, customer);
        }
        None
    }

    /// The printer answered for one of this screen's print-outs (news of
    /// another sale's changes nothing).
    fn printed(&mut self, printed: Printed, result: Result<(), String>) {
        match (&mut self.phase, printed) {
            (Phase::Done(state), Printed::Receipt(sale)) => {
                state.update(done::Message::Printed(sale, result));
            }
            (Phase::Done(state), Printed::Proof(sale)) => {
                let paper = match result {
                    Ok(()) => done::Paper::Printed,
                    Err(e) => done::Paper::Failed(e),
                };
                state.update(done::Message::Paper(sale, paper));
            }
            (Phase::PayPage(state), Printed::PayPageSlip(trade)) => {
                state.update(paypage::Message::SlipPrinted(trade, result));
            }
            _ => {}
        }
    }

    /// Why the tender could not go on, shown on it.
    fn notice(&mut self, why: String, lang: Lang) {
        self.tell_tender(tender::Message::Refused(why), lang);
    }

    fn tell_tender(&mut self, message: tender::Message, lang: Lang) {
        if let Phase::Tender(state) = &mut self.phase {
            state.update(message, lang);
        }
    }

    /// Send a completion's journaled print-outs (the result shows its
    /// proof is with the printer); those that could not even be journaled
    /// are answered at once.
    fn print_completion(&mut self, sale: &SaleNo, completion: Completion, ctx: &mut Ctx<'_>) {
        let proof = completion
            .jobs
            .iter()
            .any(|j| matches!(j.what, Printout::Proof { .. }));
        if proof && let Phase::Done(state) = &mut self.phase {
            state.update(done::Message::Paper(
                sale.to_string(),
                done::Paper::Printing,
            ));
        }
        for (reply, result) in ctx.print_completion(sale, completion) {
            match reply {
                Reply::To(PrintFor::Checkout(printed)) => self.printed(printed, result),
                Reply::To(PrintFor::Proof { sale_no, .. }) => {
                    self.printed(Printed::Proof(sale_no), result)
                }
                _ => {}
            }
        }
    }

    /// Print a slip of the customer's sale; its answer comes back as
    /// `printed` (at once when it could not even be journaled).
    fn print_slip(
        &mut self,
        kind: &'static str,
        document: crate::print::document::Document,
        printed: Printed,
        customer: &Customer,
        ctx: &mut Ctx<'_>,
    ) {
        let job = PrintJob {
            kind,
            document,
            sale: customer.open_sale.clone(),
            approval: None,
            answer: Some(PrintFor::Checkout(printed.clone())),
        };
        if let Err(e) = ctx.print(job) {
            self.printed(printed, Err(e));
        }
    }

    /// What a key means here.
    pub fn key(&self, key: Shortcut) -> Option<Message> {
        use tender::Message as T;
        Some(match (&self.phase, key) {
            (Phase::Tender(_), Shortcut::Escape) => Message::Tender(T::Back),
            (Phase::Tender(_), Shortcut::Enter | Shortcut::Pay) => Message::Tender(T::Confirm),
            (Phase::Tender(_), Shortcut::Digit(d)) => Message::Tender(T::Digit(d)),
            (Phase::Tender(_), Shortcut::Backspace) => Message::Tender(T::Backspace),
            // With change to give, only a tap goes on: a second Enter
            // meant for the tender never skips the change.
            (Phase::Done(d), Shortcut::Enter | Shortcut::Escape) if !d.change.is_positive() => {
                Message::Done(done::Message::Next)
            }
            (Phase::PayPage(_), Shortcut::Escape) => Message::PayPage(paypage::Message::Cancel),
            (Phase::Paying { .. }, Shortcut::Escape) => Message::CancelPayment,
            (Phase::Confirming(state), Shortcut::Enter) if state.recovery_done() => {
                Message::Confirming(confirming::Message::Continue)
            }
            _ => return None,
        })
    }

    /// What the customer-facing window shows for `total`.
    pub fn display(&self, total: Ntd) -> CustomerDisplay {
        match &self.phase {
            Phase::Tender(_) => CustomerDisplay::Due { total },
            Phase::Paying { .. } | Phase::Confirming(_) => CustomerDisplay::Processing { total },
            Phase::PayPage(state) => CustomerDisplay::PayPage {
                total: state.order.amount,
                url: state.order.url.clone(),
            },
            Phase::Done(d) => CustomerDisplay::Paid {
                total: d.total,
                change: d.change,
            },
        }
    }

    pub fn view<'a>(&'a self, look: Look<'a>) -> Element<'a, Message> {
        let lang = look.lang;
        match &self.phase {
            Phase::Tender(state) => column![
                buyer_row(look.customer, false, lang),
                state.view(lang).map(Message::Tender)
            ]
            .spacing(4)
            .into(),
            Phase::Done(state) => {
                let col = column![buyer_row(look.customer, true, lang)].spacing(4);
                let result = state.view(lang).map(Message::Done);
                if look.preview.is_empty() {
                    return col.push(result).into();
                }
                // Demo mode: the print-outs as the emulator drew them.
                let mut paper = row![].spacing(theme::GAP);
                for handle in look.preview {
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
            Phase::Paying { what } => {
                let job = look.job;
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
                let progress = job.and_then(|o| o.progress.as_ref());
                let lines = tender::waiting_lines(what, secs, progress, look.gateways, lang);
                tender::waiting_view(lines, cancel)
            }
            Phase::PayPage(state) => {
                // Between two looks the job only pauses: the cancel is
                // taken then (it closes the PayPage instead of asking).
                let busy = look.job.is_some_and(|o| o.cancelled);
                state.view(busy, lang).map(Message::PayPage)
            }
            Phase::Confirming(state) => {
                let asking = look.job.is_some() && !look.pausing;
                let progress = look.job.and_then(|o| o.progress.as_ref());
                state.view(progress, asking, lang).map(Message::Confirming)
            }
        }
    }
}

/// The customer's e-invoice choice row, on this screen's messages.
fn buyer_row(customer: &Customer, after_payment: bool, lang: Lang) -> Element<'_, Message> {
    use crate::ui::component::invoice::Message as M;
    customer.buyer.view(after_payment, lang).map(|m| match m {
        M::Input(s) => Message::BuyerInput(s),
        M::Apply => Message::BuyerApply,
        M::Print => Message::BuyerPrint,
        M::Reissue => Message::Reissue,
    })
}
