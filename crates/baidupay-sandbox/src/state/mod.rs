//! The simulator's shared state ([`Inner`]): merchants and their books, tokens, the delivery
//! log, bills, and the Alipay, TP and fault state of [`alipay`], [`tp`] and [`faults`]. A leaf:
//! it imports no handler module, every handler imports it.

pub(crate) mod alipay;
pub(crate) mod faults;
pub(crate) mod tp;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use baidupay_crypto::{PublicKey, Signer};
use baidupay_model::Secret;
use baidupay_transport::Transport;

use crate::book;
use crate::callback::Delivery;
use crate::config::SandboxConfig;
use crate::store;
use crate::sync::{Unpoisoned, lock};

/// A registered merchant (its client secret redacted in `Debug`).
#[derive(Debug)]
pub(crate) struct Merchant {
    pub(crate) app_key: String,
    pub(crate) deal_id: u64,
    pub(crate) app_id: u64,
    pub(crate) client_id: String,
    pub(crate) client_secret: Secret,
    pub(crate) key: PublicKey,
    pub(crate) notify_url: String,
    pub(crate) refund_audit_url: String,
    pub(crate) refund_notify_url: String,
    pub(crate) book: Mutex<book::Book>,
}

impl Merchant {
    /// A merchant as stored, with its key parsed, and an empty book (with its settings).
    pub(crate) fn from_row(row: store::MerchantRow, key: PublicKey) -> Self {
        let book = book::Book::with_money(row.settings, row.paid_out);
        Self {
            app_key: row.app_key,
            deal_id: row.deal_id,
            app_id: row.app_id,
            client_id: row.client_id,
            client_secret: row.client_secret,
            key,
            notify_url: row.notify_url,
            refund_audit_url: row.refund_audit_url,
            refund_notify_url: row.refund_notify_url,
            book: Mutex::new(book),
        }
    }

    /// The merchant as stored (locks its book).
    pub(crate) fn row(&self) -> store::MerchantRow {
        self.row_with(&lock(&self.book))
    }

    /// The merchant as stored, its money settings read from `book` (its own, locked).
    pub(crate) fn row_with(&self, book: &book::Book) -> store::MerchantRow {
        store::MerchantRow {
            app_key: self.app_key.clone(),
            deal_id: self.deal_id,
            app_id: self.app_id,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
            public_key: self.key.to_spki_pem(),
            notify_url: self.notify_url.clone(),
            refund_audit_url: self.refund_audit_url.clone(),
            refund_notify_url: self.refund_notify_url.clone(),
            settings: book.settings,
            paid_out: book.paid_out,
        }
    }
}

/// An access token: the merchants it calls for and when it expires (on the sandbox's clock).
#[derive(Debug)]
pub(crate) struct Token {
    pub(crate) app_keys: Vec<String>,
    pub(crate) expires: Instant,
}

/// Shared state.
pub(crate) struct Inner {
    pub(crate) config: SandboxConfig,
    pub(crate) signer: Signer,
    pub(crate) public: PublicKey,
    pub(crate) public_path: Option<PathBuf>,
    pub(crate) merchants: RwLock<HashMap<String, Arc<Merchant>>>,
    pub(crate) tokens: Mutex<HashMap<String, Token>>,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) bills: RwLock<HashMap<String, String>>,
    pub(crate) ids: AtomicU64,
    pub(crate) http: Arc<dyn Transport>,
    pub(crate) base_url: RwLock<String>,
    pub(crate) db: Option<store::Db>,
    pub(crate) alipay: alipay::Alipay,
    pub(crate) faults: faults::Faults,
    pub(crate) tp: tp::Tp,
    /// Pending callbacks of a loaded database were resumed.
    pub(crate) resumed: AtomicBool,
    /// The TP events and Alipay notifies a loaded database still owed, sent again by the first
    /// start.
    pub(crate) owed: Mutex<Vec<store::OwedRow>>,
    /// The serving generation: bumped by every start and by the stop of the current one; a
    /// background pusher (TP tickets) ends when it changes.
    pub(crate) serving: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .field("public_path", &self.public_path)
            .finish_non_exhaustive()
    }
}

impl Inner {
    /// A fresh id in the platform's ranges.
    pub(crate) fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Seconds since the Unix epoch, on the sandbox's clock.
    pub(crate) fn now_unix(&self) -> i64 {
        self.config.clock.unix_seconds()
    }

    /// The instant `after` from now, on the sandbox's clock (for expiries).
    pub(crate) fn deadline(&self, after: Duration) -> Instant {
        self.config.clock.now() + after
    }

    /// Whether `deadline` has passed on the sandbox's clock.
    pub(crate) fn passed(&self, deadline: Instant) -> bool {
        deadline <= self.config.clock.now()
    }

    /// The merchant of `app_key`.
    pub(crate) fn merchant(&self, app_key: &str) -> Option<Arc<Merchant>> {
        self.merchants.read_or_recover().get(app_key).cloned()
    }

    /// Appends a callback attempt to the delivery log (numbered from 1).
    pub(crate) fn record(&self, mut d: Delivery) {
        let mut all = lock(&self.deliveries);
        d.id = u64::try_from(all.len()).unwrap_or(u64::MAX) + 1;
        if !d.acknowledged {
            tracing::info!(url = %d.url, attempt = d.attempt, reason = %d.reason, "callback not acknowledged");
        }
        self.persist(|db, next| db.delivery(&d, next));
        all.push(d);
    }

    /// Writes a change through to the database, if there is one, for a record no request
    /// waits on (the delivery log, a callback's acknowledgement): a failed write is logged as
    /// an error and the sandbox goes on in memory; a restart then lacks that log line, or sends
    /// the acknowledged callback once more (every receiver takes a repeat).
    pub(crate) fn persist(&self, f: impl FnOnce(&store::Db, u64) -> Result<(), String>) {
        if let Err(e) = self.write(f) {
            tracing::error!(error = %e, "sandbox database write failed: a restart loses this record");
        }
    }

    /// Writes a change of the cashier state through, if there is a database, and returns a
    /// failure (logged as an error) to the caller, who puts its change back in memory and
    /// answers it to the request that caused it (or, in a background step, sends no callback
    /// for it): nothing is acknowledged that was not stored.
    pub(crate) fn write(
        &self,
        f: impl FnOnce(&store::Db, u64) -> Result<(), String>,
    ) -> Result<(), String> {
        match &self.db {
            None => Ok(()),
            Some(db) => f(db, self.ids.load(Ordering::Relaxed)).inspect_err(|e| {
                tracing::error!(error = %e, "sandbox database write failed: the change is refused");
            }),
        }
    }

    /// Writes `changes` (of the TP or Alipay state) through in one transaction, if there is a
    /// database. Callers write before they change the state in memory, and answer a failure
    /// as an error to the request that caused it: nothing is acknowledged that was not stored.
    pub(crate) fn store(&self, changes: &[store::Change]) -> Result<(), String> {
        match &self.db {
            None => Ok(()),
            Some(db) => db
                .apply(changes, self.ids.load(Ordering::Relaxed))
                .inspect_err(|e| {
                    tracing::error!(error = %e, "sandbox database write failed: the request is refused");
                }),
        }
    }

    /// `at` (an instant on the sandbox's clock) in Unix seconds, for the database.
    pub(crate) fn unix_at(&self, at: Instant) -> i64 {
        let (now, unix) = (self.config.clock.now(), self.now_unix());
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        if at >= now {
            unix.saturating_add(secs(at - now))
        } else {
            unix.saturating_sub(secs(now - at))
        }
    }

    /// The instant on the sandbox's clock of `unix` (Unix seconds, from the database); a time
    /// before the clock's origin is taken as now.
    pub(crate) fn instant_at(&self, unix: i64) -> Instant {
        let now = self.config.clock.now();
        let d = Duration::from_secs(unix.abs_diff(self.now_unix()));
        if unix >= self.now_unix() {
            now + d
        } else {
            now.checked_sub(d).unwrap_or(now)
        }
    }

    /// Writes an order through ([`Inner::write`]).
    pub(crate) fn persist_order(&self, app_key: &str, o: &book::Order) -> Result<(), String> {
        self.write(|db, next| db.order(app_key, o, next))
    }

    /// Writes a merchant's money (its row: settings and payouts) and one of its orders through
    /// in one transaction ([`Inner::write`]); `book` is its own, locked.
    pub(crate) fn persist_order_money(
        &self,
        m: &Merchant,
        book: &book::Book,
        order_id: u64,
    ) -> Result<(), String> {
        let row = m.row_with(book);
        let order = book.by_id(order_id);
        self.write(|db, next| db.order_and_merchant(&m.app_key, order, &row, next))
    }

    /// Writes a refund through ([`Inner::write`]).
    pub(crate) fn persist_refund(&self, app_key: &str, r: &book::Refund) -> Result<(), String> {
        self.write(|db, next| db.refund(app_key, r, next))
    }

    /// The base URL the sandbox serves on (empty before it is started).
    pub(crate) fn base_url(&self) -> String {
        self.base_url.read_or_recover().clone()
    }
}
