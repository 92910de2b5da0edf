//! Encoders for the key exports: PKCS#1, PKCS#8 and SPKI DER, PEM armour.

use base64::Engine as _;
use zeroize::Zeroizing;

use super::RSA_ENCRYPTION_OID;
use super::parse::PrivateParts;
use crate::der::{self, tag};

pub(super) fn pkcs1_private_der(p: &PrivateParts) -> Zeroizing<Vec<u8>> {
    let fields: [&[u8]; 9] = [&[], &p.n, &p.e, &p.d, &p.p, &p.q, &p.dp, &p.dq, &p.qinv];
    let encoded: Vec<Zeroizing<Vec<u8>>> = fields
        .iter()
        .map(|f| Zeroizing::new(der::encode_unsigned(f)))
        .collect();
    let refs: Vec<&[u8]> = encoded.iter().map(|v| v.as_slice()).collect();
    Zeroizing::new(der::encode_sequence(&refs))
}

pub(super) fn rsa_algorithm_identifier() -> Vec<u8> {
    der::encode_sequence(&[
        &der::encode(tag::OID, RSA_ENCRYPTION_OID),
        &der::encode(tag::NULL, &[]),
    ])
}

pub(super) fn pem_wrap(label: &str, der_bytes: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der_bytes));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}
