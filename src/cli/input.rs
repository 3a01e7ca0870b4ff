//! What an operator types besides the arguments: a manager's PIN, the
//! buyer's e-invoice choice (`till pay`, `till einvoice issue`).

use std::io::BufRead;

use crate::einvoice::buyer::BuyerChoice;
use crate::secret::Secret;

/// A manager's PIN: `TILL_MANAGER_PIN`, else a line of standard input.
pub fn read_pin() -> Secret {
    if let Ok(p) = std::env::var("TILL_MANAGER_PIN") {
        return Secret::new(p.trim());
    }
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    Secret::new(line.trim())
}

/// A typed carrier: a mobile barcode starts with `/`, anything else is read
/// as a citizen certificate (`NOTES.md` §5), each with its own message.
pub fn carrier_choice(code: &str) -> anyhow::Result<BuyerChoice> {
    Ok(if code.starts_with('/') {
        BuyerChoice::Mobile(code.parse()?)
    } else {
        BuyerChoice::Citizen(code.parse()?)
    })
}

/// The buyer's choice from `--carrier`, `--donate`, `--ban` (`till
/// einvoice issue`, `till pay`); `None` when none was given.
pub fn buyer_flags(
    carrier: Option<String>,
    donate: Option<String>,
    ban: Option<String>,
) -> anyhow::Result<Option<BuyerChoice>> {
    Ok(match (carrier, donate, ban) {
        (Some(c), _, _) => Some(carrier_choice(&c)?),
        (_, Some(d), _) => Some(BuyerChoice::Donate(d.parse()?)),
        (_, _, Some(b)) => Some(BuyerChoice::Company(b.parse()?)),
        _ => None,
    })
}
