//! The default transport: hyper 1 + hyper-util's pooled client + hyper-rustls (ring provider,
//! webpki roots). No hyper type appears in its public API.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{Request, Response, header};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tracing::Instrument;

use crate::{ErrorKind, Transport, TransportError};

/// The `User-Agent` sent when a request has none: `baidupay/<version>`.
pub const USER_AGENT: &str = concat!("baidupay/", env!("CARGO_PKG_VERSION"));

/// Settings of [`HyperTransport`]; `Default` gives sensible values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body: usize,
    pool_idle_timeout: Duration,
    user_agent: String,
    allow_http: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body: 16 * 1024 * 1024,
            pool_idle_timeout: Duration::from_secs(90),
            user_agent: USER_AGENT.to_owned(),
            allow_http: false,
        }
    }
}

impl Settings {
    /// Timeout for establishing a connection, TLS included (default 10 s).
    #[must_use]
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Timeout for the whole exchange, reading the body included (default 30 s).
    #[must_use]
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Largest response body accepted, in bytes (default 16 MiB).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How long an idle pooled connection is kept (default 90 s).
    #[must_use]
    pub fn pool_idle_timeout(mut self, d: Duration) -> Self {
        self.pool_idle_timeout = d;
        self
    }

    /// The `User-Agent` for requests that have none (default `baidupay/<version>`).
    #[must_use]
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Allow plain `http://` URLs (default: refused). For a local sandbox only.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }
}

/// The default [`Transport`]: HTTPS (rustls, webpki roots), HTTP/1.1, connection pooling,
/// timeouts, a response-size cap, never follows redirects. Cheap to clone (shares the pool).
#[derive(Clone)]
pub struct HyperTransport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    settings: Arc<Settings>,
}

impl std::fmt::Debug for HyperTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperTransport")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl HyperTransport {
    /// A transport with `settings`.
    ///
    /// # Errors
    /// [`ErrorKind::Other`] if the TLS configuration cannot be built (it always can with the
    /// bundled ring provider).
    pub fn new(settings: Settings) -> Result<Self, TransportError> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::new(ErrorKind::Other, "tls configuration").with_source(e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.connect_timeout));
        http.set_nodelay(true);
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        let https = if settings.allow_http {
            builder.https_or_http().enable_http1().wrap_connector(http)
        } else {
            builder.https_only().enable_http1().wrap_connector(http)
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(settings.pool_idle_timeout)
            .pool_timer(TokioTimer::new())
            .build(https);
        Ok(Self {
            client,
            settings: Arc::new(settings),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    async fn exchange(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let (method, uri) = (request.method().clone(), request.uri().clone());
        let fail = |e: TransportError| e.with_request(&method, &uri);
        match uri.scheme_str() {
            Some("https") => {}
            Some("http") if self.settings.allow_http => {}
            Some("http") => {
                return Err(fail(TransportError::new(
                    ErrorKind::InvalidRequest,
                    "plain http is refused; enable Settings::allow_http for a local sandbox",
                )));
            }
            _ => {
                return Err(fail(TransportError::new(
                    ErrorKind::InvalidRequest,
                    "the URL must be absolute https",
                )));
            }
        }
        if uri.host().is_none() {
            return Err(fail(TransportError::new(
                ErrorKind::InvalidRequest,
                "the URL has no host",
            )));
        }
        let (mut parts, body) = request.into_parts();
        if !parts.headers.contains_key(header::USER_AGENT) {
            let ua = header::HeaderValue::from_str(&self.settings.user_agent).map_err(|e| {
                fail(
                    TransportError::new(ErrorKind::InvalidRequest, "bad user agent").with_source(e),
                )
            })?;
            parts.headers.insert(header::USER_AGENT, ua);
        }
        let req = Request::from_parts(parts, Full::new(body));
        let max = self.settings.max_body;
        let work = async {
            let resp = self.client.request(req).await.map_err(|e| {
                let kind = if e.is_connect() {
                    ErrorKind::Connect
                } else {
                    ErrorKind::Io
                };
                TransportError::new(kind, "sending the request").with_source(e)
            })?;
            let (parts, mut body) = resp.into_parts();
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > max as u64) {
                return Err(TransportError::new(
                    ErrorKind::BodyTooLarge,
                    format!("content-length exceeds the {max}-byte cap"),
                ));
            }
            let mut buf = BytesMut::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    TransportError::new(ErrorKind::Io, "reading the response body").with_source(e)
                })?;
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > max {
                        return Err(TransportError::new(
                            ErrorKind::BodyTooLarge,
                            format!("body exceeds the {max}-byte cap"),
                        ));
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Ok(Response::from_parts(parts, buf.freeze()))
        };
        match tokio::time::timeout(self.settings.request_timeout, work).await {
            Ok(r) => r.map_err(fail),
            Err(_) => Err(fail(TransportError::new(
                ErrorKind::Timeout,
                format!(
                    "no complete answer within {:?}",
                    self.settings.request_timeout
                ),
            ))),
        }
    }
}

#[async_trait::async_trait]
impl Transport for HyperTransport {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let span = tracing::info_span!(
            "http",
            method = %request.method(),
            host = request.uri().host().unwrap_or(""),
            path = request.uri().path(),
            status = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        let start = crate::clock::Clock::now(&crate::clock::SystemClock);
        let result = self.exchange(request).instrument(span.clone()).await;
        let elapsed = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        span.record("elapsed_ms", elapsed);
        match &result {
            Ok(r) => {
                span.record("status", r.status().as_u16());
                span.in_scope(|| {
                    tracing::debug!(
                        status = r.status().as_u16(),
                        elapsed_ms = elapsed,
                        "http response"
                    )
                });
            }
            Err(e) => span.in_scope(
                || tracing::warn!(error = %e, elapsed_ms = elapsed, "http request failed"),
            ),
        }
        result
    }
}
