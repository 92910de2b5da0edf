//! TP event messages: `baidupay notify --kind tp-event|tp-audit` and `baidupay tp-seal`.

use std::path::PathBuf;

use baidupay_notify::{TpEvent, TpEventError, TpEventKeys};
use baidupay_transport::{Clock, SystemClock};
use clap::Args;
use serde_json::Value;

use crate::error::{CliError, CliResult};
use crate::keys::read_file;

/// The TP's message secrets (flags, else environment variables).
#[derive(Debug, Args)]
pub(crate) struct TpKeyArgs {
    /// The TP's message token (消息校验 Token)
    #[arg(long, env = "BAIDUPAY_TP_TOKEN", hide_env_values = true)]
    tp_token: Option<String>,
    /// The TP's 43-character EncodingAESKey (消息加解密 Key)
    #[arg(long, env = "BAIDUPAY_TP_AES_KEY", hide_env_values = true)]
    aes_key: Option<String>,
    /// The TP's id (client id) that every message ends with
    #[arg(long, env = "BAIDUPAY_TP_ID")]
    tp_id: Option<String>,
}

impl TpKeyArgs {
    /// Whether any of the three was given.
    pub(crate) fn any(&self) -> bool {
        self.tp_token.is_some() || self.aes_key.is_some() || self.tp_id.is_some()
    }

    /// The validated keys; `why` names the command that needs them.
    pub(crate) fn keys(&self, why: &str) -> CliResult<TpEventKeys> {
        let token = need(why, &self.tp_token, "tp-token", "BAIDUPAY_TP_TOKEN")?;
        let aes_key = need(why, &self.aes_key, "aes-key", "BAIDUPAY_TP_AES_KEY")?;
        let tp_id = need(why, &self.tp_id, "tp-id", "BAIDUPAY_TP_ID")?;
        TpEventKeys::new(token, aes_key, tp_id)
            .map_err(|e| CliError::input(crate::error::chain(&e)))
    }
}

/// Exit 1 when the envelope fails authentication, 2 when it is malformed.
pub(crate) fn refused(e: &TpEventError) -> CliError {
    let msg = format!("TP event refused: {}", crate::error::chain(e));
    if e.is_authentication_failure() {
        CliError::Invalid(msg)
    } else {
        CliError::Input(msg)
    }
}

/// Opens an envelope: the event's name and its decrypted JSON.
pub(crate) fn open(keys: &TpKeyArgs, body: &[u8]) -> CliResult<(String, Value)> {
    let event: TpEvent = keys
        .keys("--kind tp-event")?
        .open(body)
        .map_err(|e| refused(&e))?;
    Ok((
        event.event_name().to_owned(),
        Value::Object(event.raw().clone()),
    ))
}

/// Why a plain TP push is refused without `--allow-plaintext`.
pub(crate) const PLAINTEXT_REFUSED: &str = "a plain (unencrypted) TP push is unauthenticated: anyone who knows the URL can post one; \
     give --tp-token, --aes-key and --tp-id to open the platform's envelope, or pass --allow-plaintext to parse a plain push anyway (local tests only)";

/// Opens a payment audit push envelope (`--kind tp-audit` without `--allow-plaintext`).
pub(crate) fn open_audit(keys: &TpKeyArgs, body: &[u8]) -> CliResult<Value> {
    if !keys.any() {
        return Err(CliError::input(format!(
            "--kind tp-audit refused the body: {PLAINTEXT_REFUSED}"
        )));
    }
    let push = baidupay_notify::tp::parse_audit_push(&keys.keys("--kind tp-audit")?, body)
        .map_err(|e| match e {
            TpEventError::NotEnvelope { .. } | TpEventError::NotJson(_) => {
                CliError::input(format!(
                    "TP event refused: {}; {PLAINTEXT_REFUSED}",
                    crate::error::chain(&e)
                ))
            }
            e => refused(&e),
        })?;
    serde_json::to_value(&push)
        .map_err(|e| CliError::input(format!("cannot print the notification: {e}")))
}

#[derive(Debug, Args)]
pub(crate) struct TpSealArgs {
    #[command(flatten)]
    keys: TpKeyArgs,
    /// The message to seal (a JSON object, as the platform would send it; `-` for standard input)
    #[arg(long)]
    body: PathBuf,
}

/// `baidupay tp-seal`: prints the envelope for a message, with a fresh nonce and random prefix
/// and the current time.
pub(crate) fn seal(args: &TpSealArgs) -> CliResult {
    let keys = args.keys.keys("tp-seal")?;
    let message = read_file(&args.body, "message")?;
    let envelope = keys
        .seal_random(&message, SystemClock.unix_seconds())
        .map_err(|e| CliError::input(format!("cannot seal: {}", crate::error::chain(&e))))?;
    println!("{}", envelope.to_json());
    Ok(())
}

fn need<'a>(why: &str, v: &'a Option<String>, flag: &str, env: &str) -> CliResult<&'a str> {
    v.as_deref()
        .ok_or_else(|| CliError::input(format!("{why} needs --{flag} (or {env})")))
}
