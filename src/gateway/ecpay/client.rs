//! ECPay ECPG over HTTP: `CreatePaymentWithCardID` as a JSON envelope
//! (NOTES.md §3). ECPay refuses envelopes whose Timestamp is more than
//! 10 minutes off its clock, so the client checks its own clock against
//! ECPay's `Date` header first and refuses BEFORE sending when it is off.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    CardPaymentInput, CreatePaymentWithCardId, EcpayConfig, PaymentResult, RequestEnvelope,
    ResponseEnvelope, check_clock_skew, parse_http_date,
};
use crate::gateway::Outcome;
use crate::gateway::client::{
    CallResult, Clock, Exchange, Gateway, Http, NotSent, PayRequest, PayWith,
    RefundRequest as GenericRefund, join_url, malformed, secs,
};
use crate::sale::GatewayId;

const NAME: &str = "ecpay";
/// The path under the base URL (`ecpay-create-payment-with-card-id.txt`).
pub const PATH: &str = "Merchant/CreatePaymentWithCardID";

/// An ECPay ECPG client for one merchant.
#[derive(Debug)]
pub struct EcpayClient {
    cfg: EcpayConfig,
    base_url: String,
    http: Http,
    clock: Clock,
    /// ECPay's clock as last seen in a `Date` header, and when.
    server_time: Mutex<Option<(DateTime<Utc>, Instant)>>,
}

impl EcpayClient {
    /// `base_url` is e.g. `https://ecpg-stage.ecpay.com.tw/`.
    pub fn new(
        cfg: EcpayConfig,
        base_url: &str,
        timeout: Duration,
    ) -> Result<EcpayClient, NotSent> {
        Ok(EcpayClient {
            cfg,
            base_url: base_url.to_string(),
            http: Http::new(NAME, timeout)?,
            clock: Clock::system(),
            server_time: Mutex::new(None),
        })
    }

    /// From `[gateways.ecpay]`. `return_url` is where ECPay posts results
    /// (the public address of `till callback-server`); ECPay requires one.
    pub fn from_config(c: &super::EcpaySettings, return_url: &str) -> Result<EcpayClient, NotSent> {
        let cfg = EcpayConfig {
            url: join_url(&c.base_url, PATH),
            merchant_id: c.merchant_id.clone(),
            platform_id: c.platform_id.clone(),
            hash_key: c.hash_key.clone(),
            hash_iv: c.hash_iv.clone(),
            return_url: return_url.to_string(),
        };
        EcpayClient::new(cfg, &c.base_url, secs(c.timeout_secs))
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Result<EcpayClient, NotSent> {
        self.http = Http::new(NAME, timeout)?;
        Ok(self)
    }

    pub fn with_clock(mut self, clock: Clock) -> EcpayClient {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &EcpayConfig {
        &self.cfg
    }

    fn remember_date(&self, date: Option<&str>) {
        if let Some(t) = date.and_then(parse_http_date) {
            *self.server_time.lock().unwrap_or_else(|e| e.into_inner()) = Some((t, Instant::now()));
        }
    }

    /// ECPay's clock now: the last `Date` seen plus the time since, or a
    /// fresh `Date` from a HEAD request when none was seen yet.
    async fn server_now(&self) -> Result<Option<DateTime<Utc>>, NotSent> {
        let known = *self.server_time.lock().unwrap_or_else(|e| e.into_inner());
        if known.is_none() {
            let probe = self.http.inner().head(&self.base_url);
            // A probe carries no money: only its Date header matters.
            if let Exchange::Answer(a) | Exchange::Status(a) =
                self.http.exchange_any("clock probe", probe).await?
            {
                self.remember_date(a.date.as_deref());
            }
        }
        let known = *self.server_time.lock().unwrap_or_else(|e| e.into_inner());
        Ok(known.map(|(t, at)| t + chrono::TimeDelta::from_std(at.elapsed()).unwrap_or_default()))
    }

    /// Checks the clock, then sends one `CreatePaymentWithCardID`.
    pub async fn create_payment(&self, data: &CreatePaymentWithCardId) -> CallResult {
        data.validate()?;
        let now = self.clock.now();
        if let Some(reference) = self.server_now().await? {
            check_clock_skew(now, reference)?;
        }
        let env = RequestEnvelope::seal(&self.cfg, data, now)
            .map_err(|e| NotSent::Config(e.to_string()))?;
        tracing::info!(trade_no = %data.order_info.merchant_trade_no, "ecpay create payment");
        let req = self.http.inner().post(&self.cfg.url).json(&env);
        let answer = match self.http.exchange(PATH, req).await? {
            Exchange::Answer(a) => a,
            Exchange::Status(a) => {
                return Ok(Outcome::Unknown {
                    why: format!("HTTP {} / HTTP {}", a.status, a.status),
                });
            }
            Exchange::Unknown(why) => return Ok(Outcome::Unknown { why }),
        };
        self.remember_date(answer.date.as_deref());
        let env: ResponseEnvelope = match serde_json::from_str(&answer.body) {
            Ok(e) => e,
            Err(e) => return Ok(malformed(NAME, e)),
        };
        if env.trans_code == Some(1)
            && let Err(e) = env.open::<PaymentResult>(&self.cfg)
        {
            // Accepted, but its Data does not open with our HashKey/IV:
            // forged or garbled, and the card may have been charged.
            return Ok(Outcome::Unknown {
                why: format!(
                    "綠界回應的 Data 無法以本店金鑰解開,可能遭竄改,結果未定 / ECPay's Data does not decrypt with our key (bad signature?): result unknown ({e})"
                ),
            });
        }
        Ok(env.payment_outcome(&self.cfg, data.order_info.total_amount))
    }
}

#[async_trait]
impl Gateway for EcpayClient {
    fn id(&self) -> GatewayId {
        GatewayId::Ecpay
    }

    async fn pay(&self, req: &PayRequest) -> CallResult {
        let PayWith::BoundCard {
            bind_card_id,
            member_id,
        } = &req.with
        else {
            return Err(NotSent::Unsupported {
                gateway: NAME,
                what: "payment without a bound card",
            });
        };
        let names: Vec<&str> = req.items.iter().map(|i| i.name.as_str()).collect();
        let names = if names.is_empty() {
            vec!["商品"]
        } else {
            names
        };
        let data = CreatePaymentWithCardId::new(
            &self.cfg,
            &CardPaymentInput {
                trade_no: &req.trade_no,
                bind_card_id,
                member_id,
                amount: req.amount,
                trade_desc: "till",
                item_names: &names,
                trade_date: req.at,
            },
        )?;
        self.create_payment(&data).await
    }

    /// ECPG's query API is not in the documents we have.
    async fn query(&self, _req: &PayRequest) -> CallResult {
        Err(NotSent::Unsupported {
            gateway: NAME,
            what: "query",
        })
    }

    /// ECPG's refund (DoAction) is not in the documents we have.
    async fn refund(&self, _req: &GenericRefund) -> CallResult {
        Err(NotSent::Unsupported {
            gateway: NAME,
            what: "refund",
        })
    }
}
