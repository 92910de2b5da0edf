//! The summary file (业务明细(汇总)): totals per store and a `合计` row.

use std::io::Read;

use baidupay_model::SignedYuan;

use super::lines::{LineReader, canonical_name, split_cells};
use super::{BillError, BillTotals};

/// At most this many rows are read from a summary file (one per store).
const MAX_ROWS: usize = 100_000;

/// Summary columns holding counts, and the detail count each one must equal.
const COUNT_COLUMNS: [&str; 2] = ["交易订单总笔数", "退款订单总笔数"];

/// A summary file (业务明细(汇总)), read whole (it has a row per store).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillSummary {
    /// The column names of the header row (parentheses made full-width).
    pub columns: Vec<String>,
    /// The rows before the total, cleaned cells in column order.
    pub rows: Vec<Vec<String>>,
    /// The `合计` (total) row, if there is one, and its line number.
    pub total: Option<(u64, Vec<String>)>,
    /// The `#` comment lines.
    pub comments: Vec<String>,
}

impl BillSummary {
    /// Reads a summary file.
    ///
    /// # Errors
    /// [`BillError::MissingHeader`], [`BillError::CellCount`], [`BillError::BadSummary`] (more
    /// than 100 000 rows), and the line errors of [`super::DetailRows::new`].
    pub fn read<R: Read>(reader: R) -> Result<Self, BillError> {
        let mut lines = LineReader::new(reader);
        let mut summary = Self {
            columns: Vec::new(),
            rows: Vec::new(),
            total: None,
            comments: Vec::new(),
        };
        while let Some(line) = lines.next_line()? {
            let t = line.text.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with('#') {
                if summary.comments.len() < 64 {
                    summary.comments.push(t.to_owned());
                }
                continue;
            }
            if summary.columns.is_empty() {
                summary.columns = split_cells(line.text)
                    .iter()
                    .map(|c| canonical_name(c))
                    .collect();
                continue;
            }
            let mut cells = split_cells(line.text);
            if cells.len() == summary.columns.len() + 1
                && cells.last().is_some_and(String::is_empty)
            {
                cells.pop();
            }
            if cells.len() != summary.columns.len() {
                return Err(BillError::CellCount {
                    line: line.number,
                    expected: summary.columns.len(),
                    found: cells.len(),
                });
            }
            if cells.iter().any(|c| c.starts_with("合计")) {
                summary.total = Some((line.number, cells));
            } else if summary.rows.len() >= MAX_ROWS {
                return Err(BillError::BadSummary {
                    line: line.number,
                    what: "more than 100000 rows".to_owned(),
                });
            } else {
                summary.rows.push(cells);
            }
        }
        if summary.columns.is_empty() {
            return Err(BillError::MissingHeader);
        }
        Ok(summary)
    }

    /// The cell of the `合计` row in a column, by name.
    pub fn total_cell(&self, column: &str) -> Option<&str> {
        let column = canonical_name(column);
        let (_, cells) = self.total.as_ref()?;
        let i = self.columns.iter().position(|c| *c == column)?;
        cells.get(i).map(String::as_str)
    }

    /// Checks the `合计` row against the totals of the detail rows: `交易订单总笔数` and
    /// `退款订单总笔数` against the counts, and every amount column (`…（元）`) that both files
    /// have against the sum of the rows. Without a `合计` row there is nothing to check.
    ///
    /// # Errors
    /// [`BillError::TotalMismatch`] naming the first total that does not add up;
    /// [`BillError::BadSummary`] for a total cell that is not a number or an amount.
    pub fn check(&self, totals: &BillTotals) -> Result<(), BillError> {
        let Some((line, cells)) = &self.total else {
            return Ok(());
        };
        let bad = |what: &str| BillError::BadSummary {
            line: *line,
            what: what.to_owned(),
        };
        for (name, cell) in self.columns.iter().zip(cells) {
            if cell.is_empty() {
                continue;
            }
            if let Some(k) = COUNT_COLUMNS.iter().position(|c| c == name) {
                let computed = if k == 0 {
                    totals.payments
                } else {
                    totals.refunds
                };
                let stated: u64 = cell.parse().map_err(|_| bad(name))?;
                if stated != computed {
                    return Err(mismatch(name, stated, computed));
                }
            } else if let Some(computed) = totals.amount(name) {
                let stated: SignedYuan = cell.parse().map_err(|_| bad(name))?;
                if stated.fen() != computed.fen() {
                    return Err(mismatch(name, stated, computed));
                }
            }
        }
        Ok(())
    }
}

fn mismatch(
    name: &str,
    stated: impl std::fmt::Display,
    computed: impl std::fmt::Display,
) -> BillError {
    BillError::TotalMismatch {
        total: format!("汇总 {name}"),
        stated: stated.to_string(),
        computed: computed.to_string(),
    }
}
