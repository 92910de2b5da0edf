//! The detail file (业务明细), streamed row by row.

use std::io::Read;

use baidupay_model::SignedYuan;

use super::lines::{LineReader, canonical_name, gbk_mojibake_of, split_cells};
use super::{
    BillError, BillTotals, COL_COMPLETED, COL_CREATED, COL_KIND, COL_ORDER_AMOUNT,
    COL_OUT_TRADE_NO, COL_RECEIVED, COL_REFUND_REQUEST_NO, COL_TRADE_NO, DetailRow, RowKind,
};

/// How many `#` lines are kept for [`DetailRows::comments`].
const MAX_COMMENTS: usize = 64;

/// Where the required columns are in the header.
#[derive(Debug)]
struct Columns {
    names: Vec<String>,
    trade_no: usize,
    out_trade_no: usize,
    kind: usize,
    created: usize,
    completed: usize,
    order_amount: usize,
    received: usize,
    refund_request_no: Option<usize>,
    /// Indexes of the amount columns (`…（元）`), and of their sums in `totals.amounts`.
    amounts: Vec<usize>,
}

impl Columns {
    fn new(line: u64, text: &str) -> Result<Self, BillError> {
        let names: Vec<String> = split_cells(text)
            .iter()
            .map(|c| canonical_name(c))
            .collect();
        for (i, name) in names.iter().enumerate() {
            if !name.is_empty() && names[..i].contains(name) {
                return Err(BillError::DuplicateColumn {
                    line,
                    column: name.clone(),
                });
            }
        }
        let find = |column: &'static str| -> Result<usize, BillError> {
            names.iter().position(|n| n == column).ok_or_else(|| {
                if gbk_mojibake_of(text, column) {
                    BillError::Utf8InsteadOfGbk { line }
                } else {
                    BillError::MissingColumn { line, column }
                }
            })
        };
        let amounts = names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.ends_with("（元）"))
            .map(|(i, _)| i)
            .collect();
        Ok(Self {
            trade_no: find(COL_TRADE_NO)?,
            out_trade_no: find(COL_OUT_TRADE_NO)?,
            kind: find(COL_KIND)?,
            created: find(COL_CREATED)?,
            completed: find(COL_COMPLETED)?,
            order_amount: find(COL_ORDER_AMOUNT)?,
            received: find(COL_RECEIVED)?,
            refund_request_no: names.iter().position(|n| n == COL_REFUND_REQUEST_NO),
            amounts,
            names,
        })
    }
}

/// The rows of a detail file (业务明细), read one at a time from any [`Read`] (a file, a ZIP
/// entry, a network body) in bounded memory: one line at a time, plus the running totals.
///
/// Iteration yields `Ok(row)` for each row; a bad row, or a stated total (`#交易合计：N笔，
/// 退款合计：M笔`) that does not match the rows, yields one `Err` and ends the iteration.
#[derive(Debug)]
pub struct DetailRows<R> {
    lines: LineReader<R>,
    columns: Columns,
    totals: BillTotals,
    comments: Vec<String>,
    finished: bool,
}

impl<R: Read> DetailRows<R> {
    /// Reads the `#` comment lines and the header row.
    ///
    /// # Errors
    /// [`BillError::MissingHeader`] when the file ends first; [`BillError::MissingColumn`] or
    /// [`BillError::DuplicateColumn`] for a header without a required column or with a column
    /// twice; [`BillError::Utf8InsteadOfGbk`] for a UTF-8 file; [`BillError::Encoding`],
    /// [`BillError::LineTooLong`], [`BillError::Io`] for a line that cannot be read.
    pub fn new(reader: R) -> Result<Self, BillError> {
        let mut lines = LineReader::new(reader);
        let mut comments = Vec::new();
        let header = loop {
            let Some(line) = lines.next_line()? else {
                return Err(BillError::MissingHeader);
            };
            let t = line.text.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with('#') {
                if comments.len() < MAX_COMMENTS {
                    comments.push(t.to_owned());
                }
                continue;
            }
            break line;
        };
        let columns = Columns::new(header.number, &header.text)?;
        let totals = BillTotals {
            amounts: columns
                .amounts
                .iter()
                .map(|&i| (columns.names[i].clone(), SignedYuan::from_fen(0)))
                .collect(),
            ..BillTotals::default()
        };
        Ok(Self {
            lines,
            columns,
            totals,
            comments,
            finished: false,
        })
    }

    /// The column names of the header row, in file order (parentheses made full-width).
    pub fn columns(&self) -> &[String] {
        &self.columns.names
    }

    /// What the rows read so far add up to (all rows once the iteration has ended).
    pub fn totals(&self) -> &BillTotals {
        &self.totals
    }

    /// The `#` comment lines read so far (title, account, dates, summary lines; at most 64).
    pub fn comments(&self) -> &[String] {
        &self.comments
    }

    fn step(&mut self) -> Result<Option<DetailRow>, BillError> {
        loop {
            let Some(line) = self.lines.next_line()? else {
                return Ok(None);
            };
            let t = line.text.trim();
            if t.is_empty() {
                continue;
            }
            if let Some(comment) = t.strip_prefix('#') {
                self.check_stated_counts(line.number, comment)?;
                if self.comments.len() < MAX_COMMENTS {
                    self.comments.push(t.to_owned());
                }
                continue;
            }
            return self.row(line.number, &line.text).map(Some);
        }
    }

    fn row(&mut self, line: u64, text: &str) -> Result<DetailRow, BillError> {
        let cols = &self.columns;
        let mut cells = split_cells(text);
        // A trailing comma (or tab) after the last column is common: accept one empty extra.
        if cells.len() == cols.names.len() + 1 && cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.len() != cols.names.len() {
            return Err(BillError::CellCount {
                line,
                expected: cols.names.len(),
                found: cells.len(),
            });
        }
        let required = |i: usize| -> Result<String, BillError> {
            match cells[i].as_str() {
                "" => Err(BillError::EmptyCell {
                    line,
                    column: cols.names[i].clone(),
                }),
                s => Ok(s.to_owned()),
            }
        };
        let amount = |i: usize| -> Result<SignedYuan, BillError> {
            cells[i]
                .parse::<SignedYuan>()
                .map_err(|source| BillError::BadAmount {
                    line,
                    column: cols.names[i].clone(),
                    source,
                })
        };
        let kind = RowKind::parse(&required(cols.kind)?);
        let row = DetailRow {
            line,
            trade_no: required(cols.trade_no)?,
            out_trade_no: cells[cols.out_trade_no].clone(),
            order_amount: amount(cols.order_amount)?,
            received_amount: amount(cols.received)?,
            refund_request_no: cols
                .refund_request_no
                .map(|i| cells[i].clone())
                .filter(|s| !s.is_empty()),
            created: cells[cols.created].clone(),
            completed: cells[cols.completed].clone(),
            other: Vec::new(),
            kind,
        };
        // Sum every amount column (empty cells count as zero).
        let mut sums = Vec::with_capacity(cols.amounts.len());
        for (k, &i) in cols.amounts.iter().enumerate() {
            let v = if cells[i].is_empty() {
                0
            } else {
                amount(i)?.fen()
            };
            let sum = self.totals.amounts[k]
                .1
                .fen()
                .checked_add(v)
                .ok_or_else(|| BillError::Overflow {
                    line,
                    column: cols.names[i].clone(),
                })?;
            sums.push(sum);
        }
        for (k, sum) in sums.into_iter().enumerate() {
            self.totals.amounts[k].1 = SignedYuan::from_fen(sum);
        }
        let counter = match row.kind {
            RowKind::Payment => &mut self.totals.payments,
            RowKind::Refund => &mut self.totals.refunds,
            RowKind::Unknown(_) => &mut self.totals.others,
        };
        *counter = counter.saturating_add(1);
        let known = [
            cols.trade_no,
            cols.out_trade_no,
            cols.kind,
            cols.created,
            cols.completed,
            cols.order_amount,
            cols.received,
        ];
        let mut row = row;
        row.other = cols
            .names
            .iter()
            .zip(cells)
            .enumerate()
            .filter(|(i, _)| !known.contains(i) && Some(*i) != cols.refund_request_no)
            .map(|(_, (name, cell))| (name.clone(), cell))
            .collect();
        Ok(row)
    }

    /// Checks `交易合计：N笔，退款合计：M笔` against the rows counted.
    fn check_stated_counts(&self, line: u64, comment: &str) -> Result<(), BillError> {
        let comment = comment.trim();
        if !comment.starts_with("交易合计") {
            return Ok(());
        }
        let bad = || BillError::BadSummary {
            line,
            what: comment.to_owned(),
        };
        for (label, computed) in [
            ("交易合计", self.totals.payments),
            ("退款合计", self.totals.refunds),
        ] {
            let Some(stated) = stated_count(comment, label) else {
                if label == "交易合计" {
                    return Err(bad());
                }
                continue;
            };
            let stated = stated.ok_or_else(bad)?;
            if stated != computed {
                return Err(BillError::TotalMismatch {
                    total: label.to_owned(),
                    stated: format!("{stated}笔"),
                    computed: format!("{computed}笔"),
                });
            }
        }
        Ok(())
    }
}

/// In `交易合计：3笔，退款合计：1笔`, the number after `label`: `None` without the label,
/// `Some(None)` when it is not a number of 笔.
fn stated_count(text: &str, label: &str) -> Option<Option<u64>> {
    let (_, rest) = text.split_once(label)?;
    let rest = rest.trim_start_matches([':', '：', ' ']);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[digits.len()..];
    if digits.is_empty() || !after.starts_with('笔') {
        return Some(None);
    }
    Some(digits.parse().ok())
}

impl<R: Read> Iterator for DetailRows<R> {
    type Item = Result<DetailRow, BillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.step() {
            Ok(Some(row)) => Some(Ok(row)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: Read> std::iter::FusedIterator for DetailRows<R> {}
