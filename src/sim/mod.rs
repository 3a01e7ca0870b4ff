//! Loopback simulators of the four gateways, for tests and demo mode.
//!
//! Each one behaves like the VENDOR, not like our client: it checks
//! signatures and opens envelopes with its test credentials and refuses
//! bad ones with the vendor's own codes, enforces field formats, and keeps
//! an order store so repeats, cancels, inquiries and refund limits reflect
//! what really happened. They listen on `127.0.0.1` only, on a port the OS
//! picks; [`Simulators::start_all`] returns the addresses.
//!
//! # Books
//!
//! Tests keep each simulator's books in memory. Demo mode
//! ([`Simulators::start_demo`]) keeps them in one SQLite file next to the
//! demo journal, shared by every demo process, so a payment made by one
//! `till` command (or the GUI) is known to the vendor when another one
//! refunds it; `till demo reset` forgets them ([`books`]).
//!
//! # Scenarios
//!
//! Chosen by the amount of a payment (or of a refund, for refund calls).
//! A fault applies the first time an order is seen; a repeat of the same
//! trade number gets the stored result (JKoPay `IsRep=1`).
//!
//! | amount | gateway | what happens |
//! |---|---|---|
//! | anything else | all | approved |
//! | 9000 + code, e.g. 9906, 9928, 9802, 9931 | JKoPay | declined with StatusCode `code` (906 expired code, 928 insufficient balance …), nothing charged |
//! | 9000 + code as a refund amount, e.g. 9951 | JKoPay | refund declined with StatusCode `code`, nothing refunded |
//! | 9300 | MyPay | code 300 payment failed |
//! | 9290 | MyPay | 290 paid with mismatched details (charged; the till flags it) |
//! | 9280 | MyPay | 280: the customer must confirm in the app; `api/wechatconfirmation` completes it |
//! | 9281 | MyPay | WeChat confirmation pending: 280, and `api/wechatconfirmation` answers 280 until its [`mypay::WECHAT_CONFIRM_AFTER`]th call (3), which is paid |
//! | 9282 | MyPay | 280, then the customer refuses in the app: `api/wechatconfirmation` answers 300 |
//! | 9283 | MyPay | 280 and never confirmed: `api/wechatconfirmation` answers 280 forever |
//! | 9252 / 9255 | ECPay | RtnCode 10100252 insufficient credit / 10100255 lost card |
//! | 9503 | goodbuy | order created, the callback says 503 card payment failed |
//! | 9601 | goodbuy | order created, not paid (no callback) until the test calls [`goodbuy::GoodbuySim::customer_pays`] |
//! | 7001 | all | SLOW: processed and charged, the answer held for [`SimOptions::slow`] |
//! | 7002 | all | DROP: processed and charged, the connection closed without an answer |
//! | 7003 | all | HTTP 500 before any processing, nothing charged |
//! | 7004 | JKoPay, MyPay, ECPay | MALFORMED: processed and charged, the body is not JSON (goodbuy's create-order answers a page anyway) |
//! | 7005 | JKoPay, ECPay | BAD SIGNATURE: processed and charged, the answer's Sign / Data made with the wrong key |
//! | 7007 | MyPay, JKoPay | BOOKED LATE: the connection is dropped at once, the payment charged and found by `api/querydirect` (MyPay) or by Cancel / Inquiry (JKoPay, 916 until then) only 300 ms ([`mypay::LATE_BOOKING_AFTER`], [`jkopay::LATE_BOOKING_AFTER`]) later |
//! | 7006 as a refund amount | MyPay | refund QUEUED: B200 with no `row_data`, listed by `api/queryorder` as 200 (not done) and done only when the test calls [`mypay::MyPaySim::process_queued_refunds`]; `api/refundcancel` withdraws it |
//!
//! MyPay PayPage (`api/orders`): the answer's `url` is served by the
//! simulator. `GET` shows the order; `POST {url}` is the customer paying
//! (250, charged once, notified); `POST {url}/abandon` is the customer
//! giving up (A0002). Until then `api/queryorder` answers 200 (not paid).
//! 7002 / 7003 / 7004 / 7001 apply to `api/orders` as above.
//!
//! goodbuy's create-order answer is a payer page with the instructions in
//! elements named by `id`: `bank_code` 822 and a 14-digit `account` (atm),
//! `store_code` `GB` + 12 digits (store), `deadline` (23:59:59 three days
//! after the order) and `pay_url` (`GET /pay/{mch_order_id}`, the same page).
//!
//! ECPay answers a repeated MerchantTradeNo with the stored result and no
//! second charge \[guess\]; MyPay refuses a reused order_id with B500 and
//! goodbuy a reused mch_order_id with 505, neither charging again.
//!
//! Barcodes: a JKoPay CardToken ending in `906` is an expired code
//! whatever the amount (the way a stale code looks to the cashier).
//!
//! The records ([`Ledger`]) let crash tests check "exactly one charge or
//! none" with [`Ledger::charges_for`] and [`Ledger::total_charged`].

pub mod books;
pub mod ecpay;
pub mod goodbuy;
pub mod jkopay;
pub mod mypay;
mod mypay_requests;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::money::Ntd;
use crate::sale::GatewayId;

/// Fault scenarios common to every simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Slow,
    Drop,
    ServerError,
    Malformed,
    BadSignature,
}

impl Fault {
    /// The fault an amount selects (see the table above).
    pub fn for_amount(amount: Ntd) -> Option<Fault> {
        match amount.dollars() {
            7001 => Some(Fault::Slow),
            7002 => Some(Fault::Drop),
            7003 => Some(Fault::ServerError),
            7004 => Some(Fault::Malformed),
            7005 => Some(Fault::BadSignature),
            _ => None,
        }
    }
}

/// Knobs shared by the simulators.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// How long a SLOW answer is held. Longer than any client timeout in tests.
    pub slow: Duration,
    /// Where MyPay, ECPay and goodbuy post their notifications, if anywhere
    /// (goodbuy uses each order's own `returnurl` when this is `None`).
    pub callback_url: Option<String>,
    /// The books file (demo mode: [`demo_books`]); `None` keeps the books
    /// in memory, forgotten when the simulator stops (tests).
    pub books: Option<PathBuf>,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            slow: Duration::from_secs(30),
            callback_url: None,
            books: None,
        }
    }
}

impl SimOptions {
    /// The books of simulator `name`: in the file when one is given.
    pub(crate) fn open_books<S>(&self, name: &'static str) -> std::io::Result<books::Books<S>>
    where
        S: serde::Serialize + serde::de::DeserializeOwned + Default + Send + 'static,
    {
        match &self.books {
            Some(path) => books::Books::open(name, path),
            None => Ok(books::Books::memory()),
        }
    }
}

/// Where the simulators of a demo till keep their books: next to its
/// journal (`~/.local/share/till/demo/simulators.sqlite3`).
pub fn demo_books(journal: &Path) -> PathBuf {
    journal.with_file_name(books::FILE_NAME)
}

/// One charge as the simulated vendor booked it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Charge {
    pub gateway: GatewayId,
    /// The merchant's number (MerchantTradeNo / order_id / mch_order_id).
    pub trade_no: String,
    /// The vendor's own number.
    pub gateway_trade_no: String,
    pub amount: Ntd,
    pub refunded: Ntd,
    pub cancelled: bool,
}

/// The charges a simulator booked (its books: in memory, or the demo
/// file), and the requests that reached it in this process.
#[derive(Clone)]
pub struct Ledger {
    book: Arc<dyn books::ChargeBook>,
    requests: Arc<AtomicUsize>,
    /// (call, merchant order number) of each request that got as far as
    /// naming one, in this process.
    calls: Arc<Mutex<Vec<(String, String)>>>,
}

impl Default for Ledger {
    /// A ledger of its own, in memory.
    fn default() -> Ledger {
        Ledger::of(books::Books::<()>::memory())
    }
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

impl Ledger {
    /// The ledger kept in a simulator's books.
    pub(crate) fn of(book: impl books::ChargeBook + 'static) -> Ledger {
        Ledger {
            book: Arc::new(book),
            requests: Arc::default(),
            calls: Arc::default(),
        }
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes a request for `call` (the vendor's name for it: `Refund`,
    /// `api/querydirect` …) naming merchant order `order`.
    pub(crate) fn record_call(&self, call: &str, order: &str) {
        self.calls_list()
            .push((call.to_string(), order.to_string()));
    }

    #[cfg(test)]
    pub(crate) fn charge(&self, c: Charge) {
        self.book.change(&mut |charges| charges.push(c.clone()));
    }

    #[cfg(test)]
    pub(crate) fn update(&self, trade_no: &str, f: impl Fn(&mut Charge)) {
        self.book.change(&mut |charges| {
            if let Some(c) = charges
                .iter_mut()
                .find(|c| c.trade_no == trade_no && !c.cancelled)
            {
                f(c);
            }
        });
    }

    /// Charges that stand (not cancelled) under a merchant trade number.
    pub fn charges_for(&self, trade_no: &str) -> Vec<Charge> {
        self.book
            .charges()
            .into_iter()
            .filter(|c| c.trade_no == trade_no && !c.cancelled)
            .collect()
    }

    /// Every charge ever booked, cancelled ones included.
    pub fn all(&self) -> Vec<Charge> {
        self.book.charges()
    }

    /// What the customers paid and still have paid: standing charges less refunds.
    pub fn total_charged(&self) -> Ntd {
        Ntd::new(
            self.book
                .charges()
                .iter()
                .filter(|c| !c.cancelled)
                .map(|c| c.amount.dollars() - c.refunded.dollars())
                .sum(),
        )
    }

    /// How many HTTP requests reached the simulator's handlers (in this process).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many `call` requests naming `order` the simulator received and
    /// could read, whatever it answered: lets a test see that something was
    /// sent again, or never sent twice. `order` is the merchant's number the
    /// request carries (JKoPay: MerchantTradeNo, a refund's own; MyPay:
    /// order_id, or where a call names none (`api/refund`,
    /// `api/wechatconfirmation`), MyPay's uid of the payment; goodbuy:
    /// mch_order_id, calls named by path, `api/order_status` …). ECPay's
    /// calls are not counted.
    pub fn calls(&self, call: &str, order: &str) -> usize {
        self.calls_list()
            .iter()
            .filter(|(c, o)| c == call && o == order)
            .count()
    }

    fn calls_list(&self) -> MutexGuard<'_, Vec<(String, String)>> {
        // A panicking test thread leaves the list as it was: still readable.
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lets a handler close its connection without answering (the DROP fault).
#[derive(Clone)]
pub(crate) struct Killer(Arc<Notify>);

impl Killer {
    /// Closes the connection; the handler never returns.
    pub async fn drop_connection(&self) -> ! {
        self.0.notify_one();
        std::future::pending().await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Killer {
    type Rejection = Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Killer, Infallible> {
        Ok(parts
            .extensions
            .get::<Killer>()
            .cloned()
            .unwrap_or_else(|| Killer(Arc::new(Notify::new()))))
    }
}

/// A running simulator: its address, and the task that serves it (stopped
/// when this is dropped).
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Serves `app` on 127.0.0.1 with an OS-chosen port. Each connection gets
/// a [`Killer`] so a handler can drop it.
pub(crate) async fn serve(app: Router) -> std::io::Result<Server> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let kill = Arc::new(Notify::new());
            let app = app.clone().layer(axum::Extension(Killer(kill.clone())));
            tokio::spawn(async move {
                let io = hyper_util::rt::TokioIo::new(stream);
                let svc = hyper_util::service::TowerToHyperService::new(app);
                let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, svc);
                // Dropping `conn` closes the socket without a response.
                tokio::select! {
                    _ = conn => {}
                    _ = kill.notified() => {}
                }
            });
        }
    });
    Ok(Server { addr, task })
}

/// All four simulators, started together.
#[derive(Debug)]
pub struct SimHandles {
    pub jkopay: jkopay::JkoPaySim,
    pub mypay: mypay::MyPaySim,
    pub ecpay: ecpay::EcpaySim,
    pub goodbuy: goodbuy::GoodbuySim,
}

pub struct Simulators;

impl Simulators {
    /// Starts the four simulators on loopback with default options.
    pub async fn start_all() -> std::io::Result<SimHandles> {
        Simulators::start_all_with(SimOptions::default()).await
    }

    /// Starts the four simulators of a demo till, whose books are kept in
    /// the file `books` and shared with every other demo process.
    pub async fn start_demo(books: &Path) -> std::io::Result<SimHandles> {
        Simulators::start_all_with(SimOptions {
            books: Some(books.to_path_buf()),
            ..SimOptions::default()
        })
        .await
    }

    pub async fn start_all_with(opts: SimOptions) -> std::io::Result<SimHandles> {
        Ok(SimHandles {
            jkopay: jkopay::JkoPaySim::start(opts.clone()).await?,
            mypay: mypay::MyPaySim::start(opts.clone()).await?,
            ecpay: ecpay::EcpaySim::start(opts.clone()).await?,
            goodbuy: goodbuy::GoodbuySim::start(opts).await?,
        })
    }
}

impl SimHandles {
    /// The demo configuration with every gateway pointed at these
    /// simulators and their public test credentials.
    pub fn demo_config(&self) -> crate::config::Config {
        let mut c = crate::config::Config::demo();
        c.gateways.jkopay = Some(self.jkopay.config_section());
        c.gateways.mypay = Some(self.mypay.config_section());
        c.gateways.ecpay = Some(self.ecpay.config_section());
        c.gateways.goodbuy = Some(self.goodbuy.config_section());
        c
    }
}

/// Posts a notification form or JSON body to a callback URL, in the
/// background: a vendor does not wait for the merchant. Loopback only.
pub(crate) fn post_callback(url: String, body: CallbackBody) {
    tokio::spawn(async move {
        let Ok(client) = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
        else {
            return;
        };
        let req = match body {
            CallbackBody::Form(pairs) => client.post(&url).form(&pairs),
            CallbackBody::Json(v) => client.post(&url).json(&v),
        };
        if let Err(e) = req.send().await {
            tracing::warn!("simulator callback failed: {e}");
        }
    });
}

pub(crate) enum CallbackBody {
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_amounts_are_the_documented_ones() {
        assert_eq!(Fault::for_amount(Ntd::new(7002)), Some(Fault::Drop));
        assert_eq!(Fault::for_amount(Ntd::new(100)), None);
    }

    #[test]
    fn ledger_counts_refunds_and_ignores_cancels() {
        let l = Ledger::default();
        for (t, cancelled) in [("A", false), ("B", true)] {
            l.charge(Charge {
                gateway: GatewayId::JkoPay,
                trade_no: t.into(),
                gateway_trade_no: "x".into(),
                amount: Ntd::new(100),
                refunded: Ntd::ZERO,
                cancelled,
            });
        }
        l.update("A", |c| c.refunded = Ntd::new(30));
        assert_eq!(l.total_charged(), Ntd::new(70));
        assert!(l.charges_for("B").is_empty());
    }
}
