//! `paymentservice/orderlist`: the TP's order list.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::codes::{OrderStatusFilter, OrderSubStatus};
use super::{Paged, check_page, invalid};
use crate::Fen;
use crate::cashier::Params;
use crate::error::Result;

/// `GET paymentservice/orderlist`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderListRequest {
    /// Status filter.
    pub status: OrderStatusFilter,
    /// Start, 10-digit unix timestamp.
    pub start_time: u64,
    /// End, 10-digit unix timestamp.
    pub end_time: u64,
    /// Page, from 1.
    pub current_page: u64,
    /// Page size.
    pub page_size: u64,
}

impl OrderListRequest {
    /// Page `current_page` (from 1) of `page_size` orders with `status` created between the
    /// unix timestamps (seconds) `start_time` and `end_time`.
    pub fn new(
        status: OrderStatusFilter,
        start_time: u64,
        end_time: u64,
        current_page: u64,
        page_size: u64,
    ) -> Self {
        Self {
            status,
            start_time,
            end_time,
            current_page,
            page_size,
        }
    }

    /// Checks the timestamps (10 digits, start ≤ end) and the paging.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
    pub fn validate(&self) -> Result<()> {
        for (f, t) in [("start_time", self.start_time), ("end_time", self.end_time)] {
            if !(1_000_000_000..=9_999_999_999).contains(&t) {
                return Err(invalid(f, "must be a 10-digit unix timestamp (seconds)"));
            }
        }
        if self.start_time > self.end_time {
            return Err(invalid("end_time", "is before start_time"));
        }
        check_page(self.current_page, self.page_size)
    }
}

impl Params for OrderListRequest {}

/// `data` of the order list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderList {
    /// Total amount, as sent (the example sends `"-"`).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_money: Option<String>,
    /// This page.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u64>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<u64>,
    /// Total orders.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// Total pages.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_page: Option<u64>,
    /// Orders.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<TpOrder>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for OrderList {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn total_page(&self) -> Option<u64> {
        self.total_page
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One order of the order list (amounts in fen, sent as strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TpOrder {
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub id: String,
    /// Settlement credential.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub deal_id: String,
    /// Order name.
    #[serde(default)]
    pub deal_title: String,
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub order_id: String,
    /// Merchant order id.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub tp_order_id: String,
    /// Masked phone (or 未登录用户).
    #[serde(default)]
    pub phone: String,
    /// Created, `yyyy-MM-dd HH:mm:ss`.
    #[serde(default)]
    pub create_time: String,
    /// Completed, `yyyy-MM-dd HH:mm:ss`.
    #[serde(default)]
    pub update_time: String,
    /// Sub-status 1-7.
    pub sub_status: OrderSubStatus,
    /// Order amount (fen).
    pub total_money: Fen,
    /// Paid amount (fen).
    pub pay_money: Fen,
    /// Refunded amount (fen), `null` when none.
    #[serde(default)]
    pub segment_refunded_money: Option<Fen>,
    /// Channel, e.g. 微信支付; `null` when unpaid.
    #[serde(default)]
    pub channel: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
