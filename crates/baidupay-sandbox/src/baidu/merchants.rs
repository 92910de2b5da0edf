//! `POST /sandbox/merchants` registers a cashier merchant (with its money settings);
//! `GET /sandbox/merchants/{app_key}` shows it, its settings and its money.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use baidupay_crypto::PublicKey;
use baidupay_model::Secret;
use serde_json::{Value, json};

use crate::book::{Book, Settings};
use crate::request::{absolute_url, json_id, text_of};
use crate::respond::{bad_request, control_error, json_response, store_failed};
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
    let settings = match settings(&v) {
        Ok(s) => s,
        Err(e) => return bad_request(e),
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
        client_secret: Secret::new(client_secret),
        key,
        notify_url,
        refund_audit_url,
        refund_notify_url,
        book: Mutex::new(Book::with_money(settings, 0)),
    });
    let view = merchant_view(&inner, &merchant);
    let mut all = inner.merchants.write_or_recover();
    if all.contains_key(&app_key) {
        return control_error(
            StatusCode::CONFLICT,
            format!("app_key {app_key} is already registered"),
        );
    }
    // stored first: a merchant the database did not take is not registered
    if let Err(e) = inner.write(|db, next| db.merchant(&merchant.row(), next)) {
        return store_failed(&e);
    }
    all.insert(app_key, merchant);
    json_response(StatusCode::CREATED, &view)
}

/// The money settings of a registration: `commission_per_mille` (default 6),
/// `day_refund_cap` (fen, default 1,000,000; `null`: none), `payout_reserve` (fen, default
/// none: nothing is paid out), each a number or a numeric string.
fn settings(v: &Value) -> Result<Settings, String> {
    let mut s = Settings::default();
    let number = |key: &str| match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => json_id(v, key)
            .map(Some)
            .ok_or_else(|| format!("{key} must be a whole number (fen, or per mille)")),
    };
    if let Some(rate) = number("commission_per_mille")? {
        if rate > 1000 {
            return Err("commission_per_mille must be at most 1000".to_owned());
        }
        s.commission_per_mille = rate;
    }
    if v.get("day_refund_cap").is_some() {
        s.day_refund_cap = number("day_refund_cap")?;
    }
    s.payout_reserve = number("payout_reserve")?;
    Ok(s)
}

fn merchant_view(inner: &Inner, m: &Merchant) -> Value {
    let book = lock(&m.book);
    let s = book.settings;
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
        "orders": book.orders().len(),
        "settings": {
            "commission_per_mille": s.commission_per_mille,
            "day_refund_cap": s.day_refund_cap,
            "payout_reserve": s.payout_reserve,
        },
        "money": book.money(),
        "locked_orders": book.orders().iter().filter(|o| o.locked).map(|o| o.order_id).collect::<Vec<_>>(),
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
