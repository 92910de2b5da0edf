//! What the TP endpoints share: the mini program of an authorizer token, parameter checks, and
//! the TP error answers, whose codes and messages come from the model's [`TpErrorCode`] table.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use baidupay_model::tp::TpErrorCode;

use crate::request::{Params, params};
use crate::respond::{errno, invalid_token};
use crate::state::Inner;
use crate::state::tp::Program;
use crate::sync::Unpoisoned;

/// The platform's message for `code`: the Chinese text of the model's description (which
/// adds an English gloss in parentheses), as the platform sends it in `msg`.
fn message(code: TpErrorCode) -> &'static str {
    code.description().map_or("", |d| {
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

/// The mini program of an authorizer token.
pub(crate) fn program(
    inner: &Inner,
    p: &HashMap<String, String>,
) -> Result<Arc<Program>, Box<Response>> {
    let token = p.get("access_token").map(String::as_str).unwrap_or("");
    let app_id = inner.tp.by_token.read_or_recover().get(token).copied();
    let found = app_id.and_then(|id| inner.tp.programs.read_or_recover().get(&id).cloned());
    found.ok_or_else(|| Box::new(invalid_token()))
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

/// 60000 for the first of `names` missing or empty.
pub(crate) fn missing(p: &HashMap<String, String>, names: &[&str]) -> Option<Response> {
    names
        .iter()
        .find(|n| p.get(**n).is_none_or(String::is_empty))
        .map(|n| tp_invalid(&format!("{n} 不能为空")))
}

/// The parameters `names` of `p` that are present.
pub(crate) fn keep(p: &HashMap<String, String>, names: &[&str]) -> HashMap<String, String> {
    names
        .iter()
        .filter_map(|n| p.get(*n).map(|v| ((*n).to_owned(), v.clone())))
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
