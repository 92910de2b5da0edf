//! The SQLite database behind `--db`: schema, upgrades and writes (loading is in `load`).

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use baidupay_model::Secret;

use super::{
    AlipayAppRow, Change, CodeRow, IssuedKind, IssuedRow, Loaded, MerchantRow, OwedRow,
    PlatformRow, ProgramRow, RefreshRow, TicketsRow, TokenRow,
};
use crate::book::{Order, Refund, Settings};
use crate::callback::{CallbackKind, Delivery};
use crate::state::alipay::{AliRefund, Status, Trade};
use crate::state::tp::Counts;

mod load;

use load::load;

/// 1: the cashier state; 2: the TP and Alipay state and the owed callbacks (tables added);
/// 3: the cashier's money (columns added: merchant settings and payouts, order commission,
/// lock and assets, what a refund took from the assets); 4: the charset of an Alipay app
/// (column added). An older file is opened and upgraded in place.
const SCHEMA_VERSION: &str = "4";

/// Added by versions 3 and 4: `(table, column, definition)`.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    (
        "merchants",
        "commission_per_mille",
        "INTEGER NOT NULL DEFAULT 6",
    ),
    ("merchants", "day_refund_cap", "INTEGER DEFAULT 1000000"),
    ("merchants", "payout_reserve", "INTEGER"),
    ("merchants", "paid_out", "INTEGER NOT NULL DEFAULT 0"),
    ("orders", "commission", "INTEGER NOT NULL DEFAULT 0"),
    ("orders", "locked", "INTEGER NOT NULL DEFAULT 0"),
    ("orders", "credited", "INTEGER NOT NULL DEFAULT 0"),
    ("orders", "withdrawn", "INTEGER NOT NULL DEFAULT 0"),
    ("refunds", "drawn", "INTEGER NOT NULL DEFAULT 0"),
    // version 4
    ("alipay_apps", "charset", "TEXT NOT NULL DEFAULT 'UTF-8'"),
];

/// The columns of versions 3 and 4, added where missing; `upgrading` a version 1 or 2 file also
/// books its paid orders as the platform would have (commission at 6 per mille, consumed
/// ones in the assets, their refunds taken from them).
fn add_columns(conn: &Connection, upgrading: bool) -> rusqlite::Result<()> {
    for (table, column, def) in ADDED_COLUMNS {
        let has: bool = conn.query_row(
            &format!("SELECT COUNT(*) > 0 FROM pragma_table_info('{table}') WHERE name = ?1"),
            [column],
            |r| r.get(0),
        )?;
        if !has {
            conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {def}"))?;
        }
    }
    if upgrading {
        conn.execute_batch(
            "UPDATE orders SET commission = MIN(total, MAX(1, (total * 6 + 500) / 1000)),
                 credited = (consumed = 1 AND error_order = 0)
                 WHERE status = 2 AND total > 0;
             UPDATE refunds SET drawn = amount WHERE status != 3 AND order_id IN
                 (SELECT order_id FROM orders WHERE credited = 1);",
        )?;
    }
    Ok(())
}

/// Version 1: the cashier state.
pub(super) const SCHEMA_V1: &str = "
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

/// Added by version 2: the TP and Alipay state and the callbacks still owed. Times are Unix
/// seconds on the sandbox's clock.
const SCHEMA_V2: &str = "
    CREATE TABLE IF NOT EXISTS tp_platforms (
        client_id TEXT PRIMARY KEY, tp_app_id INTEGER NOT NULL, token TEXT NOT NULL,
        aes_key TEXT NOT NULL, auth_event_url TEXT NOT NULL, event_url TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS tp_tickets (
        client_id TEXT PRIMARY KEY, latest TEXT, latest_issued INTEGER, previous TEXT,
        previous_issued INTEGER, pushed INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tp_issued (
        value TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL, used INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tp_codes (
        code TEXT PRIMARY KEY, client_id TEXT NOT NULL, app_id INTEGER NOT NULL,
        expires_at INTEGER NOT NULL, used INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tp_refresh_tokens (
        token TEXT PRIMARY KEY, client_id TEXT NOT NULL, app_id INTEGER NOT NULL,
        state TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS tp_counts (
        app_id INTEGER PRIMARY KEY, code_exchanges INTEGER NOT NULL,
        refreshes INTEGER NOT NULL, refresh_reuses INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS tp_programs (
        app_id INTEGER PRIMARY KEY, tp_app_id INTEGER NOT NULL, event_url TEXT NOT NULL,
        client_id TEXT, token TEXT NOT NULL, token_expires_at INTEGER,
        onboarding TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS owed_callbacks (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL,
        body TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS alipay_apps (
        app_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, notify_url TEXT,
        seller_id TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS alipay_trades (
        trade_no TEXT PRIMARY KEY, app_id TEXT NOT NULL REFERENCES alipay_apps(app_id),
        out_trade_no TEXT NOT NULL, total INTEGER NOT NULL, subject TEXT NOT NULL,
        body TEXT, buyer_id TEXT, buyer_open_id TEXT, passback_params TEXT, notify_url TEXT,
        status TEXT NOT NULL, created INTEGER NOT NULL, paid INTEGER);
    CREATE TABLE IF NOT EXISTS alipay_refunds (
        trade_no TEXT NOT NULL REFERENCES alipay_trades(trade_no),
        out_request_no TEXT NOT NULL, amount INTEGER NOT NULL, reason TEXT NOT NULL,
        time INTEGER NOT NULL, PRIMARY KEY (trade_no, out_request_no));
    CREATE TABLE IF NOT EXISTS alipay_bills (
        id TEXT PRIMARY KEY, content TEXT NOT NULL);
";

/// Creates `path` readable by its owner only, or narrows an existing file to that: it
/// holds client secrets, TP message keys and tokens. SQLite makes its `-wal` and `-shm`
/// files with the same mode.
#[cfg(unix)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 == 0 {
                Ok(())
            } else {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            }
        }
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn owner_only(_: &Path) -> std::io::Result<()> {
    Ok(())
}

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
        owner_only(path).map_err(|e| format!("{shown}: making it owner-only (0600): {e}"))?;
        let conn = Connection::open(path).map_err(sql(&shown))?;
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
            .map_err(sql(&shown))?;
        conn.execute_batch(SCHEMA_V1).map_err(sql(&shown))?;
        conn.execute_batch(SCHEMA_V2).map_err(sql(&shown))?;
        let meta = |key: &str| -> Result<Option<String>, String> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(sql(&shown))
        };
        match meta("schema")? {
            None => {
                add_columns(&conn, false).map_err(sql(&shown))?;
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?1), ('platform_key', ?2)",
                    [SCHEMA_VERSION, platform_key],
                )
                .map_err(sql(&shown))?;
            }
            Some(v) if v == SCHEMA_VERSION => {}
            // version 1 (the cashier state only), 2 or 3: its tables are kept, the new ones
            // were just created, the new columns are added
            Some(v) if v == "1" || v == "2" || v == "3" => {
                add_columns(&conn, v != "3").map_err(sql(&shown))?;
                conn.execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'schema'",
                    [SCHEMA_VERSION],
                )
                .map_err(sql(&shown))?;
            }
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
        self.write("storing a merchant", next_id, |tx| merchant(tx, m))
    }

    pub(crate) fn order(&self, app_key: &str, o: &Order, next_id: u64) -> Result<(), String> {
        self.write("storing an order", next_id, |tx| order(tx, app_key, o))
    }

    /// Stores a merchant's row (its money) and, when given, one of its orders, in one
    /// transaction.
    pub(crate) fn order_and_merchant(
        &self,
        app_key: &str,
        o: Option<&Order>,
        m: &MerchantRow,
        next_id: u64,
    ) -> Result<(), String> {
        self.write("storing an order and its merchant's money", next_id, |tx| {
            if let Some(o) = o {
                order(tx, app_key, o)?;
            }
            merchant(tx, m)
        })
    }

    pub(crate) fn refund(&self, app_key: &str, r: &Refund, next_id: u64) -> Result<(), String> {
        self.write("storing a refund", next_id, |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO refunds VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
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
                    r.notify_url,
                    int(r.drawn)
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
                params![t.token.expose(), t.app_keys.join(" "), t.expires_at],
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
    /// Writes `changes` in one transaction (with the id counter).
    pub(crate) fn apply(&self, changes: &[Change], next_id: u64) -> Result<(), String> {
        self.write("storing a change", next_id, |tx| {
            changes.iter().try_for_each(|c| change(tx, c))
        })
    }
}

fn order(tx: &Transaction<'_>, app_key: &str, o: &Order) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO orders VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
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
            o.return_data,
            int(o.commission),
            o.locked,
            o.credited,
            int(o.withdrawn)
        ],
    )
    .map(drop)
}

fn merchant(tx: &Transaction<'_>, m: &MerchantRow) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO merchants VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            m.app_key,
            int(m.deal_id),
            int(m.app_id),
            m.client_id,
            m.client_secret.expose(),
            m.public_key,
            m.notify_url,
            m.refund_audit_url,
            m.refund_notify_url,
            int(m.settings.commission_per_mille),
            m.settings.day_refund_cap.map(int),
            m.settings.payout_reserve.map(int),
            int(m.paid_out)
        ],
    )
    .map(drop)
}

fn change(tx: &Transaction<'_>, c: &Change) -> rusqlite::Result<()> {
    let ticket = |t: &Option<(Secret, i64)>| {
        t.as_ref()
            .map(|(v, at)| (v.expose().to_owned(), *at))
            .unzip()
    };
    match c {
        Change::Merchant(m) => merchant(tx, m).map(|()| 0),
        Change::Platform(p) => tx.execute(
            "INSERT OR REPLACE INTO tp_platforms VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                p.client_id,
                int(p.tp_app_id),
                p.token.expose(),
                p.aes_key.expose(),
                p.auth_event_url,
                p.event_url
            ],
        ),
        Change::Tickets(t) => {
            let (latest, latest_at) = ticket(&t.latest);
            let (previous, previous_at) = ticket(&t.previous);
            tx.execute(
                "INSERT OR REPLACE INTO tp_tickets VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    t.client_id,
                    latest,
                    latest_at,
                    previous,
                    previous_at,
                    int(t.pushed)
                ],
            )
        }
        Change::Issued(i) => tx.execute(
            "INSERT OR REPLACE INTO tp_issued VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                i.value.expose(),
                i.kind.name(),
                i.client_id,
                i.expires_at,
                i.used
            ],
        ),
        Change::Code(c) => tx.execute(
            "INSERT OR REPLACE INTO tp_codes VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                c.code.expose(),
                c.client_id,
                int(c.app_id),
                c.expires_at,
                c.used
            ],
        ),
        Change::Refresh(r) => tx.execute(
            "INSERT OR REPLACE INTO tp_refresh_tokens VALUES (?1, ?2, ?3, ?4)",
            params![r.token.expose(), r.client_id, int(r.app_id), r.state],
        ),
        Change::RetireRefresh(app_id) => tx.execute(
            "UPDATE tp_refresh_tokens SET state = 'revoked' WHERE app_id = ?1 AND state = 'live'",
            [int(*app_id)],
        ),
        Change::Counts(app_id, n) => tx.execute(
            "INSERT OR REPLACE INTO tp_counts VALUES (?1, ?2, ?3, ?4)",
            params![
                int(*app_id),
                int(n.code_exchanges),
                int(n.refreshes),
                int(n.refresh_reuses)
            ],
        ),
        Change::Program(p) => tx.execute(
            "INSERT OR REPLACE INTO tp_programs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                int(p.app_id),
                int(p.tp_app_id),
                p.event_url,
                p.client_id,
                p.token.expose(),
                p.token_expires_at,
                p.onboarding
            ],
        ),
        Change::ProgramGone(app_id) => {
            tx.execute("DELETE FROM tp_programs WHERE app_id = ?1", [int(*app_id)])
        }
        Change::Owed(o) => tx.execute(
            "INSERT OR REPLACE INTO owed_callbacks VALUES (?1, ?2, ?3, ?4, ?5)",
            params![int(o.id), o.kind.name(), o.key, o.url, o.body],
        ),
        Change::Acknowledged(id) => {
            tx.execute("DELETE FROM owed_callbacks WHERE id = ?1", [int(*id)])
        }
        Change::AlipayApp(a) => tx.execute(
            "INSERT OR REPLACE INTO alipay_apps (app_id, public_key, notify_url, seller_id, \
             charset) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.app_id, a.public_key, a.notify_url, a.seller_id, a.charset],
        ),
        Change::Trade(app_id, t) => {
            tx.execute(
                "INSERT OR REPLACE INTO alipay_trades VALUES \
                 (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    t.trade_no,
                    app_id,
                    t.out_trade_no,
                    int(t.total),
                    t.subject,
                    t.body,
                    t.buyer_id,
                    t.buyer_open_id,
                    t.passback_params,
                    t.notify_url,
                    t.status.code(),
                    t.created,
                    t.paid
                ],
            )?;
            for r in &t.refunds {
                // a refund never changes once made
                tx.execute(
                    "INSERT OR IGNORE INTO alipay_refunds VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        t.trade_no,
                        r.out_request_no,
                        int(r.amount),
                        r.reason,
                        r.time
                    ],
                )?;
            }
            Ok(0)
        }
        Change::AlipayBill(id, content) => tx.execute(
            "INSERT OR REPLACE INTO alipay_bills VALUES (?1, ?2)",
            params![id, content],
        ),
    }
    .map(drop)
}
