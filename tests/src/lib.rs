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
    // the example merchant answers the refund audit: these tests exercise that path
    .with_merchant_audit()
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

/// Starts a merchant server for `router` on a free loopback port, as a merchant should run
/// it (`baidupay_notify::axum::serve` with the default limits).
pub async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = baidupay_notify::axum::ServerLimits::default();
    tokio::spawn(baidupay_notify::axum::serve(listener, router, limits).into_future());
    addr
}

/// A plain HTTP client for loopback.
pub fn http() -> Arc<HyperTransport> {
    // idle connections are dropped before the sandbox's 2 s idle timeout closes them (a request
    // must never race the server's close on a reused connection)
    Arc::new(
        HyperTransport::new(
            Settings::default()
                .allow_http(true)
                .pool_idle_timeout(Duration::from_secs(1)),
        )
        .unwrap(),
    )
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
        self.app.create_order(tp.clone(), fen).await.unwrap();
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

/// The message token of the TP in the chain tests.
pub const TP_MSG_TOKEN: &str = "e2e-tp-msg-token";
/// Its EncodingAESKey (43 of `[A-Za-z0-9]`): chosen by the TP at registration, so that its
/// event server can open the first ticket, pushed at once.
pub const TP_AES_KEY: &str = "e2eTpChainAesKey0123456789abcdefghijklmnopA";
/// Its TP app id.
pub const TP_APP_ID: u64 = 888;
/// Where the administrator's consent redirects.
pub const TP_REDIRECT: &str = "https://tp.example/authorized";

/// A third-party platform's event server on a loopback port, as a TP runs it: `/auth` opens
/// every sealed event with `baidupay_notify::axum::tp_event_route`, hands each ticket to
/// [`baidupay_tp::TpAuth::on_ticket`] and passes the authorization events on; `/events` opens
/// the payment audit pushes with `baidupay_notify::tp::parse_audit_push`.
#[derive(Debug)]
pub struct TpServer {
    /// The server's address.
    pub addr: SocketAddr,
    /// The TP's event keys.
    pub keys: baidupay_notify::TpEventKeys,
    /// The chain the tickets go to.
    pub auth: baidupay_tp::TpAuth,
    /// Tickets handed to the chain so far.
    pub tickets: Arc<std::sync::atomic::AtomicUsize>,
    /// The audit pushes opened so far.
    pub audits: Arc<std::sync::Mutex<Vec<baidupay_model::tp::TpAuditPush>>>,
    events: tokio::sync::mpsc::UnboundedReceiver<baidupay_notify::TpEvent>,
}

impl TpServer {
    /// Starts the event server of the TP whose chain is `auth` (keys [`TP_MSG_TOKEN`],
    /// [`TP_AES_KEY`]).
    pub async fn start(auth: baidupay_tp::TpAuth) -> TpServer {
        use baidupay_notify::TpEvent;
        use std::sync::atomic::Ordering;
        let keys =
            baidupay_notify::TpEventKeys::new(TP_MSG_TOKEN, TP_AES_KEY, auth.client_id()).unwrap();
        let (tx, events) = tokio::sync::mpsc::unbounded_channel();
        let tickets = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let audits = Arc::<std::sync::Mutex<Vec<_>>>::default();
        let (chain, counted) = (auth.clone(), tickets.clone());
        let on_event = move |event: TpEvent| {
            let (chain, counted, tx) = (chain.clone(), counted.clone(), tx.clone());
            async move {
                match event {
                    TpEvent::Ticket(t) => {
                        let stored = chain.on_ticket(&t.ticket).await.is_ok();
                        counted.fetch_add(usize::from(stored), Ordering::SeqCst);
                        stored
                    }
                    other => tx.send(other).is_ok(),
                }
            }
        };
        let (opener, seen) = (keys.clone(), audits.clone());
        let router = axum::Router::new()
            .route(
                "/auth",
                baidupay_notify::axum::tp_event_route(keys.clone(), on_event),
            )
            .route(
                "/events",
                axum::routing::post(move |body: Bytes| {
                    let (opener, seen) = (opener.clone(), seen.clone());
                    async move {
                        match baidupay_notify::tp::parse_audit_push(&opener, &body) {
                            Ok(push) => {
                                seen.lock().unwrap().push(push);
                                baidupay_notify::tp::TP_ACK
                            }
                            Err(_) => "fail",
                        }
                    }
                }),
            );
        TpServer {
            addr: serve(router).await,
            keys,
            auth,
            tickets,
            audits,
            events,
        }
    }

    /// Registers the TP with the sandbox at `base` and waits for the first ticket push to
    /// reach the chain.
    pub async fn register(&self, http: &HyperTransport, base: &str) {
        let (status, v) = post_json(
            http,
            &format!("{base}/sandbox/tp/platforms"),
            &json!({"client_id": self.auth.client_id(), "token": TP_MSG_TOKEN,
                    "aes_key": TP_AES_KEY, "tp_app_id": TP_APP_ID,
                    "auth_event_url": format!("http://{}/auth", self.addr),
                    "event_url": format!("http://{}/events", self.addr)}),
        )
        .await;
        assert_eq!(status, 201, "{v}");
        assert_eq!(v["aes_key"], TP_AES_KEY);
        let tickets = self.tickets.clone();
        eventually("the first ticket push", || {
            let n = tickets.load(std::sync::atomic::Ordering::SeqCst);
            async move { n >= 1 }
        })
        .await;
    }

    /// The next authorization event (`AUTHORIZED`, `UPDATE_AUTHORIZED`, `UNAUTHORIZED`),
    /// opened, within 10 s.
    pub async fn next_event(&mut self) -> baidupay_notify::TpEvent {
        tokio::time::timeout(Duration::from_secs(10), self.events.recv())
            .await
            .expect("no authorization event within 10 s")
            .unwrap()
    }

    /// The chain up to the authorizer tokens of mini program `app_id`: the TP (component)
    /// token, a pre-authorization code, the console URL (its shape checked), the
    /// administrator's consent (`POST /sandbox/tp/authorize` with what the URL carries), the
    /// `AUTHORIZED` event with the code, and [`baidupay_tp::TpAuth::authorize`]. Returns the
    /// authorization code.
    pub async fn authorize(&mut self, http: &HyperTransport, base: &str, app_id: u64) -> Secret {
        let tp = self.auth.component_token().await.unwrap();
        assert!(!tp.expose().is_empty());
        let pre = self.auth.pre_auth_code().await.unwrap();
        let url = self.auth.authorization_url(&pre.pre_auth_code, TP_REDIRECT);
        let (page, query) = url.split_once('?').unwrap();
        assert_eq!(page, baidupay_tp::AUTHORIZATION_CONSOLE);
        let query = baidupay_crypto::form::parse(query.as_bytes()).unwrap();
        let field = |k: &str| {
            let found: Vec<_> = query.iter().filter(|(n, _)| n == k).collect();
            assert_eq!(found.len(), 1, "{k} in {url}");
            found[0].1.clone()
        };
        assert_eq!(query.len(), 3, "{url}");
        assert_eq!(field("client_id"), self.auth.client_id());
        assert_eq!(field("redirect_uri"), TP_REDIRECT);
        assert_eq!(field("pre_auth_code"), pre.pre_auth_code.expose());
        // the administrator opens the URL and consents
        let (status, consent) = post_json(
            http,
            &format!("{base}/sandbox/tp/authorize"),
            &json!({"pre_auth_code": field("pre_auth_code"), "app_id": app_id,
                    "redirect_uri": field("redirect_uri")}),
        )
        .await;
        assert_eq!(status, 200, "{consent}");
        let code = consent["authorization_code"].as_str().unwrap().to_owned();
        assert_eq!(
            consent["redirect"],
            format!("{TP_REDIRECT}?authorization_code={code}&expires_in=600")
        );
        let event = match self.next_event().await {
            baidupay_notify::TpEvent::Authorized(e) => e,
            other => panic!("expected AUTHORIZED, got {other:?}"),
        };
        assert_eq!(event.app_id, app_id);
        assert_eq!(event.tp_app_id, Some(TP_APP_ID));
        let from_event = event.authorization_code.unwrap();
        assert_eq!(from_event.expose(), code);
        self.auth.authorize(app_id, &from_event).await.unwrap();
        from_event
    }

    /// Waits until the audit push `event` has been opened.
    pub async fn audit_pushed(&self, event: baidupay_model::tp::TpAuditEvent) {
        let audits = self.audits.clone();
        eventually(&format!("the {} push", event.code()), || {
            let seen = audits.lock().unwrap().iter().any(|p| p.event == event);
            async move { seen }
        })
        .await;
    }
}

/// `GET /sandbox/tp/apps/{app_id}`: `(code_exchanges, refreshes, refresh_reuses)`.
pub async fn tp_app_counts(http: &HyperTransport, base: &str, app_id: u64) -> (u64, u64, u64) {
    let v = get_json(http, &format!("{base}/sandbox/tp/apps/{app_id}")).await;
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("no {k} in {v}"));
    (n("code_exchanges"), n("refreshes"), n("refresh_reuses"))
}
