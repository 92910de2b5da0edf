//! The TP order list (`paymentservice/orderlist`).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use baidupay_model::tp::TpErrorCode;
use serde_json::{Value, json};

use crate::book;
use crate::respond::{ok, or_return};
use crate::state::Inner;
use crate::sync::lock;
use crate::time::beijing_time;
use crate::tp::common::{authorized, tp_error, tp_invalid};

/// The TP order list: the cashier orders of the mini program's payment service, newest first,
/// filtered by status and creation time, one page.
pub(crate) async fn order_list(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), None));
    let n = |k: &str| p.get(k).and_then(|v| v.parse::<u64>().ok());
    let (Some(start), Some(end), Some(page), Some(size)) = (
        n("start_time"),
        n("end_time"),
        n("current_page"),
        n("page_size"),
    ) else {
        return tp_invalid("start_time, end_time, current_page, page_size");
    };
    if page == 0 || size == 0 || end < start {
        return tp_invalid("分页或时间范围不合法");
    }
    let status_filter = p.get("status").cloned().unwrap_or_else(|| "all".into());
    let app_key = lock(&program.state).pm_app_key.clone();
    let Some(m) = app_key.and_then(|k| inner.merchant(&k)) else {
        return tp_error(TpErrorCode::ServiceNotFound);
    };
    let book = lock(&m.book);
    let sub_status = |o: &book::Order| -> u64 {
        let refunds: Vec<&book::Refund> = book
            .refunds()
            .iter()
            .filter(|r| r.order_id == o.order_id)
            .collect();
        if refunds.iter().any(|r| r.status == book::REFUNDING) {
            4
        } else if refunds.iter().any(|r| r.status == book::REFUNDED) {
            5
        } else if refunds.iter().any(|r| r.status == book::REFUND_FAILED) {
            6
        } else {
            match o.status {
                book::CLOSED => 7,
                book::PAID if o.consumed => 3,
                book::PAID => 2,
                _ => 1,
            }
        }
    };
    let mut matching: Vec<(&book::Order, u64)> = book
        .orders()
        .iter()
        .filter(|o| {
            let t = u64::try_from(o.create_time).unwrap_or(0);
            t >= start && t <= end
        })
        .map(|o| (o, sub_status(o)))
        .filter(|(_, s)| status_filter == "all" || status_filter == s.to_string())
        .collect();
    matching.reverse();
    let total = u64::try_from(matching.len()).unwrap_or(u64::MAX);
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    let refunded = |o: &book::Order| -> u64 {
        book.refunds()
            .iter()
            .filter(|r| r.order_id == o.order_id && r.status == book::REFUNDED)
            .map(|r| r.amount)
            .sum()
    };
    let list: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|(o, s)| {
            json!({
                "id": o.order_id.to_string(),
                "deal_id": o.deal_id.to_string(),
                "deal_title": "",
                "order_id": o.order_id.to_string(),
                "tp_order_id": o.tp_order_id,
                "phone": "",
                "create_time": beijing_time(o.create_time),
                "update_time": beijing_time(o.pay_time.unwrap_or(o.create_time)),
                "sub_status": s.to_string(),
                "total_money": o.total.to_string(),
                "pay_money": if o.status == book::PAID { o.total } else { 0 }.to_string(),
                "segment_refunded_money": refunded(o).to_string(),
                "channel": "sandbox",
            })
        })
        .collect();
    ok(json!({
        "total_money": matching.iter().map(|(o, _)| o.total).sum::<u64>().to_string(),
        "current_page": page,
        "page_size": size,
        "total_count": total,
        "total_page": total.div_ceil(size),
        "data": list,
    }))
}
