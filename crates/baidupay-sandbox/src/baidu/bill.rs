//! The 2.0 bills (`orderBill` 订单对账单, `capitaBill` 资金账单), and their TP variants under
//! `/tp/`: one Beijing day of one merchant, served from `GET /sandbox/bills/{id}` as GBK
//! text in the layout of baidu-cashier.md 5.6.
//!
//! The file opens with `#Dealid:[…]`, `#账单类型:[…]` and `#起始日期:[…]`, then holds three
//! reports, each a title line (`#当日所有订单`, `#当日支付订单`, `#当日退款订单`), its `#` total
//! lines (`#总交易单数`, `#总交易额(元)`, `#总退款金额(元)`, `#手续费总金额(元)`: what its rows add
//! up to; 手续费总金额 is the commission the platform took on the payments less what the refunds
//! gave back of it), a header row with the documented
//! columns (交易时间, APPID, 百度订单号, 业务订单号, 用户标识, 订单支付状态, 订单金额(元), 百度退款单号,
//! 业务方退款批次号, 退款金额, 退款状态, 公司名称, 手续费费率) and a row per order or refund; Baidu's
//! long ids carry a leading backquote (so that spreadsheets keep them as text).
//!
//! The two bills differ in what makes a row belong to the day. The order bill follows the
//! orders: every order created that day whatever its status, every refund applied that day
//! whatever its status; its paid report has the day's orders that were paid, its refund report
//! the day's refunds that succeeded. The capital bill follows the money: the payments made that
//! day and the refunds that succeeded that day, in all three reports.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::baidu::token::authorize;
use crate::book::{self, Book, Order, Refund};
use crate::request::params;
use crate::respond::{errno, not_stored, ok, or_return};
use crate::state::Inner;
use crate::sync::{Unpoisoned, lock};
use crate::time::{beijing_date, beijing_time, signed_yuan, yuan};

/// The documented columns, in the documented order.
const HEADER: &str = "交易时间,APPID,百度订单号,业务订单号,用户标识,订单支付状态,订单金额(元),百度退款单号,业务方退款批次号,退款金额,退款状态,公司名称,手续费费率";

/// 公司名称 of every sandbox merchant.
const COMPANY: &str = "百度沙箱测试企业";

/// Which bill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `orderBill`: the day's orders.
    Order,
    /// `capitaBill`: the day's money.
    Capital,
}

impl Kind {
    fn api(self) -> &'static str {
        match self {
            Kind::Order => "orderBill",
            Kind::Capital => "capitaBill",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Order => "订单对账单",
            Kind::Capital => "资金账单",
        }
    }
}

pub(crate) async fn order_bill(state: State<Arc<Inner>>, q: RawQuery) -> Response {
    bill(state, q, Kind::Order).await
}

pub(crate) async fn capital_bill(state: State<Arc<Inner>>, q: RawQuery) -> Response {
    bill(state, q, Kind::Capital).await
}

pub(crate) async fn bill(
    State(inner): State<Arc<Inner>>,
    RawQuery(q): RawQuery,
    kind: Kind,
) -> Response {
    let p = params(q.as_deref(), None);
    let m = or_return!(authorize(&inner, &p));
    let day = p.get("billTime").cloned().unwrap_or_default();
    if baidupay_model::cashier::Date::parse(&day).is_err() {
        return errno(10001, "参数错误，billTime须为yyyy-MM-dd");
    }
    let csv = {
        let book = lock(&m.book);
        render(
            &Header {
                kind,
                deal_id: m.deal_id,
                app_id: m.app_id,
                day: &day,
            },
            &book,
        )
    };
    let id = format!("{}-{}-{}", kind.api(), m.app_key, inner.next_id());
    {
        // the URL is handed out only for a bill that was stored (a restart keeps serving it)
        let mut bills = inner.bills.write_or_recover();
        if let Err(e) = inner.write(|db, next| db.bill(&id, &csv, next)) {
            return not_stored(&e);
        }
        bills.insert(id.clone(), csv);
    }
    ok(json!({
        "data": [{
            "createTime": beijing_time(inner.now_unix()),
            "downloadName": format!("{}_{}_{day}.csv", kind.api(), m.deal_id),
            "exportStatus": 2,
            "url": format!("{}/sandbox/bills/{id}", inner.base_url()),
        }],
        "totalCount": 1,
    }))
}

/// Serves a bill as GBK text (the bills are kept as UTF-8 text and encoded when served).
pub(crate) async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    let bills = inner.bills.read_or_recover();
    match bills.get(&id) {
        Some(csv) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=GBK")],
            gbk(csv),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such bill").into_response(),
    }
}

/// Whose bill, which one, which day.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub(crate) kind: Kind,
    pub(crate) deal_id: u64,
    pub(crate) app_id: u64,
    /// `yyyy-MM-dd`.
    pub(crate) day: &'a str,
}

/// One row of a report.
enum Row<'a> {
    Order(&'a Order),
    Refund(&'a Refund),
}

/// One report: its title and rows.
struct Report<'a> {
    title: &'static str,
    rows: Vec<Row<'a>>,
}

/// The bill of `h.day` from `book`, as UTF-8 text (GBK-encodable: every character is).
pub(crate) fn render(h: &Header<'_>, book: &Book) -> String {
    let on_day = |t: i64| beijing_date(t) == h.day;
    let paid_on_day = |o: &&Order| o.pay_time.is_some_and(on_day);
    let succeeded = |r: &&Refund| r.status == book::REFUNDED;
    let orders = book.orders().iter();
    let refunds = book.refunds().iter();
    let (all, paid, refunded): (Vec<Row<'_>>, Vec<Row<'_>>, Vec<Row<'_>>) = match h.kind {
        Kind::Order => {
            let created = || orders.clone().filter(|o| on_day(o.create_time));
            let applied = || refunds.clone().filter(|r| on_day(r.time));
            (
                created()
                    .map(Row::Order)
                    .chain(applied().map(Row::Refund))
                    .collect(),
                created()
                    .filter(|o| o.pay_time.is_some())
                    .map(Row::Order)
                    .collect(),
                applied().filter(succeeded).map(Row::Refund).collect(),
            )
        }
        Kind::Capital => {
            let payments = || orders.clone().filter(paid_on_day);
            let moved = || refunds.clone().filter(|r| on_day(r.time)).filter(succeeded);
            (
                payments()
                    .map(Row::Order)
                    .chain(moved().map(Row::Refund))
                    .collect(),
                payments().map(Row::Order).collect(),
                moved().map(Row::Refund).collect(),
            )
        }
    };
    let mut out = format!(
        "#Dealid:[{}]\r\n#账单类型:[{}]\r\n#起始日期:[{day} 00:00:00 -- {day} 23:59:59]\r\n",
        h.deal_id,
        h.kind.title(),
        day = h.day,
    );
    for report in [
        Report {
            title: "当日所有订单",
            rows: all,
        },
        Report {
            title: "当日支付订单",
            rows: paid,
        },
        Report {
            title: "当日退款订单",
            rows: refunded,
        },
    ] {
        write_report(&mut out, h, book, &report);
    }
    out
}

fn write_report(out: &mut String, h: &Header<'_>, book: &Book, report: &Report<'_>) {
    let rate = rate(book.settings.commission_per_mille);
    let (mut total, mut refunded, mut fee) = (0_u64, 0_u64, 0_i128);
    let mut lines = String::new();
    for row in &report.rows {
        match row {
            Row::Order(o) => {
                total = total.saturating_add(o.total);
                if o.pay_time.is_some() {
                    fee += i128::from(o.commission);
                }
                let status = match o.status {
                    book::PAID => "已支付",
                    book::CLOSED => "已关闭",
                    _ => "未支付",
                };
                lines.push_str(&format!(
                    "{},{},`{},{},{},{status},{},,,,,{COMPANY},{rate}\r\n",
                    beijing_time(o.pay_time.unwrap_or(o.create_time)),
                    h.app_id,
                    o.order_id,
                    cell(&o.tp_order_id),
                    o.user_id,
                    yuan(o.total),
                ));
            }
            Row::Refund(r) => {
                refunded = refunded.saturating_add(r.amount);
                fee -= i128::from(book.commission_returned(r));
                let status = match r.status {
                    book::REFUNDED => "退款成功",
                    book::REFUND_FAILED => "退款失败",
                    _ => "退款中",
                };
                lines.push_str(&format!(
                    "{},{},`{},{},{},已支付,,`{},{},{},{status},{COMPANY},{rate}\r\n",
                    beijing_time(r.time),
                    h.app_id,
                    r.order_id,
                    cell(&r.tp_order_id),
                    r.user_id,
                    r.refund_batch_id,
                    cell(&r.biz_refund_batch_id),
                    yuan(r.amount),
                ));
            }
        }
    }
    out.push_str(&format!(
        "\r\n#{}\r\n#总交易单数:[{}]\r\n#总交易额(元):[{}]\r\n#总退款金额(元):[{}]\r\n#手续费总金额(元):[{}]\r\n{HEADER}\r\n",
        report.title,
        report.rows.len(),
        yuan(total),
        yuan(refunded),
        signed_yuan(i64::try_from(fee).unwrap_or(i64::MAX)),
    ));
    out.push_str(&lines);
}

/// 手续费费率: the commission rate as a fraction (6 per mille: `0.006`).
fn rate(per_mille: u64) -> String {
    let s = format!("{}.{:03}", per_mille / 1000, per_mille % 1000);
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

/// A merchant-supplied id as a CSV cell: quoted when it holds a comma or a quote, characters
/// GBK cannot hold replaced by `?`.
pub(crate) fn cell(s: &str) -> String {
    let s = gbk_safe(s);
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\"").replace(['\r', '\n'], " "))
    } else {
        s
    }
}

/// `s` with every character that GBK cannot encode replaced by `?` (encoding_rs would write
/// an HTML numeric reference instead, which is not what a platform writes).
pub(crate) fn gbk_safe(s: &str) -> String {
    if s.is_ascii() {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            let mut buf = [0_u8; 4];
            let (_, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
            if unmappable { '?' } else { c }
        })
        .collect()
}

/// `text` encoded as GBK (characters GBK cannot encode as `?`).
pub(crate) fn gbk(text: &str) -> Vec<u8> {
    let safe = gbk_safe(text);
    encoding_rs::GBK.encode(&safe).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u64, tp: &str, total: u64, created: i64, paid: Option<i64>) -> Order {
        Order {
            order_id: id,
            user_id: 7,
            tp_order_id: tp.to_owned(),
            deal_id: 470_193_086,
            total,
            status: if paid.is_some() {
                book::PAID
            } else {
                book::UNPAID
            },
            consumed: paid.is_some(),
            error_order: false,
            commission: if paid.is_some() {
                book::commission(total, 6)
            } else {
                0
            },
            locked: false,
            credited: paid.is_some(),
            withdrawn: 0,
            create_time: created,
            pay_time: paid,
            biz_info: String::new(),
            return_data: String::new(),
        }
    }

    /// 2024-05-13 17:49:20 in Beijing.
    const T: i64 = 1_715_593_760;

    fn book() -> Book {
        let mut b = Book::default();
        b.insert(order(11, "T1", 11300, T, Some(T + 5)));
        b.insert(order(12, "T,2", 500, T + 10, None));
        // created the day before, paid on the day
        b.insert(order(13, "T3", 1000, T - 86_400, Some(T + 20)));
        let req = book::RefundRequest {
            order_id: 11,
            user_id: 7,
            apply: Some(3000),
            biz_refund_batch_id: "RB-1",
            skip_audit: true,
            notify_url: "",
            by_platform: false,
        };
        let r = b.apply_refund(&req, 91, T + 30).unwrap();
        b.settle_refund(r.refund_batch_id, Some(3000));
        let req = book::RefundRequest {
            biz_refund_batch_id: "RB-2",
            apply: Some(100),
            ..req
        };
        b.apply_refund(&req, 92, T + 40).unwrap();
        b
    }

    fn header(kind: Kind) -> Header<'static> {
        Header {
            kind,
            deal_id: 470_193_086,
            app_id: 10026,
            day: "2024-05-13",
        }
    }

    #[test]
    fn the_order_bill_has_the_three_reports_with_their_totals_and_commission() {
        let text = render(&header(Kind::Order), &book());
        assert!(text.starts_with("#Dealid:[470193086]\r\n#账单类型:[订单对账单]\r\n"));
        let reports: Vec<&str> = text.split("\r\n\r\n").collect();
        assert_eq!(reports.len(), 4, "{text}");
        // all: two orders created on the day, two refunds applied (one still running)
        assert!(reports[1].contains("#当日所有订单\r\n#总交易单数:[4]\r\n#总交易额(元):[118.00]\r\n#总退款金额(元):[31.00]\r\n#手续费总金额(元):[0.50]\r\n"), "{}", reports[1]);
        assert!(reports[1].contains("2024-05-13 17:49:30,10026,`12,\"T,2\",7,未支付,5.00,"));
        assert!(reports[1].contains(",`92,RB-2,1.00,退款中,"));
        // paid: the one paid order created on the day; commission 113.00 * 0.006 = 0.68
        assert!(reports[2].contains("#当日支付订单\r\n#总交易单数:[1]\r\n#总交易额(元):[113.00]\r\n#总退款金额(元):[0.00]\r\n#手续费总金额(元):[0.68]\r\n"), "{}", reports[2]);
        assert!(reports[2].ends_with(
            "2024-05-13 17:49:25,10026,`11,T1,7,已支付,113.00,,,,,百度沙箱测试企业,0.006"
        ));
        // refunded: the refund that succeeded gave back 30/113 of 0.68 = 0.18
        assert!(reports[3].contains("#当日退款订单\r\n#总交易单数:[1]\r\n#总交易额(元):[0.00]\r\n#总退款金额(元):[30.00]\r\n#手续费总金额(元):[-0.18]\r\n"), "{}", reports[3]);
        assert!(reports[3].contains(",`91,RB-1,30.00,退款成功,"));
    }

    #[test]
    fn the_capital_bill_follows_the_money() {
        let text = render(&header(Kind::Capital), &book());
        assert!(text.contains("#账单类型:[资金账单]"));
        let reports: Vec<&str> = text.split("\r\n\r\n").collect();
        // payments of the day: T1 and T3 (created the day before); the refund that succeeded
        assert!(reports[1].contains("#总交易单数:[3]\r\n#总交易额(元):[123.00]\r\n#总退款金额(元):[30.00]\r\n#手续费总金额(元):[0.56]\r\n"), "{}", reports[1]);
        assert!(reports[2].contains("#总交易单数:[2]\r\n#总交易额(元):[123.00]\r\n"));
        assert!(!reports[1].contains("未支付") && !reports[1].contains("退款中"));
        assert!(reports[3].contains("#总交易单数:[1]\r\n"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Whatever the day's orders and refunds, both bills parse with the SDK's reader, their
        /// stated totals add up, and they hold exactly the day's payments and successful refunds.
        /// (Order ids are `tpOrderId`s, commas included; `"` is left out: the SDK's reader trims
        /// quotes from a cell even when the CSV quoting kept them.)
        #[test]
        fn every_bill_reads_back_with_the_sdk_and_adds_up(
            orders in proptest::collection::vec(
                (1_u64..200_000, proptest::bool::ANY, 0_usize..3, proptest::bool::ANY, "[A-Za-z0-9_,.:;!#$%*+/<>?@^|~-]{1,12}"),
                0..8,
            )
        ) {
            let mut b = Book::default();
            b.settings.day_refund_cap = None;
            let (mut payments, mut refunds) = (Vec::new(), Vec::new());
            for (i, (total, paid, n_refunds, next_day, tp)) in orders.iter().enumerate() {
                let id = 100 + u64::try_from(i).unwrap();
                let tp = format!("{tp}{i}");
                let created = if *next_day { T + 86_400 } else { T + 1 };
                b.insert(order(id, &tp, *total, created, paid.then_some(created + 1)));
                if !paid {
                    continue;
                }
                if !next_day {
                    payments.push((gbk_safe(&tp), *total));
                }
                for k in 0..*n_refunds {
                    let biz = format!("RB-{i}-{k}");
                    let req = book::RefundRequest {
                        order_id: id,
                        user_id: 7,
                        apply: Some(total / 4 + 1),
                        biz_refund_batch_id: &biz,
                        skip_audit: true,
                        notify_url: "",
                        by_platform: false,
                    };
                    let Ok(r) = b.apply_refund(&req, 1000 + id * 10 + k as u64, created + 2) else {
                        continue;
                    };
                    let ok = k % 2 == 0;
                    b.settle_refund(r.refund_batch_id, ok.then_some(r.amount));
                    if ok && !next_day {
                        refunds.push((biz, r.amount));
                    }
                }
            }
            for kind in [Kind::Order, Kind::Capital] {
                let text = render(&header(kind), &b);
                let bill = baidupay_cashier::read_bill_entries(&gbk(&text)[..]).unwrap();
                proptest::prop_assert!(bill.totals_ok, "{}", text);
                let got_payments: Vec<(String, u64)> = bill
                    .entries
                    .iter()
                    .filter(|e| e.refund_id.is_none())
                    .map(|e| (e.merchant_order_id.clone(), e.amount.get()))
                    .collect();
                let got_refunds: Vec<(String, u64)> = bill
                    .entries
                    .iter()
                    .filter_map(|e| Some((e.refund_id.clone()?, e.amount.get())))
                    .collect();
                proptest::prop_assert_eq!(&got_payments, &payments);
                proptest::prop_assert_eq!(&got_refunds, &refunds);
            }
        }
    }

    #[test]
    fn gbk_replaces_what_it_cannot_hold() {
        assert_eq!(gbk("订单a"), b"\xb6\xa9\xb5\xa5a");
        assert_eq!(gbk("x😀y"), b"x?y");
        assert_eq!(rate(6), "0.006");
        assert_eq!(rate(10), "0.01");
        assert_eq!(rate(1000), "1");
        assert_eq!(rate(0), "0");
    }
}
