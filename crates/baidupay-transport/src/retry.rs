//! Retries: a pure policy function and a [`Retry`] wrapper that is itself a [`Transport`].
//!
//! A request is retried only when that cannot cause a second effect at the platform:
//!
//! * a [`ErrorKind::Connect`] failure (the request provably was not sent): always;
//! * a timeout, an I/O error after sending, a 5xx or a 429: only when the request is declared
//!   idempotent with [`mark_idempotent`] (queries; a refund that carries the same
//!   `bizRefundBatchId` / `out_request_no` on every attempt);
//! * never a 4xx (other than 429), never [`ErrorKind::BodyTooLarge`],
//!   [`ErrorKind::InvalidRequest`] or [`ErrorKind::Other`].
//!
//! The HTTP method does not count as a declaration: Baidu closes orders with a `GET`.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::{ErrorKind, Transport, TransportError};

/// Marks a request as idempotent (safe to send twice). Insert with [`mark_idempotent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Idempotent;

/// Declares `request` idempotent, so that [`Retry`] may resend it after a timeout, an I/O
/// error or a 5xx/429.
pub fn mark_idempotent<B>(request: &mut Request<B>) {
    request.extensions_mut().insert(Idempotent);
}

/// Whether `request` was declared idempotent.
pub fn is_idempotent<B>(request: &Request<B>) -> bool {
    request.extensions().get::<Idempotent>().is_some()
}

/// What an attempt produced, as far as the retry decision is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A response with this status and, if present, its `Retry-After` in seconds.
    Status(StatusCode, Option<u64>),
    /// A transport failure of this kind.
    Error(ErrorKind),
}

/// Exponential backoff with "equal jitter" and a cap.
///
/// The delay before retry `n` (0-based) is `b/2 + jitter * b/2` with
/// `b = min(base * 2^n, max_delay)` and `jitter` in [0, 1]; a `Retry-After` header on a 429
/// or 503 replaces it (capped at `max_delay`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2).
    pub max_retries: u32,
    /// Backoff base (default 200 ms).
    pub base_delay: Duration,
    /// Cap on any single delay (default 5 s).
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub const fn none() -> Self {
        Self {
            max_retries: 0,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// Whether this outcome may be retried at all (ignoring the attempt count).
    pub fn is_retryable(outcome: Outcome, idempotent: bool) -> bool {
        match outcome {
            Outcome::Error(ErrorKind::Connect) => true,
            Outcome::Error(ErrorKind::Timeout | ErrorKind::Io) => idempotent,
            Outcome::Error(_) => false,
            Outcome::Status(s, _) => {
                idempotent && (s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS)
            }
        }
    }

    /// The delay before the next attempt, or `None` to stop. `attempt` counts retries made so
    /// far (0 after the first attempt); `jitter_permille` is a random value in 0..=1000.
    pub fn decide(
        &self,
        attempt: u32,
        idempotent: bool,
        outcome: Outcome,
        jitter_permille: u32,
    ) -> Option<Duration> {
        if attempt >= self.max_retries || !Self::is_retryable(outcome, idempotent) {
            return None;
        }
        if let Outcome::Status(s, Some(secs)) = outcome
            && (s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::SERVICE_UNAVAILABLE)
        {
            return Some(Duration::from_secs(secs).min(self.max_delay));
        }
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        let backoff = self
            .base_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        let half = backoff / 2;
        let jitter = half * jitter_permille.min(1000) / 1000;
        Some(half + jitter)
    }
}

/// A [`Transport`] that resends according to a [`RetryPolicy`]; wraps any transport.
#[derive(Debug, Clone)]
pub struct Retry<T> {
    inner: T,
    policy: RetryPolicy,
}

impl<T> Retry<T> {
    /// Wraps `inner` with `policy`.
    pub fn new(inner: T, policy: RetryPolicy) -> Self {
        Self { inner, policy }
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
}

fn retry_after(resp: &Response<Bytes>) -> Option<u64> {
    resp.headers()
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// A random value in 0..=1000 without a dependency on `rand`: std's randomly keyed hasher
/// (every `RandomState` gets fresh keys), over a process-wide counter.
fn jitter_permille() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static DRAWS: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(DRAWS.fetch_add(1, Ordering::Relaxed));
    u32::try_from(h.finish() % 1001).unwrap_or(500)
}

fn rebuild(parts: &http::request::Parts, body: &Bytes) -> Request<Bytes> {
    let mut req = Request::new(body.clone());
    *req.method_mut() = parts.method.clone();
    *req.uri_mut() = parts.uri.clone();
    *req.version_mut() = parts.version;
    *req.headers_mut() = parts.headers.clone();
    *req.extensions_mut() = parts.extensions.clone();
    req
}

#[async_trait::async_trait]
impl<T: Transport> Transport for Retry<T> {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let idempotent = is_idempotent(&request);
        let (parts, body) = request.into_parts();
        let mut attempt = 0;
        loop {
            let result = self.inner.send(rebuild(&parts, &body)).await;
            let outcome = match &result {
                Ok(r) => Outcome::Status(r.status(), retry_after(r)),
                Err(e) => Outcome::Error(e.kind()),
            };
            match self
                .policy
                .decide(attempt, idempotent, outcome, jitter_permille())
            {
                None => return result,
                Some(delay) => {
                    tracing::warn!(
                        method = %parts.method,
                        url = %crate::redact_uri(&parts.uri),
                        ?outcome,
                        retry = attempt + 1,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "retrying request"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy = RetryPolicy {
        max_retries: 3,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(300),
    };

    fn st(code: u16) -> Outcome {
        Outcome::Status(StatusCode::from_u16(code).unwrap(), None)
    }

    #[test]
    fn rules() {
        let c = Outcome::Error(ErrorKind::Connect);
        assert!(
            P.decide(0, false, c, 0).is_some(),
            "connect: never sent, always retried"
        );
        for k in [ErrorKind::Timeout, ErrorKind::Io] {
            assert!(P.decide(0, false, Outcome::Error(k), 0).is_none(), "{k:?}");
            assert!(P.decide(0, true, Outcome::Error(k), 0).is_some(), "{k:?}");
        }
        for k in [
            ErrorKind::BodyTooLarge,
            ErrorKind::InvalidRequest,
            ErrorKind::Other,
        ] {
            assert!(P.decide(0, true, Outcome::Error(k), 0).is_none(), "{k:?}");
        }
        for code in [500, 502, 503, 504, 429] {
            assert!(P.decide(0, true, st(code), 0).is_some(), "{code}");
            assert!(P.decide(0, false, st(code), 0).is_none(), "{code}");
        }
        for code in [200, 201, 302, 400, 401, 403, 404, 409] {
            assert!(P.decide(0, true, st(code), 0).is_none(), "{code}");
        }
        assert!(P.decide(3, true, c, 0).is_none(), "attempts exhausted");
        assert!(RetryPolicy::none().decide(0, true, c, 0).is_none());
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        let c = Outcome::Error(ErrorKind::Connect);
        assert_eq!(P.decide(0, true, c, 0), Some(Duration::from_millis(50)));
        assert_eq!(P.decide(0, true, c, 1000), Some(Duration::from_millis(100)));
        assert_eq!(P.decide(1, true, c, 1000), Some(Duration::from_millis(200)));
        assert_eq!(
            P.decide(2, true, c, 1000),
            Some(Duration::from_millis(300)),
            "capped"
        );
        let big = RetryPolicy {
            max_retries: 100,
            ..P
        };
        assert_eq!(
            big.decide(60, true, c, 500),
            Some(Duration::from_millis(225))
        );
        for j in [0, 1, 499, 1000, u32::MAX] {
            let d = P.decide(1, true, c, j).unwrap();
            assert!(
                d >= Duration::from_millis(100) && d <= Duration::from_millis(200),
                "{d:?}"
            );
        }
        assert!(jitter_permille() <= 1000);
    }

    #[test]
    fn retry_after_honoured_and_capped() {
        let o = Outcome::Status(StatusCode::SERVICE_UNAVAILABLE, Some(0));
        assert_eq!(P.decide(0, true, o, 700), Some(Duration::ZERO));
        let o = Outcome::Status(StatusCode::TOO_MANY_REQUESTS, Some(3600));
        assert_eq!(P.decide(0, true, o, 0), Some(Duration::from_millis(300)));
    }

    #[test]
    fn marker() {
        let mut r = Request::new(Bytes::new());
        assert!(!is_idempotent(&r));
        mark_idempotent(&mut r);
        assert!(is_idempotent(&r));
        let (parts, body) = r.into_parts();
        assert!(
            is_idempotent(&rebuild(&parts, &body)),
            "the marker survives a rebuild"
        );
    }
}
