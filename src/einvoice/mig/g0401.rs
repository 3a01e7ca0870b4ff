//! G0401 `Allowance` (平台存證開立折讓證明單, MIG 4.1): a partial refund
//! against an invoice of an earlier period. Replaces D0401 of MIG 3.x.
//!
//! Shape \[code: public D0401/B0401/G0401 writers agree\]:
//! `Main` (`AllowanceNumber`, `AllowanceDate`, `Seller`, `Buyer`,
//! `AllowanceType`), `Details/ProductItem` (`OriginalInvoiceDate`,
//! `OriginalInvoiceNumber`, `OriginalSequenceNumber`, `OriginalDescription`,
//! `Quantity`, `UnitPrice`, `Amount`, `Tax`, `AllowanceSequenceNumber`,
//! `TaxType`), `Amount` (`TaxAmount`, `TotalAmount`).
//!
//! - `AllowanceType` `2`: issued by the seller (賣方開立) \[code\]; kept on
//!   the [`Allowance`] so that its void (G0501) names the same type.
//! - `Amount` of a line is untaxed ("小計金額(不含稅之進貨額)") and `Tax` its
//!   5% tax; `TotalAmount` is the sum of the untaxed amounts, not the refund
//!   paid \[code: two public samples, 300 + tax 15 → TotalAmount 300\].
//! - The refund the customer gets is tax-inclusive; each line's refund is
//!   split with [`Ntd::tax_split`], so `Amount + Tax` is exactly what was
//!   refunded on that line. `UnitPrice` is then `Amount / Quantity`, written
//!   as a decimal rounded to 7 places (integer arithmetic, no floats), so
//!   `Quantity × UnitPrice` rounds back to `Amount` \[guess on the precision
//!   the XSD allows\].
//! - Some 4.1 writers add `OriginalInvoiceSellerId` / `OriginalInvoiceBuyerId`
//!   to `Main`; others do not; left out \[guess\].

use super::limits::{ALLOWANCE_MAX_LINES, ALLOWANCE_NUMBER_MAX, NAME_MAX};
use super::xml::Writer;
use super::{CONSUMER_BUYER_ID, MessageType, MigError, Seller, check_text, mig_date};
use crate::einvoice::Invoice;
use crate::money::Ntd;
use crate::taipei::TaipeiTime;

/// `AllowanceType` (`AllowanceTypeEnum`): `1` the buyer issued the allowance
/// (買方開立), `2` the seller did (賣方開立). A till only ever issues its own.
pub const SELLER_ISSUED: &str = "2";

/// The `AllowanceType` a written G0401 names, if it reads.
pub fn allowance_type_of(xml: &str) -> Option<&'static str> {
    let root = super::xml::parse(xml).ok()?;
    let main = root.children.iter().find(|c| c.name == "Main")?;
    let t = main.children.iter().find(|c| c.name == "AllowanceType")?;
    match t.text.as_str() {
        "1" => Some("1"),
        "2" => Some(SELLER_ISSUED),
        _ => None,
    }
}

/// One refunded line: which invoice line (1-based, as its
/// `SequenceNumber`), how many units and the tax-inclusive refund per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowanceLine {
    pub item: usize,
    pub qty: u32,
    pub unit_refund: Ntd,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub allowance_number: String,
    pub allowance_date: String,
    pub seller: Seller,
    pub buyer_id: String,
    pub buyer_name: String,
    /// `AllowanceType`: always [`SELLER_ISSUED`] for allowances `till` makes.
    pub allowance_type: &'static str,
    pub lines: Vec<AllowanceItem>,
    pub tax_amount: i64,
    pub total_amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowanceItem {
    pub original_invoice_date: String,
    pub original_invoice_number: String,
    pub original_sequence_number: String,
    pub original_description: String,
    pub quantity: u32,
    pub unit_price: String,
    pub amount: i64,
    pub tax: i64,
    pub allowance_sequence_number: String,
}

impl Allowance {
    /// An allowance numbered `number`, made at `at`, refunding `lines` of
    /// `invoice`.
    pub fn new(
        invoice: &Invoice,
        seller: &Seller,
        buyer_name: Option<&str>,
        number: &str,
        at: TaipeiTime,
        lines: &[AllowanceLine],
    ) -> Result<Allowance, MigError> {
        seller.check()?;
        if seller.ban != invoice.seller_ban() {
            return Err(MigError::Format {
                field: "Seller/Identifier",
                reason: "與發票賣方不符 / differs from the invoice's seller".into(),
            });
        }
        check_text("AllowanceNumber", number, ALLOWANCE_NUMBER_MAX)?;
        if !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(MigError::Format {
                field: "AllowanceNumber",
                reason: "只能是英數字 / letters and digits only".into(),
            });
        }
        if at < invoice.issued_at() {
            return Err(MigError::BeforeIssue {
                what: "折讓時間 / the allowance",
            });
        }
        if lines.is_empty() {
            return Err(MigError::AllowanceLine("沒有明細 / no lines".into()));
        }
        if lines.len() > ALLOWANCE_MAX_LINES {
            return Err(MigError::TooManyLines {
                max: ALLOWANCE_MAX_LINES,
            });
        }
        let (buyer_id, buyer_name) = match invoice.buyer_ban() {
            Some(ban) => {
                let name = buyer_name.map(str::trim).filter(|n| !n.is_empty());
                (ban.to_string(), name.unwrap_or(ban).to_string())
            }
            None => (
                CONSUMER_BUYER_ID.to_string(),
                invoice.random_code().as_str().to_string(),
            ),
        };
        check_text("Buyer/Name", &buyer_name, NAME_MAX)?;
        let mut items = Vec::with_capacity(lines.len());
        let (mut tax_amount, mut total_amount) = (Ntd::ZERO, Ntd::ZERO);
        for (i, line) in lines.iter().enumerate() {
            let original = line
                .item
                .checked_sub(1)
                .and_then(|k| invoice.items().get(k))
                .ok_or_else(|| {
                    MigError::AllowanceLine(format!("發票沒有第 {0} 項 / no item {0}", line.item))
                })?;
            let name = &original.name;
            if line.qty == 0 || line.qty > original.qty {
                return Err(MigError::AllowanceLine(format!(
                    "「{name}」數量需為 1–{q} / \"{name}\": quantity must be 1–{q}",
                    q = original.qty
                )));
            }
            if !line.unit_refund.is_positive() || line.unit_refund > original.unit_price {
                return Err(MigError::AllowanceLine(format!(
                    "「{name}」單價折讓需大於 0 且不超過原價 / \
                     \"{name}\": the refund per unit must be more than 0 and at most the price"
                )));
            }
            let refund = line
                .unit_refund
                .checked_mul(i64::from(line.qty))
                .map_err(|_| MigError::Overflow)?;
            let split = refund.tax_split();
            tax_amount = tax_amount
                .checked_add(split.tax)
                .map_err(|_| MigError::Overflow)?;
            total_amount = total_amount
                .checked_add(split.sales)
                .map_err(|_| MigError::Overflow)?;
            items.push(AllowanceItem {
                original_invoice_date: mig_date(invoice.issued_at()),
                original_invoice_number: invoice.number().as_str().to_string(),
                original_sequence_number: format!("{:03}", line.item),
                original_description: name.clone(),
                quantity: line.qty,
                unit_price: decimal_div(split.sales.dollars(), line.qty),
                amount: split.sales.dollars(),
                tax: split.tax.dollars(),
                allowance_sequence_number: format!("{:03}", i + 1),
            });
        }
        Ok(Allowance {
            allowance_number: number.to_string(),
            allowance_date: mig_date(at),
            seller: seller.clone(),
            buyer_id,
            buyer_name,
            allowance_type: SELLER_ISSUED,
            lines: items,
            tax_amount: tax_amount.dollars(),
            total_amount: total_amount.dollars(),
        })
    }

    /// What the customer gets back: untaxed total plus tax.
    pub fn refund(&self) -> Ntd {
        Ntd::new(self.total_amount + self.tax_amount)
    }

    pub fn to_xml(&self) -> Result<String, MigError> {
        let t = MessageType::G0401;
        let mut w = Writer::new(t);
        w.open("Main");
        w.leaf("AllowanceNumber", &self.allowance_number);
        w.leaf("AllowanceDate", &self.allowance_date);
        w.open("Seller");
        w.leaf("Identifier", &self.seller.ban);
        w.leaf("Name", &self.seller.name);
        w.close("Seller");
        w.open("Buyer");
        w.leaf("Identifier", &self.buyer_id);
        w.leaf("Name", &self.buyer_name);
        w.close("Buyer");
        w.leaf("AllowanceType", self.allowance_type);
        w.close("Main");
        w.open("Details");
        for l in &self.lines {
            w.open("ProductItem");
            w.leaf("OriginalInvoiceDate", &l.original_invoice_date);
            w.leaf("OriginalInvoiceNumber", &l.original_invoice_number);
            w.leaf("OriginalSequenceNumber", &l.original_sequence_number);
            w.leaf("OriginalDescription", &l.original_description);
            w.leaf("Quantity", &l.quantity.to_string());
            w.leaf("UnitPrice", &l.unit_price);
            w.leaf("Amount", &l.amount.to_string());
            w.leaf("Tax", &l.tax.to_string());
            w.leaf("AllowanceSequenceNumber", &l.allowance_sequence_number);
            w.leaf("TaxType", "1");
            w.close("ProductItem");
        }
        w.close("Details");
        w.open("Amount");
        w.leaf("TaxAmount", &self.tax_amount.to_string());
        w.leaf("TotalAmount", &self.total_amount.to_string());
        w.close("Amount");
        let xml = w.finish(t);
        super::schema::check(t, &xml)?;
        Ok(xml)
    }
}

/// `amount / qty` as a decimal string rounded half away from zero to 7
/// places, trailing zeros dropped: 857 / 3 → `285.6666667`, 300 / 1 → `300`.
pub(crate) fn decimal_div(amount: i64, qty: u32) -> String {
    const SCALE: i128 = 10_000_000;
    let q = i128::from(qty.max(1));
    let a = i128::from(amount);
    let scaled = (a.abs() * SCALE * 2 + q) / (2 * q);
    let sign = if a < 0 && scaled != 0 { "-" } else { "" };
    let (int, frac) = (scaled / SCALE, scaled % SCALE);
    if frac == 0 {
        format!("{sign}{int}")
    } else {
        let frac = format!("{frac:07}");
        format!("{sign}{int}.{}", frac.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::decimal_div;

    #[test]
    fn unit_prices_are_exact_or_rounded_to_seven_places() {
        assert_eq!(decimal_div(300, 1), "300");
        assert_eq!(decimal_div(857, 3), "285.6666667");
        assert_eq!(decimal_div(95, 2), "47.5");
        assert_eq!(decimal_div(2, 3), "0.6666667");
        assert_eq!(decimal_div(-95, 2), "-47.5");
    }
}
