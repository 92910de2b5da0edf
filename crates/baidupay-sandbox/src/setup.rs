//! Building the simulator's state: keys, the callback client, the database and what it held.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use baidupay_crypto::{Algorithm, PublicKey, Signer};
use baidupay_model::Secret;
use baidupay_notify::TpEventKeys;
use baidupay_transport::{HyperTransport, Settings};

use crate::book;
use crate::config::SandboxConfig;
use crate::error::SandboxError;
use crate::keys::{
    ALIPAY_PRIVATE_KEY_FILE, ALIPAY_PUBLIC_KEY_FILE, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, key_pair,
};
use crate::state::alipay::{Alipay, App, Trade};
use crate::state::faults::Faults;
use crate::state::tp::{
    AuthCode, Authorizer, Counts, Issued, Onboarding, Platform, Program, Refresh, RefreshState,
    Ticket, Tickets, Tp,
};
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
            .request_timeout(config.callback_timeout)
            // merchants served by `baidupay_notify::axum::serve` close a connection idle for
            // 2 s (its default): a pooled one is dropped first, so that a callback never races
            // the merchant's close
            .pool_idle_timeout(std::time::Duration::from_secs(1)),
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
            bills: RwLock::new(loaded.alipay_bills.into_iter().collect()),
        },
        faults: Faults::default(),
        tp: Tp::default(),
        resumed: AtomicBool::new(false),
        owed: Mutex::new(loaded.owed),
        serving: tokio::sync::watch::channel(0).0,
    };
    restore(
        &inner,
        loaded.merchants,
        loaded.orders,
        loaded.refunds,
        loaded.tokens,
    )?;
    restore_tp(
        &inner,
        loaded.platforms,
        loaded.tickets,
        Chained {
            issued: loaded.issued,
            codes: loaded.codes,
            refresh_tokens: loaded.refresh_tokens,
            counts: loaded.counts,
        },
        loaded.programs,
    )?;
    restore_alipay(&inner, loaded.alipay_apps, loaded.trades)?;
    Ok(inner)
}

/// The stored authorization chain.
struct Chained {
    issued: Vec<store::IssuedRow>,
    codes: Vec<store::CodeRow>,
    refresh_tokens: Vec<store::RefreshRow>,
    counts: Vec<(u64, Counts)>,
}

/// Puts the stored TP platforms, tickets, chain and mini programs back in place.
fn restore_tp(
    inner: &Inner,
    platforms: Vec<store::PlatformRow>,
    tickets: Vec<store::TicketsRow>,
    chained: Chained,
    programs: Vec<store::ProgramRow>,
) -> Result<(), SandboxError> {
    let mut all = HashMap::new();
    for row in platforms {
        let keys = TpEventKeys::new(row.token.expose(), row.aes_key.expose(), &row.client_id)
            .map_err(|e| SandboxError::Db(format!("TP {}: stored keys: {e}", row.client_id)))?;
        all.insert(
            row.client_id.clone(),
            Arc::new(Platform {
                client_id: row.client_id,
                tp_app_id: row.tp_app_id,
                token: row.token,
                aes_key: row.aes_key,
                keys,
                auth_event_url: row.auth_event_url,
                event_url: row.event_url,
            }),
        );
    }
    let mut chain = lock(&inner.tp.chain);
    let ticket = |t: Option<(Secret, i64)>| {
        t.map(|(value, at)| Ticket {
            value,
            issued: inner.instant_at(at),
        })
    };
    for t in tickets {
        chain.tickets.insert(
            t.client_id,
            Tickets {
                latest: ticket(t.latest),
                previous: ticket(t.previous),
                pushed: t.pushed,
            },
        );
    }
    for i in chained.issued {
        let map = match i.kind {
            store::IssuedKind::TpToken => &mut chain.tp_tokens,
            store::IssuedKind::PreAuthCode => &mut chain.pre_auth_codes,
        };
        map.insert(
            i.value.expose().to_owned(),
            Issued {
                client_id: i.client_id,
                expires: inner.instant_at(i.expires_at),
                used: i.used,
            },
        );
    }
    for c in chained.codes {
        chain.codes.insert(
            c.code.expose().to_owned(),
            AuthCode {
                client_id: c.client_id,
                app_id: c.app_id,
                expires: inner.instant_at(c.expires_at),
                used: c.used,
            },
        );
    }
    for r in chained.refresh_tokens {
        let state = RefreshState::parse(&r.state)
            .ok_or_else(|| SandboxError::Db(format!("a stored refresh token is {:?}", r.state)))?;
        chain.refresh_tokens.insert(
            r.token.expose().to_owned(),
            Refresh {
                client_id: r.client_id,
                app_id: r.app_id,
                state,
            },
        );
    }
    chain.counts.extend(chained.counts);
    drop(chain);
    let mut live = HashMap::new();
    for row in programs {
        let onboarding: Onboarding = serde_json::from_str(&row.onboarding).map_err(|e| {
            SandboxError::Db(format!(
                "mini program {}: stored onboarding: {e}",
                row.app_id
            ))
        })?;
        let platform = match &row.client_id {
            None => None,
            Some(id) => Some(all.get(id).cloned().ok_or_else(|| {
                SandboxError::Db(format!(
                    "mini program {} names TP {id}, which is not stored",
                    row.app_id
                ))
            })?),
        };
        if let Some(at) = row
            .token_expires_at
            .filter(|_| !row.token.expose().is_empty())
        {
            let expires = inner.instant_at(at);
            lock(&inner.tokens).insert(
                row.token.expose().to_owned(),
                Token {
                    app_keys: onboarding.pm_app_key.iter().cloned().collect(),
                    expires,
                },
            );
            inner.tp.by_token.write_or_recover().insert(
                row.token.expose().to_owned(),
                Authorizer {
                    app_id: row.app_id,
                    expires,
                },
            );
        }
        live.insert(
            row.app_id,
            Arc::new(Program {
                app_id: row.app_id,
                tp_app_id: row.tp_app_id,
                event_url: row.event_url,
                platform,
                token: Mutex::new(row.token),
                state: Mutex::new(onboarding),
            }),
        );
    }
    *inner.tp.platforms.write_or_recover() = all;
    *inner.tp.programs.write_or_recover() = live;
    Ok(())
}

/// Puts the stored Alipay apps and their trades back in place.
fn restore_alipay(
    inner: &Inner,
    apps: Vec<store::AlipayAppRow>,
    trades: Vec<(String, Trade)>,
) -> Result<(), SandboxError> {
    let mut all = HashMap::new();
    for row in apps {
        let key = stored_key(&row.public_key, || format!("Alipay app {}", row.app_id))?;
        let charset = baidupay_notify::Charset::from_label(&row.charset).ok_or_else(|| {
            SandboxError::Db(format!(
                "Alipay app {} is stored with the charset {:?}, which is not one the sandbox sends",
                row.app_id, row.charset
            ))
        })?;
        all.insert(
            row.app_id.clone(),
            Arc::new(App {
                app_id: row.app_id,
                key,
                notify_url: row.notify_url,
                seller_id: row.seller_id,
                charset,
                trades: Mutex::default(),
            }),
        );
    }
    for (app_id, t) in trades {
        let app = all.get(&app_id).ok_or_else(|| {
            SandboxError::Db(format!(
                "a stored trade names Alipay app {app_id}, which is not stored"
            ))
        })?;
        lock(&app.trades).push(t);
    }
    *inner.alipay.apps.write_or_recover() = all;
    Ok(())
}

/// A stored public key (of `whose`), parsed.
fn stored_key(pem: &str, whose: impl FnOnce() -> String) -> Result<PublicKey, SandboxError> {
    PublicKey::parse(pem.as_bytes())
        .map_err(|e| SandboxError::Db(format!("{}: stored public key: {e}", whose())))
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
        let key = stored_key(&row.public_key, || format!("merchant {}", row.app_key))?;
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
            t.token.expose().to_owned(),
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
