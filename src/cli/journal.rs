//! `till journal verify | path`: the journal's integrity and where it is.

use super::output::{lang, say, word};
use crate::locale::Text;
use crate::outln;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use crate::logging::Redactor;
use crate::terminal;

#[derive(Subcommand)]
pub enum JournalCommand {
    /// Verify SQLite integrity, the audit chain and every sealed row (exit 1 when tampered)
    Verify(VerifyArgs),
    /// Print where the journal file is
    Path,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The anchor code from the last Z slip: also proves the journal was
    /// not cut short or restored from an older copy since
    #[arg(long, value_name = "CODE")]
    anchor: Option<String>,
    /// A journal file other than the configured one (e.g. a copy)
    #[arg(long, value_name = "FILE", requires = "key")]
    journal: Option<PathBuf>,
    /// The seal key file for --journal
    #[arg(long, value_name = "FILE", requires = "journal")]
    key: Option<PathBuf>,
    /// Machine-readable output
    #[arg(long)]
    json: bool,
}

pub fn journal_verify(
    journal: &crate::journal::Journal,
    args: &VerifyArgs,
) -> anyhow::Result<ExitCode> {
    let anchor = args
        .anchor
        .as_deref()
        .map(str::parse::<crate::journal::Anchor>)
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
    let crate::journal::Verification {
        sqlite,
        audit,
        seals,
        anchor: anchored,
    } = journal.verify(anchor.as_ref())?;
    let intact = sqlite.is_empty()
        && audit.is_intact()
        && seals.as_ref().is_some_and(|s| s.is_intact())
        && anchored.is_empty();
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "intact": intact,
                "sqlite": sqlite,
                "audit": audit,
                "seals": seals,
                "anchor": anchor.as_ref().map(|a| a.to_string()),
                "anchor_problems": anchored,
            }))?
        );
        return Ok(ExitCode::from(if intact { 0 } else { 1 }));
    }
    for p in &sqlite {
        outln!("SQLite: {p}");
    }
    let lang = lang();
    if let Some(problem) = &audit.first_problem {
        outln!("{}", word(problem, lang));
    }
    match &seals {
        None => outln!("{}", say(Text::new("words.cli.journal_not_sealed"))),
        Some(s) => {
            for p in &s.problems {
                outln!("{}", word(p, lang));
            }
            if s.more > 0 {
                outln!("… 另有 {} 筆 / {} more rows", s.more, s.more);
            }
        }
    }
    for p in &anchored {
        outln!("{}", word(p, lang));
    }
    if intact {
        let s = seals.as_ref().expect("intact means sealed");
        outln!(
            "日誌完整:{} 筆稽核紀錄,{} 筆封存資料,封存鏈 {} 筆 / journal intact: {} audit rows, {} sealed rows, {} chain entries, head {}",
            audit.rows,
            s.rows_checked,
            s.chain_entries,
            audit.rows,
            s.rows_checked,
            s.chain_entries,
            s.head
        );
        if let Some(a) = &anchor {
            outln!("與錨碼相符 / matches the anchor {a}");
        }
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

/// `till journal …`.
pub fn run(
    cmd: JournalCommand,
    explicit: Option<&Path>,
    redactor: &Redactor,
) -> anyhow::Result<ExitCode> {
    match cmd {
        JournalCommand::Path => {
            let (cfg, source) = super::load(explicit, redactor)?;
            outln!("{}", terminal::journal_path(&cfg, &source).display());
            Ok(ExitCode::SUCCESS)
        }
        JournalCommand::Verify(args) => {
            let journal = match (&args.journal, &args.key) {
                (Some(path), Some(key)) => crate::journal::Journal::open_with_key(path, key)?,
                _ => {
                    let (cfg, source) = super::load(explicit, redactor)?;
                    let path = terminal::journal_path(&cfg, &source);
                    if !path.exists() {
                        anyhow::bail!(say(
                            Text::new("words.cli.no_journal").arg("path", path.display())
                        ));
                    }
                    crate::journal::Journal::open_with_key(
                        &path,
                        terminal::seal_key_path(&cfg, &path),
                    )?
                }
            };
            journal_verify(&journal, &args)
        }
    }
}
