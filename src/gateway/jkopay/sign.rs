//! JKoPay `Sign` (NOTES.md §1, "Sign"): lowercase hex SHA-256 of the compact
//! JSON of every field but `Sign`, keys in ASCII order, followed directly by
//! the merchant key. Plain SHA-256, not HMAC.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::gateway::constant_time_eq;
use crate::secret::Secret;

/// Why a message's signature did not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    Missing,
    Mismatch,
    NotAnObject,
}
impl crate::locale::Localized for SignError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::tr;
        match self {
            Self::Missing => tr(lang, "words.jkopay_sign.missing"),
            Self::Mismatch => tr(lang, "words.jkopay_sign.mismatch"),
            Self::NotAnObject => tr(lang, "words.jkopay_sign.not_an_object"),
        }
    }
}

crate::display_both!(SignError);

/// The exact text that is hashed before the key: compact JSON, keys sorted
/// by byte (= ASCII) order, `Sign` left out, empty strings kept. serde_json
/// escapes neither `/` nor non-ASCII, which is what the rule wants.
pub fn canonical_json(fields: &Map<String, Value>) -> String {
    let sorted: BTreeMap<&String, &Value> = fields.iter().filter(|(k, _)| *k != "Sign").collect();
    serde_json::to_string(&sorted).expect("a JSON map always serialises")
}

/// Sign a JSON object (its `Sign` field, if any, is ignored).
pub fn sign_map(fields: &Map<String, Value>, key: &Secret) -> String {
    let mut h = Sha256::new();
    h.update(canonical_json(fields).as_bytes());
    h.update(key.expose().as_bytes());
    hex::encode(h.finalize())
}

/// Sign any serialisable message whose fields are the wire fields.
pub fn sign<T: Serialize>(message: &T, key: &Secret) -> String {
    match serde_json::to_value(message) {
        Ok(Value::Object(m)) => sign_map(&m, key),
        _ => panic!("JKoPay messages are JSON objects"),
    }
}

/// Checks the `Sign` field of a received JSON object. Compare on the raw
/// JSON as received, not a re-serialised struct, so fields `till` does not
/// model are still covered. The hex is compared case-insensitively: the
/// docs require lower case from us, but a peer printing upper case signed
/// the same bytes.
pub fn verify_value(message: &Value, key: &Secret) -> Result<(), SignError> {
    let Value::Object(m) = message else {
        return Err(SignError::NotAnObject);
    };
    let Some(Value::String(given)) = m.get("Sign") else {
        return Err(SignError::Missing);
    };
    let expected = sign_map(m, key);
    if constant_time_eq(given.to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(SignError::Mismatch)
    }
}

/// Checks the `Sign` of a typed message.
pub fn verify<T: Serialize>(message: &T, key: &Secret) -> Result<(), SignError> {
    let v = serde_json::to_value(message).map_err(|_| SignError::NotAnObject)?;
    verify_value(&v, key)
}
