//! Response helpers shared by every handler: JSON answers, Baidu's `errno` envelope, the API
//! gateway's `error_code` answers.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// `v` as a JSON answer with `status`.
pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// Success in Baidu's envelope.
pub(crate) fn ok(data: Value) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"errno": 0, "msg": "success", "data": data}),
    )
}

/// A business error in Baidu's envelope (HTTP 200, as the platform answers them).
pub(crate) fn errno(code: i64, msg: impl Into<String>) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"errno": code, "msg": msg.into(), "data": {}}),
    )
}

/// An answer of Baidu's API gateway itself (HTTP 200): `110` invalid token, `111` expired.
pub(crate) fn gateway_error(code: i64, msg: &str) -> Response {
    json_response(
        StatusCode::OK,
        &json!({"error_code": code, "error_msg": msg}),
    )
}

/// The gateway's answer to an unknown token.
pub(crate) fn invalid_token() -> Response {
    gateway_error(110, "Access token invalid or no longer valid")
}

/// The gateway's answer to an expired token.
pub(crate) fn expired_token() -> Response {
    gateway_error(111, "Access token expired")
}

/// An OAuth error (`/oauth/2.0/token`, `/rest/2.0/oauth/token`): `{"error", "error_description"}`
/// with `status`.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// A control-API error: `{"error": msg}` with `status`.
pub(crate) fn control_error(status: StatusCode, msg: impl Into<String>) -> Response {
    json_response(status, &json!({"error": msg.into()}))
}

/// A control-API 400.
pub(crate) fn bad_request(msg: impl Into<String>) -> Response {
    control_error(StatusCode::BAD_REQUEST, msg)
}

/// The answer to a request whose change could not be stored (HTTP 500): the sandbox
/// acknowledges nothing it did not store.
pub(crate) fn store_failed(why: &str) -> Response {
    control_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("sandbox database write failed, nothing was changed: {why}"),
    )
}

/// The platform API's answer (Baidu's envelope, errno 10000 系统错误) to a request whose
/// change could not be stored: nothing was changed, and the message names the cause.
pub(crate) fn not_stored(why: &str) -> Response {
    errno(
        10000,
        format!("系统错误 (sandbox database write failed, nothing was changed: {why})"),
    )
}

/// The `Ok` value of a `Result<T, Box<Response>>`, or returns the boxed answer.
macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return *r,
        }
    };
}

pub(crate) use or_return;
