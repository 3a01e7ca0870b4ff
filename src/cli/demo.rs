//! `till simulate` and `till demo reset`: the demo's simulators and data.

use super::output::say;
use crate::locale::Text;
use crate::outln;
use std::process::ExitCode;

use clap::Args;

use super::session::{demo_books, runtime, usage};
use crate::config::{self, Config, Source};
use crate::sim::Simulators;

#[derive(clap::Subcommand)]
pub enum DemoCommand {
    /// Start the demo afresh: no demo sales, and simulated vendors that were never paid (close the demo till first)
    Reset,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// Address to listen on (loopback only)
    #[arg(long, default_value = "127.0.0.1")]
    pub listen_base: String,
}

/// `till demo reset`: the demo's data directory (its journal, the
/// simulators' books) removed, so the next demo command starts afresh.
pub fn demo_reset() -> ExitCode {
    let journal = crate::terminal::journal_path(&Config::demo(), &Source::Demo);
    let Some(dir) = journal.parent() else {
        return usage("no demo directory");
    };
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {
            outln!(
                "示範資料已清除 / the demo data was removed: {}",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            outln!("沒有示範資料 / there was no demo data: {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => usage(format!("{}: {e}", dir.display())),
    }
}

pub fn simulate(args: SimulateArgs) -> ExitCode {
    if args.listen_base != "127.0.0.1" {
        return usage(Text::new("words.cli.simulators_on_loopback"));
    }
    runtime().block_on(async move {
        // The demo's books: a payment made through these is known to every
        // other demo process.
        let sims = match Simulators::start_demo(&demo_books()).await {
            Ok(s) => s,
            Err(e) => return usage(e),
        };
        outln!("JKoPay  {}", sims.jkopay.server.base_url());
        outln!("MyPay   http://{}/", sims.mypay.addr());
        outln!("ECPay   http://{}/", sims.ecpay.addr());
        outln!("goodbuy http://{}/", sims.goodbuy.addr());
        outln!();
        outln!("# {}", say(Text::new("words.cli.paste_into_config")));
        let gateways = sims.demo_config().gateways;
        #[derive(serde::Serialize)]
        struct Snippet {
            gateways: config::Gateways,
        }
        match toml::to_string(&Snippet { gateways }) {
            Ok(s) => outln!("{s}"),
            Err(e) => return usage(e),
        }
        outln!("# {}", say(Text::new("words.cli.ctrl_c_to_stop")));
        std::future::pending::<ExitCode>().await
    })
}
