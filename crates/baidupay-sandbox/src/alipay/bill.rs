//! `alipay.data.dataservice.bill.downloadurl.query` and the bill it points to (UTF-8 CSV; the
//! real one is a ZIP of GBK CSVs).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

use crate::alipay::answer::{Answer, invalid_parameter, not_stored, text};
use crate::respond::csv_file;
use crate::state::Inner;
use crate::state::alipay::App;
use crate::store::Change;
use crate::sync::{Unpoisoned, lock};
use crate::time::{beijing_date, beijing_time, yuan};

pub(crate) fn bill_url(inner: &Inner, app: &App, biz: &Value) -> Answer {
    let bill_type = text(biz, "bill_type").unwrap_or_default();
    if bill_type != "trade" && bill_type != "signcustomer" {
        return invalid_parameter("bill_type须为trade或signcustomer");
    }
    let date = text(biz, "bill_date").unwrap_or_default();
    let daily = baidupay_model::cashier::Date::parse(&date).is_ok();
    let monthly = date.len() == 7 && date.as_bytes().get(4) == Some(&b'-');
    if !daily && !monthly {
        return invalid_parameter("bill_date须为yyyy-MM-dd或yyyy-MM");
    }
    let mut csv = format!(
        "#支付宝业务明细查询\n#账号：[{}]\n#起始日期：[{date}]\n支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号,服务费（元）\n",
        app.seller_id
    );
    let trades = lock(&app.trades);
    for t in trades
        .iter()
        .filter(|t| t.paid.is_some_and(|p| beijing_date(p).starts_with(&date)))
    {
        csv.push_str(&format!(
            "{},{},交易,{},{},{},{},{},,0.00\n",
            t.trade_no,
            t.out_trade_no,
            t.subject.replace(',', " "),
            beijing_time(t.created),
            beijing_time(t.paid.unwrap_or(t.created)),
            yuan(t.total),
            yuan(t.total)
        ));
        for r in &t.refunds {
            csv.push_str(&format!(
                "{},{},退款,{},{},{},-{},-{},{},0.00\n",
                t.trade_no,
                t.out_trade_no,
                t.subject.replace(',', " "),
                beijing_time(t.created),
                beijing_time(r.time),
                yuan(r.amount),
                yuan(r.amount),
                r.out_request_no
            ));
        }
    }
    drop(trades);
    let id = format!("{}-{}", app.app_id, inner.next_id());
    let mut bills = inner.alipay.bills.write_or_recover();
    if let Err(e) = inner.store(&[Change::AlipayBill(id.clone(), csv.clone())]) {
        return not_stored(&e);
    }
    bills.insert(id.clone(), csv);
    drop(bills);
    Answer::Success(json!({
        "bill_download_url": format!("{}/sandbox/alipay/bills/{id}", inner.base_url()),
    }))
}

pub(crate) async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    csv_file(&inner.alipay.bills, &id)
}
