//! One plain HTTP/1.1 exchange over `std::net`, for tests that talk to a server without any of
//! the SDK's HTTP code (the sandbox's independent client, the CLI tests): the request is
//! written by hand with `Connection: close`, and the answer read to the end.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long the answer may take: longer than anything a server of the workspace waits on (a
/// locked SQLite database answers after its 5 s busy timeout), short enough that a server that
/// never answers fails the test instead of hanging it.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends `method target` with `body` as `content_type` to `addr` (`host:port`) and returns the
/// status and the body's bytes. Panics (the test fails) when the server cannot be reached,
/// answers no HTTP head, or sends a chunked body (only `Content-Length` bodies are read).
pub fn exchange_bytes(
    addr: &str,
    method: &str,
    target: &str,
    content_type: &str,
    body: &str,
) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {target}: reading the answer: {e}"));
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "{method} {target}: no HTTP head in {:?}",
                String::from_utf8_lossy(&raw)
            )
        });
    let head = String::from_utf8(raw[..end].to_vec()).unwrap();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{method} {target}: no status in {head:?}"));
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "this client reads Content-Length bodies only: {head}"
    );
    (status, raw[end + 4..].to_vec())
}

/// [`exchange_bytes`] with a UTF-8 body.
pub fn exchange(
    addr: &str,
    method: &str,
    target: &str,
    content_type: &str,
    body: &str,
) -> (u16, String) {
    let (status, body) = exchange_bytes(addr, method, target, content_type, body);
    (status, String::from_utf8(body).expect("a UTF-8 answer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-connection server that reads the request head and writes `answer`.
    fn answering(answer: &'static [u8]) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 512];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = c.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            assert!(seen.starts_with(b"POST /x HTTP/1.1\r\n"));
            c.write_all(answer).unwrap();
        });
        addr
    }

    #[test]
    fn status_and_body() {
        let addr = answering(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
        assert_eq!(
            exchange(&addr, "POST", "/x", "application/json", "{}"),
            (201, "ok".to_owned())
        );
    }

    #[test]
    #[should_panic(expected = "no HTTP head")]
    fn no_head_fails_the_test() {
        let addr = answering(b"garbage");
        let _ = exchange_bytes(&addr, "POST", "/x", "text/plain", "");
    }
}
