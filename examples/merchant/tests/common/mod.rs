//! Shared by the merchant's integration tests: the ledgers to run on (a SQLite file in a temp
//! dir, a PostgreSQL database of its own per test), keys, signed notify bodies, an HTTP client.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer, form};
use baidupay_example_merchant::{App, Store, router, store};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_transport::{HyperTransport, Settings, Transport};
use bytes::Bytes;

pub use baidupay_testkit::pg::{TestDb, server_url as pg_url};

/// Where a test's ledger lives; dropping it removes it.
pub enum Ledger {
    Memory,
    Sqlite(tempfile::TempDir),
    Postgres(TestDb),
}

impl Ledger {
    /// `None`: PostgreSQL wanted and not configured (the test is skipped).
    pub async fn new(kind: &str, test: &str) -> Option<Ledger> {
        Some(match kind {
            "memory" => Ledger::Memory,
            "sqlite" => Ledger::Sqlite(tempfile::tempdir().unwrap()),
            _ => Ledger::Postgres(TestDb::create(&pg_url(test)?).await),
        })
    }

    pub fn url(&self) -> String {
        match self {
            Ledger::Memory => "memory://".to_owned(),
            Ledger::Sqlite(dir) => format!("sqlite://{}", dir.path().join("ledger.db").display()),
            Ledger::Postgres(db) => db.url.clone(),
        }
    }

    pub async fn open(&self) -> Arc<dyn Store> {
        store::open(&self.url()).await.unwrap()
    }
}

pub fn key(slot: &'static OnceLock<PrivateKey>, bits: usize) -> &'static PrivateKey {
    slot.get_or_init(|| PrivateKey::generate(bits).unwrap())
}
pub static BAIDU: OnceLock<PrivateKey> = OnceLock::new();
pub static ALIPAY: OnceLock<PrivateKey> = OnceLock::new();
pub static FORGER: OnceLock<PrivateKey> = OnceLock::new();

pub const APP_ID: &str = "2021000122671080";

/// The example merchant in this process on `ledger`, on a free loopback port.
pub async fn start(ledger: &Ledger) -> (App, SocketAddr) {
    let app = App::with_store(APP_ID, ledger.open().await).with_orders_token("t0ken");
    let r = router(
        app.clone(),
        BaiduNotifier::new(key(&BAIDU, 1024).public_key().clone()),
        AlipayNotifier::new(key(&ALIPAY, 2048).public_key().clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, r).await });
    (app, addr)
}

pub fn baidu_body(signer_key: &PrivateKey, fields: &[(&str, &str)]) -> Bytes {
    let (_, sig) = Signer::new(signer_key.clone(), Algorithm::RsaSha1)
        .sign_params(Rules::BaiduCallback, fields.iter().copied())
        .unwrap();
    let mut all = fields.to_vec();
    all.push(("rsaSign", &sig));
    Bytes::from(form::encode(all))
}

pub fn payment(order_id: &str, tp: &str, total: &str) -> Vec<(&'static str, String)> {
    vec![
        ("orderId", order_id.to_owned()),
        ("userId", "149235070".to_owned()),
        ("tpOrderId", tp.to_owned()),
        ("dealId", "470193086".to_owned()),
        ("totalMoney", total.to_owned()),
        ("payMoney", total.to_owned()),
        ("status", "2".to_owned()),
        ("returnData", String::new()),
    ]
}

pub fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A signed Baidu payment notify body.
pub fn pay_body(order_id: &str, tp: &str, total: &str) -> Bytes {
    baidu_body(key(&BAIDU, 1024), &refs(&payment(order_id, tp, total)))
}

/// A signed Baidu refund audit request or refund notify body for batch `batch` of Baidu order
/// `order_id` (merchant order `tp`), with `last` as its last field.
pub fn refund_body(order_id: &str, tp: &str, batch: &str, last: (&str, &str)) -> Bytes {
    baidu_body(
        key(&BAIDU, 1024),
        &[
            ("orderId", order_id),
            ("userId", "149235070"),
            ("tpOrderId", tp),
            ("refundBatchId", batch),
            last,
        ],
    )
}

/// A signed Alipay trade notify body.
pub fn alipay_body(fields: &[(&str, &str)]) -> Bytes {
    let (_, sig) = Signer::new(key(&ALIPAY, 2048).clone(), Algorithm::RsaSha256)
        .sign_params(Rules::AlipayNotify, fields.iter().copied())
        .unwrap();
    let mut all = fields.to_vec();
    all.push(("sign", &sig));
    Bytes::from(form::encode(all))
}

pub async fn post(t: &HyperTransport, addr: SocketAddr, path: &str, body: Bytes) -> (u16, String) {
    try_post(t, addr, path, body).await.unwrap()
}

/// `None` when the request could not be sent or answered (the server is gone).
pub async fn try_post(
    t: &HyperTransport,
    addr: SocketAddr,
    path: &str,
    body: Bytes,
) -> Option<(u16, String)> {
    let req = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .unwrap();
    let r = t.send(req).await.ok()?;
    Some((
        r.status().as_u16(),
        String::from_utf8(r.body().to_vec()).unwrap(),
    ))
}

pub async fn request(t: &HyperTransport, req: http::Request<Bytes>) -> (u16, String) {
    let r = t.send(req).await.unwrap();
    (
        r.status().as_u16(),
        String::from_utf8(r.body().to_vec()).unwrap(),
    )
}

pub fn client() -> HyperTransport {
    HyperTransport::new(Settings::default().allow_http(true)).unwrap()
}

pub const CONSUMED: &str = r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#;
pub const ERROR_ORDER: &str =
    r#"{"errno":0,"msg":"success","data":{"isErrorOrder":1,"isConsumed":2}}"#;
pub const REFUND_ACK: &str = r#"{"errno":0,"msg":"success","data":{}}"#;
pub const RETRY: &str = r#"{"errno":1,"msg":"busy","data":{}}"#;

/// The public keys the `merchant` binary verifies with, as PEM files in `dir`.
pub fn key_files(dir: &std::path::Path) -> (String, String) {
    let baidu = dir.join("baidu.pem");
    let alipay = dir.join("alipay.pem");
    std::fs::write(&baidu, key(&BAIDU, 1024).public_key().to_spki_pem()).unwrap();
    std::fs::write(&alipay, key(&ALIPAY, 2048).public_key().to_spki_pem()).unwrap();
    (
        baidu.to_string_lossy().into_owned(),
        alipay.to_string_lossy().into_owned(),
    )
}

/// A `merchant` process on loopback; killed (SIGKILL) when dropped.
pub struct Instance {
    child: std::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl Instance {
    /// Starts the `merchant` binary on `database_url` with `extra` arguments and waits for its
    /// `listening on` line.
    pub fn start(database_url: &str, keys: &(String, String), extra: &[String]) -> Instance {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_merchant"))
            .args(["--listen", "127.0.0.1:0", "--database-url", database_url])
            .args(["--baidu-key", &keys.0, "--alipay-key", &keys.1])
            .args(["--orders-token", "t0ken"])
            .args(extra)
            .env("MERCHANT_THREADS", "2")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("listening on http://") {
                        break a.parse().unwrap();
                    }
                }
                _ => {
                    let status = child.wait().unwrap();
                    panic!("merchant exited before listening: {status}");
                }
            }
        };
        // keep draining its stdout so that it never blocks on a full pipe
        std::thread::spawn(move || for _ in lines {});
        Instance { child, addr }
    }

    /// SIGKILL, now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its `/stats`: `(effects, duplicates)`.
    pub async fn stats(&self, t: &HyperTransport) -> (u64, u64) {
        let req = http::Request::get(format!("http://{}/stats", self.addr))
            .body(Bytes::new())
            .unwrap();
        let (status, text) = request(t, req).await;
        assert_eq!(status, 200, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        (
            v["effects"].as_u64().unwrap(),
            v["duplicates"].as_u64().unwrap(),
        )
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}
