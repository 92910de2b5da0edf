//! Building the simulator's state: keys, the callback client, the database and what it held.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use baidupay_crypto::{Algorithm, PublicKey, Signer};
use baidupay_transport::{HyperTransport, Settings};

use crate::book;
use crate::config::SandboxConfig;
use crate::error::SandboxError;
use crate::keys::{
    ALIPAY_PRIVATE_KEY_FILE, ALIPAY_PUBLIC_KEY_FILE, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, key_pair,
};
use crate::state::alipay::Alipay;
use crate::state::faults::Faults;
use crate::state::tp::Tp;
use crate::state::{Inner, Merchant, Token};
use crate::store;
use crate::sync::{Unpoisoned, lock};

/// The state of a new simulator: the key pairs of `config.keys_dir` (created when missing) and
/// what `config.db` holds.
///
/// # Errors
/// [`SandboxError`] when the keys directory or the database cannot be read or written.
pub(crate) fn inner(config: SandboxConfig) -> Result<Inner, SandboxError> {
    // Baidu's platform key is 1024-bit SHA1withRSA; Alipay's is 2048-bit RSA2
    let (key, public_path) = key_pair(
        config.keys_dir.as_deref(),
        PRIVATE_KEY_FILE,
        PUBLIC_KEY_FILE,
        1024,
    )?;
    let (alipay_key, alipay_public_path) = key_pair(
        config.keys_dir.as_deref(),
        ALIPAY_PRIVATE_KEY_FILE,
        ALIPAY_PUBLIC_KEY_FILE,
        2048,
    )?;
    let http = HyperTransport::new(
        Settings::default()
            .allow_http(true)
            .connect_timeout(config.callback_timeout)
            .request_timeout(config.callback_timeout),
    )?;
    let public = key.public_key().clone();
    let (db, loaded) = match &config.db {
        None => (None, store::Loaded::default()),
        Some(path) => {
            let (db, loaded) =
                store::Db::open(path, &public.to_spki_pem()).map_err(SandboxError::Db)?;
            (Some(db), loaded)
        }
    };
    let now = config.clock.unix_seconds();
    // ids in the platform's ranges: orders like 2645985458, users like 3269234686470
    let first_id = loaded
        .next_id
        .unwrap_or(2_700_000_000 + u64::try_from(now % 1_000_000).unwrap_or(0) * 100);
    let inner = Inner {
        public,
        signer: Signer::new(key, Algorithm::RsaSha1),
        public_path,
        config,
        merchants: RwLock::default(),
        tokens: Mutex::default(),
        deliveries: Mutex::new(loaded.deliveries),
        bills: RwLock::new(loaded.bills.into_iter().collect()),
        ids: AtomicU64::new(first_id),
        http: Arc::new(http),
        base_url: RwLock::new(String::new()),
        db,
        alipay: Alipay {
            public: alipay_key.public_key().clone(),
            signer: Signer::new(alipay_key, Algorithm::RsaSha256),
            public_path: alipay_public_path,
            apps: RwLock::default(),
            bills: RwLock::default(),
        },
        faults: Faults::default(),
        tp: Tp::default(),
        resumed: AtomicBool::new(false),
        serving: tokio::sync::watch::channel(0).0,
    };
    restore(
        &inner,
        loaded.merchants,
        loaded.orders,
        loaded.refunds,
        loaded.tokens,
    )?;
    Ok(inner)
}

/// Puts the stored merchants, books and tokens back in place.
fn restore(
    inner: &Inner,
    merchants: Vec<store::MerchantRow>,
    orders: Vec<(String, book::Order)>,
    refunds: Vec<(String, book::Refund)>,
    tokens: Vec<store::TokenRow>,
) -> Result<(), SandboxError> {
    let mut all = HashMap::new();
    for row in merchants {
        let key = PublicKey::parse(row.public_key.as_bytes()).map_err(|e| {
            SandboxError::Db(format!("merchant {}: stored public key: {e}", row.app_key))
        })?;
        all.insert(row.app_key.clone(), Arc::new(Merchant::from_row(row, key)));
    }
    let owner = |app_key: &str| {
        all.get(app_key).cloned().ok_or_else(|| {
            SandboxError::Db(format!(
                "a stored order or refund names merchant {app_key}, which is not stored"
            ))
        })
    };
    for (app_key, o) in orders {
        lock(&owner(&app_key)?.book).insert(o);
    }
    for (app_key, r) in refunds {
        lock(&owner(&app_key)?.book).insert_refund(r);
    }
    let now = inner.now_unix();
    let mut live = lock(&inner.tokens);
    for t in tokens {
        let left = u64::try_from(t.expires_at.saturating_sub(now)).unwrap_or(0);
        live.insert(
            t.token,
            Token {
                app_keys: t.app_keys,
                expires: inner.deadline(Duration::from_secs(left)),
            },
        );
    }
    drop(live);
    *inner.merchants.write_or_recover() = all;
    Ok(())
}
