//! The 2.0 order APIs: `findByTpOrderId` and `cancelOrder` (also under `/tp/`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::baidu::token::authorize;
use crate::book::{self, Order};
use crate::request::{num, params};
use crate::respond::{errno, not_stored, ok, or_return};
use crate::state::{Inner, Merchant};
use crate::sync::lock;

fn order_json(m: &Merchant, o: &Order) -> Value {
    json!({
        "orderId": o.order_id,
        "tpOrderId": o.tp_order_id,
        "userId": o.user_id,
        // numbers, as the doc sample and Baidu's Go and Java SDKs have them (a string trips
        // the Go SDK's int64); appKey stays the string a payment appKey is (`MMMabc`): the
        // doc sample's `0` is a placeholder and the Java SDK's field is a String
        "dealId": o.deal_id,
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

pub(crate) async fn find_order(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let p = params(q.as_deref(), None);
    let m = or_return!(authorize(&inner, &p));
    let tp = p.get("tpOrderId").map(String::as_str).unwrap_or("");
    let book = lock(&m.book);
    match book.by_tp(tp) {
        Some(o) => ok(order_json(&m, o)),
        None => errno(10002, "系统错误，订单未找到"),
    }
}

pub(crate) async fn cancel_order(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), None);
    let m = or_return!(authorize(&inner, &p));
    let Some(order_id) = num(&p, "orderId") else {
        return errno(10001, "参数错误，orderId取值不合法");
    };
    let mut book = lock(&m.book);
    match book.by_id_mut(order_id) {
        None => errno(10002, "系统错误，订单未找到"),
        Some(o) if o.status == book::PAID => errno(10001, "参数错误，订单已支付，不能关闭"),
        Some(o) => {
            let was = o.status;
            o.status = book::CLOSED;
            if let Err(e) = inner.persist_order(&m.app_key, o) {
                o.status = was;
                return not_stored(&e);
            }
            ok(Value::Bool(true))
        }
    }
}
