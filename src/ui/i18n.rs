//! Cashier-facing text in zh-TW (default) and English, switchable at run
//! time. Strings live in `assets/locales/*.toml`, embedded in the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhTw,
    En,
}

impl Lang {
    pub fn toggled(self) -> Lang {
        match self {
            Lang::ZhTw => Lang::En,
            Lang::En => Lang::ZhTw,
        }
    }
}

const ZH_TW: &str = include_str!("../../assets/locales/zh-TW.toml");
const EN: &str = include_str!("../../assets/locales/en.toml");

type Table = HashMap<String, String>;

fn flatten(prefix: &str, value: &toml::Value, out: &mut Table) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// Parse a locale file into `section.key → text`.
pub fn parse(text: &str) -> Result<Table, toml::de::Error> {
    let value: toml::Value = toml::from_str(text)?;
    let mut out = Table::new();
    flatten("", &value, &mut out);
    Ok(out)
}

fn table(lang: Lang) -> &'static Table {
    static ZH: OnceLock<Table> = OnceLock::new();
    static ENG: OnceLock<Table> = OnceLock::new();
    match lang {
        Lang::ZhTw => ZH.get_or_init(|| parse(ZH_TW).expect("zh-TW locale parses")),
        Lang::En => ENG.get_or_init(|| parse(EN).expect("en locale parses")),
    }
}

/// The text for `key`. A missing key shows as the key itself, so a gap is
/// visible on screen rather than an empty button (tests keep it from shipping).
pub fn t(lang: Lang, key: &str) -> String {
    table(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
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
    let mut s = t(lang, key);
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

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
    fn both_locales_have_the_same_keys() {
        let zh: BTreeSet<_> = parse(ZH_TW).unwrap().into_keys().collect();
        let en: BTreeSet<_> = parse(EN).unwrap().into_keys().collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&zh).collect();
        assert!(
            only_zh.is_empty() && only_en.is_empty(),
            "zh only {only_zh:?}, en only {only_en:?}"
        );
    }

    /// Every `t(…, "key")` / `tf(…, "key", …)` in the UI source exists in the locales.
    #[test]
    fn every_key_the_ui_uses_exists() {
        let zh = parse(ZH_TW).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let mut missing = Vec::new();
        let mut used = 0;
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let src = std::fs::read_to_string(&path).unwrap();
                for (i, _) in src.match_indices("\"") {
                    // A key is a quoted dotted lower-case word right after `t(lang, ` or `tf(lang, `.
                    let before = &src[..i];
                    if !(before.ends_with("lang, ") || before.ends_with("self.lang, ")) {
                        continue;
                    }
                    let rest = &src[i + 1..];
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    if key.contains('.')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                    {
                        used += 1;
                        if !zh.contains_key(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(used > 10, "the scan found the UI's keys ({used})");
        assert!(missing.is_empty(), "missing locale keys: {missing:#?}");
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
