//! A server's read timeouts and connection cap, probed over loopback with raw sockets: slow
//! heads, slow bodies, idle keep-alive connections and more connections than the cap. The
//! sandbox and the example merchant run the same scenarios through [`Target`].
//!
//! No assertion is about speed: "answered" and "closed" are awaited with a generous
//! [`BOUND`], and a bound that runs out fails the test as a hang. Each scenario holds
//! [`one_at_a_time`] (they open hundreds of sockets).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use baidupay_notify::axum::ServerLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, MutexGuard};

/// Generous: only a server that hangs runs into it.
pub const BOUND: Duration = Duration::from_secs(20);

/// The scenarios of one test binary run one at a time.
pub async fn one_at_a_time() -> MutexGuard<'static, ()> {
    static ONE: Mutex<()> = Mutex::const_new(());
    ONE.lock().await
}

/// The server under test: a route answered `200` to a `GET`, and a route that reads a body.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The `Host` header.
    pub host: &'static str,
    /// A path a `GET` gets `200` from.
    pub get_path: &'static str,
    /// A path whose handler reads a `POST` body, its content type and the body's first byte.
    pub post_path: &'static str,
    pub content_type: &'static str,
    pub body_start: &'static str,
    /// Whether a body the read deadline cuts off is answered `408` (the notify routes);
    /// otherwise a `4xx` answer or a plain close is accepted.
    pub slow_body_is_408: bool,
}

impl Target {
    /// A complete `GET` of [`Target::get_path`], with `extra` header lines (each ending in
    /// CRLF).
    pub fn get(&self, extra: &str) -> Vec<u8> {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\n{extra}\r\n",
            self.get_path, self.host
        )
        .into_bytes()
    }

    /// A request head cut in the middle of a header line.
    pub fn partial_head(&self) -> Vec<u8> {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nX-Slow: ",
            self.get_path, self.host
        )
        .into_bytes()
    }

    /// A `POST` announcing `length` bytes of body, and its first byte.
    pub fn body_head(&self, length: usize) -> Vec<u8> {
        format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {length}\r\n\r\n{}",
            self.post_path, self.host, self.content_type, self.body_start
        )
        .into_bytes()
    }

    /// The status line of a `GET` on a fresh connection.
    pub async fn get_status(&self, addr: SocketAddr) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&self.get("")).await.unwrap();
        read_response(&mut s).await.0
    }
}

/// How a read of the server's side ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// The server closed the connection (EOF or reset), after sending these bytes.
    Closed(String),
    /// Nothing closed it within the bound.
    StillOpen(String),
}

/// Reads until the server closes the connection or `bound` runs out.
pub async fn read_until_closed(s: &mut TcpStream, bound: Duration) -> Ending {
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

/// Reads one response (head and `Content-Length` body) on a kept-alive connection; returns
/// the status line and the head.
pub async fn read_response(s: &mut TcpStream) -> (String, String) {
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

/// Whether the server has neither answered nor closed `s` (a read would wait).
pub fn open_and_silent(s: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// Writes one more byte to each connection every 500 ms until the task is aborted.
fn trickle(streams: Arc<Vec<TcpStream>>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            for s in streams.iter() {
                let _ = s.try_write(b"a");
            }
        }
    })
}

/// Sends `head`, then one byte every 100 ms, and waits (within [`BOUND`]) until the server
/// ends the connection; what it sent.
async fn drip_until_closed(addr: SocketAddr, head: &[u8], what: &str) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(head).await.unwrap();
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
    assert!(ended.is_ok(), "the {what} was never ended");
    String::from_utf8_lossy(&got).into_owned()
}

/// 200 slow-header and 200 slow-body connections, held open (and trickling) while a normal
/// request gets its `200`; afterwards all 400 are still open.
pub async fn normal_request_answered_under_slow_connections<G>(
    t: &Target,
    start: impl AsyncFnOnce(ServerLimits) -> (G, SocketAddr),
) {
    let _one = one_at_a_time().await;
    // timeouts far longer than the test: the slow connections stay open throughout
    let (_guard, addr) = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .body_read_timeout(Duration::from_secs(120))
            .max_connections(1_000),
    )
    .await;
    let mut slow = Vec::new();
    for i in 0..400 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let head = if i % 2 == 0 {
            t.partial_head()
        } else {
            t.body_head(10_000)
        };
        s.write_all(&head).await.unwrap();
        slow.push(s);
    }
    let slow = Arc::new(slow);
    let trickling = trickle(slow.clone());
    tokio::time::sleep(Duration::from_millis(600)).await; // one trickle round at least

    assert_eq!(t.get_status(addr).await, "HTTP/1.1 200 OK");

    let open = slow.iter().filter(|s| open_and_silent(s)).count();
    assert_eq!(open, 400, "every slow connection is still held open");
    trickling.abort();
}

/// A head that never completes is closed after the header timeout (300 ms here).
pub async fn slow_head_is_closed<G>(
    t: &Target,
    start: impl AsyncFnOnce(ServerLimits) -> (G, SocketAddr),
) {
    let _one = one_at_a_time().await;
    let (_guard, addr) =
        start(ServerLimits::default().header_read_timeout(Duration::from_millis(300))).await;
    let got = drip_until_closed(addr, &t.partial_head(), "slow head").await;
    assert!(!got.contains(" 200 "), "{got:?}");
}

/// A connection that sends nothing, and a kept-alive one after its answer, are closed after
/// the header timeout (which is also the idle timeout).
pub async fn silent_and_idle_connections_are_closed<G>(
    t: &Target,
    start: impl AsyncFnOnce(ServerLimits) -> (G, SocketAddr),
) {
    let _one = one_at_a_time().await;
    let (_guard, addr) =
        start(ServerLimits::default().header_read_timeout(Duration::from_millis(300))).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert_eq!(
        read_until_closed(&mut silent, BOUND).await,
        Ending::Closed(String::new())
    );
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&t.get("")).await.unwrap();
    let (status, head) = read_response(&mut s).await;
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(!head.to_ascii_lowercase().contains("connection: close"));
    assert_eq!(
        read_until_closed(&mut s, BOUND).await,
        Ending::Closed(String::new())
    );
}

/// A body slower than the body timeout (300 ms here) is ended; one announced over the body
/// cap (64 KiB by default) gets `413` before any of it is sent.
pub async fn slow_and_oversized_bodies_are_refused<G>(
    t: &Target,
    start: impl AsyncFnOnce(ServerLimits) -> (G, SocketAddr),
) {
    let _one = one_at_a_time().await;
    let (_guard, addr) = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .body_read_timeout(Duration::from_millis(300)),
    )
    .await;
    let text = drip_until_closed(addr, &t.body_head(10_000), "slow body").await;
    if t.slow_body_is_408 {
        assert!(text.starts_with("HTTP/1.1 408 "), "{text}");
    } else {
        assert!(text.is_empty() || text.starts_with("HTTP/1.1 4"), "{text}");
    }
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(&t.body_head(1 << 30)).await.unwrap();
    match read_until_closed(&mut s, BOUND).await {
        Ending::Closed(text) => assert!(text.starts_with("HTTP/1.1 413 "), "{text}"),
        Ending::StillOpen(text) => panic!("an oversized body was left hanging: {text:?}"),
    }
}

/// With a cap of 4, a fifth and sixth connection get a `503` or a plain close at once, never
/// a wait; the four held ones still work, and closing one frees its place.
pub async fn connections_over_the_cap_are_refused<G>(
    t: &Target,
    start: impl AsyncFnOnce(ServerLimits) -> (G, SocketAddr),
) {
    let _one = one_at_a_time().await;
    let (_guard, addr) = start(
        ServerLimits::default()
            .header_read_timeout(Duration::from_secs(120))
            .max_connections(4),
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(&t.get("")).await.unwrap();
        assert_eq!(read_response(&mut s).await.0, "HTTP/1.1 200 OK");
        held.push(s);
    }
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(&t.get("")).await;
        match read_until_closed(&mut s, BOUND).await {
            Ending::Closed(text) => assert!(
                text.is_empty() || text.starts_with("HTTP/1.1 503 "),
                "{text}"
            ),
            Ending::StillOpen(text) => panic!("a connection over the cap hangs: {text:?}"),
        }
    }
    held[0].write_all(&t.get("")).await.unwrap();
    assert_eq!(read_response(&mut held[0]).await.0, "HTTP/1.1 200 OK");
    // closing one frees its place (once the server has seen the close)
    drop(held.pop());
    let mut answered = false;
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(&t.get("Connection: close\r\n")).await;
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
