//! The ZIP archive Alipay serves: entry names in GBK, a detail and a summary entry.

use std::io::{Read, Seek};

use super::{Bill, BillError, BillSummary, DetailRows};

/// The `bill_file_code` of a day without data: an empty bill, not an error.
pub const EMPTY_DATA_WITH_BILL_FILE: &str = "EMPTY_DATA_WITH_BILL_FILE";

const DETAIL_SUFFIX: &str = "业务明细.csv";
const SUMMARY_SUFFIXES: [&str; 2] = ["业务明细(汇总).csv", "业务明细（汇总）.csv"];

/// A bill archive (the file at `bill_download_url`), opened.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use baidupay_alipay::bill::BillArchive;
/// let file = std::fs::File::open("20880000_20240513.csv.zip")?;
/// let mut archive = BillArchive::new(file)?;
/// let mut rows = archive.detail_rows()?;
/// for row in &mut rows {
///     let row = row?;
///     println!("{} {} {}", row.trade_no, row.out_trade_no, row.received_amount);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct BillArchive<R> {
    zip: zip::ZipArchive<R>,
    names: Vec<String>,
    detail: usize,
    summary: Option<usize>,
}

impl<R: Read + Seek> BillArchive<R> {
    /// Opens the archive and finds the detail entry (`…业务明细.csv`) and the summary entry
    /// (`…业务明细(汇总).csv`) by their name suffix; names that are not UTF-8 are read as GBK.
    ///
    /// # Errors
    /// [`BillError::Archive`] for a truncated or corrupt file or one that is not a ZIP;
    /// [`BillError::MissingEntry`] when no entry name ends in `业务明细.csv`.
    pub fn new(reader: R) -> Result<Self, BillError> {
        let zip = zip::ZipArchive::new(reader)?;
        let names: Vec<String> = zip.file_names_raw().map(decode_name).collect();
        let ends = |suffix: &str| names.iter().position(|n| n.ends_with(suffix));
        let Some(detail) = ends(DETAIL_SUFFIX) else {
            return Err(BillError::MissingEntry {
                suffix: DETAIL_SUFFIX,
                entries: names,
            });
        };
        let summary = SUMMARY_SUFFIXES.iter().find_map(|s| ends(s));
        Ok(Self {
            zip,
            names,
            detail,
            summary,
        })
    }

    /// The entry names, decoded.
    pub fn entry_names(&self) -> &[String] {
        &self.names
    }

    /// The name of the detail entry.
    pub fn detail_name(&self) -> &str {
        &self.names[self.detail]
    }

    /// The name of the summary entry, if any.
    pub fn summary_name(&self) -> Option<&str> {
        self.summary.map(|i| self.names[i].as_str())
    }

    /// Streams the detail entry, decompressing as it goes.
    ///
    /// # Errors
    /// [`BillError::Archive`] when the entry cannot be opened, and the errors of
    /// [`DetailRows::new`] (a truncated entry shows as [`BillError::Io`]).
    pub fn detail_rows(&mut self) -> Result<DetailRows<impl Read + '_>, BillError> {
        let entry = self.zip.by_index(self.detail)?;
        DetailRows::new(entry)
    }

    /// Reads the summary entry, if there is one.
    ///
    /// # Errors
    /// [`BillError::Archive`] when the entry cannot be opened, and the errors of
    /// [`BillSummary::read`].
    pub fn summary(&mut self) -> Result<Option<BillSummary>, BillError> {
        let Some(i) = self.summary else {
            return Ok(None);
        };
        let entry = self.zip.by_index(i)?;
        BillSummary::read(entry).map(Some)
    }

    /// Reads everything into memory and checks the summary's totals against the rows.
    ///
    /// # Errors
    /// The errors of [`BillArchive::detail_rows`] and [`BillArchive::summary`], an error of a
    /// row, and [`BillError::TotalMismatch`] for a total that does not add up.
    pub fn read_all(&mut self) -> Result<Bill, BillError> {
        let summary = self.summary()?;
        let detail_name = self.detail_name().to_owned();
        let mut rows_reader = self.detail_rows()?;
        let rows = rows_reader.by_ref().collect::<Result<Vec<_>, _>>()?;
        let totals = rows_reader.totals().clone();
        if let Some(s) = &summary {
            s.check(&totals)?;
        }
        Ok(Bill {
            detail_name,
            rows,
            totals,
            summary,
        })
    }
}

/// An entry name: UTF-8 when it is (the UTF-8 flag, or plain ASCII), else GBK.
fn decode_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GBK
            .decode_without_bom_handling(raw)
            .0
            .into_owned(),
    }
}
