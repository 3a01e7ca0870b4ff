//! The MyPay simulator reads requests by MyPay's documents, not by the
//! client's types: requests the till would never send, sealed and posted
//! over real HTTP, are refused with MyPay's codes and move no money.

use serde_json::{Value, json};
use till::gateway::mypay::encrypt;
use till::money::Ntd;
use till::secret::Secret;
use till::sim::SimOptions;
use till::sim::mypay::{AGENT_UID, KEY, MyPaySim, STORE_UID};

/// Posts `data` for `cmd` to `/api/agent` as a reseller would, sealed with
/// `key` (NOTES §2 envelope).
async fn call(sim: &MyPaySim, key: &str, cmd: &str, data: &Value) -> Value {
    let key = Secret::new(key);
    let seal = |v: &Value| encrypt(v.to_string().as_bytes(), &key, rand::random()).unwrap();
    let form = [
        ("agent_uid", AGENT_UID.to_string()),
        ("service", seal(&json!({"service_name": "api", "cmd": cmd}))),
        ("encry_data", seal(data)),
    ];
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .post(format!("{}api/agent", sim.server.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `api/transaction` as the 2020 manual §7 shows it: PIOFF, one line.
fn payment(order_id: &str) -> Value {
    json!({
        "store_uid": STORE_UID, "user_id": "cashier01", "cost": 100,
        "order_id": order_id, "ip": "127.0.0.1", "pfn": "PIOFF",
        "items": [{"id": "1", "name": "拿鐵", "cost": 50, "amount": 2, "total": 100}],
        "data_json": "{\"piCode\":\"PI7E3A60BD8C8F23F7\"}",
    })
}

#[tokio::test]
async fn requests_the_till_would_never_send_are_refused_and_move_no_money() {
    let sim = MyPaySim::start(SimOptions::default()).await.unwrap();
    let refusals: Vec<(&str, Value)> = vec![
        // data_json must be a JSON text, not an object.
        ("data_json", json!({"piCode": "PI7E3A60BD8C8F23F7"})),
        // The code must be under the pfn's own key.
        (
            "data_json",
            json!("{\"linepayCode\":\"314818461832250045\"}"),
        ),
        ("pfn", json!("CREDIT")),
        // The items must make the cost, each line cost × amount.
        (
            "items",
            json!([{"id": "1", "name": "拿鐵", "cost": 50, "amount": 1, "total": 50}]),
        ),
        (
            "items",
            json!([{"id": "1", "name": "拿鐵", "cost": 40, "amount": 2, "total": 100}]),
        ),
        ("cost", json!(-100)),
        ("order_id", json!("T".repeat(51))),
        ("store_uid", json!("999999999999")),
    ];
    for (i, (field, value)) in refusals.into_iter().enumerate() {
        let order_id = format!("T01250101000{i:02}");
        let mut data = payment(&order_id);
        data[field] = value.clone();
        let answer = call(&sim, KEY, "api/transaction", &data).await;
        assert_eq!(answer["code"], "100", "{field} = {value}: {answer}");
        assert!(sim.ledger.charges_for(&order_id).is_empty());
    }
    // Sealed with another key: MyPay cannot open it.
    let answer = call(
        &sim,
        "Xd668CSjnXQLD26Hia8vapkOgGXAv68s",
        "api/transaction",
        &payment("T0125010100098"),
    )
    .await;
    assert_eq!(answer["code"], "100", "{answer}");
    assert_eq!(sim.ledger.total_charged(), Ntd::ZERO);

    // The document's own request is taken: the refusals above were for
    // what they broke, not for the shape of the test's requests.
    let paid = call(&sim, KEY, "api/transaction", &payment("T0125010100099")).await;
    assert_eq!(paid["code"], "250", "{paid}");
    assert_eq!(sim.ledger.total_charged(), Ntd::new(100));

    // Refunds: more than 0, invoice_state 4 or 6, items adding up to cost.
    let refund = |cost: Value, extra: (&str, Value)| {
        let mut r =
            json!({"store_uid": STORE_UID, "uid": paid["uid"], "key": paid["key"], "cost": cost});
        r[extra.0] = extra.1;
        r
    };
    for data in [
        refund(json!(0), ("invoice_state", json!(4))),
        refund(json!(10), ("invoice_state", json!(5))),
        refund(
            json!(10),
            (
                "items",
                json!([{"id": "1", "name": "拿鐵", "cost": 50, "amount": 1, "total": 50}]),
            ),
        ),
        refund(json!(10), ("key", json!(""))),
    ] {
        let answer = call(&sim, KEY, "api/refund", &data).await;
        assert_eq!(answer["code"], "B500", "{data}: {answer}");
    }
    let charge = &sim.ledger.charges_for("T0125010100099")[0];
    assert_eq!(charge.refunded, Ntd::ZERO, "nothing given back");
    let ok = call(
        &sim,
        KEY,
        "api/refund",
        &refund(json!(10), ("invoice_state", json!(4))),
    )
    .await;
    assert_eq!(ok["code"], "B200", "{ok}");
    assert_eq!(
        sim.ledger.charges_for("T0125010100099")[0].refunded,
        Ntd::new(10)
    );
}
