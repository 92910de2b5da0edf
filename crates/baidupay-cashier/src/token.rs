//! Access tokens for the 2.0 OpenAPI: a [`TokenProvider`] trait, the client-credentials
//! provider with a single-flight cache, and a static provider.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baidupay_model::Secret;
use baidupay_model::cashier::{AccessToken, ClientCredentials, Params};
use baidupay_model::envelope::decode_oauth;
use baidupay_transport::{Transport, mark_idempotent};
use bytes::Bytes;

use crate::error::{CashierError, Result, answer_error};
use crate::url::with_query;

/// A source of `access_token`s.
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync + fmt::Debug + 'static {
    /// A token believed valid now.
    ///
    /// # Errors
    /// Whatever fetching a token failed with.
    async fn access_token(&self) -> Result<Secret>;

    /// The API rejected `stale` as expired or invalid: forget it (only if it is still the
    /// cached one, so that concurrent callers trigger one refresh, not one each).
    async fn invalidate(&self, stale: &Secret);
}

/// A token the caller manages (e.g. shared by another service).
#[derive(Debug, Clone)]
pub struct StaticToken(pub Secret);

#[async_trait::async_trait]
impl TokenProvider for StaticToken {
    async fn access_token(&self) -> Result<Secret> {
        Ok(self.0.clone())
    }

    async fn invalidate(&self, _stale: &Secret) {}
}

/// The time source of the token cache (injected so that tests are exact).
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Now.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// Client credentials (`GET /oauth/2.0/token`, `scope=smartapp_snsapi_base`) with a cache:
/// the token is reused until shortly before `expires_in` (a tenth of the lifetime, at most
/// 5 minutes, early), and concurrent callers wait for one refresh instead of each fetching.
pub struct ClientCredentialsProvider {
    transport: Arc<dyn Transport>,
    url: String,
    credentials: ClientCredentials,
    clock: Arc<dyn Clock>,
    state: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for ClientCredentialsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentialsProvider")
            .field("url", &self.url)
            .field("client_id", self.credentials.client_id())
            .finish_non_exhaustive()
    }
}

impl ClientCredentialsProvider {
    /// A provider fetching from `api_base` (e.g. `https://openapi.baidu.com`).
    pub fn new(
        transport: Arc<dyn Transport>,
        api_base: &str,
        credentials: ClientCredentials,
    ) -> Self {
        Self {
            transport,
            url: format!("{}/oauth/2.0/token", api_base.trim_end_matches('/')),
            credentials,
            clock: Arc::new(SystemClock),
            state: tokio::sync::Mutex::new(None),
        }
    }

    /// Uses `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    async fn fetch(&self) -> Result<Cached> {
        const OP: &str = "oauth/2.0/token";
        let url = with_query(&self.url, &self.credentials.to_params())?;
        let mut req =
            http::Request::get(url)
                .body(Bytes::new())
                .map_err(|e| CashierError::BadBaseUrl {
                    base: self.url.clone(),
                    reason: e.to_string(),
                })?;
        mark_idempotent(&mut req);
        let resp = self
            .transport
            .send(req)
            .await
            .map_err(|source| CashierError::Transport {
                operation: OP,
                source,
            })?;
        let token: AccessToken = decode_oauth(resp.body(), OP)
            .map_err(|e| answer_error(OP, resp.status().as_u16(), resp.body(), e))?;
        let lifetime = Duration::from_secs(token.expires_in);
        let margin = (lifetime / 10).min(Duration::from_secs(300));
        Ok(Cached {
            token: token.access_token,
            refresh_at: self.clock.now() + (lifetime - margin),
        })
    }
}

#[async_trait::async_trait]
impl TokenProvider for ClientCredentialsProvider {
    async fn access_token(&self) -> Result<Secret> {
        // Holding the lock across the fetch is the single flight: waiters find the new token.
        let mut state = self.state.lock().await;
        if let Some(c) = state.as_ref()
            && self.clock.now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *state = Some(fresh);
        Ok(token)
    }

    async fn invalidate(&self, stale: &Secret) {
        let mut state = self.state.lock().await;
        if state.as_ref().is_some_and(|c| &c.token == stale) {
            *state = None;
        }
    }
}
