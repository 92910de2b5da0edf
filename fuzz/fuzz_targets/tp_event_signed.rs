//! TP event envelopes sealed as the platform seals them (AES-256-CBC with the test
//! EncodingAESKey, SHA-1 `MsgSignature` with the test token) around a JSON object built from
//! the input, then opened and typed: opening must succeed and give back the same object, and
//! typing it must give an event carrying that object or a clear `EventShape` error; the audit
//! push parser agrees with the typed event.
//!
//! The input is a form-like text (see `baidupay_fuzz::fields`): each `name=value` is a member
//! of the object, the value taken as JSON when it is JSON without fractional numbers, else as a
//! string; `@nonce` and `@ts` give the envelope's nonce and timestamp. The first byte picks an
//! event name to set (`event` or `MsgType`) among the known ones, or none.
#![no_main]

use baidupay_notify::{TpEvent, TpEventError};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

const EVENTS: [(&str, &str); 10] = [
    ("MsgType", "ticket"),
    ("event", "AUTHORIZED"),
    ("event", "UPDATE_AUTHORIZED"),
    ("event", "UNAUTHORIZED"),
    ("event", "APP_PAYMENT_CREATE_ACCOUNT_PASS"),
    ("event", "APP_PAYMENT_CREATE_ACCOUNT_FAIL"),
    ("event", "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS"),
    ("event", "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL"),
    ("event", "APP_PAYMENT_CREATE_PAYMENT_PASS"),
    ("event", "APP_PAYMENT_CREATE_PAYMENT_FAIL"),
];

/// Whether a JSON value holds a number that is not an integer (serde_json without
/// `float_roundtrip` may read such a number back one ulp off, which is not what is fuzzed here).
fn has_fraction(v: &Value) -> bool {
    match v {
        Value::Number(n) => !(n.is_i64() || n.is_u64()),
        Value::Array(a) => a.iter().any(has_fraction),
        Value::Object(m) => m.values().any(has_fraction),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let mut object = Map::new();
    let (mut nonce, mut timestamp) = (String::from("1"), 0i64);
    for (k, v) in baidupay_fuzz::fields(rest, &[]) {
        match k.as_str() {
            "@nonce" => nonce = v,
            "@ts" => timestamp = v.parse().unwrap_or(0),
            _ => {
                let value = match serde_json::from_str::<Value>(&v) {
                    Ok(j) if !has_fraction(&j) => j,
                    _ => Value::String(v),
                };
                object.insert(k, value);
            }
        }
    }
    if let Some((name, event)) = EVENTS.get(usize::from(control)) {
        object.insert((*name).to_owned(), Value::String((*event).to_owned()));
    }
    let message = serde_json::to_vec(&object).expect("a JSON object serializes");
    let envelope = baidupay_fuzz::tp_keys()
        .seal(&message, &nonce, timestamp, [control; 16])
        .expect("seal");
    let body = envelope.to_json();

    match baidupay_fuzz::tp_keys().open_json(body.as_bytes()) {
        Ok(opened) => assert_eq!(opened, object),
        Err(e) => panic!("an authentic envelope did not open: {e:?}\nbody: {body}"),
    }
    let event = match baidupay_fuzz::tp_keys().open(body.as_bytes()) {
        Ok(event) => {
            assert_eq!(event.raw(), &object);
            assert!(!matches!(&event, TpEvent::Unknown { event, .. } if event == "ticket"));
            Some(event)
        }
        Err(TpEventError::EventShape { event, .. }) => {
            assert!(!event.is_empty());
            None
        }
        Err(e) => panic!("an authentic event failed other than by its shape: {e:?}"),
    };
    let audit = baidupay_notify::tp::parse_audit_push(baidupay_fuzz::tp_keys(), body.as_bytes());
    match (&event, audit) {
        (Some(e), Ok(push)) => assert_eq!(e.as_payment_audit(), Some(&push)),
        (Some(e), Err(TpEventError::UnexpectedEvent { .. })) => {
            assert!(e.as_payment_audit().is_none())
        }
        (None, Err(TpEventError::EventShape { .. })) => {}
        (e, other) => panic!("audit push parser disagrees: {e:?} vs {other:?}"),
    }
});
