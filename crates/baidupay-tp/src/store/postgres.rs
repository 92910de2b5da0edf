//! [`PostgresTokenStore`]: the store shared by the processes of several machines.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use baidupay_model::Secret;
use tokio_postgres::config::Host;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, GenericClient, NoTls, Socket, Statement};

use super::{Lease, Row, StoreError, TokenKey, TokenRecord, TokenStore, Tokens};

/// How long a connection attempt may take when the configuration sets no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a statement waits for another instance's row lock before it fails (the session's
/// `lock_timeout`; the SQLite store's busy timeout).
const LOCK_TIMEOUT: &str = "10s";

/// The advisory lock that serializes the schema migration of instances starting at once
/// (`pg_advisory_xact_lock`, database-wide; the bytes spell `bptptoks`).
const MIGRATION_LOCK: i64 = 0x6270_7470_746f_6b73;

/// The schema's versions, applied in order, each once, and recorded in
/// `baidupay_tp_migrations`.
const MIGRATIONS: &[(i32, &str)] = &[(
    1,
    "CREATE TABLE baidupay_tp_ticket (
         id     INTEGER PRIMARY KEY CHECK (id = 1),
         ticket TEXT NOT NULL
     );
     CREATE TABLE baidupay_tp_tokens (
         key           TEXT PRIMARY KEY,
         access_token  TEXT,
         refresh_token TEXT,
         expires_at    BIGINT,
         refresh_at    BIGINT,
         version       BIGINT NOT NULL DEFAULT 0,
         lease_holder  TEXT,
         lease_until   BIGINT
     );",
)];

/// The future of one connection attempt.
type Connecting = Pin<Box<dyn Future<Output = Result<Client, tokio_postgres::Error>> + Send>>;

/// Opens a connection with the TLS connector given to [`PostgresTokenStore::connect_with`] and
/// drives it on a Tokio task.
type Connector = Arc<dyn Fn(Config) -> Connecting + Send + Sync>;

/// A [`TokenStore`] in a PostgreSQL database (feature `postgres`), shared by every process of
/// the TP on every machine: each operation that changes a token is one transaction that locks
/// the token's row (`SELECT … FOR UPDATE`), applies the refresh protocol's rules and writes
/// the row back, so exactly one instance wins a refresh lease and no state is kept in the
/// process.
///
/// Each store holds one connection (the operations of one process take turns on it; none
/// waits on the network while it holds a row lock); a connection that dropped is opened
/// again on the next operation, and an operation that found its connection dead before it
/// committed is run once more on a new one. A row lock held by another instance is waited for
/// up to 10 seconds (`lock_timeout`); connecting gives up after 10 seconds unless the
/// configuration says otherwise.
///
/// [`PostgresTokenStore::connect`] creates the tables if they are missing: a versioned
/// migration run under an advisory lock, so that instances starting at once apply it once.
/// They go to the first schema of the `search_path` (choose one with
/// `options=-csearch_path%3Dtp` in the URL); the role needs `CREATE` there on the first start,
/// then only `SELECT`, `INSERT` and `UPDATE`:
///
/// ```sql
/// -- the applied schema versions (1: the two tables below)
/// CREATE TABLE baidupay_tp_migrations (version INTEGER PRIMARY KEY,
///                                      applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
/// -- the latest pushed ticket (one row)
/// CREATE TABLE baidupay_tp_ticket (id INTEGER PRIMARY KEY CHECK (id = 1), ticket TEXT NOT NULL);
/// -- one row per token: key 'component' or 'authorizer:<app_id>'
/// CREATE TABLE baidupay_tp_tokens (
///     key           TEXT PRIMARY KEY,
///     access_token  TEXT,               -- NULL until the first token
///     refresh_token TEXT,               -- authorizer tokens only; single use
///     expires_at    BIGINT,             -- of the access token, Unix seconds
///     refresh_at    BIGINT,             -- when it is due for a refresh, Unix seconds
///     version       BIGINT NOT NULL DEFAULT 0, -- bumped by every write of tokens
///     lease_holder  TEXT,               -- who is refreshing (NULL: nobody)
///     lease_until   BIGINT              -- Unix seconds; a lease run out may be taken over
/// );
/// ```
///
/// The tokens are stored in clear: restrict the tables to the TP's role. The tables hold one
/// TP's tokens: give each TP a database (or a schema) of its own.
///
/// # TLS
///
/// [`PostgresTokenStore::connect`] speaks plain TCP (or a Unix socket): right for a database
/// on the same host or a private network. Across a network you do not trust, hand a
/// tokio-postgres TLS connector to [`PostgresTokenStore::connect_with`], e.g.
/// `tokio_postgres_rustls::MakeRustlsConnect` (crate `tokio-postgres-rustls` 0.14, on the
/// rustls 0.23 this workspace uses, with its `ring` feature) or `postgres_openssl`'s
/// `MakeTlsConnector`, and put `sslmode=require` in the URL. This crate depends on neither.
///
/// ```no_run
/// # async fn f() -> Result<(), baidupay_tp::store::StoreError> {
/// use baidupay_tp::store::PostgresTokenStore;
/// let store = PostgresTokenStore::connect("postgres://tp@db.internal/tp").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresTokenStore {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    connect: Connector,
    /// The connection; `None` after it failed, until the next operation opens another.
    conn: tokio::sync::Mutex<Option<Conn>>,
}

/// A connection and its prepared statements (one round trip each instead of two).
struct Conn {
    client: Client,
    ticket: Statement,
    set_ticket: Statement,
    load: Statement,
    lock_row: Statement,
    create_row: Statement,
    write_row: Statement,
}

impl Conn {
    async fn prepare(client: Client) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            ticket: client
                .prepare("SELECT ticket FROM baidupay_tp_ticket WHERE id = 1")
                .await?,
            set_ticket: client
                .prepare(
                    "INSERT INTO baidupay_tp_ticket (id, ticket) VALUES (1, $1)
                     ON CONFLICT (id) DO UPDATE SET ticket = excluded.ticket",
                )
                .await?,
            load: client
                .prepare(&format!("{SELECT_ROW} WHERE key = $1"))
                .await?,
            lock_row: client
                .prepare(&format!("{SELECT_ROW} WHERE key = $1 FOR UPDATE"))
                .await?,
            create_row: client
                .prepare(
                    "INSERT INTO baidupay_tp_tokens (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
                )
                .await?,
            write_row: client
                .prepare(
                    "UPDATE baidupay_tp_tokens SET
                         access_token = $2, refresh_token = $3, expires_at = $4,
                         refresh_at = $5, version = $6, lease_holder = $7, lease_until = $8
                     WHERE key = $1",
                )
                .await?,
            client,
        })
    }
}

/// A token row's columns, in the order [`read_row`] reads them.
const SELECT_ROW: &str = "SELECT access_token, refresh_token, expires_at, refresh_at, version,
                                 lease_holder, lease_until
                          FROM baidupay_tp_tokens";

impl fmt::Debug for PostgresTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        describe(&self.inner.config, f.debug_struct("PostgresTokenStore")).finish_non_exhaustive()
    }
}

/// The configuration's user, hosts, ports and database name (never the password).
fn describe<'a, 'b>(config: &Config, mut d: fmt::DebugStruct<'a, 'b>) -> fmt::DebugStruct<'a, 'b> {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    d.field("user", &config.get_user())
        .field("hosts", &hosts)
        .field("ports", &config.get_ports())
        .field("dbname", &config.get_dbname());
    d
}

/// Why one attempt at an operation failed.
struct Attempt {
    error: tokio_postgres::Error,
    /// Nothing was committed (a read, or a transaction that failed before `COMMIT`): safe to
    /// run again on a new connection.
    rolled_back: bool,
}

impl Attempt {
    fn rolled_back(error: tokio_postgres::Error) -> Self {
        Self {
            error,
            rolled_back: true,
        }
    }

    fn unknown(error: tokio_postgres::Error) -> Self {
        Self {
            error,
            rolled_back: false,
        }
    }
}

/// The database's schema is newer than this build knows.
#[derive(Debug, thiserror::Error)]
#[error("the database's token-store schema is at version {found}; this build knows up to {known}")]
struct SchemaTooNew {
    found: i32,
    known: i32,
}

impl PostgresTokenStore {
    /// Connects without TLS to the database at `url` (`postgres://user[:password]@host[:port]/db`
    /// or `host=… user=… dbname=…`) and creates the store's tables if they are missing.
    ///
    /// # Errors
    /// The URL does not parse, the connection or the migration failed, or the database's
    /// schema is newer than this build knows.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: Config = url.parse().map_err(|e| StoreError::new("connect", e))?;
        Self::connect_with(config, NoTls).await
    }

    /// Connects with `config` through the TLS connector `tls` (see the type's docs), and
    /// creates the store's tables if they are missing.
    ///
    /// # Errors
    /// As [`PostgresTokenStore::connect`].
    pub async fn connect_with<T>(mut config: Config, tls: T) -> Result<Self, StoreError>
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let connect: Connector = Arc::new(move |config: Config| {
            let tls = tls.clone();
            Box::pin(async move {
                let (client, connection) = config.connect(tls).await?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::warn!(
                            error = &e as &dyn std::error::Error,
                            "token store: the PostgreSQL connection failed"
                        );
                    }
                });
                client
                    .batch_execute(&format!("SET lock_timeout = '{LOCK_TIMEOUT}'"))
                    .await?;
                Ok(client)
            })
        });
        let mut client = connect(config.clone())
            .await
            .map_err(|e| StoreError::new("connect", e))?;
        migrate(&mut client)
            .await
            .map_err(|e| StoreError::new("migrate", e))?;
        let conn = Conn::prepare(client)
            .await
            .map_err(|e| StoreError::new("connect", e))?;
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                connect,
                conn: tokio::sync::Mutex::new(Some(conn)),
            }),
        })
    }

    /// Runs `op` on the connection (opening one if there is none or it closed); runs it once
    /// more on a new connection if the first attempt found its connection dead and nothing was
    /// committed.
    async fn run<O: Operation>(&self, op: O) -> Result<O::Output, StoreError> {
        let operation = op.name();
        let mut slot = self.inner.conn.lock().await;
        let mut retried = false;
        loop {
            if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
                *slot = None;
                let client = (self.inner.connect)(self.inner.config.clone())
                    .await
                    .map_err(|e| StoreError::new(operation, e))?;
                let conn = Conn::prepare(client)
                    .await
                    .map_err(|e| StoreError::new(operation, e))?;
                tracing::info!("token store: connected to PostgreSQL again");
                *slot = Some(conn);
            }
            let Some(conn) = slot.as_mut() else {
                continue;
            };
            match op.attempt(conn).await {
                Ok(out) => return Ok(out),
                Err(failed) => {
                    // a FATAL error (the server ending the session) closes the connection
                    let fatal = failed
                        .error
                        .as_db_error()
                        .is_some_and(|e| e.severity() == "FATAL");
                    let closed = fatal || failed.error.is_closed() || conn.client.is_closed();
                    if closed {
                        *slot = None;
                    }
                    if closed && failed.rolled_back && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(StoreError::new(operation, failed.error));
                }
            }
        }
    }
}

/// One store operation, which [`PostgresTokenStore::run`] may attempt twice.
trait Operation: Sync {
    type Output: Send;

    /// The operation's name in a [`StoreError`].
    fn name(&self) -> &'static str;

    /// One attempt on `conn`.
    fn attempt<'c>(
        &'c self,
        conn: &'c mut Conn,
    ) -> impl Future<Output = Result<Self::Output, Attempt>> + Send + 'c;
}

/// `set_ticket`: one statement, the same value each time, so safe to run again.
struct SetTicket<'a>(&'a Secret);

impl Operation for SetTicket<'_> {
    type Output = ();

    fn name(&self) -> &'static str {
        "set_ticket"
    }

    async fn attempt(&self, conn: &mut Conn) -> Result<(), Attempt> {
        conn.client
            .execute(&conn.set_ticket, &[&self.0.expose()])
            .await
            .map(drop)
            .map_err(Attempt::rolled_back)
    }
}

/// `ticket`.
struct GetTicket;

impl Operation for GetTicket {
    type Output = Option<Secret>;

    fn name(&self) -> &'static str {
        "ticket"
    }

    async fn attempt(&self, conn: &mut Conn) -> Result<Option<Secret>, Attempt> {
        let row = conn
            .client
            .query_opt(&conn.ticket, &[])
            .await
            .map_err(Attempt::rolled_back)?;
        row.map(|r| r.try_get::<_, String>(0).map(Secret::new))
            .transpose()
            .map_err(Attempt::rolled_back)
    }
}

/// `load`.
struct Load(String);

impl Operation for Load {
    type Output = Option<TokenRecord>;

    fn name(&self) -> &'static str {
        "load"
    }

    async fn attempt(&self, conn: &mut Conn) -> Result<Option<TokenRecord>, Attempt> {
        Ok(read_row(&conn.client, &conn.load, &self.0)
            .await
            .map_err(Attempt::rolled_back)?
            .and_then(|row| row.record()))
    }
}

/// Locks a key's row (creating it empty if missing), applies `change` and writes the row back
/// if it changed, in one transaction.
struct WithRow<F> {
    name: &'static str,
    key: String,
    change: F,
}

impl<F, T> WithRow<F>
where
    F: Fn(&mut Row) -> T + Sync,
    T: Send,
{
    fn new(name: &'static str, key: TokenKey, change: F) -> Self {
        Self {
            name,
            key: key.to_string(),
            change,
        }
    }
}

impl<F, T> Operation for WithRow<F>
where
    F: Fn(&mut Row) -> T + Sync,
    T: Send,
{
    type Output = T;

    fn name(&self) -> &'static str {
        self.name
    }

    // not an `async fn`: that would need `T: 'c`, which the trait cannot ask for
    #[allow(clippy::manual_async_fn)]
    fn attempt<'c>(
        &'c self,
        conn: &'c mut Conn,
    ) -> impl Future<Output = Result<T, Attempt>> + Send + 'c {
        async move {
            let tx = conn
                .client
                .transaction()
                .await
                .map_err(Attempt::rolled_back)?;
            tx.execute(&conn.create_row, &[&self.key])
                .await
                .map_err(Attempt::rolled_back)?;
            let before = read_row(&tx, &conn.lock_row, &self.key)
                .await
                .map_err(Attempt::rolled_back)?
                .unwrap_or_default();
            let mut row = before.clone();
            let out = (self.change)(&mut row);
            if row != before {
                write_row(&tx, &conn.write_row, &self.key, &row)
                    .await
                    .map_err(Attempt::rolled_back)?;
            }
            tx.commit().await.map_err(Attempt::unknown)?;
            Ok(out)
        }
    }
}

/// Applies the migrations the database lacks, under the migration lock.
async fn migrate(client: &mut Client) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS baidupay_tp_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let found: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM baidupay_tp_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if found > known {
        return Err(SchemaTooNew { found, known }.into());
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO baidupay_tp_migrations (version) VALUES ($1)",
            &[version],
        )
        .await?;
        tracing::info!(version, "token store: PostgreSQL schema migrated");
    }
    tx.commit().await?;
    Ok(())
}

/// `key`'s row through `select` (one of [`SELECT_ROW`]'s statements).
async fn read_row(
    client: &impl GenericClient,
    select: &Statement,
    key: &str,
) -> Result<Option<Row>, tokio_postgres::Error> {
    let Some(r) = client.query_opt(select, &[&key]).await? else {
        return Ok(None);
    };
    let access: Option<String> = r.try_get(0)?;
    let refresh: Option<String> = r.try_get(1)?;
    let expires_at: Option<i64> = r.try_get(2)?;
    let refresh_at: Option<i64> = r.try_get(3)?;
    let version: i64 = r.try_get(4)?;
    let holder: Option<String> = r.try_get(5)?;
    let until: Option<i64> = r.try_get(6)?;
    Ok(Some(Row {
        tokens: access.map(|a| {
            let mut t = Tokens::new(
                Secret::new(a),
                refresh.map(Secret::new),
                expires_at.unwrap_or(0),
            );
            t.refresh_at = refresh_at.unwrap_or(t.refresh_at);
            t
        }),
        version: u64::try_from(version).unwrap_or(0),
        lease: holder.map(|h| (h, until.unwrap_or(0))),
    }))
}

async fn write_row(
    client: &impl GenericClient,
    update: &Statement,
    key: &str,
    row: &Row,
) -> Result<(), tokio_postgres::Error> {
    let tokens = row.tokens.as_ref();
    let access = tokens.map(|t| t.access_token.expose());
    let refresh = tokens
        .and_then(|t| t.refresh_token.as_ref())
        .map(Secret::expose);
    let expires_at = tokens.map(|t| t.expires_at);
    let refresh_at = tokens.map(|t| t.refresh_at);
    let version = i64::try_from(row.version).unwrap_or(i64::MAX);
    let holder = row.lease.as_ref().map(|(h, _)| h.as_str());
    let until = row.lease.as_ref().map(|(_, u)| *u);
    let params: [&(dyn ToSql + Sync); 8] = [
        &key,
        &access,
        &refresh,
        &expires_at,
        &refresh_at,
        &version,
        &holder,
        &until,
    ];
    client.execute(update, &params).await?;
    Ok(())
}

#[async_trait::async_trait]
impl TokenStore for PostgresTokenStore {
    async fn set_ticket(&self, ticket: &Secret) -> Result<(), StoreError> {
        self.run(SetTicket(ticket)).await
    }

    async fn ticket(&self) -> Result<Option<Secret>, StoreError> {
        self.run(GetTicket).await
    }

    async fn load(&self, key: TokenKey) -> Result<Option<TokenRecord>, StoreError> {
        self.run(Load(key.to_string())).await
    }

    async fn put(&self, key: TokenKey, tokens: &Tokens) -> Result<TokenRecord, StoreError> {
        self.run(WithRow::new("put", key, |row: &mut Row| row.put(tokens)))
            .await
    }

    async fn begin_refresh(
        &self,
        key: TokenKey,
        seen_version: u64,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Lease, StoreError> {
        self.run(WithRow::new("begin_refresh", key, |row: &mut Row| {
            row.begin(seen_version, holder, now, lease_until)
        }))
        .await
    }

    async fn finish_refresh(
        &self,
        key: TokenKey,
        holder: &str,
        seen_version: u64,
        tokens: &Tokens,
    ) -> Result<Option<TokenRecord>, StoreError> {
        self.run(WithRow::new("finish_refresh", key, |row: &mut Row| {
            row.finish(holder, seen_version, tokens)
        }))
        .await
    }

    async fn abort_refresh(&self, key: TokenKey, holder: &str) -> Result<(), StoreError> {
        self.run(WithRow::new("abort_refresh", key, |row: &mut Row| {
            row.abort(holder)
        }))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_no_password() {
        let config: Config = "postgres://tp:hunter2@db.internal:5433/tokens"
            .parse()
            .unwrap();
        struct D(Config);
        impl fmt::Debug for D {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                describe(&self.0, f.debug_struct("S")).finish_non_exhaustive()
            }
        }
        let shown = format!("{:?}", D(config));
        assert_eq!(
            shown,
            r#"S { user: Some("tp"), hosts: ["db.internal"], ports: [5433], dbname: Some("tokens"), .. }"#
        );
        assert!(!shown.contains("hunter2"));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_store_error_with_its_cause() {
        // port 1 on loopback: nothing listens there
        let e = PostgresTokenStore::connect("postgres://tp@127.0.0.1:1/tp?connect_timeout=5")
            .await
            .unwrap_err();
        assert_eq!(e.operation(), "connect");
        assert_eq!(e.to_string(), "token store: connect failed");
        assert!(std::error::Error::source(&e).is_some());
        let e = PostgresTokenStore::connect("postgres://tp@[::1/x")
            .await
            .unwrap_err();
        assert_eq!(e.operation(), "connect");
        assert!(std::error::Error::source(&e).is_some());
    }
}
