//! The streaming bill reader: encoding detection, `#` lines, sections, rows by column name.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use baidupay_model::Fen;

use super::BillError;

/// The longest line the reader accepts, in bytes.
pub const MAX_LINE: usize = 64 * 1024;

/// The text encoding a bill file was found to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BillEncoding {
    /// UTF-8 (with or without a byte-order mark).
    Utf8,
    /// GBK (decoded as GB18030, its superset).
    Gbk,
}

impl fmt::Display for BillEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BillEncoding::Utf8 => "UTF-8",
            BillEncoding::Gbk => "GBK",
        })
    }
}

/// Which of the file's reports a row belongs to, from the `#` title line that opens it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BillSection {
    /// Before any title line.
    Untitled,
    /// 当日所有订单: every order of the day (repeats the other two reports).
    All,
    /// 当日支付订单: the day's paid orders.
    Paid,
    /// 当日退款订单: the day's refunds.
    Refunded,
    /// Another title, kept as written (without the `#`).
    Other(String),
}

impl BillSection {
    fn from_title(title: &str) -> Self {
        if title.contains("所有") {
            BillSection::All
        } else if title.contains("退款") {
            BillSection::Refunded
        } else if title.contains("支付") {
            BillSection::Paid
        } else {
            BillSection::Other(title.to_owned())
        }
    }
}

/// One data row of a bill, by column name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillRow {
    /// The report the row is in.
    pub section: BillSection,
    /// The row's line in the file (1-based).
    pub line: u64,
    /// The header's column names (shared by the section's rows).
    pub columns: Arc<[String]>,
    /// The cells, in the header's order; cells beyond the header are named `#4`, `#5`, … by
    /// position in [`BillRow::cells`].
    pub values: Vec<String>,
}

impl BillRow {
    /// The cell under column `name`, when the header has it.
    pub fn get(&self, name: &str) -> Option<&str> {
        let i = self.columns.iter().position(|c| c == name)?;
        self.values.get(i).map(String::as_str)
    }

    /// The cell under column `name`, `None` when absent or empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    /// Every cell with its column name (unknown columns included).
    pub fn cells(&self) -> impl Iterator<Item = (String, &str)> + '_ {
        self.values.iter().enumerate().map(|(i, v)| {
            let name = self
                .columns
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("#{i}"));
            (name, v.as_str())
        })
    }

    /// The amount under column `name` (a yuan amount such as `113.00`) in exact fen; `None` when
    /// the column is absent or the cell empty.
    ///
    /// # Errors
    /// [`BillError::Amount`] when the cell is not a non-negative yuan amount with at most two
    /// decimals.
    pub fn amount(&self, name: &str) -> Result<Option<Fen>, BillError> {
        let Some(v) = self.non_empty(name) else {
            return Ok(None);
        };
        parse_yuan(v).map(Some).map_err(|reason| BillError::Amount {
            line: self.line,
            column: name.to_owned(),
            source: baidupay_model::Error::InvalidAmount {
                input: v.chars().take(40).collect(),
                reason,
            },
        })
    }
}

/// Parses `113`, `113.0` or `113.00` yuan into fen.
pub(crate) fn parse_yuan(s: &str) -> Result<Fen, &'static str> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected digits before the decimal point");
    }
    if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) || s.ends_with('.') {
        return Err("expected at most two decimals");
    }
    let digits = |d: &str| {
        d.bytes().try_fold(0u64, |n, b| {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        })
    };
    let frac_fen = digits(frac).map(|f| if frac.len() == 1 { f * 10 } else { f });
    digits(int)
        .and_then(|y| y.checked_mul(100))
        .zip(frac_fen)
        .and_then(|(y, f)| y.checked_add(f))
        .map(Fen::new)
        .ok_or("amount out of range")
}

/// A stated total (`#总交易单数`, `#总交易额(元)`, `#总退款金额(元)`) that disagrees with the rows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TotalMismatch {
    /// The report whose rows were summed.
    pub section: BillSection,
    /// The summary line's name, e.g. `总交易单数`.
    pub name: String,
    /// The value as the file states it (brackets removed).
    pub stated: String,
    /// What the rows add up to (a count, or yuan with two decimals).
    pub computed: String,
}

const COUNT: &str = "总交易单数";
const TOTAL: &str = "总交易额(元)";
const REFUNDED: &str = "总退款金额(元)";
/// The order amount column.
pub const ORDER_AMOUNT: &str = "订单金额(元)";
/// The refund amount column.
pub const REFUND_AMOUNT: &str = "退款金额";

#[derive(Debug, Default)]
struct Section {
    name: Option<BillSection>,
    columns: Option<Arc<[String]>>,
    sep: u8,
    stated: Vec<(String, String)>,
    rows: u64,
    total: Option<Fen>,
    refunded: Option<Fen>,
}

/// Reads a bill file row by row from a [`BufRead`], in bounded memory: one line at a time (at
/// most [`MAX_LINE`] bytes), and per report only its counts and sums.
///
/// Layout: `#name:value` lines (full-width `：` too) are summary lines; any other `#` line is a
/// report title (当日所有订单 / 当日支付订单 / 当日退款订单) that opens a new report, unless the current
/// one has no header yet (then it names it); the first other line of a report is its header
/// (tab-separated when it contains a tab, else comma-separated with `"` quotes); then rows.
/// Cells are trimmed of spaces, quotes and a leading `` ` ``.
///
/// Encoding: the first line that is not ASCII decides: valid UTF-8 means UTF-8, else valid GBK
/// means GBK, else [`BillError::Encoding`]; a later line that does not decode in the same
/// encoding is [`BillError::MixedEncoding`]. A file that is all ASCII has no encoding
/// ([`BillReader::encoding`] is `None`).
#[derive(Debug)]
pub struct BillReader<R> {
    input: R,
    line: u64,
    buf: Vec<u8>,
    encoding: Option<BillEncoding>,
    summary: Vec<(String, String)>,
    section: Section,
    mismatches: Vec<TotalMismatch>,
    sections_seen: Vec<BillSection>,
    done: bool,
}

impl<R: BufRead> BillReader<R> {
    /// A reader over a plain (not zipped) bill.
    pub fn new(input: R) -> Self {
        Self {
            input,
            line: 0,
            buf: Vec::new(),
            encoding: None,
            summary: Vec::new(),
            section: Section::default(),
            mismatches: Vec::new(),
            sections_seen: Vec::new(),
            done: false,
        }
    }

    /// The encoding found so far (`None` while every line has been ASCII).
    pub fn encoding(&self) -> Option<BillEncoding> {
        self.encoding
    }

    /// The `#name:value` lines read so far (`#Dealid:[123]` gives `Dealid` -> `[123]`), in order.
    pub fn summary(&self) -> &[(String, String)] {
        &self.summary
    }

    /// The stated totals that disagree with the rows, for the reports finished so far (all of
    /// them once the reader has returned `None`).
    pub fn mismatches(&self) -> &[TotalMismatch] {
        &self.mismatches
    }

    /// Whether every stated total checked so far agrees with the rows.
    pub fn totals_ok(&self) -> bool {
        self.mismatches.is_empty()
    }

    /// The reports that had a header, in order.
    pub fn sections(&self) -> &[BillSection] {
        &self.sections_seen
    }

    /// The header of the current report.
    pub fn columns(&self) -> Option<&Arc<[String]>> {
        self.section.columns.as_ref()
    }

    fn read_line(&mut self) -> Result<Option<String>, BillError> {
        self.buf.clear();
        let limit = u64::try_from(MAX_LINE)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = (&mut self.input)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(BillError::Io)?;
        if n == 0 {
            return Ok(None);
        }
        self.line += 1;
        if self.buf.len() > MAX_LINE {
            return Err(BillError::LineTooLong {
                line: self.line,
                max: MAX_LINE,
            });
        }
        let mut bytes = self.buf.as_slice();
        while let [rest @ .., b'\n' | b'\r'] = bytes {
            bytes = rest;
        }
        if self.line == 1
            && let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf")
        {
            self.encoding = Some(BillEncoding::Utf8);
            bytes = rest;
        }
        let line = self.line;
        let utf8 = || std::str::from_utf8(bytes).ok().map(str::to_owned);
        let gbk = || {
            encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|c| c.into_owned())
        };
        let text = match self.encoding {
            _ if bytes.is_ascii() => utf8(),
            Some(BillEncoding::Utf8) => utf8(),
            Some(BillEncoding::Gbk) => gbk(),
            None => {
                if let Some(t) = utf8() {
                    self.encoding = Some(BillEncoding::Utf8);
                    Some(t)
                } else if let Some(t) = gbk() {
                    self.encoding = Some(BillEncoding::Gbk);
                    Some(t)
                } else {
                    return Err(BillError::Encoding { line });
                }
            }
        };
        match (text, self.encoding) {
            (Some(t), _) => Ok(Some(t)),
            (None, Some(encoding)) => Err(BillError::MixedEncoding { line, encoding }),
            (None, None) => Err(BillError::Encoding { line }),
        }
    }

    /// Checks the finished report's stated totals and starts a new one.
    fn close_section(&mut self, next: Option<BillSection>) {
        let s = std::mem::take(&mut self.section);
        let section = s.name.clone().unwrap_or(BillSection::Untitled);
        for (name, stated) in &s.stated {
            let computed = match name.as_str() {
                COUNT => s.rows.to_string(),
                TOTAL => s.total.unwrap_or(Fen::ZERO).to_yuan_string(),
                REFUNDED => s.refunded.unwrap_or(Fen::ZERO).to_yuan_string(),
                _ => continue,
            };
            let agrees = if name == COUNT {
                stated.parse::<u64>().ok() == Some(s.rows)
            } else {
                parse_yuan(stated).ok().map(Fen::to_yuan_string).as_ref() == Some(&computed)
            };
            if !agrees {
                self.mismatches.push(TotalMismatch {
                    section: section.clone(),
                    name: name.clone(),
                    stated: stated.clone(),
                    computed,
                });
            }
        }
        self.section.name = next;
    }

    fn row(&mut self, text: &str, columns: Arc<[String]>) -> Result<BillRow, BillError> {
        let row = BillRow {
            section: self.section.name.clone().unwrap_or(BillSection::Untitled),
            line: self.line,
            values: split(text, self.section.sep),
            columns,
        };
        self.section.rows = self.section.rows.saturating_add(1);
        for (column, sum) in [
            (ORDER_AMOUNT, &mut self.section.total),
            (REFUND_AMOUNT, &mut self.section.refunded),
        ] {
            if let Some(a) = row.amount(column)? {
                let prev = sum.unwrap_or(Fen::ZERO);
                *sum = Some(prev.checked_add(a).ok_or_else(|| BillError::Amount {
                    line: row.line,
                    column: column.to_owned(),
                    source: baidupay_model::Error::AmountOutOfRange {
                        op: format!("{} + {} fen", prev.get(), a.get()),
                    },
                })?);
            }
        }
        Ok(row)
    }

    fn next_row(&mut self) -> Result<Option<BillRow>, BillError> {
        while let Some(text) = self.read_line()? {
            let trimmed = text.trim();
            if trimmed.is_empty() {
                continue;
            }
            if let Some(hash) = trimmed.strip_prefix('#') {
                match hash.split_once([':', '：']) {
                    Some((k, v)) => {
                        let (k, v) = (k.trim().to_owned(), v.trim().to_owned());
                        let bare = v.trim_start_matches('[').trim_end_matches(']').trim();
                        self.section.stated.push((k.clone(), bare.to_owned()));
                        self.summary.push((k, v));
                    }
                    None => {
                        let title = BillSection::from_title(hash.trim());
                        if self.section.columns.is_none() {
                            self.section.name = Some(title);
                        } else {
                            self.close_section(Some(title));
                        }
                    }
                }
                continue;
            }
            match self.section.columns.clone() {
                Some(columns) => return self.row(&text, columns).map(Some),
                None => {
                    self.section.sep = if text.contains('\t') { b'\t' } else { b',' };
                    let columns: Arc<[String]> = split(&text, self.section.sep).into();
                    self.section.columns = Some(columns);
                    self.sections_seen
                        .push(self.section.name.clone().unwrap_or(BillSection::Untitled));
                }
            }
        }
        Ok(None)
    }
}

impl<R: BufRead> Iterator for BillReader<R> {
    type Item = Result<BillRow, BillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_row() {
            Ok(Some(row)) => Some(Ok(row)),
            Ok(None) => {
                self.done = true;
                self.close_section(None);
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Cleans a cell the CSV splitter already unquoted: padding and the leading backquote some
/// exports put before long numbers go; quotes inside the value stay.
fn clean(c: &str) -> String {
    c.trim().trim_start_matches('`').to_owned()
}

/// Cleans a tab-separated cell: one enclosing pair of quotes is removed (`""` inside it is a
/// literal quote), then as [`clean`].
fn clean_tab(c: &str) -> String {
    let t = c.trim();
    match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => clean(&inner.replace("\"\"", "\"")),
        None => clean(t),
    }
}

/// Splits a line on `sep`; with commas, `"` quotes a cell (`""` is a literal quote; an unclosed
/// quote is kept as text).
fn split(line: &str, sep: u8) -> Vec<String> {
    if sep == b'\t' {
        return line.split('\t').map(clean_tab).collect();
    }
    match baidupay_model::reconcile::split_csv(line) {
        Ok(cells) => cells.iter().map(|c| clean(c)).collect(),
        Err(_) => line.split(',').map(clean).collect(),
    }
}

/// Opens a bill from any reader, plain or zipped (the first file of a stored or deflate zip
/// archive, read as a stream), and hands a [`BillReader`] over it to `f`.
///
/// # Errors
/// [`BillError::Io`] when reading fails; [`BillError::Zip`], [`BillError::EmptyZip`] or
/// [`BillError::ZipMethod`] for a zip that cannot be read; whatever `f` returns.
pub fn read_bill<R: Read, T>(
    input: R,
    f: impl FnOnce(&mut BillReader<&mut dyn BufRead>) -> Result<T, BillError>,
) -> Result<T, BillError> {
    let mut input = BufReader::new(input);
    let zipped = input
        .fill_buf()
        .map_err(BillError::Io)?
        .starts_with(b"PK\x03\x04");
    if !zipped {
        return f(&mut BillReader::new(&mut input as &mut dyn BufRead));
    }
    let file = zip::read::read_zipfile_from_stream(&mut input)
        .map_err(|e| BillError::Zip(e.into()))?
        .ok_or(BillError::EmptyZip)?;
    let method = file.compression();
    if !matches!(
        method,
        zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated
    ) {
        return Err(BillError::ZipMethod {
            method: format!("{method:?}"),
        });
    }
    let mut inner = BufReader::new(file);
    f(&mut BillReader::new(&mut inner as &mut dyn BufRead))
}
