//! Onboarding step 2: the developer config (`pay/developconfig/submit`).

use serde::{Deserialize, Serialize};

use super::{non_empty, url};
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
    /// Checks that the key is present and the URLs are absolute.
    ///
    /// # Errors
    /// [`Error::InvalidField`](crate::Error::InvalidField) naming the field.
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
