//! `baidupay-sandbox`: an offline simulator of the Baidu cashier platform, so that a merchant
//! (and this project's end-to-end tests) can run every flow, callbacks included, on one machine.
//!
//! * A platform key pair (1024-bit, SHA1withRSA, like Baidu's) is loaded from or created in a
//!   keys directory; the public half is written to `baidu_platform_public_key.pem`.
//! * `POST /sandbox/merchants` registers a merchant (JSON: `app_key`, `deal_id`, `app_id`,
//!   `client_id`, `client_secret`, `merchant_public_key` in any format, `notify_url`,
//!   `refund_audit_url`, `refund_notify_url`; optional money settings `commission_per_mille`
//!   (default 6), `day_refund_cap` (fen, default 1,000,000 = 10,000 yuan; `null`: none) and
//!   `payout_reserve` (fen; default none: nothing is paid out)); `GET /sandbox/merchants/{app_key}`
//!   shows it with `settings`, `money` (`enterprise_assets`, `paid_out`, `commission`, `pending`,
//!   `locked`, in fen) and `locked_orders`.
//! * The money, as the platform keeps it (seeds 000, 001, 004): the commission is taken at
//!   payment (rounded half up, at least 1 fen: a 0.01 order leaves nothing); an acknowledged
//!   payment notify (`isConsumed` 2) consumes the order and its money less the commission
//!   reaches the enterprise assets; a notify that fails its first attempt and three retries (an
//!   answer later than [`SandboxConfig::callback_timeout`] fails) locks the order "已付款" for
//!   good (the delivery log's last attempt says so) and a 2.0 refund of it is refused (10002
//!   `订单已锁定为已付款状态，无法核销，不能退款`). A refund of a consumed order is paid from the
//!   assets (the refund less its pro-rata share of the commission) and refused with 10003 when
//!   they are short or when the day's refunds would pass `day_refund_cap` (the wording is the
//!   sandbox's); with a `payout_reserve`, everything above it is paid out at once (the platform
//!   pays out at T+1). 1.0 `syncOrderStatus` answers 10003 when the assets hold less than the
//!   order's refundable amount and 10002 for a wrong `orderId`/`userId`; the 1.0 refund of a
//!   consumed order is 10002 `已消费订单不允许退款` until its consumption is cancelled. An
//!   `isErrorOrder` 1 answer makes the platform refund the order in full by itself (no audit,
//!   merchant batch `abnormal-<orderId>`), and its refund notify follows.
//! * The real paths, so that a client only changes its base URL: `/oauth/2.0/token` (short-lived
//!   tokens), `/rest/2.0/smartapp/pay/paymentservice/{findByTpOrderId, cancelOrder,
//!   applyOrderRefund, findOrderRefund, orderBill, capitaBill}` with Baidu's envelopes, error
//!   shapes and quirks.
//! * `POST /sandbox/cashier/pay` takes the bare `orderInfo` object as the mini program passes it
//!   to `swan.requestPolymerPayment`, checks it as the cashier does (errCode 6 and the reason),
//!   creates and pays the order and sends the signed payment notify until the exact success
//!   JSON comes back (at most 4 attempts); `POST /sandbox/cashier/create` creates the order
//!   unpaid. `findByTpOrderId` answers `dealId` as a number (the doc sample, Baidu's Go and
//!   Java SDKs) and `appKey` as the string a payment appKey is.
//! * Refunds run the real sequence: the refund-audit callback (unless `isSkipAudit=1`),
//!   honouring `auditStatus` and `calculateRes.refundPayMoney` (3 is asked again every 5
//!   platform minutes, without limit), then the refund notify; a repeated `bizRefundBatchId`
//!   never refunds twice; refunds over the paid amount are refused.
//! * The Baidu cashier's callbacks keep the platform's schedules, run
//!   [`SandboxConfig::time_scale`] times faster (default 600: 2 minutes take 0.2 s): the
//!   payment notify every 2 minutes, 4 attempts in all; a wrongly answered audit or refund
//!   notify after 2, 4, 10, 30 minutes and then hourly, without limit (they end with the
//!   process). [`SandboxConfig::retry_schedule`] is the Alipay and TP callbacks' schedule.
//! * `GET /sandbox/deliveries` lists every callback attempt with the platform's verdict: the
//!   answer to "why does Baidu keep retrying my notify".
//! * Third-party platform (TP), the authorization chain (spec §3.2-3.3). Every event sent to a
//!   registered TP is sealed with its keys (`baidupay_notify::TpEventKeys::seal_random`: AES,
//!   signed with its message token, ending with its client id), POSTed as the
//!   `{"Nonce","TimeStamp","Encrypt","MsgSignature"}` envelope and retried until the answer is
//!   exactly `success`; `GET /sandbox/deliveries` lists them (`tp-ticket`, `tp-authorization`,
//!   `tp-audit`).
//!   * `POST /sandbox/tp/platforms {"client_id", "token", "aes_key"?, "tp_app_id"?,
//!     "auth_event_url", "event_url"}` registers a TP → 201 with the registration (the
//!     `aes_key` generated when absent: 43 of `[A-Za-z0-9]`); 400 for a missing field, a bad
//!     key or a relative URL, 409 for a known `client_id`. It pushes a ticket
//!     (`{"Ticket","FromUserName":"SmartAPP","CreateTime","MsgType":"ticket","Event":"push"}`)
//!     to `auth_event_url` at once and then [`SandboxConfig::tp_ticket_interval`] after each
//!     push is acknowledged or given up, until the sandbox stops.
//!     `GET /sandbox/tp/platforms/{client_id}` shows it (`tickets_pushed`, `apps`);
//!     `POST /sandbox/tp/platforms/{client_id}/ticket` pushes a fresh ticket now.
//!   * `GET /public/2.0/smartapp/auth/tp/token?client_id=&ticket=` → `{"errno":0,"msg":"success",
//!     "data":{"access_token","expires_in":2592000,"scope":"smartapp_tp_smtapp_common public"}}`
//!     for the newest ticket, or the one before it while it is younger than twice the interval;
//!     else `{"errno","msg"}`: 40001 a parameter missing, 40002 unknown `client_id`, 40003 an
//!     unknown or too old ticket.
//!   * `GET /rest/2.0/smartapp/tp/createpreauthcode?access_token=<TP token>` →
//!     `{"errno":0,"msg":"success","data":{"pre_auth_code","expires_in":1200}}`; an unknown TP
//!     token → `{"error_code":110,...}`, an expired one → `{"error_code":111,...}` (the
//!     gateway's answers, as for every TP token and authorizer token below).
//!   * `POST /sandbox/tp/authorize {"pre_auth_code", "app_id", "redirect_uri"}` stands in for
//!     the administrator's consent → 200 `{"redirect":"<redirect_uri>?authorization_code=..&
//!     expires_in=600","authorization_code","expires_in":600,"event"}` and pushes `AUTHORIZED`
//!     (`UPDATE_AUTHORIZED` when the app already was) with `appId`, `tpAppId`, `eventTime`,
//!     `authorizationCode`, `authorizationCodeExpiresIn`, `createTime` to `auth_event_url`;
//!     an unknown, used or expired pre-auth code → 400 `{"error":"<why>"}`; an app authorized
//!     for another TP → 409. `DELETE /sandbox/tp/authorize/{app_id}` revokes: its tokens stop
//!     working, `UNAUTHORIZED` is pushed.
//!   * `GET /rest/2.0/oauth/token?access_token=<TP token>&code=&grant_type=app_to_tp_authorization_code`
//!     and `...&refresh_token=&grant_type=app_to_tp_refresh_token` → 200
//!     `{"access_token","refresh_token","expires_in"}` (no envelope;
//!     [`SandboxConfig::tp_authorizer_token_lifetime`]); each code and refresh token is single
//!     use, and a new pair retires the previous access and refresh tokens. Refusals are HTTP 400
//!     `{"error":"invalid_grant","error_description":"<why>"}` (`authorization code already
//!     used`, `authorization code expired`, `refresh token already used`, `refresh token
//!     revoked ...`, `unknown ...`), or `unsupported_grant_type`.
//!     `GET /sandbox/tp/apps/{app_id}` counts what reached the sandbox: `code_exchanges`,
//!     `refreshes`, `refresh_reuses` (refused second presentations).
//!   * Every token, code and ticket is 128 random bits; expiries follow the sandbox's clock.
//! * Third-party platform, payment onboarding (seed 004): the authorizer token of an authorized
//!   mini program calls the payment account, developer config and payment service endpoints on
//!   their real paths, which run the audited onboarding with the documented errors (60012,
//!   60014, 60017-60019, ...); audits are decided by `POST /sandbox/tp/audit` (or pass after
//!   [`SandboxConfig::tp_audit_delay`]) and pushed, sealed, to the TP's `event_url`; once
//!   open, the mini program is a cashier merchant and the `/paymentservice/tp/*` pay APIs and
//!   `orderlist`, `financebalance` and `incomedetail` (paginated) answer from its orders and
//!   refunds; the sandbox runs no settlement, so `otherdetail` and `financeexpense` are empty
//!   and `paydetail` knows no task. `POST /sandbox/tp/apps {"app_id", "client_id"}` is a
//!   shortcut past the chain for tests that don't care about it: a 30-day authorizer token, no
//!   refresh token. Its older form `{"app_id", "tp_app_id", "event_url"}` (no registered
//!   platform) still works, but those audit pushes are plain JSON: **unauthenticated**.
//! * Alipay: `POST /sandbox/alipay/apps` registers an app (`app_id`, `app_public_key`,
//!   `notify_url`, and `charset`: `utf-8` by default, or `GBK`, in which the app's notifies are
//!   then sent: `charset=GBK`, values percent-encoded as GBK bytes, a character GBK lacks sent
//!   as `?`, signed over the GBK bytes of the canonical string; the `--db` file keeps it);
//!   `POST` (or `GET`) `/gateway.do` serves `alipay.trade.create` (JSAPI_PAY), `query`,
//!   `close`, `refund`, `fastpay.refund.query` and `data.dataservice.bill.downloadurl.query`,
//!   verifying each request against the app key as the gateway does (`isv.invalid-signature`
//!   quotes the gateway's string) and answering `{"<method>_response":{…},"sign":"…"}` signed
//!   RSA2 by the sandbox's Alipay key (`alipay_public_key.pem` in the keys directory), with the
//!   ACQ.* errors a simulator can produce; `POST /sandbox/alipay/pay {"trade_no"}` stands in
//!   for `my.tradePay` and sends the signed trade notify (and one per refund), retried until
//!   the merchant answers exactly `success`. The bill of a past day (today's answers
//!   `isp.bill_not_exist`; a day without trades `EMPTY_DATA_WITH_BILL_FILE`) is served as the
//!   real one is: a ZIP, entry names in GBK, of `{pid}_{yyyyMMdd}_业务明细.csv` (the day's
//!   payments and refunds, refunds negative) and `…_业务明细(汇总).csv` (its totals), GBK CSV
//!   with the `#` comment and summary lines and the padded cells Alipay writes.
//! * Baidu's `orderBill` and `capitaBill` (and their `/tp/` variants) are distinct GBK files in
//!   the layout of baidu-cashier.md 5.6: `#Dealid:[…]`, then the three reports (当日所有订单,
//!   当日支付订单, 当日退款订单), each with its `#` totals (the commission the platform took
//!   included) and the documented columns. The order bill follows the day's orders, the capital
//!   bill the day's money.
//!
//! State is kept in memory, one lock per merchant (merchants never wait for each other), and
//! with [`SandboxConfig::db`] (feature `sqlite`, on by default) also in a SQLite file, written
//! through on every change, so that it survives a restart: the cashier's merchants, tokens,
//! orders, refunds, delivery log and bills; the TP platforms (with their message token and
//! AES key), tickets, TP tokens, pre-auth and authorization codes, authorizer access and
//! refresh tokens (single use, expiries, counts) and mini programs with their onboarding; the
//! Alipay apps, trades, refunds and bills; and every TP event and Alipay notify not yet
//! acknowledged. The file holds secrets: it is created `0600` (an older, wider one is narrowed
//! to `0600` when opened). A file of the previous schema (the cashier state only) is upgraded
//! in place. A change that cannot be stored (another process holds a lock on the file, the
//! disk is full) is refused and not made, the cause named in the answer and logged as an
//! error: a merchant, a payment or an order (HTTP 500 `{"error"}`), a token (HTTP 500 OAuth
//! `server_error`), a cashier API change (errno 10000 系统错误), a TP change (HTTP 500), an
//! Alipay one (the gateway's `20000` `isp.unknow-error`); a callback's outcome that cannot be
//! stored is not recorded and nothing is sent for it. Only the delivery log and the bills are
//! written on a best-effort basis. The platform private keys in the keys directory are
//! created `0600` too, and the tokens and secrets the sandbox hands out carry 128 random bits.
//! On start, a restarted sandbox resumes what the platform still owes: payment notifies not
//! yet acknowledged nor locked (with the attempts they have left), refunds still being processed (from the
//! audit callback on), TP events and Alipay notifies not yet acknowledged (a fresh retry
//! schedule), the ticket pushes (on their interval: a push at once when one is due), and,
//! with [`SandboxConfig::tp_audit_delay`], the audits under way (each passes that long after
//! it was submitted). The database writes themselves go through one connection, a short
//! transaction each (about 2,000 paid-and-notified orders per second on a 2-core machine
//! against 4,300 in memory: `cargo xtask bench sandbox`).
//!
//! Every time the simulator uses (token, code and ticket expiries, timestamps, bill days) is read from one
//! clock, [`SandboxConfig::clock`] (the system clock by default), so that a test can drive it
//! with a `ManualClock`:
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use baidupay_sandbox::{Sandbox, SandboxConfig};
//! use baidupay_transport::ManualClock;
//!
//! # async fn run() -> Result<(), baidupay_sandbox::SandboxError> {
//! let clock = Arc::new(ManualClock::new(1_715_593_760));
//! let sandbox = Sandbox::new(SandboxConfig::default().clock(clock.clone()))?;
//! let running = sandbox.start("127.0.0.1:0".parse().expect("an address")).await?;
//! println!("the platforms answer on {}", running.base_url());
//! clock.advance(std::time::Duration::from_secs(3_600)); // every token issued so far expires
//! # Ok(())
//! # }
//! ```
//!
//! The modules follow what they simulate: `baidu` (merchants, tokens, the cashier, the 2.0
//! order, refund and bill APIs, the signed 1.0 APIs), `tp` (platforms and tickets, the
//! authorization chain, onboarding audits, order list, finance), `alipay` (the gateway, trades, bills, `my.tradePay` and its notify), `deliver`
//! (signed callbacks with retries), `faults` (fault injection) and `store` (SQLite). The
//! `router` holds the route table; the shared state (`state`) and helpers (`respond`,
//! `request`, `time`, `sync`) are leaves that import no handler.

#![warn(missing_docs)]

mod alipay;
mod baidu;
mod book;
mod callback;
mod config;
mod deliver;
mod error;
mod faults;
mod keys;
mod random;
mod request;
mod respond;
mod router;
pub mod samples;
mod setup;
mod state;
mod store;
mod sync;
mod time;
mod tp;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use baidupay_crypto::PublicKey;

pub use callback::{CallbackKind, Delivery};
pub use config::SandboxConfig;
pub use error::SandboxError;
pub use keys::{
    ALIPAY_PRIVATE_KEY_FILE, ALIPAY_PUBLIC_KEY_FILE, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE,
};

use crate::error::io;
use crate::state::Inner;
use crate::sync::{Unpoisoned, lock};

/// The simulator.
#[derive(Debug, Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

impl Sandbox {
    /// A simulator with the platform key of `config.keys_dir` (created when missing).
    ///
    /// # Errors
    /// [`SandboxError`] when the keys directory cannot be read or written.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        Ok(Self {
            inner: Arc::new(setup::inner(config)?),
        })
    }

    /// The platform public key (give it to the merchant's notify verifier).
    pub fn platform_public_key(&self) -> &PublicKey {
        &self.inner.public
    }

    /// Where the platform public key was written, with a keys directory.
    pub fn platform_public_key_path(&self) -> Option<&Path> {
        self.inner.public_path.as_deref()
    }

    /// The simulated Alipay public key (RSA2): what the merchant verifies Alipay's answers and
    /// notifies with.
    pub fn alipay_public_key(&self) -> &PublicKey {
        &self.inner.alipay.public
    }

    /// Where the Alipay public key was written, with a keys directory.
    pub fn alipay_public_key_path(&self) -> Option<&Path> {
        self.inner.alipay.public_path.as_deref()
    }

    /// Every callback attempt so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        lock(&self.inner.deliveries).clone()
    }

    /// The HTTP API.
    pub fn router(&self) -> axum::Router {
        router::router(self.inner.clone())
    }

    /// Binds `addr` (use port 0 for any free port) and serves in the background until the
    /// returned handle is dropped or stopped, within [`SandboxConfig::server_limits`] (read
    /// timeouts and a connection cap, with `baidupay_notify::axum::serve`). The first start of
    /// a sandbox made from a database resumes the callbacks the platform still owes (see the
    /// crate docs).
    ///
    /// # Errors
    /// [`SandboxError::Io`] when the address cannot be bound.
    pub async fn start(&self, addr: SocketAddr) -> Result<RunningSandbox, SandboxError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(io(format!("binding {addr}")))?;
        let local = listener
            .local_addr()
            .map_err(io("reading the bound address".to_owned()))?;
        let base = format!("http://{local}");
        *self.inner.base_url.write_or_recover() = base.clone();
        let mut generation = 0;
        self.inner.serving.send_modify(|g| {
            *g += 1;
            generation = *g;
        });
        if !self.inner.resumed.swap(true, Ordering::AcqRel) {
            baidu::resume::resume(&self.inner);
            deliver::resume_owed(&self.inner);
        }
        // the timers of the previous start ended with it
        tp::platform::resume_tickets(&self.inner);
        tp::audit::resume_audits(&self.inner);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = self.router();
        let limits = self.inner.config.server_limits;
        let task = tokio::spawn(async move {
            baidupay_notify::axum::serve(listener, router, limits)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(RunningSandbox {
            base_url: base,
            stop: Some(stop),
            task,
            inner: self.inner.clone(),
            generation,
        })
    }
}

/// A sandbox serving in the background; stops when dropped.
#[derive(Debug)]
pub struct RunningSandbox {
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    inner: Arc<Inner>,
    generation: u64,
}

impl RunningSandbox {
    /// `http://127.0.0.1:PORT`: the API base (`/oauth/2.0/token`, `/rest/2.0/...`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stops serving (and pushing TP tickets) and waits for the server to finish.
    pub async fn stop(mut self) {
        self.end();
        let _ = (&mut self.task).await;
    }

    /// Tells the server and the background pushers of this start to stop.
    fn end(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let generation = self.generation;
        self.inner.serving.send_if_modified(|g| {
            let current = *g == generation;
            if current {
                *g += 1;
            }
            current
        });
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.end();
    }
}
