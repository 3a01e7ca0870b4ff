//! `[gateways.jkopay]` of the config file: what the JKoPay client needs.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// JKoPay in-store POS (`jkopay-pos-payment.txt`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JkoPaySettings {
    /// e.g. `https://pos.jkopay.com/{system-name}/` (the path is assigned by JKoPay).
    pub base_url: String,
    pub merchant_id: String,
    pub store_id: String,
    pub store_name: String,
    #[serde(default = "default_pos_id")]
    pub pos_id: String,
    pub merchant_key: Secret,
    /// JKoPay's rule: no answer within 15 s → Cancel.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Answers' `Sign`: `verify_if_present` (default), `require`, `ignore`
    /// (the response table of `jkopay-pos-payment.txt` has no `Sign`).
    #[serde(default)]
    pub response_sign: super::ResponseSignPolicy,
    /// Inquiry's `OrderStatus` values (NOTES §1: undocumented); empty: ignored.
    #[serde(default)]
    pub inquiry_order_status: super::OrderStatusMap,
}

fn default_pos_id() -> String {
    "1".into()
}

/// JKoPay's rule: no answer within 15 s → Cancel.
pub fn default_timeout_secs() -> u64 {
    15
}
