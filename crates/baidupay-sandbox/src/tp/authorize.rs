//! The authorization of a mini program for a registered TP (§3.2 steps 4-6):
//! `POST /sandbox/tp/authorize` stands in for the administrator's consent page and pushes the
//! authorization event; `/rest/2.0/oauth/token` exchanges the authorization code, then the
//! single-use refresh tokens, for authorizer tokens; `DELETE /sandbox/tp/authorize/{app_id}`
//! revokes; `GET /sandbox/tp/apps/{app_id}` shows what reached the sandbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::callback::CallbackKind;
use crate::random;
use crate::request::{absolute_url, json_id, params};
use crate::respond::{bad_request, control_error, json_response, oauth_error};
use crate::state::Inner;
use crate::state::tp::{AuthCode, Chain, Platform, Program, Refresh, RefreshState};
use crate::sync::{Unpoisoned, lock};
use crate::time::beijing_time;
use crate::tp::common::{grant, push, withdraw};
use crate::tp::platform::tp_client;

/// How long an authorization code lives.
pub(crate) const AUTH_CODE_LIFETIME: Duration = Duration::from_secs(600);

/// An authorization event for `p`'s platform.
fn event(inner: &Inner, p: &Program, name: &str, code: Option<&str>) -> Value {
    let now = inner.now_unix();
    let mut v = json!({
        "appId": p.app_id,
        "tpAppId": p.tp_app_id,
        "eventTime": beijing_time(now),
        "event": name,
        "createTime": now,
    });
    if let Some(code) = code {
        v["authorizationCode"] = json!(code);
        v["authorizationCodeExpiresIn"] = json!(AUTH_CODE_LIFETIME.as_secs());
    }
    v
}

/// Pushes an authorization event (sealed) to the platform's `auth_event_url`.
fn push_event(inner: &Arc<Inner>, platform: &Platform, message: &Value) {
    push(
        inner,
        CallbackKind::TpAuthorization,
        platform.client_id.clone(),
        platform.auth_event_url.clone(),
        Some(platform),
        message,
    );
}

/// A refused authorization: 400 `{"error": why}`.
fn refused(why: &str) -> Response {
    bad_request(why)
}

/// `POST /sandbox/tp/authorize {"pre_auth_code", "app_id", "redirect_uri"}`: the
/// administrator consents; the code goes back in the redirect and in the event.
pub(crate) async fn authorize(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let pre_auth_code = v.get("pre_auth_code").and_then(Value::as_str);
    let redirect_uri = v
        .get("redirect_uri")
        .and_then(Value::as_str)
        .filter(|u| absolute_url(u));
    let (Some(pre_auth_code), Some(app_id), Some(redirect_uri)) =
        (pre_auth_code, json_id(&v, "app_id"), redirect_uri)
    else {
        return bad_request(
            "pre_auth_code, app_id (a number) and redirect_uri (an absolute http(s) URL) are required",
        );
    };
    let code = random::hex128();
    let (program, platform, name) = {
        let mut chain = lock(&inner.tp.chain);
        let Some(pre) = chain.pre_auth_codes.get(pre_auth_code) else {
            return refused("unknown pre_auth_code");
        };
        if pre.used {
            return refused("pre_auth_code already used");
        }
        if inner.passed(pre.expires) {
            return refused("pre_auth_code expired (it lives 1200 s)");
        }
        let client_id = pre.client_id.clone();
        let Some(platform) = inner.tp.platform(&client_id) else {
            return refused("the platform of this pre_auth_code is gone");
        };
        let (program, name) = {
            let mut programs = inner.tp.programs.write_or_recover();
            match programs.get(&app_id) {
                Some(p)
                    if p.platform
                        .as_ref()
                        .is_some_and(|x| x.client_id == client_id) =>
                {
                    (p.clone(), "UPDATE_AUTHORIZED")
                }
                Some(_) => {
                    return control_error(
                        StatusCode::CONFLICT,
                        format!("mini program {app_id} is authorized for another TP"),
                    );
                }
                None => {
                    let p = Arc::new(Program {
                        app_id,
                        tp_app_id: platform.tp_app_id,
                        event_url: platform.event_url.clone(),
                        platform: Some(platform.clone()),
                        token: Mutex::default(),
                        state: Mutex::default(),
                    });
                    programs.insert(app_id, p.clone());
                    (p, "AUTHORIZED")
                }
            }
        };
        if let Some(pre) = chain.pre_auth_codes.get_mut(pre_auth_code) {
            pre.used = true;
        }
        chain.codes.insert(
            code.clone(),
            AuthCode {
                client_id,
                app_id,
                expires: inner.deadline(AUTH_CODE_LIFETIME),
                used: false,
            },
        );
        (program, platform, name)
    };
    push_event(
        &inner,
        &platform,
        &event(&inner, &program, name, Some(&code)),
    );
    let expires_in = AUTH_CODE_LIFETIME.as_secs();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    json_response(
        StatusCode::OK,
        &json!({
            "redirect": format!("{redirect_uri}{separator}authorization_code={code}&expires_in={expires_in}"),
            "authorization_code": code,
            "expires_in": expires_in,
            "event": name,
        }),
    )
}

/// `DELETE /sandbox/tp/authorize/{app_id}`: the administrator revokes the TP's authorization:
/// its tokens stop working, its refresh tokens are refused, `UNAUTHORIZED` is pushed.
pub(crate) async fn revoke(State(inner): State<Arc<Inner>>, Path(app_id): Path<u64>) -> Response {
    let program = {
        let mut chain = lock(&inner.tp.chain);
        let mut programs = inner.tp.programs.write_or_recover();
        let Some(p) = programs
            .get(&app_id)
            .filter(|p| p.platform.is_some())
            .cloned()
        else {
            return control_error(
                StatusCode::NOT_FOUND,
                format!("mini program {app_id} is not authorized for a registered platform"),
            );
        };
        programs.remove(&app_id);
        retire_refresh_tokens(&mut chain, app_id);
        p
    };
    withdraw(&inner, &program);
    if let Some(platform) = &program.platform {
        push_event(
            &inner,
            platform,
            &event(&inner, &program, "UNAUTHORIZED", None),
        );
    }
    json_response(
        StatusCode::OK,
        &json!({"app_id": app_id, "event": "UNAUTHORIZED"}),
    )
}

/// The refresh tokens of `app_id` not yet used can no longer be.
fn retire_refresh_tokens(chain: &mut Chain, app_id: u64) {
    for r in chain
        .refresh_tokens
        .values_mut()
        .filter(|r| r.app_id == app_id && r.state == RefreshState::Live)
    {
        r.state = RefreshState::Revoked;
    }
}

/// `invalid_grant` (HTTP 400) saying why.
fn invalid_grant(why: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", why)
}

/// `GET /rest/2.0/oauth/token?access_token=<TP token>&grant_type=app_to_tp_authorization_code
/// &code=` or `...&grant_type=app_to_tp_refresh_token&refresh_token=`: a new authorizer pair
/// `{"access_token", "refresh_token", "expires_in"}`; the previous access token stops working
/// and the previous refresh token can no longer be used.
pub(crate) async fn oauth_token(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), None);
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    let mut chain = lock(&inner.tp.chain);
    let client_id = match tp_client(&inner, &chain, get("access_token")) {
        Ok(c) => c,
        Err(refused) => return *refused,
    };
    let app_id = match get("grant_type") {
        "app_to_tp_authorization_code" => {
            match redeem_code(&inner, &mut chain, &client_id, get("code")) {
                Ok(app_id) => app_id,
                Err(why) => return invalid_grant(why),
            }
        }
        "app_to_tp_refresh_token" => {
            match redeem_refresh(&mut chain, &client_id, get("refresh_token")) {
                Ok(app_id) => app_id,
                Err(why) => return invalid_grant(why),
            }
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be app_to_tp_authorization_code or app_to_tp_refresh_token",
            );
        }
    };
    let Some(program) = inner.tp.programs.read_or_recover().get(&app_id).cloned() else {
        return invalid_grant("the authorization was revoked");
    };
    retire_refresh_tokens(&mut chain, app_id);
    let lifetime = inner.config.tp_authorizer_token_lifetime;
    let access = grant(&inner, &program, lifetime);
    let refresh = random::token("46");
    chain.refresh_tokens.insert(
        refresh.clone(),
        Refresh {
            client_id,
            app_id,
            state: RefreshState::Live,
        },
    );
    drop(chain);
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": access.expose(),
            "refresh_token": refresh,
            "expires_in": lifetime.as_secs(),
        }),
    )
}

/// Uses the authorization code `code` of `client_id`; the mini program it authorizes.
fn redeem_code(
    inner: &Inner,
    chain: &mut Chain,
    client_id: &str,
    code: &str,
) -> Result<u64, &'static str> {
    let Some(c) = chain.codes.get_mut(code) else {
        return Err("unknown authorization code");
    };
    if c.client_id != client_id {
        return Err("authorization code issued to another third-party platform");
    }
    if c.used {
        return Err("authorization code already used");
    }
    if inner.passed(c.expires) {
        return Err("authorization code expired");
    }
    c.used = true;
    let app_id = c.app_id;
    chain.counts_mut(app_id).code_exchanges += 1;
    Ok(app_id)
}

/// Uses the refresh token `token` of `client_id`; the mini program it refreshes. A second
/// presentation is refused and counted.
fn redeem_refresh(chain: &mut Chain, client_id: &str, token: &str) -> Result<u64, &'static str> {
    let Some(r) = chain.refresh_tokens.get_mut(token) else {
        return Err("unknown refresh token");
    };
    if r.client_id != client_id {
        return Err("refresh token issued to another third-party platform");
    }
    let app_id = r.app_id;
    match r.state {
        RefreshState::Used => {
            chain.counts_mut(app_id).refresh_reuses += 1;
            Err("refresh token already used")
        }
        RefreshState::Revoked => Err("refresh token revoked (superseded or unauthorized)"),
        RefreshState::Live => {
            r.state = RefreshState::Used;
            chain.counts_mut(app_id).refreshes += 1;
            Ok(app_id)
        }
    }
}

/// `GET /sandbox/tp/apps/{app_id}`: a mini program's authorization and what reached the
/// sandbox for it (code exchanges, refreshes, refused refresh-token reuses).
pub(crate) async fn show_app(State(inner): State<Arc<Inner>>, Path(app_id): Path<u64>) -> Response {
    let counts = lock(&inner.tp.chain).counts.get(&app_id).copied();
    let program = inner.tp.programs.read_or_recover().get(&app_id).cloned();
    if program.is_none() && counts.is_none() {
        return control_error(StatusCode::NOT_FOUND, format!("no mini program {app_id}"));
    }
    let mut v = serde_json::to_value(counts.unwrap_or_default()).unwrap_or(Value::Null);
    v["app_id"] = json!(app_id);
    v["authorized"] = json!(program.is_some());
    if let Some(p) = &program {
        v["tp_app_id"] = json!(p.tp_app_id);
        v["client_id"] = json!(p.platform.as_ref().map(|x| x.client_id.clone()));
    }
    json_response(StatusCode::OK, &v)
}
