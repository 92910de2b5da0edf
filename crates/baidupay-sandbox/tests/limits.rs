//! The sandbox's server (`Sandbox::start`, with `SandboxConfig::server_limits`), attacked over
//! loopback with raw sockets: the scenarios of `baidupay_testkit::probe` (slow heads, slow
//! bodies, idle keep-alive connections, more connections than the cap), which the example
//! merchant runs too.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use baidupay_notify::axum::ServerLimits;
use baidupay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use baidupay_testkit::probe::{self, Target};

const SANDBOX: Target = Target {
    host: "sandbox",
    get_path: "/sandbox/deliveries",
    post_path: "/sandbox/merchants",
    content_type: "application/json",
    body_start: "{",
    slow_body_is_408: false,
};

/// A sandbox on a free loopback port, within `limits`, and its address; it stops when the
/// handle is dropped.
async fn start(limits: ServerLimits) -> (RunningSandbox, SocketAddr) {
    let sandbox = Sandbox::new(SandboxConfig::default().server_limits(limits)).unwrap();
    let running = sandbox.start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = running
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    (running, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_normal_request_is_answered_while_400_slow_connections_are_held_open() {
    probe::normal_request_answered_under_slow_connections(&SANDBOX, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_head_is_closed_after_the_header_timeout() {
    probe::slow_head_is_closed(&SANDBOX, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_connection_and_an_idle_keep_alive_one_are_closed() {
    probe::silent_and_idle_connections_are_closed(&SANDBOX, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_fails_after_the_body_timeout_and_an_oversized_one_at_once() {
    probe::slow_and_oversized_bodies_are_refused(&SANDBOX, start).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_refused_at_once() {
    probe::connections_over_the_cap_are_refused(&SANDBOX, start).await;
}
