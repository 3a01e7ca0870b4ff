//! `till callback-server`: the addresses the gateways post their results
//! to. Every notice is checked before it can touch the journal, and a
//! notice only ever settles an attempt still in doubt, once:
//!
//! - ECPay ReturnURL (`POST /ecpay/return`, JSON): the envelope's and the
//!   Data's MerchantID must be ours and Data must decrypt with our
//!   HashKey/IV; `SimulatePaid=1` is answered `1|OK` and books nothing.
//! - MyPay (`POST /mypay/notify`, a form, or JSON as `[gateways.mypay]
//!   notice_format` says): the notice is not signed, so it is
//!   only a hint: till asks MyPay itself (`api/querydirect`) and journals
//!   that answer. Answered `8888`. Since anyone can send one, the queries
//!   they cause are bounded ([`Limits::notice_query_interval`],
//!   [`Limits::notice_queries_per_minute`]): a flood of forged notices
//!   does not become a flood of requests to MyPay.
//! - goodbuy (`POST /goodbuy/return`, form): `chk_value` must be
//!   md5(mch_order_id + agent key). That covers the order id only, not the
//!   code or the amount, so like MyPay's the notice is only a hint: till
//!   asks `order_status` and journals that answer (a short payment is never
//!   approved). Answered with the mch_order_id once the order is settled;
//!   a 503 otherwise, so the aggregator tries again.
//!
//! A notice of money on an attempt the till had already closed (a PayPage
//! paid after it expired, say) is checked with the gateway the same way and
//! put on record as owed back to the customer ([`Terminal::late_payments`]).
//!
//! Anything forged or malformed gets a 4xx and changes nothing. The server
//! is on the internet's side of the till, so it bounds what a client can
//! hold ([`Limits`]): a body limit (413 beyond it), a time to send the
//! headers and a time a connection may stay open, and a cap on connections
//! served at once. The parsing of each notice is a pure function
//! (`read_*`), fuzzed in `fuzz/`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use super::{NoticeEffect, PayError, Payments};
use crate::config::Config;
use crate::gateway::ecpay::{self, EcpayConfig, ResponseEnvelope, ReturnData};
use crate::gateway::{goodbuy, mypay};
use crate::journal::AttemptState;
use crate::sale::TradeNo;
use crate::terminal::Terminal;

/// What the handlers share.
#[derive(Clone)]
pub struct CallbackState {
    pub till: Arc<Mutex<Terminal>>,
    pub payments: Payments,
    ecpay: Option<EcpayConfig>,
    goodbuy_key: Option<crate::secret::Secret>,
    mypay_notice: mypay::NoticeFormat,
    /// The gateway queries MyPay's notices have caused (set by the server
    /// from its [`Limits`]).
    notice_queries: Arc<NoticeQueries>,
}

impl CallbackState {
    pub fn new(till: Arc<Mutex<Terminal>>, payments: Payments, cfg: &Config) -> CallbackState {
        CallbackState {
            till,
            payments,
            ecpay: cfg.gateways.ecpay.as_ref().map(|c| EcpayConfig {
                url: String::new(),
                merchant_id: c.merchant_id.clone(),
                platform_id: c.platform_id.clone(),
                hash_key: c.hash_key.clone(),
                hash_iv: c.hash_iv.clone(),
                return_url: String::new(),
            }),
            goodbuy_key: cfg.gateways.goodbuy.as_ref().map(|g| g.agent_key.clone()),
            mypay_notice: cfg
                .gateways
                .mypay
                .as_ref()
                .map(|m| m.notice_format)
                .unwrap_or_default(),
            notice_queries: Arc::new(NoticeQueries::new(&Limits::default())),
        }
    }
}

/// How much the callback server lets a client take. A notice is a few
/// hundred bytes (ECPay's encrypted Data about 2 KB) and is posted in one go,
/// so a small body, a short wait for it and a cap on open connections keep
/// a flood of idle, slow or oversized requests from holding memory or
/// crowding real notices out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body read; a larger one is answered 413 unread.
    pub body_bytes: usize,
    /// Time a client has to send a request's headers.
    pub header_timeout: Duration,
    /// Time a connection may stay open at all (idle keep-alive, a body
    /// trickled a byte at a time): then it is closed.
    pub connection_timeout: Duration,
    /// Connections served at once; more wait in the listen queue until one
    /// closes (at the latest after `connection_timeout`).
    pub max_connections: usize,
    /// Least time between two gateway queries that MyPay notices cause for
    /// one order. A notice for an order queried since it arrived is
    /// answered with that query's result; one arriving sooner waits for
    /// the next query, which every notice waiting with it shares. So every
    /// notice is still followed by a query made after it arrived, and a
    /// flood naming one order costs MyPay one query per interval.
    pub notice_query_interval: Duration,
    /// Gateway queries that MyPay notices about attempts the till already
    /// closed (only a late payment can come of those) may cause per minute,
    /// all orders together: past it such a notice is answered 503 unasked,
    /// and MyPay sends it again (every 15 minutes, 4 times). Notices about
    /// an attempt still in doubt, a payment in progress, are not held back
    /// by it: there are only as many of those as tills paying.
    pub notice_queries_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            connection_timeout: Duration::from_secs(30),
            max_connections: 256,
            notice_query_interval: Duration::from_secs(5),
            notice_queries_per_minute: 60,
        }
    }
}

/// Bounds the gateway queries that unsigned notices cause: per order
/// (coalesced, at most one per interval) and for closed attempts in all.
struct NoticeQueries {
    interval: Duration,
    per_minute: u32,
    /// Per order: when the last query a notice caused started. The lock
    /// also queues the notices of one order behind each other.
    orders: std::sync::Mutex<HashMap<TradeNo, Arc<Mutex<Option<Instant>>>>>,
    /// Queries for closed attempts: when the current minute began and how
    /// many it had. A fixed window is enough for a cap this coarse.
    window: std::sync::Mutex<(Instant, u32)>,
}

/// Orders remembered before the ones no notice is using are forgotten.
const NOTICE_ORDERS_KEPT: usize = 1024;

impl NoticeQueries {
    fn new(limits: &Limits) -> NoticeQueries {
        NoticeQueries {
            interval: limits.notice_query_interval,
            per_minute: limits.notice_queries_per_minute,
            orders: std::sync::Mutex::default(),
            window: std::sync::Mutex::new((Instant::now(), 0)),
        }
    }

    /// The queue of the notices about `trade`.
    fn order(&self, trade: &TradeNo) -> Arc<Mutex<Option<Instant>>> {
        // Never poisoned: nothing panics while holding it.
        let mut orders = self.orders.lock().unwrap_or_else(|e| e.into_inner());
        if orders.len() >= NOTICE_ORDERS_KEPT {
            let interval = self.interval;
            orders.retain(|_, gate| {
                Arc::strong_count(gate) > 1
                    || gate
                        .try_lock()
                        .map_or(true, |last| last.is_some_and(|t| t.elapsed() < interval))
            });
        }
        orders.entry(trade.clone()).or_default().clone()
    }

    /// Takes one query for a closed attempt from this minute's allowance.
    fn take_closed(&self) -> bool {
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if w.0.elapsed() >= Duration::from_secs(60) {
            *w = (Instant::now(), 0);
        }
        if w.1 >= self.per_minute {
            return false;
        }
        w.1 += 1;
        true
    }
}

/// The routes, for serving or for driving in tests.
pub fn router(state: CallbackState) -> Router {
    router_with(state, &Limits::default())
}

fn router_with(state: CallbackState, limits: &Limits) -> Router {
    Router::new()
        .route("/ecpay/return", post(ecpay_return))
        .route("/mypay/notify", post(mypay_notify))
        .route("/goodbuy/return", post(goodbuy_return))
        .layer(DefaultBodyLimit::max(limits.body_bytes))
        .with_state(state)
}

/// Serves the routes on `addr` (loopback unless the operator says otherwise).
pub async fn serve(
    addr: SocketAddr,
    state: CallbackState,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_with(addr, state, Limits::default()).await
}

/// [`serve`] with other [`Limits`] (tests use short ones).
pub async fn serve_with(
    addr: SocketAddr,
    state: CallbackState,
    limits: Limits,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let state = CallbackState {
        notice_queries: Arc::new(NoticeQueries::new(&limits)),
        ..state
    };
    let app = router_with(state, &limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let task = tokio::spawn(async move {
        loop {
            // A free slot first: past the cap, clients wait in the queue.
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let stream = match listener.accept().await {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors, say: the next accept may work.
                    tracing::warn!("callback server: accept failed: {e}");
                    continue;
                }
            };
            let app = app.clone();
            tokio::spawn(async move {
                serve_connection(stream, app, limits).await;
                drop(slot);
            });
        }
    });
    Ok((local, task))
}

/// One connection, within the header and connection time limits.
async fn serve_connection(stream: tokio::net::TcpStream, app: Router, limits: Limits) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        res = conn.as_mut() => {
            if let Err(e) = res {
                tracing::debug!("callback connection: {e}");
            }
        }
        () = tokio::time::sleep(limits.connection_timeout) => {
            tracing::debug!("callback connection open too long: closed");
            // Let a request in progress finish its answer, briefly.
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(1), conn).await;
        }
    }
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::warn!(status = status.as_u16(), "callback refused: {why}");
    (status, why.to_string()).into_response()
}

fn trade_of(s: &str) -> Option<TradeNo> {
    s.parse().ok()
}

/// Journal the outcome for a trade in our journal; unknown trades are 404.
async fn record(
    state: &CallbackState,
    trade: &TradeNo,
    outcome: impl FnOnce(crate::money::Ntd) -> Option<crate::gateway::Outcome>,
    source: &str,
) -> Result<NoticeEffect, Response> {
    let mut till = state.till.lock().await;
    let rec = match till.journal().attempt(trade) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(refuse(StatusCode::NOT_FOUND, "no such trade")),
        Err(e) => {
            tracing::error!("journal: {e}");
            return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    let Some(o) = outcome(rec.amount) else {
        return Ok(NoticeEffect::Ignored);
    };
    till.record_notice(trade, &o, source).map_err(|e| {
        tracing::error!("journal: {e}");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

/// Why a notice was refused: the HTTP status it is answered with, and the
/// reason (logged and sent back; never a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub why: &'static str,
}

impl Refusal {
    fn new(status: StatusCode, why: &'static str) -> Refusal {
        Refusal { status, why }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refuse(self.status, self.why)
    }
}

/// What an ECPay ReturnURL body says, once it is known to be ours.
#[derive(Debug)]
pub enum EcpayNotice {
    /// ECPay's back-office test (`SimulatePaid=1`): never money.
    Simulated,
    /// A notice about one of our trades.
    Trade {
        trade: TradeNo,
        data: Box<ReturnData>,
    },
}

/// Reads an ECPay ReturnURL body: the envelope's and the Data's MerchantID
/// must be ours and Data must decrypt with our key. Pure: no I/O.
pub fn read_ecpay_return(body: &str, cfg: &EcpayConfig) -> Result<EcpayNotice, Refusal> {
    let Ok(env) = serde_json::from_str::<ResponseEnvelope>(body) else {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "malformed"));
    };
    if env.merchant_id != cfg.merchant_id {
        return Err(Refusal::new(StatusCode::FORBIDDEN, "wrong MerchantID"));
    }
    let Ok(data) = env.open::<ReturnData>(cfg) else {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "Data does not decrypt with our key",
        ));
    };
    if !data.merchant_id.is_empty() && data.merchant_id != cfg.merchant_id {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "wrong MerchantID in Data",
        ));
    }
    if data.is_simulated() {
        return Ok(EcpayNotice::Simulated);
    }
    let no = data
        .order_info
        .as_ref()
        .map(|o| o.merchant_trade_no.as_str())
        .unwrap_or_default();
    let Some(trade) = trade_of(no) else {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "bad MerchantTradeNo"));
    };
    Ok(EcpayNotice::Trade {
        trade,
        data: Box::new(data),
    })
}

/// Reads a MyPay notify form: only which trade it is about (the notice is
/// unsigned, so nothing else in it is believed). Pure: no I/O.
pub fn read_mypay_notify(pairs: &[(String, String)]) -> Result<TradeNo, Refusal> {
    let Ok(n) = mypay::Notification::from_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    else {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "malformed"));
    };
    trade_of(&n.order_id).ok_or(Refusal::new(StatusCode::BAD_REQUEST, "bad order_id"))
}

/// Reads a goodbuy return form and checks its `chk_value` against the
/// agent key. Pure: no I/O.
pub fn read_goodbuy_return(
    pairs: &[(String, String)],
    agent_key: &crate::secret::Secret,
) -> Result<(TradeNo, goodbuy::Callback), Refusal> {
    let Ok(cb) = goodbuy::Callback::from_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    else {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "malformed"));
    };
    if cb.verify(agent_key).is_err() {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "chk_value does not match",
        ));
    }
    let Some(trade) = trade_of(&cb.mch_order_id) else {
        return Err(Refusal::new(StatusCode::BAD_REQUEST, "bad mch_order_id"));
    };
    Ok((trade, cb))
}

async fn ecpay_return(State(state): State<CallbackState>, body: String) -> Response {
    let Some(cfg) = &state.ecpay else {
        return refuse(StatusCode::NOT_FOUND, "ecpay not configured");
    };
    let (trade, data) = match read_ecpay_return(&body, cfg) {
        Ok(EcpayNotice::Trade { trade, data }) => (trade, data),
        Ok(EcpayNotice::Simulated) => {
            // ECPay's back-office test: never money. Acknowledge, book nothing.
            tracing::info!("ECPay simulated notification ignored");
            return ecpay::RETURN_URL_ACK.into_response();
        }
        Err(r) => return r.into_response(),
    };
    match record(&state, &trade, |asked| data.outcome(asked), "ecpay").await {
        Ok(_) => ecpay::RETURN_URL_ACK.into_response(),
        Err(r) => r,
    }
}

/// A MyPay notice in the format `[gateways.mypay] notice_format` accepts.
async fn read_mypay_notice(
    format: mypay::NoticeFormat,
    req: Request,
) -> Result<mypay::Notification, Response> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !format.accepts(json) {
        return Err(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "notice format (notice_format)",
        ));
    }
    let malformed = || refuse(StatusCode::BAD_REQUEST, "malformed");
    if json {
        let Json(v) = Json::<serde_json::Value>::from_request(req, &())
            .await
            .map_err(|e| too_large_or(e.status(), malformed))?;
        serde_json::from_value(v).map_err(|_| malformed())
    } else {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, &())
            .await
            .map_err(|e| too_large_or(e.status(), malformed))?;
        mypay::Notification::from_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|_| malformed())
    }
}

/// A body over the server's limit is 413, as for every other callback;
/// anything else the extractor refuses is `otherwise`.
fn too_large_or(status: StatusCode, otherwise: impl FnOnce() -> Response) -> Response {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        refuse(status, "body too large")
    } else {
        otherwise()
    }
}

async fn mypay_notify(State(state): State<CallbackState>, req: Request) -> Response {
    let n = match read_mypay_notice(state.mypay_notice, req).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Some(trade) = trade_of(&n.order_id) else {
        return refuse(StatusCode::BAD_REQUEST, "bad order_id");
    };
    let arrived = Instant::now();
    if let Err(r) = known_trade(&state, &trade).await {
        return r;
    }
    // Unsigned, so anyone can send one: one query per order at a time and
    // per interval, shared by the notices that wait for it.
    let limits = &state.notice_queries;
    let gate = limits.order(&trade);
    let mut last = gate.lock().await;
    if last.is_some_and(|started| started >= arrived) {
        // Asked since this notice came: that answer is journaled already.
        return mypay::NOTIFY_ACK.into_response();
    }
    if let Some(started) = *last {
        tokio::time::sleep_until(started + limits.interval).await;
    }
    let mut till = state.till.lock().await;
    let in_doubt = match till.journal().attempt(&trade) {
        Ok(Some(rec)) => !rec.state.is_final(),
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "no such trade"),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if !in_doubt && !limits.take_closed() {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "too many notices: send it again later",
        );
    }
    *last = Some(Instant::now());
    // Ask MyPay itself rather than believe the body.
    let asked = match till.query(&state.payments, &trade).await {
        // Closed without the money (a PayPage that expired, say): did
        // the customer pay since? Then it is owed back.
        Ok(r) if r.state.is_final() && r.state != AttemptState::Approved => till
            .check_late_payment(&state.payments, &trade, "mypay notice")
            .await
            .map(|_| ()),
        other => other.map(|_| ()),
    };
    match asked {
        Ok(_) | Err(PayError::NoGateway(_)) => mypay::NOTIFY_ACK.into_response(),
        Err(PayError::Journal(e)) => {
            tracing::error!("journal: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(e) => {
            tracing::warn!("mypay notice: {e}");
            mypay::NOTIFY_ACK.into_response()
        }
    }
}

/// Whether `trade` is in the journal: 404 if not, before it costs anything.
async fn known_trade(state: &CallbackState, trade: &TradeNo) -> Result<(), Response> {
    match state.till.lock().await.journal().attempt(trade) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(refuse(StatusCode::NOT_FOUND, "no such trade")),
        Err(e) => {
            tracing::error!("journal: {e}");
            Err(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}

async fn goodbuy_return(
    State(state): State<CallbackState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(key) = &state.goodbuy_key else {
        return refuse(StatusCode::NOT_FOUND, "goodbuy not configured");
    };
    let (trade, cb) = match read_goodbuy_return(&pairs, key) {
        Ok(x) => x,
        Err(r) => return r.into_response(),
    };
    let mut till = state.till.lock().await;
    match till.journal().attempt(&trade) {
        Ok(Some(_)) => {}
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "no such trade"),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    // The check value does not cover the code or the amount: ask.
    let asked = match till.query(&state.payments, &trade).await {
        Ok(r) if r.state.is_final() && r.state != AttemptState::Approved => till
            .check_late_payment(&state.payments, &trade, "goodbuy notice")
            .await
            .map(|_| r),
        other => other,
    };
    let settled = match asked {
        Ok(r) => !matches!(r.state, AttemptState::Unknown | AttemptState::Sending),
        Err(PayError::Journal(e)) => {
            tracing::error!("journal: {e}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(e) => {
            tracing::warn!("goodbuy notice: {e}");
            false
        }
    };
    match cb.ack() {
        Some(ack) if settled => ack.to_string().into_response(),
        Some(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "the aggregator does not confirm it yet: send it again later",
        ),
        None => "OK".into_response(),
    }
}
