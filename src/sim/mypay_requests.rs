//! The requests the MyPay simulator takes, read from the opened envelope's
//! JSON as MyPay's documents define them, not with the client's request
//! types (`crate::gateway::mypay`): a field the client writes wrongly is
//! refused here as MyPay would refuse it, so the simulator can disagree
//! with the client.
//!
//! Sources (in `../shared/specs/`): NOTES.md §2; the 2020 manual
//! `mypay-manual-2.0.231.txt` §5 (交易退款: store_uid, uid, key, cost > 0,
//! invoice_state 4 / 6, items id/name/cost/amount/total) and §7
//! (`api/transaction` and its `data_json` per pfn, pages 50–51);
//! `mypay-link-agent-api.txt` (PayPage fields near line 975: order_id at
//! most 50 bytes, cost = the items' totals + shipping − vouchers; the pfn
//! tables near lines 3223 and 3504; the invoice value tables near line
//! 3255).
//!
//! MyPay's samples send numbers as JSON numbers (`"cost": 10`) while its
//! tables type some of them `string`, and answer `uid` as a number: a
//! numeric field is taken either way, as PHP would.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::money::Ntd;

/// The opened `encry_data`.
pub(super) type Fields = Map<String, Value>;

/// Why MyPay refuses a request (its `msg`; the code is the caller's).
pub(super) type Refused = String;

fn missing(name: &str) -> Refused {
    format!("資料錯誤:缺少 {name} / missing {name}")
}

fn malformed(name: &str) -> Refused {
    format!("資料錯誤:{name} 格式 / {name} is malformed")
}

/// A text field: a JSON string, or a number written as its digits. Absent
/// or null is `None`; an object, array or boolean is refused.
fn opt_text(f: &Fields, name: &str) -> Result<Option<String>, Refused> {
    match f.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(malformed(name)),
    }
}

/// A required text field of at most `max` bytes (0: no limit), not empty.
fn text(f: &Fields, name: &str, max: usize) -> Result<String, Refused> {
    let s = opt_text(f, name)?.ok_or_else(|| missing(name))?;
    if s.trim().is_empty() {
        return Err(missing(name));
    }
    if max > 0 && s.len() > max {
        return Err(format!(
            "資料錯誤:{name} 超過 {max} bytes / {name} is longer than {max} bytes"
        ));
    }
    Ok(s)
}

/// An integer field: a JSON integer or a string of digits (a leading `-`
/// allowed). Absent, null or `""` is `None`.
fn opt_int(f: &Fields, name: &str) -> Result<Option<i64>, Refused> {
    match f.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| malformed(name)),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let digits = s.strip_prefix('-').unwrap_or(s);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed(name));
            }
            s.parse().map(Some).map_err(|_| malformed(name))
        }
        Some(_) => Err(malformed(name)),
    }
}

/// An amount in whole NT$ that must be more than 0 (交易退款 cost: "金額必須
/// 大於 0").
fn positive_amount(f: &Fields, name: &str) -> Result<Ntd, Refused> {
    let n = opt_int(f, name)?.ok_or_else(|| missing(name))?;
    if n <= 0 {
        return Err(format!(
            "資料錯誤:{name} 須大於 0 / {name} must be more than 0"
        ));
    }
    Ok(Ntd::new(n))
}

/// A small code from a value table (`issue_invoice_state`, `invoice_state` …).
fn opt_code(f: &Fields, name: &str) -> Result<Option<u8>, Refused> {
    opt_int(f, name)?
        .map(|n| u8::try_from(n).map_err(|_| malformed(name)))
        .transpose()
}

/// The store the call is for: ours, or MyPay refuses it.
fn our_store(f: &Fields, store_uid: &str) -> Result<(), Refused> {
    if text(f, "store_uid", 16)? != store_uid {
        return Err("資料錯誤:商店代號 store_uid / not this store".into());
    }
    Ok(())
}

/// One line of 『商品項目』: id, name, cost (unit price), amount (quantity),
/// total (the line's amount). Kept in the simulator's books as written here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Item {
    pub id: String,
    pub name: String,
    pub cost: Ntd,
    pub amount: u32,
    pub total: Ntd,
}

impl Item {
    fn read(v: &Value) -> Result<Item, Refused> {
        let Value::Object(f) = v else {
            return Err(malformed("items"));
        };
        let cost = opt_int(f, "cost")?.ok_or_else(|| missing("items.cost"))?;
        let amount = opt_int(f, "amount")?.ok_or_else(|| missing("items.amount"))?;
        let total = opt_int(f, "total")?.ok_or_else(|| missing("items.total"))?;
        let amount = u32::try_from(amount)
            .ok()
            .filter(|a| *a > 0)
            .ok_or_else(|| malformed("items.amount"))?;
        if cost.checked_mul(i64::from(amount)) != Some(total) {
            return Err(
                "資料錯誤:商品小計須為單價×數量 / items.total must be cost × amount".into(),
            );
        }
        Ok(Item {
            id: text(f, "id", 0)?,
            name: text(f, "name", 0)?,
            cost: Ntd::new(cost),
            amount,
            total: Ntd::new(total),
        })
    }

    /// `items`: an array of lines; `None` when absent.
    fn read_all(f: &Fields) -> Result<Option<Vec<Item>>, Refused> {
        match f.get("items") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a.iter().map(Item::read).collect::<Result<_, _>>().map(Some),
            Some(_) => Err(malformed("items")),
        }
    }

    /// The items' totals added up.
    fn sum(items: &[Item]) -> Option<i64> {
        items
            .iter()
            .try_fold(0i64, |acc, i| acc.checked_add(i.total.dollars()))
    }
}

/// The e-invoice fields a payment request may carry (the PayPage table near
/// `mypay-link-agent-api.txt` line 1021; the 2020 manual §7.3 items 27–40),
/// kept with the order to issue its invoice and echo the buyer's choice.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Buyer {
    /// 0 none, 1 issue, 2 by the store's setting.
    pub issue_invoice_state: Option<u8>,
    pub invoice_ratetype: Option<u8>,
    /// 1 cloud, 2 donation, 3 paper.
    pub invoice_input_type: Option<u8>,
    pub invoice_cloud_type: String,
    pub invoice_tax_id: String,
    pub invoice_mobile_code: String,
    pub invoice_natural_person: String,
    pub invoice_love_code: String,
    pub invoice_b2b_title: String,
    pub invoice_b2b_id: String,
    pub invoice_b2b_address: String,
}

impl Buyer {
    fn read(f: &Fields) -> Result<Buyer, Refused> {
        let t = |name: &str| opt_text(f, name).map(Option::unwrap_or_default);
        Ok(Buyer {
            issue_invoice_state: opt_code(f, "issue_invoice_state")?,
            invoice_ratetype: opt_code(f, "invoice_ratetype")?,
            invoice_input_type: opt_code(f, "invoice_input_type")?,
            invoice_cloud_type: t("invoice_cloud_type")?,
            invoice_tax_id: t("invoice_tax_id")?,
            invoice_mobile_code: t("invoice_mobile_code")?,
            invoice_natural_person: t("invoice_natural_person")?,
            invoice_love_code: t("invoice_love_code")?,
            invoice_b2b_title: t("invoice_b2b_title")?,
            invoice_b2b_id: t("invoice_b2b_id")?,
            invoice_b2b_address: t("invoice_b2b_address")?,
        })
    }
}

/// The in-person pfns (消費者被掃) `api/transaction` takes, by code or by
/// number (附錄一 near `mypay-link-agent-api.txt` line 3504; OFFLINE 98 from
/// the 2020 manual §7), with the `data_json` key holding the customer's
/// code (manual pages 50–51). ALIPAYOFF and EASYWALLETOFF have no
/// documented key: `qrCode`, as OFFLINE \[guess, NOTES §2\]. 附錄一 spells
/// 32 `JKOOF`.
const IN_PERSON_PFNS: [(&str, &str, &str); 8] = [
    ("LINEPAYOFF", "16", "linepayCode"),
    ("WECHATOFF", "19", "wechatCode"),
    ("PIOFF", "28", "piCode"),
    ("JKOOFF", "32", "jkoCode"),
    ("JKOOF", "32", "jkoCode"),
    ("ALIPAYOFF", "33", "qrCode"),
    ("EASYWALLETOFF", "39", "qrCode"),
    ("OFFLINE", "98", "qrCode"),
];

/// `api/transaction`: a wallet code scanned at the counter.
#[derive(Debug, Clone)]
pub(super) struct Transaction {
    pub user_id: String,
    pub cost: Ntd,
    pub order_id: String,
    pub items: Vec<Item>,
    pub pfn: String,
    /// The customer's code, from `data_json`.
    pub code: String,
    pub buyer: Buyer,
}

impl Transaction {
    pub fn read(f: &Fields, store_uid: &str) -> Result<Transaction, Refused> {
        our_store(f, store_uid)?;
        let user_id = text(f, "user_id", 0)?;
        let cost = positive_amount(f, "cost")?;
        let order_id = text(f, "order_id", 50)?;
        text(f, "ip", 0)?;
        let items = Item::read_all(f)?.ok_or_else(|| missing("items"))?;
        if items.is_empty() {
            return Err(missing("items"));
        }
        // No shipping nor vouchers at the counter: the items make the cost.
        if Item::sum(&items) != Some(cost.dollars()) {
            return Err(
                "資料錯誤:支付總金額須為商品小計加總 / cost must be the items' total".into(),
            );
        }
        let pfn = text(f, "pfn", 0)?;
        let Some((_, _, key)) = IN_PERSON_PFNS
            .iter()
            .find(|(code, number, _)| pfn == *code || pfn == *number)
        else {
            return Err("資料錯誤:付款方式 pfn / not an in-person pfn".into());
        };
        let code = check_data_json(f, key)?;
        Ok(Transaction {
            user_id,
            cost,
            order_id,
            items,
            pfn,
            code,
            buyer: Buyer::read(f)?,
        })
    }
}

/// `data_json` is a JSON *text* (a string holding an object), with the
/// customer's code under `key`; JKOOFF also wants `posId` and a 14-digit
/// `posTradeTime` (YYYYMMDDHHIISS). Gives the customer's code.
fn check_data_json(f: &Fields, key: &str) -> Result<String, Refused> {
    let Some(Value::String(text)) = f.get("data_json") else {
        return Err(malformed("data_json"));
    };
    let Ok(Value::Object(data)) = serde_json::from_str::<Value>(text) else {
        return Err(malformed("data_json"));
    };
    let present = |k: &str| {
        data.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.trim().is_empty())
    };
    if !present(key) {
        return Err(missing(&format!("data_json.{key}")));
    }
    if key == "jkoCode" {
        if !present("posId") {
            return Err(missing("data_json.posId"));
        }
        let time_ok = data
            .get("posTradeTime")
            .and_then(Value::as_str)
            .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").ok())
            .is_some();
        if !time_ok {
            return Err(malformed("data_json.posTradeTime"));
        }
    }
    Ok(data[key].as_str().unwrap_or_default().trim().to_string())
}

/// `api/orders`: a PayPage.
#[derive(Debug, Clone)]
pub(super) struct Orders {
    pub user_id: String,
    pub cost: Ntd,
    pub order_id: String,
    pub items: Vec<Item>,
    pub pfn: String,
    pub buyer: Buyer,
}

impl Orders {
    pub fn read(f: &Fields, store_uid: &str) -> Result<Orders, Refused> {
        our_store(f, store_uid)?;
        let user_id = text(f, "user_id", 0)?;
        let cost = positive_amount(f, "cost")?;
        let order_id = text(f, "order_id", 50)?;
        text(f, "ip", 0)?;
        let items = Item::read_all(f)?.ok_or_else(|| missing("items"))?;
        if items.is_empty() {
            return Err(missing("items"));
        }
        // cost = the items' totals + shipping − vouchers (line 995); the
        // simulator takes no shipping.
        let mut vouchers = 0i64;
        for list in ["voucher_paid", "voucher_free"] {
            match f.get(list) {
                None | Some(Value::Null) => {}
                Some(Value::Array(a)) => {
                    for v in a {
                        let Value::Object(v) = v else {
                            return Err(malformed(list));
                        };
                        vouchers += opt_int(v, "cost")?.unwrap_or(0);
                    }
                }
                Some(_) => return Err(malformed(list)),
            }
        }
        if Item::sum(&items).map(|s| s - vouchers) != Some(cost.dollars()) {
            return Err(
                "資料錯誤:支付總金額須為商品小計加總減折價券 / cost must be the items' total less vouchers"
                    .into(),
            );
        }
        let pfn = opt_text(f, "pfn")?.unwrap_or_default();
        if pfn.len() > 20 {
            return Err(malformed("pfn"));
        }
        Ok(Orders {
            user_id,
            cost,
            order_id,
            items,
            pfn,
            buyer: Buyer::read(f)?,
        })
    }
}

/// `api/refund`'s `invoice_state`: 4 void (or void and reissue, the
/// default), 6 allowance. Kept in the books as `"4"` / `"6"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(super) enum RefundInvoice {
    #[default]
    #[serde(rename = "4")]
    Void,
    #[serde(rename = "6")]
    Allowance,
}

/// `api/refund` (2020 manual §5.3), one refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Refund {
    pub uid: String,
    pub key: String,
    pub cost: Ntd,
    #[serde(default)]
    pub invoice_state: Option<RefundInvoice>,
    /// Required when an e-invoice exists, named as the payment's.
    #[serde(default)]
    pub items: Vec<Item>,
}

impl Refund {
    pub fn read(f: &Fields, store_uid: &str) -> Result<Refund, Refused> {
        our_store(f, store_uid)?;
        let uid = text(f, "uid", 0)?;
        let key = text(f, "key", 0)?;
        let cost = positive_amount(f, "cost")?;
        let invoice_state = match opt_code(f, "invoice_state")? {
            None => None,
            Some(4) => Some(RefundInvoice::Void),
            Some(6) => Some(RefundInvoice::Allowance),
            Some(_) => return Err(malformed("invoice_state")),
        };
        let items = Item::read_all(f)?.unwrap_or_default();
        if !items.is_empty() && Item::sum(&items) != Some(cost.dollars()) {
            return Err(
                "資料錯誤:退款項目小計須等於退款金額 / the items must add up to cost".into(),
            );
        }
        Ok(Refund {
            uid,
            key,
            cost,
            invoice_state,
            items,
        })
    }
}

/// A call naming one payment by MyPay's `uid` and `key`:
/// `api/refundcancel` (with `store_uid`), `api/queryorder` (without).
#[derive(Debug, Clone)]
pub(super) struct PaymentRef {
    pub uid: String,
    pub key: String,
}

impl PaymentRef {
    pub fn read(f: &Fields, store_uid: Option<&str>) -> Result<PaymentRef, Refused> {
        if let Some(store) = store_uid {
            our_store(f, store)?;
        }
        Ok(PaymentRef {
            uid: text(f, "uid", 0)?,
            key: text(f, "key", 0)?,
        })
    }
}

/// `api/wechatconfirmation`: uid, key and the WeChat `trade_no` of the 280
/// answer.
#[derive(Debug, Clone)]
pub(super) struct WeChatConfirm {
    pub uid: String,
    pub key: String,
    pub trade_no: String,
}

impl WeChatConfirm {
    pub fn read(f: &Fields) -> Result<WeChatConfirm, Refused> {
        Ok(WeChatConfirm {
            uid: text(f, "uid", 0)?,
            key: text(f, "key", 0)?,
            trade_no: text(f, "trade_no", 0)?,
        })
    }
}

/// `api/querydirect` (manual §8.3): store_uid, order_id, user_id, cost.
#[derive(Debug, Clone)]
pub(super) struct QueryDirect {
    pub order_id: String,
    pub cost: Ntd,
}

impl QueryDirect {
    pub fn read(f: &Fields, store_uid: &str) -> Result<QueryDirect, Refused> {
        our_store(f, store_uid)?;
        text(f, "user_id", 0)?;
        Ok(QueryDirect {
            order_id: text(f, "order_id", 50)?,
            cost: positive_amount(f, "cost")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Fields {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    fn transaction() -> Value {
        json!({
            "store_uid": "289151880002", "user_id": "cashier01", "cost": 100,
            "order_id": "T0125010100001", "ip": "127.0.0.1", "pfn": "PIOFF",
            "items": [{"id": "1", "name": "拿鐵", "cost": 50, "amount": 2, "total": 100}],
            "data_json": "{\"piCode\":\"PI7E3A60BD8C8F23F7\"}",
        })
    }

    fn refused(v: Value) -> Refused {
        Transaction::read(&fields(v), "289151880002").unwrap_err()
    }

    #[test]
    fn a_transaction_as_the_manual_shows_it_is_taken() {
        let t = Transaction::read(&fields(transaction()), "289151880002").unwrap();
        assert_eq!(t.cost, Ntd::new(100));
        assert_eq!(t.items[0].name, "拿鐵");
        // Numbers as strings, pfn by number, as PHP may send them.
        let mut v = transaction();
        v["cost"] = json!("100");
        v["pfn"] = json!("28");
        assert!(Transaction::read(&fields(v), "289151880002").is_ok());
    }

    #[test]
    fn a_transaction_breaking_the_documents_rules_is_refused() {
        let cases: Vec<(&str, Value)> = vec![
            ("store_uid", json!("999999999999")),
            ("cost", json!(0)),
            ("cost", json!(-100)),
            ("cost", json!("1O0")),
            ("order_id", json!("T".repeat(51))),
            ("ip", json!("")),
            ("pfn", json!("CREDIT")),
            // data_json must be a JSON text, not an object.
            ("data_json", json!({"piCode": "PI7E3A60BD8C8F23F7"})),
            // The code under the pfn's own key.
            (
                "data_json",
                json!("{\"linepayCode\":\"314818461832250045\"}"),
            ),
            ("items", json!([])),
            // The items do not make the cost.
            (
                "items",
                json!([{"id": "1", "name": "拿鐵", "cost": 50, "amount": 1, "total": 50}]),
            ),
            // A line's total is not cost × amount.
            (
                "items",
                json!([{"id": "1", "name": "拿鐵", "cost": 40, "amount": 2, "total": 100}]),
            ),
        ];
        for (name, value) in cases {
            let mut v = transaction();
            v[name] = value.clone();
            let why = refused(v);
            assert!(why.starts_with("資料錯誤"), "{name} = {value}: {why}");
        }
        for name in ["user_id", "order_id", "items", "data_json", "cost"] {
            let mut v = transaction();
            v.as_object_mut().unwrap().remove(name);
            refused(v);
        }
    }

    #[test]
    fn a_jkopay_code_needs_its_pos_and_time() {
        let mut v = transaction();
        v["pfn"] = json!("JKOOFF");
        v["data_json"] = json!(
            "{\"jkoCode\":\"22J111111111111111\",\"posId\":\"1\",\"posTradeTime\":\"20190826101914\",\"remark\":\"\"}"
        );
        assert!(Transaction::read(&fields(v.clone()), "289151880002").is_ok());
        v["data_json"] = json!(
            "{\"jkoCode\":\"22J111111111111111\",\"posId\":\"1\",\"posTradeTime\":\"2019-08-26 10:19\"}"
        );
        refused(v);
    }

    #[test]
    fn a_refund_reads_as_the_manual_defines_it() {
        let f = fields(json!({
            "store_uid": "289151880002", "uid": 21691,
            "key": "09aa8b4821b55a276d34afb81fb23191", "cost": 10, "invoice_state": 6,
        }));
        let r = Refund::read(&f, "289151880002").unwrap();
        assert_eq!(r.uid, "21691");
        assert_eq!(r.invoice_state, Some(RefundInvoice::Allowance));
        for (name, value) in [
            ("cost", json!(0)),
            ("invoice_state", json!(5)),
            ("key", json!("")),
            (
                "items",
                json!([{"id": "1", "name": "拿鐵", "cost": 5, "amount": 1, "total": 5}]),
            ),
        ] {
            let mut g = f.clone();
            g.insert(name.into(), value.clone());
            assert!(
                Refund::read(&g, "289151880002").is_err(),
                "{name} = {value}"
            );
        }
    }
}
