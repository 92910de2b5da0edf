//! GBK lines and CSV cells, streamed from any `Read` in bounded memory.
//!
//! GBK trail bytes are 0x40..=0xFE, so a `\n` byte always ends a line: lines are split on raw
//! bytes and each line is decoded on its own (encoding_rs, no replacement characters).

use std::io::{BufRead, BufReader, Read};

use super::BillError;

/// The longest line accepted (a bill row is a few hundred bytes).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// A decoded line and its 1-based number.
#[derive(Debug)]
pub(crate) struct Line {
    pub(crate) number: u64,
    pub(crate) text: String,
}

/// Reads GBK lines one at a time.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: BufReader<R>,
    number: u64,
    buf: Vec<u8>,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            inner: BufReader::new(reader),
            number: 0,
            buf: Vec::new(),
        }
    }

    /// The next line without its line ending, `None` at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<Line>, BillError> {
        self.buf.clear();
        let number = self.number.saturating_add(1);
        let limit = u64::try_from(MAX_LINE)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let n = (&mut self.inner)
            .take(limit)
            .read_until(b'\n', &mut self.buf)
            .map_err(|source| BillError::Io {
                line: number,
                source,
            })?;
        if n == 0 {
            return Ok(None);
        }
        self.number = number;
        if self.buf.last() != Some(&b'\n') && self.buf.len() > MAX_LINE {
            return Err(BillError::LineTooLong { line: number });
        }
        while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
            self.buf.pop();
        }
        let bytes = self.buf.as_slice();
        let bytes = if number == 1 {
            bytes
                .strip_prefix(b"\xEF\xBB\xBF".as_slice())
                .unwrap_or(bytes)
        } else {
            bytes
        };
        if bytes.is_ascii() {
            // ASCII is the same in GBK and UTF-8.
            return Ok(Some(Line {
                number,
                text: String::from_utf8_lossy(bytes).into_owned(),
            }));
        }
        match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => Ok(Some(Line {
                number,
                text: text.into_owned(),
            })),
            None if std::str::from_utf8(bytes).is_ok() => {
                Err(BillError::Utf8InsteadOfGbk { line: number })
            }
            None => Err(BillError::Encoding { line: number }),
        }
    }
}

/// Whether the raw text of a line is UTF-8 holding `needle` (to tell a UTF-8 file whose bytes
/// happen to be valid GBK from a GBK file with other headers).
pub(crate) fn gbk_mojibake_of(text: &str, needle: &str) -> bool {
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
    !had_errors && std::str::from_utf8(&bytes).is_ok_and(|utf8| utf8.contains(needle))
}

/// Splits a CSV line into cleaned cells: `"` quoting with `""` escapes (one line only), then
/// spaces, tabs and a leading backquote trimmed.
pub(crate) fn split_cells(line: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cell.push('"');
                } else {
                    quoted = false;
                }
            }
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            ',' if !quoted => cells.push(clean(&std::mem::take(&mut cell))),
            _ => cell.push(c),
        }
    }
    cells.push(clean(&cell));
    cells
}

/// Trims spaces, tabs and a leading backquote (added so spreadsheets keep ids as text).
pub(crate) fn clean(cell: &str) -> String {
    let pad = |c: char| c == ' ' || c == '\t' || c == '\u{3000}';
    let t = cell.trim_matches(pad);
    let t = t.strip_prefix('`').unwrap_or(t);
    t.trim_matches(pad).to_owned()
}

/// A column name in a canonical form: trimmed, ASCII parentheses made full-width (the platform
/// writes `订单金额（元）`; a re-saved file may have `订单金额(元)`).
pub(crate) fn canonical_name(name: &str) -> String {
    clean(name).replace('(', "（").replace(')', "）")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cleaned() {
        assert_eq!(
            split_cells("\t`2088001 , \"a,\"\"b\"\" \" ,x\t,"),
            vec!["2088001", "a,\"b\"", "x", ""]
        );
    }
}
