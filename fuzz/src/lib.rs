//! The bodies of the fuzz targets, one function per target, each taking the
//! raw bytes libFuzzer (or a corpus file) gives it. Kept apart from the
//! `fuzz_targets/` stubs so that `tests/fuzz_corpora.rs` runs the committed
//! corpora through exactly the same code on stable, in every `cargo test`.
//!
//! A target must never panic, whatever the bytes: every parser here reads
//! something from outside the till (a scanner, a gateway, the internet, a
//! printer, a file).

use std::sync::OnceLock;
use std::time::Duration;

use chrono::TimeDelta;
use till::Ntd;
use till::barcode::{ScanContext, classify};
use till::device::printer::status;
use till::device::printer::{PrinterError, PrinterPort};
use till::device::scanner::Framing;
use till::device::scanner::hid::{BootKeyboard, POS_DATA_LEN, PosDecoder};
use till::gateway::ecpay::{self, EcpayConfig, PaymentResult, ResponseEnvelope};
use till::gateway::goodbuy::{self, ApiAnswer, client::OrderData};
use till::gateway::jkopay::{OrderStatusMap, Response as JkoResponse, ResponseSignPolicy};
use till::gateway::mypay::{
    self, Envelope, OrdersResponse, QueryDirectResponse, RefundResponse, TransactionResponse,
};
use till::secret::Secret;
use till::terminal::callbacks;

/// The keys the targets (and their seed corpora) use: made up, never a
/// real merchant's.
pub const ECPAY_MERCHANT: &str = "3002607";
pub const ECPAY_KEY: &str = "fuzzHashKey00001";
pub const ECPAY_IV: &str = "fuzzHashIV000001";
pub const MYPAY_KEY: &str = "fuzz0123456789abcdef0123456789ab";
pub const JKO_KEY: &str = "fuzz-jkopay-secret";
pub const GOODBUY_KEY: &str = "fuzz-goodbuy-agent-key";

pub fn ecpay_config() -> EcpayConfig {
    EcpayConfig {
        url: String::new(),
        merchant_id: ECPAY_MERCHANT.into(),
        platform_id: String::new(),
        hash_key: Secret::new(ECPAY_KEY),
        hash_iv: Secret::new(ECPAY_IV),
        return_url: String::new(),
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// First byte picks a variant, the rest is the input.
fn split(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((m, rest)) => (*m, rest),
        None => (0, data),
    }
}

/// A form body as axum's `Form` reads it.
fn form(data: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(data).into_owned().collect()
}

fn amounts() -> [Ntd; 4] {
    [Ntd::new(0), Ntd::new(1), Ntd::new(7002), Ntd::new(i64::MAX)]
}

/// `barcode::classify` in every context, and what the UI does with a result.
pub fn barcode(data: &[u8]) {
    let s = text(data);
    for ctx in [
        ScanContext::Selling,
        ScanContext::Tendering,
        ScanContext::BuyerChoice,
        ScanContext::Refund,
    ] {
        match classify(&s, ctx) {
            Ok(scanned) => {
                let _ = (scanned.shown(), scanned.payment_code(), scanned.kind_zh());
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    let _ = till::barcode::mask_payment_code(&s);
}

/// A JKoPay answer under every signing policy, and its outcomes.
pub fn jkopay_answer(data: &[u8]) {
    let body = text(data);
    let key = Secret::new(JKO_KEY);
    for policy in [
        ResponseSignPolicy::Ignore,
        ResponseSignPolicy::VerifyIfPresent,
        ResponseSignPolicy::Require,
    ] {
        if let Ok(r) = JkoResponse::parse(&body, &key, policy) {
            let statuses = OrderStatusMap::default();
            let _ = r.card_info();
            for asked in amounts() {
                let _ = r.payment_outcome(asked);
                let _ = r.refund_outcome(asked);
                let _ = r.inquiry_outcome(asked, TimeDelta::seconds(5), &statuses);
                let _ = r.inquiry_outcome(asked, TimeDelta::MAX, &statuses);
            }
            let _ = r.cancel_outcome(TimeDelta::seconds(5), TimeDelta::seconds(15));
            let _ = r.cancel_outcome(TimeDelta::MIN, TimeDelta::MAX);
        }
    }
}

/// MyPay: the envelope the till sends (form, AES, JSON: the simulator's
/// side), a plaintext sealed with our key (to reach the JSON behind the
/// AES), and each JSON answer MyPay sends back.
pub fn mypay_answer(data: &[u8]) {
    let key = Secret::new(MYPAY_KEY);
    let (mode, rest) = split(data);
    match mode % 4 {
        0 => {
            let f = form(rest);
            if let Ok(env) = Envelope::from_form(f.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                let _ = env.open_cmd(&key);
                let _ = env.open_data::<serde_json::Value>(&key);
            }
        }
        1 => {
            if let Ok(sealed) = mypay::encrypt(rest, &key, [7; 16])
                && let Ok(plain) = mypay::decrypt(&sealed, &key)
            {
                let _ = serde_json::from_slice::<mypay::TransactionRequest>(&plain);
                let _ = serde_json::from_slice::<mypay::RefundRequest>(&plain);
            }
            let _ = mypay::decrypt(&text(rest), &key);
        }
        _ => {
            let body = text(rest);
            for asked in amounts() {
                if let Ok(r) = serde_json::from_str::<TransactionResponse>(&body) {
                    let _ = r.outcome(asked);
                    let _ = r.wechat_confirmation("store");
                }
                if let Ok(r) = serde_json::from_str::<QueryDirectResponse>(&body) {
                    let _ = (r.lists_nothing(), r.outcome(asked));
                }
                if let Ok(r) = serde_json::from_str::<RefundResponse>(&body) {
                    let _ = r.outcome(asked);
                }
            }
            if let Ok(r) = serde_json::from_str::<OrdersResponse>(&body) {
                let _ = r.page();
            }
            if let Ok(r) = mypay::PaymentRecord::from_json(&body) {
                let _ = r.outcome(Ntd::new(100));
            }
            let _ = mypay::parse_time(&body);
        }
    }
}

/// ECPay: an answer envelope, a Data plaintext sealed with our key (the
/// JSON behind the AES), and the raw decrypt.
pub fn ecpay_answer(data: &[u8]) {
    let cfg = ecpay_config();
    let (mode, rest) = split(data);
    let body = text(rest);
    match mode % 3 {
        0 => {
            if let Ok(env) = serde_json::from_str::<ResponseEnvelope>(&body) {
                for asked in amounts() {
                    let _ = env.payment_outcome(&cfg, asked);
                }
            }
        }
        1 => {
            if let Ok(sealed) = ecpay::encrypt_data(&body, &cfg.hash_key, &cfg.hash_iv) {
                let env = ResponseEnvelope {
                    merchant_id: cfg.merchant_id.clone(),
                    rp_header: None,
                    trans_code: Some(1),
                    trans_msg: String::new(),
                    data: sealed,
                };
                for asked in amounts() {
                    let _ = env.payment_outcome(&cfg, asked);
                }
                if let Ok(r) = env.open::<PaymentResult>(&cfg) {
                    let _ = r.outcome(Ntd::new(7002));
                }
            }
        }
        _ => {
            let _ = ecpay::decrypt_data(&body, &cfg.hash_key, &cfg.hash_iv);
            let _ = ecpay::urldecode(&body);
            let _ = ecpay::parse_date(&body);
            let _ = ecpay::parse_http_date(&body);
        }
    }
}

/// goodbuy: API answers (with `datas`), the refund confirmation, the payer
/// page and the callback form.
pub fn goodbuy_answer(data: &[u8]) {
    let (mode, rest) = split(data);
    let body = text(rest);
    match mode % 3 {
        0 => {
            if let Ok(a) = serde_json::from_str::<ApiAnswer>(&body) {
                let _ = (a.info(), a.result());
                for shape in [
                    goodbuy::DatasShape::JsonText,
                    goodbuy::DatasShape::JsonObject,
                ] {
                    let _ = shape.read::<OrderData>(&a.datas);
                }
            }
            let _ = goodbuy::read_refund_confirmation(&body);
        }
        1 => {
            let _ = goodbuy::payer_page::read_payer_page(&body, None);
            let _ = goodbuy::payer_page::read_payer_page(&body, Some("http://127.0.0.1/pay"));
        }
        _ => {
            let f = form(rest);
            if let Ok(cb) =
                goodbuy::Callback::from_form(f.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            {
                let _ = cb.verify(&Secret::new(GOODBUY_KEY));
                let _ = cb.ack();
                for asked in amounts() {
                    let _ = cb.outcome(asked);
                }
            }
        }
    }
}

/// The ECPay ReturnURL body as `till callback-server` reads it. Mode 1
/// seals the rest as Data with our key, to reach the checks behind it.
pub fn callback_ecpay(data: &[u8]) {
    let cfg = ecpay_config();
    let (mode, rest) = split(data);
    let body = if mode % 2 == 1 {
        match ecpay::encrypt_data(&text(rest), &cfg.hash_key, &cfg.hash_iv) {
            Ok(sealed) => serde_json::json!({
                "MerchantID": ECPAY_MERCHANT,
                "RpHeader": {"Timestamp": 1732240000},
                "Data": sealed,
            })
            .to_string(),
            Err(_) => return,
        }
    } else {
        text(rest)
    };
    if let Ok(callbacks::EcpayNotice::Trade { data, .. }) =
        callbacks::read_ecpay_return(&body, &cfg)
    {
        for asked in amounts() {
            let _ = data.outcome(asked);
        }
        let _ = data.notice();
    }
}

/// The MyPay notify form as the callback server reads it.
pub fn callback_mypay(data: &[u8]) {
    let _ = callbacks::read_mypay_notify(&form(data));
}

/// The goodbuy return form as the callback server reads it.
pub fn callback_goodbuy(data: &[u8]) {
    let _ = callbacks::read_goodbuy_return(&form(data), &Secret::new(GOODBUY_KEY));
}

/// A printer port that answers with the fuzzer's bytes, then goes quiet.
struct Scripted<'a> {
    answers: &'a [u8],
}

impl PrinterPort for Scripted<'_> {
    fn write_all(&mut self, _bytes: &[u8], _timeout: Duration) -> Result<(), PrinterError> {
        Ok(())
    }
    fn read(&mut self, buf: &mut [u8], _timeout: Duration) -> Result<usize, PrinterError> {
        // Quiet: an error rather than Ok(0), so `ask` does not spin until
        // its deadline.
        let Some((first, rest)) = self.answers.split_first() else {
            return Err(PrinterError::NoAnswer("script ended".into()));
        };
        let Some(slot) = buf.first_mut() else {
            return Ok(0);
        };
        *slot = *first;
        self.answers = rest;
        Ok(1)
    }
}

/// `DLE EOT` answers, stray bytes included, and their decoding.
pub fn printer_status(data: &[u8]) {
    let mut port = Scripted { answers: data };
    if let Ok(s) = status::query(&mut port, Duration::from_secs(5)) {
        let _ = s.problem();
        assert_eq!(
            status::PrinterStatus::decode(s.encode()[0], s.encode()[1], s.encode()[2]).problem(),
            s.problem(),
            "a decoded status encodes back to the same problem"
        );
    }
}

/// Paper the ESC/POS target draws at most: about 50 cm at 203 dpi, a long
/// receipt. Past it the emulator stops as it does at `MAX_PAPER_DOTS` (the
/// same check, warned the same way), so no parser path is lost, while a few
/// bytes of `ESC J 255` no longer cost each run metres of paper.
const FUZZ_PAPER_DOTS: u32 = 4_000;

/// The ESC/POS emulator (`till render`) on arbitrary bytes, for a profile
/// the first byte picks: every command parser, text in every font and
/// code page, barcodes, QR codes, raster images and page mode, laid out
/// but not painted (`layout_capped`): rasterising glyphs and choosing QR
/// masks cost nearly all of each run. The painting is run on every corpus
/// input by `tests/fuzz_corpora.rs`, which checks that both agree.
pub fn escpos(data: &[u8]) {
    // Parsed once: the shipped profiles are not what this target reads,
    // and parsing eight TOML files each run cost more than many inputs.
    static PROFILES: OnceLock<Vec<till::print::Profile>> = OnceLock::new();
    let (pick, rest) = split(data);
    let profiles = PROFILES.get_or_init(till::print::Profile::builtin_all);
    let Some(profile) = profiles.get(pick as usize % profiles.len().max(1)) else {
        return;
    };
    let _ = till::print::layout_capped(rest, profile, FUZZ_PAPER_DOTS);
}

/// The longest input report a USB HID scanner's reader takes (its buffer).
const HID_REPORT_MAX: usize = 64;

/// A USB HID scanner's input reports, as the reader thread feeds them: the
/// first byte picks the mode (HID POS with report id 2, HID POS without
/// report ids, boot keyboard), the rest is a run of reports, each led by
/// its length (at most 64, the reader's buffer). POS scans go on through
/// the scanner framing, as the reader sends them.
pub fn hid(data: &[u8]) {
    let (mode, mut rest) = split(data);
    let mut reports = Vec::new();
    while let Some((&len, tail)) = rest.split_first() {
        let (report, next) = tail.split_at((len as usize % (HID_REPORT_MAX + 1)).min(tail.len()));
        reports.push(report);
        rest = next;
    }
    let framing = Framing {
        prefix: String::new(),
        suffix: String::new(),
        strip_aim: true,
    };
    match mode % 3 {
        pos @ (0 | 1) => {
            let mut decoder = PosDecoder::new((pos == 0).then_some(2));
            let mut fed = 0;
            for report in reports {
                fed += 1;
                if let Ok(Some(scan)) = decoder.feed(report) {
                    assert!(
                        scan.data.len() <= fed * POS_DATA_LEN,
                        "a scan holds no more than the reports' data fields"
                    );
                    let _ = framing.apply(&scan.text());
                    fed = 0;
                }
            }
        }
        _ => {
            let mut keyboard = BootKeyboard::new();
            for report in reports {
                let keys = keyboard.feed(report);
                assert!(keys.len() <= 6, "a boot report has six key slots");
            }
        }
    }
}

/// The config loader on arbitrary text, and what `till` does next with a
/// config (problems, terminal id, secrets).
pub fn config(data: &[u8]) {
    if let Ok(cfg) = till::config::parse(&text(data)) {
        let _ = cfg.problems();
        let _ = cfg.terminal_id();
        let _ = cfg.secrets().len();
    }
}

/// The e-invoice QR pair (a customer's receipt scanned back) and MyPay's
/// invoice fields.
pub fn einvoice(data: &[u8]) {
    let (mode, rest) = split(data);
    let body = text(rest);
    if mode % 2 == 0 {
        let _ = till::einvoice::parse_left_qr(&body);
        let (left, right) = body.split_once('\n').unwrap_or((&body, ""));
        if let Ok((header, _items)) = till::einvoice::qr::parse_pair(left, right) {
            let _ = header.verification_matches(&Secret::new("0123456789ABCDEF0123456789ABCDEF"));
        }
    } else {
        if let Ok(f) = serde_json::from_str::<till::einvoice::mypay::MypayInvoiceFields>(&body) {
            let _ = till::einvoice::mypay::MypayInvoice::from_fields(&f);
        }
        if let Ok(info) = serde_json::from_str::<mypay::InvoiceInfo>(&body) {
            let _ = info.fields();
            let _ = info.details();
        }
    }
}

/// A target body.
pub type Target = fn(&[u8]);

/// Every target by name, for the corpus runner.
pub const TARGETS: &[(&str, Target)] = &[
    ("barcode", barcode),
    ("jkopay_answer", jkopay_answer),
    ("mypay_answer", mypay_answer),
    ("ecpay_answer", ecpay_answer),
    ("goodbuy_answer", goodbuy_answer),
    ("callback_ecpay", callback_ecpay),
    ("callback_mypay", callback_mypay),
    ("callback_goodbuy", callback_goodbuy),
    ("printer_status", printer_status),
    ("escpos", escpos),
    ("config", config),
    ("einvoice", einvoice),
    ("hid", hid),
];
