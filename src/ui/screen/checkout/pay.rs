//! The checkout's work: a sale journaled and handed to its gateway as a
//! job that takes the terminal along, what the job's end means (approved,
//! in doubt, a PayPage, a pay-later order), the looks again of 確認中 and
//! the PayPage, cash, and a paid sale completed by the terminal.

use std::time::Duration;

use super::{CONFIRM_EVERY, Customer, Event, PAYPAGE_EVERY, Phase, Printed, State};
use crate::locale::Text;
use crate::money::Ntd;
use crate::sale::{Cart, SaleNo};
use crate::terminal::Terminal;
use crate::terminal::completion::{Completion, Invoice};
use crate::terminal::payment::{CancelPay, PayResult, Tender, pay_cancel};
use crate::terminal::views::AttemptState;
use crate::ui::component::invoice::buyer_text;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::screen::{Ctx, confirming, done, paypage, tender};
use crate::ui::wallet::{Finished, JobUpdate, WalletPay};

impl State {
    /// A payment code scanned at the tender: its gateway gets it.
    pub(super) fn pay_with_code(
        &mut self,
        code: String,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) {
        let lang = ctx.lang;
        let what = match crate::barcode::classify(&code, crate::barcode::ScanContext::Tendering) {
            Ok(s) if s.is_payment() => match lang {
                Lang::ZhTw => s.kind_zh().to_string(),
                Lang::En => s.kind_en().to_string(),
            },
            Ok(s) => {
                let why = tf(lang, "sale.not_a_product", &[("kind", s.kind_zh())]);
                return self.notice(why, lang);
            }
            Err(e) => return self.notice(e.to_string(), lang),
        };
        self.send_to_gateway(Tender::Scan(code), what, ctx, customer);
    }

    /// Send the tender to its gateway; the wait names `what` was presented.
    pub(super) fn send_to_gateway(
        &mut self,
        tender: Tender,
        what: String,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) {
        let (cancel, signal) = pay_cancel();
        let job = |wallet: &WalletPay, terminal, sale, total, cart: &Cart| {
            wallet.pay(terminal, sale, tender, total, cart, signal)
        };
        self.hand_to_gateway(what, Some(cancel), ctx, customer, job);
    }

    /// The customer pays on their own phone: a PayPage order at MyPay.
    pub(super) fn start_paypage(&mut self, ctx: &mut Ctx<'_>, customer: &mut Customer) {
        let what = t(ctx.lang, "tender.tab_paypage");
        let job = |wallet: &WalletPay, terminal, sale, total, cart: &Cart| {
            wallet.start_paypage(terminal, sale, total, cart)
        };
        self.hand_to_gateway(what, None, ctx, customer, job);
    }

    /// Journal the sale if it is not yet, then hand the terminal to the
    /// gateway job `start` builds and show the wait.
    fn hand_to_gateway(
        &mut self,
        what: String,
        cancel: Option<CancelPay>,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
        start: impl FnOnce(&WalletPay, Terminal, SaleNo, Ntd, &Cart) -> iced::Task<JobUpdate>,
    ) {
        let lang = ctx.lang;
        if let Err(e) = ctx.jobs.start(ctx.config) {
            return self.notice(e, lang);
        }
        let mypay_issues = ctx.config.einvoice.issuer == crate::config::InvoiceIssuer::Mypay;
        let Ok(terminal) = ctx.terminal() else {
            return self.notice(t(lang, "paying.busy"), lang);
        };
        let opened = match &customer.open_sale {
            Some(s) => terminal
                .due_for_cart(s, &customer.cart)
                .map(|due| (s.clone(), due))
                .map_err(|e| e.to_string()),
            None => terminal
                .open_sale(&customer.cart)
                .map(|s| (s, customer.cart.total()))
                .map_err(|e| e.to_string()),
        };
        let (sale, total) = match opened {
            Ok(opened) => opened,
            Err(e) => return self.notice(e, lang),
        };
        customer.open_sale = Some(sale.clone());
        // MyPay issues the invoice with the payment: as the buyer chose.
        if mypay_issues
            && let Err(e) = terminal.remember_buyer_choice(&sale, &customer.buyer.choice)
        {
            return self.notice(e.to_string(), lang);
        }
        let cart = &customer.cart;
        match ctx.send(cancel, |wallet, terminal| {
            start(wallet, terminal, sale, total, cart)
        }) {
            Ok(()) => self.phase = Phase::Paying { what },
            Err(e) => self.notice(e, lang),
        }
    }

    /// The gateway job this screen sent came back, the terminal home.
    pub(super) fn finished(
        &mut self,
        finished: Finished,
        cancelled: bool,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        let lang = ctx.lang;
        let total = customer.cart.total();
        match finished {
            Finished::Pay(result) => self.payment_finished(result, cancelled, ctx, customer),
            Finished::Check(Ok(r)) if r.state.is_final() => {
                let at_counter = customer
                    .open_sale
                    .as_ref()
                    .is_some_and(|s| s.to_string() == r.sale_no);
                if at_counter {
                    self.payment_finished(Ok(r), false, ctx, customer)
                } else {
                    Some(Event::Back)
                }
            }
            Finished::Check(result) => {
                let why = result.map_or_else(|e| e, |r| r.message);
                self.tell_confirming(confirming::Message::StillOpen(why));
                None
            }
            Finished::PayPageOpened(Ok(order)) => self.paypage_opened(order, ctx, customer),
            Finished::PayPageOpened(Err(e)) => {
                self.phase = Phase::Tender(tender::State::after_failure(total, e));
                None
            }
            Finished::PayPagePolled(Ok(r)) if r.state == AttemptState::Approved => {
                match r.sale_no.parse::<SaleNo>() {
                    Ok(sale) => self.complete(sale, total, Ntd::ZERO, None, ctx, customer),
                    Err(_) => None,
                }
            }
            Finished::PayPagePolled(Ok(r)) if r.state.is_final() => {
                let why = if r.state == AttemptState::Cancelled {
                    t(lang, "paypage.cancelled")
                } else {
                    r.message
                };
                self.phase = Phase::Tender(tender::State::after_failure(total, why));
                None
            }
            Finished::PayPagePolled(result) => {
                let why = result.map_or_else(|e| e, |r| r.message);
                if let Phase::PayPage(state) = &mut self.phase {
                    state.update(paypage::Message::StillOpen(why));
                }
                None
            }
            Finished::Recover(result) => {
                use confirming::Message as M;
                let results = result.unwrap_or_else(|e| {
                    self.tell_confirming(M::StillOpen(e));
                    Vec::new()
                });
                self.tell_confirming(M::Recovered(results));
                None
            }
            // Not this screen's jobs: the app gives those to their owners.
            Finished::Refund(_) | Finished::MypayInvoices(_) => None,
        }
    }

    fn tell_confirming(&mut self, message: confirming::Message) {
        if let Phase::Confirming(state) = &mut self.phase {
            state.update(message);
        }
    }

    /// A payment's answer: paid, a pay-later order, in doubt, or refused.
    fn payment_finished(
        &mut self,
        result: Result<PayResult, String>,
        cancelled: bool,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        let total = customer.cart.total();
        match result {
            Ok(r) if r.state == AttemptState::Approved => {
                // Cancelled too late: the customer had paid, and it stands.
                let note = cancelled.then(|| Text::new("tasks.paid_before_cancel"));
                match r.sale_no.parse::<SaleNo>() {
                    Ok(sale) => return self.complete(sale, total, Ntd::ZERO, note, ctx, customer),
                    Err(e) => tracing::error!("approved payment on an unreadable sale number: {e}"),
                }
            }
            Ok(r) if !r.state.is_final() && r.gateway == crate::sale::GatewayId::Goodbuy => {
                // A pay-later order: the customer pays at an ATM or a store.
                return self.pay_later_issued(&r, ctx, customer);
            }
            Ok(r) if !r.state.is_final() => {
                // In doubt: never a failure, and never a second charge.
                self.phase = Phase::Confirming(confirming::State::payment(&r));
            }
            Ok(r) => self.phase = Phase::Tender(tender::State::after_failure(total, r.message)),
            Err(e) => self.phase = Phase::Tender(tender::State::after_failure(total, e)),
        }
        None
    }

    /// 確認中 and the PayPage look again after a pause, each look a job of
    /// its own (the pause inside it).
    pub(super) fn next_look(&mut self, cancelled: bool, ctx: &mut Ctx<'_>) {
        if ctx.jobs.is_out() || ctx.terminal_ref().is_err() {
            return;
        }
        match &self.phase {
            Phase::Confirming(state) if state.trade_no().is_some() => {
                self.check_in_doubt(CONFIRM_EVERY, ctx)
            }
            Phase::PayPage(_) => self.poll_paypage(PAYPAGE_EVERY, cancelled, ctx),
            _ => {}
        }
    }

    /// Ask again about the payment on 確認中 after `pause`, unless a
    /// question is already out.
    pub(super) fn check_in_doubt(&mut self, pause: Duration, ctx: &mut Ctx<'_>) {
        let Phase::Confirming(state) = &self.phase else {
            return;
        };
        let Some(Ok(trade)) = state.trade_no().map(str::parse) else {
            return;
        };
        if ctx.jobs.is_out() || ctx.jobs.started().is_none() {
            return;
        }
        let pause = ctx.jobs.pause(pause);
        if let Err(e) = ctx.send(None, |wallet, terminal| {
            wallet.check(terminal, trade, pause)
        }) {
            tracing::warn!("payment in doubt not asked about: {e}");
        }
    }

    /// Ask MyPay whether the PayPage was paid after `pause` (closing it
    /// instead when `cancelled`).
    fn poll_paypage(&mut self, pause: Duration, cancelled: bool, ctx: &mut Ctx<'_>) {
        let Phase::PayPage(state) = &self.phase else {
            return;
        };
        let Ok(trade) = state.order.trade_no.parse() else {
            return;
        };
        if ctx.jobs.is_out() || ctx.jobs.started().is_none() {
            return;
        }
        let (cancel, signal) = pay_cancel();
        let pause = ctx.jobs.pause(pause);
        let sent = ctx.send(Some(cancel), |wallet, terminal| {
            wallet.poll_paypage(terminal, trade, pause, signal)
        });
        match sent {
            Ok(()) if cancelled => {
                ctx.jobs.cancel();
            }
            Ok(()) => {}
            Err(e) => tracing::warn!("PayPage not asked about: {e}"),
        }
    }

    /// The customer walked away or pays another way: the PayPage job
    /// closes it instead of asking again.
    pub(super) fn cancel_paypage(&mut self, ctx: &mut Ctx<'_>) {
        if ctx.jobs.is_out() {
            ctx.jobs.cancel();
        } else {
            self.poll_paypage(Duration::ZERO, true, ctx);
        }
    }

    /// The PayPage exists: show its QR code and print it on a slip.
    fn paypage_opened(
        &mut self,
        order: crate::terminal::PayPageOrder,
        ctx: &mut Ctx<'_>,
        customer: &Customer,
    ) -> Option<Event> {
        let demo = ctx.terminal_ref().is_ok_and(Terminal::is_demo);
        let slip = crate::terminal::paypage_slip(&ctx.config.store, &order, demo);
        let printed = Printed::PayPageSlip(order.trade_no.clone());
        self.phase = Phase::PayPage(Box::new(paypage::State::new(order)));
        let document = crate::print::paypage_slip_document(&slip);
        self.print_slip("paypage_slip", document, printed, customer, ctx);
        None
    }

    /// A pay-later order was created: the slip that tells the customer how
    /// to pay, and the next customer may come. The sale is booked as paid
    /// (and its e-invoice issued) when the aggregator's notification or
    /// `till recover` says it was.
    fn pay_later_issued(
        &mut self,
        r: &PayResult,
        ctx: &mut Ctx<'_>,
        customer: &Customer,
    ) -> Option<Event> {
        let lang = ctx.lang;
        let buyer = &customer.buyer.choice;
        // The customer leaves before paying: keep their e-invoice choice
        // for when the payment arrives.
        let mut invoice_note = Text::new("result.invoice_when_paid");
        if *buyer != crate::einvoice::buyer::BuyerChoice::Print
            && let (Ok(sale), Ok(terminal)) = (r.sale_no.parse::<SaleNo>(), ctx.terminal())
        {
            match terminal.remember_buyer_choice(&sale, buyer) {
                Ok(()) => {
                    let kept = |lang| {
                        let when_paid = t(lang, "result.invoice_when_paid");
                        format!("{when_paid} → {}", buyer_text(buyer, lang))
                    };
                    invoice_note = Text::given(kept(Lang::ZhTw), kept(Lang::En));
                }
                Err(e) => {
                    tracing::warn!(sale = %sale, "buyer choice not kept, the invoice will be paper: {e}");
                    invoice_note = Text::new("result.invoice_when_paid_paper");
                }
            }
        }
        let how = r
            .trade_no
            .parse::<crate::sale::TradeNo>()
            .ok()
            .and_then(|trade| {
                let terminal = ctx.terminal_ref().ok()?;
                terminal.pay_later_instructions(&trade).ok().flatten()
            });
        let note = match how
            .as_ref()
            .map(|h| (&h.bank_code, &h.account, &h.store_code))
        {
            Some((Some(bank), Some(account), _)) => Text::new("result.pay_later_atm")
                .arg("bank", bank)
                .arg("account", account),
            Some((_, _, Some(code))) => Text::new("result.pay_later_store").arg("code", code),
            _ => Text::new("result.pay_later"),
        };
        let mut result = done::State {
            note: Some(note),
            total: customer.cart.total(),
            change: Ntd::ZERO,
            sale_no: r.sale_no.clone(),
            printed: None,
            invoice: Some(Err(invoice_note)),
            paper: done::Paper::None,
        };
        let Some(how) = how else {
            let why = Err(t(lang, "result.no_instructions"));
            result.update(done::Message::Printed(r.sale_no.clone(), why));
            self.phase = Phase::Done(result);
            return None;
        };
        self.phase = Phase::Done(result);
        let demo = ctx.terminal_ref().is_ok_and(Terminal::is_demo);
        let slip = crate::terminal::pay_later_slip(&ctx.config.store, &how, demo);
        let printed = Printed::Receipt(r.sale_no.clone());
        let document = crate::print::pay_later_slip_document(&slip);
        self.print_slip("pay_later_slip", document, printed, customer, ctx);
        None
    }

    /// Cash for the cart; for a sale a wallet payment was already tried
    /// on, for what the journal says is due after following the cart
    /// (never the total of an earlier cart).
    pub(super) fn pay_cash(
        &mut self,
        received: Ntd,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        let lang = ctx.lang;
        let Ok(terminal) = ctx.terminal() else {
            self.notice(t(lang, "paying.busy"), lang);
            return None;
        };
        let outcome = match &customer.open_sale {
            Some(sale) => terminal
                .due_for_cart(sale, &customer.cart)
                .and_then(|due| terminal.pay_cash(sale, due, received)),
            None => terminal.cash_sale(&customer.cart, received),
        };
        match outcome {
            Ok(sale) => self.complete(sale.sale_no, sale.total, sale.change, None, ctx, customer),
            Err(e) => {
                tracing::error!("cash sale not journaled: {e}");
                self.notice(e.to_string(), lang);
                None
            }
        }
    }

    /// A paid sale: the result at once; the terminal completes it
    /// (receipt, e-invoice, proof, journaled print jobs) and the app sends
    /// the jobs to the printer (the result fills in as they print).
    fn complete(
        &mut self,
        sale: SaleNo,
        total: Ntd,
        change: Ntd,
        note: Option<Text>,
        ctx: &mut Ctx<'_>,
        customer: &mut Customer,
    ) -> Option<Event> {
        self.phase = Phase::Done(done::State {
            note,
            total,
            change,
            sale_no: sale.to_string(),
            printed: None,
            invoice: None,
            paper: done::Paper::None,
        });
        let (config, printer) = (ctx.config, ctx.printer());
        let terminal = ctx.terminal().ok()?;
        let printer = printer.as_ref().map_err(String::as_str);
        let mut completion = terminal.complete_sale(config, printer, &sale, &customer.buyer.choice);
        let invoice = std::mem::replace(&mut completion.invoice, Err(String::new()));
        if let Ok(Invoice::Issued { buyer, .. }) = &invoice {
            customer.buyer.issued = Some(buyer.clone());
        }
        let numbers_left = completion.low_water;
        self.print_completion(&sale, completion, ctx);
        // A reason from the terminal, in its two languages.
        let invoice = invoice.map_err(|why| {
            let said = |lang| crate::ui::i18n::one_language(&why, lang);
            Text::given(said(Lang::ZhTw), said(Lang::En))
        });
        if let Phase::Done(state) = &mut self.phase {
            state.update(done::Message::Invoice(sale.to_string(), invoice));
        }
        Some(Event::Paid { numbers_left })
    }

    /// After payment the customer wants another e-invoice choice (a BAN
    /// after all, a carrier instead of paper): void the invoice just issued
    /// and issue a new one.
    pub(super) fn reissue(&mut self, ctx: &mut Ctx<'_>, customer: &mut Customer) -> Option<Event> {
        let Phase::Done(state) = &self.phase else {
            return None;
        };
        let sale = state.sale_no.parse::<SaleNo>().ok()?;
        let (config, printer, lang) = (ctx.config, ctx.printer(), ctx.lang);
        let buyer = &mut customer.buyer;
        if buyer.issued.as_ref() == Some(&buyer.choice) {
            buyer.error = Some(t(lang, "buyer.unchanged"));
            return None;
        }
        let terminal = match ctx.terminal() {
            Ok(t) => t,
            Err(e) => {
                buyer.error = Some(e.to_string());
                return None;
            }
        };
        let r = match terminal.reissue_invoice(config, &sale, &buyer.choice) {
            Ok(r) => r,
            Err(e) => {
                buyer.error = Some(e.to_string());
                return None;
            }
        };
        buyer.issued = Some(r.issued.buyer.clone());
        buyer.error = None;
        let mut completion = Completion::empty();
        let invoice = crate::ui::component::print_jobs::queue_issued(
            printer.as_ref().ok(),
            Some(terminal),
            &r.issued,
            &mut completion,
        );
        self.print_completion(&sale, completion, ctx);
        let key = if r.recover_proof {
            "result.reissued_take_back"
        } else {
            "result.reissued"
        };
        let (old, new) = (r.voided.dashed(), r.issued.invoice.number().dashed());
        let note = Text::new(key).arg("old", old).arg("new", new);
        if let Phase::Done(state) = &mut self.phase {
            state.update(done::Message::Reissued { invoice, note });
        }
        Some(Event::Reissued)
    }
}
