//! Values that must never be shown: merchant keys, HashKey/HashIV, agent
//! keys, the e-invoice QR AES key, PIN hashes. `Secret` prints as
//! `[redacted]` in `Debug` and `Display`, so a secret that slips into a log
//! line, an error or a panic message shows nothing. Code that must use the
//! value (signing, encryption) calls [`Secret::expose`] explicitly.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value itself, for signing and encryption only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        d.deserialize_string(SecretVisitor)
    }
}

/// Takes text only. serde's own refusal of another type quotes the value
/// ("invalid type: integer `123456`"), and a key typed without its quotes
/// would then be shown by `config check`: this refusal never quotes it.
struct SecretVisitor;

impl SecretVisitor {
    fn refuse<E: serde::de::Error>(kind: &str) -> E {
        E::custom(format!(
            "a secret must be text in quotes, not {kind} (its value is not shown)"
        ))
    }
}

impl serde::de::Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a secret as text in quotes")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
        Ok(Secret(v.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
        Ok(Secret(v))
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Secret, E> {
        Err(Self::refuse("a number"))
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Secret, E> {
        Err(Self::refuse("a number"))
    }

    fn visit_i128<E: serde::de::Error>(self, _: i128) -> Result<Secret, E> {
        Err(Self::refuse("a number"))
    }

    fn visit_u128<E: serde::de::Error>(self, _: u128) -> Result<Secret, E> {
        Err(Self::refuse("a number"))
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(Self::refuse("a number"))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(Self::refuse("true or false"))
    }

    fn visit_bytes<E: serde::de::Error>(self, _: &[u8]) -> Result<Secret, E> {
        Err(Self::refuse("bytes"))
    }
}

/// Serialises the real value: used only to write the owner-only config file.
impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let s = Secret::new("2AA6B9B6F9C64247ABB2677B6AF2C896");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Cfg {
            key: Secret,
        }
        assert!(!format!("{:?}", Cfg { key: s.clone() }).contains("2AA6"));
        assert_eq!(s.expose(), "2AA6B9B6F9C64247ABB2677B6AF2C896");
    }

    /// A key written without its quotes is refused without being repeated:
    /// `config check` prints the refusal.
    #[test]
    fn a_key_of_the_wrong_type_is_refused_without_showing_it() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Cfg {
            key: Secret,
        }
        for (text, kind) in [
            ("key = 987654321987", "number"),
            ("key = 98765.4321", "number"),
            ("key = true", "true or false"),
        ] {
            let err = toml::from_str::<Cfg>(text).unwrap_err();
            let message = err.message();
            assert!(
                message.contains(kind),
                "{text}: says what it got: {message}"
            );
            assert!(
                !message.contains("98765") && !message.contains("true`"),
                "{text}: the value is not repeated: {message}"
            );
        }
        let ok: Cfg = toml::from_str("key = \"s3cr3t\"").unwrap();
        assert_eq!(ok.key.expose(), "s3cr3t");
    }
}
