//! `till callback-server` under abuse: oversized bodies, hundreds of idle
//! and slow connections, malformed forms and JSON, forged and replayed
//! notices. Nothing forged is booked, nothing held grows without bound, and
//! a real notice still gets through.

use crate::pay_support;

use std::sync::Arc;
use std::time::Duration;

use pay_support::{Rig, rig};
use till::gateway::client::PayWith;
use till::gateway::ecpay::{EcpayConfig, OrderInfo, ResponseEnvelope, ReturnData};
use till::gateway::goodbuy::PayType;
use till::journal::AttemptState;
use till::money::Ntd;
use till::sale::SaleNo;
use till::terminal::callbacks::{CallbackState, Limits, serve_with};
use till::terminal::{Tender, Terminal};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// Short limits, so the abuse plays out in seconds.
fn tight() -> Limits {
    Limits {
        body_bytes: 16 * 1024,
        header_timeout: Duration::from_millis(300),
        connection_timeout: Duration::from_millis(800),
        max_connections: 32,
        notice_query_interval: Duration::from_millis(300),
        notice_queries_per_minute: 1000,
    }
}

fn ecpay_cfg(c: &till::config::Ecpay) -> EcpayConfig {
    EcpayConfig {
        url: String::new(),
        merchant_id: c.merchant_id.clone(),
        platform_id: c.platform_id.clone(),
        hash_key: c.hash_key.clone(),
        hash_iv: c.hash_iv.clone(),
        return_url: String::new(),
    }
}

fn return_body(cfg: &EcpayConfig, trade: &str, amount: i64) -> String {
    let mut data = ReturnData::default();
    data.merchant_id = cfg.merchant_id.clone();
    data.order_info = Some(OrderInfo {
        merchant_trade_no: trade.into(),
        trade_no: "2411221234567890".into(),
        trade_amt: Some(Ntd::new(amount)),
        trade_status: "1".into(),
        ..OrderInfo::default()
    });
    data.set_result(1, "成功");
    let env = ResponseEnvelope::seal(cfg, 1, "", &data, till::taipei::now()).unwrap();
    serde_json::to_string(&env).unwrap()
}

/// A bound-card ECPay payment left waiting for its ReturnURL notice.
struct Waiting {
    till: Arc<Mutex<Terminal>>,
    sale: SaleNo,
    trade: String,
    cfg: EcpayConfig,
    url: String,
    _sims: till::sim::SimHandles,
}

async fn waiting_for_ecpay(amount: i64, limits: Limits) -> Waiting {
    let mut r = rig().await;
    let sale = r.sale(amount);
    let card = Tender::With(PayWith::BoundCard {
        bind_card_id: "BIND0001".into(),
        member_id: "member42".into(),
    });
    let res = r
        .till
        .pay(&r.payments, &sale, card, Ntd::new(amount), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown);
    let cfg = ecpay_cfg(r.cfg.gateways.ecpay.as_ref().unwrap());
    let pay_support::Rig {
        sims,
        cfg: till_cfg,
        till,
        payments,
        ..
    } = r;
    let till = Arc::new(Mutex::new(till));
    let state = CallbackState::new(till.clone(), payments, &till_cfg);
    let (addr, _task) = serve_with("127.0.0.1:0".parse().unwrap(), state, limits)
        .await
        .unwrap();
    Waiting {
        till,
        sale,
        trade: res.trade_no,
        cfg,
        url: format!("http://{addr}"),
        _sims: sims,
    }
}

impl Waiting {
    async fn state(&self) -> (AttemptState, usize, Ntd) {
        let t = self.till.lock().await;
        let rec = t
            .journal()
            .attempt(&self.trade.parse().unwrap())
            .unwrap()
            .unwrap();
        let paid = t
            .journal()
            .sale_detail(&self.sale)
            .unwrap()
            .unwrap()
            .summary
            .paid;
        (rec.state, rec.events.len(), paid)
    }

    fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }
}

fn http() -> reqwest::Client {
    // The timeout only keeps a broken server from hanging the test.
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_oversized_notice_is_refused_unread_and_a_real_one_still_books() {
    let w = waiting_for_ecpay(7002, tight()).await;
    let before = w.state().await;
    let http = http();
    // A real notice padded past the limit (JSON allows the whitespace).
    let real = return_body(&w.cfg, &w.trade, 7002);
    let padded = format!("{real}{}", " ".repeat(64 * 1024));
    let resp = http
        .post(format!("{}/ecpay/return", w.url))
        .body(padded)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413, "body over the limit");
    // 4 MB of form for the form routes.
    for route in ["mypay/notify", "goodbuy/return"] {
        let resp = http
            .post(format!("{}/{route}", w.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("order_id={}", "9".repeat(4 << 20)))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 413, "{route}");
    }
    assert_eq!(w.state().await, before, "nothing booked");

    let resp = http
        .post(format!("{}/ecpay/return", w.url))
        .body(real)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "1|OK");
    let (state, _, paid) = w.state().await;
    assert_eq!((state, paid), (AttemptState::Approved, Ntd::new(7002)));
}

/// Reads until the server closes the connection; true when it did.
async fn closed_by_server(mut s: TcpStream) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn hundreds_of_idle_and_slow_connections_are_closed_and_a_real_notice_gets_through() {
    let limits = tight();
    let w = waiting_for_ecpay(7002, limits).await;
    let before = w.state().await;
    let addr = w.addr();

    // 200 connections that never say a word, 60 that send half a header,
    // 60 that promise a large body and trickle one byte of it: ten times
    // the connections the server serves at once.
    let mut abusers = Vec::new();
    for _ in 0..200 {
        abusers.push(TcpStream::connect(&addr).await.unwrap());
    }
    for _ in 0..60 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"POST /ecpay/return HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        abusers.push(s);
    }
    for _ in 0..60 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            b"POST /ecpay/return HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 9000\r\n\r\n{",
        )
        .await
        .unwrap();
        abusers.push(s);
    }

    // The real notice, queued behind all of them.
    let resp = http()
        .post(format!("{}/ecpay/return", w.url))
        .body(return_body(&w.cfg, &w.trade, 7002))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.text().await.unwrap(), "1|OK");
    let (state, events, paid) = w.state().await;
    assert_eq!((state, paid), (AttemptState::Approved, Ntd::new(7002)));
    assert!(events > before.1);

    // Every abuser was hung up on by the server: none holds a slot.
    let n = abusers.len();
    let mut waits = tokio::task::JoinSet::new();
    for s in abusers {
        waits.spawn(closed_by_server(s));
    }
    let closed = waits.join_all().await.into_iter().filter(|c| *c).count();
    assert_eq!(closed, n, "the server closes idle and slow connections");
}

#[tokio::test]
async fn malformed_forms_and_json_get_4xx_and_change_nothing() {
    let w = waiting_for_ecpay(7002, tight()).await;
    let before = w.state().await;
    let http = http();
    let deep = format!("{}{}", "[".repeat(100_000 / 2), "]".repeat(100_000 / 2));
    let deep = &deep[..deep.len().min(15_000)];
    let ecpay_bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"not json".to_vec(),
        b"{\"MerchantID\":".to_vec(),
        b"\xff\xfe\x00garbage".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        deep.as_bytes().to_vec(),
        format!(r#"{{"MerchantID":"{}","Data":"%%%"}}"#, w.cfg.merchant_id).into_bytes(),
        format!(r#"{{"MerchantID":"{}","Data":"AAAA"}}"#, w.cfg.merchant_id).into_bytes(),
        format!(r#"{{"MerchantID":{},"Data":12}}"#, w.cfg.merchant_id).into_bytes(),
        format!(r#"{{"MerchantID":"{}","Data":null}}"#, w.cfg.merchant_id).into_bytes(),
        r#"{"MerchantID":"1","Data":"x"}"#.as_bytes().to_vec(),
    ];
    for body in ecpay_bodies {
        let resp = http
            .post(format!("{}/ecpay/return", w.url))
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{status} for {:?}",
            String::from_utf8_lossy(&body)
        );
    }
    let form_bodies: Vec<&[u8]> = vec![
        b"",
        b"order_id",
        b"order_id=%ZZ",
        b"order_id=\xff\xfe",
        b"order_id=1&order_id=2",
        b"mch_order_id=../../etc&chk_value=x&code=200",
        b"&&&===&&&",
        b"code=200&mch_order_id=D01&chk_value=%00%00",
    ];
    for route in ["mypay/notify", "goodbuy/return"] {
        for body in &form_bodies {
            let resp = http
                .post(format!("{}/{route}", w.url))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            assert!(
                (400..500).contains(&status),
                "{route}: {status} for {:?}",
                String::from_utf8_lossy(body)
            );
        }
        // JSON where a form is expected.
        let resp = http
            .post(format!("{}/{route}", w.url))
            .header("content-type", "application/json")
            .body(r#"{"order_id":"x"}"#)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error(), "{route}");
    }
    // Not HTTP at all.
    let mut s = TcpStream::connect(w.addr()).await.unwrap();
    s.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );

    assert_eq!(w.state().await, before, "nothing changed");
    // The server is still up and books the real notice.
    let resp = http
        .post(format!("{}/ecpay/return", w.url))
        .body(return_body(&w.cfg, &w.trade, 7002))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(w.state().await.0, AttemptState::Approved);
}

#[tokio::test]
async fn forged_and_replayed_notices_book_nothing() {
    let w = waiting_for_ecpay(7002, tight()).await;
    let http = http();
    let before = w.state().await;

    // Forged: sealed with a guessed key, for our merchant and trade.
    let mut guessed = w.cfg.clone();
    guessed.hash_key = till::secret::Secret::new("0000000000000000");
    guessed.hash_iv = till::secret::Secret::new("0000000000000000");
    let forged = return_body(&guessed, &w.trade, 7002);
    let resp = http
        .post(format!("{}/ecpay/return", w.url))
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // A genuine envelope with its Data swapped for another's ciphertext
    // block (bit-flipped): does not decrypt to a notice.
    let real = return_body(&w.cfg, &w.trade, 7002);
    let mut env: ResponseEnvelope = serde_json::from_str(&real).unwrap();
    let mut data = env.data.into_bytes();
    let mid = data.len() / 2;
    data[mid] = if data[mid] == b'A' { b'B' } else { b'A' };
    env.data = String::from_utf8(data).unwrap();
    let resp = http
        .post(format!("{}/ecpay/return", w.url))
        .body(serde_json::to_string(&env).unwrap())
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    // A genuine notice for a trade this till never made.
    let resp = http
        .post(format!("{}/ecpay/return", w.url))
        .body(return_body(&w.cfg, "D0119990101999999", 7002))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_client_error());
    assert_eq!(w.state().await, before, "nothing forged is booked");

    // The real one, then replayed five times: booked once.
    for _ in 0..6 {
        let resp = http
            .post(format!("{}/ecpay/return", w.url))
            .body(real.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    let (state, events, paid) = w.state().await;
    assert_eq!((state, paid), (AttemptState::Approved, Ntd::new(7002)));
    let again = w.state().await;
    assert_eq!(again.1, events);
}

#[tokio::test]
async fn an_unsigned_notice_claiming_payment_is_checked_with_the_gateway_not_believed() {
    let mut r = rig().await;
    let sale = r.sale(9601);
    let later = Tender::With(PayWith::PayLater {
        pay_type: PayType::Store {
            payer: "王小明".into(),
        },
        phone: "0912345678".into(),
    });
    let res = r
        .till
        .pay(&r.payments, &sale, later, Ntd::new(9601), vec![])
        .await
        .unwrap();
    assert_eq!(res.state, AttemptState::Unknown);
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let (addr, _task) = serve_with("127.0.0.1:0".parse().unwrap(), state, tight())
        .await
        .unwrap();
    // MyPay's notify is unsigned: a forger names our trade and says paid.
    let resp = http()
        .post(format!("http://{addr}/mypay/notify"))
        .form(&[
            ("order_id", res.trade_no.as_str()),
            ("prc", "250"),
            ("cost", "9601"),
            ("uid", "999999"),
        ])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success());
    let t = till.lock().await;
    let rec = t
        .journal()
        .attempt(&res.trade_no.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_ne!(
        rec.state,
        AttemptState::Approved,
        "the forgery is not booked"
    );
    let d = t.journal().sale_detail(&sale).unwrap().unwrap();
    assert_eq!(d.summary.paid, Ntd::ZERO);
}

/// A MyPay pay page the till cancelled unpaid: a notice about it can only be
/// money paid after all, which the till asks MyPay about.
async fn cancelled_page(r: &mut Rig, amount: i64) -> till::terminal::PayPageOrder {
    let sale = r.sale(amount);
    let order = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(amount), vec![])
        .await
        .unwrap();
    let trade = order.trade_no.parse().unwrap();
    let res = r.till.cancel_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Cancelled, "{}", res.message);
    order
}

/// MyPay's notice form about `order`, claiming it paid.
fn mypay_notice(order: &str, amount: i64, uid: usize) -> Vec<(&'static str, String)> {
    vec![
        ("order_id", order.to_string()),
        ("prc", "250".into()),
        ("cost", amount.to_string()),
        ("uid", uid.to_string()),
    ]
}

/// Posts a MyPay notice: (status, body).
async fn notify(addr: std::net::SocketAddr, form: Vec<(&'static str, String)>) -> (u16, String) {
    let resp = http()
        .post(format!("http://{addr}/mypay/notify"))
        .form(&form)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The customer pays on the pay page.
async fn customer_pays(order: &till::terminal::PayPageOrder) {
    let resp = http().post(&order.url).send().await.unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
}

#[tokio::test]
async fn a_flood_of_forged_mypay_notices_costs_mypay_one_query_per_interval_and_the_real_one_still_counts()
 {
    let mut r = rig().await;
    let order = cancelled_page(&mut r, 260).await;
    let trade: till::sale::TradeNo = order.trade_no.parse().unwrap();
    let ledger = r.sims.mypay.ledger.clone();
    let limits = Limits {
        notice_query_interval: Duration::from_secs(1),
        ..tight()
    };
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let (addr, _task) = serve_with("127.0.0.1:0".parse().unwrap(), state, limits)
        .await
        .unwrap();

    // One notice: what one check with MyPay costs.
    let before = ledger.requests();
    assert_eq!(
        notify(addr, mypay_notice(&order.trade_no, 260, 0)).await,
        (200, "8888".into())
    );
    let per_check = ledger.requests() - before;
    assert!(per_check >= 1, "the notice was checked with MyPay");

    // 150 forged notices naming the order, all at once.
    let before = ledger.requests();
    let started = std::time::Instant::now();
    let mut flood = tokio::task::JoinSet::new();
    for uid in 1..=150 {
        flood.spawn(notify(addr, mypay_notice(&order.trade_no, 260, uid)));
    }
    while let Some(answer) = flood.join_next().await {
        assert_eq!(
            answer.unwrap(),
            (200, "8888".to_string()),
            "every notice is answered"
        );
    }
    let elapsed = started.elapsed();
    let checks = (ledger.requests() - before) / per_check;
    // However they were spread in time: one check per interval at most
    // (the first may come at once, the last interval begun counts whole).
    let most = 1 + (elapsed.as_millis() / limits.notice_query_interval.as_millis()) as usize;
    assert!(
        checks <= most,
        "{checks} checks with MyPay for 150 notices in {elapsed:?}"
    );
    assert!(till.lock().await.late_payments(true).unwrap().is_empty());

    // The customer pays on the page after all; MyPay's real notice comes
    // right behind the flood: it is still checked, and the money found.
    customer_pays(&order).await;
    assert_eq!(
        notify(addr, mypay_notice(&order.trade_no, 260, 999)).await,
        (200, "8888".into())
    );
    let late = till.lock().await.late_payments(true).unwrap();
    assert_eq!(late.len(), 1, "the real notice got through");
    assert_eq!(
        (late[0].trade_no.clone(), late[0].amount),
        (trade, Ntd::new(260))
    );
}

#[tokio::test]
async fn notices_about_many_closed_orders_are_capped_and_a_payment_in_progress_still_gets_through()
{
    let mut r = rig().await;
    let mut closed = Vec::new();
    for amount in [261, 262, 263, 264] {
        closed.push(cancelled_page(&mut r, amount).await);
    }
    // A page the customer is paying right now.
    let sale = r.sale(265);
    let open = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(265), vec![])
        .await
        .unwrap();
    let ledger = r.sims.mypay.ledger.clone();
    let limits = Limits {
        notice_queries_per_minute: 2,
        ..tight()
    };
    let till = Arc::new(Mutex::new(r.till));
    let state = CallbackState::new(till.clone(), r.payments.clone(), &r.cfg);
    let started = std::time::Instant::now();
    let (addr, _task) = serve_with("127.0.0.1:0".parse().unwrap(), state, limits)
        .await
        .unwrap();

    // Forged notices naming four closed orders, one each.
    let before = ledger.requests();
    let mut answers = Vec::new();
    for (i, order) in closed.iter().enumerate() {
        answers.push(notify(addr, mypay_notice(&order.trade_no, 261 + i as i64, i)).await);
    }
    let minutes = 1 + (started.elapsed().as_secs() / 60) as usize;
    let checked = answers.iter().filter(|a| a.0 == 200).count();
    assert_eq!(answers[0], (200, "8888".into()));
    assert_eq!(answers[1], (200, "8888".into()));
    assert!(checked <= 2 * minutes, "{answers:?}");
    for a in &answers[checked..] {
        assert_eq!(a.0, 503, "past the cap: MyPay is to send it again later");
    }
    let per_check = (ledger.requests() - before) / checked;
    assert!(per_check >= 1);

    // The cap is spent; the customer pays the open page and MyPay's
    // notice about it still gets the payment booked.
    customer_pays(&open).await;
    let before = ledger.requests();
    assert_eq!(
        notify(addr, mypay_notice(&open.trade_no, 265, 99)).await,
        (200, "8888".into())
    );
    assert!(ledger.requests() > before, "checked with MyPay");
    let t = till.lock().await;
    let rec = t
        .journal()
        .attempt(&open.trade_no.parse().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(rec.state, AttemptState::Approved);
    assert_eq!(
        t.journal()
            .sale_detail(&sale)
            .unwrap()
            .unwrap()
            .summary
            .paid,
        Ntd::new(265)
    );
}
