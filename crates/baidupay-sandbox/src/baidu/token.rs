//! Access tokens: `/oauth/2.0/token` issues them (client credentials), [`authorize`] checks
//! them on every 2.0 API call, with expiries on the sandbox's clock.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use baidupay_model::Secret;

use crate::random;
use crate::request::params;
use crate::respond::{errno, expired_token, invalid_token, json_response, oauth_error};
use crate::state::{Inner, Merchant, Token};
use crate::store::TokenRow;
use crate::sync::{Unpoisoned, lock};

pub(crate) async fn token(
    State(inner): State<Arc<Inner>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(query.as_deref(), Some(&body));
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if get("scope") != "smartapp_snsapi_base" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope must be smartapp_snsapi_base",
        );
    }
    let app_keys: Vec<String> = inner
        .merchants
        .read_or_recover()
        .values()
        .filter(|m| m.client_id == get("client_id"))
        .filter(|m| m.client_secret.expose() == get("client_secret"))
        .map(|m| m.app_key.clone())
        .collect();
    if app_keys.is_empty() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client id or wrong client secret",
        );
    }
    let lifetime = inner.config.token_lifetime;
    let now = inner.now_unix();
    // shaped like the platform's (`version.random.lifetime.time`), with 128 random bits: a
    // token cannot be guessed from another
    let token = format!("1.{}.{}.{now}", random::hex128(), lifetime.as_secs());
    let expires_at = now.saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
    {
        let mut tokens = lock(&inner.tokens);
        // stored first: a token the database did not take is not issued
        let stored = inner.write(|db, next| {
            db.token(
                &TokenRow {
                    token: Secret::new(token.clone()),
                    app_keys: app_keys.clone(),
                    expires_at,
                },
                now,
                next,
            )
        });
        if let Err(e) = stored {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &format!("sandbox database write failed, no token was issued: {e}"),
            );
        }
        tokens.insert(
            token.clone(),
            Token {
                app_keys,
                expires: inner.deadline(lifetime),
            },
        );
    }
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "expires_in": lifetime.as_secs(),
            "refresh_token": format!("2.{}", random::hex128()),
            "scope": "smartapp_snsapi_base",
            "session_key": "",
            "session_secret": "",
        }),
    )
}

/// The merchant of an API call: a live token that belongs to `pmAppKey`.
pub(crate) fn authorize(
    inner: &Inner,
    p: &HashMap<String, String>,
) -> Result<Arc<Merchant>, Box<Response>> {
    let token = p.get("access_token").map(String::as_str).unwrap_or("");
    let app_key = p.get("pmAppKey").map(String::as_str).unwrap_or("");
    {
        let tokens = lock(&inner.tokens);
        match tokens.get(token) {
            None => return Err(Box::new(invalid_token())),
            Some(t) if inner.passed(t.expires) => return Err(Box::new(expired_token())),
            Some(t) if !t.app_keys.iter().any(|k| k == app_key) => {
                return Err(Box::new(errno(
                    10002,
                    format!(
                        "系统错误，appKey未找到 (pmAppKey {app_key:?} does not belong to this token)"
                    ),
                )));
            }
            Some(_) => {}
        }
    }
    inner
        .merchant(app_key)
        .ok_or_else(|| Box::new(errno(10002, "系统错误，appKey未找到")))
}
