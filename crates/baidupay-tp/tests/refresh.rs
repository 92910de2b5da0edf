//! The refresh protocol across tasks and processes: exactly one refresh per expired authorizer
//! token, a failed refresh leaves the stored tokens as they were, a lease run out is taken over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "postgres")]
use baidupay_tp::PostgresTokenStore;
#[cfg(feature = "sqlite")]
use baidupay_tp::SqliteTokenStore;
use baidupay_tp::store::{Lease, TokenKey, TokenStore};
use baidupay_tp::{MemoryTokenStore, OAUTH_TOKEN_PATH, TpAuth, TpError};
use baidupay_transport::{ErrorKind, ManualClock};
use support::{APP, Answer, Fake, NOW, REFRESHED, seeded, stored};

/// 16 tasks per chain (one chain per store; the stores share their data) ask for `APP`'s token
/// just after it expired; every task gets the refreshed token, exactly one refresh reaches the
/// platform, with the stored refresh token.
async fn one_refresh_for_all(stores: Vec<Arc<dyn TokenStore>>, tasks_per_chain: usize) {
    let fake = Arc::new(
        Fake::new(Duration::from_millis(50)).on(OAUTH_TOKEN_PATH, Answer::Json(REFRESHED)),
    );
    let clock = Arc::new(ManualClock::new(NOW));
    let mut chains = vec![seeded(fake.clone(), stores[0].clone(), clock.clone()).await];
    for store in &stores[1..] {
        chains.push(TpAuth::new(
            "TPKEY",
            support::BASE,
            fake.clone(),
            store.clone(),
            clock.clone(),
        ));
    }
    clock.advance(Duration::from_secs(3600));
    let mut tasks = Vec::new();
    for chain in &chains {
        for _ in 0..tasks_per_chain {
            let chain = chain.clone();
            tasks.push(tokio::spawn(async move {
                chain.authorizer_token(APP).await.unwrap()
            }));
        }
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().expose(), "45.a2");
    }
    let refreshes = fake.seen_at(OAUTH_TOKEN_PATH);
    assert_eq!(refreshes.len(), 1, "{:?}", fake.seen());
    assert_eq!(refreshes[0].param("refresh_token"), Some("46.r1"));
    assert_eq!(
        refreshes[0].param("grant_type"),
        Some("app_to_tp_refresh_token")
    );
    assert!(!refreshes[0].idempotent, "a refresh is never resent");
    assert_eq!(fake.seen().len(), 1, "the stored TP token was used");
    for store in &stores {
        assert_eq!(
            stored(&**store).await,
            ("45.a2".to_owned(), "46.r2".to_owned(), 2)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_one_refresh_for_sixteen_tasks() {
    // 16 tasks on one chain: its own single flight
    one_refresh_for_all(vec![Arc::new(MemoryTokenStore::new())], 16).await;
    // two chains (as two components of one process would be) on one store, 8 tasks each:
    // the store's lease between them
    let shared: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    one_refresh_for_all(vec![shared.clone(), shared], 8).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_sqlite_opens_one_refresh_for_thirty_two_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.db");
    // two opens, two connections: what two processes have
    let first = SqliteTokenStore::open(&path).await.unwrap();
    let second = SqliteTokenStore::open(&path).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    one_refresh_for_all(vec![Arc::new(first), Arc::new(second)], 16).await;
    // a third open sees what the others wrote
    let third = SqliteTokenStore::open(&path).await.unwrap();
    assert_eq!(
        stored(&third).await,
        ("45.a2".to_owned(), "46.r2".to_owned(), 2)
    );
    assert_eq!(third.ticket().await.unwrap().unwrap().expose(), "TICKET");
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_postgres_connections_one_refresh_for_thirty_two_tasks() {
    let Some(db) = baidupay_testkit::pg::TestDb::for_test(
        "two_postgres_connections_one_refresh_for_thirty_two_tasks",
    )
    .await
    else {
        return;
    };
    // two connects, two connections: what two machines have
    let first = PostgresTokenStore::connect(&db.url).await.unwrap();
    let second = PostgresTokenStore::connect(&db.url).await.unwrap();
    one_refresh_for_all(vec![Arc::new(first), Arc::new(second)], 16).await;
    let third = PostgresTokenStore::connect(&db.url).await.unwrap();
    assert_eq!(
        stored(&third).await,
        ("45.a2".to_owned(), "46.r2".to_owned(), 2)
    );
    assert_eq!(third.ticket().await.unwrap().unwrap().expose(), "TICKET");
}

/// A refresh answered `invalid_grant`, then one that times out: each is an error, the stored
/// tokens and version stay as they were, the lease is released.
async fn failed_refresh_changes_nothing(store: Arc<dyn TokenStore>) {
    let fake = Arc::new(
        Fake::new(Duration::ZERO)
            .on(
                OAUTH_TOKEN_PATH,
                Answer::Json(
                    r#"{"error":"invalid_grant","error_description":"refresh token used"}"#,
                ),
            )
            .on(OAUTH_TOKEN_PATH, Answer::Fail(ErrorKind::Timeout)),
    );
    let clock = Arc::new(ManualClock::new(NOW));
    let chain = seeded(fake.clone(), store.clone(), clock.clone()).await;
    clock.advance(Duration::from_secs(3600));
    let before = stored(&*store).await;

    let e = chain.authorizer_token(APP).await.unwrap_err();
    let TpError::Call(call) = &e else {
        panic!("{e:?}")
    };
    assert!(
        matches!(call.api_error(), Some(baidupay_model::envelope::ApiError::OAuth { error, .. }) if error == "invalid_grant"),
        "{e:?}"
    );
    assert_eq!(stored(&*store).await, before);

    let e = chain.authorizer_token(APP).await.unwrap_err();
    assert!(e.may_have_been_sent(), "{e:?}");
    assert_eq!(stored(&*store).await, before);

    // both presented the stored refresh token; the lease is free again
    let presented: Vec<_> = fake
        .seen_at(OAUTH_TOKEN_PATH)
        .iter()
        .map(|s| s.param("refresh_token").unwrap().to_owned())
        .collect();
    assert_eq!(presented, ["46.r1", "46.r1"]);
    let now = NOW + 3600;
    assert_eq!(
        store
            .begin_refresh(
                TokenKey::Authorizer(APP),
                before.2,
                "someone",
                now,
                now + 60
            )
            .await
            .unwrap(),
        Lease::Acquired
    );
}

#[tokio::test]
async fn memory_store_failed_refresh_changes_nothing() {
    failed_refresh_changes_nothing(Arc::new(MemoryTokenStore::new())).await;
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn sqlite_store_failed_refresh_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteTokenStore::open(dir.path().join("t.db"))
        .await
        .unwrap();
    failed_refresh_changes_nothing(Arc::new(store)).await;
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_store_failed_refresh_changes_nothing() {
    let Some(db) =
        baidupay_testkit::pg::TestDb::for_test("postgres_store_failed_refresh_changes_nothing")
            .await
    else {
        return;
    };
    let store = PostgresTokenStore::connect(&db.url).await.unwrap();
    failed_refresh_changes_nothing(Arc::new(store)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_run_out_is_taken_over() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let fake = Arc::new(Fake::new(Duration::ZERO).on(OAUTH_TOKEN_PATH, Answer::Json(REFRESHED)));
    let clock = Arc::new(ManualClock::new(NOW));
    let chain = seeded(fake.clone(), store.clone(), clock.clone()).await;
    clock.advance(Duration::from_secs(3600));
    let now = NOW + 3600;
    // a holder that crashed mid-refresh: its lease runs for another minute
    assert_eq!(
        store
            .begin_refresh(TokenKey::Authorizer(APP), 1, "crashed", now, now + 60)
            .await
            .unwrap(),
        Lease::Acquired
    );
    let waiter = tokio::spawn({
        let chain = chain.clone();
        async move { chain.authorizer_token(APP).await.unwrap() }
    });
    // the waiter polls while the lease runs; nothing is sent
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(fake.seen().is_empty());
    assert!(!waiter.is_finished());
    // the lease runs out: the waiter takes over and refreshes
    clock.advance(Duration::from_secs(61));
    assert_eq!(waiter.await.unwrap().expose(), "45.a2");
    assert_eq!(fake.seen_at(OAUTH_TOKEN_PATH).len(), 1);
    assert_eq!(
        stored(&*store).await,
        ("45.a2".to_owned(), "46.r2".to_owned(), 2)
    );
}

#[tokio::test]
async fn a_holder_that_never_finishes_is_waited_for_at_most_twice_the_lease() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let fake = Arc::new(Fake::new(Duration::ZERO));
    let clock = Arc::new(ManualClock::new(NOW));
    let chain = seeded(fake.clone(), store.clone(), clock.clone())
        .await
        .lease(Duration::from_secs(1));
    clock.advance(Duration::from_secs(3600));
    let now = NOW + 3600;
    store
        .begin_refresh(TokenKey::Authorizer(APP), 1, "stuck", now, i64::MAX)
        .await
        .unwrap();
    let e = chain.authorizer_token(APP).await.unwrap_err();
    assert!(
        matches!(e, TpError::RefreshBusy { until: i64::MAX }),
        "{e:?}"
    );
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn a_mini_program_without_tokens_is_not_authorized() {
    let store: Arc<dyn TokenStore> = Arc::new(MemoryTokenStore::new());
    let fake = Arc::new(Fake::new(Duration::ZERO));
    let chain = TpAuth::new(
        "TPKEY",
        support::BASE,
        fake.clone(),
        store,
        Arc::new(ManualClock::new(NOW)),
    );
    let e = chain.authorizer_token(99).await.unwrap_err();
    assert!(matches!(e, TpError::NotAuthorized { app_id: 99 }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "mini program 99 is not authorized: no authorizer tokens are stored"
    );
    assert!(fake.seen().is_empty());
}
