//! Bill files (对账单 / 资金账单).
//!
//! The export's layout is only partly documented (DOCS-2021): `#`-prefixed summary lines such
//! as `#Dealid:[…]`, `#起始日期`, `#总交易单数`, then a header row (交易时间, APPID, 百度订单号,
//! 业务订单号, …) and one row per order. Whether it is CSV or tab-separated, and its encoding,
//! is unconfirmed; the parser accepts UTF-8 with either separator and otherwise leaves the bytes
//! to the caller.

use std::collections::BTreeMap;

use bytes::Bytes;

/// A downloaded bill file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillDownload {
    /// The file exactly as downloaded.
    pub bytes: Bytes,
    /// The parsed content, when the file is UTF-8 text in the documented layout.
    pub parsed: Option<ParsedBill>,
}

/// A bill file's summary lines and rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParsedBill {
    /// `#name:value` summary lines (`#Dealid:[123]` gives `Dealid` -> `[123]`), in order.
    pub summary: Vec<(String, String)>,
    /// The header row's column names.
    pub columns: Vec<String>,
    /// Each row by column name (a row with more cells than columns keeps the extra cells under
    /// `#4`, `#5`, … by position).
    pub rows: Vec<BTreeMap<String, String>>,
}

/// Parses a bill file; `None` when it is not UTF-8 text with a header row.
pub(crate) fn parse_bill(bytes: &[u8]) -> Option<ParsedBill> {
    let text = std::str::from_utf8(bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut bill = ParsedBill::default();
    let mut lines = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty());
    let mut header = None;
    for line in lines.by_ref() {
        if let Some(summary) = line.strip_prefix('#') {
            let (k, v) = summary.split_once([':', '：']).unwrap_or((summary, ""));
            bill.summary
                .push((k.trim().to_owned(), v.trim().to_owned()));
        } else {
            header = Some(line);
            break;
        }
    }
    let header = header?;
    let sep = if header.contains('\t') { '\t' } else { ',' };
    let cell = |c: &str| {
        c.trim()
            .trim_matches('"')
            .trim_start_matches('`')
            .to_owned()
    };
    bill.columns = header.split(sep).map(cell).collect();
    for line in lines {
        if line.starts_with('#') {
            continue;
        }
        let row = line
            .split(sep)
            .enumerate()
            .map(|(i, c)| {
                let name = bill
                    .columns
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("#{i}"));
                (name, cell(c))
            })
            .collect();
        bill.rows.push(row);
    }
    Some(bill)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_layout() {
        let file = "\u{feff}#Dealid:[470193086]\n#起始日期：[2021-03-01]\n#总交易单数:[1]\n交易时间,APPID,百度订单号,业务订单号,订单金额(元)\n2021-03-01 10:00:00,10026,`2645985458,3028903626,113.00\n#当日退款订单\n";
        let b = parse_bill(file.as_bytes()).unwrap();
        assert_eq!(b.summary[0], ("Dealid".into(), "[470193086]".into()));
        assert_eq!(b.summary[1], ("起始日期".into(), "[2021-03-01]".into()));
        assert_eq!(b.columns.len(), 5);
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0]["百度订单号"], "2645985458");
        assert_eq!(b.rows[0]["订单金额(元)"], "113.00");
        let tabbed = "a\tb\n1\t2\t3\n";
        let b = parse_bill(tabbed.as_bytes()).unwrap();
        assert_eq!(b.rows[0]["b"], "2");
        assert_eq!(b.rows[0]["#2"], "3");
        assert_eq!(
            parse_bill(b"PK\x03\x04\xff\xfe"),
            None,
            "a zip or GBK file is left to the caller"
        );
        assert_eq!(parse_bill(b"#only:summary\n"), None);
    }
}
