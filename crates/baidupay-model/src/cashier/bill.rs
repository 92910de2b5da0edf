//! 2.0 statements: `orderBill` and `capitaBill` (baidu-cashier.md 5.5, 5.6).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Params;
use super::common::Date;
use crate::AppKey;

/// Which statement to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BillKind {
    /// 订单对账单, path `orderBill`.
    Order,
    /// 资金账单, path `capitaBill` (sic: not `capitalBill`).
    Capital,
}

impl BillKind {
    /// The last path segment of the endpoint.
    pub const fn path_segment(self) -> &'static str {
        match self {
            BillKind::Order => "orderBill",
            BillKind::Capital => "capitaBill",
        }
    }
}

/// `GET …/paymentservice/orderBill` or `capitaBill` for one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillRequest {
    /// The day, `yyyy-MM-dd`.
    pub bill_time: Date,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl BillRequest {
    /// The statement of `bill_time`.
    pub fn new(bill_time: Date, pm_app_key: AppKey) -> Self {
        Self {
            bill_time,
            pm_app_key,
        }
    }
}

impl Params for BillRequest {}

/// `data` of a bill request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillList {
    /// The files ready (or being prepared) for download.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<BillFile>,
    /// Number of files.
    #[serde(default, deserialize_with = "crate::de::u64_or_string")]
    pub total_count: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One bill file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillFile {
    /// Creation time as sent.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<String>,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_name: Option<String>,
    /// Export progress (values undocumented; kept raw).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub export_status: Option<i64>,
    /// Download URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
