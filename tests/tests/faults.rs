//! Fault injection (`POST /sandbox/faults`): the SDK's retries and the example merchant's
//! idempotency hold under delays, 5xx, dropped answers, expired tokens, duplicated and
//! out-of-order callbacks: no lost payment, no double refund.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use baidupay_cashier::CashierClient;
use baidupay_e2e::*;
use baidupay_model::cashier::{ApplyRefundRequest, PayStatus, RefundQueryStatus};
use baidupay_model::{ClientId, Secret, TpOrderId};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use baidupay_transport::{HyperTransport, Retry, RetryPolicy, Settings, Transport};
use serde_json::{Value, json};

const FIND: &str = "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId";
const REFUND: &str = "/rest/2.0/smartapp/pay/paymentservice/applyOrderRefund";

fn fast() -> SandboxConfig {
    SandboxConfig::default()
        .retry_schedule([0, 50, 100, 200].into_iter().map(Duration::from_millis))
}

/// The world's client over `transport` (token fetches go through it too).
fn client_over(w: &World, transport: Arc<dyn Transport>) -> CashierClient {
    CashierClient::with_client_credentials(
        w.client.config().clone(),
        transport,
        ClientId::new(CLIENT_ID).unwrap(),
        Secret::new(CLIENT_SECRET),
    )
}

fn retrying(settings: Settings) -> Arc<dyn Transport> {
    Arc::new(Retry::new(
        HyperTransport::new(settings.allow_http(true)).unwrap(),
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        },
    ))
}

async fn arm(w: &World, fault: Value) {
    let (status, v) = post_json(&w.http, &w.url("/sandbox/faults"), &fault).await;
    assert_eq!(status, 201, "{v}");
}

async fn armed(w: &World) -> usize {
    get_json(&w.http, &w.url("/sandbox/faults"))
        .await
        .as_array()
        .unwrap()
        .len()
}

fn refund_of(paid: &Value, tp: &str, batch: &str, fen: u64) -> ApplyRefundRequest {
    partial_refund(
        paid["orderId"].as_u64().unwrap(),
        paid["userId"].as_u64().unwrap(),
        tp,
        batch,
        fen,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_5xx_are_retried_for_queries_and_surface_without_retries() {
    let w = World::start(fast()).await;
    w.pay("F-1", 100).await;
    arm(
        &w,
        json!({"kind": "status", "path": FIND, "count": 2, "status": 503}),
    )
    .await;
    let client = client_over(&w, retrying(Settings::default()));
    let o = client
        .find_order(TpOrderId::new("F-1").unwrap())
        .await
        .unwrap();
    assert_eq!(o.status, PayStatus::Paid);
    assert_eq!(armed(&w).await, 0, "both 503s were consumed by retries");
    // without retries the 503 is the caller's
    arm(
        &w,
        json!({"kind": "status", "path": FIND, "count": 1, "status": 502}),
    )
    .await;
    let e = w
        .client
        .find_order(TpOrderId::new("F-1").unwrap())
        .await
        .unwrap_err();
    assert!(
        baidupay_e2e::chain(&e).contains("502"),
        "{}",
        baidupay_e2e::chain(&e)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_refund_answer_never_refunds_twice() {
    let w = World::start(fast()).await;
    let paid = w.pay("F-2", 10_000).await;
    eventually("the payment is applied", || async {
        w.app.counters().await.0 == 1
    })
    .await;
    // the refund is applied by the platform, but its answer is lost; the SDK resends it
    // (idempotent by bizRefundBatchId) and gets the same refund back
    arm(&w, json!({"kind": "drop", "path": REFUND, "count": 1})).await;
    let client = client_over(&w, retrying(Settings::default()));
    let r = client
        .apply_refund(&refund_of(&paid, "F-2", "FB-1", 1_000))
        .await
        .unwrap();
    assert_eq!(armed(&w).await, 0);
    // without retries: the caller sees an error that may have been applied, resends the same
    // batch itself and gets the same refund
    arm(&w, json!({"kind": "drop", "path": REFUND, "count": 1})).await;
    let second = refund_of(&paid, "F-2", "FB-2", 2_000);
    let e = w.client.apply_refund(&second).await.unwrap_err();
    assert!(e.may_have_been_sent(), "{e}");
    let again = w.client.apply_refund(&second).await.unwrap();
    assert_ne!(again.refund_batch_id, r.refund_batch_id);
    let user = baidupay_model::UserId::new(paid["userId"].as_u64().unwrap());
    eventually("both refunds settle", || async {
        w.client
            .find_refunds(TpOrderId::new("F-2").unwrap(), user)
            .await
            .is_ok_and(|l| {
                l.iter()
                    .all(|r| r.refund_status == RefundQueryStatus::Succeeded)
            })
    })
    .await;
    let refunds = w
        .client
        .find_refunds(TpOrderId::new("F-2").unwrap(), user)
        .await
        .unwrap();
    assert_eq!(refunds.len(), 2, "{refunds:?}");
    // what is left to refund is exactly the total less the two refunds
    let over = refund_of(&paid, "F-2", "FB-3", 7_001);
    let e = w.client.apply_refund(&over).await.unwrap_err();
    assert!(
        baidupay_e2e::chain(&e).contains("refundable: 7000"),
        "{}",
        baidupay_e2e::chain(&e)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_injected_token_expiry_is_refreshed_once() {
    let w = World::start(fast()).await;
    w.pay("F-3", 100).await;
    arm(
        &w,
        json!({"kind": "token_expired", "path": FIND, "count": 1}),
    )
    .await;
    let o = w
        .client
        .find_order(TpOrderId::new("F-3").unwrap())
        .await
        .unwrap();
    assert_eq!(o.status, PayStatus::Paid);
    // twice in a row: refreshed once only, then the expiry is the caller's
    arm(
        &w,
        json!({"kind": "token_expired", "path": FIND, "count": 2}),
    )
    .await;
    let e = w
        .client
        .find_order(TpOrderId::new("F-3").unwrap())
        .await
        .unwrap_err();
    assert!(e.is_token_expired(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delayed_answer_times_out_and_the_query_is_retried() {
    let w = World::start(fast()).await;
    w.pay("F-4", 100).await;
    arm(
        &w,
        json!({"kind": "delay", "path": FIND, "count": 1, "delay_ms": 1500}),
    )
    .await;
    let settings = Settings::default().request_timeout(Duration::from_millis(500));
    let client = client_over(&w, retrying(settings.clone()));
    let o = client
        .find_order(TpOrderId::new("F-4").unwrap())
        .await
        .unwrap();
    assert_eq!(o.status, PayStatus::Paid);
    arm(
        &w,
        json!({"kind": "delay", "path": FIND, "count": 1, "delay_ms": 1500}),
    )
    .await;
    let plain = client_over(
        &w,
        Arc::new(HyperTransport::new(settings.allow_http(true)).unwrap()),
    );
    let e = plain
        .find_order(TpOrderId::new("F-4").unwrap())
        .await
        .unwrap_err();
    assert!(
        baidupay_e2e::chain(&e).to_lowercase().contains("time"),
        "{}",
        baidupay_e2e::chain(&e)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicated_payment_notify_is_applied_once() {
    let w = World::start(fast()).await;
    arm(
        &w,
        json!({"kind": "duplicate_callback", "callback": "payment"}),
    )
    .await;
    w.pay("F-5", 100).await;
    eventually(
        "the notify came twice and was acknowledged twice",
        || async {
            w.sandbox
                .deliveries()
                .iter()
                .filter(|d| d.kind == CallbackKind::Payment && d.acknowledged)
                .count()
                == 2
        },
    )
    .await;
    assert_eq!(w.app.counters().await, (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_order_notify_loses_no_payment_and_refunds_nothing_twice() {
    let w = World::start(fast()).await;
    // the payment notify is held back: the refund audit for the order arrives first
    arm(
        &w,
        json!({"kind": "reorder_callback", "callback": "payment", "delay_ms": 1500}),
    )
    .await;
    let paid = w.pay("F-6", 5_000).await;
    let early = w
        .client
        .apply_refund(&refund_of(&paid, "F-6", "FB-6", 1_000))
        .await
        .unwrap();
    let user = baidupay_model::UserId::new(paid["userId"].as_u64().unwrap());
    // the merchant has not seen the payment, so it refuses the audit: the refund fails
    eventually("the early refund fails", || async {
        w.client
            .find_refunds(TpOrderId::new("F-6").unwrap(), user)
            .await
            .is_ok_and(|l| l.len() == 1 && l[0].refund_status == RefundQueryStatus::Failed)
    })
    .await;
    // then the held-back payment notify arrives and is applied: no lost payment
    eventually("the payment notify is applied", || async {
        w.sandbox
            .deliveries()
            .iter()
            .any(|d| d.kind == CallbackKind::Payment && d.acknowledged)
    })
    .await;
    let order = w
        .app
        .order(&TpOrderId::new("F-6").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(format!("{:?}", order.state).contains("Paid"), "{order:?}");
    let kinds: Vec<CallbackKind> = w.sandbox.deliveries().iter().map(|d| d.kind).collect();
    let audit = kinds
        .iter()
        .position(|k| *k == CallbackKind::RefundAudit)
        .unwrap();
    let payment = kinds
        .iter()
        .position(|k| *k == CallbackKind::Payment)
        .unwrap();
    assert!(
        audit < payment,
        "the audit overtook the payment notify: {kinds:?}"
    );
    // a new refund now goes through once; the failed one gave its amount back
    let later = w
        .client
        .apply_refund(&refund_of(&paid, "F-6", "FB-7", 5_000))
        .await
        .unwrap();
    assert_ne!(later.refund_batch_id, early.refund_batch_id);
    eventually("the second refund succeeds", || async {
        w.client
            .find_refunds(TpOrderId::new("F-6").unwrap(), user)
            .await
            .is_ok_and(|l| {
                l.iter()
                    .filter(|r| r.refund_status == RefundQueryStatus::Succeeded)
                    .count()
                    == 1
            })
    })
    .await;
    let e = w
        .client
        .apply_refund(&refund_of(&paid, "F-6", "FB-8", 1))
        .await
        .unwrap_err();
    assert!(
        baidupay_e2e::chain(&e).contains("refundable: 0"),
        "{}",
        baidupay_e2e::chain(&e)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_listed_validated_and_cleared() {
    let w = World::start(fast()).await;
    let (status, v) = post_json(
        &w.http,
        &w.url("/sandbox/faults"),
        &json!({"kind": "explode"}),
    )
    .await;
    assert_eq!(status, 400, "{v}");
    arm(&w, json!({"kind": "status", "count": 3})).await;
    let list = get_json(&w.http, &w.url("/sandbox/faults")).await;
    assert_eq!(list[0]["remaining"], 3, "{list}");
    assert_eq!(list[0]["status"], 503);
    let (status, _) = send(
        &w.http,
        http::Method::DELETE,
        &w.url("/sandbox/faults"),
        "text/plain",
        "",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(armed(&w).await, 0);
    // the control API itself is never faulted
    arm(&w, json!({"kind": "status", "count": 1})).await;
    assert_eq!(armed(&w).await, 1);
}
