//! Baidu cashier callbacks: payment notify, refund-audit request, refund notify.

use std::borrow::Cow;

use baidupay_crypto::form::CowPair;
use baidupay_crypto::{Algorithm, PublicKey, Rules, Verifier, canonical_string_of};
use baidupay_model::callback::{PaymentNotification, RefundAuditRequest, RefundNotification};
use baidupay_model::cashier::PayStatus;
use baidupay_model::{Fen, TpOrderId};

use crate::error::{NotifyError, Result};
use crate::form::{self, DEFAULT_MAX_BODY};

/// The signature field of Baidu callbacks.
const SIGNATURE: &str = "rsaSign";

/// Form pairs whose Baidu signature verified (everything but `rsaSign`, sorted by name
/// as in the canonical string),
/// borrowing from the body where nothing needed decoding.
///
/// Only [`BaiduNotifier::verify`] makes one, so holding a `VerifiedForm` means the platform
/// signed exactly these pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedForm<'a> {
    pairs: Vec<CowPair<'a>>,
}

impl<'a> VerifiedForm<'a> {
    /// The verified pairs.
    pub fn pairs(&self) -> &[CowPair<'a>] {
        &self.pairs
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .binary_search_by(|(k, _)| k.as_bytes().cmp(name.as_bytes()))
            .ok()
            .and_then(|i| self.pairs.get(i))
            .map(|(_, v)| v.as_ref())
    }

    /// The pairs, owned.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The pairs as they are (borrowed where possible).
    pub fn into_cow_pairs(self) -> Vec<CowPair<'a>> {
        self.pairs
    }
}

/// Which Baidu callback a body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BaiduKind {
    /// 通知支付状态.
    Payment,
    /// 请求业务方退款审核.
    RefundAudit,
    /// 通知退款状态.
    Refund,
}

/// A verified, parsed Baidu callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaiduCallback {
    /// Payment notify.
    Payment(PaymentNotification),
    /// Refund-audit request.
    RefundAudit(RefundAuditRequest),
    /// Refund notify.
    Refund(RefundNotification),
}

/// Verifies Baidu callbacks with the platform public key (平台公钥, SHA1withRSA).
///
/// The signature covers every POST field except `rsaSign`, empty values included, fields this
/// version does not know included ([`Rules::BaiduCallback`]). Pass the raw POST body only: query
/// parameters of the notify URL are never signed and must not be merged in.
///
/// **`+` in `rsaSign`.** A base64 signature contains `+`; if a proxy or the platform leaves it
/// unescaped, form decoding turns it into a space. Base64 has no spaces, so spaces in `rsaSign`
/// are read back as `+` (this cannot make a wrong signature verify: it only undoes the decoding
/// accident). If verification still fails and another field contains a literal `+`, the body is
/// decoded once more with `+` kept literal, and the callback is accepted only if the signature
/// verifies over that reading. Either way the platform's signature decides.
#[derive(Debug, Clone)]
pub struct BaiduNotifier {
    verifier: Verifier,
    max_body: usize,
}

impl BaiduNotifier {
    /// A notifier for callbacks signed by the holder of `platform_public_key`.
    pub fn new(platform_public_key: PublicKey) -> Self {
        Self {
            verifier: Verifier::new(platform_public_key, Algorithm::RsaSha1),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Sets the body cap (default 64 KiB).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Checks the content type (form, or absent) and then [`BaiduNotifier::verify`]s the body.
    ///
    /// # Errors
    /// [`NotifyError::UnsupportedContentType`], then as [`BaiduNotifier::verify`].
    pub fn verify_request<'a>(
        &self,
        content_type: Option<&str>,
        body: &'a [u8],
    ) -> Result<VerifiedForm<'a>> {
        form::check_form_content_type(content_type)?;
        self.verify(body)
    }

    /// Verifies a raw form body and returns the signed pairs.
    ///
    /// # Errors
    /// [`NotifyError::BodyTooLarge`], [`NotifyError::NotUtf8`], [`NotifyError::MalformedBody`],
    /// [`NotifyError::DuplicateParameter`], [`NotifyError::MissingSignature`],
    /// [`NotifyError::SignatureEncoding`] or [`NotifyError::BadSignature`].
    pub fn verify<'a>(&self, body: &'a [u8]) -> Result<VerifiedForm<'a>> {
        form::check_size(body, self.max_body)?;
        let mut pairs = form::decode(body)?;
        // sorted once here: the canonical string and the typed parse sort again, and a sorted
        // input makes those sorts a single linear pass
        pairs.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let sig = form::take_signature(&mut pairs, SIGNATURE)?;
        match self.check(&pairs, &sig) {
            Err(NotifyError::BadSignature) if has_literal_plus_outside_signature(body) => {
                let rewritten = plus_as_literal(body);
                let mut literal = form::decode(&rewritten)?;
                literal.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                form::take_signature(&mut literal, SIGNATURE)?;
                self.check(&literal, &sig)?;
                let pairs = literal
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                    .collect();
                Ok(VerifiedForm { pairs })
            }
            Err(e) => Err(e),
            Ok(()) => Ok(VerifiedForm { pairs }),
        }
    }

    fn check(&self, pairs: &[CowPair<'_>], sig: &str) -> Result<()> {
        // the pairs are sorted already: the canonical string is built without copying them
        canonical_string_of(Rules::BaiduCallback, pairs)
            .and_then(|s| self.verifier.verify_base64(s.as_bytes(), sig))
            .map_err(|e| NotifyError::from_crypto(e, SIGNATURE))
    }

    /// Verifies and parses a payment notify.
    ///
    /// # Errors
    /// As [`BaiduNotifier::verify`]; [`NotifyError::Invalid`] when a verified field is malformed.
    pub fn payment(&self, body: &[u8]) -> Result<PaymentNotification> {
        PaymentNotification::from_pairs(self.verify(body)?.into_cow_pairs())
            .map_err(NotifyError::Invalid)
    }

    /// Verifies and parses a refund-audit request.
    ///
    /// # Errors
    /// As [`BaiduNotifier::payment`].
    pub fn refund_audit(&self, body: &[u8]) -> Result<RefundAuditRequest> {
        RefundAuditRequest::from_pairs(self.verify(body)?.into_cow_pairs())
            .map_err(NotifyError::Invalid)
    }

    /// Verifies and parses a refund notify.
    ///
    /// # Errors
    /// As [`BaiduNotifier::payment`].
    pub fn refund(&self, body: &[u8]) -> Result<RefundNotification> {
        RefundNotification::from_pairs(self.verify(body)?.into_cow_pairs())
            .map_err(NotifyError::Invalid)
    }

    /// Verifies and parses a callback of `kind`.
    ///
    /// # Errors
    /// As [`BaiduNotifier::payment`].
    pub fn parse(&self, kind: BaiduKind, body: &[u8]) -> Result<BaiduCallback> {
        Ok(match kind {
            BaiduKind::Payment => BaiduCallback::Payment(self.payment(body)?),
            BaiduKind::RefundAudit => BaiduCallback::RefundAudit(self.refund_audit(body)?),
            BaiduKind::Refund => BaiduCallback::Refund(self.refund(body)?),
        })
    }
}

fn has_literal_plus_outside_signature(body: &[u8]) -> bool {
    body.split(|&b| b == b'&')
        .filter(|seg| !seg.starts_with(b"rsaSign="))
        .any(|seg| seg.contains(&b'+'))
}

fn plus_as_literal(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    for seg in body.split(|&b| b == b'&') {
        if !out.is_empty() {
            out.push(b'&');
        }
        if seg.starts_with(b"rsaSign=") {
            out.extend_from_slice(seg);
        } else {
            for &b in seg {
                if b == b'+' {
                    out.extend_from_slice(b"%2B");
                } else {
                    out.push(b);
                }
            }
        }
    }
    out
}

/// A difference between a payment notify and the merchant's own order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderMismatch {
    /// `tpOrderId` is not the merchant's order id.
    #[error("tpOrderId {found} is not the expected {expected}")]
    TpOrderId {
        /// The merchant's id.
        expected: TpOrderId,
        /// The notify's id.
        found: TpOrderId,
    },
    /// `totalMoney` differs from the order's amount.
    #[error("totalMoney {found} fen differs from the order's {expected} fen")]
    TotalMoney {
        /// The merchant's amount.
        expected: Fen,
        /// The notify's amount.
        found: Fen,
    },
    /// The notify does not say "paid".
    #[error("status {0} is not paid")]
    NotPaid(PayStatus),
}

/// Checks a payment notify against the merchant's order, as the docs require before delivering:
/// the same `tpOrderId`, the same `totalMoney`, and status paid.
///
/// # Errors
/// The first [`OrderMismatch`]. Answer such a notify with
/// [`PaymentAck::error_order`](baidupay_model::callback::PaymentAck::error_order) (Baidu then
/// refunds it) and alert: it means a bug or tampering upstream.
pub fn check_payment(
    notification: &PaymentNotification,
    expected_tp_order_id: &TpOrderId,
    expected_total: Fen,
) -> Result<(), OrderMismatch> {
    if &notification.tp_order_id != expected_tp_order_id {
        return Err(OrderMismatch::TpOrderId {
            expected: expected_tp_order_id.clone(),
            found: notification.tp_order_id.clone(),
        });
    }
    if notification.total_money != expected_total {
        return Err(OrderMismatch::TotalMoney {
            expected: expected_total,
            found: notification.total_money,
        });
    }
    if notification.status != PayStatus::Paid {
        return Err(OrderMismatch::NotPaid(notification.status));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_rewrite_leaves_signature_alone() {
        assert_eq!(
            plus_as_literal(b"a=1+2&rsaSign=ab+c&b=+"),
            b"a=1%2B2&rsaSign=ab+c&b=%2B".to_vec()
        );
        assert!(has_literal_plus_outside_signature(b"a=1+2&rsaSign=x"));
        assert!(!has_literal_plus_outside_signature(b"a=1&rsaSign=x+y"));
    }
}
