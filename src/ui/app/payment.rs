//! The payment region of the app: the e-invoice choice at the tender, a
//! sale handed to a gateway job and what came back (approved, in doubt, a
//! PayPage, pay-later), cash, and the next customer. Gateway jobs are iced
//! Tasks that take the terminal with them and hand it back once
//! ([`crate::ui::wallet`]); the 確認中 and PayPage screens look again from a
//! job that pauses inside itself. Kept apart from the frame (app.rs) until
//! the payment screens own this work on the screens' contract.

use super::*;

impl App {
    /// A carrier, donation code or buyer BAN for this sale's e-invoice, by
    /// the mutual-exclusion rules.
    pub(super) fn choose_buyer(&mut self, choice: crate::einvoice::buyer::BuyerChoice) {
        match crate::einvoice::buyer::BuyerChoice::combine(&self.buyer, choice) {
            Ok(c) => {
                self.buyer = c;
                self.buyer_error = None;
            }
            Err(e) => self.buyer_error = Some(e.to_string()),
        }
    }

    /// What the cashier typed for the e-invoice: checked exactly as a scan
    /// in the e-invoice context, with the same precise refusal messages.
    pub(super) fn apply_typed_buyer(&mut self) {
        use crate::barcode::{ScanContext, Scanned, classify};
        use crate::einvoice::buyer::BuyerChoice;
        let typed = self.buyer_input.trim().to_uppercase();
        if typed.is_empty() {
            self.buyer_error = Some(t(self.lang, "buyer.type_first"));
            return;
        }
        let choice = match classify(&typed, ScanContext::BuyerChoice) {
            Ok(Scanned::MobileCarrier(c)) => BuyerChoice::Mobile(c),
            Ok(Scanned::CitizenCertificate(c)) => BuyerChoice::Citizen(c),
            Ok(Scanned::LoveCode(c)) => BuyerChoice::Donate(c),
            Ok(Scanned::Ban(b)) => BuyerChoice::Company(b),
            Ok(other) => {
                self.buyer_error = Some(crate::ui::i18n::tf(
                    self.lang,
                    "buyer.not_a_choice",
                    &[(
                        "kind",
                        match self.lang {
                            Lang::ZhTw => other.kind_zh(),
                            Lang::En => other.kind_en(),
                        },
                    )],
                ));
                return;
            }
            Err(e) => {
                self.buyer_error = Some(e.to_string());
                return;
            }
        };
        self.choose_buyer(choice);
        if self.buyer_error.is_none() {
            self.buyer_input.clear();
        }
    }

    /// The e-invoice choice made for the current sale.
    pub fn buyer(&self) -> &crate::einvoice::buyer::BuyerChoice {
        &self.buyer
    }

    /// A payment code scanned at the tender screen: journal the sale if it
    /// is not yet, and send the code to its gateway.
    pub(super) fn pay_with_code(&mut self, code: String) {
        let lang = self.lang;
        let what = match crate::barcode::classify(&code, crate::barcode::ScanContext::Tendering) {
            Ok(s) if s.is_payment() => match lang {
                Lang::ZhTw => s.kind_zh().to_string(),
                Lang::En => s.kind_en().to_string(),
            },
            Ok(s) => {
                let msg = crate::ui::i18n::tf(lang, "sale.not_a_product", &[("kind", s.kind_zh())]);
                return self.tender_notice(msg);
            }
            Err(e) => return self.tender_notice(e.to_string()),
        };
        self.send_to_gateway(crate::terminal::payment::Tender::Scan(code), what);
    }

    /// Journal the sale if it is not yet and send the tender to its
    /// gateway; the progress screen names `what` was presented.
    pub(super) fn send_to_gateway(
        &mut self,
        tender: crate::terminal::payment::Tender,
        what: String,
    ) {
        let (cancel, signal) = crate::terminal::payment::pay_cancel();
        self.hand_to_gateway(what, Some(cancel), |wallet, terminal, sale, total, cart| {
            wallet.pay(terminal, sale, tender, total, cart, signal)
        });
    }

    /// Journal the sale if it is not yet, then hand the terminal to a
    /// gateway job (`start`) and show the wait, naming `what` was presented.
    pub(super) fn hand_to_gateway(
        &mut self,
        what: String,
        cancel: Option<crate::terminal::payment::CancelPay>,
        start: impl FnOnce(
            &WalletPay,
            Terminal,
            crate::sale::SaleNo,
            crate::money::Ntd,
            &Cart,
        ) -> iced::Task<JobUpdate>,
    ) {
        if let Err(e) = self.start_wallet() {
            return self.tender_notice(e);
        }
        let Some(mut terminal) = self.take_terminal() else {
            let busy = t(self.lang, "paying.busy");
            return self.tender_notice(busy);
        };
        let opened = match &self.open_sale {
            Some(s) => terminal
                .due_for_cart(s, &self.cart)
                .map(|due| (s.clone(), due))
                .map_err(|e| e.to_string()),
            None => terminal
                .open_sale(&self.cart)
                .map(|s| (s, self.cart.total()))
                .map_err(|e| e.to_string()),
        };
        let (sale, total) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                self.terminal = Ok(terminal);
                return self.tender_notice(e);
            }
        };
        self.open_sale = Some(sale.clone());
        if self.config.einvoice.issuer == crate::config::InvoiceIssuer::Mypay
            && let Err(e) = terminal.remember_buyer_choice(&sale, &self.buyer)
        {
            // MyPay issues the invoice with the payment: as the buyer chose.
            self.terminal = Ok(terminal);
            return self.tender_notice(e.to_string());
        }
        if let Some(Ok(wallet)) = self.wallet.as_ref() {
            let task = start(wallet, terminal, sale, total, &self.cart);
            self.job_out(task, cancel);
        }
        self.screen = Screen::Paying { what };
    }

    /// A member's bound cards, for the member-card tab.
    pub(super) fn find_member(&mut self, no: &str) {
        let found = match &self.terminal {
            Ok(t) => t.member(no),
            Err(_) => return,
        };
        match found {
            Ok(m) => {
                self.route(Message::Tender(tender::Message::Member(m)));
            }
            Err(e) => self.tender_notice(e.to_string()),
        }
    }

    /// The customer pays on their own phone: journal the sale if it is not
    /// yet and open a PayPage order at MyPay.
    pub(super) fn start_paypage(&mut self) {
        let what = t(self.lang, "tender.tab_paypage");
        self.hand_to_gateway(what, None, |wallet, terminal, sale, total, cart| {
            wallet.start_paypage(terminal, sale, total, cart)
        });
    }

    /// A pay-later order was created: print the slip that tells the
    /// customer how to pay, and let the next customer come. The sale is
    /// booked as paid (and its e-invoice issued) when the aggregator's
    /// notification or `till recover` says it was.
    pub(super) fn pay_later_issued(&mut self, r: &crate::terminal::PayResult) {
        let lang = self.lang;
        // The customer leaves before paying: keep their e-invoice choice
        // for when the payment arrives.
        let mut invoice_note = t(lang, "result.invoice_when_paid");
        if self.buyer != crate::einvoice::buyer::BuyerChoice::Print
            && let (Ok(sale), Ok(terminal)) = (
                r.sale_no.parse::<crate::sale::SaleNo>(),
                self.terminal.as_mut(),
            )
        {
            match terminal.remember_buyer_choice(&sale, &self.buyer) {
                Ok(()) => {
                    let chosen = buyer_text(&self.buyer, lang);
                    invoice_note = format!("{invoice_note} → {chosen}");
                }
                Err(e) => {
                    tracing::warn!(sale = %sale, "buyer choice not kept, the invoice will be paper: {e}");
                    invoice_note = t(lang, "result.invoice_when_paid_paper");
                }
            }
        }
        let how = r
            .trade_no
            .parse::<crate::sale::TradeNo>()
            .ok()
            .and_then(|trade| {
                self.terminal
                    .as_ref()
                    .ok()?
                    .pay_later_instructions(&trade)
                    .ok()
                    .flatten()
            });
        let note = match &how {
            Some(h) => match (&h.bank_code, &h.account, &h.store_code) {
                (Some(bank), Some(account), _) => crate::ui::i18n::tf(
                    lang,
                    "result.pay_later_atm",
                    &[("bank", bank), ("account", account)],
                ),
                (_, _, Some(code)) => {
                    crate::ui::i18n::tf(lang, "result.pay_later_store", &[("code", code)])
                }
                _ => t(lang, "result.pay_later"),
            },
            None => t(lang, "result.pay_later"),
        };
        self.screen = Screen::Done(done::State {
            note: Some(note),
            total: self.cart.total(),
            change: crate::money::Ntd::ZERO,
            sale_no: r.sale_no.clone(),
            printed: None,
            invoice: Err(invoice_note),
            paper: done::Paper::None,
        });
        let told = Reply::To(PrintFor::Done(r.sale_no.clone()));
        match how {
            Some(h) => {
                let slip = crate::print::pay_later_slip_document(&crate::terminal::pay_later_slip(
                    &self.config.store,
                    &h,
                    self.demo,
                ));
                let sale = self.open_sale.clone();
                self.print_document("pay_later_slip", &slip, sale.as_ref(), None, told);
            }
            None => self.printed(vec![(told, Err(t(lang, "result.no_instructions")))]),
        }
        self.refresh_status();
    }

    /// The PayPage exists: show its QR code and print it on a slip.
    pub(super) fn paypage_opened(&mut self, order: crate::terminal::PayPageOrder) {
        let slip = crate::print::paypage_slip_document(&crate::terminal::paypage_slip(
            &self.config.store,
            &order,
            self.demo,
        ));
        let trade = order.trade_no.clone();
        self.screen = Screen::PayPage(Box::new(paypage::State::new(order)));
        let sale = self.open_sale.clone();
        let reply = Reply::To(PrintFor::PayPage(trade));
        self.print_document("paypage_slip", &slip, sale.as_ref(), None, reply);
    }

    /// The PayPage being shown, if the wallet is free to ask about it.
    pub(super) fn paypage_trade(&mut self) -> Option<crate::sale::TradeNo> {
        let Screen::PayPage(state) = &self.screen else {
            return None;
        };
        let trade = state.order.trade_no.parse().ok()?;
        if self.job.is_some() || self.wallet_mut().is_none() {
            return None;
        }
        Some(trade)
    }

    /// Ask MyPay whether the PayPage was paid, after `pause` (closing it
    /// instead when `cancelled`).
    pub(super) fn poll_paypage(&mut self, pause: Duration, cancelled: bool) {
        let Some(trade) = self.paypage_trade() else {
            return;
        };
        let Some(terminal) = self.take_terminal() else {
            return;
        };
        let (cancel, signal) = crate::terminal::payment::pay_cancel();
        let pause = self.pacer.pause(pause);
        let task = match self.wallet.as_ref() {
            Some(Ok(wallet)) => wallet.poll_paypage(terminal, trade, pause, signal),
            _ => return,
        };
        self.job_out(task, Some(cancel));
        if cancelled && let Some(out) = self.job.as_mut() {
            out.cancel();
        }
    }

    /// The customer walked away or pays another way: the PayPage job
    /// closes it instead of asking again.
    pub(super) fn cancel_paypage(&mut self) {
        if !matches!(self.screen, Screen::PayPage(_)) {
            return;
        }
        match self.job.as_mut() {
            Some(out) => {
                out.cancel();
            }
            None => self.poll_paypage(Duration::ZERO, true),
        }
    }

    /// The PayPage URL on screen, if one is showing (tests, customer window).
    pub fn paypage_url(&self) -> Option<&str> {
        match &self.screen {
            Screen::PayPage(state) => Some(&state.order.url),
            _ => None,
        }
    }

    pub(super) fn tender_notice(&mut self, message: String) {
        self.route(Message::Tender(tender::Message::Refused(message)));
    }

    pub(super) fn payment_finished(
        &mut self,
        terminal: Terminal,
        result: Result<crate::terminal::PayResult, crate::terminal::PayError>,
        cancelled: bool,
    ) {
        self.terminal = Ok(terminal);
        let total = self.cart.total();
        match result {
            Ok(r) if r.state == crate::terminal::views::AttemptState::Approved => {
                // Cancelled too late: the customer had paid, and it stands.
                let note = cancelled.then(|| t(self.lang, "tasks.paid_before_cancel"));
                match r.sale_no.parse::<crate::sale::SaleNo>() {
                    Ok(sale) => self.complete_sale(sale, total, crate::money::Ntd::ZERO, note),
                    Err(e) => tracing::error!("approved payment on an unreadable sale number: {e}"),
                }
            }
            Ok(r) if !r.state.is_final() && r.gateway == crate::sale::GatewayId::Goodbuy => {
                // A pay-later order: the customer pays at an ATM or a store.
                self.pay_later_issued(&r);
            }
            Ok(r) if !r.state.is_final() => {
                // In doubt: never a failure, and never a second charge.
                self.screen = Screen::Confirming(confirming::State::payment(&r));
            }
            Ok(r) => {
                self.screen = Screen::Tender(tender::State::after_failure(total, r.message.clone()))
            }
            Err(e) => {
                self.screen = Screen::Tender(tender::State::after_failure(total, e.to_string()))
            }
        }
    }

    /// The cashier's 取消 / Esc while a wallet payment waits: the payment
    /// stops waiting and settles by its gateway's rule (the job comes back
    /// with what it became). A payment already answered is not touched.
    pub(super) fn cancel_payment(&mut self) {
        if !matches!(self.screen, Screen::Paying { .. }) {
            return;
        }
        if let Some(out) = self.job.as_mut()
            && out.cancel()
        {
            tracing::info!("the cashier cancelled the payment in flight");
        }
    }

    /// 立即查詢: the job pausing before its next look looks now (or one
    /// starts at once when none is out).
    pub fn ask_now(&mut self) {
        if self.job.is_some() {
            self.pacer.wake();
        } else {
            self.check_payment_in_doubt(Duration::ZERO);
        }
    }

    /// Whether every job out is only pausing before its next look (the
    /// 確認中 and PayPage screens between two asks) and the printer has
    /// nothing: the app waits for time, not for work.
    pub fn only_pausing(&self) -> bool {
        self.job.is_some() && self.pacer.parked() > 0 && !self.printing.printing()
    }

    /// Whether print jobs are with the printer now (answers not back).
    pub fn printing(&self) -> bool {
        self.printing.printing()
    }

    /// Hand a gateway job (its terminal already with it) to the runtime.
    pub(super) fn job_out(
        &mut self,
        task: iced::Task<JobUpdate>,
        cancel: Option<crate::terminal::payment::CancelPay>,
    ) {
        self.job = Some(Out::new(cancel));
        self.tasks.push(task.map(Message::Job));
    }

    /// A job's progress, or its end with the terminal back.
    pub(super) fn job_update(&mut self, update: JobUpdate) {
        match update {
            JobUpdate::Progress(event) => {
                if let Some(out) = self.job.as_mut() {
                    out.progress = Some(event);
                }
            }
            JobUpdate::Done(handback) => {
                let Some(done) = handback.take() else {
                    return;
                };
                let cancelled = self.job.take().is_some_and(|o| o.cancelled);
                match done {
                    Ok((terminal, finished)) => {
                        self.terminal = Ok(terminal);
                        // The printer's answers that came while it was away.
                        let kept = self
                            .printing
                            .journal_kept(self.terminal.as_mut().ok(), self.lang);
                        self.printed(kept);
                        let Some(terminal) = self.take_terminal() else {
                            return;
                        };
                        self.job_finished(terminal, finished, cancelled)
                    }
                    Err(e) => self.terminal = Err(e),
                }
                self.next_look(cancelled);
            }
        }
    }

    /// The 確認中 and PayPage screens look again after a pause, each look
    /// a job of its own (the pause inside it).
    pub(super) fn next_look(&mut self, cancelled: bool) {
        if self.job.is_some() || self.terminal.is_err() {
            return;
        }
        match &self.screen {
            Screen::Confirming(state) if state.trade_no().is_some() => {
                self.check_payment_in_doubt(CONFIRM_EVERY)
            }
            Screen::PayPage(_) => self.poll_paypage(PAYPAGE_EVERY, cancelled),
            _ => {}
        }
    }

    pub(super) fn wallet_mut(&mut self) -> Option<&mut WalletPay> {
        self.wallet.as_mut().and_then(|w| w.as_mut().ok())
    }

    /// The gateways (simulators in demo mode), started on first use.
    pub(super) fn start_wallet(&mut self) -> Result<(), String> {
        if self.wallet.is_none() {
            self.wallet = Some(WalletPay::start(
                &self.config,
                self.demo,
                self.simulator_books.clone(),
                self.resolve_policy,
            ));
        }
        match &self.wallet {
            Some(Err(e)) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// On the status clock, between sales: ask MyPay for the e-invoices it
    /// issued after their payment (MyPay as the issuer).
    pub(super) fn fetch_mypay_invoices(&mut self) {
        let idle = matches!(self.screen, Screen::Sale(_)) && self.open_sale.is_none();
        if self.status.mypay_invoices_due() == 0 || !idle || self.start_wallet().is_err() {
            return;
        }
        if self.job.is_some() || self.wallet_mut().is_none() {
            return;
        }
        if let Some(terminal) = self.take_terminal()
            && let Some(Ok(wallet)) = self.wallet.as_ref()
        {
            let task = wallet.fetch_mypay_invoices(terminal);
            self.job_out(task, None);
        }
    }

    /// The terminal leaves with a gateway job; the screens show the wait.
    pub(super) fn take_terminal(&mut self) -> Option<Terminal> {
        let busy = Err(t(self.lang, "paying.busy"));
        std::mem::replace(&mut self.terminal, busy).ok()
    }

    /// A gateway job came back with the terminal (`cancelled`: the cashier
    /// pressed 取消 while it was out).
    pub(super) fn job_finished(&mut self, terminal: Terminal, finished: Finished, cancelled: bool) {
        match finished {
            Finished::Pay(result) => self.payment_finished(terminal, result, cancelled),
            Finished::Check(result) => {
                self.terminal = Ok(terminal);
                match result {
                    Ok(r) if r.state.is_final() => {
                        let sale_no = self.open_sale.clone();
                        let at_counter =
                            sale_no.as_ref().is_some_and(|s| s.to_string() == r.sale_no);
                        if at_counter {
                            if let Some(terminal) = self.take_terminal() {
                                self.payment_finished(terminal, Ok(r), false);
                            }
                        } else {
                            self.screen = Screen::Sale(sale::State::default());
                        }
                    }
                    Ok(r) => self.route(Message::Confirming(confirming::Message::StillOpen(
                        r.message.clone(),
                    ))),
                    Err(e) => self.route(Message::Confirming(confirming::Message::StillOpen(
                        e.to_string(),
                    ))),
                }
            }
            Finished::Refund(result) => self.refund_finished(terminal, result),
            Finished::PayPageOpened(result) => {
                self.terminal = Ok(terminal);
                match result {
                    Ok(order) => self.paypage_opened(order),
                    Err(e) => {
                        let state = tender::State::after_failure(self.cart.total(), e.to_string());
                        self.screen = Screen::Tender(state);
                    }
                }
            }
            Finished::PayPagePolled(result) => {
                self.terminal = Ok(terminal);
                match result {
                    Ok(r) if r.state == crate::terminal::views::AttemptState::Approved => {
                        let total = self.cart.total();
                        if let Ok(sale) = r.sale_no.parse::<crate::sale::SaleNo>() {
                            self.complete_sale(sale, total, crate::money::Ntd::ZERO, None);
                        }
                    }
                    Ok(r) if r.state.is_final() => {
                        let why = if r.state == crate::terminal::views::AttemptState::Cancelled {
                            t(self.lang, "paypage.cancelled")
                        } else {
                            r.message.clone()
                        };
                        let state = tender::State::after_failure(self.cart.total(), why);
                        self.screen = Screen::Tender(state);
                    }
                    Ok(r) => self.route(Message::PayPage(paypage::Message::StillOpen(
                        r.message.clone(),
                    ))),
                    Err(e) => {
                        self.route(Message::PayPage(paypage::Message::StillOpen(e.to_string())))
                    }
                }
            }
            Finished::MypayInvoices(result) => {
                self.terminal = Ok(terminal);
                match result {
                    // Printed when it arrives (nothing for a carrier or a
                    // donation); the status bar counts the rest.
                    Ok(sales) => {
                        for sale in sales {
                            if let Err(e) = self.print_mypay_invoice(&sale) {
                                // Owed still, or no printer: counted in the status bar.
                                tracing::warn!(sale = %sale, "MyPay e-invoice proof not printed: {e}");
                            }
                        }
                    }
                    Err(e) => tracing::warn!("MyPay e-invoices not fetched: {e}"),
                }
            }
            Finished::Recover(result) => {
                self.terminal = Ok(terminal);
                use confirming::Message as M;
                match result {
                    Ok(results) => self.route(Message::Confirming(M::Recovered(results))),
                    Err(e) => {
                        self.route(Message::Confirming(M::StillOpen(e.to_string())));
                        self.route(Message::Confirming(M::Recovered(Vec::new())));
                    }
                }
            }
        }
        self.refresh_status();
    }

    /// Ask again about the payment on the 確認中 screen after `pause`,
    /// unless a question is already out.
    pub(super) fn check_payment_in_doubt(&mut self, pause: Duration) {
        let trade = match &self.screen {
            Screen::Confirming(state) => match state.trade_no() {
                Some(t) => t.to_string(),
                None => return,
            },
            _ => return,
        };
        if self.job.is_some() || self.wallet_mut().is_none() {
            return;
        }
        let Ok(trade) = trade.parse::<crate::sale::TradeNo>() else {
            return;
        };
        let Some(terminal) = self.take_terminal() else {
            return;
        };
        let pause = self.pacer.pause(pause);
        if let Some(Ok(wallet)) = self.wallet.as_ref() {
            let task = wallet.check(terminal, trade, pause);
            self.job_out(task, None);
        }
    }

    /// After sign-in: payments a crash or a lost answer left open are
    /// settled first, on the 確認中 screen, before anything new is charged.
    pub(super) fn recover_open_payments(&mut self) {
        let open = match &self.terminal {
            Ok(t) => t.open_payments().unwrap_or(0),
            Err(_) => return,
        };
        if open == 0 || self.job.is_some() {
            return;
        }
        if let Err(e) = self.start_wallet() {
            tracing::warn!("cannot check open payments: {e}");
            return;
        }
        let Some(terminal) = self.take_terminal() else {
            return;
        };
        tracing::info!(open, "checking payments left open");
        if let Some(Ok(wallet)) = self.wallet.as_ref() {
            let task = wallet.recover(terminal);
            self.job_out(task, None);
        }
        self.screen = Screen::Confirming(confirming::State::recovery());
    }

    /// A paid sale: the result screen at once; the terminal completes it
    /// (receipt, e-invoice, proof, journaled print jobs) and the jobs go to
    /// the printer (the screen fills in as they print).
    pub(super) fn complete_sale(
        &mut self,
        sale: crate::sale::SaleNo,
        total: crate::money::Ntd,
        change: crate::money::Ntd,
        note: Option<String>,
    ) {
        self.screen = Screen::Done(done::State {
            note,
            total,
            change,
            sale_no: sale.to_string(),
            printed: None,
            invoice: Err(String::new()),
            paper: done::Paper::None,
        });
        let profile = self.printing.profile();
        let Ok(terminal) = self.terminal.as_mut() else {
            return;
        };
        let printer = profile.as_ref().map_err(String::as_str);
        let mut completion = terminal.complete_sale(&self.config, printer, &sale, &self.buyer);
        self.status.numbers_low(completion.low_water);
        let invoice = std::mem::replace(&mut completion.invoice, Err(String::new()));
        if let Ok(Invoice::Issued { buyer, .. }) = &invoice {
            self.issued_buyer = Some(buyer.clone());
        }
        self.print_completion(&sale, completion);
        let text = invoice.and_then(|i| invoice_text(&i, self.lang));
        self.route(Message::Done(done::Message::Invoice(
            sale.to_string(),
            text,
        )));
    }

    pub(super) fn pay_cash(&mut self, received: crate::money::Ntd) {
        let Ok(terminal) = self.terminal.as_mut() else {
            let busy = t(self.lang, "paying.busy");
            return self.tender_notice(busy);
        };
        // A sale journaled for a wallet payment that did not go through
        // takes the cash for what the journal says is due, after following
        // the cart (never the total of an earlier cart).
        let outcome = match &self.open_sale {
            Some(sale) => terminal
                .due_for_cart(sale, &self.cart)
                .and_then(|due| terminal.pay_cash(sale, due, received)),
            None => terminal.cash_sale(&self.cart, received),
        };
        match outcome {
            Ok(sale) => self.complete_sale(sale.sale_no, sale.total, sale.change, None),
            Err(e) => {
                tracing::error!("cash sale not journaled: {e}");
                self.tender_notice(e.to_string());
            }
        }
    }

    /// Back to a paper proof, with nothing typed or refused: the choice
    /// belonged to the customer who left.
    pub(super) fn forget_buyer(&mut self) {
        self.buyer = crate::einvoice::buyer::BuyerChoice::Print;
        self.buyer_error = None;
        self.buyer_input.clear();
    }

    pub(super) fn next_customer(&mut self) {
        self.open_sale = None;
        self.forget_buyer();
        self.issued_buyer = None;
        self.printing.clear_preview();
        self.cart = Cart::new();
        self.screen = Screen::Sale(sale::State::default());
    }
}
