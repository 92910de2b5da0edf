//! The sandbox's own API checked by a client that shares no code with the SDK: plain HTTP/1.1
//! over `std::net` (`baidupay_testkit::http`), hand-written form and percent encoding, and every signature made and
//! checked by the `openssl` command-line tool. If the simulator and the SDK made the same
//! mistake (a canonical string, an encoding, a field name), the SDK's end-to-end tests would
//! pass together; this test would not.
//!
//! Skipped, with a notice, when the `openssl` CLI is not installed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use baidupay_sandbox::{Sandbox, SandboxConfig};
use baidupay_testkit::http::{exchange, exchange_bytes};
use serde_json::{Value, json};

const APP_KEY: &str = "MMMindependent";
const DEAL_ID: &str = "470000777";
const APP_ID: &str = "10077";

fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn openssl(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The sandbox with its keys in `keys` and callback retries after `schedule_ms`, served on its
/// own runtime (started through its library API: only the client side is independent); the
/// runtime, the server and its `host:port`.
fn serve_sandbox(
    keys: &Path,
    schedule_ms: &[u64],
) -> (
    tokio::runtime::Runtime,
    baidupay_sandbox::RunningSandbox,
    String,
) {
    serve_sandbox_with(
        SandboxConfig::default()
            .keys_dir(keys)
            .retry_schedule(schedule_ms.iter().copied().map(Duration::from_millis)),
    )
}

/// The sandbox with `config`, served as [`serve_sandbox`] serves it.
fn serve_sandbox_with(
    config: SandboxConfig,
) -> (
    tokio::runtime::Runtime,
    baidupay_sandbox::RunningSandbox,
    String,
) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = Sandbox::new(config).unwrap();
    let running = runtime
        .block_on(sandbox.start("127.0.0.1:0".parse().unwrap()))
        .unwrap();
    let addr = running
        .base_url()
        .strip_prefix("http://")
        .unwrap()
        .to_owned();
    (runtime, running, addr)
}

/// A new RSA key of `bits` at `path` (PKCS#8 PEM), by `openssl genpkey`.
fn genkey(path: &Path, bits: u32) {
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-out",
            path.to_str().unwrap(),
        ],
        b"",
    );
}

/// The SPKI PEM of the key at `path`, by `openssl pkey -pubout`.
fn public_pem(path: &Path) -> String {
    String::from_utf8(openssl(
        &["pkey", "-in", path.to_str().unwrap(), "-pubout"],
        b"",
    ))
    .unwrap()
}

/// SHA1withRSA by `openssl dgst`, base64 on one line.
fn sign(key: &Path, message: &str) -> String {
    let raw = openssl(
        &["dgst", "-sha1", "-sign", key.to_str().unwrap()],
        message.as_bytes(),
    );
    let b64 = openssl(&["base64", "-A"], &raw);
    String::from_utf8(b64).unwrap().trim().to_owned()
}

/// Checks a base64 SHA1withRSA signature with `openssl dgst -verify`.
fn verify(public: &Path, message: &str, signature_b64: &str, dir: &Path) -> bool {
    let raw = Command::new("openssl")
        .args(["base64", "-d", "-A"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(signature_b64.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap()
        .stdout;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = dir.join(format!("sig-{}.bin", NEXT.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&unique, raw).unwrap();
    let out = Command::new("openssl")
        .args([
            "dgst",
            "-sha1",
            "-verify",
            public.to_str().unwrap(),
            "-signature",
            unique.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(message.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let _ = std::fs::remove_file(&unique);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

// --- hand-written encodings -------------------------------------------------------------------

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn parse_form(body: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let previous = out.insert(percent_decode(k), percent_decode(v));
        assert!(previous.is_none(), "duplicate field {k} in {body}");
    }
    out
}

/// Baidu's sign string: every field but `rsaSign`/`sign`, sorted by name, `k=v` joined by `&`.
fn sign_string(fields: &BTreeMap<String, String>) -> String {
    fields
        .iter()
        .filter(|(k, _)| *k != "rsaSign" && *k != "sign")
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

// --- plain HTTP -------------------------------------------------------------------------------

fn get(addr: &str, target: &str) -> Value {
    let (status, body) = exchange(addr, "GET", target, "text/plain", "");
    assert_eq!(status, 200, "{target}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn post(addr: &str, target: &str, content_type: &str, body: &str) -> (u16, Value) {
    let (status, body) = exchange(addr, "POST", target, content_type, body);
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

// --- the merchant's callback endpoint ---------------------------------------------------------

#[derive(Debug, Clone)]
struct Callback {
    path: String,
    fields: BTreeMap<String, String>,
    verified: bool,
}

/// A merchant endpoint on a plain `TcpListener`: verifies every callback with `openssl`
/// against the platform public key and answers the documented JSON.
fn merchant(platform: PathBuf, dir: PathBuf) -> (String, Arc<Mutex<Vec<Callback>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (platform, dir, log) = (platform.clone(), dir.clone(), log.clone());
            std::thread::spawn(move || answer(stream, &platform, &dir, &log));
        }
    });
    (addr, seen)
}

/// One request read off a plain socket: its path, `Content-Type` and body (a
/// `Content-Length` body; `None` when the peer closed before a request line).
fn read_request(stream: &TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return None;
    }
    let path = request_line.split(' ').nth(1).unwrap_or("").to_owned();
    let (mut length, mut content_type) = (0, String::new());
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap();
            } else if name.eq_ignore_ascii_case("content-type") {
                content_type = value.trim().to_owned();
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    Some((path, content_type, body))
}

fn answer(stream: TcpStream, platform: &Path, dir: &Path, log: &Mutex<Vec<Callback>>) {
    let Some((path, _, body)) = read_request(&stream) else {
        return;
    };
    let fields = parse_form(&String::from_utf8(body).unwrap());
    let verified = fields
        .get("rsaSign")
        .is_some_and(|sig| verify(platform, &sign_string(&fields), sig, dir));
    let reply = if !verified {
        None
    } else if path == "/pay" {
        Some(r#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"#.to_owned())
    } else if path == "/audit" {
        // approve what was applied for
        let money = fields["applyRefundMoney"].clone();
        Some(format!(
            r#"{{"errno":0,"msg":"success","data":{{"auditStatus":1,"calculateRes":{{"refundPayMoney":{money}}}}}}}"#
        ))
    } else if path == "/refund" {
        Some(r#"{"errno":0,"msg":"success","data":{}}"#.to_owned())
    } else {
        None
    };
    log.lock().unwrap().push(Callback {
        path,
        fields,
        verified,
    });
    let (status, body) = match reply {
        Some(b) => ("200 OK", b),
        None => ("500 Internal Server Error", "not verified".to_owned()),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    // a deadline for an asynchronous effect, not a speed check
    for _ in 0..400 {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("gave up waiting: {what}");
}

fn order_info(key: &Path, tp_order_id: &str, total: &str) -> Value {
    let signed =
        format!("appKey={APP_KEY}&dealId={DEAL_ID}&totalAmount={total}&tpOrderId={tp_order_id}");
    let rsa_sign = sign(key, &signed);
    let tp_data = json!({
        "appKey": APP_KEY, "dealId": DEAL_ID, "tpOrderId": tp_order_id, "rsaSign": rsa_sign,
        "totalAmount": total, "returnData": {"cart": "independent"}, "displayData": {},
    });
    json!({
        "dealId": DEAL_ID, "appKey": APP_KEY, "totalAmount": total, "tpOrderId": tp_order_id,
        "dealTitle": "independent client", "signFieldsRange": "1", "rsaSign": rsa_sign,
        "bizInfo": json!({"tpData": tp_data}).to_string(),
    })
}

#[test]
fn the_sandbox_api_against_a_client_that_shares_no_code_with_the_sdk() {
    if !openssl_available() {
        eprintln!("SKIPPED: the openssl command-line tool is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let merchant_key = dir.path().join("merchant.pem");
    let merchant_public = dir.path().join("merchant_public.pem");
    genkey(&merchant_key, 1024);
    std::fs::write(&merchant_public, public_pem(&merchant_key)).unwrap();

    // the sandbox, started through its library API on its own runtime thread
    let (runtime, running, sandbox_addr) = serve_sandbox(&keys, &[0, 100, 200]);
    let sb = sandbox_addr.as_str();
    // the platform public key file the sandbox wrote is what the merchant verifies with
    let platform = keys.join("baidu_platform_public_key.pem");
    assert!(platform.exists());
    let (merchant_addr, seen) = merchant(platform, dir.path().to_path_buf());

    // register
    let registration = json!({
        "app_key": APP_KEY, "deal_id": DEAL_ID, "app_id": APP_ID,
        "client_id": "indClient", "client_secret": "indSecret",
        "merchant_public_key": std::fs::read_to_string(&merchant_public).unwrap(),
        "notify_url": format!("http://{merchant_addr}/pay"),
        "refund_audit_url": format!("http://{merchant_addr}/audit"),
        "refund_notify_url": format!("http://{merchant_addr}/refund"),
    });
    let (status, v) = post(
        sb,
        "/sandbox/merchants",
        "application/json",
        &registration.to_string(),
    );
    assert_eq!(status, 201, "{v}");
    assert_eq!(v["app_key"], APP_KEY);

    // token
    let t = get(
        sb,
        "/oauth/2.0/token?grant_type=client_credentials&client_id=indClient&client_secret=indSecret&scope=smartapp_snsapi_base",
    );
    let token = t["access_token"].as_str().unwrap().to_owned();
    assert!(t["expires_in"].as_u64().unwrap() > 0);
    let (status, wrong) = exchange(
        sb,
        "GET",
        "/oauth/2.0/token?grant_type=client_credentials&client_id=indClient&client_secret=nope&scope=smartapp_snsapi_base",
        "text/plain",
        "",
    );
    assert_eq!(status, 401);
    let wrong: Value = serde_json::from_str(&wrong).unwrap();
    assert_eq!(wrong["error"], "invalid_client");

    // a tampered orderInfo: errCode 6 with the reason
    let mut bad = order_info(&merchant_key, "IND-1", "1234");
    bad["totalAmount"] = json!("1");
    let (status, v) = post(
        sb,
        "/sandbox/cashier/pay",
        "application/json",
        &bad.to_string(),
    );
    assert_eq!(status, 400);
    assert_eq!(v["errCode"], 6, "{v}");

    // pay: the answer, then a payment notify whose signature openssl accepts
    let info = order_info(&merchant_key, "IND-1", "1234");
    let (status, paid) = post(
        sb,
        "/sandbox/cashier/pay",
        "application/json",
        &info.to_string(),
    );
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], 2);
    let order_id = paid["orderId"].as_u64().unwrap().to_string();
    let user_id = paid["userId"].as_u64().unwrap().to_string();
    wait_for("the payment notify", || {
        seen.lock().unwrap().iter().any(|c| c.path == "/pay")
    });
    let notify = seen
        .lock()
        .unwrap()
        .iter()
        .find(|c| c.path == "/pay")
        .cloned()
        .unwrap();
    assert!(notify.verified, "openssl rejected the notify: {notify:?}");
    // the check can fail: the same signature over a changed field does not verify
    let mut changed = notify.fields.clone();
    changed.insert("totalMoney".to_owned(), "1235".to_owned());
    assert!(!verify(
        &keys.join("baidu_platform_public_key.pem"),
        &sign_string(&changed),
        &notify.fields["rsaSign"],
        dir.path()
    ));
    assert_eq!(notify.fields["orderId"], order_id);
    assert_eq!(notify.fields["userId"], user_id);
    assert_eq!(notify.fields["tpOrderId"], "IND-1");
    assert_eq!(notify.fields["totalMoney"], "1234");
    assert_eq!(notify.fields["status"], "2");
    assert_eq!(notify.fields["dealId"], DEAL_ID);
    assert_eq!(notify.fields["returnData"], r#"{"cart":"independent"}"#);

    // findByTpOrderId
    let q = format!(
        "access_token={}&tpOrderId=IND-1&pmAppKey={APP_KEY}",
        percent_encode(&token)
    );
    let found = get(
        sb,
        &format!("/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId?{q}"),
    );
    assert_eq!(found["errno"], 0, "{found}");
    assert_eq!(found["data"]["status"], 2);
    assert_eq!(found["data"]["totalMoney"], 1234);
    assert_eq!(
        found["data"]["orderId"].as_u64().unwrap().to_string(),
        order_id
    );
    wait_for("the ack is recorded (subStatus consumed)", || {
        get(
            sb,
            &format!("/rest/2.0/smartapp/pay/paymentservice/findByTpOrderId?{q}"),
        )["data"]["subStatus"]
            == 2
    });

    // a partial refund: audit callback, then refund notify, both verified by openssl
    let refund = form(&[
        ("orderId", &order_id),
        ("userId", &user_id),
        ("tpOrderId", "IND-1"),
        ("refundType", "1"),
        ("refundReason", "independent partial refund"),
        ("bizRefundBatchId", "IND-RB-1"),
        ("isSkipAudit", "0"),
        ("applyRefundMoney", "234"),
        ("pmAppKey", APP_KEY),
    ]);
    let target = format!(
        "/rest/2.0/smartapp/pay/paymentservice/applyOrderRefund?access_token={}",
        percent_encode(&token)
    );
    let (status, applied) = post(sb, &target, "application/x-www-form-urlencoded", &refund);
    assert_eq!(status, 200);
    assert_eq!(applied["errno"], 0, "{applied}");
    assert_eq!(applied["data"]["refundPayMoney"], 234);
    let batch = applied["data"]["refundBatchId"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_for("the refund notify", || {
        seen.lock().unwrap().iter().any(|c| c.path == "/refund")
    });
    {
        let seen = seen.lock().unwrap();
        let audit = seen.iter().find(|c| c.path == "/audit").unwrap();
        assert!(audit.verified, "{audit:?}");
        assert_eq!(audit.fields["applyRefundMoney"], "234");
        assert_eq!(audit.fields["refundBatchId"], batch);
        let done = seen.iter().find(|c| c.path == "/refund").unwrap();
        assert!(done.verified, "{done:?}");
        assert_eq!(done.fields["refundStatus"], "1");
        assert!(seen.iter().all(|c| c.verified), "{seen:?}");
    }
    // the same batch again: the same refund
    let (_, again) = post(sb, &target, "application/x-www-form-urlencoded", &refund);
    assert_eq!(again["data"]["refundBatchId"], batch.as_str());
    // more than what is left: errno 10001
    let over = refund
        .replace("IND-RB-1", "IND-RB-2")
        .replace("applyRefundMoney=234", "applyRefundMoney=1001");
    let (_, refused) = post(sb, &target, "application/x-www-form-urlencoded", &over);
    assert_eq!(refused["errno"], 10001, "{refused}");

    // findOrderRefund
    let refunds = get(
        sb,
        &format!(
            "/rest/2.0/smartapp/pay/paymentservice/findOrderRefund?access_token={}&tpOrderId=IND-1&userId={user_id}&pmAppKey={APP_KEY}",
            percent_encode(&token)
        ),
    );
    assert_eq!(refunds["errno"], 0, "{refunds}");
    let list = refunds["data"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{refunds}");
    assert_eq!(list[0]["refundStatus"], 2);
    assert_eq!(list[0]["bizRefundBatchId"], "IND-RB-1");

    // 1.0 queryorderdetail, signed by openssl over appId, appKey, orderId, siteId
    let mut params = BTreeMap::new();
    params.insert("appId".to_owned(), APP_ID.to_owned());
    params.insert("appKey".to_owned(), APP_KEY.to_owned());
    params.insert("orderId".to_owned(), order_id.clone());
    params.insert("siteId".to_owned(), user_id.clone());
    let sig = sign(&merchant_key, &sign_string(&params));
    let query = |sig: &str| {
        format!(
            "/platform/entity/openapi/queryorderdetail?appId={APP_ID}&appKey={APP_KEY}&orderId={order_id}&siteId={user_id}&sign={}",
            percent_encode(sig)
        )
    };
    let legacy = get(sb, &query(&sig));
    assert_eq!(legacy["errno"], 0, "{legacy}");
    assert_eq!(legacy["data"]["data"]["payStatus"]["statusNum"], 1);
    assert_eq!(legacy["data"]["data"]["refundStatus"]["statusNum"], 2);
    assert_eq!(legacy["data"]["data"]["verification"]["statusNum"], 1);
    // a signature over other values is refused
    params.insert("siteId".to_owned(), "1".to_owned());
    let other = sign(&merchant_key, &sign_string(&params));
    assert_eq!(get(sb, &query(&other))["errno"], 10000);

    // the delivery log: payment, audit, refund, each acknowledged at the first attempt
    let log = get(sb, &format!("/sandbox/deliveries?app_key={APP_KEY}"));
    let kinds: Vec<(&str, bool, u64)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["acknowledged"].as_bool().unwrap(),
                d["attempt"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("payment", true, 1),
            ("refund-audit", true, 1),
            ("refund", true, 1)
        ]
    );
    runtime.block_on(running.stop());
}

/// A notify as received: its fields and whether openssl verified it.
type Notified = (BTreeMap<String, String>, bool);

/// SHA256withRSA by `openssl dgst`, base64 on one line.
fn sign256(key: &Path, message: &str) -> String {
    let raw = openssl(
        &["dgst", "-sha256", "-sign", key.to_str().unwrap()],
        message.as_bytes(),
    );
    String::from_utf8(openssl(&["base64", "-A"], &raw))
        .unwrap()
        .trim()
        .to_owned()
}

/// Checks a base64 SHA256withRSA signature with `openssl dgst -verify`.
fn verify256(public: &Path, message: &str, signature_b64: &str, dir: &Path) -> bool {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let raw = openssl(&["base64", "-d", "-A"], signature_b64.as_bytes());
    let sig = dir.join(format!(
        "sig256-{}.bin",
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&sig, raw).unwrap();
    let mut child = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            public.to_str().unwrap(),
            "-signature",
            sig.to_str().unwrap(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(message.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = std::fs::remove_file(&sig);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

/// The raw `<key>` value and `sign` of a gateway answer, cut out of the bytes by hand: the
/// value runs from after `"<key>":` to before the last `,"sign":` (the gateway's layout).
fn response_parts<'a>(body: &'a str, key: &str) -> (&'a str, String) {
    let start = body.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
    let end = body.rfind(",\"sign\":").unwrap();
    let sign: Value = serde_json::from_str(body).unwrap();
    (&body[start..end], sign["sign"].as_str().unwrap().to_owned())
}

#[test]
fn the_alipay_gateway_against_a_client_that_shares_no_code_with_the_sdk() {
    if !openssl_available() {
        eprintln!("SKIPPED: the openssl command-line tool is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let app_key = dir.path().join("app.pem");
    let app_public = dir.path().join("app_public.pem");
    genkey(&app_key, 2048);
    std::fs::write(&app_public, public_pem(&app_key)).unwrap();
    let (runtime, running, sb) = serve_sandbox(&keys, &[0, 100]);
    let sb = sb.as_str();
    let alipay_public = keys.join("alipay_public_key.pem");
    assert!(alipay_public.exists());

    // a notify endpoint that checks the V1 rule (sign and sign_type left out) with openssl
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let notify_addr = listener.local_addr().unwrap().to_string();
    let notified: Arc<Mutex<Vec<Notified>>> = Arc::default();
    {
        let (notified, alipay_public, dir) = (
            notified.clone(),
            alipay_public.clone(),
            dir.path().to_path_buf(),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some((_, _, body)) = read_request(&stream) else {
                    continue;
                };
                let fields = parse_form(&String::from_utf8(body).unwrap());
                let content: String = fields
                    .iter()
                    .filter(|(k, v)| *k != "sign" && *k != "sign_type" && !v.is_empty())
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join("&");
                let ok = verify256(&alipay_public, &content, &fields["sign"], &dir);
                notified.lock().unwrap().push((fields, ok));
                let answer = if ok { "success" } else { "failure" };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
    }

    let (status, v) = post(
        sb,
        "/sandbox/alipay/apps",
        "application/json",
        &json!({"app_id": "2021000000000777",
                "app_public_key": std::fs::read_to_string(&app_public).unwrap(),
                "notify_url": format!("http://{notify_addr}/notify")})
        .to_string(),
    );
    assert_eq!(status, 201, "{v}");

    // a request laid out as the official SDKs send it: common parameters in the query,
    // biz_content in the form body, signed over every parameter but sign (V2, sorted)
    let call = |method: &str, biz: &Value, key: &Path| -> (String, String) {
        let mut params = BTreeMap::new();
        for (k, v) in [
            ("app_id", "2021000000000777"),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", "2026-11-23 10:00:00"),
            ("version", "1.0"),
        ] {
            params.insert(k.to_owned(), v.to_owned());
        }
        params.insert("biz_content".to_owned(), biz.to_string());
        let content = sign_string(&params);
        let sig = sign256(key, &content);
        let query: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| *k != "biz_content")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain([("sign", sig.as_str())])
            .collect();
        let (status, body) = exchange(
            sb,
            "POST",
            &format!("/gateway.do?{}", form(&query)),
            "application/x-www-form-urlencoded;charset=utf-8",
            &form(&[("biz_content", &biz.to_string())]),
        );
        assert_eq!(status, 200, "{body}");
        (body, content)
    };
    let checked = |body: &str, key: &str| -> Value {
        let (raw, sign) = response_parts(body, key);
        assert!(
            verify256(&alipay_public, raw, &sign, dir.path()),
            "the answer's signature does not verify: {body}"
        );
        serde_json::from_str(raw).unwrap()
    };

    // create, signed with the app key: a verified answer with a trade_no
    let biz = json!({"out_trade_no": "IND-A1", "total_amount": "12.34", "subject": "独立 client",
                     "product_code": "JSAPI_PAY", "buyer_id": "2088102177846880"});
    let (body, _) = call("alipay.trade.create", &biz, &app_key);
    let created = checked(&body, "alipay_trade_create_response");
    assert_eq!(created["code"], "10000", "{created}");
    let trade_no = created["trade_no"].as_str().unwrap().to_owned();

    // signed with another key: isv.invalid-signature quoting the string we signed
    let stranger = dir.path().join("stranger.pem");
    genkey(&stranger, 2048);
    let (body, content) = call(
        "alipay.trade.query",
        &json!({"out_trade_no": "IND-A1"}),
        &stranger,
    );
    let refused = checked(&body, "alipay_trade_query_response");
    assert_eq!(refused["sub_code"], "isv.invalid-signature", "{refused}");
    let quoted = refused["sub_msg"]
        .as_str()
        .unwrap()
        .split_once("验签字符串为：")
        .unwrap()
        .1
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    assert_eq!(quoted, content);

    // pay, then the notify verifies with openssl under the V1 rule
    let (status, paid) = post(
        sb,
        "/sandbox/alipay/pay",
        "application/json",
        &json!({"trade_no": trade_no}).to_string(),
    );
    assert_eq!(status, 200, "{paid}");
    wait_for("the Alipay notify", || !notified.lock().unwrap().is_empty());
    let (fields, ok) = notified.lock().unwrap()[0].clone();
    assert!(ok, "openssl rejected the notify: {fields:?}");
    assert_eq!(fields["trade_status"], "TRADE_SUCCESS");
    assert_eq!(fields["total_amount"], "12.34");
    assert_eq!(fields["out_trade_no"], "IND-A1");
    assert_eq!(fields["sign_type"], "RSA2");

    // query: paid
    let (body, _) = call(
        "alipay.trade.query",
        &json!({"trade_no": trade_no}),
        &app_key,
    );
    let q = checked(&body, "alipay_trade_query_response");
    assert_eq!(q["trade_status"], "TRADE_SUCCESS", "{q}");
    runtime.block_on(running.stop());
}

/// 2024-05-13 17:49:20 in Beijing: the sandbox's "now" in the layouts and bills test.
const BEIJING_2024_05_13: i64 = 1_715_593_760;

#[test]
fn the_alipay_gateway_takes_the_sdks_layouts_signs_as_asked_and_serves_past_bills_only() {
    if !openssl_available() {
        eprintln!("SKIPPED: the openssl command-line tool is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let app_key = dir.path().join("app.pem");
    genkey(&app_key, 2048);
    let clock = Arc::new(baidupay_transport::ManualClock::new(BEIJING_2024_05_13));
    let (runtime, running, sb) = serve_sandbox_with(
        SandboxConfig::default()
            .keys_dir(&keys)
            .clock(clock.clone()),
    );
    let sb = sb.as_str();
    let alipay_public = keys.join("alipay_public_key.pem");
    let (status, v) = post(
        sb,
        "/sandbox/alipay/apps",
        "application/json",
        &json!({"app_id": "2021000000000778", "app_public_key": public_pem(&app_key)}).to_string(),
    );
    assert_eq!(status, 201, "{v}");

    // every parameter, signed by sign_type (RSA: SHA1withRSA, RSA2: SHA256withRSA)
    let signed = |method: &str, sign_type: &str, biz: &Value| -> BTreeMap<String, String> {
        let mut params: BTreeMap<String, String> = [
            ("app_id", "2021000000000778"),
            ("method", method),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", sign_type),
            ("timestamp", "2024-05-13 17:49:20"),
            ("version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        params.insert("biz_content".to_owned(), biz.to_string());
        let content = sign_string(&params);
        let sig = match sign_type {
            "RSA" => sign(&app_key, &content),
            _ => sign256(&app_key, &content),
        };
        params.insert("sign".to_owned(), sig);
        params
    };
    let pairs = |params: &BTreeMap<String, String>, keep: &dyn Fn(&str) -> bool| -> String {
        let kept: Vec<(&str, &str)> = params
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        form(&kept)
    };
    // one gateway request: the parameters `in_query` in the query string, `form_body` in the
    // form; the answer's body
    let send = |http: &str,
                p: &BTreeMap<String, String>,
                in_query: &dyn Fn(&str) -> bool,
                form_body: String|
     -> String {
        let (status, body) = exchange(
            sb,
            http,
            &format!("/gateway.do?{}", pairs(p, in_query)),
            "application/x-www-form-urlencoded;charset=utf-8",
            &form_body,
        );
        assert_eq!(status, 200, "{body}");
        body
    };
    // the official SDKs' layout: common parameters in the query, biz_content in the form
    let official = |p: &BTreeMap<String, String>| {
        send(
            "POST",
            p,
            &|k| k != "biz_content",
            pairs(p, &|k| k == "biz_content"),
        )
    };
    // the answer's object and its signature, checked by openssl with SHA1 or SHA256
    let answer = |body: &str, key: &str, sha1: bool| -> Value {
        let (raw, sig) = response_parts(body, key);
        let (by_sha1, by_sha256) = (
            verify(&alipay_public, raw, &sig, dir.path()),
            verify256(&alipay_public, raw, &sig, dir.path()),
        );
        assert_eq!((by_sha1, by_sha256), (sha1, !sha1), "{body}");
        serde_json::from_str(raw).unwrap()
    };

    // sign_type=RSA, the official layout: the answer is signed SHA1withRSA, as every SDK
    // configured for RSA verifies it
    let biz = json!({"out_trade_no": "LAY-1", "total_amount": "1.00", "subject": "layouts",
                     "product_code": "JSAPI_PAY", "buyer_id": "2088102177846880"});
    let body = official(&signed("alipay.trade.create", "RSA", &biz));
    let created = answer(&body, "alipay_trade_create_response", true);
    assert_eq!(created["code"], "10000", "{created}");
    let trade_no = created["trade_no"].as_str().unwrap().to_owned();

    // everything in the form and charset (and app_id, method) in the query too, same values
    let p = signed(
        "alipay.trade.query",
        "RSA2",
        &json!({"out_trade_no": "LAY-1"}),
    );
    let body = send(
        "POST",
        &p,
        &|k| ["charset", "app_id", "method"].contains(&k),
        pairs(&p, &|_| true),
    );
    let q = answer(&body, "alipay_trade_query_response", false);
    assert_eq!(q["trade_status"], "WAIT_BUYER_PAY", "{q}");

    // GET, everything in the query string
    let p = signed("alipay.trade.query", "RSA", &json!({"trade_no": trade_no}));
    let body = send("GET", &p, &|_| true, String::new());
    let q = answer(&body, "alipay_trade_query_response", true);
    assert_eq!(q["out_trade_no"], "LAY-1", "{q}");

    // charset in the query and, with another value, in the form: which one was signed?
    let body = send(
        "POST",
        &p,
        &|k| k != "biz_content",
        format!("{}&charset=gbk", pairs(&p, &|k| k == "biz_content")),
    );
    let refused = answer(&body, "error_response", false);
    assert_eq!(refused["sub_code"], "isv.invalid-parameter", "{refused}");
    assert_eq!(refused["sub_msg"], "参数charset重复", "{refused}");

    // bills: only past days; today, a later day and this month do not exist yet
    let bill = |date: &str| -> Value {
        let body = official(&signed(
            "alipay.data.dataservice.bill.downloadurl.query",
            "RSA2",
            &json!({"bill_type": "trade", "bill_date": date}),
        ));
        answer(
            &body,
            "alipay_data_dataservice_bill_downloadurl_query_response",
            false,
        )
    };
    let (status, paid) = post(
        sb,
        "/sandbox/alipay/pay",
        "application/json",
        &json!({"trade_no": trade_no}).to_string(),
    );
    assert_eq!(status, 200, "{paid}");
    for date in ["2024-05-13", "2024-05-14", "2024-05"] {
        let b = bill(date);
        assert_eq!(
            (b["code"].as_str(), b["sub_code"].as_str()),
            (Some("40004"), Some("isp.bill_not_exist")),
            "{date}: {b}"
        );
        assert!(b.get("bill_download_url").is_none(), "{b}");
    }
    // a past day without a trade: a bill file with no data
    let b = bill("2024-05-12");
    assert_eq!(b["code"], "10000", "{b}");
    assert_eq!(b["bill_file_code"], "EMPTY_DATA_WITH_BILL_FILE", "{b}");
    // the next day, the day of the payment has its bill
    clock.advance(Duration::from_secs(86_400));
    let b = bill("2024-05-13");
    assert_eq!(b["code"], "10000", "{b}");
    assert!(b.get("bill_file_code").is_none(), "{b}");
    let url = b["bill_download_url"].as_str().unwrap();
    let path = &url[url.find("/sandbox/").unwrap()..];
    let (status, zip) = exchange_bytes(sb, "GET", path, "text/plain", "");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&zip));
    // a ZIP of GBK CSVs: the detail entry holds the trade
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut detail = Vec::new();
    let names: Vec<String> = (0..archive.len())
        .map(|i| {
            let raw = archive.by_index(i).unwrap().name_raw().to_vec();
            encoding_rs::GBK.decode(&raw).0.into_owned()
        })
        .collect();
    let i = names
        .iter()
        .position(|n| n.ends_with("_20240513_业务明细.csv"))
        .unwrap();
    archive
        .by_index(i)
        .unwrap()
        .read_to_end(&mut detail)
        .unwrap();
    let (csv, _, bad) = encoding_rs::GBK.decode(&detail);
    assert!(!bad);
    assert!(csv.contains(&trade_no) && csv.contains("LAY-1"), "{csv}");
    runtime.block_on(running.stop());
}

#[test]
fn tp_onboarding_and_faults_against_a_plain_http_client() {
    if !openssl_available() {
        eprintln!("SKIPPED: the openssl command-line tool is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("tp.pem");
    genkey(&key, 1024);
    let public = public_pem(&key);
    let (runtime, running, sb) = serve_sandbox(&dir.path().join("keys"), &[0, 200, 500]);
    let sb = sb.as_str();

    // the TP's event URL: records the JSON pushes, answers success
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let events_addr = listener.local_addr().unwrap().to_string();
    let pushes: Arc<Mutex<Vec<Value>>> = Arc::default();
    {
        let pushes = pushes.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Some((_, content_type, body)) = read_request(&stream) else {
                    continue;
                };
                let json_type = content_type.contains("application/json");
                let mut v: Value = serde_json::from_slice(&body).unwrap();
                v["_json_content_type"] = json!(json_type);
                pushes.lock().unwrap().push(v);
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\nsuccess"
                );
            }
        });
    }
    let (status, v) = post(
        sb,
        "/sandbox/tp/apps",
        "application/json",
        &json!({"app_id": 555, "tp_app_id": 777, "event_url": format!("http://{events_addr}/e")})
            .to_string(),
    );
    assert_eq!(status, 201, "{v}");
    let token = percent_encode(v["access_token"].as_str().unwrap());
    let api = |method: &str, path: &str, body: &str| -> Value {
        let (status, text) = exchange(
            sb,
            method,
            &format!("/rest/2.0/smartapp/pay/{path}?access_token={token}"),
            "application/x-www-form-urlencoded",
            body,
        );
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    };
    let account = form(&[
        ("business_scope", "软件开发"),
        ("business_province", "广东省"),
        ("business_city", "深圳市"),
        ("business_detail_address", "科技园"),
        ("legal_person", "李四"),
        ("legal_id", "11010119900307663X"),
        ("id_card_front_url", "https://i.example/f.jpg"),
        ("id_card_back_url", "https://i.example/b.jpg"),
    ]);
    assert_eq!(api("GET", "account/auditstatus", "")["errno"], 60006);
    assert_eq!(api("POST", "account/create", &account)["errno"], 0);
    assert_eq!(api("POST", "account/create", &account)["errno"], 60017);
    assert_eq!(api("GET", "account/auditstatus", "")["data"]["status"], 2);
    let decide = |step: &str, pass: bool| {
        let (status, v) = post(
            sb,
            "/sandbox/tp/audit",
            "application/json",
            &json!({"app_id": 555, "step": step, "pass": pass, "reason": "照片不清晰"}).to_string(),
        );
        assert_eq!(status, 200, "{v}");
    };
    decide("account", true);
    assert_eq!(api("GET", "account/auditstatus", "")["data"]["status"], 4);
    let config = form(&[
        ("tp_public_key", &public),
        ("pay_notify_url", "http://127.0.0.1:9/pay"),
        ("refund_audit_url", "http://127.0.0.1:9/audit"),
        ("refund_succ_url", "http://127.0.0.1:9/refund"),
    ]);
    let service = form(&[
        ("app_name", "独立"),
        ("service_phone", "4001234567"),
        ("bank_account", "独立科技"),
        ("bank_card", "6222020200112233445"),
        ("bank_name", "招商银行"),
        ("bank_branch", "深圳分行"),
        ("open_province", "广东省"),
        ("open_city", "深圳市"),
        ("payment_days", "7"),
        ("commission_rate", "6"),
        ("pool_cash_pledge", "0"),
        ("day_max_frozen_amount", "1000"),
    ]);
    assert_eq!(
        api("POST", "paymentservice/create", &service)["errno"],
        60014
    );
    assert_eq!(api("POST", "developconfig/submit", &config)["errno"], 0);
    assert_eq!(api("POST", "developconfig/submit", &config)["errno"], 60018);
    decide("develop_config", false);
    assert_eq!(
        api("POST", "paymentservice/create", &service)["errno"],
        60014
    );
    assert_eq!(api("POST", "developconfig/submit", &config)["errno"], 0);
    decide("develop_config", true);
    assert_eq!(api("POST", "paymentservice/create", &service)["errno"], 0);
    assert_eq!(
        api("POST", "paymentservice/create", &service)["errno"],
        60019
    );
    decide("payment_service", true);
    let bound = api("GET", "paymentservice/getbindservice", "");
    assert_eq!(bound["data"]["open_status"], 2, "{bound}");
    let pm_app_key = bound["data"]["pm_app_key"].as_str().unwrap().to_owned();
    wait_for("four pushes", || pushes.lock().unwrap().len() == 4);
    let events: Vec<String> = pushes
        .lock()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["_json_content_type"], true, "{p}");
            assert_eq!(
                (p["appId"].as_u64(), p["tpAppId"].as_u64()),
                (Some(555), Some(777))
            );
            p["event"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        events,
        [
            "APP_PAYMENT_CREATE_ACCOUNT_PASS",
            "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
            "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
            "APP_PAYMENT_CREATE_PAYMENT_PASS"
        ]
    );
    assert_eq!(pushes.lock().unwrap()[1]["reason"], "照片不清晰");

    // faults, seen from a plain client: an injected status, then a dropped answer
    let find = format!(
        "/rest/2.0/smartapp/pay/paymentservice/tp/findByTpOrderId?access_token={token}&tpOrderId=none&pmAppKey={pm_app_key}"
    );
    let (status, v) = post(
        sb,
        "/sandbox/faults",
        "application/json",
        &json!({"kind": "status", "path": "/rest/2.0/smartapp/pay/paymentservice/tp/", "status": 502}).to_string(),
    );
    assert_eq!(status, 201, "{v}");
    assert_eq!(exchange(sb, "GET", &find, "text/plain", "").0, 502);
    let (status, answer) = exchange(sb, "GET", &find, "text/plain", "");
    assert_eq!(status, 200);
    assert!(answer.contains("10002"), "{answer}");
    post(
        sb,
        "/sandbox/faults",
        "application/json",
        &json!({"kind": "drop", "path": "/rest/2.0/smartapp/pay/paymentservice/tp/"}).to_string(),
    );
    // the connection is cut: no complete answer arrives
    let mut s = TcpStream::connect(sb).unwrap();
    write!(
        s,
        "GET {find} HTTP/1.1\r\nHost: {sb}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(
        !text.contains("\r\n0\r\n\r\n") && !text.contains("errno"),
        "a complete answer arrived: {text}"
    );
    runtime.block_on(running.stop());
}
