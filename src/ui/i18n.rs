//! Cashier-facing text in zh-TW (default) and English, switchable at run
//! time: the GUI's names for the locale core (`crate::locale`), whose
//! strings live in `assets/locales/*.toml`, embedded in the binary.

pub use crate::locale::{Lang, parse};

/// The text for `key`. A missing key shows as the key itself, so a gap is
/// visible on screen rather than an empty button (tests keep it from shipping).
pub fn t(lang: Lang, key: &str) -> String {
    crate::locale::tr(lang, key)
}

/// The cashier's half of a "中文 / English" message from below the UI (the
/// terminal's and gateways' messages carry both): the Chinese before the
/// "/ " that starts the English in zh-TW, the English after it in English.
/// A message in one language only is shown as it is.
pub fn one_language(message: &str, lang: Lang) -> String {
    let cuts = || message.match_indices("/ ").map(|(i, _)| i);
    // Chinese ends at the first "/ " after some Chinese; English is the
    // longest tail with no Chinese (a wrapped "無法列印:X / Y / cannot
    // print: X / Y" has its English last).
    let zh_end = cuts().find(|&i| message[..i].chars().any(is_chinese));
    let en_start = cuts().map(|i| i + 2).find(|&j| {
        let tail = message[j..].trim();
        !tail.is_empty() && !tail.chars().any(is_chinese)
    });
    match (zh_end, en_start, lang) {
        (Some(i), Some(_), Lang::ZhTw) => message[..i].trim().to_string(),
        (Some(_), Some(j), Lang::En) => message[j..].trim().to_string(),
        _ => message.to_string(),
    }
}

fn is_chinese(c: char) -> bool {
    matches!(c as u32, 0x3000..=0x303F | 0x4E00..=0x9FFF | 0xFF00..=0xFFEF)
}

/// The text for `key` with `{name}` placeholders filled in.
pub fn tf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let args: Vec<(&str, &dyn std::fmt::Display)> = args
        .iter()
        .map(|(name, value)| (*name, value as &dyn std::fmt::Display))
        .collect();
    crate::locale::fill(lang, key, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bilingual message from below the UI shows in one language.
    #[test]
    fn a_two_language_message_shows_the_cashiers_half() {
        let cash = "現金(由錢櫃退還)/ cash from the drawer";
        assert_eq!(one_language(cash, Lang::ZhTw), "現金(由錢櫃退還)");
        assert_eq!(one_language(cash, Lang::En), "cash from the drawer");
        let cancelled = "交易已取消,未扣款 / the attempt was cancelled, nothing was charged";
        assert_eq!(one_language(cancelled, Lang::ZhTw), "交易已取消,未扣款");
        assert_eq!(
            one_language(cancelled, Lang::En),
            "the attempt was cancelled, nothing was charged"
        );
        // A wrapped message says each language once.
        let wrapped = "無法列印:此交易沒有電子發票證明聯 / this sale has no e-invoice proof / cannot print: 此交易沒有電子發票證明聯 / this sale has no e-invoice proof";
        assert_eq!(
            one_language(wrapped, Lang::ZhTw),
            "無法列印:此交易沒有電子發票證明聯"
        );
        assert_eq!(
            one_language(wrapped, Lang::En),
            "this sale has no e-invoice proof"
        );
        // One language, or a slash that does not divide languages: as is.
        for same in ["餘額不足", "insufficient balance", "載具 /ABC1234", "a / b"] {
            assert_eq!(one_language(same, Lang::En), same);
            assert_eq!(one_language(same, Lang::ZhTw), same);
        }
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            tf(Lang::En, "sale.no_match", &[("query", "tea")]),
            "No product matches \"tea\""
        );
        assert_eq!(t(Lang::ZhTw, "no.such.key"), "no.such.key");
    }
}
