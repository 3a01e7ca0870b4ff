//! `[gateways.mypay]` of the config file: what the MyPay client needs.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// Which MyPay Link endpoint and identity `till` uses.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MyPayMode {
    /// `/api/agent` with `agent_uid`.
    Agent,
    /// `/api/init` with `store_uid`.
    Store,
}

/// MyPay Link (`mypay-link-agent-api.txt`, `mypay-manual-2.0.231.txt`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MyPaySettings {
    pub base_url: String,
    pub mode: MyPayMode,
    /// Required in agent mode.
    #[serde(default)]
    pub agent_uid: String,
    /// The store's uid: sent in every request body, and as the envelope id in store mode.
    pub store_uid: String,
    /// The 32-character AES-256 key.
    pub key: Secret,
    /// `user_id` sent with in-person transactions (the cashier account at MyPay).
    #[serde(default)]
    pub user_id: String,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// `pfn` as the code (`PIOFF`, default) or the number (`28`).
    #[serde(default)]
    pub pfn_style: super::PfnStyle,
    /// Alipay codes: `dedicated` (ALIPAYOFF, default) or `auto_detect` (OFFLINE).
    #[serde(default)]
    pub alipay: super::OfflineRoute,
    /// 悠遊付 codes: `dedicated` (EASYWALLETOFF, default) or `auto_detect` (OFFLINE).
    #[serde(default)]
    pub easywallet: super::OfflineRoute,
    /// Server notifications read as `form` (default), `json` or `either`.
    #[serde(default)]
    pub notice_format: super::NoticeFormat,
}

pub fn default_timeout_secs() -> u64 {
    30
}
