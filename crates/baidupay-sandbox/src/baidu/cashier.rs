//! The cashier: `POST /sandbox/cashier/pay` takes the `orderInfo` the mini program passes to
//! `swan.requestPolymerPayment`, checks it as the cashier does, creates and pays the order and
//! sends the signed payment notify; `POST /sandbox/cashier/create` creates it unpaid.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::baidu::refund::run_refund;
use crate::book::{self, Order};
use crate::callback::CallbackKind;
use crate::deliver::{self, Answer, signed_form};
use crate::request::text_of;
use crate::respond::{json_response, store_failed};
use crate::state::{Inner, Merchant};
use crate::sync::lock;

fn cashier_error(code: i64, msg: &str, detail: Vec<String>) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"errCode": code, "errMsg": msg, "detail": detail}),
    )
}

pub(crate) async fn cashier_pay(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    cashier(inner, &body, true).await
}

pub(crate) async fn cashier_create(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    cashier(inner, &body, false).await
}

pub(crate) async fn cashier(inner: Arc<Inner>, body: &[u8], pay: bool) -> Response {
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
    let now = inner.now_unix();
    let order = {
        let mut book = lock(&m.book);
        let existing = book.by_tp(&tp_order_id).cloned();
        let mark = book.mark(existing.as_ref().map(|o| o.order_id), None);
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
                    commission: 0,
                    locked: false,
                    credited: false,
                    withdrawn: 0,
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
            // the commission is taken at payment
            book.take_commission(order_id);
        }
        let Some(o) = book.by_id(order_id).cloned() else {
            return cashier_error(10, "系统错误", vec![]);
        };
        // stored before it is answered or notified: an order the database did not take is
        // neither created nor paid
        if let Err(e) = inner.persist_order(&m.app_key, &o) {
            book.undo(mark);
            return store_failed(&e);
        }
        o
    };
    if pay {
        tokio::spawn(notify_payment(inner.clone(), m.clone(), order.clone()));
    }
    json_response(
        StatusCode::OK,
        &json!({"orderId": order.order_id, "userId": order.user_id, "status": order.status}),
    )
}

/// Sends the payment notify until it is acknowledged (the first attempt and three retries),
/// then records what the merchant said: consumed (the money reaches the enterprise assets), or
/// `isErrorOrder` (the platform refunds the order itself, its refund notify follows). When
/// every attempt failed, the order is locked "已付款".
pub(crate) async fn notify_payment(inner: Arc<Inner>, m: Arc<Merchant>, o: Order) {
    notify_payment_from(inner, m, o, 1).await;
}

/// [`notify_payment`] from attempt `first` (a restart goes on with the attempts left).
pub(crate) async fn notify_payment_from(inner: Arc<Inner>, m: Arc<Merchant>, o: Order, first: u32) {
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
    let answer = deliver::deliver_from(
        inner.clone(),
        CallbackKind::Payment,
        m.app_key.clone(),
        m.notify_url.clone(),
        body,
        first,
    )
    .await;
    let abnormal = {
        let mut book = lock(&m.book);
        let mark = book.mark(Some(o.order_id), None);
        let abnormal = match answer {
            Some(Answer::Payment(ack)) => {
                book.consume(o.order_id, ack.is_error_order);
                ack.is_error_order
            }
            _ => {
                book.lock_order(o.order_id);
                false
            }
        };
        if let Err(e) = inner.persist_order_money(&m, &book, o.order_id) {
            // the order stays as stored (paid, its notify unanswered); no abnormal refund
            book.undo(mark);
            tracing::error!(order_id = o.order_id, error = %e, "the payment notify's outcome is not recorded");
            return;
        }
        abnormal
    };
    if abnormal {
        refund_abnormal(&inner, &m, &o);
    }
}

/// The platform refunds an order the merchant answered `isErrorOrder` 1 for: in full, without
/// the audit, its refund notify to the merchant's refund-notify URL.
fn refund_abnormal(inner: &Arc<Inner>, m: &Arc<Merchant>, o: &Order) {
    let biz = format!("{}{}", book::BY_PLATFORM, o.order_id);
    let request = book::RefundRequest {
        order_id: o.order_id,
        user_id: o.user_id,
        apply: None,
        biz_refund_batch_id: &biz,
        skip_audit: true,
        notify_url: &m.refund_notify_url,
        by_platform: true,
    };
    let refund = {
        let mut book = lock(&m.book);
        if book.refund_by_biz_batch(&biz).is_some() {
            return;
        }
        let mark = book.mark(None, None);
        match book.apply_refund(&request, inner.next_id(), inner.now_unix()) {
            Ok(r) => {
                if let Err(e) = inner.persist_refund(&m.app_key, &r) {
                    book.undo(mark);
                    tracing::error!(order_id = o.order_id, error = %e, "no abnormal refund");
                    return;
                }
                r
            }
            Err(e) => {
                tracing::info!(order_id = o.order_id, refusal = ?e, "no abnormal refund");
                return;
            }
        }
    };
    tokio::spawn(run_refund(inner.clone(), m.clone(), refund.refund_batch_id));
}
