//! `POST /gateway.do`: requests verified as the real gateway verifies them, then answered by
//! the trade and bill methods.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use baidupay_crypto::{Algorithm, Rules, Verifier, canonical_string, form};
use serde_json::Value;

use crate::alipay::answer::{Answer, answer_algorithm, invalid_arguments, respond};
use crate::alipay::bill::bill_url;
use crate::alipay::trade::{close, create, query, refund, refund_query};
use crate::state::Inner;

/// `yyyy-MM-dd HH:mm:ss`, as the gateway wants `timestamp`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// `&` and the other HTML specials as the gateway escapes them in `sub_msg`.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Every parameter of the query and of the form, each decoded once, and each name once: the
/// same name in both with the same value is one parameter (gopay puts `charset` in both, other
/// SDKs repeat more); with different values it is refused, as it would be ambiguous which one
/// was signed (`参数{name}重复`, the name of the first one).
fn parameters(query: &[u8], body: &[u8]) -> Result<Vec<(String, String)>, Answer> {
    let mut params: Vec<(String, String)> = Vec::new();
    for source in [query, body] {
        let pairs = form::parse(source).map_err(|e| {
            invalid_arguments("isv.invalid-parameter", format!("参数格式错误: {e}"))
        })?;
        for (k, v) in pairs {
            match params.iter().find(|(n, _)| *n == k) {
                Some((_, seen)) if *seen == v => {}
                Some(_) => {
                    return Err(invalid_arguments(
                        "isv.invalid-parameter",
                        format!("参数{k}重复"),
                    ));
                }
                None => params.push((k, v)),
            }
        }
    }
    Ok(params)
}

/// `GET` (everything in the query, as some SDKs send it) and `POST` (common parameters in the
/// query and `biz_content` in the form, as the official SDKs; or everything in the form; or
/// both) are one request to the gateway.
pub(crate) async fn gateway(
    State(inner): State<Arc<Inner>>,
    RawQuery(raw_query): RawQuery,
    body: Bytes,
) -> Response {
    let params = match parameters(raw_query.as_deref().unwrap_or("").as_bytes(), &body) {
        Ok(p) => p,
        Err(refused) => {
            return respond(&inner, "error_response", refused, Algorithm::RsaSha256);
        }
    };
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let signed_with = answer_algorithm(get("sign_type"));
    let reply = |key: &str, answer: Answer| respond(&inner, key, answer, signed_with);
    let method = get("method").unwrap_or("");
    let key = if method.is_empty() {
        "error_response".to_owned()
    } else {
        format!("{}_response", method.replace('.', "_"))
    };
    for (name, sub) in [
        ("method", "isv.missing-method"),
        ("app_id", "isv.missing-app-id"),
        ("sign_type", "isv.missing-signature-type"),
        ("sign", "isv.missing-signature"),
        ("timestamp", "isv.missing-timestamp"),
        ("version", "isv.missing-version"),
    ] {
        if get(name).is_none() {
            return reply(
                &key,
                Answer::Failure {
                    code: "40001",
                    msg: "Missing Required Arguments",
                    sub_code: sub.to_owned(),
                    sub_msg: format!("缺少{name}参数"),
                },
            );
        }
    }
    let app_id = get("app_id").unwrap_or("");
    let Some(app) = inner.alipay.app(app_id) else {
        return reply(
            &key,
            invalid_arguments("isv.invalid-app-id", "无效的AppID参数"),
        );
    };
    let algorithm = match get("sign_type") {
        Some("RSA2") => Algorithm::RsaSha256,
        Some("RSA") => Algorithm::RsaSha1,
        _ => {
            return reply(
                &key,
                invalid_arguments("isv.invalid-signature-type", "无效的签名类型"),
            );
        }
    };
    if get("charset").is_some_and(|c| !c.eq_ignore_ascii_case("utf-8")) {
        return reply(
            &key,
            invalid_arguments(
                "isv.invalid-charset",
                "字符集错误 (the sandbox speaks utf-8)",
            ),
        );
    }
    let signed = canonical_string(
        Rules::Alipay,
        params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let verified = signed.as_ref().is_ok_and(|s| {
        Verifier::new(app.key.clone(), algorithm)
            .verify_base64(s.as_bytes(), get("sign").unwrap_or(""))
            .is_ok()
    });
    if !verified {
        return reply(
            &key,
            invalid_arguments(
                "isv.invalid-signature",
                format!(
                    "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：{}",
                    html_escape(signed.as_deref().unwrap_or(""))
                ),
            ),
        );
    }
    if get("timestamp").is_some_and(|t| !is_timestamp(t)) {
        return reply(
            &key,
            invalid_arguments(
                "isv.invalid-timestamp",
                "非法的时间戳参数 (yyyy-MM-dd HH:mm:ss)",
            ),
        );
    }
    let biz: Value = match get("biz_content") {
        None => Value::Object(serde_json::Map::new()),
        Some(text) => match serde_json::from_str(text) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return reply(
                    &key,
                    invalid_arguments("isv.invalid-parameter", "biz_content不是合法的JSON对象"),
                );
            }
        },
    };
    let notify_url = get("notify_url").map(str::to_owned);
    let answer = match method {
        "alipay.trade.create" => create(&inner, &app, &biz, notify_url),
        "alipay.trade.query" => query(&app, &biz),
        "alipay.trade.close" => close(&inner, &app, &biz),
        "alipay.trade.refund" => refund(&inner, &app, &biz),
        "alipay.trade.fastpay.refund.query" => refund_query(&app, &biz),
        "alipay.data.dataservice.bill.downloadurl.query" => bill_url(&inner, &app, &biz),
        _ => invalid_arguments("isv.invalid-method", "不存在的方法名"),
    };
    reply(&key, answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_escapes_as_the_gateway() {
        assert_eq!(html_escape("a=1&b=<2>"), "a=1&amp;b=&lt;2&gt;");
        assert!(is_timestamp("2024-05-13 17:49:20"));
        assert!(!is_timestamp("2024-05-13T17:49:20"));
        assert!(!is_timestamp("2024-5-13 17:49:20"));
    }

    #[test]
    fn a_parameter_repeated_with_its_value_is_one_and_with_another_is_refused() {
        let Ok(p) = parameters(
            b"charset=utf-8&method=m",
            b"charset=utf-8&biz_content=%7B%7D",
        ) else {
            panic!("the same value twice was refused");
        };
        assert_eq!(
            p,
            [("charset", "utf-8"), ("method", "m"), ("biz_content", "{}")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        match parameters(b"charset=utf-8", b"charset=gbk") {
            Err(Answer::Failure {
                sub_code, sub_msg, ..
            }) => {
                assert_eq!(
                    (sub_code.as_str(), sub_msg.as_str()),
                    ("isv.invalid-parameter", "参数charset重复")
                );
            }
            _ => panic!("a conflicting duplicate was accepted"),
        }
    }
}
