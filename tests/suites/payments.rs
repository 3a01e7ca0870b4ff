//! Payments and refunds end to end (`terminal` against the loopback
//! simulators), the gateway clients and simulators on their own, the
//! callback server, and the fuzz corpora of the parsers they share.
//!
//! One test binary for several files in `tests/`, so a build links this
//! binary once instead of once per file (see `tests/suites/README.md`).

#[path = "../cli_support/mod.rs"]
mod cli_support;

#[path = "../pay_support/mod.rs"]
mod pay_support;

#[path = "../callback_abuse.rs"]
mod callback_abuse;

#[path = "../fuzz_corpora.rs"]
mod fuzz_corpora;

#[path = "../gateway_ecpay.rs"]
mod gateway_ecpay;

#[path = "../gateway_goodbuy.rs"]
mod gateway_goodbuy;

#[path = "../gateway_jkopay.rs"]
mod gateway_jkopay;

#[path = "../gateway_mypay.rs"]
mod gateway_mypay;

#[path = "../gateway_settings.rs"]
mod gateway_settings;

#[path = "../gateway_sim.rs"]
mod gateway_sim;

#[path = "../mypay_paper.rs"]
mod mypay_paper;

#[path = "../pay_by_hand.rs"]
mod pay_by_hand;

#[path = "../pay_callbacks.rs"]
mod pay_callbacks;

#[path = "../pay_cli.rs"]
mod pay_cli;

#[path = "../pay_crash.rs"]
mod pay_crash;

#[path = "../pay_ecpay.rs"]
mod pay_ecpay;

#[path = "../pay_goodbuy.rs"]
mod pay_goodbuy;

#[path = "../pay_jkopay.rs"]
mod pay_jkopay;

#[path = "../pay_jkopay_token.rs"]
mod pay_jkopay_token;

#[path = "../pay_mypay.rs"]
mod pay_mypay;

#[path = "../pay_mypay_choice.rs"]
mod pay_mypay_choice;

#[path = "../pay_mypay_invoice.rs"]
mod pay_mypay_invoice;

#[path = "../pay_mypay_later.rs"]
mod pay_mypay_later;

#[path = "../pay_paypage.rs"]
mod pay_paypage;

#[path = "../pay_refund.rs"]
mod pay_refund;

#[path = "../pay_refund_recover.rs"]
mod pay_refund_recover;

#[path = "../sim_mypay_refuses.rs"]
mod sim_mypay_refuses;
