//! The third-party-platform (TP) side of the simulator: the authorization chain of §3.2
//! ([`platform`]: registration, sealed ticket pushes, TP token, pre-auth codes; [`authorize`]:
//! consent, authorization events, code exchange, single-use refresh tokens, revocation), and
//! seed 004's payment onboarding: a mini program opens its payment service through a TP in
//! three audited steps (payment account, developer config, payment service), each answered
//! with the documented errors while it is under audit or missing, and each audit result pushed
//! to the TP's event URL (retried until `success`).
//!
//! * `POST /sandbox/tp/apps {"app_id", "client_id"}` is a shortcut for tests that don't care
//!   about the chain: it authorizes a mini program for a registered platform and returns a
//!   30-day authorizer `access_token` (no refresh token); its audit pushes are sealed with the
//!   platform's keys. With `{"app_id", "tp_app_id", "event_url"}` instead (no platform), the
//!   pushes are plain JSON: unauthenticated, as before sealing existed;
//! * `POST /sandbox/tp/audit {"app_id", "step": "account"|"develop_config"|"payment_service",
//!   "pass", "reason"}` decides an audit; with `SandboxConfig::tp_audit_delay` audits pass by
//!   themselves after that delay;
//! * once the payment service passes, the mini program is a cashier merchant: its
//!   `pmAppKey`/`dealId` are in `getbindservice`, orders paid through `/sandbox/cashier/pay`
//!   are signed with the developer-config key, callbacks go to the developer-config URLs, and
//!   the `/paymentservice/tp/*` pay APIs, `orderlist`, `financebalance` and `incomedetail`
//!   (with working pagination) answer from them with the authorizer token. No settlement runs:
//!   `otherdetail` and `financeexpense` are empty, `paydetail` knows no task (60021).

pub(crate) mod audit;
pub(crate) mod authorize;
pub(crate) mod common;
pub(crate) mod finance;
pub(crate) mod onboarding;
pub(crate) mod orders;
pub(crate) mod platform;
