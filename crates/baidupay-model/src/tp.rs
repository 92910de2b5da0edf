//! Third-party-platform (TP) payment-service types (seed 004 "支付服务能力"; baidu-cashier.md
//! 3.2 for the token chain).
//!
//! A TP opens Baidu payment for a mini program in three audited steps (payment account,
//! developer config, payment service), then reads its orders and finances. Requests are
//! builders whose `validate` applies the seed's limits and names the offending field; responses
//! keep unknown fields in `extra`. TP finance reports are in yuan with two decimals and may be
//! negative: [`SignedYuan`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cashier::{Date, Params};
use crate::error::{Error, Result};
use crate::{Fen, Secret, SignedYuan};

fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidField {
        field,
        reason: reason.into(),
    }
}

fn non_empty(field: &'static str, v: &str) -> Result<()> {
    if v.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    Ok(())
}

fn url(field: &'static str, v: &str) -> Result<()> {
    if !(v.starts_with("https://") || v.starts_with("http://")) || v.len() < 10 {
        return Err(invalid(
            field,
            format!("{v:?} is not an absolute http(s) URL"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Codes and statuses

int_code_enum! {
    /// TP payment-service error codes 60000-60021 (seed 004 错误码列表).
    pub enum TpErrorCode {
        /// 60000 参数错误.
        InvalidParameter = 60000 => "参数错误 (invalid parameter)", remedy "check the request against the documented limits";
        /// 60001 该账号已经绑定过了.
        AlreadyBound = 60001 => "该账号已经绑定过了 (account already bound)";
        /// 60002 该账号未绑定支付账号.
        NoPaymentAccount = 60002 => "该账号未绑定支付账号 (no payment account bound)", remedy "create the payment account first";
        /// 60003 该账号营业执照信息不完整.
        LicenseIncomplete = 60003 => "该账号营业执照信息不完整 (business licence information incomplete)", remedy "complete the mini program's licence information in the console";
        /// 60004 法人姓名限定在 2 - 50 字符.
        LegalPersonLength = 60004 => "法人姓名限定在 2 - 50 字符 (legal person name must be 2-50 characters)";
        /// 60005 身份证号必须为 18 位.
        LegalIdLength = 60005 => "身份证号必须为 18 位 (ID number must have 18 characters)";
        /// 60006 支付账号审核信息不存在.
        AccountAuditMissing = 60006 => "支付账号审核信息不存在 (no payment account audit record)";
        /// 60007 创建支付服务失败.
        CreateServiceFailed = 60007 => "创建支付服务失败 (creating the payment service failed)";
        /// 60008 支付服务不存在.
        ServiceNotFound = 60008 => "支付服务不存在 (payment service does not exist)", remedy "create the payment service first";
        /// 60009 支付服务已经存在,请勿重复创建.
        ServiceExists = 60009 => "支付服务已经存在,请勿重复创建 (payment service already exists)", remedy "query it with getbindservice instead of creating it again";
        /// 60010 更新支付服务信息失败.
        UpdateServiceFailed = 60010 => "更新支付服务信息失败 (updating the payment service failed)";
        /// 60011 图片 Url 不是来自于我们的图片上传服务.
        ForeignImageUrl = 60011 => "图片 Url 不是来自于我们的图片上传服务 (image URL not from Baidu's upload service)", remedy "upload the ID card images through Baidu's image upload API and use the returned URLs";
        /// 60012 支付账号已经存在,请勿重复创建.
        AccountExists = 60012 => "支付账号已经存在,请勿重复创建 (payment account already exists)", remedy "query the account audit status instead of creating it again";
        /// 60013 支付账号不存在,请先创建支付账号.
        AccountNotFound = 60013 => "支付账号不存在,请先创建支付账号 (payment account does not exist)", remedy "create the payment account first";
        /// 60014 开发者设置未提交,请先提交开发者设置.
        DeveloperConfigMissing = 60014 => "开发者设置未提交,请先提交开发者设置 (developer config not submitted)", remedy "submit the developer config before creating the payment service";
        /// 60015 账号异常.
        AccountAbnormal = 60015 => "账号异常 (account abnormal)";
        /// 60016 创建账号审核未通过,请查看创建账号的审核状态.
        AccountRejected = 60016 => "创建账号审核未通过 (payment account audit not passed)", remedy "read the account audit status and its verify_message, fix and resubmit";
        /// 60017 支付账号审核中,无法再次创建.
        AccountUnderAudit = 60017 => "支付账号审核中,无法再次创建 (payment account under audit)", remedy "wait for the audit push or poll the account audit status";
        /// 60018 开发者设置审核中,无法再次修改.
        DeveloperConfigUnderAudit = 60018 => "开发者设置审核中,无法再次修改 (developer config under audit)", remedy "wait for the audit push";
        /// 60019 支付服务审核中,无法再次修改.
        ServiceUnderAudit = 60019 => "支付服务审核中,无法再次修改 (payment service under audit)", remedy "wait for the audit push or poll the service audit status";
        /// 60020 Request Body 不能为空.
        EmptyBody = 60020 => "Request Body 不能为空 (request body must not be empty)";
        /// 60021 未获取到有效数据.
        NoData = 60021 => "未获取到有效数据 (no valid data found)";
    }
}

int_code_enum! {
    /// Payment account audit status (`pay/account/auditstatus` `status`).
    pub enum AccountStatus {
        /// 0 初始状态.
        Initial = 0 => "初始状态 (initial)";
        /// 1 编辑中.
        Editing = 1 => "编辑中 (editing)";
        /// 2 提审.
        Submitted = 2 => "提审 (submitted for audit)";
        /// 3 未通过.
        Rejected = 3 => "未通过 (rejected)";
        /// 4 审核通过.
        Approved = 4 => "审核通过 (approved)";
        /// 5 回填过协议 id.
        AgreementFilled = 5 => "回填过协议 id (agreement id filled in)";
    }
}

int_code_enum! {
    /// Payment service open status (`paymentservice/auditstatus` `status`, `open_status`).
    pub enum OpenStatus {
        /// 0 新建.
        New = 0 => "新建 (new)";
        /// 1 审核中.
        UnderAudit = 1 => "审核中 (under audit)";
        /// 2 审核通过.
        Approved = 2 => "审核通过 (approved)";
        /// 3 驳回.
        Rejected = 3 => "驳回 (rejected)";
    }
}

int_code_enum! {
    /// Order sub-status in the TP order list (sent as a string: `"1"`).
    pub enum OrderSubStatus {
        /// 1 待付款.
        AwaitingPayment = 1 => "待付款 (awaiting payment)";
        /// 2 已付款.
        Paid = 2 => "已付款 (paid)";
        /// 3 已消费.
        Consumed = 3 => "已消费 (consumed)";
        /// 4 退款中.
        Refunding = 4 => "退款中 (refunding)";
        /// 5 已退款.
        Refunded = 5 => "已退款 (refunded)";
        /// 6 退款失败.
        RefundFailed = 6 => "退款失败 (refund failed)";
        /// 7 已取消.
        Cancelled = 7 => "已取消 (cancelled)";
    }
}

int_code_enum! {
    /// Settlement period `payment_days` (the dictionary's values: T+1, T+7, T+14, T+28).
    pub enum PaymentDays {
        /// T+1.
        T1 = 1 => "T+1";
        /// T+7.
        T7 = 7 => "T+7";
        /// T+14.
        T14 = 14 => "T+14";
        /// T+28 (the mini-game default).
        T28 = 28 => "T+28";
    }
}

/// The `status` filter of the order list: `all` or one sub-status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatusFilter {
    /// `all`.
    All,
    /// One sub-status.
    Only(OrderSubStatus),
}

impl std::fmt::Display for OrderStatusFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OrderStatusFilter::All => f.write_str("all"),
            OrderStatusFilter::Only(s) => write!(f, "{}", s.code()),
        }
    }
}

/// The fixed commission rate of mini programs: 6 (千分之六, 0.6 %).
pub const MINI_PROGRAM_COMMISSION_RATE: u32 = 6;
/// The largest `day_max_frozen_amount` (每日退款上限), in yuan.
pub const MAX_DAY_MAX_FROZEN_AMOUNT: u64 = 10_000;

// ---------------------------------------------------------------------------------------------
// Token chain (baidu-cashier.md 3.2)

/// `data` of `auth/tp/token`: the TP's own (component) token, valid about a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TpToken {
    /// The TP token.
    pub access_token: Secret,
    /// Lifetime in seconds.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub expires_in: u64,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of `tp/createpreauthcode`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PreAuthCode {
    /// The pre-authorization code.
    pub pre_auth_code: Secret,
    /// Lifetime in seconds (1200).
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub expires_in: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The authorizer (per mini program) token from `oauth/token` (no envelope). The refresh token
/// is single-use: persist the new one every time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizerToken {
    /// The mini program's access token for TP calls.
    pub access_token: Secret,
    /// The single-use refresh token (valid 10 years).
    pub refresh_token: Secret,
    /// Lifetime in seconds (3600).
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub expires_in: u64,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// Dictionary

/// `data` of `paymentservice/dict`: provinces and cities, banks, commission rates, payment days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentDict {
    /// Provinces with their cities (`open_province`, `open_city`).
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub province_list: Vec<Province>,
    /// Banks grouped by initial (`bank_name`).
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub bank_list: Vec<BankGroup>,
    /// Commission rates: code -> description (`"6"` -> 千分之六). The table says
    /// `commission_rate`, the example `commissionRate`; both are read.
    #[serde(rename = "commissionRate", alias = "commission_rate", default)]
    pub commission_rate: BTreeMap<String, String>,
    /// Settlement periods: code -> description (`"1"` -> `T+1`).
    #[serde(rename = "paymentDays", alias = "payment_days", default)]
    pub payment_days: BTreeMap<String, String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A province and its cities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Province {
    /// Id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub province_id: u64,
    /// Name (the value for `open_province`).
    pub province_name: String,
    /// Cities.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub cities: Vec<City>,
}

/// A city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct City {
    /// Id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub city_id: u64,
    /// Name (the value for `open_city`).
    pub city_name: String,
}

/// Banks sharing an initial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BankGroup {
    /// The initial letter.
    pub character: String,
    /// Banks.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub banks: Vec<Bank>,
}

/// A bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Bank {
    /// Id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub bank_id: u64,
    /// Name (the value for `bank_name`).
    pub bank_name: String,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// 1. payment account

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
    /// 法人姓名 (1-25 characters).
    pub legal_person: String,
    /// 身份证号 (18 characters).
    pub legal_id: String,
    /// ID card front image URL (from Baidu's upload service).
    pub id_card_front_url: String,
    /// ID card back image URL (from Baidu's upload service).
    pub id_card_back_url: String,
}

impl AccountCreateRequest {
    /// Checks the seed's limits.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the first field that breaks a limit.
    pub fn validate(&self) -> Result<()> {
        let scope = self.business_scope.chars().count();
        if !(2..=2000).contains(&scope) {
            return Err(invalid(
                "business_scope",
                format!("must have 2-2000 characters, has {scope}"),
            ));
        }
        non_empty("business_province", &self.business_province)?;
        non_empty("business_city", &self.business_city)?;
        non_empty("business_detail_address", &self.business_detail_address)?;
        let person = self.legal_person.trim().chars().count();
        if !(1..=25).contains(&person) || self.legal_person.chars().any(|c| c.is_ascii_digit()) {
            return Err(invalid(
                "legal_person",
                "must be the ID card name, 1-25 characters",
            ));
        }
        let id = self.legal_id.as_bytes();
        if id.len() != 18
            || !id[..17].iter().all(u8::is_ascii_digit)
            || !(id[17].is_ascii_digit() || id[17] == b'X' || id[17] == b'x')
        {
            return Err(invalid(
                "legal_id",
                "must be 18 characters: 17 digits and a digit or X",
            ));
        }
        url("id_card_front_url", &self.id_card_front_url)?;
        url("id_card_back_url", &self.id_card_back_url)
    }
}

impl Params for AccountCreateRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("business_scope", self.business_scope.clone()),
            ("business_province", self.business_province.clone()),
            ("business_city", self.business_city.clone()),
            (
                "business_detail_address",
                self.business_detail_address.clone(),
            ),
            ("legal_person", self.legal_person.clone()),
            ("legal_id", self.legal_id.clone()),
            ("id_card_front_url", self.id_card_front_url.clone()),
            ("id_card_back_url", self.id_card_back_url.clone()),
        ]
    }
}

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

// ---------------------------------------------------------------------------------------------
// 2. developer config

/// `POST pay/developconfig/submit`: step 2, audited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevelopConfigRequest {
    /// The merchant (developer) public key, for verifying `rsaSign` of orders.
    pub tp_public_key: String,
    /// Payment notify URL.
    pub pay_notify_url: String,
    /// Refund audit URL.
    pub refund_audit_url: String,
    /// Refund notify URL.
    pub refund_succ_url: String,
}

impl DevelopConfigRequest {
    /// Checks that the key is present and the URLs are absolute.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    pub fn validate(&self) -> Result<()> {
        non_empty("tp_public_key", &self.tp_public_key)?;
        url("pay_notify_url", &self.pay_notify_url)?;
        url("refund_audit_url", &self.refund_audit_url)?;
        url("refund_succ_url", &self.refund_succ_url)
    }
}

impl Params for DevelopConfigRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("tp_public_key", self.tp_public_key.clone()),
            ("pay_notify_url", self.pay_notify_url.clone()),
            ("refund_audit_url", self.refund_audit_url.clone()),
            ("refund_succ_url", self.refund_succ_url.clone()),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// 3. payment service

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
    /// Checks the seed's limits.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    pub fn validate(&self) -> Result<()> {
        for (f, v) in [
            ("app_name", &self.app_name),
            ("service_phone", &self.service_phone),
            ("bank_account", &self.bank_account),
            ("bank_name", &self.bank_name),
            ("bank_branch", &self.bank_branch),
            ("open_province", &self.open_province),
            ("open_city", &self.open_city),
        ] {
            non_empty(f, v)?;
        }
        if self.bank_card.is_empty() || !self.bank_card.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("bank_card", "must be the card number, digits only"));
        }
        if !self.payment_days.is_known() {
            return Err(invalid(
                "payment_days",
                "must be one of the dictionary's values 1, 7, 14, 28",
            ));
        }
        if self.commission_rate != MINI_PROGRAM_COMMISSION_RATE {
            return Err(invalid(
                "commission_rate",
                "is fixed at 6 (千分之六) for mini programs",
            ));
        }
        if self.day_max_frozen_amount > MAX_DAY_MAX_FROZEN_AMOUNT {
            return Err(invalid(
                "day_max_frozen_amount",
                "must be at most 10000 yuan",
            ));
        }
        Ok(())
    }
}

impl Params for PaymentServiceRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("app_name", self.app_name.clone()),
            ("service_phone", self.service_phone.clone()),
            ("bank_account", self.bank_account.clone()),
            ("bank_card", self.bank_card.clone()),
            ("bank_name", self.bank_name.clone()),
            ("bank_branch", self.bank_branch.clone()),
            ("open_province", self.open_province.clone()),
            ("open_city", self.open_city.clone()),
            ("payment_days", self.payment_days.code().to_string()),
            ("commission_rate", self.commission_rate.to_string()),
            ("pool_cash_pledge", self.pool_cash_pledge.to_string()),
            (
                "day_max_frozen_amount",
                self.day_max_frozen_amount.to_string(),
            ),
        ]
    }
}

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
    /// Checks that the names are present.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    pub fn validate(&self) -> Result<()> {
        non_empty("app_name", &self.app_name)?;
        non_empty("service_phone", &self.service_phone)
    }
}

impl Params for PaymentServiceUpdateRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("app_name", self.app_name.clone()),
            ("service_phone", self.service_phone.clone()),
            ("pool_cash_pledge", self.pool_cash_pledge.to_string()),
        ]
    }
}

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

// ---------------------------------------------------------------------------------------------
// Audit push

str_code_enum! {
    /// The `event` of a TP audit push (审核消息推送).
    pub enum TpAuditEvent {
        /// 创建支付账号通过.
        CreateAccountPass = "APP_PAYMENT_CREATE_ACCOUNT_PASS" => "创建支付账号通过 (payment account approved)";
        /// 创建支付账号失败.
        CreateAccountFail = "APP_PAYMENT_CREATE_ACCOUNT_FAIL" => "创建支付账号失败 (payment account rejected)";
        /// 配置开发者设置通过.
        DevelopConfigPass = "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS" => "配置开发者设置通过 (developer config approved)";
        /// 配置开发者设置失败.
        DevelopConfigFail = "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL" => "配置开发者设置失败 (developer config rejected)";
        /// 开通支付服务通过.
        CreatePaymentPass = "APP_PAYMENT_CREATE_PAYMENT_PASS" => "开通支付服务通过 (payment service approved)";
        /// 开通支付服务失败.
        CreatePaymentFail = "APP_PAYMENT_CREATE_PAYMENT_FAIL" => "开通支付服务失败 (payment service rejected)";
    }
}

/// The three audited onboarding steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OnboardingStep {
    /// 1. payment account.
    Account,
    /// 2. developer config.
    DeveloperConfig,
    /// 3. payment service.
    PaymentService,
}

impl TpAuditEvent {
    /// Whether the step passed its audit.
    pub fn is_pass(&self) -> bool {
        matches!(
            self,
            TpAuditEvent::CreateAccountPass
                | TpAuditEvent::DevelopConfigPass
                | TpAuditEvent::CreatePaymentPass
        )
    }

    /// Whether the step was rejected.
    pub fn is_reject(&self) -> bool {
        matches!(
            self,
            TpAuditEvent::CreateAccountFail
                | TpAuditEvent::DevelopConfigFail
                | TpAuditEvent::CreatePaymentFail
        )
    }

    /// The onboarding step the event is about (`None` for unknown events).
    pub fn step(&self) -> Option<OnboardingStep> {
        match self {
            TpAuditEvent::CreateAccountPass | TpAuditEvent::CreateAccountFail => {
                Some(OnboardingStep::Account)
            }
            TpAuditEvent::DevelopConfigPass | TpAuditEvent::DevelopConfigFail => {
                Some(OnboardingStep::DeveloperConfig)
            }
            TpAuditEvent::CreatePaymentPass | TpAuditEvent::CreatePaymentFail => {
                Some(OnboardingStep::PaymentService)
            }
            TpAuditEvent::Unknown(_) => None,
        }
    }
}

/// An audit push POSTed (JSON) to the TP's event URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TpAuditPush {
    /// The mini program's app id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub app_id: u64,
    /// The TP's app id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub tp_app_id: u64,
    /// When it happened (`yyyy-MM-dd HH:mm:ss`).
    pub event_time: String,
    /// What happened.
    pub event: TpAuditEvent,
    /// Failure reason (failures only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// ---------------------------------------------------------------------------------------------
// 4. data: orders and finance

/// Pagination common to the list answers.
pub trait Paged {
    /// Total number of items, if the answer says.
    fn total_count(&self) -> Option<u64>;
    /// Total number of pages, if the answer says.
    fn total_page(&self) -> Option<u64> {
        None
    }
    /// Number of items on this page.
    fn len(&self) -> usize;
    /// Whether this page is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn check_page(current_page: u64, page_size: u64) -> Result<()> {
    if current_page == 0 {
        return Err(invalid("current_page", "pages start at 1"));
    }
    if page_size == 0 {
        return Err(invalid("page_size", "must be at least 1"));
    }
    Ok(())
}

/// `GET paymentservice/orderlist`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderListRequest {
    /// Status filter.
    pub status: OrderStatusFilter,
    /// Start, 10-digit unix timestamp.
    pub start_time: u64,
    /// End, 10-digit unix timestamp.
    pub end_time: u64,
    /// Page, from 1.
    pub current_page: u64,
    /// Page size.
    pub page_size: u64,
}

impl OrderListRequest {
    /// Checks the timestamps (10 digits, start ≤ end) and the paging.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    pub fn validate(&self) -> Result<()> {
        for (f, t) in [("start_time", self.start_time), ("end_time", self.end_time)] {
            if !(1_000_000_000..=9_999_999_999).contains(&t) {
                return Err(invalid(f, "must be a 10-digit unix timestamp (seconds)"));
            }
        }
        if self.start_time > self.end_time {
            return Err(invalid("end_time", "is before start_time"));
        }
        check_page(self.current_page, self.page_size)
    }
}

impl Params for OrderListRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("status", self.status.to_string()),
            ("start_time", self.start_time.to_string()),
            ("end_time", self.end_time.to_string()),
            ("current_page", self.current_page.to_string()),
            ("page_size", self.page_size.to_string()),
        ]
    }
}

/// `data` of the order list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderList {
    /// Total amount, as sent (the example sends `"-"`).
    #[serde(
        default,
        deserialize_with = "crate::de::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_money: Option<String>,
    /// This page.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u64>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<u64>,
    /// Total orders.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// Total pages.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_page: Option<u64>,
    /// Orders.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<TpOrder>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for OrderList {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn total_page(&self) -> Option<u64> {
        self.total_page
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One order of the order list (amounts in fen, sent as strings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TpOrder {
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub id: String,
    /// Settlement credential.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub deal_id: String,
    /// Order name.
    #[serde(default)]
    pub deal_title: String,
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub order_id: String,
    /// Merchant order id.
    #[serde(deserialize_with = "crate::de::string_or_number")]
    pub tp_order_id: String,
    /// Masked phone (or 未登录用户).
    #[serde(default)]
    pub phone: String,
    /// Created, `yyyy-MM-dd HH:mm:ss`.
    #[serde(default)]
    pub create_time: String,
    /// Completed, `yyyy-MM-dd HH:mm:ss`.
    #[serde(default)]
    pub update_time: String,
    /// Sub-status 1-7.
    pub sub_status: OrderSubStatus,
    /// Order amount (fen).
    pub total_money: Fen,
    /// Paid amount (fen).
    pub pay_money: Fen,
    /// Refunded amount (fen), `null` when none.
    #[serde(default)]
    pub segment_refunded_money: Option<Fen>,
    /// Channel, e.g. 微信支付; `null` when unpaid.
    #[serde(default)]
    pub channel: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `financebalance`, `financebalance/otherdetail` and `financeexpense`: a date range and paging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinanceRangeRequest {
    /// Page, from 1.
    pub current_page: u64,
    /// Page size.
    pub page_size: u64,
    /// First day.
    pub start_time: Date,
    /// Last day.
    pub end_time: Date,
}

impl FinanceRangeRequest {
    /// Checks paging and that the range is not reversed.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    pub fn validate(&self) -> Result<()> {
        if self.start_time > self.end_time {
            return Err(invalid("end_time", "is before start_time"));
        }
        check_page(self.current_page, self.page_size)
    }
}

impl Params for FinanceRangeRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("current_page", self.current_page.to_string()),
            ("page_size", self.page_size.to_string()),
            ("start_time", self.start_time.to_string()),
            ("end_time", self.end_time.to_string()),
        ]
    }
}

/// `financebalance/incomedetail`: one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomeDetailRequest {
    /// Page, from 1.
    pub current_page: u64,
    /// Page size.
    pub page_size: u64,
    /// The day.
    pub start_time: Date,
}

impl IncomeDetailRequest {
    /// Checks paging.
    ///
    /// # Errors
    /// [`Error::InvalidField`] naming the field.
    pub fn validate(&self) -> Result<()> {
        check_page(self.current_page, self.page_size)
    }
}

impl Params for IncomeDetailRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("current_page", self.current_page.to_string()),
            ("page_size", self.page_size.to_string()),
            ("start_time", self.start_time.to_string()),
        ]
    }
}

/// `data` of `financebalance` (amounts in yuan).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FinanceBalance {
    /// 货款总金额.
    pub income: SignedYuan,
    /// Current payment period in days.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub period: Option<u64>,
    /// Days.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<BalanceDay>,
    /// 调整款.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjustment: Option<SignedYuan>,
    /// 账户余额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_balance: Option<SignedYuan>,
    /// 支付时间.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_due: Option<String>,
    /// 其它款项.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub others: Option<SignedYuan>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<u64>,
    /// Total items.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// This page.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for FinanceBalance {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One day of income.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BalanceDay {
    /// 货款金额.
    pub income: SignedYuan,
    /// `yyyy-MM-dd`.
    pub operate_time: String,
    /// 调整款.
    pub adjust_amount: SignedYuan,
    /// 其他款项.
    pub others: SignedYuan,
}

/// `data` of `financebalance/incomedetail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncomeDetail {
    /// 货款.
    pub income: SignedYuan,
    /// 成交数量.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub quantity: Option<u64>,
    /// Items.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<IncomeItem>,
    /// The day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operate_time: Option<String>,
    /// 成交总额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub income_amount: Option<SignedYuan>,
    /// 退款总额.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<SignedYuan>,
    /// Page size.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub page_size: Option<u64>,
    /// Total items.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// This page.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_page: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for IncomeDetail {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One income item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IncomeItem {
    /// 成交 / 使用 / 取消使用 / 退款.
    pub opt_type: String,
    /// Amount.
    pub money: SignedYuan,
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub order_id: u64,
    /// When.
    pub operate_time: String,
    /// Merchant order id.
    #[serde(default, deserialize_with = "crate::de::string_or_number")]
    pub third_order_id: String,
}

/// `data` of `financebalance/otherdetail` (commissions and the like).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OtherDetail {
    /// 入账金额.
    pub total_amount: SignedYuan,
    /// 货款总额.
    pub order_amount: SignedYuan,
    /// Items.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<OtherItem>,
    /// The fee rules, a JSON text as sent.
    #[serde(default)]
    pub rule_type: String,
    /// Period start.
    #[serde(default)]
    pub settlement_start_time: String,
    /// Period end.
    #[serde(default)]
    pub settlement_end_time: String,
    /// Fields this version does not know (paging included when sent).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for OtherDetail {
    fn total_count(&self) -> Option<u64> {
        self.extra.get("total_count").and_then(Value::as_u64)
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One other-income item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OtherItem {
    /// Operation.
    pub opt_type: String,
    /// Baidu order id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub order_id: u64,
    /// When.
    pub operate_time: String,
    /// Amount.
    pub ref_money: SignedYuan,
    /// Merchant order id.
    #[serde(default, deserialize_with = "crate::de::string_or_number")]
    pub third_order_id: String,
}

/// `data` of `financeexpense`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExpenseList {
    /// Number of payouts.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub expense_count: Option<u64>,
    /// Payouts.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<Expense>,
    /// Sum of payouts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expense_money: Option<SignedYuan>,
    /// Total items.
    #[serde(
        default,
        deserialize_with = "crate::de::opt_u64_or_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_count: Option<u64>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Paged for ExpenseList {
    fn total_count(&self) -> Option<u64> {
        self.total_count
    }
    fn len(&self) -> usize {
        self.data.len()
    }
}

/// One payout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Expense {
    /// Amount (negative: money out).
    pub money: SignedYuan,
    /// When.
    pub operate_time: String,
    /// Period start.
    #[serde(default)]
    pub start_time: String,
    /// Type, e.g. 自动打款.
    #[serde(default)]
    pub type_id: String,
    /// Period end.
    #[serde(default)]
    pub end_time: String,
    /// 待出纳支付 / 打款中 / 成功 / 失败.
    #[serde(default)]
    pub pay_status: String,
    /// Voucher id for [`PayDetailRequest`].
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub task_id: u64,
}

/// `financeexpense/paydetail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayDetailRequest {
    /// The payout's `task_id`.
    pub task_id: u64,
}

impl Params for PayDetailRequest {
    fn to_params(&self) -> Vec<(&'static str, String)> {
        vec![("task_id", self.task_id.to_string())]
    }
}

/// `data` of `financeexpense/paydetail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayDetail {
    /// Transfers.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub data: Vec<PayDetailItem>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PayDetailItem {
    /// Amount.
    pub paid_money: SignedYuan,
    /// Masked card number.
    #[serde(default)]
    pub paid_account: String,
    /// Remark.
    #[serde(default)]
    pub remark: String,
    /// Masked receiver name.
    #[serde(default)]
    pub receive_user: String,
    /// 待出纳支付 / 打款中 / 成功 / 失败.
    #[serde(default)]
    pub payment_status: String,
}
