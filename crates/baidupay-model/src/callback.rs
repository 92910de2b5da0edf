//! The three Baidu callbacks (baidu-cashier.md section 6) and the exact answers Baidu expects.
//!
//! Callbacks arrive as form-encoded POST bodies signed by Baidu's platform key. Verification
//! and form decoding belong to `baidupay-notify`; the types here are built from the already
//! decoded, already verified `(name, value)` pairs with `from_pairs`, keep every field Baidu
//! adds later in `extra`, and turn back into pairs with `to_pairs` (for simulators and tests).
//!
//! The answers are typed and serialize to the exact bytes the docs show:
//!
//! ```
//! use baidupay_model::callback::{PaymentAck, RefundAuditAnswer, RefundNotifyAck, AuditStatus};
//! use baidupay_model::Fen;
//! assert_eq!(PaymentAck::consumed().to_json(), r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#);
//! assert_eq!(
//!     RefundAuditAnswer::new(AuditStatus::Approved, Fen::new(100)).to_json(),
//!     r#"{"errno":0,"msg":"success","data":{"auditStatus":1,"calculateRes":{"refundPayMoney":100}}}"#
//! );
//! assert_eq!(RefundNotifyAck.to_json(), r#"{"errno":0,"msg":"success","data":{}}"#);
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::cashier::PayStatus;
use crate::error::{Error, Result};
use crate::form;
use crate::{DealId, Fen, OrderId, RefundBatchId, TpOrderId, UserId};

/// The signature field of every Baidu callback; never part of a typed callback.
pub const SIGNATURE_FIELD: &str = "rsaSign";

/// The form fields of a callback through its serde derive, `extra` included, sorted by name.
fn encode<T: Serialize>(callback: &T) -> Vec<(String, String)> {
    // a callback's fields are all scalars: encoding cannot fail (the tests encode each one);
    // were it ever to, no pairs at all sign nothing a merchant would accept
    crate::params::to_pairs(callback).unwrap_or_default()
}

/// 通知支付状态: the payment notify (baidu-cashier.md 6.1). Serializes (for logs and the CLI)
/// with the platform's field names. `orderId` is its idempotency key.
///
/// The merchant must check `total_money` and `tp_order_id` against its own order before
/// delivering goods; `status` must be [`PayStatus::Paid`].
///
/// The serde derive is the wire format in both directions: [`PaymentNotification::from_pairs`]
/// decodes through it and [`PaymentNotification::to_pairs`] encodes through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PaymentNotification {
    /// Baidu cashier user id (keep it: refunds need it).
    pub user_id: UserId,
    /// Baidu order id.
    pub order_id: OrderId,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Settlement credential.
    pub deal_id: DealId,
    /// Order amount in fen (must equal the merchant's amount).
    pub total_money: Fen,
    /// Amount actually paid after discounts.
    pub pay_money: Fen,
    /// Unit price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Fen>,
    /// Quantity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Marketing discount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promo_money: Option<Fen>,
    /// Red-packet amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hb_money: Option<Fen>,
    /// Balance amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hb_balance_money: Option<Fen>,
    /// Voucher amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gift_card_money: Option<Fen>,
    /// Payment time, unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_time: Option<i64>,
    /// Payment channel value (e.g. 9101, 1117; list undocumented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_type: Option<i64>,
    /// Payment platform id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_id: Option<i64>,
    /// Pay status.
    #[serde(deserialize_with = "form::int_code")]
    pub status: PayStatus,
    /// Promotion details, the JSON text as sent (often empty).
    #[serde(default)]
    pub promo_detail: String,
    /// The merchant's `returnData` from `bizInfo`, the text as sent (often empty).
    #[serde(default)]
    pub return_data: String,
    /// Fields this version does not know, verbatim (they were covered by the signature).
    #[serde(flatten, skip_deserializing)]
    pub extra: BTreeMap<String, String>,
}

impl PaymentNotification {
    /// Builds the notification from decoded, verified form pairs (`rsaSign` is ignored).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming a missing, empty or malformed required field, a malformed
    /// optional one, or a duplicated parameter.
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str> + Into<String>,
        V: AsRef<str> + Into<String>,
    {
        let (n, extra) = form::from_pairs::<Self, _, _>(pairs, form::BAIDU)?;
        Ok(Self { extra, ..n })
    }

    /// The notification's form fields (without `rsaSign`), sorted by name.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        encode(self)
    }

    /// Whether Baidu reports the order as paid.
    pub fn is_paid(&self) -> bool {
        self.status == PayStatus::Paid
    }
}

/// 请求业务方退款审核: Baidu asks the merchant to approve a refund (baidu-cashier.md 6.2).
/// `refundBatchId` is its idempotency key. Answer with [`RefundAuditAnswer`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundAuditRequest {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Baidu user id.
    pub user_id: UserId,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Baidu refund batch id.
    pub refund_batch_id: RefundBatchId,
    /// Requested amount in fen (present since DOCS-2021).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_refund_money: Option<Fen>,
    /// Fields this version does not know, verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: BTreeMap<String, String>,
}

impl RefundAuditRequest {
    /// Builds the request from decoded, verified form pairs (`rsaSign` is ignored).
    ///
    /// # Errors
    /// As [`PaymentNotification::from_pairs`].
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str> + Into<String>,
        V: AsRef<str> + Into<String>,
    {
        let (n, extra) = form::from_pairs::<Self, _, _>(pairs, form::BAIDU)?;
        Ok(Self { extra, ..n })
    }

    /// The request's form fields (without `rsaSign`), sorted by name.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        encode(self)
    }
}

int_code_enum! {
    /// `refundStatus` of the refund notify (baidu-cashier.md 6.3). Not the same values as
    /// [`crate::cashier::RefundQueryStatus`]: here 1 is success, there 2 is.
    pub enum RefundNotifyStatus {
        /// 1 退款成功.
        Succeeded = 1 => "退款成功 (refund succeeded)";
        /// 2 退款失败.
        Failed = 2 => "退款失败 (refund failed)";
    }
}

/// 通知退款状态: the refund result notify (baidu-cashier.md 6.3). `refundBatchId` is its
/// idempotency key. Answer with [`RefundNotifyAck`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RefundNotification {
    /// Baidu user id ("may be empty").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Baidu order id.
    pub order_id: OrderId,
    /// Merchant order id ("may be empty").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tp_order_id: Option<TpOrderId>,
    /// Baidu refund batch id.
    pub refund_batch_id: RefundBatchId,
    /// Result.
    #[serde(deserialize_with = "form::int_code")]
    pub refund_status: RefundNotifyStatus,
    /// Fields this version does not know, verbatim.
    #[serde(flatten, skip_deserializing)]
    pub extra: BTreeMap<String, String>,
}

impl RefundNotification {
    /// Builds the notification from decoded, verified form pairs (`rsaSign` is ignored).
    ///
    /// # Errors
    /// As [`PaymentNotification::from_pairs`].
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self>
    where
        K: AsRef<str> + Into<String>,
        V: AsRef<str> + Into<String>,
    {
        let (n, extra) = form::from_pairs::<Self, _, _>(pairs, form::BAIDU)?;
        Ok(Self { extra, ..n })
    }

    /// The notification's form fields (without `rsaSign`), sorted by name.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        encode(self)
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

int_code_enum! {
    /// `isConsumed` of the payment ack.
    pub enum Consumed {
        /// 1 未消费 (not consumed).
        No = 1 => "未消费 (not consumed)";
        /// 2 已消费 (consumed): what mini programs must answer.
        Yes = 2 => "已消费 (consumed)";
    }
}

int_code_enum! {
    /// `auditStatus` of the refund-audit answer.
    pub enum AuditStatus {
        /// 1 审核通过可退款 (approved).
        Approved = 1 => "审核通过可退款 (approved)";
        /// 2 审核不通过，不能退款 (rejected).
        Rejected = 2 => "审核不通过，不能退款 (rejected)";
        /// 3 审核结果不确定，待重试 (undecided: Baidu asks again about every 5 minutes).
        Undecided = 3 => "审核结果不确定，待重试 (undecided, ask again)";
    }
}

/// The answer to a payment notify: `{"errno":0,"msg":"success","data":{"isConsumed":2}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaymentAck {
    /// `isConsumed` (mini programs must answer [`Consumed::Yes`]; missing means abnormal refund).
    pub is_consumed: Consumed,
    /// `isErrorOrder` 1: asks Baidu to refund the order as abnormal.
    pub is_error_order: bool,
}

impl PaymentAck {
    /// The normal answer: received and consumed.
    pub const fn consumed() -> Self {
        Self {
            is_consumed: Consumed::Yes,
            is_error_order: false,
        }
    }

    /// Received, but refund it as an abnormal order (`isErrorOrder` 1), e.g. when the amount
    /// does not match the merchant's order.
    pub const fn error_order() -> Self {
        Self {
            is_consumed: Consumed::Yes,
            is_error_order: true,
        }
    }

    /// The exact JSON body.
    pub fn to_json(&self) -> String {
        if self.is_error_order {
            format!(
                r#"{{"errno":0,"msg":"success","data":{{"isErrorOrder":1,"isConsumed":{}}}}}"#,
                self.is_consumed.code()
            )
        } else {
            format!(
                r#"{{"errno":0,"msg":"success","data":{{"isConsumed":{}}}}}"#,
                self.is_consumed.code()
            )
        }
    }

    /// Reads a merchant's answer as Baidu would: JSON with `errno` 0 and `data.isConsumed`.
    ///
    /// # Errors
    /// [`Error::Json`] for non-JSON, [`Error::InvalidField`] for `errno` ≠ 0 or a missing or
    /// invalid `isConsumed`.
    pub fn parse(body: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            is_consumed: Option<i64>,
            #[serde(default)]
            is_error_order: Option<i64>,
        }
        let data: Data = parse_success(body, "payment ack")?;
        let is_consumed = match data.is_consumed.map(Consumed::from_code) {
            Some(c @ (Consumed::Yes | Consumed::No)) => c,
            _ => {
                return Err(Error::InvalidField {
                    field: "isConsumed",
                    reason: "missing or not 1/2 (Baidu then refunds the order as abnormal)".into(),
                });
            }
        };
        Ok(Self {
            is_consumed,
            is_error_order: data.is_error_order == Some(1),
        })
    }
}

/// The answer to a refund-audit request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundAuditAnswer {
    /// The decision.
    pub audit_status: AuditStatus,
    /// `calculateRes.refundPayMoney`: the amount to refund, in fen (required even when rejecting).
    pub refund_pay_money: Fen,
}

impl RefundAuditAnswer {
    /// An answer with `status` and the amount to refund.
    pub const fn new(audit_status: AuditStatus, refund_pay_money: Fen) -> Self {
        Self {
            audit_status,
            refund_pay_money,
        }
    }

    /// The exact JSON body.
    pub fn to_json(&self) -> String {
        format!(
            r#"{{"errno":0,"msg":"success","data":{{"auditStatus":{},"calculateRes":{{"refundPayMoney":{}}}}}}}"#,
            self.audit_status.code(),
            self.refund_pay_money
        )
    }

    /// Reads a merchant's answer as Baidu would.
    ///
    /// # Errors
    /// As [`PaymentAck::parse`], for `auditStatus` and `calculateRes.refundPayMoney`.
    pub fn parse(body: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Calc {
            refund_pay_money: Fen,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            audit_status: AuditStatus,
            calculate_res: Calc,
        }
        let data: Data = parse_success(body, "refund audit answer")?;
        Ok(Self::new(
            data.audit_status,
            data.calculate_res.refund_pay_money,
        ))
    }
}

/// The answer to a refund notify: `{"errno":0,"msg":"success","data":{}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RefundNotifyAck;

impl RefundNotifyAck {
    /// The exact JSON body.
    pub fn to_json(&self) -> String {
        r#"{"errno":0,"msg":"success","data":{}}"#.to_owned()
    }

    /// Reads a merchant's answer as Baidu would (`errno` 0).
    ///
    /// # Errors
    /// As [`PaymentAck::parse`].
    pub fn parse(body: &[u8]) -> Result<Self> {
        parse_success::<serde_json::Value>(body, "refund notify ack").map(|_| Self)
    }
}

/// The failure answer that makes Baidu retry a callback: `errno` ≠ 0 with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryAnswer {
    /// The message (logged by Baidu; do not put secrets in it).
    pub msg: String,
}

impl RetryAnswer {
    /// A retry answer with `msg`.
    pub fn new(msg: impl Into<String>) -> Self {
        Self { msg: msg.into() }
    }

    /// The JSON body `{"errno":1,"msg":"…","data":{}}`.
    pub fn to_json(&self) -> String {
        let msg = serde_json::Value::String(self.msg.clone());
        format!(r#"{{"errno":1,"msg":{msg},"data":{{}}}}"#)
    }
}

fn parse_success<T: serde::de::DeserializeOwned>(body: &[u8], what: &'static str) -> Result<T> {
    #[derive(Deserialize)]
    struct Env {
        errno: serde_json::Value,
        #[serde(default)]
        data: serde_json::Value,
    }
    let env: Env = serde_json::from_slice(body).map_err(|e| Error::json(what, e))?;
    if env.errno.as_i64() != Some(0) {
        return Err(Error::InvalidField {
            field: "errno",
            reason: format!("{} is not 0: Baidu will retry", env.errno),
        });
    }
    serde_json::from_value(env.data).map_err(|e| Error::json(what, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn answers_exact() {
        assert_eq!(
            PaymentAck::error_order().to_json(),
            r#"{"errno":0,"msg":"success","data":{"isErrorOrder":1,"isConsumed":2}}"#
        );
        assert_eq!(
            RetryAnswer::new("db \"down\"").to_json(),
            r#"{"errno":1,"msg":"db \"down\"","data":{}}"#
        );
        for a in [PaymentAck::consumed(), PaymentAck::error_order()] {
            assert_eq!(PaymentAck::parse(a.to_json().as_bytes()), Ok(a));
        }
        let r = RefundAuditAnswer::new(AuditStatus::Rejected, Fen::new(0));
        assert_eq!(RefundAuditAnswer::parse(r.to_json().as_bytes()), Ok(r));
        assert!(PaymentAck::parse(br#"{"errno":0,"msg":"success","data":{}}"#).is_err());
        assert!(PaymentAck::parse(br#"{"errno":1,"msg":"x","data":{"isConsumed":2}}"#).is_err());
        assert!(PaymentAck::parse(b"success").is_err());
        assert!(RefundNotifyAck::parse(RefundNotifyAck.to_json().as_bytes()).is_ok());
        assert!(RefundNotifyAck::parse(RetryAnswer::new("x").to_json().as_bytes()).is_err());
    }

    #[test]
    fn field_order_and_unknown_fields_do_not_matter() {
        let sorted = pairs(&[
            ("aNew", "1"),
            ("dealId", "470193086"),
            ("orderId", "2645985458"),
            ("payMoney", "1"),
            ("status", "2"),
            ("totalMoney", "1"),
            ("tpOrderId", "T1"),
            ("userId", "3269234686470"),
            ("zNew", "z"),
        ]);
        let a = PaymentNotification::from_pairs(sorted.clone()).unwrap();
        let mut reversed = sorted.clone();
        reversed.reverse();
        assert_eq!(
            PaymentNotification::from_pairs(reversed.clone()).unwrap(),
            a
        );
        assert_eq!(a.extra.len(), 2);
        assert_eq!(a.tp_order_id.as_str(), "T1");
        // a duplicate is found whether or not the input is sorted
        for mut p in [sorted, reversed] {
            p.push(("orderId".into(), "1".into()));
            assert!(PaymentNotification::from_pairs(p).is_err());
        }
    }

    #[test]
    fn refund_notify_allows_empty_user_and_order() {
        let n = RefundNotification::from_pairs(pairs(&[
            ("orderId", "800020199"),
            ("refundBatchId", "100058888"),
            ("refundStatus", "1"),
            ("userId", ""),
            ("rsaSign", "x"),
        ]))
        .unwrap();
        assert_eq!(n.user_id, None);
        assert_eq!(n.tp_order_id, None);
        assert_eq!(n.refund_status, RefundNotifyStatus::Succeeded);
        assert!(n.extra.is_empty(), "rsaSign is not a field: {:?}", n.extra);
        let e = RefundNotification::from_pairs(pairs(&[("orderId", "1"), ("refundStatus", "1")]))
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidField {
                    field: "refundBatchId",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn to_pairs_gives_back_the_signed_fields() {
        fn check(input: Vec<(String, String)>, encoded: Vec<(String, String)>) {
            let mut want = input;
            want.sort();
            assert_eq!(encoded, want);
        }
        let p = pairs(&[
            ("userId", "3269234686470"),
            ("orderId", "2645985458"),
            ("tpOrderId", "T1"),
            ("dealId", "470193086"),
            ("totalMoney", "1600"),
            ("payMoney", "1500"),
            ("unitPrice", "800"),
            ("count", "2"),
            ("promoMoney", "100"),
            ("hbMoney", "0"),
            ("hbBalanceMoney", "0"),
            ("giftCardMoney", "0"),
            ("payTime", "1600000000"),
            ("payType", "1117"),
            ("partnerId", "6000001"),
            ("status", "2"),
            ("promoDetail", ""),
            ("returnData", r#"{"a":1}"#),
            ("zNew", ""),
        ]);
        check(
            p.clone(),
            PaymentNotification::from_pairs(p).unwrap().to_pairs(),
        );
        let p = pairs(&[
            ("orderId", "1"),
            ("userId", "2"),
            ("tpOrderId", "T1"),
            ("refundBatchId", "9"),
            ("applyRefundMoney", "100"),
            ("aNew", "x"),
        ]);
        check(
            p.clone(),
            RefundAuditRequest::from_pairs(p).unwrap().to_pairs(),
        );
        let p = pairs(&[
            ("orderId", "1"),
            ("userId", "2"),
            ("tpOrderId", "T1"),
            ("refundBatchId", "9"),
            ("refundStatus", "2"),
        ]);
        check(
            p.clone(),
            RefundNotification::from_pairs(p).unwrap().to_pairs(),
        );
    }

    #[test]
    fn duplicates_refused() {
        let e = RefundAuditRequest::from_pairs(pairs(&[("orderId", "1"), ("orderId", "2")]))
            .unwrap_err();
        assert!(e.to_string().contains("more than once"), "{e}");
    }
}
