//! Alipay certificate mode: the certificate reader on the forms the vector files come in (PEM,
//! DER, bundles, CRLF, escapes), its errors and its robustness. The known answers of C-1 to C-4
//! (spec §8.5: fields, SNs, the root SN) run from `vectors/manifest.json` in `vectors.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_crypto::cert::{Certificate, alipay_cert_sn, alipay_root_cert_sn};
use baidupay_crypto::{Error, PublicKey};
use base64::Engine as _;
use proptest::prelude::*;

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{}/../../vectors/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

fn fixture_str(path: &str) -> String {
    String::from_utf8(fixture(path)).unwrap()
}

const C1: &str = "alipay/node_appCertPublicKey_2021001161683774.crt";
const C2: &str = "alipay/node_alipayCertPublicKey_RSA2.crt";
const C3: &str = "alipay/java_prodcert_app.crt";
const C4: &str = "alipay/alipayRootCert.crt";

const ROOT_SN: &str = "687b59193f3f462dd5336e5abf83c5d8_02941eef3187dddf3d3b83462e1dfcf6";

/// The DER inside each CERTIFICATE block of a PEM text, decoded independently of the crate.
fn pem_ders(pem: &str) -> Vec<Vec<u8>> {
    pem.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            let body: String = block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap()
                .split_whitespace()
                .collect();
            base64::engine::general_purpose::STANDARD
                .decode(body)
                .unwrap()
        })
        .collect()
}

fn pem_der(path: &str) -> Vec<u8> {
    let mut ders = pem_ders(&fixture_str(path));
    assert_eq!(ders.len(), 1, "{path}");
    ders.pop().unwrap()
}

// ------------------------------------------------------------------------------------------
// Forms of the same certificates (their known answers run from vectors/manifest.json)

#[test]
fn pem_der_and_bundle_forms_agree() {
    for path in [C1, C2, C3] {
        let pem = fixture(path);
        let cert = Certificate::from_pem(&pem).unwrap();
        let sn = alipay_cert_sn(&pem).unwrap();
        assert_eq!(cert.alipay_sn(), sn, "{path}");
        assert!(cert.is_rsa_signed());
        // The same certificate as DER, as one-block bundle and through from_der.
        let der = pem_der(path);
        assert_eq!(cert.as_der(), der.as_slice());
        assert_eq!(alipay_cert_sn(&der).unwrap(), sn, "{path}");
        assert_eq!(Certificate::from_pem(&der).unwrap(), cert);
        assert_eq!(Certificate::from_der(&der).unwrap(), cert);
        assert_eq!(Certificate::all_from_pem(&pem).unwrap(), vec![cert.clone()]);
        // the key inside is the SubjectPublicKeyInfo the certificate carries
        let key = cert.public_key().unwrap();
        assert_eq!(
            cert.spki_der(),
            base64::engine::general_purpose::STANDARD
                .decode(key.to_base64())
                .unwrap()
                .as_slice()
        );
        assert_eq!(PublicKey::parse(&pem).unwrap(), key);
    }
    let c2 = Certificate::from_pem(fixture(C2)).unwrap();
    assert!(c2.not_before() < c2.not_after());
}

#[test]
fn root_sn_of_other_forms_of_the_bundle() {
    let text = fixture_str(C4);
    // CRLF line endings
    assert_eq!(
        alipay_root_cert_sn(text.replace('\n', "\r\n")).unwrap(),
        ROOT_SN
    );
    // literal "\n" escapes, as in an environment variable
    assert_eq!(
        alipay_root_cert_sn(text.trim_end().replace('\n', "\\n")).unwrap(),
        ROOT_SN
    );
    // comment lines between the blocks, as `openssl x509 -subject` writes them
    let commented = text.replace(
        "\n\n-----BEGIN",
        "\nsubject=CN = something\nissuer=CN = else\n\n-----BEGIN",
    );
    assert_eq!(alipay_root_cert_sn(commented).unwrap(), ROOT_SN);
    // concatenated DER
    let der: Vec<u8> = pem_ders(&text).concat();
    assert_eq!(alipay_root_cert_sn(&der).unwrap(), ROOT_SN);
    assert_eq!(Certificate::all_from_pem(&der).unwrap().len(), 4);
}

#[test]
fn a_certificate_file_with_its_issuer_uses_the_first_certificate() {
    // gopay's alipayPublicCert.crt carries the Alipay certificate, then its issuing CA, as
    // the files Alipay hands out do. Values per spec §8.5 notes (the second computed with
    // Python `cryptography`).
    let pem = fixture("alipay/gopay_alipayPublicCert.crt");
    assert_eq!(
        alipay_cert_sn(&pem).unwrap(),
        Certificate::all_from_pem(&pem).unwrap()[0].alipay_sn()
    );
    assert!(matches!(
        Certificate::from_pem(&pem),
        Err(Error::MultipleCertificates { found: 2 })
    ));
    let both = Certificate::all_from_pem(&pem).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(both[1].subject(), both[0].issuer());
}

// ------------------------------------------------------------------------------------------
// Structure variants and errors

/// Splits DER into its top-level elements (test helper; short and long lengths).
fn elements(mut der: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while !der.is_empty() {
        let (len, header) = match der[1] {
            n if n < 0x80 => (usize::from(n), 2),
            0x81 => (usize::from(der[2]), 3),
            0x82 => (usize::from(der[2]) << 8 | usize::from(der[3]), 4),
            other => panic!("length form 0x{other:02x}"),
        };
        out.push(&der[..header + len]);
        der = &der[header + len..];
    }
    out
}

fn contents(element: &[u8]) -> &[u8] {
    let header = match element[1] {
        n if n < 0x80 => 2,
        0x81 => 3,
        0x82 => 4,
        other => panic!("length form 0x{other:02x}"),
    };
    &element[header..]
}

fn encode(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

/// Re-encodes a certificate with `f` applied to the parts of its tbsCertificate and to its
/// outer signatureAlgorithm.
fn rebuild(der: &[u8], f: impl Fn(usize, &[u8]) -> Vec<u8>, outer_alg: &[u8]) -> Vec<u8> {
    let cert = elements(der);
    let [cert] = cert.as_slice() else { panic!() };
    let parts = elements(contents(cert));
    let [tbs, _, sig] = parts.as_slice() else {
        panic!()
    };
    let tbs_parts: Vec<Vec<u8>> = elements(contents(tbs))
        .iter()
        .enumerate()
        .map(|(i, p)| f(i, p))
        .collect();
    let tbs = encode(0x30, &tbs_parts.concat());
    encode(0x30, &[tbs.as_slice(), outer_alg, sig].concat())
}

#[test]
fn rsa_algorithm_identifier_without_null_parameters() {
    // sha256WithRSAEncryption with the parameters absent rather than NULL
    let no_params = encode(
        0x30,
        &encode(0x06, &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 1, 11]),
    );
    let der = pem_ders(&fixture_str(C4))[1].clone();
    let rebuilt = rebuild(
        &der,
        |i, p| {
            if i == 2 {
                no_params.clone()
            } else {
                p.to_vec()
            }
        },
        &no_params,
    );
    assert_ne!(rebuilt, der);
    let cert = Certificate::from_der(&rebuilt).unwrap();
    assert!(cert.is_rsa_signed());
    assert_eq!(cert.alipay_sn(), "687b59193f3f462dd5336e5abf83c5d8");
    assert_eq!(
        alipay_root_cert_sn(&rebuilt).unwrap(),
        "687b59193f3f462dd5336e5abf83c5d8"
    );
}

#[test]
fn a_broken_non_rsa_root_is_skipped_but_a_broken_rsa_one_is_named() {
    let ders = pem_ders(&fixture_str(C4));
    // SM2 root with an impossible notAfter (month 13): unreadable as a certificate, but its
    // signature algorithm says it does not count.
    let broken_sm2 = rebuild(
        &ders[0],
        |i, p| {
            if i == 4 {
                let validity = elements(contents(p));
                let bad = encode(0x17, b"421307031159Z");
                encode(0x30, &[validity[0], bad.as_slice()].concat())
            } else {
                p.to_vec()
            }
        },
        elements(contents(&ders[0]))[1],
    );
    let bundle: Vec<u8> = [&broken_sm2, &ders[1], &ders[2], &ders[3]]
        .iter()
        .flat_map(|d| d.iter().copied())
        .collect();
    assert_eq!(alipay_root_cert_sn(&bundle).unwrap(), ROOT_SN);
    let err = Certificate::all_from_pem(&bundle).unwrap_err();
    let Error::BundleCertificate { position, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*position, 1);
    assert!(source.to_string().contains("notAfter"), "{source}");

    // The same damage to an RSA root is an error naming its position.
    let broken_r1 = rebuild(
        &ders[1],
        |i, p| {
            if i == 4 {
                let validity = elements(contents(p));
                let bad = encode(0x17, b"381307031159Z");
                encode(0x30, &[validity[0], bad.as_slice()].concat())
            } else {
                p.to_vec()
            }
        },
        elements(contents(&ders[1]))[1],
    );
    let bundle: Vec<u8> = [&ders[0], &broken_r1, &ders[2], &ders[3]]
        .iter()
        .flat_map(|d| d.iter().copied())
        .collect();
    let err = alipay_root_cert_sn(&bundle).unwrap_err();
    assert!(err.is_key_error());
    let Error::BundleCertificate { position, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*position, 2);
    assert!(matches!(**source, Error::MalformedCertificate { .. }));
    assert_eq!(
        err.to_string(),
        "certificate 2 of the bundle cannot be read"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn a_bundle_without_rsa_roots_has_no_root_sn() {
    let ders = pem_ders(&fixture_str(C4));
    let bundle = [ders[0].as_slice(), &ders[2]].concat();
    assert!(matches!(
        alipay_root_cert_sn(&bundle),
        Err(Error::NoRsaCertificate { found: 2 })
    ));
}

#[test]
fn bundle_errors_name_the_position() {
    let text = fixture_str(C4);
    // A corrupted body in the third block.
    let blocks: Vec<&str> = text.split("\n\n").collect();
    assert_eq!(blocks.len(), 4);
    let corrupted = [
        blocks[0],
        blocks[1],
        &blocks[2].replacen("MIIC", "MIIC!", 1),
        blocks[3],
    ]
    .join("\n\n");
    let err = Certificate::all_from_pem(&corrupted).unwrap_err();
    assert!(
        matches!(err, Error::BundleCertificate { position: 3, .. }),
        "{err:?}"
    );
    // A missing END line in the second block.
    let unterminated = [
        blocks[0],
        &blocks[1].replace("-----END CERTIFICATE-----", ""),
        blocks[2],
        blocks[3],
    ]
    .join("\n\n");
    let err = Certificate::all_from_pem(&unterminated).unwrap_err();
    let Error::BundleCertificate { position, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*position, 2);
    assert!(source.to_string().contains("END"), "{source}");
    // Truncated in the middle of the last block.
    let cut = &text[..text.len() - 200];
    assert!(matches!(
        alipay_root_cert_sn(cut),
        Err(Error::BundleCertificate { position: 4, .. })
    ));
}

#[test]
fn input_errors_are_clear() {
    // A public key is not a certificate.
    let err = Certificate::from_pem(fixture("alipay/node_alipaycert_pub.pem")).unwrap_err();
    assert!(
        matches!(&err, Error::MalformedCertificate { detail } if detail.contains("PUBLIC KEY")),
        "{err}"
    );
    for empty in ["", "  \n"] {
        assert!(matches!(
            Certificate::from_pem(empty),
            Err(Error::MalformedCertificate { .. })
        ));
        assert!(alipay_root_cert_sn(empty).is_err());
        assert!(alipay_cert_sn(empty).is_err());
        assert!(Certificate::all_from_pem(empty).is_err());
    }
    // DER followed by junk
    let mut der = pem_der(C2);
    der.push(0);
    let err = Certificate::from_der(&der).unwrap_err();
    assert!(err.to_string().contains("trailing"), "{err}");
    // Truncated DER
    let der = pem_der(C2);
    let err = Certificate::from_der(&der[..der.len() - 1]).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    // A private key is not a certificate either.
    assert!(matches!(
        Certificate::from_pem(fixture("baidu/tv1-doc2021-private-pkcs1.pem")),
        Err(Error::MalformedCertificate { .. })
    ));
}

#[test]
fn certificate_debug_is_readable() {
    let cert = Certificate::from_pem(fixture(C3)).unwrap();
    let dbg = format!("{cert:?}");
    assert!(
        dbg.contains("42665287695059973067612265679949416627"),
        "{dbg}"
    );
    assert!(dbg.contains("2021-09-16T12:54:24Z"), "{dbg}");
    assert!(dbg.contains("O=钟雨"), "{dbg}");
}

// ------------------------------------------------------------------------------------------
// Robustness

fn fixture_ders() -> Vec<Vec<u8>> {
    let mut ders = pem_ders(&fixture_str(C4));
    for path in [C1, C2, C3] {
        ders.push(pem_der(path));
    }
    ders
}

fn exercise(input: &[u8]) {
    if let Ok(cert) = Certificate::from_der(input) {
        let _ = (
            cert.alipay_sn(),
            cert.public_key(),
            cert.not_after().unix_seconds(),
        );
    }
    let _ = Certificate::from_pem(input);
    let _ = Certificate::all_from_pem(input);
    let _ = alipay_cert_sn(input);
    let _ = alipay_root_cert_sn(input);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_pem_never_panics(body in "[A-Za-z0-9+/=\n -]{0,400}") {
        let pem = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
        exercise(pem.as_bytes());
        exercise(body.as_bytes());
    }

    #[test]
    fn mutated_certificates_never_panic(
        which in 0usize..7,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut der = fixture_ders().swap_remove(which);
        for (at, value) in edits {
            let i = at.index(der.len());
            der[i] = value;
        }
        exercise(&der);
    }

    #[test]
    fn truncated_certificates_never_panic_and_fail(which in 0usize..7, cut in any::<prop::sample::Index>()) {
        let der = fixture_ders().swap_remove(which);
        let len = cut.index(der.len());
        let short = &der[..len];
        exercise(short);
        prop_assert!(Certificate::from_der(short).is_err());
    }

    #[test]
    fn truncated_bundles_never_panic(cut in any::<prop::sample::Index>()) {
        let text = fixture(C4);
        let len = cut.index(text.len());
        exercise(&text[..len]);
    }
}
