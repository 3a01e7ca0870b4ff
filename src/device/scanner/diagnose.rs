//! Hints for `till scan-test`: a keyboard-wedge or HID-keyboard scanner
//! sends key positions, and the operating system turns them into
//! characters with the *desktop's* keyboard layout. A scanner on a
//! French or German layout PC mangles codes in recognisable ways.

use std::fmt;

/// A keyboard layout that mangles US-layout scanner output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// French AZERTY: the digit row gives `&é"'(-è_çà`.
    French,
    /// Belgian AZERTY: like French but 6 is `§` and 8 is `!`.
    Belgian,
    /// German QWERTZ: `y`/`z` swapped, `-` gives `ß`, `@` gives `"`.
    German,
    /// UK: `@` and `"` swapped, `#` gives `£`.
    Uk,
}

impl Layout {
    fn name(self) -> (&'static str, &'static str) {
        match self {
            Layout::French => ("法文 AZERTY", "French (AZERTY)"),
            Layout::Belgian => ("比利時 AZERTY", "Belgian (AZERTY)"),
            Layout::German => ("德文 QWERTZ", "German (QWERTZ)"),
            Layout::Uk => ("英式", "UK"),
        }
    }

    /// Characters this layout produces where a US layout gives another,
    /// as (what came out, what the scanner meant).
    fn table(self) -> &'static [(char, char)] {
        match self {
            Layout::French => FRENCH,
            Layout::Belgian => BELGIAN,
            Layout::German => GERMAN,
            Layout::Uk => UK,
        }
    }
}

/// What `till scan-test` tells the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub layout: Layout,
    /// The scan read back as the scanner meant it.
    pub repaired: String,
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (zh, en) = self.layout.name();
        write!(
            f,
            "掃描器的輸出被當成{zh}鍵盤配置解讀:請把系統鍵盤配置改為美式,或把掃描器設定為該配置 / the scanner's keys are being read with a {en} keyboard layout: switch the system layout to US, or set the scanner to that layout"
        )
    }
}

const FRENCH: &[(char, char)] = &[
    ('&', '1'),
    ('é', '2'),
    ('"', '3'),
    ('\'', '4'),
    ('(', '5'),
    ('-', '6'),
    ('è', '7'),
    ('_', '8'),
    ('ç', '9'),
    ('à', '0'),
    ('a', 'q'),
    ('q', 'a'),
    ('z', 'w'),
    ('w', 'z'),
    ('A', 'Q'),
    ('Q', 'A'),
    ('Z', 'W'),
    ('W', 'Z'),
    (',', 'm'),
    ('?', 'M'),
    ('m', ';'),
    ('M', ':'),
    (';', ','),
    (':', '.'),
    ('!', '/'),
    (')', '-'),
    ('°', '_'),
];

const BELGIAN: &[(char, char)] = &[
    ('&', '1'),
    ('é', '2'),
    ('"', '3'),
    ('\'', '4'),
    ('(', '5'),
    ('§', '6'),
    ('è', '7'),
    ('!', '8'),
    ('ç', '9'),
    ('à', '0'),
    ('a', 'q'),
    ('q', 'a'),
    ('z', 'w'),
    ('w', 'z'),
    ('A', 'Q'),
    ('Q', 'A'),
    ('Z', 'W'),
    ('W', 'Z'),
    (',', 'm'),
    ('?', 'M'),
    ('m', ';'),
    ('M', ':'),
    (';', ','),
    (':', '.'),
    (')', '-'),
];

const GERMAN: &[(char, char)] = &[
    ('z', 'y'),
    ('y', 'z'),
    ('Z', 'Y'),
    ('Y', 'Z'),
    ('ß', '-'),
    ('?', '_'),
    ('´', '='),
    ('`', '+'),
    ('ü', '['),
    ('Ü', '{'),
    ('+', ']'),
    ('*', '}'),
    ('ö', ';'),
    ('Ö', ':'),
    ('ä', '\''),
    ('Ä', '"'),
    ('-', '/'),
    ('_', '?'),
    (';', '<'),
    (':', '>'),
    ('"', '@'),
    ('§', '#'),
    ('&', '^'),
    ('/', '&'),
    ('(', '*'),
    (')', '('),
    ('=', ')'),
];

const UK: &[(char, char)] = &[('"', '@'), ('@', '"'), ('£', '#'), ('¬', '~')];

/// Characters no US-layout scanner types, each pointing at one layout.
fn telltale(c: char) -> Option<Layout> {
    match c {
        'é' | 'è' | 'ç' | 'à' | '°' => Some(Layout::French),
        'ß' | 'ü' | 'ö' | 'ä' | 'Ü' | 'Ö' | 'Ä' | '´' => Some(Layout::German),
        '£' | '¬' => Some(Layout::Uk),
        _ => None,
    }
}

/// Whether `text` looks like a code read through a non-US layout, and
/// which. `None` for an ordinary code.
pub fn layout_hint(text: &str) -> Option<Hint> {
    let mut layout = text.chars().find_map(telltale);
    // A code of digits only, mangled by AZERTY, may hold no accented
    // letter at all ("5555" becomes "(((("): digit-row symbols with no
    // digit in sight give it away.
    if layout.is_none() && !text.chars().any(|c| c.is_ascii_digit()) {
        let row = text.chars().filter(|c| "&\"'(-_".contains(*c)).count();
        if row >= 4 && row * 2 >= text.chars().count() {
            layout = Some(Layout::French);
        }
    }
    let mut layout = layout?;
    // `§` in the digit row tells Belgian from French (German `§` comes
    // with German letters, caught above).
    if layout == Layout::French && text.contains('§') {
        layout = Layout::Belgian;
    }
    Some(Hint {
        layout,
        repaired: repair(text, layout),
    })
}

/// `text` as a US layout would have given it.
pub fn repair(text: &str, layout: Layout) -> String {
    let table = layout.table();
    text.chars()
        .map(|c| {
            table
                .iter()
                .find(|&&(got, _)| got == c)
                .map_or(c, |&(_, meant)| meant)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ean_through_azerty() {
        let h = layout_hint("'è&àà__&é\"'(ç").unwrap();
        assert_eq!(h.layout, Layout::French);
        assert_eq!(h.repaired, "4710088123459");
        assert!(h.to_string().contains("French"));
    }

    #[test]
    fn digits_without_accents_through_azerty() {
        let h = layout_hint("((((\"\"\"\"").unwrap();
        assert_eq!(h.layout, Layout::French);
        assert_eq!(h.repaired, "55553333");
    }

    #[test]
    fn belgian_six() {
        let h = layout_hint("&é\"'(§è!çà").unwrap();
        assert_eq!(h.layout, Layout::Belgian);
        assert_eq!(h.repaired, "1234567890");
    }

    #[test]
    fn a_carrier_code_through_qwertz() {
        // Mobile carrier "/AB1-Z.Y" typed by a US scanner on a German PC.
        let h = layout_hint("-AB1ßY.Z").unwrap();
        assert_eq!(h.layout, Layout::German);
        assert_eq!(h.repaired, "/AB1-Z.Y");
    }

    #[test]
    fn uk_pound() {
        let h = layout_hint("£12\"X").unwrap();
        assert_eq!(h.layout, Layout::Uk);
        assert_eq!(h.repaired, "#12@X");
    }

    #[test]
    fn ordinary_codes_get_no_hint() {
        for code in [
            "4710088123456",
            "22J111111111111119",
            "/AB1-Z.Y",
            "https://example.tw/q?a=1&b='x'",
            "ABCDEFGH",
        ] {
            assert_eq!(layout_hint(code), None, "{code}");
        }
    }
}
