//! The Baidu cashier flows end to end: the SDK's `CashierClient` and the example merchant
//! against `baidupay-sandbox` over loopback, with the failure paths the issue lists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::routing::post;
use baidupay_cashier::CashierError;
use baidupay_e2e::*;
use baidupay_model::cashier::{
    BillKind, Date, LegacyPayStatus, LegacyRefundStatus, PayStatus, RefundQueryStatus,
    VerificationStatus,
};
use baidupay_model::{AppKey, Fen, TpOrderId};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use serde_json::json;

fn fast() -> SandboxConfig {
    SandboxConfig::default()
        .retry_schedule([0, 50, 100, 200].into_iter().map(Duration::from_millis))
}

async fn paid_effects(w: &World) -> u64 {
    w.app.counters().await.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_find_duplicate_refund_bill_and_close() {
    let w = World::start(fast()).await;

    // pay: the cashier answers, then the signed notify reaches the merchant, is verified and
    // applied once
    let paid = w.pay("E2E-1", 11300).await;
    assert_eq!(paid["status"], 2);
    eventually("the payment notify is applied", || async {
        paid_effects(&w).await == 1
    })
    .await;
    let order = w
        .client
        .find_order(TpOrderId::new("E2E-1").unwrap())
        .await
        .unwrap();
    assert_eq!(order.status, PayStatus::Paid);
    assert_eq!(order.order_id.get(), paid["orderId"].as_u64().unwrap());
    assert_eq!(order.total_money, Some(Fen::new(11300)));
    eventually("the platform saw the ack", || async {
        w.sandbox
            .deliveries()
            .iter()
            .any(|d| d.kind == CallbackKind::Payment && d.acknowledged)
    })
    .await;

    // the same notify delivered again: acknowledged, not applied twice
    let delivered = w
        .sandbox
        .deliveries()
        .into_iter()
        .find(|d| d.kind == CallbackKind::Payment)
        .unwrap();
    let (status, body) = send(
        &w.http,
        http::Method::POST,
        &delivered.url,
        "application/x-www-form-urlencoded",
        delivered.body.clone(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        &body[..],
        br#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#
    );
    let (effects, duplicates) = w.app.counters().await;
    assert_eq!((effects, duplicates), (1, 1));

    // partial refund with the merchant's audit, then the refund notify
    let refund = partial_refund(
        order.order_id.get(),
        order.user_id.unwrap().get(),
        "E2E-1",
        "RB-1",
        3000,
    );
    let applied = w.client.apply_refund(&refund).await.unwrap();
    assert_eq!(applied.refund_pay_money, Fen::new(3000));
    eventually("the refund notify is applied", || async {
        paid_effects(&w).await == 2
    })
    .await;
    let kinds: Vec<CallbackKind> = w
        .sandbox
        .deliveries()
        .iter()
        .filter(|d| d.acknowledged)
        .map(|d| d.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            CallbackKind::Payment,
            CallbackKind::RefundAudit,
            CallbackKind::Refund
        ]
    );
    let refunds = w
        .client
        .find_refunds(TpOrderId::new("E2E-1").unwrap(), order.user_id.unwrap())
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].refund_status, RefundQueryStatus::Succeeded);
    assert_eq!(refunds[0].refund_batch_id, applied.refund_batch_id);

    // the same batch again: the same refund, never a second one
    let again = w.client.apply_refund(&refund).await.unwrap();
    assert_eq!(again.refund_batch_id, applied.refund_batch_id);
    let refunds = w
        .client
        .find_refunds(TpOrderId::new("E2E-1").unwrap(), order.user_id.unwrap())
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);

    // 1.0 queryorderdetail (signed with the merchant key): paid, refunded, consumed
    let user = order.user_id.unwrap();
    let legacy = w
        .client
        .query_order_detail(order.order_id, user)
        .await
        .unwrap();
    assert_eq!(legacy.pay_status.status_num, LegacyPayStatus::Paid);
    assert_eq!(
        legacy.refund_status.status_num,
        LegacyRefundStatus::Refunded
    );
    assert_eq!(legacy.verification.status_num, VerificationStatus::Consumed);
    // 1.0 syncOrderStatus cancels the consumption: the enterprise assets must hold the order's
    // refundable 83.00 (they hold 113.00 - 0.68 commission - 29.82 refunded: 10003 at first),
    // so a second order is consumed first (seed 000: pay at least two orders when testing)
    let e = w
        .client
        .sync_order_status(order.order_id, user)
        .await
        .unwrap_err();
    assert!(
        baidupay_e2e::chain(&e).contains("10003"),
        "{}",
        baidupay_e2e::chain(&e)
    );
    w.pay("E2E-3", 1_000).await;
    eventually("the second payment is consumed", || async {
        paid_effects(&w).await == 3
    })
    .await;
    eventually("its money is in the assets", || async {
        get_json(&w.http, &w.url(&format!("/sandbox/merchants/{APP_KEY}"))).await["money"]
            ["enterprise_assets"]
            == 8250 + 994
    })
    .await;
    w.client
        .sync_order_status(order.order_id, user)
        .await
        .unwrap();
    let legacy = w
        .client
        .query_order_detail(order.order_id, user)
        .await
        .unwrap();
    assert_eq!(
        legacy.verification.status_num,
        VerificationStatus::NotConsumed
    );

    // more than what is left: refused with the platform's error
    let over = partial_refund(
        order.order_id.get(),
        order.user_id.unwrap().get(),
        "E2E-1",
        "RB-2",
        8301,
    );
    let err = w.client.apply_refund(&over).await.unwrap_err();
    assert!(
        baidupay_e2e::chain(&err).contains("10001"),
        "{}",
        baidupay_e2e::chain(&err)
    );

    // today's order bill holds the order and the refund
    let today = baidupay_model::time::BeijingTime::from_unix(
        baidupay_transport::Clock::unix_seconds(&baidupay_transport::SystemClock),
    )
    .date();
    let list = w
        .client
        .bill(BillKind::Order, Date::parse(&today).unwrap())
        .await
        .unwrap();
    let file = w.client.download_bill(&list.data[0]).await.unwrap();
    let (text, _, malformed) = encoding_rs::GBK.decode(&file.bytes);
    assert!(!malformed, "the bill is GBK text");
    assert!(text.contains(&format!("#Dealid:[{DEAL_ID}]")), "{text}");
    assert!(
        text.contains("E2E-1") && text.contains("113.00") && text.contains("RB-1,30.00,退款成功"),
        "{text}"
    );

    // an unpaid order is closed
    let info = w
        .client
        .order_info(TpOrderId::new("E2E-2").unwrap(), Fen::new(500), "unpaid")
        .unwrap();
    let (_, created) = post_json(
        &w.http,
        &w.url("/sandbox/cashier/create"),
        &serde_json::to_value(&info).unwrap(),
    )
    .await;
    assert_eq!(created["status"], 1);
    let id = baidupay_model::OrderId::new(created["orderId"].as_u64().unwrap());
    assert!(w.client.cancel_order(id).await.unwrap());
    let closed = w
        .client
        .find_order(TpOrderId::new("E2E-2").unwrap())
        .await
        .unwrap();
    assert_eq!(closed.status, PayStatus::Cancelled);
    // a paid order cannot be closed
    assert!(w.client.cancel_order(order.order_id).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_merchant_key_is_errcode_6_with_the_reason() {
    let w = World::start(fast()).await;
    let tp = TpOrderId::new("E2E-BADKEY").unwrap();
    let mut info =
        serde_json::to_value(w.client.order_info(tp, Fen::new(100), "x").unwrap()).unwrap();
    // signed by another key
    let other = baidupay_crypto::PrivateKey::generate(1024).unwrap();
    let signer = baidupay_crypto::Signer::new(other, baidupay_crypto::Algorithm::RsaSha1);
    let content = format!("appKey={APP_KEY}&dealId={DEAL_ID}&totalAmount=100&tpOrderId=E2E-BADKEY");
    info["rsaSign"] = json!(signer.sign_base64(content.as_bytes()).unwrap());
    let (status, v) = post_json(&w.http, &w.url("/sandbox/cashier/pay"), &info).await;
    assert_eq!(status, 400);
    assert_eq!(v["errCode"], 6, "{v}");
    assert!(v["detail"].to_string().contains("rsaSign"), "{v}");
    // bizInfo that is not a JSON string is refused the same way
    let mut info = serde_json::to_value(
        w.client
            .order_info(TpOrderId::new("E2E-BIZ").unwrap(), Fen::new(100), "x")
            .unwrap(),
    )
    .unwrap();
    info["bizInfo"] = json!({"tpData": {}});
    let (_, v) = post_json(&w.http, &w.url("/sandbox/cashier/pay"), &info).await;
    assert_eq!(v["errCode"], 6, "{v}");
    assert!(v["detail"].to_string().contains("bizInfo"), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_that_is_not_the_exact_json_is_retried() {
    // a merchant that answers "success" (text) twice, then the exact JSON
    let w = World::start(fast()).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let flaky = serve(axum::Router::new().route(
        "/notify",
        post(move || {
            let c = c.clone();
            async move {
                if c.fetch_add(1, Ordering::SeqCst) < 2 {
                    "success".to_owned()
                } else {
                    r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#.to_owned()
                }
            }
        }),
    ))
    .await;
    let key = baidupay_crypto::PrivateKey::generate(1024).unwrap();
    let mut reg = registration(flaky, &key);
    reg["app_key"] = json!("MMMflaky");
    reg["notify_url"] = json!(format!("http://{flaky}/notify"));
    let (status, _) = post_json(&w.http, &w.url("/sandbox/merchants"), &reg).await;
    assert_eq!(status, 201);
    let config = baidupay_cashier::CashierConfig::new(
        AppKey::new("MMMflaky").unwrap(),
        baidupay_model::DealId::new(DEAL_ID),
        key,
    );
    let signer = baidupay_cashier::CashierClient::new(
        config,
        w.http.clone(),
        Arc::new(baidupay_cashier::StaticToken(baidupay_model::Secret::new(
            "unused",
        ))),
    );
    let info = signer
        .order_info(TpOrderId::new("E2E-FLAKY").unwrap(), Fen::new(100), "x")
        .unwrap();
    let (status, _) = post_json(
        &w.http,
        &w.url("/sandbox/cashier/pay"),
        &serde_json::to_value(&info).unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    eventually("the third attempt is acknowledged", || async {
        w.sandbox
            .deliveries()
            .iter()
            .any(|d| d.app_key == "MMMflaky" && d.acknowledged)
    })
    .await;
    let attempts: Vec<_> = w
        .sandbox
        .deliveries()
        .into_iter()
        .filter(|d| d.app_key == "MMMflaky")
        .collect();
    assert_eq!(attempts.len(), 3);
    assert!(!attempts[0].acknowledged && !attempts[1].acknowledged && attempts[2].acknowledged);
    assert!(
        attempts[0].reason.contains("isConsumed"),
        "{}",
        attempts[0].reason
    );
    // the same list over HTTP, filtered by merchant
    let listed = get_json(&w.http, &w.url("/sandbox/deliveries?app_key=MMMflaky")).await;
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

/// A token source that keeps its token until told it is stale (so that the sandbox, not the
/// cache, decides when it expired), counting how often it fetched.
#[derive(Debug)]
struct Counting {
    http: Arc<baidupay_transport::HyperTransport>,
    url: String,
    fetched: AtomicUsize,
    current: std::sync::Mutex<Option<baidupay_model::Secret>>,
}

#[async_trait::async_trait]
impl baidupay_cashier::TokenProvider for Counting {
    async fn access_token(&self) -> baidupay_openapi::Result<baidupay_model::Secret> {
        if let Some(t) = self.current.lock().unwrap().clone() {
            return Ok(t);
        }
        self.fetched.fetch_add(1, Ordering::SeqCst);
        let v = get_json(&self.http, &self.url).await;
        let t = baidupay_model::Secret::new(v["access_token"].as_str().unwrap());
        *self.current.lock().unwrap() = Some(t.clone());
        Ok(t)
    }

    async fn invalidate(&self, _stale: &baidupay_model::Secret) {
        *self.current.lock().unwrap() = None;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_once() {
    // tokens live 1 s; the client keeps its token until the sandbox says it expired
    let w = World::start(fast().token_lifetime(Duration::from_secs(1))).await;
    let tokens = Arc::new(Counting {
        http: w.http.clone(),
        url: w.url(&format!(
            "/oauth/2.0/token?grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&scope=smartapp_snsapi_base"
        )),
        fetched: AtomicUsize::new(0),
        current: std::sync::Mutex::new(None),
    });
    let client = baidupay_cashier::CashierClient::new(
        w.client.config().clone(),
        w.http.clone(),
        tokens.clone(),
    );
    let tp = TpOrderId::new("E2E-TOKEN").unwrap();
    let info = client.order_info(tp.clone(), Fen::new(100), "x").unwrap();
    post_json(
        &w.http,
        &w.url("/sandbox/cashier/create"),
        &serde_json::to_value(&info).unwrap(),
    )
    .await;
    assert_eq!(
        client.find_order(tp.clone()).await.unwrap().status,
        PayStatus::Unpaid
    );
    assert_eq!(tokens.fetched.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // the sandbox answers "expired" (111); the client refreshes once and retries
    assert_eq!(
        client.find_order(tp).await.unwrap().status,
        PayStatus::Unpaid
    );
    assert_eq!(tokens.fetched.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_merchants_are_checked() {
    let w = World::start(fast()).await;
    // an unknown client
    let v = get_json(
        &w.http,
        &w.url("/oauth/2.0/token?grant_type=client_credentials&client_id=nobody&client_secret=x&scope=smartapp_snsapi_base"),
    )
    .await;
    assert_eq!(v["error"], "invalid_client");
    // a bad token on a pay API: the gateway shape the client recognises
    let v = get_json(
        &w.http,
        &w.url(&format!("/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId?access_token=nope&tpOrderId=x&pmAppKey={APP_KEY}")),
    )
    .await;
    assert_eq!(v["error_code"], 110);
    // the registered merchant is shown; a second registration of the same app_key is refused
    let m = get_json(&w.http, &w.url(&format!("/sandbox/merchants/{APP_KEY}"))).await;
    assert_eq!(m["deal_id"], DEAL_ID);
    let (status, _) = post_json(
        &w.http,
        &w.url("/sandbox/merchants"),
        &registration(w.merchant, &w.merchant_key),
    )
    .await;
    assert_eq!(status, 409);
    assert!(matches!(
        w.client.find_order(TpOrderId::new("none").unwrap()).await,
        Err(CashierError::Call(
            baidupay_openapi::OpenApiError::Api { .. }
        ))
    ));
}
