//! The trade notification (`notify_type=trade_status_sync`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::TradeStatus;
use super::invalid;
use crate::error::{Error, Result};
use crate::{AlipayUserId, OutTradeNo, TradeNo, Yuan, YuanAmount};

/// A `fund_bill_list` entry of a notify (camelCase `fundChannel`, unlike responses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NotifyFundBill {
    /// Amount.
    pub amount: YuanAmount,
    /// Channel.
    pub fund_channel: String,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An Alipay trade notification (`notify_type=trade_status_sync`), built from form pairs that
/// were decoded once and whose signature verified. Values are kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TradeNotification {
    /// `trade_status_sync`.
    pub notify_type: String,
    /// Notify id (stays valid until `success` is answered): a de-duplication key.
    pub notify_id: String,
    /// `yyyy-MM-dd HH:mm:ss`.
    pub notify_time: String,
    /// The app the trade belongs to: check it is yours.
    pub app_id: String,
    /// The authorizing app (service providers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_app_id: Option<String>,
    /// Charset of the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// API version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `RSA2` or `RSA`, as received (informational; consumed by verification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_type: Option<String>,
    /// 支付宝交易号.
    pub trade_no: TradeNo,
    /// 商户订单号: check it is an order you created.
    pub out_trade_no: OutTradeNo,
    /// Refund request number (refund notifies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_biz_no: Option<String>,
    /// Buyer user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<AlipayUserId>,
    /// Masked buyer login id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Buyer open id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// Seller user id: check it is the expected seller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<AlipayUserId>,
    /// Seller email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_email: Option<String>,
    /// Trade status: only `TRADE_SUCCESS` / `TRADE_FINISHED` mean paid.
    pub trade_status: TradeStatus,
    /// Order total: check it equals your order's amount.
    pub total_amount: Yuan,
    /// 实收金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_amount: Option<YuanAmount>,
    /// 开票金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice_amount: Option<YuanAmount>,
    /// 付款金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_pay_amount: Option<YuanAmount>,
    /// 集分宝金额.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_amount: Option<YuanAmount>,
    /// Cumulative refunded amount (refund notifies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<YuanAmount>,
    /// Subject, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Body, verbatim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<String>,
    /// Paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_payment: Option<String>,
    /// Refunded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_refund: Option<String>,
    /// Closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_close: Option<String>,
    /// `fund_bill_list` as the JSON text received (see [`TradeNotification::fund_bills`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fund_bill_list: Option<String>,
    /// `voucher_detail_list` as the JSON text received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher_detail_list: Option<String>,
    /// `passback_params` exactly as signed (still percent-encoded if you encoded it; see
    /// [`TradeNotification::passback_params_decoded`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passback_params: Option<String>,
    /// Every other field, verbatim.
    #[serde(flatten)]
    pub extra: BTreeMap<String, String>,
}

impl TradeNotification {
    /// Builds the notification from decoded, verified pairs. `sign` is ignored; empty values
    /// count as absent.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming a missing or malformed field, or a duplicated one.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            if map.contains_key(&k) {
                return Err(invalid(
                    "body",
                    format!("parameter {k:?} appears more than once"),
                ));
            }
            if !v.is_empty() {
                map.insert(k, v);
            }
        }
        map.remove("sign");
        let mut take = |k: &str| map.remove(k);
        fn req<T>(field: &'static str, v: Option<T>) -> Result<T> {
            v.ok_or_else(|| invalid(field, "missing or empty"))
        }
        fn parse<T: std::str::FromStr<Err = Error>>(
            field: &'static str,
            v: Option<String>,
        ) -> Result<Option<T>> {
            v.map(|s| s.parse::<T>().map_err(|e| invalid(field, e.to_string())))
                .transpose()
        }
        let n = Self {
            notify_type: req("notify_type", take("notify_type"))?,
            notify_id: req("notify_id", take("notify_id"))?,
            notify_time: req("notify_time", take("notify_time"))?,
            app_id: req("app_id", take("app_id"))?,
            auth_app_id: take("auth_app_id"),
            charset: take("charset"),
            version: take("version"),
            sign_type: take("sign_type"),
            trade_no: req("trade_no", parse("trade_no", take("trade_no"))?)?,
            out_trade_no: req("out_trade_no", parse("out_trade_no", take("out_trade_no"))?)?,
            out_biz_no: take("out_biz_no"),
            buyer_id: parse("buyer_id", take("buyer_id"))?,
            buyer_logon_id: take("buyer_logon_id"),
            buyer_open_id: take("buyer_open_id"),
            seller_id: parse("seller_id", take("seller_id"))?,
            seller_email: take("seller_email"),
            trade_status: TradeStatus::from_code(&req("trade_status", take("trade_status"))?),
            total_amount: req("total_amount", parse("total_amount", take("total_amount"))?)?,
            receipt_amount: parse("receipt_amount", take("receipt_amount"))?,
            invoice_amount: parse("invoice_amount", take("invoice_amount"))?,
            buyer_pay_amount: parse("buyer_pay_amount", take("buyer_pay_amount"))?,
            point_amount: parse("point_amount", take("point_amount"))?,
            refund_fee: parse("refund_fee", take("refund_fee"))?,
            subject: take("subject"),
            body: take("body"),
            gmt_create: take("gmt_create"),
            gmt_payment: take("gmt_payment"),
            gmt_refund: take("gmt_refund"),
            gmt_close: take("gmt_close"),
            fund_bill_list: take("fund_bill_list"),
            voucher_detail_list: take("voucher_detail_list"),
            passback_params: take("passback_params"),
            extra: BTreeMap::new(),
        };
        Ok(Self { extra: map, ..n })
    }

    /// `fund_bill_list` parsed (empty when absent).
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not the documented list.
    pub fn fund_bills(&self) -> Result<Vec<NotifyFundBill>> {
        match &self.fund_bill_list {
            None => Ok(Vec::new()),
            Some(s) => serde_json::from_str(s).map_err(|e| Error::json("fund_bill_list", e)),
        }
    }

    /// `voucher_detail_list` parsed as JSON (empty when absent).
    ///
    /// # Errors
    /// [`Error::Json`] when the text is not a JSON list.
    pub fn voucher_details(&self) -> Result<Vec<Value>> {
        match &self.voucher_detail_list {
            None => Ok(Vec::new()),
            Some(s) => serde_json::from_str(s).map_err(|e| Error::json("voucher_detail_list", e)),
        }
    }

    /// `passback_params` percent-decoded once more, for merchants who URL-encoded it before
    /// sending (as Alipay asks). The signed value is [`TradeNotification::passback_params`].
    ///
    /// # Errors
    /// [`Error::InvalidField`] for a bad escape or non-UTF-8 result.
    pub fn passback_params_decoded(&self) -> Result<Option<String>> {
        let Some(p) = &self.passback_params else {
            return Ok(None);
        };
        let b = p.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while let Some(&c) = b.get(i) {
            if c == b'%' {
                let hex = |j: usize| b.get(j).and_then(|h| (*h as char).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(h), Some(l)) => out.push(u8::try_from(h * 16 + l).unwrap_or(0)),
                    _ => return Err(invalid("passback_params", "invalid percent escape")),
                }
                i += 3;
            } else {
                out.push(if c == b'+' { b' ' } else { c });
                i += 1;
            }
        }
        String::from_utf8(out)
            .map(Some)
            .map_err(|_| invalid("passback_params", "not UTF-8 after decoding"))
    }

    /// Whether Alipay considers the buyer to have paid.
    pub fn is_paid(&self) -> bool {
        self.trade_status.is_paid()
    }
}
