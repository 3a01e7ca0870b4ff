//! E-invoices the till still owes, worked off between sales: a pay-later
//! sale paid since whose buyer chose a carrier or a donation gets its
//! invoice unasked (there is nothing to print); every paid sale still
//! without one is issued when the status bar's button asks; and MyPay, as
//! the issuer, is asked for those it issued after their payment. Their
//! proofs are printed as they are issued; nobody waits on the screen for
//! them (a failure is logged, and the status bar counts what is owed).

use crate::sale::SaleNo;
use crate::terminal::completion::Completion;
use crate::ui::screen::Ctx;

/// On the status clock: a pay-later sale paid since, whose buyer chose a
/// carrier or a donation, gets its invoice without anyone pressing a key.
pub fn issue_paperless(ctx: &mut Ctx<'_>) {
    let config = ctx.config;
    let Ok(terminal) = ctx.terminal() else { return };
    match terminal.issue_awaiting_paperless(config) {
        Ok(issued) => {
            for i in issued {
                tracing::info!(sale = %i.sale, number = %i.invoice.number(), "e-invoice issued to the buyer's carrier for a sale paid later");
            }
        }
        Err(e) => tracing::warn!("e-invoice of a sale paid later not issued yet: {e}"),
    }
}

/// The status bar's button: every paid sale still without its e-invoice
/// (a pay-later order paid later, an issue that failed) gets one, as the
/// buyer chose at the counter, else as a paper proof kept for them.
pub fn issue_awaiting(ctx: &mut Ctx<'_>) {
    let (config, printer) = (ctx.config, ctx.printer());
    let sales = match ctx.terminal_ref() {
        Ok(terminal) => terminal.sales_awaiting_invoice(config).unwrap_or_default(),
        Err(_) => return,
    };
    for sale in sales {
        let Ok(terminal) = ctx.terminal() else { return };
        match terminal.issue_awaiting_invoice(config, &sale) {
            Ok(issued) => {
                tracing::info!(sale = %sale, number = %issued.invoice.number(), "e-invoice issued for a sale paid earlier");
                let mut done = Completion::empty();
                crate::ui::component::print_jobs::queue_issued(
                    printer.as_ref().ok(),
                    Some(terminal),
                    &issued,
                    &mut done,
                );
                print(ctx, &sale, done);
            }
            Err(e) => {
                tracing::warn!(sale = %sale, "e-invoice still not issued: {e}");
                break;
            }
        }
    }
}

/// On the status clock, between sales: ask MyPay (as the issuer) for the
/// e-invoices it issued after their payment, as a gateway job of its own.
pub fn fetch_from_mypay(ctx: &mut Ctx<'_>) {
    if let Err(e) = ctx.send(None, |wallet, terminal| {
        wallet.fetch_mypay_invoices(terminal)
    }) {
        tracing::debug!("MyPay e-invoices not fetched now: {e}");
    }
}

/// MyPay's e-invoices arrived for these sales: their proofs, journaled
/// (nothing for a carrier or a donation; the status bar counts the rest).
pub fn mypay_arrived(ctx: &mut Ctx<'_>, arrived: Result<Vec<SaleNo>, String>) {
    let sales = match arrived {
        Ok(sales) => sales,
        Err(e) => {
            tracing::warn!("MyPay e-invoices not fetched: {e}");
            return;
        }
    };
    let printer = ctx.printer();
    for sale in sales {
        let mut done = Completion::empty();
        let queued = match (&printer, ctx.terminal()) {
            (Ok(profile), Ok(t)) => t.queue_mypay_invoice(profile, &sale, &mut done),
            (Err(e), _) => Err(e.clone()),
            (_, Err(e)) => Err(e.to_string()),
        };
        if let Err(e) = queued {
            // Owed still, or no printer: counted in the status bar.
            tracing::warn!(sale = %sale, "MyPay e-invoice proof not printed: {e}");
        }
        print(ctx, &sale, done);
    }
}

/// Send a proof's print-outs; one that could not even be journaled is
/// logged (the status bar counts what is still owed).
fn print(ctx: &mut Ctx<'_>, sale: &SaleNo, done: Completion) {
    for (_, result) in ctx.print_completion(sale, done) {
        if let Err(e) = result {
            tracing::warn!(sale = %sale, "e-invoice proof not printed: {e}");
        }
    }
}
