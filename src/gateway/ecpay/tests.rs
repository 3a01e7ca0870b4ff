use super::*;
use chrono::{NaiveDate, TimeZone};

const STAGE_KEY: &str = "pwFHCqoQZGmho4w6";
const STAGE_IV: &str = "EkRm7iFT261dpevs";

fn cfg() -> EcpayConfig {
    EcpayConfig {
        url: STAGE_URL.into(),
        merchant_id: "3002607".into(),
        platform_id: String::new(),
        hash_key: Secret::new(STAGE_KEY),
        hash_iv: Secret::new(STAGE_IV),
        return_url: "https://till.example/ecpay/return".into(),
    }
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> TaipeiTime {
    taipei::from_wall_clock(
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, s)
            .unwrap(),
    )
}

fn trade_no() -> TradeNo {
    "T0126112200042P01".parse().unwrap()
}

fn input<'a>(t: &'a TradeNo, amount: i64, items: &'a [&'a str]) -> CardPaymentInput<'a> {
    CardPaymentInput {
        trade_no: t,
        bind_card_id: "abc123456ac",
        member_id: "test123456",
        amount: Ntd::new(amount),
        trade_desc: "交易描述",
        item_names: items,
        trade_date: at(2022, 5, 23, 14, 10, 0),
    }
}

#[test]
fn request_matches_the_doc_sample_shape() {
    let t = trade_no();
    let r = CreatePaymentWithCardId::new(&cfg(), &input(&t, 500, &["泡麵", "清潔用品"])).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["MerchantID"], "3002607");
    assert_eq!(v["BindCardID"], "abc123456ac");
    assert_eq!(v["OrderInfo"]["MerchantTradeDate"], "2022/05/23 14:10:00");
    assert_eq!(v["OrderInfo"]["TotalAmount"], serde_json::json!(500));
    assert_eq!(v["OrderInfo"]["ItemName"], "泡麵#清潔用品");
    assert_eq!(
        v["OrderInfo"]["ReturnURL"],
        "https://till.example/ecpay/return"
    );
    assert_eq!(
        v["ConsumerInfo"],
        serde_json::json!({"MerchantMemberID": "test123456"})
    );
}

#[test]
fn envelope_round_trip_and_timestamp() {
    let t = trade_no();
    let r = CreatePaymentWithCardId::new(&cfg(), &input(&t, 500, &["泡麵"])).unwrap();
    let now = at(2022, 5, 23, 14, 10, 0);
    let env = RequestEnvelope::seal(&cfg(), &r, now).unwrap();
    assert_eq!(env.merchant_id, "3002607");
    // 2022-05-23 14:10:00 +08:00 = 06:10:00 UTC.
    assert_eq!(env.rq_header.timestamp, 1_653_286_200);
    let wire = serde_json::to_value(&env).unwrap();
    assert!(wire.get("RqHeader").unwrap().get("Timestamp").is_some());
    let back: CreatePaymentWithCardId = env.open(&cfg()).unwrap();
    assert_eq!(back, r);
    // A changed byte of Data never decrypts to the same request.
    let mut bytes =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &env.data).unwrap();
    bytes[0] ^= 1;
    let tampered = RequestEnvelope {
        data: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes),
        ..env.clone()
    };
    assert_ne!(
        tampered.open::<CreatePaymentWithCardId>(&cfg()).ok(),
        Some(r)
    );
}

#[test]
fn platform_id_becomes_the_outer_merchant_id() {
    let mut c = cfg();
    c.platform_id = "3000000".into();
    let t = trade_no();
    let r = CreatePaymentWithCardId::new(&c, &input(&t, 5, &["x"])).unwrap();
    let env = RequestEnvelope::seal(&c, &r, at(2022, 1, 1, 0, 0, 0)).unwrap();
    assert_eq!(env.merchant_id, "3000000");
}

#[test]
fn validation_errors() {
    let t = trade_no();
    let c = cfg();
    let err = |i: CardPaymentInput<'_>| CreatePaymentWithCardId::new(&c, &i).unwrap_err();
    assert!(matches!(
        err(input(&t, 200_001, &["x"])),
        FieldError::Amount {
            field: "TotalAmount",
            ..
        }
    ));
    assert!(matches!(
        err(input(&t, 0, &["x"])),
        FieldError::Amount { .. }
    ));
    assert!(CreatePaymentWithCardId::new(&c, &input(&t, 200_000, &["x"])).is_ok());
    let mut r = CreatePaymentWithCardId::new(&c, &input(&t, 5, &["x"])).unwrap();
    r.order_info.item_name = "麵".repeat(401);
    assert!(matches!(
        r.validate(),
        Err(FieldError::TooLong {
            field: "ItemName",
            ..
        })
    ));
    let mut r = CreatePaymentWithCardId::new(&c, &input(&t, 5, &["x"])).unwrap();
    r.order_info.merchant_trade_no = "AB-12".into();
    assert!(matches!(
        r.validate(),
        Err(FieldError::Format {
            field: "MerchantTradeNo",
            ..
        })
    ));
    r.order_info.merchant_trade_no = "A".repeat(21);
    assert!(matches!(
        r.validate(),
        Err(FieldError::TooLong {
            field: "MerchantTradeNo",
            ..
        })
    ));
    let mut r = CreatePaymentWithCardId::new(&c, &input(&t, 5, &["x"])).unwrap();
    r.consumer_info.email = "not-an-email".into();
    assert!(matches!(
        r.validate(),
        Err(FieldError::Format { field: "Email", .. })
    ));
    r.consumer_info.email = "a.b+c@mail.example.tw".into();
    assert_eq!(r.validate(), Ok(()));
    r.order_info.merchant_trade_date = "2022-05-23 14:10:00".into();
    assert!(matches!(
        r.validate(),
        Err(FieldError::Format {
            field: "MerchantTradeDate",
            ..
        })
    ));
}

/// The vendor's response sample, with its two JSON slips fixed (a missing
/// comma after `"Amount": 2` and trailing commas); the `"IssuingBankCode "`
/// key with its stray space is kept as printed.
const SAMPLE_RESULT: &str = r#"{
"RtnCode": 1,
"RtnMsg": "Success",
"PlatformID": "1234567890",
"MerchantID": "1234567890",
"CardInfo":
{
"Card6No": "123456",
"Card4No": "1234",
"IssuingBank": "中國信託商業銀行",
"IssuingBankCode ": "822",
"AuthCode": "654123",
"Gwsr": 125,
"ProcessDate": "2022/09/18 15:39:10",
"Amount": 2,
"Eci": 1
},
"OrderInfo":
{
"MerchantTradeNo": "test123466",
"TradeNo": "123456789",
"PaymentDate": "2022/09/18 15:39:10",
"TradeAmt": 2,
"PaymentType": "Credit",
"TradeDate": "2022/09/18 15:39:10",
"ChargeFee": 0,
"TradeStatus": "1"
}
}"#;

#[test]
fn vendor_sample_result_reads_as_approved() {
    let r: PaymentResult = serde_json::from_str(SAMPLE_RESULT).unwrap();
    let card = r.card_info.as_ref().unwrap();
    assert_eq!(card.issuing_bank_code, "822");
    assert_eq!(card.gwsr, Some(125));
    let Outcome::Approved(a) = r.outcome(Ntd::new(2)) else {
        panic!()
    };
    assert_eq!(a.gateway, GatewayId::Ecpay);
    assert_eq!(a.gateway_trade_no, "123456789");
    assert_eq!(a.paid_at, Some(at(2022, 9, 18, 15, 39, 10)));
    assert!(a.review.is_none());
    // TradeAmt 2 for an order of 3: not paid in full, in doubt.
    assert_eq!(r.outcome(Ntd::new(3)).kind(), OutcomeKind::Unknown);
}

/// `ecpay-create-payment-with-card-id.txt` lines 60–63: longer names are
/// cut by ECPay, so the till cuts them itself and still takes the payment.
#[test]
fn a_long_item_name_is_cut_with_an_ellipsis_not_refused() {
    let t = trade_no();
    let c = cfg();
    let long = "麵".repeat(190);
    let items = [long.as_str(), "清潔用品", "泡麵🍜加蛋"];
    let r = CreatePaymentWithCardId::new(&c, &input(&t, 5, &items)).unwrap();
    let name = &r.order_info.item_name;
    assert_eq!(name.chars().count(), 200);
    assert!(name.ends_with('…'), "{name}");
    assert!(name.starts_with(&format!("{long}#清潔用品#")), "{name}");
    // Cut on a character boundary: every char is a whole one of the input.
    let whole = items.join("#");
    assert!(whole.starts_with(name.trim_end_matches('…')));
    // Exactly 200 characters pass untouched.
    let exact = "麵".repeat(200);
    let r = CreatePaymentWithCardId::new(&c, &input(&t, 5, &[exact.as_str()])).unwrap();
    assert_eq!(r.order_info.item_name, exact);
    // On the wire (encrypted Data) the cut name is what ECPay gets.
    let v = serde_json::to_value(CreatePaymentWithCardId::new(&c, &input(&t, 5, &items)).unwrap())
        .unwrap();
    assert_eq!(
        v["OrderInfo"]["ItemName"].as_str().unwrap().chars().count(),
        200
    );
}

/// Lines 111–113: only `TransCode` says whether ECPay took the request in;
/// a 200-OK body without it is no refusal, the card may be charged.
#[test]
fn an_answer_without_trans_code_is_in_doubt_not_declined() {
    let c = cfg();
    let now = at(2022, 9, 18, 15, 39, 10);
    let paid: PaymentResult = serde_json::from_str(SAMPLE_RESULT).unwrap();
    let mut env = ResponseEnvelope::seal(&c, 1, "Success", &paid, now).unwrap();
    env.trans_code = None;
    assert_eq!(
        env.payment_outcome(&c, Ntd::new(2)).kind(),
        OutcomeKind::Unknown
    );
    let body = r#"{"MerchantID":"3002607","TransMsg":"","Data":""}"#;
    let env: ResponseEnvelope = serde_json::from_str(body).unwrap();
    assert_eq!(
        env.payment_outcome(&c, Ntd::new(2)).kind(),
        OutcomeKind::Unknown
    );
}

#[test]
fn trans_code_1_is_not_success_rtn_code_is() {
    let c = cfg();
    let now = at(2022, 9, 18, 15, 39, 10);
    let declined: serde_json::Value =
        serde_json::json!({"RtnCode": 10100252, "RtnMsg": "餘額不足"});
    let env = ResponseEnvelope::seal(&c, 1, "Success", &declined, now).unwrap();
    let o = env.payment_outcome(&c, Ntd::new(2));
    assert_eq!(o.kind(), OutcomeKind::Declined);
    assert_eq!(o.action(), CashierAction::AskForAnotherPayment);

    let paid: PaymentResult = serde_json::from_str(SAMPLE_RESULT).unwrap();
    let env = ResponseEnvelope::seal(&c, 1, "Success", &paid, now).unwrap();
    assert_eq!(
        env.payment_outcome(&c, Ntd::new(2)).kind(),
        OutcomeKind::Success
    );

    // Envelope refused: nothing charged, check the settings.
    let env = ResponseEnvelope::seal(&c, 0, "Fail", &paid, now).unwrap();
    let o = env.payment_outcome(&c, Ntd::new(2));
    assert_eq!(o.kind(), OutcomeKind::Declined);
    assert_eq!(o.action(), CashierAction::CheckConfig);

    // Accepted but unreadable: money may have moved.
    let mut env = ResponseEnvelope::seal(&c, 1, "Success", &paid, now).unwrap();
    env.data = "garbage".into();
    assert_eq!(
        env.payment_outcome(&c, Ntd::new(2)).kind(),
        OutcomeKind::Unknown
    );

    // An unlisted failure code is still a failure (the doc: 其餘代碼均為失敗).
    let other = serde_json::json!({"RtnCode": 10200095, "RtnMsg": "x"});
    let env = ResponseEnvelope::seal(&c, 1, "Success", &other, now).unwrap();
    assert_eq!(
        env.payment_outcome(&c, Ntd::new(2)).kind(),
        OutcomeKind::Declined
    );
}

#[test]
fn response_envelope_sample_reads() {
    let e: ResponseEnvelope = serde_json::from_str(
        r#"{"MerchantID":"3002607","RpHeader":{"Timestamp":1234564848},"TransCode":1,"TransMsg":"Success","Data":"x"}"#,
    )
    .unwrap();
    assert_eq!(e.trans_code, Some(1));
    assert_eq!(
        e.rp_header,
        Some(Header {
            timestamp: 1_234_564_848
        })
    );
    // The notification YAML's RqHeader, without TransCode, reads too.
    let n: ResponseEnvelope =
        serde_json::from_str(r#"{"MerchantID":"3002607","RqHeader":{"Timestamp":1},"Data":"x"}"#)
            .unwrap();
    assert_eq!(n.trans_code, None);
}

#[test]
fn simulated_notification_is_never_money() {
    let mut body: serde_json::Value = serde_json::from_str(SAMPLE_RESULT).unwrap();
    body["SimulatePaid"] = serde_json::json!(1);
    let d: ReturnData = serde_json::from_value(body.clone()).unwrap();
    assert!(d.is_simulated());
    assert!(matches!(d.notice(), ReturnNotice::Simulated { .. }));
    assert_eq!(d.outcome(Ntd::new(2)), None);

    body["SimulatePaid"] = serde_json::json!(0);
    let d: ReturnData = serde_json::from_value(body.clone()).unwrap();
    assert!(matches!(d.notice(), ReturnNotice::Paid { .. }));
    assert_eq!(d.outcome(Ntd::new(2)).unwrap().kind(), OutcomeKind::Success);

    // Through the envelope, as ECPay posts it.
    let c = cfg();
    let mut sim = d.clone();
    sim.set_simulated(true);
    let env = ResponseEnvelope::seal(&c, 1, "Success", &sim, at(2022, 1, 1, 0, 0, 0)).unwrap();
    let opened: ReturnData = env.open(&c).unwrap();
    assert!(matches!(opened.notice(), ReturnNotice::Simulated { .. }));
}

#[test]
fn notification_results() {
    let mut d = ReturnData::default();
    d.set_result(10100255, "掛失卡");
    assert!(matches!(
        d.notice(),
        ReturnNotice::Failed {
            code: Some(10100255),
            ..
        }
    ));
    assert_eq!(
        d.outcome(Ntd::new(1)).unwrap().action(),
        CashierAction::AskForAnotherPayment
    );
    d.set_result(1, "Success");
    d.order_info = Some(OrderInfo {
        trade_status: "0".into(),
        ..OrderInfo::default()
    });
    assert!(matches!(d.notice(), ReturnNotice::NotPaid { .. }));
    assert_eq!(d.outcome(Ntd::new(1)).unwrap().kind(), OutcomeKind::Pending);
}

#[test]
fn clock_skew_over_ten_minutes_is_refused() {
    let local = at(2024, 1, 1, 12, 0, 0);
    let utc = |h, m, s| Utc.with_ymd_and_hms(2024, 1, 1, h, m, s).unwrap();
    assert_eq!(check_clock_skew(local, utc(4, 0, 0)), Ok(()));
    assert_eq!(check_clock_skew(local, utc(3, 50, 0)), Ok(()));
    assert_eq!(check_clock_skew(local, utc(4, 10, 0)), Ok(()));
    let e = check_clock_skew(local, utc(3, 49, 59)).unwrap_err();
    assert_eq!(e.skew_secs, 601);
    assert!(e.to_string().contains("601"));
    assert_eq!(e.action(), CashierAction::CheckClock);
    assert_eq!(
        check_clock_skew(local, utc(4, 10, 1))
            .unwrap_err()
            .skew_secs,
        -601
    );
    let d = parse_http_date("Mon, 01 Jan 2024 04:00:00 GMT").unwrap();
    assert_eq!(d, utc(4, 0, 0));
    assert_eq!(parse_http_date("yesterday"), None);
}

#[test]
fn rtn_code_table_has_the_documented_codes() {
    for code in ["1", "10100252", "10100255"] {
        let i = lookup(RTN_CODES, code).unwrap();
        assert!(!i.zh.is_empty() && !i.en.is_empty());
    }
    assert_eq!(lookup(TRANS_CODES, "1").unwrap().kind, OutcomeKind::Success);
}

#[test]
fn no_debug_or_error_shows_the_hash_key_or_iv() {
    let c = cfg();
    let shown = format!("{c:?}");
    assert!(!shown.contains(STAGE_KEY) && !shown.contains(STAGE_IV));
    let e = c
        .decrypt::<PaymentResult>("AAAAAAAAAAAAAAAAAAAAAA==")
        .unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(STAGE_KEY) && !shown.contains(STAGE_IV));
}
