//! The words of the till in zh-TW (the default) and English, for every
//! floor: the GUI (`ui::i18n` builds on this), the command line and the
//! errors of the domain and I/O modules, which carry facts and are worded
//! here through [`Localized`].
//!
//! The texts live in `assets/locales/*.toml`, embedded with `include_str!`:
//! no file is read at run time, so this module stays pure. A key is
//! `section.name` (`[section]` then `name = "…"`); arguments are written
//! `{name}` in the text and filled by [`fill`].

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The language text is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
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

    /// The language a POSIX locale name asks for: Chinese for any `zh…`
    /// (`zh_TW.UTF-8`), none for `C`, `POSIX` or nothing (they name no
    /// language), English for any other. The caller reads the environment;
    /// this only decides.
    pub fn from_posix_locale(name: &str) -> Option<Lang> {
        let name = name.to_ascii_lowercase();
        let language = name.split(['.', '@']).next().unwrap_or_default();
        match language {
            "" | "c" | "posix" => None,
            l if l.starts_with("zh") => Some(Lang::ZhTw),
            _ => Some(Lang::En),
        }
    }
}

const ZH_TW: &str = include_str!("../assets/locales/zh-TW.toml");
const EN: &str = include_str!("../assets/locales/en.toml");

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

/// The embedded locale file of `lang`, as text.
pub fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhTw => ZH_TW,
        Lang::En => EN,
    }
}

fn table(lang: Lang) -> &'static Table {
    static ZH: OnceLock<Table> = OnceLock::new();
    static ENG: OnceLock<Table> = OnceLock::new();
    let cell = match lang {
        Lang::ZhTw => &ZH,
        Lang::En => &ENG,
    };
    cell.get_or_init(|| parse(source(lang)).expect("the embedded locale parses"))
}

/// The text for `key`. A missing key shows as the key itself, so a gap is
/// visible rather than an empty message (the locale tests keep it from
/// shipping).
pub fn tr(lang: Lang, key: &str) -> String {
    table(lang)
        .get(key)
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// The text for `key` with its `{name}` arguments filled in. English
/// counts pick their noun with `{name|one|other}` (`{n} {n|sale|sales}`):
/// `one` when the argument is 1, else `other`. (Two forms are all our two
/// languages need; a plural engine such as Fluent would be more than this.)
pub fn fill(lang: Lang, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
    let mut s = tr(lang, key);
    for (name, value) in args {
        let value = value.to_string();
        s = s.replace(&format!("{{{name}}}"), &value);
        s = choose_plural(&s, name, &value);
    }
    s
}

/// `{name|one|other}` in `text` becomes `one` when `value` is 1, else `other`.
fn choose_plural(text: &str, name: &str, value: &str) -> String {
    let open = format!("{{{name}|");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        let Some(close) = after.find('}') else { break };
        let (one, other) = after[..close]
            .split_once('|')
            .unwrap_or((&after[..close], ""));
        out.push_str(&rest[..at]);
        out.push_str(if value == "1" { one } else { other });
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The `{name}` arguments a text uses, in order of first use.
pub fn arguments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !out.contains(&name)
        {
            out.push(name);
        }
        rest = &after[close + 1..];
    }
    out
}

/// Something the till says — an error, a refusal — that holds its facts
/// and is worded only when shown, in the language of whoever reads it.
pub trait Localized {
    /// The message in `lang`.
    fn message(&self, lang: Lang) -> String;

    /// Both languages, zh-TW first: `中文 / English`. What `Display` gives
    /// for logs and for readers whose language is not known.
    fn both(&self) -> String {
        format!("{} / {}", self.message(Lang::ZhTw), self.message(Lang::En))
    }
}

/// `impl Display` as [`Localized::both`] for the listed types.
#[macro_export]
macro_rules! display_both {
    ($($t:ty),+ $(,)?) => {$(
        impl ::std::fmt::Display for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::locale::Localized::both(self))
            }
        }
    )+};
}

/// A message worded only when shown: a locale key and its arguments, each
/// already formatted (numbers, money and codes read the same in both
/// languages). For findings that are lists of sentences rather than error
/// enums (`till config check`, the refund rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(Said);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    Key {
        key: &'static str,
        args: Vec<(&'static str, Arg)>,
    },
    /// An error worded from the locale files when the finding was made.
    Worded { zh_tw: String, en: String },
}

/// An argument of a [`Text`]: the same in both languages, or itself worded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Plain(String),
    Worded { zh_tw: String, en: String },
}

impl Text {
    pub fn new(key: &'static str) -> Text {
        Text(Said::Key {
            key,
            args: Vec::new(),
        })
    }

    /// `{name}` in the text becomes `value`.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Text {
        if let Said::Key { args, .. } = &mut self.0 {
            args.push((name, Arg::Plain(value.to_string())));
        }
        self
    }

    /// `{name}` in the text becomes what `said` says, in the same language.
    pub fn arg_said(mut self, name: &'static str, said: &impl Localized) -> Text {
        if let Said::Key { args, .. } = &mut self.0 {
            args.push((
                name,
                Arg::Worded {
                    zh_tw: said.message(Lang::ZhTw),
                    en: said.message(Lang::En),
                },
            ));
        }
        self
    }

    /// Words given from outside in each language (a gateway's own words
    /// or next step), shown as they are.
    pub fn given(zh_tw: impl Into<String>, en: impl Into<String>) -> Text {
        Text(Said::Worded {
            zh_tw: zh_tw.into(),
            en: en.into(),
        })
    }

    /// What `said` says, in both languages.
    pub fn worded(said: &impl Localized) -> Text {
        Text(Said::Worded {
            zh_tw: said.message(Lang::ZhTw),
            en: said.message(Lang::En),
        })
    }
}

impl Localized for Text {
    fn message(&self, lang: Lang) -> String {
        match (&self.0, lang) {
            (Said::Key { key, args }, _) => {
                let args: Vec<(&str, &dyn fmt::Display)> = args
                    .iter()
                    .map(|(name, value)| {
                        let value = match (value, lang) {
                            (Arg::Plain(v), _) => v,
                            (Arg::Worded { zh_tw, .. }, Lang::ZhTw) => zh_tw,
                            (Arg::Worded { en, .. }, Lang::En) => en,
                        };
                        (*name, value as &dyn fmt::Display)
                    })
                    .collect();
                fill(lang, key, &args)
            }
            (Said::Worded { zh_tw, .. }, Lang::ZhTw) => zh_tw.clone(),
            (Said::Worded { en, .. }, Lang::En) => en.clone(),
        }
    }
}

crate::display_both!(Text);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

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

    /// A `{name}` filled in one language is filled in the other: a key
    /// whose English has `{amount}` and Chinese not would drop the amount.
    #[test]
    fn both_locales_use_the_same_arguments_per_key() {
        let zh = parse(ZH_TW).unwrap();
        let en = parse(EN).unwrap();
        let mut differ = Vec::new();
        for (key, zh_text) in &zh {
            let Some(en_text) = en.get(key) else { continue };
            let a: BTreeSet<_> = arguments(zh_text).into_iter().collect();
            let b: BTreeSet<_> = arguments(en_text).into_iter().collect();
            if a != b {
                differ.push(format!("{key}: zh {a:?}, en {b:?}"));
            }
        }
        differ.sort();
        assert!(differ.is_empty(), "arguments differ: {differ:#?}");
    }

    /// Every key the source asks for (`tr(lang, "…")`, `fill(lang, "…", …)`,
    /// the GUI's `t`/`tf`) exists in the locales.
    #[test]
    fn every_key_the_source_uses_exists() {
        let zh = parse(ZH_TW).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
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
                for (i, _) in src.match_indices('"') {
                    // A key is a quoted dotted lower-case word right after
                    // `lang,` (any call that takes the language first, on
                    // one line or wrapped) or `Text::new(`; any `"words.…"`
                    // is one too.
                    let before = src[..i].trim_end();
                    let after = &src[i + 1..];
                    if !(before.ends_with("lang,")
                        || before.ends_with("Text::new(")
                        || after.starts_with("words."))
                    {
                        continue;
                    }
                    let rest = &src[i + 1..];
                    let Some(end) = rest.find('"') else { continue };
                    let key = &rest[..end];
                    if key.contains('.')
                        && !key.ends_with('.')
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
        assert!(used > 10, "the scan found the source's keys ({used})");
        assert!(missing.is_empty(), "missing locale keys: {missing:#?}");
    }

    #[test]
    fn arguments_are_filled_and_a_missing_key_shows_itself() {
        assert_eq!(
            fill(Lang::En, "sale.no_match", &[("query", &"tea")]),
            "No product matches \"tea\""
        );
        assert_eq!(tr(Lang::ZhTw, "no.such.key"), "no.such.key");
        assert_eq!(
            arguments("{a} and {b} and {a}, not {} or {x y}"),
            ["a", "b"]
        );
    }

    #[test]
    fn an_english_count_says_one_sale_and_two_sales() {
        let one = fill(Lang::En, "status.uploads_waiting", &[("n", &1)]);
        assert_eq!(one, "1 invoice waiting for upload");
        let two = fill(Lang::En, "status.uploads_waiting", &[("n", &2)]);
        assert_eq!(two, "2 invoices waiting for upload");
        let none = fill(
            Lang::En,
            "history.open_status",
            &[("n", &0), ("amount", &"NT$0"), ("paid", &"NT$0")],
        );
        assert!(none.starts_with("0 open sales,"), "{none}");
        // Chinese has no plural: the same words whatever the count.
        let zh = fill(Lang::ZhTw, "status.uploads_waiting", &[("n", &1)]);
        assert!(!zh.contains('|') && zh.contains('1'), "{zh}");
        // No English text is left with "(s)".
        let left: Vec<_> = table(Lang::En)
            .iter()
            .filter(|(_, text)| text.contains("(s)"))
            .map(|(key, _)| key.clone())
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_text_is_worded_when_shown_and_displays_both_languages() {
        let text = Text::new("sale.no_match").arg("query", "tea");
        assert_eq!(text.message(Lang::En), "No product matches \"tea\"");
        assert_eq!(
            text.to_string(),
            format!("{} / {}", text.message(Lang::ZhTw), text.message(Lang::En))
        );
        assert!(text.message(Lang::ZhTw).contains("tea"));
        // A worded argument follows the text's language.
        let inner = Text::new("words.cli.give_reason");
        let outer = Text::new("words.cli.nothing_found").arg_said("query", &inner);
        assert_eq!(
            outer.message(Lang::ZhTw),
            format!("找不到「{}」", inner.message(Lang::ZhTw))
        );
        assert_eq!(
            outer.message(Lang::En),
            format!("nothing found for \"{}\"", inner.message(Lang::En))
        );
    }

    #[test]
    fn a_posix_locale_picks_the_language() {
        assert_eq!(Lang::from_posix_locale("zh_TW.UTF-8"), Some(Lang::ZhTw));
        assert_eq!(Lang::from_posix_locale("zh_TW"), Some(Lang::ZhTw));
        assert_eq!(Lang::from_posix_locale("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::from_posix_locale("de_DE@euro"), Some(Lang::En));
        assert_eq!(Lang::from_posix_locale("C.UTF-8"), None);
        assert_eq!(Lang::from_posix_locale("POSIX"), None);
        assert_eq!(Lang::from_posix_locale(""), None);
    }
}
