//! TP event envelopes: arbitrary bodies are refused without a panic; arbitrary messages sealed
//! with a test key either open to the same JSON object or are refused as not a JSON object,
//! which reaches the decryption and event parsing past the signature check.
#![no_main]

use baidupay_notify::TpEventError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    assert!(
        baidupay_fuzz::tp_keys().open(data).is_err(),
        "an unsigned body verified"
    );
    let envelope = baidupay_fuzz::tp_keys()
        .seal(data, "1", 2, [5; 16])
        .expect("seal");
    match baidupay_fuzz::tp_keys().open_json(envelope.to_json().as_bytes()) {
        Ok(map) => {
            let sent: serde_json::Value = serde_json::from_slice(data).expect("opened non-JSON");
            assert_eq!(serde_json::Value::Object(map.clone()), sent);
            let _ = baidupay_notify::TpEvent::from_map(map);
        }
        Err(e) => assert!(
            matches!(
                e,
                TpEventError::MessageNotJson(_) | TpEventError::MessageNotObject
            ),
            "{e:?}"
        ),
    }
});
