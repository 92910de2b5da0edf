//! 2.0 order APIs: `findByTpOrderId` and `cancelOrder` (baidu-cashier.md 5.1, 5.2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Params;
use super::common::PayStatus;
use crate::{AppKey, DealId, Fen, OrderId};
use crate::{TpOrderId, UserId};

/// `GET …/paymentservice/findByTpOrderId` (and the TP variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindOrderRequest {
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl FindOrderRequest {
    /// Finds the order `tp_order_id` of the payment service `pm_app_key`.
    pub fn new(tp_order_id: TpOrderId, pm_app_key: AppKey) -> Self {
        Self {
            tp_order_id,
            pm_app_key,
        }
    }
}

impl Params for FindOrderRequest {}

/// `data` of `findByTpOrderId` (union of the doc and the official SDK models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderDetail {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Pay status.
    pub status: PayStatus,
    /// Sub-status (values undocumented; kept raw).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sub_status: Option<i64>,
    /// Baidu cashier user id (as in the payment notify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Settlement credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<DealId>,
    /// Payment appKey (a number in the doc sample, a string in the SDKs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_key: Option<AppKey>,
    /// Payment app id.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_id: Option<u64>,
    /// Open id (a number in the doc sample, a string in the SDKs).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_id: Option<String>,
    /// TP id.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub tp_id: Option<u64>,
    /// Order type.
    #[serde(
        default,
        rename = "type",
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_type: Option<i64>,
    /// Cart parent order id.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_order_id: Option<u64>,
    /// Cart parent type.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_type: Option<i64>,
    /// Item count.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<u64>,
    /// Original price (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ori_price: Option<Fen>,
    /// Paid amount (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_money: Option<Fen>,
    /// Settlement price (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_price: Option<Fen>,
    /// Order amount (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_money: Option<Fen>,
    /// Payment number (支付单号).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub trade_no: Option<String>,
    /// Business extension field (raw string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_info: Option<String>,
    /// Creation time (unix timestamp).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<i64>,
    /// Pay type (only in the Java SDK model).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub pay_type: Option<i64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET …/paymentservice/cancelOrder`: close an unpaid order. `data` is a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderRequest {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl CancelOrderRequest {
    /// Closes the Baidu order `order_id`.
    pub fn new(order_id: OrderId, pm_app_key: AppKey) -> Self {
        Self {
            order_id,
            pm_app_key,
        }
    }
}

impl Params for CancelOrderRequest {}
