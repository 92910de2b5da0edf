//! 2.0 refund APIs: `applyOrderRefund` and `findOrderRefund` (baidu-cashier.md 5.3, 5.4).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Params;
use super::common::{RefundQueryStatus, RefundType};
use crate::error::{Error, Result};
use crate::{AppKey, BizRefundBatchId, Fen, OrderId, RefundBatchId};
use crate::{TpOrderId, UserId};

/// `POST …/paymentservice/applyOrderRefund`. `bizRefundBatchId` is the idempotency key: a
/// retried refund must reuse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyRefundRequest {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Baidu cashier user id (from the payment notify).
    pub user_id: UserId,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Who asked for the refund.
    pub refund_type: RefundType,
    /// Reason shown to the user.
    pub refund_reason: String,
    /// Merchant refund batch id (idempotency key).
    pub biz_refund_batch_id: BizRefundBatchId,
    /// 1 = skip the merchant audit callback (default: the 2.0 refund has no audit step, seed
    /// 001), 0 = ask the merchant's refund-audit URL first (opt-in, the legacy flow).
    #[serde(with = "zero_one")]
    pub is_skip_audit: bool,
    /// Partial refund amount; absent = full refund.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply_refund_money: Option<Fen>,
    /// Overrides the refund-notify URL of the console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_notify_url: Option<String>,
    /// Payment appKey.
    pub pm_app_key: AppKey,
    /// `dealVos` (Java SDK only; format undocumented), sent verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_vos: Option<String>,
}

mod zero_one {
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*v))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match crate::de::u64_or_string(d)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(serde::de::Error::custom(format_args!(
                "expected 0 or 1, found {other}"
            ))),
        }
    }
}

impl ApplyRefundRequest {
    /// A full refund of the order, without the merchant audit callback (`isSkipAudit` 1, the 2.0
    /// refund's default; see [`ApplyRefundRequest::with_merchant_audit`]).
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `refund_reason` is empty.
    pub fn new(
        order_id: OrderId,
        user_id: UserId,
        tp_order_id: TpOrderId,
        biz_refund_batch_id: BizRefundBatchId,
        refund_type: RefundType,
        refund_reason: impl Into<String>,
        pm_app_key: AppKey,
    ) -> Result<Self> {
        let refund_reason = super::refund_reason(refund_reason.into())?;
        Ok(Self {
            order_id,
            user_id,
            tp_order_id,
            refund_type,
            refund_reason,
            biz_refund_batch_id,
            is_skip_audit: true,
            apply_refund_money: None,
            refund_notify_url: None,
            pm_app_key,
            deal_vos: None,
        })
    }

    /// Refund only `amount` (the order must be consumed; at most the paid total).
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a zero amount.
    pub fn partial(mut self, amount: Fen) -> Result<Self> {
        if amount.is_zero() {
            return Err(Error::InvalidField {
                field: "applyRefundMoney",
                reason: "a refund must be at least 1 fen".into(),
            });
        }
        self.apply_refund_money = Some(amount);
        Ok(self)
    }

    /// Asks the merchant's refund-audit URL (请求业务方退款审核) before Baidu refunds:
    /// `isSkipAudit` 0. Pick it only when the payment service has an audit URL that answers;
    /// the 2.0 refund's default (`isSkipAudit` 1) has no audit step, and a refund waiting for an
    /// audit nobody answers stalls.
    #[must_use]
    pub fn with_merchant_audit(self) -> Self {
        self.skip_audit(false)
    }

    /// Skip (`true`, the default) or request (`false`, see
    /// [`ApplyRefundRequest::with_merchant_audit`]) the merchant refund-audit callback.
    #[must_use]
    pub fn skip_audit(mut self, skip: bool) -> Self {
        self.is_skip_audit = skip;
        self
    }

    /// Overrides the refund-notify URL configured in the console.
    #[must_use]
    pub fn refund_notify_url(mut self, url: impl Into<String>) -> Self {
        self.refund_notify_url = Some(url.into());
        self
    }

    /// Sets the undocumented `dealVos` field, sent verbatim.
    #[must_use]
    pub fn deal_vos(mut self, v: impl Into<String>) -> Self {
        self.deal_vos = Some(v.into());
        self
    }
}

impl Params for ApplyRefundRequest {}

/// `data` of a refund application (2.0 and 1.0): `refundPayMoney` is a number in 2.0 and a
/// string in 1.0; both decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ApplyRefundResult {
    /// Baidu's refund batch id (平台退款批次号).
    pub refund_batch_id: RefundBatchId,
    /// The amount Baidu will refund, in fen.
    pub refund_pay_money: Fen,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET …/paymentservice/findOrderRefund`. `data` is a list of [`RefundRecord`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindRefundRequest {
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Baidu cashier user id.
    pub user_id: UserId,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl FindRefundRequest {
    /// The refunds of `tp_order_id` paid by `user_id`.
    pub fn new(tp_order_id: TpOrderId, user_id: UserId, pm_app_key: AppKey) -> Self {
        Self {
            tp_order_id,
            user_id,
            pm_app_key,
        }
    }
}

impl Params for FindRefundRequest {}

/// One refund of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundRecord {
    /// The merchant refund batch id (absent or empty for refunds Baidu started itself).
    #[serde(
        default,
        deserialize_with = "opt_biz_batch",
        skip_serializing_if = "Option::is_none"
    )]
    pub biz_refund_batch_id: Option<BizRefundBatchId>,
    /// Baidu order id.
    pub order_id: OrderId,
    /// Baidu refund batch id.
    pub refund_batch_id: RefundBatchId,
    /// Status: 1 in progress, 2 succeeded, 3 failed.
    pub refund_status: RefundQueryStatus,
    /// Baidu cashier user id.
    pub user_id: UserId,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn opt_biz_batch<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<BizRefundBatchId>, D::Error> {
    match crate::de::opt_string_or_number(d)? {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => BizRefundBatchId::new(s)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_params_in_doc_order() {
        let r = ApplyRefundRequest::new(
            OrderId::new(800_020_199),
            UserId::new(149_235_070),
            TpOrderId::new("33330020199").unwrap(),
            BizRefundBatchId::new("12132434546634535").unwrap(),
            RefundType::CustomerService,
            "充值未到账",
            AppKey::new("MMMabc").unwrap(),
        )
        .unwrap()
        .partial(Fen::new(100))
        .unwrap();
        // the 2.0 default skips the merchant audit (seed 001); the audit is an explicit opt-in
        assert!(r.is_skip_audit);
        let audited = r.clone().with_merchant_audit();
        assert!(!audited.is_skip_audit);
        assert!(
            audited
                .to_params()
                .unwrap()
                .contains(&("isSkipAudit", "0".to_owned()))
        );
        let names: Vec<_> = r.to_params().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                "orderId",
                "userId",
                "tpOrderId",
                "refundType",
                "refundReason",
                "bizRefundBatchId",
                "isSkipAudit",
                "applyRefundMoney",
                "pmAppKey"
            ]
        );
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["isSkipAudit"], 1);
        assert_eq!(json["refundType"], 2);
        assert!(r.clone().partial(Fen::ZERO).is_err());
    }
}
