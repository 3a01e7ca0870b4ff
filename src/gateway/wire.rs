//! Lenient deserialisers for gateway answers. The vendors' samples send the
//! same field as a string in one place and a number in another (MyPay `uid`,
//! `cost`; JKoPay `IsRep`), so answers accept both; requests always send the
//! documented type.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

use crate::money::Ntd;

/// A string, or a number / bool / null turned into its text (null → "").
pub fn flex_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => if b { "1" } else { "0" }.to_string(),
        other => return Err(de::Error::custom(format!("expected text, got {other}"))),
    })
}

fn value_to_i64(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("{n} is not a whole number")),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("\"{s}\" is not a whole number")),
        other => Err(format!("expected a number, got {other}")),
    }
}

/// A whole number of NT$ sent as a JSON number or a numeric string.
pub fn flex_ntd<'de, D: Deserializer<'de>>(d: D) -> Result<Ntd, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v)
        .map_err(de::Error::custom)?
        .map(Ntd::new)
        .ok_or_else(|| de::Error::custom("missing amount"))
}

/// Like [`flex_ntd`], but null or "" is `None`.
pub fn flex_opt_ntd<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ntd>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(value_to_i64(&v).map_err(de::Error::custom)?.map(Ntd::new))
}

/// An integer sent as a number or a numeric string; null or "" is `None`.
pub fn flex_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v).map_err(de::Error::custom)
}

/// `1`, `"1"` or `true` → true; `0`, `"0"`, `""`, null or `false` → false.
pub fn flex_bool01<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Value::deserialize(d)? {
        Value::Bool(b) => Ok(b),
        Value::Null => Ok(false),
        v => match value_to_i64(&v).map_err(de::Error::custom)? {
            None | Some(0) => Ok(false),
            Some(1) => Ok(true),
            Some(n) => Err(de::Error::custom(format!("expected 0 or 1, got {n}"))),
        },
    }
}

/// A list sent as a JSON array, a JSON text holding one (form posts), or
/// null / "" for none.
pub fn flex_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) if s.trim().is_empty() => Ok(Vec::new()),
        Value::String(s) => serde_json::from_str(&s).map_err(de::Error::custom),
        v @ Value::Array(_) => serde_json::from_value(v).map_err(de::Error::custom),
        other => Err(de::Error::custom(format!("expected a list, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(deserialize_with = "flex_string", default)]
        s: String,
        #[serde(deserialize_with = "flex_ntd")]
        n: Ntd,
        #[serde(deserialize_with = "flex_bool01", default)]
        b: bool,
    }

    #[test]
    fn numbers_and_strings_both_read() {
        let a: T = serde_json::from_str(r#"{"s":95227,"n":"900","b":"1"}"#).unwrap();
        assert_eq!((a.s.as_str(), a.n, a.b), ("95227", Ntd::new(900), true));
        let b: T = serde_json::from_str(r#"{"s":"x","n":900,"b":0}"#).unwrap();
        assert_eq!((b.s.as_str(), b.n, b.b), ("x", Ntd::new(900), false));
    }

    #[test]
    fn fractions_and_junk_are_refused() {
        assert!(serde_json::from_str::<T>(r#"{"n":9.5}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":"9a"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"n":1,"b":2}"#).is_err());
    }
}
