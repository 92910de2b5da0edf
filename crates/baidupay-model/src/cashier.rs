//! Baidu cashier (百度收银台) request and response types: the OAuth token, `orderInfo` for
//! `swan.requestPolymerPayment`, the 2.0 OpenAPI (`paymentservice/*`) and the 1.0 signed APIs
//! (baidu-cashier.md sections 3-5 and 7).
//!
//! Requests are builders with the required arguments in `new` and serialize (serde, camelCase)
//! to exactly the wire parameters; [`Params::to_params`] gives the `(name, value)` pairs for a
//! query string or form body in the documented order. Responses decode leniently where Baidu's
//! docs and SDKs disagree on types and strictly for money and identifiers.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::{AppKey, BizRefundBatchId, ClientId, DealId, Fen, OrderId, PayAppId, RefundBatchId};
use crate::{Secret, TpOrderId, UserId};

/// A request whose parameters go into a query string or a form body.
pub trait Params {
    /// The wire parameters, in the documented order, values as sent (not URL-encoded).
    fn to_params(&self) -> Vec<(&'static str, String)>;
}

// ---------------------------------------------------------------------------------------------
// Status and code enums

int_code_enum! {
    /// Order pay status: `status` of the payment notify and of `findByTpOrderId`.
    pub enum PayStatus {
        /// -1 订单已取消 / 订单已异常退款 (cancelled, or refunded as abnormal).
        Cancelled = -1 => "订单已取消/订单已异常退款 (cancelled or abnormally refunded)";
        /// 1 未支付 / 支付中 (not paid yet).
        Unpaid = 1 => "未支付 (unpaid, or payment in progress)";
        /// 2 已支付 (paid).
        Paid = 2 => "已支付 (paid)";
    }
}

int_code_enum! {
    /// Refund status in `findOrderRefund` (baidu-cashier.md 5.4). Not the same values as
    /// [`crate::callback::RefundNotifyStatus`]: here 2 is success, there 1 is.
    pub enum RefundQueryStatus {
        /// 1 退款中 (refund in progress).
        Refunding = 1 => "退款中 (refund in progress)";
        /// 2 退款成功 (refunded).
        Succeeded = 2 => "退款成功 (refund succeeded)";
        /// 3 退款失败 (refund failed).
        Failed = 3 => "退款失败 (refund failed)";
    }
}

int_code_enum! {
    /// `refundType` of a refund application.
    pub enum RefundType {
        /// 1 用户发起退款 (requested by the user).
        UserRequested = 1 => "用户发起退款 (requested by the user)";
        /// 2 开发者业务方客服退款 (by the merchant's customer service).
        CustomerService = 2 => "开发者业务方客服退款 (merchant customer service)";
        /// 3 开发者服务异常退款 (because the merchant's service failed).
        ServiceFailure = 3 => "开发者服务异常退款 (merchant service failure)";
    }
}

int_code_enum! {
    /// 1.0 `queryorderdetail` `payStatus.statusNum`.
    pub enum LegacyPayStatus {
        /// -1 未支付.
        Unpaid = -1 => "未支付 (unpaid)";
        /// 1 支付成功.
        Paid = 1 => "支付成功 (paid)";
    }
}

int_code_enum! {
    /// 1.0 `queryorderdetail` `refundStatus.statusNum`.
    pub enum LegacyRefundStatus {
        /// -1 未退费.
        None = -1 => "未退费 (not refunded)";
        /// 1 退费中.
        Refunding = 1 => "退费中 (refund in progress)";
        /// 2 退费成功.
        Refunded = 2 => "退费成功 (refunded)";
        /// 9 退费失败.
        Failed = 9 => "退费失败 (refund failed)";
    }
}

int_code_enum! {
    /// 1.0 `queryorderdetail` `verification.statusNum` (核销, consumption).
    pub enum VerificationStatus {
        /// -1 未核销 / 无核销数据.
        NotConsumed = -1 => "未核销 (not consumed)";
        /// 1 已核销.
        Consumed = 1 => "已核销 (consumed)";
    }
}

/// A payment channel that `bannedChannels` can exclude from the cashier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PayChannel {
    /// Alipay.
    Alipay,
    /// Baidu Wallet (度小满).
    #[serde(rename = "BDWallet")]
    BdWallet,
    /// WeChat Pay.
    WeChat,
}

// ---------------------------------------------------------------------------------------------
// Dates

/// A calendar date `yyyy-MM-dd` (`billTime` and the TP date parameters), checked on creation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(String);

impl Date {
    /// Parses `yyyy-MM-dd` (a real calendar date, leap years included).
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming `date`.
    pub fn parse(s: &str) -> Result<Self> {
        let err = |reason: &str| Error::InvalidField {
            field: "date",
            reason: format!("{s:?}: {reason}"),
        };
        let b = s.as_bytes();
        if b.len() != 10
            || b[4] != b'-'
            || b[7] != b'-'
            || !b
                .iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        {
            return Err(err("expected yyyy-MM-dd"));
        }
        let num = |r: std::ops::Range<usize>| {
            b[r].iter()
                .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'))
        };
        let (y, m, d) = (num(0..4), num(5..7), num(8..10));
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let days = match m {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return Err(err("month out of range")),
        };
        if d == 0 || d > days || y == 0 {
            return Err(err("day out of range"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The date as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({})", self.0)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// 3.1 access token

/// The client-credentials token request (`GET /oauth/2.0/token`, baidu-cashier.md 3.1).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    client_id: ClientId,
    client_secret: Secret,
}

impl ClientCredentials {
    /// The fixed `grant_type`.
    pub const GRANT_TYPE: &'static str = "client_credentials";
    /// The fixed `scope`.
    pub const SCOPE: &'static str = "smartapp_snsapi_base";

    /// A request for the mini program with AppKey `client_id` and AppSecret `client_secret`.
    pub fn new(client_id: ClientId, client_secret: Secret) -> Self {
        Self {
            client_id,
            client_secret,
        }
    }

    /// The mini program AppKey.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }
}

impl Params for ClientCredentials {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", Self::GRANT_TYPE.to_owned()),
            ("client_id", self.client_id.to_string()),
            ("client_secret", self.client_secret.expose().to_owned()),
            ("scope", Self::SCOPE.to_owned()),
        ]
    }
}

/// The token response (no envelope; errors come as `{error, error_description}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token to put in `access_token`.
    pub access_token: Secret,
    /// Lifetime in seconds (86400 in the doc example; "a month" in the doc text).
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub expires_in: u64,
    /// Refresh token (unused by client credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Deprecated session key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<Secret>,
    /// Deprecated session secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_secret: Option<Secret>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// 4. orderInfo

/// `bizInfo`: the JSON object that `orderInfo.bizInfo` carries as a string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BizInfo {
    /// The merchant's order data.
    #[serde(rename = "tpData")]
    pub tp_data: TpData,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `bizInfo.tpData` (baidu-cashier.md 4, DOCS-2020 `parameter.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TpData {
    /// Payment appKey (same as `orderInfo.appKey`).
    pub app_key: AppKey,
    /// Settlement credential, as a string.
    #[serde(serialize_with = "crate::de::display_as_string")]
    pub deal_id: DealId,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// The order signature (the same value as `orderInfo.rsaSign`; the doc sample leaves it empty).
    #[serde(default)]
    pub rsa_sign: String,
    /// Amount in fen, as a string.
    #[serde(serialize_with = "crate::de::display_as_string")]
    pub total_amount: Fen,
    /// Merchant pass-through data, echoed in the payment notify as `returnData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<Value>,
    /// Custom cashier display data ("非定制业务请置空": leave empty unless agreed with Baidu).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_data: Option<Value>,
    /// Fields this version does not know (the DEMO adds `payResultUrl`, `dealTitle`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The unsigned content of an `orderInfo`; sign [`OrderInfoDraft::sign_params`] with the merchant
/// key (SHA1withRSA, Baidu rules) and finish with [`OrderInfoDraft::into_order_info`].
#[derive(Debug, Clone, PartialEq)]
pub struct OrderInfoDraft {
    app_key: AppKey,
    deal_id: DealId,
    total_amount: Fen,
    tp_order_id: TpOrderId,
    deal_title: String,
    return_data: Option<Value>,
    display_data: Option<Value>,
    banned_channels: Vec<PayChannel>,
    pay_result_url: Option<String>,
}

impl OrderInfoDraft {
    /// An order of `total_amount` for the merchant order `tp_order_id`.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when `total_amount` is zero or `deal_title` is empty.
    pub fn new(
        app_key: AppKey,
        deal_id: DealId,
        total_amount: Fen,
        tp_order_id: TpOrderId,
        deal_title: impl Into<String>,
    ) -> Result<Self> {
        let deal_title = deal_title.into();
        if total_amount.is_zero() {
            return Err(Error::InvalidField {
                field: "totalAmount",
                reason: "an order must cost at least 1 fen".into(),
            });
        }
        if deal_title.trim().is_empty() {
            return Err(Error::InvalidField {
                field: "dealTitle",
                reason: "must not be empty".into(),
            });
        }
        Ok(Self {
            app_key,
            deal_id,
            total_amount,
            tp_order_id,
            deal_title,
            return_data: None,
            display_data: None,
            banned_channels: Vec::new(),
            pay_result_url: None,
        })
    }

    /// Pass-through data echoed in the payment notify (`tpData.returnData`).
    #[must_use]
    pub fn return_data(mut self, data: Value) -> Self {
        self.return_data = Some(data);
        self
    }

    /// Custom cashier display data (`tpData.displayData`).
    #[must_use]
    pub fn display_data(mut self, data: Value) -> Self {
        self.display_data = Some(data);
        self
    }

    /// Channels the cashier must not offer (`bannedChannels`).
    #[must_use]
    pub fn banned_channels(mut self, channels: impl IntoIterator<Item = PayChannel>) -> Self {
        self.banned_channels = channels.into_iter().collect();
        self
    }

    /// The result page for web mode (`payResultUrl`).
    #[must_use]
    pub fn pay_result_url(mut self, url: impl Into<String>) -> Self {
        self.pay_result_url = Some(url.into());
        self
    }

    /// The merchant order id.
    pub fn tp_order_id(&self) -> &TpOrderId {
        &self.tp_order_id
    }

    /// The amount.
    pub fn total_amount(&self) -> Fen {
        self.total_amount
    }

    /// The four signed fields (`signFieldsRange` 1): appKey, dealId, totalAmount, tpOrderId.
    pub fn sign_params(&self) -> [(&'static str, String); 4] {
        [
            ("appKey", self.app_key.to_string()),
            ("dealId", self.deal_id.to_string()),
            ("totalAmount", self.total_amount.to_string()),
            ("tpOrderId", self.tp_order_id.to_string()),
        ]
    }

    /// The finished `orderInfo` carrying `rsa_sign` (base64) at the top level and in `tpData`.
    ///
    /// # Errors
    /// [`Error::Json`] if `bizInfo` cannot be serialized (it always can for JSON values).
    pub fn into_order_info(self, rsa_sign: String) -> Result<OrderInfo> {
        let biz = BizInfo {
            tp_data: TpData {
                app_key: self.app_key.clone(),
                deal_id: self.deal_id,
                tp_order_id: self.tp_order_id.clone(),
                rsa_sign: rsa_sign.clone(),
                total_amount: self.total_amount,
                return_data: self.return_data,
                display_data: self.display_data,
                extra: Map::new(),
            },
            extra: Map::new(),
        };
        let biz_info = serde_json::to_string(&biz).map_err(|e| Error::json("bizInfo", e))?;
        Ok(OrderInfo {
            app_key: self.app_key,
            deal_id: self.deal_id,
            total_amount: self.total_amount,
            tp_order_id: self.tp_order_id,
            deal_title: self.deal_title,
            sign_fields_range: Some("1".to_owned()),
            rsa_sign,
            biz_info,
            banned_channels: (!self.banned_channels.is_empty()).then_some(self.banned_channels),
            pay_result_url: self.pay_result_url,
            extra: Map::new(),
        })
    }
}

/// The `orderInfo` object for `swan.requestPolymerPayment`, serialized exactly as the front
/// end needs it: amounts and ids as strings, `signFieldsRange` `"1"`, `bizInfo` a JSON string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderInfo {
    /// Settlement credential.
    #[serde(serialize_with = "crate::de::display_as_string")]
    pub deal_id: DealId,
    /// Payment appKey.
    pub app_key: AppKey,
    /// Amount in fen.
    #[serde(serialize_with = "crate::de::display_as_string")]
    pub total_amount: Fen,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Order title.
    pub deal_title: String,
    /// `"1"` (what this crate sends): the signature covers totalAmount. Absent or `"0"` in
    /// old integrations (the DEMO): appKey, dealId and tpOrderId only.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub sign_fields_range: Option<String>,
    /// Base64 SHA1withRSA signature of `appKey=…&dealId=…&totalAmount=…&tpOrderId=…`.
    pub rsa_sign: String,
    /// [`BizInfo`] serialized as a string.
    pub biz_info: String,
    /// Channels not offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub banned_channels: Option<Vec<PayChannel>>,
    /// Result page (web mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_result_url: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OrderInfo {
    /// The signed fields: appKey, dealId, totalAmount, tpOrderId when `signFieldsRange` is
    /// `"1"`, otherwise (absent or `"0"`) appKey, dealId, tpOrderId.
    pub fn sign_params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("appKey", self.app_key.to_string()),
            ("dealId", self.deal_id.to_string()),
        ];
        if self.sign_fields_range.as_deref() == Some("1") {
            p.push(("totalAmount", self.total_amount.to_string()));
        }
        p.push(("tpOrderId", self.tp_order_id.to_string()));
        p
    }

    /// Parses `bizInfo`.
    ///
    /// # Errors
    /// [`Error::Json`] when `bizInfo` is not a JSON object with `tpData` (the cashier answers
    /// "errCode:6 请求签名错误" for that).
    pub fn biz_info(&self) -> Result<BizInfo> {
        serde_json::from_str(&self.biz_info).map_err(|e| Error::json("bizInfo", e))
    }
}

// ---------------------------------------------------------------------------------------------
// 5.1 findByTpOrderId

/// `GET …/paymentservice/findByTpOrderId` (and the TP variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FindOrderRequest {
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl FindOrderRequest {
    /// Finds the order `tp_order_id` of the payment service `pm_app_key`.
    pub fn new(tp_order_id: TpOrderId, pm_app_key: AppKey) -> Self {
        Self {
            tp_order_id,
            pm_app_key,
        }
    }
}

impl Params for FindOrderRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("tpOrderId", self.tp_order_id.to_string()),
            ("pmAppKey", self.pm_app_key.to_string()),
        ]
    }
}

/// `data` of `findByTpOrderId` (union of the doc and the official SDK models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrderDetail {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Merchant order id.
    pub tp_order_id: TpOrderId,
    /// Pay status.
    pub status: PayStatus,
    /// Sub-status (values undocumented; kept raw).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sub_status: Option<i64>,
    /// Baidu cashier user id (as in the payment notify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    /// Settlement credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal_id: Option<DealId>,
    /// Payment appKey (a number in the doc sample, a string in the SDKs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_key: Option<AppKey>,
    /// Payment app id.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub app_id: Option<u64>,
    /// Open id (a number in the doc sample, a string in the SDKs).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub open_id: Option<String>,
    /// TP id.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub tp_id: Option<u64>,
    /// Order type.
    #[serde(
        default,
        rename = "type",
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub order_type: Option<i64>,
    /// Cart parent order id.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_order_id: Option<u64>,
    /// Cart parent type.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_type: Option<i64>,
    /// Item count.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub count: Option<u64>,
    /// Original price (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ori_price: Option<Fen>,
    /// Paid amount (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_money: Option<Fen>,
    /// Settlement price (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settle_price: Option<Fen>,
    /// Order amount (fen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_money: Option<Fen>,
    /// Payment number (支付单号).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub trade_no: Option<String>,
    /// Business extension field (raw string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biz_info: Option<String>,
    /// Creation time (unix timestamp).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<i64>,
    /// Pay type (only in the Java SDK model).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub pay_type: Option<i64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// 5.2 cancelOrder

/// `GET …/paymentservice/cancelOrder`: close an unpaid order. `data` is a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrderRequest {
    /// Baidu order id.
    pub order_id: OrderId,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl CancelOrderRequest {
    /// Closes the Baidu order `order_id`.
    pub fn new(order_id: OrderId, pm_app_key: AppKey) -> Self {
        Self {
            order_id,
            pm_app_key,
        }
    }
}

impl Params for CancelOrderRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("orderId", self.order_id.to_string()),
            ("pmAppKey", self.pm_app_key.to_string()),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// 5.3 applyOrderRefund

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
    /// 1 = skip the merchant audit callback, 0 = ask (default).
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
    /// A full refund of the order, with the merchant audit callback (`isSkipAudit` 0).
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
            tp_order_id,
            refund_type,
            refund_reason,
            biz_refund_batch_id,
            is_skip_audit: false,
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

    /// Skip (`true`) or request (`false`, default) the merchant refund-audit callback.
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

impl Params for ApplyRefundRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![
            ("orderId", self.order_id.to_string()),
            ("userId", self.user_id.to_string()),
            ("tpOrderId", self.tp_order_id.to_string()),
            ("refundType", self.refund_type.code().to_string()),
            ("refundReason", self.refund_reason.clone()),
            ("bizRefundBatchId", self.biz_refund_batch_id.to_string()),
            ("isSkipAudit", u8::from(self.is_skip_audit).to_string()),
        ];
        if let Some(m) = self.apply_refund_money {
            p.push(("applyRefundMoney", m.to_string()));
        }
        if let Some(u) = &self.refund_notify_url {
            p.push(("refundNotifyUrl", u.clone()));
        }
        p.push(("pmAppKey", self.pm_app_key.to_string()));
        if let Some(d) = &self.deal_vos {
            p.push(("dealVos", d.clone()));
        }
        p
    }
}

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

// ---------------------------------------------------------------------------------------------
// 5.4 findOrderRefund

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

impl Params for FindRefundRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("tpOrderId", self.tp_order_id.to_string()),
            ("userId", self.user_id.to_string()),
            ("pmAppKey", self.pm_app_key.to_string()),
        ]
    }
}

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

// ---------------------------------------------------------------------------------------------
// 5.5 / 5.6 orderBill, capitaBill

/// Which statement to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BillKind {
    /// 订单对账单, path `orderBill`.
    Order,
    /// 资金账单, path `capitaBill` (sic: not `capitalBill`).
    Capital,
}

impl BillKind {
    /// The last path segment of the endpoint.
    pub const fn path_segment(self) -> &'static str {
        match self {
            BillKind::Order => "orderBill",
            BillKind::Capital => "capitaBill",
        }
    }
}

/// `GET …/paymentservice/orderBill` or `capitaBill` for one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillRequest {
    /// The day, `yyyy-MM-dd`.
    pub bill_time: Date,
    /// Payment appKey.
    pub pm_app_key: AppKey,
}

impl BillRequest {
    /// The statement of `bill_time`.
    pub fn new(bill_time: Date, pm_app_key: AppKey) -> Self {
        Self {
            bill_time,
            pm_app_key,
        }
    }
}

impl Params for BillRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("billTime", self.bill_time.to_string()),
            ("pmAppKey", self.pm_app_key.to_string()),
        ]
    }
}

/// `data` of a bill request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillList {
    /// The files ready (or being prepared) for download.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<BillFile>,
    /// Number of files.
    #[serde(default, deserialize_with = "crate::de::u64_or_string")]
    pub total_count: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One bill file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BillFile {
    /// Creation time as sent.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub create_time: Option<String>,
    /// File name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_name: Option<String>,
    /// Export progress (values undocumented; kept raw).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_i64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub export_status: Option<i64>,
    /// Download URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// 7. 1.0 signed APIs

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
/// on the old host), signed over all parameters. Answers [`ApplyRefundResult`].
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in ["2020-02-29", "2023-12-31", "2000-02-29"] {
            assert!(Date::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "20230101",
            "2023/01/01",
            "2023-01-32",
            "0000-01-01",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

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
        .unwrap()
        .skip_audit(true);
        let names: Vec<_> = r.to_params().into_iter().map(|(k, _)| k).collect();
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
