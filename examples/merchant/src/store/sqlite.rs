//! The embedded ledger: one SQLite file in WAL mode, written by one dedicated thread that
//! commits in groups.
//!
//! Handlers never block the async runtime on SQLite: each operation is a job sent to the
//! writer thread. The thread takes every job waiting (up to [`MAX_BATCH`]), runs them in one
//! `BEGIN IMMEDIATE` transaction, each inside its own savepoint (a job that fails is rolled back
//! alone), commits once, and only then hands each job its result: no answer precedes its
//! commit. `synchronous = FULL` by default ([`Synchronous`]), so a committed notify survives a
//! crash of the process and of the machine. Several processes may share the file: `BEGIN IMMEDIATE` takes SQLite's write lock
//! and `busy_timeout` waits for it (within the handlers' budget).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use baidupay_model::alipay::TradeNotification;
use baidupay_model::callback::{PaymentNotification, RefundAuditRequest, RefundNotification};
use baidupay_model::reconcile::Entry;
use baidupay_model::{Fen, OutRequestNo, TpOrderId};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, TransactionBehavior};

use super::sql::{self, Row, Tx, Value};
use super::{AuditAnswer, OrderCreated, Outcome, PayAnswer, RefundStart, Store, StoreError};
use crate::Order;

/// The most jobs committed together.
pub const MAX_BATCH: usize = 256;

/// How long a write waits for another process's write lock before giving up (the handler
/// then answers "retry").
pub const BUSY_TIMEOUT: Duration = Duration::from_millis(1000);

/// A job's result, delivered after the commit (with the commit's own result).
type Reply = Box<dyn FnOnce(Result<(), Arc<rusqlite::Error>>) + Send>;
/// A job runs in the batch's transaction, or gets `None` when the batch could not begin.
type Job = Box<dyn FnOnce(Option<&mut rusqlite::Transaction<'_>>) -> Reply + Send>;

/// When a commit reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Synchronous {
    /// `synchronous = FULL` (the default): each group commit is fsynced before its answers
    /// leave. An acknowledged notify survives a crash of the process, of the OS and a power
    /// loss. On a slow or shared disk the fsync bounds the throughput (at most one batch per
    /// fsync).
    #[default]
    Full,
    /// `synchronous = NORMAL` (`sqlite://FILE?synchronous=normal`): WAL commits are written,
    /// not fsynced (the WAL is fsynced at checkpoints). An acknowledged notify survives a crash
    /// (kill -9) of the process, not an OS crash or power loss: the last commits may be lost,
    /// and the platform then has an acknowledgement the ledger lacks.
    Normal,
}

/// The SQLite ledger (see the module docs).
#[derive(Debug)]
pub struct SqliteStore {
    jobs: mpsc::Sender<Job>,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating it if needed) the ledger file at `path`, migrates it and starts its
    /// writer thread. Blocking: call it before the runtime, or from `spawn_blocking`.
    ///
    /// # Errors
    /// [`StoreError`]: the file cannot be opened or migrated, the thread cannot start.
    pub fn open(path: impl AsRef<Path>, synchronous: Synchronous) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        let mut conn = connect(&path, synchronous)?;
        migrate(&mut conn)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("ledger-writer".into())
            .spawn(move || writer(conn, rx))
            .map_err(|e| StoreError::Open(Box::new(e)))?;
        Ok(Self { jobs, path })
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in the writer thread's current transaction; its result once committed.
    async fn run<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut SqliteTx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |tx| {
            // without a transaction, the reply carries the reason it could not begin
            let r = match tx {
                Some(tx) => in_savepoint(tx, f),
                None => Err(StoreError::Closed),
            };
            Box::new(move |commit| {
                let _ = done.send(commit.map_err(StoreError::Commit).and(r));
            })
        });
        self.jobs.send(job).map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }
}

/// Opens a connection with the ledger's settings.
fn connect(path: &Path, synchronous: Synchronous) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(StoreError::Sqlite)?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(StoreError::Sqlite)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(StoreError::Sqlite)?;
    let level = match synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", level)
        .map_err(StoreError::Sqlite)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(StoreError::Sqlite)?;
    // 64 MiB of page cache (the default is 2 MiB): the hot part of the indexes stays in memory
    conn.pragma_update(None, "cache_size", -65536)
        .map_err(StoreError::Sqlite)?;
    // checkpoints (which fsync the database file too) every ~40 MiB of WAL rather than 4 MiB:
    // the hot index pages are copied back once per checkpoint however often they changed
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)
        .map_err(StoreError::Sqlite)?;
    // every statement of the ledger stays prepared (the default keeps 16)
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(StoreError::Sqlite)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY)")
        .map_err(StoreError::Sqlite)?;
    let done: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(StoreError::Sqlite)?;
    for (i, m) in super::schema::sqlite().iter().enumerate() {
        let version = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if version > done {
            tx.execute_batch(m).map_err(StoreError::Sqlite)?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES (?1)",
                [version],
            )
            .map_err(StoreError::Sqlite)?;
        }
    }
    tx.commit().map_err(StoreError::Sqlite)
}

/// Runs `f` inside a savepoint of `tx`: a job that fails is rolled back alone.
fn in_savepoint<R>(
    tx: &mut rusqlite::Transaction<'_>,
    f: impl FnOnce(&mut SqliteTx<'_>) -> Result<R, StoreError>,
) -> Result<R, StoreError> {
    let step = |sql: &str| -> Result<(), StoreError> {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
            .map_err(StoreError::Sqlite)
    };
    step("SAVEPOINT job")?;
    let r = f(&mut SqliteTx(tx));
    let undone = if r.is_err() {
        step("ROLLBACK TO job")
    } else {
        Ok(())
    };
    if let Err(e) = undone.and_then(|()| step("RELEASE job")) {
        // the job's writes may still be in the transaction: the whole batch must not commit
        POISONED.with(|p| p.set(true));
        return Err(e);
    }
    r
}

thread_local! {
    /// Set when a job could not be rolled back: its batch is abandoned.
    static POISONED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The writer thread: group commit until every sender is gone.
fn writer(mut conn: Connection, jobs: mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                // busy (another process holds the lock past the timeout) or broken: every job
                // of the batch fails; its handler answers "retry"
                let e = Arc::new(e);
                for job in batch {
                    job(None)(Err(e.clone()));
                }
                continue;
            }
        };
        let replies: Vec<Reply> = batch.into_iter().map(|job| job(Some(&mut tx))).collect();
        let committed = if POISONED.with(|p| p.replace(false)) {
            drop(tx); // rolled back
            Err(Arc::new(rusqlite::Error::InvalidQuery))
        } else {
            tx.commit().map_err(Arc::new)
        };
        for reply in replies {
            reply(committed.clone());
        }
    }
}

/// A transaction (savepoint) on the writer thread.
struct SqliteTx<'a>(&'a Connection);

thread_local! {
    /// The SQLite spelling of each statement, made once (`&'static str` address and length → SQL).
    static SQLITE_SQL: std::cell::RefCell<std::collections::HashMap<(usize, usize), std::rc::Rc<str>>> =
        std::cell::RefCell::default();
}

/// `$1` → `?1` (the SQL is written for both engines), once per statement.
fn placeholders(sql: &'static str) -> std::rc::Rc<str> {
    SQLITE_SQL.with(|cache| {
        cache
            .borrow_mut()
            .entry((sql.as_ptr() as usize, sql.len()))
            .or_insert_with(|| sql.replace('$', "?").into())
            .clone()
    })
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

impl SqliteTx<'_> {
    fn exec_now(&self, sql: &'static str, params: &[Value]) -> Result<u64, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached(&placeholders(sql))
            .map_err(StoreError::Sqlite)?;
        let n = stmt
            .execute(rusqlite::params_from_iter(params))
            .map_err(StoreError::Sqlite)?;
        Ok(u64::try_from(n).unwrap_or(u64::MAX))
    }

    fn rows_now(&self, sql: &'static str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut stmt = self
            .0
            .prepare_cached(&placeholders(sql))
            .map_err(StoreError::Sqlite)?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(rusqlite::params_from_iter(params))
            .map_err(StoreError::Sqlite)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(StoreError::Sqlite)? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match r.get_ref(i).map_err(StoreError::Sqlite)? {
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Null => Value::Null,
                    _ => return Err(StoreError::Corrupt("a column of an unexpected type")),
                });
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

impl Tx for SqliteTx<'_> {
    fn exec(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        std::future::ready(self.exec_now(sql, params))
    }

    fn rows(
        &mut self,
        sql: &'static str,
        params: &[Value],
    ) -> impl Future<Output = Result<Vec<Row>, StoreError>> + Send {
        std::future::ready(self.rows_now(sql, params))
    }
}

/// Runs a future that never waits (the SQLite [`Tx`] answers at once) to completion.
fn now<R>(f: impl Future<Output = Result<R, StoreError>>) -> Result<R, StoreError> {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => Err(StoreError::Corrupt("a sqlite step that waits")),
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn create_order(&self, tp: &TpOrderId, total: Fen) -> Result<OrderCreated, StoreError> {
        let tp = tp.clone();
        self.run(move |tx| now(sql::create_order(tx, &tp, total)))
            .await
    }

    async fn create_orders(
        &self,
        orders: &[(TpOrderId, Fen)],
    ) -> Result<Vec<OrderCreated>, StoreError> {
        let orders = orders.to_vec();
        self.run(move |tx| now(sql::create_orders(tx, &orders)))
            .await
    }

    async fn order(&self, tp: &TpOrderId) -> Result<Option<Order>, StoreError> {
        let tp = tp.clone();
        self.run(move |tx| now(sql::order(tx, &tp))).await
    }

    async fn baidu_payment(
        &self,
        n: &PaymentNotification,
    ) -> Result<Outcome<PayAnswer>, StoreError> {
        let n = n.clone();
        self.run(move |tx| now(sql::baidu_payment(tx, &n))).await
    }

    async fn baidu_refund_audit(
        &self,
        r: &RefundAuditRequest,
    ) -> Result<Outcome<AuditAnswer>, StoreError> {
        let r = r.clone();
        self.run(move |tx| now(sql::baidu_refund_audit(tx, &r)))
            .await
    }

    async fn baidu_refund(&self, r: &RefundNotification) -> Result<Outcome<()>, StoreError> {
        let r = r.clone();
        self.run(move |tx| now(sql::baidu_refund(tx, &r))).await
    }

    async fn alipay_notify(
        &self,
        n: &TradeNotification,
        app_id: &str,
    ) -> Result<Outcome<()>, StoreError> {
        let (n, app_id) = (n.clone(), app_id.to_owned());
        self.run(move |tx| now(sql::alipay_notify(tx, &n, &app_id)))
            .await
    }

    async fn alipay_refund_start(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        amount: Fen,
    ) -> Result<RefundStart, StoreError> {
        let (tp, no) = (tp.clone(), out_request_no.clone());
        self.run(move |tx| now(sql::alipay_refund_start(tx, &tp, &no, amount)))
            .await
    }

    async fn alipay_refund_end(
        &self,
        tp: &TpOrderId,
        out_request_no: &OutRequestNo,
        succeeded: bool,
    ) -> Result<bool, StoreError> {
        let (tp, no) = (tp.clone(), out_request_no.clone());
        self.run(move |tx| now(sql::alipay_refund_end(tx, &tp, &no, succeeded)))
            .await
    }

    async fn ledger(&self) -> Result<Vec<Entry>, StoreError> {
        self.run(|tx| now(sql::ledger(tx))).await
    }
}
