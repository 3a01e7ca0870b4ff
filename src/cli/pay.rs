//! `till pay | query | recover | settle | late-payments | callback-server`:
//! the payment workflow for scripts (refunds: [`super::refund`]). Exit codes: 0 approved, 1 declined (or
//! cancelled: nothing charged), 2 unknown or pending, 3 usage or config
//! error. `--json` prints one JSON object on standard output; progress goes
//! to standard error.

use super::output::say;
use crate::locale::Text;
use crate::{errln, outln};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::config;
use crate::logging::Redactor;
use crate::money::Ntd;
use crate::sale::{Cart, Line, TradeNo};
use crate::terminal::{PayError, PayResult, Payments, Tender, Terminal, callbacks};

use super::EXIT_USAGE;
use super::session::{approving_manager, open, runtime, session, usage};

#[derive(Args, Debug)]
pub struct PayArgs {
    /// Amount to charge, whole NT$ in plain digits (85; not +85 or 085)
    #[arg(long, value_parser = parse_amount)]
    pub amount: i64,
    /// The payment code scanned from the customer's phone
    #[arg(long, required_unless_present_any = ["paypage", "pay_later"])]
    pub barcode: Option<String>,
    /// A sale line NAME:QTY:PRICE (repeatable); default one line for the amount
    #[arg(long = "item", value_name = "NAME:QTY:PRICE")]
    pub items: Vec<String>,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
    /// The customer pays on their own phone (MyPay PayPage): print the
    /// page's URL (with --json: the order as JSON), then wait for the result
    #[arg(long, conflicts_with_all = ["barcode", "pay_later"])]
    pub paypage: bool,
    /// With --paypage: seconds to wait for the customer before leaving the
    /// attempt pending (exit 2)
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait: u64,
    /// A pay-later order at the aggregator: atm, store or credit; prints
    /// how the customer pays (with --json: under "instructions")
    #[arg(long, value_name = "atm|store|credit", conflicts_with = "barcode")]
    pub pay_later: Option<String>,
    /// Pay-later check field: the customer's mobile number
    #[arg(long, requires = "pay_later")]
    pub phone: Option<String>,
    /// Pay-later check field: the payer's (account / card holder's) name
    #[arg(long, requires = "pay_later")]
    pub payer: Option<String>,
    /// Pay-later atm check field: the last 5 digits of the payer's account(s), comma-separated
    #[arg(long, requires = "pay_later", value_delimiter = ',')]
    pub account_last5: Vec<String>,
    /// Pay-later credit check field: the card's last 4 digits
    #[arg(long, requires = "pay_later")]
    pub card_last4: Option<String>,
    /// E-invoice carrier, as `till einvoice issue`: a mobile barcode
    /// (/ABC1234) or a citizen certificate (AB12345678901234)
    #[arg(long, conflicts_with_all = ["donate", "ban"])]
    pub carrier: Option<String>,
    /// E-invoice donation love code (捐贈碼)
    #[arg(long, conflicts_with = "ban")]
    pub donate: Option<String>,
    /// Buyer business number (統一編號) for the e-invoice
    #[arg(long)]
    pub ban: Option<String>,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// A payment or refund trade number (…-P01, …-R01)
    #[arg(long)]
    pub trade: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RecoverArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct SettleArgs {
    /// The payment or refund still in doubt (…-P01, …-R01)
    #[arg(long)]
    pub trade: String,
    /// The money moved: the gateway's own number for it, from its back office
    #[arg(
        long,
        conflicts_with = "not_charged",
        required_unless_present = "not_charged"
    )]
    pub charged: Option<String>,
    /// The back office shows no money moved
    #[arg(long)]
    pub not_charged: bool,
    /// What was checked, e.g. "JKoPay back office: no such payment"
    #[arg(long)]
    pub reason: String,
    /// The manager settling it; the PIN is read from TILL_MANAGER_PIN or standard input
    #[arg(long)]
    pub manager: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct LateArgs {
    /// Also list the ones already settled
    #[arg(long)]
    pub all: bool,
    /// Mark this late payment (its trade number) as given back / settled
    #[arg(long, requires = "how")]
    pub settle: Option<String>,
    /// What was done, e.g. "refunded in the MyPay back office"
    #[arg(long, requires = "settle")]
    pub how: Option<String>,
    /// The manager settling it; the PIN is read from TILL_MANAGER_PIN or standard input
    #[arg(long)]
    pub manager: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CallbackArgs {
    /// Address to listen on, e.g. 127.0.0.1:8089
    #[arg(long, default_value = "127.0.0.1:8089")]
    pub listen: SocketAddr,
}

/// An amount as a script types it: whole NT$ in plain digits. A sign or a
/// leading zero is refused rather than guessed at (`+85`, `085`, `-5`), as
/// are separators and decimals (`1,000`, `85.0`).
pub fn parse_amount(s: &str) -> Result<i64, String> {
    let plain = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit())
        && !(s.len() > 1 && s.starts_with('0'));
    if !plain {
        return Err(say(
            Text::new("words.cli.amount_not_plain").arg("amount", format!("{s:?}"))
        ));
    }
    s.parse()
        .map_err(|_| say(Text::new("words.cli.amount_too_large").arg("amount", s)))
}

/// Prints a result and answers with its exit code.
pub(super) fn answer(r: &PayResult, json: bool) -> ExitCode {
    print_result(r, json);
    ExitCode::from(r.exit_code())
}

pub(super) fn print_result(r: &PayResult, json: bool) {
    if json {
        outln!("{}", serde_json::to_string(r).expect("a result serialises"));
    } else {
        for line in result_lines(r) {
            outln!("{line}");
        }
    }
}

/// A result as text: trade, gateway, amount and state; the message; the
/// gateway's own number when there is one (no empty "gateway trade no:").
fn result_lines(r: &PayResult) -> Vec<String> {
    let mut lines = vec![
        format!(
            "{} {} {} {}:{}",
            r.trade_no,
            r.gateway.as_str(),
            r.amount,
            r.state.name_zh(),
            r.state
        ),
        r.message.clone(),
    ];
    if let Some(n) = r
        .gateway_trade_no
        .as_deref()
        .filter(|n| !n.trim().is_empty())
    {
        lines.push(format!("金流交易序號 gateway trade no: {n}"));
    }
    lines
}

pub(super) fn pay_error(e: PayError) -> ExitCode {
    let code = match e {
        PayError::InFlight { .. } => 2,
        _ => EXIT_USAGE,
    };
    errln!("till: {}", super::output::word(&e, super::output::lang()));
    ExitCode::from(code)
}

fn parse_item(s: &str, n: usize) -> Result<Line, String> {
    let mut parts = s.rsplitn(3, ':');
    let (price, qty, name) = (parts.next(), parts.next(), parts.next());
    let (Some(price), Some(qty), Some(name)) = (price, qty, name) else {
        return Err(format!(
            "品項格式應為 名稱:數量:單價 / --item must be NAME:QTY:PRICE, got {s:?}"
        ));
    };
    let qty: u32 = qty.parse().map_err(|_| format!("bad quantity in {s:?}"))?;
    let price: i64 = price.parse().map_err(|_| format!("bad price in {s:?}"))?;
    Line::new(&format!("ITEM{n}"), name, qty, Ntd::new(price)).map_err(|e| e.to_string())
}

pub fn pay(explicit: Option<&Path>, redactor: &Redactor, args: PayArgs) -> ExitCode {
    let mut cart = Cart::new();
    let lines: Result<Vec<Line>, String> = if args.items.is_empty() {
        Line::new("ITEM1", "商品", 1, Ntd::new(args.amount))
            .map(|l| vec![l])
            .map_err(|e| e.to_string())
    } else {
        args.items
            .iter()
            .enumerate()
            .map(|(i, s)| parse_item(s, i + 1))
            .collect()
    };
    let lines = match lines {
        Ok(l) => l,
        Err(e) => return usage(e),
    };
    for l in lines {
        if let Err(e) = cart.add(l) {
            return usage(e);
        }
    }
    // Everything the till can refuse without a gateway is refused before a
    // sale is journaled: an open sale is only ever one a cashier started.
    if let Err(e) = check_before_journaling(&cart, &args) {
        return usage(e);
    }
    let buyer = match super::input::buyer_flags(
        args.carrier.clone(),
        args.donate.clone(),
        args.ban.clone(),
    ) {
        Ok(b) => b,
        Err(e) => return usage(e),
    };
    runtime().block_on(async move {
        let (mut till, payments, _sims) = match session(explicit, redactor).await {
            Ok(x) => x,
            Err(c) => return c,
        };
        let sale = match till.open_sale_as(&cart, "cli") {
            Ok(s) => s,
            Err(e) => return pay_error(e),
        };
        errln!("交易 sale {sale}");
        // Kept with the sale: MyPay issues the invoice with it (`[einvoice]
        // issuer = "mypay"`), `till einvoice issue` uses it otherwise.
        if let Some(b) = &buyer
            && let Err(e) = till.remember_buyer_choice(&sale, b)
        {
            return usage(e);
        }
        if args.paypage {
            return paypage(&mut till, &payments, &sale, &args).await;
        }
        let tender = match (&args.pay_later, &args.barcode) {
            (Some(kind), _) => match pay_later_tender(kind, &args) {
                Ok(t) => t,
                Err(e) => return usage(e),
            },
            (None, Some(code)) => Tender::Scan(code.clone()),
            (None, None) => return usage("需要 --barcode / --barcode is required"),
        };
        match till
            .pay(&payments, &sale, tender, Ntd::new(args.amount), Vec::new())
            .await
        {
            Ok(r) if args.pay_later.is_some() => {
                let trade = r.trade_no.parse().ok();
                let instructions = trade
                    .and_then(|t| till.pay_later_instructions(&t).ok())
                    .flatten();
                print_pay_later(&r, instructions.as_ref(), args.json);
                ExitCode::from(r.exit_code())
            }
            Ok(r) => {
                print_result_and_invoice(&till, &sale, &r, args.json);
                ExitCode::from(r.exit_code())
            }
            Err(e) => pay_error(e),
        }
    })
}

/// The result, and the e-invoice MyPay issued with the payment, as MyPay
/// answered it: where it went (paper with its buyer BAN, carrier, or
/// donation). JSON: the result plus `einvoice` (absent without one).
fn print_result_and_invoice(
    till: &Terminal,
    sale: &crate::sale::SaleNo,
    r: &PayResult,
    json: bool,
) {
    use crate::einvoice::mypay::Delivery;
    let inv = match till.mypay_invoice(sale) {
        Ok(inv) => inv,
        Err(e) => {
            errln!("till: {e}");
            None
        }
    };
    let Some(inv) = inv else {
        return print_result(r, json);
    };
    let (delivery, code) = match &inv.delivery {
        Delivery::Paper => ("paper", None),
        Delivery::Carrier(c) => ("carrier", Some(c.as_str())),
        Delivery::Donated(c) => ("donated", Some(c.as_str())),
    };
    if json {
        let mut v = serde_json::to_value(r).expect("a result serialises");
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "einvoice".into(),
                serde_json::json!({
                    "number": inv.number.dashed(),
                    "random_code": inv.random_code.as_str(),
                    "buyer_ban": inv.buyer_ban,
                    "delivery": delivery,
                    "code": code,
                    "prints_proof": inv.prints_proof(),
                }),
            );
        }
        outln!("{v}");
        return;
    }
    print_result(r, false);
    let whom = match (&inv.delivery, &inv.buyer_ban) {
        (Delivery::Paper, Some(ban)) => format!("證明聯 買方 {ban} / paper proof, buyer BAN {ban}"),
        (Delivery::Paper, None) => "證明聯 / paper proof".into(),
        (Delivery::Carrier(c), _) => format!("存入載具 {c} / stored in carrier {c}"),
        (Delivery::Donated(c), _) => format!("捐贈 {c} / donated to {c}"),
    };
    outln!("電子發票 e-invoice {} (MyPay): {whom}", inv.number.dashed());
}

/// The amount and the scanned code, checked as the payment will check them.
fn check_before_journaling(cart: &Cart, args: &PayArgs) -> Result<(), String> {
    let amount = Ntd::new(args.amount);
    if !amount.is_positive() {
        return Err(say(Text::new("words.cli.amount_not_positive")));
    }
    if amount > cart.total() {
        return Err(say(Text::new("words.cli.no_change")
            .arg("due", cart.total())
            .arg("amount", amount)));
    }
    if let (None, false, Some(code)) = (&args.pay_later, args.paypage, &args.barcode) {
        crate::terminal::payment::check_scan(code)
            .map_err(|e| super::output::word(&e, super::output::lang()))?;
    }
    Ok(())
}

/// `--pay-later KIND` with its check fields.
fn pay_later_tender(kind: &str, args: &PayArgs) -> Result<Tender, String> {
    use crate::gateway::goodbuy::PayType;
    let payer = args.payer.clone().unwrap_or_default();
    let pay_type = match kind {
        "atm" => PayType::Atm {
            account_owner: payer,
            account_last5: args.account_last5.clone(),
        },
        "store" => PayType::Store { payer },
        "credit" => PayType::Credit {
            card_owner: payer,
            card_last4: args.card_last4.clone().unwrap_or_default(),
        },
        other => {
            return Err(format!(
                "--pay-later 應為 atm、store 或 credit / --pay-later must be atm, store or credit, not {other:?}"
            ));
        }
    };
    Ok(Tender::With(crate::gateway::client::PayWith::PayLater {
        pay_type,
        phone: args.phone.clone().unwrap_or_default(),
    }))
}

/// A pay-later result and how the customer pays (JSON: the result plus
/// `instructions`, null when the aggregator gave none).
fn print_pay_later(r: &PayResult, i: Option<&crate::terminal::PayLaterInstructions>, json: bool) {
    if json {
        let mut v = serde_json::to_value(r).expect("a result serialises");
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "instructions".into(),
                serde_json::to_value(i).expect("instructions serialise"),
            );
        }
        outln!("{v}");
        return;
    }
    print_result(r, false);
    let Some(i) = i else {
        return;
    };
    let lines = [
        ("銀行代碼 bank code", &i.bank_code),
        ("虛擬帳號 account", &i.account),
        ("超商繳費代碼 store payment code", &i.store_code),
        ("繳費期限 deadline", &i.deadline),
        ("付款頁 payer page", &i.pay_url),
    ];
    for (label, value) in lines {
        if let Some(v) = value {
            outln!("{label}: {v}");
        }
    }
}

/// `till pay --paypage`: show the URL, then ask MyPay every few seconds
/// until the page is paid, given up or expired, or `--wait` runs out.
async fn paypage(
    till: &mut Terminal,
    payments: &Payments,
    sale: &crate::sale::SaleNo,
    args: &PayArgs,
) -> ExitCode {
    let order = match till
        .start_paypage(payments, sale, Ntd::new(args.amount), Vec::new())
        .await
    {
        Ok(o) => o,
        Err(PayError::PayPageNotOpened(r)) => {
            return answer(&r, args.json);
        }
        Err(e) => return pay_error(e),
    };
    if args.json {
        outln!(
            "{}",
            serde_json::to_string(&order).expect("an order serialises")
        );
    } else {
        outln!(
            "請顧客掃描並付款 / ask the customer to open and pay: {}",
            order.url
        );
        if let Some(t) = &order.expires_at {
            outln!("期限 expires at {t}");
        }
    }
    let trade: TradeNo = match order.trade_no.parse() {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let until = std::time::Instant::now() + std::time::Duration::from_secs(args.wait);
    let every = payments
        .policy()
        .retry_interval
        .max(std::time::Duration::from_millis(200));
    loop {
        tokio::time::sleep(every).await;
        match till.poll_paypage(payments, &trade).await {
            Ok(r) if r.state.is_final() || std::time::Instant::now() >= until => {
                return answer(&r, args.json);
            }
            Ok(_) => {}
            Err(e) => return pay_error(e),
        }
    }
}

pub fn query(explicit: Option<&Path>, redactor: &Redactor, args: QueryArgs) -> ExitCode {
    let trade: TradeNo = match args.trade.parse() {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    runtime().block_on(async move {
        let (mut till, payments, _sims) = match session(explicit, redactor).await {
            Ok(x) => x,
            Err(c) => return c,
        };
        match till.query(&payments, &trade).await {
            Ok(r) => answer(&r, args.json),
            Err(e) => pay_error(e),
        }
    })
}

pub fn recover(explicit: Option<&Path>, redactor: &Redactor, args: RecoverArgs) -> ExitCode {
    runtime().block_on(async move {
        let (mut till, payments, _sims) = match session(explicit, redactor).await {
            Ok(x) => x,
            Err(c) => return c,
        };
        match till.recover(&payments).await {
            Ok(results) => {
                if args.json {
                    outln!(
                        "{}",
                        serde_json::to_string(&results).expect("results serialise")
                    );
                } else if results.is_empty() {
                    outln!("{}", say(Text::new("words.cli.nothing_to_recover")));
                } else {
                    for r in &results {
                        print_result(r, false);
                    }
                }
                // E-invoices MyPay issued after their payment (stderr: the
                // JSON on stdout stays the results).
                match till.fetch_mypay_invoices(&payments).await {
                    Ok(sales) => {
                        for sale in sales {
                            errln!("MyPay 發票已開立 / MyPay e-invoice arrived: {sale}");
                        }
                    }
                    Err(e) => errln!("till: {e}"),
                }
                let owed = till.mypay_invoices_due().unwrap_or(0);
                if owed > 0 {
                    errln!("{}", say(Text::new("words.cli.mypay_invoices_owed").arg("owed", owed)));
                }
                let late = till.late_payments(true).unwrap_or_default();
                if !late.is_empty() && !args.json {
                    errln!(
                        "注意:{} 筆逾時收款待退還顧客(till late-payments)/ {} late payments are owed back to customers (till late-payments)",
                        late.len(),
                        late.len()
                    );
                }
                let worst = results.iter().map(|r| r.exit_code()).max().unwrap_or(0);
                // Declined/cancelled attempts are settled: only doubt is 2.
                ExitCode::from(if worst == 2 { 2 } else { 0 })
            }
            Err(e) => pay_error(e),
        }
    })
}

/// `till settle`: a manager settles by hand an attempt the till cannot
/// settle by asking, from what the gateway's back office shows.
pub fn settle(explicit: Option<&Path>, redactor: &Redactor, args: SettleArgs) -> ExitCode {
    runtime().block_on(async move {
        let (mut till, payments, _sims) = match session(explicit, redactor).await {
            Ok(x) => x,
            Err(c) => return c,
        };
        let trade: TradeNo = match args.trade.parse() {
            Ok(t) => t,
            Err(e) => return usage(e),
        };
        let manager = match approving_manager(
            &till,
            args.manager.as_ref(),
            &say(Text::new("words.cli.settle_needs_manager")),
        ) {
            Ok(m) => m,
            Err(code) => return code,
        };
        match till.settle_by_hand(
            &payments,
            &trade,
            args.charged.as_deref(),
            &args.reason,
            &manager,
        ) {
            Ok(r) => answer(&r, args.json),
            Err(e) => pay_error(e),
        }
    })
}

/// `till late-payments`: money gateways took on attempts the till had
/// closed, owed back to customers; `--settle` records one as given back.
/// Exit 0 when none is open, 1 when some are (for a close-of-day script).
pub fn late_payments(explicit: Option<&Path>, redactor: &Redactor, args: LateArgs) -> ExitCode {
    runtime().block_on(async move {
        let (mut till, _payments, _sims) = match session(explicit, redactor).await {
            Ok(x) => x,
            Err(c) => return c,
        };
        if let (Some(trade), Some(how)) = (&args.settle, &args.how) {
            let trade: TradeNo = match trade.parse() {
                Ok(t) => t,
                Err(e) => return usage(e),
            };
            let manager = match approving_manager(
                &till,
                args.manager.as_ref(),
                &say(Text::new("words.cli.settle_needs_manager")),
            ) {
                Ok(m) => m,
                Err(code) => return code,
            };
            if let Err(e) = till.settle_late_payment(&trade, &manager, how) {
                return pay_error(e);
            }
            outln!("已結清 settled: {trade}");
        }
        let list = match till.late_payments(!args.all) {
            Ok(l) => l,
            Err(e) => return pay_error(e),
        };
        if args.json {
            // Never cut short: every one (open, or all with --all).
            let none: Option<String> = None;
            outln!("{}", crate::cli::output::listing(&list, none));
        } else if list.is_empty() {
            outln!("{}", say(Text::new("words.cli.no_late_payment_owed")));
        } else {
            for l in &list {
                outln!(
                    "{} {} {} 原狀態 closed as {} 金流編號 {} 發現於 found {} ({}){}",
                    l.trade_no,
                    l.gateway.map(|g| g.as_str()).unwrap_or("-"),
                    l.amount,
                    l.closed_as,
                    l.gateway_trade_no,
                    l.found_at,
                    l.source,
                    match (&l.settled_at, &l.settled_by, &l.settlement) {
                        (Some(at), Some(by), Some(how)) =>
                            format!(" — 已結清 settled {at} by {by}: {how}"),
                        _ => " — 待退還顧客 owed back to the customer".to_string(),
                    }
                );
            }
        }
        let open = list.iter().any(|l| l.settled_at.is_none());
        ExitCode::from(u8::from(open))
    })
}

pub fn callback_server(
    explicit: Option<&Path>,
    redactor: &Redactor,
    args: CallbackArgs,
) -> ExitCode {
    if !args.listen.ip().is_loopback() {
        errln!(
            "注意:監聽非本機位址 {} / note: listening on a non-loopback address",
            args.listen
        );
    }
    runtime().block_on(async move {
        let (cfg, source) = match config::locate(explicit) {
            Ok(x) => x,
            Err(e) => return usage(e),
        };
        for s in cfg.secrets() {
            redactor.add_secret(s);
        }
        let (till, payments) = match open(&cfg, &source) {
            Ok(x) => x,
            Err(c) => return c,
        };
        let state =
            callbacks::CallbackState::new(Arc::new(tokio::sync::Mutex::new(till)), payments, &cfg);
        match callbacks::serve(args.listen, state).await {
            Ok((addr, task)) => {
                outln!(
                    "callback server http://{addr}/ (ecpay/return, mypay/notify, goodbuy/return)"
                );
                let _ = task.await;
                ExitCode::SUCCESS
            }
            Err(e) => usage(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::CashierAction;
    use crate::journal::AttemptState;
    use crate::sale::{AttemptKind, GatewayId};

    fn result(gateway_trade_no: Option<&str>) -> PayResult {
        PayResult {
            sale_no: "T0126010100001".into(),
            trade_no: "T0126010100001R01".into(),
            kind: AttemptKind::Refund,
            gateway: GatewayId::Ecpay,
            amount: Ntd::new(40),
            state: AttemptState::Approved,
            gateway_trade_no: gateway_trade_no.map(String::from),
            code: None,
            message: "退款成功 / refunded".into(),
            action: CashierAction::None,
            is_repeat: false,
            review: None,
        }
    }

    #[test]
    fn no_gateway_number_means_no_gateway_number_line() {
        for none in [None, Some(""), Some("  ")] {
            let lines = result_lines(&result(none));
            assert_eq!(lines.len(), 2, "{lines:?}");
            assert!(lines.iter().all(|l| !l.contains("gateway trade no")));
        }
        let lines = result_lines(&result(Some("2506011234567890")));
        assert_eq!(lines[2], "金流交易序號 gateway trade no: 2506011234567890");
    }

    #[test]
    fn amounts_are_plain_digits() {
        assert_eq!(parse_amount("85"), Ok(85));
        assert_eq!(parse_amount("0"), Ok(0));
        for bad in [
            "+85", "085", "00", "-85", "8 5", "85.0", "1,000", "", "８５",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
        assert!(parse_amount("99999999999999999999").is_err());
    }
}
