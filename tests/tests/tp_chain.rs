//! The TP authorization lifecycle end to end (issue 17), with the SDK on both sides of the
//! wire: a TP event server (`tp_event_route`) receives the sealed ticket push and feeds
//! `TpAuth`, which fetches the component token and a pre-authorization code; the
//! administrator's consent (the sandbox's stand-in) pushes `AUTHORIZED`, whose code buys the
//! authorizer tokens; a `TpClient` on them onboards the mini program (the sealed audit pushes
//! opened with `parse_audit_push`); then the tokens expire and are refreshed exactly once,
//! within one process, across two `TpAuth`s on one memory store, and across two OS processes
//! on one SQLite file and on one PostgreSQL database (`BAIDUPAY_TEST_POSTGRES_URL`, see the
//! README). A refused refresh leaves the stored tokens as they were.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use baidupay_e2e::*;
use baidupay_model::tp::{AccountStatus, OpenStatus, TpAuditEvent};
use baidupay_notify::TpEvent;
use baidupay_sandbox::SandboxConfig;
use baidupay_sandbox::samples::{account_request, develop_config_request, payment_service_request};
use baidupay_tp::store::{TokenKey, TokenRecord};
use baidupay_tp::{
    MemoryTokenStore, OAUTH_TOKEN_PATH, PostgresTokenStore, SqliteTokenStore, TokenStore, TpAuth,
    TpClient, TpError,
};
use baidupay_transport::{Clock, ManualClock};
use serde_json::json;

/// 2024-05-13 17:49:20 in Beijing.
const START: i64 = 1_715_593_760;
const TP_CLIENT_ID: &str = "e2e-chain-tp";
const MINI_APP: u64 = 16_033_333;
/// A short authorizer-token lifetime (the platform's is an hour); `TpAuth` refreshes 300 s
/// before expiry.
const LIFETIME: Duration = Duration::from_secs(900);

/// A sandbox on `clock` with short-lived authorizer tokens, and a TP on `store` (reading the
/// same clock) whose event server is registered and has fed the first ticket to its chain.
async fn platform(clock: &Arc<ManualClock>, store: Arc<dyn TokenStore>) -> (World, TpServer) {
    let w = World::start(
        SandboxConfig::default()
            .clock(clock.clone())
            .tp_authorizer_token_lifetime(LIFETIME),
    )
    .await;
    let tp = TpServer::start(chain_on(&w, clock, store)).await;
    tp.register(&w.http, w.running.base_url()).await;
    (w, tp)
}

/// A `TpAuth` of the TP on the sandbox of `w`, keeping its tokens in `store`.
fn chain_on(w: &World, clock: &Arc<ManualClock>, store: Arc<dyn TokenStore>) -> TpAuth {
    TpAuth::new(
        TP_CLIENT_ID,
        w.running.base_url(),
        w.http.clone(),
        store,
        clock.clone(),
    )
}

/// [`platform`], then `MINI_APP` authorized through the chain and its access token expired.
async fn authorized_then_expired(
    clock: &Arc<ManualClock>,
    store: Arc<dyn TokenStore>,
) -> (World, TpServer, TokenRecord) {
    let (w, mut tp) = platform(clock, store).await;
    tp.authorize(&w.http, w.running.base_url(), MINI_APP).await;
    let record = stored(&tp.auth).await;
    clock.advance(LIFETIME);
    (w, tp, record)
}

/// The authorizer tokens of `MINI_APP` in the chain's store.
async fn stored(auth: &TpAuth) -> TokenRecord {
    auth.store()
        .load(TokenKey::Authorizer(MINI_APP))
        .await
        .unwrap()
        .expect("authorizer tokens are stored")
}

async fn counts(w: &World) -> (u64, u64, u64) {
    tp_app_counts(&w.http, w.running.base_url(), MINI_APP).await
}

/// Arms a sandbox fault.
async fn fault(w: &World, v: serde_json::Value) {
    let (status, answer) = post_json(&w.http, &w.url("/sandbox/faults"), &v).await;
    assert_eq!(status, 201, "{answer}");
}

async fn decide(w: &World, step: &str) {
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/tp/audit"),
        &json!({"app_id": MINI_APP, "step": step, "pass": true}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // the lifecycle, in order
async fn from_the_first_ticket_to_an_onboarded_mini_program_then_one_refresh_per_expiry() {
    let clock = Arc::new(ManualClock::new(START));
    let (w, mut tp) = platform(&clock, Arc::new(MemoryTokenStore::new())).await;
    let base = w.running.base_url().to_owned();
    assert!(tp.auth.store().ticket().await.unwrap().is_some());

    // ticket → component token → pre-auth code → console URL → consent → AUTHORIZED → tokens
    let code = tp.authorize(&w.http, &base, MINI_APP).await;
    assert_eq!(counts(&w).await, (1, 0, 0));
    // a code is single use: presenting it again is refused, the stored tokens stay
    let first = stored(&tp.auth).await;
    let again = tp.auth.authorize(MINI_APP, &code).await.unwrap_err();
    assert!(
        chain(&again).contains("authorization code already used"),
        "{}",
        chain(&again)
    );
    assert_eq!(stored(&tp.auth).await, first);
    assert_eq!(first.tokens.expires_at, START + 900);
    assert!(first.tokens.refresh_token.is_some());

    // the payment-service onboarding on the authorizer token, each audit pushed sealed
    let client = TpClient::new(&base, w.http.clone(), tp.auth.authorizer(MINI_APP));
    client.create_account(&account_request()).await.unwrap();
    decide(&w, "account").await;
    tp.audit_pushed(TpAuditEvent::CreateAccountPass).await;
    let config = develop_config_request(w.merchant_key.public_key().to_base64(), w.merchant);
    client.submit_develop_config(&config).await.unwrap();
    decide(&w, "develop_config").await;
    tp.audit_pushed(TpAuditEvent::DevelopConfigPass).await;
    client
        .create_service(&payment_service_request())
        .await
        .unwrap();
    decide(&w, "payment_service").await;
    tp.audit_pushed(TpAuditEvent::CreatePaymentPass).await;
    let bound = client.bound_service().await.unwrap();
    assert_eq!(bound.open_status, OpenStatus::Approved);
    {
        let audits = tp.audits.lock().unwrap();
        assert_eq!(audits.len(), 3);
        assert!(
            audits
                .iter()
                .all(|p| (p.app_id, p.tp_app_id) == (MINI_APP, TP_APP_ID))
        );
    }
    assert_eq!(
        counts(&w).await,
        (1, 0, 0),
        "no refresh while the token is fresh"
    );

    // inside the refresh margin's edge: still the first token
    clock.advance(Duration::from_secs(599));
    assert_eq!(
        tp.auth.authorizer_token(MINI_APP).await.unwrap(),
        first.tokens.access_token
    );
    // expired: the old token is refused by the platform; eight calls at once refresh once
    clock.advance(Duration::from_secs(301));
    let refused = get_json(
        &w.http,
        &w.url(&format!(
            "/rest/2.0/smartapp/pay/account/auditstatus?access_token={}",
            first.tokens.access_token.expose()
        )),
    )
    .await;
    assert_eq!(refused["error_code"], 111, "{refused}");
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.account_audit_status().await })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap().status, AccountStatus::Approved);
    }
    assert_eq!(counts(&w).await, (1, 1, 0));
    let refreshed = stored(&tp.auth).await;
    assert_ne!(refreshed.tokens.access_token, first.tokens.access_token);
    assert_ne!(refreshed.tokens.refresh_token, first.tokens.refresh_token);
    assert_eq!(refreshed.tokens.expires_at, clock.unix_seconds() + 900);

    // the platform answers "token expired" before its time: refreshed once, the call retried
    fault(
        &w,
        json!({"kind": "token_expired", "path": "/rest/2.0/smartapp/pay/paymentservice/auditstatus"}),
    )
    .await;
    assert_eq!(
        client.service_audit_status().await.unwrap().status,
        OpenStatus::Approved
    );
    assert_eq!(counts(&w).await, (1, 2, 0));
    let forced = stored(&tp.auth).await;
    assert_ne!(forced.tokens.access_token, refreshed.tokens.access_token);
    assert_eq!(
        get_json(&w.http, &w.url("/sandbox/faults")).await,
        json!([])
    );
    // and the new token keeps working without another refresh
    client.bound_service().await.unwrap();
    assert_eq!(counts(&w).await, (1, 2, 0));
}

/// Waits for every task's token; all must be the same one.
async fn same_token(
    tasks: Vec<tokio::task::JoinHandle<Result<baidupay_model::Secret, TpError>>>,
) -> String {
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap().expose().to_owned());
    }
    tokens.dedup();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    tokens.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_chains_on_one_memory_store_refresh_once_for_thirty_two_callers() {
    let clock = Arc::new(ManualClock::new(START));
    let store = Arc::new(MemoryTokenStore::new());
    let (w, tp, before) = authorized_then_expired(&clock, store.clone()).await;
    let other = chain_on(&w, &clock, store);
    let go = Arc::new(tokio::sync::Barrier::new(32));
    let tasks = [tp.auth.clone(), other]
        .into_iter()
        .flat_map(|auth| std::iter::repeat_n(auth, 16))
        .map(|auth| {
            let go = go.clone();
            tokio::spawn(async move {
                go.wait().await;
                auth.authorizer_token(MINI_APP).await
            })
        })
        .collect();
    let token = same_token(tasks).await;
    assert_ne!(token, before.tokens.access_token.expose());
    assert_eq!(stored(&tp.auth).await.tokens.access_token.expose(), token);
    assert_eq!(counts(&w).await, (1, 1, 0));
}

/// The lines a `tp-refresh` process prints, as they come.
fn lines_of(mut child: std::process::Child) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let out = child.stdout.take().unwrap();
    // the process ends by itself (its own deadline); this thread reaps it
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
        let status = child.wait().map(|s| s.to_string());
        let _ = tx.send(format!("exit {}", status.unwrap_or_default()));
    });
    rx
}

async fn next_line(rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("tp-refresh said nothing for 30 s")
        .expect("tp-refresh ended")
}

/// Two `tp-refresh` processes, 16 tasks each, on the store that `store_args` name (`--db FILE`
/// or `--postgres URL`; the test's own chain uses `store`, opened on the same data) ask for
/// `MINI_APP`'s expired token at once: exactly one refresh reaches the sandbox and every task
/// gets its token.
async fn two_processes_refresh_once(store: Arc<dyn TokenStore>, store_args: [&str; 2]) {
    let dir = tempfile::tempdir().unwrap();
    let barrier = dir.path().join("start");
    let clock = Arc::new(ManualClock::new(START));
    let (w, tp, before) = authorized_then_expired(&clock, store).await;

    let now = clock.unix_seconds().to_string();
    let mut processes: Vec<_> = (0..2)
        .map(|_| {
            let child = std::process::Command::new(env!("CARGO_BIN_EXE_tp-refresh"))
                .args(store_args)
                .args(["--base", w.running.base_url()])
                .args(["--client-id", TP_CLIENT_ID])
                .args(["--app-id", &MINI_APP.to_string()])
                .args(["--now", &now])
                .args(["--start", barrier.to_str().unwrap()])
                .args(["--tasks", "16"])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            lines_of(child)
        })
        .collect();
    for p in &mut processes {
        assert_eq!(next_line(p).await, "ready");
    }
    assert_eq!(counts(&w).await, (1, 0, 0));
    std::fs::write(&barrier, b"go").unwrap();

    let mut tokens = Vec::new();
    for p in &mut processes {
        let mut mine = Vec::new();
        loop {
            let line = next_line(p).await;
            if let Some(status) = line.strip_prefix("exit ") {
                assert_eq!(status, "exit status: 0", "{mine:?}");
                break;
            }
            mine.push(line);
        }
        assert_eq!(mine.len(), 16, "{mine:?}");
        tokens.extend(mine);
    }
    tokens.dedup();
    assert_eq!(
        tokens.len(),
        1,
        "every task of both processes got one token: {tokens:?}"
    );
    let token = tokens[0].strip_prefix("token ").expect("a token line");
    assert_ne!(token, before.tokens.access_token.expose());
    let after = stored(&tp.auth).await;
    assert_eq!(after.tokens.access_token.expose(), token);
    assert_eq!(after.version, before.version + 1);
    assert_eq!(counts(&w).await, (1, 1, 0));
    // the test's own chain reads the new token from the store and the platform takes it
    let client = TpClient::new(
        w.running.base_url(),
        w.http.clone(),
        tp.auth.authorizer(MINI_APP),
    );
    assert!(client.dict().await.is_ok());
    assert_eq!(counts(&w).await, (1, 1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_sqlite_store_refresh_once_for_thirty_two_callers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tp-tokens.db");
    let store = Arc::new(SqliteTokenStore::open(&db).await.unwrap());
    two_processes_refresh_once(store, ["--db", db.to_str().unwrap()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_store_refresh_once_for_thirty_two_callers() {
    let Some(db) = baidupay_testkit::pg::TestDb::for_test(
        "two_processes_on_one_postgres_store_refresh_once_for_thirty_two_callers",
    )
    .await
    else {
        return;
    };
    let store = Arc::new(PostgresTokenStore::connect(&db.url).await.unwrap());
    two_processes_refresh_once(store, ["--postgres", &db.url]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_leaves_the_stored_tokens_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let store = Arc::new(
        SqliteTokenStore::open(dir.path().join("t.db"))
            .await
            .unwrap(),
    );
    let (w, mut tp, before) = authorized_then_expired(&clock, store).await;

    // the platform answers the refresh with a 500 (without handling it)
    fault(
        &w,
        json!({"kind": "status", "path": OAUTH_TOKEN_PATH, "status": 500, "count": 1}),
    )
    .await;
    let e = tp.auth.authorizer_token(MINI_APP).await.unwrap_err();
    assert!(matches!(e, TpError::Call(_)), "{e:?}");
    assert!(chain(&e).contains("HTTP 500"), "{}", chain(&e));
    assert_eq!(stored(&tp.auth).await, before);
    assert_eq!(counts(&w).await, (1, 0, 0));
    // the refresh token was never consumed: the next call refreshes with it (the lease was
    // released)
    let renewed = tp.auth.authorizer_token(MINI_APP).await.unwrap();
    assert_ne!(renewed, before.tokens.access_token);
    assert_eq!(counts(&w).await, (1, 1, 0));

    // revoked, then expired: the refresh is refused (invalid_grant), the tokens stay
    let (status, _) = send(
        &w.http,
        http::Method::DELETE,
        &w.url(&format!("/sandbox/tp/authorize/{MINI_APP}")),
        "application/json",
        "",
    )
    .await;
    assert_eq!(status, 200);
    match tp.next_event().await {
        TpEvent::Unauthorized(e) => assert_eq!(e.app_id, MINI_APP),
        other => panic!("expected UNAUTHORIZED, got {other:?}"),
    }
    clock.advance(LIFETIME);
    let kept = stored(&tp.auth).await;
    let e = tp.auth.authorizer_token(MINI_APP).await.unwrap_err();
    assert!(chain(&e).contains("invalid_grant"), "{}", chain(&e));
    assert_eq!(stored(&tp.auth).await, kept);
    assert_eq!(counts(&w).await, (1, 1, 0));
}
