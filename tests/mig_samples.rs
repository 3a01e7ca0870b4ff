//! Every MIG message `till` can write, one file per case, for the schema
//! validation in `.ci/run`: F0401 for each buyer choice and a long invoice,
//! F0501 with the longest reason, G0401 for a company and a consumer, their
//! G0501 (and one journaled without `AllowanceType` by an earlier build, as
//! it is exported now), E0402 with one and with several blank ranges.
//!
//! With `TILL_MIG_SAMPLES=DIR` the files go to `DIR/<MIG version>/` and,
//! with the namespace changed to 4.0, to `DIR/4.0/` (the message bodies are
//! the same in both versions: see `mig::MIG_VERSION`); `.ci/run` then runs
//! `shared/tools/mig_validate.py` on `DIR` against `shared/specs/mig-xsd`.
//! Without it they go to a temporary folder. Either way every message must
//! pass `to_xml` (and so the structural check of `mig::schema`).

use std::path::Path;

use chrono::NaiveDate;
use till::einvoice::buyer::BuyerChoice;
use till::einvoice::mig::xml::flatten;
use till::einvoice::mig::{
    Allowance, AllowanceLine, BlankRange, BranchTrackBlank, CancelAllowance, CancelInvoice,
    InvoiceMessage, MIG_VERSION, MessageType, Seller, g0401, g0501,
};
use till::einvoice::{Invoice, Item, Period};
use till::money::Ntd;
use till::taipei::{self, TaipeiTime};

fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> TaipeiTime {
    taipei::at(y, m, d, h, mi, s).expect("a real Taipei time")
}

/// The longest registered name MIG takes (60 characters), with every
/// character XML must escape.
fn seller() -> Seller {
    let name: String = "好棒棒<小吃>&\"老店\"'".chars().cycle().take(60).collect();
    Seller {
        ban: "28915188".into(),
        name,
    }
}

const BUYER_BAN: &str = "04595252";

fn short_invoice(number: &str, buyer_ban: Option<&str>) -> Invoice {
    Invoice::new(
        number.parse().unwrap(),
        "0427".parse().unwrap(),
        at(2026, 5, 3, 9, 5, 7),
        "28915188",
        buyer_ban,
        vec![
            Item::new("珍珠奶茶", 2, Ntd::new(60)).unwrap(),
            Item::new("雞排 <大> & \"辣\" 'x'", 1, Ntd::new(85)).unwrap(),
            Item::new("折價券", 1, Ntd::new(-20)).unwrap(),
        ],
    )
    .unwrap()
}

/// 120 lines; names with `<>&"'`, the longest description F0401 takes
/// (500 characters, Chinese), a discount line, large quantities.
fn long_invoice() -> Invoice {
    let longest: String = "超長品名<>&\"'".chars().cycle().take(500).collect();
    let items = (1..=120)
        .map(|i| match i {
            1 => Item::new(&longest, 1, Ntd::new(1)).unwrap(),
            60 => Item::new("全單折扣 <會員> & \"VIP\"", 1, Ntd::new(-50)).unwrap(),
            _ => Item::new(
                &format!("品項 {i} <A&B> \"q\" 'p'"),
                i,
                Ntd::new(i64::from(i)),
            )
            .unwrap(),
        })
        .collect();
    Invoice::new(
        "AB12345679".parse().unwrap(),
        "9035".parse().unwrap(),
        at(2026, 5, 31, 23, 59, 59),
        "28915188",
        Some(BUYER_BAN),
        items,
    )
    .unwrap()
}

fn company_name() -> String {
    "大大股份有限公司<&>\"'".chars().cycle().take(60).collect()
}

fn allowance(invoice: &Invoice, number: &str, buyer_name: Option<&str>) -> Allowance {
    Allowance::new(
        invoice,
        &seller(),
        buyer_name,
        number,
        at(2026, 7, 2, 14, 0, 0),
        &[
            AllowanceLine {
                item: 1,
                qty: 1,
                unit_refund: Ntd::new(60),
            },
            // 85 × 1 → an untaxed unit price with seven decimals.
            AllowanceLine {
                item: 2,
                qty: 1,
                unit_refund: Ntd::new(29),
            },
        ],
    )
    .unwrap()
}

fn range(a: &str, b: &str) -> BlankRange {
    BlankRange::new(a.parse().unwrap(), b.parse().unwrap()).unwrap()
}

/// Every case: (file name, message type, XML).
fn every_message() -> Vec<(String, MessageType, String)> {
    let mut out = Vec::new();
    let mut add = |name: &str, t: MessageType, xml: String| out.push((name.to_string(), t, xml));
    let consumer = short_invoice("AB12345678", None);
    let company = short_invoice("AB12345680", Some(BUYER_BAN));
    let ban = || BUYER_BAN.parse().unwrap();
    let f0401 = |inv: &Invoice, choice: BuyerChoice, name: Option<&str>| {
        InvoiceMessage::new(inv, &choice, &seller(), name)
            .unwrap()
            .to_xml()
            .unwrap()
    };
    use MessageType::*;
    add(
        "F0401_paper",
        F0401,
        f0401(&consumer, BuyerChoice::Print, None),
    );
    add(
        "F0401_mobile_barcode",
        F0401,
        f0401(
            &consumer,
            BuyerChoice::Mobile("/ABC+123".parse().unwrap()),
            None,
        ),
    );
    add(
        "F0401_citizen_certificate",
        F0401,
        f0401(
            &consumer,
            BuyerChoice::Citizen("AB12345678901234".parse().unwrap()),
            None,
        ),
    );
    add(
        "F0401_donation",
        F0401,
        f0401(
            &consumer,
            BuyerChoice::Donate("25885".parse().unwrap()),
            None,
        ),
    );
    add(
        "F0401_b2b_no_carrier",
        F0401,
        f0401(&company, BuyerChoice::Company(ban()), Some(&company_name())),
    );
    add(
        "F0401_b2b_ban_as_name",
        F0401,
        f0401(&company, BuyerChoice::Company(ban()), None),
    );
    add(
        "F0401_b2b_mobile_barcode",
        F0401,
        f0401(
            &company,
            BuyerChoice::CompanyMobile(ban(), "/ABC+123".parse().unwrap()),
            Some(&company_name()),
        ),
    );
    add(
        "F0401_long",
        F0401,
        f0401(
            &long_invoice(),
            BuyerChoice::Company(ban()),
            Some(&company_name()),
        ),
    );
    // The longest reason F0501 takes: 20 characters.
    let reason: String = "開錯<品項>&\"退貨\"'".chars().cycle().take(20).collect();
    add(
        "F0501_longest_reason",
        F0501,
        CancelInvoice::new(&consumer, at(2026, 5, 3, 10, 0, 0), &reason)
            .unwrap()
            .to_xml()
            .unwrap(),
    );
    let b2b = allowance(&company, "AL0000000001", Some(&company_name()));
    let b2c = allowance(&consumer, "ALLOWANCE0000002", None);
    let mut last_void = String::new();
    for (name, a) in [("b2b", &b2b), ("b2c", &b2c)] {
        add(&format!("G0401_{name}"), G0401, a.to_xml().unwrap());
        let void = CancelAllowance::new(
            a,
            at(2026, 7, 2, 14, 0, 0),
            at(2026, 7, 3, 9, 30, 0),
            &reason,
        )
        .unwrap();
        last_void = void.to_xml().unwrap();
        add(&format!("G0501_{name}"), G0501, last_void.clone());
    }
    // The last (b2c) void as builds before AllowanceType journaled it, as
    // exported now.
    let legacy: String = last_void
        .lines()
        .filter(|l| !l.contains("AllowanceType"))
        .map(|l| format!("{l}\n"))
        .collect();
    let fit = g0501::repaired(&legacy, g0401::SELLER_ISSUED).unwrap();
    // Written again whole: the same bytes as a G0501 written today.
    assert_eq!(fit, last_void.as_str());
    add("G0501_legacy_repaired", G0501, fit.into_owned());
    let period = Period::of(NaiveDate::from_ymd_opt(2026, 5, 3).unwrap()).unwrap();
    add(
        "E0402_one_range",
        E0402,
        BranchTrackBlank::new(
            "28915188",
            "28915188",
            period,
            vec![range("AB12345681", "AB12345699")],
        )
        .unwrap()
        .to_xml()
        .unwrap(),
    );
    add(
        "E0402_several_ranges",
        E0402,
        BranchTrackBlank::new(
            "28915188",
            "28915188",
            period,
            vec![
                range("AB12345900", "AB12345949"),
                range("AB12345681", "AB12345699"),
                range("AB12346000", "AB12346000"),
            ],
        )
        .unwrap()
        .to_xml()
        .unwrap(),
    );
    out
}

fn write_all(dir: &Path, messages: &[(String, MessageType, String)]) {
    let current = dir.join(MIG_VERSION);
    let v40 = dir.join("4.0");
    std::fs::create_dir_all(&current).unwrap();
    std::fs::create_dir_all(&v40).unwrap();
    for (name, t, xml) in messages {
        std::fs::write(current.join(format!("{name}.xml")), xml).unwrap();
        let ns = t.namespace();
        let ns40 = format!("urn:GEINV:eInvoiceMessage:{}:4.0", t.code());
        assert!(xml.contains(&ns), "{name}: namespace {ns}");
        std::fs::write(v40.join(format!("{name}.xml")), xml.replace(&ns, &ns40)).unwrap();
    }
}

#[test]
fn every_message_type_and_buyer_choice_is_written() {
    let messages = every_message();
    // Every message type the till writes is among the samples.
    for t in MessageType::ALL {
        assert!(messages.iter().any(|(_, mt, _)| *mt == t), "no {t} sample");
    }
    // The long invoice keeps all its lines, escaped and whole.
    let (_, _, long) = messages.iter().find(|(n, _, _)| n == "F0401_long").unwrap();
    let fields = flatten(long).unwrap();
    let lines = fields
        .iter()
        .filter(|(p, _)| p.ends_with("/SequenceNumber"))
        .count();
    assert_eq!(lines, 120);
    assert!(long.contains("&lt;A&amp;B&gt;"), "names are escaped");
    let description = &fields
        .iter()
        .find(|(p, _)| p == "Invoice/Details/ProductItem[1]/Description")
        .unwrap()
        .1;
    assert_eq!(description.chars().count(), 500);
    // G0501 names the voided allowance's type, as its G0401 did.
    for (name, _, xml) in messages.iter().filter(|(_, t, _)| *t == MessageType::G0501) {
        let f = flatten(xml).unwrap();
        assert_eq!(
            f.iter()
                .find(|(p, _)| p == "CancelAllowance/AllowanceType")
                .map(|(_, v)| v.as_str()),
            Some("2"),
            "{name}"
        );
    }

    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("TILL_MIG_SAMPLES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    write_all(&dir, &messages);
    for (name, _, _) in &messages {
        for version in [MIG_VERSION, "4.0"] {
            let file = dir.join(version).join(format!("{name}.xml"));
            assert!(file.is_file(), "{} written", file.display());
        }
    }
}
