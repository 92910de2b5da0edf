//! `SandboxConfig::db` keeps the TP and Alipay state too: a sandbox stopped in the middle of
//! the TP onboarding or of an Alipay payment, and started again on the same file, goes on
//! where it stopped (tokens, single-use refresh tokens, pending audits, owed pushes and
//! notifies); a change it cannot store is refused, not acknowledged.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use baidupay_crypto::PrivateKey;
use baidupay_notify::{TpEvent, TpEventKeys};
use baidupay_sandbox::{CallbackKind, Sandbox, SandboxConfig};
use bytes::Bytes;
use serde_json::{Value, json};
use support::{Client, Receiver, gateway, oauth, start};

const TP: &str = "tp-restart";
const MSG_TOKEN: &str = "restart-msg-token";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const MINI_APP: u64 = 16_044_444;
const ALIPAY_APP: &str = "2021000199990001";

fn config(dir: &std::path::Path) -> SandboxConfig {
    SandboxConfig::default()
        .keys_dir(dir.join("keys"))
        .db(dir.join("state.sqlite"))
        .retry_schedule([0, 50].map(Duration::from_millis))
        .tp_audit_delay(Duration::from_secs(3))
}

/// Polls `check` every 20 ms for up to 10 s.
async fn until(what: &str, check: impl Fn() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

/// How many attempts of `kind` the sandbox made and how many were acknowledged.
fn attempts(sandbox: &Sandbox, kind: CallbackKind) -> (usize, usize) {
    let all: Vec<_> = sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.kind == kind)
        .collect();
    (all.len(), all.iter().filter(|d| d.acknowledged).count())
}

async fn data(c: &Client, path: &str) -> Value {
    let (status, v) = c.get(path).await;
    assert_eq!(status, 200, "{path}: {v}");
    assert_eq!(v["errno"], 0, "{path}: {v}");
    v["data"].clone()
}

async fn account_status(c: &Client, token: &str) -> Value {
    c.get(&format!(
        "/rest/2.0/smartapp/pay/account/auditstatus?access_token={token}"
    ))
    .await
    .1
}

#[cfg(unix)]
fn assert_owner_only(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
}

#[cfg(not(unix))]
fn assert_owner_only(_: &std::path::Path) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // two lives of one onboarding
async fn the_tp_onboarding_goes_on_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Receiver::start().await;
    let keys = TpEventKeys::new(MSG_TOKEN, AES_KEY, TP).unwrap();

    // --- first life: registered, authorized, account submitted --------------------------------
    let (sandbox, running, c) = start(config(dir.path())).await;
    let (status, v) = c
        .post_json(
            "/sandbox/tp/platforms",
            json!({"client_id": TP, "token": MSG_TOKEN, "aes_key": AES_KEY,
                   "auth_event_url": format!("{}/auth", r.base),
                   "event_url": format!("{}/events", r.base)}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let ticket = match keys.open(&r.next("auth").await).unwrap() {
        TpEvent::Ticket(t) => t.ticket.expose().to_owned(),
        other => panic!("not a ticket: {other:?}"),
    };
    let token_path = format!("/public/2.0/smartapp/auth/tp/token?client_id={TP}&ticket={ticket}");
    let tp_token = data(&c, &token_path).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let pre_auth_path = format!("/rest/2.0/smartapp/tp/createpreauthcode?access_token={tp_token}");
    let pre = data(&c, &pre_auth_path).await["pre_auth_code"]
        .as_str()
        .unwrap()
        .to_owned();
    // the TP does not acknowledge the authorization event: it is still owed at the restart
    *r.refuse.lock().unwrap() = 2;
    let (status, v) = c
        .post_json(
            "/sandbox/tp/authorize",
            json!({"pre_auth_code": pre, "app_id": MINI_APP,
                   "redirect_uri": "https://tp.example/back"}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let code = v["authorization_code"].as_str().unwrap().to_owned();
    let by_code = format!("grant_type=app_to_tp_authorization_code&code={code}");
    let (status, pair) = oauth(&c, &tp_token, &by_code).await;
    assert_eq!(status, 200, "{pair}");
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let account = c
        .post_form(
            &format!("/rest/2.0/smartapp/pay/account/create?access_token={access}"),
            "business_scope=xy&business_province=a&business_city=b&business_detail_address=c\
             &legal_person=%E5%BC%A0%E4%B8%89&legal_id=110101199003077777\
             &id_card_front_url=https%3A%2F%2Fi%2Ff&id_card_back_url=https%3A%2F%2Fi%2Fb",
        )
        .await;
    assert_eq!(account["errno"], 0, "{account}");
    until("the authorization event was given up", || {
        attempts(&sandbox, CallbackKind::TpAuthorization) == (2, 0)
    })
    .await;
    running.stop().await;
    drop(sandbox);
    assert_owner_only(&dir.path().join("state.sqlite"));

    // --- second life --------------------------------------------------------------------------
    let (sandbox, _running, c) = start(config(dir.path())).await;
    // the audit is still under way; the authorizer token, the TP token and the ticket work
    let pending = account_status(&c, &access).await;
    assert_eq!(pending["data"]["status"], 2, "{pending}");
    data(&c, &pre_auth_path).await;
    data(&c, &token_path).await;
    let (_, shown) = c.get(&format!("/sandbox/tp/platforms/{TP}")).await;
    assert_eq!(shown["tickets_pushed"], 1, "no ticket is due yet: {shown}");
    assert_eq!(shown["apps"], json!([MINI_APP]), "{shown}");

    // the owed authorization event comes again, sealed, with the code
    match keys.open(&r.next("auth").await).unwrap() {
        TpEvent::Authorized(e) => {
            assert_eq!(e.app_id, MINI_APP);
            assert_eq!(e.authorization_code.unwrap().expose(), code);
        }
        other => panic!("not the authorization event: {other:?}"),
    }

    // the stored refresh token works once; the code does not work again
    let (status, v) = oauth(&c, &tp_token, &by_code).await;
    assert_eq!(status, 400, "{v}");
    let grant = format!("grant_type=app_to_tp_refresh_token&refresh_token={refresh}");
    let (status, fresh) = oauth(&c, &tp_token, &grant).await;
    assert_eq!(status, 200, "{fresh}");
    let (status, v) = oauth(&c, &tp_token, &grant).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error_description"], "refresh token already used", "{v}");
    let new_access = fresh["access_token"].as_str().unwrap();
    assert_eq!(account_status(&c, &access).await["error_code"], 110);
    assert_eq!(account_status(&c, new_access).await["errno"], 0);
    let (_, counts) = c.get(&format!("/sandbox/tp/apps/{MINI_APP}")).await;
    assert_eq!(
        (
            &counts["code_exchanges"],
            &counts["refreshes"],
            &counts["refresh_reuses"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{counts}"
    );

    // the pending audit passes (tp_audit_delay after it was submitted) and is pushed, sealed
    match keys.open(&r.next("events").await).unwrap() {
        TpEvent::PaymentAudit(a) => {
            assert_eq!(a.push.app_id, MINI_APP);
            assert_eq!(a.raw["event"], "APP_PAYMENT_CREATE_ACCOUNT_PASS");
        }
        other => panic!("not an audit push: {other:?}"),
    }
    assert_eq!(
        account_status(&c, new_access).await["data"]["status"],
        4,
        "passed"
    );
    until("the audit push is acknowledged", || {
        attempts(&sandbox, CallbackKind::TpAudit).1 == 1
    })
    .await;
}

/// An Alipay merchant's notify URL: refuses (HTTP 503) until `accept`, then answers `success`,
/// counting acknowledged payment and refund notifies.
#[derive(Clone, Default)]
struct Merchant {
    accept: Arc<AtomicBool>,
    refused: Arc<AtomicUsize>,
    paid: Arc<AtomicUsize>,
    refunded: Arc<AtomicUsize>,
}

impl Merchant {
    async fn serve(&self) -> String {
        let m = self.clone();
        let router = axum::Router::new().route(
            "/notify",
            axum::routing::post(move |body: Bytes| {
                let m = m.clone();
                async move {
                    if !m.accept.load(Ordering::SeqCst) {
                        m.refused.fetch_add(1, Ordering::SeqCst);
                        return (http::StatusCode::SERVICE_UNAVAILABLE, "busy");
                    }
                    let refund = String::from_utf8_lossy(&body).contains("out_biz_no=");
                    let n = if refund { &m.refunded } else { &m.paid };
                    n.fetch_add(1, Ordering::SeqCst);
                    (http::StatusCode::OK, "success")
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}/notify")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alipay_payment_goes_on_after_a_restart_and_an_unstored_refund_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let merchant = Merchant::default();
    let notify_url = merchant.serve().await;
    let key = PrivateKey::generate(2048).unwrap();

    // --- first life: a trade created, paid and partly refunded; no notify acknowledged --------
    let (sandbox, running, c) = start(config(dir.path())).await;
    let (status, v) = c
        .post_json(
            "/sandbox/alipay/apps",
            json!({"app_id": ALIPAY_APP, "app_public_key": key.public_key().to_spki_pem(),
                   "notify_url": notify_url}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    let created = gateway(
        &c,
        ALIPAY_APP,
        &key,
        "alipay.trade.create",
        &json!({"out_trade_no": "R-1", "total_amount": "10.00", "subject": "restart",
                "buyer_id": "2088102177846880"}),
    )
    .await;
    assert_eq!(created["code"], "10000", "{created}");
    let trade_no = created["trade_no"].as_str().unwrap().to_owned();
    let (status, v) = c
        .post_json("/sandbox/alipay/pay", json!({"trade_no": trade_no}))
        .await;
    assert_eq!(status, 200, "{v}");
    let refund = json!({"out_trade_no": "R-1", "refund_amount": "2.50", "out_request_no": "R-1-a"});
    let refunded = gateway(&c, ALIPAY_APP, &key, "alipay.trade.refund", &refund).await;
    assert_eq!(refunded["fund_change"], "Y", "{refunded}");
    until("both notifies were given up", || {
        merchant.refused.load(Ordering::SeqCst) == 4
    })
    .await;
    until("the attempts are logged", || {
        attempts(&sandbox, CallbackKind::AlipayTrade) == (4, 0)
    })
    .await;
    running.stop().await;
    drop(sandbox);

    // --- second life --------------------------------------------------------------------------
    merchant.accept.store(true, Ordering::SeqCst);
    let (sandbox, _running, c) = start(config(dir.path())).await;
    until("the owed notifies are acknowledged", || {
        attempts(&sandbox, CallbackKind::AlipayTrade).1 == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        merchant.paid.load(Ordering::SeqCst),
        1,
        "one payment notify"
    );
    assert_eq!(
        merchant.refunded.load(Ordering::SeqCst),
        1,
        "one refund notify"
    );

    let query = gateway(
        &c,
        ALIPAY_APP,
        &key,
        "alipay.trade.query",
        &json!({"out_trade_no": "R-1"}),
    )
    .await;
    assert_eq!(query["trade_status"], "TRADE_SUCCESS", "{query}");
    assert_eq!(query["trade_no"], trade_no.as_str());
    let refund_query = |no: &'static str| {
        let (c, key) = (&c, &key);
        async move {
            gateway(
                c,
                ALIPAY_APP,
                key,
                "alipay.trade.fastpay.refund.query",
                &json!({"out_trade_no": "R-1", "out_request_no": no}),
            )
            .await
        }
    };
    let found = refund_query("R-1-a").await;
    assert_eq!(found["refund_status"], "REFUND_SUCCESS", "{found}");
    assert_eq!(found["refund_amount"], "2.50");
    // the same refund again moves nothing
    let again = gateway(&c, ALIPAY_APP, &key, "alipay.trade.refund", &refund).await;
    assert_eq!(again["fund_change"], "N", "{again}");

    // a refund the database cannot take is refused, and not made
    let conn = rusqlite::Connection::open(dir.path().join("state.sqlite")).unwrap();
    conn.execute_batch("DROP TABLE alipay_refunds").unwrap();
    let refused = gateway(
        &c,
        ALIPAY_APP,
        &key,
        "alipay.trade.refund",
        &json!({"out_trade_no": "R-1", "refund_amount": "1.00", "out_request_no": "R-1-b"}),
    )
    .await;
    assert_eq!(refused["code"], "20000", "{refused}");
    assert_eq!(refused["sub_code"], "isp.unknow-error", "{refused}");
    let missing = refund_query("R-1-b").await;
    assert!(missing.get("refund_status").is_none(), "{missing}");
    let (_, page) = c.get(&format!("/sandbox/alipay/apps/{ALIPAY_APP}")).await;
    assert_eq!(page["trades"][0]["refund_fee"], "2.50", "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ticket_schedule_goes_on_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(baidupay_transport::ManualClock::new(1_715_593_760));
    let config = || config(dir.path()).clock(clock.clone());
    let mut r = Receiver::start().await;
    let (first, running, c) = start(config()).await;
    let (status, v) = c
        .post_json(
            "/sandbox/tp/platforms",
            json!({"client_id": TP, "token": MSG_TOKEN,
                   "auth_event_url": format!("{}/auth", r.base),
                   "event_url": format!("{}/events", r.base)}),
        )
        .await;
    assert_eq!(status, 201, "{v}");
    r.next("auth").await;
    // the receiver has the push; wait until the sandbox has read the answer and logged it
    // (stopping earlier abandons the push in flight), bounded
    for _ in 0..200 {
        if attempts(&first, CallbackKind::TpTicket) == (1, 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(attempts(&first, CallbackKind::TpTicket), (1, 1));
    running.stop().await;
    drop(first);

    // restarted before the next push is due: none now
    let (sandbox, running, _) = start(config()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(attempts(&sandbox, CallbackKind::TpTicket), (1, 1));
    running.stop().await;
    drop(sandbox);

    // restarted after it was due: one at once
    clock.advance(Duration::from_secs(601));
    let (sandbox, _running, c) = start(config()).await;
    r.next("auth").await;
    let (_, shown) = c.get(&format!("/sandbox/tp/platforms/{TP}")).await;
    assert_eq!(shown["tickets_pushed"], 2, "{shown}");
    until("the push is logged", || {
        attempts(&sandbox, CallbackKind::TpTicket) == (2, 2)
    })
    .await;
}
