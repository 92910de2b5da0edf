//! The audit push the platform sends for each onboarding step.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Result;

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
