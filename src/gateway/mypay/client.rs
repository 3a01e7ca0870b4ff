//! MyPay Link over HTTP: every call is a form POST of the sealed envelope to
//! `/api/agent` or `/api/init` (NOTES.md §2); answers are plain JSON.

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{
    Cmd, Item, MyPayConfig, OrdersRequest, OrdersResponse, QueryDirectRequest, QueryDirectResponse,
    QueryOrderRequest, QueryOrderResponse, RefundCancelRequest, RefundCancelResponse,
    RefundRequest, RefundResponse, STATUS_CODES, TransactionRequest, TransactionResponse,
    WalletPaymentInput, WeChatConfirmRequest,
};
use crate::gateway::client::{
    CallResult, CancelOutcome, Clock, Exchange, Gateway, Http, NotSent, PayItem, PayRequest,
    PayWith, RefundRequest as GenericRefund, malformed, secs,
};
use crate::gateway::{CashierAction, Decline, Outcome, OutcomeKind, PendingInfo, lookup};
use crate::money::Ntd;
use crate::sale::{GatewayId, TradeNo};

const NAME: &str = "mypay";

/// A MyPay Link client for one store.
#[derive(Debug, Clone)]
pub struct MyPayClient {
    cfg: MyPayConfig,
    /// The cashier account sent as `user_id`.
    user_id: String,
    /// The till's address sent as `ip`.
    ip: String,
    pos_id: String,
    http: Http,
    /// How long a call may take before the till gives up on its answer.
    timeout: Duration,
    clock: Clock,
    /// MyPay issues the e-invoice (`[einvoice] issuer = "mypay"`): ask for
    /// it (`issue_invoice_state` 1) and fetch its fields once paid.
    issue_invoices: bool,
}

/// A call that reached MyPay: its typed answer, or an Unknown to return as is.
pub type Answered<T> = Result<T, Outcome>;

impl MyPayClient {
    pub fn new(cfg: MyPayConfig, user_id: &str, timeout: Duration) -> Result<MyPayClient, NotSent> {
        Ok(MyPayClient {
            cfg,
            user_id: user_id.to_string(),
            ip: "127.0.0.1".into(),
            pos_id: "1".into(),
            http: Http::new(NAME, timeout)?,
            timeout,
            clock: Clock::system(),
            issue_invoices: false,
        })
    }

    /// Have MyPay issue the e-invoice of every payment (see
    /// [`MyPayClient::issued_invoice`]).
    pub fn issuing_invoices(mut self, on: bool) -> MyPayClient {
        self.issue_invoices = on;
        self
    }

    /// `api/transaction` answers carry no invoice fields (manual §7.3), but
    /// `api/querydirect` rows do (§8): once a payment is approved, ask for
    /// its row and put the invoice on the approval. Best effort: a failed
    /// query leaves the approval as it was (the payment stands either way).
    async fn issued_invoice(&self, req: &PayRequest, outcome: Outcome) -> Outcome {
        let Outcome::Approved(a) = &outcome else {
            return outcome;
        };
        if !self.issue_invoices || a.einvoice.is_some() {
            return outcome;
        }
        match self.query_direct(&req.trade_no, req.amount).await {
            Ok(Ok(found)) => match found.rows.iter().find(|r| r.uid == a.gateway_trade_no) {
                Some(row) => row.invoice.attach(outcome),
                None => outcome,
            },
            _ => {
                tracing::warn!(trade = %req.trade_no, "MyPay invoice fields not fetched; query the sale later");
                outcome
            }
        }
    }

    /// From the `[gateways.mypay]` section, with its `timeout_secs`.
    pub fn from_config(c: &super::MyPaySettings) -> Result<MyPayClient, NotSent> {
        let cfg = MyPayConfig {
            base_url: c.base_url.clone(),
            mode: match c.mode {
                super::MyPayMode::Agent => super::Mode::Agent,
                super::MyPayMode::Store => super::Mode::Store,
            },
            agent_uid: c.agent_uid.clone(),
            store_uid: c.store_uid.clone(),
            key: c.key.clone(),
            pfn_style: c.pfn_style,
            alipay: c.alipay,
            easywallet: c.easywallet,
            refund_invoice_state: Default::default(),
            notice_format: c.notice_format,
        };
        let user = if c.user_id.is_empty() {
            "till"
        } else {
            &c.user_id
        };
        MyPayClient::new(cfg, user, secs(c.timeout_secs))
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Result<MyPayClient, NotSent> {
        self.http = Http::new(NAME, timeout)?;
        self.timeout = timeout;
        Ok(self)
    }

    /// How much longer a payment sent at `sent` may still be under way at
    /// MyPay (a whole call timeout after sending); `None` once it cannot be.
    fn in_flight_for(&self, sent: crate::taipei::TaipeiTime) -> Option<Duration> {
        let elapsed = (self.clock.now() - sent).to_std().unwrap_or(Duration::ZERO);
        self.timeout.checked_sub(elapsed).filter(|d| !d.is_zero())
    }

    pub fn with_clock(mut self, clock: Clock) -> MyPayClient {
        self.clock = clock;
        self
    }

    pub fn config(&self) -> &MyPayConfig {
        &self.cfg
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        cmd: Cmd,
        body: &B,
    ) -> Result<Answered<T>, NotSent> {
        let env = self
            .cfg
            .seal(cmd, body)
            .map_err(|e| NotSent::Config(e.to_string()))?;
        let req = self
            .http
            .inner()
            .post(self.cfg.endpoint())
            .form(&env.form_fields());
        Ok(match self.http.exchange(cmd.as_str(), req).await? {
            Exchange::Unknown(why) => Err(Outcome::Unknown { why }),
            Exchange::Status(a) => Err(Outcome::Unknown {
                why: format!("HTTP {}", a.status),
            }),
            Exchange::Answer(a) => serde_json::from_str(&a.body).map_err(|e| malformed(NAME, e)),
        })
    }

    /// `api/transaction`, keeping the whole answer (its `uid` and `key`
    /// are what refunds and the WeChat confirmation need).
    pub async fn transaction(
        &self,
        req: &TransactionRequest,
    ) -> Result<Answered<TransactionResponse>, NotSent> {
        req.validate()?;
        tracing::info!(order_id = %req.order_id, pfn = %req.pfn, "mypay transaction");
        self.call(Cmd::Transaction, req).await
    }

    /// `api/wechatconfirmation` after a 280, once the customer confirmed.
    pub async fn wechat_confirm(&self, req: &WeChatConfirmRequest, asked: Ntd) -> CallResult {
        Ok(
            match self
                .call::<_, TransactionResponse>(Cmd::WeChatConfirmation, req)
                .await?
            {
                Ok(r) => r.outcome(asked),
                Err(o) => o,
            },
        )
    }

    /// `api/querydirect`: what became of an order whose answer was lost.
    pub async fn query_direct(
        &self,
        order_id: &TradeNo,
        cost: Ntd,
    ) -> Result<Answered<QueryDirectResponse>, NotSent> {
        let req = QueryDirectRequest {
            store_uid: self.cfg.store_uid.clone(),
            order_id: order_id.to_string(),
            user_id: self.user_id.clone(),
            cost,
        };
        self.call(Cmd::QueryDirect, &req).await
    }

    pub async fn refund_with(&self, req: &RefundRequest) -> CallResult {
        req.validate()?;
        Ok(
            match self.call::<_, RefundResponse>(Cmd::Refund, req).await? {
                Ok(r) => r.outcome(req.cost),
                Err(o) => o,
            },
        )
    }

    pub async fn refund_cancel(
        &self,
        uid: &str,
        key: &str,
    ) -> Result<Answered<RefundCancelResponse>, NotSent> {
        let req = RefundCancelRequest {
            store_uid: self.cfg.store_uid.clone(),
            uid: uid.into(),
            key: key.into(),
        };
        self.call(Cmd::RefundCancel, &req).await
    }

    /// `api/orders`: a PayPage for the customer's phone. `Ok(Ok(url))` to show
    /// as a QR code; the result comes by notification or `query_order`.
    pub async fn orders(
        &self,
        req: &OrdersRequest,
    ) -> Result<Result<OrdersResponse, Decline>, NotSent> {
        req.validate()?;
        Ok(
            match self.call::<_, OrdersResponse>(Cmd::Orders, req).await? {
                Ok(r) => r.page().map(|_| r.clone()),
                Err(o) => Err(Decline {
                    code: String::new(),
                    reason: o.to_string(),
                    action: crate::gateway::CashierAction::RetryLater,
                }),
            },
        )
    }

    pub async fn query_order(&self, uid: &str, key: &str, asked: Ntd) -> CallResult {
        let req = QueryOrderRequest {
            uid: uid.into(),
            key: key.into(),
        };
        Ok(
            match self
                .call::<_, QueryOrderResponse>(Cmd::QueryOrder, &req)
                .await?
            {
                Ok(r) => r.order_outcome(asked),
                Err(o) => o,
            },
        )
    }

    /// `api/refund` for a generic refund: with an e-invoice, its
    /// `invoice_state` (void 4 / allowance 6, as the till decided) and the
    /// refunded `items` (none for the whole payment: MyPay fills them in).
    pub fn refund_request(
        &self,
        uid: &str,
        key: &str,
        req: &GenericRefund,
    ) -> Result<RefundRequest, NotSent> {
        let Some(inv) = &req.invoice else {
            return Ok(RefundRequest::new(
                &self.cfg,
                uid,
                key,
                req.amount,
                Vec::new(),
                false,
            )?);
        };
        let lines = if inv.items.is_empty() {
            Vec::new()
        } else {
            items(&inv.items, req.amount)
        };
        let mut r = RefundRequest::new(&self.cfg, uid, key, req.amount, lines, true)?;
        r.invoice_state = Some(match inv.treatment {
            crate::einvoice::Treatment::Void => super::InvoiceRefundMode::Void,
            crate::einvoice::Treatment::Allowance => super::InvoiceRefundMode::Allowance,
        });
        Ok(r)
    }

    pub fn transaction_request(&self, req: &PayRequest) -> Result<TransactionRequest, NotSent> {
        let PayWith::WalletCode { wallet, code } = &req.with else {
            return Err(NotSent::Unsupported {
                gateway: NAME,
                what: "payment without a wallet code",
            });
        };
        let mut r = TransactionRequest::new(
            &self.cfg,
            WalletPaymentInput {
                trade_no: &req.trade_no,
                wallet: *wallet,
                code,
                user_id: &self.user_id,
                ip: &self.ip,
                pos_id: &self.pos_id,
                items: items(&req.items, req.amount),
                amount: req.amount,
                at: req.at,
            },
        )?;
        if self.issue_invoices {
            // Issue (1, not the store setting's 2) with the buyer's choice.
            r.invoice =
                super::InvoiceRequest::issue_for(&req.buyer, super::InvoiceChannel::InPerson)?;
        }
        Ok(r)
    }
}

/// A 280 answer carries the WeChat `TradeNo` the confirmation needs.
fn with_wechat_reference(
    resp: &super::TransactionResponse,
    outcome: Outcome,
    cfg: &MyPayConfig,
) -> Outcome {
    match outcome {
        Outcome::Pending(mut p) => {
            p.reference = resp.wechat_confirmation(&cfg.store_uid).map(|w| w.trade_no);
            Outcome::Pending(p)
        }
        other => other,
    }
}

/// The one line sent for the whole amount when the till passed no items.
pub const WHOLE_AMOUNT_ITEM: &str = "商品";

/// MyPay wants items adding up to the cost: one line for the whole amount
/// when the till passed none.
fn items(lines: &[PayItem], amount: Ntd) -> Vec<Item> {
    if lines.is_empty() {
        return vec![Item {
            id: "1".into(),
            name: WHOLE_AMOUNT_ITEM.into(),
            cost: amount,
            amount: 1,
            total: amount,
        }];
    }
    lines
        .iter()
        .map(|l| Item {
            id: l.id.clone(),
            name: l.name.clone(),
            cost: l.unit_price,
            amount: l.qty,
            total: l
                .unit_price
                .checked_mul(i64::from(l.qty))
                .unwrap_or(l.unit_price),
        })
        .collect()
}

#[async_trait]
impl Gateway for MyPayClient {
    fn id(&self) -> GatewayId {
        GatewayId::MyPay
    }

    /// A WECHATOFF payment may come back Pending 280: finish it with
    /// [`MyPayClient::transaction`] + [`MyPayClient::wechat_confirm`].
    async fn pay(&self, req: &PayRequest) -> CallResult {
        let r = self.transaction_request(req)?;
        let outcome = match self.transaction(&r).await? {
            Ok(resp) => with_wechat_reference(&resp, resp.outcome(req.amount), &self.cfg),
            Err(o) => o,
        };
        Ok(self.issued_invoice(req, outcome).await)
    }

    /// `api/wechatconfirmation` for a 280: the payment's `uid` and `key`
    /// are found by `api/querydirect` (the journal keeps neither the key
    /// nor the whole answer), `reference` is the WeChat `TradeNo`.
    async fn confirm(&self, req: &PayRequest, reference: &str) -> CallResult {
        let found = match self.query_direct(&req.trade_no, req.amount).await? {
            Ok(r) => r,
            Err(o) => return Ok(o),
        };
        let Some(row) = found.rows.iter().find(|r| !r.uid.is_empty()) else {
            // Querydirect may fail transiently, or MyPay has no such order.
            return Ok(found.outcome(req.amount));
        };
        let confirm = WeChatConfirmRequest {
            store_uid: self.cfg.store_uid.clone(),
            uid: row.uid.clone(),
            key: row.key.clone(),
            trade_no: reference.to_string(),
        };
        let outcome = self.wechat_confirm(&confirm, req.amount).await?;
        Ok(self.issued_invoice(req, outcome).await)
    }

    /// `api/querydirect`. "No such transaction" is final only once a
    /// whole call timeout has passed since the payment was sent: before
    /// that MyPay may still be working on a request that reached it, and
    /// calling it declined would let the cashier take the money twice. So
    /// an empty answer that early is asked again once that time is up.
    async fn query(&self, req: &PayRequest) -> CallResult {
        let first = self.query_direct(&req.trade_no, req.amount).await?;
        let answer = match first {
            Ok(r) if r.lists_nothing() => match self.in_flight_for(req.at) {
                Some(left) => {
                    tracing::info!(trade = %req.trade_no, wait_ms = left.as_millis() as u64, "MyPay lists nothing yet: asking again once the call timeout is up");
                    tokio::time::sleep(left).await;
                    self.query_direct(&req.trade_no, req.amount).await?
                }
                None => Ok(r),
            },
            other => other,
        };
        Ok(match answer {
            Ok(r) => r.outcome(req.amount),
            Err(o) => o,
        })
    }

    /// Finds the payment's `key` by `api/querydirect` (the journal keeps
    /// only its uid), then asks for the refund.
    async fn refund(&self, req: &GenericRefund) -> CallResult {
        let found = match self
            .query_direct(&req.payment.trade_no, req.payment.amount)
            .await?
        {
            Ok(r) => r,
            Err(o) => return Ok(o),
        };
        let Some(row) = found
            .rows
            .iter()
            .find(|r| r.uid == req.payment.gateway_trade_no)
        else {
            return Ok(Outcome::Declined(Decline {
                code: found.code.clone(),
                reason: "查無原交易,無法退款 / the payment was not found: nothing to refund".into(),
                action: crate::gateway::CashierAction::CallSupport,
            }));
        };
        let r = self.refund_request(&row.uid, &row.key, req)?;
        self.refund_with(&r).await
    }

    /// `api/refundcancel` with the payment's uid and key (found by
    /// `api/querydirect`): B200 withdrew what was queued on it.
    async fn withdraw_refund(&self, req: &GenericRefund) -> Result<CancelOutcome, NotSent> {
        let why = |o: Outcome| match o.into_doubt() {
            Outcome::Unknown { why } => why,
            _ => String::new(),
        };
        let found = match self
            .query_direct(&req.payment.trade_no, req.payment.amount)
            .await?
        {
            Ok(r) => r,
            Err(o) => return Ok(CancelOutcome::Unknown { why: why(o) }),
        };
        let Some(row) = found
            .rows
            .iter()
            .find(|r| r.uid == req.payment.gateway_trade_no)
        else {
            return Ok(CancelOutcome::Unknown {
                why: "查無原交易 / the payment was not found".into(),
            });
        };
        Ok(match self.refund_cancel(&row.uid, &row.key).await? {
            Ok(r) if r.code == super::codes::DONE => CancelOutcome::Cancelled,
            Ok(r) => CancelOutcome::Refused(Decline {
                code: r.code.clone(),
                reason: format!(
                    "無法撤回退款:{} / the refund could not be withdrawn: {}",
                    r.msg, r.msg
                ),
                action: CashierAction::CallSupport,
            }),
            Err(o) => CancelOutcome::Unknown { why: why(o) },
        })
    }

    /// MyPay refunds carry no merchant refund number, so a lost answer is
    /// settled by `api/queryorder`'s `refund_order` list: refunds done
    /// there beyond what the journal knows are this one. A listed refund
    /// that is neither done nor refused (queued, in progress, a status we
    /// do not know) may be this one: in doubt, never "not found", so it is
    /// not sent twice. A failed query leaves it in doubt too.
    async fn find_refund(
        &self,
        req: &GenericRefund,
        refunded_before: Ntd,
    ) -> Result<Option<Outcome>, NotSent> {
        let found = match self
            .query_direct(&req.payment.trade_no, req.payment.amount)
            .await?
        {
            Ok(r) => r,
            Err(o) => return Ok(Some(o.into_doubt())),
        };
        if found.code != super::codes::DONE {
            return Ok(Some(found.outcome(req.payment.amount).into_doubt()));
        }
        let Some(row) = found
            .rows
            .iter()
            .find(|r| r.uid == req.payment.gateway_trade_no)
        else {
            return Ok(Some(Outcome::Unknown {
                why: format!("查無原交易 {} / the payment was not found", found.code),
            }));
        };
        let q = QueryOrderRequest {
            uid: row.uid.clone(),
            key: row.key.clone(),
        };
        let rec = match self
            .call::<_, QueryOrderResponse>(Cmd::QueryOrder, &q)
            .await?
        {
            Ok(r) => r,
            Err(o) => return Ok(Some(o.into_doubt())),
        };
        if rec.uid != row.uid {
            return Ok(Some(Outcome::Unknown {
                why: "查詢失敗 / queryorder did not answer for the payment".into(),
            }));
        }
        let done: Vec<_> = rec
            .refund_order
            .iter()
            .filter(|r| super::codes::refund_done(&r.prc))
            .collect();
        let open: Vec<_> = rec
            .refund_order
            .iter()
            .filter(|r| !super::codes::refund_done(&r.prc))
            .filter(|r| {
                !matches!(lookup(STATUS_CODES, &r.prc), Some(i) if i.kind == OutcomeKind::Declined)
            })
            .collect();
        let total = done.iter().fold(Ntd::ZERO, |acc, r| {
            acc.checked_add(r.actual_cost.or(r.cost).unwrap_or(Ntd::ZERO))
                .unwrap_or(acc)
        });
        let wanted = refunded_before
            .checked_add(req.amount)
            .unwrap_or(req.amount);
        if total < wanted {
            if let Some(r) = open.first() {
                return Ok(Some(Outcome::Pending(PendingInfo {
                    code: r.prc.clone(),
                    reason: format!(
                        "退款處理中(狀態 {}),尚未完成 / a refund is listed as not finished (status {})",
                        r.prc, r.prc
                    ),
                    action: CashierAction::WaitAndQuery,
                    reference: None,
                })));
            }
            return Ok(None);
        }
        // MyPay's list decides this: an empty one for a refund of nothing
        // is not a refund done.
        let Some(last) = done.last() else {
            return Ok(None);
        };
        Ok(Some(Outcome::Approved(crate::gateway::Approval {
            gateway: GatewayId::MyPay,
            gateway_trade_no: if last.refund_uid.is_empty() {
                last.uid.clone()
            } else {
                last.refund_uid.clone()
            },
            amount: req.amount,
            paid_at: None,
            is_repeat: false,
            review: None,
            // The invoice as it stands after the refunds.
            einvoice: rec.invoice.fields().map(Box::new),
            wallet: None,
        })))
    }
}

mod paypage;
