//! Runs the published bodies of `vectors/manifest.json` through the model types: callback bodies
//! parse into the expected fields, Alipay response contents carry the expected codes, and the
//! TP doc bodies decode and re-encode equivalently. Signatures are not this crate's concern:
//! negative (tampered or wrong-key) vectors are counted but have nothing to parse differently.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "../../../vectors/support.rs"]
mod vectors;

use baidupay_model::alipay::{ResponseCommon, TradeNotification};
use baidupay_model::callback::PaymentNotification;
use baidupay_model::envelope::Envelope;
use baidupay_model::tp::*;
use common::{form, round_trip};
use serde_json::Value;
use vectors::{Vector, check_fields};

fn notify(v: &Vector) -> Result<(), String> {
    if v.expected_error().is_some() {
        return Ok(());
    }
    let pairs = form(&v.body());
    let got = match (v.param_str("platform"), v.param_str("notify")) {
        (Some("baidu"), Some("payment")) => {
            let n = PaymentNotification::from_pairs(pairs.clone()).map_err(|e| e.to_string())?;
            // to_pairs gives back exactly the signed fields (everything but rsaSign)
            let mut signed: Vec<_> = pairs.into_iter().filter(|(k, _)| k != "rsaSign").collect();
            signed.sort();
            assert_eq!(n.to_pairs(), signed);
            serde_json::to_value(&n).unwrap()
        }
        (Some("alipay"), Some("trade")) => {
            let n = TradeNotification::from_pairs(pairs).map_err(|e| e.to_string())?;
            assert!(n.extra.is_empty(), "every field is typed: {:?}", n.extra);
            serde_json::to_value(&n).unwrap()
        }
        // a gateway message is no trade notify: its fields are the form's
        (Some("alipay"), Some("gateway")) => pairs
            .into_iter()
            .map(|(k, x)| (k, Value::String(x)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => panic!("notify {other:?}"),
    };
    check_fields(v, &got)
}

/// The `<method>_response` object of a response body, or the bare content file.
fn response(v: &Vector) -> Result<(), String> {
    if v.expected_error().is_some() {
        return Ok(());
    }
    let content = if v.file_path("body").is_some() {
        let body: Value = serde_json::from_str(&v.body()).unwrap();
        let key = format!(
            "{}_response",
            v.param_str("method").unwrap().replace('.', "_")
        );
        body[key.as_str()].to_string()
    } else {
        v.file_text("content")
    };
    let r: ResponseCommon = serde_json::from_str(&content).map_err(|e| e.to_string())?;
    let code = serde_json::to_value(&r.code).unwrap();
    if code.as_str() != v.expect_str("code") {
        return Err(format!("code {code}"));
    }
    let sub = r.sub_code.as_ref().map(|s| s.code());
    if sub != v.expect_str("sub_code") {
        return Err(format!("sub_code {sub:?}"));
    }
    Ok(())
}

/// A TP doc body decodes as its type and re-encodes equivalently.
fn tp(v: &Vector) -> Result<(), String> {
    let body = v.file_text("body");
    match v.param_str("type").unwrap() {
        "PaymentDict" => drop(round_trip::<PaymentDict>(&body)),
        "Envelope<AccountAuditStatus>" => drop(round_trip::<Envelope<AccountAuditStatus>>(&body)),
        "Envelope<ServiceAuditStatus>" => drop(round_trip::<Envelope<ServiceAuditStatus>>(&body)),
        "Envelope<BoundService>" => drop(round_trip::<Envelope<BoundService>>(&body)),
        "Envelope<OrderList>" => drop(round_trip::<Envelope<OrderList>>(&body)),
        "Envelope<FinanceBalance>" => drop(round_trip::<Envelope<FinanceBalance>>(&body)),
        "Envelope<IncomeDetail>" => drop(round_trip::<Envelope<IncomeDetail>>(&body)),
        "Envelope<OtherDetail>" => drop(round_trip::<Envelope<OtherDetail>>(&body)),
        "Envelope<ExpenseList>" => drop(round_trip::<Envelope<ExpenseList>>(&body)),
        "Envelope<PayDetail>" => drop(round_trip::<Envelope<PayDetail>>(&body)),
        "TpAuditPush" => {
            let p: TpAuditPush = round_trip(&body);
            let event = serde_json::to_value(&p).unwrap()["event"].clone();
            if event.as_str() != v.expect_str("event") {
                return Err(format!("event {event}"));
            }
        }
        other => return Err(format!("no model type {other}")),
    }
    Ok(())
}

#[test]
fn every_body_vector() {
    let ran = vectors::run(
        &["notify", "response", "tp-response", "tp-audit-push"],
        |v| match v.kind.as_str() {
            "notify" => notify(v),
            "response" => response(v),
            "tp-response" | "tp-audit-push" => tp(v),
            other => Err(format!("no runner for {other}")),
        },
    );
    assert!(ran["tp-response"] >= 10, "{ran:?}");
}
