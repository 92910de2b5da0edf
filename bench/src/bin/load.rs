//! `load`: a small closed-loop HTTP load generator (keep-alive connections, one request in
//! flight per connection), used by `cargo xtask bench` so that no external tool is needed.
//!
//! `load --url URL [--body FILE] [--content-type CT] [--connections 32] [--seconds 5]`
//! prints `{"requests":N,"seconds":S,"rps":R,"non_2xx":K,"errors":E}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use baidupay_transport::{Clock, HyperTransport, RetryPolicy, Settings, SystemClock, Transport};
use bytes::Bytes;

fn main() -> anyhow::Result<()> {
    let mut url = None;
    let (mut body, mut ct) = (Bytes::new(), "application/x-www-form-urlencoded".to_owned());
    let (mut conns, mut secs) = (32usize, 5u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().with_context(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--url" => url = Some(v),
            "--body" => body = Bytes::from(std::fs::read(&v).with_context(|| v.clone())?),
            "--content-type" => ct = v,
            "--connections" => conns = v.parse()?,
            "--seconds" => secs = v.parse()?,
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    let url = url.context("--url is required")?;
    let _ = RetryPolicy::none();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let t = Arc::new(HyperTransport::new(Settings::default().allow_http(true))?);
        let stop = Arc::new(AtomicBool::new(false));
        let (ok, non2xx, errs) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (t, stop, ok, non2xx, errs) = (
                t.clone(),
                stop.clone(),
                ok.clone(),
                non2xx.clone(),
                errs.clone(),
            );
            let (url, body, ct) = (url.clone(), body.clone(), ct.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let req = http::Request::post(&url)
                        .header("content-type", &ct)
                        .body(body.clone());
                    let Ok(req) = req else { break };
                    match t.send(req).await {
                        Ok(r) if r.status().is_success() => ok.fetch_add(1, Ordering::Relaxed),
                        Ok(_) => non2xx.fetch_add(1, Ordering::Relaxed),
                        Err(_) => errs.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }));
        }
        let start = SystemClock.now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = SystemClock.now().duration_since(start);
        for task in tasks {
            let _ = task.await;
        }
        let n = ok.load(Ordering::Relaxed);
        let ms = u64::try_from(elapsed.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        println!(
            "{{\"requests\":{n},\"seconds\":{}.{:03},\"rps\":{},\"non_2xx\":{},\"errors\":{}}}",
            ms / 1000,
            ms % 1000,
            n * 1000 / ms,
            non2xx.load(Ordering::Relaxed),
            errs.load(Ordering::Relaxed)
        );
        anyhow::Ok(())
    })
}
