//! The cashier's and manager's screens (iced). The UI holds no business
//! rules: it shows domain state and sends the cashier's intent on.

pub mod app;
pub mod i18n;
pub mod keys;
pub mod refund_flow;
pub mod scanner;
pub mod screen;
pub mod theme;
pub mod wallet;
pub mod widget;

pub use app::{App, Message, Setup};

/// The bundled CJK font (see `assets/fonts/README.md`), the default for
/// every widget so Chinese never falls back to boxes on a machine without
/// CJK fonts. The printer emulator draws with the same file.
pub const FONT_BYTES: &[u8] = crate::print::font::FONT_BYTES;
pub const FONT_FAMILY: &str = "Noto Sans Mono CJK TC";

/// Open the terminal window and run until it is closed.
pub fn run(setup: Setup) -> iced::Result {
    iced::application(move || App::boot(&setup), App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .theme(|_: &App| theme::theme())
        .font(FONT_BYTES)
        .default_font(iced::Font::with_name(FONT_FAMILY))
        .window_size((1280.0, 800.0))
        .centered()
        .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character the screens can show has a glyph in the bundled font.
    #[test]
    fn the_bundled_font_covers_every_screen_text() {
        let font = crate::print::font::bundled();
        let mut texts: Vec<String> = Vec::new();
        for lang in [i18n::Lang::ZhTw, i18n::Lang::En] {
            let file = match lang {
                i18n::Lang::ZhTw => include_str!("../../assets/locales/zh-TW.toml"),
                i18n::Lang::En => include_str!("../../assets/locales/en.toml"),
            };
            texts.extend(i18n::parse(file).unwrap().into_values());
        }
        let catalogue = crate::catalogue::Catalogue::demo();
        texts.extend(catalogue.products().iter().map(|p| p.name.clone()));
        texts.extend(crate::terminal::DEMO_USERS.iter().map(|u| u.0.to_string()));
        texts.push("←●OK-+NT$0123456789,".into());
        let missing: std::collections::BTreeSet<char> = texts
            .iter()
            .flat_map(|t| t.chars())
            .filter(|c| !c.is_whitespace() && !font.has_glyph(*c))
            .collect();
        assert!(missing.is_empty(), "no glyph for {missing:?}");
    }
}
