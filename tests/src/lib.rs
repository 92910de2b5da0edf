//! The end-to-end harness: a sandbox, the example merchant server and the SDK clients, all on
//! loopback ports of one process, torn down when dropped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test harness

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use baidupay_cashier::{CashierClient, CashierConfig, LegacyHost};
use baidupay_crypto::PrivateKey;
use baidupay_example_merchant::App;
use baidupay_model::{AppKey, ClientId, DealId, PayAppId, Secret};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use baidupay_transport::{HyperTransport, Settings, Transport};
use bytes::Bytes;
use serde_json::{Value, json};

/// The merchant's ids in every test.
pub const APP_KEY: &str = "MMMsandbox";
/// Deal id.
pub const DEAL_ID: u64 = 470_193_086;
/// Payment APP ID (1.0 APIs).
pub const APP_ID: u64 = 10026;
/// Mini program AppKey (client_id).
pub const CLIENT_ID: &str = "sandboxClientId";
/// Mini program AppSecret.
pub const CLIENT_SECRET: &str = "sandboxClientSecret";

/// A partial refund (customer service) of `fen` of order `order_id` / `user_id` / `tp`, under
/// the merchant batch id `batch`.
pub fn partial_refund(
    order_id: u64,
    user_id: u64,
    tp: &str,
    batch: &str,
    fen: u64,
) -> baidupay_model::cashier::ApplyRefundRequest {
    baidupay_model::cashier::ApplyRefundRequest::new(
        baidupay_model::OrderId::new(order_id),
        baidupay_model::UserId::new(user_id),
        baidupay_model::TpOrderId::new(tp).unwrap(),
        baidupay_model::BizRefundBatchId::new(batch).unwrap(),
        baidupay_model::cashier::RefundType::CustomerService,
        "sandbox partial refund",
        baidupay_model::AppKey::new(APP_KEY).unwrap(),
    )
    .unwrap()
    .partial(baidupay_model::Fen::new(fen))
    .unwrap()
}

/// One running world.
#[derive(Debug)]
pub struct World {
    /// The simulator.
    pub sandbox: Sandbox,
    /// Its server.
    pub running: RunningSandbox,
    /// The example merchant's state.
    pub app: App,
    /// The example merchant's address.
    pub merchant: SocketAddr,
    /// The merchant's key pair.
    pub merchant_key: PrivateKey,
    /// The cashier client, pointed at the sandbox.
    pub client: CashierClient,
    /// A plain HTTP client.
    pub http: Arc<HyperTransport>,
    _keys: tempfile::TempDir,
}

/// Starts a merchant server for `router` on a free loopback port.
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

/// A plain HTTP client for loopback.
pub fn http() -> Arc<HyperTransport> {
    Arc::new(HyperTransport::new(Settings::default().allow_http(true)).unwrap())
}

/// Sends a request and returns status and body.
pub async fn send(
    http: &HyperTransport,
    method: http::Method,
    url: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> (u16, Bytes) {
    let req = http::Request::builder()
        .method(method)
        .uri(url)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap();
    let r = http.send(req).await.unwrap();
    (r.status().as_u16(), r.into_body())
}

/// POSTs JSON and parses the JSON answer.
pub async fn post_json(http: &HyperTransport, url: &str, v: &Value) -> (u16, Value) {
    let (status, body) = send(
        http,
        http::Method::POST,
        url,
        "application/json",
        v.to_string(),
    )
    .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// GETs JSON.
pub async fn get_json(http: &HyperTransport, url: &str) -> Value {
    let (_, body) = send(http, http::Method::GET, url, "text/plain", Bytes::new()).await;
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

/// Waits (at most 20 s: a deadline for an asynchronous effect, not a speed check) until
/// `check` holds.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("gave up waiting: {what}");
}

/// The registration JSON of the example merchant at `merchant`.
pub fn registration(merchant: SocketAddr, key: &PrivateKey) -> Value {
    json!({
        "app_key": APP_KEY,
        "deal_id": DEAL_ID,
        "app_id": APP_ID,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "merchant_public_key": key.public_key().to_base64(),
        "notify_url": format!("http://{merchant}/notify/baidu/pay"),
        "refund_audit_url": format!("http://{merchant}/notify/baidu/refund-audit"),
        "refund_notify_url": format!("http://{merchant}/notify/baidu/refund"),
    })
}

impl World {
    /// A sandbox with `config` (keys in a temporary directory), the example merchant
    /// registered with it, and a cashier client with client-credential tokens.
    pub async fn start(config: SandboxConfig) -> World {
        let keys = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::new(config.keys_dir(keys.path())).unwrap();
        let running = sandbox.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let app = App::new("2021000122671080");
        let router = baidupay_example_merchant::router(
            app.clone(),
            BaiduNotifier::new(sandbox.platform_public_key().clone()),
            AlipayNotifier::new(sandbox.alipay_public_key().clone()),
        );
        let merchant = serve(router).await;
        let merchant_key = PrivateKey::generate(1024).unwrap();
        let http = http();
        let (status, v) = post_json(
            &http,
            &format!("{}/sandbox/merchants", running.base_url()),
            &registration(merchant, &merchant_key),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        let config = CashierConfig::new(
            AppKey::new(APP_KEY).unwrap(),
            DealId::new(DEAL_ID),
            merchant_key.clone(),
        )
        .api_base(running.base_url())
        .app_id(PayAppId::new(APP_ID))
        .query_base(running.base_url())
        .legacy_host(LegacyHost::Etrade(running.base_url().to_owned()));
        let client = CashierClient::with_client_credentials(
            config,
            http.clone(),
            ClientId::new(CLIENT_ID).unwrap(),
            Secret::new(CLIENT_SECRET),
        );
        World {
            sandbox,
            running,
            app,
            merchant,
            merchant_key,
            client,
            http,
            _keys: keys,
        }
    }

    /// `url` under the sandbox.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    /// The merchant creates order `tp` of `fen`, signs its orderInfo and the buyer pays it at
    /// the sandbox cashier; returns the cashier's answer (`orderId`, `userId`, `status`).
    pub async fn pay(&self, tp: &str, fen: u64) -> Value {
        let tp = baidupay_model::TpOrderId::new(tp).unwrap();
        let fen = baidupay_model::Fen::new(fen);
        self.app.create_order(tp.clone(), fen).await;
        let info = self.client.order_info(tp, fen, "sandbox goods").unwrap();
        let (status, v) = post_json(
            &self.http,
            &self.url("/sandbox/cashier/pay"),
            &serde_json::to_value(&info).unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{v}");
        v
    }
}

/// An error and every source under it, one per line: what a log of the whole chain shows
/// (each error's `Display` names only what failed; the cause is its `source()`).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        out.push('\n');
        out.push_str(&s.to_string());
        next = s.source();
    }
    out
}
