//! `load`: a small closed-loop HTTP load generator (keep-alive connections, one request in
//! flight per connection), used by `cargo xtask bench` so that no external tool is needed.
//!
//! `load --url URL [--body FILE | --bodies FILE] [--expect TEXT] [--content-type CT]
//! [--connections 32] [--seconds 5]` prints `{"requests":N,"seconds":S,"rps":R,"non_2xx":K,
//! "errors":E,"unexpected":U,"p50_us":P,"p99_us":Q,"bodies":B,"wrapped":W}`.
//!
//! `--bodies FILE` holds one body per line; each request takes the next one (unique requests,
//! e.g. distinct notifies), starting over when all were sent (`wrapped` counts the requests sent
//! after that). `--expect TEXT`: a 2xx answer whose body is not exactly TEXT counts as
//! `unexpected` (and not in `requests`). Latency percentiles are over the answered requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use baidupay_transport::{Clock, HyperTransport, RetryPolicy, Settings, SystemClock, Transport};
use bytes::Bytes;

fn main() -> anyhow::Result<()> {
    let mut url = None;
    let (mut bodies, mut ct) = (
        vec![Bytes::new()],
        "application/x-www-form-urlencoded".to_owned(),
    );
    let mut expect: Option<Bytes> = None;
    let (mut conns, mut secs) = (32usize, 5u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().with_context(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--url" => url = Some(v),
            "--body" => bodies = vec![Bytes::from(std::fs::read(&v).with_context(|| v.clone())?)],
            "--bodies" => {
                let all = std::fs::read(&v).with_context(|| v.clone())?;
                bodies = all
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .map(Bytes::copy_from_slice)
                    .collect();
                anyhow::ensure!(!bodies.is_empty(), "{v} holds no body");
            }
            "--expect" => expect = Some(Bytes::from(v)),
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
    let bodies = Arc::new(bodies);
    let expect = Arc::new(expect);
    rt.block_on(async move {
        let t = Arc::new(HyperTransport::new(Settings::default().allow_http(true))?);
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicUsize::new(0));
        let (ok, non2xx, errs, unexpected) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let mut tasks = Vec::new();
        for _ in 0..conns {
            let (t, stop, ok, non2xx, errs, unexpected, next) = (
                t.clone(),
                stop.clone(),
                ok.clone(),
                non2xx.clone(),
                errs.clone(),
                unexpected.clone(),
                next.clone(),
            );
            let (url, bodies, expect, ct) = (url.clone(), bodies.clone(), expect.clone(), ct.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let body = bodies[i % bodies.len()].clone();
                    let req = http::Request::post(&url)
                        .header("content-type", &ct)
                        .body(body);
                    let Ok(req) = req else { break };
                    let sent = SystemClock.now();
                    let answer = t.send(req).await;
                    let took = SystemClock.now().duration_since(sent);
                    match answer {
                        Ok(r) if r.status().is_success() => {
                            latencies.push(u64::try_from(took.as_micros()).unwrap_or(u64::MAX));
                            if expect.as_ref().as_ref().is_some_and(|e| r.body() != e) {
                                unexpected.fetch_add(1, Ordering::Relaxed)
                            } else {
                                ok.fetch_add(1, Ordering::Relaxed)
                            }
                        }
                        Ok(_) => non2xx.fetch_add(1, Ordering::Relaxed),
                        Err(_) => errs.fetch_add(1, Ordering::Relaxed),
                    };
                }
                latencies
            }));
        }
        let start = SystemClock.now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        let elapsed = SystemClock.now().duration_since(start);
        let mut latencies = Vec::new();
        for task in tasks {
            if let Ok(l) = task.await {
                latencies.extend(l);
            }
        }
        latencies.sort_unstable();
        let pct = |p: usize| {
            latencies
                .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        let n = ok.load(Ordering::Relaxed);
        let ms = u64::try_from(elapsed.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let sent = next.load(Ordering::Relaxed);
        println!(
            "{{\"requests\":{n},\"seconds\":{}.{:03},\"rps\":{},\"non_2xx\":{},\"errors\":{},\"unexpected\":{},\"p50_us\":{},\"p99_us\":{},\"bodies\":{},\"wrapped\":{}}}",
            ms / 1000,
            ms % 1000,
            n * 1000 / ms,
            non2xx.load(Ordering::Relaxed),
            errs.load(Ordering::Relaxed),
            unexpected.load(Ordering::Relaxed),
            pct(50),
            pct(99),
            bodies.len(),
            sent.saturating_sub(bodies.len())
        );
        anyhow::Ok(())
    })
}
