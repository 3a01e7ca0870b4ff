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
