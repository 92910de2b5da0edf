//! `alipay.trade.refund` and `alipay.trade.fastpay.refund.query`, and their responses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::ResponseCommon;
use super::{BizRequest, TradeRef, max_chars, require_trade_ref};
use crate::error::Result;
use crate::{AlipayUserId, OutRequestNo, OutTradeNo, TradeNo, Yuan, YuanAmount};

/// `alipay.trade.refund`. `out_request_no` is the idempotency key: Alipay refunds once per
/// value, so a retry after a timeout must reuse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefund {
    /// 退款金额.
    pub refund_amount: Yuan,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 退款请求号 (idempotency key; required for partial refunds, always set here).
    pub out_request_no: OutRequestNo,
    /// 退款原因.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// Extra fields to return, e.g. `refund_detail_item_list`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 商户操作员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    /// 商户门店编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// 商户机具终端编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// 间连 org pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_pid: Option<String>,
    /// `refund_goods_detail`, `refund_royalty_parameters` and other members, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TradeRefund {
    /// Refunds `amount` of `trade` under the idempotency key `out_request_no`.
    pub fn new(trade: TradeRef, amount: Yuan, out_request_no: OutRequestNo) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            refund_amount: amount,
            out_trade_no,
            trade_no,
            out_request_no,
            refund_reason: None,
            query_options: Vec::new(),
            operator_id: None,
            store_id: None,
            terminal_id: None,
            org_pid: None,
            extra: Map::new(),
        }
    }

    /// `refund_reason`.
    #[must_use]
    pub fn reason(mut self, v: impl Into<String>) -> Self {
        self.refund_reason = Some(v.into());
        self
    }
}

impl BizRequest for TradeRefund {
    // Alipay applies a refund once per out_request_no
    const IDEMPOTENT: bool = true;
    const METHOD: &'static str = "alipay.trade.refund";
    type Response = TradeRefundResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())?;
        if let Some(r) = &self.refund_reason {
            max_chars("refund_reason", r, 256)?;
        }
        Ok(())
    }
}

/// `alipay.trade.fastpay.refund.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundQuery {
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 退款请求号 (for a refund sent without one: the out_trade_no).
    pub out_request_no: OutRequestNo,
    /// Extra fields to return, e.g. `gmt_refund_pay`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 间连 org pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_pid: Option<String>,
}

impl RefundQuery {
    /// Queries the refund `out_request_no` of `trade`.
    pub fn new(trade: TradeRef, out_request_no: OutRequestNo) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            out_trade_no,
            trade_no,
            out_request_no,
            query_options: Vec::new(),
            org_pid: None,
        }
    }

    /// `query_options`.
    #[must_use]
    pub fn query_options(mut self, v: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.query_options = v.into_iter().map(Into::into).collect();
        self
    }
}

impl BizRequest for RefundQuery {
    // a query
    const IDEMPOTENT: bool = true;
    const METHOD: &'static str = "alipay.trade.fastpay.refund.query";
    type Response = RefundQueryResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())
    }
}

/// `fund_change` of a refund: `Y` when this call moved money, `N` when it did not (e.g. an
/// idempotent replay of the same `out_request_no`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FundChange {
    /// `Y`.
    #[serde(rename = "Y")]
    Yes,
    /// `N`.
    #[serde(rename = "N")]
    No,
}

/// `alipay_trade_refund_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeRefundResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Masked buyer login id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Buyer user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<AlipayUserId>,
    /// Buyer open id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// Whether this call changed funds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fund_change: Option<FundChange>,
    /// The **cumulative** refunded total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_fee: Option<YuanAmount>,
    /// Refund time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_refund_pay: Option<String>,
    /// Amount sent back to the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_back_fee: Option<YuanAmount>,
    /// Store name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// `refund_detail_item_list`, `present_refund_*`, … verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

str_code_enum! {
    /// `refund_status` of a refund query. Absent means "not received, or failed": query again
    /// later (at least 10 s after the refund) rather than assume failure.
    pub enum RefundStatus {
        /// 退款处理成功.
        RefundSuccess = "REFUND_SUCCESS" => "退款处理成功 (refund succeeded)";
    }
}

/// `alipay_trade_fastpay_refund_query_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RefundQueryResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 退款请求号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_request_no: Option<OutRequestNo>,
    /// Trade total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<YuanAmount>,
    /// This refund's amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<YuanAmount>,
    /// Reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    /// `REFUND_SUCCESS`, or `None`: not (yet) successful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_status: Option<RefundStatus>,
    /// Refund time (with `query_options`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_refund_pay: Option<String>,
    /// Amount sent back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_back_fee: Option<YuanAmount>,
    /// Other fields, verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
