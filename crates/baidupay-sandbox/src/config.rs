//! How the simulator behaves: [`SandboxConfig`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baidupay_notify::axum::ServerLimits;
use baidupay_transport::{Clock, SystemClock};

/// How the simulator behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Where the platform key pair is loaded from or created (none: a fresh key in memory).
    pub keys_dir: Option<PathBuf>,
    /// Lifetime of the access tokens it issues (default 10 minutes; Baidu's is a month).
    pub token_lifetime: Duration,
    /// Delays before each attempt of the Alipay and TP callbacks, the first included (default
    /// 0, 0.2 s, 0.5 s, 1 s, 2 s, 4 s). The Baidu cashier's callbacks follow the platform's own
    /// schedules instead, scaled by [`time_scale`](Self::time_scale).
    pub retry_schedule: Vec<Duration>,
    /// How many times faster than the platform the Baidu cashier's callback schedules run
    /// (default 600: two minutes take 0.2 s). The schedules, in platform time: the payment
    /// notify is sent once and retried 3 times, 2 minutes apart (then the order is locked
    /// "已付款"); the refund audit is asked again every 5 minutes while the answer is
    /// `auditStatus` 3, and an audit or refund notify answered wrongly is retried after
    /// 2 min, 4 min, 10 min, 30 min, then every hour, without limit. 1 runs them in real time.
    pub time_scale: u32,
    /// How long a merchant may take to answer a callback (default 2 s, as Baidu): a later
    /// answer is a failed attempt.
    pub callback_timeout: Duration,
    /// A SQLite file holding the whole state, cashier, TP and Alipay (created `0600` when
    /// missing; see the crate docs for what a restart resumes); none: memory only.
    pub db: Option<PathBuf>,
    /// TP audits pass by themselves after this delay (none: only `POST /sandbox/tp/audit`
    /// decides them).
    pub tp_audit_delay: Option<Duration>,
    /// How often a registered TP is pushed a fresh ticket (default 600 s, as the platform);
    /// the previous ticket stays valid while it is younger than twice this.
    pub tp_ticket_interval: Duration,
    /// Lifetime of the authorizer access tokens the TP chain issues (default 3600 s, as the
    /// platform; the `POST /sandbox/tp/apps` shortcut's tokens live 30 days).
    pub tp_authorizer_token_lifetime: Duration,
    /// Where every time the simulator uses comes from: token expiries, timestamps, bill days
    /// (default [`SystemClock`]; a `ManualClock` makes them exact in tests).
    pub clock: Arc<dyn Clock>,
    /// What the server allows a client: header and body read timeouts (the header one also
    /// closes idle keep-alive connections), the body cap and the connection cap (default
    /// [`ServerLimits::default`]: 2 s, 2 s, 64 KiB, 512 connections; over the cap a new
    /// connection is answered `503` and closed at once).
    pub server_limits: ServerLimits,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            keys_dir: None,
            token_lifetime: Duration::from_secs(600),
            retry_schedule: [0, 200, 500, 1000, 2000, 4000]
                .into_iter()
                .map(Duration::from_millis)
                .collect(),
            time_scale: 600,
            callback_timeout: Duration::from_secs(2),
            db: None,
            tp_audit_delay: None,
            tp_ticket_interval: Duration::from_secs(600),
            tp_authorizer_token_lifetime: Duration::from_secs(3600),
            clock: Arc::new(SystemClock),
            server_limits: ServerLimits::default(),
        }
    }
}

impl SandboxConfig {
    /// Keys in `dir`.
    #[must_use]
    pub fn keys_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.keys_dir = Some(dir.into());
        self
    }

    /// State in the SQLite file `path` (needs the `sqlite` feature).
    #[must_use]
    pub fn db(mut self, path: impl Into<PathBuf>) -> Self {
        self.db = Some(path.into());
        self
    }

    /// TP audits pass by themselves after `delay`.
    #[must_use]
    pub fn tp_audit_delay(mut self, delay: Duration) -> Self {
        self.tp_audit_delay = Some(delay);
        self
    }

    /// A fresh ticket for every registered TP every `interval`.
    #[must_use]
    pub fn tp_ticket_interval(mut self, interval: Duration) -> Self {
        self.tp_ticket_interval = interval;
        self
    }

    /// Lifetime of the authorizer access tokens of the TP chain.
    #[must_use]
    pub fn tp_authorizer_token_lifetime(mut self, d: Duration) -> Self {
        self.tp_authorizer_token_lifetime = d;
        self
    }

    /// Token lifetime.
    #[must_use]
    pub fn token_lifetime(mut self, d: Duration) -> Self {
        self.token_lifetime = d;
        self
    }

    /// Callback retry schedule.
    #[must_use]
    pub fn retry_schedule(mut self, delays: impl IntoIterator<Item = Duration>) -> Self {
        self.retry_schedule = delays.into_iter().collect();
        self
    }

    /// Runs the Baidu cashier's callback schedules `factor` times faster than the platform
    /// (0 is taken as 1).
    #[must_use]
    pub fn time_scale(mut self, factor: u32) -> Self {
        self.time_scale = factor;
        self
    }

    /// How long a merchant may take to answer a callback.
    #[must_use]
    pub fn callback_timeout(mut self, d: Duration) -> Self {
        self.callback_timeout = d;
        self
    }

    /// A platform delay (`minutes`) on the sandbox's time scale.
    pub(crate) fn scaled_minutes(&self, minutes: u64) -> Duration {
        Duration::from_secs(minutes.saturating_mul(60)) / self.time_scale.max(1)
    }

    /// The clock every time is read from (token expiries, timestamps, bill days).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The server's timeouts, body cap and connection cap.
    #[must_use]
    pub fn server_limits(mut self, limits: ServerLimits) -> Self {
        self.server_limits = limits;
        self
    }
}
