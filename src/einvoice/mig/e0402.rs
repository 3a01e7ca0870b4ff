//! E0402 `BranchTrackBlank` (空白未使用字軌, MIG 4.1): the invoice numbers of
//! a period that were never used, reported after the period ends. One
//! message per track (字軌).
//!
//! Shape \[code: ho600 `E0402JSON2MIGXMl` (4.1), a Go `BranchTrackBlank`
//! struct, several .NET writers agree\]: `Main` (`HeadBan`, `BranchBan`,
//! `InvoiceType`, `YearMonth`, `InvoiceTrack`), `Details/BranchTrackBlankItem`
//! (`InvoiceBeginNo`, `InvoiceEndNo`, 8 digits each).
//!
//! - `YearMonth` is the period's ROC year and even end month, `11012` for
//!   Nov–Dec 2021 (a .NET writer: `Year - 1911` + `PeriodNo * 2`) \[code\].
//! - `InvoiceType` `07` \[code\].
//! - `HeadBan` = `BranchBan` = the seller's BAN for a shop without branches
//!   \[code\].
//! - The platform may require whole booklets of 50 (begin ending in 00/50,
//!   end in 49/99); not enforced here \[guess\].
//! - At most [`MAX_RANGES`] ranges per message (`maxOccurs` in E0402.xsd).
//!
//! # `BranchBan`, not `" BranchBan"`
//!
//! Every known copy of E0402.xsd (3.1, 3.2, 4.0, 4.1) declares the element
//! as `name=" BranchBan"`, with a leading space. An element name cannot
//! start with a space, and XSD 1.0 collapses whitespace in `name` (an
//! NCName), so a conforming validator, Turnkey's Java (Xerces) among them,
//! reads it as `BranchBan`; libxml2 (xmllint, lxml) takes it literally and
//! then no document at all can match. `till` writes `BranchBan`, which is
//! what the schema means and what Turnkey checks; CI validates with a copy
//! whose name is collapsed (`shared/tools/mig_validate.py`).

use super::limits::MAX_RANGES;
use super::xml::Writer;
use super::{MessageType, MigError, check_ban};
use crate::einvoice::{InvoiceNumber, Period};

/// A run of unused numbers of one track, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BlankRange {
    first: InvoiceNumber,
    last: InvoiceNumber,
}

impl BlankRange {
    pub fn new(first: InvoiceNumber, last: InvoiceNumber) -> Result<BlankRange, MigError> {
        if first.track() != last.track() {
            return Err(MigError::Format {
                field: "BranchTrackBlankItem",
                reason: "起迄字軌不同 / first and last are on different tracks".into(),
            });
        }
        if first.digits() > last.digits() {
            return Err(MigError::Format {
                field: "BranchTrackBlankItem",
                reason: "起號大於迄號 / the first number is after the last".into(),
            });
        }
        Ok(BlankRange { first, last })
    }

    pub fn first(&self) -> &InvoiceNumber {
        &self.first
    }

    pub fn last(&self) -> &InvoiceNumber {
        &self.last
    }

    /// How many numbers the range holds.
    pub fn len(&self) -> u64 {
        let n = |x: &InvoiceNumber| x.digits().parse::<u64>().expect("8 digits");
        n(&self.last) - n(&self.first) + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchTrackBlank {
    pub head_ban: String,
    pub branch_ban: String,
    pub year_month: String,
    pub track: String,
    pub ranges: Vec<BlankRange>,
}

impl BranchTrackBlank {
    /// The unused `ranges` of one track in `period`. Ranges are sorted; they
    /// must all be on one track and must not overlap.
    pub fn new(
        head_ban: &str,
        branch_ban: &str,
        period: Period,
        mut ranges: Vec<BlankRange>,
    ) -> Result<BranchTrackBlank, MigError> {
        check_ban("HeadBan", head_ban)?;
        check_ban("BranchBan", branch_ban)?;
        if ranges.len() > MAX_RANGES {
            return Err(MigError::TooManyLines { max: MAX_RANGES });
        }
        ranges.sort();
        let track = ranges
            .first()
            .ok_or(MigError::Empty {
                field: "BranchTrackBlankItem",
            })?
            .first
            .track()
            .to_string();
        for pair in ranges.windows(2) {
            if pair[1].first.track() != track {
                return Err(MigError::Format {
                    field: "InvoiceTrack",
                    reason: "一則訊息只能有一個字軌 / one message holds one track".into(),
                });
            }
            if pair[1].first.digits() <= pair[0].last.digits() {
                return Err(MigError::Format {
                    field: "BranchTrackBlankItem",
                    reason: format!(
                        "{} 與 {} 重疊 / {} overlaps {}",
                        pair[0].last, pair[1].first, pair[0].last, pair[1].first
                    ),
                });
            }
        }
        Ok(BranchTrackBlank {
            head_ban: head_ban.to_string(),
            branch_ban: branch_ban.to_string(),
            year_month: period.code39_prefix(),
            track,
            ranges,
        })
    }

    pub fn to_xml(&self) -> Result<String, MigError> {
        let t = MessageType::E0402;
        let mut w = Writer::new(t);
        w.open("Main");
        w.leaf("HeadBan", &self.head_ban);
        // Not " BranchBan" as the XSD spells it: see the module docs.
        w.leaf("BranchBan", &self.branch_ban);
        w.leaf("InvoiceType", "07");
        w.leaf("YearMonth", &self.year_month);
        w.leaf("InvoiceTrack", &self.track);
        w.close("Main");
        w.open("Details");
        for r in &self.ranges {
            w.open("BranchTrackBlankItem");
            w.leaf("InvoiceBeginNo", r.first.digits());
            w.leaf("InvoiceEndNo", r.last.digits());
            w.close("BranchTrackBlankItem");
        }
        w.close("Details");
        let xml = w.finish(t);
        super::schema::check(t, &xml)?;
        Ok(xml)
    }
}
