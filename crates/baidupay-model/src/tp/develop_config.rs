//! Onboarding step 2: the developer config (`pay/developconfig/submit`).

use serde::{Deserialize, Serialize};

use crate::cashier::Params;
use crate::error::Result;

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
    /// The developer config: the merchant public key and the three callback URLs.
    pub fn new(
        tp_public_key: impl Into<String>,
        pay_notify_url: impl Into<String>,
        refund_audit_url: impl Into<String>,
        refund_succ_url: impl Into<String>,
    ) -> Self {
        Self {
            tp_public_key: tp_public_key.into(),
            pay_notify_url: pay_notify_url.into(),
            refund_audit_url: refund_audit_url.into(),
            refund_succ_url: refund_succ_url.into(),
        }
    }

    /// Checks that the key is present and the URLs are absolute.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
    pub fn validate(&self) -> Result<()> {
        super::rules::check_params(super::rules::DEVELOP_CONFIG, self)
    }
}

impl Params for DevelopConfigRequest {}
