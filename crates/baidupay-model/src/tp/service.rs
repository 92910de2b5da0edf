//! Onboarding step 3: the payment service (`paymentservice/create`, `update`, `getbindservice`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::codes::{MINI_PROGRAM_COMMISSION_RATE, OpenStatus, PaymentDays};
use crate::cashier::Params;
use crate::error::Result;

/// `POST paymentservice/create` (step 3) and `paymentservice/updatebindservice` (full update):
/// both audited, same fields. Amounts are whole yuan as the API takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentServiceRequest {
    /// 服务名称.
    pub app_name: String,
    /// 服务电话.
    pub service_phone: String,
    /// 银行账户 (account holder name).
    pub bank_account: String,
    /// 银行卡号.
    pub bank_card: String,
    /// 所属银行 (from the dictionary).
    pub bank_name: String,
    /// 支行信息.
    pub bank_branch: String,
    /// 开户省份 (from the dictionary).
    pub open_province: String,
    /// 开户城市 (from the dictionary).
    pub open_city: String,
    /// 结算周期.
    pub payment_days: PaymentDays,
    /// 佣金比例: 6 for mini programs.
    pub commission_rate: u32,
    /// 打款预留 (yuan kept back for refunds).
    pub pool_cash_pledge: u64,
    /// 每日退款上限 (yuan, at most 10000).
    pub day_max_frozen_amount: u64,
}

impl PaymentServiceRequest {
    /// The payment-service form; every field is required. `commission_rate` is the mini-program
    /// rate [`MINI_PROGRAM_COMMISSION_RATE`], the only one [`PaymentServiceRequest::validate`]
    /// accepts.
    #[allow(clippy::too_many_arguments)] // the platform requires all of them
    pub fn new(
        app_name: impl Into<String>,
        service_phone: impl Into<String>,
        bank_account: impl Into<String>,
        bank_card: impl Into<String>,
        bank_name: impl Into<String>,
        bank_branch: impl Into<String>,
        open_province: impl Into<String>,
        open_city: impl Into<String>,
        payment_days: PaymentDays,
        pool_cash_pledge: u64,
        day_max_frozen_amount: u64,
    ) -> Self {
        Self {
            app_name: app_name.into(),
            service_phone: service_phone.into(),
            bank_account: bank_account.into(),
            bank_card: bank_card.into(),
            bank_name: bank_name.into(),
            bank_branch: bank_branch.into(),
            open_province: open_province.into(),
            open_city: open_city.into(),
            payment_days,
            commission_rate: MINI_PROGRAM_COMMISSION_RATE,
            pool_cash_pledge,
            day_max_frozen_amount,
        }
    }

    /// Checks the seed's limits.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
    pub fn validate(&self) -> Result<()> {
        super::rules::check_params(super::rules::PAYMENT_SERVICE, self)
    }
}

impl Params for PaymentServiceRequest {}

/// `POST paymentservice/update`: the fields that change without an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentServiceUpdateRequest {
    /// 服务名称.
    pub app_name: String,
    /// 服务电话.
    pub service_phone: String,
    /// 打款预留 (yuan).
    pub pool_cash_pledge: u64,
}

impl PaymentServiceUpdateRequest {
    /// The fields that change without an audit.
    pub fn new(
        app_name: impl Into<String>,
        service_phone: impl Into<String>,
        pool_cash_pledge: u64,
    ) -> Self {
        Self {
            app_name: app_name.into(),
            service_phone: service_phone.into(),
            pool_cash_pledge,
        }
    }

    /// Checks that the names are present.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
    pub fn validate(&self) -> Result<()> {
        super::rules::check_params(super::rules::PAYMENT_SERVICE_UPDATE, self)
    }
}

impl Params for PaymentServiceUpdateRequest {}

/// `data` of `paymentservice/auditstatus`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ServiceAuditStatus {
    /// Status 0-3.
    pub status: OpenStatus,
    /// Failure reason (the table says int, the example sends text).
    #[serde(default, deserialize_with = "crate::de::string_or_number")]
    pub fail_reason: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of `paymentservice/getbindservice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BoundService {
    /// Payment service id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub pm_app_id: u64,
    /// Service name.
    pub app_name: String,
    /// Payment appKey (`pmAppKey`).
    pub pm_app_key: String,
    /// The platform public key that verifies callbacks.
    pub platform_public_key: String,
    /// Settlement credential (`dealId`).
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub deal_id: String,
    /// Service phone.
    #[serde(default)]
    pub service_phone: String,
    /// Account holder.
    #[serde(default)]
    pub bank_account: String,
    /// Card number.
    #[serde(default, deserialize_with = "crate::de::string_or_number")]
    pub bank_card: String,
    /// Bank.
    #[serde(default)]
    pub bank_name: String,
    /// Branch.
    #[serde(default)]
    pub bank_branch: String,
    /// Province.
    #[serde(default)]
    pub open_province: String,
    /// City.
    #[serde(default)]
    pub open_city: String,
    /// Settlement period.
    pub payment_days: PaymentDays,
    /// Commission rate code.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub commission_rate: u64,
    /// 打款预留 (yuan).
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub pool_cash_pledge: u64,
    /// 每日退款上限 (yuan).
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub day_max_frozen_amount: u64,
    /// Open status.
    pub open_status: OpenStatus,
    /// Rejection note.
    #[serde(default)]
    pub fail_reason: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
