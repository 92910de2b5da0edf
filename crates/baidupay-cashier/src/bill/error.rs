//! Why a bill file could not be read.

use super::reader::BillEncoding;

/// A bill file that cannot be read. `Display` says what failed and where (lines are 1-based);
/// the cause is in [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BillError {
    /// Reading the underlying bytes failed.
    #[error("reading the bill failed")]
    Io(#[source] std::io::Error),
    /// The file starts like a zip archive but cannot be opened as one.
    #[error("opening the zipped bill failed")]
    Zip(#[source] std::io::Error),
    /// The zip archive holds no file.
    #[error("the zipped bill holds no file")]
    EmptyZip,
    /// The zipped file uses a compression method other than stored or deflate.
    #[error("the zipped bill uses an unsupported compression method ({method})")]
    ZipMethod {
        /// The method, as the zip library names it.
        method: String,
    },
    /// A line is valid in neither UTF-8 nor GBK.
    #[error("bill line {line} is neither UTF-8 nor GBK")]
    Encoding {
        /// The line.
        line: u64,
    },
    /// A line is not in the encoding that earlier lines established.
    #[error("bill line {line} is not {encoding}, unlike the lines before it")]
    MixedEncoding {
        /// The line.
        line: u64,
        /// The encoding found before it.
        encoding: BillEncoding,
    },
    /// A line is longer than the reader accepts (memory stays bounded).
    #[error("bill line {line} is longer than {max} bytes")]
    LineTooLong {
        /// The line.
        line: u64,
        /// The limit.
        max: usize,
    },
    /// An amount cell is not an exact yuan amount with at most two decimals.
    #[error("bill line {line}: invalid amount in column {column}")]
    Amount {
        /// The line.
        line: u64,
        /// The column's name.
        column: String,
        /// Why the amount was refused.
        #[source]
        source: baidupay_model::Error,
    },
    /// A row lacks a column that the conversion needs (e.g. 业务订单号).
    #[error("bill line {line}: no value in column {column}")]
    MissingColumn {
        /// The line.
        line: u64,
        /// The column's name.
        column: &'static str,
    },
}
