//! What a scanned string is.
//!
//! [`classify`] turns the text a scanner typed into a [`Scanned`] value or an
//! [`Unrecognised`] reason the cashier can act on. Surrounding whitespace
//! and control characters (CR, LF, STX/ETX framing) are stripped first.
//!
//! # Formats
//!
//! | scan | format | source |
//! | --- | --- | --- |
//! | JKoPay CardToken | `22` + 16 of `0-9 A-Z` (18) | `jkopay-pos-payment.txt` (CardToken "2碼固定值"22" + 16碼亂數字串", sample `22J111111111111111`) |
//! | other wallets | see [Wallet codes](#wallet-codes) | |
//! | mobile barcode 手機條碼 | `/` + 7 of `0-9 A-Z . + -` | `NOTES.md` §5 |
//! | citizen certificate 自然人憑證 | 2 letters + 14 digits | `NOTES.md` §5 |
//! | love code 捐贈碼 | 3–7 digits | `NOTES.md` §5 |
//! | buyer BAN 統一編號 | 8 digits, checksum | `NOTES.md` §5 |
//! | product | EAN-13, UPC-A (12), EAN-8 with a valid check digit | GS1 |
//! | our receipt | `TL` + sale number, e.g. `TLT0126112200042` | `sale::trade_no` |
//!
//! # Wallet codes
//!
//! The codes a customer shows at the counter for the wallets MyPay takes in
//! person. Only JKoPay's is documented by the vendor we integrate; the rest
//! come from the wallets' own public documents or from samples.
//!
//! | wallet | code | source | sureness |
//! | --- | --- | --- | --- |
//! | JKoPay 街口 | `22` + 16 of `0-9 A-Z` | `jkopay-pos-payment.txt`; `mypay-manual-2.0.231.txt` JKOOFF sample is the same | length and prefix \[doc\]; upper-case alphabet \[guess, one sample\] |
//! | WeChat Pay 微信 | 18 digits starting `10`–`15` | WeChat Pay micropay API (pay.weixin.qq.com, micropay chapter 5_1) as quoted by several independent posts; `mypay-manual-2.0.231.txt` sample `134507721102798524` fits | \[2nd\] |
//! | Alipay 支付寶 | 16–24 digits starting `25`–`30` | Alipay open docs 194/106039 as quoted by several independent posts | \[2nd\] |
//! | LINE Pay | 18 (TW; JP 19, TH 12) | LINE Pay Offline API reference (developers.line.biz), `oneTimeKey` | length \[doc\]; all digits and any prefix \[guess\]: MyPay's sample `314818461832250045` is the only TW code seen |
//! | Pi 拍錢包 | `PI` + 16 of `0-9 A-Z` | `mypay-manual-2.0.231.txt` sample `PI7E3A60BD8C8F23F7` | \[guess, one sample\] |
//! | 悠遊付 EasyWallet | unknown; one third-party sample is 20 digits (`998…`) | a POS vendor's API page (private-api-docs.wixtar.com) | \[guess\] |
//!
//! Because LINE Pay's Taiwanese prefix is unknown, every 18-digit code
//! could be LINE Pay. Where the format cannot tell wallets apart `classify`
//! says so with [`Wallet::Unidentified`] and the candidates, and the
//! terminal routes the code to MyPay's OFFLINE auto-detect (pfn 98,
//! `mypay-manual-2.0.231.txt`).
//!
//! | digits | candidates |
//! | --- | --- |
//! | 18, starting `10`–`15` | WeChat Pay, LINE Pay |
//! | 18, starting `22` | JKoPay (a token without letters), LINE Pay |
//! | 18, starting `25`–`30` | Alipay, LINE Pay |
//! | 18, any other start | LINE Pay, EasyWallet |
//! | 16–24 but not 18, starting `25`–`30` | Alipay (identified) |
//! | 17 or 19, starting `10`–`15` or `22` | refused: a WeChat Pay / JKoPay code missing or gaining a digit |
//! | 16–24 otherwise | EasyWallet (unidentified: its format is a guess) |
//!
//! # Ambiguities the context settles
//!
//! [`ScanContext`] says where the till is when the scan arrives; it is used
//! only here:
//!
//! | scan | `Selling` / `Refund` | `Tendering` | `BuyerChoice` |
//! | --- | --- | --- | --- |
//! | 8 digits, valid EAN-8 and valid BAN | product | BAN | BAN |
//! | 8 digits, valid EAN-8 only | product | product | refused (bad BAN) |
//! | 8 digits, valid BAN only | BAN | BAN | BAN |
//! | 8 digits, neither | refused: EAN-8 check digit | refused: BAN checksum | refused: BAN checksum |
//! | 3–7 digits | refused | refused | love code |
//!
//! Everything else classifies the same in every context: wallet codes while
//! selling are still wallet codes (the terminal may jump to tendering), and
//! a receipt code means a reprint or refund wherever it is scanned.
//!
//! A sale number cannot be mistaken for anything else: terminal ids start
//! with a letter (`sale::trade_no`), so `TL` codes never look like a
//! citizen certificate (which has digits from the 3rd character on).
//!
//! # Never echoing payment codes
//!
//! Errors never repeat the scanned text, and `Display` / `Debug` of
//! [`Scanned`] show payment codes only through [`mask_payment_code`], so
//! both can go to logs.

use std::fmt;

use crate::locale::Lang;

use crate::einvoice::buyer::{
    Ban, BanError, CitizenCertificate, CitizenCertificateError, LoveCode, MobileCarrier,
    MobileCarrierError,
};
use crate::sale::{ReceiptCode, Wallet};

/// Longer than any code the till takes (Alipay's 24) with room for
/// whatever a future wallet adds; anything longer is two scans run
/// together or a QR code meant for something else.
pub const MAX_SCAN_LEN: usize = 64;

/// Length of a JKoPay CardToken (`jkopay-pos-payment.txt`).
pub const JKOPAY_CARD_TOKEN_LEN: usize = 18;

/// A payment code as it may appear in logs and on receipts: the first 4 and
/// last 2 characters, the rest as `*`. Codes of 8 characters or fewer are
/// masked entirely but for their length, since 6 shown characters would
/// reveal most of them.
pub fn mask_payment_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let n = chars.len();
    if n <= 8 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(n);
    out.extend(&chars[..4]);
    out.extend(std::iter::repeat_n('*', n - 6));
    out.extend(&chars[n - 2..]);
    out
}

/// Where the till is when a scan arrives. Used only to settle the
/// ambiguities listed in the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanContext {
    /// Ringing up items.
    Selling,
    /// Taking payment.
    Tendering,
    /// Asking how the buyer wants the e-invoice (carrier, donation, BAN).
    BuyerChoice,
    /// Taking back items.
    Refund,
}

// ---------------------------------------------------------------------------
// Product codes

/// The symbology of a product code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GtinKind {
    Ean13,
    UpcA,
    Ean8,
}

impl GtinKind {
    pub fn digits(self) -> usize {
        match self {
            GtinKind::Ean13 => 13,
            GtinKind::UpcA => 12,
            GtinKind::Ean8 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GtinKind::Ean13 => "EAN-13",
            GtinKind::UpcA => "UPC-A",
            GtinKind::Ean8 => "EAN-8",
        }
    }

    fn for_len(n: usize) -> Option<GtinKind> {
        match n {
            13 => Some(GtinKind::Ean13),
            12 => Some(GtinKind::UpcA),
            8 => Some(GtinKind::Ean8),
            _ => None,
        }
    }
}

/// A product code (GTIN) whose check digit is right.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gtin {
    digits: String,
    kind: GtinKind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    WrongLength(usize),
    NotDigits,
    BadCheckDigit { kind: GtinKind, expected: u8 },
}
impl crate::locale::Localized for GtinError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::WrongLength(v0) => {
                fill(lang, "words.product_code.wrong_length", &[("value", v0)])
            }
            Self::NotDigits => tr(lang, "words.product_code.not_digits"),
            Self::BadCheckDigit { kind, expected } => fill(
                lang,
                "words.product_code.bad_check_digit",
                &[("kind", &kind.name()), ("expected", expected)],
            ),
        }
    }
}

crate::display_both!(GtinError);

impl Gtin {
    pub fn parse(s: &str) -> Result<Gtin, GtinError> {
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GtinError::NotDigits);
        }
        let kind = GtinKind::for_len(s.len()).ok_or(GtinError::WrongLength(s.len()))?;
        let (body, check) = s.as_bytes().split_at(s.len() - 1);
        let expected = Gtin::check_digit(body);
        if check[0] - b'0' != expected {
            return Err(GtinError::BadCheckDigit { kind, expected });
        }
        Ok(Gtin {
            digits: s.to_string(),
            kind,
        })
    }

    /// The GS1 check digit of `body` (ASCII digits without the check digit):
    /// weights 3, 1, 3, … from the right.
    pub fn check_digit(body: &[u8]) -> u8 {
        let sum: u32 = body
            .iter()
            .rev()
            .enumerate()
            .map(|(i, &b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
            .sum();
        ((10 - sum % 10) % 10) as u8
    }

    pub fn as_str(&self) -> &str {
        &self.digits
    }

    pub fn kind(&self) -> GtinKind {
        self.kind
    }

    /// The code zero-padded to 14 digits: the one key under which EAN-13,
    /// UPC-A and EAN-8 look a product up (a UPC-A and the EAN-13 `0` + it
    /// are the same product).
    pub fn gtin14(&self) -> String {
        format!("{:0>14}", self.digits)
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

// ---------------------------------------------------------------------------
// What was scanned

/// A recognised scan.
///
/// `Display` and `Debug` mask payment codes, so a `Scanned` can be logged.
#[derive(Clone, PartialEq, Eq)]
pub enum Scanned {
    /// A JKoPay payment code, sent to JKoPay's own POS API as `CardToken`.
    JkoPayCardToken(String),
    /// Another wallet's payment code, charged through MyPay. `wallet` is
    /// [`Wallet::Unidentified`] when the format fits several wallets; then
    /// `candidates` lists them and MyPay's OFFLINE auto-detect decides.
    /// Otherwise `candidates` is `[wallet]`.
    WalletCode {
        wallet: Wallet,
        code: String,
        candidates: Vec<Wallet>,
    },
    MobileCarrier(MobileCarrier),
    CitizenCertificate(CitizenCertificate),
    LoveCode(LoveCode),
    Ban(Ban),
    Product(Gtin),
    Receipt(ReceiptCode),
}

impl Scanned {
    /// The payment code, for the gateway call. Never log it: log the
    /// `Scanned` itself, which masks it.
    pub fn payment_code(&self) -> Option<&str> {
        match self {
            Scanned::JkoPayCardToken(code) | Scanned::WalletCode { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn is_payment(&self) -> bool {
        self.payment_code().is_some()
    }

    /// The scanned value as it may be shown or logged: payment codes masked,
    /// the rest as scanned.
    pub fn shown(&self) -> String {
        match self {
            Scanned::JkoPayCardToken(code) | Scanned::WalletCode { code, .. } => {
                mask_payment_code(code)
            }
            Scanned::MobileCarrier(c) => c.to_string(),
            Scanned::CitizenCertificate(c) => c.to_string(),
            Scanned::LoveCode(c) => c.to_string(),
            Scanned::Ban(b) => b.to_string(),
            Scanned::Product(g) => format!("{} {}", g.kind().name(), g),
            Scanned::Receipt(r) => r.to_string(),
        }
    }

    /// What was scanned, for the cashier's screen (zh-TW).
    pub fn kind_zh(&self) -> &'static str {
        match self {
            Scanned::JkoPayCardToken(_) => "街口支付付款碼",
            Scanned::WalletCode { wallet, .. } => wallet_kind(*wallet).0,
            Scanned::MobileCarrier(_) => "手機條碼載具",
            Scanned::CitizenCertificate(_) => "自然人憑證條碼載具",
            Scanned::LoveCode(_) => "發票捐贈碼",
            Scanned::Ban(_) => "買方統一編號",
            Scanned::Product(_) => "商品條碼",
            Scanned::Receipt(_) => "本店收據條碼",
        }
    }

    pub fn kind_en(&self) -> &'static str {
        match self {
            Scanned::JkoPayCardToken(_) => "JKoPay payment code",
            Scanned::WalletCode { wallet, .. } => wallet_kind(*wallet).1,
            Scanned::MobileCarrier(_) => "mobile barcode carrier",
            Scanned::CitizenCertificate(_) => "citizen certificate carrier",
            Scanned::LoveCode(_) => "invoice donation code",
            Scanned::Ban(_) => "buyer business number (BAN)",
            Scanned::Product(_) => "product barcode",
            Scanned::Receipt(_) => "receipt code",
        }
    }
}

fn wallet_kind(w: Wallet) -> (&'static str, &'static str) {
    match w {
        Wallet::JkoPay => ("街口支付付款碼", "JKoPay payment code"),
        Wallet::LinePay => ("LINE Pay 付款碼", "LINE Pay payment code"),
        Wallet::PiWallet => ("Pi 拍錢包付款碼", "Pi Wallet payment code"),
        Wallet::WeChatPay => ("微信支付付款碼", "WeChat Pay payment code"),
        Wallet::Alipay => ("支付寶付款碼", "Alipay payment code"),
        Wallet::EasyWallet => ("悠遊付付款碼", "easy wallet payment code"),
        Wallet::Unidentified => ("行動支付付款碼", "mobile wallet payment code"),
    }
}

impl fmt::Display for Scanned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} / {}: {}",
            self.kind_zh(),
            self.kind_en(),
            self.shown()
        )
    }
}

/// Like `Display`: payment codes masked, so `{:?}` in a log is safe too.
impl fmt::Debug for Scanned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scanned::JkoPayCardToken(code) => f
                .debug_tuple("JkoPayCardToken")
                .field(&mask_payment_code(code))
                .finish(),
            Scanned::WalletCode {
                wallet,
                code,
                candidates,
            } => f
                .debug_struct("WalletCode")
                .field("wallet", wallet)
                .field("code", &mask_payment_code(code))
                .field("candidates", candidates)
                .finish(),
            Scanned::MobileCarrier(c) => f.debug_tuple("MobileCarrier").field(c).finish(),
            Scanned::CitizenCertificate(c) => f.debug_tuple("CitizenCertificate").field(c).finish(),
            Scanned::LoveCode(c) => f.debug_tuple("LoveCode").field(c).finish(),
            Scanned::Ban(b) => f.debug_tuple("Ban").field(b).finish(),
            Scanned::Product(g) => f.debug_tuple("Product").field(g).finish(),
            Scanned::Receipt(r) => f.debug_tuple("Receipt").field(r).finish(),
        }
    }
}

// ---------------------------------------------------------------------------
// Why a scan was not recognised

/// Why a scan was refused, worded for the cashier. Never contains the
/// scanned text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unrecognised {
    Empty,
    TooLong(usize),
    InputMethodOn,
    FullWidth,
    KeyboardLayout,
    NotAscii,
    CapsLock {
        looks_like_zh: &'static str,
        looks_like_en: &'static str,
    },
    LowerCase,
    #[error(transparent)]
    Product(#[from] GtinError),
    PaymentCodeLength {
        wallet: Wallet,
        len: usize,
        expected: usize,
    },
    #[error(transparent)]
    MobileCarrier(#[from] MobileCarrierError),
    #[error(transparent)]
    CitizenCertificate(#[from] CitizenCertificateError),
    #[error(transparent)]
    Ban(#[from] BanError),
    LoveCodeOutOfPlace(usize),
    DamagedReceipt,
    Unknown {
        len: usize,
        all_digits: bool,
    },
}
impl crate::locale::Localized for Unrecognised {
    fn message(&self, lang: Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::Empty => tr(lang, "words.scan.empty"),
            Self::TooLong(v0) => fill(lang, "words.scan.too_long", &[("value", v0)]),
            Self::InputMethodOn => tr(lang, "words.scan.input_method_on"),
            Self::FullWidth => tr(lang, "words.scan.full_width"),
            Self::KeyboardLayout => tr(lang, "words.scan.keyboard_layout"),
            Self::NotAscii => tr(lang, "words.scan.not_ascii"),
            Self::CapsLock {
                looks_like_zh,
                looks_like_en,
            } => {
                let looks_like = match lang {
                    Lang::ZhTw => looks_like_zh,
                    Lang::En => looks_like_en,
                };
                fill(lang, "words.scan.caps_lock", &[("looks_like", looks_like)])
            }
            Self::LowerCase => tr(lang, "words.scan.lower_case"),
            Self::Product(e) => e.message(lang),
            Self::PaymentCodeLength {
                wallet,
                len,
                expected,
            } => {
                let (zh, en) = wallet_kind(*wallet);
                let wallet = match lang {
                    Lang::ZhTw => zh,
                    Lang::En => en,
                };
                fill(
                    lang,
                    "words.scan.payment_code_length",
                    &[("wallet", &wallet), ("expected", expected), ("len", len)],
                )
            }
            Self::MobileCarrier(e) => e.message(lang),
            Self::CitizenCertificate(e) => e.message(lang),
            Self::Ban(e) => e.message(lang),
            Self::LoveCodeOutOfPlace(v0) => {
                fill(lang, "words.scan.love_code_out_of_place", &[("value", v0)])
            }
            Self::DamagedReceipt => tr(lang, "words.scan.damaged_receipt"),
            Self::Unknown { len, all_digits } => {
                let key = if *all_digits {
                    "words.scan.unknown_digits"
                } else {
                    "words.scan.unknown"
                };
                fill(lang, key, &[("len", len)])
            }
        }
    }
}

crate::display_both!(Unrecognised);

// ---------------------------------------------------------------------------
// Classification

/// What `text`, as typed by a scanner, is. See the module documentation for
/// the formats and how `context` settles ambiguities.
pub fn classify(text: &str, context: ScanContext) -> Result<Scanned, Unrecognised> {
    let s = text.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    if s.is_empty() {
        return Err(Unrecognised::Empty);
    }
    let n = s.chars().count();
    if n > MAX_SCAN_LEN {
        return Err(Unrecognised::TooLong(n));
    }
    if !s.is_ascii() {
        return Err(why_not_ascii(s));
    }
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        // Every format here is upper-case, and Caps Lock inverts the case of
        // what a keyboard-wedge scanner types.
        let upper = s.to_ascii_uppercase();
        return Err(match classify_ascii(&upper, context) {
            Ok(would_be) => Unrecognised::CapsLock {
                looks_like_zh: would_be.kind_zh(),
                looks_like_en: would_be.kind_en(),
            },
            Err(Unrecognised::MobileCarrier(_)) => MobileCarrierError::LowerCase.into(),
            Err(_) => Unrecognised::LowerCase,
        });
    }
    classify_ascii(s, context)
}

/// The digits 1234567890 as a French (AZERTY) layout types them unshifted:
/// a scanner set to the wrong layout sends these instead of digits.
const AZERTY_DIGIT_ROW: &str = "&é\"'(-è_çà";

fn why_not_ascii(s: &str) -> Unrecognised {
    let bopomofo_or_cjk = |c: char| matches!(c, '\u{3100}'..='\u{312F}' | '\u{31A0}'..='\u{31BF}' | '\u{4E00}'..='\u{9FFF}' | '\u{02C7}' | '\u{02CA}' | '\u{02CB}' | '\u{02D9}');
    let full_width = |c: char| matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}');
    if s.chars().any(bopomofo_or_cjk) {
        Unrecognised::InputMethodOn
    } else if s.chars().any(full_width) {
        Unrecognised::FullWidth
    } else if s
        .chars()
        .all(|c| AZERTY_DIGIT_ROW.contains(c) || c.is_ascii_uppercase())
    {
        Unrecognised::KeyboardLayout
    } else {
        Unrecognised::NotAscii
    }
}

/// `s` is non-empty, ASCII and free of lower-case letters.
fn classify_ascii(s: &str, context: ScanContext) -> Result<Scanned, Unrecognised> {
    let b = s.as_bytes();
    let n = b.len();
    let upper_alnum = |x: &[u8]| {
        x.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };

    if b[0] == b'/' {
        return Ok(Scanned::MobileCarrier(s.parse()?));
    }
    if b.iter().all(u8::is_ascii_digit) {
        return classify_digits(s, context);
    }
    // A mobile barcode whose `/` a non-US layout typed as another symbol
    // (German: `-`; `?` and `.` on others).
    if n == 8
        && b[0].is_ascii_punctuation()
        && format!("/{}", &s[1..]).parse::<MobileCarrier>().is_ok()
    {
        return Err(MobileCarrierError::NoSlash.into());
    }
    if n == 16 && b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit)
    {
        return Ok(Scanned::CitizenCertificate(s.parse()?));
    }
    if s.starts_with(crate::sale::trade_no::RECEIPT_PREFIX)
        && n > 2
        && b[2].is_ascii_uppercase()
        && upper_alnum(b)
    {
        return s
            .parse::<ReceiptCode>()
            .map(Scanned::Receipt)
            .map_err(|_| Unrecognised::DamagedReceipt);
    }
    if s.starts_with("22") && upper_alnum(b) {
        // All-digit tokens went to classify_digits; this one has letters.
        if n == JKOPAY_CARD_TOKEN_LEN {
            return Ok(Scanned::JkoPayCardToken(s.to_string()));
        }
        return Err(Unrecognised::PaymentCodeLength {
            wallet: Wallet::JkoPay,
            len: n,
            expected: JKOPAY_CARD_TOKEN_LEN,
        });
    }
    if s.starts_with("PI") && upper_alnum(b) && n >= 12 {
        // [guess] from MyPay's single sample `PI7E3A60BD8C8F23F7`.
        if n == 18 {
            return Ok(wallet(Wallet::PiWallet, s));
        }
        return Err(Unrecognised::PaymentCodeLength {
            wallet: Wallet::PiWallet,
            len: n,
            expected: 18,
        });
    }
    if (14..=18).contains(&n)
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..].iter().all(u8::is_ascii_digit)
    {
        return Err(CitizenCertificateError::WrongLength(n).into());
    }
    if b.contains(&b' ') {
        return Err(Unrecognised::LowerCase);
    }
    Err(Unrecognised::Unknown {
        len: n,
        all_digits: false,
    })
}

fn classify_digits(s: &str, context: ScanContext) -> Result<Scanned, Unrecognised> {
    let n = s.len();
    match n {
        3..=7 if context == ScanContext::BuyerChoice => Ok(Scanned::LoveCode(
            s.parse().expect("3 to 7 digits are a love code"),
        )),
        3..=7 => Err(Unrecognised::LoveCodeOutOfPlace(n)),
        8 => classify_eight_digits(s, context),
        12 | 13 => Ok(Scanned::Product(Gtin::parse(s)?)),
        16..=24 => classify_wallet_digits(s),
        _ => Err(Unrecognised::Unknown {
            len: n,
            all_digits: true,
        }),
    }
}

/// EAN-8 or buyer BAN: the context decides (module documentation).
fn classify_eight_digits(s: &str, context: ScanContext) -> Result<Scanned, Unrecognised> {
    let ean = Gtin::parse(s);
    let ban = s.parse::<Ban>();
    let prefer_ban = matches!(context, ScanContext::Tendering | ScanContext::BuyerChoice);
    match (ean, ban) {
        (Ok(g), Ok(b)) => Ok(if prefer_ban {
            Scanned::Ban(b)
        } else {
            Scanned::Product(g)
        }),
        (Ok(_), Err(e)) if context == ScanContext::BuyerChoice => Err(e.into()),
        (Ok(g), Err(_)) => Ok(Scanned::Product(g)),
        (Err(_), Ok(b)) => Ok(Scanned::Ban(b)),
        (Err(e), Err(_)) if !prefer_ban => Err(e.into()),
        (Err(_), Err(e)) => Err(e.into()),
    }
}

/// 16 to 24 digits: a wallet code (table in the module documentation).
fn classify_wallet_digits(s: &str) -> Result<Scanned, Unrecognised> {
    use Wallet::*;
    let n = s.len();
    let prefix: u8 = s[..2].parse().expect("two ASCII digits");
    let ambiguous = |candidates: Vec<Wallet>| {
        Ok(Scanned::WalletCode {
            wallet: Unidentified,
            code: s.to_string(),
            candidates,
        })
    };
    match (n, prefix) {
        (18, 10..=15) => ambiguous(vec![WeChatPay, LinePay]),
        (18, 22) => ambiguous(vec![JkoPay, LinePay]),
        (18, 25..=30) => ambiguous(vec![Alipay, LinePay]),
        (18, _) => ambiguous(vec![LinePay, EasyWallet]),
        (_, 25..=30) => Ok(wallet(Alipay, s)),
        (17 | 19, 10..=15) => Err(Unrecognised::PaymentCodeLength {
            wallet: WeChatPay,
            len: n,
            expected: 18,
        }),
        (17 | 19, 22) => Err(Unrecognised::PaymentCodeLength {
            wallet: JkoPay,
            len: n,
            expected: JKOPAY_CARD_TOKEN_LEN,
        }),
        _ => ambiguous(vec![EasyWallet]),
    }
}

fn wallet(w: Wallet, code: &str) -> Scanned {
    Scanned::WalletCode {
        wallet: w,
        code: code.to_string(),
        candidates: vec![w],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ScanContext::*;
    use proptest::prelude::*;

    const ALL_CONTEXTS: [ScanContext; 4] = [Selling, Tendering, BuyerChoice, Refund];

    fn ok(text: &str, context: ScanContext) -> Scanned {
        classify(text, context).unwrap_or_else(|e| panic!("{text:?} in {context:?}: {e}"))
    }

    fn err(text: &str, context: ScanContext) -> Unrecognised {
        match classify(text, context) {
            Ok(s) => panic!("{text:?} in {context:?} classified as {s:?}"),
            Err(e) => e,
        }
    }

    fn with_check_digit(body: &str) -> String {
        format!("{body}{}", Gtin::check_digit(body.as_bytes()))
    }

    #[test]
    fn payment_codes_show_first_four_and_last_two() {
        assert_eq!(
            mask_payment_code("22J111111111111111"),
            "22J1************11"
        );
        assert_eq!(mask_payment_code("123456789"), "1234***89");
        assert_eq!(mask_payment_code("12345678"), "********");
        assert_eq!(mask_payment_code(""), "");
    }

    #[test]
    fn jkopay_sample_token_in_every_context() {
        for ctx in ALL_CONTEXTS {
            assert_eq!(
                ok("22J111111111111111", ctx),
                Scanned::JkoPayCardToken("22J111111111111111".into())
            );
        }
    }

    #[test]
    fn scanner_framing_is_stripped() {
        assert_eq!(
            ok("  22J111111111111111\r\n", Tendering),
            Scanned::JkoPayCardToken("22J111111111111111".into())
        );
        assert_eq!(
            ok("\u{2}/ABC1234\u{3}", BuyerChoice),
            Scanned::MobileCarrier("/ABC1234".parse().unwrap())
        );
    }

    #[test]
    fn jkopay_token_of_wrong_length_asks_for_a_refresh() {
        let e = err("22J11111111111111", Tendering);
        assert_eq!(
            e,
            Unrecognised::PaymentCodeLength {
                wallet: Wallet::JkoPay,
                len: 17,
                expected: 18
            }
        );
        let msg = e.to_string();
        assert!(msg.contains("17") && msg.contains("18"), "{msg}");
        assert!(msg.contains("refresh") && msg.contains("重新整理"), "{msg}");
        assert!(msg.contains("JKoPay") && msg.contains("街口"), "{msg}");
    }

    #[test]
    fn mypay_manual_samples() {
        // mypay-manual-2.0.231.txt data_json samples.
        match ok("PI7E3A60BD8C8F23F7", Tendering) {
            Scanned::WalletCode {
                wallet, candidates, ..
            } => {
                assert_eq!(wallet, Wallet::PiWallet);
                assert_eq!(candidates, vec![Wallet::PiWallet]);
            }
            other => panic!("{other:?}"),
        }
        match ok("134507721102798524", Tendering) {
            Scanned::WalletCode {
                wallet,
                candidates,
                code,
            } => {
                assert_eq!(wallet, Wallet::Unidentified);
                assert_eq!(candidates, vec![Wallet::WeChatPay, Wallet::LinePay]);
                assert_eq!(code, "134507721102798524");
            }
            other => panic!("{other:?}"),
        }
        match ok("314818461832250045", Tendering) {
            Scanned::WalletCode {
                wallet, candidates, ..
            } => {
                assert_eq!(wallet, Wallet::Unidentified);
                assert!(candidates.contains(&Wallet::LinePay));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn alipay_codes() {
        // 16 to 24 digits starting 25..30; 18 digits also fit LINE Pay.
        for code in [
            "2812345678901234",
            "30123456789012345678901",
            "251234567890123456789012",
        ] {
            match ok(code, Tendering) {
                Scanned::WalletCode { wallet, .. } => assert_eq!(wallet, Wallet::Alipay, "{code}"),
                other => panic!("{other:?}"),
            }
        }
        match ok("289431869362714645", Tendering) {
            Scanned::WalletCode { candidates, .. } => {
                assert_eq!(candidates, vec![Wallet::Alipay, Wallet::LinePay])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn wechat_code_with_a_digit_missing() {
        assert_eq!(
            err("13450772110279852", Tendering),
            Unrecognised::PaymentCodeLength {
                wallet: Wallet::WeChatPay,
                len: 17,
                expected: 18
            }
        );
    }

    #[test]
    fn numeric_jkopay_token_is_ambiguous_with_line_pay() {
        match ok("221234567890123456", Tendering) {
            Scanned::WalletCode {
                wallet, candidates, ..
            } => {
                assert_eq!(wallet, Wallet::Unidentified);
                assert_eq!(candidates, vec![Wallet::JkoPay, Wallet::LinePay]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_long_numbers_go_to_auto_detect() {
        // The one EasyWallet sample seen (third-party page).
        match ok("99801094201203406104", Tendering) {
            Scanned::WalletCode {
                wallet, candidates, ..
            } => {
                assert_eq!(wallet, Wallet::Unidentified);
                assert_eq!(candidates, vec![Wallet::EasyWallet]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn carriers_and_citizen_certificates_in_every_context() {
        for ctx in ALL_CONTEXTS {
            assert!(matches!(ok("/ABC1234", ctx), Scanned::MobileCarrier(_)));
            assert!(matches!(
                ok("AB12345678901234", ctx),
                Scanned::CitizenCertificate(_)
            ));
        }
        assert_eq!(
            err("/ABC123", BuyerChoice),
            Unrecognised::MobileCarrier(MobileCarrierError::WrongLength(7))
        );
        assert_eq!(
            err("AB1234567890123", BuyerChoice),
            Unrecognised::CitizenCertificate(CitizenCertificateError::WrongLength(15))
        );
    }

    #[test]
    fn slash_typed_by_a_german_layout() {
        let e = err("-ABC1234", BuyerChoice);
        assert_eq!(e, Unrecognised::MobileCarrier(MobileCarrierError::NoSlash));
        assert!(e.to_string().contains("keyboard layout"), "{e}");
    }

    #[test]
    fn caps_lock_is_named_with_what_the_scan_looks_like() {
        let e = err("/abc1234", BuyerChoice);
        assert_eq!(
            e,
            Unrecognised::CapsLock {
                looks_like_zh: "手機條碼載具",
                looks_like_en: "mobile barcode carrier"
            }
        );
        assert!(e.to_string().contains("Caps Lock"));
        assert!(matches!(
            err("22j111111111111111", Tendering),
            Unrecognised::CapsLock {
                looks_like_en: "JKoPay payment code",
                ..
            }
        ));
        assert!(matches!(
            err("tlT0126112200042", Refund),
            Unrecognised::CapsLock {
                looks_like_en: "receipt code",
                ..
            }
        ));
        assert_eq!(
            err("/abc12", BuyerChoice),
            Unrecognised::MobileCarrier(MobileCarrierError::LowerCase)
        );
        assert_eq!(err("hello", Selling), Unrecognised::LowerCase);
    }

    #[test]
    fn input_method_and_layout_problems() {
        assert_eq!(err("ㄅㄆㄇㄈ", Selling), Unrecognised::InputMethodOn);
        assert_eq!(
            err("４７１００８８４１０１２４", Selling),
            Unrecognised::FullWidth
        );
        assert_eq!(err("&é\"'(-è_çà", Selling), Unrecognised::KeyboardLayout);
        assert_eq!(err("café", Selling), Unrecognised::NotAscii);
    }

    #[test]
    fn empty_and_too_long() {
        for blank in ["", "   ", "\r\n", "\t"] {
            assert_eq!(err(blank, Selling), Unrecognised::Empty);
        }
        let long = "1".repeat(MAX_SCAN_LEN + 1);
        assert_eq!(err(&long, Selling), Unrecognised::TooLong(MAX_SCAN_LEN + 1));
    }

    #[test]
    fn products() {
        // An EAN-13 with Taiwan's 471 prefix, and the UPC-A example GS1 uses.
        let ean13 = ok("4710088410122", Selling);
        assert_eq!(
            ean13,
            Scanned::Product(Gtin::parse("4710088410122").unwrap())
        );
        match ok("036000291452", Refund) {
            Scanned::Product(g) => {
                assert_eq!(g.kind(), GtinKind::UpcA);
                assert_eq!(g.gtin14(), "00036000291452");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            err("4710088410125", Selling),
            Unrecognised::Product(GtinError::BadCheckDigit {
                kind: GtinKind::Ean13,
                expected: 2
            })
        );
        let msg = err("4710088410125", Selling).to_string();
        assert!(
            msg.contains("EAN-13") && msg.contains("expected 2"),
            "{msg}"
        );
    }

    #[test]
    fn eight_digits_depend_on_context() {
        // 96385074: a valid EAN-8 that is not a BAN.
        let ean8_only = with_check_digit("9638507");
        assert!(ean8_only.parse::<Ban>().is_err(), "pick another sample");
        assert!(matches!(ok(&ean8_only, Selling), Scanned::Product(_)));
        assert!(matches!(ok(&ean8_only, Tendering), Scanned::Product(_)));
        assert_eq!(
            err(&ean8_only, BuyerChoice),
            Unrecognised::Ban(BanError::BadChecksum)
        );

        // 22099131 (TSMC) is a BAN and not an EAN-8.
        assert!(Gtin::parse("22099131").is_err());
        for ctx in ALL_CONTEXTS {
            assert_eq!(
                ok("22099131", ctx),
                Scanned::Ban("22099131".parse().unwrap())
            );
        }

        // Both at once: find one, then the context decides.
        let both = (0..10_000_000u32)
            .map(|i| with_check_digit(&format!("{i:07}")))
            .find(|s| s.parse::<Ban>().is_ok())
            .unwrap();
        assert!(matches!(ok(&both, Selling), Scanned::Product(_)));
        assert!(matches!(ok(&both, Refund), Scanned::Product(_)));
        assert!(matches!(ok(&both, Tendering), Scanned::Ban(_)));
        assert!(matches!(ok(&both, BuyerChoice), Scanned::Ban(_)));

        // Neither: the error fits what the till was expecting.
        let neither = "12345678";
        assert!(Gtin::parse(neither).is_err() && neither.parse::<Ban>().is_err());
        assert!(matches!(err(neither, Selling), Unrecognised::Product(_)));
        assert_eq!(
            err(neither, BuyerChoice),
            Unrecognised::Ban(BanError::BadChecksum)
        );
    }

    #[test]
    fn love_codes_only_on_the_invoice_screen() {
        assert_eq!(
            ok("8585", BuyerChoice),
            Scanned::LoveCode("8585".parse().unwrap())
        );
        for ctx in [Selling, Tendering, Refund] {
            assert_eq!(err("8585", ctx), Unrecognised::LoveCodeOutOfPlace(4));
        }
    }

    #[test]
    fn receipt_codes() {
        let code = "TLT0126112200042";
        for ctx in ALL_CONTEXTS {
            match ok(code, ctx) {
                Scanned::Receipt(r) => assert_eq!(r.to_string(), code),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(err("TLT01261122000", Refund), Unrecognised::DamagedReceipt);
        assert_eq!(
            err("TLT0126133200042", Refund),
            Unrecognised::DamagedReceipt
        );
    }

    /// The cashier reads a refusal in the till's language only; logs keep
    /// both (zh-TW first), from the same locale keys.
    #[test]
    fn a_refusal_is_worded_in_the_cashiers_language() {
        use crate::locale::Localized;
        let e = classify("22J11111111111111", ScanContext::Tendering).unwrap_err();
        assert_eq!(
            e.message(Lang::En),
            "a JKoPay payment code is 18 characters, this one has 17: ask the customer to refresh the code and scan again"
        );
        assert_eq!(
            e.message(Lang::ZhTw),
            "街口支付付款碼應為 18 碼，這次掃到 17 碼；請客人重新整理付款碼後再掃"
        );
        assert_eq!(
            e.to_string(),
            format!("{} / {}", e.message(Lang::ZhTw), e.message(Lang::En))
        );
        let caps = classify("/abc1234", ScanContext::BuyerChoice).unwrap_err();
        assert!(caps.message(Lang::En).contains("Caps Lock"), "{caps}");
        assert!(!caps.message(Lang::En).contains("大寫"), "{caps}");
        assert!(caps.message(Lang::ZhTw).contains("大寫鎖定"), "{caps}");
    }

    #[test]
    fn display_and_debug_mask_payment_codes() {
        let s = ok("22J123456789ABCDEF", Tendering);
        let shown = format!("{s} {s:?}");
        assert!(!shown.contains("123456789ABC"), "{shown}");
        assert!(shown.contains("22J1************EF"), "{shown}");
        assert!(
            shown.contains("街口支付付款碼 / JKoPay payment code"),
            "{shown}"
        );
        assert_eq!(s.payment_code(), Some("22J123456789ABCDEF"));

        let b = ok("22099131", BuyerChoice);
        assert_eq!(
            b.to_string(),
            "買方統一編號 / buyer business number (BAN): 22099131"
        );
        assert!(!b.is_payment());
    }

    fn ean_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9]{12}".prop_map(|b| with_check_digit(&b)),
            "[0-9]{11}".prop_map(|b| with_check_digit(&b)),
            "[0-9]{7}".prop_map(|b| with_check_digit(&b)),
        ]
    }

    proptest! {
        #[test]
        fn every_valid_ean_is_a_product_while_selling(code in ean_strategy()) {
            match classify(&code, Selling) {
                Ok(Scanned::Product(g)) => {
                    prop_assert_eq!(g.as_str(), code.as_str());
                    prop_assert_eq!(g.kind().digits(), code.len());
                }
                other => prop_assert!(false, "{} → {:?}", code, other),
            }
        }

        #[test]
        fn a_single_changed_digit_is_caught(code in ean_strategy(), at in 0usize..13, delta in 1u8..10) {
            let at = at % code.len();
            let mut bytes = code.clone().into_bytes();
            bytes[at] = b'0' + (bytes[at] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            let is_bad_check = matches!(
                Gtin::parse(&changed),
                Err(GtinError::BadCheckDigit { .. })
            );
            prop_assert!(is_bad_check, "{} → {}", code, changed);
            // While selling, an EAN-8 that became a valid BAN is still
            // accepted (as a BAN); every other changed code is refused.
            match classify(&changed, Selling) {
                Err(_) | Ok(Scanned::Ban(_)) => {}
                Ok(other) => prop_assert!(false, "{} → {:?}", changed, other),
            }
        }

        #[test]
        fn valid_carriers_and_bans_classify_and_round_trip(
            carrier in "/[0-9A-Z.+-]{7}",
            cert in "[A-Z]{2}[0-9]{14}",
            first7 in "[0-9]{7}",
        ) {
            for ctx in ALL_CONTEXTS {
                match classify(&carrier, ctx) {
                    Ok(Scanned::MobileCarrier(c)) => prop_assert_eq!(c.as_str(), carrier.as_str()),
                    other => prop_assert!(false, "{:?}", other),
                }
                match classify(&cert, ctx) {
                    Ok(Scanned::CitizenCertificate(c)) => prop_assert_eq!(c.as_str(), cert.as_str()),
                    other => prop_assert!(false, "{:?}", other),
                }
            }
            let ban = (0..10)
                .map(|d| format!("{first7}{d}"))
                .find(|s| s.parse::<Ban>().is_ok())
                .unwrap();
            match classify(&ban, BuyerChoice) {
                Ok(Scanned::Ban(b)) => prop_assert_eq!(b.as_str(), ban.as_str()),
                other => prop_assert!(false, "{:?}", other),
            }
        }

        #[test]
        fn classify_never_panics(text in any::<String>(), ctx in 0usize..4) {
            let _ = classify(&text, ALL_CONTEXTS[ctx]);
        }

        #[test]
        fn classify_never_panics_on_code_like_text(text in "[0-9A-Za-z/ .+-]{0,30}", ctx in 0usize..4) {
            let _ = classify(&text, ALL_CONTEXTS[ctx]);
        }

        #[test]
        fn masks_never_show_the_middle_of_a_payment_code(
            code in prop_oneof![
                "22[0-9A-Z]{16}",
                "1[0-5][0-9]{16}",
                "(2[5-9]|30)[0-9]{14,22}",
                "PI[0-9A-F]{16}",
            ],
            ctx in 0usize..4,
        ) {
            let s = classify(&code, ALL_CONTEXTS[ctx]).unwrap();
            let payment = s.payment_code().map(str::to_string);
            prop_assert_eq!(payment.as_deref(), Some(code.as_str()));
            let middle = &code[4..code.len() - 2];
            let shown = format!("{s} {s:?} {}", s.shown());
            prop_assert!(!shown.contains(middle), "{}", shown);
        }

        #[test]
        fn errors_never_repeat_the_scan(text in "[0-9A-Za-z/]{9,40}", ctx in 0usize..4) {
            if let Err(e) = classify(&text, ALL_CONTEXTS[ctx]) {
                use crate::locale::Localized;
                for msg in [e.to_string(), e.message(Lang::ZhTw), e.message(Lang::En)] {
                    prop_assert!(!msg.contains(&text), "{}", msg);
                    prop_assert!(!msg.contains(text.trim()), "{}", msg);
                }
            }
        }
    }
}
