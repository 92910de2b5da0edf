//! `POST /sandbox/merchants` registers a cashier merchant; `GET /sandbox/merchants/{app_key}`
//! shows it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::PublicKey;
use serde_json::{Value, json};

use crate::request::{absolute_url, text_of};
use crate::respond::{bad_request, control_error, json_response};
use crate::state::{Inner, Merchant};
use crate::sync::{Unpoisoned, lock};

pub(crate) async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("the body must be a JSON object");
    };
    let field = |name: &str| text_of(v.get(name));
    let mut missing = Vec::new();
    let mut need = |name: &'static str| {
        let got = field(name).filter(|s| !s.is_empty());
        if got.is_none() {
            missing.push(name);
        }
        got.unwrap_or_default()
    };
    let app_key = need("app_key");
    let deal_id = need("deal_id");
    let app_id = need("app_id");
    let client_id = need("client_id");
    let client_secret = need("client_secret");
    let key_text = need("merchant_public_key");
    let notify_url = need("notify_url");
    let refund_audit_url = need("refund_audit_url");
    let refund_notify_url = need("refund_notify_url");
    if !missing.is_empty() {
        return bad_request(format!("missing fields: {}", missing.join(", ")));
    }
    let (Ok(deal_id), Ok(app_id)) = (deal_id.parse::<u64>(), app_id.parse::<u64>()) else {
        return bad_request("deal_id and app_id must be numbers");
    };
    let key = match PublicKey::parse(key_text.as_bytes()) {
        Ok(k) => k,
        Err(e) => return bad_request(format!("merchant_public_key: {e}")),
    };
    for (name, url) in [
        ("notify_url", &notify_url),
        ("refund_audit_url", &refund_audit_url),
        ("refund_notify_url", &refund_notify_url),
    ] {
        if !absolute_url(url) {
            return bad_request(format!("{name}: {url:?} is not an absolute http(s) URL"));
        }
    }
    let merchant = Arc::new(Merchant {
        app_key: app_key.clone(),
        deal_id,
        app_id,
        client_id,
        client_secret,
        key,
        notify_url,
        refund_audit_url,
        refund_notify_url,
        book: Default::default(),
    });
    let view = merchant_view(&inner, &merchant);
    let mut all = inner.merchants.write_or_recover();
    if all.contains_key(&app_key) {
        return control_error(
            StatusCode::CONFLICT,
            format!("app_key {app_key} is already registered"),
        );
    }
    inner.persist(|db, next| db.merchant(&merchant.row(), next));
    all.insert(app_key, merchant);
    json_response(StatusCode::CREATED, &view)
}

fn merchant_view(inner: &Inner, m: &Merchant) -> Value {
    json!({
        "app_key": m.app_key,
        "deal_id": m.deal_id,
        "app_id": m.app_id,
        "client_id": m.client_id,
        "merchant_public_key": m.key.to_spki_pem(),
        "notify_url": m.notify_url,
        "refund_audit_url": m.refund_audit_url,
        "refund_notify_url": m.refund_notify_url,
        "platform_public_key": inner.public.to_spki_pem(),
        "orders": lock(&m.book).orders().len(),
    })
}

pub(crate) async fn show_merchant(
    State(inner): State<Arc<Inner>>,
    Path(app_key): Path<String>,
) -> Response {
    match inner.merchant(&app_key) {
        Some(m) => json_response(StatusCode::OK, &merchant_view(&inner, &m)),
        None => control_error(StatusCode::NOT_FOUND, format!("no merchant {app_key}")),
    }
}
