//! `[einvoice] issuer = "mypay"`: the buyer's e-invoice choice travels with
//! the payment (`api/transaction`) and the PayPage order (`api/orders`) as
//! `mypay-link-agent-api.txt` lines 1025–1036 define it, and `till pay`
//! takes it with the flags of `till einvoice issue`.

use crate::pay_support;

use std::path::Path;
use std::process::Command;

use crate::cli_support::plain_locale;
use pay_support::{Rig, rig};
use till::config::{self, Config, InvoiceIssuer};
use till::einvoice::buyer::BuyerChoice;
use till::gateway::mypay::InvoiceInfo;
use till::gateway::mypay::client::MyPayClient;
use till::journal::AttemptState;
use till::money::Ntd;
use till::sale::TradeNo;
use till::sim::{SimHandles, Simulators};
use till::terminal::{Payments, Tender};

const PI_CODE: &str = "PI7E3A60BD8C8F23F7";

async fn mypay_issuing() -> Rig {
    let mut r = rig().await;
    r.cfg.einvoice.issuer = InvoiceIssuer::Mypay;
    r.payments = Payments::from_config(&r.cfg)
        .unwrap()
        .with_policy(pay_support::quick_policy());
    r
}

/// The invoice fields MyPay's simulator keeps for the order (its echo of
/// what the request carried).
async fn at_mypay(cfg: &Config, trade: &TradeNo, amount: i64) -> InvoiceInfo {
    let client = MyPayClient::from_config(cfg.gateways.mypay.as_ref().unwrap()).unwrap();
    let found = client
        .query_direct(trade, Ntd::new(amount))
        .await
        .unwrap()
        .unwrap();
    found.rows.into_iter().next().unwrap().invoice
}

#[tokio::test]
async fn each_choice_reaches_mypay_with_a_wallet_payment_and_decides_the_paper() {
    let mut r = mypay_issuing().await;
    let cases = [
        (BuyerChoice::Print, Some(3), "", ""),
        (
            BuyerChoice::Mobile("/ABC+123".parse().unwrap()),
            Some(1),
            "/ABC+123",
            "",
        ),
        (
            BuyerChoice::Citizen("AB12345678901234".parse().unwrap()),
            Some(1),
            "",
            "",
        ),
        (
            BuyerChoice::Donate("8585".parse().unwrap()),
            Some(2),
            "",
            "",
        ),
        (
            BuyerChoice::Company("04595252".parse().unwrap()),
            Some(3),
            "",
            "04595252",
        ),
    ];
    for (n, (choice, input_type, mobile, ban)) in cases.into_iter().enumerate() {
        let amount = 150 + n as i64;
        let sale = r.sale(amount);
        r.till.remember_buyer_choice(&sale, &choice).unwrap();
        let res = r
            .till
            .pay(
                &r.payments,
                &sale,
                Tender::Scan(PI_CODE.into()),
                Ntd::new(amount),
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
        let trade: TradeNo = res.trade_no.parse().unwrap();
        let got = at_mypay(&r.cfg, &trade, amount).await;
        assert_eq!(got.invoice_input_type, input_type, "{choice:?}");
        assert_eq!(got.invoice_mobile_code, mobile, "{choice:?}");
        assert_eq!(got.invoice_b2b_id, ban, "{choice:?}");
        assert_eq!(got.invoice_buyer_ban, ban, "{choice:?}");
        if let BuyerChoice::Citizen(c) = &choice {
            assert_eq!(got.invoice_cloud_type, "3");
            assert_eq!(got.invoice_natural_person, c.as_str());
        }
        if let BuyerChoice::Donate(l) = &choice {
            assert_eq!(got.invoice_love_code, l.as_str());
        }
        // What MyPay answered decides the paper.
        let inv = r.till.mypay_invoice(&sale).unwrap().unwrap();
        let paper = matches!(choice, BuyerChoice::Print | BuyerChoice::Company(_));
        assert_eq!(inv.prints_proof(), paper, "{choice:?}");
        assert_eq!(inv.buyer_ban.as_deref().unwrap_or(""), ban, "{choice:?}");
    }
}

#[tokio::test]
async fn a_paypage_order_carries_the_choice_and_refuses_a_ban_before_sending() {
    let mut r = mypay_issuing().await;
    let sale = r.sale(260);
    r.till
        .remember_buyer_choice(&sale, &BuyerChoice::Donate("8585".parse().unwrap()))
        .unwrap();
    let order = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(260), vec![])
        .await
        .unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(
        http.post(&order.url)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    let trade: TradeNo = order.trade_no.parse().unwrap();
    let res = r.till.poll_paypage(&r.payments, &trade).await.unwrap();
    assert_eq!(res.state, AttemptState::Approved, "{}", res.message);
    let got = at_mypay(&r.cfg, &trade, 260).await;
    assert_eq!(got.invoice_input_type, Some(2));
    assert_eq!(got.invoice_love_code, "8585");
    let inv = r.till.mypay_invoice(&sale).unwrap().unwrap();
    assert!(!inv.prints_proof(), "donated: no paper proof");

    // A company invoice cannot be made on a PayPage (line 3273 note 2):
    // refused before anything reaches MyPay.
    let sale = r.sale(270);
    r.till
        .remember_buyer_choice(&sale, &BuyerChoice::Company("04595252".parse().unwrap()))
        .unwrap();
    let before = r.sims.mypay.ledger.requests();
    let err = r
        .till
        .start_paypage(&r.payments, &sale, Ntd::new(270), vec![])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("BAN"), "{err}");
    assert_eq!(r.sims.mypay.ledger.requests(), before, "nothing was sent");
}

fn write_config(path: &Path, sims: &SimHandles, journal: &Path) -> Config {
    let mut cfg: Config = sims.demo_config();
    cfg.einvoice.issuer = InvoiceIssuer::Mypay;
    cfg.journal.path = Some(journal.to_path_buf());
    config::create_private(path, &toml::to_string(&cfg).unwrap()).unwrap();
    cfg
}

#[tokio::test]
async fn till_pay_takes_carrier_donate_and_ban_like_einvoice_issue() {
    let sims = Simulators::start_all().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("till.toml");
    let cfg = write_config(&file, &sims, &dir.path().join("journal.sqlite3"));
    let cases = [
        ("--carrier", "/ABC+123", "carrier", None),
        ("--donate", "8585", "donated", None),
        ("--ban", "04595252", "paper", Some("04595252")),
    ];
    for (n, (flag, value, delivery, buyer_ban)) in cases.into_iter().enumerate() {
        let amount = (300 + n).to_string();
        let out = tokio::task::spawn_blocking({
            let file = file.clone();
            move || {
                plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
                    .arg("--config")
                    .arg(&file)
                    .env_remove("TILL_CONFIG")
                    .args(["pay", "--amount", &amount, "--barcode", PI_CODE, "--json"])
                    .args([flag, value])
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["einvoice"]["delivery"], delivery, "{v}");
        assert_eq!(v["einvoice"]["buyer_ban"].as_str(), buyer_ban, "{v}");
        assert_eq!(v["einvoice"]["prints_proof"], delivery == "paper");
        let trade: TradeNo = v["trade_no"].as_str().unwrap().parse().unwrap();
        let got = at_mypay(&cfg, &trade, 300 + n as i64).await;
        let sent = [
            got.invoice_mobile_code.as_str(),
            got.invoice_love_code.as_str(),
            got.invoice_b2b_id.as_str(),
        ];
        assert_eq!(sent[n], value, "{flag} reached MyPay");
    }
    // A malformed value is a usage error, nothing charged.
    let before = sims.mypay.ledger.all().len();
    let out = tokio::task::spawn_blocking(move || {
        plain_locale(&mut Command::new(env!("CARGO_BIN_EXE_till")))
            .arg("--config")
            .arg(&file)
            .env_remove("TILL_CONFIG")
            .args([
                "pay",
                "--amount",
                "99",
                "--barcode",
                PI_CODE,
                "--ban",
                "04595253",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(sims.mypay.ledger.all().len(), before);
}
