//! Onboarding: walks a mini program through payment account → developer config → payment
//! service, and says where it stands and what it waits for.
//!
//! The state comes from two sources: the audit-status APIs (account and payment service; the
//! developer config has none) and the audit push events (unsigned, so a push only moves a step
//! that the next [`Onboarding::refresh`] confirms where an API exists).

use baidupay_model::tp::{
    AccountStatus, OnboardingStep, OpenStatus, TpAuditEvent, TpAuditPush, TpErrorCode,
};

use crate::client::TpClient;
use crate::error::{Result, TpError};

/// Where one step stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StepState {
    /// Not submitted (or not known to be).
    #[default]
    NotStarted,
    /// Submitted, being edited or under audit.
    UnderAudit,
    /// Approved.
    Approved,
    /// Rejected, with the reason.
    Rejected(String),
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NextAction {
    /// Call [`TpClient::create_account`].
    CreateAccount,
    /// Fix and resubmit the account (the reason says what).
    FixAccount(String),
    /// Call [`TpClient::submit_develop_config`].
    SubmitDeveloperConfig,
    /// Fix and resubmit the developer config.
    FixDeveloperConfig(String),
    /// Call [`TpClient::create_service`].
    CreateService,
    /// Fix the service ([`TpClient::update_bound_service`]).
    FixService(String),
    /// Wait for the audit of this step (a push event or a status query will tell).
    WaitFor(OnboardingStep),
    /// Payment is open.
    Done,
}

/// The onboarding state of one mini program.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Onboarding {
    /// Step 1.
    pub account: StepState,
    /// Step 2.
    pub developer_config: StepState,
    /// Step 3.
    pub payment_service: StepState,
}

impl Onboarding {
    /// Queries the account and payment-service audit status. A missing account or service
    /// (60013 / 60008 / 60006) reads as not started.
    ///
    /// # Errors
    /// Any other failure of the queries.
    pub async fn refresh(&mut self, tp: &TpClient) -> Result<()> {
        match tp.account_audit_status().await {
            Ok(s) => {
                self.account = match s.status {
                    AccountStatus::Approved | AccountStatus::AgreementFilled => StepState::Approved,
                    AccountStatus::Rejected => StepState::Rejected(s.verify_message),
                    AccountStatus::Initial => StepState::NotStarted,
                    _ => StepState::UnderAudit,
                }
            }
            Err(e) if missing(&e) => self.account = StepState::NotStarted,
            Err(e) => return Err(e),
        }
        match tp.service_audit_status().await {
            Ok(s) => {
                self.payment_service = match s.status {
                    OpenStatus::Approved => StepState::Approved,
                    OpenStatus::Rejected => StepState::Rejected(s.fail_reason),
                    OpenStatus::New | OpenStatus::UnderAudit => StepState::UnderAudit,
                    _ => StepState::UnderAudit,
                };
                // a service can only exist after an accepted developer config
                if self.payment_service != StepState::NotStarted {
                    self.developer_config = StepState::Approved;
                }
            }
            Err(e) if missing(&e) => self.payment_service = StepState::NotStarted,
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Applies an audit push (the only source for the developer config's audit).
    pub fn apply_push(&mut self, push: &TpAuditPush) {
        let state = if push.event.is_pass() {
            StepState::Approved
        } else if push.event.is_reject() {
            StepState::Rejected(push.reason.clone().unwrap_or_default())
        } else {
            return;
        };
        match push.event.step() {
            Some(OnboardingStep::Account) => self.account = state,
            Some(OnboardingStep::DeveloperConfig) => self.developer_config = state,
            Some(OnboardingStep::PaymentService) => self.payment_service = state,
            None => {}
        }
    }

    /// Records that a step was just submitted (so the next action is to wait).
    pub fn submitted(&mut self, step: OnboardingStep) {
        let s = StepState::UnderAudit;
        match step {
            OnboardingStep::Account => self.account = s,
            OnboardingStep::DeveloperConfig => self.developer_config = s,
            OnboardingStep::PaymentService => self.payment_service = s,
        }
    }

    /// What to do next.
    pub fn next_action(&self) -> NextAction {
        match (&self.account, &self.developer_config, &self.payment_service) {
            (StepState::NotStarted, ..) => NextAction::CreateAccount,
            (StepState::Rejected(r), ..) => NextAction::FixAccount(r.clone()),
            (StepState::UnderAudit, ..) => NextAction::WaitFor(OnboardingStep::Account),
            (StepState::Approved, StepState::NotStarted, _) => NextAction::SubmitDeveloperConfig,
            (StepState::Approved, StepState::Rejected(r), _) => {
                NextAction::FixDeveloperConfig(r.clone())
            }
            (StepState::Approved, StepState::UnderAudit, _) => {
                NextAction::WaitFor(OnboardingStep::DeveloperConfig)
            }
            (StepState::Approved, StepState::Approved, StepState::NotStarted) => {
                NextAction::CreateService
            }
            (StepState::Approved, StepState::Approved, StepState::Rejected(r)) => {
                NextAction::FixService(r.clone())
            }
            (StepState::Approved, StepState::Approved, StepState::UnderAudit) => {
                NextAction::WaitFor(OnboardingStep::PaymentService)
            }
            (StepState::Approved, StepState::Approved, StepState::Approved) => NextAction::Done,
        }
    }
}

fn missing(e: &TpError) -> bool {
    matches!(
        e.tp_code(),
        Some(
            TpErrorCode::AccountNotFound
                | TpErrorCode::ServiceNotFound
                | TpErrorCode::AccountAuditMissing
        )
    )
}

/// The events a TP should subscribe to for onboarding.
pub const ONBOARDING_EVENTS: &[TpAuditEvent] = &[
    TpAuditEvent::CreateAccountPass,
    TpAuditEvent::CreateAccountFail,
    TpAuditEvent::DevelopConfigPass,
    TpAuditEvent::DevelopConfigFail,
    TpAuditEvent::CreatePaymentPass,
    TpAuditEvent::CreatePaymentFail,
];
