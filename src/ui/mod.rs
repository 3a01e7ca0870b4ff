//! The cashier's and manager's screens (iced). The UI holds no business
//! rules: it shows domain state and sends the cashier's intent on.

pub mod app;
pub mod i18n;
pub mod screen;
pub mod theme;

pub use app::{App, Message, Setup};

/// Open the terminal window and run until it is closed.
pub fn run(setup: Setup) -> iced::Result {
    iced::application(move || App::boot(&setup), App::update, App::view)
        .title(App::title)
        .subscription(App::subscription)
        .theme(|_: &App| theme::theme())
        .window_size((1280.0, 800.0))
        .centered()
        .run()
}
