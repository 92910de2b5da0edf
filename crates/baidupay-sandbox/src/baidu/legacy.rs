//! The cashier 1.0 APIs, signed by the merchant instead of a token: `queryorderdetail`,
//! `cashier/applyOrderRefund` and `cashier/syncOrderStatus`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::baidu::refund::{refused, run_refund};
use crate::book::{self, CancelRefusal, RefundRequest};
use crate::request::{num, params};
use crate::respond::{errno, json_response, not_stored, ok, or_return};
use crate::state::{Inner, Merchant};
use crate::sync::lock;

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

pub(crate) async fn legacy_query_order(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), None);
    let m = or_return!(signed_merchant(&inner, &p, "sign"));
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
            "timestamp": inner.now_unix(), "cached": 0, "serverlogid": inner.next_id().to_string(),
        }),
    )
}

pub(crate) async fn legacy_refund(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), Some(&body));
    let m = or_return!(signed_merchant(&inner, &p, "rsaSign"));
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
        by_platform: false,
    };
    let refund = {
        let mut book = lock(&m.book);
        if let Some(r) = book.refund_by_biz_batch(&biz) {
            return ok(
                json!({"refundBatchId": r.refund_batch_id.to_string(), "refundPayMoney": r.apply.to_string()}),
            );
        }
        match book.by_id(order_id) {
            Some(o) if o.tp_order_id == get("tpOrderId") => {
                // the 1.0 refund needs the consumption cancelled first (syncOrderStatus)
                if o.consumed && o.user_id == user_id {
                    return errno(
                        10002,
                        "系统错误，已消费订单不允许退款 (cancel the consumption first: syncOrderStatus)",
                    );
                }
            }
            _ => return errno(10002, "系统错误，订单未找到"),
        }
        let mark = book.mark(None, None);
        match book.apply_refund(&request, inner.next_id(), inner.now_unix()) {
            Ok(r) => {
                if let Err(e) = inner.persist_refund(&m.app_key, &r) {
                    book.undo(mark);
                    return not_stored(&e);
                }
                r
            }
            Err(e) => return refused(&e),
        }
    };
    tokio::spawn(run_refund(inner.clone(), m.clone(), refund.refund_batch_id));
    // the 1.0 answer carries refundPayMoney as a string
    ok(
        json!({"refundBatchId": refund.refund_batch_id.to_string(), "refundPayMoney": refund.apply.to_string()}),
    )
}

pub(crate) async fn legacy_sync(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), Some(&body));
    let m = or_return!(signed_merchant(&inner, &p, "rsaSign"));
    if p.get("type").map(String::as_str) != Some("3") {
        return errno(10001, "参数错误，type须为3");
    }
    let (Some(order_id), Some(user_id)) = (num(&p, "orderId"), num(&p, "userId")) else {
        return errno(10002, "系统错误，orderId / userId取值不合法");
    };
    let mut book = lock(&m.book);
    let mark = book.mark(Some(order_id), None);
    match book.cancel_consumption(order_id, user_id) {
        Ok(()) => {
            let stored = book
                .by_id(order_id)
                .map_or(Ok(()), |o| inner.persist_order(&m.app_key, o));
            if let Err(e) = stored {
                book.undo(mark);
                return not_stored(&e);
            }
            ok(json!([]))
        }
        Err(CancelRefusal::WrongOrder) => errno(10002, "系统错误，orderId / userId取值不合法"),
        Err(CancelRefusal::AssetsShort { assets, needed }) => errno(
            10003,
            format!(
                "企业资产金额小于退款金额，取消核销失败 (enterprise assets: {assets} fen, the order's refund: {needed} fen)"
            ),
        ),
    }
}
