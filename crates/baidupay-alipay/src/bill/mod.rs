//! Alipay bill files as the platform serves them, parsed.
//!
//! The URL of `alipay.data.dataservice.bill.downloadurl.query` serves a ZIP (entry names in
//! GBK) of GBK CSV files: `<pid>_<date>_业务明细.csv`, one row per payment or refund, and
//! `<pid>_<date>_业务明细(汇总).csv`, totals per store. [`BillArchive`] opens the ZIP;
//! [`DetailRows`] streams the rows of a detail file from any [`std::io::Read`] in bounded
//! memory; [`BillSummary`] reads a summary file; [`Bill`] is all of it in memory, checked.
//!
//! Columns are found by their header names, never by position; columns this crate does not
//! know are kept by name ([`DetailRow::other`]). Amounts are exact fen ([`SignedYuan`]; refunds
//! are negative). The totals the files state (`#交易合计：N笔，退款合计：M笔` after the rows,
//! the `合计` row of the summary file) are checked against the rows.

mod archive;
mod detail;
mod lines;
mod summary;

pub use archive::{BillArchive, EMPTY_DATA_WITH_BILL_FILE};
pub use detail::DetailRows;
pub use summary::BillSummary;

use baidupay_model::SignedYuan;

/// 支付宝交易号: the Alipay trade number column.
pub const COL_TRADE_NO: &str = "支付宝交易号";
/// 商户订单号: the merchant order number column.
pub const COL_OUT_TRADE_NO: &str = "商户订单号";
/// 业务类型: the row type column (交易 / 退款).
pub const COL_KIND: &str = "业务类型";
/// 创建时间: the creation time column.
pub const COL_CREATED: &str = "创建时间";
/// 完成时间: the completion time column.
pub const COL_COMPLETED: &str = "完成时间";
/// 订单金额（元）: the order amount column (negative for a refund).
pub const COL_ORDER_AMOUNT: &str = "订单金额（元）";
/// 商家实收（元）: the amount the merchant received (negative for a refund).
pub const COL_RECEIVED: &str = "商家实收（元）";
/// 退款批次号/请求号: the refund request number column (`out_request_no`).
pub const COL_REFUND_REQUEST_NO: &str = "退款批次号/请求号";

/// What a detail row records (业务类型).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RowKind {
    /// 交易: a payment.
    Payment,
    /// 退款: a refund.
    Refund,
    /// Another value, kept as written.
    Unknown(String),
}

impl RowKind {
    fn parse(s: &str) -> Self {
        match s {
            "交易" => Self::Payment,
            "退款" => Self::Refund,
            other => Self::Unknown(other.to_owned()),
        }
    }
}

/// One row of the detail file (业务明细).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DetailRow {
    /// The 1-based line number in the file.
    pub line: u64,
    /// 支付宝交易号 (`trade_no`).
    pub trade_no: String,
    /// 商户订单号 (`out_trade_no`).
    pub out_trade_no: String,
    /// 业务类型.
    pub kind: RowKind,
    /// 订单金额（元）, negative for a refund.
    pub order_amount: SignedYuan,
    /// 商家实收（元）, negative for a refund.
    pub received_amount: SignedYuan,
    /// 退款批次号/请求号 (`out_request_no`), when the column exists and the cell is not empty.
    pub refund_request_no: Option<String>,
    /// 创建时间, as written (`yyyy-MM-dd HH:mm:ss`, Beijing time).
    pub created: String,
    /// 完成时间, as written.
    pub completed: String,
    /// Every other column, `(name, cleaned cell)` in file order.
    pub other: Vec<(String, String)>,
}

impl DetailRow {
    /// The cell of another column by its name (ASCII or full-width parentheses alike).
    pub fn get(&self, column: &str) -> Option<&str> {
        let column = lines::canonical_name(column);
        self.other
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, cell)| cell.as_str())
    }
}

/// What the rows of a detail file add up to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BillTotals {
    /// Rows of type 交易.
    pub payments: u64,
    /// Rows of type 退款.
    pub refunds: u64,
    /// Rows of another type.
    pub others: u64,
    /// The sum of every amount column (a name ending in `（元）`), in header order.
    pub amounts: Vec<(String, SignedYuan)>,
}

impl BillTotals {
    /// The sum of an amount column, by name.
    pub fn amount(&self, column: &str) -> Option<SignedYuan> {
        let column = lines::canonical_name(column);
        self.amounts
            .iter()
            .find(|(name, _)| *name == column)
            .map(|(_, v)| *v)
    }
}

/// A whole bill in memory: the detail rows, their totals and the summary file, checked
/// against each other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Bill {
    /// The name of the detail entry in the ZIP (empty for an empty bill).
    pub detail_name: String,
    /// The detail rows, in file order.
    pub rows: Vec<DetailRow>,
    /// What the rows add up to.
    pub totals: BillTotals,
    /// The summary file, if the archive has one.
    pub summary: Option<BillSummary>,
}

impl Bill {
    /// A bill with no rows (`bill_file_code` [`EMPTY_DATA_WITH_BILL_FILE`]).
    pub fn empty() -> Self {
        Self::default()
    }
}

/// Why a bill file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BillError {
    /// Reading the file failed (for a ZIP entry, a truncated or corrupt entry shows here).
    #[error("cannot read line {line} of the bill file")]
    Io {
        /// The line being read.
        line: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line is longer than 64 KiB: not a bill.
    #[error("line {line} of the bill file is longer than 64 KiB")]
    LineTooLong {
        /// The line.
        line: u64,
    },
    /// A line is not GBK text.
    #[error("line {line} of the bill file is not GBK text")]
    Encoding {
        /// The line.
        line: u64,
    },
    /// A line is UTF-8 text where Alipay writes GBK (a re-saved or hand-made file).
    #[error("line {line} of the bill file is UTF-8 text; Alipay bill files are GBK")]
    Utf8InsteadOfGbk {
        /// The line.
        line: u64,
    },
    /// The file ended before a header row.
    #[error("the bill file has no header row")]
    MissingHeader,
    /// The header row lacks a column this crate needs.
    #[error("the header row (line {line}) has no column {column}")]
    MissingColumn {
        /// The header line.
        line: u64,
        /// The column name.
        column: &'static str,
    },
    /// The header names a column twice.
    #[error("the header row (line {line}) names column {column} twice")]
    DuplicateColumn {
        /// The header line.
        line: u64,
        /// The column name.
        column: String,
    },
    /// A row has another number of cells than the header.
    #[error("line {line} has {found} cells, the header has {expected} columns")]
    CellCount {
        /// The line.
        line: u64,
        /// The number of header columns.
        expected: usize,
        /// The number of cells found.
        found: usize,
    },
    /// A required cell is empty.
    #[error("line {line}: column {column} is empty")]
    EmptyCell {
        /// The line.
        line: u64,
        /// The column name.
        column: String,
    },
    /// An amount cell is not yuan with two decimals.
    #[error("line {line}: column {column} is not an amount in yuan with two decimals")]
    BadAmount {
        /// The line.
        line: u64,
        /// The column name.
        column: String,
        /// What is wrong with the cell.
        #[source]
        source: baidupay_model::Error,
    },
    /// A sum overflowed 64 bits of fen.
    #[error("line {line}: the total of column {column} overflows")]
    Overflow {
        /// The line.
        line: u64,
        /// The column name.
        column: String,
    },
    /// A summary line (`#交易合计：…`) or summary cell cannot be read.
    #[error("line {line}: cannot read the summary {what:?}")]
    BadSummary {
        /// The line.
        line: u64,
        /// The summary text or column.
        what: String,
    },
    /// A total stated by the file does not match the rows.
    #[error("total {total} does not add up: the file states {stated}, the rows give {computed}")]
    TotalMismatch {
        /// The total, e.g. `交易合计` or `汇总 商家实收（元）`.
        total: String,
        /// The value the file states.
        stated: String,
        /// The value computed from the rows.
        computed: String,
    },
    /// The ZIP archive cannot be read (truncated, corrupt, or not a ZIP).
    #[error("the bill archive cannot be read (truncated, corrupt or not a ZIP)")]
    Archive(#[source] ArchiveError),
    /// The ZIP archive has no entry with the expected name suffix.
    #[error("the bill archive has no entry ending in {suffix} (entries: {entries:?})")]
    MissingEntry {
        /// The name suffix looked for.
        suffix: &'static str,
        /// The entry names found.
        entries: Vec<String>,
    },
}

/// The cause of [`BillError::Archive`] (opaque: the ZIP library is not part of the API).
#[derive(Debug)]
pub struct ArchiveError(zip::result::ZipError);

impl std::fmt::Display for ArchiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ArchiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl From<zip::result::ZipError> for BillError {
    fn from(e: zip::result::ZipError) -> Self {
        Self::Archive(ArchiveError(e))
    }
}

/// Why [`crate::AlipayClient::bill`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchBillError {
    /// Asking for the URL or downloading the file failed.
    #[error("cannot get the bill file")]
    Api(#[source] crate::AlipayError),
    /// The file was downloaded but cannot be read.
    #[error("cannot read the downloaded bill file")]
    Parse(#[source] BillError),
}
