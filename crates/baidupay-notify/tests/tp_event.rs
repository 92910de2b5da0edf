//! TP event envelopes: interop with an independent implementation (Python hashlib +
//! `cryptography`) both ways, byte-exact sealing, typed events, and what each refusal means.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/reference.rs"]
mod support;

use baidupay_model::tp::TpAuditEvent;
use baidupay_notify::http::handle_tp_event;
use baidupay_notify::tp::{TP_ACK, parse_audit_push, parse_audit_push_unauthenticated};
use baidupay_notify::{Envelope, TpEvent, TpEventError, TpEventKeys};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use support::{assert_reference_opens, reference};

const TOKEN: &str = "tp-message-token";
/// Its 43rd character carries two non-zero unused bits, as console-generated keys may.
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const TP_ID: &str = "tp-client-id-7";
const RANDOM: [u8; 16] = *b"0123456789abcdef";

fn keys() -> TpEventKeys {
    TpEventKeys::new(TOKEN, AES_KEY, TP_ID).unwrap()
}

/// The reference implementation's envelope for `message`, with optional tampering.
fn reference_seal(message: &[u8], tamper: Value) -> String {
    let mut req = json!({
        "op": "seal", "token": TOKEN, "aes_key": AES_KEY, "tp_id": TP_ID,
        "message_b64": STANDARD.encode(message), "nonce": "4464221", "timestamp": 1_535_551_395,
        "random_hex": hex::encode(RANDOM),
    });
    req.as_object_mut()
        .unwrap()
        .extend(tamper.as_object().unwrap().clone());
    reference(&req).to_string()
}

fn reference_open(body: &str) -> Value {
    reference(&json!({
        "op": "open", "token": TOKEN, "aes_key": AES_KEY, "tp_id": TP_ID, "body": body,
    }))
}

const TICKET: &str = r#"{"Ticket":"8c0da4968b0d1e28acbc1d738a56607d","FromUserName":"SmartAPP","CreateTime":"1413192605","MsgType":"ticket","Event":"push"}"#;
const AUDIT_FAIL: &str = r#"{"appId":16102234,"tpAppId":"1000","eventTime":"2019-01-14 12:45:10","event":"APP_PAYMENT_CREATE_ACCOUNT_FAIL","reason":"失败原因"}"#;

#[test]
fn the_sdk_seals_byte_for_byte_what_the_reference_seals_and_the_reference_opens_it() {
    for message in [
        TICKET,
        AUDIT_FAIL,
        "{}",
        &format!(r#"{{"pad":"{}"}}"#, "x".repeat(100)),
    ] {
        let ours = keys()
            .seal(message.as_bytes(), "4464221", 1_535_551_395, RANDOM)
            .unwrap();
        let theirs: Envelope =
            serde_json::from_str(&reference_seal(message.as_bytes(), json!({}))).unwrap();
        assert_eq!(ours, theirs, "{message}");
        assert_reference_opens([TOKEN, AES_KEY, TP_ID], &ours.to_json(), message.as_bytes());
    }
}

#[test]
fn a_random_seal_opens_in_the_reference() {
    let envelope = keys()
        .seal_random(AUDIT_FAIL.as_bytes(), 1_700_000_000)
        .unwrap();
    assert_eq!(envelope.nonce.len(), 9);
    assert_eq!(envelope.timestamp, "1700000000");
    assert_eq!(reference_open(&envelope.to_json())["ok"], true);
    let other = keys()
        .seal_random(AUDIT_FAIL.as_bytes(), 1_700_000_000)
        .unwrap();
    assert_ne!(
        envelope.encrypt, other.encrypt,
        "the random prefix is fresh"
    );
}

#[test]
fn the_sdk_opens_what_the_reference_seals() {
    let event = keys()
        .open(reference_seal(TICKET.as_bytes(), json!({})).as_bytes())
        .unwrap();
    let TpEvent::Ticket(push) = &event else {
        panic!("not a ticket: {event:?}");
    };
    assert_eq!(push.ticket.expose(), "8c0da4968b0d1e28acbc1d738a56607d");
    assert_eq!(push.from_user_name.as_deref(), Some("SmartAPP"));
    assert_eq!(push.create_time, Some(1_413_192_605));
    assert_eq!(event.event_name(), "ticket");
    assert_eq!(
        Value::Object(event.raw().clone()),
        serde_json::from_str::<Value>(TICKET).unwrap()
    );
    let debug = format!("{event:?}");
    assert!(!debug.contains("8c0da496"), "{debug}");

    let push = parse_audit_push(
        &keys(),
        reference_seal(AUDIT_FAIL.as_bytes(), json!({})).as_bytes(),
    )
    .unwrap();
    assert_eq!(push.event, TpAuditEvent::CreateAccountFail);
    assert_eq!((push.app_id, push.tp_app_id), (16_102_234, 1000));
    assert_eq!(push.reason.as_deref(), Some("失败原因"));
    assert_eq!(TP_ACK, "success");
}

#[test]
fn a_signature_in_upper_case_hex_verifies() {
    let mut envelope = keys().seal(b"{}", "1", 2, RANDOM).unwrap();
    envelope.msg_signature = envelope.msg_signature.to_ascii_uppercase();
    assert!(keys().open(envelope.to_json().as_bytes()).is_ok());
}

#[test]
fn each_tampering_is_an_authentication_failure_of_its_own_kind() {
    let msg = AUDIT_FAIL.as_bytes();
    type Check = fn(&TpEventError) -> bool;
    let cases: [(Value, Check, &str); 5] = [
        (
            json!({"pad_hex": "00"}),
            |e| matches!(e, TpEventError::BadPadding),
            "padding",
        ),
        (
            json!({"pad_hex": "21".repeat(33)}),
            |e| matches!(e, TpEventError::BadPadding),
            "padding",
        ),
        (
            json!({"length": msg.len() + 100}),
            |e| matches!(e, TpEventError::BadLength),
            "length",
        ),
        (
            json!({"length": u32::MAX}),
            |e| matches!(e, TpEventError::BadLength),
            "length",
        ),
        (
            json!({"id": "another-tp"}),
            |e| matches!(e, TpEventError::WrongTpId),
            "id",
        ),
    ];
    for (tamper, is_expected, reference_says) in cases {
        // the pad_hex cases need a whole number of blocks: fill up with the message
        let body = match tamper.get("pad_hex").and_then(Value::as_str) {
            Some(pad) => {
                let fill = 32 - (20 + msg.len() + TP_ID.len() + pad.len() / 2) % 32;
                let mut t = tamper.clone();
                t["pad_hex"] = Value::from(format!("{}{pad}", "41".repeat(fill)));
                reference_seal(msg, t)
            }
            None => reference_seal(msg, tamper.clone()),
        };
        assert_eq!(reference_open(&body)["error"], reference_says, "{tamper}");
        let e = keys().open(body.as_bytes()).unwrap_err();
        assert!(is_expected(&e), "{tamper}: {e:?}");
        assert!(e.is_authentication_failure() && !e.is_malformed(), "{e:?}");
    }
}

#[test]
fn wrong_secrets_and_altered_fields_are_authentication_failures() {
    let body = keys()
        .seal(AUDIT_FAIL.as_bytes(), "4464221", 1_535_551_395, RANDOM)
        .unwrap();
    let other_token = TpEventKeys::new("other", AES_KEY, TP_ID).unwrap();
    assert!(matches!(
        other_token.open(body.to_json().as_bytes()),
        Err(TpEventError::BadSignature)
    ));
    // another key: the signature still verifies (same token), the padding does not
    let other_key = TpEventKeys::new(TOKEN, &"K".repeat(43), TP_ID).unwrap();
    let e = other_key.open(body.to_json().as_bytes()).unwrap_err();
    assert!(e.is_authentication_failure(), "{e:?}");
    let other_id = TpEventKeys::new(TOKEN, AES_KEY, "tp-client-id-8").unwrap();
    assert!(matches!(
        other_id.open(body.to_json().as_bytes()),
        Err(TpEventError::WrongTpId)
    ));
    for field in ["Nonce", "TimeStamp", "Encrypt", "MsgSignature"] {
        let mut v: Value = serde_json::from_str(&body.to_json()).unwrap();
        let s = v[field].as_str().unwrap().to_owned();
        let last = if s.ends_with('1') { '2' } else { '1' };
        v[field] = Value::from(format!("{}{last}", &s[..s.len() - 1]));
        let e = keys().open(v.to_string().as_bytes()).unwrap_err();
        assert!(matches!(e, TpEventError::BadSignature), "{field}: {e:?}");
    }
}

#[test]
fn a_resigned_ciphertext_of_the_wrong_length_is_refused_before_decrypting() {
    let k = keys();
    for ct in [&b""[..], &[0u8; 15][..], &[0u8; 33][..]] {
        let encrypt = STANDARD.encode(ct);
        let env = json!({"Nonce":"1","TimeStamp":"2","Encrypt":encrypt,
            "MsgSignature": k.msg_signature("2", "1", &encrypt)});
        let e = k.open(env.to_string().as_bytes()).unwrap_err();
        assert!(matches!(e, TpEventError::CiphertextLength { .. }), "{e:?}");
        assert!(e.is_authentication_failure());
    }
}

#[test]
fn bodies_that_are_not_envelopes_are_malformed_and_a_plain_push_is_refused() {
    for body in [
        AUDIT_FAIL.as_bytes(),
        b"[]",
        b"not json",
        br#"{"Nonce":"1","TimeStamp":"2","Encrypt":3,"MsgSignature":"x"}"#,
    ] {
        let e = keys().open(body).unwrap_err();
        assert!(e.is_malformed() && !e.is_authentication_failure(), "{e:?}");
    }
    assert!(matches!(
        parse_audit_push(&keys(), AUDIT_FAIL.as_bytes()),
        Err(TpEventError::NotEnvelope { .. })
    ));
    // the explicit, unauthenticated parser still reads it
    let plain = parse_audit_push_unauthenticated(None, AUDIT_FAIL.as_bytes()).unwrap();
    assert_eq!(plain.event, TpAuditEvent::CreateAccountFail);
    // numeric Nonce and TimeStamp are accepted as their decimal text
    let k = keys();
    let sealed = k.seal(b"{}", "77", 88, RANDOM).unwrap();
    let numeric = json!({"Nonce":77,"TimeStamp":88,"Encrypt":sealed.encrypt,"MsgSignature":sealed.msg_signature});
    assert!(k.open(numeric.to_string().as_bytes()).is_ok());
    // not base64: malformed, after the signature verified
    let encrypt = "not base64!";
    let env = json!({"Nonce":"1","TimeStamp":"2","Encrypt":encrypt,"MsgSignature":k.msg_signature("2","1",encrypt)});
    assert!(matches!(
        k.open(env.to_string().as_bytes()),
        Err(TpEventError::EncryptEncoding)
    ));
    let too_big = vec![b' '; 64 * 1024 + 1];
    assert!(matches!(
        k.open(&too_big),
        Err(TpEventError::BodyTooLarge { .. })
    ));
}

#[test]
fn decrypted_messages_that_are_not_json_objects_are_malformed() {
    let k = keys();
    for (message, object) in [(&b"[1,2]"[..], true), (b"\xff\xfe", false), (b"", false)] {
        let body = k.seal(message, "1", 2, RANDOM).unwrap().to_json();
        let e = k.open(body.as_bytes()).unwrap_err();
        assert!(e.is_malformed(), "{e:?}");
        assert_eq!(matches!(e, TpEventError::MessageNotObject), object, "{e:?}");
    }
}

#[test]
fn events_are_typed_and_keep_their_json() {
    let open = |json: &str| {
        let k = keys();
        k.open(
            k.seal(json.as_bytes(), "1", 2, RANDOM)
                .unwrap()
                .to_json()
                .as_bytes(),
        )
    };
    let authorized = r#"{"appId":"16102234","tpAppId":1000,"eventTime":"2019-01-14 12:45:10","event":"AUTHORIZED","authorizationCode":"code-123","authorizationCodeExpiresIn":60,"extra":true}"#;
    let e = open(authorized).unwrap();
    let TpEvent::Authorized(a) = &e else {
        panic!("{e:?}")
    };
    assert_eq!((a.app_id, a.tp_app_id), (16_102_234, Some(1000)));
    assert_eq!(a.authorization_code.as_ref().unwrap().expose(), "code-123");
    assert_eq!(a.authorization_code_expires_in, Some(60));
    assert_eq!(e.raw()["extra"], true);
    assert!(!format!("{e:?}").contains("code-123"));

    let e = open(r#"{"appId":1,"event":"UPDATE_AUTHORIZED","authorizationCode":"c"}"#).unwrap();
    assert!(matches!(e, TpEvent::UpdateAuthorized(_)));
    let e = open(r#"{"AppId":1,"event":"UNAUTHORIZED","CreateTime":1413192605}"#).unwrap();
    let TpEvent::Unauthorized(a) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (a.app_id, a.create_time, a.event.as_str()),
        (1, Some(1_413_192_605), "UNAUTHORIZED")
    );

    for (event, step_passed) in [
        ("APP_PAYMENT_CREATE_ACCOUNT_PASS", true),
        ("APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL", false),
        ("APP_PAYMENT_CREATE_PAYMENT_PASS", true),
    ] {
        let json = format!(r#"{{"appId":1,"tpAppId":2,"eventTime":"t","event":"{event}"}}"#);
        let e = open(&json).unwrap();
        assert_eq!(e.event_name(), event);
        assert_eq!(e.as_payment_audit().unwrap().event.is_pass(), step_passed);
    }

    // unknown events, and unknown APP_PAYMENT_ ones, come through with their JSON
    for json in [
        r#"{"appId":1,"event":"PACKAGE_AUDIT_PASS","version":"1.0"}"#,
        r#"{"event":"APP_PAYMENT_SOMETHING_NEW"}"#,
        r#"{"MsgType":"event","Event":"subscribe"}"#,
        r#"{}"#,
    ] {
        let e = open(json).unwrap();
        let TpEvent::Unknown { event, raw } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            Value::Object(raw.clone()),
            serde_json::from_str::<Value>(json).unwrap()
        );
        assert_eq!(event, e.event_name());
    }
    assert_eq!(
        open(r#"{"MsgType":"event","Event":"subscribe"}"#)
            .unwrap()
            .event_name(),
        "subscribe"
    );

    // a known event without its documented fields is malformed, not unknown
    let e = open(r#"{"event":"AUTHORIZED"}"#).unwrap_err();
    assert!(
        matches!(&e, TpEventError::EventShape { event, .. } if event == "AUTHORIZED"),
        "{e:?}"
    );
    assert!(e.is_malformed());
    let e = open(r#"{"MsgType":"ticket","Event":"push"}"#).unwrap_err();
    assert!(matches!(e, TpEventError::EventShape { .. }), "{e:?}");
    let e = parse_audit_push(
        &keys(),
        keys()
            .seal(TICKET.as_bytes(), "1", 2, RANDOM)
            .unwrap()
            .to_json()
            .as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, TpEventError::UnexpectedEvent { found, .. } if found == "ticket"),
        "{e:?}"
    );
}

#[test]
fn keys_are_validated_once_and_never_printed() {
    for bad in [
        "",
        "short",
        &"a".repeat(44),
        &format!("{}+", "a".repeat(42)),
        &format!("{}é", "a".repeat(41)),
    ] {
        let e = TpEventKeys::new(TOKEN, bad, TP_ID).unwrap_err();
        assert!(
            matches!(e, TpEventError::InvalidAesKey { .. }),
            "{bad}: {e:?}"
        );
        assert!(!e.to_string().contains(bad) || bad.is_empty(), "{e}");
    }
    assert!(matches!(
        TpEventKeys::new("", AES_KEY, TP_ID),
        Err(TpEventError::EmptyParameter { what: "token" })
    ));
    assert!(matches!(
        TpEventKeys::new(TOKEN, AES_KEY, ""),
        Err(TpEventError::EmptyParameter { what: "id" })
    ));
    let debug = format!("{:?}", keys());
    assert!(
        !debug.contains(TOKEN) && !debug.contains(AES_KEY),
        "{debug}"
    );
    assert!(debug.contains(TP_ID));
}

#[test]
fn error_messages_say_what_failed_and_do_not_repeat_their_source() {
    let e = keys().open(b"{").unwrap_err();
    assert_eq!(
        e.to_string(),
        "the body is not a TP event envelope (not JSON)"
    );
    let source = std::error::Error::source(&e).unwrap().to_string();
    assert!(source.contains("EOF"), "{source}");
    assert!(!e.to_string().contains(&source));
}

#[test]
fn the_http_helper_answers_success_failure_or_refused() {
    let k = keys();
    let sealed = k.seal(TICKET.as_bytes(), "1", 2, RANDOM).unwrap().to_json();
    let request = |body: &str| http::Request::new(bytes::Bytes::from(body.to_owned()));
    let mut seen = None;
    let r = handle_tp_event(
        &k,
        &request(&sealed),
        |e| {
            seen = Some(e.event_name().to_owned());
            true
        },
        |e| panic!("{e}"),
    );
    assert_eq!(
        (r.status(), r.body().as_ref()),
        (http::StatusCode::OK, &b"success"[..])
    );
    assert_eq!(seen.as_deref(), Some("ticket"));
    let r = handle_tp_event(&k, &request(&sealed), |_| false, |e| panic!("{e}"));
    assert_eq!(
        (r.status().as_u16(), r.body().as_ref()),
        (500, &b"failure"[..])
    );
    let mut refused = None;
    let r = handle_tp_event(
        &k,
        &request(AUDIT_FAIL),
        |_| panic!("handler ran on a plain push"),
        |e| refused = Some(e.is_malformed()),
    );
    assert_eq!(
        (r.status().as_u16(), r.body().as_ref()),
        (400, &b"failure"[..])
    );
    assert_eq!(refused, Some(true));
}
