//! Which gateways this till charges through, and which one a tender goes
//! to: the construction and routing code, the one part of the payment
//! floor that names vendors.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::{PayCancel, PayError, PayEvent, ResolvePolicy};
use crate::barcode::{self, ScanContext, Scanned};
use crate::config::Config;
use crate::gateway::client::{Gateway, NotSent, PayWith};
use crate::gateway::ecpay::client::EcpayClient;
use crate::gateway::goodbuy::client::GoodbuyClient;
use crate::gateway::jkopay::client::JkoClient;
use crate::gateway::mypay::client::MyPayClient;
use crate::journal::MaskedCode;
use crate::locale::Text;
use crate::sale::{GatewayId, PayMethod, Wallet};

/// The gateways a till can charge through, and who watches the progress.
#[derive(Clone, Default)]
pub struct Payments {
    pub(super) gateways: HashMap<GatewayId, Arc<dyn Gateway>>,
    /// MyPay PayPage (see [`super::paypage`]).
    pub(super) paypage: Option<Arc<dyn crate::gateway::client::PayPageGateway>>,
    pub(super) policy: ResolvePolicy,
    pub(super) events: Option<UnboundedSender<PayEvent>>,
    /// The cashier's cancel of the payment in flight (see
    /// [`Payments::with_cancel`]).
    pub(super) cancel: Option<PayCancel>,
    /// The configuration e-invoice changes are made with when `recover` or
    /// `query` settles a refund in doubt (see [`Payments::with_invoicing`]).
    pub(super) invoicing: Option<Arc<Config>>,
    /// Seals JKoPay CardTokens for the journal (key from the merchant key).
    pub(super) token_seal: Option<crate::gateway::jkopay::seal::TokenSeal>,
    /// MyPay issues the e-invoices (`[einvoice] issuer = "mypay"`).
    pub(super) mypay_issues: bool,
}

impl std::fmt::Debug for Payments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut ids: Vec<_> = self.gateways.keys().map(|g| g.as_str()).collect();
        ids.sort_unstable();
        f.debug_struct("Payments")
            .field("gateways", &ids)
            .field("policy", &self.policy)
            .finish()
    }
}

/// Where ECPay should post its ReturnURL notification when the config does
/// not say (the config has no field for it yet): `till callback-server`'s
/// default address.
pub const DEFAULT_ECPAY_RETURN_URL: &str = "http://127.0.0.1:8089/ecpay/return";

impl Payments {
    pub fn new() -> Payments {
        Payments::default()
    }

    /// A client for every gateway the configuration has a section for.
    pub fn from_config(cfg: &Config) -> Result<Payments, NotSent> {
        let mut p = Payments::new().with_invoicing(cfg);
        p.mypay_issues = cfg.einvoice.issuer == crate::config::InvoiceIssuer::Mypay;
        let g = &cfg.gateways;
        if let Some(c) = &g.jkopay {
            p = p.with_gateway(Arc::new(JkoClient::from_config(c)?));
            p.token_seal = Some(crate::gateway::jkopay::seal::TokenSeal::from_merchant_key(
                &c.merchant_key,
            ));
        }
        if let Some(c) = &g.mypay {
            let mypay = MyPayClient::from_config(c)?
                .issuing_invoices(cfg.einvoice.issuer == crate::config::InvoiceIssuer::Mypay);
            p = p.with_gateway(Arc::new(mypay));
        }
        if let Some(c) = &g.ecpay {
            let return_url = if !c.return_url.is_empty() {
                c.return_url.clone()
            } else {
                g.goodbuy
                    .as_ref()
                    .filter(|b| !b.return_url.is_empty())
                    .map(|b| ecpay_return_url(&b.return_url))
                    .unwrap_or_else(|| DEFAULT_ECPAY_RETURN_URL.to_string())
            };
            p = p.with_gateway(Arc::new(EcpayClient::from_config(c, &return_url)?));
        }
        if let Some(c) = &g.goodbuy {
            p = p.with_gateway(Arc::new(GoodbuyClient::from_config(c)?));
        }
        if let Some(c) = &g.mypay {
            // A PayPage order asks for the invoice too (with the buyer's choice).
            let page = MyPayClient::from_config(c)?.issuing_invoices(p.mypay_issues);
            p.paypage = Some(Arc::new(page));
        }
        Ok(p)
    }

    /// Add or replace the client for `gateway.id()`.
    pub fn with_gateway(mut self, gateway: Arc<dyn Gateway>) -> Payments {
        self.gateways.insert(gateway.id(), gateway);
        self
    }

    /// Make the e-invoice void/allowance of a refund that `recover` or
    /// `query` settles later, with this configuration (its Turnkey folder,
    /// its issuer). [`Payments::from_config`] sets it; without it such a
    /// refund's invoice is left for [`Terminal::refund_sale`]'s caller.
    pub fn with_invoicing(mut self, cfg: &Config) -> Payments {
        self.invoicing = Some(Arc::new(cfg.clone()));
        self
    }

    pub fn with_policy(mut self, policy: ResolvePolicy) -> Payments {
        self.policy = policy;
        self
    }

    /// Send progress to this channel (the GUI's subscription).
    pub fn with_events(mut self, events: UnboundedSender<PayEvent>) -> Payments {
        self.events = Some(events);
        self
    }

    /// Let the cashier stop waiting for a payment's answer through this
    /// signal (see [`PayCancel`]).
    pub fn with_cancel(mut self, cancel: PayCancel) -> Payments {
        self.cancel = Some(cancel);
        self
    }

    pub fn policy(&self) -> &ResolvePolicy {
        &self.policy
    }

    pub(in crate::terminal) fn invoicing(&self) -> Option<&Arc<Config>> {
        self.invoicing.as_ref()
    }

    pub fn gateway(&self, id: GatewayId) -> Result<Arc<dyn Gateway>, PayError> {
        self.gateways
            .get(&id)
            .cloned()
            .ok_or(PayError::NoGateway(id))
    }

    /// The gateway that issues e-invoices with its payments (MyPay with
    /// `[einvoice] issuer = "mypay"`), asked for the ones it still owes.
    pub(in crate::terminal) fn invoice_issuer(&self) -> Result<Arc<dyn Gateway>, PayError> {
        self.gateways
            .values()
            .find(|g| g.rules().invoices_with_payment())
            .cloned()
            .ok_or(PayError::NoGateway(GatewayId::MyPay))
    }
}

/// The ECPay ReturnURL served by the same callback server as goodbuy's.
fn ecpay_return_url(goodbuy_return_url: &str) -> String {
    match goodbuy_return_url.find("://").map(|i| i + 3) {
        Some(start) => {
            let host_end = goodbuy_return_url[start..]
                .find('/')
                .map(|i| start + i)
                .unwrap_or(goodbuy_return_url.len());
            format!("{}/ecpay/return", &goodbuy_return_url[..host_end])
        }
        None => DEFAULT_ECPAY_RETURN_URL.to_string(),
    }
}

/// What the customer pays with: a scan at the counter, or a choice made on
/// screen (a member's bound card, a pay-later order).
#[derive(Debug, Clone)]
pub enum Tender {
    Scan(String),
    With(PayWith),
}

/// Where a tender goes and how the journal records it.
pub(super) struct Route {
    pub(super) gateway: GatewayId,
    pub(super) method: PayMethod,
    pub(super) with: PayWith,
    pub(super) masked: Option<MaskedCode>,
}

/// Whether a scanned code is one the till can take payment with: the same
/// check the payment makes, for callers that must refuse before anything
/// is journaled.
pub fn check_scan(code: &str) -> Result<(), PayError> {
    route(Tender::Scan(code.to_string())).map(|_| ())
}

pub(super) fn route(tender: Tender) -> Result<Route, PayError> {
    let with = match tender {
        Tender::Scan(text) => match barcode::classify(&text, ScanContext::Tendering) {
            Ok(Scanned::JkoPayCardToken(code)) => PayWith::WalletCode {
                wallet: Wallet::JkoPay,
                code,
            },
            Ok(Scanned::WalletCode { wallet, code, .. }) => {
                return Ok(Route {
                    gateway: GatewayId::MyPay,
                    method: PayMethod::Wallet(wallet),
                    masked: Some(MaskedCode::mask(&code)),
                    with: PayWith::WalletCode { wallet, code },
                });
            }
            Ok(other) => {
                return Err(PayError::NotAPaymentCode(Text::given(
                    format!("{}: {}", other.kind_zh(), other.shown()),
                    format!("{}: {}", other.kind_en(), other.shown()),
                )));
            }
            Err(e) => return Err(PayError::NotAPaymentCode(Text::worded(&e))),
        },
        Tender::With(w) => w,
    };
    Ok(match &with {
        PayWith::WalletCode { wallet, code } => Route {
            gateway: if *wallet == Wallet::JkoPay && code.starts_with("22") && code.len() == 18 {
                GatewayId::JkoPay
            } else {
                GatewayId::MyPay
            },
            method: PayMethod::Wallet(*wallet),
            masked: Some(MaskedCode::mask(code)),
            with,
        },
        PayWith::BoundCard { .. } => Route {
            gateway: GatewayId::Ecpay,
            method: PayMethod::BoundCard,
            masked: None,
            with,
        },
        PayWith::PayLater { .. } => Route {
            gateway: GatewayId::Goodbuy,
            method: PayMethod::PayLater,
            masked: None,
            with,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecpay_return_url_shares_the_callback_host() {
        assert_eq!(
            ecpay_return_url("https://shop.example/goodbuy/return"),
            "https://shop.example/ecpay/return"
        );
    }

    #[test]
    fn a_non_payment_scan_is_refused_before_anything_is_journaled() {
        assert!(matches!(
            route(Tender::Scan("4710000000028".into())),
            Err(PayError::NotAPaymentCode(_))
        ));
        let r = route(Tender::Scan("22J111111111111111".into())).unwrap();
        assert_eq!(r.gateway, GatewayId::JkoPay);
    }
}
