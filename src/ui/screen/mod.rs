//! One module per screen. Each owns its `State`, `Message`, `update` and
//! `view`, and reports what the parent must do through an `Event` instead
//! of reaching up (the halloy pattern).

pub mod close_day;
pub mod confirming;
pub mod done;
pub mod history;
pub mod paypage;
pub mod refund;
pub mod sale;
pub mod settings;
pub mod sign_in;
pub mod tender;

use crate::config::Config;
use crate::terminal::Terminal;
use crate::ui::i18n::Lang;

/// What the app lends a screen while it updates, halloy's contract:
/// `update(&mut self, message, &mut Ctx) -> (Task<Message>, Option<Event>)`.
/// The screen does its own work with these and tells its parent only what
/// the parent must act on.
pub struct Ctx<'a> {
    /// The till; `Err` (why) while it is away with a gateway job.
    pub terminal: Result<&'a mut Terminal, &'a str>,
    pub config: &'a Config,
    pub lang: Lang,
}

impl<'a> Ctx<'a> {
    /// The app's till (or why it is away), config and language, lent to
    /// one screen's update.
    pub fn lend(
        terminal: &'a mut Result<Terminal, String>,
        config: &'a Config,
        lang: Lang,
    ) -> Self {
        Ctx {
            terminal: terminal.as_mut().map_err(|e| e.as_str()),
            config,
            lang,
        }
    }
}

/// A document a screen wants on paper, as data: the app prints it as a
/// journaled job through the printing component (a reprint with the
/// manager's name and PIN). With `answer`, the printer's answer comes back
/// to the screen as its own message, tagged so; without, only a failure
/// is logged.
#[derive(Debug, Clone)]
pub struct PrintJob<A = ()> {
    /// The job's kind, as the journal records it.
    pub kind: &'static str,
    pub document: crate::print::document::Document,
    pub sale: Option<crate::sale::SaleNo>,
    pub approval: Option<(String, crate::secret::Secret)>,
    pub answer: Option<A>,
}
