//! The crate's error type.

use std::fmt;

/// What kind of failure a [`TransportError`] is; decides whether a retry is safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection could not be established (refused, DNS, TLS handshake, connect timeout):
    /// the request provably was not sent.
    Connect,
    /// The whole-request timeout expired; the request may have been processed.
    Timeout,
    /// An I/O error after the request was (maybe) sent, e.g. a connection reset mid-body.
    Io,
    /// The response body exceeds the configured cap.
    BodyTooLarge,
    /// The request was refused before anything was sent (plain `http://` without opt-in, a URI
    /// without host, an invalid header).
    InvalidRequest,
    /// Anything else.
    Other,
}

impl ErrorKind {
    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect failed",
            ErrorKind::Timeout => "request timed out",
            ErrorKind::Io => "i/o error",
            ErrorKind::BodyTooLarge => "response body too large",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::Other => "transport error",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failed HTTP exchange: opaque, with a [`kind`](TransportError::kind) to act on.
///
/// `Display` names the kind, a short detail, and the method and URL with every secret query
/// value redacted ([`crate::redact_uri`]); the underlying error is the `source`.
#[derive(Debug)]
pub struct TransportError {
    kind: ErrorKind,
    detail: String,
    request: Option<String>,
    source: Option<Source>,
}

impl TransportError {
    /// An error of `kind` with a short `detail` (no secrets, please).
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            request: None,
            source: None,
        }
    }

    /// Attaches the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// Attaches the request (method and URL; the URL is redacted here).
    #[must_use]
    pub fn with_request(mut self, method: &http::Method, uri: &http::Uri) -> Self {
        self.request = Some(format!("{method} {}", crate::redact_uri(uri)));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// `false` only when the request provably never left this process or never reached the
    /// server ([`ErrorKind::Connect`], [`ErrorKind::InvalidRequest`]); otherwise the server may
    /// have acted on it.
    pub fn may_have_been_sent(&self) -> bool {
        !matches!(self.kind, ErrorKind::Connect | ErrorKind::InvalidRequest)
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        if let Some(r) = &self.request {
            write!(f, " ({r})")?;
        }
        Ok(())
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}
