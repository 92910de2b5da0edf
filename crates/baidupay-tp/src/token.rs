//! The TP token chain (baidu-cashier.md 3.2): the TP's own (component) token from the pushed
//! ticket, then each mini program's authorizer token from its authorization code, refreshed
//! with a single-use refresh token that is handed back to the caller to persist.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use baidupay_model::Secret;
use baidupay_model::tp::{AuthorizerToken, TpToken};
use baidupay_openapi::{
    Envelope, Exchange, Fresh, OpenApiError, Result, TokenCache, TokenProvider,
};
use baidupay_transport::{Clock, Transport};

/// A token-chain GET (idempotent: a token request changes nothing when repeated, except the
/// refresh, which the caller marks itself).
fn chain_get(op: &'static str, url: String, params: Vec<(&'static str, String)>) -> Exchange {
    Exchange::get(op, url).query(params)
}

/// The TP's own token (`/public/2.0/smartapp/auth/tp/token`), from the latest ticket Baidu
/// pushes every 10 minutes ([`ComponentToken::set_ticket`]); cached about a month.
pub struct ComponentToken {
    transport: Arc<dyn Transport>,
    base: String,
    client_id: String,
    ticket: std::sync::Mutex<Option<Secret>>,
    cache: TokenCache,
}

impl fmt::Debug for ComponentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentToken")
            .field("base", &self.base)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ComponentToken {
    /// The token source of the TP with key `client_id`, on `api_base`.
    pub fn new(
        transport: Arc<dyn Transport>,
        api_base: &str,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            transport,
            base: api_base.trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            ticket: std::sync::Mutex::new(None),
            cache: TokenCache::default(),
        }
    }

    /// Uses `clock` instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.cache = TokenCache::new(clock);
        self
    }

    /// Stores the latest pushed ticket (decrypted from the ticket push).
    pub fn set_ticket(&self, ticket: Secret) {
        if let Ok(mut t) = self.ticket.lock() {
            *t = Some(ticket);
        }
    }

    /// The TP token, fetched with the latest ticket when the cached one is due.
    ///
    /// # Errors
    /// No ticket yet, or the fetch failed.
    pub async fn token(&self) -> Result<Secret> {
        self.cache.get_or_fetch(|| self.fetch()).await
    }

    async fn fetch(&self) -> Result<Fresh> {
        const OP: &str = "auth/tp/token";
        let ticket =
            self.ticket
                .lock()
                .ok()
                .and_then(|t| t.clone())
                .ok_or(OpenApiError::NotReady {
                    operation: OP,
                    missing: "no ticket pushed yet: store it with ComponentToken::set_ticket",
                })?;
        let t: TpToken = chain_get(
            OP,
            format!("{}/public/2.0/smartapp/auth/tp/token", self.base),
            vec![
                ("client_id", self.client_id.clone()),
                ("ticket", ticket.expose().to_owned()),
            ],
        )
        .idempotent(true)
        .send(&*self.transport)
        .await?;
        Ok(Fresh {
            token: t.access_token,
            lifetime: Duration::from_secs(t.expires_in),
        })
    }
}

/// Called with every new (single-use) refresh token: persist it, or the mini program must be
/// authorized again.
pub type PersistRefreshToken = Arc<dyn Fn(&Secret) + Send + Sync>;

/// A mini program's authorizer token (`/rest/2.0/oauth/token`), refreshed with its refresh
/// token when due; implements [`TokenProvider`] for [`crate::TpClient`].
pub struct AuthorizerTokens {
    component: Arc<ComponentToken>,
    refresh_token: tokio::sync::Mutex<Secret>,
    persist: PersistRefreshToken,
    cache: TokenCache,
}

impl fmt::Debug for AuthorizerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizerTokens")
            .field("component", &self.component)
            .finish_non_exhaustive()
    }
}

impl AuthorizerTokens {
    /// Tokens for a mini program whose current refresh token is `refresh_token`; `persist` is
    /// called with each new one.
    pub fn new(
        component: Arc<ComponentToken>,
        refresh_token: Secret,
        persist: PersistRefreshToken,
    ) -> Self {
        let cache = TokenCache::new(component.cache.clock().clone());
        Self {
            component,
            refresh_token: tokio::sync::Mutex::new(refresh_token),
            persist,
            cache,
        }
    }

    /// Exchanges an authorization code (from the authorization redirect) for the first
    /// tokens; `persist` receives the refresh token.
    ///
    /// # Errors
    /// The exchange failed.
    pub async fn from_authorization_code(
        component: Arc<ComponentToken>,
        code: &Secret,
        persist: PersistRefreshToken,
    ) -> Result<Self> {
        let tp = component.token().await?;
        let t: AuthorizerToken = chain_get(
            "oauth/token (code)",
            format!("{}/rest/2.0/oauth/token", component.base),
            vec![
                ("access_token", tp.expose().to_owned()),
                ("code", code.expose().to_owned()),
                ("grant_type", "app_to_tp_authorization_code".to_owned()),
            ],
        )
        .envelope(Envelope::OAuth)
        .send(&*component.transport)
        .await?;
        persist(&t.refresh_token);
        let cache = TokenCache::new(component.cache.clock().clone());
        cache
            .put(Fresh {
                token: t.access_token,
                lifetime: Duration::from_secs(t.expires_in),
            })
            .await;
        Ok(Self {
            refresh_token: tokio::sync::Mutex::new(t.refresh_token),
            persist,
            cache,
            component,
        })
    }

    async fn refresh(&self) -> Result<Fresh> {
        let tp = self.component.token().await?;
        let mut refresh = self.refresh_token.lock().await;
        // never marked idempotent: the refresh token is single use, a resend would present a
        // consumed one
        let t: AuthorizerToken = chain_get(
            "oauth/token (refresh)",
            format!("{}/rest/2.0/oauth/token", self.component.base),
            vec![
                ("access_token", tp.expose().to_owned()),
                ("refresh_token", refresh.expose().to_owned()),
                ("grant_type", "app_to_tp_refresh_token".to_owned()),
            ],
        )
        .envelope(Envelope::OAuth)
        .send(&*self.component.transport)
        .await?;
        // single use: the old refresh token is dead now, keep and persist the new one
        *refresh = t.refresh_token.clone();
        (self.persist)(&t.refresh_token);
        Ok(Fresh {
            token: t.access_token,
            lifetime: Duration::from_secs(t.expires_in),
        })
    }
}

#[async_trait::async_trait]
impl TokenProvider for AuthorizerTokens {
    async fn access_token(&self) -> Result<Secret> {
        self.cache.get_or_fetch(|| self.refresh()).await
    }

    async fn invalidate(&self, stale: &Secret) {
        self.cache.invalidate(stale).await;
    }
}
