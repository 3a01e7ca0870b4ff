//! The buyer's e-invoice choice: where the invoice goes (a carrier, a
//! donation, or a printed proof) and whether it names a buyer business
//! number (統一編號, BAN).
//!
//! Formats from `NOTES.md` §5 (Ministry of Finance rules):
//!
//! | identifier | format |
//! | --- | --- |
//! | mobile barcode 手機條碼 | `/` + 7 of `0-9 A-Z . + -` |
//! | citizen certificate 自然人憑證條碼 | 2 upper-case letters + 14 digits |
//! | love code 捐贈碼 | 3 to 7 digits |
//! | buyer BAN 統一編號 | 8 digits with a weighted checksum (see [`Ban`]) |
//!
//! Error messages never repeat the scanned value: they may end up in logs,
//! and the cashier has the customer's phone in front of them anyway.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------
// Mobile barcode carrier (手機條碼)

/// Length of a mobile barcode including its leading `/`.
pub const MOBILE_CARRIER_LEN: usize = 8;

/// A mobile barcode carrier (手機條碼): `/` followed by 7 characters from
/// `0-9 A-Z . + -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MobileCarrier(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileCarrierError {
    WrongLength(usize),
    NoSlash,
    LowerCase,
    BadChar { position: usize, found: char },
}
impl crate::locale::Localized for MobileCarrierError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::WrongLength(v0) => {
                fill(lang, "words.mobile_carrier.wrong_length", &[("value", v0)])
            }
            Self::NoSlash => tr(lang, "words.mobile_carrier.no_slash"),
            Self::LowerCase => tr(lang, "words.mobile_carrier.lower_case"),
            Self::BadChar { position, found } => fill(
                lang,
                "words.mobile_carrier.bad_char",
                &[("position", position), ("found", found)],
            ),
        }
    }
}

crate::display_both!(MobileCarrierError);

impl MobileCarrier {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn allowed(c: char) -> bool {
        c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, '.' | '+' | '-')
    }
}

impl FromStr for MobileCarrier {
    type Err = MobileCarrierError;
    fn from_str(s: &str) -> Result<MobileCarrier, MobileCarrierError> {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != MOBILE_CARRIER_LEN {
            return Err(MobileCarrierError::WrongLength(chars.len()));
        }
        if chars[0] != '/' {
            return Err(MobileCarrierError::NoSlash);
        }
        let body = &chars[1..];
        if body.iter().any(|c| c.is_ascii_lowercase()) {
            return Err(MobileCarrierError::LowerCase);
        }
        if let Some(i) = body.iter().position(|&c| !MobileCarrier::allowed(c)) {
            return Err(MobileCarrierError::BadChar {
                position: i + 2,
                found: body[i],
            });
        }
        Ok(MobileCarrier(s.to_string()))
    }
}

// ---------------------------------------------------------------------------
// Citizen digital certificate carrier (自然人憑證條碼)

/// Length of a citizen certificate carrier code.
pub const CITIZEN_CERTIFICATE_LEN: usize = 16;

/// A citizen digital certificate carrier (自然人憑證條碼): 2 upper-case
/// letters and 14 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CitizenCertificate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitizenCertificateError {
    WrongLength(usize),
    LowerCase,
    LettersExpected,
    DigitsExpected,
}
impl crate::locale::Localized for CitizenCertificateError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::WrongLength(v0) => fill(
                lang,
                "words.citizen_certificate.wrong_length",
                &[("value", v0)],
            ),
            Self::LowerCase => tr(lang, "words.citizen_certificate.lower_case"),
            Self::LettersExpected => tr(lang, "words.citizen_certificate.letters_expected"),
            Self::DigitsExpected => tr(lang, "words.citizen_certificate.digits_expected"),
        }
    }
}

crate::display_both!(CitizenCertificateError);

impl CitizenCertificate {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CitizenCertificate {
    type Err = CitizenCertificateError;
    fn from_str(s: &str) -> Result<CitizenCertificate, CitizenCertificateError> {
        let n = s.chars().count();
        if n != CITIZEN_CERTIFICATE_LEN {
            return Err(CitizenCertificateError::WrongLength(n));
        }
        if s.chars().any(|c| c.is_ascii_lowercase()) {
            return Err(CitizenCertificateError::LowerCase);
        }
        // Length counted in chars above; non-ASCII fails one of these checks
        // before any byte slicing could split a character.
        let (letters, digits): (Vec<char>, Vec<char>) = {
            let all: Vec<char> = s.chars().collect();
            (all[..2].to_vec(), all[2..].to_vec())
        };
        if !letters.iter().all(char::is_ascii_uppercase) {
            return Err(CitizenCertificateError::LettersExpected);
        }
        if !digits.iter().all(char::is_ascii_digit) {
            return Err(CitizenCertificateError::DigitsExpected);
        }
        Ok(CitizenCertificate(s.to_string()))
    }
}

// ---------------------------------------------------------------------------
// Love code (捐贈碼)

/// A donation code (捐贈碼, "love code") naming the charity that receives the
/// invoice: 3 to 7 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LoveCode(String);

pub const LOVE_CODE_MIN_LEN: usize = 3;
pub const LOVE_CODE_MAX_LEN: usize = 7;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoveCodeError {
    WrongLength(usize),
    NotDigits,
}
impl crate::locale::Localized for LoveCodeError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::WrongLength(v0) => fill(lang, "words.love_code.wrong_length", &[("value", v0)]),
            Self::NotDigits => tr(lang, "words.love_code.not_digits"),
        }
    }
}

crate::display_both!(LoveCodeError);

impl LoveCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LoveCode {
    type Err = LoveCodeError;
    fn from_str(s: &str) -> Result<LoveCode, LoveCodeError> {
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(LoveCodeError::NotDigits);
        }
        if !(LOVE_CODE_MIN_LEN..=LOVE_CODE_MAX_LEN).contains(&s.len()) {
            return Err(LoveCodeError::WrongLength(s.len()));
        }
        Ok(LoveCode(s.to_string()))
    }
}

// ---------------------------------------------------------------------------
// Buyer business number (統一編號)

/// Which checksum rule a BAN is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BanRule {
    /// Sum divisible by 5: numbers issued since 2023-04-01 need it, and every
    /// older valid number also passes it.
    Since2023,
    /// Sum divisible by 10: the rule before 2023-04-01. Only for checking
    /// what an older system would have accepted.
    Before2023,
}

impl BanRule {
    fn divisor(self) -> u32 {
        match self {
            BanRule::Since2023 => 5,
            BanRule::Before2023 => 10,
        }
    }
}

/// A buyer's business number (統一編號): 8 digits whose weighted checksum
/// passes (`NOTES.md` §5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ban(String);

pub const BAN_LEN: usize = 8;
const BAN_WEIGHTS: [u32; BAN_LEN] = [1, 2, 1, 2, 1, 2, 4, 1];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BanError {
    WrongLength(usize),
    NotDigits,
    AllZero,
    BadChecksum,
}
impl crate::locale::Localized for BanError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::{fill, tr};
        match self {
            Self::WrongLength(v0) => fill(lang, "words.ban.wrong_length", &[("value", v0)]),
            Self::NotDigits => tr(lang, "words.ban.not_digits"),
            Self::AllZero => tr(lang, "words.ban.all_zero"),
            Self::BadChecksum => tr(lang, "words.ban.bad_checksum"),
        }
    }
}

crate::display_both!(BanError);

impl Ban {
    /// Checks `s` under an explicit rule. `FromStr` uses [`BanRule::Since2023`].
    pub fn parse_with_rule(s: &str, rule: BanRule) -> Result<Ban, BanError> {
        if !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(BanError::NotDigits);
        }
        if s.len() != BAN_LEN {
            return Err(BanError::WrongLength(s.len()));
        }
        if s.bytes().all(|b| b == b'0') {
            return Err(BanError::AllZero);
        }
        if !Ban::checksum_passes(s.as_bytes(), rule) {
            return Err(BanError::BadChecksum);
        }
        Ok(Ban(s.to_string()))
    }

    /// `digits` must be 8 ASCII digits.
    fn checksum_passes(digits: &[u8], rule: BanRule) -> bool {
        let sum: u32 = digits
            .iter()
            .zip(BAN_WEIGHTS)
            .map(|(&d, w)| {
                let p = u32::from(d - b'0') * w;
                p / 10 + p % 10
            })
            .sum();
        let k = rule.divisor();
        // 7 × 4 = 28 → 2 + 8 = 10, which the rule lets count as 1 + 0 = 1
        // or as 0: hence the second chance with sum + 1.
        sum % k == 0 || (digits[6] == b'7' && (sum + 1) % k == 0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Ban {
    type Err = BanError;
    fn from_str(s: &str) -> Result<Ban, BanError> {
        Ban::parse_with_rule(s, BanRule::Since2023)
    }
}

macro_rules! string_newtype_impls {
    ($t:ident, $err:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $t {
            type Error = $err;
            fn try_from(s: String) -> Result<$t, $err> {
                s.parse()
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}

string_newtype_impls!(MobileCarrier, MobileCarrierError);
string_newtype_impls!(CitizenCertificate, CitizenCertificateError);
string_newtype_impls!(LoveCode, LoveCodeError);
string_newtype_impls!(Ban, BanError);

// ---------------------------------------------------------------------------
// The buyer's choice

/// Where the invoice of one sale goes, as the buyer chose at the counter.
///
/// | choice | paper proof | `格式 25` | detail slip |
/// | --- | --- | --- | --- |
/// | `Print` | yes | no | on request |
/// | `Mobile` / `Citizen` (carrier) | no | no | on request |
/// | `Donate` | no | no | on request |
/// | `Company` (BAN) | yes | yes | always |
/// | `CompanyMobile` (BAN + mobile barcode) | no | no | on request |
///
/// A BAN invoice cannot be donated: a donation goes to a charity as a
/// consumer invoice, while a BAN invoice is the company's purchase record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum BuyerChoice {
    /// No identifier: the paper proof (電子發票證明聯) is printed.
    #[default]
    Print,
    /// Stored in a mobile barcode carrier; nothing printed.
    Mobile(MobileCarrier),
    /// Stored in a citizen certificate carrier; nothing printed.
    Citizen(CitizenCertificate),
    /// Donated to the charity with this love code; nothing printed.
    Donate(LoveCode),
    /// A company purchase: the proof shows `格式 25` and `買方 <BAN>`, and
    /// item details go on a separate slip (`NOTES.md` §5).
    Company(Ban),
    /// A company purchase stored in the buyer's mobile barcode. MyPay takes a
    /// BAN together with a mobile barcode (`mypay-link-agent-api.txt`:
    /// `invoice_tax_id` "當invoice_cloud_type為2時紀錄的統一編號"), but no
    /// Ministry of Finance text we could find says a store may then skip
    /// the printed proof \[guess\]. [`CombineRules::ban_with_mobile_carrier`]
    /// is off by default, so this appears only where a shop allows it.
    CompanyMobile(Ban, MobileCarrier),
}

/// Which combinations [`BuyerChoice::combine_with`] accepts beyond the
/// unconditional ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CombineRules {
    /// Allow a BAN together with a mobile barcode (see
    /// [`BuyerChoice::CompanyMobile`]). Off by default: the conservative
    /// reading prints the BAN invoice on paper.
    pub ban_with_mobile_carrier: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChoiceError {
    DonationWithBan,
    CarrierWithBan,
}
impl crate::locale::Localized for ChoiceError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::tr;
        match self {
            Self::DonationWithBan => tr(lang, "words.buyer_choice.donation_with_ban"),
            Self::CarrierWithBan => tr(lang, "words.buyer_choice.carrier_with_ban"),
        }
    }
}

crate::display_both!(ChoiceError);

impl BuyerChoice {
    /// What the choice becomes when the cashier adds `new` (one scan or
    /// button) to `current`, under the default [`CombineRules`].
    pub fn combine(current: &BuyerChoice, new: BuyerChoice) -> Result<BuyerChoice, ChoiceError> {
        BuyerChoice::combine_with(current, new, CombineRules::default())
    }

    /// The last scan wins among where the invoice goes (a carrier replaces a
    /// carrier or a donation and the reverse, since customers change their
    /// minds and a stale choice is worse than the new one); a BAN is kept
    /// across those changes and a new BAN replaces the old one. A donation
    /// or citizen certificate together with a BAN is refused rather than
    /// silently dropping either, so the cashier asks the customer.
    /// `Print` drops any carrier or donation and keeps a BAN.
    pub fn combine_with(
        current: &BuyerChoice,
        new: BuyerChoice,
        rules: CombineRules,
    ) -> Result<BuyerChoice, ChoiceError> {
        use BuyerChoice::*;
        let ban = current.ban().cloned();
        Ok(match (new, ban) {
            (Print, None) => Print,
            (Print, Some(ban)) => Company(ban),
            (Donate(_), Some(_)) => return Err(ChoiceError::DonationWithBan),
            (Citizen(_), Some(_)) => return Err(ChoiceError::CarrierWithBan),
            (Mobile(carrier), Some(ban)) => {
                if !rules.ban_with_mobile_carrier {
                    return Err(ChoiceError::CarrierWithBan);
                }
                CompanyMobile(ban, carrier)
            }
            (consumer @ (Mobile(_) | Citizen(_) | Donate(_)), None) => consumer,
            (Company(ban), _) => match current {
                Donate(_) => return Err(ChoiceError::DonationWithBan),
                Citizen(_) => return Err(ChoiceError::CarrierWithBan),
                Mobile(carrier) | CompanyMobile(_, carrier) => {
                    if !rules.ban_with_mobile_carrier {
                        return Err(ChoiceError::CarrierWithBan);
                    }
                    CompanyMobile(ban, carrier.clone())
                }
                Print | Company(_) => Company(ban),
            },
            (CompanyMobile(ban, carrier), _) => {
                let with_ban = BuyerChoice::combine_with(current, Company(ban), rules)?;
                return BuyerChoice::combine_with(&with_ban, Mobile(carrier), rules);
            }
        })
    }

    /// The buyer's business number, if the invoice names one.
    pub fn ban(&self) -> Option<&Ban> {
        match self {
            BuyerChoice::Company(ban) | BuyerChoice::CompanyMobile(ban, _) => Some(ban),
            _ => None,
        }
    }

    /// Whether a paper proof (電子發票證明聯) is printed. A carrier or a
    /// donation means none is.
    pub fn prints_proof(&self) -> bool {
        matches!(self, BuyerChoice::Print | BuyerChoice::Company(_))
    }

    /// Whether the printed proof carries `格式 25` after the date (a B2B
    /// invoice with the buyer's BAN).
    pub fn shows_format_25(&self) -> bool {
        matches!(self, BuyerChoice::Company(_))
    }

    /// Whether an item detail slip must be printed. Only a printed BAN
    /// invoice requires one; for the others it is printed on request.
    pub fn prints_detail_slip(&self) -> bool {
        matches!(self, BuyerChoice::Company(_))
    }

    /// Whether the invoice goes to a charity.
    pub fn is_donated(&self) -> bool {
        matches!(self, BuyerChoice::Donate(_))
    }

    /// The carrier type code and number the e-invoice records
    /// (`3J0002` mobile barcode, `CQ0001` citizen certificate, the Ministry
    /// of Finance codes for common carriers), if stored in one.
    pub fn carrier(&self) -> Option<(&'static str, &str)> {
        match self {
            BuyerChoice::Mobile(carrier) | BuyerChoice::CompanyMobile(_, carrier) => {
                Some(("3J0002", carrier.as_str()))
            }
            BuyerChoice::Citizen(certificate) => Some(("CQ0001", certificate.as_str())),
            _ => None,
        }
    }

    pub fn love_code(&self) -> Option<&LoveCode> {
        match self {
            BuyerChoice::Donate(love_code) => Some(love_code),
            _ => None,
        }
    }

    /// A short line for the cashier's screen.
    pub fn describe_zh(&self) -> String {
        match self {
            BuyerChoice::Print => "列印電子發票證明聯".to_string(),
            BuyerChoice::Mobile(carrier) => format!("存入手機條碼 {carrier}"),
            BuyerChoice::Citizen(_) => "存入自然人憑證".to_string(),
            BuyerChoice::Donate(love_code) => format!("捐贈（捐贈碼 {love_code}）"),
            BuyerChoice::Company(ban) => format!("統一編號 {ban}，列印證明聯及明細"),
            BuyerChoice::CompanyMobile(ban, carrier) => {
                format!("統一編號 {ban}，存入手機條碼 {carrier}")
            }
        }
    }

    pub fn describe_en(&self) -> String {
        match self {
            BuyerChoice::Print => "print the e-invoice proof".to_string(),
            BuyerChoice::Mobile(carrier) => format!("store in mobile barcode {carrier}"),
            BuyerChoice::Citizen(_) => "store in citizen certificate".to_string(),
            BuyerChoice::Donate(love_code) => format!("donate (love code {love_code})"),
            BuyerChoice::Company(ban) => {
                format!("business number {ban}, print proof and detail slip")
            }
            BuyerChoice::CompanyMobile(ban, carrier) => {
                format!("business number {ban}, store in mobile barcode {carrier}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(s: &str) -> MobileCarrier {
        s.parse().unwrap()
    }
    fn ban(s: &str) -> Ban {
        s.parse().unwrap()
    }

    #[test]
    fn mobile_carriers() {
        for good in ["/ABC1234", "/7DX6J02", "/QER3DEW", "/A.+-0Z9", "/-------"] {
            assert_eq!(m(good).as_str(), good);
        }
        assert_eq!(
            "/ABC123".parse::<MobileCarrier>(),
            Err(MobileCarrierError::WrongLength(7))
        );
        assert_eq!(
            "/ABC12345".parse::<MobileCarrier>(),
            Err(MobileCarrierError::WrongLength(9))
        );
        assert_eq!(
            "-ABC1234".parse::<MobileCarrier>(),
            Err(MobileCarrierError::NoSlash)
        );
        assert_eq!(
            "/abc1234".parse::<MobileCarrier>(),
            Err(MobileCarrierError::LowerCase)
        );
        assert_eq!(
            "/ABC_234".parse::<MobileCarrier>(),
            Err(MobileCarrierError::BadChar {
                position: 5,
                found: '_'
            })
        );
        assert_eq!(
            "/ABC12３4".parse::<MobileCarrier>(),
            Err(MobileCarrierError::BadChar {
                position: 7,
                found: '３'
            })
        );
    }

    #[test]
    fn lower_case_carrier_error_names_caps_lock() {
        let msg = "/abc1234".parse::<MobileCarrier>().unwrap_err().to_string();
        assert!(msg.contains("Caps Lock"), "{msg}");
        assert!(msg.contains("大寫鎖定"), "{msg}");
        // The value itself is never repeated in errors.
        assert!(!msg.contains("abc1234"), "{msg}");
    }

    #[test]
    fn citizen_certificates() {
        assert!("AB12345678901234".parse::<CitizenCertificate>().is_ok());
        assert_eq!(
            "AB1234567890123".parse::<CitizenCertificate>(),
            Err(CitizenCertificateError::WrongLength(15))
        );
        assert_eq!(
            "ab12345678901234".parse::<CitizenCertificate>(),
            Err(CitizenCertificateError::LowerCase)
        );
        assert_eq!(
            "A112345678901234".parse::<CitizenCertificate>(),
            Err(CitizenCertificateError::LettersExpected)
        );
        assert_eq!(
            "AB1234567890123X".parse::<CitizenCertificate>(),
            Err(CitizenCertificateError::DigitsExpected)
        );
        assert_eq!(
            "AB１2345678901234".parse::<CitizenCertificate>(),
            Err(CitizenCertificateError::DigitsExpected)
        );
    }

    #[test]
    fn love_codes() {
        for good in ["123", "8585", "1234567", "001"] {
            assert!(good.parse::<LoveCode>().is_ok(), "{good}");
        }
        assert_eq!("12".parse::<LoveCode>(), Err(LoveCodeError::WrongLength(2)));
        assert_eq!(
            "12345678".parse::<LoveCode>(),
            Err(LoveCodeError::WrongLength(8))
        );
        assert_eq!("12a4".parse::<LoveCode>(), Err(LoveCodeError::NotDigits));
        assert_eq!("".parse::<LoveCode>(), Err(LoveCodeError::WrongLength(0)));
    }

    #[test]
    fn real_bans_pass_both_rules() {
        // TSMC, Chunghwa Telecom, Hon Hai, President Chain Store, and the
        // BAN of ECPay's public sandbox merchant.
        for good in ["22099131", "96979933", "04541302", "22555003", "53538851"] {
            assert!(
                Ban::parse_with_rule(good, BanRule::Since2023).is_ok(),
                "{good}"
            );
            assert!(
                Ban::parse_with_rule(good, BanRule::Before2023).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn ban_issued_after_the_2023_change_needs_the_new_rule() {
        assert_eq!(ban("04595252").as_str(), "04595252");
        assert_eq!(
            Ban::parse_with_rule("04595252", BanRule::Before2023),
            Err(BanError::BadChecksum)
        );
    }

    #[test]
    fn seventh_digit_seven_gets_a_second_chance() {
        // Weighted digit sum 39: fails as is, passes as 39 + 1.
        assert!(Ban::parse_with_rule("12345675", BanRule::Before2023).is_ok());
        assert!(Ban::parse_with_rule("12345675", BanRule::Since2023).is_ok());
        // Sum 19 under the old rule, only through the 7th digit.
        assert!(Ban::parse_with_rule("10000078", BanRule::Before2023).is_ok());
        // Sum 14: 15 is divisible by 5 but not 10.
        assert!(Ban::parse_with_rule("10000073", BanRule::Since2023).is_ok());
        assert_eq!(
            Ban::parse_with_rule("10000073", BanRule::Before2023),
            Err(BanError::BadChecksum)
        );
        // Sum 39 again, but the 7th digit is 9: no second chance.
        assert_eq!(
            Ban::parse_with_rule("12345696", BanRule::Before2023),
            Err(BanError::BadChecksum)
        );
    }

    #[test]
    fn bad_bans() {
        assert_eq!("22099132".parse::<Ban>(), Err(BanError::BadChecksum));
        assert_eq!("12345678".parse::<Ban>(), Err(BanError::BadChecksum));
        assert_eq!("2209913".parse::<Ban>(), Err(BanError::WrongLength(7)));
        assert_eq!("220991311".parse::<Ban>(), Err(BanError::WrongLength(9)));
        assert_eq!("2209913A".parse::<Ban>(), Err(BanError::NotDigits));
        assert_eq!("22O99131".parse::<Ban>(), Err(BanError::NotDigits));
        assert_eq!("00000000".parse::<Ban>(), Err(BanError::AllZero));
        assert_eq!("".parse::<Ban>(), Err(BanError::WrongLength(0)));
    }

    #[test]
    fn serde_refuses_invalid_identifiers() {
        let ok: Ban = serde_json::from_str("\"22099131\"").unwrap();
        assert_eq!(ok.as_str(), "22099131");
        assert!(serde_json::from_str::<Ban>("\"22099132\"").is_err());
        let choice = BuyerChoice::Company(ok);
        let json = serde_json::to_string(&choice).unwrap();
        assert_eq!(serde_json::from_str::<BuyerChoice>(&json).unwrap(), choice);
    }

    #[test]
    fn what_each_choice_prints() {
        let print = BuyerChoice::Print;
        let mobile = BuyerChoice::Mobile(m("/ABC1234"));
        let citizen = BuyerChoice::Citizen("AB12345678901234".parse().unwrap());
        let donate = BuyerChoice::Donate("8585".parse().unwrap());
        let company = BuyerChoice::Company(ban("22099131"));
        assert!(print.prints_proof() && !print.shows_format_25() && !print.prints_detail_slip());
        for c in [&mobile, &citizen, &donate] {
            assert!(!c.prints_proof(), "{c:?}");
            assert!(!c.prints_detail_slip(), "{c:?}");
            assert!(c.ban().is_none());
        }
        assert!(donate.is_donated());
        assert!(
            company.prints_proof() && company.shows_format_25() && company.prints_detail_slip()
        );
        assert_eq!(mobile.carrier(), Some(("3J0002", "/ABC1234")));
        assert_eq!(citizen.carrier(), Some(("CQ0001", "AB12345678901234")));
        assert_eq!(company.carrier(), None);
    }

    #[test]
    fn combining_scans() {
        let mobile_a = BuyerChoice::Mobile(m("/AAAAAAA"));
        let mobile_b = BuyerChoice::Mobile(m("/BBBBBBB"));
        let donate = BuyerChoice::Donate("8585".parse().unwrap());
        let company = BuyerChoice::Company(ban("22099131"));
        let other_company = BuyerChoice::Company(ban("04595252"));
        let c = BuyerChoice::combine;

        // A carrier replaces a carrier; a donation replaces a carrier and back.
        assert_eq!(c(&mobile_a, mobile_b.clone()), Ok(mobile_b.clone()));
        assert_eq!(c(&mobile_a, donate.clone()), Ok(donate.clone()));
        assert_eq!(c(&donate, mobile_a.clone()), Ok(mobile_a.clone()));
        assert_eq!(c(&BuyerChoice::Print, company.clone()), Ok(company.clone()));
        // A new BAN replaces the old one.
        assert_eq!(c(&company, other_company.clone()), Ok(other_company));
        // Print drops a carrier but keeps a BAN.
        assert_eq!(c(&mobile_a, BuyerChoice::Print), Ok(BuyerChoice::Print));
        assert_eq!(c(&company, BuyerChoice::Print), Ok(company.clone()));

        // Donation and BAN never go together, in either order.
        assert_eq!(
            c(&company, donate.clone()),
            Err(ChoiceError::DonationWithBan)
        );
        assert_eq!(
            c(&donate, company.clone()),
            Err(ChoiceError::DonationWithBan)
        );
        // Carrier and BAN only where the shop allows it.
        assert_eq!(
            c(&company, mobile_a.clone()),
            Err(ChoiceError::CarrierWithBan)
        );
        assert_eq!(
            c(&mobile_a, company.clone()),
            Err(ChoiceError::CarrierWithBan)
        );
        let allow = CombineRules {
            ban_with_mobile_carrier: true,
        };
        let both = BuyerChoice::combine_with(&mobile_a, company.clone(), allow).unwrap();
        assert_eq!(
            both,
            BuyerChoice::CompanyMobile(ban("22099131"), m("/AAAAAAA"))
        );
        assert!(!both.prints_proof());
        assert_eq!(both.ban(), Some(&ban("22099131")));
        assert_eq!(
            BuyerChoice::combine_with(&both, mobile_b, allow),
            Ok(BuyerChoice::CompanyMobile(ban("22099131"), m("/BBBBBBB")))
        );
        assert_eq!(
            BuyerChoice::combine_with(&both, donate, allow),
            Err(ChoiceError::DonationWithBan)
        );
        // Citizen certificates stay apart from a BAN even when allowed.
        let citizen = BuyerChoice::Citizen("AB12345678901234".parse().unwrap());
        assert_eq!(
            BuyerChoice::combine_with(&company, citizen, allow),
            Err(ChoiceError::CarrierWithBan)
        );
    }

    /// The smallest last digit that makes `first7` a valid BAN under `rule`.
    fn complete_ban(first7: &str, rule: BanRule) -> Option<String> {
        (0..10)
            .map(|d| format!("{first7}{d}"))
            .find(|s| Ban::parse_with_rule(s, rule).is_ok())
    }

    fn any_choice() -> impl Strategy<Value = BuyerChoice> {
        prop_oneof![
            Just(BuyerChoice::Print),
            "/[0-9A-Z.+-]{7}".prop_map(|s| BuyerChoice::Mobile(m(&s))),
            "[A-Z]{2}[0-9]{14}".prop_map(|s| BuyerChoice::Citizen(s.parse().unwrap())),
            "[0-9]{3,7}".prop_map(|s| BuyerChoice::Donate(s.parse().unwrap())),
            Just(BuyerChoice::Company(ban("22099131"))),
            Just(BuyerChoice::Company(ban("04595252"))),
        ]
    }

    proptest! {
        #[test]
        fn valid_carriers_round_trip(s in "/[0-9A-Z.+-]{7}") {
            let c: MobileCarrier = s.parse().unwrap();
            prop_assert_eq!(c.to_string(), s.clone());
            prop_assert_eq!(String::from(c.clone()).parse::<MobileCarrier>().unwrap(), c);
        }

        #[test]
        fn carriers_with_a_lower_case_letter_are_refused(s in "/[0-9A-Z.+-]{6}", at in 1usize..8, l in "[a-z]") {
            let mut chars: Vec<char> = s.chars().collect();
            chars.insert(at.min(chars.len()), l.chars().next().unwrap());
            let t: String = chars.into_iter().collect();
            prop_assert_eq!(t.parse::<MobileCarrier>(), Err(MobileCarrierError::LowerCase));
        }

        #[test]
        fn citizen_certificates_round_trip(s in "[A-Z]{2}[0-9]{14}") {
            prop_assert_eq!(s.parse::<CitizenCertificate>().unwrap().to_string(), s);
        }

        #[test]
        fn love_codes_round_trip(s in "[0-9]{3,7}") {
            prop_assert_eq!(s.parse::<LoveCode>().unwrap().to_string(), s);
        }

        #[test]
        fn validators_never_panic(s in any::<String>()) {
            let _ = s.parse::<MobileCarrier>();
            let _ = s.parse::<CitizenCertificate>();
            let _ = s.parse::<LoveCode>();
            let _ = Ban::parse_with_rule(&s, BanRule::Before2023);
            let _ = s.parse::<Ban>();
        }

        #[test]
        fn every_seven_digits_complete_to_a_ban_and_round_trip(first7 in "[0-9]{7}") {
            // Under the 5-rule each 7-digit prefix has two valid last digits.
            let s = complete_ban(&first7, BanRule::Since2023)
                .expect("some last digit always satisfies the mod-5 rule");
            let b: Ban = s.parse().unwrap();
            prop_assert_eq!(b.to_string(), s.clone());
            prop_assert_eq!(serde_json::from_str::<Ban>(&serde_json::to_string(&b).unwrap()).unwrap(), b);
        }

        #[test]
        fn old_rule_bans_pass_the_new_rule(first7 in "[0-9]{7}") {
            if let Some(s) = complete_ban(&first7, BanRule::Before2023) {
                if s != "00000000" {
                    prop_assert!(s.parse::<Ban>().is_ok(), "{}", s);
                }
            }
        }

        #[test]
        fn a_changed_last_digit_breaks_an_old_rule_ban(first7 in "[0-9]{7}", delta in 1u8..10) {
            // Under mod 10 the last digit (weight 1) is unique, unless the
            // 7th-digit rule admits a second one exactly 1 lower or higher.
            if let Some(s) = complete_ban(&first7, BanRule::Before2023) {
                let last = s.as_bytes()[7] - b'0';
                let changed = (last + delta) % 10;
                let t = format!("{first7}{changed}");
                let seventh_is_7 = first7.as_bytes()[6] == b'7';
                let neighbour = changed == (last + 1) % 10 || changed == (last + 9) % 10;
                if !(seventh_is_7 && neighbour) {
                    prop_assert!(Ban::parse_with_rule(&t, BanRule::Before2023).is_err(), "{}", t);
                }
            }
        }

        #[test]
        fn combining_never_puts_a_donation_with_a_ban(
            a in any_choice(), b in any_choice(), allow in any::<bool>()
        ) {
            let rules = CombineRules { ban_with_mobile_carrier: allow };
            if let Ok(c) = BuyerChoice::combine_with(&a, b.clone(), rules) {
                prop_assert!(!(c.is_donated() && c.ban().is_some()));
                if !allow {
                    let both = matches!(c, BuyerChoice::CompanyMobile(..));
                    prop_assert!(!both);
                }
                // Whatever was scanned last is reflected in the result.
                match &b {
                    BuyerChoice::Company(ban) => prop_assert_eq!(c.ban(), Some(ban)),
                    BuyerChoice::Donate(_) => prop_assert!(c.is_donated()),
                    BuyerChoice::Mobile(carrier) => {
                        prop_assert_eq!(c.carrier(), Some(("3J0002", carrier.as_str())))
                    }
                    _ => {}
                }
            }
        }
    }
}
