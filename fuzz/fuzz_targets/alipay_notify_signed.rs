//! Alipay notifies signed as Alipay (or an SDK variant) signs them, then verified and parsed:
//! the input gives the form fields (see `baidupay_fuzz::fields`), the target signs them with
//! the test key under one of the four canonical-string variants the notifier accepts, and the
//! body must verify under the first variant whose string equals the signed one, give back
//! exactly the fields that variant covers, and parse as a trade notify to a value or a clear
//! `Invalid` error. A parsed notify re-encodes to fields that parse to the same notify.
//!
//! The fields' own `charset` is the app's charset, as Alipay uses it: a body in GBK or GB2312
//! is signed over the canonical string in that charset and percent-encoded byte by byte (text
//! the charset cannot write is text the platform never sends: such inputs stop there), and a
//! charset Alipay does not use must be refused as such, before any signature is checked.
//!
//! The first input byte chooses `sign_type` (bits 0-1: absent, `RSA2`, `RSA`, absent), the
//! variant signed (bits 2-3: V1, V2, V1 without `alipay_cert_sn`, V1 keeping empty values), the
//! unescaped signature (bit 7) and the position of `sign` (bits 4-6).
#![no_main]

use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, Rules, canonical_string};
use baidupay_model::alipay::TradeNotification;
use baidupay_notify::{AlipayNotifier, AlipayVariant, Charset, NotifyError};
use libfuzzer_sys::fuzz_target;

fn notifier() -> &'static AlipayNotifier {
    static N: OnceLock<AlipayNotifier> = OnceLock::new();
    N.get_or_init(|| AlipayNotifier::new(baidupay_fuzz::test_key().public_key().clone()))
}

fn signer(algorithm: Algorithm) -> &'static baidupay_crypto::Signer {
    static RSA2: OnceLock<baidupay_crypto::Signer> = OnceLock::new();
    static RSA: OnceLock<baidupay_crypto::Signer> = OnceLock::new();
    match algorithm {
        Algorithm::RsaSha1 => RSA.get_or_init(|| baidupay_fuzz::signer(algorithm)),
        _ => RSA2.get_or_init(|| baidupay_fuzz::signer(algorithm)),
    }
}

type Pairs = [(String, String)];

/// The fields a verification under `variant` returns, in body order, before the notifier's
/// empty-value filter: every field but `sign`, less `alipay_cert_sn` for
/// [`AlipayVariant::V1WithoutCertSn`] (`sign_type` stays: it chose the algorithm).
fn covered(variant: AlipayVariant, fields: &Pairs) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|(k, _)| variant != AlipayVariant::V1WithoutCertSn || k != "alipay_cert_sn")
        .cloned()
        .collect()
}

/// The canonical string of `variant` over `fields`, as the platform or SDK builds it.
fn string_of(variant: AlipayVariant, fields: &Pairs) -> String {
    let signed = covered(variant, fields);
    match variant {
        AlipayVariant::V2 => canonical_string(Rules::Alipay, signed),
        // everything but sign and sign_type, empty values kept
        AlipayVariant::V1KeepEmpty => canonical_string(Rules::AlipayNotifyKeepEmpty, signed),
        _ => canonical_string(Rules::AlipayNotify, signed),
    }
    .expect("distinct names")
}

/// The charset a `charset` label names, by Alipay's labels (surrounding ASCII white space and
/// case ignored; absent or empty is UTF-8); `None` for a label Alipay does not use.
fn charset_of(fields: &Pairs) -> Option<Charset> {
    let Some((_, label)) = fields.iter().find(|(k, _)| k == "charset") else {
        return Some(Charset::Utf8);
    };
    match label.trim_ascii().to_ascii_lowercase().as_str() {
        "" | "utf-8" | "utf8" => Some(Charset::Utf8),
        "gbk" => Some(Charset::Gbk),
        "gb2312" => Some(Charset::Gb2312),
        _ => None,
    }
}

/// `text` in `charset`, or `None` when the charset cannot write it.
fn bytes_in(charset: Charset, text: &str) -> Option<Vec<u8>> {
    if charset == Charset::Utf8 || text.is_ascii() {
        return Some(text.as_bytes().to_vec());
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    if unmappable {
        return None;
    }
    if charset == Charset::Gb2312 {
        // EUC-CN: every non-ASCII byte is one of a pair A1-F7, A1-FE
        let mut rest = bytes.as_ref();
        while let Some((&b, tail)) = rest.split_first() {
            rest = if b.is_ascii() {
                tail
            } else {
                match tail.split_first() {
                    Some((&t, tail))
                        if (0xA1..=0xF7).contains(&b) && (0xA1..=0xFE).contains(&t) =>
                    {
                        tail
                    }
                    _ => return None,
                }
            };
        }
    }
    Some(bytes.into_owned())
}

/// The fields as a receiver reads them back from their bytes in `charset` (the GBK decoder
/// may give another character for a byte sequence than the one encoded), or `None` when the
/// charset cannot write one of them.
fn as_sent(charset: Charset, fields: Vec<(String, String)>) -> Option<Vec<(String, String)>> {
    let back = |s: String| -> Option<String> {
        if charset == Charset::Utf8 || s.is_ascii() {
            return Some(s);
        }
        let bytes = bytes_in(charset, &s)?;
        let text = encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(&bytes)?;
        // only text that encodes back to the same bytes is read back at all
        (bytes_in(charset, &text)? == bytes).then(|| text.into_owned())
    };
    fields
        .into_iter()
        .map(|(k, v)| Some((back(k)?, back(v)?)))
        .collect()
}

const VARIANTS: [AlipayVariant; 4] = [
    AlipayVariant::V1,
    AlipayVariant::V2,
    AlipayVariant::V1WithoutCertSn,
    AlipayVariant::V1KeepEmpty,
];

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let mut fields = baidupay_fuzz::fields(rest, &["sign", "sign_type"]);
    let (sign_type, algorithm) = match control & 3 {
        1 => (Some("RSA2"), Algorithm::RsaSha256),
        2 => (Some("RSA"), Algorithm::RsaSha1),
        _ => (None, Algorithm::RsaSha256),
    };
    if let Some(t) = sign_type {
        let at = usize::from(control >> 4 & 7).min(fields.len());
        fields.insert(at, ("sign_type".to_owned(), t.to_owned()));
    }
    let signed_variant = VARIANTS[usize::from(control >> 2 & 3)];
    if signed_variant == AlipayVariant::V1WithoutCertSn
        && !fields.iter().any(|(k, _)| k == "alipay_cert_sn")
    {
        fields.push(("alipay_cert_sn".to_owned(), "fuzzcertsn".to_owned()));
    }
    let Some(charset) = charset_of(&fields) else {
        // not a charset Alipay uses: refused as such, whatever the signature
        let body = baidupay_fuzz::signed_body(&fields, "sign", "c2ln", 0, false);
        match notifier().verify(body.as_bytes()) {
            Err(NotifyError::UnsupportedCharset { .. }) => return,
            other => {
                panic!("an unsupported charset was not refused as such: {other:?}\nbody: {body}")
            }
        }
    };
    let Some(fields) = as_sent(charset, fields) else {
        return;
    };
    let string = string_of(signed_variant, &fields);
    let signed_bytes = bytes_in(charset, &string).expect("the fields are in the charset");
    let sig = signer(algorithm)
        .sign_base64(&signed_bytes)
        .expect("signing succeeds");
    let body = baidupay_fuzz::signed_body_in(
        &fields,
        "sign",
        &sig,
        usize::from(control >> 4 & 7),
        control & 0x80 != 0,
        |s| bytes_in(charset, s).expect("the fields are in the charset"),
    );

    // the notifier tries the variants in order and takes the first that verifies
    let has_cert_sn = fields.iter().any(|(k, _)| k == "alipay_cert_sn");
    let has_empty = fields.iter().any(|(_, v)| v.is_empty());
    let expected = VARIANTS
        .into_iter()
        .filter(|v| match v {
            AlipayVariant::V1WithoutCertSn => has_cert_sn,
            AlipayVariant::V1KeepEmpty => has_empty,
            _ => true,
        })
        .find(|v| string_of(*v, &fields) == string)
        .expect("the signed variant is among those tried");

    let verified = match notifier().verify(body.as_bytes()) {
        Ok(v) => v,
        Err(e) => panic!("a correctly signed notify did not verify: {e:?}\nbody: {body}"),
    };
    assert_eq!(verified.variant(), expected, "body: {body}");
    assert_eq!(verified.algorithm(), algorithm);
    assert_eq!(verified.charset(), charset);
    let keep_empty = expected == AlipayVariant::V1KeepEmpty;
    let returned: Vec<(String, String)> = covered(expected, &fields)
        .into_iter()
        .filter(|(k, v)| keep_empty || !v.is_empty() || k == "sign_type")
        .collect();
    assert_eq!(verified.pairs(), returned.as_slice(), "body: {body}");

    match notifier().trade(body.as_bytes()) {
        Ok(n) => {
            assert_eq!(TradeNotification::from_pairs(n.to_pairs()).as_ref(), Ok(&n));
            let _ = n.fund_bills();
            let _ = n.voucher_details();
            let _ = n.passback_params_decoded();
        }
        Err(NotifyError::Invalid(e)) => assert!(!e.to_string().is_empty()),
        Err(e) => panic!("a verified notify failed other than as invalid: {e:?}"),
    }
});
