//! The detail file (业务明细), streamed row by row.

use std::io::Read;

use baidupay_model::SignedYuan;

use super::lines::{LineReader, canonical_name, gbk_mojibake_of, split_cells, split_cells_into};
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
    /// Indexes of the columns that go to [`DetailRow::other`].
    other: Vec<usize>,
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
        let trade_no = find(COL_TRADE_NO)?;
        let out_trade_no = find(COL_OUT_TRADE_NO)?;
        let kind = find(COL_KIND)?;
        let created = find(COL_CREATED)?;
        let completed = find(COL_COMPLETED)?;
        let order_amount = find(COL_ORDER_AMOUNT)?;
        let received = find(COL_RECEIVED)?;
        let refund_request_no = names.iter().position(|n| n == COL_REFUND_REQUEST_NO);
        let known = [
            trade_no,
            out_trade_no,
            kind,
            created,
            completed,
            order_amount,
            received,
        ];
        let other = (0..names.len())
            .filter(|i| !known.contains(i) && Some(*i) != refund_request_no)
            .collect();
        Ok(Self {
            trade_no,
            out_trade_no,
            kind,
            created,
            completed,
            order_amount,
            received,
            refund_request_no,
            amounts,
            other,
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
    /// Reused for each row: the cells, and the amount sums including the row being read.
    cells: Vec<String>,
    sums: Vec<i64>,
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
            break Columns::new(line.number, line.text)?;
        };
        let columns = header;
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
            cells: Vec::with_capacity(columns.names.len() + 1),
            sums: Vec::with_capacity(columns.amounts.len()),
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
                check_stated_counts(&self.totals, line.number, comment)?;
                if self.comments.len() < MAX_COMMENTS {
                    self.comments.push(t.to_owned());
                }
                continue;
            }
            split_cells_into(line.text, &mut self.cells);
            return row(
                &self.columns,
                &mut self.totals,
                &mut self.cells,
                &mut self.sums,
                line.number,
            )
            .map(Some);
        }
    }
}

/// The row in `cells` (taken out of it), its amounts added to `totals` (all or, on an error,
/// none: `sums` is scratch space).
fn row(
    cols: &Columns,
    totals: &mut BillTotals,
    cells: &mut Vec<String>,
    sums: &mut Vec<i64>,
    line: u64,
) -> Result<DetailRow, BillError> {
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
    let required = |i: usize| -> Result<(), BillError> {
        if cells[i].is_empty() {
            Err(BillError::EmptyCell {
                line,
                column: cols.names[i].clone(),
            })
        } else {
            Ok(())
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
    required(cols.kind)?;
    required(cols.trade_no)?;
    let order_amount = amount(cols.order_amount)?;
    let received_amount = amount(cols.received)?;
    // Sum every amount column (empty cells count as zero), into `sums` first so that a bad
    // cell leaves the totals as they were.
    sums.clear();
    for (k, &i) in cols.amounts.iter().enumerate() {
        let v = if i == cols.order_amount {
            order_amount.fen()
        } else if i == cols.received {
            received_amount.fen()
        } else if cells[i].is_empty() {
            0
        } else {
            amount(i)?.fen()
        };
        let sum = totals.amounts[k]
            .1
            .fen()
            .checked_add(v)
            .ok_or_else(|| BillError::Overflow {
                line,
                column: cols.names[i].clone(),
            })?;
        sums.push(sum);
    }
    for (k, &sum) in sums.iter().enumerate() {
        totals.amounts[k].1 = SignedYuan::from_fen(sum);
    }
    let kind = RowKind::parse(&cells[cols.kind]);
    let counter = match kind {
        RowKind::Payment => &mut totals.payments,
        RowKind::Refund => &mut totals.refunds,
        RowKind::Unknown(_) => &mut totals.others,
    };
    *counter = counter.saturating_add(1);
    let mut take = |i: usize| std::mem::take(&mut cells[i]);
    Ok(DetailRow {
        line,
        trade_no: take(cols.trade_no),
        out_trade_no: take(cols.out_trade_no),
        order_amount,
        received_amount,
        refund_request_no: cols
            .refund_request_no
            .map(&mut take)
            .filter(|s| !s.is_empty()),
        created: take(cols.created),
        completed: take(cols.completed),
        other: cols
            .other
            .iter()
            .map(|&i| (cols.names[i].clone(), take(i)))
            .collect(),
        kind,
    })
}

/// Checks `交易合计：N笔，退款合计：M笔` against the rows counted.
fn check_stated_counts(totals: &BillTotals, line: u64, comment: &str) -> Result<(), BillError> {
    let comment = comment.trim();
    if !comment.starts_with("交易合计") {
        return Ok(());
    }
    let bad = || BillError::BadSummary {
        line,
        what: comment.to_owned(),
    };
    for (label, computed) in [("交易合计", totals.payments), ("退款合计", totals.refunds)] {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    const HEADER: &str = "支付宝交易号,商户订单号,业务类型,创建时间,完成时间,订单金额（元）,\
                          商家实收（元）,退款批次号/请求号,服务费（元）,备注\n";

    #[test]
    fn rows_of_different_shapes_one_after_another() {
        // the cell buffer is reused: a row with a trailing comma, a quoted cell, a refund, and
        // a row with empty optional cells must each come out whole
        let file = gbk(&format!(
            "{HEADER}\
             \t`2088001\t,o1\t,交易,t1,t2,10.00,9.50,,-0.06,\"备注,带逗号\",\n\
             2088002,o2,退款,t1,t3,-1.00,-1.00,`o1R1\t,0.01,\n\
             2088003,,其他,,,0.01,0.01,,,\n"
        ));
        let mut rows = DetailRows::new(file.as_slice()).unwrap();
        let r1 = rows.next().unwrap().unwrap();
        assert_eq!((r1.line, r1.trade_no.as_str()), (2, "2088001"));
        assert_eq!(r1.out_trade_no, "o1");
        assert_eq!((r1.created.as_str(), r1.completed.as_str()), ("t1", "t2"));
        assert_eq!(r1.order_amount.fen(), 1000);
        assert_eq!(r1.received_amount.fen(), 950);
        assert_eq!(r1.refund_request_no, None);
        assert_eq!(
            r1.other,
            vec![
                ("服务费（元）".to_owned(), "-0.06".to_owned()),
                ("备注".to_owned(), "备注,带逗号".to_owned())
            ]
        );
        let r2 = rows.next().unwrap().unwrap();
        assert_eq!(r2.kind, RowKind::Refund);
        assert_eq!(r2.refund_request_no.as_deref(), Some("o1R1"));
        assert_eq!(r2.get("备注"), Some(""));
        let r3 = rows.next().unwrap().unwrap();
        assert_eq!(r3.kind, RowKind::Unknown("其他".to_owned()));
        assert_eq!(r3.out_trade_no, "");
        assert!(rows.next().is_none());
        let t = rows.totals();
        assert_eq!((t.payments, t.refunds, t.others), (1, 1, 1));
        assert_eq!(t.amount("订单金额（元）").unwrap().fen(), 901);
        assert_eq!(t.amount("商家实收（元）").unwrap().fen(), 851);
        assert_eq!(t.amount("服务费（元）").unwrap().fen(), -5);
    }

    #[test]
    fn a_bad_amount_leaves_the_totals_of_the_rows_before() {
        // the bad cell is the last amount column, after two good ones in the same row
        let file = gbk(&format!(
            "{HEADER}2088001,o1,交易,t1,t2,10.00,9.50,,-0.06,\n2088002,o2,交易,t1,t2,5.00,5.00,,0.1,\n"
        ));
        let mut rows = DetailRows::new(file.as_slice()).unwrap();
        assert!(rows.next().unwrap().is_ok());
        match rows.next().unwrap() {
            Err(BillError::BadAmount {
                line: 3, column, ..
            }) => {
                assert_eq!(column, "服务费（元）");
            }
            other => panic!("{other:?}"),
        }
        assert!(rows.next().is_none());
        let t = rows.totals();
        assert_eq!(t.payments, 1);
        assert_eq!(t.amount("订单金额（元）").unwrap().fen(), 1000);
        assert_eq!(t.amount("商家实收（元）").unwrap().fen(), 950);
        assert_eq!(t.amount("服务费（元）").unwrap().fen(), -6);
    }
}
