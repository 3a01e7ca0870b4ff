use super::*;
use crate::gateway::OutcomeKind;
use chrono::NaiveDate;

const AGENT_KEY: &str = "goodbuy-test-agent-key-0001";

fn cfg() -> GoodbuyConfig {
    GoodbuyConfig {
        create_url: "https://goodbuy88.example/create".into(),
        api_base: "https://goodbuy88.com/".into(),
        agent_id: "agent01".into(),
        agent_key: Secret::new(AGENT_KEY),
        return_url: "https://till.example/goodbuy/callback".into(),
        datas: DatasShape::default(),
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> TaipeiTime {
    crate::taipei::from_wall_clock(
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap(),
    )
}

fn trade_no() -> TradeNo {
    "T0126112200042P01".parse().unwrap()
}

fn credit() -> PayType {
    PayType::Credit {
        card_owner: "王小明".into(),
        card_last4: "1234".into(),
    }
}

#[test]
fn create_order_forms_per_pay_type() {
    let c = cfg();
    let t = trade_no();
    let o = CreateOrder::new(&c, &t, Ntd::new(1500), credit(), "0912345678").unwrap();
    let f = o.form_fields();
    let get = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("pay_type"), Some("credit"));
    assert_eq!(get("payment_amount"), Some("1500"));
    assert_eq!(get("mch_order_id"), Some("T0126112200042P01"));
    assert_eq!(get("cardnum"), Some("1234"));
    assert_eq!(get("accnum"), None);

    let atm = PayType::Atm {
        account_owner: "王小明".into(),
        account_last5: vec!["11111".into(), "22222".into()],
    };
    let o = CreateOrder::new(&c, &t, Ntd::new(1500), atm, "0912345678").unwrap();
    let f = o.form_fields();
    assert!(f.contains(&("accnum", "11111,22222".to_string())));
    assert!(f.contains(&("pay_type", "atm".to_string())));

    let store = PayType::Store {
        payer: "王小明".into(),
    };
    let o = CreateOrder::new(&c, &t, Ntd::new(1500), store, "0912345678").unwrap();
    assert!(o.form_fields().contains(&("payer", "王小明".to_string())));
    // The agent key never goes into the create form.
    assert!(!format!("{:?}", o.form_fields()).contains(AGENT_KEY));
}

#[test]
fn create_order_validation() {
    let c = cfg();
    let t = trade_no();
    let bad_card = PayType::Credit {
        card_owner: "王".into(),
        card_last4: "12a4".into(),
    };
    assert!(matches!(
        CreateOrder::new(&c, &t, Ntd::new(100), bad_card, "09").unwrap_err(),
        FieldError::Format {
            field: "cardnum",
            ..
        }
    ));
    let bad_atm = PayType::Atm {
        account_owner: "王".into(),
        account_last5: vec!["1111".into()],
    };
    assert!(matches!(
        CreateOrder::new(&c, &t, Ntd::new(100), bad_atm, "09").unwrap_err(),
        FieldError::Format {
            field: "accnum",
            ..
        }
    ));
    let no_atm = PayType::Atm {
        account_owner: "王".into(),
        account_last5: vec![],
    };
    assert!(matches!(
        CreateOrder::new(&c, &t, Ntd::new(100), no_atm, "09").unwrap_err(),
        FieldError::Empty { field: "accnum" }
    ));
    assert!(matches!(
        CreateOrder::new(&c, &t, Ntd::ZERO, credit(), "09").unwrap_err(),
        FieldError::Amount { .. }
    ));
    assert!(matches!(
        CreateOrder::new(&c, &t, Ntd::new(100), credit(), "").unwrap_err(),
        FieldError::Empty { field: "phone" }
    ));
    let mut o = CreateOrder::new(&c, &t, Ntd::new(100), credit(), "09").unwrap();
    o.mch_order_id = "x".repeat(33);
    assert!(matches!(
        o.validate(),
        Err(FieldError::TooLong {
            field: "mch_order_id",
            ..
        })
    ));
}

fn callback(code: &str, order: &str, chk: &str, amount: &str) -> Callback {
    Callback::from_form([
        ("code", code),
        ("date", "2026-11-22 10:00:00"),
        ("mch_order_id", order),
        ("status", "success"),
        ("chk_value", chk),
        ("payer", "王小明"),
        ("pay_amount", amount),
        ("credit_last4", "0123"),
    ])
    .unwrap()
}

#[test]
fn callback_check_value() {
    let key = cfg().agent_key;
    // md5("T0126112200042P01" + key), computed independently.
    let chk = chk_value("T0126112200042P01", &key);
    assert_eq!(chk.len(), 32);
    assert_eq!(
        chk,
        hex::encode(Md5::digest(format!("T0126112200042P01{AGENT_KEY}")))
    );
    let cb = callback("200", "T0126112200042P01", &chk, "1500");
    assert_eq!(cb.verify(&key), Ok(()));
    // Upper case from the aggregator is the same value.
    let cb = callback("200", "T0126112200042P01", &chk.to_uppercase(), "1500");
    assert_eq!(cb.verify(&key), Ok(()));
    // Another order's check value, or another key, fails.
    let cb = callback("200", "T0126112200042P02", &chk, "1500");
    assert_eq!(cb.verify(&key), Err(CallbackError::BadCheckValue));
    let cb = callback("200", "T0126112200042P01", &chk, "1500");
    assert_eq!(
        cb.verify(&Secret::new("other")),
        Err(CallbackError::BadCheckValue)
    );
    assert_eq!(cb.credit_last4, "0123");
    assert_eq!(cb.ack(), Some("T0126112200042P01"));
}

#[test]
fn callback_outcomes() {
    let chk = chk_value("T0126112200042P01", &cfg().agent_key);
    let Outcome::Approved(a) =
        callback("200", "T0126112200042P01", &chk, "1500").outcome(Ntd::new(1500))
    else {
        panic!()
    };
    assert_eq!(a.gateway, GatewayId::Goodbuy);
    assert_eq!(a.paid_at, Some(at(2026, 11, 22, 10, 0, 0)));
    assert!(a.review.is_none());
    // Paid short: never approved, left for a person.
    let o = callback("200", "T0126112200042P01", &chk, "1400").outcome(Ntd::new(1500));
    assert_eq!(o.kind(), OutcomeKind::Unknown);
    // Paid more: the money is there, flagged for review.
    let o = callback("200", "T0126112200042P01", &chk, "1600").outcome(Ntd::new(1500));
    assert_eq!(o.action(), CashierAction::ReviewPayment);
    let o = callback("534", "T0126112200042P01", &chk, "1500").outcome(Ntd::new(1500));
    assert_eq!(o.kind(), OutcomeKind::Declined);
    assert_eq!(callback("534", "T1", &chk, "1").ack(), None);
    assert!(matches!(
        Callback::from_form([("pay_amount", "12.5")]),
        Err(CallbackError::Malformed(_))
    ));
}

#[test]
fn keyed_requests_carry_the_key_only_in_the_form() {
    let c = cfg();
    let q = KeyedRequest::order_status(&c, "T0126112200042P01", Ntd::new(1500));
    assert_eq!(c.url(q.call), "https://goodbuy88.com/api/order_status");
    let f = q.form_fields();
    assert!(f.contains(&("agent_key", AGENT_KEY.to_string())));
    assert!(f.contains(&("payment_amount", "1500".to_string())));
    assert!(!format!("{q:?} {c:?}").contains(AGENT_KEY));
    let r1 = KeyedRequest::order_refund(&c, "T1");
    let r2 = KeyedRequest::order_refunded(&c, "T1");
    assert_eq!(c.url(r1.call), "https://goodbuy88.com/api/order_refund");
    assert_eq!(c.url(r2.call), "https://goodbuy88.com/api/order_refunded");
    assert!(!r1.form_fields().iter().any(|(k, _)| *k == "payment_amount"));
}

#[test]
fn api_answers_and_refund_confirmation() {
    let a: ApiAnswer = serde_json::from_str(r#"{"code":521,"status":"訂單退訂狀態錯誤"}"#).unwrap();
    let d = a.result().unwrap_err();
    assert_eq!(d.code, "521");
    let ok: ApiAnswer =
        serde_json::from_str(r#"{"code":"200","status":"ok","datas":"{}"}"#).unwrap();
    assert_eq!(ok.result(), Ok(()));
    assert_eq!(read_refund_confirmation("E0\n"), Ok(()));
    let e = read_refund_confirmation("退款申請失敗").unwrap_err();
    assert!(e.reason.contains("退款申請失敗"));
    let e = read_refund_confirmation(r#"{"code":521,"status":"x"}"#).unwrap_err();
    assert_eq!(e.code, "521");
}

/// `goodbuy-form-gateway.txt` §3 says only "datas string": the shape is
/// the `[gateways.goodbuy] datas` setting.
#[test]
fn datas_is_read_in_the_configured_shape_only() {
    #[derive(Deserialize)]
    struct D {
        status: String,
    }
    let text: ApiAnswer =
        serde_json::from_str(r#"{"code":200,"status":"ok","datas":"{\"status\":\"paid\"}"}"#)
            .unwrap();
    let object: ApiAnswer =
        serde_json::from_str(r#"{"code":200,"status":"ok","datas":{"status":"paid"}}"#).unwrap();
    let read = |shape: DatasShape, a: &ApiAnswer| shape.read::<D>(&a.datas).map(|d| d.status);
    assert_eq!(read(DatasShape::JsonText, &text).unwrap(), "paid");
    assert!(read(DatasShape::JsonText, &object).is_err());
    assert_eq!(read(DatasShape::JsonObject, &object).unwrap(), "paid");
    assert!(read(DatasShape::JsonObject, &text).is_err());
}

#[test]
fn refund_deadline_is_0930_the_next_day_and_credit_only() {
    let ordered = at(2026, 11, 22, 23, 59, 0);
    assert_eq!(refund_deadline(ordered), at(2026, 11, 23, 9, 30, 0));
    // Month and year ends roll over.
    assert_eq!(
        refund_deadline(at(2026, 12, 31, 8, 0, 0)),
        at(2027, 1, 1, 9, 30, 0)
    );
    assert_eq!(
        check_refund_allowed(&credit(), ordered, at(2026, 11, 23, 9, 29, 59)),
        Ok(())
    );
    assert!(matches!(
        check_refund_allowed(&credit(), ordered, at(2026, 11, 23, 9, 30, 0)),
        Err(RefundRefused::TooLate { .. })
    ));
    let store = PayType::Store { payer: "x".into() };
    assert_eq!(
        check_refund_allowed(&store, ordered, at(2026, 11, 22, 23, 59, 30)),
        Err(RefundRefused::NotCredit)
    );
    // A UTC-evening instant is judged on the Taipei calendar.
    let utc_evening = at(2026, 11, 23, 0, 30, 0); // 16:30 UTC the 22nd
    assert_eq!(refund_deadline(utc_evening), at(2026, 11, 24, 9, 30, 0));
}

#[test]
fn status_table_is_complete() {
    let documented = "200 500 501 502 503 504 505 506 507 508 509 519 520 521 522 525 528 529 \
                      530 531 532 533 534 E0";
    for code in documented.split_whitespace() {
        let i = lookup(STATUS_CODES, code).unwrap_or_else(|| panic!("{code} missing"));
        assert!(!i.zh.is_empty() && !i.en.is_empty());
    }
    assert_eq!(STATUS_CODES.len(), documented.split_whitespace().count());
}
