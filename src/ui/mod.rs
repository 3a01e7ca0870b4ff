//! The cashier's and manager's screens (iced). The UI holds no business
//! rules: it shows domain state and sends the cashier's intent on.

pub mod app;
pub mod component;
pub mod customer;
pub mod health;
pub mod i18n;
pub mod invoices_owed;
pub mod jobs;
pub mod keys;
pub mod refund_flow;
pub mod scanner;
pub mod screen;
pub mod shortcut;
pub mod spooler;
pub mod theme;
pub mod wallet;
pub mod widget;
pub mod words;

pub use app::{App, Message, Setup};

/// The bundled CJK font (see `assets/fonts/README.md`), the default for
/// every widget so Chinese never falls back to boxes on a machine without
/// CJK fonts. The printer emulator draws with the same file.
pub const FONT_BYTES: &[u8] = crate::print::font::FONT_BYTES;
pub const FONT_FAMILY: &str = "Noto Sans Mono CJK TC";

/// Open the terminal window (and the customer's, when configured) and run
/// until the terminal window is closed.
pub fn run(setup: Setup) -> iced::Result {
    if setup.config.display.customer_window {
        return two_windows::run(setup);
    }
    let fullscreen = setup.config.display.fullscreen;
    iced::application(
        move || {
            let fill = if fullscreen {
                fill_screen(iced::window::latest())
            } else {
                iced::Task::none()
            };
            (App::boot(&setup), fill)
        },
        App::run_update,
        App::view,
    )
    .title(App::title)
    .subscription(App::subscription)
    .theme(|_: &App| theme::theme())
    .font(FONT_BYTES)
    .default_font(iced::Font::with_name(FONT_FAMILY))
    .window(window_settings(fullscreen))
    .run()
}

/// The cashier's window: full-screen, or a window that fits the smallest
/// screen a till has (1024×768) with room for a title bar.
fn window_settings(fullscreen: bool) -> iced::window::Settings {
    iced::window::Settings {
        size: iced::Size::new(1024.0, 700.0),
        position: iced::window::Position::Centered,
        fullscreen,
        ..iced::window::Settings::default()
    }
}

/// Fill the monitor with the window `id` names. The full-screen hint alone
/// needs a window manager to act on it; a till's kiosk X session may have
/// none, so the window is also moved to the corner and sized to the screen.
fn fill_screen<T: Send + 'static>(id: iced::Task<Option<iced::window::Id>>) -> iced::Task<T> {
    id.and_then(|id| {
        iced::window::monitor_size(id).and_then(move |size| {
            iced::Task::batch([
                iced::window::move_to(id, iced::Point::ORIGIN),
                iced::window::resize(id, size),
            ])
        })
    })
}

/// The cashier's window and the customer's, as one iced daemon: the app
/// is the same; only the customer window's view is added.
mod two_windows {
    use iced::{Element, Size, Subscription, Task, window};

    use super::customer::{self, QrCache};
    use super::{App, FONT_BYTES, FONT_FAMILY, Message, Setup, theme};

    struct Shell {
        app: App,
        cashier: window::Id,
        customer: window::Id,
        qr: QrCache,
    }

    #[derive(Debug, Clone)]
    enum ShellMessage {
        App(Message),
        Opened,
        Closed(window::Id),
    }

    pub fn run(setup: Setup) -> iced::Result {
        iced::daemon(move || boot(&setup), update, view)
            .title(title)
            .subscription(subscription)
            .theme(|_: &Shell, _| theme::theme())
            .font(FONT_BYTES)
            .default_font(iced::Font::with_name(FONT_FAMILY))
            .run()
    }

    fn boot(setup: &Setup) -> (Shell, Task<ShellMessage>) {
        let fullscreen = setup.config.display.fullscreen;
        let (cashier, open_cashier) = window::open(super::window_settings(fullscreen));
        let (customer, open_customer) = window::open(window::Settings {
            size: Size::new(800.0, 600.0),
            ..window::Settings::default()
        });
        let shell = Shell {
            app: App::boot(setup),
            cashier,
            customer,
            qr: QrCache::new(),
        };
        let fill = if fullscreen {
            super::fill_screen(open_cashier.map(Some))
        } else {
            open_cashier.discard()
        };
        let opened = Task::batch([fill, open_customer.map(|_| ShellMessage::Opened)]);
        (shell, opened)
    }

    fn update(shell: &mut Shell, message: ShellMessage) -> Task<ShellMessage> {
        match message {
            ShellMessage::App(m) => {
                let task = shell.app.run_update(m).map(ShellMessage::App);
                if let Some(url) = shell.app.paypage_url() {
                    shell.qr.set(url);
                }
                return task;
            }
            ShellMessage::Opened => {}
            // Closing the cashier's window ends the till; the customer's
            // window alone can be closed and the till goes on.
            ShellMessage::Closed(id) if id == shell.cashier => return iced::exit(),
            ShellMessage::Closed(_) => {}
        }
        if let Some(url) = shell.app.paypage_url() {
            shell.qr.set(url);
        }
        Task::none()
    }

    fn view(shell: &Shell, id: window::Id) -> Element<'_, ShellMessage> {
        if id == shell.customer {
            customer::view(shell.app.customer_display(), &shell.qr)
        } else {
            shell.app.view().map(ShellMessage::App)
        }
    }

    fn title(shell: &Shell, id: window::Id) -> String {
        if id == shell.customer {
            format!("{} · 顧客顯示 Customer display", shell.app.title())
        } else {
            shell.app.title()
        }
    }

    fn subscription(shell: &Shell) -> Subscription<ShellMessage> {
        Subscription::batch([
            shell.app.subscription().map(ShellMessage::App),
            window::close_events().map(ShellMessage::Closed),
        ])
    }
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
