//! The status bar: one line at the foot of every screen with what the
//! till needs someone to know (printer, scanner, gateways, payments in
//! doubt, jobs and e-invoices waiting, open sales), refreshed from the
//! journal on the clock tick and after jobs, never on every frame.

use std::time::{Duration, Instant};

use iced::widget::{button, container, row, text};
use iced::{Alignment, Element, Length};

use crate::config::Config;
use crate::sale::{GatewayId, SaleNo};
use crate::terminal::Terminal;
use crate::terminal::views::SaleSummary;
use crate::ui::health::{Reach, Round};
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;

/// The status bar is one line high, whatever it has to say.
const HEIGHT: f32 = 40.0;

/// How often the counts are re-read from the journal.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// What a press on the status bar asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// Print the jobs left waiting (after a paper change).
    ResumePrinting,
    /// Issue the e-invoices of paid sales that have none yet.
    IssueAwaiting,
    /// List the open sales in history, to settle.
    ShowOpenSales,
}

/// Counts for the status bar.
#[derive(Debug, Default, Clone)]
pub struct StatusBar {
    /// Payments and refunds whose result is still in doubt.
    open_payments: usize,
    /// E-invoice messages not yet taken by the Turnkey uploader.
    uploads_waiting: usize,
    /// Of those, past the 48-hour B2C upload deadline.
    uploads_overdue: usize,
    /// E-invoice numbers left in the period, when under `[einvoice] low_water`.
    numbers_low: Option<u64>,
    /// No number roll is loaded for this period (invoices cannot be issued).
    no_roll: bool,
    /// Jobs waiting in the journal that are not with the printer now.
    waiting_prints: usize,
    /// Proofs cut short, waiting for a manager's 補印.
    proofs_to_reprint: usize,
    /// Paid sales of this period still without an e-invoice.
    awaiting_invoice: usize,
    /// Refunds whose e-invoice void / allowance is still to make.
    changes_owed: usize,
    /// Money gateways took after the till closed the attempt: owed back.
    late_payments: usize,
    /// MyPay e-invoices issued after their payment, not fetched yet.
    mypay_invoices_due: usize,
    /// Sales left open (not the one at the tender now), to settle.
    open_sales: Vec<SaleSummary>,
    refreshed: Option<Instant>,
    /// Whether to probe the gateways at all: the real app does; an app
    /// built around a test's terminal does not (tests stay on loopback).
    probe: bool,
    /// The gateways probed, once known (in demo mode the simulators, once
    /// running), and what the last round found.
    probed: Option<(Vec<(GatewayId, String)>, Round)>,
    /// A serial/HID scanner: its source, or `Err` naming it while unplugged.
    scanner: Option<Result<String, String>>,
}

/// What the bar shows besides its counts: the devices and gateways.
pub struct Look<'a> {
    /// Why the till's printer could not be set up.
    pub printer_error: Option<&'a str>,
    /// The last print's outcome.
    pub last_print: Option<&'a Result<(), String>>,
    pub printer_busy: bool,
    pub demo: bool,
}

impl StatusBar {
    /// Re-read every count from the journal. `at_tender` is the sale being
    /// paid now, not counted as left open; `with_printer` tells the jobs
    /// the printer has now.
    pub fn refresh(
        &mut self,
        terminal: &Terminal,
        config: &Config,
        demo: bool,
        at_tender: Option<&SaleNo>,
        with_printer: impl Fn(i64) -> bool,
    ) {
        self.refresh_prints(terminal, with_printer);
        self.open_payments = terminal.open_payments().unwrap_or(0);
        if let Ok(s) = terminal.invoicing_status(config) {
            self.uploads_waiting = s.pending_files.len() + s.not_written.len();
            self.uploads_overdue = s.overdue.len();
            // Demo mode loads its test roll with the first sale.
            let demo_unloaded = demo && s.rolls.is_empty();
            self.numbers_low = (s.low_water && !demo_unloaded).then_some(s.numbers_left);
            self.no_roll = !demo && s.rolls.is_empty();
            self.changes_owed = s.changes_owed.len();
        }
        self.late_payments = terminal.late_payments(true).map(|v| v.len()).unwrap_or(0);
        self.mypay_invoices_due = terminal.mypay_invoices_due().unwrap_or(0);
        self.open_sales = terminal.open_sales(at_tender).unwrap_or_default();
        self.awaiting_invoice = terminal
            .sales_awaiting_invoice(config)
            .map(|v| v.len())
            .unwrap_or(0);
        self.refreshed = Some(Instant::now());
    }

    /// Probe the gateways' reachability (every
    /// [`crate::ui::health::PROBE_EVERY`], a subscription of their own).
    pub fn probe_gateways(&mut self) {
        self.probe = true;
    }

    /// The gateways to probe, once known: `started`, the configuration of
    /// the gateways running; else, outside demo mode, the configured ones.
    pub fn watch(&mut self, started: Option<&Config>, config: &Config, demo: bool) {
        if !self.probe || self.probed.is_some() {
            return;
        }
        let targets = match (started, demo) {
            (Some(running), _) => crate::ui::health::targets(running),
            (None, false) => crate::ui::health::targets(config),
            (None, true) => return,
        };
        self.probed = Some((targets, Vec::new()));
    }

    /// The probes of the gateways watched.
    pub fn subscription(&self) -> Option<iced::Subscription<Round>> {
        let (targets, _) = self.probed.as_ref()?;
        Some(crate::ui::health::probes(targets.clone()))
    }

    /// A serial or HID scanner came, went or came back (its scans are not
    /// the bar's).
    pub fn scanner(&mut self, event: &crate::terminal::devices::ScannerEvent) {
        use crate::terminal::devices::ScannerEvent as E;
        match event {
            E::Connected(source) | E::Reconnected(source) => {
                self.scanner = Some(Ok(source.to_string()))
            }
            E::Disconnected { source, reason } => {
                tracing::warn!(%source, %reason, "scanner disconnected");
                self.scanner = Some(Err(source.to_string()))
            }
            E::Scan(_) => {}
        }
    }

    /// A round of probes came back.
    pub fn probed(&mut self, round: Round) {
        if let Some((_, found)) = self.probed.as_mut() {
            *found = round;
        }
    }

    /// Only the print counts: after the printer answered. (The invoice
    /// counts read every invoice of two periods: the clock tick and the
    /// rarer events re-read those, not every print job.) `with_printer`
    /// tells the jobs the printer has now.
    pub fn refresh_prints(&mut self, terminal: &Terminal, with_printer: impl Fn(i64) -> bool) {
        if let Ok(waiting) = terminal.prints_waiting(with_printer) {
            self.proofs_to_reprint = waiting.proofs_to_reprint;
            self.waiting_prints = waiting.waiting;
        }
    }

    /// Whether the counts are older than [`REFRESH_EVERY`] at `now`.
    pub fn stale(&self, now: Instant) -> bool {
        self.refreshed
            .is_none_or(|r| now.saturating_duration_since(r) >= REFRESH_EVERY)
    }

    /// An issue said how many numbers are left: no need to re-read the rolls.
    pub fn numbers_low(&mut self, left: Option<u64>) {
        if left.is_some() {
            self.numbers_low = left;
        }
    }

    pub fn open_sales(&self) -> &[SaleSummary] {
        &self.open_sales
    }

    pub fn mypay_invoices_due(&self) -> usize {
        self.mypay_invoices_due
    }

    pub fn view<'a>(&'a self, look: Look<'a>, lang: Lang) -> Element<'a, Message> {
        // One line, never more: what does not fit is cut at the right
        // (the key hint goes first), never wrapped over the screen.
        let small = |s: String| {
            text(s)
                .size(theme::TEXT_SMALL)
                .wrapping(iced::widget::text::Wrapping::None)
        };
        let alert = |s: String| {
            text(s)
                .size(theme::TEXT_SMALL)
                .color(theme::DANGER_RED)
                .wrapping(iced::widget::text::Wrapping::None)
        };
        let mut bar = row![].spacing(theme::PAD).align_y(Alignment::Center);

        let printer = t(lang, "status.printer");
        // Messages are "zh-TW / English": the bar shows the screen's language.
        let one_language = |e: &str| -> String {
            let (zh, en) = e.split_once(" / ").unwrap_or((e, e));
            match lang {
                Lang::ZhTw => zh.to_string(),
                Lang::En => en.to_string(),
            }
        };
        bar = bar.push(match (look.printer_error, look.last_print) {
            (Some(e), _) => alert(format!("{printer}: {}", one_language(e))),
            (None, Some(Err(e))) => alert(format!("{printer}: {}", one_language(e))),
            (None, _) if look.demo => small(format!("{printer}: {}", t(lang, "status.virtual"))),
            (None, _) => small(format!("{printer}: {}", t(lang, "status.ready"))),
        });
        match &self.scanner {
            None => {}
            Some(Ok(source)) => {
                bar = bar.push(small(format!("{}: {source}", t(lang, "status.scanner"))))
            }
            Some(Err(source)) => {
                bar = bar.push(alert(format!(
                    "{}: {source} {}",
                    t(lang, "status.scanner"),
                    t(lang, "status.disconnected")
                )))
            }
        }

        let gateways = t(lang, "status.gateways");
        let found = self.probed.as_ref().map_or(&[][..], |(_, found)| found);
        let down: Vec<&str> = found
            .iter()
            .filter(|(_, r)| matches!(r, Reach::Unreachable(_)))
            .map(|(g, _)| crate::ui::screen::confirming::gateway_label(*g, lang))
            .collect();
        bar = bar.push(if !down.is_empty() {
            alert(format!(
                "{gateways}: {} {}",
                down.join("、"),
                t(lang, "status.unreachable")
            ))
        } else if !found.is_empty() {
            small(format!("{gateways}: {}", t(lang, "status.reachable")))
        } else if look.demo {
            small(format!("{gateways}: {}", t(lang, "status.simulated")))
        } else if self.probed.is_some() {
            small(format!("{gateways}: {}", t(lang, "status.checking")))
        } else {
            small(String::new())
        });

        if self.open_payments > 0 {
            bar = bar.push(alert(tf(
                lang,
                "status.open_payments",
                &[("n", &self.open_payments.to_string())],
            )));
        }
        if self.waiting_prints > 0 {
            bar = bar.push(
                button(
                    text(tf(
                        lang,
                        "status.waiting_prints",
                        &[("n", &self.waiting_prints.to_string())],
                    ))
                    .size(theme::TEXT_SMALL),
                )
                .on_press_maybe((!look.printer_busy).then_some(Message::ResumePrinting))
                .style(theme::danger)
                .padding([4, 10]),
            );
        }
        if self.awaiting_invoice > 0 {
            bar = bar.push(
                button(
                    text(tf(
                        lang,
                        "status.awaiting_invoice",
                        &[("n", &self.awaiting_invoice.to_string())],
                    ))
                    .size(theme::TEXT_SMALL)
                    .wrapping(iced::widget::text::Wrapping::None),
                )
                .on_press(Message::IssueAwaiting)
                .style(theme::danger)
                .padding([4, 10]),
            );
        }
        if !self.open_sales.is_empty() {
            bar = bar.push(
                button(
                    text(crate::ui::screen::history::open_sales_status(
                        &self.open_sales,
                        lang,
                    ))
                    .size(theme::TEXT_SMALL)
                    .wrapping(iced::widget::text::Wrapping::None),
                )
                .on_press(Message::ShowOpenSales)
                .style(theme::danger)
                .padding([4, 10]),
            );
        }
        if self.late_payments > 0 {
            bar = bar.push(alert(tf(
                lang,
                "status.late_payments",
                &[("n", &self.late_payments.to_string())],
            )));
        }
        if self.mypay_invoices_due > 0 {
            bar = bar.push(alert(tf(
                lang,
                "status.mypay_invoices_due",
                &[("n", &self.mypay_invoices_due.to_string())],
            )));
        }
        if self.changes_owed > 0 {
            bar = bar.push(alert(tf(
                lang,
                "status.changes_owed",
                &[("n", &self.changes_owed.to_string())],
            )));
        }
        if self.proofs_to_reprint > 0 {
            bar = bar.push(alert(tf(
                lang,
                "status.proofs_to_reprint",
                &[("n", &self.proofs_to_reprint.to_string())],
            )));
        }
        if self.no_roll {
            bar = bar.push(alert(t(lang, "status.no_roll")));
        } else if let Some(left) = self.numbers_low {
            bar = bar.push(alert(tf(
                lang,
                "status.numbers_low",
                &[("n", &left.to_string())],
            )));
        }
        if self.uploads_overdue > 0 {
            bar = bar.push(alert(tf(
                lang,
                "status.uploads_overdue",
                &[("n", &self.uploads_overdue.to_string())],
            )));
        } else if self.uploads_waiting > 0 {
            bar = bar.push(small(tf(
                lang,
                "status.uploads_waiting",
                &[("n", &self.uploads_waiting.to_string())],
            )));
        }
        // The key hint only when nothing needs attention: a warning must
        // never be drawn over (the keys are also on the buttons).
        let quiet = self.open_payments == 0
            && self.waiting_prints == 0
            && self.awaiting_invoice == 0
            && self.open_sales.is_empty()
            && self.late_payments == 0
            && self.mypay_invoices_due == 0
            && self.changes_owed == 0
            && self.proofs_to_reprint == 0
            && self.uploads_overdue == 0
            && self.numbers_low.is_none()
            && !self.no_roll
            && down.is_empty()
            && !matches!(look.last_print, Some(Err(_)))
            && look.printer_error.is_none();
        if quiet {
            // Only where it fits beside what the bar already says: drawn
            // over the status texts it made both unreadable (English at
            // 1024 px).
            let hint = t(lang, "keys.hint");
            let wide = crate::ui::theme::text_width(&hint, theme::TEXT_SMALL);
            bar = bar.push(iced::widget::responsive(move |room| {
                if wide <= room.width {
                    text(hint.clone())
                        .size(theme::TEXT_SMALL)
                        .wrapping(iced::widget::text::Wrapping::None)
                        .width(Length::Fill)
                        .align_x(Alignment::End)
                        .into()
                } else {
                    Element::from(iced::widget::Space::new())
                }
            }));
        }
        container(bar)
            .padding([8, 16])
            .width(Length::Fill)
            .height(Length::Fixed(HEIGHT))
            .clip(true)
            .style(theme::status_bar)
            .into()
    }
}
