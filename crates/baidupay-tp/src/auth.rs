//! [`TpAuth`]: the TP token chain (baidu-cashier.md 3.2) over a shared [`TokenStore`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use baidupay_crypto::form;
use baidupay_model::Secret;
use baidupay_model::tp::{AuthorizerToken, PreAuthCode, TpToken};
use baidupay_openapi::{Envelope, Exchange, OpenApiError, TokenProvider};
use baidupay_transport::{Clock, Transport};
use serde::de::DeserializeOwned;

use crate::error::{Result, TpError};
use crate::store::{Lease, TokenKey, TokenRecord, TokenStore, Tokens};

/// `GET /public/2.0/smartapp/auth/tp/token`: the TP (component) token from the ticket.
pub const TP_TOKEN_PATH: &str = "/public/2.0/smartapp/auth/tp/token";
/// `GET /rest/2.0/smartapp/tp/createpreauthcode`: a pre-authorization code.
pub const PRE_AUTH_CODE_PATH: &str = "/rest/2.0/smartapp/tp/createpreauthcode";
/// `GET /rest/2.0/oauth/token`: authorizer tokens from an authorization code or a refresh
/// token.
pub const OAUTH_TOKEN_PATH: &str = "/rest/2.0/oauth/token";
/// The console page where a mini program's administrator authorizes the TP.
pub const AUTHORIZATION_CONSOLE: &str =
    "https://smartprogram.baidu.com/mappconsole/tp/authorization";

/// A waiter's first pause, and its longest, while another holder refreshes.
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(500);

/// This process's share of the chain: per token, the in-process single flight and the version
/// an API refused.
#[derive(Default)]
struct Shared {
    attempts: AtomicU64,
    slots: Mutex<HashMap<TokenKey, Arc<Slot>>>,
}

#[derive(Default)]
struct Slot {
    /// Callers of this process take turns, so one of them talks to the store at a time.
    flight: tokio::sync::Mutex<()>,
    /// The version whose access token an API refused: refreshed whatever its expiry says.
    rejected: Mutex<Option<u64>>,
}

/// The TP token chain: the pushed ticket → the TP (component) token → pre-authorization codes
/// and the administrator's authorization URL → each mini program's authorizer tokens from its
/// authorization code → refreshed with the single-use refresh token when due or refused.
///
/// Everything is kept in a [`TokenStore`] that several processes may share; a refresh is done
/// by exactly one of them while the others wait for its result (see [`crate::store`]). Every
/// request goes through [`Exchange`]; the authorization-code and refresh exchanges are never
/// marked idempotent (each is single use). A TP token refused as expired or invalid is fetched
/// again, once, with the latest ticket. Cheap to clone.
#[derive(Clone)]
pub struct TpAuth {
    client_id: String,
    base: String,
    console: String,
    transport: Arc<dyn Transport>,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    lease: Duration,
    instance: String,
    shared: Arc<Shared>,
}

impl fmt::Debug for TpAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TpAuth")
            .field("client_id", &self.client_id)
            .field("base", &self.base)
            .field("console", &self.console)
            .field("store", &self.store)
            .field("lease", &self.lease)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl TpAuth {
    /// How long a refresh holder's lease lasts by default (see "Choosing the lease" in
    /// [`crate::store`]).
    pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

    /// The chain of the TP with key `client_id` on `api_base` (e.g.
    /// [`baidupay_openapi::OPENAPI_BASE`], or a sandbox), keeping its tokens in `store` and
    /// reading time from `clock`.
    pub fn new(
        client_id: impl Into<String>,
        api_base: impl Into<String>,
        transport: Arc<dyn Transport>,
        store: Arc<dyn TokenStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        // unique per process (pid) and per instance (std's per-process random hash keys)
        let random = std::collections::hash_map::RandomState::new().hash_one(0_u8);
        Self {
            client_id: client_id.into(),
            base: api_base.into().trim_end_matches('/').to_owned(),
            console: AUTHORIZATION_CONSOLE.to_owned(),
            transport,
            store,
            clock,
            lease: Self::DEFAULT_LEASE,
            instance: format!("{}-{random:016x}", std::process::id()),
            shared: Arc::default(),
        }
    }

    /// Uses `url` instead of [`AUTHORIZATION_CONSOLE`] for [`TpAuth::authorization_url`].
    #[must_use]
    pub fn console_url(mut self, url: impl Into<String>) -> Self {
        self.console = url.into();
        self
    }

    /// Sets the refresh lease (default [`TpAuth::DEFAULT_LEASE`]; at least one second).
    #[must_use]
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(1));
        self
    }

    /// Names this instance in the store's leases (default: the process id and a random
    /// number). It must differ between the instances sharing a store.
    #[must_use]
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance = id.into();
        self
    }

    /// The TP's key (`client_id`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The store the chain keeps its state in.
    pub fn store(&self) -> &Arc<dyn TokenStore> {
        &self.store
    }

    /// Stores the ticket of a decrypted ticket push (about every 10 minutes); the next TP
    /// token is fetched with it.
    ///
    /// # Errors
    /// [`TpError::Store`].
    pub async fn on_ticket(&self, ticket: &Secret) -> Result<()> {
        Ok(self.store.set_ticket(ticket).await?)
    }

    /// The TP (component) token: the stored one until shortly before it expires, else one
    /// fetched with the latest ticket (one fetch among all the processes sharing the store).
    ///
    /// # Errors
    /// [`TpError::Call`] with [`OpenApiError::NotReady`] before the first ticket, or the fetch
    /// failed; [`TpError::Store`]; [`TpError::RefreshBusy`].
    pub async fn component_token(&self) -> Result<Secret> {
        Ok(self.component().await?.tokens.access_token)
    }

    /// A pre-authorization code (`tp/createpreauthcode`), for
    /// [`TpAuth::authorization_url`].
    ///
    /// # Errors
    /// As [`TpAuth::component_token`], or the request failed.
    pub async fn pre_auth_code(&self) -> Result<PreAuthCode> {
        let url = self.url(PRE_AUTH_CODE_PATH);
        self.with_component(|tp| {
            // a new code each time, nothing consumed: safe to resend
            self.send(
                Exchange::get("tp/createpreauthcode", url.clone())
                    .query([("access_token", tp.expose().to_owned())])
                    .idempotent(true),
            )
        })
        .await
    }

    /// The console URL where a mini program's administrator authorizes the TP; the console
    /// then redirects to `redirect_uri` with `authorization_code` (for [`TpAuth::authorize`]).
    pub fn authorization_url(&self, pre_auth_code: &Secret, redirect_uri: &str) -> String {
        let sep = if self.console.contains('?') { '&' } else { '?' };
        let query = form::encode([
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("pre_auth_code", pre_auth_code.expose()),
        ]);
        format!("{}{sep}{query}", self.console)
    }

    /// Exchanges the authorization code of mini program `app_id` (from the authorization
    /// redirect or the `AUTHORIZED` event) for its first authorizer tokens and stores them,
    /// replacing any earlier ones.
    ///
    /// # Errors
    /// As [`TpAuth::component_token`], or the exchange failed (a code is single use: the
    /// request is never resent); [`TpError::Store`] if the tokens could not be stored (the
    /// mini program must then be authorized again).
    pub async fn authorize(&self, app_id: u64, authorization_code: &Secret) -> Result<()> {
        let tokens = self
            .grant(
                "oauth/token (code)",
                ("code", authorization_code),
                "app_to_tp_authorization_code",
            )
            .await?;
        if let Err(e) = self.store.put(TokenKey::Authorizer(app_id), &tokens).await {
            tracing::error!(
                app_id,
                error = &e as &dyn std::error::Error,
                "authorizer tokens could not be stored: the mini program must be authorized again"
            );
            return Err(e.into());
        }
        tracing::info!(app_id, "mini program authorized");
        Ok(())
    }

    /// The authorizer access token of mini program `app_id`: the stored one until shortly
    /// before it expires (or until an API refused it), else refreshed by exactly one process.
    ///
    /// # Errors
    /// [`TpError::NotAuthorized`] when no tokens are stored; the refresh failed (the stored
    /// tokens stay as they were); as [`TpAuth::component_token`].
    pub async fn authorizer_token(&self, app_id: u64) -> Result<Secret> {
        Ok(self.authorizer_record(app_id).await?.tokens.access_token)
    }

    /// Mini program `app_id`'s authorizer tokens as a [`TokenProvider`], for
    /// [`crate::TpClient::new`]: a call answered "token expired" refreshes (once, across
    /// processes) and is retried once.
    pub fn authorizer(&self, app_id: u64) -> Arc<dyn TokenProvider> {
        Arc::new(AuthorizerTokens {
            auth: self.clone(),
            app_id,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send<T: DeserializeOwned>(&self, exchange: Exchange) -> Result<T, OpenApiError> {
        exchange.send(&*self.transport).await
    }

    /// Authorizer tokens from `oauth/token`: the TP token, the single-use `credential` (an
    /// authorization code or a refresh token) and `grant_type`; no envelope, never resent.
    async fn grant(
        &self,
        operation: &'static str,
        credential: (&'static str, &Secret),
        grant_type: &'static str,
    ) -> Result<Tokens> {
        let url = self.url(OAUTH_TOKEN_PATH);
        let t: AuthorizerToken = self
            .with_component(|tp| {
                self.send(
                    Exchange::get(operation, url.clone())
                        .query([
                            ("access_token", tp.expose().to_owned()),
                            (credential.0, credential.1.expose().to_owned()),
                            ("grant_type", grant_type.to_owned()),
                        ])
                        .envelope(Envelope::OAuth),
                )
            })
            .await?;
        Ok(Tokens::issued(
            t.access_token,
            Some(t.refresh_token),
            self.clock.unix_seconds(),
            t.expires_in,
        ))
    }

    async fn component(&self) -> Result<TokenRecord> {
        self.current(TokenKey::Component, |_| self.fetch_component())
            .await
    }

    async fn fetch_component(&self) -> Result<Tokens> {
        const OP: &str = "auth/tp/token";
        let ticket = self.store.ticket().await?.ok_or(OpenApiError::NotReady {
            operation: OP,
            missing: "no ticket pushed yet: hand the ticket push to TpAuth::on_ticket",
        })?;
        let t: TpToken = self
            .send(
                Exchange::get(OP, self.url(TP_TOKEN_PATH))
                    .query([
                        ("client_id", self.client_id.clone()),
                        ("ticket", ticket.expose().to_owned()),
                    ])
                    .idempotent(true),
            )
            .await?;
        tracing::info!("fetched the TP token");
        Ok(Tokens::issued(
            t.access_token,
            None,
            self.clock.unix_seconds(),
            t.expires_in,
        ))
    }

    async fn authorizer_record(&self, app_id: u64) -> Result<TokenRecord> {
        self.current(TokenKey::Authorizer(app_id), |record| {
            self.refresh(app_id, record)
        })
        .await
    }

    /// Presents the stored refresh token (the caller holds the lease).
    async fn refresh(&self, app_id: u64, record: Option<TokenRecord>) -> Result<Tokens> {
        let refresh = record
            .and_then(|r| r.tokens.refresh_token)
            .ok_or(TpError::NotAuthorized { app_id })?;
        let tokens = self
            .grant(
                "oauth/token (refresh)",
                ("refresh_token", &refresh),
                "app_to_tp_refresh_token",
            )
            .await?;
        tracing::info!(app_id, "refreshed the authorizer token");
        Ok(tokens)
    }

    /// Runs `call` with the TP token; when it is refused as expired or invalid, fetches a new
    /// one with the latest ticket and runs `call` once more.
    async fn with_component<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut(Secret) -> Fut + Send,
        Fut: Future<Output = Result<T, OpenApiError>> + Send,
        T: Send,
    {
        let tp = self.component().await?;
        match call(tp.tokens.access_token.clone()).await {
            Err(e) if e.is_token_expired() => {
                tracing::info!(
                    "the TP token was refused; fetching a new one with the latest ticket"
                );
                self.reject(TokenKey::Component, tp.version);
                let tp = self.component().await?;
                Ok(call(tp.tokens.access_token).await?)
            }
            other => Ok(other?),
        }
    }

    fn slot(&self, key: TokenKey) -> Arc<Slot> {
        let mut slots = self
            .shared
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        slots.entry(key).or_default().clone()
    }

    /// An API refused the access token of `version`: the next caller refreshes it.
    fn reject(&self, key: TokenKey, version: u64) {
        *self
            .slot(key)
            .rejected
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(version);
    }

    fn usable(&self, slot: &Slot, record: &TokenRecord) -> bool {
        let rejected = *slot.rejected.lock().unwrap_or_else(PoisonError::into_inner);
        rejected != Some(record.version) && record.tokens.fresh_at(self.clock.unix_seconds())
    }

    /// A holder name unique to one refresh attempt.
    fn holder(&self) -> String {
        let n = self.shared.attempts.fetch_add(1, Ordering::Relaxed);
        format!("{}#{n}", self.instance)
    }

    /// The usable record of `key`, refreshed with `fetch` by exactly one holder among the
    /// processes sharing the store while the others wait for its result.
    async fn current<F, Fut>(&self, key: TokenKey, mut fetch: F) -> Result<TokenRecord>
    where
        F: FnMut(Option<TokenRecord>) -> Fut + Send,
        Fut: Future<Output = Result<Tokens>> + Send,
    {
        let slot = self.slot(key);
        if let Some(r) = self.store.load(key).await?
            && self.usable(&slot, &r)
        {
            return Ok(r);
        }
        let _turn = slot.flight.lock().await;
        let mut record = self.store.load(key).await?;
        let lease = i64::try_from(self.lease.as_secs()).unwrap_or(i64::MAX);
        let mut waited = Duration::ZERO;
        let mut pause = POLL_FIRST;
        loop {
            match (&record, key) {
                (Some(r), _) if self.usable(&slot, r) => return Ok(r.clone()),
                (None, TokenKey::Authorizer(app_id)) => {
                    return Err(TpError::NotAuthorized { app_id });
                }
                _ => {}
            }
            let seen = record.as_ref().map_or(0, |r| r.version);
            let now = self.clock.unix_seconds();
            let holder = self.holder();
            let lease_until = now.saturating_add(lease);
            match self
                .store
                .begin_refresh(key, seen, &holder, now, lease_until)
                .await?
            {
                Lease::Acquired => match fetch(record.clone()).await {
                    Ok(tokens) => {
                        match self.store.finish_refresh(key, &holder, seen, &tokens).await {
                            Ok(Some(written)) => return Ok(written),
                            Ok(None) => {
                                tracing::warn!(%key, "another holder wrote the token first; using the stored one");
                                record = self.store.load(key).await?;
                            }
                            Err(e) => {
                                tracing::error!(%key, error = &e as &dyn std::error::Error, "refreshed tokens could not be stored: an authorizer must be authorized again");
                                return Err(e.into());
                            }
                        }
                    }
                    Err(e) => {
                        if let Err(abort) = self.store.abort_refresh(key, &holder).await {
                            tracing::warn!(%key, error = &abort as &dyn std::error::Error, "could not release the refresh lease; it runs out by itself");
                        }
                        return Err(e);
                    }
                },
                Lease::Changed(Some(r)) => record = Some(r),
                Lease::Changed(None) => {
                    return Err(TpError::Store(crate::store::StoreError::new(
                        "begin_refresh",
                        "the version moved but no token is stored",
                    )));
                }
                Lease::Busy { until } => {
                    if waited >= self.lease.saturating_mul(2) {
                        return Err(TpError::RefreshBusy { until });
                    }
                    tokio::time::sleep(pause).await;
                    waited += pause;
                    pause = (pause * 2).min(POLL_MAX);
                    record = self.store.load(key).await?;
                }
            }
        }
    }
}

/// Mini program `app_id`'s authorizer tokens from a [`TpAuth`] (see [`TpAuth::authorizer`]).
struct AuthorizerTokens {
    auth: TpAuth,
    app_id: u64,
}

impl fmt::Debug for AuthorizerTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizerTokens")
            .field("app_id", &self.app_id)
            .field("auth", &self.auth)
            .finish()
    }
}

#[async_trait::async_trait]
impl TokenProvider for AuthorizerTokens {
    async fn access_token(&self) -> baidupay_openapi::Result<Secret> {
        self.auth
            .authorizer_token(self.app_id)
            .await
            .map_err(|e| e.into_openapi("authorizer token"))
    }

    async fn invalidate(&self, stale: &Secret) {
        let key = TokenKey::Authorizer(self.app_id);
        match self.auth.store.load(key).await {
            Ok(Some(r)) if &r.tokens.access_token == stale => self.auth.reject(key, r.version),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(
                    app_id = self.app_id,
                    error = &e as &dyn std::error::Error,
                    "could not read the authorizer token to invalidate it"
                );
            }
        }
    }
}
