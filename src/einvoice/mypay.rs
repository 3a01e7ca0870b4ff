//! E-invoices that MyPay issues for us.
//!
//! MyPay's order query answers (and callbacks) carry the invoice it issued:
//! `invoice_wordtrack`, `invoice_number`, `invoice_rand_code`,
//! `invoice_date`, BANs, the ready-made `invoice_left_qrcode`,
//! `invoice_middle_barcode` and `invoice_right_qrcode`, the title and the
//! amounts (`mypay-link-agent-api.txt`, 交易查詢 answer fields and sample;
//! `mypay-manual-2.0.231.txt` §回傳 fields 19–35). We print the codes exactly
//! as given, so before printing we check that they agree with the separate
//! fields: a proof whose barcode names another invoice is worse than none.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Deserializer, Serialize};

use super::invoice::{barcode_content, check_ban_shape};
use super::qr::{LeftQrHeader, NO_BUYER, QrItem, QrParseError, parse_pair};
use super::{FormatError, InvoiceNumber, Period, RandomCode};
use crate::money::Ntd;
use crate::taipei::{self, TaipeiTime};

/// The invoice fields of a MyPay answer, as sent. MyPay mixes strings and
/// numbers (`"invoice_amount": "900"`, `"invoice_title_type": 1`), so every
/// field here takes either.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct MypayInvoiceFields {
    #[serde(deserialize_with = "lenient")]
    pub invoice_state: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_date: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_wordtrack: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_number: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_rand_code: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_seller_ban: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_buyer_ban: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_left_qrcode: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_middle_barcode: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_right_qrcode: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_title_type: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_title: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_amount: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_sales_amount: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_tax_amount: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_order_detail: String,
    /// The buyer's choice as MyPay echoes it (『電子發票開立類型』 1 cloud,
    /// 2 donation, 3 paper; `mypay-link-agent-api.txt` line 3269, sample
    /// near line 1995).
    #[serde(deserialize_with = "lenient")]
    pub invoice_input_type: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_cloud_type: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_mobile_code: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_natural_person: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_love_code: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_tax_id: String,
    #[serde(deserialize_with = "lenient")]
    pub invoice_b2b_id: String,
}

/// Where MyPay's invoice goes, by its `invoice_input_type`
/// (『電子發票開立類型』, `mypay-link-agent-api.txt` line 3269): only a
/// paper invoice (3) is printed by the store; a cloud (1) or donated (2)
/// one has no paper proof.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Delivery {
    /// 3, or not stated (what MyPay did before it echoed a choice).
    #[default]
    Paper,
    /// 1: the buyer's carrier (mobile barcode, citizen certificate, or the
    /// e-mail cloud type 4, shown empty).
    Carrier(String),
    /// 2: donated under this love code.
    Donated(String),
}

impl Delivery {
    fn of(f: &MypayInvoiceFields) -> Delivery {
        match f.invoice_input_type.trim() {
            "1" => Delivery::Carrier(match f.invoice_cloud_type.trim() {
                "3" => f.invoice_natural_person.clone(),
                _ => f.invoice_mobile_code.clone(),
            }),
            "2" => Delivery::Donated(f.invoice_love_code.clone()),
            _ => Delivery::Paper,
        }
    }
}

/// A JSON string, number or null, as text.
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde_json::Value;
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(serde::de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

/// The title printed above 電子發票證明聯 (`invoice_title_type`: 1 text,
/// 2 image URL; 『電子發票紙本列印標題類型』).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Title {
    Text(String),
    ImageUrl(String),
}

/// One line of `invoice_order_detail` (『商品細項』), as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MypayItem {
    #[serde(rename = "Description", deserialize_with = "lenient", default)]
    pub description: String,
    #[serde(rename = "Quantity", deserialize_with = "lenient", default)]
    pub quantity: String,
    #[serde(rename = "UnitPrice", deserialize_with = "lenient", default)]
    pub unit_price: String,
    #[serde(rename = "Amount", deserialize_with = "lenient", default)]
    pub amount: String,
}

/// A MyPay-issued invoice, checked and ready to print. The three code
/// strings are kept verbatim: they are printed as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MypayInvoice {
    /// `invoice_state` (『電子發票開立狀態類型』): 2 issued, 6 allowance made.
    pub state: u8,
    pub number: InvoiceNumber,
    pub random_code: RandomCode,
    pub issued_on: NaiveDate,
    /// When `invoice_date` has a time (`YYYYMMDDHHmmss`, as in the sample).
    pub issued_at: Option<TaipeiTime>,
    pub period: Period,
    pub seller_ban: String,
    pub buyer_ban: Option<String>,
    pub left_qr: String,
    pub middle_barcode: String,
    pub right_qr: String,
    pub title: Option<Title>,
    /// `invoice_amount`, the tax-inclusive total.
    pub total: Ntd,
    /// `invoice_sales_amount` and `invoice_tax_amount` as MyPay states them.
    /// For a consumer invoice MyPay's sample gives sales = total and tax = 0,
    /// while its QR code records the untaxed 857 [doc: sample].
    pub sales_amount: Ntd,
    pub tax: Ntd,
    pub items: Vec<MypayItem>,
    /// The left code, read.
    pub left: LeftQrHeader,
    /// Every item the two codes record.
    pub qr_items: Vec<QrItem>,
    /// Printed, stored in a carrier, or donated.
    #[serde(default)]
    pub delivery: Delivery,
}

impl MypayInvoice {
    /// Whether the store prints a proof (電子發票證明聯) for it.
    pub fn prints_proof(&self) -> bool {
        self.delivery == Delivery::Paper
    }
}

/// Why MyPay's invoice fields cannot be printed as a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MypayInvoiceError {
    NotIssued {
        state: String,
    },
    Voided,
    #[error(transparent)]
    Format(#[from] FormatError),
    Date(String),
    Amount {
        field: &'static str,
        value: String,
    },
    AmountsDisagree {
        sales: Ntd,
        tax: Ntd,
        total: Ntd,
    },
    #[error(transparent)]
    LeftQr(#[from] QrParseError),
    QrMismatch {
        field: &'static str,
        qr: String,
        fields: String,
    },
    BarcodeMismatch {
        barcode: String,
        expected: String,
    },
    ItemCount {
        detail: usize,
        qr: usize,
    },
    OrderDetail(String),
    TitleType(String),
}
impl crate::locale::Localized for MypayInvoiceError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::NotIssued { state } => {
                fill(lang, "words.mypay_invoice.not_issued", &[("state", state)])
            }
            Self::Voided => tr(lang, "words.mypay_invoice.voided"),
            Self::Format(e) => e.message(lang),
            Self::Date(v0) => fill(lang, "words.mypay_invoice.date", &[("value", v0)]),
            Self::Amount { field, value } => fill(
                lang,
                "words.mypay_invoice.amount",
                &[("field", field), ("value", value)],
            ),
            Self::AmountsDisagree { sales, tax, total } => fill(
                lang,
                "words.mypay_invoice.amounts_disagree",
                &[("sales", sales), ("tax", tax), ("total", total)],
            ),
            Self::LeftQr(e) => e.message(lang),
            Self::QrMismatch { field, qr, fields } => fill(
                lang,
                "words.mypay_invoice.qr_mismatch",
                &[("field", field), ("qr", qr), ("fields", fields)],
            ),
            Self::BarcodeMismatch { barcode, expected } => fill(
                lang,
                "words.mypay_invoice.barcode_mismatch",
                &[("barcode", barcode), ("expected", expected)],
            ),
            Self::ItemCount { detail, qr } => fill(
                lang,
                "words.mypay_invoice.item_count",
                &[("detail", detail), ("qr", qr)],
            ),
            Self::OrderDetail(v0) => {
                fill(lang, "words.mypay_invoice.order_detail", &[("value", v0)])
            }
            Self::TitleType(v0) => fill(lang, "words.mypay_invoice.title_type", &[("value", v0)]),
        }
    }
}

crate::display_both!(MypayInvoiceError);

fn mismatch(field: &'static str, qr: impl ToString, fields: impl ToString) -> MypayInvoiceError {
    MypayInvoiceError::QrMismatch {
        field,
        qr: qr.to_string(),
        fields: fields.to_string(),
    }
}

fn amount(field: &'static str, value: &str) -> Result<Ntd, MypayInvoiceError> {
    let bad = || MypayInvoiceError::Amount {
        field,
        value: value.to_string(),
    };
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    v.parse::<i64>().map(Ntd::new).map_err(|_| bad())
}

/// `YYYYMMDD` (the field tables) or `YYYYMMDDHHmmss` (the sample), Taipei.
fn parse_date(s: &str) -> Result<(NaiveDate, Option<TaipeiTime>), MypayInvoiceError> {
    let bad = || MypayInvoiceError::Date(s.to_string());
    match s.len() {
        8 => NaiveDate::parse_from_str(s, "%Y%m%d")
            .map(|d| (d, None))
            .map_err(|_| bad()),
        14 => NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S")
            .map(|t| (t.date(), Some(taipei::from_wall_clock(t))))
            .map_err(|_| bad()),
        _ => Err(bad()),
    }
}

impl MypayInvoice {
    /// Check MyPay's fields against each other and against its codes.
    pub fn from_fields(f: &MypayInvoiceFields) -> Result<MypayInvoice, MypayInvoiceError> {
        let state_text = f.invoice_state.trim();
        match state_text {
            "4" => return Err(MypayInvoiceError::Voided),
            "2" | "6" => {}
            // 0 none, 1 pending, 3/5 failed; or no number yet.
            _ => {
                return Err(MypayInvoiceError::NotIssued {
                    state: state_text.to_string(),
                });
            }
        }
        let state: u8 = state_text.parse().expect("matched above");
        let number =
            InvoiceNumber::from_parts(f.invoice_wordtrack.trim(), f.invoice_number.trim())?;
        let random_code: RandomCode = f.invoice_rand_code.trim().parse()?;
        let (issued_on, issued_at) = parse_date(f.invoice_date.trim())?;
        let period = Period::of(issued_on)?;
        let seller_ban = f.invoice_seller_ban.trim().to_string();
        check_ban_shape(&seller_ban)?;
        let buyer_ban = match f.invoice_buyer_ban.trim() {
            "" | NO_BUYER => None,
            b => {
                check_ban_shape(b)?;
                Some(b.to_string())
            }
        };
        let title = match f.invoice_title_type.trim() {
            _ if f.invoice_title.is_empty() => None,
            "1" | "" => Some(Title::Text(f.invoice_title.clone())),
            "2" => Some(Title::ImageUrl(f.invoice_title.clone())),
            other => return Err(MypayInvoiceError::TitleType(other.to_string())),
        };

        let total = amount("invoice_amount", &f.invoice_amount)?;
        let sales_amount = amount("invoice_sales_amount", &f.invoice_sales_amount)?;
        let tax = amount("invoice_tax_amount", &f.invoice_tax_amount)?;
        if sales_amount.checked_add(tax).ok() != Some(total) {
            return Err(MypayInvoiceError::AmountsDisagree {
                sales: sales_amount,
                tax,
                total,
            });
        }

        // An empty right code holds no items; the proof still prints "**".
        let right = if f.invoice_right_qrcode.is_empty() {
            "**"
        } else {
            f.invoice_right_qrcode.as_str()
        };
        let (left, qr_items) = parse_pair(&f.invoice_left_qrcode, right)?;
        if left.number != number {
            return Err(mismatch("發票號碼 number", &left.number, &number));
        }
        if left.date != issued_on {
            return Err(mismatch("日期 date", left.date, issued_on));
        }
        if left.random_code != random_code {
            return Err(mismatch(
                "隨機碼 random code",
                left.random_code,
                random_code,
            ));
        }
        if left.seller_ban != seller_ban {
            return Err(mismatch(
                "賣方統編 seller BAN",
                &left.seller_ban,
                &seller_ban,
            ));
        }
        if left.buyer_ban != buyer_ban {
            let show = |b: &Option<String>| b.clone().unwrap_or_else(|| NO_BUYER.to_string());
            return Err(mismatch(
                "買方統編 buyer BAN",
                show(&left.buyer_ban),
                show(&buyer_ban),
            ));
        }
        if left.total != total {
            return Err(mismatch(
                "總計額 total",
                left.total.dollars(),
                total.dollars(),
            ));
        }
        // The QR sales amount is untaxed. With tax stated separately (B2B)
        // it must equal MyPay's sales amount. With tax 0 MyPay's sales amount
        // is the tax-inclusive total (sample: 900/0, QR 857), so the QR may
        // hold the 5% split, the total itself (zero-rated or tax-exempt,
        // `invoice_ratetype` 2/3) or 0 ("cannot separate tax", MOF spec).
        // [doc: sample; calc]
        let sales_ok = if tax.is_positive() {
            left.sales_amount == sales_amount
        } else {
            [total.tax_split().sales, total, Ntd::ZERO].contains(&left.sales_amount)
        };
        if !sales_ok {
            return Err(mismatch(
                "銷售額 sales amount",
                left.sales_amount.dollars(),
                sales_amount.dollars(),
            ));
        }

        let expected = barcode_content(period, &number, random_code);
        if f.invoice_middle_barcode != expected {
            return Err(MypayInvoiceError::BarcodeMismatch {
                barcode: f.invoice_middle_barcode.clone(),
                expected,
            });
        }

        let items: Vec<MypayItem> = match f.invoice_order_detail.trim() {
            "" => Vec::new(),
            json => serde_json::from_str(json)
                .map_err(|e| MypayInvoiceError::OrderDetail(e.to_string()))?,
        };
        if !items.is_empty() && items.len() != left.total_items {
            return Err(MypayInvoiceError::ItemCount {
                detail: items.len(),
                qr: left.total_items,
            });
        }

        Ok(MypayInvoice {
            state,
            number,
            random_code,
            issued_on,
            issued_at,
            period,
            seller_ban,
            buyer_ban,
            left_qr: f.invoice_left_qrcode.clone(),
            middle_barcode: f.invoice_middle_barcode.clone(),
            right_qr: right.to_string(),
            title,
            total,
            sales_amount,
            tax,
            items,
            left,
            qr_items,
            delivery: Delivery::of(f),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The invoice fields of the 交易查詢 sample answer in
    /// `mypay-link-agent-api.txt`, verbatim.
    const SAMPLE: &str = r#"{
    "invoice_state": 6,
    "invoice_date": "20211022090918",
    "invoice_wordtrack": "SW",
    "invoice_number": "83037076",
    "invoice_rand_code": "8373",
    "invoice_seller_ban": "28915188",
    "invoice_buyer_ban": "",
    "invoice_left_qrcode": "SW830370761101022837300000359000003840000000028915188Zw9cxaRpHWtRiZAohYOP6g==:**********:3:3:1:好棒棒麻辣鍋湯包:1:1000:",
    "invoice_middle_barcode": "11010SW830370768373",
    "invoice_right_qrcode": "**VIP免費券:1:-50:好食券:1:-50",
    "invoice_title_type": 1,
    "invoice_title": "123",
    "invoice_print_type": 0,
    "invoice_print_device": 0,
    "invoice_amount": "900",
    "invoice_sales_amount": "900",
    "invoice_tax_amount": "0",
    "invoice_order_detail": "[{\"Description\":\"好棒棒麻辣鍋湯包\",\"Quantity\":\"1\",\"UnitPrice\":\"1000\",\"Amount\":\"1000\"},{\"Description\":\"VIP免費券\",\"Quantity\":\"1\",\"UnitPrice\":\"-50\",\"Amount\":\"-50\"},{\"Description\":\"好食券\",\"Quantity\":\"1\",\"UnitPrice\":\"-50\",\"Amount\":\"-50\"}]",
    "invoice_ratetype": 1,
    "invoice_input_type": 2,
    "invoice_love_code": "1234"
    }"#;

    fn sample() -> MypayInvoiceFields {
        serde_json::from_str(SAMPLE).unwrap()
    }

    fn check(
        edit: impl FnOnce(&mut MypayInvoiceFields),
    ) -> Result<MypayInvoice, MypayInvoiceError> {
        let mut f = sample();
        edit(&mut f);
        MypayInvoice::from_fields(&f)
    }

    fn mismatched_field(r: Result<MypayInvoice, MypayInvoiceError>) -> &'static str {
        match r {
            Err(MypayInvoiceError::QrMismatch { field, .. }) => field,
            other => panic!("expected a QR mismatch, got {other:?}"),
        }
    }

    #[test]
    fn the_sample_parses_and_keeps_its_codes_verbatim() {
        let inv = MypayInvoice::from_fields(&sample()).unwrap();
        assert_eq!(inv.state, 6);
        assert_eq!(inv.number.dashed(), "SW-83037076");
        assert_eq!(inv.random_code.as_str(), "8373");
        assert_eq!(inv.period.label_zh(), "110年09-10月");
        assert_eq!(
            inv.issued_at
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            "2021-10-22 09:09:18"
        );
        assert_eq!(inv.seller_ban, "28915188");
        assert_eq!(inv.buyer_ban, None);
        assert_eq!(inv.middle_barcode, "11010SW830370768373");
        assert_eq!(inv.left_qr, sample().invoice_left_qrcode);
        assert_eq!(inv.right_qr, "**VIP免費券:1:-50:好食券:1:-50");
        assert_eq!(inv.title, Some(Title::Text("123".into())));
        assert_eq!(
            (inv.total, inv.sales_amount, inv.tax),
            (Ntd::new(900), Ntd::new(900), Ntd::ZERO)
        );
        assert_eq!(inv.left.sales_amount, Ntd::new(857));
        assert_eq!(inv.items.len(), 3);
        assert_eq!(inv.items[1].unit_price, "-50");
        assert_eq!(inv.qr_items.len(), 3);
    }

    #[test]
    fn a_date_without_time_is_accepted() {
        let inv = check(|f| f.invoice_date = "20211022".into()).unwrap();
        assert_eq!(inv.issued_at, None);
        assert_eq!(
            inv.issued_on,
            NaiveDate::from_ymd_opt(2021, 10, 22).unwrap()
        );
    }

    #[test]
    fn unissued_and_voided_invoices_are_not_printed() {
        for s in ["0", "1", "3", "5", ""] {
            assert!(matches!(
                check(|f| f.invoice_state = s.into()),
                Err(MypayInvoiceError::NotIssued { .. })
            ));
        }
        assert_eq!(
            check(|f| f.invoice_state = "4".into()),
            Err(MypayInvoiceError::Voided)
        );
        assert!(check(|f| f.invoice_state = "2".into()).is_ok());
    }

    #[test]
    fn each_disagreement_with_the_left_code_is_named() {
        // Fields changed, codes kept: each check must notice.
        assert!(
            mismatched_field(check(|f| f.invoice_number = "83037077".into())).contains("number")
        );
        assert!(
            mismatched_field(check(|f| f.invoice_date = "20211023090918".into())).contains("date")
        );
        assert!(
            mismatched_field(check(|f| f.invoice_rand_code = "8374".into())).contains("random")
        );
        assert!(
            mismatched_field(check(|f| f.invoice_seller_ban = "28915189".into()))
                .contains("seller")
        );
        assert!(
            mismatched_field(check(|f| f.invoice_buyer_ban = "04595252".into())).contains("buyer")
        );
        assert!(
            mismatched_field(check(|f| {
                f.invoice_amount = "901".into();
                f.invoice_sales_amount = "901".into();
            }))
            .contains("total")
        );
        // B2B-style split that disagrees with the QR's 857.
        assert!(
            mismatched_field(check(|f| {
                f.invoice_sales_amount = "858".into();
                f.invoice_tax_amount = "42".into();
            }))
            .contains("sales")
        );
        // …and one that agrees.
        assert!(
            check(|f| {
                f.invoice_sales_amount = "857".into();
                f.invoice_tax_amount = "43".into();
            })
            .is_ok()
        );
    }

    #[test]
    fn corrupted_codes_are_refused() {
        let r = check(|f| f.invoice_middle_barcode = "11010SW830370768374".into());
        assert!(matches!(r, Err(MypayInvoiceError::BarcodeMismatch { .. })));
        let r = check(|f| f.invoice_middle_barcode = "11012SW830370768373".into());
        assert!(matches!(r, Err(MypayInvoiceError::BarcodeMismatch { .. })));
        // A left code from another invoice.
        let r = check(|f| {
            f.invoice_left_qrcode = f
                .invoice_left_qrcode
                .replacen("SW83037076", "SW83037075", 1)
        });
        assert!(mismatched_field(r).contains("number"));
        // Hex total changed 0x384 → 0x385.
        let r = check(|f| {
            f.invoice_left_qrcode = f.invoice_left_qrcode.replacen("00000384", "00000385", 1)
        });
        assert!(mismatched_field(r).contains("total"));
        let r = check(|f| f.invoice_left_qrcode.truncate(60));
        assert_eq!(r, Err(MypayInvoiceError::LeftQr(QrParseError::TooShort)));
        let r = check(|f| f.invoice_right_qrcode = "VIP免費券:1:-50:好食券:1:-50".into());
        assert_eq!(r, Err(MypayInvoiceError::LeftQr(QrParseError::RightPrefix)));
        let r = check(|f| f.invoice_right_qrcode = "**VIP免費券:1:-50".into());
        assert!(matches!(
            r,
            Err(MypayInvoiceError::LeftQr(QrParseError::ItemCount { .. }))
        ));
    }

    #[test]
    fn malformed_fields_are_refused() {
        assert!(matches!(
            check(|f| f.invoice_wordtrack = "sw".into()),
            Err(MypayInvoiceError::Format(FormatError::InvoiceNumber(_)))
        ));
        assert!(matches!(
            check(|f| f.invoice_rand_code = "837".into()),
            Err(MypayInvoiceError::Format(FormatError::RandomCode(_)))
        ));
        assert!(matches!(
            check(|f| f.invoice_seller_ban = "2891518".into()),
            Err(MypayInvoiceError::Format(FormatError::Ban(_)))
        ));
        assert!(matches!(
            check(|f| f.invoice_date = "2021-10-22".into()),
            Err(MypayInvoiceError::Date(_))
        ));
        assert!(matches!(
            check(|f| f.invoice_amount = "9OO".into()),
            Err(MypayInvoiceError::Amount { .. })
        ));
        assert!(matches!(
            check(|f| f.invoice_tax_amount = "5".into()),
            Err(MypayInvoiceError::AmountsDisagree { .. })
        ));
        assert!(matches!(
            check(|f| f.invoice_order_detail = "[{".into()),
            Err(MypayInvoiceError::OrderDetail(_))
        ));
        assert_eq!(
            check(|f| f.invoice_order_detail = "[]".into())
                .unwrap()
                .items
                .len(),
            0
        );
        assert!(matches!(
            check(|f| f.invoice_order_detail =
                r#"[{"Description":"x","Quantity":1,"UnitPrice":900,"Amount":900}]"#.into()),
            Err(MypayInvoiceError::ItemCount { detail: 1, qr: 3 })
        ));
        assert_eq!(
            check(|f| f.invoice_title_type = "3".into()),
            Err(MypayInvoiceError::TitleType("3".into()))
        );
        assert_eq!(
            check(|f| f.invoice_title_type = "2".into()).unwrap().title,
            Some(Title::ImageUrl("123".into()))
        );
    }
}
