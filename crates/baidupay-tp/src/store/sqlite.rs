//! [`SqliteTokenStore`]: the store shared by the processes of one machine.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baidupay_model::Secret;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Lease, Row, StoreError, TokenKey, TokenRecord, TokenStore, Tokens};

/// How long a transaction waits for another process's transaction before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, created when a store is opened (`PRAGMA user_version` 1).
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tp_ticket (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    ticket TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tp_tokens (
    key           TEXT PRIMARY KEY,
    access_token  TEXT,
    refresh_token TEXT,
    expires_at    INTEGER,
    refresh_at    INTEGER,
    version       INTEGER NOT NULL DEFAULT 0,
    lease_holder  TEXT,
    lease_until   INTEGER
);
PRAGMA user_version = 1;
";

/// A [`TokenStore`] in an SQLite file (compiled in; feature `sqlite`, on by default), shared by
/// every process of the TP on one machine: each operation is one `BEGIN IMMEDIATE`
/// transaction, so the refresh protocol's compare-and-swap holds across processes. Blocking
/// SQLite calls run on Tokio's blocking pool.
///
/// The file is created readable and writable by its owner only (0600): it holds the tokens in
/// clear. The database runs in WAL mode and waits up to 10 seconds for another process's
/// transaction. Schema (created on open):
///
/// ```sql
/// -- the latest pushed ticket (one row)
/// CREATE TABLE tp_ticket (id INTEGER PRIMARY KEY CHECK (id = 1), ticket TEXT NOT NULL);
/// -- one row per token: key 'component' or 'authorizer:<app_id>'
/// CREATE TABLE tp_tokens (
///     key           TEXT PRIMARY KEY,
///     access_token  TEXT,               -- NULL until the first token
///     refresh_token TEXT,               -- authorizer tokens only; single use
///     expires_at    INTEGER,            -- of the access token, Unix seconds
///     refresh_at    INTEGER,            -- when it is due for a refresh, Unix seconds
///     version       INTEGER NOT NULL DEFAULT 0, -- bumped by every write of tokens
///     lease_holder  TEXT,               -- who is refreshing (NULL: nobody)
///     lease_until   INTEGER             -- Unix seconds; a lease run out may be taken over
/// );
/// ```
#[derive(Clone)]
pub struct SqliteTokenStore {
    path: PathBuf,
    conn: Arc<Mutex<Connection>>,
}

impl fmt::Debug for SqliteTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteTokenStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteTokenStore {
    /// Opens (creating it, mode 0600, with its schema) the store in the file at `path`. Each
    /// process opens its own; they share the file.
    ///
    /// # Errors
    /// The file cannot be created or opened, or is not a database of this schema.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_owned();
        let opened = path.clone();
        let conn = tokio::task::spawn_blocking(move || open(&opened))
            .await
            .map_err(|e| StoreError::new("open", e))??;
        Ok(Self {
            path,
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection on the blocking pool.
    async fn run<T: Send + 'static>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // a panic inside a transaction rolled it back: the connection is usable
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::new(operation, e))?
        .map_err(|e| StoreError::new(operation, e))
    }

    /// Reads `key`'s row, applies `f` and writes the row back if it changed, in one
    /// `BEGIN IMMEDIATE` transaction.
    async fn with_row<T: Send + 'static>(
        &self,
        operation: &'static str,
        key: TokenKey,
        f: impl FnOnce(&mut Row) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let key = key.to_string();
        self.run(operation, move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let before = read_row(&tx, &key)?.unwrap_or_default();
            let mut row = before.clone();
            let out = f(&mut row);
            if row != before {
                write_row(&tx, &key, &row)?;
            }
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| StoreError::new("open", e))?;
    }
    let setup = |conn: &Connection| -> rusqlite::Result<()> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        conn.execute_batch(SCHEMA)
    };
    let conn = Connection::open(path).map_err(|e| StoreError::new("open", e))?;
    setup(&conn).map_err(|e| StoreError::new("open", e))?;
    Ok(conn)
}

fn read_row(conn: &Connection, key: &str) -> rusqlite::Result<Option<Row>> {
    conn.query_row(
        "SELECT access_token, refresh_token, expires_at, version, lease_holder, lease_until,
                refresh_at
         FROM tp_tokens WHERE key = ?1",
        [key],
        |r| {
            let access: Option<String> = r.get(0)?;
            let refresh: Option<String> = r.get(1)?;
            let expires_at: Option<i64> = r.get(2)?;
            let version: i64 = r.get(3)?;
            let holder: Option<String> = r.get(4)?;
            let until: Option<i64> = r.get(5)?;
            let refresh_at: Option<i64> = r.get(6)?;
            Ok(Row {
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
            })
        },
    )
    .optional()
}

fn write_row(conn: &Connection, key: &str, row: &Row) -> rusqlite::Result<()> {
    let tokens = row.tokens.as_ref();
    conn.execute(
        "INSERT INTO tp_tokens
             (key, access_token, refresh_token, expires_at, version, lease_holder, lease_until,
              refresh_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (key) DO UPDATE SET
             access_token = excluded.access_token, refresh_token = excluded.refresh_token,
             expires_at = excluded.expires_at, version = excluded.version,
             lease_holder = excluded.lease_holder, lease_until = excluded.lease_until,
             refresh_at = excluded.refresh_at",
        params![
            key,
            tokens.map(|t| t.access_token.expose()),
            tokens
                .and_then(|t| t.refresh_token.as_ref())
                .map(Secret::expose),
            tokens.map(|t| t.expires_at),
            i64::try_from(row.version).unwrap_or(i64::MAX),
            row.lease.as_ref().map(|(h, _)| h.as_str()),
            row.lease.as_ref().map(|(_, u)| *u),
            tokens.map(|t| t.refresh_at),
        ],
    )?;
    Ok(())
}

#[async_trait::async_trait]
impl TokenStore for SqliteTokenStore {
    async fn set_ticket(&self, ticket: &Secret) -> Result<(), StoreError> {
        let ticket = ticket.clone();
        self.run("set_ticket", move |conn| {
            conn.execute(
                "INSERT INTO tp_ticket (id, ticket) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET ticket = excluded.ticket",
                [ticket.expose()],
            )
            .map(drop)
        })
        .await
    }

    async fn ticket(&self) -> Result<Option<Secret>, StoreError> {
        self.run("ticket", |conn| {
            conn.query_row("SELECT ticket FROM tp_ticket WHERE id = 1", [], |r| {
                r.get::<_, String>(0).map(Secret::new)
            })
            .optional()
        })
        .await
    }

    async fn load(&self, key: TokenKey) -> Result<Option<TokenRecord>, StoreError> {
        let key = key.to_string();
        self.run("load", move |conn| {
            Ok(read_row(conn, &key)?.and_then(|row| row.record()))
        })
        .await
    }

    async fn put(&self, key: TokenKey, tokens: &Tokens) -> Result<TokenRecord, StoreError> {
        let tokens = tokens.clone();
        self.with_row("put", key, move |row| row.put(&tokens)).await
    }

    async fn begin_refresh(
        &self,
        key: TokenKey,
        seen_version: u64,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Lease, StoreError> {
        let holder = holder.to_owned();
        self.with_row("begin_refresh", key, move |row| {
            row.begin(seen_version, &holder, now, lease_until)
        })
        .await
    }

    async fn finish_refresh(
        &self,
        key: TokenKey,
        holder: &str,
        seen_version: u64,
        tokens: &Tokens,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let (holder, tokens) = (holder.to_owned(), tokens.clone());
        self.with_row("finish_refresh", key, move |row| {
            row.finish(&holder, seen_version, &tokens)
        })
        .await
    }

    async fn abort_refresh(&self, key: TokenKey, holder: &str) -> Result<(), StoreError> {
        let holder = holder.to_owned();
        self.with_row("abort_refresh", key, move |row| row.abort(&holder))
            .await
    }
}
