//! The form-POST aggregator over HTTP (`goodbuy-form-gateway.txt`, NOTES.md
//! §4): create an order by form POST (the result comes by callback), ask
//! `order_status`, refund card orders in two steps before 09:30 the next day.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    ApiAnswer, CreateOrder, GoodbuyConfig, KeyedRequest, check_refund_allowed,
    read_refund_confirmation,
};
use crate::gateway::client::{
    Answer, CallResult, Clock, Exchange, Gateway, Http, NotSent, PayRequest, PayWith,
    RefundRequest as GenericRefund, join_url, malformed, secs,
};
use crate::gateway::wire::{flex_opt_ntd, flex_string};
use crate::gateway::{Approval, CashierAction, FieldError, Outcome, PendingInfo};
use crate::money::Ntd;
use crate::sale::GatewayId;

const NAME: &str = "goodbuy";
/// Where the create-order form goes under the base URL by default. The
/// document (`goodbuy-form-gateway.txt` §1 創建訂單) names no path, unlike
/// §3 `/api/order_status` \[guess\]: `[gateways.goodbuy] create_path`.
pub const CREATE_PATH: &str = "api/order";

/// An aggregator client for one agent.
#[derive(Debug, Clone)]
pub struct GoodbuyClient {
    cfg: GoodbuyConfig,
    http: Http,
    clock: Clock,
}

/// `datas` of a successful `order_status`: undocumented \[guess\]; read
/// leniently, `status` being `paid`, `unpaid` or `refunded`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrderData {
    #[serde(deserialize_with = "flex_string")]
    pub status: String,
    #[serde(deserialize_with = "flex_opt_ntd")]
    pub pay_amount: Option<Ntd>,
    #[serde(deserialize_with = "flex_string")]
    pub date: String,
}

impl GoodbuyClient {
    pub fn new(cfg: GoodbuyConfig, timeout: Duration) -> Result<GoodbuyClient, NotSent> {
        Ok(GoodbuyClient {
            cfg,
            http: Http::new(NAME, timeout)?,
            clock: Clock::system(),
        })
    }

    pub fn from_config(c: &super::GoodbuySettings) -> Result<GoodbuyClient, NotSent> {
        let cfg = GoodbuyConfig {
            create_url: join_url(&c.base_url, &c.create_path),
            api_base: c.base_url.clone(),
            agent_id: c.agent_id.clone(),
            agent_key: c.agent_key.clone(),
            return_url: c.return_url.clone(),
            datas: c.datas,
        };
        GoodbuyClient::new(cfg, secs(c.timeout_secs))
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Result<GoodbuyClient, NotSent> {
        self.http = Http::new(NAME, timeout)?;
        Ok(self)
    }

    pub fn with_clock(mut self, clock: Clock) -> GoodbuyClient {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &GoodbuyConfig {
        &self.cfg
    }

    async fn post(
        &self,
        what: &str,
        url: String,
        form: &[(&str, String)],
    ) -> Result<Result<Answer, Outcome>, NotSent> {
        let req = self.http.inner().post(url).form(form);
        Ok(match self.http.exchange(what, req).await? {
            Exchange::Answer(a) => Ok(a),
            Exchange::Status(a) => Err(Outcome::Unknown {
                why: format!("HTTP {}", a.status),
            }),
            Exchange::Unknown(why) => Err(Outcome::Unknown { why }),
        })
    }

    /// Creates the order. The aggregator answers the payer's page (or an
    /// error `{code, status}`), so success is Pending until the callback.
    pub async fn create_order(&self, order: &CreateOrder) -> CallResult {
        order.validate()?;
        tracing::info!(mch_order_id = %order.mch_order_id, pay_type = order.pay_type.as_str(), "goodbuy create order");
        let a = match self
            .post(
                "create order",
                self.cfg.create_url.clone(),
                &order.form_fields(),
            )
            .await?
        {
            Ok(a) => a,
            Err(o) => return Ok(o),
        };
        if let Ok(ans) = serde_json::from_str::<ApiAnswer>(&a.body)
            && !ans.code.is_empty()
            && ans.code != super::codes::SUCCESS
        {
            return Ok(match ans.result() {
                Err(d) => Outcome::Declined(d),
                Ok(()) => unreachable!("code is not 200"),
            });
        }
        // A redirect's target is the payer page itself.
        let redirected = (a.url != self.cfg.create_url).then_some(a.url.as_str());
        let page = super::payer_page::read_payer_page(&a.body, redirected);
        Ok(Outcome::Pending(PendingInfo {
            code: super::codes::SUCCESS.into(),
            reason: "訂單已建立,等待付款通知 / order created: waiting for the payment callback"
                .into(),
            action: CashierAction::WaitAndQuery,
            // How the customer pays (JSON of a `PayerPage`), for the slip.
            reference: (!page.is_empty())
                .then(|| serde_json::to_string(&page).expect("a page serialises")),
        }))
    }

    async fn keyed(&self, req: &KeyedRequest) -> Result<Result<String, Outcome>, NotSent> {
        // The form holds the agent key: it goes to the body only, never a log.
        Ok(self
            .post(req.call.path(), self.cfg.url(req.call), &req.form_fields())
            .await?
            .map(|a| a.body))
    }

    /// `order_status` for an order of `amount`. A failed query says
    /// nothing about the order (in doubt), except 519: no order under that
    /// number and amount, so nothing can ever be charged on it. An order
    /// paid short is never approved: it waits for a person.
    pub async fn order_status(&self, mch_order_id: &str, amount: Ntd) -> CallResult {
        let data = match self.order_data(mch_order_id, amount).await? {
            Ok(d) => d,
            Err(o) => return Ok(o),
        };
        Ok(match data.status.as_str() {
            "paid" if data.pay_amount.is_some_and(|p| p < amount) => {
                super::short_payment(amount, data.pay_amount.unwrap_or(Ntd::ZERO))
            }
            "paid" => Outcome::Approved(Approval {
                gateway: GatewayId::Goodbuy,
                gateway_trade_no: mch_order_id.to_string(),
                amount: data.pay_amount.unwrap_or(amount),
                paid_at: super::parse_date(&data.date),
                is_repeat: false,
                review: None,
                einvoice: None,
                wallet: None,
            }),
            // Paid and given back already: not money the sale can keep.
            // The till only refunds a payment it booked, so a person must
            // find out who refunded it.
            "refunded" => Outcome::Unknown {
                why: "訂單已在金流端退款,請向金流確認 / the aggregator shows the order refunded: check with it"
                    .to_string(),
            },
            "unpaid" => Outcome::Pending(PendingInfo {
                code: super::codes::SUCCESS.into(),
                reason: "尚未付款 / not paid yet".into(),
                action: CashierAction::WaitAndQuery,
                reference: None,
            }),
            other => Outcome::Unknown {
                why: format!("未知的訂單狀態 {other} / unknown order status {other}"),
            },
        })
    }

    /// The `datas` of `order_status`, or the outcome its failure means
    /// (519: no such order; any other failure leaves the order in doubt).
    async fn order_data(
        &self,
        mch_order_id: &str,
        amount: Ntd,
    ) -> Result<Result<OrderData, Outcome>, NotSent> {
        let req = KeyedRequest::order_status(&self.cfg, mch_order_id, amount);
        let body = match self.keyed(&req).await? {
            Ok(b) => b,
            Err(o) => return Ok(Err(o)),
        };
        let ans: ApiAnswer = match serde_json::from_str(&body) {
            Ok(a) => a,
            Err(e) => return Ok(Err(malformed(NAME, e))),
        };
        if let Err(d) = ans.result() {
            return Ok(Err(if d.code == super::codes::NO_SUCH_ORDER {
                Outcome::Declined(d)
            } else {
                Outcome::Declined(d).into_doubt()
            }));
        }
        Ok(self
            .cfg
            .datas
            .read(&ans.datas)
            .map_err(|e| malformed(NAME, e)))
    }

    /// Both refund steps: `order_refund`, then `order_refunded` (`E0`).
    pub async fn refund_order(&self, mch_order_id: &str, amount: Ntd) -> CallResult {
        let apply = KeyedRequest::order_refund(&self.cfg, mch_order_id);
        let body = match self.keyed(&apply).await? {
            Ok(b) => b,
            Err(o) => return Ok(o),
        };
        match serde_json::from_str::<ApiAnswer>(&body) {
            Ok(a) => {
                if let Err(d) = a.result() {
                    return Ok(Outcome::Declined(d));
                }
            }
            Err(e) => return Ok(malformed(NAME, e)),
        }
        let confirm = KeyedRequest::order_refunded(&self.cfg, mch_order_id);
        let body = match self.keyed(&confirm).await? {
            Ok(b) => b,
            Err(o) => return Ok(o),
        };
        Ok(match read_refund_confirmation(&body) {
            Ok(()) => Outcome::Approved(Approval {
                gateway: GatewayId::Goodbuy,
                gateway_trade_no: mch_order_id.to_string(),
                amount,
                paid_at: Some(self.clock.now()),
                is_repeat: false,
                review: None,
                einvoice: None,
                wallet: None,
            }),
            Err(d) => Outcome::Declined(d),
        })
    }
}

#[async_trait]
impl Gateway for GoodbuyClient {
    fn id(&self) -> GatewayId {
        GatewayId::Goodbuy
    }

    /// Pending on success: the result arrives at `returnurl`, or by `query`.
    async fn pay(&self, req: &PayRequest) -> CallResult {
        let PayWith::PayLater { pay_type, phone } = &req.with else {
            return Err(NotSent::Unsupported {
                gateway: NAME,
                what: "payment other than pay-later",
            });
        };
        let order = CreateOrder::new(
            &self.cfg,
            &req.trade_no,
            req.amount,
            pay_type.clone(),
            phone,
        )?;
        self.create_order(&order).await
    }

    async fn query(&self, req: &PayRequest) -> CallResult {
        self.order_status(&req.trade_no.to_string(), req.amount)
            .await
    }

    /// Card orders only, whole amount only, before 09:30 the next day:
    /// refused before calling otherwise.
    async fn refund(&self, req: &GenericRefund) -> CallResult {
        let PayWith::PayLater { pay_type, .. } = &req.payment.with else {
            return Err(NotSent::Unsupported {
                gateway: NAME,
                what: "refund of a payment not made here",
            });
        };
        check_refund_allowed(pay_type, req.payment.at, self.clock.now())?;
        if req.amount != req.payment.amount {
            // The refund calls carry no amount: the whole order or nothing.
            return Err(NotSent::Field(FieldError::Amount {
                field: "refund amount (whole order only)",
                amount: req.amount,
            }));
        }
        self.refund_order(&req.payment.trade_no.to_string(), req.amount)
            .await
    }

    /// `order_status` says `refunded` once `order_refunded` went through;
    /// `paid` means the refund is not done, and both steps may be sent
    /// again (`order_refund` only marks the order, `order_refunded` finishes).
    async fn find_refund(
        &self,
        req: &GenericRefund,
        _refunded_before: Ntd,
    ) -> Result<Option<Outcome>, NotSent> {
        let order = req.payment.trade_no.to_string();
        let data = match self.order_data(&order, req.payment.amount).await? {
            Ok(d) => d,
            Err(o) => return Ok(Some(o.into_doubt())),
        };
        Ok(match data.status.as_str() {
            "refunded" => Some(Outcome::Approved(Approval {
                gateway: GatewayId::Goodbuy,
                gateway_trade_no: order,
                amount: req.amount,
                paid_at: None,
                is_repeat: false,
                review: None,
                einvoice: None,
                wallet: None,
            })),
            "paid" => None,
            other => Some(Outcome::Unknown {
                why: format!("未知的訂單狀態 {other} / unknown order status {other}"),
            }),
        })
    }
}
