//! The whole completion of a paid sale, decided here for every front end:
//! the receipt (with the drawer's pulse for cash, as its layout says), the
//! e-invoice (from the till's own roll as the buyer chose, or the one MyPay
//! issued with the payment), its paper proof and the detail slip a company
//! buyer gets. Every print-out is journaled as a job before its bytes are
//! handed back: the caller only sends them to the printer and reports
//! [`Terminal::print_done`] (and, for a proof of the till's own roll,
//! [`Terminal::invoice_printed`]) when the printer answered.

use crate::config::{Config, InvoiceIssuer};
use crate::einvoice::InvoiceNumber;
use crate::einvoice::buyer::BuyerChoice;
use crate::print::Profile;
use crate::print::document::Document;
use crate::sale::SaleNo;

use super::{IssuedProof, PrintError, Terminal};

/// What a journaled job is, for whoever waits on the printer's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Printout {
    Receipt,
    /// An e-invoice proof; `number` when it is of the till's own roll (to
    /// be marked printed once it is).
    Proof {
        number: Option<InvoiceNumber>,
    },
    /// The item details of a company buyer's invoice.
    DetailSlip,
}

/// A print-out of the completion, journaled: its bytes go to the printer.
#[derive(Debug)]
pub struct Job {
    pub id: i64,
    pub kind: &'static str,
    pub bytes: Vec<u8>,
    pub what: Printout,
}

/// Where the sale's e-invoice went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invoice {
    /// Issued from the till's roll: its number, whether a paper proof
    /// prints, and the buyer's choice it was issued with.
    Issued {
        number: InvoiceNumber,
        paper: bool,
        buyer: BuyerChoice,
    },
    /// MyPay issued it with the payment, on paper (its proof prints).
    Mypay { number: String },
    /// MyPay issued it into the buyer's carrier: nothing prints.
    MypayCarrier { number: String, carrier: String },
    /// MyPay issued it as a donation: nothing prints.
    MypayDonated { number: String, love_code: String },
    /// MyPay owes it: fetched and printed when it arrives.
    MypayLater,
    /// MyPay is the issuer and issued none for this sale (e.g. cash).
    ByMypay,
}

/// Everything the completion did, in the order the jobs must print.
#[derive(Debug)]
pub struct Completion {
    /// Journaled jobs, receipt first.
    pub jobs: Vec<Job>,
    /// Print-outs that could not even be journaled, and why.
    pub not_queued: Vec<(Printout, PrintError)>,
    /// The e-invoice, or why it was not issued.
    pub invoice: Result<Invoice, String>,
    /// Numbers left in the period, when the issue found the roll low.
    pub low_water: Option<u64>,
}

impl Terminal {
    /// Complete a paid sale: journal its receipt, issue its e-invoice as
    /// `buyer` chose (or take the one MyPay issued) and journal the proof
    /// and detail slip, encoded for `printer`. Without a printer nothing is
    /// issued: a proof could not be handed over.
    pub fn complete_sale(
        &mut self,
        cfg: &Config,
        printer: Result<&Profile, &str>,
        sale: &SaleNo,
        buyer: &BuyerChoice,
    ) -> Completion {
        let mut done = Completion {
            jobs: Vec::new(),
            not_queued: Vec::new(),
            invoice: Err(String::new()),
            low_water: None,
        };
        let profile = match printer {
            Ok(p) => p,
            Err(why) => {
                // Nothing could print: the receipt says why, and no invoice
                // is issued whose proof could not be handed over.
                let cannot = PrintError::Unavailable(why.to_string());
                done.not_queued.push((Printout::Receipt, cannot));
                done.invoice = Err(why.to_string());
                return done;
            }
        };
        let receipt = self
            .receipt(sale, &cfg.store, false)
            .map_err(PrintError::from)
            .map(|data| crate::print::document::receipt_document(&data));
        match receipt {
            Ok(document) => {
                self.queue_document(profile, &document, sale, Printout::Receipt, &mut done)
            }
            Err(e) => done.not_queued.push((Printout::Receipt, e)),
        }
        if cfg.einvoice.issuer == InvoiceIssuer::Mypay {
            done.invoice = self.queue_mypay_invoice(profile, sale, &mut done);
            return done;
        }
        match self.issue_invoice(cfg, sale, buyer) {
            Ok(issued) => {
                done.low_water = issued.low_water;
                done.invoice = Ok(self.queue_issued(profile, &issued, &mut done));
            }
            Err(e) => done.invoice = Err(e.to_string()),
        }
        done
    }

    /// Journal what an issued invoice prints (its proof, then the detail
    /// slip for a company buyer) into `done`; the invoice as issued.
    pub fn queue_issued(
        &mut self,
        profile: &Profile,
        issued: &IssuedProof,
        done: &mut Completion,
    ) -> Invoice {
        let number = issued.invoice.number().clone();
        let sale = &issued.sale;
        if let Some(proof) = &issued.proof {
            let what = Printout::Proof {
                number: Some(number.clone()),
            };
            match self.proof_bytes(profile, proof, false) {
                Ok(bytes) => self.queue_bytes(profile, super::PROOF, bytes, sale, what, done),
                Err(e) => done.not_queued.push((what, e)),
            }
        }
        if let Some(slip) = &issued.detail_slip {
            self.queue_document(profile, slip, sale, Printout::DetailSlip, done);
        }
        Invoice::Issued {
            number,
            paper: issued.proof.is_some(),
            buyer: issued.buyer.clone(),
        }
    }

    /// The invoice MyPay issued for this sale: its proof (from MyPay's own
    /// strings, verbatim) and a company buyer's detail slip journaled into
    /// `done`, or where it went when nothing prints.
    pub fn queue_mypay_invoice(
        &mut self,
        profile: &Profile,
        sale: &SaleNo,
        done: &mut Completion,
    ) -> Result<Invoice, String> {
        let Some(inv) = self.mypay_invoice(sale).map_err(|e| e.to_string())? else {
            let later = self
                .journal()
                .mypay_invoices_due()
                .is_ok_and(|due| due.iter().any(|d| &d.sale_no == sale));
            return Ok(if later {
                Invoice::MypayLater
            } else {
                Invoice::ByMypay
            });
        };
        let number = inv.number.dashed();
        // Stored in the buyer's carrier or donated: no paper proof
        // (`mypay-link-agent-api.txt` 『電子發票開立類型』 1 / 2).
        match &inv.delivery {
            crate::einvoice::mypay::Delivery::Carrier(code) => {
                return Ok(Invoice::MypayCarrier {
                    number,
                    carrier: code.as_str().to_string(),
                });
            }
            crate::einvoice::mypay::Delivery::Donated(code) => {
                return Ok(Invoice::MypayDonated {
                    number,
                    love_code: code.as_str().to_string(),
                });
            }
            crate::einvoice::mypay::Delivery::Paper => {}
        }
        let mut proof = super::proof_from_mypay(&inv, false);
        proof.test = self.is_demo();
        // MyPay keeps its own record of what was printed: nothing to mark.
        let what = Printout::Proof { number: None };
        match self.proof_bytes(profile, &proof, false) {
            Ok(bytes) => self.queue_bytes(profile, super::PROOF, bytes, sale, what, done),
            Err(e) => done.not_queued.push((what, e)),
        }
        if let Some(slip) = super::mypay_detail_slip_document(&inv, self.is_demo()) {
            self.queue_document(profile, &slip, sale, Printout::DetailSlip, done);
        }
        Ok(Invoice::Mypay { number })
    }

    fn queue_document(
        &mut self,
        profile: &Profile,
        document: &Document,
        sale: &SaleNo,
        what: Printout,
        done: &mut Completion,
    ) {
        let kind = match what {
            Printout::Receipt => super::RECEIPT,
            Printout::Proof { .. } => super::PROOF,
            Printout::DetailSlip => super::DETAIL_SLIP,
        };
        match crate::print::encode(document, profile) {
            Ok(bytes) => self.queue_bytes(profile, kind, bytes, sale, what, done),
            Err(e) => done.not_queued.push((what, PrintError::Encode(e))),
        }
    }

    fn queue_bytes(
        &mut self,
        profile: &Profile,
        kind: &'static str,
        bytes: Vec<u8>,
        sale: &SaleNo,
        what: Printout,
        done: &mut Completion,
    ) {
        match self.queue_print(profile, kind, &bytes, Some(sale), None) {
            Ok(id) => done.jobs.push(Job {
                id,
                kind,
                bytes,
                what,
            }),
            Err(e) => {
                tracing::warn!(kind, "not printed: {e}");
                done.not_queued.push((what, e))
            }
        }
    }
}

impl Completion {
    /// Nothing done yet (to collect the jobs of a later issue into).
    pub fn empty() -> Completion {
        Completion {
            jobs: Vec::new(),
            not_queued: Vec::new(),
            invoice: Err(String::new()),
            low_water: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Journal;
    use crate::money::Ntd;
    use crate::sale::{Cart, Line};
    use crate::secret::Secret;

    fn paid_sale(t: &mut Terminal) -> SaleNo {
        let (name, _, pin) = super::super::DEMO_USERS[0];
        t.sign_in(name, &Secret::new(pin)).unwrap();
        let mut cart = Cart::new();
        cart.add(Line::new("4710000000028", "拿鐵 Latte", 2, Ntd::new(85)).unwrap())
            .unwrap();
        t.cash_sale(&cart, Ntd::new(200)).unwrap().sale_no
    }

    #[test]
    fn a_paid_sale_is_completed_with_its_receipt_proof_and_invoice_journaled() {
        let cfg = Config::demo();
        let mut t = Terminal::with_journal(&cfg, Journal::open_in_memory().unwrap(), true).unwrap();
        let sale = paid_sale(&mut t);
        let profile = Profile::builtin("generic-58-big5").unwrap();

        let done = t.complete_sale(&cfg, Ok(&profile), &sale, &BuyerChoice::Print);

        assert!(done.not_queued.is_empty(), "{:?}", done.not_queued);
        let Ok(Invoice::Issued { number, paper, .. }) = &done.invoice else {
            panic!("the invoice is issued: {:?}", done.invoice);
        };
        assert!(paper, "a paper proof for a buyer who chose paper");
        let kinds: Vec<&str> = done.jobs.iter().map(|j| j.kind).collect();
        assert_eq!(kinds, [super::super::RECEIPT, super::super::PROOF]);
        assert_eq!(
            done.jobs[1].what,
            Printout::Proof {
                number: Some(number.clone())
            }
        );
        // Every job is in the journal before its bytes leave, on this sale.
        let pending = t.journal().pending_print_jobs().unwrap();
        for job in &done.jobs {
            let journaled = pending.iter().find(|p| p.id == job.id).expect("journaled");
            assert_eq!(journaled.payload, job.bytes);
        }
        let detail = t.journal().sale_detail(&sale).unwrap().unwrap();
        assert_eq!(detail.invoices.len(), 1, "one invoice issued for the sale");
    }

    #[test]
    fn without_a_printer_nothing_is_issued_and_the_receipt_says_why() {
        let cfg = Config::demo();
        let mut t = Terminal::with_journal(&cfg, Journal::open_in_memory().unwrap(), true).unwrap();
        let sale = paid_sale(&mut t);

        let done = t.complete_sale(&cfg, Err("no printer"), &sale, &BuyerChoice::Print);

        assert!(done.jobs.is_empty());
        assert_eq!(done.not_queued.len(), 1);
        assert_eq!(done.not_queued[0].0, Printout::Receipt);
        assert!(done.invoice.is_err());
        let detail = t.journal().sale_detail(&sale).unwrap().unwrap();
        assert!(
            detail.invoices.is_empty(),
            "no invoice without a proof to hand over"
        );
    }
}
