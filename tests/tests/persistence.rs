//! `SandboxConfig::db` (`baidupay sandbox --db FILE`): the state survives a restart. A first
//! sandbox takes a payment and a refund for one merchant and leaves a payment notify of a
//! second merchant unacknowledged; a second sandbox opened on the same file serves the same
//! orders, refunds, tokens and delivery log, keeps a repeated refund batch from refunding
//! twice, and resumes the notify it still owes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::routing::post;
use baidupay_cashier::{CashierClient, CashierConfig, StaticToken};
use baidupay_crypto::PrivateKey;
use baidupay_e2e::*;
use baidupay_example_merchant::App;
use baidupay_model::cashier::{PayStatus, RefundQueryStatus};
use baidupay_model::{AppKey, DealId, Fen, Secret, TpOrderId};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_sandbox::{CallbackKind, Sandbox, SandboxConfig, SandboxError};
use serde_json::{Value, json};

const PENDING_KEY: &str = "MMMpending";
const PENDING_DEAL: u64 = 470_000_001;

fn config(dir: &std::path::Path) -> SandboxConfig {
    SandboxConfig::default()
        .keys_dir(dir.join("keys"))
        .db(dir.join("state.sqlite"))
        .retry_schedule([0, 50].into_iter().map(Duration::from_millis))
}

/// A merchant that answers the payment notify with the exact ack only once `accept` is set
/// (503 before), counting the notifies it saw.
#[derive(Clone, Default)]
struct Switch {
    accept: Arc<AtomicBool>,
    seen: Arc<AtomicUsize>,
}

async fn switch_server(s: Switch) -> std::net::SocketAddr {
    let router = axum::Router::new().route(
        "/pay",
        post(move || {
            let s = s.clone();
            async move {
                s.seen.fetch_add(1, Ordering::SeqCst);
                if s.accept.load(Ordering::SeqCst) {
                    (
                        http::StatusCode::OK,
                        r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#,
                    )
                } else {
                    (http::StatusCode::SERVICE_UNAVAILABLE, "busy")
                }
            }
        }),
    );
    serve(router).await
}

fn client_for(
    base: &str,
    app_key: &str,
    deal: u64,
    key: &PrivateKey,
    token: &str,
) -> CashierClient {
    CashierClient::new(
        CashierConfig::new(
            AppKey::new(app_key).unwrap(),
            DealId::new(deal),
            key.clone(),
        )
        .api_base(base),
        http(),
        Arc::new(StaticToken(Secret::new(token))),
    )
}

async fn fetch_token(base: &str, client_id: &str) -> String {
    let v = get_json(
        &http(),
        &format!("{base}/oauth/2.0/token?grant_type=client_credentials&client_id={client_id}&client_secret={CLIENT_SECRET}&scope=smartapp_snsapi_base"),
    )
    .await;
    v["access_token"].as_str().unwrap().to_owned()
}

async fn cashier_pay(base: &str, client: &CashierClient, tp: &str, fen: u64) -> Value {
    let info = client
        .order_info(
            TpOrderId::new(tp).unwrap(),
            Fen::new(fen),
            "persisted goods",
        )
        .unwrap();
    let (status, v) = post_json(
        &http(),
        &format!("{base}/sandbox/cashier/pay"),
        &serde_json::to_value(&info).unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_survives_a_restart_and_owed_callbacks_resume() {
    let dir = tempfile::tempdir().unwrap();
    let http = http();

    // the merchants: the example merchant, and one that does not acknowledge yet
    let sandbox = Sandbox::new(config(dir.path())).unwrap();
    let platform = sandbox.platform_public_key().clone();
    let app = App::new("2021000122671080");
    let example = serve(baidupay_example_merchant::router(
        app.clone(),
        BaiduNotifier::new(platform.clone()),
        AlipayNotifier::new(platform),
    ))
    .await;
    let switch = Switch::default();
    let pending = switch_server(switch.clone()).await;
    let key = PrivateKey::generate(1024).unwrap();
    let pending_key = PrivateKey::generate(1024).unwrap();

    // --- first life --------------------------------------------------------------------------
    let running = sandbox.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = running.base_url().to_owned();
    let (status, v) = post_json(
        &http,
        &format!("{base}/sandbox/merchants"),
        &registration(example, &key),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let mut second = registration(pending, &pending_key);
    second["app_key"] = json!(PENDING_KEY);
    second["deal_id"] = json!(PENDING_DEAL);
    second["client_id"] = json!("pendingClient");
    second["notify_url"] = json!(format!("http://{pending}/pay"));
    let (status, v) = post_json(&http, &format!("{base}/sandbox/merchants"), &second).await;
    assert_eq!(status, 201, "{v}");

    let token = fetch_token(&base, CLIENT_ID).await;
    let pending_token = fetch_token(&base, "pendingClient").await;
    let client = client_for(&base, APP_KEY, DEAL_ID, &key, &token);
    app.create_order(TpOrderId::new("P-1").unwrap(), Fen::new(10_000))
        .await;
    let paid = cashier_pay(&base, &client, "P-1", 10_000).await;
    let order_id = paid["orderId"].as_u64().unwrap();
    eventually("the payment notify is acknowledged", || async {
        sandbox
            .deliveries()
            .iter()
            .any(|d| d.kind == CallbackKind::Payment && d.acknowledged)
    })
    .await;
    let order = client
        .find_order(TpOrderId::new("P-1").unwrap())
        .await
        .unwrap();
    let user = order.user_id.unwrap();
    let refund = partial_refund(order.order_id.get(), user.get(), "P-1", "RB-P1", 2500);
    let applied = client.apply_refund(&refund).await.unwrap();
    eventually("the refund succeeds", || async {
        client
            .find_refunds(TpOrderId::new("P-1").unwrap(), user)
            .await
            .is_ok_and(|r| r.len() == 1 && r[0].refund_status == RefundQueryStatus::Succeeded)
    })
    .await;

    // the second merchant's notify is refused on every attempt of the schedule
    let pending_client = client_for(
        &base,
        PENDING_KEY,
        PENDING_DEAL,
        &pending_key,
        &pending_token,
    );
    cashier_pay(&base, &pending_client, "Q-1", 700).await;
    eventually("both attempts were refused", || async {
        switch.seen.load(Ordering::SeqCst) == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = sandbox.deliveries();
    assert_eq!(
        before.iter().filter(|d| d.app_key == PENDING_KEY).count(),
        2,
        "{before:?}"
    );
    running.stop().await;
    drop(sandbox);

    // --- a sandbox with another platform key refuses the file --------------------------------
    let other = SandboxConfig::default()
        .keys_dir(dir.path().join("other-keys"))
        .db(dir.path().join("state.sqlite"));
    match Sandbox::new(other) {
        Err(SandboxError::Db(msg)) => assert!(msg.contains("another platform key"), "{msg}"),
        other => panic!("expected the platform key to be refused, got {other:?}"),
    }

    // --- second life -------------------------------------------------------------------------
    switch.accept.store(true, Ordering::SeqCst);
    let sandbox = Sandbox::new(config(dir.path())).unwrap();
    // the delivery log came back before anything was sent again
    let restored: Vec<u64> = sandbox.deliveries().iter().map(|d| d.id).collect();
    assert_eq!(restored, before.iter().map(|d| d.id).collect::<Vec<_>>());
    let running = sandbox.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let base = running.base_url().to_owned();

    // the notify still owed is resumed and now acknowledged
    eventually("the owed notify is resumed", || async {
        sandbox
            .deliveries()
            .iter()
            .any(|d| d.app_key == PENDING_KEY && d.acknowledged)
    })
    .await;

    // the token issued before the restart still works; the orders and refunds are there
    let client = client_for(&base, APP_KEY, DEAL_ID, &key, &token);
    let order = client
        .find_order(TpOrderId::new("P-1").unwrap())
        .await
        .unwrap();
    assert_eq!(order.status, PayStatus::Paid);
    assert_eq!(order.order_id.get(), order_id);
    let refunds = client
        .find_refunds(TpOrderId::new("P-1").unwrap(), user)
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].refund_batch_id, applied.refund_batch_id);
    assert_eq!(refunds[0].refund_status, RefundQueryStatus::Succeeded);

    // the same batch again is the same refund; more than what is left is refused
    let again = client.apply_refund(&refund).await.unwrap();
    assert_eq!(again.refund_batch_id, applied.refund_batch_id);
    assert_eq!(
        client
            .find_refunds(TpOrderId::new("P-1").unwrap(), user)
            .await
            .unwrap()
            .len(),
        1
    );
    let over = partial_refund(order.order_id.get(), user.get(), "P-1", "RB-P2", 7501);
    let err = client.apply_refund(&over).await.unwrap_err();
    assert!(
        baidupay_e2e::chain(&err).contains("refundable: 7500"),
        "{}",
        baidupay_e2e::chain(&err)
    );

    // paying P-1 again is refused (already paid); a new order gets a fresh id
    let pending_client = client_for(
        &base,
        PENDING_KEY,
        PENDING_DEAL,
        &pending_key,
        &pending_token,
    );
    let q = pending_client
        .find_order(TpOrderId::new("Q-1").unwrap())
        .await
        .unwrap();
    assert_eq!(q.status, PayStatus::Paid);
    let fresh = cashier_pay(&base, &pending_client, "Q-2", 100).await;
    assert!(fresh["orderId"].as_u64().unwrap() > q.order_id.get());
    let shown = get_json(&http, &format!("{base}/sandbox/merchants/{APP_KEY}")).await;
    assert_eq!(shown["orders"], 1, "{shown}");
    // delivery ids go on from where they were
    let ids: Vec<u64> = sandbox.deliveries().iter().map(|d| d.id).collect();
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    running.stop().await;
}
