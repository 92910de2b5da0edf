//! The TP token chain (baidu-cashier.md 3.2): the TP's own (component) token from the pushed
//! ticket, then each mini program's authorizer token from its authorization code, refreshed
//! with a single-use refresh token that is handed back to the caller to persist.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use baidupay_cashier::{CashierError, Clock, SystemClock, TokenProvider, answer_error};
use baidupay_model::Secret;
use baidupay_model::envelope::{decode_baidu, decode_oauth};
use baidupay_model::tp::{AuthorizerToken, TpToken};
use baidupay_transport::{Transport, mark_idempotent};
use bytes::Bytes;
use serde::de::DeserializeOwned;

type Result<T> = std::result::Result<T, CashierError>;

fn margin(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 10).min(Duration::from_secs(300))
}

async fn get<T: DeserializeOwned>(
    transport: &dyn Transport,
    op: &'static str,
    url: String,
    envelope: bool,
) -> Result<T> {
    let mut req =
        http::Request::get(&url)
            .body(Bytes::new())
            .map_err(|e| CashierError::BadBaseUrl {
                base: op.to_owned(),
                reason: e.to_string(),
            })?;
    mark_idempotent(&mut req);
    let resp = transport
        .send(req)
        .await
        .map_err(|source| CashierError::Transport {
            operation: op,
            source,
        })?;
    let decoded = if envelope {
        decode_baidu(resp.body(), op)
    } else {
        decode_oauth(resp.body(), op)
    };
    decoded.map_err(|e| answer_error(op, resp.status().as_u16(), resp.body(), e))
}

fn enc(s: &str) -> String {
    baidupay_crypto::form::encode_component(s)
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// The TP's own token (`/public/2.0/smartapp/auth/tp/token`), from the latest ticket Baidu
/// pushes every 10 minutes ([`ComponentToken::set_ticket`]); cached about a month.
pub struct ComponentToken {
    transport: Arc<dyn Transport>,
    base: String,
    client_id: String,
    ticket: std::sync::Mutex<Option<Secret>>,
    clock: Arc<dyn Clock>,
    state: tokio::sync::Mutex<Option<Cached>>,
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
        let mut state = self.state.lock().await;
        if let Some(c) = state.as_ref()
            && self.clock.now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let ticket = self
            .ticket
            .lock()
            .ok()
            .and_then(|t| t.clone())
            .ok_or_else(|| {
                CashierError::Invalid(baidupay_model::Error::InvalidField {
                    field: "ticket",
                    reason: "no ticket pushed yet: store it with ComponentToken::set_ticket".into(),
                })
            })?;
        let url = format!(
            "{}/public/2.0/smartapp/auth/tp/token?client_id={}&ticket={}",
            self.base,
            enc(&self.client_id),
            enc(ticket.expose())
        );
        let t: TpToken = get(&*self.transport, "auth/tp/token", url, true).await?;
        let token = t.access_token.clone();
        *state = Some(Cached {
            token: t.access_token,
            refresh_at: self.clock.now() + margin(Duration::from_secs(t.expires_in)),
        });
        Ok(token)
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
    state: tokio::sync::Mutex<Option<Cached>>,
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
        Self {
            component,
            refresh_token: tokio::sync::Mutex::new(refresh_token),
            persist,
            state: tokio::sync::Mutex::new(None),
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
        let url = format!(
            "{}/rest/2.0/oauth/token?access_token={}&code={}&grant_type=app_to_tp_authorization_code",
            component.base,
            enc(tp.expose()),
            enc(code.expose())
        );
        let t: AuthorizerToken =
            get(&*component.transport, "oauth/token (code)", url, false).await?;
        persist(&t.refresh_token);
        let now = component.clock.now();
        Ok(Self {
            refresh_token: tokio::sync::Mutex::new(t.refresh_token),
            persist,
            state: tokio::sync::Mutex::new(Some(Cached {
                token: t.access_token,
                refresh_at: now + margin(Duration::from_secs(t.expires_in)),
            })),
            component,
        })
    }

    async fn refresh(&self) -> Result<Cached> {
        let tp = self.component.token().await?;
        let mut refresh = self.refresh_token.lock().await;
        let url = format!(
            "{}/rest/2.0/oauth/token?access_token={}&refresh_token={}&grant_type=app_to_tp_refresh_token",
            self.component.base,
            enc(tp.expose()),
            enc(refresh.expose())
        );
        let t: AuthorizerToken = get(
            &*self.component.transport,
            "oauth/token (refresh)",
            url,
            false,
        )
        .await?;
        // single use: the old refresh token is dead now, keep and persist the new one
        *refresh = t.refresh_token.clone();
        (self.persist)(&t.refresh_token);
        Ok(Cached {
            token: t.access_token,
            refresh_at: self.component.clock.now() + margin(Duration::from_secs(t.expires_in)),
        })
    }
}

#[async_trait::async_trait]
impl TokenProvider for AuthorizerTokens {
    async fn access_token(&self) -> Result<Secret> {
        let mut state = self.state.lock().await;
        if let Some(c) = state.as_ref()
            && self.component.clock.now() < c.refresh_at
        {
            return Ok(c.token.clone());
        }
        let fresh = self.refresh().await?;
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
