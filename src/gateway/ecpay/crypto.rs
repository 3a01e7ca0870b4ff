//! ECPay ECPG `Data` (NOTES.md §3): base64( AES-128-CBC-PKCS7( urlencode(
//! compact JSON ) ) ), HashKey and HashIV used as raw 16-byte keys.

use aes::Aes128;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};

use crate::gateway::CryptoError;
use crate::secret::Secret;

/// URL-encodes the way .NET's `HttpUtility.UrlEncode` does, which is what
/// ECPay decodes with: space → `+`; ASCII letters, digits and `-_.!*()`
/// kept; every other byte of the UTF-8 text as `%XX` in upper case (NOTES §3,
/// checked by the vector). Neither `urlencoding` (keeps `~`, space → `%20`)
/// nor `form_urlencoded` (escapes `!*()`) matches, hence our own.
pub fn urlencode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
        }
    }
    out
}

/// The reverse of [`urlencode`]; accepts either hex case, and any
/// characters left unencoded by a more lenient peer.
pub fn urldecode(s: &str) -> Result<String, CryptoError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or(CryptoError::UrlEncoding)?;
                let hex = std::str::from_utf8(hex).map_err(|_| CryptoError::UrlEncoding)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(CryptoError::UrlEncoding);
                }
                out.push(u8::from_str_radix(hex, 16).map_err(|_| CryptoError::UrlEncoding)?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| CryptoError::Utf8)
}

fn key_iv<'a>(key: &'a Secret, iv: &'a Secret) -> Result<(&'a [u8], &'a [u8]), CryptoError> {
    let (k, v) = (key.expose().as_bytes(), iv.expose().as_bytes());
    if k.len() != 16 {
        return Err(CryptoError::KeyLength { expected: 16 });
    }
    if v.len() != 16 {
        return Err(CryptoError::IvLength { expected: 16 });
    }
    Ok((k, v))
}

/// Encrypts a JSON text into a `Data` value.
pub fn encrypt_data(json: &str, key: &Secret, iv: &Secret) -> Result<String, CryptoError> {
    let (k, v) = key_iv(key, iv)?;
    let enc = cbc::Encryptor::<Aes128>::new_from_slices(k, v)
        .map_err(|_| CryptoError::KeyLength { expected: 16 })?;
    let ct = enc.encrypt_padded_vec_mut::<Pkcs7>(urlencode(json).as_bytes());
    Ok(B64.encode(ct))
}

/// Decrypts a `Data` value back to its JSON text.
pub fn decrypt_data(data: &str, key: &Secret, iv: &Secret) -> Result<String, CryptoError> {
    let (k, v) = key_iv(key, iv)?;
    let ct = B64.decode(data.trim()).map_err(|_| CryptoError::Base64)?;
    if ct.is_empty() || ct.len() % 16 != 0 {
        return Err(CryptoError::TooShort);
    }
    let dec = cbc::Decryptor::<Aes128>::new_from_slices(k, v)
        .map_err(|_| CryptoError::KeyLength { expected: 16 })?;
    let pt = dec
        .decrypt_padded_vec_mut::<Pkcs7>(&ct)
        .map_err(|_| CryptoError::Decrypt)?;
    let encoded = String::from_utf8(pt).map_err(|_| CryptoError::Utf8)?;
    urldecode(&encoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn notes_vector() {
        let key = Secret::new("ejCk326UnaZWKisg");
        let iv = Secret::new("q9jcZX8Ib9LM8wYk");
        let plain = r#"{"Name":"Test","ID":"A123456789"}"#;
        let data = encrypt_data(plain, &key, &iv).unwrap();
        assert_eq!(
            data,
            "uvI4yrErM37XNQkXGAgRgJAgHn2t72jahaMZzYhWL1HmvH4WV18VJDP2i9pTbC+tby5nxVExLLFyAkbjbS2Dvg=="
        );
        assert_eq!(decrypt_data(&data, &key, &iv).unwrap(), plain);
    }

    #[test]
    fn dotnet_url_encoding_rules() {
        assert_eq!(urlencode("a b"), "a+b");
        assert_eq!(urlencode("-_.!*()"), "-_.!*()");
        assert_eq!(urlencode("~'/:{}\"+"), "%7E%27%2F%3A%7B%7D%22%2B");
        assert_eq!(urlencode("泡麵"), "%E6%B3%A1%E9%BA%B5");
        assert_eq!(urldecode("%e6%b3%a1%E9%BA%B5+x").unwrap(), "泡麵 x");
        assert_eq!(urldecode("%E"), Err(CryptoError::UrlEncoding));
        assert_eq!(urldecode("%G1"), Err(CryptoError::UrlEncoding));
        assert_eq!(urldecode("%FF"), Err(CryptoError::Utf8));
    }

    #[test]
    fn wrong_key_or_tampered_data_fails() {
        let key = Secret::new("ejCk326UnaZWKisg");
        let iv = Secret::new("q9jcZX8Ib9LM8wYk");
        let data = encrypt_data(r#"{"TotalAmount":500}"#, &key, &iv).unwrap();
        let other = Secret::new("pwFHCqoQZGmho4w6");
        assert_ne!(
            decrypt_data(&data, &other, &iv).ok().as_deref(),
            Some(r#"{"TotalAmount":500}"#)
        );
        assert_eq!(
            encrypt_data("{}", &Secret::new("short"), &iv),
            Err(CryptoError::KeyLength { expected: 16 })
        );
        assert_eq!(decrypt_data("***", &key, &iv), Err(CryptoError::Base64));
        assert_eq!(decrypt_data("AAAA", &key, &iv), Err(CryptoError::TooShort));
    }

    proptest! {
        #[test]
        fn urlencode_round_trips(s in "\\PC{0,80}") {
            let e = urlencode(&s);
            prop_assert!(e.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.!*()+%".contains(&b)));
            prop_assert_eq!(urldecode(&e).unwrap(), s);
        }

        #[test]
        fn data_round_trips(s in "\\PC{0,120}") {
            let key = Secret::new("pwFHCqoQZGmho4w6");
            let iv = Secret::new("EkRm7iFT261dpevs");
            let json = serde_json::to_string(&serde_json::json!({ "ItemName": s })).unwrap();
            let data = encrypt_data(&json, &key, &iv).unwrap();
            prop_assert_eq!(decrypt_data(&data, &key, &iv).unwrap(), json);
        }
    }
}
