//! The simulator's HTTP API: the platform's real paths plus `/sandbox/*`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baidupay_crypto::{PublicKey, form};
use serde_json::{Value, json};

use crate::book::{self, Order, RefundRefusal, RefundRequest};
use crate::deliver::{self, Answer, CallbackKind, signed_form};
use crate::{Inner, Merchant, Token, Unpoisoned, beijing_date, beijing_time, lock, now_unix, yuan};

const PAY: &str = "/rest/2.0/smartapp/pay/paymentservice";

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/sandbox/merchants", post(register))
        .route("/sandbox/merchants/{app_key}", get(show_merchant))
        .route("/sandbox/cashier/pay", post(cashier_pay))
        .route("/sandbox/cashier/create", post(cashier_create))
        .route("/sandbox/deliveries", get(deliveries))
        .route("/sandbox/bills/{id}", get(bill_file))
        .route("/oauth/2.0/token", get(token).post(token))
        .route("/gateway.do", post(crate::alipay::gateway))
        .route("/sandbox/alipay/apps", post(crate::alipay::register))
        .route(
            "/sandbox/alipay/apps/{app_id}",
            get(crate::alipay::show_app),
        )
        .route("/sandbox/alipay/pay", post(crate::alipay::pay))
        .route("/sandbox/alipay/bills/{id}", get(crate::alipay::bill_file))
        .route("/sandbox/tp/apps", post(crate::tp::authorize_app))
        .route("/sandbox/tp/audit", post(crate::tp::decide))
        .route(&format!("{PAY}/dict"), get(crate::tp::dict))
        .route(
            "/rest/2.0/smartapp/pay/account/create",
            post(crate::tp::create_account),
        )
        .route(
            "/rest/2.0/smartapp/pay/account/auditstatus",
            get(crate::tp::account_status),
        )
        .route(
            "/rest/2.0/smartapp/pay/developconfig/submit",
            post(crate::tp::submit_config),
        )
        .route(&format!("{PAY}/create"), post(crate::tp::create_service))
        .route(
            &format!("{PAY}/auditstatus"),
            get(crate::tp::service_status),
        )
        .route(&format!("{PAY}/update"), post(crate::tp::update_service))
        .route(
            &format!("{PAY}/updatebindservice"),
            post(crate::tp::update_bound_service),
        )
        .route(
            &format!("{PAY}/getbindservice"),
            get(crate::tp::bound_service),
        )
        .route(&format!("{PAY}/orderlist"), get(crate::tp::order_list))
        .route(
            &format!("{PAY}/financebalance"),
            get(crate::tp::finance_balance),
        )
        .route(
            &format!("{PAY}/financebalance/incomedetail"),
            get(crate::tp::income_detail),
        )
        .route(
            &format!("{PAY}/financebalance/otherdetail"),
            get(crate::tp::other_detail),
        )
        .route(&format!("{PAY}/financeexpense"), get(crate::tp::expenses))
        .route(
            &format!("{PAY}/financeexpense/paydetail"),
            get(crate::tp::pay_detail),
        )
        .route(&format!("{PAY}/tp/findByTpOrderId"), get(find_order))
        .route(&format!("{PAY}/tp/cancelOrder"), get(cancel_order))
        .route(&format!("{PAY}/tp/applyOrderRefund"), post(apply_refund))
        .route(&format!("{PAY}/tp/findOrderRefund"), get(find_refunds))
        .route(&format!("{PAY}/tp/orderBill"), get(order_bill))
        .route(&format!("{PAY}/tp/capitaBill"), get(capital_bill))
        .route(
            "/sandbox/faults",
            post(crate::faults::arm)
                .get(crate::faults::list)
                .delete(crate::faults::clear),
        )
        .route(&format!("{PAY}/findByTpOrderId"), get(find_order))
        .route(&format!("{PAY}/cancelOrder"), get(cancel_order))
        .route(&format!("{PAY}/applyOrderRefund"), post(apply_refund))
        .route(&format!("{PAY}/findOrderRefund"), get(find_refunds))
        .route(&format!("{PAY}/orderBill"), get(order_bill))
        .route(&format!("{PAY}/capitaBill"), get(capital_bill))
        .route(
            "/platform/entity/openapi/queryorderdetail",
            get(legacy_query_order),
        )
        .route(
            "/cashier/applyOrderRefund",
            get(legacy_refund).post(legacy_refund),
        )
        .route(
            "/cashier/syncOrderStatus",
            get(legacy_sync).post(legacy_sync),
        )
        .layer(axum::middleware::from_fn_with_state(
            inner.clone(),
            crate::faults::layer,
        ))
        .with_state(inner)
}

pub(crate) fn json_response(status: StatusCode, v: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

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

fn bad_request(msg: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": msg.into()}))
}

/// Query pairs (and, for POST, form pairs first), decoded once.
pub(crate) fn params(query: Option<&str>, body: Option<&[u8]>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for source in [body.unwrap_or_default(), query.unwrap_or("").as_bytes()] {
        for (k, v) in form::parse(source).unwrap_or_default() {
            out.entry(k).or_insert(v);
        }
    }
    out
}

// --- merchants ------------------------------------------------------------------------------

fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn absolute_url(v: &str) -> bool {
    v.parse::<http::Uri>()
        .ok()
        .is_some_and(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some())
}

async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
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
        return json_response(
            StatusCode::CONFLICT,
            &json!({"error": format!("app_key {app_key} is already registered")}),
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

async fn show_merchant(State(inner): State<Arc<Inner>>, Path(app_key): Path<String>) -> Response {
    match inner.merchant(&app_key) {
        Some(m) => json_response(StatusCode::OK, &merchant_view(&inner, &m)),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no merchant {app_key}")}),
        ),
    }
}

// --- tokens -----------------------------------------------------------------------------------

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

async fn token(
    State(inner): State<Arc<Inner>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(query.as_deref(), Some(&body));
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    if get("grant_type") != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be client_credentials",
        );
    }
    if get("scope") != "smartapp_snsapi_base" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "scope must be smartapp_snsapi_base",
        );
    }
    let app_keys: Vec<String> = inner
        .merchants
        .read_or_recover()
        .values()
        .filter(|m| m.client_id == get("client_id"))
        .filter(|m| m.client_secret == get("client_secret"))
        .map(|m| m.app_key.clone())
        .collect();
    if app_keys.is_empty() {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client id or wrong client secret",
        );
    }
    let lifetime = inner.config.token_lifetime;
    let token = format!(
        "1.sandbox{:x}.{}.{}",
        inner.next_id(),
        lifetime.as_secs(),
        now_unix()
    );
    let expires_at =
        now_unix().saturating_add(i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX));
    {
        let mut tokens = lock(&inner.tokens);
        inner.persist(|db, next| {
            db.token(
                &crate::store::TokenRow {
                    token: token.clone(),
                    app_keys: app_keys.clone(),
                    expires_at,
                },
                next,
            )
        });
        tokens.insert(
            token.clone(),
            Token {
                app_keys,
                expires: Instant::now() + lifetime,
            },
        );
    }
    json_response(
        StatusCode::OK,
        &json!({
            "access_token": token,
            "expires_in": lifetime.as_secs(),
            "refresh_token": format!("2.sandbox{:x}", inner.next_id()),
            "scope": "smartapp_snsapi_base",
            "session_key": "",
            "session_secret": "",
        }),
    )
}

/// The merchant of an API call: a live token that belongs to `pmAppKey`.
fn authorize(inner: &Inner, p: &HashMap<String, String>) -> Result<Arc<Merchant>, Box<Response>> {
    let gateway = |code: i64, msg: &str| {
        json_response(
            StatusCode::OK,
            &json!({"error_code": code, "error_msg": msg}),
        )
    };
    let token = p.get("access_token").map(String::as_str).unwrap_or("");
    let app_key = p.get("pmAppKey").map(String::as_str).unwrap_or("");
    {
        let tokens = lock(&inner.tokens);
        match tokens.get(token) {
            None => {
                return Err(Box::new(gateway(
                    110,
                    "Access token invalid or no longer valid",
                )));
            }
            Some(t) if t.expires <= Instant::now() => {
                return Err(Box::new(gateway(111, "Access token expired")));
            }
            Some(t) if !t.app_keys.iter().any(|k| k == app_key) => {
                return Err(Box::new(errno(
                    10002,
                    format!(
                        "系统错误，appKey未找到 (pmAppKey {app_key:?} does not belong to this token)"
                    ),
                )));
            }
            Some(_) => {}
        }
    }
    inner
        .merchant(app_key)
        .ok_or_else(|| Box::new(errno(10002, "系统错误，appKey未找到")))
}

fn num(p: &HashMap<String, String>, k: &str) -> Option<u64> {
    p.get(k).and_then(|v| v.parse().ok())
}

// --- cashier ----------------------------------------------------------------------------------

fn cashier_error(code: i64, msg: &str, detail: Vec<String>) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"errCode": code, "errMsg": msg, "detail": detail}),
    )
}

async fn cashier_pay(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    cashier(inner, &body, true).await
}

async fn cashier_create(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    cashier(inner, &body, false).await
}

async fn cashier(inner: Arc<Inner>, body: &[u8], pay: bool) -> Response {
    let Ok(info) = serde_json::from_slice::<Value>(body) else {
        return cashier_error(
            6,
            "请求签名错误",
            vec!["orderInfo is not a JSON object".into()],
        );
    };
    let app_key = text_of(info.get("appKey")).unwrap_or_default();
    let Some(m) = inner.merchant(&app_key) else {
        return cashier_error(
            6,
            "请求签名错误",
            vec![format!("appKey {app_key:?} is not a registered merchant")],
        );
    };
    let failed: Vec<String> = baidupay_cashier::check_order_info(&info, &m.key)
        .into_iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {} ({})", c.name, c.detail, c.fix))
        .collect();
    if !failed.is_empty() {
        return cashier_error(6, "请求签名错误", failed);
    }
    let deal_id = text_of(info.get("dealId")).and_then(|d| d.parse::<u64>().ok());
    if deal_id != Some(m.deal_id) {
        return cashier_error(
            6,
            "请求签名错误",
            vec![format!(
                "dealId {deal_id:?} is not this merchant's ({})",
                m.deal_id
            )],
        );
    }
    let total = text_of(info.get("totalAmount"))
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0);
    let tp_order_id = text_of(info.get("tpOrderId")).unwrap_or_default();
    let biz_info = text_of(info.get("bizInfo")).unwrap_or_default();
    let return_data = serde_json::from_str::<Value>(&biz_info)
        .ok()
        .and_then(|b| b.pointer("/tpData/returnData").cloned())
        .map(|r| match r {
            Value::String(s) => s,
            other => other.to_string(),
        })
        .unwrap_or_default();
    let now = now_unix();
    let order = {
        let mut book = lock(&m.book);
        let existing = book.by_tp(&tp_order_id).cloned();
        let order_id = match existing {
            Some(o) if o.status != book::UNPAID => {
                return cashier_error(
                    3,
                    "订单已支付或已关闭",
                    vec![format!(
                        "tpOrderId {tp_order_id} is already {}",
                        if o.status == book::PAID {
                            "paid"
                        } else {
                            "closed"
                        }
                    )],
                );
            }
            Some(o) if o.total != total => {
                return cashier_error(
                    6,
                    "请求签名错误",
                    vec![format!(
                        "tpOrderId {tp_order_id} was created with totalAmount {}",
                        o.total
                    )],
                );
            }
            Some(o) => o.order_id,
            None => {
                let o = Order {
                    order_id: inner.next_id(),
                    user_id: 3_000_000_000_000 + inner.next_id() % 1_000_000_000,
                    tp_order_id: tp_order_id.clone(),
                    deal_id: m.deal_id,
                    total,
                    status: book::UNPAID,
                    consumed: false,
                    error_order: false,
                    create_time: now,
                    pay_time: None,
                    biz_info,
                    return_data,
                };
                let id = o.order_id;
                book.insert(o);
                id
            }
        };
        let Some(o) = book.by_id_mut(order_id) else {
            return cashier_error(10, "系统错误", vec![]);
        };
        if pay {
            o.status = book::PAID;
            o.pay_time = Some(now);
        }
        inner.persist_order(&m.app_key, o);
        o.clone()
    };
    if pay {
        tokio::spawn(notify_payment(inner.clone(), m.clone(), order.clone()));
    }
    json_response(
        StatusCode::OK,
        &json!({"orderId": order.order_id, "userId": order.user_id, "status": order.status}),
    )
}

/// Sends the payment notify until it is acknowledged, then records what the merchant said.
async fn notify_payment(inner: Arc<Inner>, m: Arc<Merchant>, o: Order) {
    let s = |v: u64| v.to_string();
    let pairs = vec![
        ("count".to_owned(), "1".to_owned()),
        ("dealId".to_owned(), s(o.deal_id)),
        ("giftCardMoney".to_owned(), "0".to_owned()),
        ("hbBalanceMoney".to_owned(), "0".to_owned()),
        ("hbMoney".to_owned(), "0".to_owned()),
        ("orderId".to_owned(), s(o.order_id)),
        ("partnerId".to_owned(), "0".to_owned()),
        ("payMoney".to_owned(), s(o.total)),
        (
            "payTime".to_owned(),
            o.pay_time.unwrap_or(o.create_time).to_string(),
        ),
        ("payType".to_owned(), "1117".to_owned()),
        ("promoDetail".to_owned(), String::new()),
        ("promoMoney".to_owned(), "0".to_owned()),
        ("returnData".to_owned(), o.return_data.clone()),
        ("status".to_owned(), "2".to_owned()),
        ("totalMoney".to_owned(), s(o.total)),
        ("tpOrderId".to_owned(), o.tp_order_id.clone()),
        ("unitPrice".to_owned(), s(o.total)),
        ("userId".to_owned(), s(o.user_id)),
    ];
    let body = signed_form(&inner, pairs);
    let answer = deliver::deliver(
        inner.clone(),
        CallbackKind::Payment,
        m.app_key.clone(),
        m.notify_url.clone(),
        body,
    )
    .await;
    if let Some(Answer::Payment(ack)) = answer {
        let mut book = lock(&m.book);
        if let Some(order) = book.by_id_mut(o.order_id) {
            order.consumed = true;
            order.error_order = ack.is_error_order;
            inner.persist_order(&m.app_key, order);
        }
    }
}

// --- pay APIs ---------------------------------------------------------------------------------

fn order_json(m: &Merchant, o: &Order) -> Value {
    json!({
        "orderId": o.order_id,
        "tpOrderId": o.tp_order_id,
        "userId": o.user_id,
        // the platform's number-or-string quirks: dealId and appKey come as strings here
        "dealId": o.deal_id.to_string(),
        "appKey": m.app_key,
        "appId": m.app_id,
        "openId": "",
        "tpId": 0,
        "status": o.status,
        "subStatus": if o.consumed { 2 } else { 1 },
        "type": 0,
        "parentOrderId": 0,
        "parentType": 0,
        "count": 1,
        "oriPrice": o.total,
        "payMoney": if o.status == book::PAID { o.total } else { 0 },
        "settlePrice": o.total,
        "totalMoney": o.total,
        "tradeNo": format!("T{}", o.order_id),
        "bizInfo": o.biz_info,
        "createTime": o.create_time,
    })
}

async fn find_order(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let m = match authorize(&inner, &p) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let tp = p.get("tpOrderId").map(String::as_str).unwrap_or("");
    let book = lock(&m.book);
    match book.by_tp(tp) {
        Some(o) => ok(order_json(&m, o)),
        None => errno(10002, "系统错误，订单未找到"),
    }
}

async fn cancel_order(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let m = match authorize(&inner, &p) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let Some(order_id) = num(&p, "orderId") else {
        return errno(10001, "参数错误，orderId取值不合法");
    };
    let mut book = lock(&m.book);
    match book.by_id_mut(order_id) {
        None => errno(10002, "系统错误，订单未找到"),
        Some(o) if o.status == book::PAID => errno(10001, "参数错误，订单已支付，不能关闭"),
        Some(o) => {
            o.status = book::CLOSED;
            inner.persist_order(&m.app_key, o);
            ok(Value::Bool(true))
        }
    }
}

async fn apply_refund(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), Some(&body));
    let m = match authorize(&inner, &p) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    for k in [
        "orderId",
        "userId",
        "tpOrderId",
        "refundType",
        "refundReason",
        "bizRefundBatchId",
        "isSkipAudit",
    ] {
        if get(k).is_empty() {
            return errno(4_010_004, format!("系统必传参数缺失: {k}"));
        }
    }
    let (Some(order_id), Some(user_id)) = (num(&p, "orderId"), num(&p, "userId")) else {
        return errno(10001, "参数错误，userId取值不合法 / orderId取值不合法");
    };
    if !matches!(get("refundType"), "1" | "2" | "3") {
        return errno(10001, "参数错误，refundType取值不合法");
    }
    let apply = match p.get("applyRefundMoney") {
        None => None,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return errno(10001, "参数错误，applyRefundMoney取值不合法"),
        },
    };
    let biz = get("bizRefundBatchId").to_owned();
    let notify_url = p
        .get("refundNotifyUrl")
        .filter(|u| absolute_url(u))
        .cloned()
        .unwrap_or_else(|| m.refund_notify_url.clone());
    let request = RefundRequest {
        order_id,
        user_id,
        apply,
        biz_refund_batch_id: &biz,
        skip_audit: get("isSkipAudit") == "1",
        notify_url: &notify_url,
    };
    let refund = {
        let mut book = lock(&m.book);
        if let Some(r) = book.refund_by_biz_batch(&biz) {
            // the same merchant batch again: the same refund, never a second one
            return ok(
                json!({"refundBatchId": r.refund_batch_id.to_string(), "refundPayMoney": r.apply}),
            );
        }
        if book.by_id(order_id).map(|o| o.tp_order_id.as_str()) != Some(get("tpOrderId")) {
            return errno(10002, "系统错误，订单未找到");
        }
        match book.apply_refund(&request, inner.next_id(), now_unix()) {
            Ok(r) => {
                inner.persist_refund(&m.app_key, &r);
                r
            }
            Err(RefundRefusal::UnknownOrder) => return errno(10002, "系统错误，订单未找到"),
            Err(RefundRefusal::NotPaid) => return errno(10002, "系统错误，订单未支付，不能退款"),
            Err(RefundRefusal::WrongUser) => return errno(10001, "参数错误，userId取值不合法"),
            Err(RefundRefusal::OverAmount { refundable }) => {
                return errno(
                    10001,
                    format!(
                        "参数错误，applyRefundMoney超过可退金额 (refundable: {refundable} fen)"
                    ),
                );
            }
        }
    };
    tokio::spawn(run_refund(inner.clone(), m.clone(), refund.refund_batch_id));
    ok(json!({"refundBatchId": refund.refund_batch_id.to_string(), "refundPayMoney": refund.apply}))
}

/// The refund sequence: audit (unless skipped), settlement, refund notify.
async fn run_refund(inner: Arc<Inner>, m: Arc<Merchant>, refund_batch_id: u64) {
    let Some(r) = lock(&m.book).refund(refund_batch_id).cloned() else {
        return;
    };
    let amount = if r.skip_audit {
        Some(r.apply)
    } else {
        let pairs = vec![
            ("applyRefundMoney".to_owned(), r.apply.to_string()),
            ("orderId".to_owned(), r.order_id.to_string()),
            ("refundBatchId".to_owned(), r.refund_batch_id.to_string()),
            ("tpOrderId".to_owned(), r.tp_order_id.clone()),
            ("userId".to_owned(), r.user_id.to_string()),
        ];
        let body = signed_form(&inner, pairs);
        match deliver::deliver(
            inner.clone(),
            CallbackKind::RefundAudit,
            m.app_key.clone(),
            m.refund_audit_url.clone(),
            body,
        )
        .await
        {
            Some(Answer::Audit(a))
                if a.audit_status == baidupay_model::callback::AuditStatus::Approved =>
            {
                Some(a.refund_pay_money.get())
            }
            _ => None,
        }
    };
    let succeeded = {
        let mut book = lock(&m.book);
        book.settle_refund(refund_batch_id, amount);
        let settled = book.refund(refund_batch_id);
        if let Some(r) = settled {
            inner.persist_refund(&m.app_key, r);
        }
        settled.is_some_and(|r| r.status == book::REFUNDED)
    };
    let pairs = vec![
        ("orderId".to_owned(), r.order_id.to_string()),
        ("refundBatchId".to_owned(), r.refund_batch_id.to_string()),
        (
            "refundStatus".to_owned(),
            if succeeded { "1" } else { "2" }.to_owned(),
        ),
        ("tpOrderId".to_owned(), r.tp_order_id.clone()),
        ("userId".to_owned(), r.user_id.to_string()),
    ];
    let body = signed_form(&inner, pairs);
    deliver::deliver(
        inner,
        CallbackKind::Refund,
        m.app_key.clone(),
        r.notify_url.clone(),
        body,
    )
    .await;
}

async fn find_refunds(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let m = match authorize(&inner, &p) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let tp = p.get("tpOrderId").map(String::as_str).unwrap_or("");
    let Some(user_id) = num(&p, "userId") else {
        return errno(10001, "参数错误，userId取值不合法");
    };
    let book = lock(&m.book);
    let list: Vec<Value> = book
        .refunds()
        .iter()
        .filter(|r| r.tp_order_id == tp && r.user_id == user_id)
        .map(|r| {
            json!({
                "bizRefundBatchId": r.biz_refund_batch_id,
                "orderId": r.order_id,
                "refundBatchId": r.refund_batch_id,
                "refundStatus": r.status,
                "userId": r.user_id,
            })
        })
        .collect();
    ok(Value::Array(list))
}

// --- bills ------------------------------------------------------------------------------------

async fn order_bill(state: State<Arc<Inner>>, q: RawQuery) -> Response {
    bill(state, q, "orderBill").await
}

async fn capital_bill(state: State<Arc<Inner>>, q: RawQuery) -> Response {
    bill(state, q, "capitaBill").await
}

async fn bill(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery, kind: &str) -> Response {
    let p = params(q.as_deref(), None);
    let m = match authorize(&inner, &p) {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let day = p.get("billTime").cloned().unwrap_or_default();
    if baidupay_model::cashier::Date::parse(&day).is_err() {
        return errno(10001, "参数错误，billTime须为yyyy-MM-dd");
    }
    let mut csv = format!(
        "#Dealid:[{}]\n#起始日期:[{day} 00:00:00 -- {day} 23:59:59]\n",
        m.deal_id
    );
    {
        let book = lock(&m.book);
        let orders: Vec<&Order> = book
            .orders()
            .iter()
            .filter(|o| beijing_date(o.create_time) == day)
            .collect();
        let paid: Vec<&&Order> = orders.iter().filter(|o| o.pay_time.is_some()).collect();
        let refunds: Vec<&book::Refund> = book
            .refunds()
            .iter()
            .filter(|r| beijing_date(r.time) == day)
            .collect();
        let refunded: u64 = refunds
            .iter()
            .filter(|r| r.status == book::REFUNDED)
            .map(|r| r.amount)
            .sum();
        csv.push_str(&format!(
            "#总交易单数:[{}]\n#总交易额(元):[{}]\n#总退款金额(元):[{}]\n#手续费总金额(元):[0.00]\n",
            paid.len(),
            yuan(paid.iter().map(|o| o.total).sum()),
            yuan(refunded)
        ));
        csv.push_str("交易时间,APPID,百度订单号,业务订单号,用户标识,订单支付状态,订单金额(元),百度退款单号,业务方退款批次号,退款金额,退款状态,公司名称,手续费费率\n");
        for o in &orders {
            let status = match o.status {
                book::PAID => "已支付",
                book::CLOSED => "已关闭",
                _ => "未支付",
            };
            csv.push_str(&format!(
                "{},{},{},{},{},{status},{},,,,,sandbox,0.006\n",
                beijing_time(o.pay_time.unwrap_or(o.create_time)),
                m.app_id,
                o.order_id,
                o.tp_order_id,
                o.user_id,
                yuan(o.total)
            ));
        }
        for r in &refunds {
            let status = match r.status {
                book::REFUNDED => "退款成功",
                book::REFUND_FAILED => "退款失败",
                _ => "退款中",
            };
            csv.push_str(&format!(
                "{},{},{},{},{},已支付,,{},{},{},{status},sandbox,0.006\n",
                beijing_time(r.time),
                m.app_id,
                r.order_id,
                r.tp_order_id,
                r.user_id,
                r.refund_batch_id,
                r.biz_refund_batch_id,
                yuan(r.amount)
            ));
        }
    }
    let id = format!("{kind}-{}-{}", m.app_key, inner.next_id());
    {
        let mut bills = inner.bills.write_or_recover();
        inner.persist(|db, next| db.bill(&id, &csv, next));
        bills.insert(id.clone(), csv);
    }
    ok(json!({
        "data": [{
            "createTime": beijing_time(now_unix()),
            "downloadName": format!("{kind}_{}_{day}.csv", m.deal_id),
            "exportStatus": 2,
            "url": format!("{}/sandbox/bills/{id}", inner.base_url()),
        }],
        "totalCount": 1,
    }))
}

async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    csv_file(&inner.bills, &id)
}

/// Serves the bill `id` of `bills` as UTF-8 CSV (404 when unknown).
pub(crate) fn csv_file(bills: &std::sync::RwLock<HashMap<String, String>>, id: &str) -> Response {
    let bills = bills.read_or_recover();
    match bills.get(id) {
        Some(csv) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            csv.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such bill").into_response(),
    }
}

// --- 1.0 (signed) ----------------------------------------------------------------------------

/// The merchant of a 1.0 call, whose signature (`field`) verifies over every other parameter
/// with the registered merchant key (Baidu rules: `sign`, `rsaSign`, `sign_type` left out).
fn signed_merchant(
    inner: &Inner,
    p: &HashMap<String, String>,
    field: &str,
) -> Result<Arc<Merchant>, Box<Response>> {
    let app_key = p.get("appKey").map(String::as_str).unwrap_or("");
    let Some(m) = inner.merchant(app_key) else {
        return Err(Box::new(errno(10002, "系统错误，appKey未找到")));
    };
    let Some(sig) = p.get(field).filter(|s| !s.is_empty()) else {
        return Err(Box::new(errno(
            10000,
            format!("签名校验失败: {field} is missing"),
        )));
    };
    let verifier =
        baidupay_crypto::Verifier::new(m.key.clone(), baidupay_crypto::Algorithm::RsaSha1);
    let checked = baidupay_crypto::canonical_string(
        baidupay_crypto::Rules::Baidu,
        p.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .and_then(|s| verifier.verify_base64(s.as_bytes(), sig));
    match checked {
        Ok(()) => Ok(m),
        Err(e) => Err(Box::new(errno(10000, format!("签名校验失败: {e}")))),
    }
}

fn status_num(num: i64, desc: &str) -> Value {
    json!({"statusNum": num, "statusDesc": desc})
}

async fn legacy_query_order(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let m = match signed_merchant(&inner, &p, "sign") {
        Ok(m) => m,
        Err(r) => return *r,
    };
    if num(&p, "appId") != Some(m.app_id) {
        return errno(10001, "参数错误，appId取值不合法");
    }
    let (Some(order_id), Some(site_id)) = (num(&p, "orderId"), num(&p, "siteId")) else {
        return errno(10001, "参数错误，orderId / siteId取值不合法");
    };
    let book = lock(&m.book);
    let Some(o) = book.by_id(order_id).filter(|o| o.user_id == site_id) else {
        return errno(10002, "系统错误，订单未找到");
    };
    let refunds: Vec<&book::Refund> = book
        .refunds()
        .iter()
        .filter(|r| r.order_id == order_id)
        .collect();
    let refund = if refunds.iter().any(|r| r.status == book::REFUNDED) {
        status_num(2, "退费成功")
    } else if refunds.iter().any(|r| r.status == book::REFUNDING) {
        status_num(1, "退费中")
    } else if refunds.iter().any(|r| r.status == book::REFUND_FAILED) {
        status_num(9, "退费失败")
    } else {
        status_num(-1, "未退费")
    };
    let pay = if o.status == book::PAID {
        status_num(1, "支付成功")
    } else {
        status_num(-1, "未支付")
    };
    let verification = if o.consumed {
        status_num(1, "已核销")
    } else {
        status_num(-1, "无核销数据")
    };
    json_response(
        StatusCode::OK,
        &json!({
            "errno": 0, "errmsg": "成功", "msg": "成功",
            "data": {"data": {"payStatus": pay, "refundStatus": refund, "verification": verification}},
            "timestamp": now_unix(), "cached": 0, "serverlogid": inner.next_id().to_string(),
        }),
    )
}

async fn legacy_refund(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), Some(&body));
    let m = match signed_merchant(&inner, &p, "rsaSign") {
        Ok(m) => m,
        Err(r) => return *r,
    };
    let get = |k: &str| p.get(k).map(String::as_str).unwrap_or("");
    let (Some(order_id), Some(user_id)) = (num(&p, "orderId"), num(&p, "userId")) else {
        return errno(10001, "参数错误，userId取值不合法 / orderId取值不合法");
    };
    let apply = num(&p, "applyRefundMoney");
    // a full refund may come without a batch id: the platform makes one up
    let biz = match get("bizRefundBatchId") {
        "" if apply.is_some() => return errno(10001, "参数错误，部分退款须填写bizRefundBatchId"),
        "" => format!("full-{order_id}"),
        b => b.to_owned(),
    };
    let request = RefundRequest {
        order_id,
        user_id,
        apply,
        biz_refund_batch_id: &biz,
        skip_audit: false,
        notify_url: &m.refund_notify_url,
    };
    let refund = {
        let mut book = lock(&m.book);
        if let Some(r) = book.refund_by_biz_batch(&biz) {
            return ok(
                json!({"refundBatchId": r.refund_batch_id.to_string(), "refundPayMoney": r.apply.to_string()}),
            );
        }
        if book.by_id(order_id).map(|o| o.tp_order_id.as_str()) != Some(get("tpOrderId")) {
            return errno(10002, "系统错误，订单未找到");
        }
        match book.apply_refund(&request, inner.next_id(), now_unix()) {
            Ok(r) => {
                inner.persist_refund(&m.app_key, &r);
                r
            }
            Err(RefundRefusal::OverAmount { refundable }) => {
                return errno(
                    10001,
                    format!(
                        "参数错误，applyRefundMoney超过可退金额 (refundable: {refundable} fen)"
                    ),
                );
            }
            Err(_) => return errno(10002, "系统错误，订单未找到或不能退款"),
        }
    };
    tokio::spawn(run_refund(inner.clone(), m.clone(), refund.refund_batch_id));
    // the 1.0 answer carries refundPayMoney as a string
    ok(
        json!({"refundBatchId": refund.refund_batch_id.to_string(), "refundPayMoney": refund.apply.to_string()}),
    )
}

async fn legacy_sync(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), Some(&body));
    let m = match signed_merchant(&inner, &p, "rsaSign") {
        Ok(m) => m,
        Err(r) => return *r,
    };
    if p.get("type").map(String::as_str) != Some("3") {
        return errno(10001, "参数错误，type须为3");
    }
    let (Some(order_id), Some(user_id)) = (num(&p, "orderId"), num(&p, "userId")) else {
        return errno(10002, "系统错误，orderId / userId取值不合法");
    };
    let mut book = lock(&m.book);
    match book.by_id_mut(order_id) {
        Some(o) if o.user_id == user_id => {
            o.consumed = false;
            inner.persist_order(&m.app_key, o);
            ok(json!([]))
        }
        _ => errno(10002, "系统错误，orderId / userId取值不合法"),
    }
}

// --- restart ---------------------------------------------------------------------------------

/// Resumes what a loaded sandbox still owes its merchants: payment notifies not acknowledged
/// (a fresh retry schedule) and refunds still being processed (from the audit on; merchants
/// answer a repeated audit the same way, as they must for Baidu's own retries).
pub(crate) fn resume(inner: &Arc<Inner>) {
    let merchants: Vec<Arc<Merchant>> = inner
        .merchants
        .read_or_recover()
        .values()
        .cloned()
        .collect();
    for m in merchants {
        let (unacked, refunding): (Vec<Order>, Vec<u64>) = {
            let book = lock(&m.book);
            (
                book.orders()
                    .iter()
                    .filter(|o| o.status == book::PAID && !o.consumed)
                    .cloned()
                    .collect(),
                book.refunds()
                    .iter()
                    .filter(|r| r.status == book::REFUNDING)
                    .map(|r| r.refund_batch_id)
                    .collect(),
            )
        };
        for o in unacked {
            tracing::info!(order_id = o.order_id, "resuming the payment notify");
            tokio::spawn(notify_payment(inner.clone(), m.clone(), o));
        }
        for id in refunding {
            tracing::info!(refund_batch_id = id, "resuming the refund");
            tokio::spawn(run_refund(inner.clone(), m.clone(), id));
        }
    }
}

// --- deliveries -------------------------------------------------------------------------------

async fn deliveries(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let all = lock(&inner.deliveries);
    let list: Vec<&crate::Delivery> = all
        .iter()
        .filter(|d| p.get("app_key").is_none_or(|k| *k == d.app_key))
        .collect();
    json_response(
        StatusCode::OK,
        &serde_json::to_value(list).unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_dates() {
        assert_eq!(beijing_date(0), "1970-01-01");
        assert_eq!(beijing_date(1_704_038_400), "2024-01-01");
        assert_eq!(beijing_time(1_715_593_760), "2024-05-13 17:49:20");
        assert_eq!(yuan(11300), "113.00");
        assert_eq!(yuan(5), "0.05");
    }
}
