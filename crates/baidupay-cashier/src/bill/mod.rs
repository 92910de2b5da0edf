//! Bill files (对账单 `orderBill` / 资金账单 `capitaBill`).
//!
//! The export's layout is only partly documented (DOCS-2021): `#`-prefixed summary lines such
//! as `#Dealid:[…]`, `#起始日期`, `#总交易单数`, `#总交易额(元)`, three reports (当日所有订单,
//! 当日支付订单, 当日退款订单), each a header row (交易时间, APPID, 百度订单号, 业务订单号, 用户标识,
//! 订单支付状态, 订单金额(元), 百度退款单号, 业务方退款批次号, 退款金额, 退款状态, 公司名称, 手续费费率)
//! and one row per order. Its separator and encoding are unconfirmed, so [`BillReader`] accepts
//! comma or tab, UTF-8 or GBK (detected and reported, never guessed), and [`read_bill`] plain or
//! zipped files (stored or deflate). Rows stream one by one; amounts are exact fen; stated totals
//! are checked against the rows ([`BillReader::mismatches`]). [`bill_entries`] turns a bill into
//! the entries that [`baidupay_model::reconcile::reconcile`] takes.

use std::collections::BTreeMap;

use bytes::Bytes;

mod entries;
mod error;
mod reader;

pub use entries::{
    BAIDU_ORDER_ID, BAIDU_REFUND_ID, BIZ_REFUND_BATCH_ID, BillEntries, TP_ORDER_ID, bill_entries,
    read_bill_entries,
};
pub use error::BillError;
pub use reader::{
    BillEncoding, BillReader, BillRow, BillSection, MAX_LINE, ORDER_AMOUNT, REFUND_AMOUNT,
    TotalMismatch, read_bill,
};

/// A downloaded bill file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillDownload {
    /// The file exactly as downloaded.
    pub bytes: Bytes,
    /// The parsed content, when [`BillDownload::parse`] succeeds.
    pub parsed: Option<ParsedBill>,
}

impl BillDownload {
    /// Parses [`BillDownload::bytes`] (plain or zipped, UTF-8 or GBK), for the error when
    /// [`BillDownload::parsed`] is `None`.
    ///
    /// # Errors
    /// The [`BillError`] that stopped the parse.
    pub fn parse(&self) -> Result<ParsedBill, BillError> {
        try_parse_bill(&self.bytes)
    }

    /// The bill converted for reconciliation ([`bill_entries`]).
    ///
    /// # Errors
    /// The [`BillError`] that stopped the parse or the conversion.
    pub fn entries(&self) -> Result<BillEntries, BillError> {
        read_bill_entries(&self.bytes[..])
    }
}

/// A bill file's summary lines and rows, in memory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ParsedBill {
    /// `#name:value` summary lines (`#Dealid:[123]` gives `Dealid` -> `[123]`), in order.
    pub summary: Vec<(String, String)>,
    /// The first report's header row.
    pub columns: Vec<String>,
    /// Each row of every report by column name (a row with more cells than columns keeps the
    /// extra cells under `#4`, `#5`, … by position).
    pub rows: Vec<BTreeMap<String, String>>,
    /// The report each of [`ParsedBill::rows`] is in.
    pub row_sections: Vec<BillSection>,
    /// The encoding found (`None` for an all-ASCII file).
    pub encoding: Option<BillEncoding>,
    /// The stated totals that disagree with the rows.
    pub mismatches: Vec<TotalMismatch>,
}

/// Parses a whole bill file into memory; `None` when [`try_parse_bill`] fails.
pub(crate) fn parse_bill(bytes: &[u8]) -> Option<ParsedBill> {
    try_parse_bill(bytes).ok()
}

/// Parses a whole bill file into memory.
fn try_parse_bill(bytes: &[u8]) -> Result<ParsedBill, BillError> {
    read_bill(bytes, |reader| {
        let mut bill = ParsedBill::default();
        for row in reader.by_ref() {
            let row = row?;
            if bill.columns.is_empty() {
                bill.columns = row.columns.to_vec();
            }
            bill.rows
                .push(row.cells().map(|(k, v)| (k, v.to_owned())).collect());
            bill.row_sections.push(row.section);
        }
        if bill.columns.is_empty() {
            bill.columns = reader.columns().map(|c| c.to_vec()).unwrap_or_default();
        }
        bill.summary = reader.summary().to_vec();
        bill.encoding = reader.encoding();
        bill.mismatches = reader.mismatches().to_vec();
        Ok(bill)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_layout() {
        let file = "\u{feff}#Dealid:[470193086]\n#起始日期：[2021-03-01]\n#总交易单数:[1]\n交易时间,APPID,百度订单号,业务订单号,订单金额(元)\n2021-03-01 10:00:00,10026,`2645985458,3028903626,113.00\n#当日退款订单\n";
        let b = try_parse_bill(file.as_bytes()).unwrap();
        assert_eq!(b.summary[0], ("Dealid".into(), "[470193086]".into()));
        assert_eq!(b.summary[1], ("起始日期".into(), "[2021-03-01]".into()));
        assert_eq!(b.columns.len(), 5);
        assert_eq!(b.rows.len(), 1);
        assert_eq!(b.rows[0]["百度订单号"], "2645985458");
        assert_eq!(b.rows[0]["订单金额(元)"], "113.00");
        assert_eq!(b.encoding, Some(BillEncoding::Utf8));
        assert!(b.mismatches.is_empty());
        let tabbed = "a\tb\n1\t2\t3\n";
        let b = try_parse_bill(tabbed.as_bytes()).unwrap();
        assert_eq!(b.rows[0]["b"], "2");
        assert_eq!(b.rows[0]["#2"], "3");
        assert_eq!(b.encoding, None);
        assert!(matches!(
            try_parse_bill(b"PK\x03\x04\xff\xfe"),
            Err(BillError::Zip(_))
        ));
        assert!(try_parse_bill(b"#only:summary\n").unwrap().rows.is_empty());
    }

    #[test]
    fn yuan_amounts_are_exact() {
        use baidupay_model::Fen;
        let p = reader::parse_yuan;
        assert_eq!(p("113.00"), Ok(Fen::new(11300)));
        assert_eq!(p("0.5"), Ok(Fen::new(50)));
        assert_eq!(p("7"), Ok(Fen::new(700)));
        for bad in ["", ".5", "1.", "1.001", "-1", "1e3", "99999999999999999999"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}
