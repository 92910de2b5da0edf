//! [`TokenStore`]: where the TP token chain keeps the latest ticket, the component token and
//! every mini program's authorizer tokens, shared by every process of the TP.
//!
//! # The refresh protocol
//!
//! A refresh token is single use: if two processes present the same one, the second is refused
//! and the mini program must be authorized again. So a refresh is a compare-and-swap over a
//! versioned record with a lease:
//!
//! 1. [`TokenStore::begin_refresh`] with the version the caller read: [`Lease::Changed`] if the
//!    version moved (someone else refreshed: use their record), [`Lease::Busy`] while another
//!    holder's lease runs (wait, then ask again), else [`Lease::Acquired`]: the caller holds
//!    the lease until `lease_until`. A lease that has run out (its holder crashed or hung) is
//!    taken over.
//! 2. The holder presents the stored refresh token, then either
//!    [`TokenStore::finish_refresh`] (writes the new tokens, bumps the version and clears the
//!    lease, in one step, only if the version is still the one it began from) or
//!    [`TokenStore::abort_refresh`] (clears its lease, tokens untouched) when the platform
//!    refused or the request failed.
//!
//! Every time is wall-clock Unix seconds from the caller's injected clock, so processes on one
//! machine (or machines whose clocks agree within seconds) share leases and expiries.
//!
//! **The one hole.** A holder that crashes (or loses the store) after the platform consumed the
//! refresh token but before `finish_refresh` leaves a refresh token that the platform no longer
//! accepts: the next refresh is refused (`invalid_grant`) and the mini program's administrator
//! must authorize the TP again. The same holds when a refresh request times out after it
//! reached the platform. No store can close this: the platform offers no idempotent refresh.
//!
//! **Choosing the lease.** The lease must outlast the holder's worst case: the transport's
//! timeout for one request (a refresh is never resent, except after a connection that provably
//! failed), plus the component-token fetch it may need first, plus the store's own latency.
//! Too short, and a slow holder's lease is taken over while its request is in flight: two
//! processes present one refresh token, and the authorization may be lost. Too long only delays
//! recovery after a crash. The default, [`crate::TpAuth::DEFAULT_LEASE`], is 60 seconds, for a
//! transport timeout of up to 20 seconds.
//!
//! # Implementations
//!
//! [`MemoryTokenStore`] (one process: tests, single-instance TPs); with the `sqlite` feature
//! (default), `SqliteTokenStore` (every process on one machine); with the `postgres` feature,
//! `PostgresTokenStore` (every process on every machine, through one PostgreSQL database).
//! The SQL stores apply the same rules as the memory store, one transaction per operation
//! that locks the token's row, so they keep no state in the process.

mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;

use baidupay_model::Secret;

pub use memory::MemoryTokenStore;
#[cfg(feature = "postgres")]
pub use postgres::PostgresTokenStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteTokenStore;
/// The PostgreSQL driver of [`PostgresTokenStore`], for its configuration and TLS connectors
/// ([`PostgresTokenStore::connect_with`]).
#[cfg(feature = "postgres")]
pub use tokio_postgres;

/// Which token a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKey {
    /// The TP's own (component) token, from the ticket.
    Component,
    /// The authorizer tokens of the mini program with this `app_id`.
    Authorizer(u64),
}

impl fmt::Display for TokenKey {
    /// `component` or `authorizer:<app_id>` (the key column of the SQL stores).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKey::Component => f.write_str("component"),
            TokenKey::Authorizer(app_id) => write!(f, "authorizer:{app_id}"),
        }
    }
}

/// Tokens as the platform issued them. `Debug` redacts the tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token.
    pub access_token: Secret,
    /// The single-use refresh token (authorizer tokens only).
    pub refresh_token: Option<Secret>,
    /// When the access token expires, Unix seconds.
    pub expires_at: i64,
    /// When it is due for a refresh, Unix seconds: a tenth of its lifetime before it expires,
    /// at most five minutes before (`baidupay_openapi::refresh_margin`).
    pub refresh_at: i64,
}

impl Tokens {
    /// Tokens expiring at `expires_at` (Unix seconds), due for a refresh five minutes before
    /// (use [`Tokens::issued`] when the lifetime is known, so that a short-lived token is not
    /// due at once).
    pub fn new(access_token: Secret, refresh_token: Option<Secret>, expires_at: i64) -> Self {
        Self {
            access_token,
            refresh_token,
            expires_at,
            refresh_at: expires_at.saturating_sub(300),
        }
    }

    /// Tokens issued at `now` (Unix seconds) for `expires_in` seconds: due for a refresh a
    /// tenth of that lifetime early, at most five minutes early.
    pub fn issued(
        access_token: Secret,
        refresh_token: Option<Secret>,
        now: i64,
        expires_in: u64,
    ) -> Self {
        let lifetime = std::time::Duration::from_secs(expires_in);
        let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            access_token,
            refresh_token,
            expires_at: now.saturating_add(secs(lifetime)),
            refresh_at: now.saturating_add(secs(baidupay_openapi::refresh_margin(lifetime))),
        }
    }

    /// Whether the access token is still good to use at `now` (before its refresh time).
    pub fn fresh_at(&self, now: i64) -> bool {
        now < self.refresh_at
    }
}

/// Stored tokens and their version (bumped by every write, so that a refresh can be a
/// compare-and-swap).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRecord {
    /// The tokens.
    pub tokens: Tokens,
    /// The version: 1 for the first write, one more for each later one.
    pub version: u64,
}

impl TokenRecord {
    /// A record of `tokens` at `version`.
    pub fn new(tokens: Tokens, version: u64) -> Self {
        Self { tokens, version }
    }
}

/// The answer to [`TokenStore::begin_refresh`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lease {
    /// The caller holds the lease: refresh, then finish or abort.
    Acquired,
    /// Another holder's lease runs until `until` (Unix seconds): wait, then ask again.
    Busy {
        /// When the other holder's lease runs out.
        until: i64,
    },
    /// The record is no longer at the version the caller saw: use this one (`None`: no tokens
    /// stored).
    Changed(Option<TokenRecord>),
}

/// A token store failed. `Display` names the operation; the cause is in
/// [`std::error::Error::source`]. Never carries a token.
#[derive(Debug, thiserror::Error)]
#[error("token store: {operation} failed")]
pub struct StoreError {
    operation: &'static str,
    #[source]
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    /// `operation` (e.g. `begin_refresh`) failed with `source`.
    pub fn new(
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            operation,
            source: source.into(),
        }
    }

    /// The store operation that failed.
    pub fn operation(&self) -> &'static str {
        self.operation
    }
}

/// Where the TP token chain keeps its state, shared by every process of the TP (see the
/// [module docs](self) for the refresh protocol). Object safe: use it as
/// `Arc<dyn TokenStore>`.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// Stores the latest pushed ticket (replacing the previous one).
    ///
    /// # Errors
    /// The store failed.
    async fn set_ticket(&self, ticket: &Secret) -> Result<(), StoreError>;

    /// The latest pushed ticket, if any.
    ///
    /// # Errors
    /// The store failed.
    async fn ticket(&self) -> Result<Option<Secret>, StoreError>;

    /// The record of `key`, if tokens are stored.
    ///
    /// # Errors
    /// The store failed.
    async fn load(&self, key: TokenKey) -> Result<Option<TokenRecord>, StoreError>;

    /// Writes `tokens` unconditionally (the first tokens of an authorization): bumps the
    /// version and clears any lease, so that a refresh in flight cannot overwrite them.
    ///
    /// # Errors
    /// The store failed.
    async fn put(&self, key: TokenKey, tokens: &Tokens) -> Result<TokenRecord, StoreError>;

    /// Asks for the lease on `key` (see [`Lease`]): `seen_version` is the version the caller
    /// read (0 when nothing was stored), `now` the caller's clock, `lease_until` when its lease
    /// runs out (Unix seconds). `holder` must be unique to this attempt.
    ///
    /// # Errors
    /// The store failed.
    async fn begin_refresh(
        &self,
        key: TokenKey,
        seen_version: u64,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Lease, StoreError>;

    /// Writes the refreshed `tokens` if the version is still `seen_version`, bumps the
    /// version and clears the lease, atomically; `None` (nothing written, the caller's lease
    /// cleared) if someone wrote since.
    ///
    /// # Errors
    /// The store failed.
    async fn finish_refresh(
        &self,
        key: TokenKey,
        holder: &str,
        seen_version: u64,
        tokens: &Tokens,
    ) -> Result<Option<TokenRecord>, StoreError>;

    /// Clears `holder`'s lease on `key` (if it still holds it); the tokens stay as they were.
    ///
    /// # Errors
    /// The store failed.
    async fn abort_refresh(&self, key: TokenKey, holder: &str) -> Result<(), StoreError>;
}

/// One key's state and the protocol's rules, shared by the implementations in this crate
/// (the SQLite store reads a row, applies one of these and writes it back in one transaction).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Row {
    pub(crate) tokens: Option<Tokens>,
    pub(crate) version: u64,
    pub(crate) lease: Option<(String, i64)>,
}

impl Row {
    pub(crate) fn record(&self) -> Option<TokenRecord> {
        self.tokens
            .clone()
            .map(|tokens| TokenRecord::new(tokens, self.version))
    }

    pub(crate) fn put(&mut self, tokens: &Tokens) -> TokenRecord {
        self.tokens = Some(tokens.clone());
        self.version = self.version.saturating_add(1);
        self.lease = None;
        TokenRecord::new(tokens.clone(), self.version)
    }

    pub(crate) fn begin(&mut self, seen: u64, holder: &str, now: i64, until: i64) -> Lease {
        if self.version != seen {
            return Lease::Changed(self.record());
        }
        match &self.lease {
            Some((other, other_until)) if other != holder && *other_until > now => Lease::Busy {
                until: *other_until,
            },
            _ => {
                self.lease = Some((holder.to_owned(), until));
                Lease::Acquired
            }
        }
    }

    pub(crate) fn finish(
        &mut self,
        holder: &str,
        seen: u64,
        tokens: &Tokens,
    ) -> Option<TokenRecord> {
        if self.version != seen {
            self.abort(holder);
            return None;
        }
        Some(self.put(tokens))
    }

    pub(crate) fn abort(&mut self, holder: &str) {
        if self.lease.as_ref().is_some_and(|(h, _)| h == holder) {
            self.lease = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(n: u32) -> Tokens {
        Tokens::new(
            Secret::new(format!("a{n}")),
            Some(Secret::new(format!("r{n}"))),
            1_000,
        )
    }

    #[test]
    fn the_row_rules() {
        let mut row = Row::default();
        assert_eq!(row.begin(0, "a", 10, 70), Lease::Acquired);
        assert_eq!(row.begin(0, "b", 20, 80), Lease::Busy { until: 70 });
        // the lease ran out: taken over
        assert_eq!(row.begin(0, "b", 70, 130), Lease::Acquired);
        // the first holder's late finish still wins the compare-and-swap (its tokens are the
        // ones the platform issued last); the taker-over's finish is refused
        let written = row.finish("a", 0, &tokens(1)).unwrap();
        assert_eq!(written.version, 1);
        assert_eq!(row.lease, None);
        assert_eq!(row.finish("b", 0, &tokens(2)), None);
        assert_eq!(row.record().unwrap().tokens, tokens(1));
        assert_eq!(row.begin(0, "c", 80, 140), Lease::Changed(Some(written)));
        // abort clears only the holder's own lease
        assert_eq!(row.begin(1, "c", 80, 140), Lease::Acquired);
        row.abort("d");
        assert!(row.lease.is_some());
        row.abort("c");
        assert_eq!(row.lease, None);
        assert_eq!(row.version, 1);
        assert_eq!(TokenKey::Authorizer(7).to_string(), "authorizer:7");
        assert_eq!(TokenKey::Component.to_string(), "component");
        assert!(!format!("{:?}", tokens(1)).contains("a1"));
    }

    #[test]
    fn a_token_is_due_a_tenth_of_its_lifetime_early_at_most_five_minutes() {
        let short = Tokens::issued(Secret::new("a"), None, 1_000, 60);
        assert_eq!((short.expires_at, short.refresh_at), (1_060, 1_054));
        assert!(short.fresh_at(1_053));
        assert!(!short.fresh_at(1_054));
        let hour = Tokens::issued(Secret::new("a"), None, 1_000, 3_600);
        assert_eq!((hour.expires_at, hour.refresh_at), (4_600, 4_300));
        let unknown = Tokens::new(Secret::new("a"), None, 4_600);
        assert_eq!(unknown.refresh_at, 4_300);
    }
}
