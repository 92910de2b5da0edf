//! `baidupay notify`: verify and parse a callback body exactly as POSTed.

use std::path::PathBuf;

use baidupay_crypto::PublicKey;
use baidupay_model::Fen;
use baidupay_model::callback::{AuditStatus, PaymentAck, RefundAuditAnswer, RefundNotifyAck};
use baidupay_notify::{ALIPAY_ACK, AlipayNotifier, BaiduNotifier, NotifyError};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use crate::error::{CliError, CliResult};
use crate::keys::{load_public_key, read_file};

/// Which callback the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// Baidu payment notify (通知支付状态).
    BaiduPayment,
    /// Baidu refund-audit request (请求业务方退款审核).
    BaiduRefundAudit,
    /// Baidu refund notify (通知退款状态).
    BaiduRefund,
    /// Baidu third-party-platform event message (the signed, encrypted envelope).
    TpEvent,
    /// Baidu third-party-platform payment audit push (the envelope; plain JSON only with
    /// --allow-plaintext).
    TpAudit,
    /// Alipay trade notify (trade_status_sync), verified with the Alipay public key; UTF-8, or
    /// GBK / GB2312 as its `charset` field says (printed as UTF-8).
    AlipayTrade,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::BaiduPayment => "baidu-payment",
            Kind::BaiduRefundAudit => "baidu-refund-audit",
            Kind::BaiduRefund => "baidu-refund",
            Kind::TpEvent => "tp-event",
            Kind::TpAudit => "tp-audit",
            Kind::AlipayTrade => "alipay-trade",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    /// The callback kind.
    #[arg(long, value_enum)]
    kind: Kind,
    /// The platform public key (any format); not needed for the unsigned tp-audit push.
    #[arg(long)]
    pubkey: Option<PathBuf>,
    /// The raw body exactly as POSTed (`-` for standard input).
    #[arg(long)]
    body: PathBuf,
    #[command(flatten)]
    tp: crate::tp_event::TpKeyArgs,
    /// tp-audit: parse a plain (unencrypted, unauthenticated) push; for local tests only.
    #[arg(long)]
    allow_plaintext: bool,
}

fn refused(e: &NotifyError) -> CliError {
    let msg = format!("callback refused: {}", crate::error::chain(e));
    if matches!(
        e,
        NotifyError::BadSignature | NotifyError::SignatureEncoding { .. }
    ) {
        CliError::Invalid(msg)
    } else {
        CliError::Input(msg)
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> CliResult<Value> {
    serde_json::to_value(v)
        .map_err(|e| CliError::input(format!("cannot print the notification: {e}")))
}

pub(crate) fn notify(args: &NotifyArgs) -> CliResult {
    let body = read_file(&args.body, "callback body")?;
    let key = || -> CliResult<PublicKey> {
        let path = args.pubkey.as_ref().ok_or_else(|| {
            CliError::input(format!(
                "--kind {} needs --pubkey (the platform public key)",
                args.kind.name()
            ))
        })?;
        load_public_key(path)
    };
    let notifier = || key().map(BaiduNotifier::new);
    let (notification, ack) = match args.kind {
        Kind::TpEvent => {
            let (event, notification) = crate::tp_event::open(&args.tp, &body)?;
            let ack = baidupay_notify::tp::TP_ACK;
            let out = json!({ "kind": "tp-event", "event": event, "notification": notification, "ack": ack });
            println!("{out}");
            return Ok(());
        }
        Kind::TpAudit if args.allow_plaintext => {
            let push = baidupay_notify::tp::parse_audit_push_unauthenticated(None, &body)
                .map_err(|e| refused(&e))?;
            (to_value(&push)?, baidupay_notify::tp::TP_ACK.to_owned())
        }
        Kind::TpAudit => (
            crate::tp_event::open_audit(&args.tp, &body)?,
            baidupay_notify::tp::TP_ACK.to_owned(),
        ),
        Kind::BaiduPayment => {
            let n = notifier()?.payment(&body).map_err(|e| refused(&e))?;
            (to_value(&n)?, PaymentAck::consumed().to_json())
        }
        Kind::BaiduRefundAudit => {
            let n = notifier()?.refund_audit(&body).map_err(|e| refused(&e))?;
            // Approving the requested amount is the common answer; without an amount the
            // decision cannot be made here, so answer "undecided" (Baidu asks again).
            let ack = match n.apply_refund_money {
                Some(m) => RefundAuditAnswer::new(AuditStatus::Approved, m),
                None => RefundAuditAnswer::new(AuditStatus::Undecided, Fen::ZERO),
            };
            (to_value(&n)?, ack.to_json())
        }
        Kind::BaiduRefund => {
            let n = notifier()?.refund(&body).map_err(|e| refused(&e))?;
            (to_value(&n)?, RefundNotifyAck.to_json())
        }
        Kind::AlipayTrade => {
            let n = AlipayNotifier::new(key()?)
                .trade(&body)
                .map_err(|e| refused(&e))?;
            (to_value(&n)?, ALIPAY_ACK.to_owned())
        }
    };
    let out = json!({ "kind": args.kind.name(), "notification": notification, "ack": ack });
    println!("{out}");
    Ok(())
}
