//! The structure of each message and a pure-Rust check of a message
//! against it, run by every `to_xml` so that the till never hands Turnkey a
//! message it would refuse.
//!
//! The tables follow the MIG 4.x XSDs (`F0401.xsd` … `E0402.xsd`, copies in
//! `../shared/specs/mig-xsd/`, see its `SOURCES.md`): the elements `till`
//! writes, in the XSD's order, with the XSD's lengths, digits and values.
//! Only the elements `till` may write are listed beyond the required ones;
//! an element not listed is refused. Where the tables are stricter than the
//! XSD (an optional element `till` always writes, fewer lines) it is on
//! purpose. The test `tables_agree_with_the_xsds` reads the XSDs and checks
//! every table against them; `.ci/run` also validates sample messages with
//! the XSDs themselves (`shared/tools/mig_validate.py`).

use super::limits::{
    ALLOWANCE_MAX_LINES, ALLOWANCE_NUMBER_MAX, CANCEL_REASON_MAX, DESCRIPTION_MAX,
    INVOICE_MAX_LINES, MAX_RANGES, NAME_MAX,
};
use super::xml::{Node, parse};
use super::{MessageType, MigError};

/// What a leaf's text must look like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// 1..=max characters.
    Text(usize),
    /// 2 capital letters + 8 digits.
    InvoiceNumber,
    /// `YYYYMMDD`.
    Date,
    /// `HH:MM:SS`.
    Time,
    /// 8 digits.
    Ban,
    /// 8 digits, or ten zeros for a consumer.
    BuyerId,
    /// Exactly this many digits.
    Digits(usize),
    /// Exactly this many capital letters (a track, 字軌).
    Letters(usize),
    /// A period: ROC year (3 digits) and its even end month, `11512`.
    Period,
    /// One of these values.
    OneOf(&'static [&'static str]),
    /// A decimal number, optionally signed (`-50`, `0.05`, `12.3456789`),
    /// with at most this many digits in all and after the point (XSD
    /// `totalDigits`, `fractionDigits`).
    Decimal(u32, u32),
}

pub(crate) struct El {
    pub name: &'static str,
    pub min: u32,
    /// `None`: unbounded.
    pub max: Option<u32>,
    pub content: Content,
}

pub(crate) enum Content {
    Leaf(Kind),
    Seq(&'static [El]),
}

const fn req(name: &'static str, k: Kind) -> El {
    El {
        name,
        min: 1,
        max: Some(1),
        content: Content::Leaf(k),
    }
}

const fn opt(name: &'static str, k: Kind) -> El {
    El {
        name,
        min: 0,
        max: Some(1),
        content: Content::Leaf(k),
    }
}

const fn group(name: &'static str, children: &'static [El]) -> El {
    El {
        name,
        min: 1,
        max: Some(1),
        content: Content::Seq(children),
    }
}

const fn many(name: &'static str, max: Option<u32>, children: &'static [El]) -> El {
    El {
        name,
        min: 1,
        max,
        content: Content::Seq(children),
    }
}

/// `RoleDescriptionType`: Identifier, Name, then optional contact fields
/// that `till` does not write \[code\].
const SELLER: &[El] = &[
    req("Identifier", Kind::Ban),
    req("Name", Kind::Text(NAME_MAX)),
];
const BUYER: &[El] = &[
    req("Identifier", Kind::BuyerId),
    req("Name", Kind::Text(NAME_MAX)),
];

/// `xsd:decimal` with `totalDigits` 20, `fractionDigits` 7: amounts,
/// quantities and prices.
const AMOUNT: Kind = Kind::Decimal(20, 7);
/// `totalDigits` 20, `fractionDigits` 0: whole-dollar tax.
const TAX: Kind = Kind::Decimal(20, 0);

const F0401_MAIN: &[El] = &[
    req("InvoiceNumber", Kind::InvoiceNumber),
    req("InvoiceDate", Kind::Date),
    req("InvoiceTime", Kind::Time),
    group("Seller", SELLER),
    group("Buyer", BUYER),
    // BuyerRemark, MainRemark, CustomsClearanceMark, Category, RelateNumber
    // come here in the XSD order; `till` writes none of them.
    req("InvoiceType", Kind::OneOf(&["07", "08"])),
    req("DonateMark", Kind::OneOf(&["0", "1"])),
    opt("CarrierType", Kind::OneOf(&["3J0002", "CQ0001"])),
    opt("CarrierId1", Kind::Text(400)),
    opt("CarrierId2", Kind::Text(400)),
    req("PrintMark", Kind::OneOf(&["Y", "N"])),
    opt("NPOBAN", Kind::Text(10)),
    req("RandomNumber", Kind::Digits(4)),
];

const F0401_ITEM: &[El] = &[
    req("Description", Kind::Text(DESCRIPTION_MAX)),
    req("Quantity", AMOUNT),
    req("UnitPrice", AMOUNT),
    req("TaxType", Kind::OneOf(&["1"])),
    req("Amount", AMOUNT),
    req("SequenceNumber", Kind::Text(4)),
];

const F0401_AMOUNT: &[El] = &[
    req("SalesAmount", AMOUNT),
    req("FreeTaxSalesAmount", AMOUNT),
    req("ZeroTaxSalesAmount", AMOUNT),
    req("TaxType", Kind::OneOf(&["1"])),
    req("TaxRate", Kind::OneOf(&["0.05"])),
    req("TaxAmount", TAX),
    req("TotalAmount", AMOUNT),
];

const F0401: &[El] = &[
    group("Main", F0401_MAIN),
    group(
        "Details",
        &[many(
            "ProductItem",
            Some(INVOICE_MAX_LINES as u32),
            F0401_ITEM,
        )],
    ),
    group("Amount", F0401_AMOUNT),
];

const F0501: &[El] = &[
    req("CancelInvoiceNumber", Kind::InvoiceNumber),
    req("InvoiceDate", Kind::Date),
    req("BuyerId", Kind::BuyerId),
    req("SellerId", Kind::Ban),
    req("CancelDate", Kind::Date),
    req("CancelTime", Kind::Time),
    req("CancelReason", Kind::Text(CANCEL_REASON_MAX)),
    opt("Remark", Kind::Text(200)),
];

const G0401_ITEM: &[El] = &[
    req("OriginalInvoiceDate", Kind::Date),
    req("OriginalInvoiceNumber", Kind::InvoiceNumber),
    req("OriginalSequenceNumber", Kind::Text(4)),
    req("OriginalDescription", Kind::Text(DESCRIPTION_MAX)),
    req("Quantity", AMOUNT),
    req("UnitPrice", AMOUNT),
    req("Amount", AMOUNT),
    req("Tax", TAX),
    req("AllowanceSequenceNumber", Kind::Text(4)),
    req("TaxType", Kind::OneOf(&["1"])),
];

const G0401: &[El] = &[
    group(
        "Main",
        &[
            req("AllowanceNumber", Kind::Text(ALLOWANCE_NUMBER_MAX)),
            req("AllowanceDate", Kind::Date),
            group("Seller", SELLER),
            group("Buyer", BUYER),
            req("AllowanceType", Kind::OneOf(&["1", "2"])),
        ],
    ),
    group(
        "Details",
        &[many(
            "ProductItem",
            Some(ALLOWANCE_MAX_LINES as u32),
            G0401_ITEM,
        )],
    ),
    group(
        "Amount",
        &[req("TaxAmount", TAX), req("TotalAmount", AMOUNT)],
    ),
];

const G0501: &[El] = &[
    req("CancelAllowanceNumber", Kind::Text(ALLOWANCE_NUMBER_MAX)),
    req("AllowanceType", Kind::OneOf(&["1", "2"])),
    req("AllowanceDate", Kind::Date),
    req("BuyerId", Kind::BuyerId),
    req("SellerId", Kind::Ban),
    req("CancelDate", Kind::Date),
    req("CancelTime", Kind::Time),
    req("CancelReason", Kind::Text(CANCEL_REASON_MAX)),
    opt("Remark", Kind::Text(200)),
];

const E0402: &[El] = &[
    group(
        "Main",
        &[
            req("HeadBan", Kind::Ban),
            req("BranchBan", Kind::Ban),
            req("InvoiceType", Kind::OneOf(&["07", "08"])),
            req("YearMonth", Kind::Period),
            req("InvoiceTrack", Kind::Letters(2)),
        ],
    ),
    group(
        "Details",
        &[many(
            "BranchTrackBlankItem",
            Some(MAX_RANGES as u32),
            &[
                req("InvoiceBeginNo", Kind::Digits(8)),
                req("InvoiceEndNo", Kind::Digits(8)),
            ],
        )],
    ),
];

fn children_of(message: MessageType) -> &'static [El] {
    match message {
        MessageType::F0401 => F0401,
        MessageType::F0501 => F0501,
        MessageType::G0401 => G0401,
        MessageType::G0501 => G0501,
        MessageType::E0402 => E0402,
    }
}

/// Check `xml` against the structure of `message`: root and namespace,
/// every element present in order and as often as allowed, nothing
/// unexpected, every leaf well-formed. The error names the element path.
pub fn check(message: MessageType, xml: &str) -> Result<(), MigError> {
    let root = parse(xml)?;
    let fail = |problem: String| MigError::Structure { message, problem };
    if root.name != message.root() {
        return Err(fail(format!(
            "根元素為 {} 應為 {} / root is {}, expected {}",
            root.name,
            message.root(),
            root.name,
            message.root()
        )));
    }
    if root.namespace.as_deref() != Some(message.namespace().as_str()) {
        return Err(fail(format!(
            "命名空間應為 {} / namespace must be {}",
            message.namespace(),
            message.namespace()
        )));
    }
    check_seq(&root, children_of(message), message.root()).map_err(fail)
}

fn check_seq(node: &Node, schema: &[El], path: &str) -> Result<(), String> {
    if !node.text.trim().is_empty() {
        return Err(format!("{path}: unexpected text"));
    }
    let mut i = 0;
    for el in schema {
        let mut count = 0u32;
        while i < node.children.len() && node.children[i].name == el.name {
            count += 1;
            let child = &node.children[i];
            let child_path = format!("{path}/{}", el.name);
            if el.max.is_some_and(|m| count > m) {
                return Err(format!(
                    "{child_path}: more than {} times",
                    el.max.unwrap_or(0)
                ));
            }
            match &el.content {
                Content::Leaf(kind) => {
                    if !child.children.is_empty() {
                        return Err(format!("{child_path}: must be a plain value"));
                    }
                    check_leaf(*kind, &child.text)
                        .map_err(|why| format!("{child_path} = {:?}: {why}", child.text))?;
                }
                Content::Seq(children) => check_seq(child, children, &child_path)?,
            }
            i += 1;
        }
        if count < el.min {
            let found = node
                .children
                .get(i)
                .map(|c| format!(", found {}", c.name))
                .unwrap_or_default();
            return Err(format!(
                "{path}/{}: missing or out of order{found}",
                el.name
            ));
        }
    }
    if let Some(extra) = node.children.get(i) {
        return Err(format!("{path}/{}: unexpected or out of order", extra.name));
    }
    Ok(())
}

fn check_leaf(kind: Kind, s: &str) -> Result<(), String> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match kind {
        Kind::Text(max) => !s.trim().is_empty() && s.chars().count() <= max,
        Kind::InvoiceNumber => {
            let b = s.as_bytes();
            b.len() == 10
                && b[..2].iter().all(u8::is_ascii_uppercase)
                && b[2..].iter().all(u8::is_ascii_digit)
        }
        Kind::Date => digits(s, 8) && chrono::NaiveDate::parse_from_str(s, "%Y%m%d").is_ok(),
        Kind::Time => {
            let b = s.as_bytes();
            b.len() == 8
                && b[2] == b':'
                && b[5] == b':'
                && chrono::NaiveTime::parse_from_str(s, "%H:%M:%S").is_ok()
        }
        Kind::Ban => digits(s, 8),
        Kind::BuyerId => digits(s, 8) || s == super::CONSUMER_BUYER_ID,
        Kind::Digits(n) => digits(s, n),
        Kind::Letters(n) => s.len() == n && s.bytes().all(|b| b.is_ascii_uppercase()),
        Kind::Period => digits(s, 5) && matches!(&s[3..], "02" | "04" | "06" | "08" | "10" | "12"),
        Kind::OneOf(values) => values.contains(&s),
        Kind::Decimal(total, fraction) => {
            let body = s.strip_prefix('-').unwrap_or(s);
            let mut parts = body.splitn(2, '.');
            let int = parts.next().unwrap_or("");
            let frac = parts.next();
            // XSD counts significant digits: leading zeros of the integer
            // part and trailing zeros of the fraction do not count.
            let int_digits = int.trim_start_matches('0').len();
            let frac_digits = frac.map_or(0, |f| f.trim_end_matches('0').len());
            !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
                && frac_digits <= fraction as usize
                && int_digits + frac_digits <= total as usize
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("not a valid {kind:?}"))
    }
}

/// The tables above checked against the XSDs themselves.
#[cfg(test)]
#[path = "schema_xsd_tests.rs"]
mod xsd_tests;
