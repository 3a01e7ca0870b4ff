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
        String::deserialize(d).map(Secret)
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
}
