//! A logged workflow never writes a configured secret or a full payment code.

use std::io::Write;
use std::sync::{Arc, Mutex};

use till::config::{self, Config};
use till::logging::{RedactingMakeWriter, Redactor};

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Sink {
        self.clone()
    }
}

#[test]
fn no_secret_or_full_payment_code_reaches_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    config::create_private(&path, config::EXAMPLE).unwrap();
    let cfg: Config = config::load(&path).unwrap();
    let secrets: Vec<String> = cfg
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(secrets.len(), 6, "every kind of secret is exercised");

    let redactor = Redactor::new();
    for s in cfg.secrets() {
        redactor.add_secret(s);
    }
    let sink = Sink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(RedactingMakeWriter::new(redactor.clone(), sink.clone()))
        .finish();

    let card_token = "22J111111111111111";
    let wechat_code = "134567890123456789";
    tracing::subscriber::with_default(subscriber, || {
        tracing::debug!(?cfg, "loaded configuration");
        // A scanned code is registered before anything about it is logged.
        redactor.add_payment_code(card_token);
        tracing::info!(code = card_token, amount = 10, "JKoPay payment sending");
        // Values that escaped their Secret wrapper, as a careless error path would log them.
        let j = cfg.gateways.jkopay.as_ref().unwrap();
        tracing::warn!(
            "gateway said: bad sign for key {} body {{\"key\":\"{}\"}}",
            j.merchant_key.expose(),
            cfg.gateways.ecpay.as_ref().unwrap().hash_iv.expose()
        );
        let m = cfg.gateways.mypay.as_ref().unwrap();
        tracing::error!(url = %format!("{}?key={}", m.base_url, m.key.expose()), "request failed");
        tracing::info!(
            "qr key {} agent key {} hash key {}",
            cfg.einvoice.qr_key.expose(),
            cfg.gateways.goodbuy.as_ref().unwrap().agent_key.expose(),
            cfg.gateways.ecpay.as_ref().unwrap().hash_key.expose()
        );
        // An unregistered wallet code is still masked by shape.
        tracing::info!("MyPay OFFLINE code {wechat_code} approved");
    });

    let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("JKoPay payment sending"),
        "the workflow was logged:\n{log}"
    );
    assert!(
        log.contains("22J1************11"),
        "codes appear masked:\n{log}"
    );
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "secret leaked:\n{log}");
    }
    assert!(!log.contains(card_token), "full CardToken leaked:\n{log}");
    assert!(
        !log.contains(wechat_code),
        "full wallet code leaked:\n{log}"
    );
}

mod cli {
    //! The real binary, at `TILL_LOG=trace`, through every gateway, a
    //! refund, a callback and a crash recovery; then its output, its logs
    //! and a dump of every journal table are searched for the configured
    //! keys and the full payment codes. ECPay's bound-card payments are
    //! taken only by the GUI, so those two run in the test's own process,
    //! logged as the binary logs (trace level, through a redactor that
    //! holds the config's secrets) into the same journal; the binary then
    //! refunds one and takes ECPay's ReturnURL notice for the other.

    use std::io::{BufRead, BufReader, Read, Write};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output, Stdio};

    use till::config::{self, Config};
    use till::gateway::client::PayWith;
    use till::gateway::ecpay::{EcpayConfig, OrderInfo, ResponseEnvelope, ReturnData};
    use till::journal::AttemptState;
    use till::logging::{RedactingMakeWriter, Redactor};
    use till::money::Ntd;
    use till::sale::{Cart, Line};
    use till::sim::Simulators;
    use till::terminal::{Payments, Tender, Terminal};

    use super::Sink;
    use crate::cli_support::plain_locale;

    const JKO: &str = "22J111111111111111";
    const LINE_PAY: &str = "123456789012345678";
    const MANAGER_PIN: &str = "2468";

    fn till(cfg: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_till"));
        plain_locale(&mut c);
        // HOME too: whatever the till writes (printed PNGs, data) stays
        // in the test's directory, where its names are searched.
        c.arg("--config")
            .arg(cfg)
            .env("HOME", cfg.parent().unwrap())
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("TILL_CONFIG")
            .env("TILL_LOG", "trace");
        c
    }

    /// Everything a run printed, stdout and stderr (where the log goes).
    fn text(o: &Output) -> String {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    }

    fn run(cmd: &mut Command, stdin: &str) -> Output {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn json_of(o: &Output) -> serde_json::Value {
        let out = String::from_utf8_lossy(&o.stdout);
        let line = out
            .lines()
            .rev()
            .find(|l| l.starts_with('{'))
            .unwrap_or_else(|| panic!("no JSON in: {}", text(o)));
        serde_json::from_str(line).unwrap()
    }

    /// Every value in every table, as text.
    fn journal_dump(path: &Path) -> String {
        let db = rusqlite::Connection::open(path).unwrap();
        let tables: Vec<String> = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let mut dump = String::new();
        for t in tables {
            let mut stmt = db.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
            let n = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..n {
                    use rusqlite::types::ValueRef;
                    match row.get_ref(i).unwrap() {
                        ValueRef::Text(b) | ValueRef::Blob(b) => {
                            dump.push_str(&String::from_utf8_lossy(b));
                        }
                        ValueRef::Integer(v) => dump.push_str(&v.to_string()),
                        _ => {}
                    }
                    dump.push('\t');
                }
                dump.push('\n');
            }
        }
        dump
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_gateway_a_refund_a_callback_and_a_recovery_leak_nothing() {
        let sims = Simulators::start_all().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let journal: PathBuf = dir.path().join("journal.sqlite3");
        let mut cfg: Config = sims.demo_config();
        cfg.journal.path = Some(journal.clone());
        let cfg_path = dir.path().join("till.toml");
        config::create_private(&cfg_path, &toml::to_string(&cfg).unwrap()).unwrap();
        let secrets: Vec<String> = cfg
            .secrets()
            .iter()
            .map(|s| s.expose().to_string())
            .filter(|s| s.len() >= 4)
            .collect();
        assert!(secrets.len() >= 5, "the simulators' keys are configured");
        let goodbuy_key = cfg.gateways.goodbuy.as_ref().unwrap().agent_key.clone();
        // Every kind of key the brief names is configured and searched for.
        let g = &cfg.gateways;
        for key in [
            g.ecpay.as_ref().unwrap().hash_key.expose(),
            g.ecpay.as_ref().unwrap().hash_iv.expose(),
            g.mypay.as_ref().unwrap().key.expose(),
            g.jkopay.as_ref().unwrap().merchant_key.expose(),
            cfg.einvoice.qr_key.expose(),
        ] {
            assert!(
                secrets.iter().any(|s| s == key),
                "{} keys searched",
                secrets.len()
            );
        }

        // ECPay in this process: the binary's logging, a bound card paid
        // (NT$500), and one whose answer is lost (7002, DROP: charged, the
        // till waits for the ReturnURL notice).
        let redactor = Redactor::new();
        for s in cfg.secrets() {
            redactor.add_secret(s);
        }
        let sink = Sink::default();
        tracing::subscriber::set_global_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(RedactingMakeWriter::new(redactor, sink.clone()))
                .finish(),
        )
        .unwrap();
        let (ecpay_paid, ecpay_waiting) = {
            let mut t = Terminal::open_at(&cfg, &journal, false).unwrap();
            let payments = Payments::from_config(&cfg).unwrap();
            let mut trades = Vec::new();
            for (amount, state) in [(500, AttemptState::Approved), (7002, AttemptState::Unknown)] {
                let mut cart = Cart::new();
                cart.add(Line::new("4710000000028", "拿鐵 Latte", 1, Ntd::new(amount)).unwrap())
                    .unwrap();
                let sale = t.open_sale_as(&cart, "test").unwrap();
                let card = Tender::With(PayWith::BoundCard {
                    bind_card_id: "BIND0001".into(),
                    member_id: "member42".into(),
                });
                let res = t
                    .pay(&payments, &sale, card, Ntd::new(amount), vec![])
                    .await
                    .unwrap();
                assert_eq!(res.state, state, "{}", res.message);
                trades.push(res.trade_no);
            }
            (trades[0].clone(), trades[1].clone())
        };
        let ec = cfg.gateways.ecpay.as_ref().unwrap();
        let ecpay_cfg = EcpayConfig {
            url: String::new(),
            merchant_id: ec.merchant_id.clone(),
            platform_id: ec.platform_id.clone(),
            hash_key: ec.hash_key.clone(),
            hash_iv: ec.hash_iv.clone(),
            return_url: String::new(),
        };
        // ECPay's ReturnURL notice for the payment whose answer was lost.
        let return_url_body = {
            let mut data = ReturnData::default();
            data.merchant_id = ecpay_cfg.merchant_id.clone();
            data.order_info = Some(OrderInfo {
                merchant_trade_no: ecpay_waiting.clone(),
                trade_no: "2411221234567890".into(),
                trade_amt: Some(Ntd::new(7002)),
                trade_status: "1".into(),
                ..OrderInfo::default()
            });
            data.set_result(1, "成功");
            let env =
                ResponseEnvelope::seal(&ecpay_cfg, 1, "", &data, till::taipei::now()).unwrap();
            serde_json::to_string(&env).unwrap()
        };

        let c = cfg_path.clone();
        let rt = tokio::runtime::Handle::current();
        let outputs = tokio::task::spawn_blocking(move || {
            let mut all = String::new();
            let o = run(
                till(&c).args(["user", "add", "店長", "--role", "manager"]),
                &format!("{MANAGER_PIN}\n"),
            );
            assert!(o.status.success(), "{}", text(&o));
            all += &text(&o);

            // JKoPay, MyPay (LINE Pay code) and goodbuy (pay at a store).
            let jko = run(
                till(&c).args(["pay", "--amount", "120", "--barcode", JKO, "--json"]),
                "",
            );
            assert_eq!(jko.status.code(), Some(0), "{}", text(&jko));
            all += &text(&jko);
            let jko_trade = json_of(&jko)["trade_no"].as_str().unwrap().to_string();
            let line = run(
                till(&c).args(["pay", "--amount", "130", "--barcode", LINE_PAY, "--json"]),
                "",
            );
            assert_eq!(line.status.code(), Some(0), "{}", text(&line));
            all += &text(&line);
            let later = run(
                till(&c).args([
                    "pay",
                    "--amount",
                    "9601",
                    "--pay-later",
                    "store",
                    "--phone",
                    "0912345678",
                    "--payer",
                    "王小明",
                    "--json",
                ]),
                "",
            );
            all += &text(&later);
            let later_trade = json_of(&later)["trade_no"].as_str().unwrap().to_string();

            // A refund of the JKoPay sale, the manager's PIN on stdin.
            let refund = run(
                till(&c).args([
                    "refund",
                    "--trade",
                    &jko_trade,
                    "--reason",
                    "客訴",
                    "--manager",
                    "店長",
                    "--json",
                ]),
                &format!("{MANAGER_PIN}\n"),
            );
            assert_eq!(refund.status.code(), Some(0), "{}", text(&refund));
            all += &text(&refund);
            // And of the ECPay one (ECPG's refund call is not in the
            // documents: the till says so; whatever it says is searched).
            let refund = run(
                till(&c).args([
                    "refund",
                    "--trade",
                    &ecpay_paid,
                    "--reason",
                    "客訴",
                    "--manager",
                    "店長",
                    "--json",
                ]),
                &format!("{MANAGER_PIN}\n"),
            );
            assert!(!text(&refund).is_empty());
            all += &text(&refund);

            // The callback server, and goodbuy's notice once the customer paid.
            let mut server = till(&c)
                .args(["callback-server", "--listen", "127.0.0.1:0"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut first = String::new();
            BufReader::new(server.stdout.as_mut().unwrap())
                .read_line(&mut first)
                .unwrap();
            let base = first
                .split_whitespace()
                .find(|w| w.starts_with("http://"))
                .unwrap_or_else(|| panic!("no address in {first:?}"))
                .trim_end_matches('/')
                .to_string();
            assert!(sims.goodbuy.customer_pays(&later_trade));
            let form = [
                ("code", "200".to_string()),
                ("status", "success".to_string()),
                ("mch_order_id", later_trade.clone()),
                ("pay_amount", "9601".to_string()),
                ("date", "2026-11-22 10:00:00".to_string()),
                (
                    "chk_value",
                    till::gateway::goodbuy::chk_value(&later_trade, &goodbuy_key),
                ),
            ];
            let status = rt.block_on(async {
                let http = reqwest::Client::builder().no_proxy().build().unwrap();
                let resp = http
                    .post(format!("{base}/goodbuy/return"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap();
                resp.status().as_u16()
            });
            assert_eq!(status, 200);
            // ECPay's ReturnURL notice, and MyPay's (unsigned) notice of the
            // LINE Pay payment.
            let line_trade = json_of(&line)["trade_no"].as_str().unwrap().to_string();
            let answers = rt.block_on(async {
                let http = reqwest::Client::builder().no_proxy().build().unwrap();
                let ecpay = http
                    .post(format!("{base}/ecpay/return"))
                    .header("content-type", "application/json")
                    .body(return_url_body)
                    .send()
                    .await
                    .unwrap();
                let ecpay = (ecpay.status().as_u16(), ecpay.text().await.unwrap());
                let mypay = http
                    .post(format!("{base}/mypay/notify"))
                    .form(&[
                        ("order_id", line_trade.as_str()),
                        ("prc", "250"),
                        ("cost", "130"),
                    ])
                    .send()
                    .await
                    .unwrap();
                (
                    ecpay,
                    (mypay.status().as_u16(), mypay.text().await.unwrap()),
                )
            });
            assert_eq!(answers.0, (200, "1|OK".to_string()));
            assert_eq!(answers.1, (200, "8888".to_string()));
            server.kill().unwrap();
            let mut server_out = String::new();
            server
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut server_out)
                .unwrap();
            server.wait().unwrap();
            all += &first;
            all += &server_out;

            // A crash between the gateway's answer and the journal, then recovery.
            let mut crash = till(&c)
                .args(["pay", "--amount", "150", "--barcode", JKO, "--json"])
                .env("TILL_TEST_HOLD_AFTER_ANSWER", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut err = BufReader::new(crash.stderr.take().unwrap());
            let mut log = String::new();
            loop {
                let mut l = String::new();
                if err.read_line(&mut l).unwrap() == 0 {
                    panic!("till pay ended before the hook: {log}");
                }
                log += &l;
                if l.contains(till::terminal::payment::CRASH_HOOK_MARK) {
                    break;
                }
            }
            crash.kill().unwrap();
            crash.wait().unwrap();
            all += &log;
            let recover = run(till(&c).args(["recover", "--json"]), "");
            assert_eq!(recover.status.code(), Some(0), "{}", text(&recover));
            all += &text(&recover);

            for args in [
                vec!["history", "--json"],
                vec!["journal", "verify"],
                vec!["late-payments"],
                vec!["print", "test"],
            ] {
                all += &text(&run(till(&c).args(&args), ""));
            }
            all
        })
        .await
        .unwrap();
        let in_process = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(
            in_process.contains("ECPay") || in_process.contains("ecpay"),
            "the ECPay payments were logged:\n{in_process}"
        );
        let outputs = outputs + &in_process;
        // The ReturnURL notice settled the payment whose answer was lost.
        let t = Terminal::open_at(&cfg, &journal, false).unwrap();
        let rec = t
            .journal()
            .attempt(&ecpay_waiting.parse().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(rec.state, AttemptState::Approved);
        drop(t);

        assert!(
            outputs.contains("payment sent")
                || outputs.contains("DEBUG")
                || outputs.contains("TRACE"),
            "the runs logged at trace level:\n{outputs}"
        );
        let dump = journal_dump(&journal);
        let mut names = String::new();
        let mut dirs = vec![dir.path().to_path_buf()];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                names.push_str(&p.to_string_lossy());
                names.push('\n');
                if p.is_dir() {
                    dirs.push(p);
                }
            }
        }
        assert!(dump.contains("22J1"), "the journal holds the masked code");
        assert!(names.contains(".png"), "a job was printed:\n{names}");
        for (what, hay) in [
            ("output and logs", &outputs),
            ("journal", &dump),
            ("file names", &names),
        ] {
            for s in &secrets {
                assert!(!hay.contains(s.as_str()), "a key in the {what}:\n{hay}");
            }
            for code in [JKO, LINE_PAY] {
                assert!(
                    !hay.contains(code),
                    "full code {code} in the {what}:\n{hay}"
                );
            }
        }
    }
}
