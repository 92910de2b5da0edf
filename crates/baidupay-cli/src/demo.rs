//! `baidupay sandbox` and `baidupay demo`: the step runner and the Baidu cashier steps here,
//! the TP, Alipay and bill steps and the demo's merchant callback server in `demo/`.

mod alipay;
mod bills;
mod merchant;
mod tp;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baidupay_cashier::{CashierClient, CashierConfig, LegacyHost, TokenProvider};
use baidupay_crypto::PrivateKey;
use baidupay_model::cashier::{
    ApplyRefundRequest, BillKind, Date, LegacyPayStatus, PayStatus, RefundQueryStatus, RefundType,
};
use baidupay_model::{
    AppKey, BizRefundBatchId, ClientId, DealId, Fen, OrderId, PayAppId, Secret, TpOrderId,
};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_sandbox::{CallbackKind, Sandbox, SandboxConfig};
use baidupay_transport::{Clock, HyperTransport, Settings, SystemClock, Transport};
use bytes::Bytes;
use clap::Args;
use serde_json::{Value, json};

use self::bills::{DEMO_DAY, DemoClock};
use self::merchant::{Channel, Merchant, PAY_PATH, REFUND_AUDIT_PATH, REFUND_PATH};
use crate::error::{CliError, chain};

/// `baidupay sandbox`.
#[derive(Debug, Args)]
pub(crate) struct SandboxArgs {
    /// Address to listen on (loopback unless told otherwise)
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// Keep the state in this SQLite file (created when missing), so that it survives a
    /// restart; without it the state is in memory only
    #[arg(long)]
    db: Option<PathBuf>,
    /// Where the platform key pair is loaded from or created
    #[arg(long, default_value = "sandbox-keys")]
    keys: PathBuf,
    /// Connections served at once; one more is answered 503 and closed [default: 512]
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Milliseconds a client may take to send a request head, also the idle keep-alive
    /// timeout [default: 2000]
    #[arg(long, value_name = "MS")]
    header_timeout_ms: Option<u64>,
    /// Milliseconds a client may take to send a request body [default: 2000]
    #[arg(long, value_name = "MS")]
    body_timeout_ms: Option<u64>,
}

impl SandboxArgs {
    /// The server limits: the defaults, with the flags given.
    fn server_limits(&self) -> baidupay_notify::axum::ServerLimits {
        let mut limits = baidupay_notify::axum::ServerLimits::default();
        if let Some(n) = self.max_connections {
            limits = limits.max_connections(n);
        }
        if let Some(ms) = self.header_timeout_ms {
            limits = limits.header_read_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = self.body_timeout_ms {
            limits = limits.body_read_timeout(Duration::from_millis(ms));
        }
        limits
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::input(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn sandbox(args: &SandboxArgs) -> Result<(), CliError> {
    let mut config = SandboxConfig::default()
        .keys_dir(&args.keys)
        .server_limits(args.server_limits());
    if let Some(db) = &args.db {
        config = config.db(db);
    }
    let sandbox = Sandbox::new(config).map_err(|e| CliError::input(chain(&e)))?;
    runtime()?.block_on(async {
        let running = sandbox
            .start(args.listen)
            .await
            .map_err(|e| CliError::input(chain(&e)))?;
        println!("sandbox listening on {}", running.base_url());
        if let Some(p) = sandbox.platform_public_key_path() {
            println!("platform public key: {}", p.display());
        }
        match &args.db {
            Some(db) => println!("state: {} (SQLite; survives a restart)", db.display()),
            None => println!("state: in memory (use --db FILE to keep it)"),
        }
        let _ = tokio::signal::ctrl_c().await;
        running.stop().await;
        Ok(())
    })
}

/// A failed step: what was expected and what came back.
struct Failure(String);

type Step<T> = Result<T, Failure>;

fn fail<T>(msg: impl Into<String>) -> Step<T> {
    Err(Failure(msg.into()))
}

fn expect<T, E: std::error::Error>(r: Result<T, E>, what: &str) -> Step<T> {
    r.map_err(|e| Failure(format!("{what}: {}", crate::error::chain(&e))))
}

struct Demo {
    n: usize,
    started: Instant,
}

impl Demo {
    async fn step<T, F>(&mut self, name: &str, f: F) -> Result<T, CliError>
    where
        F: Future<Output = Step<(T, String)>>,
    {
        self.n += 1;
        let t = SystemClock.now();
        let r = f.await;
        let ms = SystemClock.now().duration_since(t).as_millis();
        match r {
            Ok((v, detail)) => {
                println!("{:>2}. {name:<50} ok    {ms:>5} ms  {detail}", self.n);
                Ok(v)
            }
            Err(Failure(why)) => {
                println!("{:>2}. {name:<50} FAIL  {ms:>5} ms", self.n);
                Err(CliError::Invalid(format!(
                    "step {} ({name}) failed: {why}",
                    self.n
                )))
            }
        }
    }
}

/// Waits for an asynchronous effect (a deadline, not a speed check).
async fn eventually<F, Fut>(mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    false
}

/// Serves `router` on a free loopback port for the rest of the demo.
async fn serve(router: axum::Router) -> Step<SocketAddr> {
    let listener = expect(
        tokio::net::TcpListener::bind("127.0.0.1:0").await,
        "binding",
    )?;
    let addr = expect(listener.local_addr(), "address")?;
    let limits = baidupay_notify::axum::ServerLimits::default();
    tokio::spawn(baidupay_notify::axum::serve(listener, router, limits).into_future());
    Ok(addr)
}

/// Whether a callback of `kind` has been acknowledged.
fn acknowledged(sandbox: &Sandbox, kind: CallbackKind) -> bool {
    sandbox
        .deliveries()
        .iter()
        .any(|x| x.kind == kind && x.acknowledged)
}

/// Waits until a callback of `kind` was acknowledged and the merchant has `effects` effects.
async fn applied(sandbox: &Sandbox, app: &Merchant, kind: CallbackKind, effects: u64) -> Step<()> {
    let done =
        eventually(|| async { acknowledged(sandbox, kind) && app.counters().0 == effects }).await;
    if done {
        Ok(())
    } else {
        fail(format!(
            "no acknowledged {kind:?} callback applied ({effects} effects expected); deliveries: {:?}",
            sandbox.deliveries()
        ))
    }
}

async fn get_json(http: &HyperTransport, url: &str) -> Step<Value> {
    let req = expect(http::Request::get(url).body(Bytes::new()), "request")?;
    let r = expect(http.send(req).await, url)?;
    Ok(serde_json::from_slice(r.body()).unwrap_or(Value::Null))
}

async fn post_json(http: &HyperTransport, url: &str, v: &Value) -> Step<(u16, Value)> {
    let req = expect(
        http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Bytes::from(v.to_string())),
        "request",
    )?;
    let r = expect(http.send(req).await, url)?;
    let status = r.status().as_u16();
    Ok((
        status,
        serde_json::from_slice(r.body()).unwrap_or(Value::Null),
    ))
}

pub(crate) fn demo() -> Result<(), CliError> {
    runtime()?.block_on(run())
}

const APP_KEY: &str = "MMMdemo";
const DEAL_ID: u64 = 470_193_086;
const APP_ID: u64 = 10026;
const ALIPAY_APP_ID: &str = "2021000122671080";

#[allow(clippy::too_many_lines)] // one line per step, in order
async fn run() -> Result<(), CliError> {
    let mut d = Demo {
        n: 0,
        started: SystemClock.now(),
    };
    println!(
        "baidupay demo: the Baidu cashier, TP onboarding and Alipay JSAPI flows against the offline sandbox, on loopback, then the day's bills reconciled (sandbox day {DEMO_DAY})\n"
    );
    let clock = Arc::new(DemoClock::new());
    let keys_dir = std::env::temp_dir().join(format!("baidupay-demo-{}", std::process::id()));
    let merchant_key = d
        .step("keygen (merchant key pair, 2048-bit)", async {
            let k = expect(PrivateKey::generate(2048), "keygen")?;
            Ok((k, String::new()))
        })
        .await?;
    let (sandbox, running) = d
        .step("start the sandbox", async {
            let s = expect(
                Sandbox::new(
                    SandboxConfig::default()
                        .keys_dir(&keys_dir)
                        .retry_schedule(
                            [0, 50, 100, 200, 400]
                                .into_iter()
                                .map(Duration::from_millis),
                        )
                        .clock(clock.clone()),
                ),
                "sandbox",
            )?;
            let r = expect(s.start(([127, 0, 0, 1], 0).into()).await, "binding")?;
            let base = r.base_url().to_owned();
            Ok(((s, r), base))
        })
        .await?;
    let base = running.base_url().to_owned();
    let app = Merchant::new(ALIPAY_APP_ID);
    let merchant = d
        .step("start the merchant callback server", async {
            let router = app.router(
                &BaiduNotifier::new(sandbox.platform_public_key().clone()),
                AlipayNotifier::new(sandbox.alipay_public_key().clone()),
            );
            let addr = serve(router).await?;
            Ok((addr, format!("http://{addr}")))
        })
        .await?;
    let http = Arc::new(
        // idle connections go before the sandbox's 2 s idle timeout would close them
        HyperTransport::new(
            Settings::default()
                .allow_http(true)
                .pool_idle_timeout(Duration::from_secs(1)),
        )
        .map_err(|e| CliError::input(chain(&e)))?,
    );
    d.step("merchant registration", async {
        let (status, v) = post_json(
            &http,
            &format!("{base}/sandbox/merchants"),
            &json!({
                "app_key": APP_KEY, "deal_id": DEAL_ID, "app_id": APP_ID,
                "client_id": "demoClientId", "client_secret": "demoClientSecret",
                "merchant_public_key": merchant_key.public_key().to_spki_pem(),
                "notify_url": format!("http://{merchant}{PAY_PATH}"),
                "refund_audit_url": format!("http://{merchant}{REFUND_AUDIT_PATH}"),
                "refund_notify_url": format!("http://{merchant}{REFUND_PATH}"),
            }),
        )
        .await?;
        if status != 201 {
            return fail(format!("expected 201, got {status}: {v}"));
        }
        Ok(((), APP_KEY.to_owned()))
    })
    .await?;
    let tokens = Arc::new(baidupay_cashier::ClientCredentialsProvider::new(
        http.clone(),
        &base,
        baidupay_model::cashier::ClientCredentials::new(
            ClientId::new("demoClientId").map_err(|e| CliError::input(e.to_string()))?,
            Secret::new("demoClientSecret"),
        ),
    ));
    d.step("access token (client credentials)", async {
        let t = expect(tokens.access_token().await, "token")?;
        Ok((
            (),
            format!("{}…", t.expose().chars().take(12).collect::<String>()),
        ))
    })
    .await?;
    let config = CashierConfig::new(
        AppKey::new(APP_KEY).map_err(|e| CliError::input(e.to_string()))?,
        DealId::new(DEAL_ID),
        merchant_key.clone(),
    )
    .api_base(&base)
    .app_id(PayAppId::new(APP_ID))
    .query_base(&base)
    .legacy_host(LegacyHost::Etrade(base.clone()));
    let client = CashierClient::new(config, http.clone(), tokens.clone());
    let tp = TpOrderId::new("DEMO-1").map_err(|e| CliError::input(e.to_string()))?;
    app.create_order(tp.clone(), Fen::new(11300));
    let info = d
        .step("orderInfo (signed, 113.00 yuan)", async {
            let info = expect(
                client.order_info(tp.clone(), Fen::new(11300), "sandbox goods"),
                "orderInfo",
            )?;
            let sig: String = info.rsa_sign.chars().take(12).collect();
            Ok((info, format!("rsaSign {sig}…")))
        })
        .await?;
    let info_json = serde_json::to_value(&info).map_err(|e| CliError::input(e.to_string()))?;
    d.step("check-order (the errCode:6 checklist)", async {
        let checks = baidupay_cashier::check_order_info(&info_json, merchant_key.public_key());
        match checks.iter().find(|c| !c.ok) {
            Some(c) => fail(format!("{}: {}", c.name, c.detail)),
            None => Ok(((), format!("{} checks pass", checks.len()))),
        }
    })
    .await?;
    let paid = d
        .step("cashier pay", async {
            let (status, v) =
                post_json(&http, &format!("{base}/sandbox/cashier/pay"), &info_json).await?;
            if status != 200 || v["status"] != 2 {
                return fail(format!("expected 200 and status 2, got {status}: {v}"));
            }
            Ok((v.clone(), format!("orderId {}", v["orderId"])))
        })
        .await?;
    d.step("payment notify verified and acknowledged", async {
        applied(&sandbox, &app, CallbackKind::Payment, 1).await?;
        Ok(((), "merchant applied it once".to_owned()))
    })
    .await?;
    let order = d
        .step("find order (findByTpOrderId)", async {
            let o = expect(client.find_order(tp.clone()).await, "findByTpOrderId")?;
            if o.status != PayStatus::Paid || Some(o.order_id.get()) != paid["orderId"].as_u64() {
                return fail(format!(
                    "expected paid order {}, got {o:?}",
                    paid["orderId"]
                ));
            }
            Ok((o, "status 2 (paid)".to_owned()))
        })
        .await?;
    d.step("duplicate notify acknowledged, not applied twice", async {
        let Some(first) = sandbox.deliveries().into_iter().find(|x| x.kind == CallbackKind::Payment) else {
            return fail("no payment notify was delivered");
        };
        let req = expect(
            http::Request::post(first.url.as_str())
                .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Bytes::from(first.body.clone())),
            "request",
        )?;
        let r = expect(http.send(req).await, "merchant")?;
        let (effects, duplicates) = app.counters();
        if &r.body()[..] != br#"{"errno":0,"msg":"success","data":{"isConsumed":2}}"# || effects != 1 || duplicates != 1 {
            return fail(format!("expected the exact ack and 1 effect, 1 duplicate; got {:?}, {effects}, {duplicates}", r.body()));
        }
        Ok(((), "effects 1, duplicates 1".to_owned()))
    })
    .await?;
    let user = order
        .user_id
        .ok_or_else(|| CliError::Invalid("the order has no userId".into()))?;
    let refund = d
        .step("partial refund (30.00) with the merchant's audit", async {
            let req = expect(
                ApplyRefundRequest::new(
                    order.order_id,
                    user,
                    tp.clone(),
                    expect(BizRefundBatchId::new("DEMO-RB-1"), "batch id")?,
                    RefundType::CustomerService,
                    "demo partial refund",
                    expect(AppKey::new(APP_KEY), "appKey")?,
                )
                .and_then(|r| r.partial(Fen::new(3000)))
                .map(ApplyRefundRequest::with_merchant_audit),
                "refund request",
            )?;
            let r = expect(client.apply_refund(&req).await, "applyOrderRefund")?;
            let audited =
                eventually(|| async { acknowledged(&sandbox, CallbackKind::RefundAudit) }).await;
            if !audited {
                return fail("the refund audit was not acknowledged");
            }
            Ok((r.clone(), format!("refundBatchId {}", r.refund_batch_id)))
        })
        .await?;
    d.step("refund notify verified and acknowledged", async {
        applied(&sandbox, &app, CallbackKind::Refund, 2).await?;
        app.record_refund(
            Channel::Baidu,
            tp.as_str(),
            "DEMO-RB-1",
            Some(refund.refund_batch_id.to_string()),
            Fen::new(3000),
        );
        Ok(((), "merchant applied it once".to_owned()))
    })
    .await?;
    d.step("find refunds (findOrderRefund)", async {
        let list = expect(
            client.find_refunds(tp.clone(), user).await,
            "findOrderRefund",
        )?;
        match list.as_slice() {
            [r] if r.refund_status == RefundQueryStatus::Succeeded
                && r.refund_batch_id == refund.refund_batch_id =>
            {
                Ok(((), "1 refund, status 2 (succeeded)".to_owned()))
            }
            other => fail(format!("expected one succeeded refund, got {other:?}")),
        }
    })
    .await?;
    d.step("refund (20.00) without the audit (isSkipAudit 1)", async {
        let req = expect(
            ApplyRefundRequest::new(
                order.order_id,
                user,
                tp.clone(),
                expect(BizRefundBatchId::new("DEMO-RB-2"), "batch id")?,
                RefundType::CustomerService,
                "demo refund without audit",
                expect(AppKey::new(APP_KEY), "appKey")?,
            )
            .and_then(|r| r.partial(Fen::new(2000))),
            "refund request",
        )?;
        let r = expect(client.apply_refund(&req).await, "applyOrderRefund")?;
        applied(&sandbox, &app, CallbackKind::Refund, 3).await?;
        app.record_refund(
            Channel::Baidu,
            tp.as_str(),
            "DEMO-RB-2",
            Some(r.refund_batch_id.to_string()),
            Fen::new(2000),
        );
        let audits = sandbox
            .deliveries()
            .iter()
            .filter(|x| x.kind == CallbackKind::RefundAudit)
            .count();
        if audits != 1 {
            return fail(format!(
                "expected no second audit, {audits} audits were asked"
            ));
        }
        Ok((
            (),
            format!("refundBatchId {}, no audit asked", r.refund_batch_id),
        ))
    })
    .await?;
    d.step("a notify failed 4 times locks the order", async {
        let (status, v) = post_json(
            &http,
            &format!("{base}/sandbox/merchants"),
            &json!({
                "app_key": "MMMdemolock", "deal_id": DEAL_ID, "app_id": APP_ID,
                "client_id": "demoLockId", "client_secret": "demoLockSecret",
                "merchant_public_key": merchant_key.public_key().to_spki_pem(),
                "notify_url": format!("http://{merchant}/nowhere"),
                "refund_audit_url": format!("http://{merchant}{REFUND_AUDIT_PATH}"),
                "refund_notify_url": format!("http://{merchant}{REFUND_PATH}"),
            }),
        )
        .await?;
        if status != 201 {
            return fail(format!("expected 201, got {status}: {v}"));
        }
        let lock_client = CashierClient::new(
            CashierConfig::new(
                expect(AppKey::new("MMMdemolock"), "appKey")?,
                DealId::new(DEAL_ID),
                merchant_key.clone(),
            ),
            http.clone(),
            tokens.clone(),
        );
        let info = expect(
            lock_client.order_info(
                expect(TpOrderId::new("DEMO-LOCK"), "id")?,
                Fen::new(500),
                "locked",
            ),
            "orderInfo",
        )?;
        let v = expect(serde_json::to_value(&info), "json")?;
        let (_, paid) = post_json(&http, &format!("{base}/sandbox/cashier/pay"), &v).await?;
        let shown = format!("{base}/sandbox/merchants/MMMdemolock");
        let locked = eventually(|| async {
            get_json(&http, &shown)
                .await
                .is_ok_and(|m| m["locked_orders"] == json!([paid["orderId"]]))
        })
        .await;
        let attempts = sandbox
            .deliveries()
            .into_iter()
            .filter(|x| x.app_key == "MMMdemolock")
            .collect::<Vec<_>>();
        match attempts.last() {
            Some(last) if locked && attempts.len() == 4 && last.reason.contains("locked") => Ok((
                (),
                format!("orderId {}: 4 attempts, 已付款 for good", paid["orderId"]),
            )),
            _ => fail(format!(
                "expected 4 failed attempts and a lock, got {attempts:?}"
            )),
        }
    })
    .await?;
    d.step("order bill download (orderBill)", async {
        let day = expect(Date::parse(DEMO_DAY), "date")?;
        let list = expect(client.bill(BillKind::Order, day).await, "orderBill")?;
        let Some(file) = list.data.first() else {
            return fail("no bill file listed");
        };
        let got = expect(client.download_bill(file).await, "download")?;
        let bill = expect(got.entries(), "the bill")?;
        let paid = baidupay_model::reconcile::Entry::payment("DEMO-1", Fen::new(11300))
            .with_platform_id(order.order_id.get().to_string());
        if !bill.entries.contains(&paid) {
            return fail(format!(
                "the bill does not hold the order: {:?}",
                bill.entries
            ));
        }
        Ok((
            (),
            format!("{} bytes, {} rows", got.bytes.len(), bill.entries.len()),
        ))
    })
    .await?;
    d.step("1.0 queryorderdetail (signed)", async {
        let q = expect(
            client.query_order_detail(order.order_id, user).await,
            "queryorderdetail",
        )?;
        if q.pay_status.status_num != LegacyPayStatus::Paid {
            return fail(format!("expected payStatus 1, got {q:?}"));
        }
        Ok(((), "payStatus 1 (paid)".to_owned()))
    })
    .await?;
    d.step("close an unpaid order (cancelOrder)", async {
        let tp2 = expect(TpOrderId::new("DEMO-2"), "id")?;
        let info = expect(
            client.order_info(tp2.clone(), Fen::new(500), "unpaid"),
            "orderInfo",
        )?;
        let v = expect(serde_json::to_value(&info), "json")?;
        let (_, created) = post_json(&http, &format!("{base}/sandbox/cashier/create"), &v).await?;
        let Some(id) = created["orderId"].as_u64() else {
            return fail(format!("create answered {created}"));
        };
        if !expect(client.cancel_order(OrderId::new(id)).await, "cancelOrder")? {
            return fail("cancelOrder answered false");
        }
        let o = expect(client.find_order(tp2).await, "findByTpOrderId")?;
        if o.status != PayStatus::Cancelled {
            return fail(format!("expected status -1, got {:?}", o.status));
        }
        Ok(((), "status -1 (closed)".to_owned()))
    })
    .await?;
    tp::tp_steps(&mut d, &http, &base, &merchant_key, merchant).await?;
    let alipay = alipay::alipay_steps(&mut d, &sandbox, &app, &http, &base, merchant).await?;
    bills::bill_steps(&mut d, &clock, &app, &client, &alipay, &keys_dir).await?;
    running.stop().await;
    let _ = std::fs::remove_dir_all(&keys_dir);
    println!(
        "\nall {} steps passed in {} ms",
        d.n,
        SystemClock.now().duration_since(d.started).as_millis()
    );
    Ok(())
}
