//! [`OpenApi`]: the caller of token-authenticated Baidu OpenAPI operations.

use std::fmt;
use std::sync::Arc;

use baidupay_model::operation::{AnswerShape, HttpMethod, Operation};
use baidupay_transport::Transport;

use crate::error::{OpenApiError, Result};
use crate::exchange::{Envelope, Exchange};
use crate::token::TokenProvider;

/// The production OpenAPI host.
pub const OPENAPI_BASE: &str = "https://openapi.baidu.com";

/// The Baidu OpenAPI caller shared by the cashier and third-party-platform clients: puts the
/// `access_token` in the query and the request's parameters in the query (GET) or a form body
/// (POST), decodes the `{errno,msg,data}` envelope (and the gateway and OAuth error shapes),
/// refreshes the token and retries exactly once when Baidu says it expired, and marks requests
/// idempotent only when the operation says so. Cheap to clone.
#[derive(Clone)]
pub struct OpenApi {
    base: String,
    transport: Arc<dyn Transport>,
    tokens: Arc<dyn TokenProvider>,
}

impl fmt::Debug for OpenApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenApi")
            .field("base", &self.base)
            .field("transport", &self.transport)
            .field("tokens", &self.tokens)
            .finish()
    }
}

impl OpenApi {
    /// A caller for `base` (e.g. [`OPENAPI_BASE`], or a sandbox) with tokens from `tokens`.
    pub fn new(
        base: impl Into<String>,
        transport: Arc<dyn Transport>,
        tokens: Arc<dyn TokenProvider>,
    ) -> Self {
        Self {
            base: base.into().trim_end_matches('/').to_owned(),
            transport,
            tokens,
        }
    }

    /// The API base, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The transport (for requests outside the OpenAPI, such as bill downloads).
    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// Sends `request` and decodes its `data`. Validation ([`Operation::validate`]) is the
    /// caller's: API clients run it first and report it as their own "invalid request" error.
    ///
    /// # Errors
    /// [`crate::OpenApiError`] from encoding the request ([`OpenApiError::Encode`]), the token
    /// provider, the transport or Baidu.
    pub async fn execute<O: Operation>(&self, request: &O) -> Result<O::Output> {
        let operation = request.name();
        let url = format!("{}{}", self.base, request.path());
        let params = request
            .to_params()
            .map_err(|source| OpenApiError::Encode { operation, source })?;
        let mut retried = false;
        loop {
            let token = self.tokens.access_token().await?;
            let auth = [("access_token", token.expose().to_owned())];
            let exchange = match O::METHOD {
                HttpMethod::Get => Exchange::get(operation, url.clone())
                    .query(auth)
                    .query(params.iter().cloned()),
                HttpMethod::Post => Exchange::post(operation, url.clone())
                    .query(auth)
                    .form(params.clone()),
            }
            .idempotent(O::IDEMPOTENT)
            .envelope(match O::ANSWER {
                AnswerShape::EnvelopeOrBare => Envelope::BaiduOrBare,
                _ => Envelope::Baidu,
            });
            match exchange.send::<O::Output>(&*self.transport).await {
                // An expired token was refused before anything happened: refresh once, retry.
                Err(e) if e.is_token_expired() && !retried => {
                    tracing::info!(operation, "access token expired; refreshing once");
                    self.tokens.invalidate(&token).await;
                    retried = true;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use baidupay_model::Secret;
    use baidupay_model::cashier::Params;
    use baidupay_model::operation::HttpMethod;
    use baidupay_transport::replay::ReplayTransport;
    use serde::Serialize;

    use super::*;
    use crate::StaticToken;

    /// A request whose type cannot be parameters (a list).
    #[derive(Serialize)]
    struct Broken {
        ids: Vec<u64>,
    }

    impl Params for Broken {}

    impl Operation for Broken {
        type Output = bool;
        const METHOD: HttpMethod = HttpMethod::Get;

        fn name(&self) -> &'static str {
            "broken"
        }

        fn path(&self) -> &'static str {
            "/broken"
        }
    }

    #[tokio::test]
    async fn a_request_that_cannot_be_encoded_is_not_sent() {
        let transport = Arc::new(ReplayTransport::new([]));
        let api = OpenApi::new(
            "https://openapi.baidu.com",
            transport.clone(),
            Arc::new(StaticToken(Secret::new("token"))),
        );
        let e = api.execute(&Broken { ids: vec![1] }).await.unwrap_err();
        assert!(
            matches!(
                e,
                OpenApiError::Encode {
                    operation: "broken",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(!e.may_have_been_sent());
        assert_eq!(e.to_string(), "broken: the request cannot be encoded");
        transport.assert_done();
    }
}
