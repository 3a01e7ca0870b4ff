//! MyPay PayPage (`mypay-link-agent-api.txt`, 『PayPage金流交易-折價券模式』
//! and 『交易查詢』): `api/orders` makes a page the customer opens on their
//! phone; `api/queryorder` with the order's `uid` and `key` says what
//! became of it. MyPay has no call to close an unpaid order.
//!
//! The `key` is what lets anyone holding the store key query (and refund)
//! the order, so it never reaches the journal as is: the journal keeps it
//! sealed with the store key (AES-256-CBC, the envelope's own cipher), and
//! only a client configured with that key can open it again. If it cannot
//! (the key was changed), `api/querydirect` by order_id is asked instead,
//! which the manual documents for direct transactions only \[guess\].

use async_trait::async_trait;

use super::{MyPayClient, NAME, items};
use crate::gateway::client::{
    CallResult, NotSent, PageOpened, PageRequest, PayPageGateway, malformed,
};
use crate::gateway::mypay::{Cmd, OrdersRequest, OrdersResponse, decrypt, encrypt};
use crate::gateway::{Outcome, random_iv};
use crate::sale::GatewayId;

/// Marks the sealing scheme, so another one can follow.
const HANDLE_PREFIX: &str = "mypay-sealed-v1:";

impl MyPayClient {
    /// The `api/orders` request for a PayPage of `req`.
    pub fn orders_request(&self, req: &PageRequest) -> Result<OrdersRequest, NotSent> {
        let mut r = OrdersRequest::new(
            &self.cfg,
            &req.trade_no,
            &self.user_id,
            &self.ip,
            items(&req.items, req.amount),
            req.amount,
        )?;
        // 『交易類型』: 1 = the consumer enters the payment (their own phone);
        // 2 is for a merchant keying it in at the counter.
        r.transaction_type = Some(1);
        // 『驗證折價券方式』 0: no vouchers; cost is then the items' total.
        r.voucher_type = "0".into();
        if self.issue_invoices {
            r.invoice = crate::gateway::mypay::InvoiceRequest::issue_for(
                &req.buyer,
                crate::gateway::mypay::InvoiceChannel::PayPage,
            )?;
        }
        r.validate()?;
        Ok(r)
    }

    /// The order's `key`, sealed with the store key for the journal.
    pub fn seal_page_key(&self, key: &str) -> Result<String, NotSent> {
        let sealed = encrypt(key.as_bytes(), &self.cfg.key, random_iv())
            .map_err(|e| NotSent::Config(e.to_string()))?;
        Ok(format!("{HANDLE_PREFIX}{sealed}"))
    }

    /// The reverse of [`MyPayClient::seal_page_key`]; `None` if this
    /// client's store key did not seal it.
    pub fn open_page_key(&self, handle: &str) -> Option<String> {
        let sealed = handle.strip_prefix(HANDLE_PREFIX)?;
        let plain = decrypt(sealed, &self.cfg.key).ok()?;
        String::from_utf8(plain).ok().filter(|k| !k.is_empty())
    }
}

#[async_trait]
impl PayPageGateway for MyPayClient {
    fn id(&self) -> GatewayId {
        GatewayId::MyPay
    }

    async fn open_page(&self, req: &PageRequest) -> Result<Result<PageOpened, Outcome>, NotSent> {
        let r = self.orders_request(req)?;
        tracing::info!(order_id = %r.order_id, "mypay paypage order");
        let ans: OrdersResponse = match self.call(Cmd::Orders, &r).await? {
            Ok(a) => a,
            Err(o) => return Ok(Err(o)),
        };
        let url = match ans.page() {
            Ok(u) => u.to_string(),
            Err(d) => return Ok(Err(Outcome::Declined(d))),
        };
        if ans.uid.is_empty() || ans.key.is_empty() {
            return Ok(Err(malformed(NAME, "api/orders answered no uid or key")));
        }
        Ok(Ok(PageOpened {
            url,
            gateway_trade_no: ans.uid.clone(),
            handle: self.seal_page_key(&ans.key)?,
        }))
    }

    async fn query_page(
        &self,
        req: &PageRequest,
        gateway_trade_no: &str,
        handle: Option<&str>,
    ) -> CallResult {
        if let Some(key) = handle.and_then(|h| self.open_page_key(h)) {
            return self.query_order(gateway_trade_no, &key, req.amount).await;
        }
        tracing::warn!(order_id = %req.trade_no, "paypage key unavailable: asking api/querydirect");
        let found = match self.query_direct(&req.trade_no, req.amount).await? {
            Ok(r) => r,
            Err(o) => return Ok(o),
        };
        Ok(match found.outcome(req.amount) {
            // querydirect may not know PayPage orders: "not found" proves nothing.
            Outcome::Declined(d) if d.code.is_empty() => Outcome::Unknown {
                why: format!(
                    "查無 PayPage 訂單,請至 MyPay 後台確認 / the PayPage order was not found: check MyPay's back office ({})",
                    d.reason
                ),
            },
            o => o,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::mypay::{Mode, MyPayConfig};
    use crate::secret::Secret;

    fn client(key: &str) -> MyPayClient {
        let cfg = MyPayConfig {
            base_url: "http://127.0.0.1:9".into(),
            mode: Mode::Agent,
            agent_uid: "518169081001".into(),
            store_uid: "289151880002".into(),
            key: Secret::new(key),
            pfn_style: Default::default(),
            alipay: Default::default(),
            easywallet: Default::default(),
            refund_invoice_state: Default::default(),
            notice_format: Default::default(),
        };
        MyPayClient::new(cfg, "till", std::time::Duration::from_secs(1)).unwrap()
    }

    #[test]
    fn the_order_key_is_sealed_and_only_the_store_key_opens_it() {
        let c = client("2MrhtRYeF9wKZ4bKwzZoL8aZf26pWzIG");
        let order_key = "d2c55a2055cbe6f711f1e977039e2a8f";
        let handle = c.seal_page_key(order_key).unwrap();
        assert!(!handle.contains(order_key));
        assert_eq!(c.open_page_key(&handle).as_deref(), Some(order_key));
        let other = client("Xd668CSjnXQLD26Hia8vapkOgGXAv68s");
        assert_eq!(other.open_page_key(&handle), None);
        assert_eq!(c.open_page_key(order_key), None);
    }

    #[test]
    fn a_paypage_is_an_online_order_without_vouchers() {
        let c = client("2MrhtRYeF9wKZ4bKwzZoL8aZf26pWzIG");
        let req = PageRequest {
            trade_no: "T0126112200042P01".parse().unwrap(),
            amount: crate::money::Ntd::new(120),
            items: Vec::new(),
            at: crate::taipei::now(),
            buyer: Default::default(),
        };
        let r = c.orders_request(&req).unwrap();
        assert_eq!(r.transaction_type, Some(1));
        assert_eq!(r.voucher_type, "0");
        assert_eq!(r.items.len(), 1);
        assert_eq!(r.items[0].total, r.cost);
    }
}
