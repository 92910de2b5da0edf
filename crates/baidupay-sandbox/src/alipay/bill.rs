//! `alipay.data.dataservice.bill.downloadurl.query` and the bill it points to (UTF-8 CSV; the
//! real one is a ZIP of GBK CSVs).
//!
//! As on the real gateway, only past days (and past months) have a bill: today's is generated
//! the next day, so today, a later day or the current month answer `isp.bill_not_exist`
//! (账单不存在). A past day without a payment or refund answers `bill_file_code`
//! `EMPTY_DATA_WITH_BILL_FILE` (alipay-jsapi.md 5.5), with the URL of its empty bill.

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
    // `yyyy-MM-dd` and `yyyy-MM` compare as dates: today's date, or its month for a monthly bill
    let today = beijing_date(inner.now_unix());
    if date.as_str() >= today.get(..date.len()).unwrap_or(&today) {
        return Answer::Failure {
            code: "40004",
            msg: "Business Failed",
            sub_code: "isp.bill_not_exist".to_owned(),
            sub_msg: "账单不存在".to_owned(),
        };
    }
    let mut csv = format!(
        "#支付宝业务明细查询\n#账号：[{}]\n#起始日期：[{date}]\n支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,订单金额（元）,商家实收（元）,退款批次号/请求号,服务费（元）\n",
        app.seller_id
    );
    // a payment on the day it was paid, a refund on the day it was made
    let on_day = |unix: i64| beijing_date(unix).starts_with(&date);
    let trades = lock(&app.trades);
    let mut rows = 0_usize;
    for t in trades.iter() {
        // 业务类型, 完成时间, signed amount (订单金额 and 商家实收), 退款批次号/请求号
        let mut row = |kind: &str, done: i64, amount: String, request_no: &str| {
            csv.push_str(&format!(
                "{},{},{kind},{},{},{},{amount},{amount},{request_no},0.00\n",
                t.trade_no,
                t.out_trade_no,
                t.subject.replace(',', " "),
                beijing_time(t.created),
                beijing_time(done),
            ));
            rows += 1;
        };
        if let Some(paid) = t.paid.filter(|p| on_day(*p)) {
            row("交易", paid, yuan(t.total), "");
        }
        for r in t.refunds.iter().filter(|r| on_day(r.time)) {
            row(
                "退款",
                r.time,
                format!("-{}", yuan(r.amount)),
                &r.out_request_no,
            );
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
    let url = format!("{}/sandbox/alipay/bills/{id}", inner.base_url());
    Answer::Success(if rows == 0 {
        json!({"bill_download_url": url, "bill_file_code": "EMPTY_DATA_WITH_BILL_FILE"})
    } else {
        json!({ "bill_download_url": url })
    })
}

pub(crate) async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    csv_file(&inner.alipay.bills, &id)
}
