//! Helpers shared by the fuzz targets: the committed test key, the TP event test keys, form
//! fields derived from the fuzz input, and in-memory ZIP archives around fuzzed files.
//!
//! The signed targets (`baidu_notify_signed`, `alipay_notify_signed`, `tp_event_signed`) play
//! the platform: they sign (or seal) fields taken from the input with a test key, so that the
//! verification succeeds and the typed parsing behind it is what gets fuzzed.

use std::io::{Cursor, Write as _};
use std::sync::OnceLock;

use baidupay_crypto::{Algorithm, PrivateKey, Signer};

/// The test key every signed target signs with: RSA-1024, the smallest size
/// `baidupay-crypto` accepts ([`baidupay_crypto::MIN_KEY_BITS`]); a signature costs about an
/// eighth of a 2048-bit one, and the library's code paths are the same for every key size.
const TEST_KEY: &str = include_str!("../keys/test-rsa1024.pem");

/// The test key, parsed once.
pub fn test_key() -> &'static PrivateKey {
    static K: OnceLock<PrivateKey> = OnceLock::new();
    K.get_or_init(|| PrivateKey::parse(TEST_KEY).expect("the committed fuzz key parses"))
}

/// The TP event keys both TP event targets seal and open with: a test token, a 43-character
/// EncodingAESKey and a client id.
pub fn tp_keys() -> &'static baidupay_notify::TpEventKeys {
    static K: OnceLock<baidupay_notify::TpEventKeys> = OnceLock::new();
    K.get_or_init(|| {
        baidupay_notify::TpEventKeys::new(
            "fuzz-token",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "fuzz-tp",
        )
        .expect("the test TP keys are valid")
    })
}

/// A signer with the test key.
pub fn signer(algorithm: Algorithm) -> Signer {
    Signer::new(test_key().clone(), algorithm)
}

/// Form fields from fuzz input, as a platform would send them: the input is split on `&` into
/// `name=value` segments (no percent-decoding: any text, made valid UTF-8 lossily, is a value);
/// empty names, the names in `reserved` (the signature fields) and repeated names (a platform
/// never sends one twice) are left out. Seeds are therefore readable form bodies.
pub fn fields(input: &[u8], reserved: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for segment in input.split(|&b| b == b'&') {
        let (k, v) = match segment.iter().position(|&b| b == b'=') {
            Some(eq) => (&segment[..eq], &segment[eq + 1..]),
            None => (segment, &b""[..]),
        };
        let k = String::from_utf8_lossy(k).into_owned();
        if k.is_empty() || reserved.contains(&k.as_str()) || out.iter().any(|(n, _)| *n == k) {
            continue;
        }
        out.push((k, String::from_utf8_lossy(v).into_owned()));
    }
    out
}

/// A form body of `fields` with `signature` under `name` inserted at `position` (clamped);
/// `raw_signature` leaves the signature unescaped (so its `+` decodes to a space, as when a
/// proxy forgets to escape it).
pub fn signed_body(
    fields: &[(String, String)],
    name: &str,
    signature: &str,
    position: usize,
    raw_signature: bool,
) -> String {
    let utf8 = |s: &str| s.as_bytes().to_vec();
    signed_body_in(fields, name, signature, position, raw_signature, utf8)
}

/// [`signed_body`] for a platform that writes its text in another charset: `bytes` gives the
/// bytes of a name or value in that charset (ASCII stays ASCII), which are percent-encoded
/// byte by byte.
pub fn signed_body_in(
    fields: &[(String, String)],
    name: &str,
    signature: &str,
    position: usize,
    raw_signature: bool,
    bytes: impl Fn(&str) -> Vec<u8>,
) -> String {
    let at = position.min(fields.len());
    let component = |s: &str| -> String {
        bytes(s)
            .into_iter()
            .map(|b| match char::from(b) {
                c if c.is_ascii() => {
                    baidupay_crypto::form::encode_component(c.encode_utf8(&mut [0; 1]))
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let encoded = |k: &str, v: &str| format!("{}={}", component(k), component(v));
    let mut parts: Vec<String> = fields.iter().map(|(k, v)| encoded(k, v)).collect();
    let sig = if raw_signature {
        format!("{name}={signature}")
    } else {
        encoded(name, signature)
    };
    parts.insert(at, sig);
    parts.join("&")
}

/// A ZIP archive (stored entries, or deflated when `deflate`) holding `entries` under their
/// names, as the platforms serve bill files.
pub fn zip_of(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("zip entry");
        zip.write_all(bytes).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}
