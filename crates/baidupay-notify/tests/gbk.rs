//! Alipay notifies with `charset=GBK` (and GB2312): the fixture made by
//! `tests/fixtures/make_gbk_notify.py` (Python `cryptography`, independent of this workspace)
//! verifies over the GBK bytes and parses into the right Chinese text; a UTF-8 signature over
//! the same text, a tampered byte, bytes that are not GBK and unknown charsets are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Rules, Signer, canonical_string};
use baidupay_model::alipay::TradeStatus;
use baidupay_notify::{AlipayNotifier, AlipayVariant, Charset, NotifyError};

fn fixture(name: &str) -> Vec<u8> {
    let full = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

fn notifier() -> AlipayNotifier {
    AlipayNotifier::new(PublicKey::parse(fixture("gbk-test-public.pem")).unwrap())
}

/// The fixture body with `from` replaced by `to` (which must occur once).
fn edited(from: &str, to: &str) -> String {
    let body = text("gbk-notify.form");
    assert_eq!(body.matches(from).count(), 1, "{from}");
    body.replace(from, to)
}

const SUBJECT: &str = "测试商品：中文标题";
const BODY: &str = "陶喆同款 朱镕基 签名用GBK编码";
// 测试 in GBK, as percent-encoded in the fixture
const SUBJECT_GBK_PREFIX: &str = "subject=%B2%E2%CA%D4";

#[test]
fn the_fixture_verifies_over_gbk_and_parses_the_chinese_text() {
    let body = fixture("gbk-notify.form");
    let verified = notifier().verify(&body).unwrap();
    assert_eq!(verified.charset(), Charset::Gbk);
    assert_eq!(verified.variant(), AlipayVariant::V1);
    assert_eq!(verified.algorithm(), Algorithm::RsaSha256);
    assert_eq!(verified.get("subject"), Some(SUBJECT));
    assert_eq!(verified.get("body"), Some(BODY));
    // the pairs are the ones the Python script signed (its sign string, read back as UTF-8)
    let content = canonical_string(
        Rules::AlipayNotify,
        verified.pairs().iter().map(|(k, v)| (k, v)),
    )
    .unwrap();
    assert_eq!(content, text("gbk-notify.sign-string.txt").trim_end());

    let n = notifier().trade(&body).unwrap();
    assert_eq!(n.subject.as_deref(), Some(SUBJECT));
    assert_eq!(n.body.as_deref(), Some(BODY));
    assert_eq!(n.charset.as_deref(), Some("GBK"));
    assert_eq!(n.out_trade_no.as_str(), "20261205000001");
    assert_eq!(n.total_amount.to_string(), "88.88");
    assert_eq!(n.trade_status, TradeStatus::TradeSuccess);
    assert!(n.is_paid());
}

#[test]
fn a_utf8_signature_over_the_same_text_does_not_verify() {
    let e = notifier()
        .verify(&fixture("gbk-notify-utf8-signed.form"))
        .unwrap_err();
    assert!(matches!(e, NotifyError::BadSignature), "{e:?}");
}

#[test]
fn a_tampered_byte_does_not_verify() {
    // 测 (B2 E2) becomes 层 (B2 E3): still GBK, no longer what was signed
    let other_char = edited(SUBJECT_GBK_PREFIX, "subject=%B2%E3%CA%D4");
    // an ASCII byte
    let amount = edited("total_amount=88.88", "total_amount=88.89");
    // the raw trail byte of 镕 (E9 46, the 46 sent unescaped as `F`): 镕 becomes E9 47
    let raw_trail = edited("%E9F", "%E9G");
    for body in [other_char, amount, raw_trail] {
        let e = notifier().trade(body.as_bytes()).unwrap_err();
        assert!(matches!(e, NotifyError::BadSignature), "{e:?}");
        assert!(e.is_forgery_suspect());
    }
}

#[test]
fn bytes_that_are_not_gbk_are_refused_naming_the_field() {
    for (from, to, field) in [
        // FF is never a GBK lead byte
        (SUBJECT_GBK_PREFIX, "subject=%FF%FF%CA%D4", "subject"),
        // a lead byte with no trail byte
        (
            "out_trade_no=20261205000001",
            "out_trade_no=%D6",
            "out_trade_no",
        ),
        // a GB18030 four-byte sequence: decodable by the GB18030 decoder, but not GBK
        ("version=1.0", "version=%81%30%81%30", "version"),
    ] {
        let e = notifier().trade(edited(from, to).as_bytes()).unwrap_err();
        match &e {
            NotifyError::NotInCharset { field: f, charset } => {
                assert_eq!((f.as_str(), *charset), (field, Charset::Gbk), "{e}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            e.to_string(),
            format!("callback field {field} is not valid GBK text")
        );
        assert!(!e.is_forgery_suspect());
    }
}

#[test]
fn unknown_charsets_are_refused() {
    for label in ["big5", "GB18030", "latin1"] {
        let e = notifier()
            .verify(edited("charset=GBK", &format!("charset={label}")).as_bytes())
            .unwrap_err();
        match e {
            NotifyError::UnsupportedCharset { ref found } => assert_eq!(found, label),
            other => panic!("{label}: {other:?}"),
        }
        assert_eq!(
            e.to_string(),
            format!("unsupported charset {label:?}: expected utf-8, gbk or gb2312")
        );
    }
    // refused before anything else, also when the rest of the body is plain UTF-8
    let e = notifier()
        .verify(b"charset=koi8-r&a=1&sign=AA%3D%3D")
        .unwrap_err();
    assert!(matches!(e, NotifyError::UnsupportedCharset { .. }), "{e:?}");
}

// Notifies signed at test time, to cover the labels and charsets the fixture does not.

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(2048).unwrap())
}

/// A minimal trade notify in `charset` (`label`), its values given as already-encoded bytes
/// (`(name, raw value bytes)`), signed over the canonical string of those bytes.
fn signed(label: &str, fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut all: Vec<(&str, Vec<u8>)> = vec![
        ("notify_type", b"trade_status_sync".to_vec()),
        ("notify_id", b"n1".to_vec()),
        ("notify_time", b"2026-12-05 10:00:06".to_vec()),
        ("app_id", b"2021000122671080".to_vec()),
        ("charset", label.as_bytes().to_vec()),
        ("trade_no", b"2026120522001400000000000002".to_vec()),
        ("out_trade_no", b"T2".to_vec()),
        ("trade_status", b"TRADE_SUCCESS".to_vec()),
        ("total_amount", b"1.00".to_vec()),
    ];
    all.extend(fields.iter().map(|(k, v)| (*k, v.to_vec())));
    all.sort();
    let content: Vec<u8> = all
        .iter()
        .flat_map(|(k, v)| [b"&".as_slice(), k.as_bytes(), b"=", v].concat())
        .skip(1)
        .collect();
    let sig = Signer::new(key().clone(), Algorithm::RsaSha256)
        .sign_base64(&content)
        .unwrap();
    all.push(("sign", sig.into_bytes()));
    let pct = |b: &[u8]| -> String { b.iter().map(|c| format!("%{c:02X}")).collect() };
    all.iter()
        .map(|(k, v)| format!("{k}={}", pct(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

fn test_notifier() -> AlipayNotifier {
    AlipayNotifier::new(key().public_key().clone())
}

#[test]
fn gbk_labels_in_any_case_and_gb2312() {
    // 中文 in GBK (and GB2312)
    let zhongwen: &[u8] = &[0xD6, 0xD0, 0xCE, 0xC4];
    for (label, charset) in [
        ("GBK", Charset::Gbk),
        ("gbk", Charset::Gbk),
        ("gb2312", Charset::Gb2312),
        ("GB2312", Charset::Gb2312),
    ] {
        let body = signed(label, &[("subject", zhongwen)]);
        let v = test_notifier().verify(&body).unwrap();
        assert_eq!((v.charset(), v.get("subject")), (charset, Some("中文")));
    }
    // 喆 (86 B4) is GBK, but outside GB2312
    let zhe: &[u8] = &[0x86, 0xB4];
    let v = test_notifier()
        .verify(&signed("GBK", &[("subject", zhe)]))
        .unwrap();
    assert_eq!(v.get("subject"), Some("喆"));
    let e = test_notifier()
        .verify(&signed("gb2312", &[("subject", zhe)]))
        .unwrap_err();
    assert!(
        matches!(&e, NotifyError::NotInCharset { field, charset: Charset::Gb2312 } if field == "subject"),
        "{e:?}"
    );
}

#[test]
fn gbk_bytes_that_happen_to_be_utf8_are_read_as_gbk() {
    // 一 is D2 BB in GBK, which is also valid UTF-8 (U+04BB, һ)
    let yi: &[u8] = &[0xD2, 0xBB];
    assert!(std::str::from_utf8(yi).is_ok());
    let v = test_notifier()
        .verify(&signed("GBK", &[("subject", yi)]))
        .unwrap();
    assert_eq!((v.charset(), v.get("subject")), (Charset::Gbk, Some("一")));
    // the same bytes declared UTF-8 are the UTF-8 text (and signed as such)
    let v = test_notifier()
        .verify(&signed("utf-8", &[("subject", yi)]))
        .unwrap();
    assert_eq!((v.charset(), v.get("subject")), (Charset::Utf8, Some("һ")));
}

#[test]
fn utf8_bodies_name_the_field_that_is_not_utf8() {
    for label in ["utf-8", "UTF-8", "utf8"] {
        let body = signed(label, &[("subject", &[0xD6, 0xD0])]);
        let e = test_notifier().verify(&body).unwrap_err();
        assert!(
            matches!(&e, NotifyError::NotInCharset { field, charset: Charset::Utf8 } if field == "subject"),
            "{label}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            "callback field subject is not valid UTF-8 text"
        );
    }
    // no charset field at all: UTF-8
    let e = test_notifier()
        .verify(b"app_id=1&subject=%D6%D0&sign=AA%3D%3D")
        .unwrap_err();
    assert!(
        matches!(&e, NotifyError::NotInCharset { field, charset: Charset::Utf8 } if field == "subject"),
        "{e:?}"
    );
}

#[test]
fn a_duplicate_charset_is_refused() {
    let body = edited("charset=GBK", "charset=GBK&charset=GBK");
    let e = notifier().verify(body.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, NotifyError::DuplicateParameter { name } if name == "charset"),
        "{e:?}"
    );
}

#[test]
fn charset_labels() {
    assert_eq!(Charset::from_label("UTF-8"), Some(Charset::Utf8));
    assert_eq!(Charset::from_label(""), Some(Charset::Utf8));
    assert_eq!(Charset::from_label("Gbk"), Some(Charset::Gbk));
    assert_eq!(Charset::from_label("gb18030"), None);
    assert_eq!(Charset::from_label(" gbk\t"), Some(Charset::Gbk));
    // Unicode white space is not trimmed: a body in GBK could not tell it from other bytes
    assert_eq!(Charset::from_label("gbk\u{3000}"), None);
    assert_eq!(Charset::from_label("\u{a0}utf-8"), None);
    assert_eq!(Charset::Gbk.to_string(), "GBK");
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any byte anywhere in the GBK fixture: refused, or the same pairs (a change that
        /// decodes to the same text, such as `%41` for `A`).
        #[test]
        fn a_mutated_gbk_notify_verifies_only_with_the_same_meaning(pos in 0usize..1200, byte in any::<u8>()) {
            let body = fixture("gbk-notify.form");
            let original = notifier().verify(&body).unwrap();
            let mut mutated = body.clone();
            let i = pos % mutated.len();
            mutated[i] = byte;
            if let Ok(v) = notifier().verify(&mutated) {
                // `sign_type` is outside the signed content (Alipay's rule for notifies), so a
                // mutation may drop it; every signed pair must be exactly the original
                let signed = |pairs: &[(String, String)]| -> Vec<(String, String)> {
                    pairs.iter().filter(|(k, _)| k != "sign_type").cloned().collect()
                };
                prop_assert_eq!(signed(v.pairs()), signed(original.pairs()));
            }
        }

        /// Arbitrary bytes in a body that declares GBK or GB2312: never a panic, never verified.
        #[test]
        fn arbitrary_gbk_bodies_never_verify(
            label in prop::sample::select(vec!["GBK", "gb2312", "utf-8"]),
            raw in proptest::collection::vec(any::<u8>(), 0..256),
        ) {
            let mut body = format!("charset={label}&subject=").into_bytes();
            body.extend_from_slice(&raw);
            body.extend_from_slice(b"&sign=AAAA");
            prop_assert!(notifier().verify(&body).is_err());
        }
    }
}
