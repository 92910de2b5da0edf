//! Optional persistence of the simulator's state in SQLite (`SandboxConfig::db`), so that
//! merchants, tokens, orders, refunds, the delivery log and bills survive a restart.
//!
//! Every change is written through, in one transaction with the id counter, while the lock
//! of the changed state is held: the database never goes back in time, and an answer is only
//! sent after what it reports is stored. Without the `sqlite` feature [`Db`] cannot be made and
//! every call below is statically unreachable.

use crate::book::{Order, Refund};
use crate::callback::Delivery;

/// A merchant as stored (the key as SPKI PEM).
#[derive(Debug, Clone)]
pub(crate) struct MerchantRow {
    pub(crate) app_key: String,
    pub(crate) deal_id: u64,
    pub(crate) app_id: u64,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) public_key: String,
    pub(crate) notify_url: String,
    pub(crate) refund_audit_url: String,
    pub(crate) refund_notify_url: String,
}

/// A token as stored: who it belongs to and when it expires (Unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub(crate) token: String,
    pub(crate) app_keys: Vec<String>,
    pub(crate) expires_at: i64,
}

/// Everything a database held when it was opened.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub(crate) merchants: Vec<MerchantRow>,
    /// `(app_key, order)` in creation order.
    pub(crate) orders: Vec<(String, Order)>,
    /// `(app_key, refund)` in creation order.
    pub(crate) refunds: Vec<(String, Refund)>,
    pub(crate) tokens: Vec<TokenRow>,
    pub(crate) deliveries: Vec<Delivery>,
    pub(crate) bills: Vec<(String, String)>,
    pub(crate) next_id: Option<u64>,
}

#[cfg(feature = "sqlite")]
pub(crate) use sqlite::Db;

#[cfg(not(feature = "sqlite"))]
pub(crate) use none::Db;

#[cfg(not(feature = "sqlite"))]
mod none {
    use super::{Loaded, MerchantRow, TokenRow};
    use crate::book::{Order, Refund};
    use crate::callback::Delivery;

    /// Cannot be made without the `sqlite` feature.
    #[derive(Debug)]
    pub(crate) enum Db {}

    impl Db {
        pub(crate) fn open(path: &std::path::Path, _: &str) -> Result<(Self, Loaded), String> {
            Err(format!(
                "{}: this build of baidupay-sandbox has no SQLite (enable the `sqlite` feature)",
                path.display()
            ))
        }
        pub(crate) fn merchant(&self, _: &MerchantRow, _: u64) -> Result<(), String> {
            match *self {}
        }
        pub(crate) fn order(&self, _: &str, _: &Order, _: u64) -> Result<(), String> {
            match *self {}
        }
        pub(crate) fn refund(&self, _: &str, _: &Refund, _: u64) -> Result<(), String> {
            match *self {}
        }
        pub(crate) fn token(&self, _: &TokenRow, _: i64, _: u64) -> Result<(), String> {
            match *self {}
        }
        pub(crate) fn delivery(&self, _: &Delivery, _: u64) -> Result<(), String> {
            match *self {}
        }
        pub(crate) fn bill(&self, _: &str, _: &str, _: u64) -> Result<(), String> {
            match *self {}
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::Path;
    use std::sync::Mutex;

    use rusqlite::{Connection, OptionalExtension, Transaction, params};

    use super::{Loaded, MerchantRow, TokenRow};
    use crate::book::{Order, Refund};
    use crate::callback::{CallbackKind, Delivery};

    const SCHEMA_VERSION: &str = "1";

    const SCHEMA: &str = "
        CREATE TABLE IF NOT EXISTS meta (
            key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS merchants (
            app_key TEXT PRIMARY KEY, deal_id INTEGER NOT NULL, app_id INTEGER NOT NULL,
            client_id TEXT NOT NULL, client_secret TEXT NOT NULL, public_key TEXT NOT NULL,
            notify_url TEXT NOT NULL, refund_audit_url TEXT NOT NULL,
            refund_notify_url TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS orders (
            order_id INTEGER PRIMARY KEY, app_key TEXT NOT NULL REFERENCES merchants(app_key),
            user_id INTEGER NOT NULL, tp_order_id TEXT NOT NULL, deal_id INTEGER NOT NULL,
            total INTEGER NOT NULL, status INTEGER NOT NULL, consumed INTEGER NOT NULL,
            error_order INTEGER NOT NULL, create_time INTEGER NOT NULL, pay_time INTEGER,
            biz_info TEXT NOT NULL, return_data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS refunds (
            refund_batch_id INTEGER PRIMARY KEY,
            app_key TEXT NOT NULL REFERENCES merchants(app_key),
            biz_refund_batch_id TEXT NOT NULL, order_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL, tp_order_id TEXT NOT NULL, apply INTEGER NOT NULL,
            amount INTEGER NOT NULL, status INTEGER NOT NULL, time INTEGER NOT NULL,
            skip_audit INTEGER NOT NULL, notify_url TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS tokens (
            token TEXT PRIMARY KEY, app_keys TEXT NOT NULL, expires_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS deliveries (
            id INTEGER PRIMARY KEY, kind TEXT NOT NULL, app_key TEXT NOT NULL,
            url TEXT NOT NULL, body TEXT NOT NULL, attempt INTEGER NOT NULL, status INTEGER,
            response TEXT NOT NULL, acknowledged INTEGER NOT NULL, reason TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS bills (
            id TEXT PRIMARY KEY, content TEXT NOT NULL);
    ";

    /// An open database; one connection, used under a lock (each write is short).
    #[derive(Debug)]
    pub(crate) struct Db {
        conn: Mutex<Connection>,
    }

    fn sql(what: &str) -> impl FnOnce(rusqlite::Error) -> String + '_ {
        move |e| format!("{what}: {e}")
    }

    /// SQLite integers are signed; every id and amount here is far below `i64::MAX`.
    fn int(v: u64) -> i64 {
        i64::try_from(v).unwrap_or(i64::MAX)
    }

    fn uint(v: i64) -> u64 {
        u64::try_from(v).unwrap_or(0)
    }

    impl Db {
        /// Opens (or creates) the database at `path`. `platform_key` is the platform public
        /// key PEM: a database made with another platform key is refused, since the merchants
        /// in it verify callbacks with that one.
        pub(crate) fn open(path: &Path, platform_key: &str) -> Result<(Self, Loaded), String> {
            let shown = path.display().to_string();
            let conn = Connection::open(path).map_err(sql(&shown))?;
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
                .map_err(sql(&shown))?;
            conn.execute_batch(SCHEMA).map_err(sql(&shown))?;
            let meta = |key: &str| -> Result<Option<String>, String> {
                conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                    .optional()
                    .map_err(sql(&shown))
            };
            match meta("schema")? {
                None => {
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema', ?1), ('platform_key', ?2)",
                        [SCHEMA_VERSION, platform_key],
                    )
                    .map_err(sql(&shown))?;
                }
                Some(v) if v == SCHEMA_VERSION => {}
                Some(v) => {
                    return Err(format!(
                        "{shown}: schema version {v}, this sandbox reads version {SCHEMA_VERSION}"
                    ));
                }
            }
            if meta("platform_key")?.as_deref() != Some(platform_key) {
                return Err(format!(
                    "{shown} was made with another platform key: its merchants verify callbacks with that key; \
                     start with the keys directory it was made with (--keys), or use a new database"
                ));
            }
            let next_id = meta("next_id")?.and_then(|v| v.parse().ok());
            let mut loaded = load(&conn).map_err(sql(&shown))?;
            loaded.next_id = next_id;
            Ok((
                Self {
                    conn: Mutex::new(conn),
                },
                loaded,
            ))
        }

        /// Runs `f` in a transaction that also stores the id counter.
        fn write(
            &self,
            what: &str,
            next_id: u64,
            f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<()>,
        ) -> Result<(), String> {
            let mut conn = crate::sync::lock(&self.conn);
            let tx = conn.transaction().map_err(sql(what))?;
            f(&tx).map_err(sql(what))?;
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('next_id', ?1)",
                [next_id.to_string()],
            )
            .map_err(sql(what))?;
            tx.commit().map_err(sql(what))
        }

        pub(crate) fn merchant(&self, m: &MerchantRow, next_id: u64) -> Result<(), String> {
            self.write("storing a merchant", next_id, |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO merchants VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        m.app_key,
                        int(m.deal_id),
                        int(m.app_id),
                        m.client_id,
                        m.client_secret,
                        m.public_key,
                        m.notify_url,
                        m.refund_audit_url,
                        m.refund_notify_url
                    ],
                )
                .map(drop)
            })
        }

        pub(crate) fn order(&self, app_key: &str, o: &Order, next_id: u64) -> Result<(), String> {
            self.write("storing an order", next_id, |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO orders VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                    params![
                        int(o.order_id),
                        app_key,
                        int(o.user_id),
                        o.tp_order_id,
                        int(o.deal_id),
                        int(o.total),
                        o.status,
                        o.consumed,
                        o.error_order,
                        o.create_time,
                        o.pay_time,
                        o.biz_info,
                        o.return_data
                    ],
                )
                .map(drop)
            })
        }

        pub(crate) fn refund(&self, app_key: &str, r: &Refund, next_id: u64) -> Result<(), String> {
            self.write("storing a refund", next_id, |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO refunds VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    params![
                        int(r.refund_batch_id),
                        app_key,
                        r.biz_refund_batch_id,
                        int(r.order_id),
                        int(r.user_id),
                        r.tp_order_id,
                        int(r.apply),
                        int(r.amount),
                        r.status,
                        r.time,
                        r.skip_audit,
                        r.notify_url
                    ],
                )
                .map(drop)
            })
        }

        /// Stores `t`; tokens expired a day before `now` (Unix seconds) are dropped.
        pub(crate) fn token(&self, t: &TokenRow, now: i64, next_id: u64) -> Result<(), String> {
            self.write("storing a token", next_id, |tx| {
                // expired tokens are of no use after a restart: drop them as new ones come
                tx.execute(
                    "DELETE FROM tokens WHERE expires_at < ?1",
                    [now.saturating_sub(86_400)],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO tokens VALUES (?1, ?2, ?3)",
                    params![t.token, t.app_keys.join(" "), t.expires_at],
                )
                .map(drop)
            })
        }

        pub(crate) fn delivery(&self, d: &Delivery, next_id: u64) -> Result<(), String> {
            self.write("storing a delivery", next_id, |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO deliveries VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                    params![
                        int(d.id),
                        d.kind.name(),
                        d.app_key,
                        d.url,
                        d.body,
                        d.attempt,
                        d.status,
                        d.response,
                        d.acknowledged,
                        d.reason
                    ],
                )
                .map(drop)
            })
        }

        pub(crate) fn bill(&self, id: &str, content: &str, next_id: u64) -> Result<(), String> {
            self.write("storing a bill", next_id, |tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO bills VALUES (?1, ?2)",
                    params![id, content],
                )
                .map(drop)
            })
        }
    }

    fn load(conn: &Connection) -> rusqlite::Result<Loaded> {
        let mut out = Loaded::default();
        let mut st = conn.prepare(
            "SELECT app_key, deal_id, app_id, client_id, client_secret, public_key, notify_url, \
             refund_audit_url, refund_notify_url FROM merchants ORDER BY rowid",
        )?;
        out.merchants = st
            .query_map([], |r| {
                Ok(MerchantRow {
                    app_key: r.get(0)?,
                    deal_id: uint(r.get(1)?),
                    app_id: uint(r.get(2)?),
                    client_id: r.get(3)?,
                    client_secret: r.get(4)?,
                    public_key: r.get(5)?,
                    notify_url: r.get(6)?,
                    refund_audit_url: r.get(7)?,
                    refund_notify_url: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT app_key, order_id, user_id, tp_order_id, deal_id, total, status, consumed, \
             error_order, create_time, pay_time, biz_info, return_data FROM orders ORDER BY order_id",
        )?;
        out.orders = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    Order {
                        order_id: uint(r.get(1)?),
                        user_id: uint(r.get(2)?),
                        tp_order_id: r.get(3)?,
                        deal_id: uint(r.get(4)?),
                        total: uint(r.get(5)?),
                        status: r.get(6)?,
                        consumed: r.get(7)?,
                        error_order: r.get(8)?,
                        create_time: r.get(9)?,
                        pay_time: r.get(10)?,
                        biz_info: r.get(11)?,
                        return_data: r.get(12)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT app_key, refund_batch_id, biz_refund_batch_id, order_id, user_id, tp_order_id, \
             apply, amount, status, time, skip_audit, notify_url FROM refunds ORDER BY refund_batch_id",
        )?;
        out.refunds = st
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    Refund {
                        refund_batch_id: uint(r.get(1)?),
                        biz_refund_batch_id: r.get(2)?,
                        order_id: uint(r.get(3)?),
                        user_id: uint(r.get(4)?),
                        tp_order_id: r.get(5)?,
                        apply: uint(r.get(6)?),
                        amount: uint(r.get(7)?),
                        status: r.get(8)?,
                        time: r.get(9)?,
                        skip_audit: r.get(10)?,
                        notify_url: r.get(11)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT token, app_keys, expires_at FROM tokens")?;
        out.tokens = st
            .query_map([], |r| {
                let keys: String = r.get(1)?;
                Ok(TokenRow {
                    token: r.get(0)?,
                    app_keys: keys.split(' ').map(str::to_owned).collect(),
                    expires_at: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT id, kind, app_key, url, body, attempt, status, response, acknowledged, reason \
             FROM deliveries ORDER BY id",
        )?;
        out.deliveries = st
            .query_map([], |r| {
                let name: String = r.get(1)?;
                let kind = CallbackKind::parse(&name).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        format!("unknown callback kind {name:?}").into(),
                    )
                })?;
                Ok(Delivery {
                    id: uint(r.get(0)?),
                    kind,
                    app_key: r.get(2)?,
                    url: r.get(3)?,
                    body: r.get(4)?,
                    attempt: r.get(5)?,
                    status: r.get(6)?,
                    response: r.get(7)?,
                    acknowledged: r.get(8)?,
                    reason: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT id, content FROM bills")?;
        out.bills = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }
}
