//! `till history`: find sales by trade number, receipt code or date.

use super::output::say;
use crate::locale::Text;
use crate::outln;
use std::process::ExitCode;

use crate::terminal::Terminal;

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// A sale number, trade number, receipt code (TL…), gateway trade number or invoice number
    #[arg(long, conflicts_with_all = ["from", "to"])]
    trade: Option<String>,
    /// First Taipei business date (YYYY-MM-DD); default today
    #[arg(long)]
    from: Option<chrono::NaiveDate>,
    /// Last Taipei business date (YYYY-MM-DD); default the same as --from
    #[arg(long)]
    to: Option<chrono::NaiveDate>,
    /// Most sales to list (one page); a full page says how to get the next
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Continue after this cursor: the `next` of the previous page
    #[arg(long, value_name = "CURSOR", conflicts_with_all = ["trade", "all"])]
    after: Option<crate::journal::Cursor>,
    /// Every sale in the range, however many (with --json: one JSON object per line)
    #[arg(long, conflicts_with = "trade")]
    all: bool,
    /// Machine-readable output: {"items": [...], "more": bool, "next": CURSOR or null}
    #[arg(long)]
    json: bool,
}

pub fn history(t: &Terminal, args: &HistoryArgs) -> anyhow::Result<ExitCode> {
    let journal = t.journal();
    if let Some(code) = &args.trade {
        let Some(sale) = journal.lookup(code)? else {
            outln!(
                "{}",
                say(Text::new("words.cli.nothing_found").arg("query", code))
            );
            return Ok(ExitCode::from(1));
        };
        let detail = journal
            .sale_detail(&sale)?
            .ok_or_else(|| anyhow::anyhow!("sale {sale} vanished while reading"))?;
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&detail)?);
        } else {
            let s = &detail.summary;
            outln!(
                "{}  {}  {}  {}  {}",
                s.sale_no,
                s.created_at,
                s.cashier,
                s.total,
                s.status.as_str()
            );
            for line in &detail.lines {
                outln!(
                    "  {} × {}  {}",
                    line.name,
                    line.qty,
                    line.total().unwrap_or_default()
                );
            }
            for a in detail.payments.iter().chain(&detail.refunds) {
                outln!(
                    "  {}  {}  {}  {}",
                    a.trade_no,
                    a.gateway.map(|g| g.as_str()).unwrap_or("cash"),
                    a.amount,
                    a.state.name_zh()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let from = args
        .from
        .unwrap_or_else(|| crate::taipei::now().date_naive());
    let to = args.to.unwrap_or(from);
    let line = |s: &crate::journal::SaleSummary| {
        format!(
            "{}  {}  {:>10}  {}  {}",
            s.sale_no,
            s.created_at,
            s.total.to_string(),
            s.status.as_str(),
            s.cashier
        )
    };
    if args.all {
        // Page by page, so a year of sales streams in constant memory and
        // stops as soon as the reader goes away.
        const PAGE: u32 = 1000;
        let (mut after, mut count) = (None, 0usize);
        loop {
            let page = journal.sales_by_date(from, to, after, PAGE)?;
            for s in &page.items {
                if args.json {
                    outln!("{}", serde_json::to_string(s)?);
                } else {
                    outln!("{}", line(s));
                }
            }
            count += page.items.len();
            match page.next {
                Some(next) if !crate::cli::output::stdout_closed() => after = Some(next),
                _ => break,
            }
        }
        if !args.json {
            outln!(
                "{}",
                say(Text::new("words.cli.sale_count").arg("count", count))
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let page = journal.sales_by_date(from, to, args.after, args.limit)?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&crate::cli::output::listing(&page.items, page.next))?
        );
    } else {
        for s in &page.items {
            outln!("{}", line(s));
        }
        outln!("{} 筆 / {} sales", page.items.len(), page.items.len());
        if let Some(next) = page.next {
            outln!(
                "{}",
                say(Text::new("words.cli.more_after").arg("next", next))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
