//! [`serve`]: an HTTP/1.1 server for an [`axum::Router`] with read timeouts, a body cap and a
//! connection cap, so that slow or idle clients cannot make a callback endpoint unreachable.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_http::limit::RequestBodyLimit;
use tower_http::timeout::RequestBodyDeadline;

/// The answer to a connection over [`ServerLimits::max_connections`], written at once before
/// the connection is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: text/plain; charset=utf-8\r\n\
content-length: 5\r\n\
retry-after: 1\r\n\
connection: close\r\n\r\n\
busy\n";

/// How long the accept loop pauses after an error that is not about one connection (out of
/// file descriptors, mostly), so that it does not spin while they are short.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What [`serve`] allows a client: how long it may take to send a request, how big the body
/// may be and how many connections may be open at once.
///
/// The defaults are sized for the platforms' callbacks: Baidu gives a notify 2 seconds
/// (Alipay a few more) from the moment it sends it, and sends a complete request of a few
/// kilobytes at once, so a request still incomplete after 2 seconds is no callback the
/// platform still waits for.
///
/// | limit | default | what happens past it |
/// | --- | --- | --- |
/// | [`header_read_timeout`](Self::header_read_timeout) | 2 s | the connection is closed |
/// | [`body_read_timeout`](Self::body_read_timeout) | 2 s | the body read fails (the notify routes answer `408`, axum's extractors `400`) and the connection is closed |
/// | [`max_body_bytes`](Self::max_body_bytes) | 64 KiB | `413` (at once when `Content-Length` says so) |
/// | [`max_connections`](Self::max_connections) | 512 | a new connection gets `503` with `Connection: close` and is closed at once |
///
/// **Idle keep-alive connections.** A connection kept alive after a response is waiting for
/// the head of its next request, so [`header_read_timeout`](Self::header_read_timeout) also
/// closes it when idle (hyper starts that timer whenever it waits for a request head, the
/// first one included): there is no separate idle timeout. Behind a reverse proxy that keeps
/// upstream connections alive, set the proxy's upstream keep-alive timeout below it; likewise
/// a client that pools connections to this server (a test's `HyperTransport`:
/// `Settings::pool_idle_timeout`) should drop an idle one before this timeout, or a request
/// sent just as the server closes the connection fails.
///
/// ```
/// use std::time::Duration;
/// use baidupay_notify::axum::ServerLimits;
///
/// let limits = ServerLimits::default()
///     .header_read_timeout(Duration::from_secs(3))
///     .max_connections(2_000);
/// assert_eq!(limits.body_read_timeout, Duration::from_secs(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// How long a client may take to send a request's head (request line and headers),
    /// counted from when the server starts waiting for it: the connection's start, or the end
    /// of the previous response on a kept-alive connection (so it is the idle timeout too).
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body, counted from the end of its head
    /// (a deadline for the whole body, not per chunk: a trickle does not extend it).
    pub body_read_timeout: Duration,
    /// The largest request body, in bytes.
    pub max_body_bytes: usize,
    /// How many connections may be open at once (keep it well below the process's file
    /// descriptor limit, `ulimit -n`). A connection over it is answered `503` and closed.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(2),
            body_read_timeout: Duration::from_secs(2),
            max_body_bytes: crate::DEFAULT_MAX_BODY,
            max_connections: 512,
        }
    }
}

impl ServerLimits {
    /// Sets [`header_read_timeout`](Self::header_read_timeout) (also the idle keep-alive
    /// timeout).
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// Sets [`body_read_timeout`](Self::body_read_timeout).
    #[must_use]
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    #[must_use]
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets [`max_connections`](Self::max_connections) (0 refuses every connection).
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections;
        self
    }
}

/// Serves `router` on `listener` over HTTP/1.1 within `limits`, until the process ends or,
/// with [`Serve::with_graceful_shutdown`], until a signal. Await the result to run it.
///
/// Each connection is served by hyper with [`ServerLimits::header_read_timeout`] (which also
/// closes idle keep-alive connections); each request body goes through tower-http's
/// [`RequestBodyLimit`] and [`RequestBodyDeadline`]. The connection cap is counted when a
/// connection is accepted: over it, the connection is answered a fixed `503` with
/// `Connection: close` in one non-blocking write and closed, so it is never left waiting in
/// the listen queue. Errors of single connections (resets, timeouts) end that connection
/// only; an accept error such as running out of file descriptors pauses the accept loop for
/// 100 ms.
///
/// ```no_run
/// use baidupay_notify::axum::{ServerLimits, baidu_route, serve};
/// use baidupay_notify::http::BaiduAnswer;
/// use baidupay_notify::{BaiduKind, BaiduNotifier, PaymentAck};
///
/// # async fn run(notifier: BaiduNotifier, stop: tokio::sync::oneshot::Receiver<()>) -> std::io::Result<()> {
/// let router = axum::Router::new().route(
///     "/notify/baidu/pay",
///     baidu_route(notifier, BaiduKind::Payment, |_cb| async move {
///         BaiduAnswer::Payment(PaymentAck::consumed())
///     }),
/// );
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
/// serve(listener, router, ServerLimits::default())
///     .with_graceful_shutdown(async move { let _ = stop.await; })
///     .await;
/// # Ok(())
/// # }
/// ```
pub fn serve(listener: TcpListener, router: Router, limits: ServerLimits) -> Serve {
    Serve {
        listener,
        router,
        limits,
    }
}

/// A server made by [`serve`]; runs when awaited.
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// The address the server listens on.
    ///
    /// # Errors
    /// The I/O error of reading the listener's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Stops when `signal` completes: no new connection is accepted, requests in progress
    /// are answered, idle connections are closed, and the server's future completes once
    /// every connection has ended (the limits bound how long a client can delay that).
    pub fn with_graceful_shutdown<F>(self, signal: F) -> WithGracefulShutdown<F>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        WithGracefulShutdown {
            serve: self,
            signal,
        }
    }
}

impl IntoFuture for Serve {
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self, std::future::pending()))
    }
}

/// A server made by [`Serve::with_graceful_shutdown`]; runs when awaited.
#[must_use = "a server does nothing until it is awaited"]
pub struct WithGracefulShutdown<F> {
    serve: Serve,
    signal: F,
}

impl<F> fmt::Debug for WithGracefulShutdown<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithGracefulShutdown")
            .field("serve", &self.serve)
            .finish_non_exhaustive()
    }
}

impl<F> IntoFuture for WithGracefulShutdown<F>
where
    F: Future<Output = ()> + Send + 'static,
{
    type Output = ();
    type IntoFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self.serve, self.signal))
    }
}

/// The accept loop.
async fn run(serve: Serve, signal: impl Future<Output = ()> + Send) {
    let Serve {
        listener,
        router,
        limits,
    } = serve;
    let service = RequestBodyLimit::new(
        RequestBodyDeadline::new(router, limits.body_read_timeout),
        limits.max_body_bytes,
    );
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(
        limits.max_connections.min(Semaphore::MAX_PERMITS),
    ));
    let graceful = GracefulShutdown::new();
    let mut signal = pin!(signal);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut signal => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; pausing");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                    () = &mut signal => break,
                }
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            refuse(stream);
            continue;
        };
        // small answers go out at once
        let _ = stream.set_nodelay(true);
        let connection = graceful.watch(http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service.clone()),
        ));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Errors about one connection that leave the listener fine.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Answers a connection over the cap with [`BUSY`] and closes it, without waiting for the
/// client: the write goes into the fresh socket's empty send buffer, and what the client has
/// already sent is read so that closing sends a FIN rather than a reset that could discard
/// the answer before the client reads it.
fn refuse(stream: TcpStream) {
    tracing::debug!("connection refused: over the connection cap");
    // still non-blocking after `into_std`: neither call waits
    let Ok(mut stream) = stream.into_std() else {
        return;
    };
    let _ = stream.write(BUSY);
    let mut sink = [0u8; 4096];
    for _ in 0..16 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_the_two_second_budget() {
        let l = ServerLimits::default();
        assert_eq!(l.header_read_timeout, Duration::from_secs(2));
        assert_eq!(l.body_read_timeout, Duration::from_secs(2));
        assert_eq!(l.max_body_bytes, crate::DEFAULT_MAX_BODY);
        assert_eq!(l.max_connections, 512);
    }

    #[test]
    fn setters_set_one_limit_each() {
        let l = ServerLimits::default()
            .header_read_timeout(Duration::from_millis(300))
            .body_read_timeout(Duration::from_millis(400))
            .max_body_bytes(10)
            .max_connections(3);
        assert_eq!(
            l,
            ServerLimits {
                header_read_timeout: Duration::from_millis(300),
                body_read_timeout: Duration::from_millis(400),
                max_body_bytes: 10,
                max_connections: 3,
            }
        );
    }

    #[test]
    fn the_busy_answer_is_a_complete_response() {
        let text = std::str::from_utf8(BUSY).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("\r\nconnection: close"));
        assert!(head.contains(&format!("\r\ncontent-length: {}", body.len())));
    }
}
