//! Input decoding: PEM, one-line base64 or DER, to DER bytes.

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Lenient base64 for key bodies: standard alphabet, padding optional.
pub(crate) const KEY_B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn is_b64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

pub(super) fn decode_b64_body(text: &str, what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !c.is_ascii_whitespace()).collect());
    if compact.is_empty() {
        return Err(Error::TruncatedKey {
            detail: format!("{what} is empty"),
        });
    }
    KEY_B64
        .decode(compact.as_bytes())
        .map(Zeroizing::new)
        .map_err(|e| Error::MalformedKey {
            detail: format!("{what} is not valid base64 ({e})"),
        })
}

/// Turns any accepted input encoding into DER. Returns the PEM label when there was one.
pub(super) fn to_der(input: &[u8]) -> Result<(Zeroizing<Vec<u8>>, Option<String>)> {
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MalformedKey {
            detail: "the key is empty".into(),
        });
    }
    if let Ok(text) = std::str::from_utf8(input) {
        if text.contains("-----BEGIN") {
            let (label, der) = pem_first_block(text)?;
            return Ok((der, Some(label)));
        }
        if input
            .iter()
            .all(|&b| is_b64_char(b) || b.is_ascii_whitespace())
        {
            return Ok((decode_b64_body(text, "the base64 key")?, None));
        }
    }
    Ok((Zeroizing::new(input.to_vec()), None))
}

/// Whether `label` can be a PEM label, and so be shown in an error: one short line of
/// letters, digits, spaces and a few separators, never key material.
fn is_label(label: &str) -> bool {
    label.len() <= 40
        && label
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b" -_#".contains(&b))
}

/// Reads the first PEM block of `text`.
pub(super) fn pem_first_block(text: &str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    // A PEM pasted into an environment variable or JSON often carries literal "\n".
    let owned;
    let text = if !text.contains('\n') && text.contains("\\n") {
        owned = Zeroizing::new(text.replace("\\r\\n", "\n").replace("\\n", "\n"));
        owned.as_str()
    } else {
        text
    };
    let begin = text
        .find("-----BEGIN ")
        .ok_or_else(|| Error::MalformedKey {
            detail: "PEM armour `-----BEGIN ` not found".into(),
        })?;
    let after_begin = text.get(begin + "-----BEGIN ".len()..).unwrap_or_default();
    let label_end = after_begin
        .find("-----")
        .ok_or_else(|| Error::MalformedKey {
            detail: "PEM BEGIN line is not closed by `-----`".into(),
        })?;
    let label = after_begin
        .get(..label_end)
        .unwrap_or_default()
        .trim()
        .to_owned();
    // a BEGIN line without its closing dashes would take the key's body as its label, and an
    // error naming the label would show it
    if !is_label(&label) {
        return Err(Error::MalformedKey {
            detail: "PEM BEGIN line is malformed: expected `-----BEGIN LABEL-----` on one line"
                .into(),
        });
    }
    let body_and_rest = after_begin.get(label_end + 5..).unwrap_or_default();
    let end_marker = format!("-----END {label}-----");
    let body = match body_and_rest.find(&end_marker) {
        Some(i) => body_and_rest.get(..i).unwrap_or_default(),
        None => {
            if let Some(i) = body_and_rest.find("-----END ") {
                let other = body_and_rest
                    .get(i + 9..)
                    .and_then(|s| s.split("-----").next())
                    .filter(|o| is_label(o))
                    .unwrap_or("an unreadable label");
                return Err(Error::MalformedKey {
                    detail: format!("PEM block begins as `{label}` but ends as `{other}`"),
                });
            }
            return Err(Error::TruncatedKey {
                detail: format!("PEM block `{label}` has no `{end_marker}` line"),
            });
        }
    };
    match label.as_str() {
        "ENCRYPTED PRIVATE KEY" => return Err(Error::EncryptedKey),
        "OPENSSH PRIVATE KEY" => {
            return Err(Error::UnsupportedKeyFormat {
                detail: "OpenSSH private key: convert it with `ssh-keygen -p -m PKCS8 -f FILE`"
                    .into(),
            });
        }
        "EC PRIVATE KEY" => {
            return Err(Error::NotRsa {
                algorithm: "an EC private key".into(),
            });
        }
        "DSA PRIVATE KEY" => {
            return Err(Error::NotRsa {
                algorithm: "a DSA private key".into(),
            });
        }
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            return Err(Error::UnsupportedKeyFormat {
                detail:
                    "a certificate signing request (CSR): use the key or the issued certificate"
                        .into(),
            });
        }
        "RSA PRIVATE KEY"
        | "PRIVATE KEY"
        | "PUBLIC KEY"
        | "RSA PUBLIC KEY"
        | "CERTIFICATE"
        | "TRUSTED CERTIFICATE"
        | "X509 CERTIFICATE" => {}
        other => {
            return Err(Error::UnsupportedKeyFormat {
                detail: format!("PEM block `{other}` is not an RSA key or certificate"),
            });
        }
    }
    let mut b64 = Zeroizing::new(String::with_capacity(body.len()));
    for line in body.lines() {
        let line = line.trim();
        if line.contains(':') {
            // RFC 1421 headers: only the legacy encryption header matters.
            if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                return Err(Error::EncryptedKey);
            }
            continue;
        }
        b64.push_str(line);
    }
    let der = decode_b64_body(&b64, &format!("the PEM `{label}` body"))?;
    Ok((label, der))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A broken armour never puts the key's body into an error message.
    #[test]
    fn errors_never_show_the_key_body() {
        let body = "MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALplu"; // a key-like line
        for text in [
            format!("-----BEGIN PRIVATE KEY\n{body}\n-----END PRIVATE KEY-----\n"),
            format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END {body}-----\n"),
            format!("-----BEGIN {body}-----\n{body}\n-----END {body}-----\n"),
        ] {
            let err = to_der(text.as_bytes()).map(drop).unwrap_err().to_string();
            assert!(!err.contains(body), "{err}");
        }
        assert!(is_label("RSA PRIVATE KEY") && is_label("X509 CERTIFICATE"));
    }
}
