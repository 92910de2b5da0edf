//! The response extractor never panics, and whatever it returns is exactly the raw text of the
//! response value in the body: never re-serialized, never a neighbour's bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_alipay::response::extract;
use proptest::prelude::*;

/// Arbitrary JSON text with the escapes and characters that trip hand-written scanners:
/// braces and quotes inside strings, `\/`, `\uXXXX`, backslashes, nesting and whitespace.
fn json_value() -> impl Strategy<Value = String> {
    let string = prop::collection::vec(
        prop_oneof![
            Just("{".to_owned()),
            Just("}".to_owned()),
            Just("\\\"".to_owned()),
            Just("\\\\".to_owned()),
            Just("\\/".to_owned()),
            Just("\\u6d4b".to_owned()),
            Just("_response".to_owned()),
            Just("\"sign\":".to_owned().replace('"', "\\\"")),
            "[a-z0-9 :,]{0,6}",
            "[\u{4e00}-\u{4e10}]{0,3}",
        ],
        0..8,
    )
    .prop_map(|parts| format!("\"{}\"", parts.concat()));
    let leaf = prop_oneof![
        string,
        Just("null".to_owned()),
        Just("10000".to_owned()),
        Just("-1.5e3".to_owned()),
        Just("true".to_owned()),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..4).prop_map(|kv| {
                let fields: Vec<String> = kv
                    .into_iter()
                    .map(|(k, v)| format!("\"{k}\" : {v}"))
                    .collect();
                format!("{{ {} }}", fields.join(","))
            }),
        ]
    })
}

fn object() -> impl Strategy<Value = String> {
    prop::collection::vec(("[a-z_]{1,8}", json_value()), 0..5).prop_map(|kv| {
        let fields: Vec<String> = kv
            .into_iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", fields.join(","))
    })
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(body in "\\PC{0,200}", method in "[a-z.]{1,20}") {
        if let Ok(r) = extract(&body, &method) {
            // content always points into the body
            let start = r.content.as_ptr() as usize - body.as_ptr() as usize;
            prop_assert_eq!(&body[start..start + r.content.len()], r.content);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let body = String::from_utf8_lossy(&bytes);
        let _ = extract(&body, "alipay.trade.query");
    }

    #[test]
    fn content_is_exactly_the_raw_text_between_the_braces(
        content in object(),
        before in prop::collection::vec(("[a-z]{1,6}", json_value()), 0..3),
        after in prop::collection::vec(("[a-z]{1,6}", json_value()), 0..3),
        ws in "[ \t\n]{0,2}",
    ) {
        // distinct keys (a duplicate top-level key is refused, as it must be)
        let fields = |tag: &str, kv: &[(String, String)]| {
            kv.iter()
                .enumerate()
                .map(|(i, (k, v))| format!("\"{tag}{i}{k}\":{v},"))
                .collect::<String>()
        };
        let body = format!(
            "{{{}\"alipay_trade_query_response\"{ws}:{ws}{content}{ws},{}\"sign\":\"c2ln\\/\"}}",
            fields("b", &before),
            fields("a", &after),
        );
        let r = extract(&body, "alipay.trade.query").unwrap();
        prop_assert_eq!(r.content, content.as_str());
        prop_assert_eq!(r.sign.as_deref(), Some("c2ln/"));
        // truncating the body anywhere never yields a different content
        for cut in [body.len() / 3, body.len() / 2, body.len() - 1] {
            if let Some(prefix) = body.get(..cut) {
                prop_assert!(extract(prefix, "alipay.trade.query").is_err());
            }
        }
    }
}
