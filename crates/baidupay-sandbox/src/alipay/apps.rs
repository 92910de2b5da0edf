//! App registration (`POST /sandbox/alipay/apps`, with an optional `charset`: `utf-8`, the
//! default, or `GBK`) and the app's page (`GET /sandbox/alipay/apps/{app_id}`, with its trades).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::PublicKey;
use baidupay_notify::Charset;
use serde_json::{Value, json};

use crate::respond::{bad_request, control_error, json_response, store_failed};
use crate::state::Inner;
use crate::state::alipay::App;
use crate::store::Change;
use crate::sync::{Unpoisoned, lock};
use crate::time::yuan;

pub(crate) async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be a JSON object");
    };
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let (Some(app_id), Some(key)) = (text("app_id"), text("app_public_key")) else {
        return bad_request("app_id and app_public_key are required");
    };
    if app_id.is_empty() || !app_id.bytes().all(|b| b.is_ascii_digit()) {
        return bad_request("app_id must be digits, like 2021000122671080");
    }
    let key = match PublicKey::parse(key.as_bytes()) {
        Ok(k) => k,
        Err(e) => {
            return bad_request(format!("app_public_key: {e}"));
        }
    };
    // the app's charset (default UTF-8): its notifies are encoded and signed in it
    let charset = match v.get("charset") {
        None | Some(Value::Null) => Charset::Utf8,
        Some(label) => match label.as_str().and_then(Charset::from_label) {
            Some(c @ (Charset::Utf8 | Charset::Gbk)) => c,
            _ => return bad_request("charset must be utf-8 (the default) or GBK"),
        },
    };
    let notify_url = text("notify_url");
    let seller_id = format!("2088{:012}", inner.next_id() % 1_000_000_000_000);
    let app = Arc::new(App {
        app_id: app_id.clone(),
        key,
        notify_url: notify_url.clone(),
        seller_id: seller_id.clone(),
        charset,
        trades: Mutex::default(),
    });
    let mut apps = inner.alipay.apps.write_or_recover();
    if apps.contains_key(&app_id) {
        return control_error(
            StatusCode::CONFLICT,
            format!("app_id {app_id} is already registered"),
        );
    }
    if let Err(e) = inner.store(&[Change::AlipayApp(app.row())]) {
        return store_failed(&e);
    }
    apps.insert(app_id.clone(), app);
    json_response(
        StatusCode::CREATED,
        &json!({
            "app_id": app_id,
            "seller_id": seller_id,
            "notify_url": notify_url,
            "charset": charset.name(),
            "alipay_public_key": inner.alipay.public.to_spki_pem(),
            "gateway": format!("{}/gateway.do", inner.base_url()),
        }),
    )
}

pub(crate) async fn show_app(
    State(inner): State<Arc<Inner>>,
    Path(app_id): Path<String>,
) -> Response {
    match inner.alipay.app(&app_id) {
        Some(app) => {
            let trades = lock(&app.trades);
            let list: Vec<Value> = trades
                .iter()
                .map(|t| {
                    json!({
                        "trade_no": t.trade_no, "out_trade_no": t.out_trade_no,
                        "total_amount": yuan(t.total), "trade_status": t.status.code(),
                        "refund_fee": yuan(t.refunded()),
                    })
                })
                .collect();
            json_response(
                StatusCode::OK,
                &json!({
                    "app_id": app.app_id, "seller_id": app.seller_id,
                    "notify_url": app.notify_url,
                    "charset": app.charset.name(),
                    "app_public_key": app.key.to_spki_pem(),
                    "trades": list,
                }),
            )
        }
        None => control_error(StatusCode::NOT_FOUND, format!("no Alipay app {app_id}")),
    }
}
