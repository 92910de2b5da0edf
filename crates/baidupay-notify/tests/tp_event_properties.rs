//! TP envelopes: any bytes are refused or verified, never a panic; sealing then opening gives
//! back any JSON object for any TP id; a flipped byte of a sealed envelope never verifies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_notify::{TpEventError, TpEventKeys};
use proptest::prelude::*;
use serde_json::{Map, Value};

const AES_KEY: &str = "Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWo";

fn keys(id: &str) -> TpEventKeys {
    TpEventKeys::new("token", AES_KEY, id).unwrap()
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bodies_are_refused_without_a_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let e = keys("tp").open(&body).unwrap_err();
        prop_assert!(e.is_malformed() || e.is_authentication_failure(), "{e:?}");
    }

    #[test]
    fn arbitrary_envelope_fields_are_refused_without_a_panic(
        nonce in ".{0,12}", ts in ".{0,12}", encrypt in "[A-Za-z0-9+/=]{0,96}", sig in "[0-9a-f]{0,40}",
    ) {
        let body = serde_json::json!({"Nonce": nonce, "TimeStamp": ts, "Encrypt": encrypt, "MsgSignature": sig});
        prop_assert!(keys("tp").open(body.to_string().as_bytes()).is_err());
    }

    #[test]
    fn any_message_sealed_with_a_correct_signature_opens_or_is_refused_without_a_panic(
        message in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let k = keys("tp");
        let body = k.seal(&message, "1", 2, [9; 16]).unwrap().to_json();
        match k.open_json(body.as_bytes()) {
            Ok(map) => prop_assert_eq!(Value::Object(map), serde_json::from_slice::<Value>(&message).unwrap()),
            Err(e) => prop_assert!(matches!(e, TpEventError::MessageNotJson(_) | TpEventError::MessageNotObject), "{e:?}"),
        }
    }

    #[test]
    fn seal_then_open_round_trips_any_object_and_id(
        object in prop::collection::btree_map(".{0,10}", json_value(), 0..6),
        id in "[^\u{0}]{1,40}",
        random in any::<[u8; 16]>(),
        nonce in "[0-9]{1,10}",
        ts in any::<i64>(),
    ) {
        let object: Map<String, Value> = object.into_iter().collect();
        let k = keys(&id);
        let envelope = k.seal(Value::Object(object.clone()).to_string().as_bytes(), &nonce, ts, random).unwrap();
        let event = k.open(envelope.to_json().as_bytes());
        match event {
            Ok(event) => prop_assert_eq!(event.raw(), &object),
            // a generated object can look like a known event without its fields
            Err(e) => prop_assert!(matches!(e, TpEventError::EventShape { .. }), "{e:?}"),
        }
        prop_assert_eq!(k.open_json(envelope.to_json().as_bytes()).unwrap(), object);
        // another id with the same secrets never opens it
        let other = keys(&format!("{id}x"));
        prop_assert!(matches!(other.open(envelope.to_json().as_bytes()), Err(TpEventError::WrongTpId)));
    }

    #[test]
    fn a_flipped_bit_anywhere_in_the_body_never_verifies(index in any::<prop::sample::Index>(), bit in 0u8..8) {
        let k = keys("tp");
        let mut body = k.seal(br#"{"event":"UNAUTHORIZED","appId":1}"#, "123", 456, [1; 16]).unwrap().to_json().into_bytes();
        let i = index.index(body.len());
        body[i] ^= 1 << bit;
        // the only flips that still verify change the case of a MsgSignature letter: the
        // envelope then means exactly the same fields
        if let Ok(event) = k.open(&body) {
            let original = k.seal(br#"{"event":"UNAUTHORIZED","appId":1}"#, "123", 456, [1; 16]).unwrap();
            let parsed = baidupay_notify::Envelope::parse(&body).unwrap();
            prop_assert_eq!(parsed.nonce, original.nonce);
            prop_assert_eq!(parsed.timestamp, original.timestamp);
            prop_assert_eq!(parsed.encrypt, original.encrypt);
            prop_assert!(parsed.msg_signature.eq_ignore_ascii_case(&original.msg_signature));
            prop_assert_eq!(event.event_name(), "UNAUTHORIZED");
        }
    }
}
