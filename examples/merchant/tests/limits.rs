//! The example merchant served as `main` serves it (`baidupay_notify::axum::serve`), attacked
//! over loopback with raw sockets: slow heads, slow bodies, idle keep-alive connections and
//! more connections than the cap. Small limits keep it quick; no assertion is about speed:
//! "answered" and "closed" are awaited with generous bounds, and a bound that runs out fails
//! the test as a hang.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use baidupay_crypto::PrivateKey;
use baidupay_example_merchant::{App, router};
use baidupay_notify::axum::{ServerLimits, serve};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// The tests run one at a time: each opens hundreds of sockets.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

/// Generous: only a server that hangs runs into it.
const BOUND: Duration = Duration::from_secs(20);

/// The example merchant's routes (fresh keys: no test here sends a signed callback).
fn merchant_router() -> axum::Router {
    let baidu = PrivateKey::generate(1024).unwrap();
    let alipay = PrivateKey::generate(2048).unwrap();
    router(
        App::new("2021000122671080"),
        BaiduNotifier::new(baidu.public_key().clone()),
        AlipayNotifier::new(alipay.public_key().clone()),
    )
}

/// The example merchant on a free loopback port, within `limits`; it stops with the test's
/// runtime.
async fn start(limits: ServerLimits) -> SocketAddr {
    let r = merchant_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, r, limits).into_future());
    addr
}

/// A request head cut in the middle of a header line.
const PARTIAL_HEAD: &[u8] = b"GET /stats HTTP/1.1\r\nHost: merchant\r\nX-Slow: ";

/// A payment notify announcing `length` bytes of body, and its first byte.
fn body_head(length: usize) -> Vec<u8> {
    format!(
        "POST /notify/baidu/pay HTTP/1.1\r\nHost: merchant\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\no"
    )
    .into_bytes()
}

/// How a read of the server's side ended.
#[derive(Debug, PartialEq)]
enum Ending {
    /// The server closed the connection (EOF or reset), after sending these bytes.
    Closed(String),
    /// Nothing closed it within the bound.
    StillOpen(String),
}

/// Reads until the server closes the connection or `bound` runs out.
async fn read_until_closed(s: &mut TcpStream, bound: Duration) -> Ending {
    let mut got = Vec::new();
    let read = tokio::time::timeout(bound, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let text = String::from_utf8_lossy(&got).into_owned();
    match read {
        Ok(()) => Ending::Closed(text),
        Err(_) => Ending::StillOpen(text),
    }
}

/// Reads one response to a `GET` (head and `Content-Length` body) on a kept-alive
/// connection; returns the status line and the head.
async fn read_response(s: &mut TcpStream) -> (String, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(BOUND, async {
        loop {
            let text = String::from_utf8_lossy(&got).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    let status = head.lines().next().unwrap_or_default().to_owned();
                    return (status, head.to_owned());
                }
            }
            let n = s.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed mid-response: {text:?}");
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("no complete response within the bound")
}

/// `GET /stats` on a fresh connection; the status line.
async fn get_stats(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\n\r\n")
        .await
        .unwrap();
    read_response(&mut s).await.0
}

/// Whether the server has neither answered nor closed `s` (a read would wait).
fn open_and_silent(s: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Writes one more byte to each connection every 500 ms until the task is aborted.
fn trickle(streams: std::sync::Arc<Vec<TcpStream>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            for s in streams.iter() {
                let _ = s.try_write(b"a");
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_request_is_answered_while_400_slow_connections_are_held_open() {
    let _one = ONE_AT_A_TIME.lock().await;
    // timeouts far longer than the test: the slow connections stay open throughout
    let addr = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .body_read_timeout(Duration::from_secs(120))
            .max_connections(1_000),
    )
    .await;
    let mut slow = Vec::new();
    for i in 0..400 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        if i % 2 == 0 {
            s.write_all(PARTIAL_HEAD).await.unwrap();
        } else {
            s.write_all(&body_head(10_000)).await.unwrap();
        }
        slow.push(s);
    }
    let slow = std::sync::Arc::new(slow);
    let trickling = trickle(slow.clone());
    tokio::time::sleep(Duration::from_millis(600)).await; // one trickle round at least

    assert_eq!(get_stats(addr).await, "HTTP/1.1 200 OK");

    let open = slow.iter().filter(|s| open_and_silent(s)).count();
    assert_eq!(open, 400, "every slow connection is still held open");
    trickling.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_is_closed_after_the_header_timeout() {
    let _one = ONE_AT_A_TIME.lock().await;
    let addr = start(ServerLimits::default().header_read_timeout(Duration::from_millis(300))).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(PARTIAL_HEAD).await.unwrap();
    // one byte every 100 ms: the head never completes, only the timeout can end it
    let (mut r, mut w) = s.into_split();
    let writer = tokio::spawn(async move {
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if w.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let mut got = Vec::new();
    let ended = tokio::time::timeout(BOUND, r.read_to_end(&mut got)).await;
    writer.abort();
    assert!(ended.is_ok(), "the slow head was never closed");
    assert!(!String::from_utf8_lossy(&got).contains(" 200 "), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_and_an_idle_keep_alive_one_are_closed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let addr = start(ServerLimits::default().header_read_timeout(Duration::from_millis(300))).await;
    // a connection that never sends anything
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        read_until_closed(&mut silent, BOUND).await,
        Ending::Closed(String::new())
    );
    // a kept-alive connection after its answer
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\n\r\n")
        .await
        .unwrap();
    let (status, head) = read_response(&mut s).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(!head.to_ascii_lowercase().contains("connection: close"));
    assert_eq!(
        read_until_closed(&mut s, BOUND).await,
        Ending::Closed(String::new())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_fails_after_the_body_timeout_and_an_oversized_one_at_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let addr = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .body_read_timeout(Duration::from_millis(300)),
    )
    .await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&body_head(10_000)).await.unwrap();
    let (mut r, mut w) = s.into_split();
    let writer = tokio::spawn(async move {
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if w.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let mut got = Vec::new();
    let ended = tokio::time::timeout(BOUND, r.read_to_end(&mut got)).await;
    writer.abort();
    assert!(ended.is_ok(), "the slow body was never ended");
    // the notify route reads the body: it answers 408 when the deadline cuts it off
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 408 "), "{text}");

    // a body announced over the cap (64 KiB by default): 413 before any of it is sent
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&body_head(1 << 30)).await.unwrap();
    match read_until_closed(&mut s, BOUND).await {
        Ending::Closed(text) => assert!(text.starts_with("HTTP/1.1 413 "), "{text}"),
        Ending::StillOpen(text) => panic!("an oversized body was left hanging: {text:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_at_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let addr = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .max_connections(4),
    )
    .await;
    // four kept-alive connections, each answered once: all four hold their place
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(read_response(&mut s).await.0, "HTTP/1.1 200 OK");
        held.push(s);
    }
    // the fifth and sixth: a 503 or a plain close, never a wait
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s
            .write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\n\r\n")
            .await;
        match read_until_closed(&mut s, BOUND).await {
            Ending::Closed(text) => assert!(
                text.is_empty() || text.starts_with("HTTP/1.1 503 "),
                "{text}"
            ),
            Ending::StillOpen(text) => panic!("a connection over the cap hangs: {text:?}"),
        }
    }
    // the held ones still work
    held[0]
        .write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut held[0]).await.0, "HTTP/1.1 200 OK");
    // closing one frees its place (once the server has seen the close)
    drop(held.pop());
    let mut answered = false;
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s
            .write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\nConnection: close\r\n\r\n")
            .await;
        if let Ending::Closed(text) = read_until_closed(&mut s, BOUND).await
            && text.starts_with("HTTP/1.1 200 ")
        {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        answered,
        "a place freed by a closed connection is never reused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_closes_idle_connections_and_completes() {
    let _one = ONE_AT_A_TIME.lock().await;
    let r = merchant_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // idle connections would stay open for two minutes without the shutdown
    let limits = ServerLimits::default().header_read_timeout(Duration::from_secs(120));
    let server = tokio::spawn(
        serve(listener, r, limits)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .into_future(),
    );
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /stats HTTP/1.1\r\nHost: merchant\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_response(&mut idle).await.0, "HTTP/1.1 200 OK");
    stop.send(()).unwrap();
    assert_eq!(
        read_until_closed(&mut idle, BOUND).await,
        Ending::Closed(String::new())
    );
    tokio::time::timeout(BOUND, server)
        .await
        .expect("the server did not complete after its shutdown signal")
        .unwrap();
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}
