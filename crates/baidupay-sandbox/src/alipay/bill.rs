//! `alipay.data.dataservice.bill.downloadurl.query` and the bill it points to: a ZIP of GBK
//! CSV files, as alipay-jsapi.md 5.5 describes the real one.
//!
//! As on the real gateway, only past days (and past months) have a bill: today's is generated
//! the next day, so today, a later day or the current month answer `isp.bill_not_exist`
//! (账单不存在). A past day without a payment or refund answers `bill_file_code`
//! `EMPTY_DATA_WITH_BILL_FILE` (alipay-jsapi.md 5.5), with the URL of its empty bill (the
//! same files, without rows).
//!
//! The archive holds `{pid}_{yyyyMMdd}_业务明细.csv` (one row per payment, and per refund with
//! negative amounts, on the day it was made) and `{pid}_{yyyyMMdd}_业务明细(汇总).csv` (the
//! totals, one store row and a `合计` row), entry names in GBK without the UTF-8 flag, deflated.
//! Each file is GBK text with CRLF line ends: `#` comment lines (title, `#账号：[…]`, the dates,
//! a dashed line), the header row, the rows, a dashed end line and the summary lines
//! (`#交易合计：N笔，退款合计：M笔`, `#导出时间：[…]`). Cells are padded as Alipay pads them: ids
//! with a trailing tab, the refund request number behind a backquote, the goods name with
//! spaces. The ZIP is built when the URL is asked for and kept (base64, so that the store keeps
//! text) until served.

use std::io::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::alipay::answer::{Answer, invalid_parameter, not_stored, text};
use crate::baidu::bill::{cell, gbk};
use crate::state::Inner;
use crate::state::alipay::{App, Trade};
use crate::store::Change;
use crate::sync::{Unpoisoned, lock};
use crate::time::{beijing_date, beijing_time, signed_yuan};

/// The columns of the detail file, as merchants report them (alipay-jsapi.md 5.5).
const DETAIL_HEADER: [&str; 25] = [
    "支付宝交易号",
    "商户订单号",
    "业务类型",
    "商品名称",
    "创建时间",
    "完成时间",
    "门店编号",
    "门店名称",
    "操作员",
    "终端号",
    "对方账户",
    "订单金额（元）",
    "商家实收（元）",
    "支付宝红包（元）",
    "集分宝（元）",
    "支付宝优惠（元）",
    "商家优惠（元）",
    "券核销金额（元）",
    "券名称",
    "商家红包消费金额（元）",
    "卡消费金额（元）",
    "退款批次号/请求号",
    "服务费（元）",
    "分润（元）",
    "备注",
];

/// The columns of the summary file.
const SUMMARY_HEADER: &str = "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,服务费（元）,实收净额（元）";

/// Marks a stored bill as a base64 ZIP (older stores kept UTF-8 CSV text).
const ZIP_PREFIX: &str = "zip;base64,";

pub(crate) fn bill_url(inner: &Inner, app: &App, biz: &Value) -> Answer {
    let bill_type = text(biz, "bill_type").unwrap_or_default();
    if bill_type != "trade" && bill_type != "signcustomer" {
        return invalid_parameter("bill_type须为trade或signcustomer");
    }
    let date = text(biz, "bill_date").unwrap_or_default();
    let daily = baidupay_model::cashier::Date::parse(&date).is_ok();
    let monthly = date.len() == 7
        && date.as_bytes().get(4) == Some(&b'-')
        && baidupay_model::cashier::Date::parse(&format!("{date}-01")).is_ok();
    if !daily && !monthly {
        return invalid_parameter("bill_date须为yyyy-MM-dd或yyyy-MM");
    }
    // `yyyy-MM-dd` and `yyyy-MM` compare as dates: today's date, or its month for a monthly bill
    let now = inner.now_unix();
    let today = beijing_date(now);
    if date.as_str() >= today.get(..date.len()).unwrap_or(&today) {
        return Answer::Failure {
            code: "40004",
            msg: "Business Failed",
            sub_code: "isp.bill_not_exist".to_owned(),
            sub_msg: "账单不存在".to_owned(),
        };
    }
    let period = Period::new(&date);
    let (files, rows) = {
        let trades = lock(&app.trades);
        let rows = day_rows(&trades, &date);
        (bill_files(&app.seller_id, &period, &rows, now), rows.len())
    };
    let zip = match zip_archive(&files) {
        Ok(zip) => zip,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the bill archive");
            return Answer::Failure {
                code: "20000",
                msg: "Service Currently Unavailable",
                sub_code: "isp.unknow-error".to_owned(),
                sub_msg: "系统繁忙".to_owned(),
            };
        }
    };
    let stored = format!("{ZIP_PREFIX}{}", BASE64.encode(zip));
    let id = format!("{}-{}", app.app_id, inner.next_id());
    let mut bills = inner.alipay.bills.write_or_recover();
    if let Err(e) = inner.store(&[Change::AlipayBill(id.clone(), stored.clone())]) {
        return not_stored(&e);
    }
    bills.insert(id.clone(), stored);
    drop(bills);
    let url = format!("{}/sandbox/alipay/bills/{id}", inner.base_url());
    Answer::Success(if rows == 0 {
        json!({"bill_download_url": url, "bill_file_code": "EMPTY_DATA_WITH_BILL_FILE"})
    } else {
        json!({ "bill_download_url": url })
    })
}

/// Serves a bill: the ZIP (`application/zip`, named `{id}.csv.zip`), or the UTF-8 CSV an older
/// store kept.
pub(crate) async fn bill_file(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    let bills = inner.alipay.bills.read_or_recover();
    let Some(stored) = bills.get(&id) else {
        return (StatusCode::NOT_FOUND, "no such bill").into_response();
    };
    let Some(b64) = stored.strip_prefix(ZIP_PREFIX) else {
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
            stored.clone(),
        )
            .into_response();
    };
    match BASE64.decode(b64) {
        Ok(zip) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/zip".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{id}.csv.zip\""),
                ),
            ],
            zip,
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the stored bill is damaged",
        )
            .into_response(),
    }
}

/// The day (or month) a bill covers.
#[derive(Debug)]
struct Period {
    /// `yyyyMMdd` or `yyyyMM`, as the entry names write it.
    compact: String,
    /// `2024年05月13日 00:00:00`.
    start: String,
    /// The start of the next day (or month).
    end: String,
}

impl Period {
    /// `date` is `yyyy-MM-dd` or `yyyy-MM`, checked.
    fn new(date: &str) -> Self {
        let num = |r: std::ops::Range<usize>| -> u32 {
            date.get(r).and_then(|s| s.parse().ok()).unwrap_or(1)
        };
        let (y, m) = (num(0..4), num(5..7));
        let d = if date.len() == 10 { num(8..10) } else { 1 };
        let (ey, em, ed) = if date.len() == 10 {
            next_day(y, m, d)
        } else if m == 12 {
            (y + 1, 1, 1)
        } else {
            (y, m + 1, 1)
        };
        let civil = |y: u32, m: u32, d: u32| format!("{y:04}年{m:02}月{d:02}日 00:00:00");
        Self {
            compact: date.replace('-', ""),
            start: civil(y, m, d),
            end: civil(ey, em, ed),
        }
    }
}

fn next_day(y: u32, m: u32, d: u32) -> (u32, u32, u32) {
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if d < days {
        (y, m, d + 1)
    } else if m < 12 {
        (y, m + 1, 1)
    } else {
        (y + 1, 1, 1)
    }
}

/// `2024-05-13 17:49:20` as the comment lines write it: `2024年05月13日 17:49:20`.
fn civil_time(unix: i64) -> String {
    let t = baidupay_model::time::BeijingTime::from_unix(unix);
    format!(
        "{:04}年{:02}月{:02}日 {:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// One row of the detail file.
#[derive(Debug)]
struct DetailRow<'a> {
    trade: &'a Trade,
    refund: Option<&'a crate::state::alipay::AliRefund>,
    done: i64,
    /// Signed fen: negative for a refund.
    amount: i64,
}

/// The day's rows in the order they were completed: a payment on the day it was paid, a
/// refund on the day it was made (`date` is `yyyy-MM-dd`, or `yyyy-MM` for a month).
fn day_rows<'a>(trades: &'a [Trade], date: &str) -> Vec<DetailRow<'a>> {
    let on_day = |unix: i64| beijing_date(unix).starts_with(date);
    let fen = |f: u64| i64::try_from(f).unwrap_or(i64::MAX);
    let mut rows = Vec::new();
    for t in trades {
        if let Some(paid) = t.paid.filter(|p| on_day(*p)) {
            rows.push(DetailRow {
                trade: t,
                refund: None,
                done: paid,
                amount: fen(t.total),
            });
        }
        for r in t.refunds.iter().filter(|r| on_day(r.time)) {
            rows.push(DetailRow {
                trade: t,
                refund: Some(r),
                done: r.time,
                amount: -fen(r.amount),
            });
        }
    }
    // in the order they were completed; in the same second payments first, then trade order
    rows.sort_by_key(|r| (r.done, r.refund.is_some()));
    rows
}

/// A buyer's account as the bill shows it: masked (`2088****6880`).
fn masked(buyer: Option<&str>) -> String {
    match buyer {
        Some(b) if b.len() > 8 && b.is_ascii() => {
            format!("{}****{}", &b[..4], &b[b.len() - 4..])
        }
        _ => String::new(),
    }
}

/// The detail and summary files: `(entry name, UTF-8 text)` each.
fn bill_files(
    pid: &str,
    period: &Period,
    rows: &[DetailRow<'_>],
    now: i64,
) -> [(String, String); 2] {
    let dates = format!(
        "#起始日期：[{}]   终止日期：[{}]\r\n",
        period.start, period.end
    );
    let exported = format!("#导出时间：[{}]\r\n", civil_time(now));
    let mut detail = format!("#支付宝业务明细查询\r\n#账号：[{pid}]\r\n{dates}");
    detail.push_str(
        "#-----------------------------------------业务明细列表----------------------------------------\r\n",
    );
    detail.push_str(&DETAIL_HEADER.join(","));
    detail.push_str("\r\n");
    let (mut payments, mut refunds, mut sum) = (0_u64, 0_u64, 0_i64);
    for row in rows {
        let t = row.trade;
        let amount = signed_yuan(row.amount);
        let (kind, request_no) = match row.refund {
            Some(r) => {
                refunds += 1;
                ("退款", format!("`{}\t", cell(&r.out_request_no)))
            }
            None => {
                payments += 1;
                ("交易", String::new())
            }
        };
        sum = sum.saturating_add(row.amount);
        let cells: [String; 25] = [
            format!("{}\t", t.trade_no),
            format!("{}\t", cell(&t.out_trade_no)),
            kind.to_owned(),
            format!("{}  ", cell(&t.subject)),
            beijing_time(t.created),
            beijing_time(row.done),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            masked(t.buyer_id.as_deref()),
            amount.clone(),
            amount,
            "0.00".to_owned(),
            "0.00".to_owned(),
            "0.00".to_owned(),
            "0.00".to_owned(),
            "0.00".to_owned(),
            String::new(),
            "0.00".to_owned(),
            "0.00".to_owned(),
            request_no,
            "0.00".to_owned(),
            "0.00".to_owned(),
            String::new(),
        ];
        detail.push_str(&cells.join(","));
        detail.push_str("\r\n");
    }
    detail.push_str(
        "#-----------------------------------------业务明细列表结束------------------------------------\r\n",
    );
    detail.push_str(&format!(
        "#交易合计：{payments}笔，退款合计：{refunds}笔\r\n{exported}"
    ));
    let total = signed_yuan(sum);
    let totals = format!("{payments},{refunds},{total},{total},0.00,{total}");
    let summary = format!(
        "#支付宝业务汇总查询\r\n#账号：[{pid}]\r\n{dates}{SUMMARY_HEADER}\r\n,,{totals}\r\n合计,,{totals}\r\n{exported}"
    );
    let name = |suffix: &str| format!("{pid}_{}_{suffix}.csv", period.compact);
    [
        (name("业务明细"), detail),
        (name("业务明细(汇总)"), summary),
    ]
}

/// The ZIP of `files`: deflated, entry names in GBK (no UTF-8 flag), contents in GBK, dated
/// 1980-01-01 (a fixed date, so that the same bill gives the same bytes).
fn zip_archive(files: &[(String, String)]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        let name = gbk(name);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .name(&name);
        zip.start_file_with_options(options)?;
        zip.write_all(&gbk(text))?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::alipay::{AliRefund, Status};

    fn trade(no: &str, out: &str, total: u64, paid: Option<i64>) -> Trade {
        Trade {
            trade_no: no.to_owned(),
            out_trade_no: out.to_owned(),
            total,
            subject: "测试商品, \"特价\"".to_owned(),
            body: None,
            buyer_id: Some("2088102177846880".to_owned()),
            buyer_open_id: None,
            passback_params: None,
            notify_url: None,
            status: Status::Success,
            created: paid.unwrap_or(T) - 9,
            paid,
            refunds: Vec::new(),
        }
    }

    /// 2024-05-13 17:49:20 in Beijing.
    const T: i64 = 1_715_593_760;

    #[test]
    fn periods_and_next_days() {
        let p = Period::new("2024-02-29");
        assert_eq!(p.compact, "20240229");
        assert_eq!(p.start, "2024年02月29日 00:00:00");
        assert_eq!(p.end, "2024年03月01日 00:00:00");
        assert_eq!(Period::new("2023-12-31").end, "2024年01月01日 00:00:00");
        assert_eq!(Period::new("2023-02-28").end, "2023年03月01日 00:00:00");
        let m = Period::new("2024-12");
        assert_eq!(
            (m.compact.as_str(), m.end.as_str()),
            ("202412", "2025年01月01日 00:00:00")
        );
        assert_eq!(civil_time(T), "2024年05月13日 17:49:20");
        assert_eq!(masked(Some("2088102177846880")), "2088****6880");
        assert_eq!(masked(None), "");
    }

    #[test]
    fn the_detail_file_has_the_day_rows_padded_and_counted() {
        let mut a = trade("2024051322001400001", "A-1", 8888, Some(T));
        a.refunds.push(AliRefund {
            out_request_no: "A-1-R1".to_owned(),
            amount: 1000,
            reason: String::new(),
            time: T + 60,
        });
        // paid the day before: only its refund of the day is in the bill
        let mut b = trade("2024051222001400002", "B-1", 500, Some(T - 86_400));
        b.refunds.push(AliRefund {
            out_request_no: "B-1-R1".to_owned(),
            amount: 500,
            reason: String::new(),
            time: T + 120,
        });
        let unpaid = trade("2024051322001400003", "C-1", 100, None);
        let trades = [a, b, unpaid];
        let rows = day_rows(&trades, "2024-05-13");
        assert_eq!(rows.len(), 3);
        let [(detail_name, detail), (summary_name, summary)] = bill_files(
            "2088000000000001",
            &Period::new("2024-05-13"),
            &rows,
            T + 86_400,
        );
        assert_eq!(detail_name, "2088000000000001_20240513_业务明细.csv");
        assert_eq!(summary_name, "2088000000000001_20240513_业务明细(汇总).csv");
        let lines: Vec<&str> = detail.split("\r\n").collect();
        assert_eq!(lines[1], "#账号：[2088000000000001]");
        assert_eq!(
            lines[2],
            "#起始日期：[2024年05月13日 00:00:00]   终止日期：[2024年05月14日 00:00:00]"
        );
        assert!(lines[4].starts_with("支付宝交易号,商户订单号,业务类型,"));
        assert!(lines[5].starts_with(
            "2024051322001400001\t,A-1\t,交易,\"测试商品, \"\"特价\"\"\"  ,2024-05-13 17:49:11,2024-05-13 17:49:20,,,,,2088****6880,88.88,88.88,"
        ), "{}", lines[5]);
        assert!(lines[6].contains(",退款,") && lines[6].contains(",-10.00,-10.00,"));
        assert!(lines[6].contains(",`A-1-R1\t,0.00,0.00,"), "{}", lines[6]);
        assert!(lines[7].contains(",-5.00,-5.00,"));
        assert_eq!(lines[9], "#交易合计：1笔，退款合计：2笔");
        assert_eq!(lines[10], "#导出时间：[2024年05月14日 17:49:20]");
        assert!(
            summary.contains(
                "\r\n,,1,2,73.88,73.88,0.00,73.88\r\n合计,,1,2,73.88,73.88,0.00,73.88\r\n"
            ),
            "{summary}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Whatever the day's trades (goods names with commas, quotes, line breaks, characters
        /// GBK lacks), the archive reads back with the SDK's `BillArchive`: its stated totals
        /// add up, and its rows are the day's payments and refunds, in fen.
        #[test]
        fn every_archive_reads_back_with_the_sdk(
            trades in proptest::collection::vec(
                (
                    1_u64..1_000_000,
                    proptest::bool::ANY,
                    proptest::collection::vec(1_u64..100, 0..3),
                    proptest::bool::ANY,
                    "[A-Za-z0-9_]{1,20}",
                    "(\\PC|\n){0,12}",
                ),
                0..6,
            )
        ) {
            let mut all = Vec::new();
            let mut expected = Vec::new();
            for (i, (total, paid, refunds, next_day, out, subject)) in trades.iter().enumerate() {
                let at = if *next_day { T + 86_400 } else { T } + i64::try_from(i).unwrap();
                let mut t = trade(&format!("2024051322001{i:06}"), &format!("{out}{i}"), *total, paid.then_some(at));
                t.subject = subject.clone();
                if *paid {
                    if !next_day {
                        expected.push((t.out_trade_no.clone(), i64::try_from(*total).unwrap()));
                    }
                    for (k, per_cent) in refunds.iter().enumerate() {
                        let amount = (total * per_cent / 400).max(1);
                        t.refunds.push(AliRefund {
                            out_request_no: format!("{}-R{k}", t.out_trade_no),
                            amount,
                            reason: String::new(),
                            time: at + 100,
                        });
                        if !next_day {
                            expected.push((t.out_trade_no.clone(), -i64::try_from(amount).unwrap()));
                        }
                    }
                }
                all.push(t);
            }
            let rows = day_rows(&all, "2024-05-13");
            let files = bill_files("2088000000000001", &Period::new("2024-05-13"), &rows, T + 86_400);
            let zip = zip_archive(&files).unwrap();
            let bill = baidupay_alipay::bill::BillArchive::new(std::io::Cursor::new(zip))
                .unwrap()
                .read_all()
                .unwrap();
            let mut got: Vec<(String, i64)> = bill
                .rows
                .iter()
                .map(|r| (r.out_trade_no.clone(), r.order_amount.fen()))
                .collect();
            got.sort();
            expected.sort();
            proptest::prop_assert_eq!(got, expected);
            proptest::prop_assert!(bill.summary.is_some());
        }
    }

    #[test]
    fn entry_names_are_gbk_without_the_utf8_flag() {
        let zip =
            zip_archive(&[("1_20240513_业务明细.csv".to_owned(), "#x\r\n".to_owned())]).unwrap();
        assert_eq!(&zip[..4], b"PK\x03\x04");
        let flags = u16::from_le_bytes([zip[6], zip[7]]);
        assert_eq!(flags & 0x800, 0, "the UTF-8 flag is off");
        let name_len = usize::from(u16::from_le_bytes([zip[26], zip[27]]));
        assert_eq!(
            &zip[30..30 + name_len],
            gbk("1_20240513_业务明细.csv").as_slice()
        );
        // the same files give the same bytes
        let again =
            zip_archive(&[("1_20240513_业务明细.csv".to_owned(), "#x\r\n".to_owned())]).unwrap();
        assert_eq!(zip, again);
    }
}
