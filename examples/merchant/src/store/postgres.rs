//! The PostgreSQL ledger: several merchant instances on one database.
//!
//! Each operation is one `READ COMMITTED` transaction on a pooled connection
//! (deadpool-postgres). Concurrent deliveries of the same notify meet at the notify log's
//! primary key: the second `INSERT ... ON CONFLICT DO NOTHING` waits for the first transaction
//! and then finds the key taken; state changes are guarded `UPDATE`s, re-checked by PostgreSQL
//! against the row's latest version. A serialization failure or deadlock is retried (within the
//! handler's budget). Connections are plain TCP (`NoTls`): on anything but loopback, put TLS in
//! front (e.g. `tokio-postgres-rustls` as the `MakeTlsConnect` of the pool; not wired here).

use std::future::Future;
use std::time::Duration;

use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{PaymentNotification, RefundAuditRequest, RefundNotification};
use baidupay_model::reconcile::Entry;
use baidupay_model::{Fen, OutRequestNo, TpOrderId};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};

use super::sql::{self, Row, Tx, Value};
use super::{AuditAnswer, OrderCreated, Outcome, PayAnswer, RefundStart, Store, StoreError};
use crate::Order;

/// Connections per instance.
pub const POOL_SIZE: usize = 16;

/// How long connecting (or waiting for a free connection) may take before the operation fails
/// (and the handler answers "retry").
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);

/// Serialization failures and deadlocks are retried this many times.
const ATTEMPTS: u32 = 3;

/// Any number: the lock that serializes the migrations of instances starting together.
const MIGRATION_LOCK: i64 = 0x6261_6964_7570_6179;

/// The PostgreSQL ledger (see the module docs).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`), migrates the schema and keeps a
    /// pool of up to [`POOL_SIZE`] connections.
    ///
    /// # Errors
    /// [`StoreError`]: a bad URL, an unreachable database, a failed migration.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url.parse().map_err(StoreError::PostgresUrl)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config.keepalives(true);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Open(Box::new(e)))?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(StoreError::Pool)?;
        let tx = client.transaction().await.map_err(StoreError::Postgres)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(StoreError::Postgres)?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)",
        )
        .await
        .map_err(StoreError::Postgres)?;
        let done: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(StoreError::Postgres)?
            .try_get(0)
            .map_err(StoreError::Postgres)?;
        for (i, m) in super::schema::postgres().iter().enumerate() {
            let version = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
            if version > done {
                tx.batch_execute(m).await.map_err(StoreError::Postgres)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[&version],
                )
                .await
                .map_err(StoreError::Postgres)?;
            }
        }
        tx.commit().await.map_err(StoreError::Postgres)
    }
}

/// Whether a failed transaction may simply be run again.
fn retryable(e: &StoreError) -> bool {
    matches!(e, StoreError::Postgres(e)
        if e.code() == Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            || e.code() == Some(&SqlState::T_R_DEADLOCK_DETECTED))
}

/// Runs `$body` (an expression using the transaction `$t: &mut PgTx`) in a transaction,
/// commits, and retries serialization failures.
macro_rules! in_tx {
    ($self:ident, |$t:ident| $body:expr) => {{
        let mut attempt = 1;
        loop {
            let r = async {
                let mut client = $self.pool.get().await.map_err(StoreError::Pool)?;
                let tx = client.transaction().await.map_err(StoreError::Postgres)?;
                let r = {
                    let $t = &mut PgTx(&tx);
                    $body.await
                };
                match r {
                    Ok(v) => {
                        tx.commit().await.map_err(StoreError::Postgres)?;
                        Ok(v)
                    }
                    Err(e) => {
                        let _ = tx.rollback().await;
                        Err(e)
                    }
                }
            }
            .await;
            match r {
                Err(e) if attempt < ATTEMPTS && retryable(&e) => attempt += 1,
                r => break r,
            }
        }
    }};
}

struct PgTx<'a, 'b>(&'a deadpool_postgres::Transaction<'b>);

fn bind(params: &[Value]) -> Vec<Box<dyn ToSql + Send + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Send + Sync> {
            match p {
                Value::Int(v) => Box::new(*v),
                Value::Text(s) => Box::new(s.clone()),
                Value::Null => Box::new(Option::<String>::None),
            }
        })
        .collect()
}

fn read(row: &tokio_postgres::Row) -> Result<Row, StoreError> {
    let mut values = Vec::with_capacity(row.len());
    for (i, c) in row.columns().iter().enumerate() {
        let get = |e| StoreError::Postgres(e);
        let v = match *c.type_() {
            Type::INT8 => row
                .try_get::<_, Option<i64>>(i)
                .map_err(get)?
                .map(Value::Int),
            Type::INT4 => row
                .try_get::<_, Option<i32>>(i)
                .map_err(get)?
                .map(|v| Value::Int(v.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => row
                .try_get::<_, Option<String>>(i)
                .map_err(get)?
                .map(Value::Text),
            _ => return Err(StoreError::Corrupt("a column of an unexpected type")),
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl Tx for PgTx<'_, '_> {
    fn exec(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        let (tx, params) = (self.0, bind(params));
        async move {
            let stmt = tx.prepare_cached(sql).await.map_err(StoreError::Postgres)?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            tx.execute(&stmt, &refs).await.map_err(StoreError::Postgres)
        }
    }

    fn rows(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>, StoreError>> + Send {
        let (tx, params) = (self.0, bind(params));
        async move {
            let stmt = tx.prepare_cached(sql).await.map_err(StoreError::Postgres)?;
            let refs: Vec<&(dyn ToSql + Sync)> = params
                .iter()
                .map(|p| p.as_ref() as &(dyn ToSql + Sync))
                .collect();
            tx.query(&stmt, &refs)
                .await
                .map_err(StoreError::Postgres)?
                .iter()
                .map(read)
                .collect()
        }
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn create_order(&self, tp: &TpOrderId, total: Fen) -> Result<OrderCreated, StoreError> {
        in_tx!(self, |t| sql::create_order(t, tp, total))
    }

    async fn create_orders(
        &self,
        orders: &[(TpOrderId, Fen)],
    ) -> Result<Vec<OrderCreated>, StoreError> {
        in_tx!(self, |t| sql::create_orders(t, orders))
    }

    async fn order(&self, tp: &TpOrderId) -> Result<Option<Order>, StoreError> {
        in_tx!(self, |t| sql::order(t, tp))
    }

    async fn baidu_payment(
        &self,
        n: &PaymentNotification,
    ) -> Result<Outcome<PayAnswer>, StoreError> {
        in_tx!(self, |t| sql::baidu_payment(t, n))
    }

    async fn baidu_refund_audit(
        &self,
        r: &RefundAuditRequest,
    ) -> Result<Outcome<AuditAnswer>, StoreError> {
        in_tx!(self, |t| sql::baidu_refund_audit(t, r))
    }

    async fn baidu_refund(&self, r: &RefundNotification) -> Result<Outcome<()>, StoreError> {
        in_tx!(self, |t| sql::baidu_refund(t, r))
    }

    async fn alipay_notify(
        &self,
        n: &TradeNotification,
        app_id: &str,
    ) -> Result<Outcome<()>, StoreError> {
        in_tx!(self, |t| sql::alipay_notify(t, n, app_id))
    }

    async fn alipay_refund_start(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        amount: Fen,
    ) -> Result<RefundStart, StoreError> {
        in_tx!(self, |t| sql::alipay_refund_start(
            t,
            tp,
            out_request_no,
            amount
        ))
    }

    async fn alipay_refund_end(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        succeeded: bool,
    ) -> Result<bool, StoreError> {
        in_tx!(self, |t| sql::alipay_refund_end(
            t,
            tp,
            out_request_no,
            succeeded
        ))
    }

    async fn ledger(&self) -> Result<Vec<Entry>, StoreError> {
        in_tx!(self, |t| sql::ledger(t))
    }
}
