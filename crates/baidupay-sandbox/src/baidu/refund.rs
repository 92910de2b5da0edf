//! The 2.0 refund APIs (`applyOrderRefund`, `findOrderRefund`) and the refund sequence they
//! start: the refund-audit callback (unless skipped), settlement, the refund notify.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::baidu::token::authorize;
use crate::book::{self, RefundRefusal, RefundRequest};
use crate::callback::CallbackKind;
use crate::deliver::{self, Answer, signed_form};
use crate::request::{absolute_url, num, params};
use crate::respond::{errno, not_stored, ok, or_return};
use crate::state::{Inner, Merchant};
use crate::sync::lock;

pub(crate) async fn apply_refund(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = params(q.as_deref(), Some(&body));
    let m = or_return!(authorize(&inner, &p));
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
        by_platform: false,
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
        let mark = book.mark(None, None);
        match book.apply_refund(&request, inner.next_id(), inner.now_unix()) {
            Ok(r) => {
                // stored before it is answered: a refund the database did not take is not made
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
    ok(json!({"refundBatchId": refund.refund_batch_id.to_string(), "refundPayMoney": refund.apply}))
}

/// The platform's answer to a refused refund application (2.0 and 1.0): 10002 for the order's
/// state (the doc's family: 订单未找到 / 已消费订单不允许退款), 10001 for a parameter, 10003 when
/// the money is not there (the enterprise assets after payouts, or the daily refund cap; the
/// wording is the sandbox's, after seeds 000 and 004).
pub(crate) fn refused(e: &RefundRefusal) -> Response {
    match e {
        RefundRefusal::UnknownOrder => errno(10002, "系统错误，订单未找到"),
        RefundRefusal::NotPaid => errno(10002, "系统错误，订单未支付，不能退款"),
        RefundRefusal::WrongUser => errno(10001, "参数错误，userId取值不合法"),
        RefundRefusal::OverAmount { refundable } => errno(
            10001,
            format!("参数错误，applyRefundMoney超过可退金额 (refundable: {refundable} fen)"),
        ),
        RefundRefusal::Locked => errno(
            10002,
            "系统错误，订单已锁定为已付款状态，无法核销，不能退款 (the payment notify failed every \
             attempt; the platform's answer: write to jiaoyi-ask@baidu.com)",
        ),
        RefundRefusal::AssetsShort { assets, needed } => errno(
            10003,
            format!(
                "企业资产不足，退款失败 (enterprise assets: {assets} fen, the refund needs {needed} fen)"
            ),
        ),
        RefundRefusal::DayCap { cap, used } => errno(
            10003,
            format!(
                "当日退款总金额超过每日退款上限，退款失败，次日可再次发起 (cap: {cap} fen, refunded today: {used} fen)"
            ),
        ),
    }
}

/// The refund sequence: audit (unless skipped), settlement, refund notify.
pub(crate) async fn run_refund(inner: Arc<Inner>, m: Arc<Merchant>, refund_batch_id: u64) {
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
        let mark = book.mark(None, Some(refund_batch_id));
        book.settle_refund(refund_batch_id, amount);
        let settled = book.refund(refund_batch_id).cloned();
        if let Some(r) = &settled
            && let Err(e) = inner.persist_refund(&m.app_key, r)
        {
            // the refund stays as stored (refunding), and no refund notify says otherwise
            book.undo(mark);
            tracing::error!(refund_batch_id, error = %e, "the refund's settlement is not recorded");
            return;
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

pub(crate) async fn find_refunds(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let p = params(q.as_deref(), None);
    let m = or_return!(authorize(&inner, &p));
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
