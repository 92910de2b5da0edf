//! The shared front of every form callback: size cap, content type, single decode, duplicate
//! check, signature extraction.

use std::borrow::Cow;

use baidupay_crypto::form::{self, CowPair};

use crate::error::{NotifyError, Result};

/// The default body cap: 64 KiB (real callbacks are under 2 KiB).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Accepts `application/x-www-form-urlencoded` (any parameters, any case) or no content type.
pub(crate) fn check_form_content_type(content_type: Option<&str>) -> Result<()> {
    match content_type {
        None => Ok(()),
        Some(ct) => {
            let mime = ct.split(';').next().unwrap_or("").trim();
            if mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") || mime.is_empty() {
                Ok(())
            } else {
                Err(NotifyError::UnsupportedContentType {
                    found: ct.chars().take(80).collect(),
                    expected: "application/x-www-form-urlencoded",
                })
            }
        }
    }
}

pub(crate) fn check_size(body: &[u8], limit: usize) -> Result<()> {
    if body.len() > limit {
        return Err(NotifyError::BodyTooLarge {
            limit,
            size: body.len(),
        });
    }
    Ok(())
}

/// Decodes the body once, borrowing what needs no decoding. Duplicate names are rejected by
/// the canonical string every caller builds next ([`NotifyError::DuplicateParameter`]).
pub(crate) fn decode(body: &[u8]) -> Result<Vec<CowPair<'_>>> {
    form::parse_borrowed(body).map_err(|e| NotifyError::from_crypto(e, "body"))
}

/// Removes the signature field from `pairs` and returns its value, with spaces read back as
/// `+` (base64 has no spaces; a `+` sent unescaped decodes to a space).
pub(crate) fn take_signature<'a>(
    pairs: &mut Vec<CowPair<'a>>,
    field: &'static str,
) -> Result<Cow<'a, str>> {
    let pos = pairs
        .iter()
        .position(|(k, _)| k == field)
        .ok_or(NotifyError::MissingSignature { field })?;
    let (_, sig) = pairs.remove(pos);
    if pairs.iter().any(|(k, _)| k == field) {
        return Err(NotifyError::DuplicateParameter {
            name: field.to_owned(),
        });
    }
    if sig.is_empty() {
        return Err(NotifyError::MissingSignature { field });
    }
    Ok(if sig.contains(' ') {
        Cow::Owned(sig.replace(' ', "+"))
    } else {
        sig
    })
}
