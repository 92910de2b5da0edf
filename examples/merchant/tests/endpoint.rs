//! The example endpoint over loopback, on each ledger (memory, SQLite, PostgreSQL when
//! `BAIDUPAY_TEST_POSTGRES_URL` is set): verified callbacks applied once under concurrent
//! duplicates, forgeries refused, refunds adding up, orders never changed, the budget honoured.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use baidupay_example_merchant::store::RefundStart;
use baidupay_example_merchant::{OrderError, OrderState};
use baidupay_model::{Fen, OutRequestNo, TpOrderId};
use bytes::Bytes;
use common::*;

/// One test per ledger.
macro_rules! on_each_ledger {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let ledger = super::Ledger::new("memory", stringify!($name)).await.unwrap();
                super::$name(&ledger).await;
            })*
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let ledger = super::Ledger::new("sqlite", stringify!($name)).await.unwrap();
                super::$name(&ledger).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(ledger) = super::Ledger::new("postgres", stringify!($name)).await else {
                    return;
                };
                super::$name(&ledger).await;
            })*
        }
    };
}

on_each_ledger!(
    concurrent_duplicate_payment_notifies_apply_once,
    mismatches_and_forgeries,
    refund_audit_refund_notify_and_alipay,
    orders_are_never_changed_and_need_the_token,
);

async fn concurrent_duplicate_payment_notifies_apply_once(ledger: &Ledger) {
    let (app, addr) = start(ledger).await;
    let tp = TpOrderId::new("T-1001").unwrap();
    app.create_order(tp.clone(), Fen::new(1600)).await.unwrap();
    let body = pay_body("800020199", "T-1001", "1600");
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
        app.order(&tp).await.unwrap().unwrap().state,
        OrderState::Paid {
            order_id: 800_020_199,
            user_id: 149_235_070
        }
    );
    // a second Baidu order paying the same merchant order: refunded as abnormal, no effect
    let other = pay_body("800020200", "T-1001", "1600");
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", other.clone()).await.1,
        ERROR_ORDER
    );
    // and its redelivery gets the same answer
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", other).await.1,
        ERROR_ORDER
    );
    assert_eq!(app.counters().await.0, 1);
}

async fn mismatches_and_forgeries(ledger: &Ledger) {
    let (app, addr) = start(ledger).await;
    app.create_order(TpOrderId::new("T-2").unwrap(), Fen::new(1600))
        .await
        .unwrap();
    let t = client();
    // wrong amount: have Baidu refund it
    let wrong = pay_body("1", "T-2", "1");
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", wrong).await,
        (200, ERROR_ORDER.to_owned())
    );
    // unknown order
    let unknown = pay_body("2", "T-404", "1600");
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
    assert_eq!(
        app.order(&TpOrderId::new("T-2").unwrap())
            .await
            .unwrap()
            .unwrap()
            .state,
        OrderState::Created
    );
}

async fn refund_audit_refund_notify_and_alipay(ledger: &Ledger) {
    let (app, addr) = start(ledger).await;
    let tp = TpOrderId::new("T-3").unwrap();
    app.create_order(tp.clone(), Fen::new(1600)).await.unwrap();
    let t = client();
    assert_eq!(
        post(&t, addr, "/notify/baidu/pay", pay_body("9", "T-3", "1600"))
            .await
            .1,
        CONSUMED
    );
    let audit_for =
        |batch: &str, fen: &str| refund_body("9", "T-3", batch, ("applyRefundMoney", fen));
    let refunded = |batch: &str| refund_body("9", "T-3", batch, ("refundStatus", "1"));
    let audit = audit_for("77", "600");
    let approved_600 = r#"{"errno":0,"msg":"success","data":{"auditStatus":1,"calculateRes":{"refundPayMoney":600}}}"#;
    assert_eq!(
        post(&t, addr, "/notify/baidu/refund-audit", audit.clone())
            .await
            .1,
        approved_600
    );
    // the same audit again: the same answer, nothing more pending
    assert_eq!(
        post(&t, addr, "/notify/baidu/refund-audit", audit).await.1,
        approved_600
    );
    let order = app.order(&tp).await.unwrap().unwrap();
    assert_eq!(
        (order.state, order.refunding),
        (OrderState::Refunding, Fen::new(600))
    );
    let refund = refunded("77");
    for _ in 0..3 {
        assert_eq!(
            post(&t, addr, "/notify/baidu/refund", refund.clone())
                .await
                .1,
            REFUND_ACK
        );
    }
    assert_eq!(app.counters().await, (2, 2));
    // a partial refund: still paid, 6.00 of 16.00 refunded (once, for three notifies)
    let order = app.order(&tp).await.unwrap().unwrap();
    assert!(matches!(order.state, OrderState::Paid { .. }), "{order:?}");
    assert_eq!(
        (order.refunded, order.refunding),
        (Fen::new(600), Fen::ZERO)
    );
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
    // while 10.00 is pending, nothing more can be approved
    assert!(
        post(&t, addr, "/notify/baidu/refund-audit", audit_for("80", "1"))
            .await
            .1
            .contains(r#""auditStatus":2"#)
    );
    let rest = refunded("79");
    post(&t, addr, "/notify/baidu/refund", rest).await;
    let order = app.order(&tp).await.unwrap().unwrap();
    assert_eq!(order.state, OrderState::Refunded);
    assert_eq!(order.refunded, Fen::new(1600));

    // Alipay: the same notify three times, one effect, each answered `success`
    app.create_order(TpOrderId::new("A-1").unwrap(), Fen::new(8888))
        .await
        .unwrap();
    let body = alipay_body(&[
        ("notify_type", "trade_status_sync"),
        ("notify_id", "nid-1"),
        ("notify_time", "2024-05-13 17:49:20"),
        ("app_id", APP_ID),
        ("trade_no", "2024051322001400000000000001"),
        ("out_trade_no", "A-1"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "88.88"),
        ("sign_type", "RSA2"),
    ]);
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
            .unwrap()
            .state,
        OrderState::PaidAlipay { .. }
    ));
    // the ledger export `baidupay reconcile` reads
    assert_eq!(
        app.ledger_csv().await.unwrap(),
        "kind,merchant_order_id,platform_id,refund_id,amount_fen\n\
         payment,A-1,2024051322001400000000000001,,8888\n\
         payment,T-3,9,,1600\n\
         refund,T-3,77,,600\n\
         refund,T-3,79,,1000\n"
    );
    let ledger = baidupay_model::reconcile::parse_ledger(&app.ledger_csv().await.unwrap()).unwrap();
    assert_eq!(ledger.len(), 4);

    // an Alipay refund recorded before it is sent, completed by its refund notify (keyed by
    // out_trade_no + out_biz_no), once for two deliveries
    let a1 = TpOrderId::new("A-1").unwrap();
    let no = OutRequestNo::new("A-1-R1").unwrap();
    assert_eq!(
        app.store()
            .alipay_refund_start(&a1, &no, Fen::new(8888))
            .await
            .unwrap(),
        RefundStart::Send
    );
    assert_eq!(
        app.order(&a1).await.unwrap().unwrap().state,
        OrderState::Refunding
    );
    let refund_notify = alipay_body(&[
        ("notify_type", "trade_status_sync"),
        ("notify_id", "nid-2"),
        ("notify_time", "2024-05-13 18:00:00"),
        ("app_id", APP_ID),
        ("trade_no", "2024051322001400000000000001"),
        ("out_trade_no", "A-1"),
        ("out_biz_no", "A-1-R1"),
        ("trade_status", "TRADE_CLOSED"),
        ("total_amount", "88.88"),
        ("refund_fee", "88.88"),
        ("sign_type", "RSA2"),
    ]);
    for _ in 0..2 {
        assert_eq!(
            post(&t, addr, "/notify/alipay", refund_notify.clone()).await,
            (200, "success".to_owned())
        );
    }
    assert_eq!(app.counters().await, (5, 5));
    let o = app.order(&a1).await.unwrap().unwrap();
    assert_eq!(
        (o.state, o.refunded),
        (OrderState::Refunded, Fen::new(8888))
    );
    assert!(
        app.ledger_csv()
            .await
            .unwrap()
            .contains("refund,A-1,,A-1-R1,8888\n")
    );
}

async fn orders_are_never_changed_and_need_the_token(ledger: &Ledger) {
    let (app, addr) = start(ledger).await;
    let t = client();
    let order = |token: Option<&str>, body: &str| {
        let mut req = http::Request::post(format!("http://{addr}/orders"))
            .header("content-type", "application/json");
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        req.body(Bytes::from(body.to_owned())).unwrap()
    };
    let o1 = r#"{"tp_order_id":"O-1","total":1600}"#;
    // no token, a wrong token: refused, nothing created
    assert_eq!(request(&t, order(None, o1)).await.0, 401);
    assert_eq!(request(&t, order(Some("guess"), o1)).await.0, 401);
    let tp = TpOrderId::new("O-1").unwrap();
    assert_eq!(app.order(&tp).await.unwrap(), None);
    assert_eq!(request(&t, order(Some("t0ken"), o1)).await.0, 201);
    // the same again: a no-op; another amount: refused
    assert_eq!(request(&t, order(Some("t0ken"), o1)).await.0, 200);
    let (status, text) = request(
        &t,
        order(Some("t0ken"), r#"{"tp_order_id":"O-1","total":1}"#),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(app.order(&tp).await.unwrap().unwrap().total, Fen::new(1600));
    // paid, then re-posted with another amount: still refused, still paid at 16.00
    post(&t, addr, "/notify/baidu/pay", pay_body("11", "O-1", "1600")).await;
    assert!(matches!(
        app.create_order(tp.clone(), Fen::new(1)).await,
        Err(OrderError::Conflict { .. })
    ));
    let o = app.order(&tp).await.unwrap().unwrap();
    assert_eq!(o.total, Fen::new(1600));
    assert!(matches!(o.state, OrderState::Paid { .. }), "{o:?}");
    // the ledger export needs the token too
    let get = |token: &str| {
        http::Request::get(format!("http://{addr}/ledger.csv"))
            .header("authorization", format!("Bearer {token}"))
            .body(Bytes::new())
            .unwrap()
    };
    assert_eq!(request(&t, get("guess")).await.0, 401);
    let (status, csv) = request(&t, get("t0ken")).await;
    assert_eq!(status, 200);
    assert!(csv.ends_with("payment,O-1,11,,1600\n"), "{csv}");
}

/// Another process holds SQLite's write lock: the merchant answers "retry" (within the
/// budget, not a hang), and applies the notify once the lock is gone and Baidu retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_ledger_answers_retry_within_the_budget() {
    let ledger = Ledger::new("sqlite", "locked").await.unwrap();
    let (app, addr) = start(&ledger).await;
    app.create_order(TpOrderId::new("T-4").unwrap(), Fen::new(1))
        .await
        .unwrap();
    let path = ledger.url().trim_start_matches("sqlite://").to_owned();
    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE").unwrap(); // the "database" is stuck
    let body = pay_body("4", "T-4", "1");
    let (status, text) = post(&client(), addr, "/notify/baidu/pay", body.clone()).await;
    assert_eq!((status, text.as_str()), (200, RETRY), "Baidu will retry");
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        post(&client(), addr, "/notify/baidu/pay", body).await.1,
        CONSUMED
    );
    assert_eq!(app.counters().await, (1, 0));
}

/// The memory ledger (the bench's reference) keeps the old behaviour for `App::new`.
#[tokio::test]
async fn app_new_is_in_memory_and_refuses_orders_over_http_without_a_token() {
    let app = baidupay_example_merchant::App::new(APP_ID);
    assert!(matches!(
        app.create_order(TpOrderId::new("M-1").unwrap(), Fen::ZERO)
            .await,
        Err(OrderError::Zero(_))
    ));
    app.create_order(TpOrderId::new("M-1").unwrap(), Fen::new(5))
        .await
        .unwrap();
    let r = baidupay_example_merchant::router(
        app,
        baidupay_notify::BaiduNotifier::new(key(&BAIDU, 1024).public_key().clone()),
        baidupay_notify::AlipayNotifier::new(key(&ALIPAY, 2048).public_key().clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, r).await });
    let req = http::Request::post(format!("http://{addr}/orders"))
        .header("authorization", "Bearer anything")
        .body(Bytes::from_static(br#"{"tp_order_id":"M-2","total":5}"#))
        .unwrap();
    assert_eq!(request(&client(), req).await.0, 403);
}
