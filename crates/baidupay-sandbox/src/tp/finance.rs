//! The TP finance reports (`financebalance`, `incomedetail`, `otherdetail`, `financeexpense`,
//! `paydetail`), paginated, from the mini program's paid orders and refunds. No settlement runs.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use baidupay_model::tp::TpErrorCode;
use serde_json::{Value, json};

use crate::book;
use crate::request::params;
use crate::respond::{ok, or_return};
use crate::state::tp::Program;
use crate::state::{Inner, Merchant};
use crate::sync::lock;
use crate::time::{beijing_date, beijing_time, signed_yuan};
use crate::tp::common::{authorized, program, tp_error, tp_invalid};

/// The merchant of the mini program's opened payment service.
fn service_merchant(inner: &Inner, program: &Program) -> Result<Arc<Merchant>, Box<Response>> {
    let app_key = lock(&program.state).pm_app_key.clone();
    app_key
        .and_then(|k| inner.merchant(&k))
        .ok_or_else(|| Box::new(tp_error(TpErrorCode::ServiceNotFound)))
}

/// One money movement of the mini program: `(day, unix time, fen (negative for refunds),
/// order id, tp order id, is_refund)`.
type Movement = (String, i64, i64, u64, String, bool);

fn movements(m: &Merchant) -> Vec<Movement> {
    let book = lock(&m.book);
    let mut out: Vec<Movement> = book
        .orders()
        .iter()
        .filter_map(|o| {
            let t = o.pay_time?;
            Some((
                beijing_date(t),
                t,
                i64::try_from(o.total).unwrap_or(i64::MAX),
                o.order_id,
                o.tp_order_id.clone(),
                false,
            ))
        })
        .collect();
    out.extend(
        book.refunds()
            .iter()
            .filter(|r| r.status == book::REFUNDED)
            .map(|r| {
                (
                    beijing_date(r.time),
                    r.time,
                    -i64::try_from(r.amount).unwrap_or(i64::MAX),
                    r.order_id,
                    r.tp_order_id.clone(),
                    true,
                )
            }),
    );
    out.sort_by_key(|m| m.1);
    out
}

struct Paging {
    page: u64,
    size: u64,
    start: String,
    end: String,
}

fn paging(p: &HashMap<String, String>, single_day: bool) -> Result<Paging, Box<Response>> {
    let n = |k: &str| {
        p.get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|v| *v > 0)
    };
    let date = |k: &str| {
        p.get(k)
            .filter(|d| baidupay_model::cashier::Date::parse(d).is_ok())
            .cloned()
    };
    let start = date("start_time");
    let end = if single_day {
        start.clone()
    } else {
        date("end_time")
    };
    match (n("current_page"), n("page_size"), start, end) {
        (Some(page), Some(size), Some(start), Some(end)) if start <= end => Ok(Paging {
            page,
            size,
            start,
            end,
        }),
        _ => Err(Box::new(tp_invalid(
            "current_page, page_size (从 1 起), start_time / end_time (yyyy-MM-dd)",
        ))),
    }
}

fn page_of<T: Clone>(items: &[T], pg: &Paging) -> Vec<T> {
    let skip = usize::try_from((pg.page - 1).saturating_mul(pg.size)).unwrap_or(usize::MAX);
    let take = usize::try_from(pg.size).unwrap_or(usize::MAX);
    items.iter().skip(skip).take(take).cloned().collect()
}

/// What a paginated finance report starts from: the authorizer's mini program, the page and
/// period asked for (one day with `single_day`), and the merchant of its payment service.
struct Report {
    program: Arc<Program>,
    pg: Paging,
    m: Arc<Merchant>,
}

fn report(inner: &Inner, q: Option<&str>, single_day: bool) -> Result<Report, Box<Response>> {
    let p = params(q, None);
    let program = program(inner, &p)?;
    let pg = paging(&p, single_day)?;
    let m = service_merchant(inner, &program)?;
    Ok(Report { program, pg, m })
}

/// 支付收入列表: income per day (paid orders less refunds), days with movements only.
pub(crate) async fn finance_balance(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let Report { program, pg, m } = or_return!(report(&inner, q.as_deref(), false));
    let mut days: Vec<(String, i64)> = Vec::new();
    for (day, _, fen, ..) in movements(&m)
        .into_iter()
        .filter(|mv| mv.0 >= pg.start && mv.0 <= pg.end)
    {
        match days.last_mut() {
            Some((d, sum)) if *d == day => *sum += fen,
            _ => days.push((day, fen)),
        }
    }
    let total: i64 = days.iter().map(|d| d.1).sum();
    let period = lock(&program.state).service.as_ref().and_then(|s| {
        s.fields
            .get("payment_days")
            .and_then(|v| v.parse::<u64>().ok())
    });
    let data: Vec<Value> = page_of(&days, &pg)
        .into_iter()
        .map(|(day, fen)| {
            json!({"income": signed_yuan(fen), "operate_time": day,
                   "adjust_amount": "0.00", "others": "0.00"})
        })
        .collect();
    ok(json!({
        "income": signed_yuan(total),
        "period": period,
        "data": data,
        "adjustment": "0.00",
        "free_balance": signed_yuan(total),
        // 支付时间, `yyyy-MM-dd HH:mm:ss` as seed 004 documents: the balance is paid out at
        // the start of the day `period` days (T+N) from today
        "payment_due": period.map(|d| {
            let due = inner
                .now_unix()
                .saturating_add(i64::try_from(d).unwrap_or(0).saturating_mul(86_400));
            format!("{} 00:00:00", beijing_date(due))
        }),
        "others": "0.00",
        "page_size": pg.size,
        "total_count": days.len(),
        "current_page": pg.page,
    }))
}

/// 支付收入货款列表: one day's payments and refunds.
pub(crate) async fn income_detail(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let Report { pg, m, .. } = or_return!(report(&inner, q.as_deref(), true));
    let items: Vec<Movement> = movements(&m)
        .into_iter()
        .filter(|mv| mv.0 == pg.start)
        .collect();
    let income: i64 = items.iter().filter(|i| !i.5).map(|i| i.2).sum();
    let refunds: i64 = items.iter().filter(|i| i.5).map(|i| i.2).sum();
    let data: Vec<Value> = page_of(&items, &pg)
        .into_iter()
        .map(|(_, t, fen, order_id, tp_order_id, refund)| {
            json!({
                "opt_type": if refund { "退款" } else { "收入" },
                "money": signed_yuan(fen),
                "order_id": order_id,
                "operate_time": beijing_time(t),
                "third_order_id": tp_order_id,
            })
        })
        .collect();
    ok(json!({
        "income": signed_yuan(income + refunds),
        "quantity": items.len(),
        "data": data,
        "operate_time": pg.start,
        "income_amount": signed_yuan(income),
        "refund_amount": signed_yuan(refunds),
        "page_size": pg.size,
        "total_count": items.len(),
        "current_page": pg.page,
    }))
}

/// 支付收入其他款项列表: the sandbox makes no adjustments or subsidies, so the list is empty
/// (with the period asked for).
pub(crate) async fn other_detail(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
) -> Response {
    let Report { pg, .. } = or_return!(report(&inner, q.as_deref(), false));
    ok(json!({
        "total_amount": "0.00",
        "order_amount": "0.00",
        "data": [],
        "rule_type": "",
        "settlement_start_time": pg.start,
        "settlement_end_time": pg.end,
        "total_count": 0,
    }))
}

/// 支出列表: the sandbox pays nothing out (no settlement runs), so the list is empty.
pub(crate) async fn expenses(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let _ = or_return!(report(&inner, q.as_deref(), false));
    ok(json!({"expense_count": 0, "data": [], "expense_money": "0.00", "total_count": 0}))
}

/// 支付打款详情: no payout exists in the sandbox, so every `task_id` is unknown.
pub(crate) async fn pay_detail(State(inner): State<Arc<Inner>>, RawQuery(q): RawQuery) -> Response {
    let (p, program) = or_return!(authorized(&inner, q.as_deref(), None));
    let _m = or_return!(service_merchant(&inner, &program));
    if p.get("task_id")
        .and_then(|t| t.parse::<u64>().ok())
        .is_none()
    {
        return tp_invalid("task_id");
    }
    tp_error(TpErrorCode::NoData)
}
