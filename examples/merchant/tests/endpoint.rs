//! The example endpoint over loopback: verified callbacks applied once under concurrent
//! duplicates, forgeries refused, the budget honoured.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, form};
use baidupay_example_merchant::{App, OrderState, router};
use baidupay_model::{Fen, TpOrderId};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_transport::{HyperTransport, Settings, Transport};
use bytes::Bytes;

fn key(slot: &'static OnceLock<PrivateKey>, bits: usize) -> &'static PrivateKey {
    slot.get_or_init(|| PrivateKey::generate(bits).unwrap())
}
static BAIDU: OnceLock<PrivateKey> = OnceLock::new();
static ALIPAY: OnceLock<PrivateKey> = OnceLock::new();
static FORGER: OnceLock<PrivateKey> = OnceLock::new();

async fn start() -> (App, SocketAddr) {
    let app = App::new("2021000122671080");
    let r = router(
        app.clone(),
        BaiduNotifier::new(key(&BAIDU, 1024).public_key().clone()),
        AlipayNotifier::new(key(&ALIPAY, 2048).public_key().clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, r).await });
    (app, addr)
}

fn baidu_body(signer_key: &PrivateKey, fields: &[(&str, &str)]) -> Bytes {
    let (_, sig) = Signer::new(signer_key.clone(), Algorithm::RsaSha1)
        .sign_params(Rules::BaiduCallback, fields.iter().copied())
        .unwrap();
    let mut all = fields.to_vec();
    all.push(("rsaSign", &sig));
    Bytes::from(form::encode(all))
}

fn payment(order_id: &str, tp: &str, total: &str) -> Vec<(&'static str, String)> {
    vec![
        ("orderId", order_id.to_owned()),
        ("userId", "149235070".to_owned()),
        ("tpOrderId", tp.to_owned()),
        ("dealId", "470193086".to_owned()),
        ("totalMoney", total.to_owned()),
        ("payMoney", total.to_owned()),
        ("status", "2".to_owned()),
        ("returnData", String::new()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

async fn post(t: &HyperTransport, addr: SocketAddr, path: &str, body: Bytes) -> (u16, String) {
    let req = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .unwrap();
    let r = t.send(req).await.unwrap();
    (
        r.status().as_u16(),
        String::from_utf8(r.body().to_vec()).unwrap(),
    )
}

fn client() -> HyperTransport {
    HyperTransport::new(Settings::default().allow_http(true)).unwrap()
}

const CONSUMED: &str = r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#;
const ERROR_ORDER: &str = r#"{"errno":0,"msg":"success","data":{"isErrorOrder":1,"isConsumed":2}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_payment_notifies_apply_once() {
    let (app, addr) = start().await;
    let tp = TpOrderId::new("T-1001").unwrap();
    app.create_order(tp.clone(), Fen::new(1600)).await;
    let body = baidu_body(
        key(&BAIDU, 1024),
        &refs(&payment("800020199", "T-1001", "1600")),
    );
    let t = Arc::new(client());
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (t, body) = (t.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for _ in 0..8 {
                answers.push(post(&t, addr, "/notify/baidu/pay", body.clone()).await);
            }
            answers
        }));
    }
    for task in tasks {
        for (status, text) in task.await.unwrap() {
            assert_eq!((status, text.as_str()), (200, CONSUMED));
        }
    }
    assert_eq!(app.counters().await, (1, 127), "128 deliveries, one effect");
    assert_eq!(
        app.order(&tp).await.unwrap().state,
        OrderState::Paid {
            order_id: 800_020_199,
            user_id: 149_235_070
        }
    );
    // a second Baidu order paying the same merchant order: refunded as abnormal, no effect
    let other = baidu_body(
        key(&BAIDU, 1024),
        &refs(&payment("800020200", "T-1001", "1600")),
    );
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", other).await.1,
        ERROR_ORDER
    );
    assert_eq!(app.counters().await.0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatches_and_forgeries() {
    let (app, addr) = start().await;
    app.create_order(TpOrderId::new("T-2").unwrap(), Fen::new(1600))
        .await;
    let t = client();
    // wrong amount: have Baidu refund it
    let wrong = baidu_body(key(&BAIDU, 1024), &refs(&payment("1", "T-2", "1")));
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", wrong).await,
        (200, ERROR_ORDER.to_owned())
    );
    // unknown order
    let unknown = baidu_body(key(&BAIDU, 1024), &refs(&payment("2", "T-404", "1600")));
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", unknown).await.1,
        ERROR_ORDER
    );
    // signed by someone else: refused, nothing applied
    let forged = baidu_body(key(&FORGER, 1024), &refs(&payment("3", "T-2", "1600")));
    let (status, text) = post(&t, addr, "/notify/baidu/pay", forged).await;
    assert_eq!(status, 400);
    assert!(text.contains(r#""errno":1"#), "{text}");
    assert_eq!(app.counters().await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refund_audit_refund_notify_and_alipay() {
    let (app, addr) = start().await;
    let tp = TpOrderId::new("T-3").unwrap();
    app.create_order(tp.clone(), Fen::new(1600)).await;
    let t = client();
    let pay = baidu_body(key(&BAIDU, 1024), &refs(&payment("9", "T-3", "1600")));
    assert_eq!(post(&t, addr, "/notify/baidu/pay", pay).await.1, CONSUMED);
    // the refund audit request and refund notify of batch `batch` of order 9 (T-3)
    let refund_of = |batch: &str, last: (&str, &str)| {
        baidu_body(
            key(&BAIDU, 1024),
            &[
                ("orderId", "9"),
                ("userId", "149235070"),
                ("tpOrderId", "T-3"),
                ("refundBatchId", batch),
                last,
            ],
        )
    };
    let audit_for = |batch: &str, fen: &str| refund_of(batch, ("applyRefundMoney", fen));
    let refunded = |batch: &str| refund_of(batch, ("refundStatus", "1"));
    let audit = audit_for("77", "600");
    assert_eq!(
        post(&t, addr, "/notify/baidu/refund-audit", audit).await.1,
        r#"{"errno":0,"msg":"success","data":{"auditStatus":1,"calculateRes":{"refundPayMoney":600}}}"#
    );
    let refund = refunded("77");
    for _ in 0..3 {
        assert_eq!(
            post(&t, addr, "/notify/baidu/refund", refund.clone())
                .await
                .1,
            r#"{"errno":0,"msg":"success","data":{}}"#
        );
    }
    assert_eq!(app.counters().await, (2, 2));
    // a partial refund: still paid, 6.00 of 16.00 refunded (once, for three notifies)
    let order = app.order(&tp).await.unwrap();
    assert!(matches!(order.state, OrderState::Paid { .. }), "{order:?}");
    assert_eq!(order.refunded, Fen::new(600));
    // more than what is left is refused at the audit; the rest is approved and completes it
    assert_eq!(
        post(
            &t,
            addr,
            "/notify/baidu/refund-audit",
            audit_for("78", "1001")
        )
        .await
        .1,
        r#"{"errno":0,"msg":"success","data":{"auditStatus":2,"calculateRes":{"refundPayMoney":0}}}"#
    );
    assert_eq!(
        post(
            &t,
            addr,
            "/notify/baidu/refund-audit",
            audit_for("79", "1000")
        )
        .await
        .1,
        r#"{"errno":0,"msg":"success","data":{"auditStatus":1,"calculateRes":{"refundPayMoney":1000}}}"#
    );
    let rest = refunded("79");
    post(&t, addr, "/notify/baidu/refund", rest).await;
    let order = app.order(&tp).await.unwrap();
    assert_eq!(order.state, OrderState::Refunded);
    assert_eq!(order.refunded, Fen::new(1600));

    // Alipay: the same notify three times, one effect, each answered `success`
    app.create_order(TpOrderId::new("A-1").unwrap(), Fen::new(8888))
        .await;
    let fields = [
        ("notify_type", "trade_status_sync"),
        ("notify_id", "nid-1"),
        ("notify_time", "2024-05-13 17:49:20"),
        ("app_id", "2021000122671080"),
        ("trade_no", "2024051322001400000000000001"),
        ("out_trade_no", "A-1"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "88.88"),
        ("sign_type", "RSA2"),
    ];
    let (_, sig) = Signer::new(key(&ALIPAY, 2048).clone(), Algorithm::RsaSha256)
        .sign_params(Rules::AlipayNotify, fields)
        .unwrap();
    let mut all = fields.to_vec();
    all.push(("sign", &sig));
    let body = Bytes::from(form::encode(all));
    for _ in 0..3 {
        assert_eq!(
            post(&t, addr, "/notify/alipay", body.clone()).await,
            (200, "success".to_owned())
        );
    }
    assert_eq!(app.counters().await, (4, 4));
    assert!(matches!(
        app.order(&TpOrderId::new("A-1").unwrap())
            .await
            .unwrap()
            .state,
        OrderState::PaidAlipay { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_ledger_answers_retry_within_the_budget() {
    let (app, addr) = start().await;
    app.create_order(TpOrderId::new("T-4").unwrap(), Fen::new(1))
        .await;
    let guard = app.ledger.lock().await; // the "database" is stuck
    let body = baidu_body(key(&BAIDU, 1024), &refs(&payment("4", "T-4", "1")));
    let (status, text) = post(&client(), addr, "/notify/baidu/pay", body.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(
        text, r#"{"errno":1,"msg":"busy","data":{}}"#,
        "Baidu will retry"
    );
    drop(guard);
    assert_eq!(
        post(&client(), addr, "/notify/baidu/pay", body).await.1,
        CONSUMED
    );
    assert_eq!(app.counters().await, (1, 0));
}
