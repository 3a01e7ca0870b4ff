//! `[gateways.goodbuy]` of the config file: what the aggregator client needs.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The form-POST aggregator (`goodbuy-form-gateway.txt`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GoodbuySettings {
    pub base_url: String,
    pub agent_id: String,
    pub agent_key: Secret,
    /// Where the aggregator posts results: the public address of `till callback-server`.
    #[serde(default)]
    pub return_url: String,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Where the create-order form goes under `base_url` (undocumented).
    #[serde(default = "default_create_path")]
    pub create_path: String,
    /// `order_status` `datas`: `json_text` (default) or `json_object`.
    #[serde(default)]
    pub datas: super::DatasShape,
}

pub fn default_timeout_secs() -> u64 {
    30
}

fn default_create_path() -> String {
    super::client::CREATE_PATH.into()
}
