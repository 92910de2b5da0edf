//! Onboarding step 1: the payment account (`pay/account/*`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::codes::AccountStatus;
use super::rules::{self, check_params};
use crate::cashier::Params;
use crate::error::Result;

/// `POST pay/account/create`: step 1, audited (answer by push).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCreateRequest {
    /// 经营范围 (2-2000 characters).
    pub business_scope: String,
    /// 经营范围所在省.
    pub business_province: String,
    /// 经营范围所在市.
    pub business_city: String,
    /// 经营地址详情.
    pub business_detail_address: String,
    /// 法人姓名 (1-25 Chinese characters: 2-50 GBK bytes, see [`rules`]).
    pub legal_person: String,
    /// 身份证号 (18 characters).
    pub legal_id: String,
    /// ID card front image URL (from Baidu's upload service).
    pub id_card_front_url: String,
    /// ID card back image URL (from Baidu's upload service).
    pub id_card_back_url: String,
}

impl AccountCreateRequest {
    /// The account form; every field is required (check it with
    /// [`AccountCreateRequest::validate`]).
    #[allow(clippy::too_many_arguments)] // the platform requires all eight, all text
    pub fn new(
        business_scope: impl Into<String>,
        business_province: impl Into<String>,
        business_city: impl Into<String>,
        business_detail_address: impl Into<String>,
        legal_person: impl Into<String>,
        legal_id: impl Into<String>,
        id_card_front_url: impl Into<String>,
        id_card_back_url: impl Into<String>,
    ) -> Self {
        Self {
            business_scope: business_scope.into(),
            business_province: business_province.into(),
            business_city: business_city.into(),
            business_detail_address: business_detail_address.into(),
            legal_person: legal_person.into(),
            legal_id: legal_id.into(),
            id_card_front_url: id_card_front_url.into(),
            id_card_back_url: id_card_back_url.into(),
        }
    }

    /// Checks the seed's limits ([`rules::ACCOUNT_CREATE`], the table the sandbox answers
    /// with too).
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the first field that breaks a
    /// limit.
    pub fn validate(&self) -> Result<()> {
        check_params(rules::ACCOUNT_CREATE, self)
    }
}

impl Params for AccountCreateRequest {}

/// `data` of `pay/account/auditstatus`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountAuditStatus {
    /// Status 0-5.
    pub status: AccountStatus,
    /// Failure reason (or 审核通过).
    #[serde(default)]
    pub verify_message: String,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
