//! The 2.0 bills (`orderBill`, `capitaBill`): a CSV of one Beijing day's orders and refunds,
//! served from `GET /sandbox/bills/{id}`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use serde_json::json;

use crate::baidu::token::authorize;
use crate::book::{self, Order};
use crate::request::params;
use crate::respond::{csv_file, errno, ok, or_return};
use crate::state::Inner;
use crate::sync::{Unpoisoned, lock};
use crate::time::{beijing_date, beijing_time, yuan};

pub(crate) async fn order_bill(state: State<Arc<Inner>>, q: RawQuery) -> Response {
    bill(state, q, "orderBill").await
}

pub(crate) async fn capital_bill(state: State<Arc<Inner>>, q: RawQuery) -> Response {
    bill(state, q, "capitaBill").await
}

pub(crate) async fn bill(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    kind: &str,
) -> Response {
    let p = params(q.as_deref(), None);
    let m = or_return!(authorize(&inner, &p));
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
            "createTime": beijing_time(inner.now_unix()),
            "downloadName": format!("{kind}_{}_{day}.csv", m.deal_id),
            "exportStatus": 2,
            "url": format!("{}/sandbox/bills/{id}", inner.base_url()),
        }],
        "totalCount": 1,
    }))
}

pub(crate) async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    csv_file(&inner.bills, &id)
}
