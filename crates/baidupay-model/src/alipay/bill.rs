//! `alipay.data.dataservice.bill.downloadurl.query` and its response.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::ResponseCommon;
use super::{BizRequest, invalid};
use crate::error::Result;

/// `bill_type` of a bill query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum BillType {
    /// `trade`: transaction bill.
    Trade,
    /// `signcustomer`: account balance bill.
    Signcustomer,
}

/// `alipay.data.dataservice.bill.downloadurl.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillDownloadUrlQuery {
    /// Which bill.
    pub bill_type: BillType,
    /// `yyyy-MM-dd` (daily) or `yyyy-MM` (monthly).
    pub bill_date: String,
    /// Sub-merchant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smid: Option<String>,
}

impl BillDownloadUrlQuery {
    /// The bill of `bill_date`.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) for a date that is neither
    /// `yyyy-MM-dd` nor `yyyy-MM`.
    pub fn new(bill_type: BillType, bill_date: impl Into<String>) -> Result<Self> {
        let q = Self {
            bill_type,
            bill_date: bill_date.into(),
            smid: None,
        };
        q.validate()?;
        Ok(q)
    }
}

impl BizRequest for BillDownloadUrlQuery {
    // a query
    const IDEMPOTENT: bool = true;
    const METHOD: &'static str = "alipay.data.dataservice.bill.downloadurl.query";
    type Response = BillDownloadUrlResponse;

    fn validate(&self) -> Result<()> {
        let d = &self.bill_date;
        let ok = match d.len() {
            10 => crate::cashier::Date::parse(d).is_ok(),
            7 => crate::cashier::Date::parse(&format!("{d}-01")).is_ok(),
            _ => false,
        };
        if !ok {
            return Err(invalid(
                "bill_date",
                format!("{d:?}: expected yyyy-MM-dd or yyyy-MM"),
            ));
        }
        Ok(())
    }
}

/// `alipay_data_dataservice_bill_downloadurl_query_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillDownloadUrlResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// The URL (expires 30 s after it is issued if unused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_download_url: Option<String>,
    /// e.g. `EMPTY_DATA_WITH_BILL_FILE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bill_file_code: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
