//! GBK lines and CSV cells, streamed from any `Read` in bounded memory.
//!
//! GBK trail bytes are 0x40..=0xFE, so a `\n` byte always ends a line: lines are split on raw
//! bytes and each line is decoded on its own (encoding_rs, no replacement characters).

use std::io::{BufRead, BufReader, Read};

use super::BillError;

/// The longest line accepted (a bill row is a few hundred bytes).
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// A decoded line and its 1-based number, borrowed from the reader until the next line.
#[derive(Debug)]
pub(crate) struct Line<'a> {
    pub(crate) number: u64,
    pub(crate) text: &'a str,
}

/// Reads GBK lines one at a time, into buffers it reuses (no allocation per line once they
/// have grown to the longest line).
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: BufReader<R>,
    number: u64,
    buf: Vec<u8>,
    text: String,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            inner: BufReader::with_capacity(64 * 1024, reader),
            number: 0,
            buf: Vec::new(),
            text: String::new(),
        }
    }

    /// The next line without its line ending, `None` at the end.
    pub(crate) fn next_line(&mut self) -> Result<Option<Line<'_>>, BillError> {
        self.buf.clear();
        self.text.clear();
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
        if !decode_gbk(bytes, &mut self.text) {
            return Err(if std::str::from_utf8(bytes).is_ok() {
                BillError::Utf8InsteadOfGbk { line: number }
            } else {
                BillError::Encoding { line: number }
            });
        }
        Ok(Some(Line {
            number,
            text: &self.text,
        }))
    }
}

/// Appends the GBK `bytes` to `out` as UTF-8; false (and `out` unspecified) when they are not
/// GBK. ASCII is the same in GBK and UTF-8, so it is copied as it is.
fn decode_gbk(bytes: &[u8], out: &mut String) -> bool {
    if bytes.is_ascii()
        && let Ok(ascii) = std::str::from_utf8(bytes)
    {
        out.push_str(ascii);
        return true;
    }
    let mut decoder = encoding_rs::GBK.new_decoder_without_bom_handling();
    let Some(room) = decoder.max_utf8_buffer_length_without_replacement(bytes.len()) else {
        return false;
    };
    out.reserve(room);
    let (result, _) = decoder.decode_to_string_without_replacement(bytes, out, true);
    matches!(result, encoding_rs::DecoderResult::InputEmpty)
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
    split_cells_into(line, &mut cells);
    cells
}

/// [`split_cells`] into `cells` (cleared first), so that a caller can reuse the `Vec`.
///
/// A cell without a `"` (nearly all of them) is sliced out of the line and cleaned with one
/// allocation; a cell with one goes through [`quoted_cell`], character by character.
pub(crate) fn split_cells_into(line: &str, cells: &mut Vec<String>) {
    cells.clear();
    let mut rest = line;
    loop {
        // `,` and `"` are ASCII, so a byte position is a char boundary
        match rest.bytes().position(|b| b == b',' || b == b'"') {
            Some(i) if rest.as_bytes()[i] == b',' => {
                cells.push(clean(&rest[..i]));
                rest = &rest[i + 1..];
            }
            Some(_) => {
                let (cell, after) = quoted_cell(rest);
                cells.push(cell);
                match after {
                    Some(after) => rest = after,
                    None => return,
                }
            }
            None => {
                cells.push(clean(rest));
                return;
            }
        }
    }
}

/// The first cell of `text`, which holds a `"`, cleaned, and the text after its `,` (`None` at
/// the end of the line): a `"` opens quoting when only spaces precede it in the cell, `""`
/// inside quotes is one `"`, any other `"` is kept as written.
fn quoted_cell(text: &str) -> (String, Option<&str>) {
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' if quoted => {
                if chars.peek().map(|&(_, c)| c) == Some('"') {
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
            ',' if !quoted => return (clean(&cell), Some(&text[i + 1..])),
            _ => cell.push(c),
        }
    }
    (clean(&cell), None)
}

/// Trims spaces, tabs and a leading backquote (added so spreadsheets keep ids as text).
pub(crate) fn clean(cell: &str) -> String {
    let t = trim_pad(cell);
    match t.strip_prefix('`') {
        Some(t) => trim_pad(t),
        None => t,
    }
    .to_owned()
}

/// `cell` without leading and trailing spaces, tabs and ideographic spaces (U+3000).
fn trim_pad(cell: &str) -> &str {
    // ASCII padding is checked byte by byte; U+3000 is the only padding beyond ASCII
    let b = cell.as_bytes();
    let (mut start, mut end) = (0, b.len());
    loop {
        match b.get(start..end) {
            Some([b' ' | b'\t', ..]) => start += 1,
            Some([0xE3, 0x80, 0x80, ..]) => start += 3,
            Some([.., b' ' | b'\t']) => end -= 1,
            Some([.., 0xE3, 0x80, 0x80]) => end -= 3,
            _ => break,
        }
    }
    cell.get(start..end).unwrap_or_default()
}

/// A column name in a canonical form: trimmed, ASCII parentheses made full-width (the platform
/// writes `订单金额（元）`; a re-saved file may have `订单金额(元)`).
pub(crate) fn canonical_name(name: &str) -> String {
    clean(name).replace('(', "（").replace(')', "）")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cells_are_cleaned() {
        assert_eq!(
            split_cells("\t`2088001 , \"a,\"\"b\"\" \" ,x\t,"),
            vec!["2088001", "a,\"b\"", "x", ""]
        );
    }

    /// The splitter as it was before the fast path: one state machine over every character.
    fn reference_split(line: &str) -> Vec<String> {
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
                ',' if !quoted => cells.push(reference_clean(&std::mem::take(&mut cell))),
                _ => cell.push(c),
            }
        }
        cells.push(reference_clean(&cell));
        cells
    }

    fn reference_clean(cell: &str) -> String {
        let pad = |c: char| c == ' ' || c == '\t' || c == '\u{3000}';
        let t = cell.trim_matches(pad);
        let t = t.strip_prefix('`').unwrap_or(t);
        t.trim_matches(pad).to_owned()
    }

    #[test]
    fn quoting_and_padding_edge_cases() {
        for line in [
            "",
            ",",
            "\"",
            "\"\"",
            "a\"b,c",
            "  \"x\"y , \"\" \"z\"",
            "\u{3000}`\u{3000}编号\u{3000}\t,`,``a`",
            "\"未闭合,的引号",
            "\"a\"\"\",\"\"\"\"",
            "x,\t\"q,\"\t,y",
        ] {
            assert_eq!(split_cells(line), reference_split(line), "{line:?}");
        }
    }

    proptest! {
        #[test]
        fn the_fast_splitter_agrees_with_the_reference(
            line in "[a-c,\"` \t\u{3000}测试]{0,40}"
        ) {
            prop_assert_eq!(split_cells(&line), reference_split(&line));
        }

        #[test]
        fn clean_agrees_with_trim_matches(cell in "[a` \t\u{3000}\u{3001}测]{0,12}") {
            prop_assert_eq!(clean(&cell), reference_clean(&cell));
        }
    }

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    #[test]
    fn lines_reuse_their_buffers_and_keep_their_numbers() {
        let mut file = b"\xEF\xBB\xBF#first\r\n".to_vec();
        file.extend(gbk("支付宝交易号,商户订单号,业务类型\r\n"));
        file.extend(b"short\n\n");
        file.extend(gbk("a much longer line with 中文 in it,\t`2088\r\n"));
        file.extend(b"no line ending at the end");
        let mut r = LineReader::new(file.as_slice());
        let mut seen = Vec::new();
        while let Some(line) = r.next_line().unwrap() {
            seen.push((line.number, line.text.to_owned()));
        }
        assert_eq!(
            seen,
            vec![
                (1, "#first".to_owned()),
                (2, "支付宝交易号,商户订单号,业务类型".to_owned()),
                (3, "short".to_owned()),
                (4, String::new()),
                (5, "a much longer line with 中文 in it,\t`2088".to_owned()),
                (6, "no line ending at the end".to_owned()),
            ]
        );
    }

    #[test]
    fn a_bad_line_after_good_ones_is_named() {
        // 0xFF is never GBK; a UTF-8 line (here one that is not GBK either) is told apart
        let mut file = gbk("交易\n");
        file.extend(b"ok\n\xFF\xFF\n");
        let mut r = LineReader::new(file.as_slice());
        assert_eq!(r.next_line().unwrap().unwrap().text, "交易");
        assert_eq!(r.next_line().unwrap().unwrap().text, "ok");
        assert!(matches!(
            r.next_line(),
            Err(BillError::Encoding { line: 3 })
        ));
        let mut r = LineReader::new("ok\n交\n".as_bytes());
        assert_eq!(r.next_line().unwrap().unwrap().text, "ok");
        assert!(matches!(
            r.next_line(),
            Err(BillError::Utf8InsteadOfGbk { line: 2 })
        ));
    }
}
