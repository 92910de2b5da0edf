//! Certificate input: PEM blocks or concatenated DER.

use base64::Engine as _;

use super::{CERTIFICATE_LABELS, in_field};
use crate::der::Reader;
use crate::error::{Error, Result};
use crate::key::KEY_B64;

pub(super) fn is_pem(input: &[u8]) -> bool {
    memchr::memmem::find(input, b"-----BEGIN").is_some()
}

pub(super) fn no_certificate() -> Error {
    Error::MalformedCertificate {
        detail: "no certificate found".into(),
    }
}

/// The DER of each certificate in `input`, in order; an entry is an error when that block's
/// body cannot be decoded (or, for DER, when the data ends inside it: then it is the last).
///
/// # Errors
/// When the input holds no certificate.
pub(super) fn certificate_ders(input: &[u8]) -> Result<Vec<Result<Vec<u8>>>> {
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::MalformedCertificate {
            detail: "the input is empty".into(),
        });
    }
    if !is_pem(input) {
        return Ok(concatenated_der(input));
    }
    let text = String::from_utf8_lossy(input);
    // A PEM pasted into an environment variable or JSON often carries literal "\n".
    let text = if !text.contains('\n') && text.contains("\\n") {
        text.replace("\\r\\n", "\n").replace("\\n", "\n")
    } else {
        text.into_owned()
    };
    let mut ders = Vec::new();
    let mut others = Vec::new();
    for block in pem_blocks(&text) {
        match block {
            PemBlock::Complete { label, body } if CERTIFICATE_LABELS.contains(&label) => {
                ders.push(decode_body(body));
            }
            PemBlock::Complete { label, .. } => others.push(label),
            PemBlock::Unterminated { label } => {
                if CERTIFICATE_LABELS.contains(&label) {
                    ders.push(Err(Error::MalformedCertificate {
                        detail: format!("PEM block `{label}` has no `-----END {label}-----` line"),
                    }));
                }
                break;
            }
        }
    }
    if ders.is_empty() {
        let detail = if others.is_empty() {
            "no `-----BEGIN CERTIFICATE-----` block found".to_owned()
        } else {
            format!(
                "no `-----BEGIN CERTIFICATE-----` block found, only `{}`",
                others.join("`, `")
            )
        };
        return Err(Error::MalformedCertificate { detail });
    }
    Ok(ders)
}

/// Splits concatenated DER elements; a truncated last element becomes an error entry.
fn concatenated_der(input: &[u8]) -> Vec<Result<Vec<u8>>> {
    let mut r = Reader::new(input);
    let mut out = Vec::new();
    while !r.is_empty() {
        match r.read() {
            Ok(tlv) => out.push(Ok(tlv.raw.to_vec())),
            Err(e) => {
                out.push(Err(in_field("certificate", e)));
                break;
            }
        }
    }
    out
}

fn decode_body(body: &str) -> Result<Vec<u8>> {
    let mut b64 = String::with_capacity(body.len());
    for line in body.lines() {
        // RFC 1421 headers (`Name: value`) carry nothing a certificate needs.
        if line.contains(':') {
            continue;
        }
        b64.extend(line.chars().filter(|c| !c.is_ascii_whitespace()));
    }
    if b64.is_empty() {
        return Err(Error::MalformedCertificate {
            detail: "PEM block `CERTIFICATE` is empty".into(),
        });
    }
    KEY_B64
        .decode(b64.as_bytes())
        .map_err(|e| Error::MalformedCertificate {
            detail: format!("PEM block body is not valid base64 ({e})"),
        })
}

enum PemBlock<'a> {
    Complete { label: &'a str, body: &'a str },
    Unterminated { label: &'a str },
}

/// Every PEM block of `text`, in order; an unterminated block ends the list.
fn pem_blocks(text: &str) -> Vec<PemBlock<'_>> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after_begin = rest.get(start + BEGIN.len()..).unwrap_or_default();
        let Some(label_end) = after_begin.find("-----") else {
            break;
        };
        let label = after_begin.get(..label_end).unwrap_or_default().trim();
        let body_and_rest = after_begin.get(label_end + 5..).unwrap_or_default();
        let end_marker = format!("-----END {label}-----");
        match body_and_rest.find(&end_marker) {
            Some(end) => {
                let body = body_and_rest.get(..end).unwrap_or_default();
                if body.contains(BEGIN) {
                    // The END line is missing and a later block's END was found instead.
                    blocks.push(PemBlock::Unterminated { label });
                    break;
                }
                blocks.push(PemBlock::Complete { label, body });
                rest = body_and_rest
                    .get(end + end_marker.len()..)
                    .unwrap_or_default();
            }
            None => {
                blocks.push(PemBlock::Unterminated { label });
                break;
            }
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_split() {
        let text = "junk\n-----BEGIN A-----\nQQ==\n-----END A-----\nsubject=x\n-----BEGIN B-----\nQg\n-----END B-----";
        let blocks = pem_blocks(text);
        assert!(matches!(
            blocks.as_slice(),
            [
                PemBlock::Complete {
                    label: "A",
                    body: "\nQQ==\n"
                },
                PemBlock::Complete {
                    label: "B",
                    body: "\nQg\n"
                }
            ]
        ));
        let missing_end = "-----BEGIN A-----\nQQ==\n-----BEGIN A-----\nQQ==\n-----END A-----";
        assert!(matches!(
            pem_blocks(missing_end).as_slice(),
            [PemBlock::Unterminated { label: "A" }]
        ));
        assert!(pem_blocks("-----BEGIN A").is_empty());
    }
}
