//! What only the PostgreSQL store does: its migration (once, whichever of the instances
//! starting at once runs it; refused when the database is newer), a connection that dropped is
//! opened again, and a failure is a `StoreError` with the cause in `source()`. Needs the
//! `postgres` feature and a server (`BAIDUPAY_TEST_POSTGRES_URL`, see the README).

#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::error::Error;
use std::sync::Arc;

use baidupay_model::Secret;
use baidupay_tp::PostgresTokenStore;
use baidupay_tp::store::{Lease, TokenKey, TokenStore, Tokens};

fn tokens(n: u32) -> Tokens {
    Tokens::new(
        Secret::new(format!("access-{n}")),
        Some(Secret::new(format!("refresh-{n}"))),
        1_700_003_600,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_at_once_migrate_once() {
    let Some(db) =
        baidupay_testkit::pg::TestDb::for_test("instances_starting_at_once_migrate_once").await
    else {
        return;
    };
    let go = Arc::new(tokio::sync::Barrier::new(8));
    let starts: Vec<_> = (0..8)
        .map(|_| {
            let (url, go) = (db.url.clone(), go.clone());
            tokio::spawn(async move {
                go.wait().await;
                PostgresTokenStore::connect(&url).await
            })
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().unwrap());
    }
    let client = db.client().await;
    let versions: Vec<i32> = client
        .query("SELECT version FROM baidupay_tp_migrations", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1]);
    // and every instance works on the one schema
    stores[0]
        .put(TokenKey::Component, &tokens(1))
        .await
        .unwrap();
    assert_eq!(
        stores[7]
            .load(TokenKey::Component)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
    // a later start finds the schema in place and keeps the data
    let later = PostgresTokenStore::connect(&db.url).await.unwrap();
    assert_eq!(
        later
            .load(TokenKey::Component)
            .await
            .unwrap()
            .unwrap()
            .tokens,
        tokens(1)
    );
}

#[tokio::test]
async fn a_schema_newer_than_this_build_is_refused() {
    let Some(db) =
        baidupay_testkit::pg::TestDb::for_test("a_schema_newer_than_this_build_is_refused").await
    else {
        return;
    };
    PostgresTokenStore::connect(&db.url).await.unwrap();
    db.client()
        .await
        .execute(
            "INSERT INTO baidupay_tp_migrations (version) VALUES (99)",
            &[],
        )
        .await
        .unwrap();
    let e = PostgresTokenStore::connect(&db.url).await.unwrap_err();
    assert_eq!(e.operation(), "migrate");
    assert_eq!(e.to_string(), "token store: migrate failed");
    assert_eq!(
        e.source().unwrap().to_string(),
        "the database's token-store schema is at version 99; this build knows up to 1"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_opened_again() {
    let Some(db) =
        baidupay_testkit::pg::TestDb::for_test("a_dropped_connection_is_opened_again").await
    else {
        return;
    };
    let store = PostgresTokenStore::connect(&db.url).await.unwrap();
    let key = TokenKey::Authorizer(7);
    store.put(key, &tokens(1)).await.unwrap();
    // the server ends the session (a restart, a failover, an idle timeout): each operation
    // after that works on a new connection
    db.kill_sessions().await;
    assert_eq!(store.load(key).await.unwrap().unwrap().version, 1);
    db.kill_sessions().await;
    assert_eq!(
        store.begin_refresh(key, 1, "a", 0, 60).await.unwrap(),
        Lease::Acquired
    );
    db.kill_sessions().await;
    let written = store.finish_refresh(key, "a", 1, &tokens(2)).await.unwrap();
    assert_eq!(written.unwrap().version, 2);
    db.kill_sessions().await;
    store.set_ticket(&Secret::new("t")).await.unwrap();
    assert_eq!(store.ticket().await.unwrap(), Some(Secret::new("t")));
}

#[tokio::test]
async fn a_failure_is_a_store_error_with_its_cause_and_no_secret() {
    let Some(db) = baidupay_testkit::pg::TestDb::for_test(
        "a_failure_is_a_store_error_with_its_cause_and_no_secret",
    )
    .await
    else {
        return;
    };
    let store = PostgresTokenStore::connect(&db.url).await.unwrap();
    let shown = format!("{store:?}");
    assert!(shown.starts_with("PostgresTokenStore { user: "), "{shown}");
    assert!(shown.contains(&db.name), "{shown}");
    // the tables are gone (an operator's mistake): every operation says which one failed
    db.client()
        .await
        .batch_execute("DROP TABLE baidupay_tp_tokens, baidupay_tp_ticket")
        .await
        .unwrap();
    let e = store
        .put(TokenKey::Component, &tokens(1))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "token store: put failed");
    let cause = support_chain(&e);
    assert!(cause.contains("baidupay_tp_tokens"), "{cause}");
    assert!(!cause.contains("access-1"), "{cause}");
    let e = store.ticket().await.unwrap_err();
    assert_eq!(e.operation(), "ticket");
    assert!(e.source().is_some());
}

fn support_chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push_str(": ");
        out.push_str(&format!("{s} ({s:?})"));
        next = s.source();
    }
    out
}
