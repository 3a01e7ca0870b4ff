//! Sample documents: the test fixtures, the bench load and `till print`
//! previews use the same ones.

use crate::money::Ntd;

use super::document::{ProofData, ReceiptData, ReceiptItem};

/// A consumer e-invoice proof for NT$ 200 (strings shaped as the `einvoice`
/// module builds them; the verification field is the NOTES.md §5 vector).
pub fn proof() -> ProofData {
    ProofData {
        seller_name: Some("小林早餐店".into()),
        period_label: "115年09-10月".into(),
        number_dashed: "AB-12345678".into(),
        datetime: "2026-10-15 08:30:12".into(),
        random_code: "1234".into(),
        total: Ntd::new(200),
        seller_ban: "12345675".into(),
        buyer_ban: None,
        code39: "11510AB123456781234".into(),
        left_qr: "AB123456781151015123400000\
0BE000000C80000000012345675D17/hvwEUj0+LhzQ9Og4gQ==:**********:2:3:1:蛋餅:1:45:鮪魚三明治:1:65"
            .into(),
        right_qr: "**:大冰奶:2:45".into(),
        test: false,
        reprint: false,
    }
}

/// A ten-item receipt with Chinese names, one too long for a line.
pub fn receipt() -> ReceiptData {
    let items = [
        ("招牌珍珠奶茶（大杯少冰半糖加椰果）", 2, 130),
        ("鹽酥雞", 1, 80),
        ("蔥抓餅加蛋", 1, 45),
        ("滷肉飯", 3, 105),
        ("貢丸湯", 1, 35),
        ("Iced Americano", 1, 60),
        ("芒果冰", 1, 120),
        ("臭豆腐", 1, 70),
        ("蚵仔煎", 1, 75),
        ("紅茶拿鐵", 2, 110),
    ];
    let items: Vec<ReceiptItem> = items
        .iter()
        .map(|(name, qty, amount)| ReceiptItem {
            name: name.to_string(),
            qty: *qty,
            amount: Ntd::new(*amount),
        })
        .collect();
    let total = Ntd::checked_sum(items.iter().map(|i| i.amount)).unwrap_or(Ntd::ZERO);
    ReceiptData {
        shop_name: "小林早餐店".into(),
        header_lines: vec![
            "台北市大安區復興南路一段 1 號".into(),
            "統編 12345675".into(),
        ],
        sale_no: "T01-20261015-0042".into(),
        datetime: "2026-10-15 08:30:12".into(),
        items,
        total,
        tenders: vec![("街口支付 ********1234".into(), total)],
        change: Ntd::ZERO,
        receipt_code: "R0120261015004".into(),
        footer: Some("謝謝光臨 Thank you".into()),
        open_drawer: false,
    }
}
