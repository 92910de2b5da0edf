//! The token chain (baidu-cashier.md 3.2): the TP token, the pre-auth code, the authorizer token.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Secret;

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
