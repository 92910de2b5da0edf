//! The OAuth client-credentials token (baidu-cashier.md 3.1).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Params;
use crate::ClientId;
use crate::Secret;

/// The client-credentials token request (`GET /oauth/2.0/token`, baidu-cashier.md 3.1).
#[derive(Debug, Clone, Serialize)]
pub struct ClientCredentials {
    /// Always [`ClientCredentials::GRANT_TYPE`].
    #[serde(serialize_with = "grant_type")]
    grant_type: (),
    client_id: ClientId,
    client_secret: Secret,
    /// Always [`ClientCredentials::SCOPE`].
    #[serde(serialize_with = "scope")]
    scope: (),
}

fn grant_type<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(ClientCredentials::GRANT_TYPE)
}

fn scope<S: serde::Serializer>(_: &(), s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(ClientCredentials::SCOPE)
}

impl ClientCredentials {
    /// The fixed `grant_type`.
    pub const GRANT_TYPE: &'static str = "client_credentials";
    /// The fixed `scope`.
    pub const SCOPE: &'static str = "smartapp_snsapi_base";

    /// A request for the mini program with AppKey `client_id` and AppSecret `client_secret`.
    pub fn new(client_id: ClientId, client_secret: Secret) -> Self {
        Self {
            grant_type: (),
            client_id,
            client_secret,
            scope: (),
        }
    }

    /// The mini program AppKey.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }
}

impl Params for ClientCredentials {}

/// The token response (no envelope; errors come as `{error, error_description}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token to put in `access_token`.
    pub access_token: Secret,
    /// Lifetime in seconds (86400 in the doc example; "a month" in the doc text).
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub expires_in: u64,
    /// Refresh token (unused by client credentials).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Deprecated session key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_key: Option<Secret>,
    /// Deprecated session secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_secret: Option<Secret>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_and_secret_are_sent() {
        let c = ClientCredentials::new(ClientId::new("ck").unwrap(), Secret::new("cs"));
        assert_eq!(
            c.to_params().unwrap(),
            [
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", "ck".to_owned()),
                ("client_secret", "cs".to_owned()),
                ("scope", "smartapp_snsapi_base".to_owned()),
            ]
        );
        assert!(!format!("{c:?}").contains("cs\""), "{c:?}");
    }
}
