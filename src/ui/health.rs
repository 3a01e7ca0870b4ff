//! Whether the configured gateways can be reached, for the status bar.
//!
//! A plain TCP connect to each gateway's host and port, on a thread of its
//! own every [`PROBE_EVERY`], so a dead network shows up before a customer
//! is at the counter and the screen never waits for it. Nothing is sent:
//! no credentials, no request, just the connection.

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Config;
use crate::sale::GatewayId;

pub const PROBE_EVERY: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// What the last probe of one gateway found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Reachable,
    /// Why not (DNS, refused, timed out), for the status bar's tooltip/log.
    Unreachable(String),
}

/// The gateways this configuration uses, with the host:port each is at.
pub fn targets(cfg: &Config) -> Vec<(GatewayId, String)> {
    let g = &cfg.gateways;
    let mut out = Vec::new();
    let mut add = |id, url: &str| {
        if let Some(hp) = host_port(url) {
            out.push((id, hp));
        }
    };
    if let Some(j) = &g.jkopay {
        add(GatewayId::JkoPay, &j.base_url);
    }
    if let Some(m) = &g.mypay {
        add(GatewayId::MyPay, &m.base_url);
    }
    if let Some(e) = &g.ecpay {
        add(GatewayId::Ecpay, &e.base_url);
    }
    if let Some(b) = &g.goodbuy {
        add(GatewayId::Goodbuy, &b.base_url);
    }
    out
}

/// `host:port` of an http(s) URL (default ports by scheme).
pub fn host_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    if authority.is_empty() {
        return None;
    }
    let has_port = match authority.rfind(':') {
        Some(i) => !authority[i..].contains(']'),
        None => false,
    };
    Some(if has_port {
        authority.to_string()
    } else {
        let port = if scheme.eq_ignore_ascii_case("http") {
            80
        } else {
            443
        };
        format!("{authority}:{port}")
    })
}

/// Try one connection.
pub fn probe(host_port: &str) -> Reach {
    let addrs = match host_port.to_socket_addrs() {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return Reach::Unreachable(format!("DNS: {e}")),
    };
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return Reach::Reachable,
            Err(e) => last = e.to_string(),
        }
    }
    Reach::Unreachable(last)
}

/// The probing thread and what it found last. Dropping it stops the thread.
pub struct GatewayHealth {
    found: Arc<Mutex<Vec<(GatewayId, Reach)>>>,
    _stop: mpsc::Sender<()>,
}

impl GatewayHealth {
    pub fn start(targets: Vec<(GatewayId, String)>) -> GatewayHealth {
        let found = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = mpsc::channel::<()>();
        let shared = found.clone();
        std::thread::Builder::new()
            .name("gateway-health".into())
            .spawn(move || {
                loop {
                    let round: Vec<_> = targets.iter().map(|(id, hp)| (*id, probe(hp))).collect();
                    for (id, r) in &round {
                        if let Reach::Unreachable(why) = r {
                            tracing::warn!(gateway = id.as_str(), "gateway unreachable: {why}");
                        }
                    }
                    if let Ok(mut f) = shared.lock() {
                        *f = round;
                    }
                    // The wait doubles as the stop signal: the app dropped us.
                    match stopped.recv_timeout(PROBE_EVERY) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        _ => break,
                    }
                }
            })
            .ok();
        GatewayHealth { found, _stop: stop }
    }

    /// The last round's findings (empty until the first round finished).
    pub fn found(&self) -> Vec<(GatewayId, Reach)> {
        self.found.lock().map(|f| f.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_come_from_the_base_url() {
        assert_eq!(
            host_port("https://uat-onlinepay.jkopay.app/platform").as_deref(),
            Some("uat-onlinepay.jkopay.app:443")
        );
        assert_eq!(
            host_port("http://127.0.0.1:8081/api").as_deref(),
            Some("127.0.0.1:8081")
        );
        assert_eq!(
            host_port("http://localhost").as_deref(),
            Some("localhost:80")
        );
        assert_eq!(host_port("not a url"), None);
    }

    #[test]
    fn a_listening_port_is_reachable_and_a_closed_one_is_not() {
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = open.local_addr().unwrap().to_string();
        assert_eq!(probe(&addr), Reach::Reachable);
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        assert!(matches!(probe(&closed), Reach::Unreachable(_)));
    }
}
