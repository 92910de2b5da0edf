//! Kill -9 one instance while notifies are in flight: the platform redelivers what was not
//! acknowledged to the other instance; afterwards every acknowledged payment is in the
//! database and none is applied twice. On a SQLite file shared by both instances, and on
//! PostgreSQL when `BAIDUPAY_TEST_POSTGRES_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use baidupay_example_merchant::{App, OrderState};
use baidupay_model::TpOrderId;
use common::*;

const ORDERS: usize = 150;
const SENDERS: usize = 16;
/// A is killed when this many of its answers were acknowledgements.
const KILL_AFTER: usize = 40;

fn total(i: usize) -> u64 {
    100 + u64::try_from(i).unwrap()
}

async fn kill_one_mid_flight(ledger: &Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let keys = key_files(dir.path());
    let orders: Vec<String> = (0..ORDERS)
        .flat_map(|i| ["--order".to_owned(), format!("K-{i}={}", total(i))])
        .collect();
    let a = Instance::start(&ledger.url(), &keys, &orders);
    let b = Instance::start(&ledger.url(), &keys, &orders);
    let a_addr = a.addr;
    let a = Arc::new(Mutex::new(a));
    let bodies: Vec<_> = (0..ORDERS)
        .map(|i| pay_body(&format!("70{i}"), &format!("K-{i}"), &total(i).to_string()))
        .collect();

    // every payment to A, SENDERS at a time; A is killed (SIGKILL) after its KILL_AFTER-th
    // acknowledgement, with requests in flight
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let queue = Arc::new(Mutex::new((0..ORDERS).rev().collect::<Vec<_>>()));
    let t = Arc::new(client());
    let mut tasks = Vec::new();
    for _ in 0..SENDERS {
        let (t, queue, acked, a, bodies) = (
            t.clone(),
            queue.clone(),
            acked.clone(),
            a.clone(),
            bodies.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(i) = queue.lock().unwrap().pop() else {
                    return;
                };
                match try_post(&t, a_addr, "/notify/baidu/pay", bodies[i].clone()).await {
                    Some((200, text)) if text == CONSUMED => {
                        let n = {
                            let mut acked = acked.lock().unwrap();
                            acked.insert(i);
                            acked.len()
                        };
                        if n == KILL_AFTER {
                            a.lock().unwrap().kill();
                        }
                    }
                    // no answer (killed), or "retry": the platform will redeliver it
                    Some((200, text)) => assert_eq!(text, RETRY),
                    Some(other) => panic!("unexpected answer {other:?}"),
                    None => {}
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert!(!a.lock().unwrap().running(), "A was killed");
    let acked_by_a = acked.lock().unwrap().clone();
    assert!(acked_by_a.len() >= KILL_AFTER && acked_by_a.len() < ORDERS);

    // the platform redelivers every notify A did not acknowledge to B, and (as it may) some
    // that A did: all acknowledged, none applied twice
    let t = client();
    for (i, body) in bodies.iter().enumerate() {
        if !acked_by_a.contains(&i) || i % 5 == 0 {
            assert_eq!(
                post(&t, b.addr, "/notify/baidu/pay", body.clone()).await,
                (200, CONSUMED.to_owned()),
                "K-{i}"
            );
        }
    }
    let (effects, _) = b.stats(&t).await;
    eprintln!(
        "A acknowledged {} payments before it was killed; B applied {effects} of the rest",
        acked_by_a.len()
    );
    let orders_n = u64::try_from(ORDERS).unwrap();
    let acked_n = u64::try_from(acked_by_a.len()).unwrap();
    assert!(
        effects <= orders_n - acked_n,
        "B applied {effects} payments, but A had acknowledged {acked_n} of {orders_n}"
    );
    drop(b);

    // the database: every payment there once, every acknowledged one among them
    let app = App::with_store(APP_ID, ledger.open().await);
    for i in 0..ORDERS {
        let o = app
            .order(&TpOrderId::new(format!("K-{i}")).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            o.state,
            OrderState::Paid {
                order_id: format!("70{i}").parse().unwrap(),
                user_id: 149_235_070
            },
            "K-{i}"
        );
    }
    let rows = baidupay_model::reconcile::parse_ledger(&app.ledger_csv().await.unwrap()).unwrap();
    assert_eq!(rows.len(), ORDERS, "one payment row per order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_on_sqlite() {
    let ledger = Ledger::new("sqlite", "kill_9_on_sqlite").await.unwrap();
    kill_one_mid_flight(&ledger).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_on_postgres() {
    let Some(ledger) = Ledger::new("postgres", "kill_9_on_postgres").await else {
        return;
    };
    kill_one_mid_flight(&ledger).await;
}
