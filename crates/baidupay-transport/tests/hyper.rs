//! HyperTransport and Retry against real servers on 127.0.0.1 (hyper servers for the HTTP
//! cases, raw TCP for stalls and resets). No timing assertions beyond generous upper bounds.

#![cfg(feature = "hyper")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use baidupay_transport::{
    ErrorKind, HyperTransport, Retry, RetryPolicy, Settings, Transport, USER_AGENT, mark_idempotent,
};

type Handler =
    Arc<dyn Fn(Request<hyper::body::Incoming>, usize) -> Response<Full<Bytes>> + Send + Sync>;

/// A hyper server answering with `handler(request, hit_number)`; returns its address and the
/// hit counter. The accept loop dies with the test's runtime.
async fn serve(handler: Handler) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (handler, hits) = (handler.clone(), h.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| {
                    let n = hits.fetch_add(1, Ordering::SeqCst);
                    let resp = handler(req, n);
                    async move { Ok::<_, Infallible>(resp) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, hits)
}

/// A raw TCP server: reads the request head, then runs `script` on the socket.
async fn raw<F, Fut>(script: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let script = Arc::new(script);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let script = script.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                script(stream).await;
            });
        }
    });
    addr
}

fn transport(settings: Settings) -> HyperTransport {
    HyperTransport::new(settings.allow_http(true)).unwrap()
}

fn get(url: &str) -> Request<Bytes> {
    Request::get(url).body(Bytes::new()).unwrap()
}

fn text(s: &'static str) -> Response<Full<Bytes>> {
    Response::new(Full::new(Bytes::from_static(s.as_bytes())))
}

#[tokio::test]
async fn success_with_user_agent() {
    let (addr, hits) = serve(Arc::new(|req, _| {
        let ua = req
            .headers()
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        Response::new(Full::new(Bytes::from(ua)))
    }))
    .await;
    let t = transport(Settings::default());
    let resp = t
        .send(get(&format!("http://{addr}/ok?access_token=T")))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.body(), USER_AGENT.as_bytes());
    assert!(USER_AGENT.starts_with("baidupay/"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // a POST body arrives intact
    let (addr, _) = serve(Arc::new(|req, _| {
        let ct = req
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        Response::new(Full::new(Bytes::from(ct.unwrap_or_default())))
    }))
    .await;
    let req = Request::post(format!("http://{addr}/form"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Bytes::from_static(b"a=1"))
        .unwrap();
    let resp = t.send(req).await.unwrap();
    assert_eq!(resp.body(), "application/x-www-form-urlencoded".as_bytes());
}

#[tokio::test]
async fn connect_refused_is_connect_and_not_sent() {
    let (_reserved, addr) = refusing_addr();
    let t = transport(Settings::default());
    let err = t
        .send(get(&format!(
            "http://{addr}/x?access_token=SECRET&client_secret=S2"
        )))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Connect, "{err}");
    assert!(!err.may_have_been_sent());
    let msg = err.to_string();
    assert!(
        !msg.contains("SECRET") && !msg.contains("S2"),
        "secret leaked: {msg}"
    );
    assert!(msg.contains("access_token=[redacted]"), "{msg}");
}

#[tokio::test]
async fn stalled_server_times_out() {
    let addr = raw(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let t = transport(Settings::default().request_timeout(Duration::from_millis(300)));
    let start = baidupay_transport::Clock::now(&baidupay_transport::SystemClock);
    let err = t
        .send(get(&format!("http://{addr}/stall")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.may_have_been_sent());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "timeout not enforced"
    );
}

#[tokio::test]
async fn body_over_cap_with_and_without_content_length() {
    let (addr, _) = serve(Arc::new(|_, _| text("0123456789abcdef"))).await;
    let t = transport(Settings::default().max_body(10));
    let err = t
        .send(get(&format!("http://{addr}/big")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err}");
    assert!(err.to_string().contains("content-length"), "{err}");
    // chunked: no content-length, the cap is enforced while streaming
    let addr = raw(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n")
            .await;
    })
    .await;
    let err = t
        .send(get(&format!("http://{addr}/chunked")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BodyTooLarge, "{err}");
    assert!(!err.to_string().contains("content-length"), "{err}");
    // at the cap exactly: fine
    let t = transport(Settings::default().max_body(16));
    let ok = t
        .send(get(&format!("http://{addr}/chunked")))
        .await
        .unwrap();
    assert_eq!(ok.body().len(), 16);
}

#[tokio::test]
async fn reset_mid_body_is_io() {
    let addr = raw(|mut s| async move {
        let _ = s
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial body")
            .await;
        let _ = s.flush().await;
        drop(s);
    })
    .await;
    let t = transport(Settings::default());
    let err = t
        .send(get(&format!("http://{addr}/reset")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.may_have_been_sent());
}

fn flaky() -> Handler {
    Arc::new(|_, n| {
        if n == 0 {
            let mut r = text("busy");
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        } else {
            text("ok")
        }
    })
}

/// A loopback address that refuses connections: a socket bound to it that never listens. It
/// stays bound while the returned socket lives, so no other test's server can be given the
/// port meanwhile (a listener bound and dropped freed its port, which a test running in
/// parallel could then get: the "refused" request reached that test's server).
fn refusing_addr() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

const FAST: RetryPolicy = RetryPolicy {
    max_retries: 2,
    base_delay: Duration::from_millis(10),
    max_delay: Duration::from_millis(50),
};

#[tokio::test]
async fn five_xx_retried_only_when_idempotent() {
    let (addr, hits) = serve(flaky()).await;
    let t = Retry::new(transport(Settings::default()), FAST);
    let mut req = get(&format!("http://{addr}/query"));
    mark_idempotent(&mut req);
    let resp = t.send(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(hits.load(Ordering::SeqCst), 2);

    let (addr, hits) = serve(flaky()).await;
    let req = Request::post(format!("http://{addr}/refund"))
        .body(Bytes::new())
        .unwrap();
    let resp = t.send(req).await.unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "not idempotent: no retry"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn four_xx_never_retried() {
    let (addr, hits) = serve(Arc::new(|_, _| {
        let mut r = text("bad");
        *r.status_mut() = StatusCode::BAD_REQUEST;
        r
    }))
    .await;
    let t = Retry::new(transport(Settings::default()), FAST);
    let mut req = get(&format!("http://{addr}/q"));
    mark_idempotent(&mut req);
    assert_eq!(t.send(req).await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connect_failure_retried_even_when_not_idempotent() {
    let (_reserved, addr) = refusing_addr();
    let t = Retry::new(transport(Settings::default()), FAST);
    let req = Request::post(format!("http://{addr}/refund"))
        .body(Bytes::new())
        .unwrap();
    let err = t.send(req).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Connect,
        "all attempts refused: {err}"
    );
}

#[tokio::test]
async fn redirect_not_followed() {
    let (target, target_hits) = serve(Arc::new(|_, _| text("target"))).await;
    let (addr, hits) = serve(Arc::new(move |_, _| {
        let mut r = text("moved");
        *r.status_mut() = StatusCode::FOUND;
        r.headers_mut().insert(
            "location",
            format!("http://{target}/elsewhere").parse().unwrap(),
        );
        r
    }))
    .await;
    let t = transport(Settings::default());
    let resp = t.send(get(&format!("http://{addr}/r"))).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(target_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn plain_http_refused_by_default() {
    let (addr, hits) = serve(Arc::new(|_, _| text("ok"))).await;
    let t = HyperTransport::new(Settings::default()).unwrap();
    let err = t
        .send(get(&format!("http://{addr}/x?access_token=SECRET")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
    assert!(!err.may_have_been_sent());
    assert!(!err.to_string().contains("SECRET"));
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    let err = t.send(get("/relative")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRequest);
}
