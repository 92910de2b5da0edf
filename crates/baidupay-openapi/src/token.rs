//! Access tokens: the [`TokenProvider`] trait every OpenAPI call takes its token from, one
//! generic single-flight [`TokenCache`] (client credentials, the TP component token and each
//! authorizer token all use it), the client-credentials provider and a static provider.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baidupay_model::Secret;
use baidupay_model::cashier::{AccessToken, ClientCredentials, Params};
use baidupay_transport::{Clock, SystemClock, Transport};

use crate::error::{OpenApiError, Result};
use crate::exchange::{Envelope, Exchange};

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

/// When a token with lifetime `lifetime` is refreshed: a tenth of the lifetime early, at most
/// five minutes early.
pub fn refresh_margin(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 10).min(Duration::from_secs(300))
}

/// A freshly fetched token and its lifetime.
#[derive(Debug, Clone)]
pub struct Fresh {
    /// The token.
    pub token: Secret,
    /// Its lifetime (`expires_in`).
    pub lifetime: Duration,
}

#[derive(Debug)]
struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// A single-flight token cache: the token is reused until shortly before it expires
/// ([`refresh_margin`]); concurrent callers who find it due wait for one fetch and share its
/// result instead of each fetching; a token the API refused is forgotten only if it is still
/// the cached one.
pub struct TokenCache {
    clock: Arc<dyn Clock>,
    state: tokio::sync::Mutex<Option<Cached>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(Arc::new(SystemClock))
    }
}

impl TokenCache {
    /// An empty cache that reads time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            state: tokio::sync::Mutex::new(None),
        }
    }

    /// The clock the cache reads.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The cached token when it is not due, else the token `fetch` returns (cached). Holding
    /// the lock across the fetch is the single flight: waiters find the new token.
    ///
    /// # Errors
    /// Whatever `fetch` failed with; the cache is left as it was.
    pub async fn get_or_fetch<F, Fut>(&self, fetch: F) -> Result<Secret>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<Fresh>> + Send,
    {
        let mut state = self.state.lock().await;
        if let Some(c) = state.as_ref()
            && self.clock.now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fresh = fetch().await?;
        let token = fresh.token.clone();
        *state = Some(self.cached(fresh));
        Ok(token)
    }

    /// Stores a token obtained elsewhere (e.g. with an authorization code).
    pub async fn put(&self, fresh: Fresh) {
        *self.state.lock().await = Some(self.cached(fresh));
    }

    /// Forgets `stale` if it is still the cached token.
    pub async fn invalidate(&self, stale: &Secret) {
        let mut state = self.state.lock().await;
        if state.as_ref().is_some_and(|c| &c.token == stale) {
            *state = None;
        }
    }

    fn cached(&self, fresh: Fresh) -> Cached {
        Cached {
            token: fresh.token,
            refresh_at: self.clock.now() + refresh_margin(fresh.lifetime),
        }
    }
}

/// Client credentials (`GET /oauth/2.0/token`, `scope=smartapp_snsapi_base`) in a
/// [`TokenCache`].
pub struct ClientCredentialsProvider {
    transport: Arc<dyn Transport>,
    url: String,
    credentials: ClientCredentials,
    cache: TokenCache,
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
            cache: TokenCache::default(),
        }
    }

    /// Uses `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    async fn fetch(&self) -> Result<Fresh> {
        const OPERATION: &str = "oauth/2.0/token";
        let params = self
            .credentials
            .to_params()
            .map_err(|source| OpenApiError::Encode {
                operation: OPERATION,
                source,
            })?;
        let token: AccessToken = Exchange::get(OPERATION, self.url.clone())
            .query(params)
            .idempotent(true)
            .envelope(Envelope::OAuth)
            .send(&*self.transport)
            .await?;
        Ok(Fresh {
            token: token.access_token,
            lifetime: Duration::from_secs(token.expires_in),
        })
    }
}

#[async_trait::async_trait]
impl TokenProvider for ClientCredentialsProvider {
    async fn access_token(&self) -> Result<Secret> {
        self.cache.get_or_fetch(|| self.fetch()).await
    }

    async fn invalidate(&self, stale: &Secret) {
        self.cache.invalidate(stale).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use baidupay_transport::ManualClock;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_fetch_for_concurrent_callers_and_refresh_when_due() {
        let clock = Arc::new(ManualClock::new(1_700_000_000));
        let cache = Arc::new(TokenCache::new(clock.clone()));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch(|| async move {
                        let n = fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        Ok(Fresh {
                            token: Secret::new(format!("t{n}")),
                            lifetime: Duration::from_secs(3600),
                        })
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().expose(), "t0");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        // 3600 s lifetime: refreshed 300 s early
        clock.advance(Duration::from_secs(3299));
        let fresh = || async {
            Ok(Fresh {
                token: Secret::new("t1"),
                lifetime: Duration::from_secs(3600),
            })
        };
        assert_eq!(cache.get_or_fetch(fresh).await.unwrap().expose(), "t0");
        clock.advance(Duration::from_secs(1));
        assert_eq!(cache.get_or_fetch(fresh).await.unwrap().expose(), "t1");

        // a stale token that is no longer cached is not forgotten; the cached one is
        cache.invalidate(&Secret::new("t0")).await;
        assert_eq!(cache.get_or_fetch(fresh).await.unwrap().expose(), "t1");
        cache.invalidate(&Secret::new("t1")).await;
        let again = || async {
            Ok(Fresh {
                token: Secret::new("t2"),
                lifetime: Duration::from_secs(60),
            })
        };
        assert_eq!(cache.get_or_fetch(again).await.unwrap().expose(), "t2");
    }

    #[tokio::test]
    async fn a_failed_fetch_leaves_the_cache_as_it_was() {
        let cache = TokenCache::new(Arc::new(ManualClock::new(0)));
        cache
            .put(Fresh {
                token: Secret::new("old"),
                lifetime: Duration::from_secs(10),
            })
            .await;
        cache.invalidate(&Secret::new("old")).await;
        let failed = cache
            .get_or_fetch(|| async {
                Err(crate::OpenApiError::NotReady {
                    operation: "x",
                    missing: "nothing",
                })
            })
            .await;
        assert!(failed.is_err());
        let ok = cache
            .get_or_fetch(|| async {
                Ok(Fresh {
                    token: Secret::new("new"),
                    lifetime: Duration::from_secs(10),
                })
            })
            .await
            .unwrap();
        assert_eq!(ok.expose(), "new");
        assert_eq!(
            refresh_margin(Duration::from_secs(100)),
            Duration::from_secs(90)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(30 * 86_400)),
            Duration::from_secs(30 * 86_400 - 300)
        );
    }
}
