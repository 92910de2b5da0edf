//! With `--db`, the cashier state is written before it is acknowledged: while another process
//! holds an exclusive lock on the database, registering a merchant, issuing a token, paying an
//! order, applying for a refund, cancelling an order and listing a bill are refused with an error naming the
//! cause and change nothing; once the lock is gone the same requests succeed, and survive a restart. The files
//! the sandbox writes that hold secrets are owner-only.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use baidupay_crypto::{Algorithm, PrivateKey, Rules, Signer};
use baidupay_sandbox::SandboxConfig;
use serde_json::{Value, json};
use support::{Client, start};

const PAY: &str = "/rest/2.0/smartapp/pay/paymentservice";
const APP_KEY: &str = "MMMdurable";
const DEAL_ID: u64 = 470_000_777;
const CLIENT: &str = "durable-client";
const SECRET: &str = "durable-secret-value";

fn config(dir: &std::path::Path) -> SandboxConfig {
    SandboxConfig::default()
        .keys_dir(dir.join("keys"))
        .db(dir.join("state.sqlite"))
        .retry_schedule([Duration::ZERO])
        .callback_timeout(Duration::from_millis(500))
}

/// Another process's view of the database: `BEGIN EXCLUSIVE` until dropped.
struct Locked(rusqlite::Connection);

impl Locked {
    fn take(path: &std::path::Path) -> Self {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute_batch("BEGIN EXCLUSIVE").unwrap();
        Self(conn)
    }

    fn release(self) {
        self.0.execute_batch("COMMIT").unwrap();
    }
}

fn registration(key: &PrivateKey) -> Value {
    json!({
        "app_key": APP_KEY, "deal_id": DEAL_ID, "app_id": 10777,
        "client_id": CLIENT, "client_secret": SECRET,
        "merchant_public_key": key.public_key().to_spki_pem(),
        // nothing listens there: the notifies fail, which is no concern here
        "notify_url": "http://127.0.0.1:9/notify",
        "refund_audit_url": "http://127.0.0.1:9/audit",
        "refund_notify_url": "http://127.0.0.1:9/refund",
    })
}

fn order_info(key: &PrivateKey, tp_order_id: &str, total: &str) -> Value {
    let deal = DEAL_ID.to_string();
    let (_, rsa_sign) = Signer::new(key.clone(), Algorithm::RsaSha1)
        .sign_params(
            Rules::Baidu,
            [
                ("appKey", APP_KEY),
                ("dealId", deal.as_str()),
                ("tpOrderId", tp_order_id),
                ("totalAmount", total),
            ],
        )
        .unwrap();
    let tp_data = json!({
        "appKey": APP_KEY, "dealId": deal, "tpOrderId": tp_order_id, "rsaSign": rsa_sign,
        "totalAmount": total, "returnData": {}, "displayData": {},
    });
    json!({
        "dealId": deal, "appKey": APP_KEY, "totalAmount": total, "tpOrderId": tp_order_id,
        "dealTitle": "durable", "signFieldsRange": "1", "rsaSign": rsa_sign,
        "bizInfo": json!({"tpData": tp_data}).to_string(),
    })
}

async fn token(c: &Client) -> (u16, Value) {
    c.get(&format!(
        "/oauth/2.0/token?grant_type=client_credentials&client_id={CLIENT}&client_secret={SECRET}&scope=smartapp_snsapi_base"
    ))
    .await
}

async fn find(c: &Client, token: &str, tp_order_id: &str) -> Value {
    c.get(&format!(
        "{PAY}/findByTpOrderId?access_token={token}&pmAppKey={APP_KEY}&tpOrderId={tp_order_id}"
    ))
    .await
    .1
}

async fn apply_refund(c: &Client, token: &str, order: &Value, biz: &str) -> Value {
    c.post_form(
        &format!("{PAY}/applyOrderRefund?access_token={token}"),
        &format!(
            "pmAppKey={APP_KEY}&orderId={}&userId={}&tpOrderId=D-1&refundType=1&refundReason=r\
             &bizRefundBatchId={biz}&isSkipAudit=1&applyRefundMoney=100",
            order["orderId"], order["userId"]
        ),
    )
    .await
}

async fn find_refunds(c: &Client, token: &str, order: &Value) -> Value {
    c.get(&format!(
        "{PAY}/findOrderRefund?access_token={token}&pmAppKey={APP_KEY}&tpOrderId=D-1&userId={}",
        order["userId"]
    ))
    .await
    .1
}

fn assert_locked_cause(what: &str, message: &str) {
    assert!(
        message.contains("sandbox database write failed") && message.contains("locked"),
        "{what}: the answer names the cause: {message}"
    );
}

#[cfg(unix)]
fn assert_owner_only(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
}

#[cfg(not(unix))]
fn assert_owner_only(_: &std::path::Path) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_database_refuses_fails_the_request_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.sqlite");
    let merchant_key = PrivateKey::generate(1024).unwrap();
    let (sandbox, running, c) = start(config(dir.path())).await;

    // the files holding secrets: the platform private keys and the database
    for file in [
        "keys/baidu_platform_private_key.pem",
        "keys/alipay_private_key.pem",
        "state.sqlite",
    ] {
        assert_owner_only(&dir.path().join(file));
    }

    // a merchant: refused while the database is locked, and not registered
    let lock = Locked::take(&db);
    let (status, refused) = c
        .post_json("/sandbox/merchants", registration(&merchant_key))
        .await;
    assert_eq!(status, 500, "{refused}");
    assert_locked_cause("merchant", refused["error"].as_str().unwrap_or_default());
    let (status, _) = c.get(&format!("/sandbox/merchants/{APP_KEY}")).await;
    assert_eq!(status, 404, "a merchant that was not stored is not there");
    lock.release();
    let (status, registered) = c
        .post_json("/sandbox/merchants", registration(&merchant_key))
        .await;
    assert_eq!(status, 201, "{registered}");
    assert!(
        !registered.to_string().contains(SECRET),
        "the client secret is not echoed"
    );

    // a token: refused while locked (and it does not work), issued once the lock is gone
    let lock = Locked::take(&db);
    let (status, refused) = token(&c).await;
    assert_eq!(status, 500, "{refused}");
    assert_eq!(refused["error"], "server_error", "{refused}");
    assert_locked_cause(
        "token",
        refused["error_description"].as_str().unwrap_or_default(),
    );
    assert!(refused.get("access_token").is_none(), "{refused}");
    lock.release();
    let (status, issued) = token(&c).await;
    assert_eq!(status, 200, "{issued}");
    let access = issued["access_token"].as_str().unwrap().to_owned();
    // 128 random bits, not a counter
    let random = access.split('.').nth(1).unwrap_or_default();
    assert_eq!(random.len(), 32, "{access}");
    assert!(random.bytes().all(|b| b.is_ascii_hexdigit()), "{access}");
    let (_, second) = token(&c).await;
    let second = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access, second);

    // a payment: refused while locked, and no order exists
    let info = order_info(&merchant_key, "D-1", "1000");
    let lock = Locked::take(&db);
    let (status, refused) = c.post_json("/sandbox/cashier/pay", info.clone()).await;
    assert_eq!(status, 500, "{refused}");
    assert_locked_cause("payment", refused["error"].as_str().unwrap_or_default());
    lock.release();
    let missing = find(&c, &access, "D-1").await;
    assert_eq!(missing["errno"], 10002, "no order was made: {missing}");
    let (status, paid) = c.post_json("/sandbox/cashier/pay", info).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], 2, "{paid}");

    // a refund: refused while locked, and not made
    let lock = Locked::take(&db);
    let refused = apply_refund(&c, &access, &paid, "D-1-r1").await;
    assert_eq!(refused["errno"], 10000, "{refused}");
    assert_locked_cause("refund", refused["msg"].as_str().unwrap_or_default());
    lock.release();
    let none = find_refunds(&c, &access, &paid).await;
    assert_eq!(none["data"], json!([]), "no refund was made: {none}");
    let applied = apply_refund(&c, &access, &paid, "D-1-r2").await;
    assert_eq!(applied["errno"], 0, "{applied}");

    // a cancellation: refused while locked, and the order stays open
    let (status, created) = c
        .post_json(
            "/sandbox/cashier/create",
            order_info(&merchant_key, "D-2", "500"),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let cancel = format!(
        "{PAY}/cancelOrder?access_token={access}&pmAppKey={APP_KEY}&orderId={}",
        created["orderId"]
    );
    let lock = Locked::take(&db);
    let (_, refused) = c.get(&cancel).await;
    assert_eq!(refused["errno"], 10000, "{refused}");
    assert_locked_cause("cancel", refused["msg"].as_str().unwrap_or_default());
    lock.release();
    let open = find(&c, &access, "D-2").await;
    assert_eq!(
        open["data"]["status"], 1,
        "still unpaid, not closed: {open}"
    );

    // a bill: no download URL is handed out for a bill that was not stored
    let bill =
        format!("{PAY}/orderBill?access_token={access}&pmAppKey={APP_KEY}&billTime=2024-05-13");
    let lock = Locked::take(&db);
    let (_, refused) = c.get(&bill).await;
    assert_eq!(refused["errno"], 10000, "{refused}");
    assert_locked_cause("bill", refused["msg"].as_str().unwrap_or_default());
    lock.release();
    let (_, listed) = c.get(&bill).await;
    assert_eq!(listed["errno"], 0, "{listed}");
    let url = listed["data"]["data"][0]["url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let bill_path = url
        .find("/sandbox/bills/")
        .map(|i| url[i..].to_owned())
        .unwrap_or_else(|| panic!("a bill URL: {listed}"));

    // what was acknowledged survives a restart; what was refused never appears
    drop(running);
    drop(sandbox);
    let (_sandbox, _running, c) = start(config(dir.path())).await;
    let (status, merchant) = c.get(&format!("/sandbox/merchants/{APP_KEY}")).await;
    assert_eq!(status, 200, "{merchant}");
    let order = find(&c, &access, "D-1").await;
    assert_eq!(
        order["errno"], 0,
        "the token and the order are back: {order}"
    );
    assert_eq!(order["data"]["orderId"], paid["orderId"], "{order}");
    assert_eq!(order["data"]["status"], 2, "{order}");
    let refunds = find_refunds(&c, &access, &paid).await;
    let refunds = refunds["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0]["bizRefundBatchId"], "D-1-r2");
    let open = find(&c, &access, "D-2").await;
    assert_eq!(open["data"]["status"], 1, "{open}");
    let (status, _) = c.get(&bill_path).await;
    assert_eq!(
        status, 200,
        "the stored bill is still served at {bill_path}"
    );
}
