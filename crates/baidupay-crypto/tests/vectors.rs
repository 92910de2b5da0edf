//! Runs the published vectors of `vectors/manifest.json` (keys, sign strings, signatures, notify
//! bodies, signed responses, certificate serial numbers) through this crate's public API. Every
//! signature is deterministic (PKCS#1 v1.5), so signing must match byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../../vectors/support.rs"]
mod vectors;

use baidupay_crypto::cert::{Certificate, alipay_cert_sn, alipay_root_cert_sn};
use baidupay_crypto::{
    Algorithm, Error, PrivateKey, PublicKey, Rules, Signer, Verifier, canonical_string,
    detect_format, form,
};
use base64::Engine as _;
use vectors::Vector;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn algorithm(v: &Vector) -> Algorithm {
    match v.param_str("algorithm") {
        Some("RSA-SHA1") => Algorithm::RsaSha1,
        Some("RSA-SHA256") | None => Algorithm::RsaSha256,
        Some(other) => panic!("unknown algorithm {other}"),
    }
}

fn rules(v: &Vector) -> Rules {
    match v.param_str("rules") {
        Some("baidu") => Rules::Baidu,
        Some("baidu-callback") => Rules::BaiduCallback,
        Some("alipay") => Rules::Alipay,
        Some("alipay-notify") => Rules::AlipayNotify,
        other => panic!("unknown rules {other:?}"),
    }
}

/// The failure kinds of the manifest, by error variant.
fn kind_of(e: &Error) -> Option<&'static str> {
    if e.is_bad_signature() {
        return Some("bad-signature");
    }
    match e {
        Error::DuplicateParameter { .. } => Some("duplicate-parameter"),
        Error::ExpectedPrivateKey { .. } => Some("expected-private-key"),
        Error::ExpectedPublicKey { .. } => Some("expected-public-key"),
        Error::NotRsa { .. } => Some("not-rsa"),
        _ => None,
    }
}

fn same<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn pem_body_one_line(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// The key file re-encoded as `encoding` (the forms merchants paste keys in).
fn encode_key(text: &str, encoding: &str) -> Vec<u8> {
    let one_line = pem_body_one_line(text);
    match encoding {
        "as-is" => text.as_bytes().to_vec(),
        "one-line" => one_line.into_bytes(),
        "one-line-padded" => format!("\n  {one_line}  \n").into_bytes(),
        "der" => B64.decode(one_line).unwrap(),
        "crlf-padded" => format!("  \n{}\r\n ", text.replace('\n', "\r\n")).into_bytes(),
        other => panic!("unknown key encoding {other}"),
    }
}

/// A public key file, or the public half of a private key file.
fn public_of(rel: &str) -> PublicKey {
    let bytes = vectors::read(rel);
    PublicKey::parse(&bytes)
        .or_else(|_| PrivateKey::parse(&bytes).map(|k| k.public_key().clone()))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn sign(v: &Vector) -> Result<(), String> {
    let alg = algorithm(v);
    let message = v.expect_text("sign_string").ok_or("no sign string")?;
    if let Some(fields) = v.fields() {
        let s = canonical_string(rules(v), fields.iter().map(|(k, x)| (k, x)))
            .map_err(|e| e.to_string())?;
        same("sign string", s.as_str(), message.as_str())?;
    }
    let want = v.expect_text("signature").ok_or("no signature")?;
    let want = want.trim();
    let text = v.file_text("private_key");
    let encodings: Vec<String> = match v.param("key_encodings") {
        Some(list) => serde_json::from_value(list.clone()).unwrap(),
        None => vec!["as-is".to_owned()],
    };
    let mut public = None;
    for encoding in &encodings {
        let key = PrivateKey::parse(encode_key(&text, encoding))
            .map_err(|e| format!("{encoding}: {e}"))?;
        // the explicit loaders agree with parse()
        let explicit = match encoding.as_str() {
            "as-is" if text.starts_with("-----") => Some(PrivateKey::from_pem(&text)),
            "one-line" => Some(PrivateKey::from_base64(&pem_body_one_line(&text))),
            _ => None,
        };
        if let Some(explicit) = explicit {
            same(
                "explicit loader",
                explicit.map_err(|e| e.to_string())?.public_key(),
                key.public_key(),
            )?;
        }
        let sig = Signer::new(key.clone(), alg)
            .sign_base64(message.as_bytes())
            .map_err(|e| e.to_string())?;
        same(&format!("signature ({encoding})"), sig.as_str(), want)?;
        public = Some(key.public_key().clone());
    }
    let public = public.ok_or("no key encoding")?;
    if let Some(rel) = v.file_path("public_key") {
        same("published public key", &public_of(rel), &public)?;
    }
    Verifier::new(public, alg)
        .verify_base64(message.as_bytes(), want)
        .map_err(|e| format!("verify: {e}"))
}

fn signature_field(v: &Vector, pairs: &[(String, String)]) -> String {
    let name = v.param_str("signature_field").expect("signature_field");
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, s)| s.clone())
        .unwrap_or_default()
}

/// `verify` and `notify`: a message or a form body, checked with a public key.
fn verify(v: &Vector) -> Result<(), String> {
    let verifier = Verifier::new(
        PublicKey::parse(v.file("public_key")).unwrap(),
        algorithm(v),
    );
    let result = if v.file_path("body").is_some() {
        let pairs = form::parse(v.body().as_bytes()).map_err(|e| e.to_string())?;
        if let Some(want) = v.expect_text("sign_string") {
            let s = canonical_string(rules(v), pairs.iter().map(|(k, x)| (k, x)))
                .map_err(|e| e.to_string())?;
            same("sign string", s.as_str(), want.as_str())?;
        }
        let sig = signature_field(v, &pairs);
        verifier.verify_params(rules(v), pairs.iter().map(|(k, x)| (k, x)), &sig)
    } else {
        let mut sig = B64.decode(v.file_text("signature").trim()).unwrap();
        if let Some(bit) = v.param("flip_signature_bit").and_then(|b| b.as_u64()) {
            let bit = usize::try_from(bit).unwrap();
            sig[bit / 8] ^= 1 << (bit % 8);
        }
        verifier.verify(&v.file("message"), &sig)
    };
    vectors::outcome(v, result, kind_of).map(|_| ())
}

/// The signed content of an Alipay response body: the raw `<method>_response` value. A fixed
/// split is enough for these known bodies; the extractor proper lives in baidupay-alipay.
fn split_response(body: &str) -> (&str, String) {
    let start = body.find("_response\":").unwrap() + "_response\":".len();
    let end = body
        .find(",\"alipay_cert_sn\"")
        .or_else(|| body.rfind(",\"sign\""))
        .unwrap();
    let sign_start = body.rfind("\"sign\":\"").unwrap() + "\"sign\":\"".len();
    let sign = body[sign_start..]
        .trim_end()
        .trim_end_matches("\"}")
        .replace("\\/", "/");
    (&body[start..end], sign)
}

fn response(v: &Vector) -> Result<(), String> {
    let body;
    let (content, sign) = if v.file_path("body").is_some() {
        body = v.body();
        let (c, s) = split_response(&body);
        (c.to_owned(), s)
    } else {
        (
            v.tamper(&v.file_text("content")),
            v.file_text("signature").trim().to_owned(),
        )
    };
    let public = PublicKey::parse(v.file("public_key")).unwrap();
    let result = Verifier::new(public, algorithm(v)).verify_base64(content.as_bytes(), &sign);
    if vectors::outcome(v, result, kind_of)?.is_none() {
        return Ok(());
    }
    if let Some(want) = v.expect_text("content") {
        same("content", content.as_str(), want.as_str())?;
    }
    if let Some(code) = v.expect_str("code") {
        let parsed: serde_json::Value = serde_json::from_str(&content).unwrap();
        same("code", parsed["code"].as_str(), Some(code))?;
    }
    Ok(())
}

/// `detect_format`'s answer in the manifest's spelling (`Pkcs8Private` -> `pkcs8-private`).
fn format_name(bytes: &[u8]) -> String {
    let debug = format!("{:?}", detect_format(bytes).unwrap());
    let mut out = String::new();
    for (i, c) in debug.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn key_load(v: &Vector) -> Result<(), String> {
    let bytes = v.file("key");
    let result = match v.param_str("load_as") {
        Some("private") => PrivateKey::parse(&bytes).map(|k| {
            assert_eq!(k.bits(), k.public_key().bits());
            k.public_key().clone()
        }),
        Some("public") => PublicKey::parse(&bytes),
        other => panic!("load_as {other:?}"),
    };
    let Some(public) = vectors::outcome(v, result, kind_of)? else {
        return Ok(());
    };
    if let Some(bits) = v.expect("bits").and_then(|b| b.as_u64()) {
        same("bits", public.bits() as u64, bits)?;
    }
    if let Some(format) = v.expect_str("format") {
        same("format", format_name(&bytes).as_str(), format)?;
    }
    if let Some(spki) = v.expect_str("public_base64") {
        same("public key", public.to_base64().as_str(), spki)?;
    }
    for (key, equal) in [("same_key_as", true), ("not_same_key_as", false)] {
        for rel in v
            .expect(key)
            .and_then(|l| l.as_array())
            .into_iter()
            .flatten()
        {
            let rel = rel.as_str().unwrap();
            same(&format!("{key} {rel}"), public_of(rel) == public, equal)?;
        }
    }
    Ok(())
}

fn cert_serial(v: &Vector) -> Result<(), String> {
    let pem = v.file("cert");
    let err = |e: Error| e.to_string();
    if let Some(sn) = v.expect_str("sn") {
        same(
            "alipay_cert_sn",
            alipay_cert_sn(&pem).map_err(err)?.as_str(),
            sn,
        )?;
    }
    if let Some(root) = v.expect_str("root_sn") {
        same(
            "root sn",
            alipay_root_cert_sn(&pem).map_err(err)?.as_str(),
            root,
        )?;
    }
    let certs = Certificate::all_from_pem(&pem).map_err(err)?;
    if let Some(chain) = v.expect("chain") {
        let got: Vec<String> = certs.iter().map(Certificate::alipay_sn).collect();
        let want: Vec<String> = serde_json::from_value(chain.clone()).unwrap();
        same("chain", got, want)?;
    }
    if certs.len() == 1 {
        same(
            "from_pem",
            &Certificate::from_pem(&pem).map_err(err)?,
            &certs[0],
        )?;
    } else {
        same(
            "a bundle is not one certificate",
            matches!(Certificate::from_pem(&pem), Err(Error::MultipleCertificates { found }) if found == certs.len()),
            true,
        )?;
    }
    let mut expected = vec![v.expect("certificates").cloned().unwrap_or_default()];
    if let Some(list) = expected[0].as_array() {
        same("certificates", list.len(), certs.len())?;
        expected = list.clone();
    } else {
        expected[0] = v.raw_expect();
    }
    for (i, (cert, want)) in certs.iter().zip(&expected).enumerate() {
        let s = |k: &str| want.get(k).and_then(|x| x.as_str());
        let what = |k: &str| format!("certificate {i}: {k}");
        if let Some(sn) = s("sn") {
            same(&what("sn"), cert.alipay_sn().as_str(), sn)?;
        }
        if let Some(x) = s("issuer") {
            same(&what("issuer"), cert.issuer(), x)?;
        }
        if let Some(x) = s("subject") {
            same(&what("subject"), cert.subject(), x)?;
        }
        if let Some(x) = s("serial") {
            same(&what("serial"), cert.serial_decimal(), x)?;
        }
        if let Some(x) = s("signature_algorithm") {
            same(&what("signature algorithm"), cert.signature_algorithm(), x)?;
        }
        if let Some(x) = want.get("rsa").and_then(|x| x.as_bool()) {
            same(&what("rsa"), cert.is_rsa_signed(), x)?;
        }
        if let Some(x) = s("not_before") {
            same(
                &what("not_before"),
                cert.not_before().to_string().as_str(),
                x,
            )?;
        }
        if let Some(x) = s("not_after") {
            same(&what("not_after"), cert.not_after().to_string().as_str(), x)?;
        }
        if let Some(x) = want.get("not_before_unix").and_then(|x| x.as_i64()) {
            same(
                &what("not_before unix"),
                cert.not_before().unix_seconds(),
                x,
            )?;
        }
        if let Some(x) = want.get("not_after_unix").and_then(|x| x.as_i64()) {
            same(&what("not_after unix"), cert.not_after().unix_seconds(), x)?;
        }
        if let Some(bits) = want.get("key_bits").and_then(|x| x.as_u64()) {
            same(
                &what("key bits"),
                cert.public_key().map_err(err)?.bits() as u64,
                bits,
            )?;
        }
        if let Some(k) = s("key_error") {
            let got = cert.public_key().err().as_ref().and_then(kind_of);
            same(&what("key error"), got, Some(k))?;
        }
    }
    Ok(())
}

fn cert_mode(v: &Vector) -> Result<(), String> {
    let key = PrivateKey::parse(v.file("app_key")).unwrap();
    let app_cert = v.file("app_cert");
    let matches = &PublicKey::parse(&app_cert).unwrap() == key.public_key();
    PublicKey::parse(v.file("alipay_cert")).map_err(|e| e.to_string())?;
    if v.expected_error() == Some("app-cert-mismatch") {
        return same("app certificate matches the key", matches, false);
    }
    same("app certificate matches the key", matches, true)?;
    let sn = alipay_cert_sn(&app_cert).map_err(|e| e.to_string())?;
    same(
        "app_cert_sn",
        Some(sn.as_str()),
        v.expect_str("app_cert_sn"),
    )?;
    let root = alipay_root_cert_sn(v.file("root_cert")).map_err(|e| e.to_string())?;
    same(
        "root_cert_sn",
        Some(root.as_str()),
        v.expect_str("root_cert_sn"),
    )
}

#[test]
fn every_published_vector() {
    let ran = vectors::run(
        &[
            "sign",
            "request",
            "verify",
            "notify",
            "response",
            "key-load",
            "cert-serial",
            "cert-mode",
        ],
        |v| match v.kind.as_str() {
            "sign" | "request" => sign(v),
            "verify" | "notify" => verify(v),
            "response" => response(v),
            "key-load" => key_load(v),
            "cert-serial" => cert_serial(v),
            "cert-mode" => cert_mode(v),
            other => Err(format!("no runner for {other}")),
        },
    );
    assert!(ran["sign"] >= 12 && ran["notify"] >= 10, "{ran:?}");
}
