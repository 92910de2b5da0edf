//! Two `merchant` processes on one ledger (a SQLite file; a PostgreSQL database when
//! `BAIDUPAY_TEST_POSTGRES_URL` is set), fed the same payment, refund-audit and refund notifies
//! concurrently, each many times and to both instances in both orders: exactly one effect per
//! notify, every request answered with the exact ack, no error answers. Alipay trade notifies
//! the same way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};

use baidupay_example_merchant::{App, OrderState};
use baidupay_model::{Fen, TpOrderId};
use bytes::Bytes;
use common::*;

/// Orders, and deliveries of each notify.
const ORDERS: usize = 40;
const COPIES: usize = 6;
/// Requests in flight at once.
const SENDERS: usize = 32;

fn total(i: usize) -> u64 {
    200 + 2 * u64::try_from(i).unwrap()
}

/// Sends every `(instance, path, body, expected answer)` with [`SENDERS`] in flight, in an
/// order that puts the copies of one notify next to each other (so they race), and checks
/// every answer.
async fn send_all(instances: &[&Instance], jobs: Vec<(usize, &'static str, Bytes, String)>) {
    let t = Arc::new(client());
    let addrs: Vec<_> = instances.iter().map(|i| i.addr).collect();
    let queue = Arc::new(Mutex::new(jobs.into_iter().rev().collect::<Vec<_>>()));
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let (t, queue, addrs) = (t.clone(), queue.clone(), addrs.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((to, path, body, expected)) = queue.lock().unwrap().pop() else {
                    return;
                };
                let (status, text) = post(&t, addrs[to], path, body).await;
                assert_eq!((status, text.as_str()), (200, expected.as_str()), "{path}");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

async fn two_instances_apply_each_notify_once(ledger: &Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_files(dir.path());
    // both start with the same orders (Baidu C-i, Alipay A-i): creating an existing order is a
    // no-op
    let orders: Vec<String> = (0..ORDERS)
        .flat_map(|i| {
            [
                "--order".to_owned(),
                format!("C-{i}={}", total(i)),
                "--order".to_owned(),
                format!("A-{i}={}", total(i)),
            ]
        })
        .collect();
    let a = Instance::start(&ledger.url(), &keys, &orders);
    let b = Instance::start(&ledger.url(), &keys, &orders);
    let both = [&a, &b];

    // payments: COPIES of each, alternating instances, the first copy to A for even orders
    // and to B for odd ones
    let mut jobs = Vec::new();
    for i in 0..ORDERS {
        let body = pay_body(&format!("90{i}"), &format!("C-{i}"), &total(i).to_string());
        for c in 0..COPIES {
            jobs.push((
                (i + c) % 2,
                "/notify/baidu/pay",
                body.clone(),
                CONSUMED.to_owned(),
            ));
        }
    }
    send_all(&both, jobs).await;

    // Alipay payment notifies, COPIES of each, in both orders
    let mut jobs = Vec::new();
    for i in 0..ORDERS {
        let (nid, trade_no, out_trade_no) = (
            format!("nid-{i}"),
            format!("20240513220014{i:014}"),
            format!("A-{i}"),
        );
        let amount = format!("{}.{:02}", total(i) / 100, total(i) % 100);
        let body = alipay_body(&[
            ("notify_type", "trade_status_sync"),
            ("notify_id", &nid),
            ("notify_time", "2024-05-13 17:49:20"),
            ("app_id", APP_ID),
            ("trade_no", &trade_no),
            ("out_trade_no", &out_trade_no),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", &amount),
            ("sign_type", "RSA2"),
        ]);
        for c in 0..COPIES {
            jobs.push((
                (i + c + 1) % 2,
                "/notify/alipay",
                body.clone(),
                "success".to_owned(),
            ));
        }
    }
    send_all(&both, jobs).await;

    // refund audits for half of each order, to both instances at once: the same approval
    let mut jobs = Vec::new();
    for i in 0..ORDERS {
        let half = total(i) / 2;
        let body = refund_body(
            &format!("90{i}"),
            &format!("C-{i}"),
            &format!("RB-{i}"),
            ("applyRefundMoney", &half.to_string()),
        );
        let approved = format!(
            r#"{{"errno":0,"msg":"success","data":{{"auditStatus":1,"calculateRes":{{"refundPayMoney":{half}}}}}}}"#
        );
        for c in 0..2 {
            jobs.push((
                (i + c) % 2,
                "/notify/baidu/refund-audit",
                body.clone(),
                approved.clone(),
            ));
        }
    }
    send_all(&both, jobs).await;

    // refund notifies: COPIES of each, in both orders
    let mut jobs = Vec::new();
    for i in 0..ORDERS {
        let body = refund_body(
            &format!("90{i}"),
            &format!("C-{i}"),
            &format!("RB-{i}"),
            ("refundStatus", "1"),
        );
        for c in 0..COPIES {
            jobs.push((
                (i + c + 1) % 2,
                "/notify/baidu/refund",
                body.clone(),
                REFUND_ACK.to_owned(),
            ));
        }
    }
    send_all(&both, jobs).await;

    let t = client();
    let (sa, sb) = (a.stats(&t).await, b.stats(&t).await);
    let n = u64::try_from(ORDERS).unwrap();
    let copies = u64::try_from(COPIES).unwrap();
    assert_eq!(
        sa.0 + sb.0,
        3 * n,
        "one effect per notify: A {sa:?}, B {sb:?}"
    );
    assert_eq!(sa.1 + sb.1, 3 * n * (copies - 1), "A {sa:?}, B {sb:?}");
    assert!(
        sa.0 > 0 && sb.0 > 0,
        "both instances applied some: {sa:?} {sb:?}"
    );
    drop((a, b));

    // what the database holds
    let app = App::with_store(APP_ID, ledger.open().await);
    for i in 0..ORDERS {
        let o = app
            .order(&TpOrderId::new(format!("C-{i}")).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            o.state,
            OrderState::Paid {
                order_id: format!("90{i}").parse().unwrap(),
                user_id: 149_235_070
            }
        );
        assert_eq!(
            (o.refunded, o.refunding),
            (Fen::new(total(i) / 2), Fen::ZERO)
        );
        let a = app
            .order(&TpOrderId::new(format!("A-{i}")).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            a.state,
            OrderState::PaidAlipay {
                trade_no: format!("20240513220014{i:014}")
            }
        );
    }
    let csv = app.ledger_csv().await.unwrap();
    let rows = baidupay_model::reconcile::parse_ledger(&csv).unwrap();
    assert_eq!(rows.len(), 3 * ORDERS, "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_sqlite_file() {
    let ledger = Ledger::new("sqlite", "two_instances_on_one_sqlite_file")
        .await
        .unwrap();
    two_instances_apply_each_notify_once(&ledger).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_database() {
    let Some(ledger) = Ledger::new("postgres", "two_instances_on_one_postgres_database").await
    else {
        return;
    };
    two_instances_apply_each_notify_once(&ledger).await;
}
