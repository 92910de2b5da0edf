//! The Baidu cashier's money as the platform really keeps it (issue 18, seeds 000/001): locked
//! orders after a failed payment notify, commission, enterprise assets, cancelling the
//! consumption, the unlimited refund audit, abnormal orders refunded by the platform.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::routing::post;
use baidupay_cashier::CashierClient;
use baidupay_e2e::*;
use baidupay_model::cashier::{
    ApplyRefundRequest, LegacyRefundRequest, PayStatus, RefundQueryStatus, RefundType,
};
use baidupay_model::{AppKey, BizRefundBatchId, Fen, OrderId, TpOrderId, UserId};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use serde_json::{Value, json};

/// Platform minutes in milliseconds: 2 min = 20 ms, 5 min = 50 ms.
fn scaled() -> SandboxConfig {
    SandboxConfig::default()
        .time_scale(6000)
        .callback_timeout(Duration::from_millis(300))
}

/// Registers a merchant `app_key` whose callbacks go to `router` (its payment notify at
/// `/pay`, audit at `/audit`, refund notify at `/refund`), with the world's client
/// credentials, and returns a cashier client for it.
async fn merchant(w: &World, app_key: &str, router: axum::Router) -> CashierClient {
    let at = serve(router).await;
    let key = baidupay_crypto::PrivateKey::generate(1024).unwrap();
    let mut reg = registration(at, &key);
    reg["app_key"] = json!(app_key);
    reg["notify_url"] = json!(format!("http://{at}/pay"));
    reg["refund_audit_url"] = json!(format!("http://{at}/audit"));
    reg["refund_notify_url"] = json!(format!("http://{at}/refund"));
    let (status, v) = post_json(&w.http, &w.url("/sandbox/merchants"), &reg).await;
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["settings"]["commission_per_mille"], 6, "{v}");
    let base = w.running.base_url();
    let config = baidupay_cashier::CashierConfig::new(
        AppKey::new(app_key).unwrap(),
        baidupay_model::DealId::new(DEAL_ID),
        key,
    )
    .api_base(base)
    .app_id(baidupay_model::PayAppId::new(APP_ID))
    .query_base(base)
    .legacy_host(baidupay_cashier::LegacyHost::Etrade(base.to_owned()));
    CashierClient::with_client_credentials(
        config,
        w.http.clone(),
        baidupay_model::ClientId::new(CLIENT_ID).unwrap(),
        baidupay_model::Secret::new(CLIENT_SECRET),
    )
}

/// Pays `tp` of `fen` at the sandbox cashier with `client`'s orderInfo.
async fn pay_with(w: &World, client: &CashierClient, tp: &str, fen: u64) -> Value {
    let tp = TpOrderId::new(tp).unwrap();
    let info = serde_json::to_value(client.order_info(tp, Fen::new(fen), "goods").unwrap());
    let (status, v) = post_json(&w.http, &w.url("/sandbox/cashier/pay"), &info.unwrap()).await;
    assert_eq!(status, 200, "{v}");
    v
}

/// Waits until a refund notify to `app_key` is acknowledged.
async fn refund_notified(w: &World, app_key: &str) {
    eventually("the refund notify is acknowledged", || async {
        w.sandbox
            .deliveries()
            .iter()
            .any(|d| d.app_key == app_key && d.kind == CallbackKind::Refund && d.acknowledged)
    })
    .await;
}

async fn money(w: &World, app_key: &str) -> Value {
    get_json(&w.http, &w.url(&format!("/sandbox/merchants/{app_key}"))).await
}

fn full_refund(paid: &Value, tp: &str, batch: &str, app_key: &str) -> ApplyRefundRequest {
    ApplyRefundRequest::new(
        OrderId::new(paid["orderId"].as_u64().unwrap()),
        UserId::new(paid["userId"].as_u64().unwrap()),
        TpOrderId::new(tp).unwrap(),
        BizRefundBatchId::new(batch).unwrap(),
        RefundType::CustomerService,
        "refund",
        AppKey::new(app_key).unwrap(),
    )
    .unwrap()
}

const OK_REFUND: &str = r#"{"errno":0,"msg":"success","data":{}}"#;
const CONSUMED: &str = r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notify_answered_late_four_times_locks_the_order() {
    let w = World::start(scaled()).await;
    let seen = Arc::new(AtomicUsize::new(0));
    let s = seen.clone();
    // answers the exact ack, but after the platform's patience (callback_timeout 300 ms)
    let late = axum::Router::new().route(
        "/pay",
        post(move || {
            let s = s.clone();
            async move {
                s.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(600)).await;
                CONSUMED
            }
        }),
    );
    let client = merchant(&w, "MMMlate", late).await;
    let paid = pay_with(&w, &client, "LATE-1", 5_000).await;
    eventually("the order is locked", || async {
        money(&w, "MMMlate").await["locked_orders"] == json!([paid["orderId"]])
    })
    .await;
    let attempts: Vec<_> = w
        .sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.app_key == "MMMlate")
        .collect();
    // the first attempt and three retries, never more
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    assert!(attempts.iter().all(|d| !d.acknowledged));
    assert!(
        attempts[0].reason.contains("no answer within 300 ms"),
        "{}",
        attempts[0].reason
    );
    assert!(
        attempts[3].reason.contains("locked"),
        "{}",
        attempts[3].reason
    );
    let m = money(&w, "MMMlate").await;
    assert_eq!(m["money"]["locked"], 5_000, "{m}");
    assert_eq!(m["money"]["enterprise_assets"], 0, "{m}");
    assert_eq!(m["money"]["commission"], 30, "{m}");
    // still paid, and a refund of it is refused as the platform does
    let order = client
        .find_order(TpOrderId::new("LATE-1").unwrap())
        .await
        .unwrap();
    assert_eq!(order.status, PayStatus::Paid);
    let e = client
        .apply_refund(&full_refund(&paid, "LATE-1", "LATE-R1", "MMMlate"))
        .await
        .unwrap_err();
    let text = chain(&e);
    assert!(text.contains("10002") && text.contains("锁定"), "{text}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fen_order_is_all_commission() {
    let w = World::start(scaled()).await;
    w.pay("FEN-1", 1).await;
    // consumed: no longer pending, and still nothing in the assets
    eventually("consumed", || async {
        let m = money(&w, APP_KEY).await;
        m["money"]["pending"] == 0 && m["money"]["commission"] == 1
    })
    .await;
    let m = money(&w, APP_KEY).await;
    assert_eq!(m["money"]["commission"], 1, "{m}");
    assert_eq!(m["money"]["enterprise_assets"], 0, "{m}");
    // findByTpOrderId: dealId is a number, as the doc sample and Baidu's SDKs have it
    let v = get_json(
        &w.http,
        &w.url(&format!(
            "/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId?access_token={}&tpOrderId=FEN-1&pmAppKey={APP_KEY}",
            token(&w).await
        )),
    )
    .await;
    assert_eq!(v["data"]["dealId"], DEAL_ID, "{v}");
    assert_eq!(v["data"]["appKey"], APP_KEY, "{v}");
}

async fn token(w: &World) -> String {
    let v = get_json(
        &w.http,
        &w.url(&format!(
            "/oauth/2.0/token?grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&scope=smartapp_snsapi_base"
        )),
    )
    .await;
    v["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_consumption_needs_the_assets() {
    let w = World::start(scaled()).await;
    let first = w.pay("SYNC-1", 1_000).await;
    eventually("consumed", || async { w.app.counters().await.0 == 1 }).await;
    eventually("in the assets", || async {
        money(&w, APP_KEY).await["money"]["enterprise_assets"] == 994
    })
    .await;
    let order = OrderId::new(first["orderId"].as_u64().unwrap());
    let user = UserId::new(first["userId"].as_u64().unwrap());
    // 994 in the assets, the refund would be 1000: 10003
    let e = w.client.sync_order_status(order, user).await.unwrap_err();
    assert!(chain(&e).contains("10003"), "{}", chain(&e));
    // a wrong user: 10002
    let e = w
        .client
        .sync_order_status(order, UserId::new(user.get() + 1))
        .await
        .unwrap_err();
    assert!(chain(&e).contains("10002"), "{}", chain(&e));
    // the 1.0 refund of a consumed order needs the consumption cancelled first
    let legacy = LegacyRefundRequest::new(
        order,
        user,
        TpOrderId::new("SYNC-1").unwrap(),
        RefundType::CustomerService,
        "refund",
        AppKey::new(APP_KEY).unwrap(),
    )
    .unwrap();
    let e = w.client.legacy_refund(&legacy).await.unwrap_err();
    assert!(chain(&e).contains("已消费订单不允许退款"), "{}", chain(&e));
    // a second consumed order: enough; the first one's part leaves the assets
    w.pay("SYNC-2", 1_000).await;
    eventually("in the assets", || async {
        money(&w, APP_KEY).await["money"]["enterprise_assets"] == 1988
    })
    .await;
    w.client.sync_order_status(order, user).await.unwrap();
    assert_eq!(money(&w, APP_KEY).await["money"]["enterprise_assets"], 994);
    let r = w.client.legacy_refund(&legacy).await.unwrap();
    assert_eq!(r.refund_pay_money, Fen::new(1_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecided_audit_is_asked_again_until_decided() {
    let w = World::start(scaled()).await;
    let audits = Arc::new(AtomicUsize::new(0));
    let a = audits.clone();
    let router = axum::Router::new()
        .route("/pay", post(|| async { CONSUMED }))
        .route(
            "/audit",
            post(move || {
                let a = a.clone();
                async move {
                    if a.fetch_add(1, Ordering::SeqCst) < 20 {
                        r#"{"errno":0,"msg":"success","data":{"auditStatus":3,"calculateRes":{"refundPayMoney":0}}}"#
                    } else {
                        r#"{"errno":0,"msg":"success","data":{"auditStatus":1,"calculateRes":{"refundPayMoney":2000}}}"#
                    }
                }
            }),
        )
        .route("/refund", post(|| async { OK_REFUND }));
    let client = merchant(&w, "MMMslow", router).await;
    let paid = pay_with(&w, &client, "SLOW-1", 2_000).await;
    eventually("consumed", || async {
        money(&w, "MMMslow").await["money"]["enterprise_assets"] == 1988
    })
    .await;
    let refund = full_refund(&paid, "SLOW-1", "SLOW-R1", "MMMslow").with_merchant_audit();
    client.apply_refund(&refund).await.unwrap();
    let user = UserId::new(paid["userId"].as_u64().unwrap());
    eventually("the refund succeeds", || async {
        client
            .find_refunds(TpOrderId::new("SLOW-1").unwrap(), user)
            .await
            .is_ok_and(|l| l.len() == 1 && l[0].refund_status == RefundQueryStatus::Succeeded)
    })
    .await;
    let asked: Vec<_> = w
        .sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.app_key == "MMMslow" && d.kind == CallbackKind::RefundAudit)
        .collect();
    assert_eq!(asked.len(), 21);
    assert!(asked[..20].iter().all(|d| d.reason.contains("undecided")));
    assert!(asked[20].acknowledged);
    refund_notified(&w, "MMMslow").await;
    assert_eq!(money(&w, "MMMslow").await["money"]["enterprise_assets"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_order_is_refunded_by_the_platform() {
    let w = World::start(scaled()).await;
    let router = axum::Router::new()
        .route(
            "/pay",
            post(|| async {
                r#"{"errno":0,"msg":"success","data":{"isErrorOrder":1,"isConsumed":2}}"#
            }),
        )
        .route("/refund", post(|| async { OK_REFUND }));
    let client = merchant(&w, "MMMerror", router).await;
    let paid = pay_with(&w, &client, "ERR-1", 3_000).await;
    refund_notified(&w, "MMMerror").await;
    let notify = w
        .sandbox
        .deliveries()
        .into_iter()
        .find(|d| d.app_key == "MMMerror" && d.kind == CallbackKind::Refund)
        .unwrap();
    assert!(notify.body.contains("refundStatus=1"), "{}", notify.body);
    // no audit was asked: the merchant asked for the refund itself
    assert!(
        !w.sandbox
            .deliveries()
            .iter()
            .any(|d| d.app_key == "MMMerror" && d.kind == CallbackKind::RefundAudit)
    );
    let user = UserId::new(paid["userId"].as_u64().unwrap());
    let refunds = client
        .find_refunds(TpOrderId::new("ERR-1").unwrap(), user)
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].refund_status, RefundQueryStatus::Succeeded);
    assert_eq!(money(&w, "MMMerror").await["money"]["enterprise_assets"], 0);
}
