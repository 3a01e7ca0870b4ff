//! Edges of the money core that mutation testing (`.ci/mutants-pure`,
//! tests/mutants-survivors.md) found unwatched by the modules' own tests:
//! sums of amounts, the largest amount the till takes, the random code's
//! range, and how numbers and codes are written out (JSON, the journal).

use till::einvoice::{InvoiceNumber, RandomCode};
use till::money::{AmountError, MAX_SALE, Ntd};

#[test]
fn amounts_add_up() {
    let total: Ntd = [Ntd::new(85), Ntd::new(85), Ntd::new(40)].into_iter().sum();
    assert_eq!(total, Ntd::new(210));
}

#[test]
fn the_largest_sale_is_taken_and_one_dollar_more_is_not() {
    assert_eq!("99,999,999".parse::<Ntd>(), Ok(MAX_SALE));
    assert_eq!("100000000".parse::<Ntd>(), Err(AmountError::TooLarge));
}

#[test]
fn random_codes_run_from_0000_to_9999() {
    assert_eq!(RandomCode::from_number(0).unwrap().as_str(), "0000");
    assert_eq!(RandomCode::from_number(42).unwrap().as_str(), "0042");
    assert_eq!(RandomCode::from_number(9999).unwrap().as_str(), "9999");
    assert!(RandomCode::from_number(10_000).is_err());
}

#[test]
fn invoice_numbers_and_random_codes_are_written_as_printed() {
    let number: InvoiceNumber = "AB12345678".parse().unwrap();
    assert_eq!(serde_json::to_string(&number).unwrap(), "\"AB12345678\"");
    assert_eq!(String::from(number), "AB12345678");
    let code = RandomCode::from_number(42).unwrap();
    assert_eq!(serde_json::to_string(&code).unwrap(), "\"0042\"");
    assert_eq!(String::from(code), "0042");
}

#[test]
fn a_date_falls_in_its_two_month_period() {
    use chrono::NaiveDate;
    use till::einvoice::Period;
    // 2026-11-22 is ROC 115, in the November–December period.
    let p = Period::of(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).unwrap();
    assert_eq!(
        (p.roc_year(), p.start_month(), p.end_month()),
        (115, 11, 12)
    );
    let p = Period::of(NaiveDate::from_ymd_opt(2027, 1, 5).unwrap()).unwrap();
    assert_eq!((p.roc_year(), p.start_month(), p.end_month()), (116, 1, 2));
}

#[test]
fn period_codes_are_five_digits_written_and_read_back() {
    use till::einvoice::Period;
    let p: Period = "11512".parse().unwrap();
    assert_eq!(p.to_string(), "11512");
    assert_eq!((p.roc_year(), p.end_month()), (115, 12));
    // Five characters that are not all digits are no period, even when
    // each part would parse as a number on its own.
    for bad in ["+1512", "115+2", "1151", "115122", "11513", ""] {
        assert!(bad.parse::<Period>().is_err(), "{bad:?} taken as a period");
    }
}
