//! The shift (X) and day-close (Z) report as printed, from the journal's
//! figures.

use crate::journal::{ShiftReport, TenderTotal};
use crate::print::model::{Document, Ecc, Style};
use crate::sale::Wallet;

/// A tender line's name as cashiers know it: the wallet's name (`zh`
/// true: 街口支付, false: JKoPay), never the journal's keys. A wallet the
/// code alone could not tell is named by the gateway that took it.
pub fn tender_name(t: &TenderTotal, zh: bool) -> String {
    let pick = |zh_name: &str, en_name: &str| {
        if zh {
            zh_name.to_string()
        } else {
            en_name.to_string()
        }
    };
    let gateway = t.gateway.as_deref().map(gateway_name);
    let wallet = t
        .wallet
        .as_deref()
        .and_then(|w| serde_json::from_value::<Wallet>(serde_json::Value::from(w)).ok());
    match (t.method.as_str(), wallet) {
        ("cash", _) => pick("現金", "Cash"),
        (_, Some(Wallet::Unidentified)) | ("wallet", None) => match gateway {
            Some(g) => format!("{} ({g})", pick("行動支付", "Mobile wallet")),
            None => pick("行動支付", "Mobile wallet"),
        },
        (_, Some(w)) => pick(w.name_zh(), w.name_en()),
        ("bound_card", _) => pick("會員綁定卡", "Member card"),
        ("pay_page", _) => pick("手機付款", "Pay on phone"),
        ("pay_later", _) => pick("繳費單", "Pay later"),
        (other, _) => other.to_string(),
    }
}

fn gateway_name(key: &str) -> String {
    match key {
        "jko_pay" | "jkopay" => "JKoPay".into(),
        "my_pay" | "mypay" => "MyPay".into(),
        "ecpay" | "ec_pay" => "ECPay".into(),
        "goodbuy" | "good_buy" => "goodbuy".into(),
        other => other.into(),
    }
}

fn tender_label(t: &TenderTotal) -> String {
    format!(
        "{} {} ×{}",
        tender_name(t, true),
        tender_name(t, false),
        t.count
    )
}

/// The printed X or Z report.
pub fn report_document(r: &ShiftReport, store_name: &str) -> Document {
    let mut d = Document::new();
    let title = if r.kind == 'Z' {
        format!("日結報表 Z #{}", r.z_number)
    } else {
        "班別報表 X".to_string()
    };
    d.text(store_name, Style::center().bold());
    d.text(title, Style::center().double().bold());
    d.row(format!("收銀機 {}", r.terminal), "");
    d.row(
        r.generated_at
            .get(..19)
            .unwrap_or(&r.generated_at)
            .replace('T', " "),
        "",
    );
    if let (Some(first), Some(last)) = (&r.first_sale, &r.last_sale) {
        d.row(format!("{first} ~"), "");
        d.row(format!("  {last}"), "");
    }
    d.rule();
    d.row("交易筆數 Sales", r.sales.to_string());
    d.row(
        format!("作廢交易 Voided ×{}", r.voided),
        r.voided_amount.to_string(),
    );
    d.row_styled("營業額 Gross", r.gross.to_string(), Style::default().bold());
    d.row("折扣 Discounts", format!("-{}", r.discounts));
    d.row("退款 Refunds", format!("-{}", r.refunded));
    d.row_styled("淨額 Net", r.net.to_string(), Style::default().bold());
    d.row("應稅 Taxable", r.taxable.to_string());
    d.row("  含稅額 5% tax incl.", r.tax_included.to_string());
    d.row("零稅率 Zero-rated", r.zero_rated.to_string());
    d.row("免稅 Exempt", r.tax_exempt.to_string());
    d.rule();
    d.text("電子發票 E-invoices", Style::default().bold());
    if r.invoices.is_empty() {
        d.row("  未開立 None issued", "");
    }
    for range in &r.invoices {
        d.row(
            format!("{} {}", range.period, range.track),
            format!("×{}", range.count),
        );
        d.row(format!("  {} ~ {}", range.first, range.last), "");
    }
    d.row(
        format!("作廢發票 Voided ×{}", r.invoices_voided),
        r.invoices_voided_amount.to_string(),
    );
    d.row(
        format!("折讓 Allowances ×{}", r.allowances),
        r.allowances_amount.to_string(),
    );
    d.rule();
    d.text("收款 Payments", Style::default().bold());
    for t in &r.payments {
        d.row(tender_label(t), t.amount.to_string());
    }
    if !r.refunds.is_empty() {
        d.text("退款 Refunds", Style::default().bold());
        for t in &r.refunds {
            d.row(tender_label(t), format!("-{}", t.amount));
        }
    }
    d.rule();
    if r.open_sales > 0 {
        d.text(
            format!(
                "未結交易 {} 筆(已收 {}) / {} open sales ({} taken)",
                r.open_sales, r.open_paid, r.open_sales, r.open_paid
            ),
            Style::default().bold(),
        );
    }
    d.row_styled(
        "錢櫃現金 Cash in drawer",
        r.cash_in_drawer.to_string(),
        Style::default().bold(),
    );
    if r.unresolved > 0 {
        d.text(
            format!(
                "未確認付款 {} 筆 / {} payments unresolved",
                r.unresolved, r.unresolved
            ),
            Style::default().bold(),
        );
    }
    if r.owed_back > 0 {
        d.text(
            format!(
                "逾時收款待退還 {} 筆 {} / {} late payments owed back: {}",
                r.owed_back, r.owed_back_amount, r.owed_back, r.owed_back_amount
            ),
            Style::default().bold(),
        );
    }
    // --- Seal anchor (tamper branch, journal::seal) --------------------
    // Kept as one block of its own, apart from the figures above: the chain
    // head, the terminal's perpetual counters and grand totals, and a keyed
    // check. `till journal verify --anchor CODE` checks a journal against it,
    // which catches a journal cut short or restored from an older copy.
    if let Some(anchor) = &r.anchor {
        d.rule();
        d.text("日誌錨碼 Journal anchor", Style::default().bold());
        d.text(anchor.clone(), Style::default());
        d.qr(anchor.clone(), Ecc::M);
    }
    // --- end of seal anchor -------------------------------------------
    d.feed(3).cut();
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Ntd;

    fn line(method: &str, gateway: Option<&str>, wallet: Option<&str>) -> TenderTotal {
        TenderTotal {
            method: method.into(),
            gateway: gateway.map(str::to_string),
            wallet: wallet.map(str::to_string),
            count: 1,
            amount: Ntd::new(85),
        }
    }

    #[test]
    fn tenders_are_named_as_cashiers_know_them_never_by_journal_keys() {
        let jko = line("wallet", Some("jko_pay"), Some("jko_pay"));
        assert_eq!(tender_name(&jko, true), "街口支付");
        assert_eq!(tender_name(&jko, false), "JKoPay");
        let line_pay = line("wallet", Some("my_pay"), Some("line_pay"));
        assert_eq!(tender_name(&line_pay, false), "LINE Pay");
        let unknown = line("wallet", Some("my_pay"), Some("unidentified"));
        assert_eq!(tender_name(&unknown, true), "行動支付 (MyPay)");
        assert_eq!(tender_name(&line("cash", None, None), true), "現金");
        assert_eq!(tender_name(&line("cash", None, None), false), "Cash");
    }
}
