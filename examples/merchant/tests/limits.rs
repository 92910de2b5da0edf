//! The example merchant served as `main` serves it (`baidupay_notify::axum::serve`), attacked
//! over loopback with raw sockets: the scenarios of `baidupay_testkit::probe` (slow heads,
//! slow bodies, idle keep-alive connections, more connections than the cap), which the
//! sandbox runs too; and a graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use baidupay_crypto::PrivateKey;
use baidupay_example_merchant::{App, router};
use baidupay_notify::axum::{ServerLimits, serve};
use baidupay_notify::{AlipayNotifier, BaiduNotifier};
use baidupay_testkit::probe::{self, BOUND, Ending, Target, read_response, read_until_closed};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const MERCHANT: Target = Target {
    host: "merchant",
    get_path: "/stats",
    post_path: "/notify/baidu/pay",
    content_type: "application/x-www-form-urlencoded",
    body_start: "o",
    // the notify route reads the body: it answers 408 when the deadline cuts it off
    slow_body_is_408: true,
};

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

/// The example merchant on a free loopback port, within `limits`, and its address; it stops
/// with the test's runtime.
async fn start(limits: ServerLimits) -> ((), SocketAddr) {
    let r = merchant_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, r, limits).into_future());
    ((), addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_request_is_answered_while_400_slow_connections_are_held_open() {
    probe::normal_request_answered_under_slow_connections(&MERCHANT, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_is_closed_after_the_header_timeout() {
    probe::slow_head_is_closed(&MERCHANT, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_and_an_idle_keep_alive_one_are_closed() {
    probe::silent_and_idle_connections_are_closed(&MERCHANT, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_gets_408_after_the_body_timeout_and_an_oversized_one_413_at_once() {
    probe::slow_and_oversized_bodies_are_refused(&MERCHANT, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_at_once() {
    probe::connections_over_the_cap_are_refused(&MERCHANT, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_closes_idle_connections_and_completes() {
    let _one = probe::one_at_a_time().await;
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
    idle.write_all(&MERCHANT.get("")).await.unwrap();
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
