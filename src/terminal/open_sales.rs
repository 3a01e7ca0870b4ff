//! Sales left open (rung up, not paid in full): listed for the status bar,
//! sign-in and history, and settled by a manager before the day's close:
//! one with nothing paid is voided (audited, naming the manager); one with
//! money taken has it given back through the refund path, or the rest
//! taken by resuming the tender.

use super::payment::PayError;
use super::{Approval, Result, Terminal, TerminalError};
use crate::journal::{JournalError, SaleStatus, SaleSummary};
use crate::money::Ntd;
use crate::sale::{Cart, SaleNo};

/// Where a sale stands, as the cashier reads it: like
/// [`SaleStatus`], but an open sale with money taken is half-paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Paid,
    Open,
    HalfPaid,
    Voided,
    Refunded,
    PartRefunded,
}

impl Standing {
    pub fn of(s: &SaleSummary) -> Standing {
        match s.status {
            SaleStatus::Open if s.paid.is_positive() => Standing::HalfPaid,
            SaleStatus::Open => Standing::Open,
            SaleStatus::Paid => Standing::Paid,
            SaleStatus::PartRefunded => Standing::PartRefunded,
            SaleStatus::Refunded => Standing::Refunded,
            SaleStatus::Void => Standing::Voided,
        }
    }

    /// The locale key of its name (`history.status_*`).
    pub fn key(self) -> &'static str {
        match self {
            Standing::Paid => "history.status_paid",
            Standing::Open => "history.status_open",
            Standing::HalfPaid => "history.status_half_paid",
            Standing::Voided => "history.status_voided",
            Standing::Refunded => "history.status_refunded",
            Standing::PartRefunded => "history.status_part_refunded",
        }
    }

    /// Still to be settled before the day's close.
    pub fn is_open(self) -> bool {
        matches!(self, Standing::Open | Standing::HalfPaid)
    }
}

impl Terminal {
    /// This terminal's open sales, oldest first, but `except` (the sale the
    /// cashier is taking payment for right now).
    pub fn open_sales(&self, except: Option<&SaleNo>) -> Result<Vec<SaleSummary>> {
        Ok(self
            .journal()
            .open_sales(self.terminal_id())?
            .into_iter()
            .filter(|s| Some(&s.sale_no) != except)
            .collect())
    }

    /// Void an open sale nothing was paid on, with a manager's approval:
    /// the audit log names the manager.
    pub fn void_open_sale(&mut self, sale: &SaleNo, approval: Approval<'_>) -> Result<()> {
        let manager = self.manager_approves(approval.manager, approval.pin)?;
        self.journal_mut()
            .void_sale(sale, &manager.name, "open sale settled from history")?;
        tracing::info!(sale = %sale, manager = %manager.name, "open sale voided");
        Ok(())
    }

    /// A half-paid sale taken up again: its cart as journaled and what is
    /// still due, to take at the tender. Refused once money was given back
    /// on it (taking more would make paid and refunded disagree).
    pub fn resume_open_sale(&self, sale: &SaleNo) -> Result<(Cart, Ntd)> {
        let detail = self
            .journal()
            .sale_detail(sale)?
            .ok_or_else(|| JournalError::NoSuchSale(sale.to_string()))?;
        let s = &detail.summary;
        if s.status != SaleStatus::Open {
            return Err(JournalError::AlreadyPaid(sale.to_string()).into());
        }
        if s.refunded.is_positive() {
            return Err(JournalError::HasRefunds(sale.to_string()).into());
        }
        let corrupt = |e: String| JournalError::Corrupt(format!("{sale}: {e}"));
        let mut cart = Cart::new();
        for line in detail.lines {
            cart.add(line).map_err(|e| corrupt(e.to_string()))?;
        }
        cart.set_discount(s.discount)
            .map_err(|e| corrupt(e.to_string()))?;
        let due = s.total.checked_sub(s.paid).unwrap_or(Ntd::ZERO);
        Ok((cart, due))
    }

    /// Start a sale rung up by a script or test, journaled under `cashier`.
    pub fn open_sale_as(&mut self, cart: &Cart, cashier: &str) -> Result<SaleNo, PayError> {
        let today = self.now().date_naive();
        Ok(self
            .journal
            .new_sale(&self.terminal, today, cashier, cart)?)
    }

    /// Start a sale for the signed-in cashier.
    pub fn open_sale(&mut self, cart: &Cart) -> Result<SaleNo, PayError> {
        let cashier = self
            .user
            .as_ref()
            .ok_or(TerminalError::NotSignedIn)?
            .name
            .clone();
        self.open_sale_as(cart, &cashier)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::journal::{AttemptState, Detail, Journal};
    use crate::sale::{AttemptKind, Line, PayMethod, RefundRequest};
    use crate::secret::Secret;
    use crate::terminal::{DEMO_USERS, TerminalError};

    fn cart() -> Cart {
        let mut c = Cart::new();
        c.add(Line::new("4710000000028", "拿鐵 Latte", 2, Ntd::new(60)).unwrap())
            .unwrap();
        c.set_line_discount(0, Ntd::new(10)).unwrap();
        c.set_discount(Ntd::new(5)).unwrap();
        c
    }

    fn cash(t: &mut Terminal, sale: &SaleNo, kind: AttemptKind, amount: i64) {
        let j = t.journal_mut();
        let trade = match kind {
            AttemptKind::Payment => j
                .begin_attempt(sale, kind, None, PayMethod::Cash, Ntd::new(amount), None)
                .unwrap(),
            AttemptKind::Refund => {
                j.begin_refund(sale, &RefundRequest::Full, None, PayMethod::Cash)
                    .unwrap()
                    .0
            }
        };
        j.transition(&trade, AttemptState::Approved, Detail::new())
            .unwrap();
    }

    #[test]
    fn open_sales_are_settled_by_a_manager_void_or_by_taking_the_rest() {
        let mut t =
            Terminal::with_journal(&Config::demo(), Journal::open_in_memory().unwrap(), true)
                .unwrap();
        let (cashier, _, cpin) = DEMO_USERS[0];
        let (manager, _, mpin) = DEMO_USERS[1];
        t.sign_in(cashier, &Secret::new(cpin)).unwrap();
        let unpaid = t.open_sale(&cart()).unwrap();
        let half = t.open_sale(&cart()).unwrap();
        cash(&mut t, &half, AttemptKind::Payment, 40);

        let open = t.open_sales(Some(&half)).unwrap();
        assert_eq!(open.len(), 1, "the sale at the tender now is not listed");
        assert_eq!(Standing::of(&open[0]), Standing::Open);
        let both = t.open_sales(None).unwrap();
        assert_eq!(Standing::of(&both[1]), Standing::HalfPaid);

        // Only a manager voids, and never a sale with money on it.
        let wrong = Approval {
            manager: cashier,
            pin: &Secret::new(cpin),
        };
        assert!(matches!(
            t.void_open_sale(&unpaid, wrong),
            Err(TerminalError::WrongPin)
        ));
        let mpin = Secret::new(mpin);
        let approval = || Approval {
            manager,
            pin: &mpin,
        };
        assert!(matches!(
            t.void_open_sale(&half, approval()),
            Err(TerminalError::Journal(JournalError::HasPayments(_)))
        ));
        t.void_open_sale(&unpaid, approval()).unwrap();
        let voided = t.journal().sale_detail(&unpaid).unwrap().unwrap().summary;
        assert_eq!(Standing::of(&voided), Standing::Voided);

        // The rest: the journaled cart (its discounts too) and what is due.
        let (again, due) = t.resume_open_sale(&half).unwrap();
        assert_eq!(again.total(), cart().total());
        assert_eq!(again.lines(), cart().lines());
        assert_eq!(due, Ntd::new(105 - 40));
        assert!(
            t.resume_open_sale(&unpaid).is_err(),
            "a void sale is not resumed"
        );

        // Giving back what was taken instead voids it; nothing left open.
        cash(&mut t, &half, AttemptKind::Refund, 40);
        assert!(t.resume_open_sale(&half).is_err());
        assert!(t.open_sales(None).unwrap().is_empty());
        let report = t.x_report().unwrap();
        assert_eq!((report.voided, report.net), (2, Ntd::ZERO));
        assert!(report.reconciles());
    }
}
