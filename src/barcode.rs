//! What a scanned string is. (classification in progress)

/// A payment code as it may appear in logs and on receipts: the first 4 and
/// last 2 characters, the rest as `*`. Codes of 8 characters or fewer are
/// masked entirely but for their length, since 6 shown characters would
/// reveal most of them.
pub fn mask_payment_code(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let n = chars.len();
    if n <= 8 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(n);
    out.extend(&chars[..4]);
    out.extend(std::iter::repeat_n('*', n - 6));
    out.extend(&chars[n - 2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payment_codes_show_first_four_and_last_two() {
        assert_eq!(
            mask_payment_code("22J111111111111111"),
            "22J1************11"
        );
        assert_eq!(mask_payment_code("123456789"), "1234***89");
        assert_eq!(mask_payment_code("12345678"), "********");
        assert_eq!(mask_payment_code(""), "");
    }
}
