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
use baidupay_model::Secret;
use serde_json::{Value, json};

use crate::callback::CallbackKind;
use crate::random;
use crate::request::{absolute_url, json_id, params};
use crate::respond::{bad_request, control_error, json_response, oauth_error, store_failed};
use crate::state::Inner;
use crate::state::tp::{
    AuthCode, Chain, Issued, Onboarding, Platform, Program, Refresh, RefreshState,
};
use crate::store::{Change, CodeRow, IssuedKind, OwedRow, RefreshRow};
use crate::sync::{Unpoisoned, lock};
use crate::time::beijing_time;
use crate::tp::common::{install, new_grant, owe, program_row, send, withdraw};
use crate::tp::platform::{issued_row, tp_client};

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

/// An authorization event (sealed) for the platform's `auth_event_url`, owed until
/// acknowledged.
fn owe_event(inner: &Inner, platform: &Platform, message: &Value) -> Option<OwedRow> {
    owe(
        inner,
        CallbackKind::TpAuthorization,
        platform.client_id.clone(),
        platform.auth_event_url.clone(),
        Some(platform),
        message,
    )
}

/// An authorization code as stored.
fn code_row(inner: &Inner, code: &str, c: &AuthCode) -> Change {
    Change::Code(CodeRow {
        code: Secret::new(code),
        client_id: c.client_id.clone(),
        app_id: c.app_id,
        expires_at: inner.unix_at(c.expires),
        used: c.used,
    })
}

/// A refresh token as stored.
fn refresh_row(token: &str, r: &Refresh) -> Change {
    Change::Refresh(RefreshRow {
        token: Secret::new(token),
        client_id: r.client_id.clone(),
        app_id: r.app_id,
        state: r.state.name().to_owned(),
    })
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
    let (name, owed) = {
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
        let used = Issued {
            client_id: pre.client_id.clone(),
            expires: pre.expires,
            used: true,
        };
        let client_id = used.client_id.clone();
        let Some(platform) = inner.tp.platform(&client_id) else {
            return refused("the platform of this pre_auth_code is gone");
        };
        let mut programs = inner.tp.programs.write_or_recover();
        let (program, name, new) = match programs.get(&app_id) {
            Some(p)
                if p.platform
                    .as_ref()
                    .is_some_and(|x| x.client_id == client_id) =>
            {
                (p.clone(), "UPDATE_AUTHORIZED", false)
            }
            Some(_) => {
                return control_error(
                    StatusCode::CONFLICT,
                    format!("mini program {app_id} is authorized for another TP"),
                );
            }
            None => (
                Arc::new(Program {
                    app_id,
                    tp_app_id: platform.tp_app_id,
                    event_url: platform.event_url.clone(),
                    platform: Some(platform.clone()),
                    token: Mutex::default(),
                    state: Mutex::default(),
                }),
                "AUTHORIZED",
                true,
            ),
        };
        let auth = AuthCode {
            client_id,
            app_id,
            expires: inner.deadline(AUTH_CODE_LIFETIME),
            used: false,
        };
        let owed = owe_event(
            &inner,
            &platform,
            &event(&inner, &program, name, Some(&code)),
        );
        let mut changes = vec![
            issued_row(&inner, IssuedKind::PreAuthCode, pre_auth_code, &used),
            code_row(&inner, &code, &auth),
        ];
        if new {
            match program_row(
                &inner,
                &program,
                &Onboarding::default(),
                &Secret::default(),
                None,
            ) {
                Ok(row) => changes.push(row),
                Err(e) => return store_failed(&e),
            }
        }
        changes.extend(owed.clone().map(Change::Owed));
        if let Err(e) = inner.store(&changes) {
            return store_failed(&e);
        }
        if new {
            programs.insert(app_id, program);
        }
        chain.pre_auth_codes.insert(pre_auth_code.to_owned(), used);
        chain.codes.insert(code.clone(), auth);
        (name, owed)
    };
    send(&inner, owed);
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
    let (program, owed) = {
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
        let owed = p
            .platform
            .as_deref()
            .and_then(|x| owe_event(&inner, x, &event(&inner, &p, "UNAUTHORIZED", None)));
        let mut changes = vec![Change::ProgramGone(app_id), Change::RetireRefresh(app_id)];
        changes.extend(owed.clone().map(Change::Owed));
        if let Err(e) = inner.store(&changes) {
            return store_failed(&e);
        }
        programs.remove(&app_id);
        retire_refresh_tokens(&mut chain, app_id);
        (p, owed)
    };
    withdraw(&inner, &program);
    send(&inner, owed);
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
    let (app_id, by_code) = match get("grant_type") {
        "app_to_tp_authorization_code" => {
            match check_code(&inner, &chain, &client_id, get("code")) {
                Ok(app_id) => (app_id, true),
                Err(why) => return invalid_grant(why),
            }
        }
        "app_to_tp_refresh_token" => {
            match check_refresh(&chain, &client_id, get("refresh_token")) {
                Ok(app_id) => (app_id, false),
                Err(Refused::Reused(app_id)) => {
                    let mut counts = chain.counts.get(&app_id).copied().unwrap_or_default();
                    counts.refresh_reuses += 1;
                    if let Err(e) = inner.store(&[Change::Counts(app_id, counts)]) {
                        return store_failed(&e);
                    }
                    chain.counts.insert(app_id, counts);
                    return invalid_grant("refresh token already used");
                }
                Err(Refused::Why(why)) => return invalid_grant(why),
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
    // what the exchange changes, stored before it is made
    let presented = if by_code {
        chain.codes.get(get("code")).map(|c| {
            code_row(
                &inner,
                get("code"),
                &AuthCode {
                    used: true,
                    client_id: c.client_id.clone(),
                    ..*c
                },
            )
        })
    } else {
        chain.refresh_tokens.get(get("refresh_token")).map(|r| {
            refresh_row(
                get("refresh_token"),
                &Refresh {
                    state: RefreshState::Used,
                    client_id: r.client_id.clone(),
                    ..*r
                },
            )
        })
    };
    let mut counts = chain.counts.get(&app_id).copied().unwrap_or_default();
    if by_code {
        counts.code_exchanges += 1;
    } else {
        counts.refreshes += 1;
    }
    let lifetime = inner.config.tp_authorizer_token_lifetime;
    let (access, expires) = new_grant(&inner, lifetime);
    let refresh = random::token("46");
    let fresh = Refresh {
        client_id,
        app_id,
        state: RefreshState::Live,
    };
    let state = lock(&program.state);
    let row = match program_row(&inner, &program, &state, &access, Some(expires)) {
        Ok(row) => row,
        Err(e) => return store_failed(&e),
    };
    let mut changes: Vec<Change> = presented.into_iter().collect();
    changes.extend([
        Change::Counts(app_id, counts),
        Change::RetireRefresh(app_id),
        row,
        refresh_row(&refresh, &fresh),
    ]);
    if let Err(e) = inner.store(&changes) {
        return store_failed(&e);
    }
    if by_code {
        if let Some(c) = chain.codes.get_mut(get("code")) {
            c.used = true;
        }
    } else if let Some(r) = chain.refresh_tokens.get_mut(get("refresh_token")) {
        r.state = RefreshState::Used;
    }
    chain.counts.insert(app_id, counts);
    retire_refresh_tokens(&mut chain, app_id);
    install(&inner, &program, &state, &access, expires);
    drop(state);
    chain.refresh_tokens.insert(refresh.clone(), fresh);
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

/// The mini program the authorization code `code` of `client_id` authorizes, if it may be
/// exchanged.
fn check_code(
    inner: &Inner,
    chain: &Chain,
    client_id: &str,
    code: &str,
) -> Result<u64, &'static str> {
    let Some(c) = chain.codes.get(code) else {
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
    Ok(c.app_id)
}

/// Why a refresh token is refused.
enum Refused {
    /// Presented a second time (counted for the mini program).
    Reused(u64),
    Why(&'static str),
}

/// The mini program the refresh token `token` of `client_id` refreshes, if it may be used.
fn check_refresh(chain: &Chain, client_id: &str, token: &str) -> Result<u64, Refused> {
    let Some(r) = chain.refresh_tokens.get(token) else {
        return Err(Refused::Why("unknown refresh token"));
    };
    if r.client_id != client_id {
        return Err(Refused::Why(
            "refresh token issued to another third-party platform",
        ));
    }
    match r.state {
        RefreshState::Used => Err(Refused::Reused(r.app_id)),
        RefreshState::Revoked => Err(Refused::Why(
            "refresh token revoked (superseded or unauthorized)",
        )),
        RefreshState::Live => Ok(r.app_id),
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
