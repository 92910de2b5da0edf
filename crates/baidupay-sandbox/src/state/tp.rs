//! The third-party-platform state: the registered platforms, their authorization chain
//! (tickets, TP tokens, pre-auth codes, authorization codes, refresh tokens), the mini programs
//! authorized for a TP and where each of their three audited onboarding steps stands. All of it
//! lives here, in [`Tp`], so that it can be persisted in one place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use baidupay_model::Secret;
use baidupay_notify::TpEventKeys;
use serde::{Deserialize, Serialize};

use crate::store;
use crate::sync::Unpoisoned;

/// Where an audited step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Audit {
    Pending,
    Passed,
    Rejected,
}

impl Audit {
    /// The payment service's status code (`paymentservice/auditstatus` `status`,
    /// `getbindservice` `open_status`): 1 under audit, 2 passed, 3 rejected.
    pub(crate) fn service_code(self) -> u8 {
        match self {
            Self::Pending => 1,
            Self::Passed => 2,
            Self::Rejected => 3,
        }
    }
}

/// The three steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Account,
    DevelopConfig,
    PaymentService,
}

impl Step {
    /// Every step, in order.
    pub(crate) const ALL: [Self; 3] = [Self::Account, Self::DevelopConfig, Self::PaymentService];

    /// The step named `s` in `POST /sandbox/tp/audit`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "account" => Self::Account,
            "develop_config" => Self::DevelopConfig,
            "payment_service" => Self::PaymentService,
            _ => return None,
        })
    }

    /// The event pushed when the step's audit is decided.
    pub(crate) fn event(self, pass: bool) -> &'static str {
        match (self, pass) {
            (Self::Account, true) => "APP_PAYMENT_CREATE_ACCOUNT_PASS",
            (Self::Account, false) => "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
            (Self::DevelopConfig, true) => "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
            (Self::DevelopConfig, false) => "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
            (Self::PaymentService, true) => "APP_PAYMENT_CREATE_PAYMENT_PASS",
            (Self::PaymentService, false) => "APP_PAYMENT_CREATE_PAYMENT_FAIL",
        }
    }
}

/// A submitted step: its audit, the rejection reason, the fields submitted, when (Unix
/// seconds on the sandbox's clock: an audit passing after `tp_audit_delay` passes that long
/// after this, a restart in between or not).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Stage {
    pub(crate) audit: Audit,
    pub(crate) reason: String,
    pub(crate) fields: HashMap<String, String>,
    #[serde(default)]
    pub(crate) submitted: i64,
}

/// Where a mini program's onboarding stands (stored as JSON).
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(crate) struct Onboarding {
    pub(crate) account: Option<Stage>,
    pub(crate) config: Option<Stage>,
    pub(crate) service: Option<Stage>,
    /// Set when the payment service first passes.
    pub(crate) pm_app_key: Option<String>,
    pub(crate) deal_id: u64,
    pub(crate) pm_app_id: u64,
}

impl Onboarding {
    /// The stage of `step`.
    pub(crate) fn stage(&self, step: Step) -> Option<&Stage> {
        match step {
            Step::Account => self.account.as_ref(),
            Step::DevelopConfig => self.config.as_ref(),
            Step::PaymentService => self.service.as_ref(),
        }
    }

    /// The stage of `step`, to change.
    pub(crate) fn stage_mut(&mut self, step: Step) -> &mut Option<Stage> {
        match step {
            Step::Account => &mut self.account,
            Step::DevelopConfig => &mut self.config,
            Step::PaymentService => &mut self.service,
        }
    }
}

/// A mini program authorized for a TP.
#[derive(Debug)]
pub(crate) struct Program {
    pub(crate) app_id: u64,
    pub(crate) tp_app_id: u64,
    pub(crate) event_url: String,
    /// The registered platform whose keys seal its audit pushes; none for a mini program of
    /// the `POST /sandbox/tp/apps` shortcut without `client_id` (plain, unauthenticated pushes).
    pub(crate) platform: Option<Arc<Platform>>,
    /// Its current authorizer access token (empty before the first code exchange).
    pub(crate) token: Mutex<Secret>,
    pub(crate) state: Mutex<Onboarding>,
}

/// A registered third-party platform: its message secrets and where its events go.
#[derive(Debug)]
pub(crate) struct Platform {
    pub(crate) client_id: String,
    pub(crate) tp_app_id: u64,
    /// The message token ("消息校验 Token").
    pub(crate) token: Secret,
    /// The EncodingAESKey.
    pub(crate) aes_key: Secret,
    /// The same, validated: what seals every event sent to the platform.
    pub(crate) keys: TpEventKeys,
    /// Where tickets and authorization events go.
    pub(crate) auth_event_url: String,
    /// Where the mini programs' events (payment audits) go.
    pub(crate) event_url: String,
}

/// A ticket pushed to a platform, and when (on the sandbox's clock).
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    pub(crate) value: Secret,
    pub(crate) issued: Instant,
}

/// The two newest tickets of a platform.
#[derive(Debug, Default, Clone)]
pub(crate) struct Tickets {
    pub(crate) latest: Option<Ticket>,
    pub(crate) previous: Option<Ticket>,
    pub(crate) pushed: u64,
}

impl Tickets {
    /// `ticket` is now the newest; the newest so far becomes the previous one.
    pub(crate) fn rotate(&mut self, ticket: Secret, now: Instant) {
        self.previous = self.latest.replace(Ticket {
            value: ticket,
            issued: now,
        });
        self.pushed += 1;
    }
}

/// A TP access token or a pre-auth code: the platform it was issued to, its expiry, whether
/// it was used (pre-auth codes are single use).
#[derive(Debug)]
pub(crate) struct Issued {
    pub(crate) client_id: String,
    pub(crate) expires: Instant,
    pub(crate) used: bool,
}

/// An authorization code: issued to a platform for a mini program, single use.
#[derive(Debug)]
pub(crate) struct AuthCode {
    pub(crate) client_id: String,
    pub(crate) app_id: u64,
    pub(crate) expires: Instant,
    pub(crate) used: bool,
}

/// Where a refresh token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshState {
    /// Not presented yet.
    Live,
    /// Presented once and exchanged.
    Used,
    /// Superseded by a newer authorization or revoked with it.
    Revoked,
}

impl RefreshState {
    /// The name the database uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Used => "used",
            Self::Revoked => "revoked",
        }
    }

    /// The state of a [`name`](Self::name).
    pub(crate) fn parse(name: &str) -> Option<Self> {
        [Self::Live, Self::Used, Self::Revoked]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// A refresh token: issued to a platform for a mini program, single use.
#[derive(Debug)]
pub(crate) struct Refresh {
    pub(crate) client_id: String,
    pub(crate) app_id: u64,
    pub(crate) state: RefreshState,
}

/// What reached the sandbox for one mini program, for tests to assert on.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub(crate) struct Counts {
    /// Authorization codes exchanged.
    pub(crate) code_exchanges: u64,
    /// Refresh tokens exchanged.
    pub(crate) refreshes: u64,
    /// Refused presentations of an already used refresh token.
    pub(crate) refresh_reuses: u64,
}

/// The authorization chain of every platform, under one lock.
#[derive(Default)]
pub(crate) struct Chain {
    /// By client id.
    pub(crate) tickets: HashMap<String, Tickets>,
    /// TP access tokens.
    pub(crate) tp_tokens: HashMap<String, Issued>,
    pub(crate) pre_auth_codes: HashMap<String, Issued>,
    pub(crate) codes: HashMap<String, AuthCode>,
    pub(crate) refresh_tokens: HashMap<String, Refresh>,
    /// By mini program.
    pub(crate) counts: HashMap<u64, Counts>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // every key is a secret
        f.debug_struct("Chain")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

impl Chain {
    /// `ticket` is now the newest of `client_id`; the newest so far becomes the previous one.
    #[cfg(test)]
    pub(crate) fn rotate(&mut self, client_id: &str, ticket: Secret, now: Instant) {
        self.tickets
            .entry(client_id.to_owned())
            .or_default()
            .rotate(ticket, now);
    }

    /// Whether `ticket` is accepted for `client_id` at `now`: the newest ticket, or the one
    /// before it while it is younger than twice `interval`.
    pub(crate) fn ticket_accepted(
        &self,
        client_id: &str,
        ticket: &str,
        now: Instant,
        interval: Duration,
    ) -> bool {
        let Some(t) = self.tickets.get(client_id) else {
            return false;
        };
        let is = |x: &Option<Ticket>| x.as_ref().is_some_and(|x| x.value.expose() == ticket);
        is(&t.latest)
            || (is(&t.previous)
                && t.previous
                    .as_ref()
                    .is_some_and(|p| now < p.issued + interval.saturating_mul(2)))
    }
}

/// An authorizer access token: the mini program it calls for and when it expires.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Authorizer {
    pub(crate) app_id: u64,
    pub(crate) expires: Instant,
}

/// The TP state: platforms by client id, their chain, mini programs by app id and by
/// authorizer token. Lock order: `chain`, then `programs` / `platforms`, then a program's
/// `state`, its `token`, `Inner::tokens`, `by_token`.
#[derive(Debug, Default)]
pub(crate) struct Tp {
    pub(crate) platforms: RwLock<HashMap<String, Arc<Platform>>>,
    pub(crate) chain: Mutex<Chain>,
    pub(crate) programs: RwLock<HashMap<u64, Arc<Program>>>,
    pub(crate) by_token: RwLock<HashMap<String, Authorizer>>,
}

impl Platform {
    /// The platform as stored.
    pub(crate) fn row(&self) -> store::PlatformRow {
        store::PlatformRow {
            client_id: self.client_id.clone(),
            tp_app_id: self.tp_app_id,
            token: self.token.clone(),
            aes_key: self.aes_key.clone(),
            auth_event_url: self.auth_event_url.clone(),
            event_url: self.event_url.clone(),
        }
    }
}

impl Tp {
    /// The platform registered as `client_id`.
    pub(crate) fn platform(&self, client_id: &str) -> Option<Arc<Platform>> {
        self.platforms.read_or_recover().get(client_id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_ticket_lives_twice_the_interval() {
        use baidupay_transport::Clock as _;
        let start = baidupay_transport::ManualClock::new(0).now();
        let interval = Duration::from_secs(600);
        let mut c = Chain::default();
        assert!(!c.ticket_accepted("tp", "t1", start, interval));
        c.rotate("tp", Secret::new("t1"), start);
        c.rotate("tp", Secret::new("t2"), start + interval);
        assert!(c.ticket_accepted("tp", "t1", start + interval, interval));
        assert!(!c.ticket_accepted("tp", "t1", start + interval * 2, interval));
        assert!(c.ticket_accepted("tp", "t2", start + interval * 100, interval));
        assert!(!c.ticket_accepted("other", "t2", start, interval));
        c.rotate("tp", Secret::new("t3"), start + interval);
        assert!(!c.ticket_accepted("tp", "t1", start + interval, interval));
        assert_eq!(c.tickets.get("tp").map(|t| t.pushed), Some(3));
    }
}
