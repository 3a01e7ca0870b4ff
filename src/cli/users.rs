//! `till user add | list`: the staff who sign in at the till.

use super::output::say;
use crate::locale::Text;
use crate::outln;
use std::process::ExitCode;

use clap::Subcommand;

use crate::journal::Role;
use crate::secret::Secret;
use crate::terminal::Terminal;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a cashier or manager; the PIN (4-8 digits) is read from standard input
    Add {
        name: String,
        #[arg(long, value_parser = ["cashier", "manager"], default_value = "cashier")]
        role: String,
    },
    /// List the staff who can sign in
    List {
        /// Machine-readable output: {"items": [...], "more": false, "next": null}
        #[arg(long)]
        json: bool,
    },
}

pub fn user(t: &mut Terminal, cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::List { json } => {
            let staff = t.staff()?;
            if json {
                let none: Option<String> = None;
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&crate::cli::output::listing(&staff, none))?
                );
            } else {
                for u in staff {
                    outln!("{}  {:?}", u.name, u.role);
                }
            }
        }
        UserCommand::Add { name, role } => {
            let role = if role == "manager" {
                Role::Manager
            } else {
                Role::Cashier
            };
            let mut pin = String::new();
            std::io::stdin().read_line(&mut pin)?;
            let pin = Secret::new(pin.trim().to_string());
            t.journal_mut().add_user(&name, role, &pin, "cli")?;
            outln!(
                "{}",
                say(Text::new("words.cli.added_name").arg("name", name))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
