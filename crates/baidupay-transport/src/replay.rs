//! [`ReplayTransport`]: a scripted fake for API-crate tests. No sockets.
//!
//! Each [`Expect`] describes one request (method, path, and optionally query pairs, form pairs,
//! exact body bytes, headers) and the canned answer. Requests must arrive in order; a mismatch
//! answers with an [`ErrorKind::Other`] error that shows expected and actual, and is recorded so
//! that [`ReplayTransport::assert_done`] (or the drop check) fails the test.
//!
//! This is test code shipped in the library so that every crate's tests can use it; its
//! assertions panic on purpose.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Mutex;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};

use crate::redact::percent_decode;
use crate::{ErrorKind, Transport, TransportError};

fn pairs_of(s: &str) -> Vec<(String, String)> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut v: Vec<(String, String)> = s
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(kv), String::new()),
        })
        .collect();
    v.sort();
    v
}

fn owned_sorted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

#[derive(Debug, Clone)]
enum BodyMatch {
    Form(Vec<(String, String)>),
    Exact(Bytes),
}

#[derive(Debug, Clone)]
enum Reply {
    Response {
        status: StatusCode,
        headers: Vec<(String, String)>,
        body: Bytes,
    },
    Error(ErrorKind),
}

/// One expected request and its canned answer.
#[derive(Debug, Clone)]
pub struct Expect {
    method: Method,
    path: String,
    query: Option<Vec<(String, String)>>,
    body: Option<BodyMatch>,
    headers: Vec<(String, String)>,
    reply: Reply,
}

impl Expect {
    /// Expects `method` on `path` (the URI path, without query); answers 200 with an empty body
    /// unless told otherwise.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: None,
            body: None,
            headers: Vec::new(),
            reply: Reply::Response {
                status: StatusCode::OK,
                headers: Vec::new(),
                body: Bytes::new(),
            },
        }
    }

    /// Expects a `GET` on `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// Expects a `POST` on `path`.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// The query must hold exactly these decoded pairs (in any order).
    #[must_use]
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = Some(owned_sorted(pairs));
        self
    }

    /// The body must be a form with exactly these decoded pairs (in any order).
    #[must_use]
    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        self.body = Some(BodyMatch::Form(owned_sorted(pairs)));
        self
    }

    /// The body must be exactly these bytes.
    #[must_use]
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(BodyMatch::Exact(body.into()));
        self
    }

    /// The request must carry this header value.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Answers with `status` and `body`.
    #[must_use]
    pub fn respond(mut self, status: u16, body: impl Into<Bytes>) -> Self {
        self.reply = Reply::Response {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: body.into(),
        };
        self
    }

    /// Answers 200 with a JSON body (`content-type: application/json`).
    #[must_use]
    pub fn respond_json(self, body: impl Into<Bytes>) -> Self {
        self.respond(200, body)
            .respond_header("content-type", "application/json")
    }

    /// Adds a header to the canned response.
    #[must_use]
    pub fn respond_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Response { headers, .. } = &mut self.reply {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Answers with a transport error of `kind` instead of a response.
    #[must_use]
    pub fn fail(mut self, kind: ErrorKind) -> Self {
        self.reply = Reply::Error(kind);
        self
    }

    fn mismatch(&self, req: &Request<Bytes>) -> Option<String> {
        let mut why = String::new();
        if req.method() != self.method {
            let _ = write!(why, "method {} != expected {}; ", req.method(), self.method);
        }
        if req.uri().path() != self.path {
            let _ = write!(why, "path {} != expected {}; ", req.uri().path(), self.path);
        }
        if let Some(q) = &self.query {
            let got = pairs_of(req.uri().query().unwrap_or(""));
            if &got != q {
                let _ = write!(why, "query {got:?} != expected {q:?}; ");
            }
        }
        match &self.body {
            Some(BodyMatch::Form(f)) => {
                let got = pairs_of(&String::from_utf8_lossy(req.body()));
                if &got != f {
                    let _ = write!(why, "form {got:?} != expected {f:?}; ");
                }
            }
            Some(BodyMatch::Exact(b)) if req.body() != b => {
                let _ = write!(
                    why,
                    "body {:?} != expected {:?}; ",
                    String::from_utf8_lossy(req.body()),
                    String::from_utf8_lossy(b)
                );
            }
            _ => {}
        }
        for (name, value) in &self.headers {
            let got = req
                .headers()
                .get(name.as_str())
                .and_then(|v| v.to_str().ok());
            if got != Some(value.as_str()) {
                let _ = write!(why, "header {name} {got:?} != expected {value:?}; ");
            }
        }
        (!why.is_empty()).then_some(why)
    }
}

/// A request as [`ReplayTransport`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Method.
    pub method: Method,
    /// Full URI.
    pub uri: http::Uri,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Recorded {
    /// The decoded query pairs, sorted.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        pairs_of(self.uri.query().unwrap_or(""))
    }

    /// The decoded form-body pairs, sorted.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        pairs_of(&String::from_utf8_lossy(&self.body))
    }
}

#[derive(Debug, Default)]
struct State {
    expected: VecDeque<Expect>,
    recorded: Vec<Recorded>,
    failures: Vec<String>,
}

/// A [`Transport`] that answers a script of [`Expect`]ations in order.
#[derive(Debug, Default)]
pub struct ReplayTransport {
    state: Mutex<State>,
}

impl ReplayTransport {
    /// A transport expecting `script`, in order.
    pub fn new(script: impl IntoIterator<Item = Expect>) -> Self {
        Self {
            state: Mutex::new(State {
                expected: script.into_iter().collect(),
                ..State::default()
            }),
        }
    }

    /// Appends an expectation.
    pub fn push(&self, e: Expect) {
        self.lock().expected.push_back(e);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().recorded.clone()
    }

    /// Panics listing mismatches and unused expectations, if any; then clears them.
    #[allow(clippy::panic)] // a test double: failing the test is its purpose
    pub fn assert_done(&self) {
        let mut s = self.lock();
        let mut msg = String::new();
        for f in s.failures.drain(..) {
            let _ = writeln!(msg, "mismatch: {f}");
        }
        for e in s.expected.drain(..) {
            let _ = writeln!(msg, "unused expectation: {} {}", e.method, e.path);
        }
        drop(s);
        if !msg.is_empty() {
            panic!("ReplayTransport:\n{msg}");
        }
    }
}

impl Drop for ReplayTransport {
    #[allow(clippy::panic)] // a test double: failing the test is its purpose
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let s = self.lock();
        if !s.expected.is_empty() || !s.failures.is_empty() {
            let (n, f) = (s.expected.len(), s.failures.join("; "));
            drop(s);
            panic!("ReplayTransport dropped with {n} unused expectation(s); mismatches: [{f}]");
        }
    }
}

#[async_trait::async_trait]
impl Transport for ReplayTransport {
    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, TransportError> {
        let mut s = self.lock();
        s.recorded.push(Recorded {
            method: request.method().clone(),
            uri: request.uri().clone(),
            headers: request.headers().clone(),
            body: request.body().clone(),
        });
        let Some(next) = s.expected.pop_front() else {
            let msg = format!(
                "unexpected request {} {}",
                request.method(),
                crate::redact_uri(request.uri())
            );
            s.failures.push(msg.clone());
            return Err(TransportError::new(ErrorKind::Other, msg));
        };
        if let Some(why) = next.mismatch(&request) {
            let msg = format!("{} {}: {why}", next.method, next.path);
            s.failures.push(msg.clone());
            return Err(TransportError::new(ErrorKind::Other, msg));
        }
        match next.reply {
            Reply::Error(kind) => Err(TransportError::new(kind, "scripted failure")
                .with_request(request.method(), request.uri())),
            Reply::Response {
                status,
                headers,
                body,
            } => {
                let mut resp = Response::new(body);
                *resp.status_mut() = status;
                for (k, v) in headers {
                    if let (Ok(k), Ok(v)) = (
                        http::HeaderName::from_bytes(k.as_bytes()),
                        http::HeaderValue::from_str(&v),
                    ) {
                        resp.headers_mut().append(k, v);
                    }
                }
                Ok(resp)
            }
        }
    }
}
