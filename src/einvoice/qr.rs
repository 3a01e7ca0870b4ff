//! The two QR codes of the proof (電子發票證明聯), and reading a left code
//! back.
//!
//! Layout (MOF 「電子發票證明聯一維及二維條碼規格說明」, quoted in several
//! public implementations [code]; NOTES.md §5):
//!
//! ```text
//! left:  number(10) rocdate(7) random(4) sales(8 hex) total(8 hex)
//!        buyer BAN(8) seller BAN(8) verification(24)          = 77 chars
//!        :merchant area(10) :recorded items :total items :encoding
//!        :name:qty:price …                   (trailing ':' if continued)
//! right: ** name:qty:price:name:qty:price …
//! ```
//!
//! Sureness of the details:
//! - Sales amount (銷售額) is the untaxed amount; the spec text reads "記錄
//!   發票上未稅之金額總計…若營業人銷售系統無法順利將稅項分離計算，則以
//!   00000000記載" [code: spec text quoted in public implementations], and
//!   MyPay's sample B2C invoice (`mypay-link-agent-api.txt`) carries
//!   `00000359` = 857 = NT$900 less 5% tax [calc]. So consumer invoices record
//!   `tax_split().sales` too, not the total.
//! - Hex digits are lower-case, zero-padded (`ToString("x8")` in the MOF
//!   reference source, per a public implementation) [code]; parsing accepts
//!   either case.
//! - "Recorded items" counts the items written in both codes together; the
//!   spec's own example and MyPay's sample are `3:3` with 1 item left and 2
//!   right [doc: MyPay sample; code].
//! - Items that do not fit: "以記載最多可放置於左右兩個二維條碼內容之品目為
//!   原則" (record as many as the two codes hold) [code: spec text; ECPay
//!   announcement 2018-01-17 cites it]. We record a prefix of the items and
//!   drop the rest; the full list is on the platform and the detail slip.
//! - Names must not contain `:` (the spec says avoid it). We replace an ASCII
//!   `:` with the full-width `：` (U+FF1A), which reads the same, and control
//!   characters with a space. [our choice]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::invoice::{Invoice, Item};
use super::period::{parse_roc_date, roc_date};
use super::{InvoiceNumber, RandomCode};
use crate::money::Ntd;
use crate::secret::Secret;

/// Length of the fixed part of the left code.
pub const HEADER_LEN: usize = 77;
/// The merchant area (營業人自行使用區) when unused: ten `*`.
pub const MERCHANT_AREA_UNUSED: &str = "**********";
/// Every right code starts with these two characters.
pub const RIGHT_PREFIX: &str = "**";
/// Buyer BAN field for a consumer.
pub const NO_BUYER: &str = "00000000";

/// Smallest QR version either code may be printed at: version 6 (41×41
/// modules), error correction L. [code: a public implementation citing the MOF
/// spec; NOTES.md §5 gives level L]. Both codes must print at the same size
/// (「大小一致」, MOF spec), so the printer should use one version for both:
/// see [`QrPair::version`].
pub const MIN_QR_VERSION: u8 = 6;

/// Largest QR version `till` prints: version 9 (53×53 modules). [calc, with a
/// guess] A 58 mm printer prints 48 mm = 384 dots (203 dpi, 8 dots/mm) on the
/// 5.7 cm proof. Two codes side by side with 2 mm quiet zones (the rules ask
/// for ≥ 0.2 cm [code]) outside and between them leave 384 − 3 × 16 = 336
/// dots, so each code gets ≤ 168 dots. At 3 dots (0.375 mm) per module, the
/// smallest module we trust a thermal head and a phone camera with [guess],
/// that is ≤ 56 modules: version 9 (53 modules = 159 dots ≈ 2.0 cm, above the
/// 1.5 cm minimum side [code]). ECPay cut its right code to 2 items in 2018
/// because denser codes did not scan, which argues for a low ceiling.
pub const MAX_QR_VERSION: u8 = 9;

/// Byte capacity of QR versions 1–9 at error correction L in byte mode
/// (ISO/IEC 18004 capacity table: data codewords less the 4-bit mode and
/// 8-bit count indicators).
const BYTE_CAPACITY_L: [usize; 9] = [17, 32, 53, 78, 106, 134, 154, 192, 230];

/// Most bytes either code may hold: the capacity of [`MAX_QR_VERSION`] at
/// level L in byte mode, 230 bytes (UTF-8 bytes for encoding 1). A printer
/// that adds an ECI header for UTF-8 needs 2 bytes of it; none of the ESC/POS
/// printers we target do.
pub const QR_MAX_BYTES: usize = BYTE_CAPACITY_L[MAX_QR_VERSION as usize - 1];

/// The fixed IV of the MOF reference encryption source (NOTES.md §5).
const VERIFICATION_IV_B64: &str = "Dt8lyToo17X/XkXaQvihuA==";

/// The smallest version in `MIN_QR_VERSION..=MAX_QR_VERSION` that holds
/// `bytes` bytes at level L; `None` if even the largest does not.
pub fn version_for(bytes: usize) -> Option<u8> {
    (MIN_QR_VERSION..=MAX_QR_VERSION).find(|v| BYTE_CAPACITY_L[*v as usize - 1] >= bytes)
}

/// Chinese encoding parameter (中文編碼參數) of the left code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Encoding {
    Big5,
    Utf8,
    Base64,
}

impl Encoding {
    pub fn code(self) -> char {
        match self {
            Encoding::Big5 => '0',
            Encoding::Utf8 => '1',
            Encoding::Base64 => '2',
        }
    }

    pub fn from_code(s: &str) -> Option<Encoding> {
        match s {
            "0" => Some(Encoding::Big5),
            "1" => Some(Encoding::Utf8),
            "2" => Some(Encoding::Base64),
            _ => None,
        }
    }
}

/// Why QR contents could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    // Never show the key: it signs every invoice of the shop.
    BadKey,
    UnsupportedEncoding(Encoding),
}
impl crate::locale::Localized for QrError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::BadKey => tr(lang, "words.invoice_qr.bad_key"),
            Self::UnsupportedEncoding(v0) => fill(
                lang,
                "words.invoice_qr.unsupported_encoding",
                &[("value_debug", &format!("{v0:?}"))],
            ),
        }
    }
}

crate::display_both!(QrError);

/// The contents of the two codes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrPair {
    pub left: String,
    pub right: String,
    /// Items written in the two codes together.
    pub recorded_items: usize,
    /// Items on the invoice.
    pub total_items: usize,
}

impl QrPair {
    /// The one QR version both codes print at (same size, MOF spec).
    pub fn version(&self) -> u8 {
        version_for(self.left.len().max(self.right.len()))
            .expect("contents() keeps both codes within QR_MAX_BYTES")
    }
}

/// The verification field (加密驗證資訊, 24 chars): base64 of
/// AES-128-CBC-PKCS7(invoice number + random code) with the shop's QR key
/// (32 hex characters from the e-invoice platform) and the spec's fixed IV.
/// NOTES.md §5 [code, calc].
pub fn verification(
    number: &InvoiceNumber,
    random: RandomCode,
    qr_key: &Secret,
) -> Result<String, QrError> {
    use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    let key = key_bytes(qr_key)?;
    let iv = iv_bytes();
    let plain = format!("{number}{random}");
    let cipher = cbc::Encryptor::<aes::Aes128>::new(&key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes());
    Ok(BASE64.encode(cipher))
}

fn key_bytes(qr_key: &Secret) -> Result<[u8; 16], QrError> {
    let text = qr_key.expose().trim();
    if text.len() != 32 {
        return Err(QrError::BadKey);
    }
    let bytes = hex::decode(text).map_err(|_| QrError::BadKey)?;
    bytes.try_into().map_err(|_| QrError::BadKey)
}

fn iv_bytes() -> [u8; 16] {
    BASE64
        .decode(VERIFICATION_IV_B64)
        .expect("constant IV is base64")
        .try_into()
        .expect("constant IV is 16 bytes")
}

/// The 77-character fixed part of the left code.
fn header(invoice: &Invoice, verification: &str) -> String {
    header_fields(
        invoice.number(),
        invoice.issued_on(),
        invoice.random_code(),
        invoice.sales_amount(),
        invoice.total(),
        invoice.buyer_ban(),
        invoice.seller_ban(),
        verification,
    )
}

#[allow(clippy::too_many_arguments)] // the spec's eight fields, in order
fn header_fields(
    number: &InvoiceNumber,
    date: NaiveDate,
    random: RandomCode,
    sales: Ntd,
    total: Ntd,
    buyer: Option<&str>,
    seller: &str,
    verification: &str,
) -> String {
    let h = format!(
        "{number}{}{random}{:08x}{:08x}{}{seller}{verification}",
        roc_date(date).expect("invoice dates are in ROC range"),
        sales.dollars(),
        total.dollars(),
        buyer.unwrap_or(NO_BUYER),
    );
    debug_assert_eq!(h.len(), HEADER_LEN, "{h}");
    h
}

/// An item name made safe for the QR field list: `:` separates fields, so an
/// ASCII colon becomes a full-width `：`; control characters become spaces.
pub fn sanitize_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            ':' => '：',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// `name:qty:unit price`, integers in decimal as given (spec fields 13–15).
fn triple(item: &Item) -> String {
    format!(
        "{}:{}:{}",
        sanitize_name(&item.name),
        item.qty,
        item.unit_price.dollars()
    )
}

/// Both QR contents for `invoice`, items split between them within
/// [`QR_MAX_BYTES`] each.
///
/// Of the splits that record the most items (a prefix of the list), we pick
/// the one whose larger code is smallest, since both print at the size of the
/// larger; the left code always carries the first recorded item, as in the
/// spec's example and MyPay's sample.
pub fn contents(invoice: &Invoice, qr_key: &Secret, encoding: Encoding) -> Result<QrPair, QrError> {
    if encoding != Encoding::Utf8 {
        // The MOF spec says it will keep only UTF-8 in future; Big5 would
        // need an encoder and Base64's scope is unclear. [our choice]
        return Err(QrError::UnsupportedEncoding(encoding));
    }
    let verification = verification(invoice.number(), invoice.random_code(), qr_key)?;
    let header = header(invoice, &verification);
    let triples: Vec<String> = invoice.items().iter().map(triple).collect();
    Ok(split(&header, &triples, encoding, QR_MAX_BYTES))
}

/// Lay out `triples` after `header` within `cap` bytes per code.
fn split(header: &str, triples: &[String], encoding: Encoding, cap: usize) -> QrPair {
    let total = triples.len();
    let head = |recorded: usize| {
        format!(
            "{header}:{MERCHANT_AREA_UNUSED}:{recorded}:{total}:{}",
            encoding.code()
        )
    };
    // prefix[i] = bytes of the first i triples.
    let mut prefix = vec![0usize; total + 1];
    for (i, t) in triples.iter().enumerate() {
        prefix[i + 1] = prefix[i] + t.len();
    }
    // Sizes when the first `k` items are recorded, `s` of them in the left.
    let sizes = |k: usize, s: usize| {
        let in_right = k - s;
        let left = head(k).len()
            + (prefix[s] + s) // ":" before each triple
            + usize::from(in_right > 0); // trailing ":" continues right
        let right = RIGHT_PREFIX.len() + (prefix[k] - prefix[s]) + in_right.saturating_sub(1);
        (left, right)
    };
    for k in (0..=total).rev() {
        let best = (k.min(1)..=k)
            .map(|s| (s, sizes(k, s)))
            .filter(|(_, (l, r))| *l <= cap && *r <= cap)
            .min_by_key(|(s, (l, r))| (*l.max(r), std::cmp::Reverse(*s)));
        if let Some((s, _)) = best {
            let mut left = head(k);
            for t in &triples[..s] {
                left.push(':');
                left.push_str(t);
            }
            if k > s {
                left.push(':');
            }
            let right = format!("{RIGHT_PREFIX}{}", triples[s..k].join(":"));
            debug_assert_eq!((left.len(), right.len()), sizes(k, s));
            return QrPair {
                left,
                right,
                recorded_items: k,
                total_items: total,
            };
        }
    }
    unreachable!("the header alone always fits: {} bytes", head(total).len())
}

/// One item as a QR code records it. Quantity and price stay text: other
/// issuers write decimals (`35.00`), and names may be Big5 or Base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrItem {
    pub name: String,
    pub qty: String,
    pub unit_price: String,
}

/// What a left QR code says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftQrHeader {
    pub number: InvoiceNumber,
    pub date: NaiveDate,
    pub random_code: RandomCode,
    /// Untaxed sales amount; zero when the issuer did not separate tax.
    pub sales_amount: Ntd,
    pub total: Ntd,
    /// `None` for `00000000` (a consumer).
    pub buyer_ban: Option<String>,
    pub seller_ban: String,
    /// The 24-character verification field, as printed.
    pub verification: String,
    pub merchant_area: String,
    pub recorded_items: usize,
    pub total_items: usize,
    pub encoding: Encoding,
    /// Items complete in the left code alone.
    pub items: Vec<QrItem>,
}

impl LeftQrHeader {
    /// Whether the verification field was made with `qr_key` (the shop's own
    /// key: a check on our printing, or on a gateway's).
    pub fn verification_matches(&self, qr_key: &Secret) -> Result<bool, QrError> {
        Ok(verification(&self.number, self.random_code, qr_key)? == self.verification)
    }
}

/// Why a QR text is not a valid e-invoice code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrParseError {
    TooShort,
    Field { field: &'static str, value: String },
    Missing(&'static str),
    RightPrefix,
    ItemCount { expected: usize, found: usize },
}
impl crate::locale::Localized for QrParseError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::TooShort => tr(lang, "words.invoice_qr_parse.too_short"),
            Self::Field { field, value } => fill(
                lang,
                "words.invoice_qr_parse.field",
                &[("field", field), ("value", value)],
            ),
            Self::Missing(v0) => fill(lang, "words.invoice_qr_parse.missing", &[("value", v0)]),
            Self::RightPrefix => tr(lang, "words.invoice_qr_parse.right_prefix"),
            Self::ItemCount { expected, found } => fill(
                lang,
                "words.invoice_qr_parse.item_count",
                &[("found", found), ("expected", expected)],
            ),
        }
    }
}

crate::display_both!(QrParseError);

fn field_err(field: &'static str, value: &str) -> QrParseError {
    QrParseError::Field {
        field,
        value: value.to_string(),
    }
}

fn hex_amount(field: &'static str, s: &str) -> Result<Ntd, QrParseError> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(field_err(field, s));
    }
    let v = u32::from_str_radix(s, 16).map_err(|_| field_err(field, s))?;
    Ok(Ntd::new(i64::from(v)))
}

fn ban(field: &'static str, s: &str) -> Result<String, QrParseError> {
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err(field_err(field, s))
    }
}

/// Read a left QR code: the 77-character header, the four `:` fields after
/// it, and the items complete in it.
pub fn parse_left_qr(text: &str) -> Result<LeftQrHeader, QrParseError> {
    if text.len() < HEADER_LEN {
        return Err(QrParseError::TooShort);
    }
    // The 77 characters are all ASCII, so they are also 77 bytes.
    if !text.is_char_boundary(HEADER_LEN) || !text[..HEADER_LEN].is_ascii() {
        let shown: String = text.chars().take(HEADER_LEN).collect();
        return Err(field_err("固定欄位 header", &shown));
    }
    let (h, rest) = text.split_at(HEADER_LEN);
    let number = h[..10]
        .parse()
        .map_err(|_| field_err("發票號碼 invoice number", &h[..10]))?;
    let date = parse_roc_date(&h[10..17]).map_err(|_| field_err("日期 date", &h[10..17]))?;
    let random_code = h[17..21]
        .parse()
        .map_err(|_| field_err("隨機碼 random code", &h[17..21]))?;
    let sales_amount = hex_amount("銷售額 sales amount", &h[21..29])?;
    let total = hex_amount("總計額 total", &h[29..37])?;
    let buyer = ban("買方統編 buyer BAN", &h[37..45])?;
    let seller_ban = ban("賣方統編 seller BAN", &h[45..53])?;
    let verification = &h[53..77];
    match BASE64.decode(verification) {
        Ok(bytes) if bytes.len() == 16 => {}
        _ => return Err(field_err("加密驗證 verification", verification)),
    }

    let rest = rest
        .strip_prefix(':')
        .ok_or(QrParseError::Missing("營業人自行使用區 merchant area"))?;
    let mut fields = rest.split(':');
    let merchant_area = fields
        .next()
        .ok_or(QrParseError::Missing("營業人自行使用區 merchant area"))?;
    let mut count = |name: &'static str| -> Result<usize, QrParseError> {
        let v = fields.next().ok_or(QrParseError::Missing(name))?;
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(field_err(name, v));
        }
        v.parse().map_err(|_| field_err(name, v))
    };
    let recorded_items = count("記載品目筆數 recorded items")?;
    let total_items = count("品目總筆數 total items")?;
    let enc = fields
        .next()
        .ok_or(QrParseError::Missing("中文編碼參數 encoding"))?;
    let encoding =
        Encoding::from_code(enc).ok_or_else(|| field_err("中文編碼參數 encoding", enc))?;
    let item_fields: Vec<&str> = fields.collect();
    let items = triples_of(&item_fields, recorded_items);

    Ok(LeftQrHeader {
        number,
        date,
        random_code,
        sales_amount,
        total,
        buyer_ban: (buyer != NO_BUYER).then_some(buyer),
        seller_ban,
        verification: verification.to_string(),
        merchant_area: merchant_area.to_string(),
        recorded_items,
        total_items,
        encoding,
        items,
    })
}

/// Up to `limit` complete `name:qty:price` triples; a trailing part (an
/// item continued in the right code, or the optional 補充說明) is left out.
fn triples_of(fields: &[&str], limit: usize) -> Vec<QrItem> {
    fields
        .chunks_exact(3)
        .take(limit)
        .map(|c| QrItem {
            name: c[0].to_string(),
            qty: c[1].to_string(),
            unit_price: c[2].to_string(),
        })
        .collect()
}

/// Read both codes: the left header and every recorded item, left then right.
pub fn parse_pair(left: &str, right: &str) -> Result<(LeftQrHeader, Vec<QrItem>), QrParseError> {
    let header = parse_left_qr(left)?;
    let body = right
        .strip_prefix(RIGHT_PREFIX)
        .ok_or(QrParseError::RightPrefix)?;
    // Items on the left: everything after the 4th ':' field of the tail.
    let tail = &left[HEADER_LEN..];
    let left_items = tail.splitn(6, ':').nth(5).unwrap_or("");
    let left_items = left_items.strip_suffix(':').unwrap_or(left_items);
    let right_items = body.strip_prefix(':').unwrap_or(body);
    let joined: Vec<&str> = [left_items, right_items]
        .into_iter()
        .filter(|s| !s.is_empty())
        .flat_map(|s| s.split(':'))
        .collect();
    let items = triples_of(&joined, header.recorded_items);
    if items.len() != header.recorded_items {
        return Err(QrParseError::ItemCount {
            expected: header.recorded_items,
            found: items.len(),
        });
    }
    Ok((header, items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::einvoice::invoice::tests::{at, mypay_sample};
    use proptest::prelude::*;

    const NOTES_KEY: &str = "05D4A324ABAF4A570E64E572221E438B";

    fn key() -> Secret {
        Secret::new(NOTES_KEY)
    }

    #[test]
    fn verification_matches_the_notes_vector() {
        let v = verification(
            &"AA12345678".parse().unwrap(),
            "1234".parse().unwrap(),
            &key(),
        )
        .unwrap();
        assert_eq!(v, "D17/hvwEUj0+LhzQ9Og4gQ==");
    }

    #[test]
    fn verification_matches_an_independent_vector() {
        // calvertyang/EInvoice-QR-Encryptor README (spec v1.6); re-checked
        // with `openssl enc -aes-128-cbc`.
        let v = verification(
            &"AA12345678".parse().unwrap(),
            "1234".parse().unwrap(),
            &Secret::new("FE0F50D87215F625D1248F5FDAEBA37F"),
        )
        .unwrap();
        assert_eq!(v, "73UqXrAk5DsVNv2VEvIFkQ==");
    }

    #[test]
    fn bad_keys_are_refused_without_showing_them() {
        for bad in [
            "",
            "05D4A324",
            "05D4A324ABAF4A570E64E572221E438G",
            "05D4A324ABAF4A570E64E572221E438B00",
        ] {
            let err = verification(
                &"AA12345678".parse().unwrap(),
                "1234".parse().unwrap(),
                &Secret::new(bad),
            )
            .unwrap_err();
            assert_eq!(err, QrError::BadKey);
            if !bad.is_empty() {
                assert!(!err.to_string().contains(bad));
                assert!(!format!("{err:?}").contains(bad));
            }
        }
    }

    #[test]
    fn header_matches_an_independent_example() {
        // calvertyang/EInvoice-QR-Encryptor README: sales 100, total 100,
        // buyer and seller 00000000, issued 104-05-11.
        let h = header_fields(
            &"AA12345678".parse().unwrap(),
            NaiveDate::from_ymd_opt(2015, 5, 11).unwrap(),
            "1234".parse().unwrap(),
            Ntd::new(100),
            Ntd::new(100),
            None,
            "00000000",
            "73UqXrAk5DsVNv2VEvIFkQ==",
        );
        assert_eq!(
            h,
            "AA12345678104051112340000006400000064000000000000000073UqXrAk5DsVNv2VEvIFkQ=="
        );
    }

    #[test]
    fn mypay_sample_reproduces_apart_from_its_key_and_split() {
        // MyPay's own left code, verification aside (we lack their key):
        // SW83037076 1101022 8373 00000359 00000384 00000000 28915188 …
        let inv = mypay_sample();
        let pair = contents(&inv, &key(), Encoding::Utf8).unwrap();
        assert!(
            pair.left
                .starts_with("SW830370761101022837300000359000003840000000028915188")
        );
        let v = verification(inv.number(), inv.random_code(), &key()).unwrap();
        assert_eq!(v, "rXIWi2aNpKjzmW4eG6QKUg=="); // openssl, same key and IV
        assert_eq!(&pair.left[53..77], v);
        // All three fit in one code, but the left keeps only what balances
        // the pair: the first item, then ':' to continue.
        assert_eq!(
            &pair.left[77..],
            ":**********:3:3:1:好棒棒麻辣鍋湯包:1:1000:"
        );
        assert_eq!(pair.right, "**VIP免費券:1:-50:好食券:1:-50");
        assert_eq!((pair.recorded_items, pair.total_items), (3, 3));
        assert_eq!(pair.version(), MIN_QR_VERSION);
    }

    #[test]
    fn buyer_ban_goes_in_the_header() {
        let inv = Invoice::new(
            "AB12345678".parse().unwrap(),
            "0042".parse().unwrap(),
            at(2026, 12, 31, 23, 59, 59),
            "28915188",
            Some("04595252"),
            vec![Item::new("紙", 2, Ntd::new(105)).unwrap()],
        )
        .unwrap();
        let pair = contents(&inv, &key(), Encoding::Utf8).unwrap();
        // 210 → 200 + 10: 0xc8, 0xd2.
        assert_eq!(
            &pair.left[..53],
            "AB1234567811512310042000000c8000000d20459525228915188"
        );
        let h = parse_left_qr(&pair.left).unwrap();
        assert_eq!(h.buyer_ban.as_deref(), Some("04595252"));
        assert_eq!(pair.right, "**");
        assert_eq!(&pair.left[77..], ":**********:1:1:1:紙:2:105");
    }

    #[test]
    fn colons_in_names_become_full_width() {
        assert_eq!(sanitize_name("A:B\nC"), "A：B C");
        let inv = Invoice::new(
            "AB12345678".parse().unwrap(),
            "0042".parse().unwrap(),
            at(2026, 5, 1, 10, 0, 0),
            "28915188",
            None,
            vec![
                Item::new("套餐:大", 1, Ntd::new(120)).unwrap(),
                Item::new("湯:小:熱", 1, Ntd::new(40)).unwrap(),
            ],
        )
        .unwrap();
        let pair = contents(&inv, &key(), Encoding::Utf8).unwrap();
        let (_, items) = parse_pair(&pair.left, &pair.right).unwrap();
        let names: Vec<_> = items.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["套餐：大", "湯：小：熱"]);
    }

    #[test]
    fn only_utf8_is_printed() {
        for enc in [Encoding::Big5, Encoding::Base64] {
            assert_eq!(
                contents(&mypay_sample(), &key(), enc),
                Err(QrError::UnsupportedEncoding(enc))
            );
        }
    }

    fn invoice_with(items: Vec<Item>) -> Invoice {
        Invoice::new(
            "AB12345678".parse().unwrap(),
            "1234".parse().unwrap(),
            at(2026, 5, 1, 10, 0, 0),
            "28915188",
            None,
            items,
        )
        .unwrap()
    }

    #[test]
    fn a_long_list_records_what_fits_and_says_so() {
        let items: Vec<Item> = (0..40)
            .map(|i| Item::new(&format!("商品{i:02}"), 1, Ntd::new(10)).unwrap())
            .collect();
        let pair = contents(&invoice_with(items), &key(), Encoding::Utf8).unwrap();
        assert!(pair.left.len() <= QR_MAX_BYTES && pair.right.len() <= QR_MAX_BYTES);
        assert_eq!(pair.total_items, 40);
        assert!(pair.recorded_items < 40);
        let (h, items) = parse_pair(&pair.left, &pair.right).unwrap();
        assert_eq!(h.recorded_items, pair.recorded_items);
        assert_eq!(h.total_items, 40);
        assert_eq!(items.len(), pair.recorded_items);
        // "商品NN:1:10" is 8 + 5 = 13 bytes, 14 with its ':'. The left head
        // is 77 + ":**********:25:40:1" = 96, so the left holds 9 items
        // (96 + 9×14 + 1 = 223 ≤ 230) and the right 16 (2 + 16×13 + 15 = 225).
        assert_eq!(pair.recorded_items, 25);
        assert_eq!(items[24].name, "商品24");
        assert_eq!(pair.version(), MAX_QR_VERSION);
    }

    #[test]
    fn split_stops_exactly_at_capacity() {
        // Header "H"×77; with under 10 items the left starts with
        // 77 + ":**********:k:n:1" = 94 bytes.
        let header = "H".repeat(HEADER_LEN);
        let t = |item: &str, n| vec![item.to_string(); n];

        // 10-byte items, each 11 with its ':'. Cap 116 = 94 + 2×11 holds both
        // in the left alone (116 | 2), but one each side (106 | 12) is the
        // smaller pair.
        let p = split(&header, &t("ab:1:12345", 2), Encoding::Utf8, 116);
        assert_eq!(
            (p.recorded_items, p.left.len(), p.right.len()),
            (2, 106, 12)
        );
        assert_eq!(p.right, "**ab:1:12345");
        // Cap 105: one item fits the left exactly, but continuing to the
        // right needs the trailing ':' (106). Cap 104: nothing fits.
        let p = split(&header, &t("ab:1:12345", 2), Encoding::Utf8, 105);
        assert_eq!(
            (p.recorded_items, p.left.len(), p.right.as_str()),
            (1, 105, "**")
        );
        let p = split(&header, &t("ab:1:12345", 2), Encoding::Utf8, 104);
        assert_eq!(
            (p.recorded_items, p.left.len(), p.right.as_str()),
            (0, 94, "**")
        );
        assert!(p.left.ends_with(":**********:0:2:1"));

        // 20-byte items, 9 of them, cap 116: the left holds 1 and its ':'
        // (94 + 21 + 1 = 116, exactly); the right holds 5 (2 + 5×20 + 4 =
        // 106); a 6th would need 127. So 6 of 9.
        let p = split(&header, &t("abcdefghijklm:1:1234", 9), Encoding::Utf8, 116);
        assert_eq!((p.recorded_items, p.total_items), (6, 9));
        assert_eq!((p.left.len(), p.right.len()), (116, 106));
        // One byte less and the left cannot continue: 1 of 9.
        let p = split(&header, &t("abcdefghijklm:1:1234", 9), Encoding::Utf8, 115);
        assert_eq!(
            (p.recorded_items, p.left.len(), p.right.as_str()),
            (1, 115, "**")
        );
    }

    #[test]
    fn long_chinese_names_are_counted_in_utf8_bytes() {
        // 40 CJK chars = 120 bytes; "name:1:99" = 125 bytes.
        let name = "臺".repeat(40);
        let items: Vec<Item> = (0..3)
            .map(|_| Item::new(&name, 1, Ntd::new(99)).unwrap())
            .collect();
        let pair = contents(&invoice_with(items), &key(), Encoding::Utf8).unwrap();
        // Left: 94 + 1 + 125 + 1 = 221 ≤ 230. Right: 2 + 125 = 127; a second
        // one would need 253. So 2 of 3.
        assert_eq!((pair.recorded_items, pair.total_items), (2, 3));
        assert_eq!(pair.left.len(), 221);
        assert_eq!(pair.right.len(), 127);
        assert!(pair.left.chars().count() < pair.left.len());
    }

    #[test]
    fn malformed_left_codes_say_which_field() {
        let good = "SW830370761101022837300000359000003840000000028915188Zw9cxaRpHWtRiZAohYOP6g==:**********:3:3:1:好棒棒麻辣鍋湯包:1:1000:";
        assert!(parse_left_qr(good).is_ok());
        let swap = |at: usize, with: &str| {
            let mut s = good.to_string();
            s.replace_range(at..at + with.len(), with);
            s
        };
        let field_of = |s: &str| match parse_left_qr(s) {
            Err(QrParseError::Field { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert!(field_of(&swap(0, "s")).contains("invoice number"));
        assert!(field_of(&swap(13, "13")).contains("date"));
        assert!(field_of(&swap(17, "x")).contains("random"));
        assert!(field_of(&swap(21, "g")).contains("sales"));
        assert!(field_of(&swap(29, "-")).contains("total"));
        assert!(field_of(&swap(37, "a")).contains("buyer"));
        assert!(field_of(&swap(45, "a")).contains("seller"));
        assert!(field_of(&swap(53, "!")).contains("verification"));
        assert!(field_of(&swap(89, "x")).contains("recorded"));
        assert!(field_of(&swap(93, "7")).contains("encoding"));
        assert_eq!(parse_left_qr(&good[..76]), Err(QrParseError::TooShort));
        assert!(field_of(&good.replacen("SW8303", "好830", 1)).contains("header"));
        assert!(matches!(
            parse_left_qr(&good[..77]),
            Err(QrParseError::Missing(_))
        ));
        assert!(matches!(
            parse_left_qr(&good[..90]),
            Err(QrParseError::Missing(_))
        ));
        assert_eq!(
            parse_pair(good, "VIP免費券:1:-50"),
            Err(QrParseError::RightPrefix)
        );
        assert_eq!(
            parse_pair(good, "**VIP免費券:1:-50"),
            Err(QrParseError::ItemCount {
                expected: 3,
                found: 2
            })
        );
    }

    #[test]
    fn mypay_sample_codes_parse() {
        let left = "SW830370761101022837300000359000003840000000028915188Zw9cxaRpHWtRiZAohYOP6g==:**********:3:3:1:好棒棒麻辣鍋湯包:1:1000:";
        let (h, items) = parse_pair(left, "**VIP免費券:1:-50:好食券:1:-50").unwrap();
        assert_eq!(h.number.as_str(), "SW83037076");
        assert_eq!(h.date, NaiveDate::from_ymd_opt(2021, 10, 22).unwrap());
        assert_eq!(h.random_code.as_str(), "8373");
        assert_eq!((h.sales_amount, h.total), (Ntd::new(857), Ntd::new(900)));
        assert_eq!(h.buyer_ban, None);
        assert_eq!(h.seller_ban, "28915188");
        assert_eq!(h.merchant_area, MERCHANT_AREA_UNUSED);
        assert_eq!((h.recorded_items, h.total_items), (3, 3));
        assert_eq!(h.encoding, Encoding::Utf8);
        assert_eq!(h.items.len(), 1);
        assert_eq!(items.len(), 3);
        assert_eq!(items[2].name, "好食券");
        assert_eq!(items[2].unit_price, "-50");
    }

    fn arb_item() -> impl Strategy<Value = Item> {
        ("[a-z0-9:臺灣茶飯湯 ]{1,40}", 1u32..=999, -50i64..=5_000)
            .prop_filter_map("needs a name", |(n, q, p)| {
                Item::new(&n, q, Ntd::new(p)).ok()
            })
    }

    proptest! {
        #[test]
        fn contents_hold_their_promises(
            items in proptest::collection::vec(arb_item(), 1..30),
            buyer in proptest::option::of("[1-9][0-9]{7}"),
            random in 0u16..=9999,
        ) {
            let total: i64 = items.iter().map(|i| i.amount.dollars()).sum();
            prop_assume!(total > 0);
            let inv = Invoice::new(
                "XY00000001".parse().unwrap(),
                RandomCode::from_number(random).unwrap(),
                at(2026, 12, 31, 23, 0, 0),
                "28915188",
                buyer.as_deref(),
                items.clone(),
            ).unwrap();
            let pair = contents(&inv, &key(), Encoding::Utf8).unwrap();
            prop_assert!(pair.left.is_char_boundary(HEADER_LEN));
            prop_assert!(pair.left[..HEADER_LEN].is_ascii());
            prop_assert_eq!(pair.left.as_bytes()[HEADER_LEN], b':');
            prop_assert!(pair.left.len() <= QR_MAX_BYTES);
            prop_assert!(pair.right.len() <= QR_MAX_BYTES);
            prop_assert!(pair.right.starts_with(RIGHT_PREFIX));

            let h = parse_left_qr(&pair.left).unwrap();
            prop_assert_eq!(&h.number, inv.number());
            prop_assert_eq!(h.date, inv.issued_on());
            prop_assert_eq!(h.random_code, inv.random_code());
            prop_assert_eq!(h.sales_amount, inv.sales_amount());
            prop_assert_eq!(h.total, inv.total());
            prop_assert_eq!(h.buyer_ban.as_deref(), inv.buyer_ban());
            prop_assert_eq!(h.seller_ban.as_str(), inv.seller_ban());
            prop_assert!(h.verification_matches(&key()).unwrap());
            prop_assert_eq!(h.total_items, items.len());

            let (h, recorded) = parse_pair(&pair.left, &pair.right).unwrap();
            prop_assert_eq!(recorded.len(), h.recorded_items);
            prop_assert_eq!(h.recorded_items, pair.recorded_items);
            prop_assert!(h.items.len() <= recorded.len());
            for (q, i) in recorded.iter().zip(&items) {
                prop_assert_eq!(&q.name, &sanitize_name(&i.name));
                prop_assert_eq!(&q.qty, &i.qty.to_string());
                prop_assert_eq!(&q.unit_price, &i.unit_price.dollars().to_string());
            }
            // Dropping items happens only when the next one cannot fit.
            // Checked by building every layout of one more item.
            if pair.recorded_items < items.len() {
                let k = pair.recorded_items + 1;
                let ts: Vec<String> = items[..k].iter().map(triple).collect();
                let head = format!("{}:{MERCHANT_AREA_UNUSED}:{k}:{}:1", &pair.left[..HEADER_LEN], items.len());
                for s in 1..=k {
                    let mut left = head.clone();
                    for t in &ts[..s] {
                        left += &format!(":{t}");
                    }
                    if s < k {
                        left += ":";
                    }
                    let right = format!("**{}", ts[s..].join(":"));
                    prop_assert!(left.len() > QR_MAX_BYTES || right.len() > QR_MAX_BYTES);
                }
            }
        }
    }
}
