//! The fuzz targets' corpora (fuzz/corpus/TARGET, plus the inputs that once
//! crashed a target, fuzz/regressions/TARGET) run through the same target
//! bodies as `cargo +nightly fuzz run`, here on stable: a parser that panics
//! on any input the fuzzer ever found interesting fails `cargo test`.
//!
//! `cargo test --test payments -- --ignored write_seed_corpus` writes
//! the seeds the corpora started from (built from the unit tests' vectors).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_input_runs_through_its_target_without_a_panic() {
    let mut failed = Vec::new();
    for (name, target) in targets::TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(name));
        assert!(
            corpus.len() >= 3,
            "fuzz/corpus/{name} holds {} inputs: the corpus is missing",
            corpus.len()
        );
        let regressions = inputs(&fuzz_dir().join("regressions").join(name));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).unwrap();
            if catch_unwind(AssertUnwindSafe(|| target(&data))).is_err() {
                failed.push(file.display().to_string());
            }
        }
    }
    assert!(failed.is_empty(), "targets panicked on: {failed:#?}");
}

#[test]
fn escpos_inputs_drawn_and_only_laid_out_give_the_same_paper_and_report() {
    // The escpos target lays out without painting; here every corpus input
    // is also drawn (the painting code on the fuzzer's inputs) and the two
    // must agree.
    let profiles = till::print::Profile::builtin_all();
    let dir = fuzz_dir().join("corpus").join("escpos");
    let mut checked = 0;
    for file in inputs(&dir)
        .iter()
        .chain(&inputs(&fuzz_dir().join("regressions/escpos")))
    {
        let data = std::fs::read(file).unwrap();
        let Some((pick, rest)) = data.split_first() else {
            continue;
        };
        let profile = &profiles[*pick as usize % profiles.len()];
        let drawn = till::print::render_capped(rest, profile, 4_000);
        let laid_out = till::print::layout_capped(rest, profile, 4_000);
        assert_eq!(
            (laid_out.paper_dots, &laid_out.report),
            (drawn.image.height(), &drawn.report),
            "{}",
            file.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "{checked} escpos inputs");
}

#[test]
fn a_target_that_panics_is_caught() {
    // The runner's own check: a panicking parser is reported, not missed.
    let panicky: fn(&[u8]) = |d| assert!(d.is_empty(), "boom");
    assert!(catch_unwind(|| panicky(b"x")).is_err());
}

/// Writes the seeds: the unit tests' vectors, sealed with the targets' keys
/// where a target reads through a cipher.
#[test]
#[ignore = "writes fuzz/corpus seeds; run by hand when a target is added"]
fn write_seed_corpus() {
    use till::Ntd;
    use till::gateway::ecpay::{self, OrderInfo, PaymentResult, ResponseEnvelope, ReturnData};
    use till::gateway::{goodbuy, mypay};
    use till::secret::Secret;

    let root = fuzz_dir().join("corpus");
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    };
    let with_mode = |mode: u8, body: &[u8]| {
        let mut v = vec![mode];
        v.extend_from_slice(body);
        v
    };
    let form = |pairs: &[(&str, String)]| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
            .finish()
    };

    // ECPay: a ReturnURL notice and an answer, sealed with the fuzz key.
    let cfg = targets::ecpay_config();
    let mut notice = ReturnData::default();
    notice.merchant_id = cfg.merchant_id.clone();
    notice.order_info = Some(OrderInfo {
        merchant_trade_no: "D0120261122000001".into(),
        trade_no: "2411221234567890".into(),
        trade_amt: Some(Ntd::new(7002)),
        trade_status: "1".into(),
        ..OrderInfo::default()
    });
    notice.set_result(1, "成功");
    let plain = serde_json::to_string(&notice).unwrap();
    let env = ResponseEnvelope::seal(&cfg, 1, "", &notice, till::taipei::now()).unwrap();
    let env_json = serde_json::to_string(&env).unwrap();
    write(
        "callback_ecpay",
        "notice",
        &with_mode(0, env_json.as_bytes()),
    );
    write(
        "callback_ecpay",
        "notice-plain",
        &with_mode(1, plain.as_bytes()),
    );
    notice.set_simulated(true);
    let simulated = serde_json::to_string(&notice).unwrap();
    write(
        "callback_ecpay",
        "simulated",
        &with_mode(1, simulated.as_bytes()),
    );
    let result = PaymentResult::default();
    let answer = ResponseEnvelope::seal(&cfg, 1, "Success", &result, till::taipei::now()).unwrap();
    let answer_json = serde_json::to_string(&answer).unwrap();
    write(
        "ecpay_answer",
        "answer",
        &with_mode(0, answer_json.as_bytes()),
    );
    write(
        "ecpay_answer",
        "result-plain",
        &with_mode(1, serde_json::to_string(&result).unwrap().as_bytes()),
    );
    write(
        "ecpay_answer",
        "notice-plain",
        &with_mode(1, plain.as_bytes()),
    );
    write(
        "ecpay_answer",
        "data",
        &with_mode(2, answer.data.as_bytes()),
    );
    write(
        "ecpay_answer",
        "rejected",
        &with_mode(
            0,
            br#"{"MerchantID":"3002607","RpHeader":{"Timestamp":1234564848},"TransCode":999,"TransMsg":"Fail","Data":""}"#,
        ),
    );

    // MyPay: an envelope the till sends, the answers it reads.
    let key = Secret::new(targets::MYPAY_KEY);
    let sealed = mypay::Envelope::seal_with_ivs(
        mypay::Mode::Agent,
        "A1234",
        &key,
        mypay::Cmd::QueryDirect,
        &serde_json::json!({"store_uid": "S1", "order_id": "D0120261122000001"}),
        [1; 16],
        [2; 16],
    )
    .unwrap();
    let fields = sealed.form_fields();
    let env_form = form(&fields.map(|(k, v)| (k, v)));
    write(
        "mypay_answer",
        "envelope",
        &with_mode(0, env_form.as_bytes()),
    );
    write(
        "mypay_answer",
        "plain",
        &with_mode(1, br#"{"store_uid":"S1","cost":100}"#),
    );
    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/gateway/mypay/testdata");
    for file in inputs(&testdata) {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        write(
            "mypay_answer",
            &name,
            &with_mode(2, &std::fs::read(&file).unwrap()),
        );
        if name.starts_with("queryorder") {
            write(
                "einvoice",
                &name,
                &with_mode(1, &std::fs::read(&file).unwrap()),
            );
        }
    }
    write(
        "mypay_answer",
        "transaction",
        &with_mode(
            2,
            br#"{"code":"250","msg":"ok","uid":"123","key":"k","prc":"250","cost":100,"order_id":"D0120261122000001"}"#,
        ),
    );
    let record = mypay::PaymentRecord {
        uid: "123456".into(),
        prc: "250".into(),
        order_id: "D0120261122000001".into(),
        ..mypay::PaymentRecord::default()
    };
    let pairs: Vec<(String, String)> = serde_json::to_value(&record)
        .unwrap()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or(v.to_string(), str::to_string)))
        .collect();
    let notify = form(
        &pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect::<Vec<_>>(),
    );
    write("callback_mypay", "notify", notify.as_bytes());
    write(
        "callback_mypay",
        "short",
        b"order_id=D0120261122000001&prc=250",
    );
    write("callback_mypay", "bad-order", b"order_id=%FF%FE&prc=250");

    // goodbuy: a callback with a valid check value, answers.
    let agent = Secret::new(targets::GOODBUY_KEY);
    let trade = "D0120261122000002";
    let cb = form(&[
        ("code", "200".into()),
        ("status", "success".into()),
        ("mch_order_id", trade.into()),
        ("pay_amount", "9601".into()),
        ("date", "2026-11-22 10:00:00".into()),
        ("chk_value", goodbuy::chk_value(trade, &agent)),
    ]);
    write("callback_goodbuy", "paid", cb.as_bytes());
    write(
        "callback_goodbuy",
        "forged",
        b"code=200&mch_order_id=D0120261122000002&chk_value=00",
    );
    write(
        "callback_goodbuy",
        "failed",
        b"code=521&status=x&mch_order_id=D0120261122000002",
    );
    write("goodbuy_answer", "callback", &with_mode(2, cb.as_bytes()));
    write(
        "goodbuy_answer",
        "status",
        &with_mode(
            0,
            br#"{"code":"200","status":"ok","datas":"{\"status\":\"paid\",\"pay_amount\":\"9601\",\"date\":\"2026-11-22 10:00:00\"}"}"#,
        ),
    );
    write(
        "goodbuy_answer",
        "error",
        &with_mode(0, br#"{"code":521,"status":"x"}"#),
    );
    write(
        "goodbuy_answer",
        "page",
        &with_mode(1, b"<html><body><form action=\"/pay\"><input name=\"a\" value=\"1\"></form>ATM 822-1234567890</body></html>"),
    );

    // JKoPay answers (the spec's sample and the unit tests' shapes).
    for (name, body) in [
        (
            "ok",
            r#"{"StatusCode":"000","StatusDesc":"成功","IsRep":0,"GateWayTradeNo":"G1","TradeNo":"J1","TradeAmount":10,"Extra3":"{\"CardName\":\"x\",\"CardNo\":\"1234\"}"}"#,
        ),
        (
            "signed",
            r#"{"StatusCode":"000","TradeAmount":10,"Sign":"0000000000000000000000000000000000000000000000000000000000000000"}"#,
        ),
        (
            "declined",
            r#"{"StatusCode":"911","StatusDesc":"餘額不足"}"#,
        ),
        ("rep", r#"{"StatusCode":"000","IsRep":"1"}"#),
    ] {
        write("jkopay_answer", name, body.as_bytes());
    }

    // Scans: every context's shapes.
    for (name, scan) in [
        ("ean13", "4710088410122"),
        ("upca", "036000291452"),
        ("jko", "22J111111111111111"),
        ("linepay", "314818461832250045"),
        ("alipay", "289431869362714645"),
        ("twqr", "99801094201203406104"),
        ("carrier", "/ABC+123"),
        ("citizen", "AB12345678901234"),
        ("ban", "22099131"),
        ("donation", "8585"),
    ] {
        write("barcode", name, scan.as_bytes());
    }

    // Printer status answers, stray bytes between them.
    write("printer_status", "healthy", &[0x12, 0x12, 0x12]);
    write("printer_status", "paper-end", &[0x1a, 0x32, 0x7e]);
    write(
        "printer_status",
        "stray",
        &[0x00, 0xff, 0x12, 0x41, 0x16, 0x12],
    );

    // ESC/POS: what `till` prints, for the first profiles.
    for (i, profile) in till::print::Profile::builtin_all()
        .iter()
        .take(3)
        .enumerate()
    {
        let doc = till::print::receipt_document(&till::print::samples::receipt());
        let bytes = till::print::encode(&doc, profile).unwrap();
        write(
            "escpos",
            &format!("receipt-{i}"),
            &with_mode(i as u8, &bytes),
        );
        let proof = till::print::proof_document(&till::print::samples::proof());
        let bytes = till::print::encode(&proof, profile).unwrap();
        write("escpos", &format!("proof-{i}"), &with_mode(i as u8, &bytes));
    }

    // Config: the example file and the demo config.
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/config.example.toml");
    write("config", "example", &std::fs::read(example).unwrap());
    write("config", "minimal", b"[terminal]\nid = \"T01\"\n");
    write("config", "broken", b"[gateways.jkopay]\nkey = \"abc\n");

    // E-invoice QR codes.
    let p = till::print::samples::proof();
    write("einvoice", "left", &with_mode(0, p.left_qr.as_bytes()));
    write(
        "einvoice",
        "pair",
        &with_mode(0, format!("{}\n{}", p.left_qr, p.right_qr).as_bytes()),
    );
    write(
        "einvoice",
        "mypay-fields",
        &with_mode(
            1,
            br#"{"invoice_state":"2","invoice_date":"20261122","invoice_wordtrack":"AB","invoice_number":"12345678","invoice_rand_code":"1234","invoice_seller_ban":"12345675"}"#,
        ),
    );
    let _ = ecpay::urlencode("x");

    // USB HID scanner reports (tests/scanner_hid.rs's recordings), each led
    // by its length; mode 0 = HID POS with report id 2, 1 = without, 2 =
    // boot keyboard.
    let reports = |mode: u8, reports: &[Vec<u8>]| {
        let mut v = vec![mode];
        for r in reports {
            v.push(r.len() as u8);
            v.extend_from_slice(r);
        }
        v
    };
    let mut ean13 = vec![0u8; 64];
    ean13[..18].copy_from_slice(b"\x02\x0d]E04710088123456");
    ean13[61] = b'd';
    let code = format!("TWQR:{}WXYZA", "0123456789".repeat(5));
    let mut first = vec![0u8; 64];
    first[..5].copy_from_slice(b"\x02\x38]Q1");
    first[5..61].copy_from_slice(&code.as_bytes()[..56]);
    first[63] = 1;
    let mut second = vec![0u8; 64];
    second[..5].copy_from_slice(b"\x02\x04]Q1");
    second[5..9].copy_from_slice(&code.as_bytes()[56..]);
    write("hid", "pos-ean13", &reports(0, &[ean13.clone()]));
    write(
        "hid",
        "pos-two-reports",
        &reports(0, &[first, second, ean13.clone()]),
    );
    write("hid", "pos-no-id", &reports(1, &[ean13[1..].to_vec()]));
    let key = |modifier: u8, codes: &[u8]| {
        let mut r = vec![modifier, 0, 0, 0, 0, 0, 0, 0];
        r[2..2 + codes.len()].copy_from_slice(codes);
        r
    };
    let up = key(0, &[]);
    write(
        "hid",
        "keyboard-ab1",
        &reports(
            2,
            &[
                key(0x02, &[0x04]),
                up.clone(),
                key(0, &[0x05]),
                up.clone(),
                key(0, &[0x1e]),
                up.clone(),
                key(0x20, &[0x1e]),
                up.clone(),
                key(0, &[0x28]),
                up.clone(),
            ],
        ),
    );
    write(
        "hid",
        "keyboard-held-and-rollover",
        &reports(
            2,
            &[
                key(0, &[0x1f]),
                key(0, &[0x1f, 0x20]),
                key(0, &[0x20]),
                key(0, &[1, 1, 1, 1, 1, 1]),
                up,
            ],
        ),
    );
}
