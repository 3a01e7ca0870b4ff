//! JKoPay over HTTP: `POST {base_url}/{Payment|Cancel|Refund|Inquiry}` with
//! a signed JSON body (`jkopay-pos-payment.txt`, NOTES.md §1).

use std::time::Duration;

use chrono::TimeDelta;

use async_trait::async_trait;
use serde::Serialize;

use super::{
    Call, CancelRequest, InquiryRequest, InquiryType, JkoConfig, PaymentInput, PaymentRequest,
    RefundInput, RefundRequest, Response, ResponseError,
};
use crate::gateway::client::{
    CallResult, CancelOutcome, Clock, Exchange, Gateway, Http, NotSent, PayRequest, PayWith,
    RefundRequest as GenericRefund, bad_signature, join_url, malformed, secs,
};
use crate::gateway::{Outcome, jkopay};
use crate::sale::GatewayId;

const NAME: &str = "jkopay";

/// A JKoPay client for one store and POS.
#[derive(Debug, Clone)]
pub struct JkoClient {
    cfg: JkoConfig,
    http: Http,
    /// The payment call's time limit, also how long JKoPay may take to book.
    timeout: Duration,
    clock: Clock,
}

impl JkoClient {
    pub fn new(cfg: JkoConfig, timeout: Duration) -> Result<JkoClient, NotSent> {
        Ok(JkoClient {
            cfg,
            http: Http::new(NAME, timeout)?,
            timeout,
            clock: Clock::system(),
        })
    }

    /// From the `[gateways.jkopay]` section, with its `timeout_secs`.
    pub fn from_config(c: &super::JkoPaySettings) -> Result<JkoClient, NotSent> {
        let cfg = JkoConfig {
            base_url: c.base_url.clone(),
            merchant_id: c.merchant_id.clone(),
            store_id: c.store_id.clone(),
            store_name: c.store_name.clone(),
            pos_id: c.pos_id.clone(),
            merchant_key: c.merchant_key.clone(),
            response_sign: c.response_sign,
            inquiry_order_status: c.inquiry_order_status.clone(),
        };
        JkoClient::new(cfg, secs(c.timeout_secs))
    }

    /// Replaces the timeout (tests use a fraction of a second).
    pub fn with_timeout(mut self, timeout: Duration) -> Result<JkoClient, NotSent> {
        self.http = Http::new(NAME, timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    pub fn with_clock(mut self, clock: Clock) -> JkoClient {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &JkoConfig {
        &self.cfg
    }

    /// Sends one call; `Err(outcome)` is an Unknown the caller returns as is.
    async fn call<T: Serialize>(
        &self,
        call: Call,
        body: &T,
    ) -> Result<Result<Response, Outcome>, NotSent> {
        let url = join_url(&self.cfg.base_url, call.path());
        let req = self.http.inner().post(url).json(body);
        match self.http.exchange(call.path(), req).await? {
            Exchange::Unknown(why) => Ok(Err(Outcome::Unknown { why })),
            Exchange::Status(a) => Ok(Err(Outcome::Unknown {
                why: format!("HTTP {}", a.status),
            })),
            Exchange::Answer(a) => Ok(
                match Response::parse(&a.body, &self.cfg.merchant_key, self.cfg.response_sign) {
                    Ok(r) => Ok(r),
                    Err(ResponseError::Json(e)) => Err(malformed(NAME, e)),
                    Err(ResponseError::Sign(_)) => Err(bad_signature(NAME)),
                },
            ),
        }
    }

    /// `Payment`. A repeat of the same MerchantTradeNo comes back with
    /// `is_repeat`: the same sale, never a second one.
    pub async fn payment(&self, req: &PaymentRequest) -> CallResult {
        req.validate()?;
        tracing::info!(trade_no = %req.merchant_trade_no, code = %crate::barcode::mask_payment_code(&req.card_token), "jkopay payment");
        Ok(match self.call(Call::Payment, req).await? {
            Ok(r) => r.payment_outcome(req.trade_amount),
            Err(o) => o,
        })
    }

    /// `Cancel` with the payment's own fields. An Unknown means: send again.
    /// `Cancel`, `since_payment` after the payment was sent. JKoPay may
    /// still be booking a payment for as long as a payment call may take
    /// (15 s, its rule; tests shorten it with the timeout).
    pub async fn cancel_payment(
        &self,
        req: &CancelRequest,
        since_payment: TimeDelta,
    ) -> Result<CancelOutcome, NotSent> {
        req.validate()?;
        let booking = TimeDelta::from_std(self.timeout).unwrap_or(TimeDelta::seconds(15));
        Ok(match self.call(Call::Cancel, req).await? {
            Ok(r) => match r.cancel_outcome(since_payment, booking) {
                jkopay::CancelOutcome::Cancelled => CancelOutcome::Cancelled,
                jkopay::CancelOutcome::NoSuchPayment => CancelOutcome::NothingToCancel,
                jkopay::CancelOutcome::Refused(d) => CancelOutcome::Refused(d),
                jkopay::CancelOutcome::Unknown { why } => CancelOutcome::Unknown { why },
                jkopay::CancelOutcome::NotYet { left } => CancelOutcome::NotYet {
                    why: "街口尚未登錄此筆付款,稍後再取消 / JKoPay has not booked the payment yet: cancelling again shortly"
                        .to_string(),
                    retry_in: left.to_std().unwrap_or_default(),
                },
            },
            Err(o) => CancelOutcome::Unknown { why: o.to_string() },
        })
    }

    pub async fn refund_payment(&self, req: &RefundRequest) -> CallResult {
        req.validate()?;
        Ok(match self.call(Call::Refund, req).await? {
            Ok(r) => r.refund_outcome(req.trade_amount),
            Err(o) => o,
        })
    }

    /// `Inquiry`; `asked` is the amount of the payment asked about.
    pub async fn inquiry(
        &self,
        req: &InquiryRequest,
        asked: crate::money::Ntd,
        since_payment: chrono::TimeDelta,
    ) -> CallResult {
        req.validate()?;
        Ok(match self.call(Call::Inquiry, req).await? {
            Ok(r) => r.inquiry_outcome(asked, since_payment, &self.cfg.inquiry_order_status),
            Err(o) => o,
        })
    }

    fn payment_request(&self, req: &PayRequest) -> Result<PaymentRequest, NotSent> {
        let PayWith::WalletCode { code, .. } = &req.with else {
            return Err(NotSent::Unsupported {
                gateway: NAME,
                what: "payment without a JKoPay code",
            });
        };
        Ok(PaymentRequest::new(
            &self.cfg,
            &PaymentInput {
                trade_no: &req.trade_no,
                card_token: code,
                amount: req.amount,
                un_redeem: crate::money::Ntd::ZERO,
                remark: "",
                pos_trade_time: req.at,
                send_time: self.clock.now(),
            },
        )?)
    }
}

#[async_trait]
impl Gateway for JkoClient {
    fn id(&self) -> GatewayId {
        GatewayId::JkoPay
    }

    async fn pay(&self, req: &PayRequest) -> CallResult {
        let r = self.payment_request(req)?;
        self.payment(&r).await
    }

    async fn cancel(&self, req: &PayRequest) -> Result<CancelOutcome, NotSent> {
        let r = self.payment_request(req)?;
        let now = self.clock.now();
        let c = r.to_cancel(now, &self.cfg.merchant_key);
        self.cancel_payment(&c, now - req.at).await
    }

    async fn query(&self, req: &PayRequest) -> CallResult {
        let now = self.clock.now();
        let r = InquiryRequest::new(&self.cfg, InquiryType::Payment, &req.trade_no, req.at, now)?;
        self.inquiry(&r, req.amount, now - req.at).await
    }

    async fn refund(&self, req: &GenericRefund) -> CallResult {
        let r = RefundRequest::new(
            &self.cfg,
            &RefundInput {
                refund_no: &req.refund_no,
                payment_trade_no: &req.payment.gateway_trade_no,
                amount: req.amount,
                remark: "",
                pos_trade_time: req.at,
                send_time: self.clock.now(),
            },
        )?;
        self.refund_payment(&r).await
    }

    /// `Inquiry` type `R` on the refund's own MerchantTradeNo: JKoPay shows
    /// the refund done (Approved), or has no such refund (916: `None`, so
    /// it is sent again under the same number, which JKoPay cannot book
    /// twice). Anything else, a failed call included, leaves it in doubt.
    async fn find_refund(
        &self,
        req: &GenericRefund,
        _refunded_before: crate::money::Ntd,
    ) -> Result<Option<Outcome>, NotSent> {
        let now = self.clock.now();
        let r = InquiryRequest::new(&self.cfg, InquiryType::Refund, &req.refund_no, req.at, now)?;
        Ok(match self.call(Call::Inquiry, &r).await? {
            Ok(resp) if resp.is_success() => Some(resp.refund_outcome(req.amount).into_doubt()),
            Ok(resp) if resp.status_code == jkopay::codes::NO_SUCH_ORDER => None,
            Ok(resp) => Some(Outcome::Unknown {
                why: format!(
                    "退款查詢 {} {} / refund inquiry answered {} {}",
                    resp.status_code, resp.status_desc, resp.status_code, resp.status_desc
                ),
            }),
            Err(o) => Some(o.into_doubt()),
        })
    }
}
