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
//!   that answer. Answered `8888`.
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
//! Anything forged or malformed gets a 4xx and changes nothing.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use tokio::sync::Mutex;

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
        }
    }
}

/// The routes, for serving or for driving in tests.
pub fn router(state: CallbackState) -> Router {
    Router::new()
        .route("/ecpay/return", post(ecpay_return))
        .route("/mypay/notify", post(mypay_notify))
        .route("/goodbuy/return", post(goodbuy_return))
        .with_state(state)
}

/// Serves the routes on `addr` (loopback unless the operator says otherwise).
pub async fn serve(
    addr: SocketAddr,
    state: CallbackState,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(state);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("callback server stopped: {e}");
        }
    });
    Ok((local, task))
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

async fn ecpay_return(State(state): State<CallbackState>, body: String) -> Response {
    let Some(cfg) = &state.ecpay else {
        return refuse(StatusCode::NOT_FOUND, "ecpay not configured");
    };
    let Ok(env) = serde_json::from_str::<ResponseEnvelope>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    if env.merchant_id != cfg.merchant_id {
        return refuse(StatusCode::FORBIDDEN, "wrong MerchantID");
    }
    let Ok(data) = env.open::<ReturnData>(cfg) else {
        return refuse(StatusCode::FORBIDDEN, "Data does not decrypt with our key");
    };
    if !data.merchant_id.is_empty() && data.merchant_id != cfg.merchant_id {
        return refuse(StatusCode::FORBIDDEN, "wrong MerchantID in Data");
    }
    if data.is_simulated() {
        // ECPay's back-office test: never money. Acknowledge, book nothing.
        tracing::info!("ECPay simulated notification ignored");
        return ecpay::RETURN_URL_ACK.into_response();
    }
    let no = data
        .order_info
        .as_ref()
        .map(|o| o.merchant_trade_no.clone())
        .unwrap_or_default();
    let Some(trade) = trade_of(&no) else {
        return refuse(StatusCode::BAD_REQUEST, "bad MerchantTradeNo");
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
            .map_err(|_| malformed())?;
        serde_json::from_value(v).map_err(|_| malformed())
    } else {
        let Form(pairs) = Form::<Vec<(String, String)>>::from_request(req, &())
            .await
            .map_err(|_| malformed())?;
        mypay::Notification::from_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .map_err(|_| malformed())
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
    let mut till = state.till.lock().await;
    match till.journal().attempt(&trade) {
        Ok(Some(_)) => {}
        Ok(None) => return refuse(StatusCode::NOT_FOUND, "no such trade"),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    // Unsigned: ask MyPay itself rather than believe the body.
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

async fn goodbuy_return(
    State(state): State<CallbackState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(key) = &state.goodbuy_key else {
        return refuse(StatusCode::NOT_FOUND, "goodbuy not configured");
    };
    let Ok(cb) = goodbuy::Callback::from_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    else {
        return refuse(StatusCode::BAD_REQUEST, "malformed");
    };
    if cb.verify(key).is_err() {
        return refuse(StatusCode::FORBIDDEN, "chk_value does not match");
    }
    let Some(trade) = trade_of(&cb.mch_order_id) else {
        return refuse(StatusCode::BAD_REQUEST, "bad mch_order_id");
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
