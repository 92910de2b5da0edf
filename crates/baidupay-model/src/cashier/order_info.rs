//! `orderInfo` for `swan.requestPolymerPayment` (baidu-cashier.md 4): `bizInfo`, `tpData`, the
//! unsigned draft and the signed object.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::PayChannel;
use crate::TpOrderId;
use crate::error::{Error, Result};
use crate::{AppKey, DealId, Fen};

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
