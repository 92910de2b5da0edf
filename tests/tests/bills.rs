//! The sandbox's bill files, fetched through the SDK clients and read with the SDK parsers:
//! Baidu's order bill and capital bill (GBK, three reports with their stated totals) and
//! Alipay's ZIP of GBK CSVs, checked row by row and total by total against what the sandbox
//! did, then reconciled against the ledger a merchant would keep.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use baidupay_alipay::bill::{Bill, BillArchive, EMPTY_DATA_WITH_BILL_FILE, RowKind};
use baidupay_alipay::{AlipayClient, AlipayConfig, Gateway};
use baidupay_cashier::{BillEncoding, BillSection, read_bill_entries};
use baidupay_crypto::PrivateKey;
use baidupay_e2e::*;
use baidupay_model::alipay::{
    BillDownloadUrlQuery, BillType, Buyer, TradeCreate, TradeRef, TradeRefund,
};
use baidupay_model::cashier::{BillKind, Date, RefundQueryStatus};
use baidupay_model::reconcile::{Entry, parse_ledger, reconcile};
use baidupay_model::{AlipayAppId, AlipayUserId, Fen, OutRequestNo, OutTradeNo, TpOrderId, Yuan};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use baidupay_transport::ManualClock;
use serde_json::json;

/// 2024-05-13 17:49:20 in Beijing: the sandbox's "now" (its clock moves only when told).
const START: i64 = 1_715_593_760;
const DAY: &str = "2024-05-13";

fn config(clock: &Arc<ManualClock>) -> SandboxConfig {
    SandboxConfig::default()
        .retry_schedule([0, 50, 100, 200].into_iter().map(Duration::from_millis))
        .clock(clock.clone())
}

const LEDGER_HEADER: &str = "kind,merchant_order_id,platform_id,refund_id,amount_fen\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baidu_order_and_capital_bills_are_gbk_files_in_the_documented_layout() {
    let clock = Arc::new(ManualClock::new(START));
    let w = World::start(config(&clock)).await;
    let first = w.pay("BILL-1", 11300).await;
    let second = w.pay("BILL-2", 500).await;
    eventually("both payments applied", || async {
        w.app.counters().await.0 == 2
    })
    .await;
    let user = first["userId"].as_u64().unwrap();
    let refund = partial_refund(
        first["orderId"].as_u64().unwrap(),
        user,
        "BILL-1",
        "BILL-RB-1",
        3000,
    );
    let applied = w.client.apply_refund(&refund).await.unwrap();
    eventually("the refund succeeded", || async {
        w.client
            .find_refunds(
                TpOrderId::new("BILL-1").unwrap(),
                baidupay_model::UserId::new(user),
            )
            .await
            .is_ok_and(|l| {
                l.iter()
                    .any(|r| r.refund_status == RefundQueryStatus::Succeeded)
            })
    })
    .await;
    // an order that is never paid
    let info = w
        .client
        .order_info(TpOrderId::new("BILL-3").unwrap(), Fen::new(700), "unpaid")
        .unwrap();
    let (status, _) = post_json(
        &w.http,
        &w.url("/sandbox/cashier/create"),
        &serde_json::to_value(&info).unwrap(),
    )
    .await;
    assert_eq!(status, 200);

    let expected = [
        Entry::payment("BILL-1", Fen::new(11300))
            .with_platform_id(first["orderId"].as_u64().unwrap().to_string()),
        Entry::payment("BILL-2", Fen::new(500))
            .with_platform_id(second["orderId"].as_u64().unwrap().to_string()),
        Entry::refund("BILL-1", Fen::new(3000))
            .with_platform_id(applied.refund_batch_id.to_string())
            .with_refund_id("BILL-RB-1"),
    ];
    let mut texts = Vec::new();
    for kind in [BillKind::Order, BillKind::Capital] {
        let list = w
            .client
            .bill(kind, Date::parse(DAY).unwrap())
            .await
            .unwrap();
        let file = w.client.download_bill(&list.data[0]).await.unwrap();
        // GBK, not UTF-8
        assert!(std::str::from_utf8(&file.bytes).is_err(), "{kind:?}");
        let parsed = file.parse().unwrap();
        assert_eq!(parsed.encoding, Some(BillEncoding::Gbk));
        assert!(parsed.mismatches.is_empty(), "{:?}", parsed.mismatches);
        assert_eq!(
            parsed.summary[0],
            ("Dealid".to_owned(), format!("[{DEAL_ID}]"))
        );
        let sections: Vec<&BillSection> = parsed.row_sections.iter().collect();
        assert!(sections.contains(&&BillSection::All) && sections.contains(&&BillSection::Paid));
        assert_eq!(
            parsed.columns,
            [
                "交易时间",
                "APPID",
                "百度订单号",
                "业务订单号",
                "用户标识",
                "订单支付状态",
                "订单金额(元)",
                "百度退款单号",
                "业务方退款批次号",
                "退款金额",
                "退款状态",
                "公司名称",
                "手续费费率"
            ]
        );
        let entries = file.entries().unwrap();
        assert!(entries.totals_ok);
        assert_eq!(entries.entries, expected, "{kind:?}");
        let ledger = parse_ledger(&format!(
            "{LEDGER_HEADER}payment,BILL-1,,,11300\npayment,BILL-2,,,500\nrefund,BILL-1,,BILL-RB-1,3000\n"
        ))
        .unwrap();
        let report = reconcile(&entries.entries, entries.totals_ok, &ledger).unwrap();
        assert!(report.is_clean(), "{report:?}");
        assert_eq!(report.matched, 3);
        let text = encoding_rs::GBK.decode(&file.bytes).0.into_owned();
        // the paid report states the commission taken: 0.68 on 113.00 and 0.03 on 5.00
        assert!(
            text.contains("#当日支付订单\r\n#总交易单数:[2]\r\n#总交易额(元):[118.00]\r\n#总退款金额(元):[0.00]\r\n#手续费总金额(元):[0.71]\r\n"),
            "{text}"
        );
        // the refund gave back 30/113 of its order's 0.68
        assert!(
            text.contains("#当日退款订单\r\n#总交易单数:[1]\r\n#总交易额(元):[0.00]\r\n#总退款金额(元):[30.00]\r\n#手续费总金额(元):[-0.18]\r\n"),
            "{text}"
        );
        texts.push(text);
    }
    // the two bills are distinct: the order bill lists the unpaid order, the capital bill
    // only money that moved
    assert!(texts[0].contains("#账单类型:[订单对账单]") && texts[0].contains(",BILL-3,"));
    assert!(texts[1].contains("#账单类型:[资金账单]") && !texts[1].contains(",BILL-3,"));
    assert!(texts[0].contains("#当日所有订单\r\n#总交易单数:[4]\r\n#总交易额(元):[125.00]\r\n"));
    assert!(texts[1].contains("#当日所有订单\r\n#总交易单数:[3]\r\n#总交易额(元):[118.00]\r\n"));

    // the day before: three empty reports, totals of zero
    let list = w
        .client
        .bill(BillKind::Order, Date::parse("2024-05-12").unwrap())
        .await
        .unwrap();
    let file = w.client.download_bill(&list.data[0]).await.unwrap();
    let entries = read_bill_entries(&file.bytes[..]).unwrap();
    assert!(entries.entries.is_empty() && entries.totals_ok);
}

const ALIPAY_APP: &str = "2021000122671080";
const BUYER: &str = "2088102177846880";

async fn alipay_client(w: &World) -> (AlipayClient, String) {
    let key = PrivateKey::generate(2048).unwrap();
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/alipay/apps"),
        &json!({
            "app_id": ALIPAY_APP,
            "app_public_key": key.public_key().to_spki_pem(),
            "notify_url": format!("http://{}/notify/alipay", w.merchant),
        }),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let config = AlipayConfig::new(
        AlipayAppId::new(ALIPAY_APP).unwrap(),
        key,
        w.sandbox.alipay_public_key().clone(),
    )
    .unwrap()
    .gateway(Gateway::Custom(w.url("/gateway.do")))
    .unwrap();
    (
        AlipayClient::new(config, w.http.clone()),
        v["seller_id"].as_str().unwrap().to_owned(),
    )
}

async fn paid_trade(w: &World, client: &AlipayClient, out: &str, yuan: &str) -> String {
    let fen = Fen::new(yuan.replace('.', "").parse().unwrap());
    w.app
        .create_order(TpOrderId::new(out).unwrap(), fen)
        .await
        .unwrap();
    let create = TradeCreate::new(
        OutTradeNo::new(out).unwrap(),
        yuan.parse::<Yuan>().unwrap(),
        "沙箱商品, 特价",
        Buyer::BuyerId(AlipayUserId::new(BUYER).unwrap()),
    )
    .unwrap();
    let trade_no = client.create(&create).await.unwrap().trade_no.unwrap();
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/alipay/pay"),
        &json!({"trade_no": trade_no.as_str()}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    trade_no.as_str().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alipay_bill_is_a_zip_of_gbk_csvs_whose_rows_and_totals_are_the_days_trades() {
    let clock = Arc::new(ManualClock::new(START));
    let w = World::start(config(&clock)).await;
    let (client, seller) = alipay_client(&w).await;
    let one = paid_trade(&w, &client, "ABILL-1", "88.88").await;
    let two = paid_trade(&w, &client, "ABILL-2", "0.01").await;
    eventually("both notifies acknowledged", || async {
        w.sandbox
            .deliveries()
            .iter()
            .filter(|d| d.kind == CallbackKind::AlipayTrade && d.acknowledged)
            .count()
            == 2
    })
    .await;
    let refund = TradeRefund::new(
        TradeRef::OutTradeNo(OutTradeNo::new("ABILL-1").unwrap()),
        "10.00".parse::<Yuan>().unwrap(),
        OutRequestNo::new("ABILL-1-R1").unwrap(),
    );
    client.refund(&refund).await.unwrap();

    // the next day, the day has its bill
    clock.advance(Duration::from_secs(86_400));
    let query = BillDownloadUrlQuery::new(BillType::Trade, DAY.to_owned()).unwrap();
    let bill: Bill = client.bill(&query).await.unwrap();
    assert_eq!(bill.detail_name, format!("{seller}_20240513_业务明细.csv"));
    assert_eq!(bill.rows.len(), 3);
    let (pay1, pay2, back) = (&bill.rows[0], &bill.rows[1], &bill.rows[2]);
    assert_eq!(
        (pay1.trade_no.as_str(), pay1.out_trade_no.as_str()),
        (one.as_str(), "ABILL-1")
    );
    assert_eq!(pay1.kind, RowKind::Payment);
    assert_eq!(pay1.order_amount.fen(), 8888);
    assert_eq!(pay1.received_amount.fen(), 8888);
    assert_eq!(pay1.get("商品名称"), Some("沙箱商品, 特价"));
    assert_eq!(pay1.get("对方账户"), Some("2088****6880"));
    assert!(pay1.completed.starts_with(DAY), "{}", pay1.completed);
    assert_eq!(
        (pay2.trade_no.as_str(), pay2.order_amount.fen()),
        (two.as_str(), 1)
    );
    assert_eq!(back.kind, RowKind::Refund);
    assert_eq!(back.trade_no, one);
    assert_eq!(back.order_amount.fen(), -1000);
    assert_eq!(back.refund_request_no.as_deref(), Some("ABILL-1-R1"));
    assert_eq!((bill.totals.payments, bill.totals.refunds), (2, 1));
    assert_eq!(
        bill.totals.amount("商家实收（元）").unwrap().fen(),
        8889 - 1000
    );
    let summary = bill.summary.as_ref().unwrap();
    assert_eq!(summary.total_cell("交易订单总笔数"), Some("2"));
    assert_eq!(summary.total_cell("订单金额（元）"), Some("78.89"));

    // the raw file: a ZIP whose entry names are GBK (no UTF-8 flag) and whose CSVs are GBK
    let url = client.bill_download_url(&query).await.unwrap();
    let file = client
        .download_bill(url.bill_download_url.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(&file.bytes[..4], b"PK\x03\x04");
    assert_eq!(
        u16::from_le_bytes([file.bytes[6], file.bytes[7]]) & 0x800,
        0
    );
    assert!(file.file_name.is_some_and(|n| n.ends_with(".csv.zip")));
    let mut archive = BillArchive::new(std::io::Cursor::new(file.bytes.clone())).unwrap();
    assert_eq!(
        archive.summary_name(),
        Some(format!("{seller}_20240513_业务明细(汇总).csv").as_str())
    );
    let rows = archive.detail_rows().unwrap();
    assert!(
        rows.comments()
            .iter()
            .any(|c| c.starts_with(&format!("#账号：[{seller}]"))),
        "{:?}",
        rows.comments()
    );

    // reconciled with the merchant's ledger, as `baidupay reconcile` does
    let entries: Vec<Entry> = bill
        .rows
        .iter()
        .map(|r| match r.kind {
            RowKind::Refund => Entry::refund(
                r.out_trade_no.clone(),
                Fen::new(r.order_amount.fen().unsigned_abs()),
            )
            .with_refund_id(r.refund_request_no.clone().unwrap_or_default()),
            _ => Entry::payment(
                r.out_trade_no.clone(),
                Fen::new(r.order_amount.fen().unsigned_abs()),
            )
            .with_platform_id(r.trade_no.clone()),
        })
        .collect();
    let ledger = parse_ledger(&format!(
        "{LEDGER_HEADER}payment,ABILL-1,{one},,8888\npayment,ABILL-2,,,1\nrefund,ABILL-1,,ABILL-1-R1,1000\n"
    ))
    .unwrap();
    let report = reconcile(&entries, true, &ledger).unwrap();
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.matched, 3);

    // a day without trades: EMPTY_DATA_WITH_BILL_FILE, and its file has no rows
    let empty = BillDownloadUrlQuery::new(BillType::Trade, "2024-05-12".to_owned()).unwrap();
    let answer = client.bill_download_url(&empty).await.unwrap();
    assert_eq!(
        answer.bill_file_code.as_deref(),
        Some(EMPTY_DATA_WITH_BILL_FILE)
    );
    let file = client
        .download_bill(answer.bill_download_url.as_deref().unwrap())
        .await
        .unwrap();
    let read = BillArchive::new(std::io::Cursor::new(file.bytes))
        .unwrap()
        .read_all()
        .unwrap();
    assert!(read.rows.is_empty());
    assert_eq!(read.detail_name, format!("{seller}_20240512_业务明细.csv"));
    assert_eq!(
        read.summary.unwrap().total_cell("交易订单总笔数"),
        Some("0")
    );
    assert_eq!(client.bill(&empty).await.unwrap(), Bill::empty());
}
