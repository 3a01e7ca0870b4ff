//! F0401 `Invoice` (平台存證開立發票, MIG 4.1): the invoice the terminal
//! issued. Replaces C0401 (B2C 存證開立) of MIG 3.x.
//!
//! Rules, with sureness:
//! - Element order: see [`super::schema`] \[code\].
//! - `InvoiceDate` `YYYYMMDD`, `InvoiceTime` `HH:MM:SS`, Taipei time \[code\].
//! - Buyer `Identifier`: the BAN, or `0000000000` (ten zeros) for a
//!   consumer \[code\].
//! - Buyer `Name` of a consumer: the 4-digit random code. ho600 writes
//!   `0000000000`, MOF guides mention "4 位隨機碼"; both are 1–60 characters
//!   and the platform keeps no consumer name \[guess\]. For a company without
//!   a known name the BAN is written \[guess\].
//! - `InvoiceType` `07` (general tax) \[code\]; `DonateMark` `1` only for a
//!   donation, with `NPOBAN` = the love code \[code\].
//! - `CarrierType` `3J0002` mobile barcode / `CQ0001` citizen certificate,
//!   `CarrierId1` = `CarrierId2` = the carrier number (public samples set both
//!   to the scanned code) \[code\].
//! - `PrintMark` `Y` only when a paper proof is printed; a carrier or a
//!   donation means `N` \[code\].
//! - Items at the tax-inclusive prices the till sold them; `Amount` =
//!   `Quantity` × `UnitPrice` exactly, `TaxType` `1` on every line (4.x moved
//!   `TaxType` into `ProductItem`, between `UnitPrice` and `Amount`) \[code\].
//!   Whether a B2B invoice's lines should show untaxed prices is not settled
//!   by any source we have \[guess\].
//! - `Amount`: `SalesAmount` untaxed, `TaxAmount` 5%, `TotalAmount`, split by
//!   [`crate::money::Ntd::tax_split`]; `FreeTaxSalesAmount` and
//!   `ZeroTaxSalesAmount` `0`; `TaxType` `1`; `TaxRate` the literal `0.05`
//!   \[code\]. Some integrations write `TaxAmount` `0` and a tax-inclusive
//!   `SalesAmount` for consumers \[guess: confirm with the XSD notes\].

use super::limits::{DESCRIPTION_MAX, INVOICE_MAX_LINES, NAME_MAX};
use super::xml::Writer;
use super::{CONSUMER_BUYER_ID, MessageType, MigError, Seller, check_text, mig_date, mig_time};
use crate::einvoice::Invoice;
use crate::einvoice::buyer::BuyerChoice;

/// A validated F0401 message, ready to serialise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceMessage {
    pub invoice_number: String,
    pub invoice_date: String,
    pub invoice_time: String,
    pub seller: Seller,
    pub buyer_id: String,
    pub buyer_name: String,
    pub donate_mark: &'static str,
    /// (`CarrierType`, `CarrierId1`, `CarrierId2`).
    pub carrier: Option<(&'static str, String, String)>,
    pub print_mark: &'static str,
    pub npoban: Option<String>,
    pub random_number: String,
    pub lines: Vec<ProductItem>,
    pub sales_amount: i64,
    pub tax_amount: i64,
    pub total_amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductItem {
    pub description: String,
    pub quantity: u32,
    pub unit_price: i64,
    pub amount: i64,
    pub sequence_number: String,
}

impl InvoiceMessage {
    /// Build the message for `invoice`, stored or printed as the buyer
    /// chose. `buyer_name` is the company's name when the cashier has it.
    pub fn new(
        invoice: &Invoice,
        choice: &BuyerChoice,
        seller: &Seller,
        buyer_name: Option<&str>,
    ) -> Result<InvoiceMessage, MigError> {
        seller.check()?;
        if seller.ban != invoice.seller_ban() {
            return Err(MigError::Format {
                field: "Seller/Identifier",
                reason: "與發票賣方不符 / differs from the invoice's seller".into(),
            });
        }
        let choice_ban = choice.ban().map(|b| b.as_str());
        if choice_ban != invoice.buyer_ban() {
            return Err(MigError::BuyerMismatch);
        }
        let random = invoice.random_code().as_str().to_string();
        let (buyer_id, buyer_name) = match invoice.buyer_ban() {
            Some(ban) => {
                let name = buyer_name.map(str::trim).filter(|n| !n.is_empty());
                (ban.to_string(), name.unwrap_or(ban).to_string())
            }
            None => (CONSUMER_BUYER_ID.to_string(), random.clone()),
        };
        check_text("Buyer/Name", &buyer_name, NAME_MAX)?;
        if invoice.items().len() > INVOICE_MAX_LINES {
            return Err(MigError::TooManyLines {
                max: INVOICE_MAX_LINES,
            });
        }
        let lines = invoice
            .items()
            .iter()
            .enumerate()
            .map(|(i, item)| {
                check_text("ProductItem/Description", &item.name, DESCRIPTION_MAX)?;
                Ok(ProductItem {
                    description: item.name.clone(),
                    quantity: item.qty,
                    unit_price: item.unit_price.dollars(),
                    amount: item.amount.dollars(),
                    sequence_number: format!("{:03}", i + 1),
                })
            })
            .collect::<Result<Vec<_>, MigError>>()?;
        let carrier = choice
            .carrier()
            .map(|(kind, id)| (kind, id.to_string(), id.to_string()));
        let npoban = choice.love_code().map(|c| c.as_str().to_string());
        Ok(InvoiceMessage {
            invoice_number: invoice.number().as_str().to_string(),
            invoice_date: mig_date(invoice.issued_at()),
            invoice_time: mig_time(invoice.issued_at()),
            seller: seller.clone(),
            buyer_id,
            buyer_name,
            donate_mark: if npoban.is_some() { "1" } else { "0" },
            carrier,
            print_mark: if choice.prints_proof() { "Y" } else { "N" },
            npoban,
            random_number: random,
            lines,
            sales_amount: invoice.sales_amount().dollars(),
            tax_amount: invoice.tax().dollars(),
            total_amount: invoice.total().dollars(),
        })
    }

    /// The message as UTF-8 XML, checked against [`super::schema`].
    pub fn to_xml(&self) -> Result<String, MigError> {
        let t = MessageType::F0401;
        let mut w = Writer::new(t);
        w.open("Main");
        w.leaf("InvoiceNumber", &self.invoice_number);
        w.leaf("InvoiceDate", &self.invoice_date);
        w.leaf("InvoiceTime", &self.invoice_time);
        w.open("Seller");
        w.leaf("Identifier", &self.seller.ban);
        w.leaf("Name", &self.seller.name);
        w.close("Seller");
        w.open("Buyer");
        w.leaf("Identifier", &self.buyer_id);
        w.leaf("Name", &self.buyer_name);
        w.close("Buyer");
        w.leaf("InvoiceType", "07");
        w.leaf("DonateMark", self.donate_mark);
        if let Some((kind, id1, id2)) = &self.carrier {
            w.leaf("CarrierType", kind);
            w.leaf("CarrierId1", id1);
            w.leaf("CarrierId2", id2);
        }
        w.leaf("PrintMark", self.print_mark);
        w.leaf_opt("NPOBAN", self.npoban.as_deref());
        w.leaf("RandomNumber", &self.random_number);
        w.close("Main");
        w.open("Details");
        for line in &self.lines {
            w.open("ProductItem");
            w.leaf("Description", &line.description);
            w.leaf("Quantity", &line.quantity.to_string());
            w.leaf("UnitPrice", &line.unit_price.to_string());
            w.leaf("TaxType", "1");
            w.leaf("Amount", &line.amount.to_string());
            w.leaf("SequenceNumber", &line.sequence_number);
            w.close("ProductItem");
        }
        w.close("Details");
        w.open("Amount");
        w.leaf("SalesAmount", &self.sales_amount.to_string());
        w.leaf("FreeTaxSalesAmount", "0");
        w.leaf("ZeroTaxSalesAmount", "0");
        w.leaf("TaxType", "1");
        w.leaf("TaxRate", "0.05");
        w.leaf("TaxAmount", &self.tax_amount.to_string());
        w.leaf("TotalAmount", &self.total_amount.to_string());
        w.close("Amount");
        let xml = w.finish(t);
        super::schema::check(t, &xml)?;
        Ok(xml)
    }
}
