//! The manager's Settings screen, driven headlessly (iced_test): who may
//! open it, secrets never shown or logged, validated atomic saving, the
//! gateway connection test, rolls and staff, and its picture.

use crate::gui_support::Driver;
use crate::snapshot_support;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use iced_test::core::keyboard::{Key, key::Named};
use iced_test::core::{Font, Settings};
use iced_test::selector::Candidate;
use iced_test::simulator::Simulator;
use till::catalogue::Catalogue;
use till::config::{self, Config};
use till::journal::{Journal, Role};
use till::secret::Secret;
use till::terminal::settings::Reach;
use till::terminal::{DEMO_USERS, Terminal};
use till::ui::app::Shortcut;
use till::ui::{FONT_BYTES, FONT_FAMILY, Message};

const SIZE: (f32, f32) = (1280.0, 800.0);
const MANAGER: (&str, &str) = ("林店長 Manager Lin", "2468");
const WAIT: Duration = Duration::from_secs(20);

fn settings() -> Settings {
    Settings {
        fonts: vec![std::borrow::Cow::Borrowed(FONT_BYTES)],
        default_font: Font::with_name(FONT_FAMILY),
        ..Settings::default()
    }
}

fn ui(app: &Driver) -> Simulator<'_, Message> {
    Simulator::with_size(settings(), SIZE, app.view())
}

fn virtual_printer(dir: &std::path::Path) -> till::device::printer::Printer {
    let profile = till::print::Profile::builtin("generic-58-big5").unwrap();
    let (dir, p) = (dir.to_path_buf(), profile.clone());
    till::device::printer::Printer::with_opener(profile, "virtual", move || {
        Ok(Box::new(
            till::device::printer::virtual_printer::VirtualPort::new(dir.clone(), p.clone()),
        ))
    })
}

/// Apply what a UI interaction sent.
fn interact(app: &mut Driver, act: impl FnOnce(&mut Simulator<'_, Message>)) {
    let messages: Vec<Message> = {
        let mut ui = ui(app);
        act(&mut ui);
        ui.into_messages().collect()
    };
    for m in messages {
        app.update(m);
    }
    // Whatever the click sent to the printer has printed.
    app.settle_prints();
}

fn click(app: &mut Driver, label: &str) {
    let screen = app.screen_name();
    interact(app, |ui| {
        ui.click(label)
            .unwrap_or_else(|e| panic!("no {label:?} on the {screen} screen: {e:?}"));
    });
}

/// Replace the text of the input with widget id `id`.
fn type_into(app: &mut Driver, id: &'static str, text: &str) {
    let current = {
        let mut ui = ui(app);
        ui.find(move |c: Candidate<'_>| match c {
            Candidate::TextInput {
                id: Some(i), state, ..
            } if *i == iced_test::core::widget::Id::new(id) => Some(state.text().to_string()),
            _ => None,
        })
        .unwrap_or_else(|e| panic!("no input {id}: {e:?}"))
    };
    interact(app, |ui| {
        ui.click(iced_test::core::widget::Id::new(id))
            .unwrap_or_else(|e| panic!("cannot click {id}: {e:?}"));
        for _ in 0..current.chars().count() {
            ui.tap_key(Key::Named(Named::Backspace));
        }
        ui.typewrite(text);
    });
}

fn shows(app: &Driver, label: &str) -> bool {
    ui(app).find(label).is_ok()
}

/// Any rendered text or input value containing `needle`, anywhere in the
/// widget tree (scrolled out of view or not).
fn anywhere(app: &Driver, needle: &str) -> Option<String> {
    let needle = needle.to_string();
    ui(app)
        .find(move |c: Candidate<'_>| match c {
            Candidate::Text { content, .. } if content.contains(&needle) => {
                Some(content.to_string())
            }
            Candidate::TextInput { state, .. } if state.text().contains(&needle) => {
                Some(state.text().to_string())
            }
            _ => None,
        })
        .ok()
}

fn sign_in(app: &mut Driver, name: &str, pin: &str) {
    click(app, name);
    for d in pin.chars() {
        click(app, &d.to_string());
    }
    click(app, "登入 (Enter)");
    assert_eq!(app.screen_name(), "sale", "{name} signed in");
}

thread_local! {
    /// Where this test's virtual printer prints (each test runs on its own thread).
    static PAPER: tempfile::TempDir = tempfile::tempdir().unwrap();
}

fn paper_dir() -> std::path::PathBuf {
    PAPER.with(|d| d.path().to_path_buf())
}

/// A demo till, signed in as demo user `who`.
fn demo_app(who: usize) -> Driver {
    let config = Config::demo();
    let terminal =
        Terminal::with_journal(&config, Journal::open_in_memory().unwrap(), true).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(virtual_printer(&paper_dir()));
    let (name, _, pin) = DEMO_USERS[who];
    sign_in(&mut app, name, pin);
    app
}

/// A store's till: the example configuration written owner-only to
/// `dir/config.toml` (after `edit`), one manager, signed in.
fn store_app(
    dir: &std::path::Path,
    edit: impl FnOnce(&mut Config),
) -> (Driver, std::path::PathBuf) {
    let mut config: Config = toml::from_str(config::EXAMPLE).unwrap();
    edit(&mut config);
    let path = dir.join("config.toml");
    config::create_private(&path, &toml::to_string(&config).unwrap()).unwrap();
    let config = config::load(&path).unwrap();
    let mut journal = Journal::open_in_memory().unwrap();
    journal
        .add_user(MANAGER.0, Role::Manager, &Secret::new(MANAGER.1), "test")
        .unwrap();
    let terminal = Terminal::with_journal(&config, journal, false).unwrap();
    let mut app = Driver::new(&config, terminal, Catalogue::demo())
        .with_printer(virtual_printer(dir))
        .with_config_file(&path);
    sign_in(&mut app, MANAGER.0, MANAGER.1);
    (app, path)
}

fn secrets_of(cfg: &Config) -> Vec<String> {
    cfg.secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

const TABS: [&str; 7] = [
    "商店與終端機",
    "金流",
    "印表機",
    "掃描器",
    "電子發票",
    "人員與密碼",
    "語言",
];

#[test]
fn a_cashier_is_refused_and_a_manager_opens_settings() {
    let mut app = demo_app(0);
    assert!(!shows(&app, "設定 (F10)"), "the button is for managers");
    app.update(Message::Shortcut(Shortcut::Settings));
    assert_eq!(app.screen_name(), "settings_refused");
    assert!(shows(&app, "只有店長可以開啟設定。請店長登入後再試。"));
    assert!(!shows(&app, "儲存設定"), "no settings behind the refusal");
    click(&mut app, "返回 (Esc)");
    assert_eq!(app.screen_name(), "sale");

    click(&mut app, "登出");
    let (name, _, pin) = DEMO_USERS[1];
    sign_in(&mut app, name, pin);
    click(&mut app, "設定 (F10)");
    assert_eq!(app.screen_name(), "settings");
    app.update(Message::Shortcut(Shortcut::Escape));
    app.update(Message::Shortcut(Shortcut::Settings));
    assert_eq!(app.screen_name(), "settings", "F10 opens it for a manager");
    assert!(
        shows(&app, "示範商店 Demo Store"),
        "the store name is editable"
    );
    assert!(shows(&app, "示範模式(唯讀): 是"));
    for tab in TABS {
        click(&mut app, tab);
    }
    app.update(Message::Shortcut(Shortcut::Escape));
    assert_eq!(app.screen_name(), "sale");
}

/// A log sink the test reads back: nothing redacts it, so what it holds
/// is exactly what the code logged.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Sink {
    type Writer = Sink;
    fn make_writer(&'a self) -> Sink {
        self.clone()
    }
}

#[test]
fn secrets_are_never_shown_or_logged_and_unreplaced_ones_survive_saving() {
    let dir = tempfile::tempdir().unwrap();
    let (mut app, path) = store_app(dir.path(), |_| {});
    let before: Config = config::load(&path).unwrap();
    let secrets = secrets_of(&before);
    assert_eq!(secrets.len(), 6, "every kind of secret is configured");
    click(&mut app, "設定 (F10)");
    for tab in TABS {
        click(&mut app, tab);
        for s in &secrets {
            assert_eq!(anywhere(&app, s), None, "a secret is on the {tab} tab");
        }
    }
    click(&mut app, "金流");
    // Set or not, and at most the last two characters.
    assert!(shows(&app, "已設定 set ••••96"), "JKoPay's key is masked");

    // Replace MyPay's key; every other key stays as it was.
    let new_key = "N3wMyPayKey0123456789abcdefghijk";
    assert_eq!(new_key.len(), 32);
    type_into(&mut app, "gateways.mypay.key", new_key);
    let sink = Sink::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(sink.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || click(&mut app, "儲存設定"));
    assert!(shows(&app, "設定已儲存。"));
    let log = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("configuration saved"), "{log}");
    for s in secrets.iter().map(String::as_str).chain([new_key]) {
        assert!(!log.contains(s), "a secret reached the log: {log}");
        assert_eq!(
            anywhere(&app, s),
            None,
            "a secret is on screen after saving"
        );
    }

    let after = config::load(&path).unwrap();
    assert_eq!(after.gateways.mypay.as_ref().unwrap().key.expose(), new_key);
    let mut expected = before.clone();
    expected.gateways.mypay.as_mut().unwrap().key = Secret::new(new_key);
    assert_eq!(after, expected, "nothing else changed, no secret lost");
}

#[cfg(unix)]
#[test]
fn an_invalid_ban_is_named_and_not_saved_and_a_valid_change_is_saved_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (mut app, path) = store_app(dir.path(), |_| {});
    let original = std::fs::read(&path).unwrap();
    click(&mut app, "設定 (F10)");

    type_into(&mut app, "store.ban", "12345678");
    click(&mut app, "儲存設定");
    let why = "12345678"
        .parse::<till::einvoice::buyer::Ban>()
        .unwrap_err()
        .to_string();
    assert!(shows(&app, &why), "the BAN's own problem under its field");
    assert!(shows(&app, "有 1 個錯誤,設定未儲存:store.ban"));
    assert_eq!(std::fs::read(&path).unwrap(), original, "nothing was saved");

    type_into(&mut app, "store.ban", "04595252");
    type_into(&mut app, "store.name", "好日子咖啡 二店");
    click(&mut app, "儲存設定");
    assert!(shows(&app, "設定已儲存。"));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let saved = config::load(&path).unwrap();
    assert_eq!(saved.store.name, "好日子咖啡 二店");
    assert_eq!(saved.store.ban, "04595252");
    assert_eq!(app.config(), &saved, "the till runs with what was saved");
    assert_eq!(
        saved.gateways.jkopay.unwrap().merchant_key.expose(),
        "2AA6B9B6F9C64247ABB2677B6AF2C896",
        "an unreplaced secret survives saving"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_idle_lock_closes_the_settings_for_whoever_signs_in_next() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    app.update(Message::Tick(
        std::time::Instant::now() + till::ui::app::IDLE_LOCK,
    ));
    assert_eq!(app.screen_name(), "sign_in");
    let (name, _, pin) = DEMO_USERS[0];
    sign_in(&mut app, name, pin);
    assert_eq!(app.screen_name(), "sale");
}

#[test]
fn demo_mode_checks_but_does_not_save() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    click(&mut app, "儲存設定");
    assert!(shows(
        &app,
        "示範模式不會儲存設定(檢查已通過)。要設定正式店家,請執行 till config init 建立設定檔。"
    ));
}

/// A loopback HTTP server that answers one request once told to, and
/// hands the request it received back to the test.
fn held_server() -> (String, mpsc::Sender<()>, mpsc::Receiver<String>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/Test/", listener.local_addr().unwrap());
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (req_tx, req_rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The status bar's reachability probe connects and hangs up without
        // a request: only a connection that sends one is answered.
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            if n == 0 {
                continue;
            }
            let _ = go_rx.recv();
            let _ = req_tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
            break;
        }
    });
    (url, go_tx, req_rx)
}

#[test]
fn test_connection_runs_as_a_task_and_says_reachable_or_refused() {
    let (url, go, request) = held_server();
    let dir = tempfile::tempdir().unwrap();
    let (mut app, _) = store_app(dir.path(), |c| {
        c.gateways.jkopay.as_mut().unwrap().base_url = url.clone();
    });
    click(&mut app, "設定 (F10)");
    click(&mut app, "金流");
    // JKoPay's button comes first.
    click(&mut app, "測試連線");
    // The server holds its answer, yet the screen is back at once.
    assert!(shows(&app, "檢查中…"));
    go.send(()).unwrap();
    app.settle();
    assert!(
        shows(&app, &Reach::Answered(404).describe()),
        "any HTTP answer means reachable"
    );
    let request = request.recv_timeout(WAIT).unwrap();
    assert!(request.starts_with("GET /Test/ "), "{request}");
    let cfg = app.config().clone();
    for s in secrets_of(&cfg) {
        assert!(!request.contains(&s), "a credential was sent: {request}");
    }

    // A port nothing listens on.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    type_into(
        &mut app,
        "gateways.jkopay.base_url",
        &format!("http://{closed}/"),
    );
    click(&mut app, "測試連線");
    app.settle();
    assert!(shows(&app, &Reach::Refused.describe()));
}

#[test]
fn demo_test_connection_reaches_the_simulators() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    click(&mut app, "金流");
    click(&mut app, "測試連線");
    app.settle();
    assert!(
        anywhere(&app, "可連線").is_some(),
        "the JKoPay simulator on 127.0.0.1 answered"
    );
}

#[test]
fn a_roll_and_a_person_added_on_the_screen_appear_in_the_lists() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    click(&mut app, "電子發票");
    type_into(&mut app, "settings.roll.track", "A1");
    type_into(&mut app, "settings.roll.first", "12345000");
    type_into(&mut app, "settings.roll.last", "12345049");
    click(&mut app, "載入");
    assert!(shows(
        &app,
        "字軌須為兩個英文字母,例如 AB / the track is two letters, e.g. AB"
    ));
    type_into(&mut app, "settings.roll.track", "ab");
    click(&mut app, "載入");
    assert!(shows(&app, "字軌已載入"));
    assert!(shows(&app, "AB 12345000–12345049  已用 0  剩 50"));

    click(&mut app, "人員與密碼");
    type_into(&mut app, "settings.user.name", "王小明");
    click(&mut app, "設為店長");
    type_into(&mut app, "settings.user.pin", "5678");
    type_into(&mut app, "settings.user.pin_again", "5679");
    click(&mut app, "新增");
    assert!(shows(&app, "兩次輸入的密碼不同 / the two PINs differ"));
    assert!(
        anywhere(&app, "5678").is_none(),
        "PINs are not kept on screen"
    );
    type_into(&mut app, "settings.user.pin", "567");
    type_into(&mut app, "settings.user.pin_again", "567");
    click(&mut app, "新增");
    assert!(shows(
        &app,
        "密碼須為 4 到 8 位數字 / the PIN must be 4 to 8 digits"
    ));
    type_into(&mut app, "settings.user.pin", "5678");
    type_into(&mut app, "settings.user.pin_again", "5678");
    click(&mut app, "新增");
    assert!(shows(&app, "已新增 王小明"));
    assert!(shows(&app, "王小明"), "in the staff list");

    // The new manager can sign in with that PIN.
    click(&mut app, "返回 (Esc)");
    click(&mut app, "登出");
    sign_in(&mut app, "王小明", "5678");
    assert_eq!(app.user().unwrap().role, Role::Manager);
}

#[test]
fn a_pin_is_changed_after_typing_it_twice() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    click(&mut app, "人員與密碼");
    let (cashier, _, _) = DEMO_USERS[0];
    click(&mut app, cashier);
    type_into(&mut app, "settings.change.pin", "9753");
    type_into(&mut app, "settings.change.pin_again", "9753");
    click(&mut app, "確認變更");
    assert!(shows(&app, &format!("{cashier} 的密碼已變更")));
    click(&mut app, "返回 (Esc)");
    click(&mut app, "登出");
    sign_in(&mut app, cashier, "9753");
}

#[test]
fn the_scan_test_classifies_and_masks_a_payment_code() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    click(&mut app, "掃描器");
    app.scanned("22J111111111111111", "");
    assert!(anywhere(&app, "街口支付付款碼").is_some());
    assert!(anywhere(&app, "22J111111111111111").is_none(), "masked");
    assert!(
        anywhere(
            &app,
            &till::barcode::mask_payment_code("22J111111111111111")
        )
        .is_some()
    );
}

#[test]
fn printer_status_and_test_print_from_the_screen() {
    let mut app = demo_app(1);
    click(&mut app, "設定 (F10)");
    click(&mut app, "印表機");
    click(&mut app, "測試列印");
    assert!(shows(&app, "測試頁已列印"));
    let printed: String = std::fs::read_dir(paper_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        printed.contains("Code39: TILL-TEST"),
        "the test page: {printed}"
    );
    assert!(
        app.terminal()
            .unwrap()
            .journal()
            .pending_print_jobs()
            .unwrap()
            .is_empty(),
        "the journaled job finished"
    );

    click(&mut app, "狀態");
    app.settle();
    assert!(shows(&app, "正常,可以列印 / OK, ready to print"));
}

fn assert_snapshot(app: &Driver, name: &str) {
    let mut ui = ui(app);
    snapshot_support::assert_screen_as_recorded(&mut ui, name);
}

#[test]
fn the_settings_screen_looks_as_recorded() {
    let config: Config = toml::from_str(config::EXAMPLE).unwrap();
    let mut journal = Journal::open_in_memory().unwrap();
    journal
        .add_user(MANAGER.0, Role::Manager, &Secret::new(MANAGER.1), "test")
        .unwrap();
    let terminal = Terminal::with_journal(&config, journal, false).unwrap();
    // A fixed path, never written here: it is shown on the store tab.
    let mut app =
        Driver::new(&config, terminal, Catalogue::demo()).with_config_file("/etc/till/config.toml");
    sign_in(&mut app, MANAGER.0, MANAGER.1);
    click(&mut app, "設定 (F10)");
    assert_snapshot(&app, "settings-store");
    click(&mut app, "金流");
    assert_snapshot(&app, "settings-gateways");
}
