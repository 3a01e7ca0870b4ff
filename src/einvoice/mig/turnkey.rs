//! Handing messages to the Turnkey uploader: one XML file per message in
//! the folder Turnkey watches, written so Turnkey never sees half a file
//! and an existing file is never replaced.
//!
//! Folders under Turnkey's data folder (`root`, "TK 所在目錄/Data"):
//! - F0401, F0501, G0401, G0501: `UpCast/B2SSTORAGE/{type}/SRC` \[code:
//!   ho600 `B2SStorageUpCastSRC` for F0401/F0501/F0701; a public Turnkey
//!   test harness uses the same for G0401/G0501\]. (MIG 3.x C0401 went to
//!   `UpCast/B2CSTORAGE/C0401/SRC`: ho600 `docs/merchant_create_b2c_invoice.rst`.)
//! - E0402: `UpCast/B2PMESSAGE/E0402/SRC` \[code: ho600 `B2PMessageUpCastSRC`\].
//!
//! Turnkey does not prescribe file names \[code: ho600 writes
//! `{routing}_{type}_{version}_{number}.xml`, others `{type}_{number}.xml`\];
//! `till` writes `{type}_{key}_{YYYYMMDDHHMMSS}.xml` so a later message for
//! the same number (an allowance after a void was refused, say) never
//! collides. Turnkey moves processed files out of `SRC`, so what is still
//! there is what has not been picked up yet ([`pending`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use super::MessageType;
use crate::taipei::TaipeiTime;

#[derive(Debug, thiserror::Error)]
pub enum TurnkeyError {
    Io { path: PathBuf, source: io::Error },
    AlreadyExists(PathBuf),
    BadKey(String),
}
impl crate::locale::Localized for TurnkeyError {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            Self::Io { path, source } => fill(
                lang,
                "words.turnkey.io",
                &[("path", &path.display()), ("source", source)],
            ),
            Self::AlreadyExists(v0) => fill(
                lang,
                "words.turnkey.already_exists",
                &[("value", &v0.display())],
            ),
            Self::BadKey(v0) => fill(lang, "words.turnkey.bad_key", &[("value", v0)]),
        }
    }
}

crate::display_both!(TurnkeyError);

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> TurnkeyError + '_ {
    move |source| TurnkeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The folder Turnkey uploads `message` files from.
pub fn src_dir(root: &Path, message: MessageType) -> PathBuf {
    let channel = match message {
        MessageType::E0402 => "B2PMESSAGE",
        _ => "B2SSTORAGE",
    };
    root.join("UpCast")
        .join(channel)
        .join(message.code())
        .join("SRC")
}

/// `{type}_{key}_{YYYYMMDDHHMMSS}.xml`.
pub fn file_name(message: MessageType, key: &str, at: TaipeiTime) -> Result<String, TurnkeyError> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TurnkeyError::BadKey(key.to_string()));
    }
    Ok(format!(
        "{}_{}_{}.xml",
        message.code(),
        key,
        at.with_timezone(&crate::taipei::offset())
            .format("%Y%m%d%H%M%S")
    ))
}

/// Write `xml` for Turnkey and return the file's path.
///
/// The bytes go to a temporary file next to `SRC` (same file system, but
/// outside the folder Turnkey scans), are synced, and are then hard-linked
/// into `SRC` under their final name: the link fails if that name exists,
/// so nothing is ever overwritten, and it appears whole or not at all.
pub fn write(
    root: &Path,
    message: MessageType,
    key: &str,
    at: TaipeiTime,
    xml: &str,
) -> Result<PathBuf, TurnkeyError> {
    let name = file_name(message, key, at)?;
    let dir = src_dir(root, message);
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let target = dir.join(&name);
    if target.exists() {
        return Err(TurnkeyError::AlreadyExists(target));
    }
    let staging = dir.parent().expect("SRC has a parent");
    let tmp = staging.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        f.write_all(xml.as_bytes()).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
        drop(f);
        match fs::hard_link(&tmp, &target) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                Err(TurnkeyError::AlreadyExists(target.clone()))
            }
            Err(e) => Err(io_err(&target)(e)),
        }
    })();
    // The temporary name is never needed again, success or not.
    let _ = fs::remove_file(&tmp);
    result?;
    sync_dir(&dir)?;
    Ok(target)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<(), TurnkeyError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<(), TurnkeyError> {
    // Windows cannot open a directory as a file; NTFS journals the rename.
    Ok(())
}

/// A message file still waiting in a `SRC` folder.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pending {
    pub message: MessageType,
    pub file_name: String,
    pub path: PathBuf,
}

/// Every `.xml` file still in the `SRC` folders, by message type and name.
/// A missing folder just means nothing is pending there.
pub fn pending(root: &Path) -> Result<Vec<Pending>, TurnkeyError> {
    let mut out = Vec::new();
    for message in MessageType::ALL {
        let dir = src_dir(root, message);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io_err(&dir)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_err(&dir))?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.ends_with(".xml") && !file_name.starts_with('.') {
                out.push(Pending {
                    message,
                    file_name,
                    path: entry.path(),
                });
            }
        }
    }
    out.sort();
    Ok(out)
}
