//! Sample documents: the test fixtures, the bench load and `till print`
//! previews use the same ones.

use crate::money::Ntd;

use super::{
    DetailItem, DetailSlipData, PayLaterKind, PayLaterSlipData, PayPageSlipData, ProofData,
    ReceiptData, ReceiptItem, RefundInvoiceLine, RefundSlipData,
};

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

/// The detail slip (交易明細) of a company purchase (buyer BAN, 格式 25).
pub fn detail_slip() -> DetailSlipData {
    let items = vec![
        DetailItem {
            name: "蛋餅".into(),
            qty: 1,
            unit_price: Ntd::new(45),
            amount: Ntd::new(45),
        },
        DetailItem {
            name: "鮪魚三明治".into(),
            qty: 1,
            unit_price: Ntd::new(65),
            amount: Ntd::new(65),
        },
        DetailItem {
            name: "大冰奶".into(),
            qty: 2,
            unit_price: Ntd::new(45),
            amount: Ntd::new(90),
        },
    ];
    DetailSlipData {
        seller_name: Some("小林早餐店".into()),
        seller_ban: "12345675".into(),
        number_dashed: "AB-12345678".into(),
        datetime: "2026-10-15 08:30:12".into(),
        buyer_ban: Some("04595252".into()),
        items,
        sales_amount: Ntd::new(190),
        tax: Ntd::new(10),
        total: Ntd::new(200),
        test: false,
        reprint: false,
    }
}

/// A partial refund of a wallet payment that made an allowance.
pub fn refund_slip() -> RefundSlipData {
    RefundSlipData {
        shop_name: "小林早餐店".into(),
        header_lines: vec!["統編 12345675".into()],
        sale_no: "T0126101500042".into(),
        receipt_code: "TLT0126101500042".into(),
        original_trade_no: "T0126101500042P01".into(),
        gateway: "街口支付 JKoPay".into(),
        refund_trade_no: "T0126101500042R01".into(),
        refunded: Ntd::new(45),
        remaining: Ntd::new(155),
        reason: "退貨 蛋餅".into(),
        manager: "王小明".into(),
        datetime: "2026-10-16 09:12:05 +08:00".into(),
        invoice: RefundInvoiceLine::Allowance {
            number_dashed: "AB-12345678".into(),
            allowance_number: "AB12345678001".into(),
        },
        test: false,
        reprint: false,
    }
}

/// Pay later at an ATM: bank code, virtual account and a pay page.
pub fn pay_later_atm() -> PayLaterSlipData {
    PayLaterSlipData {
        shop_name: "小林早餐店".into(),
        trade_no: "T0126101500043".into(),
        pay_type: PayLaterKind::Atm,
        amount: Ntd::new(1_280),
        bank_code: Some("822".into()),
        account: Some("9103522175887271".into()),
        store_code: None,
        pay_url: Some("https://pay.example.com.tw/atm/T0126101500043".into()),
        deadline: Some("2026-10-18 23:59".into()),
        test: false,
    }
}

/// Pay later at a convenience store with a payment code.
pub fn pay_later_store() -> PayLaterSlipData {
    PayLaterSlipData {
        shop_name: "小林早餐店".into(),
        trade_no: "T0126101500044".into(),
        pay_type: PayLaterKind::Store,
        amount: Ntd::new(350),
        bank_code: None,
        account: None,
        store_code: Some("LLL26101512345".into()),
        pay_url: None,
        deadline: Some("2026-10-22 23:59".into()),
        test: false,
    }
}

/// A PayPage link for the customer's phone.
pub fn paypage_slip() -> PayPageSlipData {
    PayPageSlipData {
        shop_name: "小林早餐店".into(),
        trade_no: "T0126101500045".into(),
        amount: Ntd::new(520),
        url: "https://pay.usecase.cc/paypage/T0126101500045?k=8f3a9c0d2e".into(),
        expires_at: Some("2026-10-15 09:00".into()),
        test: false,
    }
}
