//! An example merchant callback server on a real database: copy it, keep the shape.
//!
//! Every endpoint verifies before it parses (`baidupay-notify`), checks the notify against the
//! merchant's own order, applies it **once** in one database transaction whose idempotency
//! rests on unique keys (Baidu `orderId` / `refundBatchId`, Alipay `notify_id` /
//! `out_trade_no` + `out_request_no`: a duplicate, concurrent or replayed notify is
//! acknowledged and changes nothing), and answers only after that transaction committed. If the
//! ledger cannot answer within [`BUDGET`] (database down, locked, slow), it answers "retry"
//! instead of keeping Baidu waiting past its 2 seconds; the platform sends the notify again.
//!
//! The ledger ([`store`]) is SQLite (`sqlite://FILE`, embedded, the default), PostgreSQL
//! (`postgres://...`, several instances behind a load balancer on one database) or memory
//! (`memory://`, tests and the bench's reference), behind one [`Store`] trait; the handlers don't
//! care which. The order and refund state machine (created → paid → refunding → refunded,
//! partial refunds adding up) is enforced by the database schema ([`store::schema`]).
//!
//! `POST /orders` takes a bearer token ([`App::with_orders_token`]) and never changes an
//! existing order: the same id with the same amount is a no-op, with another amount it is
//! refused. `GET /ledger.csv` (same token) exports the ledger that `baidupay reconcile` reads.
//!
//! Refunding an Alipay payment ([`App::refund_alipay`]) records the refund before sending it,
//! queries it before any retry when its outcome is unknown, and retries only with the same
//! `out_request_no`.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use baidupay_example_merchant::{App, store};
//!
//! let ledger = store::open("sqlite://merchant.db").await?;
//! let app = App::with_store("2021000122671080", ledger).with_orders_token("s3cret");
//! # let _ = app; Ok(()) }
//! ```

#![warn(missing_docs)]

mod alipay_refund;
pub mod store;

pub use alipay_refund::{AlipayRefundError, AlipayRefunded, REFUND_ATTEMPTS};
pub use store::{OrderCreated, Store, StoreError};

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{
    AuditStatus, PaymentAck, PaymentNotification, RefundAuditAnswer, RefundAuditRequest,
    RefundNotification, RetryAnswer,
};
use baidupay_model::{Fen, TpOrderId};
use baidupay_notify::axum::{alipay_route, baidu_route};
use baidupay_notify::http::BaiduAnswer;
use baidupay_notify::{AlipayNotifier, BaiduCallback, BaiduKind, BaiduNotifier};
use http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};
use store::{AuditAnswer, Effect, PayAnswer};

/// How long a handler may wait for the ledger before answering "retry" (Baidu allows 2 s).
pub const BUDGET: Duration = Duration::from_millis(1500);

/// The state of one merchant order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OrderState {
    /// Created, not paid.
    Created,
    /// Paid through Baidu.
    Paid {
        /// Baidu order id.
        order_id: u64,
        /// Baidu user id (needed to refund).
        user_id: u64,
    },
    /// Paid through Alipay.
    PaidAlipay {
        /// Alipay trade number.
        trade_no: String,
    },
    /// Paid, with refunds approved or sent and not yet done ([`Order::refunding`]).
    Refunding,
    /// Fully refunded (the succeeded refunds add up to the total).
    Refunded,
}

/// A merchant order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    /// Amount in fen.
    pub total: Fen,
    /// State.
    pub state: OrderState,
    /// Refunded so far (succeeded Baidu refunds, at the amounts this merchant approved, and
    /// Alipay refunds).
    pub refunded: Fen,
    /// Refunds approved or sent, not yet done.
    pub refunding: Fen,
}

/// Why an order was not created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    /// A zero amount.
    #[error("order {0}: the amount must be at least 1 fen")]
    Zero(TpOrderId),
    /// The id is taken by an order of another amount (orders never change).
    #[error("order {tp_order_id} exists with {existing} fen, not {asked}")]
    Conflict {
        /// The order id.
        tp_order_id: TpOrderId,
        /// Its amount.
        existing: Fen,
        /// The amount asked for.
        asked: Fen,
    },
    /// The ledger could not answer.
    #[error("order {0}: the ledger could not answer")]
    Ledger(TpOrderId, #[source] StoreError),
}

#[derive(Debug, Default)]
struct Counters {
    effects: AtomicU64,
    duplicates: AtomicU64,
}

/// The bearer token `POST /orders` and `GET /ledger.csv` require.
#[derive(Clone)]
struct Token(Arc<str>);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Shared server state.
#[derive(Debug, Clone)]
pub struct App {
    store: Arc<dyn Store>,
    counters: Arc<Counters>,
    orders_token: Option<Token>,
    /// This merchant's Alipay app id.
    pub alipay_app_id: String,
}

impl App {
    /// An app on an in-memory ledger (tests; lost on exit).
    pub fn new(alipay_app_id: impl Into<String>) -> Self {
        Self::with_store(alipay_app_id, Arc::new(store::MemoryStore::default()))
    }

    /// An app on `store` (see [`store::open`]).
    pub fn with_store(alipay_app_id: impl Into<String>, store: Arc<dyn Store>) -> Self {
        Self {
            store,
            counters: Arc::default(),
            orders_token: None,
            alipay_app_id: alipay_app_id.into(),
        }
    }

    /// Requires `Authorization: Bearer <token>` on `POST /orders` and `GET /ledger.csv`
    /// (without a token both are refused).
    pub fn with_orders_token(mut self, token: impl Into<String>) -> Self {
        self.orders_token = Some(Token(token.into().into()));
        self
    }

    /// The ledger.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Creates an order (what the merchant does before calling `orderInfo` / `trade.create`).
    /// The same id with the same amount is a no-op ([`OrderCreated::AlreadyExists`]).
    ///
    /// # Errors
    /// [`OrderError`]: a zero amount, the id taken with another amount, the ledger unavailable.
    pub async fn create_order(
        &self,
        tp_order_id: TpOrderId,
        total: Fen,
    ) -> Result<OrderCreated, OrderError> {
        if total == Fen::ZERO {
            return Err(OrderError::Zero(tp_order_id));
        }
        match within_budget(self.store.create_order(&tp_order_id, total)).await {
            Ok(OrderCreated::Conflict { existing }) => Err(OrderError::Conflict {
                tp_order_id,
                existing,
                asked: total,
            }),
            Ok(created) => Ok(created),
            Err(e) => Err(OrderError::Ledger(tp_order_id, e)),
        }
    }

    /// The order, if any.
    ///
    /// # Errors
    /// [`StoreError`]: the ledger could not answer within [`BUDGET`].
    pub async fn order(&self, tp_order_id: &TpOrderId) -> Result<Option<Order>, StoreError> {
        within_budget(self.store.order(tp_order_id)).await
    }

    /// `(effects, duplicates)` this instance applied and acknowledged as duplicates so far.
    pub async fn counters(&self) -> (u64, u64) {
        (
            self.counters.effects.load(Ordering::Relaxed),
            self.counters.duplicates.load(Ordering::Relaxed),
        )
    }

    fn count(&self, effect: Effect) {
        let counter = match effect {
            Effect::Applied => &self.counters.effects,
            Effect::Duplicate => &self.counters.duplicates,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The ledger as the CSV `baidupay reconcile --ledger` reads
    /// (`kind,merchant_order_id,platform_id,refund_id,amount_fen`).
    ///
    /// # Errors
    /// [`StoreError`]: the ledger could not be read.
    pub async fn ledger_csv(&self) -> Result<String, StoreError> {
        let rows = self.store.ledger().await?;
        let mut out = String::from("kind,merchant_order_id,platform_id,refund_id,amount_fen\n");
        for e in rows {
            let cells = [
                e.kind.as_str(),
                &e.merchant_order_id,
                e.platform_id.as_deref().unwrap_or(""),
                e.refund_id.as_deref().unwrap_or(""),
                &e.amount.get().to_string(),
            ]
            .map(csv_cell);
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        Ok(out)
    }

    /// Applies a verified payment notify once (answered after the commit).
    pub async fn on_payment(&self, n: PaymentNotification) -> BaiduAnswer {
        match within_budget(self.store.baidu_payment(&n)).await {
            Ok(o) => {
                self.count(o.effect);
                BaiduAnswer::Payment(match o.answer {
                    PayAnswer::Consumed => PaymentAck::consumed(),
                    _ => PaymentAck::error_order(),
                })
            }
            Err(e) => retry(&e),
        }
    }

    /// Decides a refund audit: approve a paid order's refund up to what is left of its total
    /// (an order this merchant has not seen paid is refused: its payment notify may still be
    /// on the way). The approved amount stays pending on the order until the refund notify.
    pub async fn on_refund_audit(&self, r: RefundAuditRequest) -> BaiduAnswer {
        match within_budget(self.store.baidu_refund_audit(&r)).await {
            Ok(o) => BaiduAnswer::RefundAudit(match o.answer {
                AuditAnswer::Approved(fen) => RefundAuditAnswer::new(AuditStatus::Approved, fen),
                _ => RefundAuditAnswer::new(AuditStatus::Rejected, Fen::ZERO),
            }),
            Err(e) => retry(&e),
        }
    }

    /// Applies a refund result once per `refundBatchId`.
    pub async fn on_refund(&self, r: RefundNotification) -> BaiduAnswer {
        match within_budget(self.store.baidu_refund(&r)).await {
            Ok(o) => {
                self.count(o.effect);
                BaiduAnswer::Refund
            }
            Err(e) => retry(&e),
        }
    }

    /// Applies a verified Alipay trade notify once per `notify_id`; `true` answers `success`,
    /// `false` (ledger unavailable) `failure`, so that Alipay sends it again.
    pub async fn on_alipay(&self, n: TradeNotification) -> bool {
        match within_budget(self.store.alipay_notify(&n, &self.alipay_app_id)).await {
            Ok(o) => {
                self.count(o.effect);
                true
            }
            Err(e) => {
                eprintln!("ledger unavailable, answering failure (alipay will retry): {e}");
                false
            }
        }
    }
}

/// Bounds a ledger operation by [`BUDGET`].
async fn within_budget<T>(f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
    tokio::time::timeout(BUDGET, f)
        .await
        .map_err(|_| StoreError::Timeout(BUDGET))?
}

fn retry(e: &StoreError) -> BaiduAnswer {
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = format!("{reason}: {s}");
        source = s.source();
    }
    eprintln!("ledger unavailable, answering retry: {reason}");
    BaiduAnswer::Retry(RetryAnswer::new("busy"))
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

#[derive(Debug, Deserialize)]
struct NewOrder {
    tp_order_id: TpOrderId,
    total: Fen,
}

/// The router: four callback endpoints plus `POST /orders` (bearer token), `GET /orders/{id}`,
/// `GET /ledger.csv` (bearer token) and `GET /stats` (`{"effects":…,"duplicates":…}`).
pub fn router(app: App, baidu: BaiduNotifier, alipay: AlipayNotifier) -> Router {
    let (a1, a2, a3, a4) = (app.clone(), app.clone(), app.clone(), app.clone());
    Router::new()
        .route(
            "/notify/baidu/pay",
            baidu_route(baidu.clone(), BaiduKind::Payment, move |cb| {
                let app = a1.clone();
                async move {
                    after_ready_peers().await;
                    match cb {
                        BaiduCallback::Payment(n) => app.on_payment(n).await,
                        _ => BaiduAnswer::Retry(RetryAnswer::new("unexpected callback")),
                    }
                }
            }),
        )
        .route(
            "/notify/baidu/refund-audit",
            baidu_route(baidu.clone(), BaiduKind::RefundAudit, move |cb| {
                let app = a2.clone();
                async move {
                    after_ready_peers().await;
                    match cb {
                        BaiduCallback::RefundAudit(r) => app.on_refund_audit(r).await,
                        _ => BaiduAnswer::Retry(RetryAnswer::new("unexpected callback")),
                    }
                }
            }),
        )
        .route(
            "/notify/baidu/refund",
            baidu_route(baidu, BaiduKind::Refund, move |cb| {
                let app = a3.clone();
                async move {
                    after_ready_peers().await;
                    match cb {
                        BaiduCallback::Refund(r) => app.on_refund(r).await,
                        _ => BaiduAnswer::Retry(RetryAnswer::new("unexpected callback")),
                    }
                }
            }),
        )
        .route(
            "/notify/alipay",
            alipay_route(alipay, move |n| {
                let app = a4.clone();
                async move {
                    after_ready_peers().await;
                    app.on_alipay(n).await
                }
            }),
        )
        .route("/orders", post(create_order))
        .route("/stats", get(stats))
        .route("/orders/{id}", get(show_order))
        .route("/ledger.csv", get(ledger_csv))
        .with_state(app)
}

/// Lets the other requests that are ready on this worker be verified before this one is
/// applied and answered.
///
/// Verifying a callback is ~10-14 µs of CPU (one RSA verify). Without this, a worker under
/// load verifies one request, answers it, and often finds nothing new to do: it sleeps and is
/// woken for the next request, and so is the caller, once per answer. With it, the answers to
/// the requests that were ready together leave together, so both sides wake once per burst
/// (and, on SQLite, their transactions share one commit). It adds one scheduler pass of
/// latency, nothing against Baidu's 2-second budget, and it changes nothing about what is
/// applied.
async fn after_ready_peers() {
    tokio::task::yield_now().await;
}

async fn stats(State(app): State<App>) -> axum::Json<serde_json::Value> {
    let (effects, duplicates) = app.counters().await;
    axum::Json(serde_json::json!({ "effects": effects, "duplicates": duplicates }))
}

/// `None` when the request carries the configured bearer token; else the refusal.
fn unauthorized(app: &App, headers: &HeaderMap) -> Option<Response> {
    let Some(Token(expected)) = &app.orders_token else {
        return Some(
            (
                StatusCode::FORBIDDEN,
                "disabled: start the merchant with --orders-token (or MERCHANT_ORDERS_TOKEN)\n",
            )
                .into_response(),
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if constant_time_eq(given.as_bytes(), expected.as_bytes()) {
        None
    } else {
        Some(
            (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                "a bearer token is required\n",
            )
                .into_response(),
        )
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unavailable(e: &StoreError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "1")],
        format!("ledger unavailable: {e}\n"),
    )
        .into_response()
}

async fn create_order(
    State(app): State<App>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refusal) = unauthorized(&app, &headers) {
        return refusal;
    }
    let o: NewOrder = match serde_json::from_slice(&body) {
        Ok(o) => o,
        Err(e) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("expected {{\"tp_order_id\": ID, \"total\": FEN}}: {e}\n"),
            )
                .into_response();
        }
    };
    match app.create_order(o.tp_order_id, o.total).await {
        Ok(OrderCreated::Created) => (StatusCode::CREATED, "created\n").into_response(),
        Ok(_) => (StatusCode::OK, "exists\n").into_response(),
        Err(e @ OrderError::Conflict { .. }) => {
            (StatusCode::CONFLICT, format!("{e}\n")).into_response()
        }
        Err(OrderError::Ledger(_, e)) => unavailable(&e),
        Err(e) => (StatusCode::UNPROCESSABLE_ENTITY, format!("{e}\n")).into_response(),
    }
}

async fn show_order(
    State(app): State<App>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match TpOrderId::new(id) {
        Ok(id) => match app.order(&id).await {
            Ok(Some(o)) => axum::Json(o).into_response(),
            Ok(None) => StatusCode::NOT_FOUND.into_response(),
            Err(e) => unavailable(&e),
        },
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn ledger_csv(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Some(refusal) = unauthorized(&app, &headers) {
        return refusal;
    }
    match app.ledger_csv().await {
        Ok(csv) => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response(),
        Err(e) => unavailable(&e),
    }
}
