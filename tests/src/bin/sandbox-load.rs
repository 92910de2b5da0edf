//! `sandbox-load`: end-to-end throughput of the sandbox's cashier: `POST /sandbox/cashier/pay`
//! and the payment notify it delivers to the example merchant, which verifies it, records the
//! order and answers the exact ack. One process on loopback (sandbox, merchant and load
//! generator share the machine, as they would in a developer's test run).
//!
//! `sandbox-load [--orders 2000] [--connections 32] [--db 1]` (`--db 1`: state in a temporary
//! SQLite file) prints one JSON line:
//! `{"orders":N,"pay_seconds":S,"pay_per_s":R,"e2e_seconds":S,"e2e_orders_per_s":R,
//!   "hello_per_s":R,"ratio":X,"acknowledged":N,"effects":N}`, where `hello_per_s` is the same
//! client POSTing the same bodies to a hello-world endpoint in the same run (the reference),
//! and the order bodies are signed before the clock starts.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a benchmark driver

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use baidupay_e2e::{World, http, serve};
use baidupay_model::{Fen, TpOrderId};
use baidupay_sandbox::{CallbackKind, SandboxConfig};
use baidupay_transport::{Clock, HyperTransport, SystemClock, Transport};
use bytes::Bytes;

/// POSTs every body once over `connections` concurrent keep-alive connections; returns the
/// elapsed time and how many answers were not 2xx.
async fn push(
    http: &Arc<HyperTransport>,
    url: &str,
    bodies: &Arc<Vec<Bytes>>,
    connections: usize,
) -> (Duration, usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let start = SystemClock.now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (http, bodies, next, failed, url) = (
            http.clone(),
            bodies.clone(),
            next.clone(),
            failed.clone(),
            url.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let req = http::Request::post(url.as_str())
                    .header(http::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .unwrap();
                match http.send(req).await {
                    Ok(r) if r.status().is_success() => {}
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (start.elapsed(), failed.load(Ordering::Relaxed))
}

#[allow(clippy::float_arithmetic, clippy::cast_precision_loss)] // reporting only
fn main() {
    let mut orders = 2000usize;
    let mut connections = 32usize;
    let mut db = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{a} needs a number"));
        match a.as_str() {
            "--orders" => orders = v,
            "--connections" => connections = v,
            "--db" => db = v != 0,
            other => panic!("unknown argument {other}"),
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // a long first retry gap: a notify that is not acknowledged at once shows as a
        // shortfall instead of being hidden by a quick retry
        let dir = tempfile::tempdir().unwrap();
        let mut config =
            SandboxConfig::default().retry_schedule([0, 30_000].into_iter().map(Duration::from_millis));
        if db {
            config = config.db(dir.path().join("state.sqlite"));
        }
        let w = World::start(config).await;
        let mut bodies = Vec::with_capacity(orders);
        for i in 0..orders {
            let tp = TpOrderId::new(format!("LOAD-{i}")).unwrap();
            let fen = Fen::new(100 + u64::try_from(i % 1000).unwrap());
            w.app.create_order(tp.clone(), fen).await.unwrap();
            let info = w.client.order_info(tp, fen, "load").unwrap();
            bodies.push(Bytes::from(serde_json::to_vec(&info).unwrap()));
        }
        let bodies = Arc::new(bodies);
        let client = http();

        // the reference: the same client and bodies against a hello-world endpoint
        let hello = serve(axum::Router::new().route("/", axum::routing::post(|| async { "ok" }))).await;
        let (hello_time, _) = push(&client, &format!("http://{hello}/"), &bodies, connections).await;

        let start = SystemClock.now();
        let (pay_time, failed) = push(&client, &w.url("/sandbox/cashier/pay"), &bodies, connections).await;
        assert_eq!(failed, 0, "cashier/pay answered non-2xx");
        let deadline = SystemClock.now() + Duration::from_secs(120);
        let acknowledged = loop {
            let acked = w
                .sandbox
                .deliveries()
                .iter()
                .filter(|d| d.kind == CallbackKind::Payment && d.acknowledged)
                .count();
            if acked >= orders || SystemClock.now() > deadline {
                break acked;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        let e2e = start.elapsed();
        let effects = w.app.counters().await.0;
        let per_s = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
        let hello = per_s(orders, hello_time);
        let e2e_rate = per_s(orders, e2e);
        println!(
            "{{\"orders\":{orders},\"connections\":{connections},\"db\":{db},\"pay_seconds\":{:.3},\"pay_per_s\":{:.0},\"e2e_seconds\":{:.3},\"e2e_orders_per_s\":{e2e_rate:.0},\"hello_per_s\":{hello:.0},\"ratio\":{:.3},\"acknowledged\":{acknowledged},\"effects\":{effects}}}",
            pay_time.as_secs_f64(),
            per_s(orders, pay_time),
            e2e.as_secs_f64(),
            e2e_rate / hello,
        );
    });
}
