//! `SandboxConfig::db` (`baidupay sandbox --db FILE`): the state survives a restart. A first
//! sandbox takes a payment and a refund for one merchant and leaves a payment notify of a
//! second merchant unacknowledged; a second sandbox opened on the same file serves the same
//! orders, refunds, tokens and delivery log, keeps a repeated refund batch from refunding
//! twice, and resumes the notify it still owes. The TP and Alipay state is kept as well: a mini
//! program authorized in the first life, its account under audit, calls with its tokens in
//! the second, refreshes once with the stored refresh token and sees its audit pass and
//! pushed, sealed; an Alipay trade paid and partly refunded in the first life (neither notify
//! acknowledged) is notified once each in the second and queried with `AlipayClient`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use baidupay_alipay::{AlipayClient, AlipayConfig, Gateway};
use baidupay_cashier::{CashierClient, CashierConfig, StaticToken};
use baidupay_crypto::{PrivateKey, PublicKey};
use baidupay_e2e::*;
use baidupay_example_merchant::App;
use baidupay_model::alipay::{
    Buyer, FundChange, RefundQuery, RefundStatus, TradeCreate, TradeQuery, TradeRef, TradeRefund,
    TradeStatus,
};
use baidupay_model::cashier::{PayStatus, RefundQueryStatus};
use baidupay_model::{
    AlipayAppId, AlipayUserId, AppKey, DealId, Fen, OutRequestNo, OutTradeNo, Secret, TpOrderId,
};
use baidupay_notify::{AlipayNotifier, BaiduNotifier, TpEvent, TpEventKeys};
use baidupay_sandbox::{CallbackKind, Sandbox, SandboxConfig, SandboxError};
use bytes::Bytes;
use serde_json::{Value, json};

const PENDING_KEY: &str = "MMMpending";
const PENDING_DEAL: u64 = 470_000_001;
const TP: &str = "tp-persisted";
const TP_MSG_TOKEN: &str = "tp-persisted-token";
const TP_AES_KEY: &str = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";
const MINI_APP: u64 = 16_055_555;
const ALIPAY_APP: &str = "2021000122679999";

fn config(dir: &std::path::Path) -> SandboxConfig {
    SandboxConfig::default()
        .keys_dir(dir.join("keys"))
        .db(dir.join("state.sqlite"))
        .retry_schedule([0, 50].into_iter().map(Duration::from_millis))
        // the payment notify's retries come 2 real minutes apart: a restart resumes them
        .time_scale(1)
        .tp_audit_delay(Duration::from_secs(3))
}

/// A merchant that answers the payment notify (`/pay`) and the Alipay notify (`/alipay`)
/// only once `accept` is set (503 before), counting what it saw; and a TP (`/tp/{which}`)
/// that keeps every event and answers `success`.
#[derive(Clone, Default)]
struct Switch {
    accept: Arc<AtomicBool>,
    seen: Arc<AtomicUsize>,
    alipay_refused: Arc<AtomicUsize>,
    /// Acknowledged Alipay notifies: (payments, refunds).
    alipay_acked: Arc<Mutex<(u32, u32)>>,
    tp_events: Arc<Mutex<Vec<(String, Bytes)>>>,
}

async fn switch_server(s: Switch) -> std::net::SocketAddr {
    let (a, t) = (s.clone(), s.clone());
    let router = axum::Router::new()
        .route(
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
        )
        .route(
            "/alipay",
            post(move |body: Bytes| {
                let s = a.clone();
                async move {
                    if !s.accept.load(Ordering::SeqCst) {
                        s.alipay_refused.fetch_add(1, Ordering::SeqCst);
                        return (http::StatusCode::SERVICE_UNAVAILABLE, "busy");
                    }
                    let mut acked = s.alipay_acked.lock().unwrap();
                    if String::from_utf8_lossy(&body).contains("out_biz_no=") {
                        acked.1 += 1;
                    } else {
                        acked.0 += 1;
                    }
                    (http::StatusCode::OK, "success")
                }
            }),
        )
        .route(
            "/tp/{which}",
            post(
                move |axum::extract::Path(which): axum::extract::Path<String>, body: Bytes| {
                    let s = t.clone();
                    async move {
                        s.tp_events.lock().unwrap().push((which, body));
                        "success"
                    }
                },
            ),
        );
    serve(router).await
}

/// The TP's keys.
fn tp_keys() -> TpEventKeys {
    TpEventKeys::new(TP_MSG_TOKEN, TP_AES_KEY, TP).unwrap()
}

/// The TP events received at `/tp/{which}` so far, opened.
fn tp_events(s: &Switch, which: &str) -> Vec<TpEvent> {
    s.tp_events
        .lock()
        .unwrap()
        .iter()
        .filter(|(w, _)| w == which)
        .map(|(_, body)| tp_keys().open(body).unwrap())
        .collect()
}

/// The text `field` of the `data` of a TP GET answered `errno` 0.
async fn tp_text(base: &str, path: &str, field: &str) -> String {
    let v = get_json(&http(), &format!("{base}{path}")).await;
    assert_eq!(v["errno"], 0, "{path}: {v}");
    v["data"][field].as_str().unwrap().to_owned()
}

/// What the TP holds after the first life.
struct TpGrant {
    tp_token: String,
    access: String,
    refresh: String,
}

/// The TP chain over plain HTTP: registers the TP (events to `switch`), takes the ticket, a
/// TP token and a pre-auth code, authorizes the mini program, exchanges the code and submits
/// its payment account.
async fn tp_first_life(base: &str, switch: &Switch, at: std::net::SocketAddr) -> TpGrant {
    let (status, v) = post_json(
        &http(),
        &format!("{base}/sandbox/tp/platforms"),
        &json!({"client_id": TP, "token": TP_MSG_TOKEN, "aes_key": TP_AES_KEY,
               "auth_event_url": format!("http://{at}/tp/auth"),
               "event_url": format!("http://{at}/tp/events")}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    eventually("the ticket is pushed", || async {
        !tp_events(switch, "auth").is_empty()
    })
    .await;
    let ticket = match tp_events(switch, "auth").remove(0) {
        TpEvent::Ticket(t) => t.ticket.expose().to_owned(),
        other => panic!("not a ticket: {other:?}"),
    };
    let token_path = format!("/public/2.0/smartapp/auth/tp/token?client_id={TP}&ticket={ticket}");
    let tp_token = tp_text(base, &token_path, "access_token").await;
    let pre_auth_path = format!("/rest/2.0/smartapp/tp/createpreauthcode?access_token={tp_token}");
    let pre = tp_text(base, &pre_auth_path, "pre_auth_code").await;
    let (status, v) = post_json(
        &http(),
        &format!("{base}/sandbox/tp/authorize"),
        &json!({"pre_auth_code": pre, "app_id": MINI_APP, "redirect_uri": "https://tp.example/back"}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let code = v["authorization_code"].as_str().unwrap();
    let pair = get_json(
        &http(),
        &format!("{base}/rest/2.0/oauth/token?access_token={tp_token}&grant_type=app_to_tp_authorization_code&code={code}"),
    )
    .await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let (status, body) = send(
        &http(),
        http::Method::POST,
        &format!("{base}/rest/2.0/smartapp/pay/account/create?access_token={access}"),
        "application/x-www-form-urlencoded",
        "business_scope=sandbox+restart+test&business_province=a&business_city=b\
         &business_detail_address=c\
         &legal_person=%E6%9D%8E%E5%9B%9B&legal_id=110101199003078888\
         &id_card_front_url=https%3A%2F%2Fi%2Ff&id_card_back_url=https%3A%2F%2Fi%2Fb",
    )
    .await;
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["errno"], 0, "{answer}");
    TpGrant {
        tp_token,
        access,
        refresh: pair["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// The account audit status with the authorizer token `token`.
async fn account_status(base: &str, token: &str) -> Value {
    get_json(
        &http(),
        &format!("{base}/rest/2.0/smartapp/pay/account/auditstatus?access_token={token}"),
    )
    .await
}

/// An `AlipayClient` of the Alipay app against the sandbox at `base`.
fn alipay_client(base: &str, key: &PrivateKey, alipay: &PublicKey) -> AlipayClient {
    let config = AlipayConfig::new(
        AlipayAppId::new(ALIPAY_APP).unwrap(),
        key.clone(),
        alipay.clone(),
    )
    .unwrap()
    .gateway(Gateway::Custom(format!("{base}/gateway.do")))
    .unwrap();
    AlipayClient::new(config, http())
}

fn ali_trade() -> TradeRef {
    TradeRef::OutTradeNo(OutTradeNo::new("ALI-P1").unwrap())
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
        .await
        .unwrap();
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

    // the second merchant's notify is refused at its first attempt (the next is 2 minutes away)
    let pending_client = client_for(
        &base,
        PENDING_KEY,
        PENDING_DEAL,
        &pending_key,
        &pending_token,
    );
    cashier_pay(&base, &pending_client, "Q-1", 700).await;
    eventually("the first attempt was refused", || async {
        switch.seen.load(Ordering::SeqCst) == 1
    })
    .await;

    // the TP: authorized, its account under audit
    let tp = tp_first_life(&base, &switch, pending).await;

    // Alipay: a trade paid and partly refunded; the merchant acknowledges neither notify
    let alipay_key = PrivateKey::generate(2048).unwrap();
    let (status, v) = post_json(
        &http,
        &format!("{base}/sandbox/alipay/apps"),
        &json!({"app_id": ALIPAY_APP, "app_public_key": alipay_key.public_key().to_spki_pem(),
               "notify_url": format!("http://{pending}/alipay")}),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let ali = alipay_client(&base, &alipay_key, sandbox.alipay_public_key());
    let created = ali
        .create(
            &TradeCreate::new(
                OutTradeNo::new("ALI-P1").unwrap(),
                "30.00".parse().unwrap(),
                "persisted goods",
                Buyer::BuyerId(AlipayUserId::new("2088102177846880").unwrap()),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let trade_no = created.trade_no.unwrap();
    let (status, v) = post_json(
        &http,
        &format!("{base}/sandbox/alipay/pay"),
        &json!({"trade_no": trade_no.as_str()}),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let ali_refund = TradeRefund::new(
        ali_trade(),
        "5.00".parse().unwrap(),
        OutRequestNo::new("ALI-P1-R1").unwrap(),
    );
    let refunded = ali.refund(&ali_refund).await.unwrap();
    assert_eq!(refunded.fund_change, Some(FundChange::Yes));
    eventually(
        "both Alipay notifies were refused on every attempt",
        || async { switch.alipay_refused.load(Ordering::SeqCst) == 4 },
    )
    .await;

    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = sandbox.deliveries();
    assert_eq!(
        before.iter().filter(|d| d.app_key == PENDING_KEY).count(),
        1,
        "{before:?}"
    );
    let assets_before =
        get_json(&http, &format!("{base}/sandbox/merchants/{APP_KEY}")).await["money"].clone();
    assert!(
        assets_before["enterprise_assets"].as_u64().unwrap() > 0,
        "{assets_before}"
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

    // the notify still owed is resumed (its second attempt) and now acknowledged
    eventually("the owed notify is resumed", || async {
        sandbox
            .deliveries()
            .iter()
            .any(|d| d.app_key == PENDING_KEY && d.acknowledged && d.attempt == 2)
    })
    .await;
    // the money came back as it was
    assert_eq!(
        get_json(&http, &format!("{base}/sandbox/merchants/{APP_KEY}")).await["money"],
        assets_before
    );

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

    // Alipay: each owed notify acknowledged once; the trade and its refund are there
    eventually("the owed Alipay notifies are acknowledged", || async {
        *switch.alipay_acked.lock().unwrap() == (1, 1)
    })
    .await;
    let ali = alipay_client(&base, &alipay_key, sandbox.alipay_public_key());
    let q = ali.query(&TradeQuery::new(ali_trade())).await.unwrap();
    assert_eq!(q.trade_status, Some(TradeStatus::TradeSuccess));
    assert_eq!(q.trade_no.as_ref(), Some(&trade_no));
    let rq = ali
        .refund_query(&RefundQuery::new(
            ali_trade(),
            OutRequestNo::new("ALI-P1-R1").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(rq.refund_status, Some(RefundStatus::RefundSuccess));
    assert_eq!(rq.refund_amount.unwrap().to_string(), "5.00");
    let replay = ali.refund(&ali_refund).await.unwrap();
    assert_eq!(replay.fund_change, Some(FundChange::No));

    // the TP: the tokens work, the stored refresh token works once, the audit passes (still
    // under audit or passed by now: the sandbox's own restart test checks the timing)
    let audit = account_status(&base, &tp.access).await;
    assert_eq!(audit["errno"], 0, "{audit}");
    let refresh = format!(
        "{base}/rest/2.0/oauth/token?access_token={}&grant_type=app_to_tp_refresh_token&refresh_token={}",
        tp.tp_token, tp.refresh
    );
    let fresh = get_json(&http, &refresh).await;
    let access = fresh["access_token"].as_str().unwrap();
    let reused = get_json(&http, &refresh).await;
    assert_eq!(reused["error_description"], "refresh token already used");
    eventually("the account audit passes and is pushed", || async {
        tp_events(&switch, "events").iter().any(|e| {
            matches!(e, TpEvent::PaymentAudit(a)
                if a.push.app_id == MINI_APP && a.raw["event"] == "APP_PAYMENT_CREATE_ACCOUNT_PASS")
        })
    })
    .await;
    assert_eq!(account_status(&base, access).await["data"]["status"], 4);
    running.stop().await;
}
