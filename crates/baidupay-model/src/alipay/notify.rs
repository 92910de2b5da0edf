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
///
/// The serde derive is the wire format in both directions: [`TradeNotification::from_pairs`]
/// decodes through it and [`TradeNotification::to_pairs`] encodes through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    #[serde(flatten, skip_deserializing)]
    pub extra: BTreeMap<String, String>,
}

impl TradeNotification {
    /// Builds the notification from decoded, verified pairs. `sign` is ignored; empty values
    /// count as absent.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming a missing or malformed field, or a duplicated one.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let (n, extra) = crate::form::from_pairs::<Self, _, _>(pairs, crate::form::ALIPAY)?;
        Ok(Self { extra, ..n })
    }

    /// The notification's form fields (without `sign`), `extra` included, sorted by name: what
    /// Alipay signs.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        // every field is a scalar: encoding cannot fail (the tests encode a notification)
        crate::params::to_pairs(self).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_pairs_gives_back_the_signed_fields() {
        let mut p: Vec<(String, String)> = [
            ("notify_type", "trade_status_sync"),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
            ("notify_time", "2019-08-29 16:52:21"),
            ("app_id", "2014072300007148"),
            ("trade_no", "2019082922001432790585537960"),
            ("out_trade_no", "20190815155618536-564-57"),
            ("buyer_id", "2088102122524333"),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", "88.88"),
            ("receipt_amount", "88.00"),
            ("subject", "a b&c"),
            ("brand_new", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let n = TradeNotification::from_pairs(p.clone()).unwrap();
        p.sort();
        assert_eq!(n.to_pairs(), p);
    }
}
