//! `till render`, `till virtual-printer`, `till print …`, `till printer
//! status` and `till devices`.

use super::output::say;
use crate::locale::Text;
use crate::{errln, outln};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;

use crate::config::Config;
use crate::device::printer::virtual_printer::{VirtualPrinter, report_text};
use crate::device::printer::{Printer, Transport};
use crate::einvoice::mypay::{MypayInvoice, MypayInvoiceFields};
use crate::money::Ntd;
use crate::print::{DetailSlipData, Profile, ProofData, detail_slip_document, encode, render};
use crate::secret::Secret;
use crate::terminal::{Approval, DETAIL_SLIP, Terminal, mypay_detail_slip, mypay_proof};

/// Exit code for a printer that cannot be reached (as "unknown").
const EXIT_UNREACHABLE: u8 = 2;

#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// ESC/POS bytes, as captured from a printer port or `file://` transport
    pub file: PathBuf,
    /// Printer profile name (see drivers/printers/) or a .toml file
    #[arg(long)]
    pub profile: String,
    /// Where to write the PNG
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct VirtualPrinterArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1:9100")]
    pub listen: String,
    /// Directory for job-NNNN.png and job-NNNN.txt (default: the data directory)
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Printer profile to behave as
    #[arg(long, default_value = "generic-58-big5")]
    pub profile: String,
}

#[derive(clap::Subcommand, Debug)]
pub enum PrintCommand {
    /// Print an e-invoice proof from a MyPay query answer or a ProofData JSON
    Einvoice(EinvoiceArgs),
    /// Print a test page on the configured printer
    Test,
}

#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("dest").required(true).args(["out", "printer"]))]
pub struct EinvoiceArgs {
    /// JSON file: MyPay's answer (invoice_* fields) or a proof's fields
    #[arg(long)]
    pub from: PathBuf,
    /// Print as 補印 (a reprint); on a printer this needs --manager and a PIN on standard input
    #[arg(long)]
    pub reprint: bool,
    /// Manager approving a reprint
    #[arg(long, requires = "reprint")]
    pub manager: Option<String>,
    /// Write a preview PNG instead of printing
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// `default` for the configured printer, or a transport (tcp://HOST:9100, virtual…)
    #[arg(long)]
    pub printer: Option<String>,
    /// Profile for --out or --printer (default: the configured one)
    #[arg(long)]
    pub profile: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum PrinterCommand {
    /// Ask the configured printer for its status (DLE EOT); exit 1 when it cannot print
    Status,
}

/// `till render`.
pub fn render_file(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let profile = Profile::find(&args.profile)?;
    let bytes = std::fs::read(&args.file).map_err(|e| {
        anyhow::anyhow!(say(Text::new("words.cli.cannot_read")
            .arg("path", args.file.display())
            .arg("error", e)))
    })?;
    let rendered = render(&bytes, &profile);
    write_file(&args.out, &rendered.png())?;
    crate::cli::output::write_stdout(format_args!("{}", report_text(&rendered.report)));
    outln!(
        "已寫入 {} ({}×{} 點) / wrote {} ({}×{} dots)",
        args.out.display(),
        rendered.image.width(),
        rendered.image.height(),
        args.out.display(),
        rendered.image.width(),
        rendered.image.height()
    );
    Ok(if rendered.report.unknown.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| {
        anyhow::anyhow!(say(Text::new("words.cli.cannot_write")
            .arg("path", path.display())
            .arg("error", e)))
    })
}

/// `till virtual-printer`: runs until interrupted.
pub fn virtual_printer(args: &VirtualPrinterArgs) -> anyhow::Result<ExitCode> {
    let profile = Profile::find(&args.profile)?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(crate::device::printer::virtual_printer::default_dir);
    let vp = VirtualPrinter::bind(&args.listen, &dir, profile).map_err(|e| {
        anyhow::anyhow!(say(Text::new("words.cli.cannot_listen")
            .arg("address", &args.listen)
            .arg("error", e)))
    })?;
    outln!(
        "虛擬印表機 ({}) 接聽 {},輸出到 {} / virtual printer ({}) listening on {}, writing to {}",
        args.profile,
        vp.local_addr()?,
        dir.display(),
        args.profile,
        vp.local_addr()?,
        dir.display()
    );
    vp.serve()?;
    Ok(ExitCode::SUCCESS)
}

/// The fields of a proof, as JSON (ProofData itself has no serde).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofJson {
    #[serde(default)]
    seller_name: Option<String>,
    period_label: String,
    number_dashed: String,
    datetime: String,
    random_code: String,
    total: i64,
    seller_ban: String,
    #[serde(default)]
    buyer_ban: Option<String>,
    code39: String,
    left_qr: String,
    right_qr: String,
    #[serde(default)]
    test: bool,
}

/// What `till print einvoice` prints, from either JSON shape: the proof
/// (補印 when `reprint`) and,
/// for a MyPay invoice to a company, its detail slip (交易明細) after it,
/// as the till's own B2B invoices print. A 補印 reprints the proof alone.
/// MyPay's answer is recognised by its `invoice_*` fields, at the top or
/// under `data`; one MyPay stored in a carrier or donated is refused: no
/// paper proof exists for it ([`mypay_proof`]).
fn paper_from_json(
    text: &str,
    reprint: bool,
) -> anyhow::Result<(ProofData, Option<DetailSlipData>)> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| anyhow::anyhow!(say(Text::new("words.cli.not_json").arg("error", e))))?;
    let mypay = [&value, &value["data"]]
        .into_iter()
        .find(|v| v.get("invoice_number").is_some());
    if let Some(v) = mypay {
        let fields: MypayInvoiceFields = serde_json::from_value(v.clone())?;
        let inv = MypayInvoice::from_fields(&fields)?;
        let proof = mypay_proof(&inv, reprint)?;
        let slip = if reprint {
            None
        } else {
            // The proof is the legal document: it prints even when MyPay's
            // items cannot fill the slip.
            mypay_detail_slip(&inv, false, false).unwrap_or_else(|e| {
                errln!("till: {e}");
                None
            })
        };
        return Ok((proof, slip));
    }
    let p: ProofJson = serde_json::from_value(value).map_err(|e| {
        anyhow::anyhow!(say(Text::new("words.cli.not_proof_fields").arg("error", e)))
    })?;
    let proof = ProofData {
        seller_name: p.seller_name,
        period_label: p.period_label,
        number_dashed: p.number_dashed,
        datetime: p.datetime,
        random_code: p.random_code,
        total: Ntd::new(p.total),
        seller_ban: p.seller_ban,
        buyer_ban: p.buyer_ban,
        code39: p.code39,
        left_qr: p.left_qr,
        right_qr: p.right_qr,
        test: p.test,
        reprint,
    };
    Ok((proof, None))
}

fn printer_for(cfg: &Config, target: &str, profile: Option<&str>) -> anyhow::Result<Printer> {
    let profile = Profile::find(profile.unwrap_or(&cfg.printer.profile))?;
    let transport = if target == "default" {
        Transport::parse(&cfg.printer.transport)?
    } else {
        Transport::parse(target)?
    };
    Ok(Printer::new(profile, transport))
}

/// `till print …`.
pub fn print(
    cmd: &PrintCommand,
    cfg: &Config,
    terminal: impl FnOnce() -> anyhow::Result<Terminal>,
) -> anyhow::Result<ExitCode> {
    match cmd {
        PrintCommand::Test => {
            let mut printer = Printer::from_config(&cfg.printer)?;
            let bytes = encode(
                &crate::terminal::test_page(&cfg.store, &printer),
                &printer.profile,
            )?;
            match printer.send(&bytes) {
                Ok(_) => {
                    outln!(
                        "測試頁已送到 {} / test page sent to {}",
                        printer.target,
                        printer.target
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    outln!("{e}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        PrintCommand::Einvoice(a) => {
            let text = std::fs::read_to_string(&a.from).map_err(|e| {
                anyhow::anyhow!(say(Text::new("words.cli.cannot_read")
                    .arg("path", a.from.display())
                    .arg("error", e)))
            })?;
            let (proof, slip) = paper_from_json(&text, a.reprint)?;
            if let Some(out) = &a.out {
                // A preview: nothing is printed, so no approval is needed.
                let profile = Profile::find(a.profile.as_deref().unwrap_or(&cfg.printer.profile))?;
                let mut bytes = encode(&crate::print::proof_document(&proof), &profile)?;
                if let Some(slip) = &slip {
                    bytes.extend(encode(&detail_slip_document(slip), &profile)?);
                }
                let rendered = render(&bytes, &profile);
                write_file(out, &rendered.png())?;
                outln!("已寫入 {} / wrote {}", out.display(), out.display());
                return Ok(ExitCode::SUCCESS);
            }
            let pin;
            let approval = match (a.reprint, &a.manager) {
                (false, _) => None,
                (true, None) => anyhow::bail!(say(Text::new("words.cli.reprint_needs_manager"))),
                (true, Some(m)) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s)?;
                    pin = Secret::new(s.trim().to_string());
                    Some(Approval {
                        manager: m,
                        pin: &pin,
                    })
                }
            };
            let target = a.printer.as_deref().unwrap_or("default");
            let mut printer = printer_for(cfg, target, a.profile.as_deref())?;
            let mut t = terminal()?;
            match t.print_proof(&mut printer, &proof, None, approval) {
                Ok(job) => {
                    outln!(
                        "{}",
                        say(Text::new("words.cli.proof_printed").arg("job", job))
                    );
                    let Some(slip) = &slip else {
                        return Ok(ExitCode::SUCCESS);
                    };
                    let bytes = encode(&detail_slip_document(slip), &printer.profile)?;
                    match t.print(&mut printer, DETAIL_SLIP, &bytes, None, None) {
                        Ok(job) => {
                            outln!(
                                "{}",
                                say(Text::new("words.cli.detail_slip_printed").arg("job", job))
                            );
                            Ok(ExitCode::SUCCESS)
                        }
                        Err(e @ crate::terminal::PrintError::Printer { .. }) => {
                            outln!("{e}");
                            Ok(ExitCode::from(1))
                        }
                        Err(e) => Err(e.into()),
                    }
                }
                Err(e @ crate::terminal::PrintError::Printer { .. }) => {
                    outln!("{e}");
                    Ok(ExitCode::from(1))
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// `till printer status`.
pub fn printer_status(cmd: &PrinterCommand, cfg: &Config) -> anyhow::Result<ExitCode> {
    let PrinterCommand::Status = cmd;
    let mut printer = Printer::from_config(&cfg.printer)?;
    outln!("{} ({})", printer.target, printer.profile.name);
    match printer.status() {
        Ok(None) => {
            outln!("{}", say(Text::new("words.cli.printer_no_status")));
            Ok(ExitCode::SUCCESS)
        }
        Ok(Some(s)) => {
            let yes = |b: bool| if b { "是 yes" } else { "否 no" };
            outln!("連線 online:          {}", yes(s.online));
            outln!("上蓋開啟 cover open:   {}", yes(s.cover_open));
            outln!("缺紙 paper end:        {}", yes(s.paper_end));
            outln!("紙將盡 paper near end: {}", yes(s.paper_near_end));
            outln!("錢櫃開啟 drawer open:  {}", yes(s.drawer_open));
            outln!("故障 error:            {}", yes(s.error));
            match s.problem() {
                None => {
                    outln!("{}", say(Text::new("words.cli.ready_to_print")));
                    Ok(ExitCode::SUCCESS)
                }
                Some(p) => {
                    outln!("{p}");
                    Ok(ExitCode::from(1))
                }
            }
        }
        Err(e) => {
            outln!("{e}");
            Ok(ExitCode::from(EXIT_UNREACHABLE))
        }
    }
}

/// `till devices`.
pub fn devices() -> anyhow::Result<ExitCode> {
    outln!("序列埠 serial ports:");
    match crate::device::scanner::serial::available_ports() {
        Ok(ports) if ports.is_empty() => outln!("  ({})", say(Text::new("words.cli.none_found"))),
        Ok(ports) => {
            for p in ports {
                outln!("  {}  {}", p.path, p.description);
            }
        }
        Err(e) => outln!("  {e}"),
    }
    outln!("USB:");
    match crate::device::printer::usb::list() {
        Ok(list) if list.is_empty() => outln!("  ({})", say(Text::new("words.cli.no_usb_devices"))),
        Ok(list) => {
            for d in list {
                outln!(
                    "  usb://{:04x}:{:04x}  bus {} addr {}{}  {}",
                    d.vid,
                    d.pid,
                    d.bus,
                    d.address,
                    if d.printer { "  印表機 printer" } else { "" },
                    d.product.unwrap_or_default()
                );
            }
        }
        Err(e) => outln!(
            "  無法列出 USB 裝置(此機器可能沒有 USB 匯流排)/ cannot list USB devices (this machine may have no USB bus): {e}"
        ),
    }
    Ok(ExitCode::SUCCESS)
}
