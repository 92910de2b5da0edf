//! `POST /sandbox/alipay/pay` standing in for `my.tradePay`, and the signed trade notify
//! (one per payment and per refund), retried until the merchant answers `success`.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::{Rules, canonical_string, form};
use baidupay_notify::Charset;
use serde_json::{Value, json};

use crate::callback::CallbackKind;
use crate::deliver;
use crate::respond::{bad_request, control_error, json_response, store_failed};
use crate::state::Inner;
use crate::state::alipay::{App, Status, Trade};
use crate::store::{Change, OwedRow};
use crate::sync::{Unpoisoned, lock};
use crate::time::{beijing_time, yuan};

/// A buyer's masked logon id, as the gateway shows it.
pub(crate) fn masked_logon(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("san***@{tail}.com")
}

/// `POST /sandbox/alipay/pay {"app_id"?, "trade_no"}`: the buyer pays (what `my.tradePay`
/// does in the mini program); the signed notify goes to the trade's `notify_url`.
pub(crate) async fn pay(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(trade_no) = v.get("trade_no").and_then(Value::as_str) else {
        return bad_request("trade_no is required");
    };
    let apps: Vec<Arc<App>> = inner
        .alipay
        .apps
        .read_or_recover()
        .values()
        .filter(|a| {
            v.get("app_id")
                .and_then(Value::as_str)
                .is_none_or(|id| id == a.app_id)
        })
        .cloned()
        .collect();
    for app in apps {
        let mut trades = lock(&app.trades);
        let Some(t) = trades.iter_mut().find(|t| t.trade_no == trade_no) else {
            continue;
        };
        if t.status != Status::WaitBuyerPay {
            let status = t.status.code();
            return json_response(
                StatusCode::CONFLICT,
                &json!({"error": format!("trade {trade_no} is {status}"), "resultCode": "4000"}),
            );
        }
        let mut paid = t.clone();
        paid.status = Status::Success;
        paid.paid = Some(inner.now_unix());
        // the notify is owed from the moment the payment is stored
        let owed = notify(&inner, &app, &paid, None);
        let mut changes = vec![Change::Trade(app.app_id.clone(), paid.clone())];
        changes.extend(owed.clone().map(Change::Owed));
        if let Err(e) = inner.store(&changes) {
            return store_failed(&e);
        }
        *t = paid;
        let snapshot = t.clone();
        drop(trades);
        if let Some(o) = owed {
            tokio::spawn(deliver::send_owed(inner.clone(), o));
        }
        // what my.tradePay reports to the mini program
        return json_response(
            StatusCode::OK,
            &json!({"resultCode": "9000", "trade_no": snapshot.trade_no, "out_trade_no": snapshot.out_trade_no}),
        );
    }
    control_error(StatusCode::NOT_FOUND, format!("no trade {trade_no}"))
}

/// The signed trade notify of `t` (a payment, or with `refund` the refund request number),
/// owed until the merchant answers `success`; none without a `notify_url`.
pub(crate) fn notify(inner: &Inner, app: &App, t: &Trade, refund: Option<&str>) -> Option<OwedRow> {
    let url = t.notify_url.clone()?;
    let now = inner.now_unix();
    let mut pairs: Vec<(String, String)> = vec![
        ("notify_time".into(), beijing_time(now)),
        ("notify_type".into(), "trade_status_sync".into()),
        (
            "notify_id".into(),
            format!("2026sandbox{:x}{:08x}", inner.next_id(), now),
        ),
        ("app_id".into(), app.app_id.clone()),
        ("auth_app_id".into(), app.app_id.clone()),
        ("charset".into(), charset_field(app.charset).into()),
        ("version".into(), "1.0".into()),
        ("sign_type".into(), "RSA2".into()),
        ("trade_no".into(), t.trade_no.clone()),
        ("out_trade_no".into(), t.out_trade_no.clone()),
        ("seller_id".into(), app.seller_id.clone()),
        ("trade_status".into(), t.status.code().into()),
        ("total_amount".into(), yuan(t.total)),
        ("receipt_amount".into(), yuan(t.total)),
        ("invoice_amount".into(), yuan(t.total)),
        ("buyer_pay_amount".into(), yuan(t.total)),
        ("point_amount".into(), "0.00".into()),
        ("subject".into(), t.subject.clone()),
        ("gmt_create".into(), beijing_time(t.created)),
        (
            "gmt_payment".into(),
            beijing_time(t.paid.unwrap_or(t.created)),
        ),
        (
            "fund_bill_list".into(),
            json!([{"amount": yuan(t.total), "fundChannel": "ALIPAYACCOUNT"}]).to_string(),
        ),
    ];
    if let Some(id) = &t.buyer_id {
        pairs.push(("buyer_id".into(), id.clone()));
        pairs.push(("buyer_logon_id".into(), masked_logon(id)));
    }
    if let Some(open) = &t.buyer_open_id {
        pairs.push(("buyer_open_id".into(), open.clone()));
    }
    if let Some(b) = &t.body {
        pairs.push(("body".into(), b.clone()));
    }
    if let Some(p) = &t.passback_params {
        // verbatim: the merchant URL-encoded it, the form encoding wraps it once more
        pairs.push(("passback_params".into(), p.clone()));
    }
    if let Some(req) = refund {
        pairs.push(("out_biz_no".into(), req.to_owned()));
        pairs.push(("refund_fee".into(), yuan(t.refunded())));
        let when = t
            .refunds
            .iter()
            .find(|r| r.out_request_no == req)
            .map_or(now, |r| r.time);
        pairs.push(("gmt_refund".into(), beijing_time(when)));
        if t.status == Status::Closed {
            pairs.push(("gmt_close".into(), beijing_time(when)));
        }
    }
    let gbk = app.charset == Charset::Gbk;
    if gbk {
        // what Java's String.getBytes("GBK") does with a character GBK lacks
        for (_, v) in &mut pairs {
            *v = gbk_text(v);
        }
    }
    // the signature covers the canonical string in the app's charset
    let sign = canonical_string(
        Rules::AlipayNotify,
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .and_then(|s| {
        let bytes = if gbk {
            encoding_rs::GBK.encode(&s).0
        } else {
            Cow::Borrowed(s.as_bytes())
        };
        inner.alipay.signer.sign_base64(&bytes)
    });
    match sign {
        Ok(s) => pairs.push(("sign".into(), s)),
        Err(e) => tracing::error!(error = %e, "sandbox could not sign an Alipay notify"),
    }
    let body = if gbk {
        gbk_form(&pairs)
    } else {
        form::encode(pairs.iter().map(|(k, v)| (k, v)))
    };
    Some(deliver::owed(
        inner,
        CallbackKind::AlipayTrade,
        app.app_id.clone(),
        url,
        body,
    ))
}

/// The `charset` value of a notify, as Alipay writes it.
fn charset_field(charset: Charset) -> &'static str {
    match charset {
        Charset::Gbk => "GBK",
        _ => "utf-8",
    }
}

/// `text` with every character that GBK cannot encode replaced by `?`.
fn gbk_text(text: &str) -> String {
    if !encoding_rs::GBK.encode(text).2 {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            let mut buf = [0u8; 4];
            if encoding_rs::GBK.encode(c.encode_utf8(&mut buf)).2 {
                '?'
            } else {
                c
            }
        })
        .collect()
}

/// A form body of `pairs` percent-encoded as GBK bytes (space as `+`, the unreserved
/// `A-Z a-z 0-9 - . _ *` as they are, everything else `%XX`, as Java's `URLEncoder` does).
fn gbk_form(pairs: &[(String, String)]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        for (i, part) in [k, v].into_iter().enumerate() {
            if i == 1 {
                out.push('=');
            }
            for &b in encoding_rs::GBK.encode(part).0.iter() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                        out.push(char::from(b))
                    }
                    b' ' => out.push('+'),
                    _ => {
                        out.push('%');
                        out.push(char::from(HEX[usize::from(b >> 4)]));
                        out.push(char::from(HEX[usize::from(b & 0x0f)]));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_forms_are_percent_encoded_gbk_bytes() {
        let pairs = vec![
            ("subject".to_owned(), "中文 a-b".to_owned()),
            ("x".to_owned(), "1+1=2&".to_owned()),
        ];
        assert_eq!(gbk_form(&pairs), "subject=%D6%D0%CE%C4+a-b&x=1%2B1%3D2%26");
        assert_eq!(gbk_text("中文😀€"), "中文?€");
        assert_eq!(charset_field(Charset::Gbk), "GBK");
        assert_eq!(charset_field(Charset::Utf8), "utf-8");
    }

    #[test]
    fn logons_are_masked_as_the_gateway_masks_them() {
        assert_eq!(masked_logon("2088102177846880"), "san***@6880.com");
        assert_eq!(masked_logon("12"), "san***@12.com");
    }
}
