//! The one send path: every request any Baidu client sends is built, marked, sent, and its
//! answer decoded (or turned into a redacted error) here.

use baidupay_crypto::form;
use baidupay_model::envelope::{decode_baidu, decode_baidu_or_bare, decode_oauth};
use baidupay_transport::{Transport, mark_idempotent};
use bytes::Bytes;
use http::Method;
use serde::de::DeserializeOwned;

use crate::error::{OpenApiError, Result, answer_error, excerpt};

/// How an answer is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Envelope {
    /// The business envelope `{"errno","msg","data"}` (and the gateway and OAuth error shapes).
    Baidu,
    /// The business envelope or, where the docs show one, the bare `data` object
    /// (`paymentservice/dict`).
    BaiduOrBare,
    /// No envelope (`/oauth/2.0/token`, `/rest/2.0/oauth/token`): `{"error":…}` is an error,
    /// anything else is the value.
    OAuth,
}

/// One HTTP exchange with a Baidu host, built the one way every client builds it: parameters
/// in the query string or a form body, `Content-Type` set for forms, marked idempotent only
/// when asked (so a retrying transport resends only what is safe to resend), and the answer
/// decoded or turned into an error with a redacted excerpt.
#[derive(Debug, Clone)]
pub struct Exchange {
    operation: &'static str,
    method: Method,
    url: String,
    query: Vec<(&'static str, String)>,
    form: Option<Vec<(&'static str, String)>>,
    idempotent: bool,
    envelope: Envelope,
}

impl Exchange {
    /// A `GET` of `url` (no query yet), decoded as a business envelope, not idempotent.
    pub fn get(operation: &'static str, url: impl Into<String>) -> Self {
        Self::new(operation, Method::GET, url)
    }

    /// A `POST` of `url` with an empty form body, decoded as a business envelope, not
    /// idempotent.
    pub fn post(operation: &'static str, url: impl Into<String>) -> Self {
        Self::new(operation, Method::POST, url).form(Vec::new())
    }

    fn new(operation: &'static str, method: Method, url: impl Into<String>) -> Self {
        Self {
            operation,
            method,
            url: url.into(),
            query: Vec::new(),
            form: None,
            idempotent: false,
            envelope: Envelope::Baidu,
        }
    }

    /// Appends parameters to the query string.
    #[must_use]
    pub fn query(mut self, params: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        self.query.extend(params);
        self
    }

    /// Sends `params` as an `application/x-www-form-urlencoded` body.
    #[must_use]
    pub fn form(mut self, params: Vec<(&'static str, String)>) -> Self {
        self.form = Some(params);
        self
    }

    /// Marks the request safe to resend (a query, or a refund carrying its idempotency key).
    #[must_use]
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Decodes the answer with `envelope` (default [`Envelope::Baidu`]).
    #[must_use]
    pub fn envelope(mut self, envelope: Envelope) -> Self {
        self.envelope = envelope;
        self
    }

    fn build(&self) -> Result<http::Request<Bytes>> {
        let url = with_query(&self.url, &self.query)?;
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(url);
        let body = match &self.form {
            Some(params) => {
                builder = builder.header("content-type", "application/x-www-form-urlencoded");
                Bytes::from(form::encode(params.iter().map(|(k, v)| (*k, v.as_str()))))
            }
            None => Bytes::new(),
        };
        let mut req = builder.body(body).map_err(|_| OpenApiError::BadBaseUrl {
            base: self.url.clone(),
            reason: "not a valid URI",
        })?;
        if self.idempotent {
            mark_idempotent(&mut req);
        }
        Ok(req)
    }

    async fn exchange(&self, transport: &dyn Transport) -> Result<http::Response<Bytes>> {
        let req = self.build()?;
        transport
            .send(req)
            .await
            .map_err(|source| OpenApiError::Transport {
                operation: self.operation,
                source,
            })
    }

    /// Sends the request and decodes the answer as `T`.
    ///
    /// # Errors
    /// [`OpenApiError::BadBaseUrl`] before sending, [`OpenApiError::Transport`],
    /// [`OpenApiError::Api`] for Baidu's error answers, [`OpenApiError::UnexpectedAnswer`] for
    /// anything undocumented.
    pub async fn send<T: DeserializeOwned>(&self, transport: &dyn Transport) -> Result<T> {
        let resp = self.exchange(transport).await?;
        let decoded = match self.envelope {
            Envelope::Baidu => decode_baidu::<T>(resp.body(), self.operation),
            Envelope::BaiduOrBare => decode_baidu_or_bare::<T>(resp.body(), self.operation),
            Envelope::OAuth => decode_oauth::<T>(resp.body(), self.operation),
        };
        decoded.map_err(|e| answer_error(self.operation, resp.status().as_u16(), resp.body(), e))
    }

    /// Sends the request and returns the body of a 2xx answer as it is (a file download).
    ///
    /// # Errors
    /// As [`Exchange::send`]; a non-2xx answer is [`OpenApiError::UnexpectedAnswer`].
    pub async fn send_raw(&self, transport: &dyn Transport) -> Result<Bytes> {
        let resp = self.exchange(transport).await?;
        if !resp.status().is_success() {
            return Err(OpenApiError::UnexpectedAnswer {
                operation: self.operation,
                status: resp.status().as_u16(),
                excerpt: excerpt(resp.body()),
            });
        }
        Ok(resp.into_body())
    }
}

/// `base` with `params` appended as a query string (form-encoded values).
pub(crate) fn with_query(base: &str, params: &[(&'static str, String)]) -> Result<String> {
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(OpenApiError::BadBaseUrl {
            base: base.to_owned(),
            reason: "must start with https:// (or http:// for a local sandbox)",
        });
    }
    if params.is_empty() {
        return Ok(base.to_owned());
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base}{sep}{}",
        form::encode(params.iter().map(|(k, v)| (*k, v.as_str())))
    ))
}
