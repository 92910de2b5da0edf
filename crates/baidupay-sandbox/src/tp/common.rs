//! What the TP endpoints share: the mini program of an authorizer token and the granting of
//! one, the sealed pushes to a TP, parameter checks, and the TP error answers, whose codes and
//! messages come from the model's [`TpErrorCode`] table.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::response::Response;
use baidupay_model::Secret;
use baidupay_model::tp::TpErrorCode;
use baidupay_model::tp::rules::{FieldRule, check};
use serde_json::Value;

use crate::callback::CallbackKind;
use crate::deliver;
use crate::random;
use crate::request::{Params, params};
use crate::respond::{errno, expired_token, invalid_token};
use crate::state::tp::{Authorizer, Onboarding, Platform, Program};
use crate::state::{Inner, Token};
use crate::store::{Change, OwedRow, ProgramRow};
use crate::sync::{Unpoisoned, lock};

/// The platform's message for `code`: the Chinese text of the model's description (which
/// adds an English gloss in parentheses), as the platform sends it in `msg`.
pub(crate) fn message(code: TpErrorCode) -> &'static str {
    platform_text(code.description())
}

/// The platform's part of a code table's description: the text before its English gloss.
pub(crate) fn platform_text(description: Option<&'static str>) -> &'static str {
    description.map_or("", |d| {
        d.split_once(" (").map_or(d, |(platform, _)| platform)
    })
}

/// The TP error `code` in Baidu's envelope, with the platform's message.
pub(crate) fn tp_error(code: TpErrorCode) -> Response {
    errno(code.code(), message(code))
}

/// 60000 (parameter error), saying which parameter and why.
pub(crate) fn tp_invalid(detail: &str) -> Response {
    let code = TpErrorCode::InvalidParameter;
    errno(code.code(), format!("{}: {detail}", message(code)))
}

/// The mini program of an authorizer token: the gateway's 110 for an unknown (or replaced)
/// token, 111 for an expired one.
pub(crate) fn program(
    inner: &Inner,
    p: &HashMap<String, String>,
) -> Result<Arc<Program>, Box<Response>> {
    let token = p.get("access_token").map(String::as_str).unwrap_or("");
    let grant = inner.tp.by_token.read_or_recover().get(token).copied();
    let Some(grant) = grant else {
        return Err(Box::new(invalid_token()));
    };
    if inner.passed(grant.expires) {
        return Err(Box::new(expired_token()));
    }
    let found = inner
        .tp
        .programs
        .read_or_recover()
        .get(&grant.app_id)
        .cloned();
    found.ok_or_else(|| Box::new(invalid_token()))
}

/// A fresh authorizer access token living `lifetime`, and when it expires.
pub(crate) fn new_grant(inner: &Inner, lifetime: Duration) -> (Secret, Instant) {
    (Secret::new(random::token("45")), inner.deadline(lifetime))
}

/// Gives `p` (whose state `state` the caller holds) the authorizer access token `token`,
/// stored before; the one it had stops working. It calls the onboarding APIs and, once the
/// payment service is open, the `/tp/` pay APIs.
pub(crate) fn install(
    inner: &Inner,
    p: &Program,
    state: &Onboarding,
    token: &Secret,
    expires: Instant,
) {
    // lock order as `open_service`: the program's state (held), its token, then the token maps
    let mut current = lock(&p.token);
    let old = std::mem::replace(&mut *current, token.clone());
    {
        let mut tokens = lock(&inner.tokens);
        tokens.remove(old.expose());
        tokens.insert(
            token.expose().to_owned(),
            Token {
                app_keys: state.pm_app_key.iter().cloned().collect(),
                expires,
            },
        );
    }
    let mut by_token = inner.tp.by_token.write_or_recover();
    by_token.remove(old.expose());
    by_token.insert(
        token.expose().to_owned(),
        Authorizer {
            app_id: p.app_id,
            expires,
        },
    );
}

/// `p` as stored, with `state` (the caller holds it) and the authorizer token `token`
/// expiring at `expires`.
pub(crate) fn program_row(
    inner: &Inner,
    p: &Program,
    state: &Onboarding,
    token: &Secret,
    expires: Option<Instant>,
) -> Result<Change, String> {
    let onboarding =
        serde_json::to_string(state).map_err(|e| format!("the onboarding state: {e}"))?;
    Ok(Change::Program(ProgramRow {
        app_id: p.app_id,
        tp_app_id: p.tp_app_id,
        event_url: p.event_url.clone(),
        client_id: p.platform.as_ref().map(|x| x.client_id.clone()),
        token: token.clone(),
        token_expires_at: expires.map(|e| inner.unix_at(e)),
        onboarding,
    }))
}

/// `p` as stored with its current token and `state` (the caller holds it).
pub(crate) fn current_row(
    inner: &Inner,
    p: &Program,
    state: &Onboarding,
) -> Result<Change, String> {
    let token = lock(&p.token).clone();
    let expires = inner
        .tp
        .by_token
        .read_or_recover()
        .get(token.expose())
        .map(|a| a.expires);
    program_row(inner, p, state, &token, expires)
}

/// Takes the authorizer access token of `p` away (its authorization was revoked).
pub(crate) fn withdraw(inner: &Inner, p: &Program) {
    let old = std::mem::take(&mut *lock(&p.token));
    lock(&inner.tokens).remove(old.expose());
    inner.tp.by_token.write_or_recover().remove(old.expose());
}

/// `message` sealed with `platform`'s keys as the envelope JSON the platform POSTs; none (and
/// an error logged) when the system has no randomness to give.
pub(crate) fn sealed(inner: &Inner, platform: &Platform, message: &Value) -> Option<String> {
    match platform
        .keys
        .seal_random(message.to_string().as_bytes(), inner.now_unix())
    {
        Ok(envelope) => Some(envelope.to_json()),
        Err(e) => {
            tracing::error!(error = %e, "sandbox could not seal a TP event");
            None
        }
    }
}

/// `message` for `url`, owed until acknowledged (store it with the change that caused it,
/// then [`send`] it): sealed with the keys of `platform`, or plain JSON (unauthenticated)
/// without one; none when it cannot be sealed (logged).
pub(crate) fn owe(
    inner: &Inner,
    kind: CallbackKind,
    key: String,
    url: String,
    platform: Option<&Platform>,
    message: &Value,
) -> Option<OwedRow> {
    let body = match platform {
        Some(platform) => sealed(inner, platform, message)?,
        None => message.to_string(),
    };
    Some(deliver::owed(inner, kind, key, url, body))
}

/// Sends `owed` (stored) in the background, retried until `success`.
pub(crate) fn send(inner: &Arc<Inner>, owed: Option<OwedRow>) {
    if let Some(o) = owed {
        tokio::spawn(deliver::send_owed(inner.clone(), o));
    }
}

/// The parameters of a TP call (query, and form `body` for POST) and the mini program of its
/// authorizer token.
pub(crate) fn authorized(
    inner: &Inner,
    query: Option<&str>,
    body: Option<&[u8]>,
) -> Result<(Params, Arc<Program>), Box<Response>> {
    let p = params(query, body);
    let program = program(inner, &p)?;
    Ok((p, program))
}

/// The answer to a form that breaks `rules` (the model's table, the one the client checks
/// before sending): 60020 for an empty body, else the broken rule's code with the seed's
/// wording; `None` when the form holds.
pub(crate) fn refused(
    p: &HashMap<String, String>,
    body: &[u8],
    rules: &'static [FieldRule],
) -> Option<Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(tp_error(TpErrorCode::EmptyBody));
    }
    check(rules, |f| p.get(f).map(String::as_str))
        .err()
        .map(|v| errno(v.rule.code.code(), v.rule.platform_message()))
}

/// The parameters of `p` that `rules` name (the form's fields), where present.
pub(crate) fn keep(p: &HashMap<String, String>, rules: &[FieldRule]) -> HashMap<String, String> {
    rules
        .iter()
        .filter_map(|r| p.get(r.field).map(|v| (r.field.to_owned(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_the_platform_text_of_the_model_table() {
        for &code in TpErrorCode::KNOWN {
            let m = message(code);
            assert!(!m.is_empty(), "{code}");
            assert!(!m.contains('('), "{code}: {m}");
            assert!(
                code.description().is_some_and(|d| d.starts_with(m)),
                "{code}: {m}"
            );
        }
        assert_eq!(message(TpErrorCode::Unknown(1)), "");
    }
}
