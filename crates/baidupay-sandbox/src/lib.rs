//! `baidupay-sandbox`: an offline simulator of the Baidu cashier platform, so that a merchant
//! (and this project's end-to-end tests) can run every flow, callbacks included, on one machine.
//!
//! * A platform key pair (1024-bit, SHA1withRSA, like Baidu's) is loaded from or created in a
//!   keys directory; the public half is written to `baidu_platform_public_key.pem`.
//! * `POST /sandbox/merchants` registers a merchant (JSON: `app_key`, `deal_id`, `app_id`,
//!   `client_id`, `client_secret`, `merchant_public_key` in any format, `notify_url`,
//!   `refund_audit_url`, `refund_notify_url`); `GET /sandbox/merchants/{app_key}` shows it.
//! * The real paths, so that a client only changes its base URL: `/oauth/2.0/token` (short-lived
//!   tokens), `/rest/2.0/smartapp/pay/paymentservice/{findByTpOrderId, cancelOrder,
//!   applyOrderRefund, findOrderRefund, orderBill, capitaBill}` with Baidu's envelopes, error
//!   shapes and quirks.
//! * `POST /sandbox/cashier/pay` takes the bare `orderInfo` object as the mini program passes it
//!   to `swan.requestPolymerPayment`, checks it as the cashier does (errCode 6 and the reason),
//!   creates and pays the order and sends the signed payment notify, retried on a compressed
//!   schedule until the exact success JSON comes back; `POST /sandbox/cashier/create` creates
//!   the order unpaid.
//! * Refunds run the real sequence: the refund-audit callback (unless `isSkipAudit=1`),
//!   honouring `auditStatus` and `calculateRes.refundPayMoney` (3 is asked again), then the
//!   refund notify; a repeated `bizRefundBatchId` never refunds twice; refunds over the paid
//!   amount are refused.
//! * `GET /sandbox/deliveries` lists every callback attempt with the platform's verdict: the
//!   answer to "why does Baidu keep retrying my notify".
//! * Third-party platform (seed 004): `POST /sandbox/tp/apps` authorizes a mini program for a
//!   TP and returns its authorizer token; the payment account, developer config and payment
//!   service endpoints on their real paths run the audited onboarding with the documented
//!   errors (60012, 60014, 60017-60019, ...), audits are decided by `POST /sandbox/tp/audit`
//!   (or pass after [`SandboxConfig::tp_audit_delay`]) and pushed to the TP's event URL; once
//!   open, the mini program is a cashier merchant and the `/paymentservice/tp/*` pay APIs and
//!   `orderlist`, `financebalance` and `incomedetail` (paginated) answer from its orders and
//!   refunds; the sandbox runs no settlement, so `otherdetail` and `financeexpense` are empty
//!   and `paydetail` knows no task.
//! * Alipay: `POST /sandbox/alipay/apps` registers an app (`app_id`, `app_public_key`,
//!   `notify_url`); `POST /gateway.do` serves `alipay.trade.create` (JSAPI_PAY), `query`,
//!   `close`, `refund`, `fastpay.refund.query` and `data.dataservice.bill.downloadurl.query`,
//!   verifying each request against the app key as the gateway does (`isv.invalid-signature`
//!   quotes the gateway's string) and answering `{"<method>_response":{…},"sign":"…"}` signed
//!   RSA2 by the sandbox's Alipay key (`alipay_public_key.pem` in the keys directory), with the
//!   ACQ.* errors a simulator can produce; `POST /sandbox/alipay/pay {"trade_no"}` stands in
//!   for `my.tradePay` and sends the signed trade notify (and one per refund), retried until
//!   the merchant answers exactly `success`. The bill is served as UTF-8 CSV (the real one is
//!   a ZIP of GBK CSVs).
//!
//! State is kept in memory (the Alipay apps and trades always are), one lock per merchant (merchants never wait for each other), and
//! with [`SandboxConfig::db`] (feature `sqlite`, on by default) also in a SQLite file, written
//! through on every change, so that it survives a restart. On start, a restarted sandbox
//! resumes what the platform still owes: payment notifies not yet acknowledged (on a fresh
//! retry schedule) and refunds still being processed (from the audit callback on). The
//! database writes themselves go through one connection, a short transaction each (about
//! 2,000 paid-and-notified orders per second on a 2-core machine against 4,300 in memory:
//! `cargo xtask bench sandbox`).

#![warn(missing_docs)]

mod alipay;
mod book;
mod deliver;
mod faults;
mod http_api;
pub mod samples;
mod store;
mod tp;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Signer};
use baidupay_transport::{HyperTransport, Settings, Transport};

pub use deliver::{CallbackKind, Delivery};

/// The file the platform public key is written to in the keys directory.
pub const PUBLIC_KEY_FILE: &str = "baidu_platform_public_key.pem";
/// The file the platform private key is kept in (PKCS#8 PEM).
pub const PRIVATE_KEY_FILE: &str = "baidu_platform_private_key.pem";
/// The file the simulated Alipay public key is written to in the keys directory.
pub const ALIPAY_PUBLIC_KEY_FILE: &str = "alipay_public_key.pem";
/// The file the simulated Alipay private key is kept in (PKCS#8 PEM).
pub const ALIPAY_PRIVATE_KEY_FILE: &str = "alipay_private_key.pem";

/// How the simulator behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Where the platform key pair is loaded from or created (none: a fresh key in memory).
    pub keys_dir: Option<PathBuf>,
    /// Lifetime of the access tokens it issues (default 10 minutes; Baidu's is a month).
    pub token_lifetime: Duration,
    /// Delays before each callback attempt, the first included (default 0, 0.2 s, 0.5 s, 1 s,
    /// 2 s, 4 s: Baidu's schedule, compressed).
    pub retry_schedule: Vec<Duration>,
    /// How long a merchant may take to answer a callback (default 2 s, as Baidu).
    pub callback_timeout: Duration,
    /// A SQLite file holding the state (created when missing); none: memory only.
    pub db: Option<PathBuf>,
    /// TP audits pass by themselves after this delay (none: only `POST /sandbox/tp/audit`
    /// decides them).
    pub tp_audit_delay: Option<Duration>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            keys_dir: None,
            token_lifetime: Duration::from_secs(600),
            retry_schedule: [0, 200, 500, 1000, 2000, 4000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            callback_timeout: Duration::from_secs(2),
            db: None,
            tp_audit_delay: None,
        }
    }
}

impl SandboxConfig {
    /// Keys in `dir`.
    #[must_use]
    pub fn keys_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.keys_dir = Some(dir.into());
        self
    }

    /// State in the SQLite file `path` (needs the `sqlite` feature).
    #[must_use]
    pub fn db(mut self, path: impl Into<PathBuf>) -> Self {
        self.db = Some(path.into());
        self
    }

    /// TP audits pass by themselves after `delay`.
    #[must_use]
    pub fn tp_audit_delay(mut self, delay: Duration) -> Self {
        self.tp_audit_delay = Some(delay);
        self
    }

    /// Token lifetime.
    #[must_use]
    pub fn token_lifetime(mut self, d: Duration) -> Self {
        self.token_lifetime = d;
        self
    }

    /// Callback retry schedule.
    #[must_use]
    pub fn retry_schedule(mut self, delays: impl IntoIterator<Item = Duration>) -> Self {
        self.retry_schedule = delays.into_iter().collect();
        self
    }
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// Reading or writing the keys directory, or binding the listener.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The stored platform key does not load.
    #[error("platform key: {0}")]
    Key(#[from] baidupay_crypto::Error),
    /// The database cannot be opened or read, was made with another platform key, or this
    /// build has no SQLite.
    #[error("sandbox database {0}")]
    Db(String),
    /// The callback HTTP client could not be built.
    #[error("callback client: {0}")]
    Transport(#[from] baidupay_transport::TransportError),
}

/// A registered merchant.
#[derive(Debug)]
pub(crate) struct Merchant {
    pub(crate) app_key: String,
    pub(crate) deal_id: u64,
    pub(crate) app_id: u64,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) key: PublicKey,
    pub(crate) notify_url: String,
    pub(crate) refund_audit_url: String,
    pub(crate) refund_notify_url: String,
    pub(crate) book: Mutex<book::Book>,
}

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
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("config", &self.config)
            .field("public_path", &self.public_path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Read and write guards that outlive a panicked holder: the simulator's state stays usable
/// (each change is made whole under one guard), as [`lock`] does for mutexes.
trait Unpoisoned<T> {
    fn read_or_recover(&self) -> std::sync::RwLockReadGuard<'_, T>;
    fn write_or_recover(&self) -> std::sync::RwLockWriteGuard<'_, T>;
}

impl<T> Unpoisoned<T> for std::sync::RwLock<T> {
    fn read_or_recover(&self) -> std::sync::RwLockReadGuard<'_, T> {
        self.read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write_or_recover(&self) -> std::sync::RwLockWriteGuard<'_, T> {
        self.write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Inner {
    pub(crate) fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn merchant(&self, app_key: &str) -> Option<Arc<Merchant>> {
        self.merchants.read_or_recover().get(app_key).cloned()
    }

    pub(crate) fn record(&self, mut d: Delivery) {
        let mut all = lock(&self.deliveries);
        d.id = u64::try_from(all.len()).unwrap_or(u64::MAX) + 1;
        if !d.acknowledged {
            tracing::info!(url = %d.url, attempt = d.attempt, reason = %d.reason, "callback not acknowledged");
        }
        self.persist(|db, next| db.delivery(&d, next));
        all.push(d);
    }

    /// Writes a change through to the database, if there is one. A failed write is logged as
    /// an error (the sandbox goes on in memory; what a restart would lose is named there).
    pub(crate) fn persist(&self, f: impl FnOnce(&store::Db, u64) -> Result<(), String>) {
        if let Some(db) = &self.db
            && let Err(e) = f(db, self.ids.load(Ordering::Relaxed))
        {
            tracing::error!(error = %e, "sandbox database write failed: a restart loses this change");
        }
    }

    pub(crate) fn persist_order(&self, app_key: &str, o: &book::Order) {
        self.persist(|db, next| db.order(app_key, o, next));
    }

    pub(crate) fn persist_refund(&self, app_key: &str, r: &book::Refund) {
        self.persist(|db, next| db.refund(app_key, r, next));
    }

    pub(crate) fn base_url(&self) -> String {
        self.base_url.read_or_recover().clone()
    }
}

/// Fen as the platforms print yuan (`"113.00"`), by the model's [`YuanAmount`].
///
/// [`YuanAmount`]: baidupay_model::YuanAmount
pub(crate) fn yuan(fen: u64) -> String {
    baidupay_model::YuanAmount::from_fen(baidupay_model::Fen::new(fen)).to_string()
}

/// Signed fen as the TP finance reports print them (`"-0.01"`), by the model's `SignedYuan`.
pub(crate) fn signed_yuan(fen: i64) -> String {
    baidupay_model::SignedYuan::from_fen(fen).to_string()
}

/// `yyyy-MM-dd` in Beijing time.
pub(crate) fn beijing_date(unix: i64) -> String {
    baidupay_model::time::BeijingTime::from_unix(unix).date()
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time.
pub(crate) fn beijing_time(unix: i64) -> String {
    baidupay_model::time::BeijingTime::from_unix(unix).datetime()
}

pub(crate) use baidupay_model::time::unix_now as now_unix;

/// The simulator.
#[derive(Debug, Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> SandboxError {
    move |source| SandboxError::Io { what, source }
}

/// Loads a key pair from `dir` (`private`, `public`), or creates it there with `bits`.
fn key_pair(
    dir: Option<&Path>,
    private: &str,
    public: &str,
    bits: usize,
) -> Result<(PrivateKey, Option<PathBuf>), SandboxError> {
    let Some(dir) = dir else {
        return Ok((PrivateKey::generate(bits)?, None));
    };
    std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    let private_path = dir.join(private);
    let key = if private_path.exists() {
        PrivateKey::parse(
            std::fs::read(&private_path)
                .map_err(io(format!("reading {}", private_path.display())))?,
        )?
    } else {
        let key = PrivateKey::generate(bits)?;
        std::fs::write(&private_path, key.to_pkcs8_pem().as_bytes())
            .map_err(io(format!("writing {}", private_path.display())))?;
        key
    };
    let public_path = dir.join(public);
    std::fs::write(&public_path, key.public_key().to_spki_pem())
        .map_err(io(format!("writing {}", public_path.display())))?;
    Ok((key, Some(public_path)))
}

/// Puts the stored merchants, books and tokens back in place.
fn restore(
    inner: &Inner,
    merchants: Vec<store::MerchantRow>,
    orders: Vec<(String, book::Order)>,
    refunds: Vec<(String, book::Refund)>,
    tokens: Vec<store::TokenRow>,
) -> Result<(), SandboxError> {
    let mut all = HashMap::new();
    for row in merchants {
        let key = PublicKey::parse(row.public_key.as_bytes()).map_err(|e| {
            SandboxError::Db(format!("merchant {}: stored public key: {e}", row.app_key))
        })?;
        all.insert(row.app_key.clone(), Arc::new(Merchant::from_row(row, key)));
    }
    let owner = |app_key: &str| {
        all.get(app_key).cloned().ok_or_else(|| {
            SandboxError::Db(format!(
                "a stored order or refund names merchant {app_key}, which is not stored"
            ))
        })
    };
    for (app_key, o) in orders {
        lock(&owner(&app_key)?.book).insert(o);
    }
    for (app_key, r) in refunds {
        lock(&owner(&app_key)?.book).insert_refund(r);
    }
    let now = now_unix();
    let mut live = lock(&inner.tokens);
    for t in tokens {
        let left = u64::try_from(t.expires_at.saturating_sub(now)).unwrap_or(0);
        live.insert(
            t.token,
            Token {
                app_keys: t.app_keys,
                expires: Instant::now() + Duration::from_secs(left),
            },
        );
    }
    drop(live);
    *inner.merchants.write_or_recover() = all;
    Ok(())
}

impl Merchant {
    pub(crate) fn from_row(row: store::MerchantRow, key: PublicKey) -> Self {
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
            book: Mutex::default(),
        }
    }

    pub(crate) fn row(&self) -> store::MerchantRow {
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
        }
    }
}

impl Sandbox {
    /// A simulator with the platform key of `config.keys_dir` (created when missing).
    ///
    /// # Errors
    /// [`SandboxError`] when the keys directory cannot be read or written.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        // Baidu's platform key is 1024-bit SHA1withRSA; Alipay's is 2048-bit RSA2
        let (key, public_path) = key_pair(
            config.keys_dir.as_deref(),
            PRIVATE_KEY_FILE,
            PUBLIC_KEY_FILE,
            1024,
        )?;
        let (alipay_key, alipay_public_path) = key_pair(
            config.keys_dir.as_deref(),
            ALIPAY_PRIVATE_KEY_FILE,
            ALIPAY_PUBLIC_KEY_FILE,
            2048,
        )?;
        let http = HyperTransport::new(
            Settings::default()
                .allow_http(true)
                .connect_timeout(config.callback_timeout)
                .request_timeout(config.callback_timeout),
        )?;
        let public = key.public_key().clone();
        let (db, loaded) = match &config.db {
            None => (None, store::Loaded::default()),
            Some(path) => {
                let (db, loaded) =
                    store::Db::open(path, &public.to_spki_pem()).map_err(SandboxError::Db)?;
                (Some(db), loaded)
            }
        };
        // ids in the platform's ranges: orders like 2645985458, users like 3269234686470
        let first_id = loaded
            .next_id
            .unwrap_or(2_700_000_000 + u64::try_from(now_unix() % 1_000_000).unwrap_or(0) * 100);
        let inner = Inner {
            public,
            signer: Signer::new(key, Algorithm::RsaSha1),
            public_path,
            config,
            merchants: RwLock::default(),
            tokens: Mutex::default(),
            deliveries: Mutex::new(loaded.deliveries),
            bills: RwLock::new(loaded.bills.into_iter().collect()),
            ids: AtomicU64::new(first_id),
            http: Arc::new(http),
            base_url: RwLock::new(String::new()),
            db,
            alipay: alipay::Alipay {
                public: alipay_key.public_key().clone(),
                signer: Signer::new(alipay_key, Algorithm::RsaSha256),
                public_path: alipay_public_path,
                apps: RwLock::default(),
                bills: RwLock::default(),
            },
            faults: faults::Faults::default(),
            tp: tp::Tp::default(),
            resumed: AtomicBool::new(false),
        };
        restore(
            &inner,
            loaded.merchants,
            loaded.orders,
            loaded.refunds,
            loaded.tokens,
        )?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The platform public key (give it to the merchant's notify verifier).
    pub fn platform_public_key(&self) -> &PublicKey {
        &self.inner.public
    }

    /// Where the platform public key was written, with a keys directory.
    pub fn platform_public_key_path(&self) -> Option<&Path> {
        self.inner.public_path.as_deref()
    }

    /// The simulated Alipay public key (RSA2): what the merchant verifies Alipay's answers and
    /// notifies with.
    pub fn alipay_public_key(&self) -> &PublicKey {
        &self.inner.alipay.public
    }

    /// Where the Alipay public key was written, with a keys directory.
    pub fn alipay_public_key_path(&self) -> Option<&Path> {
        self.inner.alipay.public_path.as_deref()
    }

    /// Every callback attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.inner.deliveries).clone()
    }

    /// The HTTP API.
    pub fn router(&self) -> axum::Router {
        http_api::router(self.inner.clone())
    }

    /// Binds `addr` (use port 0 for any free port) and serves in the background until the
    /// returned handle is dropped or stopped. The first start of a sandbox made from a database
    /// resumes the callbacks the platform still owes (see the crate docs).
    ///
    /// # Errors
    /// [`SandboxError::Io`] when the address cannot be bound.
    pub async fn start(&self, addr: SocketAddr) -> Result<RunningSandbox, SandboxError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(io(format!("binding {addr}")))?;
        let local = listener
            .local_addr()
            .map_err(io("reading the bound address".to_owned()))?;
        let base = format!("http://{local}");
        *self.inner.base_url.write_or_recover() = base.clone();
        if !self.inner.resumed.swap(true, Ordering::AcqRel) {
            http_api::resume(&self.inner);
        }
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = self.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(RunningSandbox {
            base_url: base,
            stop: Some(stop),
            task,
        })
    }
}

/// A sandbox serving in the background; stops when dropped.
#[derive(Debug)]
pub struct RunningSandbox {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`: the API base (`/oauth/2.0/token`, `/rest/2.0/...`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stops serving and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}
