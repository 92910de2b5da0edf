//! URL building.

use baidupay_crypto::form;

use crate::error::{CashierError, Result};

/// `base` with `params` appended as a query string (form-encoded values).
pub(crate) fn with_query(base: &str, params: &[(&str, String)]) -> Result<String> {
    if !(base.starts_with("https://") || base.starts_with("http://")) {
        return Err(CashierError::BadBaseUrl {
            base: base.to_owned(),
            reason: "must start with https:// (or http:// for a local sandbox)".into(),
        });
    }
    if params.is_empty() {
        return Ok(base.to_owned());
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base}{sep}{}",
        form::encode(params.iter().map(|(k, v)| (*k, v.as_str())))
    ))
}
