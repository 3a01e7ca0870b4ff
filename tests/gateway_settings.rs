//! Every behaviour the vendor documents leave open (`[guess]` in NOTES.md)
//! is a key in `assets/config.example.toml`, checked by `till config
//! check`, and the other value really changes what the till sends or how
//! it reads the answer, against the simulators over loopback HTTP.

use std::sync::Arc;
use std::time::Duration;

use till::config::{Config, EXAMPLE};
use till::gateway::client::{Gateway, PayRequest, PayWith};
use till::gateway::goodbuy::DatasShape;
use till::gateway::goodbuy::client::GoodbuyClient;
use till::gateway::jkopay::client::JkoClient;
use till::gateway::jkopay::{OrderStatusMap, ResponseSignPolicy};
use till::gateway::mypay::client::MyPayClient;
use till::gateway::mypay::{NoticeFormat, OfflineRoute, PfnStyle};
use till::gateway::{Outcome, OutcomeKind};
use till::money::Ntd;
use till::sale::{AttemptKind, SaleNo, TradeNo, Wallet};
use till::sim::SimOptions;
use till::sim::goodbuy::GoodbuySim;
use till::sim::jkopay::JkoPaySim;
use till::sim::mypay::MyPaySim;
use till::taipei;

fn trade(seq: u32) -> TradeNo {
    SaleNo::new("T09".parse().unwrap(), taipei::now().date_naive(), seq)
        .unwrap()
        .attempt(AttemptKind::Payment, 1)
        .unwrap()
}

fn wallet_pay(seq: u32, amount: i64, wallet: Wallet, code: &str) -> PayRequest {
    PayRequest {
        trade_no: trade(seq),
        amount: Ntd::new(amount),
        with: PayWith::WalletCode {
            wallet,
            code: code.into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    }
}

fn problem_keys(cfg: &Config) -> Vec<String> {
    cfg.problems().into_iter().map(|p| p.key).collect()
}

#[test]
fn the_example_documents_every_setting_with_the_default() {
    let cfg: Config = toml::from_str(EXAMPLE).unwrap();
    let j = cfg.gateways.jkopay.as_ref().unwrap();
    assert_eq!(j.response_sign, ResponseSignPolicy::VerifyIfPresent);
    assert_eq!(j.inquiry_order_status, OrderStatusMap::default());
    let m = cfg.gateways.mypay.as_ref().unwrap();
    assert_eq!(m.pfn_style, PfnStyle::Code);
    assert_eq!(m.alipay, OfflineRoute::Dedicated);
    assert_eq!(m.easywallet, OfflineRoute::Dedicated);
    assert_eq!(m.notice_format, NoticeFormat::Form);
    let g = cfg.gateways.goodbuy.as_ref().unwrap();
    assert_eq!(g.create_path, "api/order");
    assert_eq!(g.datas, DatasShape::JsonText);
    // Left out, each key has the same default as the example shows.
    let bare = EXAMPLE
        .lines()
        .filter(|l| {
            ![
                "response_sign",
                "inquiry_order_status",
                "pfn_style",
                "alipay =",
                "easywallet",
                "notice_format",
                "create_path",
                "datas",
            ]
            .iter()
            .any(|k| l.starts_with(k))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let defaults: Config = toml::from_str(&bare).unwrap();
    assert_eq!(defaults.gateways, cfg.gateways);
}

#[test]
fn config_check_refuses_wrong_values_of_the_settings() {
    // A value outside the list is refused when the file is read, naming it.
    for (key, bad) in [
        (
            "response_sign = \"verify_if_present\"",
            "response_sign = \"maybe\"",
        ),
        ("pfn_style = \"code\"", "pfn_style = \"name\""),
        ("alipay = \"dedicated\"", "alipay = \"wechat\""),
        ("notice_format = \"form\"", "notice_format = \"xml\""),
        ("datas = \"json_text\"", "datas = \"csv\""),
    ] {
        let text = EXAMPLE.replace(key, bad);
        assert_ne!(text, EXAMPLE, "{key} is in the example");
        let err = toml::from_str::<Config>(&text).unwrap_err().to_string();
        let name = bad.split(' ').next().unwrap();
        assert!(
            err.contains(name) || err.contains("unknown variant"),
            "{err}"
        );
    }
    let mut cfg: Config = toml::from_str(EXAMPLE).unwrap();
    assert!(
        problem_keys(&cfg)
            .iter()
            .all(|k| !k.starts_with("gateways."))
    );
    let j = cfg.gateways.jkopay.as_mut().unwrap();
    j.inquiry_order_status = OrderStatusMap {
        paid: vec!["1".into()],
        not_paid: vec!["1".into()],
    };
    cfg.gateways.goodbuy.as_mut().unwrap().create_path = "api order?x=1".into();
    let keys = problem_keys(&cfg);
    assert!(
        keys.contains(&"gateways.jkopay.inquiry_order_status".to_string()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&"gateways.goodbuy.create_path".to_string()),
        "{keys:?}"
    );
}

/// `response_sign`: the simulator's BAD SIGNATURE answer (7005) is in doubt
/// while a present Sign must verify, and believed with `ignore`.
#[tokio::test]
async fn jkopay_response_sign_policy_decides_what_a_bad_sign_means() {
    let sim = JkoPaySim::start(SimOptions::default()).await.unwrap();
    let client = |policy| {
        let mut c = sim.config_section();
        c.response_sign = policy;
        JkoClient::from_config(&c).unwrap()
    };
    let req = |seq| wallet_pay(seq, 7005, Wallet::JkoPay, "22J111111111111111");
    let o = client(ResponseSignPolicy::VerifyIfPresent)
        .pay(&req(1))
        .await
        .unwrap();
    assert_eq!(o.kind(), OutcomeKind::Unknown, "{o:?}");
    let o = client(ResponseSignPolicy::Ignore)
        .pay(&req(2))
        .await
        .unwrap();
    assert_eq!(o.kind(), OutcomeKind::Success, "{o:?}");
}

/// `inquiry_order_status`: empty, StatusCode 000 is the payment; once a
/// shop lists JKoPay's values, an answer whose OrderStatus is not a paid
/// one is not taken for the payment.
#[tokio::test]
async fn jkopay_inquiry_order_status_map_changes_what_an_inquiry_means() {
    let sim = JkoPaySim::start(SimOptions::default()).await.unwrap();
    let plain = JkoClient::from_config(&sim.config_section()).unwrap();
    let req = wallet_pay(3, 120, Wallet::JkoPay, "22J111111111111111");
    assert_eq!(plain.pay(&req).await.unwrap().kind(), OutcomeKind::Success);
    assert_eq!(
        plain.query(&req).await.unwrap().kind(),
        OutcomeKind::Success
    );
    let mut c = sim.config_section();
    c.inquiry_order_status = OrderStatusMap {
        paid: vec!["PAID".into()],
        not_paid: vec!["CANCELLED".into()],
    };
    let mapped = JkoClient::from_config(&c).unwrap();
    // The simulator sends no OrderStatus: in neither list, so in doubt.
    let o = mapped.query(&req).await.unwrap();
    assert_eq!(o.kind(), OutcomeKind::Unknown, "{o:?}");
}

/// A change to the `[gateways.mypay]` section.
type Setting = dyn Fn(&mut till::config::MyPay);

/// What MyPay's simulator booked for a payment: its `pfn` as received.
async fn pfn_received(client: &MyPayClient, req: &PayRequest) -> String {
    let found = client
        .query_direct(&req.trade_no, req.amount)
        .await
        .unwrap()
        .unwrap();
    found.rows[0].pfn.clone()
}

#[tokio::test]
async fn mypay_pfn_style_and_wallet_routes_change_the_pfn_sent() {
    let sim = MyPaySim::start(SimOptions::default()).await.unwrap();
    let client = |f: &Setting| {
        let mut c = sim.config_section();
        f(&mut c);
        MyPayClient::from_config(&c)
            .unwrap()
            .with_timeout(Duration::from_secs(2))
            .unwrap()
    };
    let pi = "PI7E3A60BD8C8F23F7";
    let alipay = "2812345678901234";
    let easy = "99812345678901234567";
    let cases: [(&Setting, Wallet, &str, &str); 6] = [
        (&|_| {}, Wallet::PiWallet, pi, "PIOFF"),
        (
            &|c| c.pfn_style = PfnStyle::Number,
            Wallet::PiWallet,
            pi,
            "28",
        ),
        (&|_| {}, Wallet::Alipay, alipay, "ALIPAYOFF"),
        (
            &|c| c.alipay = OfflineRoute::AutoDetect,
            Wallet::Alipay,
            alipay,
            "OFFLINE",
        ),
        (&|_| {}, Wallet::EasyWallet, easy, "EASYWALLETOFF"),
        (
            &|c| c.easywallet = OfflineRoute::AutoDetect,
            Wallet::EasyWallet,
            easy,
            "OFFLINE",
        ),
    ];
    for (n, (set, wallet, code, pfn)) in cases.into_iter().enumerate() {
        let c = client(set);
        let req = wallet_pay(10 + n as u32, 150, wallet, code);
        let o = c.pay(&req).await.unwrap();
        assert_eq!(o.kind(), OutcomeKind::Success, "{pfn}: {o:?}");
        assert_eq!(pfn_received(&c, &req).await, pfn);
    }
}

/// `notice_format`: a JSON notice is refused (415) by the default `form`
/// and read, asked about and answered 8888 with `json` or `either`.
#[tokio::test]
async fn mypay_notice_format_decides_which_notices_are_read() {
    use till::terminal::callbacks::{CallbackState, serve};
    let sims = till::sim::Simulators::start_all().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for (format, json_ok, form_ok) in [
        (NoticeFormat::Form, false, true),
        (NoticeFormat::Json, true, false),
        (NoticeFormat::Either, true, true),
    ] {
        let mut cfg = sims.demo_config();
        cfg.gateways.mypay.as_mut().unwrap().notice_format = format;
        let till = till::terminal::Terminal::with_journal(
            &cfg,
            till::journal::Journal::open_in_memory().unwrap(),
            true,
        )
        .unwrap();
        let payments = till::terminal::Payments::from_config(&cfg).unwrap();
        let state = CallbackState::new(Arc::new(tokio::sync::Mutex::new(till)), payments, &cfg);
        let (addr, _task) = serve("127.0.0.1:0".parse().unwrap(), state).await.unwrap();
        let url = format!("http://{addr}/mypay/notify");
        // A notice about an order this till never made: read, then 404.
        let order = trade(40).to_string();
        let json = http
            .post(&url)
            .json(&serde_json::json!({"order_id": order, "prc": "250", "cost": 100}))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        let form = http
            .post(&url)
            .form(&[
                ("order_id", order.as_str()),
                ("prc", "250"),
                ("cost", "100"),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(json == 415, !json_ok, "{format:?} json: {json}");
        assert_eq!(form == 415, !form_ok, "{format:?} form: {form}");
        // Read notices get past the format check to the order lookup.
        for (ok, status) in [(json_ok, json), (form_ok, form)] {
            if ok {
                assert_eq!(status, 404, "{format:?}");
            }
        }
    }
}

/// `create_path`: the create-order form goes where the setting says (the
/// simulator serves `/api/order` only).
#[tokio::test]
async fn goodbuy_create_path_is_where_the_order_is_posted() {
    let sim = GoodbuySim::start(SimOptions::default()).await.unwrap();
    let pay = |seq| PayRequest {
        trade_no: trade(seq),
        amount: Ntd::new(300),
        with: PayWith::PayLater {
            pay_type: till::gateway::goodbuy::PayType::Store {
                payer: "王小明".into(),
            },
            phone: "0912345678".into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    };
    let default = GoodbuyClient::from_config(&sim.config_section()).unwrap();
    let o = default.pay(&pay(50)).await.unwrap();
    assert_eq!(o.kind(), OutcomeKind::Pending, "{o:?}");
    let mut c = sim.config_section();
    c.create_path = "/api/create_order".into();
    let other = GoodbuyClient::from_config(&c).unwrap();
    assert!(other.config().create_url.ends_with("/api/create_order"));
    let o = other.pay(&pay(51)).await.unwrap();
    // Not the simulator's path: no order made there.
    assert_ne!(o.kind(), OutcomeKind::Pending, "{o:?}");
    assert_eq!(
        sim.ledger.requests(),
        1,
        "the second order never reached /api/order"
    );
}

/// `datas`: the simulator sends `datas` as JSON text; read as such by
/// default, and refused (in doubt, never paid) when a JSON object is expected.
#[tokio::test]
async fn goodbuy_datas_shape_decides_how_order_status_is_read() {
    let sim = GoodbuySim::start(SimOptions::default()).await.unwrap();
    let default = GoodbuyClient::from_config(&sim.config_section()).unwrap();
    let req = PayRequest {
        trade_no: trade(60),
        amount: Ntd::new(400),
        with: PayWith::PayLater {
            pay_type: till::gateway::goodbuy::PayType::Store {
                payer: "王小明".into(),
            },
            phone: "0912345678".into(),
        },
        items: Vec::new(),
        at: taipei::now(),
        buyer: Default::default(),
    };
    assert_eq!(
        default.pay(&req).await.unwrap().kind(),
        OutcomeKind::Pending
    );
    // Read (paid or not, as the simulator has it): not in doubt.
    let o = default.query(&req).await.unwrap();
    assert_ne!(o.kind(), OutcomeKind::Unknown, "{o:?}");
    let mut c = sim.config_section();
    c.datas = DatasShape::JsonObject;
    let object = GoodbuyClient::from_config(&c).unwrap();
    let o = object.query(&req).await.unwrap();
    assert!(
        matches!(&o, Outcome::Unknown { why } if why.contains("datas")),
        "{o:?}"
    );
}
