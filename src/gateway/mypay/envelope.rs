//! MyPay Link request envelope (NOTES.md §2; `mypay-link-agent-api.txt`
//! 附錄四): a form POST of the caller's uid, `service` and `encry_data`, the
//! last two each base64( IV ‖ AES-256-CBC-PKCS7( compact JSON ) ) with the
//! 32-character key and a fresh random 16-byte IV.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::gateway::{CryptoError, random_iv};
use crate::secret::Secret;

fn key_bytes(key: &Secret) -> Result<&[u8], CryptoError> {
    let k = key.expose().as_bytes();
    if k.len() != 32 {
        return Err(CryptoError::KeyLength { expected: 32 });
    }
    Ok(k)
}

/// base64(IV ‖ AES-256-CBC-PKCS7(plain)).
pub fn encrypt(plain: &[u8], key: &Secret, iv: [u8; 16]) -> Result<String, CryptoError> {
    let enc = cbc::Encryptor::<Aes256>::new_from_slices(key_bytes(key)?, &iv)
        .map_err(|_| CryptoError::KeyLength { expected: 32 })?;
    let mut out = iv.to_vec();
    out.extend(enc.encrypt_padded_vec_mut::<Pkcs7>(plain));
    Ok(B64.encode(out))
}

/// The reverse of [`encrypt`]: the IV is the first 16 bytes.
pub fn decrypt(data: &str, key: &Secret) -> Result<Vec<u8>, CryptoError> {
    let raw = B64.decode(data.trim()).map_err(|_| CryptoError::Base64)?;
    if raw.len() < 32 || raw.len() % 16 != 0 {
        return Err(CryptoError::TooShort);
    }
    let (iv, ct) = raw.split_at(16);
    let dec = cbc::Decryptor::<Aes256>::new_from_slices(key_bytes(key)?, iv)
        .map_err(|_| CryptoError::KeyLength { expected: 32 })?;
    dec.decrypt_padded_vec_mut::<Pkcs7>(ct)
        .map_err(|_| CryptoError::Decrypt)
}

/// Encrypts a value's compact JSON.
pub fn encrypt_json<T: Serialize>(
    value: &T,
    key: &Secret,
    iv: [u8; 16],
) -> Result<String, CryptoError> {
    let json = serde_json::to_vec(value).map_err(|e| CryptoError::Json(e.to_string()))?;
    encrypt(&json, key, iv)
}

pub fn decrypt_json<T: DeserializeOwned>(data: &str, key: &Secret) -> Result<T, CryptoError> {
    let plain = decrypt(data, key)?;
    let text = std::str::from_utf8(&plain).map_err(|_| CryptoError::Utf8)?;
    serde_json::from_str(text).map_err(|e| CryptoError::Json(e.to_string()))
}

/// The MyPay commands `till` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    /// In-person wallet, the customer is scanned (2020 manual §7).
    Transaction,
    /// Finish a WECHATOFF payment that answered 280.
    WeChatConfirmation,
    /// Look a direct transaction up by order_id (manual §8).
    QueryDirect,
    Refund,
    /// Withdraw a refund still queued (manual §6).
    RefundCancel,
    /// PayPage order: the customer pays on their phone.
    Orders,
    QueryOrder,
}

impl Cmd {
    pub const ALL: [Cmd; 7] = [
        Cmd::Transaction,
        Cmd::WeChatConfirmation,
        Cmd::QueryDirect,
        Cmd::Refund,
        Cmd::RefundCancel,
        Cmd::Orders,
        Cmd::QueryOrder,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cmd::Transaction => "api/transaction",
            Cmd::WeChatConfirmation => "api/wechatconfirmation",
            Cmd::QueryDirect => "api/querydirect",
            Cmd::Refund => "api/refund",
            Cmd::RefundCancel => "api/refundcancel",
            Cmd::Orders => "api/orders",
            Cmd::QueryOrder => "api/queryorder",
        }
    }

    pub fn parse(s: &str) -> Option<Cmd> {
        Cmd::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The decrypted `service` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub service_name: String,
    pub cmd: String,
}

impl Service {
    pub fn api(cmd: Cmd) -> Service {
        Service {
            service_name: "api".into(),
            cmd: cmd.as_str().into(),
        }
    }
}

/// Who calls: a reseller on a store's behalf, or the store itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `agent_uid` to `/api/agent`.
    #[default]
    Agent,
    /// `store_uid` to `/api/init`.
    Store,
}

impl Mode {
    pub fn uid_field(self) -> &'static str {
        match self {
            Mode::Agent => "agent_uid",
            Mode::Store => "store_uid",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Mode::Agent => "/api/agent",
            Mode::Store => "/api/init",
        }
    }
}

/// The three form fields of every call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub mode: Mode,
    /// The agent's or the store's uid, as `mode` says.
    pub uid: String,
    pub service: String,
    pub encry_data: String,
}

/// Why a received form is not an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("缺少欄位 {0} / missing form field {0}")]
    Missing(&'static str),
    #[error("不明的指令 {0} / unknown cmd {0}")]
    UnknownCmd(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

impl Envelope {
    /// Seals a command with the given IVs (tests pass fixed ones).
    pub fn seal_with_ivs<T: Serialize>(
        mode: Mode,
        uid: &str,
        key: &Secret,
        cmd: Cmd,
        body: &T,
        service_iv: [u8; 16],
        data_iv: [u8; 16],
    ) -> Result<Envelope, CryptoError> {
        Ok(Envelope {
            mode,
            uid: uid.to_string(),
            service: encrypt_json(&Service::api(cmd), key, service_iv)?,
            encry_data: encrypt_json(body, key, data_iv)?,
        })
    }

    /// Seals a command with fresh random IVs.
    pub fn seal<T: Serialize>(
        mode: Mode,
        uid: &str,
        key: &Secret,
        cmd: Cmd,
        body: &T,
    ) -> Result<Envelope, CryptoError> {
        Envelope::seal_with_ivs(mode, uid, key, cmd, body, random_iv(), random_iv())
    }

    /// `application/x-www-form-urlencoded` pairs, in the documented order.
    pub fn form_fields(&self) -> [(&'static str, String); 3] {
        [
            (self.mode.uid_field(), self.uid.clone()),
            ("service", self.service.clone()),
            ("encry_data", self.encry_data.clone()),
        ]
    }

    /// Reads a received form (the simulator's side).
    pub fn from_form<'a, I>(pairs: I) -> Result<Envelope, EnvelopeError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let (mut mode, mut uid, mut service, mut data) = (None, None, None, None);
        for (k, v) in pairs {
            match k {
                "agent_uid" => (mode, uid) = (Some(Mode::Agent), Some(v.to_string())),
                "store_uid" => (mode, uid) = (Some(Mode::Store), Some(v.to_string())),
                "service" => service = Some(v.to_string()),
                "encry_data" => data = Some(v.to_string()),
                _ => {}
            }
        }
        Ok(Envelope {
            mode: mode.ok_or(EnvelopeError::Missing("agent_uid / store_uid"))?,
            uid: uid.unwrap_or_default(),
            service: service.ok_or(EnvelopeError::Missing("service"))?,
            encry_data: data.ok_or(EnvelopeError::Missing("encry_data"))?,
        })
    }

    pub fn open_cmd(&self, key: &Secret) -> Result<Cmd, EnvelopeError> {
        let s: Service = decrypt_json(&self.service, key)?;
        Cmd::parse(&s.cmd).ok_or(EnvelopeError::UnknownCmd(s.cmd))
    }

    pub fn open_data<T: DeserializeOwned>(&self, key: &Secret) -> Result<T, EnvelopeError> {
        Ok(decrypt_json(&self.encry_data, key)?)
    }
}
