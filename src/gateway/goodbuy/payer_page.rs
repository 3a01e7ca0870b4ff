//! What the aggregator's create-order answer tells the customer: for `atm`
//! the bank code and virtual account, for `store` the convenience-store
//! payment code, the deadline, and the payer page's address.
//!
//! `goodbuy-form-gateway.txt` says only that a successful create answers
//! the payer's page; it does not describe the page. So it is read
//! best-effort: a JSON object with any of the usual key names, else HTML
//! elements whose `id`, `name` or `data-field` is one of those names, else
//! labelled text (`銀行代碼:822`). Anything not found is `None`. The
//! simulator's page (`sim::goodbuy`) uses the `id` form.

use chrono::{NaiveDate, NaiveDateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

use crate::taipei;

/// The payment instructions found on the payer page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayerPage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_code: Option<String>,
    /// The virtual account number (ATM transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The convenience-store payment code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
    /// RFC 3339, +08:00.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
}

impl PayerPage {
    pub fn is_empty(&self) -> bool {
        *self == PayerPage::default()
    }
}

/// Machine names, then labels a page may print before the value.
const BANK: (&[&str], &[&str]) = (
    &["bank_code", "bank_id", "bankcode", "bank"],
    &["銀行代碼", "銀行代號", "bank code"],
);
const ACCOUNT: (&[&str], &[&str]) = (
    &[
        "account",
        "virtual_account",
        "vaccount",
        "atm_account",
        "acc",
    ],
    &[
        "虛擬帳號",
        "轉帳帳號",
        "繳費帳號",
        "virtual account",
        "account",
    ],
);
const STORE: (&[&str], &[&str]) = (
    &[
        "store_code",
        "payment_code",
        "pay_code",
        "paycode",
        "cvs_code",
        "code_no",
    ],
    &["繳費代碼", "超商代碼", "payment code", "store code"],
);
const URL: (&[&str], &[&str]) = (
    &["pay_url", "payment_url", "payurl", "url"],
    &["付款網址", "繳費網址", "pay url"],
);
const DEADLINE: (&[&str], &[&str]) = (
    &[
        "deadline",
        "expire_date",
        "expired_date",
        "expire_time",
        "pay_deadline",
    ],
    &["繳費期限", "付款期限", "截止時間", "deadline"],
);

/// Reads a create-order answer. `final_url` is where the answer came from
/// when the aggregator redirected to the payer page (then it is the page).
pub fn read_payer_page(body: &str, final_url: Option<&str>) -> PayerPage {
    let find = |(names, labels): (&[&str], &[&str])| -> Option<String> {
        from_json(body, names)
            .or_else(|| from_elements(body, names))
            .or_else(|| from_labels(body, labels))
    };
    let pay_url = find(URL)
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
        .or_else(|| final_url.map(str::to_string));
    PayerPage {
        bank_code: find(BANK),
        account: find(ACCOUNT),
        store_code: find(STORE),
        pay_url,
        deadline: find(DEADLINE).and_then(|d| deadline(&d)),
    }
}

fn clean(v: &str) -> Option<String> {
    let v = v
        .replace("&amp;", "&")
        .replace("&nbsp;", " ")
        .replace("&#x2F;", "/");
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn from_json(body: &str, names: &[&str]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let obj = v.as_object()?;
    names.iter().find_map(|n| match obj.get(*n)? {
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// `<dd id="bank_code">822</dd>`, `<input name="account" value="…">`,
/// `<a id="pay_url" href="…">`: an attribute naming the field, then the
/// element's `value` / `href` or its text.
fn from_elements(body: &str, names: &[&str]) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    for name in names {
        for attr in ["id", "name", "data-field"] {
            for quote in ['"', '\''] {
                let needle = format!("{attr}={quote}{name}{quote}");
                let mut from = 0;
                while let Some(i) = lower[from..].find(&needle) {
                    let at = from + i;
                    from = at + needle.len();
                    // Only a whole attribute name (not `data-id=`).
                    if at > 0 && !lower.as_bytes()[at - 1].is_ascii_whitespace() {
                        continue;
                    }
                    let start = lower[..at].rfind('<').unwrap_or(0);
                    let Some(end) = lower[at..].find('>').map(|e| at + e) else {
                        continue;
                    };
                    let tag = &body[start..end];
                    let found = attribute(tag, "value")
                        .or_else(|| attribute(tag, "href"))
                        .or_else(|| {
                            let rest = &body[end + 1..];
                            clean(&rest[..rest.find('<').unwrap_or(rest.len())])
                        });
                    if found.is_some() {
                        return found;
                    }
                }
            }
        }
    }
    None
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        if let Some(i) = lower.find(&needle) {
            let v = &tag[i + needle.len()..];
            return clean(&v[..v.find(quote)?]);
        }
    }
    None
}

/// `銀行代碼:822` / `Bank code: 822` in the page's text.
fn from_labels(body: &str, labels: &[&str]) -> Option<String> {
    let text = strip_tags(body);
    for line in text.lines() {
        let lower = line.to_lowercase();
        for label in labels {
            let Some(i) = lower.find(&label.to_lowercase()) else {
                continue;
            };
            // Byte offsets agree: lower-casing keeps these texts' lengths.
            let Some(rest) = line.get(i + label.len()..) else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(rest) = rest
                .strip_prefix(':')
                .or_else(|| rest.strip_prefix(':'))
                .or_else(|| rest.strip_prefix('='))
            else {
                continue;
            };
            if let Some(v) = clean(rest) {
                return Some(v);
            }
        }
    }
    None
}

/// The text of an HTML page, one line per block element or line break.
fn strip_tags(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push('\n');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A deadline as the page writes it → RFC 3339 in Taipei time. A date
/// alone means the end of that day.
fn deadline(s: &str) -> Option<String> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(stamp(t.with_timezone(&taipei::offset())));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
        "%Y%m%d%H%M%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(stamp(taipei::from_wall_clock(t)));
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Some(stamp(taipei::from_wall_clock(d.and_hms_opt(23, 59, 59)?)));
        }
    }
    None
}

fn stamp(t: taipei::TaipeiTime) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIM_PAGE: &str = r#"<!doctype html><html><head><meta charset="utf-8"><title>付款資訊</title></head><body>
<h1>付款資訊 / Payment instructions</h1>
<dl>
<dt>銀行代碼 Bank code</dt><dd id="bank_code">822</dd>
<dt>虛擬帳號 Virtual account</dt><dd id="account">95012345678901</dd>
<dt>繳費期限 Deadline</dt><dd id="deadline">2026-11-25 23:59:59</dd>
</dl>
<p><a id="pay_url" href="http://127.0.0.1:4000/pay/T0126112200042P01">付款頁 / payer page</a></p>
</body></html>"#;

    #[test]
    fn the_simulators_page_gives_every_value() {
        let p = read_payer_page(SIM_PAGE, None);
        assert_eq!(p.bank_code.as_deref(), Some("822"));
        assert_eq!(p.account.as_deref(), Some("95012345678901"));
        assert_eq!(p.store_code, None);
        assert_eq!(p.deadline.as_deref(), Some("2026-11-25T23:59:59+08:00"));
        assert_eq!(
            p.pay_url.as_deref(),
            Some("http://127.0.0.1:4000/pay/T0126112200042P01")
        );
    }

    #[test]
    fn labelled_text_and_a_redirect_address_are_read_too() {
        let page =
            "<html><body><p>超商代碼:GB1234567890</p><p>付款期限: 2026/11/25</p></body></html>";
        let p = read_payer_page(page, Some("https://pay.example/p/1"));
        assert_eq!(p.store_code.as_deref(), Some("GB1234567890"));
        assert_eq!(p.deadline.as_deref(), Some("2026-11-25T23:59:59+08:00"));
        assert_eq!(p.pay_url.as_deref(), Some("https://pay.example/p/1"));
        assert_eq!(p.bank_code, None);
    }

    #[test]
    fn a_json_answer_is_read_by_its_keys() {
        let p = read_payer_page(
            r#"{"bank_id": 812, "virtual_account": "1234-5678", "expire_date": "20261125120000"}"#,
            None,
        );
        assert_eq!(p.bank_code.as_deref(), Some("812"));
        assert_eq!(p.account.as_deref(), Some("1234-5678"));
        assert_eq!(p.deadline.as_deref(), Some("2026-11-25T12:00:00+08:00"));
    }

    #[test]
    fn a_page_without_instructions_gives_none_not_guesses() {
        let p = read_payer_page("<html><body>付款頁 / pay page</body></html>", None);
        assert!(p.is_empty(), "{p:?}");
        let p = read_payer_page(
            r#"<dd id="deadline">soon</dd><a id="pay_url" href="javascript:x()">x</a>"#,
            None,
        );
        assert!(p.is_empty(), "{p:?}");
        assert!(read_payer_page("", None).is_empty());
    }
}
