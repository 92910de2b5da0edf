//! The nested parameters of `alipay.trade.create`: goods, extend params, agreement signing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Yuan;

/// `goods_detail[]` of a trade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GoodsDetail {
    /// 商品编号 (≤32).
    pub goods_id: String,
    /// 商品名称 (≤256).
    pub goods_name: String,
    /// Quantity, decimals allowed (`"1"`, `"1.50"`); kept as text, never a float.
    #[serde(deserialize_with = "decimal_text")]
    pub quantity: String,
    /// Unit price in yuan as text (`"2000"`, `"2000.00"`).
    #[serde(deserialize_with = "decimal_text")]
    pub price: String,
    /// 商家侧小程序商品id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_item_id: Option<String>,
    /// 商家侧小程序商品sku id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out_sku_id: Option<String>,
    /// 支付宝定义的统一商品编号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alipay_goods_id: Option<String>,
    /// 商品类目.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_category: Option<String>,
    /// 商品类目树 (`a|b|c`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categories_tree: Option<String>,
    /// 商品描述信息.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// 商品的展示地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_url: Option<String>,
}

impl GoodsDetail {
    /// A line item.
    pub fn new(
        goods_id: impl Into<String>,
        goods_name: impl Into<String>,
        quantity: impl Into<String>,
        price: Yuan,
    ) -> Self {
        Self {
            goods_id: goods_id.into(),
            goods_name: goods_name.into(),
            quantity: quantity.into(),
            price: price.to_string(),
            out_item_id: None,
            out_sku_id: None,
            alipay_goods_id: None,
            goods_category: None,
            categories_tree: None,
            body: None,
            show_url: None,
        }
    }
}

/// A decimal sent as a JSON string or number, kept as its exact text.
fn decimal_text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format_args!(
            "expected a decimal, found {other}"
        ))),
    }
}

/// `extend_params` of a trade.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExtendParams {
    /// 系统商编号 (ISV PID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_service_provider_id: Option<String>,
    /// 花呗分期数.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hb_fq_num: Option<String>,
    /// 花呗分期卖家承担手续费比例.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hb_fq_seller_percent: Option<String>,
    /// 公域商品交易业务订单id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_component_order_id: Option<String>,
    /// 卖家名称 shown to the buyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specified_seller_name: Option<String>,
    /// Other members, sent as given.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `agreement_sign_params`: pay and sign a withholding agreement in one go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AgreementSignParams {
    /// 收单产品码, e.g. `GENERAL_WITHHOLDING`.
    pub product_code: String,
    /// 个人签约产品码, e.g. `CYCLE_PAY_AUTH_P`.
    pub personal_product_code: String,
    /// 协议签约场景, e.g. `INDUSTRY|DIGITAL_MEDIA`.
    pub sign_scene: String,
    /// 接入方式.
    pub access_params: AccessParams,
    /// 商户签约号 (≤32, letters and digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_agreement_no: Option<String>,
    /// 用户在商户网站的登录账号.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_logon_id: Option<String>,
    /// 子商户信息.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant: Option<SignMerchantParams>,
    /// 周期管控规则 (required for periodic products).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_rule_params: Option<PeriodRuleParams>,
    /// 签约成功异步通知地址.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_notify_url: Option<String>,
}

/// `access_params` of an agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessParams {
    /// `ALIPAYAPP`, `QRCODE` or `QRCODEORSMS`.
    pub channel: String,
}

/// `sub_merchant` of an agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SignMerchantParams {
    /// 子商户的商户id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_id: Option<String>,
    /// 子商户的商户名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_name: Option<String>,
    /// 子商户的服务名称.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_service_name: Option<String>,
    /// 子商户的服务描述.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_merchant_service_description: Option<String>,
}

/// `period_rule_params` of a periodic agreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PeriodRuleParams {
    /// `DAY` or `MONTH`.
    pub period_type: String,
    /// Number of period units.
    pub period: u32,
    /// First execution date `yyyy-MM-dd`.
    pub execute_time: String,
    /// Largest single deduction.
    pub single_amount: Yuan,
    /// Total limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_amount: Option<Yuan>,
    /// Maximum number of deductions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_payments: Option<u32>,
}
