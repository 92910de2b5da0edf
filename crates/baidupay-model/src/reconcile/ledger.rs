//! The merchant ledger CSV reader.

use super::{Entry, EntryKind, non_empty};
use crate::Fen;

/// A ledger CSV that cannot be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The text has no header row.
    #[error("ledger has no header row")]
    NoHeader,
    /// The header lacks a required column.
    #[error("ledger line {line}: header lacks the column {column:?}")]
    MissingColumn {
        /// The header's line.
        line: usize,
        /// The missing column.
        column: &'static str,
    },
    /// A row has fewer cells than the header needs, or a quote is not closed.
    #[error("ledger line {line}: malformed row ({reason})")]
    Malformed {
        /// The row's line.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// `kind` is neither `payment` nor `refund`.
    #[error("ledger line {line}: kind {value:?} is neither payment nor refund")]
    Kind {
        /// The row's line.
        line: usize,
        /// The rejected value (up to 40 characters).
        value: String,
    },
    /// `merchant_order_id` is empty.
    #[error("ledger line {line}: empty merchant_order_id")]
    EmptyOrderId {
        /// The row's line.
        line: usize,
    },
    /// `amount_fen` is not an integer number of fen.
    #[error("ledger line {line}: invalid amount_fen")]
    Amount {
        /// The row's line.
        line: usize,
        /// Why the amount was refused.
        #[source]
        source: crate::Error,
    },
}

const COLUMNS: [&str; 5] = [
    "kind",
    "merchant_order_id",
    "platform_id",
    "refund_id",
    "amount_fen",
];

/// Reads a ledger CSV (`kind,merchant_order_id,platform_id,refund_id,amount_fen`; UTF-8, an
/// optional BOM, columns in any order by header name, other columns ignored, empty
/// `platform_id`/`refund_id` mean unknown, blank lines skipped, RFC 4180 quotes within a line).
///
/// # Errors
/// [`LedgerError`] for the first bad line, naming it.
pub fn parse_ledger(text: &str) -> Result<Vec<Entry>, LedgerError> {
    LedgerReader::new(text.lines()).collect()
}

/// Reads ledger rows one by one from an iterator of lines (for large ledgers read elsewhere).
#[derive(Debug)]
pub struct LedgerReader<I> {
    lines: I,
    line: usize,
    index: Option<[usize; 5]>,
    failed: bool,
}

impl<I, S> LedgerReader<I>
where
    I: Iterator<Item = S>,
    S: AsRef<str>,
{
    /// A reader over `lines` (without their line terminators; a trailing `\r` is ignored).
    pub fn new(lines: impl IntoIterator<IntoIter = I>) -> Self {
        Self {
            lines: lines.into_iter(),
            line: 0,
            index: None,
            failed: false,
        }
    }

    fn header(&mut self, line: &str) -> Result<[usize; 5], LedgerError> {
        let cells = split_csv(line).map_err(|reason| LedgerError::Malformed {
            line: self.line,
            reason,
        })?;
        let mut index = [0; 5];
        for (slot, column) in index.iter_mut().zip(COLUMNS) {
            *slot = cells.iter().position(|c| c.trim() == column).ok_or(
                LedgerError::MissingColumn {
                    line: self.line,
                    column,
                },
            )?;
        }
        Ok(index)
    }

    fn row(&self, index: [usize; 5], line: &str) -> Result<Entry, LedgerError> {
        let n = self.line;
        let cells = split_csv(line).map_err(|reason| LedgerError::Malformed { line: n, reason })?;
        let cell = |i: usize| -> Result<&str, LedgerError> {
            index
                .get(i)
                .and_then(|&j| cells.get(j))
                .map(|c| c.trim())
                .ok_or(LedgerError::Malformed {
                    line: n,
                    reason: "fewer cells than the header",
                })
        };
        let kind = match cell(0)? {
            "payment" => EntryKind::Payment,
            "refund" => EntryKind::Refund,
            other => {
                return Err(LedgerError::Kind {
                    line: n,
                    value: other.chars().take(40).collect(),
                });
            }
        };
        let order = cell(1)?;
        if order.is_empty() {
            return Err(LedgerError::EmptyOrderId { line: n });
        }
        let amount = cell(4)?
            .parse::<Fen>()
            .map_err(|source| LedgerError::Amount { line: n, source })?;
        Ok(Entry {
            kind,
            merchant_order_id: order.to_owned(),
            platform_id: non_empty(cell(2)?.to_owned()),
            refund_id: non_empty(cell(3)?.to_owned()),
            amount,
        })
    }
}

impl<I, S> Iterator for LedgerReader<I>
where
    I: Iterator<Item = S>,
    S: AsRef<str>,
{
    type Item = Result<Entry, LedgerError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            let Some(raw) = self.lines.next() else {
                if self.index.is_none() {
                    self.failed = true;
                    return Some(Err(LedgerError::NoHeader));
                }
                return None;
            };
            self.line += 1;
            let mut line = raw.as_ref().trim_end_matches('\r');
            if self.line == 1 {
                line = line.strip_prefix('\u{feff}').unwrap_or(line);
            }
            if line.trim().is_empty() {
                continue;
            }
            let result = match self.index {
                None => match self.header(line) {
                    Ok(index) => {
                        self.index = Some(index);
                        continue;
                    }
                    Err(e) => Err(e),
                },
                Some(index) => self.row(index, line),
            };
            self.failed = result.is_err();
            return Some(result);
        }
    }
}

/// Splits one comma-separated line into cells (RFC 4180 within a line: a cell that starts with
/// `"` is quoted, and `""` inside quotes is a literal quote). Cells are not trimmed.
///
/// # Errors
/// `"unclosed quote"` when a quoted cell does not end on this line.
pub fn split_csv(line: &str) -> Result<Vec<String>, &'static str> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            (false, ',') => cells.push(std::mem::take(&mut cell)),
            (_, c) => cell.push(c),
        }
    }
    if quoted {
        return Err("unclosed quote");
    }
    cells.push(cell);
    Ok(cells)
}
