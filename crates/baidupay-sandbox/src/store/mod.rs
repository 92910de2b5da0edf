//! Optional persistence of the simulator's state in SQLite (`SandboxConfig::db`), so that
//! everything survives a restart: the cashier's merchants (with their money settings and
//! payouts), tokens, orders (commission, consumption, locks), refunds, delivery log and
//! bills; the TP platforms, tickets, chain (TP tokens, pre-auth codes, authorization codes,
//! refresh tokens, counts) and mini programs with their onboarding; the Alipay apps, trades,
//! refunds and bills; and the callbacks still owed (TP events, Alipay notifies).
//!
//! Every change is written through, in one transaction with the id counter, while the lock
//! of the changed state is held: the database never goes back in time, and an answer is only
//! sent after what it reports is stored. A failed write fails what caused it: the TP and Alipay
//! writes ([`Db::apply`], a batch of [`Change`]s) are made before the change is applied in
//! memory, the cashier's (merchants, tokens, orders, refunds) are made while the changed book
//! is locked and the change is put back when they fail; the request is answered with an error
//! naming the cause, and no callback is sent for what was not stored. Only the delivery log
//! and the bills are written on a best-effort basis (a failure is logged). The file holds secrets (client secrets, TP message keys, tokens): it is created
//! `0600`, and an older file is narrowed to `0600` when opened. Without the `sqlite` feature
//! [`Db`] cannot be made and every call below is statically unreachable.

use baidupay_model::Secret;

use crate::book::{Order, Refund, Settings};
use crate::callback::{CallbackKind, Delivery};
use crate::state::alipay::Trade;
use crate::state::tp::Counts;

/// A merchant as stored (the key as SPKI PEM; the client secret redacted in `Debug`).
#[derive(Debug, Clone)]
pub(crate) struct MerchantRow {
    pub(crate) app_key: String,
    pub(crate) deal_id: u64,
    pub(crate) app_id: u64,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) public_key: String,
    pub(crate) notify_url: String,
    pub(crate) refund_audit_url: String,
    pub(crate) refund_notify_url: String,
    /// The money settings (schema 3).
    pub(crate) settings: Settings,
    /// Paid out above the payout reserve (schema 3).
    pub(crate) paid_out: u64,
}

/// A token as stored (redacted in `Debug`): who it belongs to and when it expires (Unix
/// seconds).
#[derive(Debug, Clone)]
pub(crate) struct TokenRow {
    pub(crate) token: Secret,
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
    /// The charset its notifies are sent in (`UTF-8`, `GBK`).
    pub(crate) charset: String,
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
        pub(crate) fn order_and_merchant(
            &self,
            _: &str,
            _: Option<&Order>,
            _: &MerchantRow,
            _: u64,
        ) -> Result<(), String> {
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
mod sqlite;

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
        assert_eq!(version, "4");
        let charset: String = conn
            .query_row(
                "SELECT dflt_value FROM pragma_table_info('alipay_apps') WHERE name = 'charset'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(charset, "'UTF-8'");
        conn.execute("UPDATE meta SET value = '5' WHERE key = 'schema'", [])
            .unwrap();
        drop(conn);
        let refused = Db::open(&path, "K").map(drop).err().unwrap_or_default();
        assert!(refused.contains("schema version 5"), "{refused}");
    }
}
