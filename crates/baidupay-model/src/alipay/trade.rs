//! `alipay.trade.create` (mini-program JSAPI payment) and its response.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::ResponseCommon;
use super::trade_params::{AgreementSignParams, ExtendParams, GoodsDetail};
use super::{BizRequest, check_datetime, invalid, max_chars};
use crate::error::Result;
use crate::{AlipayUserId, OutTradeNo, TradeNo, Yuan};

/// The buyer of a JSAPI trade: one of `buyer_id` or `buyer_open_id`, never both, never none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Buyer {
    /// `buyer_id`: the 2088… user id.
    BuyerId(AlipayUserId),
    /// `buyer_open_id`: the OpenID-mode id (new merchants).
    OpenId(String),
}

/// The JSAPI product code.
pub const JSAPI_PAY: &str = "JSAPI_PAY";

/// `alipay.trade.create` for mini-program JSAPI payment (every field of seed 002).
///
/// Build with [`TradeCreate::new`] (the required fields, the buyer as [`Buyer`]) and the setters.
/// The answer's `trade_no` goes to `my.tradePay`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCreate {
    /// 商户订单号.
    pub out_trade_no: OutTradeNo,
    /// 订单总金额.
    pub total_amount: Yuan,
    /// 订单标题 (≤256, no `/ = &`).
    pub subject: String,
    /// 产品码: `JSAPI_PAY` (set by [`TradeCreate::new`]; legacy integrations omitted it and got
    /// 当面付).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_code: Option<String>,
    /// 实际经营主体的小程序 appid (required when it differs from the calling app).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_app_id: Option<String>,
    /// The buyer's open_id under `op_app_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_buyer_open_id: Option<String>,
    /// 买家支付宝用户id (one of this and `buyer_open_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_id: Option<AlipayUserId>,
    /// 买家 open_id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_open_id: Option<String>,
    /// 卖家支付宝用户id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<AlipayUserId>,
    /// 订单附加信息 (≤128), echoed in notify and bills.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// 商品列表.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub goods_detail: Vec<GoodsDetail>,
    /// 绝对超时 `yyyy-MM-dd HH:mm:ss` (wins over `timeout_express`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_expire: Option<String>,
    /// 相对超时 `1m`-`15d` or `1c`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_express: Option<String>,
    /// 业务扩展参数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_params: Option<ExtendParams>,
    /// 商户传入业务信息 (JSON object agreed with Alipay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_params: Option<Value>,
    /// 因公付业务信息 (a JSON text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_pay_info: Option<String>,
    /// 因公付金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_pay_amount: Option<Yuan>,
    /// 商户端创建订单的用户 ip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mc_create_trade_ip: Option<String>,
    /// 小程序细分业务场景.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiny_app_merchant_biz_type: Option<String>,
    /// 公用回传参数 (≤512): URL-encode it yourself, it comes back verbatim in the notify.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passback_params: Option<String>,
    /// 可打折金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discountable_amount: Option<Yuan>,
    /// 不可打折金额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undiscountable_amount: Option<Yuan>,
    /// 商户门店编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<String>,
    /// 支付宝店铺编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alipay_store_id: Option<String>,
    /// 商户操作员编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    /// 商户机具终端编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminal_id: Option<String>,
    /// 禁用渠道 (comma separated; exclusive with `enable_pay_channels`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disable_pay_channels: Option<String>,
    /// 指定渠道 (comma separated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_pay_channels: Option<String>,
    /// 返回参数选项, e.g. `["enterprise_pay_info","hyb_amount"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_options: Vec<String>,
    /// 签约参数 (pay and sign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreement_sign_params: Option<AgreementSignParams>,
    /// Settlement info (`settle_info`), sent as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_info: Option<Value>,
    /// Royalty info (`royalty_info`), sent as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub royalty_info: Option<Value>,
    /// Secondary merchant (`sub_merchant`, 直付通/间连), sent as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant: Option<Value>,
    /// `ext_user_info`, `logistics_detail`, `receiver_address_info`, `merchant_order_no`,
    /// `bkagent_req_info` and any newer member, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TradeCreate {
    /// A JSAPI trade of `total_amount` for `buyer`.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) when `subject` breaks its limits (see
    /// [`BizRequest::validate`]).
    pub fn new(
        out_trade_no: OutTradeNo,
        total_amount: Yuan,
        subject: impl Into<String>,
        buyer: Buyer,
    ) -> Result<Self> {
        let (buyer_id, buyer_open_id) = match buyer {
            Buyer::BuyerId(id) => (Some(id), None),
            Buyer::OpenId(id) => (None, Some(id)),
        };
        let t = Self {
            out_trade_no,
            total_amount,
            subject: subject.into(),
            product_code: Some(JSAPI_PAY.to_owned()),
            buyer_id,
            buyer_open_id,
            op_app_id: None,
            op_buyer_open_id: None,
            seller_id: None,
            body: None,
            goods_detail: Vec::new(),
            time_expire: None,
            timeout_express: None,
            extend_params: None,
            business_params: None,
            enterprise_pay_info: None,
            enterprise_pay_amount: None,
            mc_create_trade_ip: None,
            tiny_app_merchant_biz_type: None,
            passback_params: None,
            discountable_amount: None,
            undiscountable_amount: None,
            store_id: None,
            alipay_store_id: None,
            operator_id: None,
            terminal_id: None,
            disable_pay_channels: None,
            enable_pay_channels: None,
            query_options: Vec::new(),
            agreement_sign_params: None,
            settle_info: None,
            royalty_info: None,
            sub_merchant: None,
            extra: Map::new(),
        };
        t.validate()?;
        Ok(t)
    }

    /// The paying mini program's app id (`op_app_id`).
    #[must_use]
    pub fn op_app_id(mut self, v: impl Into<String>) -> Self {
        self.op_app_id = Some(v.into());
        self
    }

    /// `op_buyer_open_id`.
    #[must_use]
    pub fn op_buyer_open_id(mut self, v: impl Into<String>) -> Self {
        self.op_buyer_open_id = Some(v.into());
        self
    }

    /// The receiving account (`seller_id`).
    #[must_use]
    pub fn seller_id(mut self, v: AlipayUserId) -> Self {
        self.seller_id = Some(v);
        self
    }

    /// `body` (≤128 characters).
    #[must_use]
    pub fn body(mut self, v: impl Into<String>) -> Self {
        self.body = Some(v.into());
        self
    }

    /// Adds a `goods_detail` line.
    #[must_use]
    pub fn goods(mut self, g: GoodsDetail) -> Self {
        self.goods_detail.push(g);
        self
    }

    /// `time_expire` (`yyyy-MM-dd HH:mm:ss`, UTC+8).
    #[must_use]
    pub fn time_expire(mut self, v: impl Into<String>) -> Self {
        self.time_expire = Some(v.into());
        self
    }

    /// `timeout_express` (`90m`, `2h`, `1d`, `1c`).
    #[must_use]
    pub fn timeout_express(mut self, v: impl Into<String>) -> Self {
        self.timeout_express = Some(v.into());
        self
    }

    /// `extend_params`.
    #[must_use]
    pub fn extend_params(mut self, v: ExtendParams) -> Self {
        self.extend_params = Some(v);
        self
    }

    /// `business_params`.
    #[must_use]
    pub fn business_params(mut self, v: Value) -> Self {
        self.business_params = Some(v);
        self
    }

    /// `passback_params` (already URL-encoded by you; ≤512).
    #[must_use]
    pub fn passback_params(mut self, v: impl Into<String>) -> Self {
        self.passback_params = Some(v.into());
        self
    }

    /// `discountable_amount` and `undiscountable_amount` (their sum must be the total).
    #[must_use]
    pub fn discount_split(
        mut self,
        discountable: Option<Yuan>,
        undiscountable: Option<Yuan>,
    ) -> Self {
        self.discountable_amount = discountable;
        self.undiscountable_amount = undiscountable;
        self
    }

    /// `store_id`.
    #[must_use]
    pub fn store_id(mut self, v: impl Into<String>) -> Self {
        self.store_id = Some(v.into());
        self
    }

    /// `mc_create_trade_ip`.
    #[must_use]
    pub fn mc_create_trade_ip(mut self, v: impl Into<String>) -> Self {
        self.mc_create_trade_ip = Some(v.into());
        self
    }

    /// `query_options`.
    #[must_use]
    pub fn query_options(mut self, v: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.query_options = v.into_iter().map(Into::into).collect();
        self
    }

    /// `agreement_sign_params`.
    #[must_use]
    pub fn agreement_sign_params(mut self, v: AgreementSignParams) -> Self {
        self.agreement_sign_params = Some(v);
        self
    }

    /// `disable_pay_channels` (exclusive with `enable_pay_channels`).
    #[must_use]
    pub fn disable_pay_channels(mut self, v: impl Into<String>) -> Self {
        self.disable_pay_channels = Some(v.into());
        self
    }

    /// `enable_pay_channels` (exclusive with `disable_pay_channels`).
    #[must_use]
    pub fn enable_pay_channels(mut self, v: impl Into<String>) -> Self {
        self.enable_pay_channels = Some(v.into());
        self
    }

    /// Any other member of `biz_content`, sent as given.
    #[must_use]
    pub fn extra(mut self, key: impl Into<String>, value: Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }
}

/// Checks `timeout_express`: `1c`, or a whole number of `m`/`h`/`d` within 1m..15d.
pub fn check_timeout_express(v: &str) -> Result<()> {
    if v == "1c" {
        return Ok(());
    }
    let err = || {
        invalid(
            "timeout_express",
            format!("{v:?}: expected 1m..15d in whole m, h or d units, or 1c"),
        )
    };
    let (num, unit) = v.split_at(v.len().saturating_sub(1));
    if num.is_empty() || num.starts_with('0') || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let n: u64 = num.parse().map_err(|_| err())?;
    let minutes = match unit {
        "m" => n,
        "h" => n.checked_mul(60).ok_or_else(err)?,
        "d" => n.checked_mul(1440).ok_or_else(err)?,
        _ => return Err(err()),
    };
    if minutes > 15 * 1440 {
        return Err(err());
    }
    Ok(())
}

impl BizRequest for TradeCreate {
    const METHOD: &'static str = "alipay.trade.create";
    type Response = TradeCreateResponse;
    const SENDS_NOTIFY_URL: bool = true;
    // a retried create with the same out_trade_no is answered, not duplicated, but a changed
    // body would be ACQ.CONTEXT_INCONSISTENT: never resent automatically
    const IDEMPOTENT: bool = false;

    fn validate(&self) -> Result<()> {
        if self.subject.trim().is_empty() {
            return Err(invalid("subject", "must not be empty"));
        }
        max_chars("subject", &self.subject, 256)?;
        if self.subject.contains(['/', '=', '&']) {
            return Err(invalid("subject", "must not contain / = or &"));
        }
        match (&self.buyer_id, &self.buyer_open_id) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "buyer_id",
                    "give buyer_id or buyer_open_id, not both",
                ));
            }
            (None, None) => {
                return Err(invalid("buyer_id", "buyer_id or buyer_open_id is required"));
            }
            _ => {}
        }
        if let Some(b) = &self.body {
            max_chars("body", b, 128)?;
        }
        if let Some(p) = &self.passback_params {
            max_chars("passback_params", p, 512)?;
        }
        if let Some(op) = &self.op_app_id
            && (op.is_empty() || op.len() > 32 || !op.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(invalid(
                "op_app_id",
                "must be the mini program app id: 1-32 digits",
            ));
        }
        if let Some(t) = &self.time_expire {
            check_datetime("time_expire", t)?;
        }
        if let Some(t) = &self.timeout_express {
            check_timeout_express(t)?;
        }
        if let (Some(d), Some(u)) = (self.discountable_amount, self.undiscountable_amount)
            && d.checked_add(u) != Some(self.total_amount)
        {
            return Err(invalid(
                "discountable_amount",
                "discountable_amount + undiscountable_amount must equal total_amount",
            ));
        }
        if self.disable_pay_channels.is_some() && self.enable_pay_channels.is_some() {
            return Err(invalid(
                "enable_pay_channels",
                "exclusive with disable_pay_channels",
            ));
        }
        for (i, g) in self.goods_detail.iter().enumerate() {
            if g.goods_id.is_empty() || g.goods_id.chars().count() > 32 {
                return Err(invalid(
                    "goods_detail.goods_id",
                    format!("item {i}: 1-32 characters"),
                ));
            }
            if g.goods_name.is_empty() {
                return Err(invalid(
                    "goods_detail.goods_name",
                    format!("item {i}: must not be empty"),
                ));
            }
        }
        Ok(())
    }
}

/// `alipay_trade_create_response`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeCreateResponse {
    /// code, msg, sub_code, sub_msg.
    #[serde(flatten)]
    pub common: ResponseCommon,
    /// 商户订单号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_trade_no: Option<OutTradeNo>,
    /// 支付宝交易号: pass it to `my.tradePay`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<TradeNo>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
