//! `baidupay sandbox --max-connections N --header-timeout-ms MS`: the flags reach the server
//! (over loopback; generous bounds, no speed assertion).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::serve_sandbox;

/// Only a hanging server runs into it.
const BOUND: Duration = Duration::from_secs(20);

const GET: &[u8] = b"GET /sandbox/deliveries HTTP/1.1\r\nHost: sandbox\r\n\r\n";

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(BOUND)).unwrap();
    s
}

/// Reads until the server closes the connection; what it sent, or `None` when the bound ran
/// out first.
fn read_until_closed(s: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return None;
            }
            Err(_) => return Some(String::from_utf8_lossy(&got).into_owned()),
        }
    }
}

/// Reads the first answer on a kept-alive connection (its head is enough).
fn read_head(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed before answering");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn max_connections_flag_caps_the_sandbox() {
    let keys = tempfile::tempdir().unwrap();
    let served = serve_sandbox(
        Some(keys.path()),
        &[
            "--keys",
            "keys",
            "--max-connections",
            "1",
            "--header-timeout-ms",
            "60000",
        ],
    );
    let mut held = connect(&served.addr);
    held.write_all(GET).unwrap();
    assert!(read_head(&mut held).starts_with("HTTP/1.1 200 "));
    let mut over = connect(&served.addr);
    let _ = over.write_all(GET);
    match read_until_closed(&mut over) {
        Some(text) => assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 503 "),
            "{text}"
        ),
        None => panic!("a connection over --max-connections 1 hangs"),
    }
}

#[test]
fn header_timeout_flag_closes_silent_connections() {
    let keys = tempfile::tempdir().unwrap();
    let served = serve_sandbox(
        Some(keys.path()),
        &["--keys", "keys", "--header-timeout-ms", "300"],
    );
    let mut silent = connect(&served.addr);
    assert_eq!(read_until_closed(&mut silent), Some(String::new()));
}
