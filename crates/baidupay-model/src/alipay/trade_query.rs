//! `alipay.trade.query` and `alipay.trade.close`, and their responses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::{ResponseCommon, TradeStatus};
use super::{BizRequest, TradeRef, require_trade_ref};
use crate::error::Result;
use crate::{AlipayUserId, OutTradeNo, TradeNo, YuanAmount};

/// `alipay.trade.query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeQuery {
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号 (wins when both are given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// Extra fields to return, e.g. `fund_bill_list`, `voucher_detail_list`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 间连 org pid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_pid: Option<String>,
}

impl TradeQuery {
    /// Queries `trade`.
    pub fn new(trade: TradeRef) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            out_trade_no,
            trade_no,
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

impl BizRequest for TradeQuery {
    // a query
    const IDEMPOTENT: bool = true;
    const METHOD: &'static str = "alipay.trade.query";
    type Response = TradeQueryResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())
    }
}

/// `alipay.trade.close`: closes an unpaid trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeClose {
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商家操作员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
}

impl TradeClose {
    /// Closes `trade`.
    pub fn new(trade: TradeRef) -> Self {
        let (out_trade_no, trade_no) = trade.split();
        Self {
            out_trade_no,
            trade_no,
            operator_id: None,
        }
    }
}

impl BizRequest for TradeClose {
    // closing a closed trade changes nothing
    const IDEMPOTENT: bool = true;
    const METHOD: &'static str = "alipay.trade.close";
    type Response = TradeCloseResponse;

    fn validate(&self) -> Result<()> {
        require_trade_ref(self.out_trade_no.as_ref(), self.trade_no.as_ref())
    }
}

/// A `fund_bill_list` entry of a synchronous response (snake_case `fund_channel`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FundBill {
    /// Channel, e.g. `ALIPAYACCOUNT`, `PCREDIT`.
    pub fund_channel: String,
    /// Amount.
    pub amount: YuanAmount,
    /// Real amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_amount: Option<YuanAmount>,
    /// Other members.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `alipay_trade_query_response` (also decodes `alipay.trade.pay`, which has the same style).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeQueryResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Trade status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_status: Option<TradeStatus>,
    /// 交易的订单金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<YuanAmount>,
    /// 买家实付金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_pay_amount: Option<YuanAmount>,
    /// 实收金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_amount: Option<YuanAmount>,
    /// 开票金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice_amount: Option<YuanAmount>,
    /// 积分支付的金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_amount: Option<YuanAmount>,
    /// Masked buyer login id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_logon_id: Option<String>,
    /// Buyer user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_user_id: Option<AlipayUserId>,
    /// Buyer open id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// 本次交易打款给卖家的时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_pay_date: Option<String>,
    /// Payment time (`alipay.trade.pay`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_payment: Option<String>,
    /// Funds used.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_as_default"
    )]
    pub fund_bill_list: Vec<FundBill>,
    /// Store id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// Store name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
    /// Terminal id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// Discount amounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<YuanAmount>,
    /// Merchant discount amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mdiscount_amount: Option<YuanAmount>,
    /// Pass-back parameters, verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passback_params: Option<String>,
    /// The other ≈50 fields (`voucher_detail_list`, `ext_infos`, …), verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `alipay_trade_close_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCloseResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 支付宝交易号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
