//! The gateway's answers, before and after they are laid out and signed, and the
//! `biz_content` fields they are made from.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use baidupay_crypto::{Algorithm, Signer};
use baidupay_model::alipay::SubCode;
use serde_json::{Value, json};

use crate::state::Inner;

/// An answer of the gateway, before it is laid out and signed.
pub(crate) enum Answer {
    /// `code` 10000 with these fields.
    Success(Value),
    /// Any other `code` (`40002`, `40004`, ...).
    Failure {
        code: &'static str,
        msg: &'static str,
        sub_code: String,
        sub_msg: String,
    },
}

pub(crate) fn business(sub_code: &str) -> Answer {
    let sub_msg = SubCode::from_code(sub_code)
        .description()
        .unwrap_or("业务处理失败")
        .to_owned();
    Answer::Failure {
        code: "40004",
        msg: "Business Failed",
        sub_code: sub_code.to_owned(),
        sub_msg,
    }
}

pub(crate) fn invalid_parameter(detail: impl Into<String>) -> Answer {
    Answer::Failure {
        code: "40004",
        msg: "Business Failed",
        sub_code: "ACQ.INVALID_PARAMETER".to_owned(),
        sub_msg: format!("参数无效: {}", detail.into()),
    }
}

pub(crate) fn invalid_arguments(sub_code: &str, sub_msg: impl Into<String>) -> Answer {
    Answer::Failure {
        code: "40002",
        msg: "Invalid Arguments",
        sub_code: sub_code.to_owned(),
        sub_msg: sub_msg.into(),
    }
}

/// The gateway's system error (`20000`, `isp.unknow-error`), for a change the sandbox could
/// not store: nothing was changed, the request may be sent again.
pub(crate) fn not_stored(why: &str) -> Answer {
    Answer::Failure {
        code: "20000",
        msg: "Service Currently Unavailable",
        sub_code: "isp.unknow-error".to_owned(),
        sub_msg: format!("系统繁忙 (sandbox database write failed, nothing was changed: {why})"),
    }
}

/// How the gateway signs its answer: as the request was signed (`sign_type=RSA`: SHA1withRSA,
/// `RSA2`: SHA256withRSA), with the same Alipay key; RSA2 when the request names neither.
pub(crate) fn answer_algorithm(sign_type: Option<&str>) -> Algorithm {
    match sign_type {
        Some("RSA") => Algorithm::RsaSha1,
        _ => Algorithm::RsaSha256,
    }
}

/// Lays the answer out under `key` and signs the exact bytes of its value with `algorithm`.
pub(crate) fn respond(inner: &Inner, key: &str, answer: Answer, algorithm: Algorithm) -> Response {
    let value = match answer {
        Answer::Success(mut fields) => {
            let mut v = json!({"code": "10000", "msg": "Success"});
            if let (Some(o), Some(extra)) = (v.as_object_mut(), fields.as_object_mut()) {
                o.append(extra);
            }
            v
        }
        Answer::Failure {
            code,
            msg,
            sub_code,
            sub_msg,
        } => json!({"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}),
    };
    let raw = value.to_string();
    // cannot fail with a loaded key; an unsigned answer is refused by any client, and logged
    let signer = &inner.alipay.signer;
    let sign = if signer.algorithm() == algorithm {
        signer.sign_base64(raw.as_bytes())
    } else {
        Signer::new(signer.key().clone(), algorithm).sign_base64(raw.as_bytes())
    };
    let sign = sign.unwrap_or_else(|e| {
        tracing::error!(error = %e, "sandbox could not sign a gateway answer");
        String::new()
    });
    let body = format!(
        "{{{}:{raw},\"sign\":{}}}",
        Value::String(key.to_owned()),
        Value::String(sign)
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json;charset=utf-8")],
        body,
    )
        .into_response()
}

pub(crate) fn text(biz: &Value, k: &str) -> Option<String> {
    match biz.get(k)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
