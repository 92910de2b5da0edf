//! [`MemoryTokenStore`]: the store of one process.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

use baidupay_model::Secret;

use super::{Lease, Row, StoreError, TokenKey, TokenRecord, TokenStore, Tokens};

#[derive(Default)]
struct State {
    ticket: Option<Secret>,
    rows: HashMap<TokenKey, Row>,
}

/// A [`TokenStore`] in this process's memory: for tests and for a TP that runs one process.
/// Everything is lost when the process exits (the refresh tokens included: the mini programs
/// must then be authorized again), so a TP that runs for real wants a persistent store.
#[derive(Default)]
pub struct MemoryTokenStore {
    state: Mutex<State>,
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore").finish_non_exhaustive()
    }
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The state; a panic elsewhere while it was held leaves it consistent (every change is
    /// one assignment), so a poisoned lock is used as it is.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_row<T>(&self, key: TokenKey, f: impl FnOnce(&mut Row) -> T) -> T {
        f(self.state().rows.entry(key).or_default())
    }
}

#[async_trait::async_trait]
impl TokenStore for MemoryTokenStore {
    async fn set_ticket(&self, ticket: &Secret) -> Result<(), StoreError> {
        self.state().ticket = Some(ticket.clone());
        Ok(())
    }

    async fn ticket(&self) -> Result<Option<Secret>, StoreError> {
        Ok(self.state().ticket.clone())
    }

    async fn load(&self, key: TokenKey) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self.state().rows.get(&key).and_then(Row::record))
    }

    async fn put(&self, key: TokenKey, tokens: &Tokens) -> Result<TokenRecord, StoreError> {
        Ok(self.with_row(key, |row| row.put(tokens)))
    }

    async fn begin_refresh(
        &self,
        key: TokenKey,
        seen_version: u64,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<Lease, StoreError> {
        Ok(self.with_row(key, |row| row.begin(seen_version, holder, now, lease_until)))
    }

    async fn finish_refresh(
        &self,
        key: TokenKey,
        holder: &str,
        seen_version: u64,
        tokens: &Tokens,
    ) -> Result<Option<TokenRecord>, StoreError> {
        Ok(self.with_row(key, |row| row.finish(holder, seen_version, tokens)))
    }

    async fn abort_refresh(&self, key: TokenKey, holder: &str) -> Result<(), StoreError> {
        self.with_row(key, |row| row.abort(holder));
        Ok(())
    }
}
