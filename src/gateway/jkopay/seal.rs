//! The CardToken of a payment in doubt, sealed for the journal.
//!
//! NOTES.md §1 (Other calls): "Cancel [code]: the same fields as Payment
//! (CardToken, TradeAmount, UnRedeem…) with the SAME MerchantTradeNo". So a
//! Cancel sent after a crash needs the customer's full CardToken, which is
//! a bearer token for their money and must never sit in the journal in
//! the clear. The journal keeps it sealed with AES-256-GCM under a key
//! derived (HKDF-SHA256) from the configured JKoPay merchant key, which is
//! never in the journal; the trade number is the associated data, so a
//! sealed token opens only for its own attempt. The journal drops it the
//! moment the attempt settles.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::secret::Secret;

/// Names the derivation, so the same merchant key never yields this key
/// for anything else.
const INFO: &[u8] = b"till jkopay card-token seal v1";
/// The 96-bit GCM nonce, stored in front of the ciphertext.
const NONCE_LEN: usize = 12;

/// Seals and opens CardTokens with a key derived from the merchant key.
#[derive(Clone)]
pub struct TokenSeal {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for TokenSeal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSeal([redacted])")
    }
}

impl TokenSeal {
    pub fn from_merchant_key(key: &Secret) -> TokenSeal {
        let mut okm = [0u8; 32];
        Hkdf::<Sha256>::new(None, key.expose().as_bytes())
            .expand(INFO, &mut okm)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        let cipher = Aes256Gcm::new_from_slice(&okm).expect("a 32-byte key");
        okm.fill(0);
        TokenSeal { cipher }
    }

    /// `nonce ‖ AES-256-GCM(token)`, bound to `trade_no`.
    pub fn seal(&self, trade_no: &str, token: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&crate::gateway::random_iv()[..NONCE_LEN]);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: token.as_bytes(),
                    aad: trade_no.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any short text");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The token sealed for `trade_no`, or `None` when it was sealed with
    /// another key (the merchant key changed), for another attempt, or
    /// altered.
    pub fn open(&self, trade_no: &str, sealed: &[u8]) -> Option<String> {
        if sealed.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ct) = sealed.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ct,
                    aad: trade_no.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "22J111111111111111";

    #[test]
    fn a_token_opens_only_for_its_attempt_with_the_same_merchant_key() {
        let seal = TokenSeal::from_merchant_key(&Secret::new("2AA6B9B6F9C64247ABB2677B6AF2C896"));
        let sealed = seal.seal("T01-20261206-0001-P01", TOKEN);
        assert!(
            !sealed.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "never in the clear"
        );
        assert_eq!(
            seal.open("T01-20261206-0001-P01", &sealed).as_deref(),
            Some(TOKEN)
        );
        assert_eq!(
            seal.open("T01-20261206-0001-P02", &sealed),
            None,
            "another attempt"
        );
        let other = TokenSeal::from_merchant_key(&Secret::new("another merchant key"));
        assert_eq!(
            other.open("T01-20261206-0001-P01", &sealed),
            None,
            "another key"
        );
        let mut bent = sealed.clone();
        *bent.last_mut().unwrap() ^= 1;
        assert_eq!(seal.open("T01-20261206-0001-P01", &bent), None, "altered");
        // A fresh nonce every time: the same token never seals the same way.
        assert_ne!(seal.seal("T01-20261206-0001-P01", TOKEN), sealed);
        assert!(!format!("{seal:?}").contains("2AA6"));
    }
}
