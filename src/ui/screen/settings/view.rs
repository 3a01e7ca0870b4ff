//! How the settings tabs look. Secrets appear only through `masked`.

use iced::widget::{
    Column, Row, button, column, container, pick_list, row, scrollable, text, text_input,
};
use iced::{Alignment, Color, Element, Length};

use super::{Check, Message, PrinterCheck, SCANNER_KINDS, State, TRANSPORTS, Tab};
use crate::sale::GatewayId;
use crate::secret::Secret;
use crate::terminal::settings::masked;
use crate::terminal::views::Role;
use crate::ui::i18n::{Lang, t, tf};
use crate::ui::theme;

const WARN_AMBER: Color = Color::from_rgb(0.6, 0.4, 0.0);
const LABEL_WIDTH: f32 = 190.0;

/// The locale key of a field's label: `gateways.jkopay.base_url` → `settings.base_url`.
fn label_key(key: &str) -> String {
    let short = match key.strip_prefix("gateways.") {
        Some(rest) => rest.split_once('.').map(|(_, f)| f).unwrap_or(rest),
        None => key,
    };
    format!("settings.{}", short.replace('.', "_"))
}

fn message_line<'a>(m: &Option<Result<String, String>>) -> Element<'a, Message> {
    match m {
        Some(Ok(s)) => text(s.clone())
            .size(theme::TEXT)
            .color(theme::OK_GREEN)
            .into(),
        Some(Err(s)) => text(s.clone())
            .size(theme::TEXT)
            .color(theme::DANGER_RED)
            .into(),
        None => column![].into(),
    }
}

fn heading<'a>(s: String) -> Element<'a, Message> {
    text(s).size(theme::TEXT_LARGE).into()
}

fn small_button<'a>(label: String, on: Message, chosen: bool) -> Element<'a, Message> {
    button(text(label).size(theme::TEXT_SMALL))
        .on_press(on)
        .style(if chosen {
            theme::primary
        } else {
            theme::secondary
        })
        .padding(theme::target_padding(theme::TEXT_SMALL))
        .into()
}

fn gateway_name(g: GatewayId) -> &'static str {
    match g {
        GatewayId::JkoPay => "街口支付 JKoPay",
        GatewayId::MyPay => "MyPay Link",
        GatewayId::Ecpay => "綠界 ECPay",
        GatewayId::Goodbuy => "超商/ATM goodbuy",
    }
}

impl State {
    /// The problems `Config::problems()` found for exactly this key.
    fn problems_of<'a>(&self, key: &str) -> Element<'a, Message> {
        let mut c = Column::new().spacing(2);
        for p in self.problems.iter().filter(|p| p.key == key) {
            let color = match p.severity {
                crate::config::Severity::Error => theme::DANGER_RED,
                crate::config::Severity::Warning => WARN_AMBER,
            };
            c = c.push(text(p.message.clone()).size(theme::TEXT_SMALL).color(color));
        }
        c.into()
    }

    fn labelled<'a>(
        &self,
        key: &str,
        lang: Lang,
        input: impl Into<Element<'a, Message>>,
    ) -> Element<'a, Message> {
        column![
            row![
                text(t(lang, &label_key(key)))
                    .size(theme::TEXT_SMALL)
                    .width(LABEL_WIDTH),
                input.into(),
            ]
            .spacing(8)
            .align_y(Alignment::Center),
            self.problems_of(key),
        ]
        .spacing(2)
        .into()
    }

    fn field_row<'a>(&'a self, key: &'static str, lang: Lang) -> Element<'a, Message> {
        let input = text_input("", self.field(key))
            .id(key)
            .on_input(move |v| Message::Field(key, v))
            .size(theme::TEXT_SMALL)
            .padding(6);
        self.labelled(key, lang, input)
    }

    /// A secret: whether it is set (masked), and an empty field to replace it.
    fn secret_row<'a>(
        &'a self,
        key: &'static str,
        lang: Lang,
        current: &Secret,
    ) -> Element<'a, Message> {
        let typed = self.secrets.get(key).map(String::as_str).unwrap_or("");
        let input = row![
            text(masked(current)).size(theme::TEXT_SMALL).width(200),
            text_input(&t(lang, "settings.replace_secret"), typed)
                .id(key)
                .secure(true)
                .on_input(move |v| Message::Secret(key, v))
                .size(theme::TEXT_SMALL)
                .padding(6),
        ]
        .spacing(8)
        .align_y(Alignment::Center);
        self.labelled(key, lang, input)
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        if let Some(why) = &self.refused {
            return container(
                column![
                    text(why.clone())
                        .size(theme::TEXT_LARGE)
                        .color(theme::DANGER_RED),
                    button(text(t(lang, "settings.back")).size(theme::TEXT))
                        .on_press(Message::Back)
                        .style(theme::secondary)
                        .padding([12, 20]),
                ]
                .spacing(theme::PAD),
            )
            .padding(theme::PAD)
            .style(theme::panel)
            .width(Length::Fill)
            .height(Length::Fill)
            .into();
        }
        let mut tabs = Row::new().spacing(8);
        for tab in Tab::ALL {
            tabs = tabs.push(small_button(
                t(lang, tab.label_key()),
                Message::Tab(tab),
                tab == self.tab,
            ));
        }
        let body = match self.tab {
            Tab::Store => self.store_tab(lang),
            Tab::Gateways => self.gateways_tab(lang),
            Tab::Printer => self.printer_tab(lang),
            Tab::Scanner => self.scanner_tab(lang),
            Tab::Invoices => self.invoices_tab(lang),
            Tab::Users => self.users_tab(lang),
            Tab::Language => self.language_tab(lang),
        };
        let bar = row![
            container(message_line(&self.notice)).width(Length::Fill),
            button(text(t(lang, "settings.back")).size(theme::TEXT))
                .on_press(Message::Back)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
            button(text(t(lang, "settings.save")).size(theme::TEXT))
                .on_press(Message::Save)
                .style(theme::primary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        ]
        .spacing(theme::GAP)
        .align_y(Alignment::Center);
        container(
            column![
                tabs,
                scrollable(container(body).padding([0, 12])).height(Length::Fill),
                bar
            ]
            .spacing(theme::GAP),
        )
        .padding(theme::PAD)
        .style(theme::panel)
        .width(Length::Fill)
        .height(Length::Fill)
        .into()
    }

    fn store_tab(&self, lang: Lang) -> Element<'_, Message> {
        let yes_no = |b: bool| t(lang, if b { "settings.yes" } else { "settings.no" });
        let file = match &self.path {
            Some(p) => p.display().to_string(),
            None => t(lang, "settings.no_file"),
        };
        column![
            heading(t(lang, "settings.tab_store")),
            self.field_row("store.name", lang),
            self.field_row("store.ban", lang),
            self.field_row("store.address", lang),
            self.field_row("store.phone", lang),
            self.field_row("terminal.id", lang),
            self.field_row("terminal.name", lang),
            text(format!(
                "{}: {}",
                t(lang, "settings.demo"),
                yes_no(self.demo)
            ))
            .size(theme::TEXT_SMALL),
            text(format!("{}: {file}", t(lang, "settings.file"))).size(theme::TEXT_SMALL),
            text(t(lang, "settings.restart_hint")).size(theme::TEXT_SMALL),
        ]
        .spacing(8)
        .into()
    }

    fn gateway_section(&self, lang: Lang, g: GatewayId) -> Element<'_, Message> {
        let gw = &self.saved.gateways;
        let mut c = Column::new()
            .spacing(6)
            .push(text(gateway_name(g)).size(theme::TEXT));
        let configured = match g {
            GatewayId::JkoPay => gw.jkopay.as_ref().map(|j| {
                vec![
                    self.field_row("gateways.jkopay.base_url", lang),
                    self.field_row("gateways.jkopay.merchant_id", lang),
                    self.field_row("gateways.jkopay.store_id", lang),
                    self.field_row("gateways.jkopay.store_name", lang),
                    self.field_row("gateways.jkopay.pos_id", lang),
                    self.secret_row("gateways.jkopay.merchant_key", lang, &j.merchant_key),
                ]
            }),
            GatewayId::MyPay => gw.mypay.as_ref().map(|m| {
                vec![
                    self.field_row("gateways.mypay.base_url", lang),
                    self.field_row("gateways.mypay.agent_uid", lang),
                    self.field_row("gateways.mypay.store_uid", lang),
                    self.field_row("gateways.mypay.user_id", lang),
                    self.secret_row("gateways.mypay.key", lang, &m.key),
                ]
            }),
            GatewayId::Ecpay => gw.ecpay.as_ref().map(|e| {
                vec![
                    self.field_row("gateways.ecpay.base_url", lang),
                    self.field_row("gateways.ecpay.merchant_id", lang),
                    self.field_row("gateways.ecpay.platform_id", lang),
                    self.field_row("gateways.ecpay.return_url", lang),
                    self.secret_row("gateways.ecpay.hash_key", lang, &e.hash_key),
                    self.secret_row("gateways.ecpay.hash_iv", lang, &e.hash_iv),
                ]
            }),
            GatewayId::Goodbuy => gw.goodbuy.as_ref().map(|b| {
                vec![
                    self.field_row("gateways.goodbuy.base_url", lang),
                    self.field_row("gateways.goodbuy.agent_id", lang),
                    self.field_row("gateways.goodbuy.return_url", lang),
                    self.secret_row("gateways.goodbuy.agent_key", lang, &b.agent_key),
                ]
            }),
        };
        let testable = match configured {
            Some(rows) => {
                for r in rows {
                    c = c.push(r);
                }
                true
            }
            None if self.demo => {
                c = c.push(text(t(lang, "settings.demo_simulators")).size(theme::TEXT_SMALL));
                true
            }
            None => {
                c = c.push(text(t(lang, "settings.not_configured")).size(theme::TEXT_SMALL));
                false
            }
        };
        if testable {
            let result: Element<'_, Message> = match self.checks.get(&g) {
                None => column![].into(),
                Some(Check::Running) => text(t(lang, "settings.checking"))
                    .size(theme::TEXT_SMALL)
                    .into(),
                Some(Check::Done(r)) => text(r.describe())
                    .size(theme::TEXT_SMALL)
                    .color(if r.is_reachable() {
                        theme::OK_GREEN
                    } else {
                        theme::DANGER_RED
                    })
                    .into(),
            };
            c = c.push(
                row![
                    button(text(t(lang, "settings.test_connection")).size(theme::TEXT_SMALL))
                        .on_press(Message::TestGateway(g))
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                    result,
                ]
                .spacing(theme::GAP)
                .align_y(Alignment::Center),
            );
        }
        container(c)
            .padding(10)
            .width(Length::Fill)
            .style(container::bordered_box)
            .into()
    }

    fn gateways_tab(&self, lang: Lang) -> Element<'_, Message> {
        let [a, b, c, d] = GatewayId::ALL;
        column![
            heading(t(lang, "settings.tab_gateways")),
            text(t(lang, "settings.secrets_hint")).size(theme::TEXT_SMALL),
            self.problems_of("gateways"),
            row![self.gateway_section(lang, a), self.gateway_section(lang, b)].spacing(theme::GAP),
            row![self.gateway_section(lang, c), self.gateway_section(lang, d)].spacing(theme::GAP),
        ]
        .spacing(8)
        .into()
    }

    fn printer_tab(&self, lang: Lang) -> Element<'_, Message> {
        let mut profiles: Vec<String> = crate::print::Profile::builtin_names()
            .into_iter()
            .map(str::to_string)
            .collect();
        let current = self.field("printer.profile").to_string();
        if !current.is_empty() && !profiles.contains(&current) {
            profiles.push(current.clone());
        }
        let profile = pick_list(profiles, Some(current), |p| {
            Message::Field("printer.profile", p)
        })
        .text_size(theme::TEXT_SMALL);
        let kind = self.field("printer.kind");
        let mut kinds = Row::new().spacing(8);
        for k in TRANSPORTS {
            kinds = kinds.push(small_button(
                t(lang, &format!("settings.transport_{k}")),
                Message::Field("printer.kind", k.to_string()),
                kind == k,
            ));
        }
        let mut c = column![
            heading(t(lang, "settings.tab_printer")),
            self.labelled("printer.profile", lang, profile),
            self.labelled("printer.kind", lang, kinds),
        ]
        .spacing(8);
        let rows: &[&'static str] = match kind {
            "tcp" => &["printer.host", "printer.port"],
            "serial" => &["printer.path", "printer.baud", "printer.flow"],
            "file" => &["printer.path"],
            "usb" => &["printer.usb"],
            _ => &[],
        };
        for key in rows {
            c = c.push(self.field_row(key, lang));
        }
        c = c.push(
            text(format!(
                "{}: {}",
                t(lang, "settings.printer_transport"),
                self.transport()
            ))
            .size(theme::TEXT_SMALL),
        );
        c = c.push(self.problems_of("printer.transport"));
        let status: Element<'_, Message> = match &self.printer_check {
            None => column![].into(),
            Some(PrinterCheck::Running) => text(t(lang, "settings.checking"))
                .size(theme::TEXT_SMALL)
                .into(),
            Some(PrinterCheck::Done(words)) => text(words.clone()).size(theme::TEXT).into(),
        };
        c.push(
            row![
                button(text(t(lang, "settings.printer_status")).size(theme::TEXT_SMALL))
                    .on_press(Message::PrinterStatus)
                    .style(theme::secondary)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
                button(text(t(lang, "settings.test_print")).size(theme::TEXT_SMALL))
                    .on_press(Message::TestPrint)
                    .style(theme::secondary)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
            ]
            .spacing(theme::GAP),
        )
        .push(status)
        .push(message_line(&self.printed))
        .into()
    }

    fn scanner_tab(&self, lang: Lang) -> Element<'_, Message> {
        let kind = self.field("scanner.kind");
        let mut kinds = Row::new().spacing(8);
        for k in SCANNER_KINDS {
            kinds = kinds.push(small_button(
                t(lang, &format!("settings.scanner_{k}")),
                Message::Field("scanner.kind", k.to_string()),
                kind == k,
            ));
        }
        let mut c = column![
            heading(t(lang, "settings.tab_scanner")),
            self.labelled("scanner.kind", lang, kinds),
            self.problems_of("scanner"),
        ]
        .spacing(8);
        let keys: &[&'static str] = match kind {
            "serial" => &[
                "scanner.device",
                "scanner.baud",
                "scanner.data_bits",
                "scanner.parity",
                "scanner.stop_bits",
                "scanner.terminator",
                "scanner.strip_prefix",
                "scanner.strip_suffix",
            ],
            "hid" => &[
                "scanner.device",
                "scanner.strip_prefix",
                "scanner.strip_suffix",
            ],
            _ => &[
                "scanner.wedge_max_gap_ms",
                "scanner.wedge_min_len",
                "scanner.wedge_idle_ms",
                "scanner.strip_prefix",
                "scanner.strip_suffix",
            ],
        };
        for key in keys {
            c = c.push(self.field_row(key, lang));
        }
        let mut result = Column::new().spacing(2);
        for line in &self.last_scan {
            result = result.push(text(line.clone()).size(theme::TEXT_SMALL));
        }
        c.push(text(t(lang, "settings.scan_test")).size(theme::TEXT))
            .push(
                row![
                    text_input(&t(lang, "settings.scan_here"), &self.scan_input)
                        .id("settings.scan")
                        .on_input(Message::ScanInput)
                        .on_submit(Message::Classify)
                        .size(theme::TEXT_SMALL)
                        .padding(6),
                    button(text(t(lang, "settings.classify")).size(theme::TEXT_SMALL))
                        .on_press(Message::Classify)
                        .style(theme::secondary)
                        .padding(theme::target_padding(theme::TEXT_SMALL)),
                ]
                .spacing(8),
            )
            .push(result)
            .into()
    }

    fn invoices_tab(&self, lang: Lang) -> Element<'_, Message> {
        let mut list = Column::new().spacing(4);
        match &self.rolls {
            Ok(v) => {
                list = list.push(
                    text(tf(lang, "settings.rolls_heading", &[("period", &v.period)]))
                        .size(theme::TEXT),
                );
                for r in &v.rolls {
                    list = list.push(
                        text(tf(
                            lang,
                            "settings.roll_line",
                            &[
                                ("track", &r.track),
                                ("first", &format!("{:08}", r.first)),
                                ("last", &format!("{:08}", r.last)),
                                ("used", &r.used.to_string()),
                                ("left", &r.left.to_string()),
                            ],
                        ))
                        .size(theme::TEXT_SMALL),
                    );
                }
                if v.rolls.is_empty() {
                    list = list.push(text(t(lang, "settings.no_rolls")).size(theme::TEXT_SMALL));
                }
                if v.low {
                    list = list.push(
                        text(tf(
                            lang,
                            "settings.rolls_low",
                            &[("left", &v.numbers_left.to_string())],
                        ))
                        .size(theme::TEXT_SMALL)
                        .color(theme::DANGER_RED),
                    );
                }
            }
            Err(e) => list = list.push(text(e.clone()).size(theme::TEXT_SMALL)),
        }
        let f = &self.roll_form;
        let input = |placeholder: String, value: &str, on: fn(String) -> Message| {
            text_input(&placeholder, value)
                .on_input(on)
                .size(theme::TEXT_SMALL)
                .padding(6)
                .width(Length::FillPortion(1))
        };
        column![
            heading(t(lang, "settings.tab_invoices")),
            list,
            text(t(lang, "settings.add_roll")).size(theme::TEXT),
            row![
                input(
                    t(lang, "settings.roll_period"),
                    &f.period,
                    Message::RollPeriod
                )
                .id("settings.roll.period"),
                input(t(lang, "settings.roll_track"), &f.track, Message::RollTrack)
                    .id("settings.roll.track"),
                input(t(lang, "settings.roll_first"), &f.first, Message::RollFirst)
                    .id("settings.roll.first"),
                input(t(lang, "settings.roll_last"), &f.last, Message::RollLast)
                    .id("settings.roll.last"),
                button(text(t(lang, "settings.add_roll_button")).size(theme::TEXT_SMALL))
                    .on_press(Message::AddRoll)
                    .style(theme::secondary)
                    .padding(theme::target_padding(theme::TEXT_SMALL)),
            ]
            .spacing(8),
            message_line(&f.message),
            self.problems_of("einvoice.issuer"),
            self.secret_row("einvoice.qr_key", lang, &self.saved.einvoice.qr_key),
            self.field_row("einvoice.turnkey_dir", lang),
            self.field_row("einvoice.low_water", lang),
        ]
        .spacing(8)
        .into()
    }

    fn users_tab(&self, lang: Lang) -> Element<'_, Message> {
        let f = &self.staff_form;
        let role_name = |r: Role| match r {
            Role::Manager => t(lang, "signin.manager"),
            Role::Cashier => t(lang, "signin.cashier"),
        };
        let mut people = Column::new().spacing(6);
        for u in &self.staff {
            let chosen = f.who.as_deref() == Some(u.name.as_str());
            people = people.push(
                button(
                    row![
                        text(u.name.clone())
                            .size(theme::TEXT_SMALL)
                            .width(Length::Fill),
                        text(role_name(u.role)).size(theme::TEXT_SMALL),
                    ]
                    .spacing(8),
                )
                .width(Length::Fill)
                .padding(theme::target_padding(theme::TEXT_SMALL))
                .style(if chosen {
                    theme::primary
                } else {
                    theme::secondary
                })
                .on_press(Message::PickUser(u.name.clone())),
            );
        }
        let pin_input =
            |placeholder: String, value: &str, id: &'static str, on: fn(String) -> Message| {
                text_input(&placeholder, value)
                    .id(id)
                    .secure(true)
                    .on_input(on)
                    .size(theme::TEXT_SMALL)
                    .padding(6)
            };
        let role = f.role.unwrap_or(Role::Cashier);
        let add = column![
            text(t(lang, "settings.add_user")).size(theme::TEXT),
            text_input(&t(lang, "settings.user_name"), &f.name)
                .id("settings.user.name")
                .on_input(Message::NewName)
                .size(theme::TEXT_SMALL)
                .padding(6),
            row![
                small_button(
                    t(lang, "settings.as_cashier"),
                    Message::NewRole(Role::Cashier),
                    role == Role::Cashier
                ),
                small_button(
                    t(lang, "settings.as_manager"),
                    Message::NewRole(Role::Manager),
                    role == Role::Manager
                ),
            ]
            .spacing(8),
            pin_input(
                t(lang, "settings.pin"),
                &f.pin,
                "settings.user.pin",
                Message::NewPin
            ),
            pin_input(
                t(lang, "settings.pin_again"),
                &f.pin_again,
                "settings.user.pin_again",
                Message::NewPinAgain
            ),
            button(text(t(lang, "settings.add_user_button")).size(theme::TEXT_SMALL))
                .on_press(Message::AddUser)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        ]
        .spacing(8)
        .width(Length::FillPortion(1));
        let who = f
            .who
            .clone()
            .unwrap_or_else(|| t(lang, "settings.pick_user"));
        let change = column![
            text(t(lang, "settings.change_pin")).size(theme::TEXT),
            text(who).size(theme::TEXT_SMALL),
            pin_input(
                t(lang, "settings.pin"),
                &f.new_pin,
                "settings.change.pin",
                Message::ChangePin
            ),
            pin_input(
                t(lang, "settings.pin_again"),
                &f.new_pin_again,
                "settings.change.pin_again",
                Message::ChangePinAgain
            ),
            button(text(t(lang, "settings.change_pin_button")).size(theme::TEXT_SMALL))
                .on_press(Message::SavePin)
                .style(theme::secondary)
                .padding(theme::target_padding(theme::TEXT_SMALL)),
        ]
        .spacing(8)
        .width(Length::FillPortion(1));
        column![
            heading(t(lang, "settings.tab_users")),
            row![
                column![text(t(lang, "settings.staff")).size(theme::TEXT), people]
                    .spacing(8)
                    .width(Length::FillPortion(1)),
                add,
                change
            ]
            .spacing(theme::PAD),
            message_line(&f.message),
            text(t(lang, "settings.pin_rule")).size(theme::TEXT_SMALL),
        ]
        .spacing(8)
        .into()
    }

    fn language_tab(&self, lang: Lang) -> Element<'_, Message> {
        column![
            heading(t(lang, "settings.tab_language")),
            row![
                small_button(
                    "中文 (zh-TW)".to_string(),
                    Message::Language(Lang::ZhTw),
                    lang == Lang::ZhTw
                ),
                small_button(
                    "English (en)".to_string(),
                    Message::Language(Lang::En),
                    lang == Lang::En
                ),
            ]
            .spacing(8),
            text(t(lang, "settings.language_hint")).size(theme::TEXT_SMALL),
        ]
        .spacing(8)
        .into()
    }
}
