//! Runs the published callback vectors of `vectors/manifest.json` through the notifiers: the
//! real Baidu payment notify (TV-2), the Alipay trade notify (N-1) and gateway message (N-2),
//! their tampered and wrong-key variants, and the TP audit pushes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../vectors/support.rs"]
mod vectors;

use baidupay_crypto::{Algorithm, PublicKey};
use baidupay_notify::{AlipayNotifier, BaiduNotifier, NotifyError};
use vectors::{Vector, check_fields};

fn kind_of(e: &NotifyError) -> Option<&'static str> {
    match e {
        NotifyError::BadSignature => Some("bad-signature"),
        NotifyError::DuplicateParameter { .. } => Some("duplicate-parameter"),
        _ => None,
    }
}

fn paid(v: &Vector, is_paid: bool) -> Result<(), String> {
    match v.expect("paid").and_then(|p| p.as_bool()) {
        Some(want) if want != is_paid => Err(format!("paid: got {is_paid}, want {want}")),
        _ => Ok(()),
    }
}

fn baidu(v: &Vector, key: PublicKey, body: &[u8]) -> Result<(), String> {
    let notifier = BaiduNotifier::new(key);
    let n = match v.param_str("notify") {
        Some("payment") => notifier.payment(body),
        other => panic!("baidu notify {other:?}"),
    };
    let Some(n) = vectors::outcome(v, n, kind_of)? else {
        return Ok(());
    };
    check_fields(v, &serde_json::to_value(&n).unwrap())?;
    paid(v, n.is_paid())
}

fn alipay(v: &Vector, key: PublicKey, body: &[u8]) -> Result<(), String> {
    let notifier = AlipayNotifier::new(key);
    let Some(verified) = vectors::outcome(v, notifier.verify(body), kind_of)? else {
        return Ok(());
    };
    if let Some(want) = v.expect_str("variant") {
        let got = format!("{:?}", verified.variant());
        if got != want {
            return Err(format!("variant: got {got}, want {want}"));
        }
    }
    let want_alg = match v.param_str("algorithm") {
        Some("RSA-SHA1") => Algorithm::RsaSha1,
        _ => Algorithm::RsaSha256,
    };
    if verified.algorithm() != want_alg {
        return Err(format!("algorithm {:?}", verified.algorithm()));
    }
    match v.param_str("notify") {
        Some("trade") => {
            let n = notifier.trade(body).map_err(|e| format!("trade: {e:?}"))?;
            check_fields(v, &serde_json::to_value(&n).unwrap())?;
            paid(v, n.is_paid())
        }
        Some("gateway") => {
            let fields: serde_json::Map<String, serde_json::Value> = v
                .expected_fields()
                .into_keys()
                .map(|k| {
                    let got = verified.get(&k).map(str::to_owned);
                    (k, got.map_or(serde_json::Value::Null, Into::into))
                })
                .collect();
            check_fields(v, &serde_json::Value::Object(fields))?;
            // verified, but it is not a trade notify
            match notifier.trade(body) {
                Err(NotifyError::Invalid(_)) => Ok(()),
                other => Err(format!("a gateway message read as a trade: {other:?}")),
            }
        }
        other => panic!("alipay notify {other:?}"),
    }
}

fn notify(v: &Vector) -> Result<(), String> {
    let key = PublicKey::parse(v.file("public_key")).unwrap();
    let body = v.body();
    match v.param_str("platform") {
        Some("baidu") => baidu(v, key, body.as_bytes()),
        Some("alipay") => alipay(v, key, body.as_bytes()),
        other => panic!("platform {other:?}"),
    }
}

fn audit_push(v: &Vector) -> Result<(), String> {
    let p = baidupay_notify::tp::parse_audit_push_unauthenticated(
        Some("application/json"),
        &v.file("body"),
    )
    .map_err(|e| format!("{e:?}"))?;
    let got = serde_json::to_value(&p).unwrap();
    match (v.expect_str("event"), got["event"].as_str()) {
        (Some(want), Some(event)) if want == event => Ok(()),
        (want, event) => Err(format!("event: got {event:?}, want {want:?}")),
    }
}

#[test]
fn every_callback_vector() {
    let ran = vectors::run(&["notify", "tp-audit-push"], |v| match v.kind.as_str() {
        "notify" => notify(v),
        "tp-audit-push" => audit_push(v),
        other => Err(format!("no runner for {other}")),
    });
    assert!(ran["notify"] >= 11, "{ran:?}");
}
