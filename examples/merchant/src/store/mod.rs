//! The ledger behind one trait, three engines: SQLite (embedded, the default), PostgreSQL (several
//! instances on one database) and memory (the reference the load bench compares against).
//!
//! Every operation is one transaction. A notify's idempotency rests on unique keys (the notify
//! log's `(channel, notify_key)`: Baidu `orderId` / `refundBatchId`, Alipay `notify_id`; refunds'
//! `(channel, tp_order_id, refund_key)`: Baidu `refundBatchId`, Alipay `out_trade_no` +
//! `out_request_no`), so a duplicate, concurrent or replayed notify finds its key taken, changes
//! nothing and gets the first delivery's answer. The order and refund state machine is enforced
//! by the database (CHECK constraints and triggers, see [`schema`]), not only by this code.
//!
//! A result is returned only after its transaction committed: the handlers answer the platform
//! after that, never before.

use std::fmt;
use std::sync::Arc;

use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{PaymentNotification, RefundAuditRequest, RefundNotification};
use baidupay_model::reconcile::Entry;
use baidupay_model::{Fen, OutRequestNo, TpOrderId};

pub mod memory;
pub mod postgres;
pub mod schema;
mod sql;
pub mod sqlite;

pub use memory::MemoryStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::Order;

/// What a notify did to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Effect {
    /// Applied: the ledger changed (counts once per notify).
    Applied,
    /// Seen before (its key is taken): acknowledged, nothing changed.
    Duplicate,
    /// Seen for the first time and recorded, but nothing to apply (not an order of ours, a
    /// mismatch, a status that changes nothing).
    Recorded,
}

/// A notify's answer and what it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<A> {
    /// What to answer the platform (sent only after the commit).
    pub answer: A,
    /// What it did.
    pub effect: Effect,
}

impl<A> Outcome<A> {
    pub(crate) fn new(answer: A, effect: Effect) -> Self {
        Self { answer, effect }
    }
}

/// The answer to a Baidu payment notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayAnswer {
    /// `isConsumed: 2`: the payment is the merchant's.
    Consumed,
    /// `isErrorOrder: 1`: not an order of ours, a wrong amount or a second payment: Baidu refunds
    /// it.
    ErrorOrder,
}

impl PayAnswer {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            PayAnswer::Consumed => "consumed",
            PayAnswer::ErrorOrder => "error_order",
        }
    }
}

/// The answer to a Baidu refund audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuditAnswer {
    /// Approved for this amount (now pending on the order).
    Approved(Fen),
    /// Refused.
    Rejected,
}

/// What creating an order did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderCreated {
    /// A new order.
    Created,
    /// The same order (same id, same amount) was there already: nothing changed.
    AlreadyExists,
    /// The id is taken by an order of another amount: refused, nothing changed.
    Conflict {
        /// The existing order's amount.
        existing: Fen,
    },
}

/// Whether an Alipay refund may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefundStart {
    /// Recorded as pending (or it was pending already: this is its retry): send it.
    Send,
    /// Recorded as done already: send nothing.
    AlreadyDone,
    /// The `out_request_no` is used for another amount.
    Reused,
    /// The order is not an Alipay payment of this merchant (or is fully refunded).
    NotPaid,
    /// Zero, or more than is left to refund.
    Amount,
}

/// Why the ledger could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed.
    #[error("sqlite ledger failed")]
    Sqlite(#[source] rusqlite::Error),
    /// SQLite could not commit a batch of transactions (each of them failed).
    #[error("sqlite ledger: commit failed")]
    Commit(#[source] Arc<rusqlite::Error>),
    /// PostgreSQL failed (or could not be reached).
    #[error("postgresql ledger failed")]
    Postgres(#[source] tokio_postgres::Error),
    /// No PostgreSQL connection could be had from the pool.
    #[error("postgresql ledger: no connection")]
    Pool(#[source] deadpool_postgres::PoolError),
    /// The ledger did not answer within the handler's budget.
    #[error("the ledger did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The ledger's writer thread has stopped.
    #[error("the ledger has stopped")]
    Closed,
    /// The database URL is not one this example understands.
    #[error("unsupported database url {0:?}: use sqlite://FILE, postgres://... or memory://")]
    Url(String),
    /// A PostgreSQL URL that tokio-postgres cannot parse.
    #[error("bad postgresql url")]
    PostgresUrl(#[source] tokio_postgres::Error),
    /// An amount too large for the ledger's 64-bit signed columns.
    #[error("amount {0} fen does not fit the ledger")]
    Amount(u64),
    /// A row the ledger should not hold (a constraint was dropped by hand?).
    #[error("unexpected ledger content: {0}")]
    Corrupt(&'static str),
    /// Setting up the ledger (pool, writer thread) failed.
    #[error("cannot open the ledger")]
    Open(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The ledger, whichever engine holds it. Each method is one transaction, and returns only
/// after it committed.
#[async_trait::async_trait]
pub trait Store: Send + Sync + fmt::Debug + 'static {
    /// Creates an order, or finds the same one there already; never changes an existing order.
    async fn create_order(&self, tp: &TpOrderId, total: Fen) -> Result<OrderCreated, StoreError>;

    /// [`Store::create_order`] for many orders in one transaction (seeding).
    async fn create_orders(
        &self,
        orders: &[(TpOrderId, Fen)],
    ) -> Result<Vec<OrderCreated>, StoreError>;

    /// The order, if any.
    async fn order(&self, tp: &TpOrderId) -> Result<Option<Order>, StoreError>;

    /// Applies a verified Baidu payment notify once per `orderId`.
    async fn baidu_payment(
        &self,
        n: &PaymentNotification,
    ) -> Result<Outcome<PayAnswer>, StoreError>;

    /// Decides a Baidu refund audit once per `refundBatchId` (an approval is pending on the
    /// order until its refund notify).
    async fn baidu_refund_audit(
        &self,
        r: &RefundAuditRequest,
    ) -> Result<Outcome<AuditAnswer>, StoreError>;

    /// Applies a Baidu refund notify once per `refundBatchId`.
    async fn baidu_refund(&self, r: &RefundNotification) -> Result<Outcome<()>, StoreError>;

    /// Applies a verified Alipay notify once per `notify_id` (a payment, or the refund
    /// `out_trade_no` + `out_biz_no` this merchant recorded).
    async fn alipay_notify(
        &self,
        n: &TradeNotification,
        app_id: &str,
    ) -> Result<Outcome<()>, StoreError>;

    /// Records an Alipay refund as pending before it is sent (or finds it recorded).
    async fn alipay_refund_start(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        amount: Fen,
    ) -> Result<RefundStart, StoreError>;

    /// Records the end of a pending Alipay refund: done (its amount counts) or refused (its
    /// amount is released). `true` when this call changed the ledger.
    async fn alipay_refund_end(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        succeeded: bool,
    ) -> Result<bool, StoreError>;

    /// The ledger rows `baidupay reconcile` reads: every payment and every succeeded refund.
    async fn ledger(&self) -> Result<Vec<Entry>, StoreError>;
}

/// Opens the ledger at `url`: `sqlite://FILE` (created on first start; `?synchronous=normal`
/// trades durability against a power loss for throughput, see [`sqlite::Synchronous`]),
/// `postgres://...` / `postgresql://...`, or `memory://`. Runs the schema migrations.
///
/// # Errors
/// [`StoreError`]: an unknown scheme, a database that cannot be opened or migrated.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let synchronous = match query {
            "" | "synchronous=full" => sqlite::Synchronous::Full,
            "synchronous=normal" => sqlite::Synchronous::Normal,
            _ => return Err(StoreError::Url(url.to_owned())),
        };
        let path = path.to_owned();
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(path, synchronous))
            .await
            .map_err(|e| StoreError::Open(Box::new(e)))??;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else if url == "memory://" || url == "memory:" {
        Ok(Arc::new(MemoryStore::default()))
    } else {
        Err(StoreError::Url(url.to_owned()))
    }
}

/// Fen as the ledger stores them (`BIGINT`).
pub(crate) fn fen_to_db(fen: Fen) -> Result<i64, StoreError> {
    i64::try_from(fen.get()).map_err(|_| StoreError::Amount(fen.get()))
}

/// Fen read back from the ledger.
pub(crate) fn fen_from_db(v: i64) -> Result<Fen, StoreError> {
    u64::try_from(v)
        .map(Fen::new)
        .map_err(|_| StoreError::Corrupt("a negative amount"))
}
