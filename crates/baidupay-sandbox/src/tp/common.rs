//! What the TP endpoints share: the mini program of an authorizer token and the granting of
//! one, the sealed pushes to a TP, parameter checks, and the TP error answers, whose codes and
//! messages come from the model's [`TpErrorCode`] table.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

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
use crate::state::tp::{Authorizer, Platform, Program};
use crate::state::{Inner, Token};
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

/// Gives `p` a fresh authorizer access token living `lifetime`; the one it had stops working.
/// It calls the onboarding APIs and, once the payment service is open, the `/tp/` pay APIs.
pub(crate) fn grant(inner: &Inner, p: &Program, lifetime: Duration) -> Secret {
    let token = Secret::new(random::token("45"));
    let expires = inner.deadline(lifetime);
    // lock order as `open_service`: the program's state, its token, then the token maps
    let state = lock(&p.state);
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
    token
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

/// Sends `message` to `url` in the background, retried until `success`: sealed with the keys
/// of `platform`, or plain JSON (unauthenticated) without one.
pub(crate) fn push(
    inner: &Arc<Inner>,
    kind: CallbackKind,
    key: String,
    url: String,
    platform: Option<&Platform>,
    message: &Value,
) {
    let body = match platform {
        Some(platform) => sealed(inner, platform, message),
        None => Some(message.to_string()),
    };
    if let Some(body) = body {
        tokio::spawn(deliver::deliver(inner.clone(), kind, key, url, body));
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
