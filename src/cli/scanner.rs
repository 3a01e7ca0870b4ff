//! `till classify` and `till scan-test`: what a scanned code is, and what
//! the configured scanner sends.

use super::output::say;
use crate::locale::Text;
use crate::outln;
use std::process::ExitCode;

use crate::barcode::{self, ScanContext};
use crate::config;

pub fn classify(code: &str, context: &str) -> anyhow::Result<ExitCode> {
    let context = match context {
        "selling" => ScanContext::Selling,
        "tendering" => ScanContext::Tendering,
        "buyer-choice" => ScanContext::BuyerChoice,
        "refund" => ScanContext::Refund,
        other => anyhow::bail!(say(
            Text::new("words.cli.unknown_context").arg("context", other)
        )),
    };
    match barcode::classify(code, context) {
        Ok(scanned) => {
            outln!(
                "{} / {}: {}",
                scanned.kind_zh(),
                scanned.kind_en(),
                scanned.shown()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(why) => {
            outln!("{why}");
            Ok(ExitCode::from(1))
        }
    }
}

/// Show one scan the way support staff need it: what it is in every
/// context, and a keyboard-layout hint when it looks mangled.
pub fn describe_scan(text: &str) {
    use crate::device::scanner::diagnose::layout_hint;
    outln!("掃描 scan: {}", barcode::mask_payment_code(text));
    for (name, ctx) in [
        ("selling", ScanContext::Selling),
        ("tendering", ScanContext::Tendering),
        ("buyer-choice", ScanContext::BuyerChoice),
    ] {
        match barcode::classify(text, ctx) {
            Ok(s) => outln!(
                "  {name:<13} {} / {}: {}",
                s.kind_zh(),
                s.kind_en(),
                s.shown()
            ),
            Err(why) => outln!("  {name:<13} {why}"),
        }
    }
    if let Some(hint) = layout_hint(text) {
        outln!("  {hint}");
    }
}

pub fn scan_test(scanner: &config::Scanner) -> anyhow::Result<ExitCode> {
    use crate::device::scanner::{ScannerEvent, ScannerHub};
    if scanner.kind == "wedge" {
        outln!("{}", say(Text::new("words.cli.wedge_scan_here")));
        for line in std::io::stdin().lines() {
            let line = line?;
            let framing = crate::device::scanner::Framing::from_config(scanner);
            if let Some((text, _)) = framing.apply(&line) {
                describe_scan(&text);
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let hub = ScannerHub::from_config(scanner)?;
    outln!(
        "等待掃描 {} / waiting for scans from {}",
        scanner.device,
        scanner.device
    );
    loop {
        match hub.recv_timeout(std::time::Duration::from_secs(3600)) {
            Some(ScannerEvent::Scan(scan)) => describe_scan(&scan.text),
            Some(ScannerEvent::Connected(s)) | Some(ScannerEvent::Reconnected(s)) => {
                outln!("已連線 connected: {s}")
            }
            Some(ScannerEvent::Disconnected { source, reason }) => {
                outln!("未連線,重試中 disconnected, retrying: {source}: {reason}")
            }
            None => {}
        }
    }
}
