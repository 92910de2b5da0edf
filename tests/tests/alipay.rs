//! Alipay mini-program JSAPI payment end to end: the SDK's `AlipayClient` against the
//! sandbox's `gateway.do`, `POST /sandbox/alipay/pay` standing in for `my.tradePay`, and the
//! signed async notify verified, applied once and acknowledged by the example merchant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use baidupay_alipay::{AlipayClient, AlipayConfig, AlipayError, Gateway};
use baidupay_crypto::PrivateKey;
use baidupay_e2e::*;
use baidupay_example_merchant::{AlipayRefunded, OrderState};
use baidupay_model::alipay::{
    BillDownloadUrlQuery, BillType, Buyer, FundChange, RefundQuery, RefundStatus, TradeClose,
    TradeCreate, TradeQuery, TradeRef, TradeRefund, TradeStatus,
};
use baidupay_model::{AlipayAppId, AlipayUserId, Fen, OutRequestNo, OutTradeNo, TpOrderId, Yuan};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use baidupay_transport::{Clock, ManualClock, SystemClock};
use serde_json::{Value, json};

const ALIPAY_APP: &str = "2021000122671080";
const BUYER: &str = "2088102177846880";

fn fast() -> SandboxConfig {
    SandboxConfig::default()
        .retry_schedule([0, 50, 100, 200].into_iter().map(Duration::from_millis))
}

/// Registers the example merchant's Alipay app; returns the client and the seller id.
async fn alipay(w: &World) -> (AlipayClient, PrivateKey, String) {
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
    (
        client_with(w, key.clone()),
        key,
        v["seller_id"].as_str().unwrap().to_owned(),
    )
}

fn client_with(w: &World, key: PrivateKey) -> AlipayClient {
    let config = AlipayConfig::new(
        AlipayAppId::new(ALIPAY_APP).unwrap(),
        key,
        w.sandbox.alipay_public_key().clone(),
    )
    .unwrap()
    .gateway(Gateway::Custom(w.url("/gateway.do")))
    .unwrap();
    AlipayClient::new(config, w.http.clone())
}

fn trade(out: &str, yuan: &str, buyer: &str) -> TradeCreate {
    TradeCreate::new(
        OutTradeNo::new(out).unwrap(),
        yuan.parse::<Yuan>().unwrap(),
        "sandbox goods 沙箱",
        Buyer::BuyerId(AlipayUserId::new(buyer).unwrap()),
    )
    .unwrap()
}

fn by_out(out: &str) -> TradeRef {
    TradeRef::OutTradeNo(OutTradeNo::new(out).unwrap())
}

fn sub_code(e: &AlipayError) -> String {
    e.sub_code()
        .map(|c| c.code().to_owned())
        .unwrap_or_else(|| format!("no sub_code: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_pay_notify_query_refund_and_bill() {
    // the sandbox's clock, so that the day of the payment can become a past day
    let clock = Arc::new(ManualClock::new(SystemClock.unix_seconds()));
    let w = World::start(fast().clock(clock.clone())).await;
    let (client, _, _) = alipay(&w).await;
    w.app
        .create_order(TpOrderId::new("ALI-1").unwrap(), Fen::new(8888))
        .await
        .unwrap();

    // create: the trade waits for the buyer
    let created = client
        .create(&trade("ALI-1", "88.88", BUYER))
        .await
        .unwrap();
    let trade_no = created.trade_no.unwrap();
    assert_eq!(created.out_trade_no.unwrap().as_str(), "ALI-1");
    let q = client
        .query(&TradeQuery::new(by_out("ALI-1")))
        .await
        .unwrap();
    assert_eq!(q.trade_status, Some(TradeStatus::WaitBuyerPay));
    assert_eq!(q.trade_no.as_ref(), Some(&trade_no));
    // the same create again is the same trade
    let again = client
        .create(&trade("ALI-1", "88.88", BUYER))
        .await
        .unwrap();
    assert_eq!(again.trade_no.as_ref(), Some(&trade_no));

    // my.tradePay: the buyer pays; the notify is verified, applied once and acknowledged
    let (status, paid) = post_json(
        &w.http,
        &w.url("/sandbox/alipay/pay"),
        &json!({"trade_no": trade_no.as_str()}),
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["resultCode"], "9000");
    eventually("the Alipay notify is acknowledged", || async {
        w.sandbox
            .deliveries()
            .iter()
            .any(|d| d.kind == CallbackKind::AlipayTrade && d.acknowledged)
    })
    .await;
    assert_eq!(w.app.counters().await.0, 1);
    let order = w
        .app
        .order(&TpOrderId::new("ALI-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    let shown = serde_json::to_value(&order).unwrap();
    assert!(shown.to_string().contains(trade_no.as_str()), "{shown}");
    // paying twice is refused by the cashier
    let (status, _) = post_json(
        &w.http,
        &w.url("/sandbox/alipay/pay"),
        &json!({"trade_no": trade_no.as_str()}),
    )
    .await;
    assert_eq!(status, 409);

    let q = client
        .query(&TradeQuery::new(by_out("ALI-1")))
        .await
        .unwrap();
    assert_eq!(q.trade_status, Some(TradeStatus::TradeSuccess));
    assert_eq!(q.buyer_pay_amount.unwrap().to_string(), "88.88");
    assert_eq!(q.buyer_user_id.unwrap().as_str(), BUYER);
    assert_eq!(q.fund_bill_list.len(), 1);

    // a partial refund; the same out_request_no again moves nothing; more than is left fails
    let r1 = TradeRefund::new(
        by_out("ALI-1"),
        "10.00".parse().unwrap(),
        OutRequestNo::new("ALI-1-R1").unwrap(),
    );
    let refunded = client.refund(&r1).await.unwrap();
    assert_eq!(refunded.fund_change, Some(FundChange::Yes));
    assert_eq!(refunded.refund_fee.unwrap().to_string(), "10.00");
    let replay = client.refund(&r1).await.unwrap();
    assert_eq!(replay.fund_change, Some(FundChange::No));
    assert_eq!(replay.refund_fee.unwrap().to_string(), "10.00");
    let over = TradeRefund::new(
        by_out("ALI-1"),
        "78.89".parse().unwrap(),
        OutRequestNo::new("ALI-1-R2").unwrap(),
    );
    let e = client.refund(&over).await.unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "{e}");
    let rq = client
        .refund_query(&RefundQuery::new(
            by_out("ALI-1"),
            OutRequestNo::new("ALI-1-R1").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(rq.refund_status, Some(RefundStatus::RefundSuccess));
    assert_eq!(rq.refund_amount.unwrap().to_string(), "10.00");
    let unknown = client
        .refund_query(&RefundQuery::new(
            by_out("ALI-1"),
            OutRequestNo::new("ALI-1-R9").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(unknown.refund_status, None);
    // the refund is notified as well (refund_fee, out_biz_no), and acknowledged
    eventually("the refund notify is acknowledged", || async {
        w.sandbox
            .deliveries()
            .iter()
            .filter(|d| d.kind == CallbackKind::AlipayTrade && d.acknowledged)
            .any(|d| d.body.contains("out_biz_no=ALI-1-R1"))
    })
    .await;

    // creating a paid trade again
    let e = client
        .create(&trade("ALI-1", "88.88", BUYER))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.TRADE_HAS_SUCCESS");

    // today's bill does not exist yet; the next day it does, with the payment and the refund
    let today = baidupay_model::time::BeijingTime::from_unix(clock.unix_seconds()).date();
    let e = client
        .bill_download_url(&BillDownloadUrlQuery::new(BillType::Trade, today.clone()).unwrap())
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "isp.bill_not_exist", "{e}");
    clock.advance(Duration::from_secs(86_400));
    let url = client
        .bill_download_url(&BillDownloadUrlQuery::new(BillType::Trade, today).unwrap())
        .await
        .unwrap();
    assert_eq!(url.bill_file_code, None);
    let file = client
        .download_bill(url.bill_download_url.as_deref().unwrap())
        .await
        .unwrap();
    let bill = baidupay_alipay::bill::BillArchive::new(std::io::Cursor::new(file.bytes))
        .unwrap()
        .read_all()
        .unwrap();
    let rows: Vec<(&str, i64, Option<&str>)> = bill
        .rows
        .iter()
        .map(|r| {
            (
                r.trade_no.as_str(),
                r.order_amount.fen(),
                r.refund_request_no.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (trade_no.as_str(), 8888, None),
            (trade_no.as_str(), -1000, Some("ALI-1-R1"))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_merchant_queries_a_refund_whose_answer_was_lost_and_refunds_once() {
    let w = World::start(fast()).await;
    let (client, _, _) = alipay(&w).await;
    let tp = TpOrderId::new("ALI-7").unwrap();
    w.app
        .create_order(tp.clone(), Fen::new(5000))
        .await
        .unwrap();
    let trade_no = client
        .create(&trade("ALI-7", "50.00", BUYER))
        .await
        .unwrap()
        .trade_no
        .unwrap();
    post_json(
        &w.http,
        &w.url("/sandbox/alipay/pay"),
        &json!({"trade_no": trade_no.as_str()}),
    )
    .await;
    eventually("the merchant saw the payment", || async {
        matches!(
            w.app.order(&tp).await.unwrap().map(|o| o.state),
            Some(OrderState::PaidAlipay { .. })
        )
    })
    .await;

    // the gateway refunds, then the connection is cut before the answer: unknown outcome;
    // the merchant queries the refund by its out_request_no and finds it done
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/faults"),
        &json!({"kind": "drop", "path": "/gateway.do", "count": 1}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let done = w
        .app
        .refund_alipay(
            &client,
            &tp,
            OutRequestNo::new("ALI-7-R1").unwrap(),
            Fen::new(2000),
        )
        .await
        .unwrap();
    assert_eq!(done, AlipayRefunded::FoundByQuery);
    assert_eq!(
        w.app.order(&tp).await.unwrap().unwrap().refunded,
        Fen::new(2000)
    );
    // one refund at Alipay
    let q = client
        .query(&TradeQuery::new(by_out("ALI-7")))
        .await
        .unwrap();
    assert_eq!(q.trade_status, Some(TradeStatus::TradeSuccess));
    let app: Value = get_json(
        &w.http,
        &w.url(&format!("/sandbox/alipay/apps/{ALIPAY_APP}")),
    )
    .await;
    let shown = &app["trades"][0];
    assert_eq!(shown["refund_fee"], "20.00", "{app}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_what_the_real_one_refuses() {
    let w = World::start(fast()).await;
    let (client, _, seller) = alipay(&w).await;

    // other content under the same out_trade_no; close; closed trades
    client.create(&trade("ALI-2", "8.00", BUYER)).await.unwrap();
    let e = client
        .create(&trade("ALI-2", "9.00", BUYER))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.CONTEXT_INCONSISTENT");
    client
        .close(&TradeClose::new(by_out("ALI-2")))
        .await
        .unwrap();
    let q = client
        .query(&TradeQuery::new(by_out("ALI-2")))
        .await
        .unwrap();
    assert_eq!(q.trade_status, Some(TradeStatus::TradeClosed));
    let e = client
        .close(&TradeClose::new(by_out("ALI-2")))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.TRADE_STATUS_ERROR");
    let e = client
        .create(&trade("ALI-2", "8.00", BUYER))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.TRADE_HAS_CLOSE");
    // an unknown trade; a refund of an unpaid one
    let e = client
        .query(&TradeQuery::new(by_out("NOPE")))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.TRADE_NOT_EXIST");
    client.create(&trade("ALI-3", "1.00", BUYER)).await.unwrap();
    let e = client
        .refund(&TradeRefund::new(
            by_out("ALI-3"),
            "1.00".parse().unwrap(),
            OutRequestNo::new("ALI-3-R1").unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.TRADE_STATUS_ERROR");
    // the buyer is the seller
    let e = client
        .create(&trade("ALI-4", "1.00", &seller))
        .await
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.BUYER_SELLER_EQUAL");

    // a request signed with another key: isv.invalid-signature, and the gateway's string is
    // the one the SDK signed (so the key, not the string, is wrong)
    let stranger = client_with(&w, PrivateKey::generate(2048).unwrap());
    let prepared = stranger.prepare(&TradeQuery::new(by_out("ALI-3"))).unwrap();
    let e = stranger
        .send(&prepared)
        .await
        .unwrap()
        .check("alipay.trade.query")
        .unwrap_err();
    assert_eq!(sub_code(&e), "isv.invalid-signature", "{e}");
    let sub_msg = e.business().unwrap().sub_msg.clone().unwrap();
    let explained = prepared.explain_invalid_signature(&sub_msg).unwrap();
    assert!(explained.contains("same string"), "{explained}");

    // an amount over the single-trade limit (the SDK's Yuan cannot even hold it: a raw request)
    let raw = client
        .prepare_raw(
            "alipay.trade.create",
            Some(
                json!({"out_trade_no": "ALI-5", "total_amount": "100000000.01", "subject": "x",
                       "product_code": "JSAPI_PAY", "buyer_id": BUYER})
                .to_string(),
            ),
            false,
            false,
        )
        .unwrap();
    let e = client
        .send(&raw)
        .await
        .unwrap()
        .check("alipay.trade.create")
        .unwrap_err();
    assert_eq!(sub_code(&e), "ACQ.TOTAL_FEE_EXCEED", "{e}");

    // a notify that is not answered with exactly `success` is sent again
    let echo =
        serve(axum::Router::new().route("/notify", axum::routing::post(|| async { "SUCCESS" })))
            .await;
    let key = PrivateKey::generate(2048).unwrap();
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/alipay/apps"),
        &json!({"app_id": "2021000000000002", "app_public_key": key.public_key().to_base64(),
                "notify_url": format!("http://{echo}/notify")}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let config = AlipayConfig::new(
        AlipayAppId::new("2021000000000002").unwrap(),
        key,
        w.sandbox.alipay_public_key().clone(),
    )
    .unwrap()
    .gateway(Gateway::Custom(w.url("/gateway.do")))
    .unwrap();
    let other = AlipayClient::new(config, Arc::clone(&w.http) as Arc<_>);
    let t = other.create(&trade("ALI-6", "1.00", BUYER)).await.unwrap();
    post_json(
        &w.http,
        &w.url("/sandbox/alipay/pay"),
        &json!({"trade_no": t.trade_no.unwrap().as_str()}),
    )
    .await;
    eventually("every attempt of the schedule was made", || async {
        w.sandbox
            .deliveries()
            .iter()
            .filter(|d| d.app_key == "2021000000000002")
            .count()
            == 4
    })
    .await;
    let log: Value = get_json(
        &w.http,
        &w.url("/sandbox/deliveries?app_key=2021000000000002"),
    )
    .await;
    assert!(
        log.as_array().unwrap().iter().all(
            |d| d["acknowledged"] == false && d["reason"].as_str().unwrap().contains("success")
        ),
        "{log}"
    );
}
