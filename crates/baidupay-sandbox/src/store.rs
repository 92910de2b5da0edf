//! Optional persistence of the simulator's state in SQLite (`SandboxConfig::db`), so that
//! everything survives a restart: the cashier's merchants (with their money settings and
//! payouts), tokens, orders (commission, consumption, locks), refunds, delivery log and bills; the TP platforms, tickets, chain (TP tokens, pre-auth codes, authorization codes,
//! refresh tokens, counts) and mini programs with their onboarding; the Alipay apps, trades,
//! refunds and bills; and the callbacks still owed (TP events, Alipay notifies).
//!
//! Every change is written through, in one transaction with the id counter, while the lock
//! of the changed state is held: the database never goes back in time, and an answer is only
//! sent after what it reports is stored. The cashier's writes log a failure (the sandbox goes on
//! in memory); the TP and Alipay writes ([`Db::apply`], a batch of [`Change`]s) are made before
//! the change is applied in memory, and a failure is answered as an error to the request that
//! caused it. The file holds secrets (client secrets, TP message keys, tokens): it is created
//! `0600`, and an older file is narrowed to `0600` when opened. Without the `sqlite` feature
//! [`Db`] cannot be made and every call below is statically unreachable.

use baidupay_model::Secret;

use crate::book::{Order, Refund, Settings};
use crate::callback::{CallbackKind, Delivery};
use crate::state::alipay::Trade;
use crate::state::tp::Counts;

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
    /// The money settings (schema 3).
    pub(crate) settings: Settings,
    /// Paid out above the payout reserve (schema 3).
    pub(crate) paid_out: u64,
}

/// A token as stored: who it belongs to and when it expires (Unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub(crate) token: String,
    pub(crate) app_keys: Vec<String>,
    pub(crate) expires_at: i64,
}

/// A registered TP as stored, its message secrets included.
#[derive(Debug, Clone)]
pub(crate) struct PlatformRow {
    pub(crate) client_id: String,
    pub(crate) tp_app_id: u64,
    pub(crate) token: Secret,
    pub(crate) aes_key: Secret,
    pub(crate) auth_event_url: String,
    pub(crate) event_url: String,
}

/// The two newest tickets of a TP, each with when it was issued (Unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct TicketsRow {
    pub(crate) client_id: String,
    pub(crate) latest: Option<(Secret, i64)>,
    pub(crate) previous: Option<(Secret, i64)>,
    pub(crate) pushed: u64,
}

/// What an [`IssuedRow`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IssuedKind {
    /// A TP access token.
    TpToken,
    /// A pre-auth code.
    PreAuthCode,
}

impl IssuedKind {
    fn name(self) -> &'static str {
        match self {
            Self::TpToken => "tp_token",
            Self::PreAuthCode => "pre_auth_code",
        }
    }
}

/// A TP access token or a pre-auth code as stored (expiry in Unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct IssuedRow {
    pub(crate) kind: IssuedKind,
    pub(crate) value: Secret,
    pub(crate) client_id: String,
    pub(crate) expires_at: i64,
    pub(crate) used: bool,
}

/// An authorization code as stored.
#[derive(Debug, Clone)]
pub(crate) struct CodeRow {
    pub(crate) code: Secret,
    pub(crate) client_id: String,
    pub(crate) app_id: u64,
    pub(crate) expires_at: i64,
    pub(crate) used: bool,
}

/// A refresh token as stored (`state`: `live`, `used`, `revoked`).
#[derive(Debug, Clone)]
pub(crate) struct RefreshRow {
    pub(crate) token: Secret,
    pub(crate) client_id: String,
    pub(crate) app_id: u64,
    pub(crate) state: String,
}

/// A mini program as stored: its authorizer token (empty: none) and where its onboarding
/// stands (the `Onboarding` as JSON).
#[derive(Debug, Clone)]
pub(crate) struct ProgramRow {
    pub(crate) app_id: u64,
    pub(crate) tp_app_id: u64,
    pub(crate) event_url: String,
    pub(crate) client_id: Option<String>,
    pub(crate) token: Secret,
    pub(crate) token_expires_at: Option<i64>,
    pub(crate) onboarding: String,
}

/// A callback the platform owes until it is acknowledged (TP events, Alipay notifies): the
/// exact body, sent again on a fresh retry schedule after a restart.
#[derive(Debug, Clone)]
pub(crate) struct OwedRow {
    pub(crate) id: u64,
    pub(crate) kind: CallbackKind,
    pub(crate) key: String,
    pub(crate) url: String,
    pub(crate) body: String,
}

/// An Alipay app as stored (the key as SPKI PEM).
#[derive(Debug, Clone)]
pub(crate) struct AlipayAppRow {
    pub(crate) app_id: String,
    pub(crate) public_key: String,
    pub(crate) notify_url: Option<String>,
    pub(crate) seller_id: String,
}

/// One change of the TP or Alipay state; [`Db::apply`] writes a batch of them at once.
#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// The cashier merchant a mini program's opened payment service is.
    Merchant(MerchantRow),
    Platform(PlatformRow),
    Tickets(TicketsRow),
    Issued(IssuedRow),
    Code(CodeRow),
    Refresh(RefreshRow),
    /// The live refresh tokens of a mini program are revoked.
    RetireRefresh(u64),
    Counts(u64, Counts),
    Program(ProgramRow),
    /// The mini program's authorization was revoked.
    ProgramGone(u64),
    Owed(OwedRow),
    /// The owed callback of this id was acknowledged.
    Acknowledged(u64),
    AlipayApp(AlipayAppRow),
    /// A trade of an app, with its refunds.
    Trade(String, Trade),
    AlipayBill(String, String),
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
    pub(crate) platforms: Vec<PlatformRow>,
    pub(crate) tickets: Vec<TicketsRow>,
    pub(crate) issued: Vec<IssuedRow>,
    pub(crate) codes: Vec<CodeRow>,
    pub(crate) refresh_tokens: Vec<RefreshRow>,
    pub(crate) counts: Vec<(u64, Counts)>,
    pub(crate) programs: Vec<ProgramRow>,
    /// In the order they were owed.
    pub(crate) owed: Vec<OwedRow>,
    pub(crate) alipay_apps: Vec<AlipayAppRow>,
    /// `(app_id, trade)` in creation order, refunds included.
    pub(crate) trades: Vec<(String, Trade)>,
    pub(crate) alipay_bills: Vec<(String, String)>,
}

#[cfg(feature = "sqlite")]
pub(crate) use sqlite::Db;

#[cfg(not(feature = "sqlite"))]
pub(crate) use none::Db;

#[cfg(not(feature = "sqlite"))]
mod none {
    use super::{Change, Loaded, MerchantRow, TokenRow};
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
        pub(crate) fn apply(&self, _: &[Change], _: u64) -> Result<(), String> {
            match *self {}
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
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

    /// 1: the cashier state; 2: the TP and Alipay state and the owed callbacks (tables added);
    /// 3: the cashier's money (columns added: merchant settings and payouts, order commission,
    /// lock and assets, what a refund took from the assets). An older file is opened and
    /// upgraded in place.
    const SCHEMA_VERSION: &str = "3";

    /// Added by version 3: `(table, column, definition)`.
    const SCHEMA_V3: &[(&str, &str, &str)] = &[
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
    ];

    /// The version 3 columns, added where missing; `upgrading` a version 1 or 2 file also
    /// books its paid orders as the platform would have (commission at 6 per mille, consumed
    /// ones in the assets, their refunds taken from them).
    fn add_v3(conn: &Connection, upgrading: bool) -> rusqlite::Result<()> {
        for (table, column, def) in SCHEMA_V3 {
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
                    add_v3(&conn, false).map_err(sql(&shown))?;
                    conn.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema', ?1), ('platform_key', ?2)",
                        [SCHEMA_VERSION, platform_key],
                    )
                    .map_err(sql(&shown))?;
                }
                Some(v) if v == SCHEMA_VERSION => {}
                // version 1 (the cashier state only) or 2: its tables are kept, the new ones
                // were just created, the new columns are added
                Some(v) if v == "1" || v == "2" => {
                    add_v3(&conn, true).map_err(sql(&shown))?;
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
            self.write("storing an order", next_id, |tx| {
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
        /// Writes `changes` in one transaction (with the id counter).
        pub(crate) fn apply(&self, changes: &[Change], next_id: u64) -> Result<(), String> {
            self.write("storing a change", next_id, |tx| {
                changes.iter().try_for_each(|c| change(tx, c))
            })
        }
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
                m.client_secret,
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
            Change::ProgramGone(app_id) => tx.execute(
                "DELETE FROM tp_programs WHERE app_id = ?1",
                [int(*app_id)],
            ),
            Change::Owed(o) => tx.execute(
                "INSERT OR REPLACE INTO owed_callbacks VALUES (?1, ?2, ?3, ?4, ?5)",
                params![int(o.id), o.kind.name(), o.key, o.url, o.body],
            ),
            Change::Acknowledged(id) => {
                tx.execute("DELETE FROM owed_callbacks WHERE id = ?1", [int(*id)])
            }
            Change::AlipayApp(a) => tx.execute(
                "INSERT OR REPLACE INTO alipay_apps VALUES (?1, ?2, ?3, ?4)",
                params![a.app_id, a.public_key, a.notify_url, a.seller_id],
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
                        params![t.trade_no, r.out_request_no, int(r.amount), r.reason, r.time],
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

    /// A value the database holds that this sandbox does not know.
    fn unknown(column: usize, what: String) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, what.into())
    }

    /// A stored ticket: both columns or neither.
    fn stored_ticket(value: Option<String>, at: Option<i64>) -> Option<(Secret, i64)> {
        value.zip(at).map(|(v, at)| (Secret::new(v), at))
    }

    /// Loads the TP and Alipay state and the owed callbacks (schema version 2) into `out`.
    #[allow(clippy::too_many_lines)] // one query per table
    fn load_v2(conn: &Connection, out: &mut Loaded) -> rusqlite::Result<()> {
        let mut st = conn.prepare(
            "SELECT client_id, tp_app_id, token, aes_key, auth_event_url, event_url \
             FROM tp_platforms ORDER BY rowid",
        )?;
        out.platforms = st
            .query_map([], |r| {
                Ok(PlatformRow {
                    client_id: r.get(0)?,
                    tp_app_id: uint(r.get(1)?),
                    token: Secret::new(r.get::<_, String>(2)?),
                    aes_key: Secret::new(r.get::<_, String>(3)?),
                    auth_event_url: r.get(4)?,
                    event_url: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT client_id, latest, latest_issued, previous, previous_issued, pushed \
             FROM tp_tickets",
        )?;
        out.tickets = st
            .query_map([], |r| {
                Ok(TicketsRow {
                    client_id: r.get(0)?,
                    latest: stored_ticket(r.get(1)?, r.get(2)?),
                    previous: stored_ticket(r.get(3)?, r.get(4)?),
                    pushed: uint(r.get(5)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st =
            conn.prepare("SELECT value, kind, client_id, expires_at, used FROM tp_issued")?;
        out.issued = st
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                let kind = [IssuedKind::TpToken, IssuedKind::PreAuthCode]
                    .into_iter()
                    .find(|k| k.name() == kind)
                    .ok_or_else(|| unknown(1, format!("unknown issued kind {kind:?}")))?;
                Ok(IssuedRow {
                    kind,
                    value: Secret::new(r.get::<_, String>(0)?),
                    client_id: r.get(2)?,
                    expires_at: r.get(3)?,
                    used: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st =
            conn.prepare("SELECT code, client_id, app_id, expires_at, used FROM tp_codes")?;
        out.codes = st
            .query_map([], |r| {
                Ok(CodeRow {
                    code: Secret::new(r.get::<_, String>(0)?),
                    client_id: r.get(1)?,
                    app_id: uint(r.get(2)?),
                    expires_at: r.get(3)?,
                    used: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st =
            conn.prepare("SELECT token, client_id, app_id, state FROM tp_refresh_tokens")?;
        out.refresh_tokens = st
            .query_map([], |r| {
                Ok(RefreshRow {
                    token: Secret::new(r.get::<_, String>(0)?),
                    client_id: r.get(1)?,
                    app_id: uint(r.get(2)?),
                    state: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn
            .prepare("SELECT app_id, code_exchanges, refreshes, refresh_reuses FROM tp_counts")?;
        out.counts = st
            .query_map([], |r| {
                Ok((
                    uint(r.get(0)?),
                    Counts {
                        code_exchanges: uint(r.get(1)?),
                        refreshes: uint(r.get(2)?),
                        refresh_reuses: uint(r.get(3)?),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT app_id, tp_app_id, event_url, client_id, token, token_expires_at, onboarding \
             FROM tp_programs ORDER BY app_id",
        )?;
        out.programs = st
            .query_map([], |r| {
                Ok(ProgramRow {
                    app_id: uint(r.get(0)?),
                    tp_app_id: uint(r.get(1)?),
                    event_url: r.get(2)?,
                    client_id: r.get(3)?,
                    token: Secret::new(r.get::<_, String>(4)?),
                    token_expires_at: r.get(5)?,
                    onboarding: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st =
            conn.prepare("SELECT id, kind, key, url, body FROM owed_callbacks ORDER BY id")?;
        out.owed = st
            .query_map([], |r| {
                let name: String = r.get(1)?;
                let kind = CallbackKind::parse(&name)
                    .ok_or_else(|| unknown(1, format!("unknown callback kind {name:?}")))?;
                Ok(OwedRow {
                    id: uint(r.get(0)?),
                    kind,
                    key: r.get(2)?,
                    url: r.get(3)?,
                    body: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT app_id, public_key, notify_url, seller_id FROM alipay_apps ORDER BY rowid",
        )?;
        out.alipay_apps = st
            .query_map([], |r| {
                Ok(AlipayAppRow {
                    app_id: r.get(0)?,
                    public_key: r.get(1)?,
                    notify_url: r.get(2)?,
                    seller_id: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT trade_no, out_request_no, amount, reason, time FROM alipay_refunds \
             ORDER BY time, rowid",
        )?;
        let mut refunds: std::collections::HashMap<String, Vec<AliRefund>> =
            std::collections::HashMap::new();
        for row in st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                AliRefund {
                    out_request_no: r.get(1)?,
                    amount: uint(r.get(2)?),
                    reason: r.get(3)?,
                    time: r.get(4)?,
                },
            ))
        })? {
            let (trade_no, refund) = row?;
            refunds.entry(trade_no).or_default().push(refund);
        }
        let mut st = conn.prepare(
            "SELECT app_id, trade_no, out_trade_no, total, subject, body, buyer_id, \
             buyer_open_id, passback_params, notify_url, status, created, paid \
             FROM alipay_trades ORDER BY rowid",
        )?;
        out.trades = st
            .query_map([], |r| {
                let status: String = r.get(10)?;
                let status = Status::parse(&status)
                    .ok_or_else(|| unknown(10, format!("unknown trade status {status:?}")))?;
                let trade_no: String = r.get(1)?;
                Ok((
                    r.get(0)?,
                    Trade {
                        refunds: refunds.remove(&trade_no).unwrap_or_default(),
                        trade_no,
                        out_trade_no: r.get(2)?,
                        total: uint(r.get(3)?),
                        subject: r.get(4)?,
                        body: r.get(5)?,
                        buyer_id: r.get(6)?,
                        buyer_open_id: r.get(7)?,
                        passback_params: r.get(8)?,
                        notify_url: r.get(9)?,
                        status,
                        created: r.get(11)?,
                        paid: r.get(12)?,
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare("SELECT id, content FROM alipay_bills")?;
        out.alipay_bills = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(())
    }

    fn load(conn: &Connection) -> rusqlite::Result<Loaded> {
        let mut out = Loaded::default();
        let mut st = conn.prepare(
            "SELECT app_key, deal_id, app_id, client_id, client_secret, public_key, notify_url, \
             refund_audit_url, refund_notify_url, commission_per_mille, day_refund_cap, \
             payout_reserve, paid_out FROM merchants ORDER BY rowid",
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
                    settings: Settings {
                        commission_per_mille: uint(r.get(9)?),
                        day_refund_cap: r.get::<_, Option<i64>>(10)?.map(uint),
                        payout_reserve: r.get::<_, Option<i64>>(11)?.map(uint),
                    },
                    paid_out: uint(r.get(12)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT app_key, order_id, user_id, tp_order_id, deal_id, total, status, consumed, \
             error_order, create_time, pay_time, biz_info, return_data, commission, locked, \
             credited, withdrawn FROM orders ORDER BY order_id",
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
                        commission: uint(r.get(13)?),
                        locked: r.get(14)?,
                        credited: r.get(15)?,
                        withdrawn: uint(r.get(16)?),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = conn.prepare(
            "SELECT app_key, refund_batch_id, biz_refund_batch_id, order_id, user_id, tp_order_id, \
             apply, amount, status, time, skip_audit, notify_url, drawn FROM refunds \
             ORDER BY refund_batch_id",
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
                        drawn: uint(r.get(12)?),
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
        load_v2(conn, &mut out)?;
        Ok(out)
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::Db;

    /// A version 1 file (the cashier state, as an earlier release made it) opens: its
    /// merchants load, the new tables and columns are added, the version goes to 3, a consumed
    /// order is booked in the assets; a newer one is refused.
    #[test]
    fn a_version_1_file_is_upgraded_and_a_newer_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.sqlite");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(super::sqlite::SCHEMA_V1).unwrap();
            conn.execute_batch(
                "INSERT INTO meta VALUES ('schema', '1'), ('platform_key', 'K');
                 INSERT INTO merchants VALUES ('MMMold', 1, 2, 'c', 's', 'pem', 'http://n',
                     'http://a', 'http://r');
                 INSERT INTO orders VALUES (7, 'MMMold', 8, 'T7', 1, 1000, 2, 1, 0, 0, 0, '', '');",
            )
            .unwrap();
        }
        let (db, loaded) = Db::open(&path, "K").unwrap();
        assert_eq!(loaded.merchants.len(), 1);
        assert_eq!(
            loaded.merchants[0].settings,
            crate::book::Settings::default()
        );
        let (_, order) = &loaded.orders[0];
        assert!(order.credited && !order.locked);
        assert_eq!(order.commission, 6);
        assert!(loaded.platforms.is_empty() && loaded.trades.is_empty());
        drop(db);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: String = conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version, "3");
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema'", [])
            .unwrap();
        drop(conn);
        let refused = Db::open(&path, "K").map(drop).err().unwrap_or_default();
        assert!(refused.contains("schema version 4"), "{refused}");
    }
}
