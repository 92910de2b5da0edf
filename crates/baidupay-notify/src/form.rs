//! The shared front of every form callback: size cap, content type, single decode, duplicate
//! check, signature extraction.

use baidupay_crypto::form;

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

/// Decodes the body once and rejects duplicate names.
pub(crate) fn decode(body: &[u8]) -> Result<Vec<(String, String)>> {
    let pairs = form::parse(body).map_err(|e| NotifyError::from_crypto(e, "body"))?;
    let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(NotifyError::DuplicateParameter {
            name: w[0].to_owned(),
        });
    }
    Ok(pairs)
}

/// Removes the signature field from `pairs` and returns its value.
pub(crate) fn take_signature(
    pairs: &mut Vec<(String, String)>,
    field: &'static str,
) -> Result<String> {
    let pos = pairs
        .iter()
        .position(|(k, _)| k == field)
        .ok_or(NotifyError::MissingSignature { field })?;
    let (_, sig) = pairs.remove(pos);
    if sig.is_empty() {
        return Err(NotifyError::MissingSignature { field });
    }
    Ok(sig)
}
