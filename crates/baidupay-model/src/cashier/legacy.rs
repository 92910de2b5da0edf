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

impl Params for QueryOrderDetailRequest {}

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
        let refund_reason = super::refund_reason(refund_reason.into())?;
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

impl Params for LegacyRefundRequest {}

/// 1.0 cancel consumption (取消核销, `syncOrderStatus`, `type` fixed 3), signed over all
/// parameters. `data` is an empty list.
///
/// The constant `type=3` is the struct's serde tag: serde writes `"type": <struct name>`, and
/// the struct is named `3` on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", rename = "3")]
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

impl Params for SyncOrderStatusRequest {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_order_status_sends_the_constant_type() {
        let r = SyncOrderStatusRequest::new(
            OrderId::new(1),
            UserId::new(2),
            AppKey::new("MMMabc").unwrap(),
        );
        let mut p = r.to_params().unwrap();
        p.sort();
        assert_eq!(
            p,
            [
                ("appKey", "MMMabc".to_owned()),
                ("orderId", "1".to_owned()),
                ("type", SyncOrderStatusRequest::TYPE.to_string()),
                ("userId", "2".to_owned()),
            ]
        );
        // the tag is for sending only: the struct still reads back from its JSON
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(
            serde_json::from_str::<SyncOrderStatusRequest>(&json).unwrap(),
            r
        );
    }
}
