//! The 1.0 signed APIs (baidu-cashier.md 7): order detail, refund, cancel consumption.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Params;
use super::common::{LegacyPayStatus, LegacyRefundStatus, RefundType, VerificationStatus};
use crate::error::{Error, Result};
use crate::{AppKey, BizRefundBatchId, Fen, OrderId, PayAppId};
use crate::{TpOrderId, UserId};

/// 1.0 `queryorderdetail` (signed with the merchant key over appId, appKey, orderId, siteId).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryOrderDetailRequest {
    /// Numeric payment APP ID.
    pub app_id: PayAppId,
    /// Payment appKey.
    pub app_key: AppKey,
    /// Baidu order id.
    pub order_id: OrderId,
    /// Baidu user id (`userId` of the notify).
    pub site_id: UserId,
}

impl QueryOrderDetailRequest {
    /// The status of `order_id` paid by `site_id`.
    pub fn new(app_id: PayAppId, app_key: AppKey, order_id: OrderId, site_id: UserId) -> Self {
        Self {
            app_id,
            app_key,
            order_id,
            site_id,
        }
    }
}

impl Params for QueryOrderDetailRequest {
    /// The signed parameters (the signature goes in `sign`).
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("appId", self.app_id.to_string()),
            ("appKey", self.app_key.to_string()),
            ("orderId", self.order_id.to_string()),
            ("siteId", self.site_id.to_string()),
        ]
    }
}

/// `data` of `queryorderdetail`: the statuses sit in a doubly nested `data.data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LegacyOrderDetailData {
    /// The inner `data`.
    pub data: LegacyOrderDetail,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The three statuses of a 1.0 order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LegacyOrderDetail {
    /// Pay status.
    pub pay_status: StatusNum<LegacyPayStatus>,
    /// Refund status.
    pub refund_status: StatusNum<LegacyRefundStatus>,
    /// Consumption (核销) status.
    pub verification: StatusNum<VerificationStatus>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `{"statusNum":…, "statusDesc":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusNum<S> {
    /// The status code.
    pub status_num: S,
    /// Baidu's description.
    #[serde(default)]
    pub status_desc: String,
}

/// 1.0 refund (`etrade-api …/cashier/applyOrderRefund`, or `nuomi.cashier.applyorderrefund`
/// on the old host), signed over all parameters. Answers
/// [`ApplyRefundResult`](super::ApplyRefundResult).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacyRefundRequest {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Baidu user id.
    pub user_id: UserId,
    /// Who asked for the refund.
    pub refund_type: RefundType,
    /// Reason.
    pub refund_reason: String,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Payment appKey.
    pub app_key: AppKey,
    /// Partial amount (required with `bizRefundBatchId` for partial refunds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_refund_money: Option<Fen>,
    /// Merchant refund batch id (required for partial refunds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_refund_batch_id: Option<BizRefundBatchId>,
}

impl LegacyRefundRequest {
    /// The old host's `method` value.
    pub const METHOD: &'static str = "nuomi.cashier.applyorderrefund";

    /// A full refund.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `refund_reason` is empty.
    pub fn new(
        order_id: OrderId,
        user_id: UserId,
        tp_order_id: TpOrderId,
        refund_type: RefundType,
        refund_reason: impl Into<String>,
        app_key: AppKey,
    ) -> Result<Self> {
        let refund_reason = refund_reason.into();
        if refund_reason.trim().is_empty() {
            return Err(Error::InvalidField {
                field: "refundReason",
                reason: "must not be empty".into(),
            });
        }
        Ok(Self {
            order_id,
            user_id,
            refund_type,
            refund_reason,
            tp_order_id,
            app_key,
            apply_refund_money: None,
            biz_refund_batch_id: None,
        })
    }

    /// A partial refund of `amount`, identified by `batch` (both are required together).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a zero amount.
    pub fn partial(mut self, amount: Fen, batch: BizRefundBatchId) -> Result<Self> {
        if amount.is_zero() {
            return Err(Error::InvalidField {
                field: "applyRefundMoney",
                reason: "a refund must be at least 1 fen".into(),
            });
        }
        self.apply_refund_money = Some(amount);
        self.biz_refund_batch_id = Some(batch);
        Ok(self)
    }
}

impl Params for LegacyRefundRequest {
    /// The signed parameters (the signature goes in `rsaSign`; `method` is added on the old host).
    fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("orderId", self.order_id.to_string()),
            ("userId", self.user_id.to_string()),
            ("refundType", self.refund_type.code().to_string()),
            ("refundReason", self.refund_reason.clone()),
            ("tpOrderId", self.tp_order_id.to_string()),
            ("appKey", self.app_key.to_string()),
        ];
        if let Some(m) = self.apply_refund_money {
            p.push(("applyRefundMoney", m.to_string()));
        }
        if let Some(b) = &self.biz_refund_batch_id {
            p.push(("bizRefundBatchId", b.to_string()));
        }
        p
    }
}

/// 1.0 cancel consumption (取消核销, `syncOrderStatus`, `type` fixed 3), signed over all
/// parameters. `data` is an empty list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncOrderStatusRequest {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Baidu user id.
    pub user_id: UserId,
    /// Payment appKey.
    pub app_key: AppKey,
}

impl SyncOrderStatusRequest {
    /// The old host's `method` value.
    pub const METHOD: &'static str = "nuomi.cashier.syncorderstatus";
    /// The fixed `type`.
    pub const TYPE: u8 = 3;

    /// Cancels the consumption of `order_id`.
    pub fn new(order_id: OrderId, user_id: UserId, app_key: AppKey) -> Self {
        Self {
            order_id,
            user_id,
            app_key,
        }
    }
}

impl Params for SyncOrderStatusRequest {
    /// The signed parameters (the signature goes in `rsaSign`; `method` is added on the old host).
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("orderId", self.order_id.to_string()),
            ("userId", self.user_id.to_string()),
            ("type", Self::TYPE.to_string()),
            ("appKey", self.app_key.to_string()),
        ]
    }
}
