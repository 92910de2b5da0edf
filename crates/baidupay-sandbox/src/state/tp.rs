//! The third-party-platform state: mini programs authorized for a TP and where each of their
//! three audited onboarding steps stands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Where an audited step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audit {
    Pending,
    Passed,
    Rejected,
}

impl Audit {
    /// The payment service's status code (`paymentservice/auditstatus` `status`,
    /// `getbindservice` `open_status`): 1 under audit, 2 passed, 3 rejected.
    pub(crate) fn service_code(self) -> u8 {
        match self {
            Self::Pending => 1,
            Self::Passed => 2,
            Self::Rejected => 3,
        }
    }
}

/// The three steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Account,
    DevelopConfig,
    PaymentService,
}

impl Step {
    /// The step named `s` in `POST /sandbox/tp/audit`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "account" => Self::Account,
            "develop_config" => Self::DevelopConfig,
            "payment_service" => Self::PaymentService,
            _ => return None,
        })
    }

    /// The event pushed when the step's audit is decided.
    pub(crate) fn event(self, pass: bool) -> &'static str {
        match (self, pass) {
            (Self::Account, true) => "APP_PAYMENT_CREATE_ACCOUNT_PASS",
            (Self::Account, false) => "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
            (Self::DevelopConfig, true) => "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
            (Self::DevelopConfig, false) => "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
            (Self::PaymentService, true) => "APP_PAYMENT_CREATE_PAYMENT_PASS",
            (Self::PaymentService, false) => "APP_PAYMENT_CREATE_PAYMENT_FAIL",
        }
    }
}

/// A submitted step: its audit, the rejection reason, the fields submitted.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub(crate) audit: Audit,
    pub(crate) reason: String,
    pub(crate) fields: HashMap<String, String>,
}

/// Where a mini program's onboarding stands.
#[derive(Debug, Default)]
pub(crate) struct Onboarding {
    pub(crate) account: Option<Stage>,
    pub(crate) config: Option<Stage>,
    pub(crate) service: Option<Stage>,
    /// Set when the payment service first passes.
    pub(crate) pm_app_key: Option<String>,
    pub(crate) deal_id: u64,
    pub(crate) pm_app_id: u64,
}

impl Onboarding {
    /// The stage of `step`.
    pub(crate) fn stage_mut(&mut self, step: Step) -> &mut Option<Stage> {
        match step {
            Step::Account => &mut self.account,
            Step::DevelopConfig => &mut self.config,
            Step::PaymentService => &mut self.service,
        }
    }
}

/// A mini program authorized for a TP.
#[derive(Debug)]
pub(crate) struct Program {
    pub(crate) app_id: u64,
    pub(crate) tp_app_id: u64,
    pub(crate) event_url: String,
    pub(crate) token: String,
    pub(crate) state: Mutex<Onboarding>,
}

/// The TP state: mini programs by app id and by authorizer token.
#[derive(Debug, Default)]
pub(crate) struct Tp {
    pub(crate) programs: RwLock<HashMap<u64, Arc<Program>>>,
    pub(crate) by_token: RwLock<HashMap<String, u64>>,
}
