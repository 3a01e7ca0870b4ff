//! `[gateways.ecpay]` of the config file: what the ECPay client needs.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// ECPay ECPG (`ecpay-create-payment-with-card-id.txt`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EcpaySettings {
    pub base_url: String,
    pub merchant_id: String,
    #[serde(default)]
    pub platform_id: String,
    pub hash_key: Secret,
    pub hash_iv: Secret,
    /// Where ECPay posts payment results: the public address of
    /// `till callback-server` + `/ecpay/return`. Empty: derived from the
    /// aggregator's `return_url` host, else the local callback server.
    #[serde(default)]
    pub return_url: String,
    /// ECPay recommends at least 30 s.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

pub fn default_timeout_secs() -> u64 {
    30
}
