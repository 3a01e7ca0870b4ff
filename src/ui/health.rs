//! Whether the configured gateways can be reached, for the status bar.
//!
//! A plain TCP connect to each gateway's host and port every
//! [`PROBE_EVERY`], as a subscription that runs for the life of the app (a
//! stream of rounds), so a dead network shows up before a customer is at
//! the counter and the screen never waits for it. Nothing is sent: no
//! credentials, no request, just the connection.

use std::time::Duration;

use iced::Subscription;

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
pub async fn probe(host_port: &str) -> Reach {
    let addrs = match tokio::net::lookup_host(host_port).await {
        Ok(a) => a.collect::<Vec<_>>(),
        Err(e) => return Reach::Unreachable(format!("DNS: {e}")),
    };
    let mut last = String::from("no address");
    for addr in addrs {
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => return Reach::Reachable,
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = "connect timed out".to_string(),
        }
    }
    Reach::Unreachable(last)
}

/// What one round of probes found, gateway by gateway.
pub type Round = Vec<(GatewayId, Reach)>;

/// Probe `targets` now and every [`PROBE_EVERY`] while subscribed (the
/// same targets are one subscription: a new list starts a new one).
pub fn probes(targets: Vec<(GatewayId, String)>) -> Subscription<Round> {
    Subscription::run_with(targets, |targets| {
        let targets = targets.clone();
        iced::stream::channel(1, async move |mut found| {
            use iced::futures::SinkExt;
            loop {
                let mut round = Vec::new();
                for (id, hp) in &targets {
                    let reach = probe(hp).await;
                    if let Reach::Unreachable(why) = &reach {
                        tracing::warn!(gateway = id.as_str(), "gateway unreachable: {why}");
                    }
                    round.push((*id, reach));
                }
                if found.send(round).await.is_err() {
                    return;
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
        })
    })
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
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = open.local_addr().unwrap().to_string();
        assert_eq!(rt.block_on(probe(&addr)), Reach::Reachable);
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().to_string()
        };
        assert!(matches!(rt.block_on(probe(&closed)), Reach::Unreachable(_)));
    }
}
