//! The append-only audit log. Each row's hash covers the previous row's hash
//! and the row's own canonical bytes, so editing, deleting or reordering any
//! row breaks the chain from that row on. The head (last seq and hash) is kept
//! separately so that cutting rows off the end is caught too; printing the
//! head hash on the daily report anchors it outside the machine.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::JournalError;

/// The hash before the first row.
pub const GENESIS: [u8; 32] = [0; 32];

/// One row's content, as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// JSON object.
    pub detail: String,
}

impl AuditEntry {
    /// Length-prefixed fields, so no two different rows share bytes
    /// (`"ab"+"c"` and `"a"+"bc"` differ).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.detail.len());
        out.extend_from_slice(&self.seq.to_be_bytes());
        for field in [
            &self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
        ] {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }

    pub fn hash(&self, prev: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(prev);
        h.update(self.canonical_bytes());
        h.finalize().into()
    }
}

/// [`AuditEntry::hash`] over borrowed fields, without building the entry
/// or its bytes: what `verify` does for every row.
fn hash_fields(prev: &[u8; 32], seq: i64, fields: [&str; 5]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(seq.to_be_bytes());
    for field in fields {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

/// What went wrong first in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditProblem {
    /// The row's content no longer matches its own hash: it was edited.
    Tampered { seq: i64 },
    /// Rows are missing before this one (a gap in the sequence).
    Missing { expected: i64, found: i64 },
    /// The row is intact but does not follow the row before it: rows were
    /// reordered, or replaced together with their hashes.
    ChainBroken { seq: i64 },
    /// The chain ends before the recorded head: rows were cut off the end.
    Truncated { last: i64, head: i64 },
    /// A stored hash is not 64 hex digits.
    Malformed { seq: i64 },
}

impl crate::locale::Localized for AuditProblem {
    fn message(&self, lang: crate::locale::Lang) -> String {
        use crate::locale::fill;
        match self {
            AuditProblem::Tampered { seq } => fill(lang, "words.audit.tampered", &[("seq", seq)]),
            AuditProblem::Missing { expected, found } => fill(
                lang,
                "words.audit.missing",
                &[("from", expected), ("to", &(found - 1))],
            ),
            AuditProblem::ChainBroken { seq } => {
                fill(lang, "words.audit.chain_broken", &[("seq", seq)])
            }
            AuditProblem::Truncated { last, head } => fill(
                lang,
                "words.audit.truncated",
                &[("last", last), ("head", head)],
            ),
            AuditProblem::Malformed { seq } => fill(lang, "words.audit.malformed", &[("seq", seq)]),
        }
    }
}

crate::display_both!(AuditProblem);

/// The result of [`super::Journal::verify_audit`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Rows checked.
    pub rows: u64,
    /// Hash of the last good row (hex); print it on the daily report.
    pub head_hash: String,
    pub first_problem: Option<AuditProblem>,
}

impl AuditReport {
    pub fn is_intact(&self) -> bool {
        self.first_problem.is_none()
    }
}

/// Append one row inside the caller's transaction.
pub(crate) fn append(
    conn: &Connection,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), JournalError> {
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (prev_seq, prev_hash) = match head {
        Some((seq, hash)) => (
            seq,
            decode_hash(&hash).ok_or(JournalError::Corrupt(
                "audit head hash is not 64 hex digits".into(),
            ))?,
        ),
        None => (0, GENESIS),
    };
    let entry = AuditEntry {
        seq: prev_seq + 1,
        at: at.to_string(),
        actor: actor.to_string(),
        action: action.to_string(),
        subject: subject.to_string(),
        detail: detail.to_string(),
    };
    let hash = hex::encode(entry.hash(&prev_hash));
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        entry.seq,
        entry.at,
        entry.actor,
        entry.action,
        entry.subject,
        entry.detail,
        hex::encode(prev_hash),
        hash
    ])?;
    conn.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![entry.seq, hash])?;
    Ok(())
}

fn decode_hash(s: &str) -> Option<[u8; 32]> {
    let mut out = [0; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

/// Walk the whole chain and report the first problem.
pub(crate) fn verify(conn: &Connection) -> Result<AuditReport, JournalError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, subject, detail, prev_hash, hash
         FROM audit_log ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_prev = GENESIS;
    let mut expected_seq = 1i64;
    let mut checked = 0u64;
    let mut problem = None;
    while let Some(r) = rows.next()? {
        // Borrowed from the row: no copies (a year is millions of rows).
        let seq: i64 = r.get(0)?;
        let fields = [
            r.get_ref(1)?.as_str()?,
            r.get_ref(2)?.as_str()?,
            r.get_ref(3)?.as_str()?,
            r.get_ref(4)?.as_str()?,
            r.get_ref(5)?.as_str()?,
        ];
        let (Some(prev), Some(hash)) = (
            decode_hash(r.get_ref(6)?.as_str()?),
            decode_hash(r.get_ref(7)?.as_str()?),
        ) else {
            problem = Some(AuditProblem::Malformed { seq });
            break;
        };
        if hash_fields(&prev, seq, fields) != hash {
            problem = Some(AuditProblem::Tampered { seq });
            break;
        }
        if seq != expected_seq {
            problem = Some(AuditProblem::Missing {
                expected: expected_seq,
                found: seq,
            });
            break;
        }
        if prev != expected_prev {
            problem = Some(AuditProblem::ChainBroken { seq });
            break;
        }
        expected_prev = hash;
        expected_seq += 1;
        checked += 1;
    }
    if problem.is_none() {
        let head: Option<(i64, String)> = conn
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let last = expected_seq - 1;
        match head {
            Some((seq, hash)) if seq != last || decode_hash(&hash) != Some(expected_prev) => {
                problem = Some(if seq > last {
                    AuditProblem::Truncated { last, head: seq }
                } else {
                    AuditProblem::ChainBroken { seq: last }
                });
            }
            None if last > 0 => problem = Some(AuditProblem::ChainBroken { seq: last }),
            _ => {}
        }
    }
    Ok(AuditReport {
        rows: checked,
        head_hash: hex::encode(expected_prev),
        first_problem: problem,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, detail: &str) -> AuditEntry {
        AuditEntry {
            seq,
            at: "2026-11-22T10:05:11.000+08:00".into(),
            actor: "amy".into(),
            action: "sale.new".into(),
            subject: "T0126112200001".into(),
            detail: detail.into(),
        }
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = entry(1, "{}");
        let mut b = entry(1, "{}");
        a.actor = "ab".into();
        a.action = "c".into();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(a.hash(&GENESIS), b.hash(&GENESIS));
    }

    #[test]
    fn the_borrowed_hash_is_the_entrys_hash() {
        let e = entry(7, r#"{"amount":85}"#);
        let fields = [&e.at, &e.actor, &e.action, &e.subject, &e.detail].map(|f| f.as_str());
        assert_eq!(hash_fields(&[9; 32], 7, fields), e.hash(&[9; 32]));
    }

    #[test]
    fn hash_depends_on_previous_and_seq() {
        let e = entry(1, "{}");
        assert_ne!(e.hash(&GENESIS), e.hash(&[1; 32]));
        assert_ne!(e.hash(&GENESIS), entry(2, "{}").hash(&GENESIS));
    }
}
