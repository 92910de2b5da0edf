//! Alipay asynchronous notifications (异步通知), alipay-jsapi.md section 4.

use baidupay_crypto::form::CowPair;
use baidupay_crypto::{Algorithm, PublicKey, Rules, Verifier, canonical_string};
use baidupay_model::alipay::TradeNotification;
use baidupay_model::{AlipayUserId, OutTradeNo, Yuan};

use crate::error::{NotifyError, Result};
use crate::form::{self, Charset, DEFAULT_MAX_BODY};

const SIGNATURE: &str = "sign";

/// The exact body that acknowledges an Alipay notify: the 7 characters `success`.
pub const ALIPAY_ACK: &str = "success";

/// Which canonical string the signature verified over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AlipayVariant {
    /// Trade notifies (Java `rsaCheckV1`): `sign` and `sign_type` removed, empty values dropped.
    V1,
    /// Gateway and event messages (Java `rsaCheckV2`): only `sign` removed.
    V2,
    /// As V1, but with `alipay_cert_sn` also removed (cert-mode notifies, smartwalle).
    V1WithoutCertSn,
    /// As V1, but empty values kept (easysdk and the Node SDK).
    V1KeepEmpty,
}

/// Notify pairs whose Alipay signature verified, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAlipayForm {
    pairs: Vec<(String, String)>,
    variant: AlipayVariant,
    algorithm: Algorithm,
    charset: Charset,
}

impl VerifiedAlipayForm {
    /// The pairs the signature covers (plus `sign_type`, which only chose the algorithm).
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The canonical-string variant that verified.
    pub fn variant(&self) -> AlipayVariant {
        self.variant
    }

    /// RSA2 (SHA256withRSA) or legacy RSA (SHA1withRSA).
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The charset the body declared (`charset`), in which the signature verified and the
    /// values were decoded.
    pub fn charset(&self) -> Charset {
        self.charset
    }

    /// The value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs, owned.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }
}

/// Verifies Alipay notifies with the Alipay public key (not the app's own key).
///
/// The body is form-decoded exactly once and values are used verbatim (`fund_bill_list` stays
/// the JSON text received; `passback_params` keeps the percent-encoding that survives one
/// decode). `sign_type` picks the algorithm (`RSA2`, or legacy `RSA`; absent means RSA2). The
/// trade-notify rules (V1) are tried first, then the gateway-message rules (V2), then two
/// variants seen in the wild (see [`AlipayVariant`]); every attempt is a full signature check,
/// and only the fields the verifying variant covers are returned. A `+` that arrived as a space
/// in `sign` is restored (base64 has no spaces).
///
/// The body's `charset` field says how its values are encoded (the charset the app is
/// registered with): absent or `utf-8` is UTF-8; `GBK` and `GB2312` bodies are percent-encoded
/// GBK bytes, and the signature covers the canonical string encoded in GBK: it is verified over
/// exactly those bytes, then the values are decoded to `String`s. A name or value that is not
/// valid in the declared charset is refused ([`NotifyError::NotInCharset`], naming the field),
/// never replaced; any other charset is refused ([`NotifyError::UnsupportedCharset`]).
#[derive(Debug, Clone)]
pub struct AlipayNotifier {
    rsa2: Verifier,
    rsa1: Verifier,
    max_body: usize,
}

impl AlipayNotifier {
    /// A notifier for notifies signed by the holder of `alipay_public_key` (in certificate mode:
    /// the public key of the Alipay certificate).
    pub fn new(alipay_public_key: PublicKey) -> Self {
        Self {
            rsa2: Verifier::new(alipay_public_key.clone(), Algorithm::RsaSha256),
            rsa1: Verifier::new(alipay_public_key, Algorithm::RsaSha1),
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Sets the body cap (default 64 KiB).
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// Checks the content type (form, or absent) and then verifies the body.
    ///
    /// # Errors
    /// [`NotifyError::UnsupportedContentType`], then as [`AlipayNotifier::verify`].
    pub fn verify_request(
        &self,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<VerifiedAlipayForm> {
        form::check_form_content_type(content_type)?;
        self.verify(body)
    }

    /// Verifies a raw notify body.
    ///
    /// # Errors
    /// [`NotifyError::BodyTooLarge`], [`NotifyError::UnsupportedCharset`],
    /// [`NotifyError::NotInCharset`], [`NotifyError::MalformedBody`],
    /// [`NotifyError::DuplicateParameter`], [`NotifyError::MissingSignature`],
    /// [`NotifyError::SignatureEncoding`], [`NotifyError::UnsupportedSignType`] or
    /// [`NotifyError::BadSignature`].
    pub fn verify(&self, body: &[u8]) -> Result<VerifiedAlipayForm> {
        form::check_size(body, self.max_body)?;
        // UTF-8 first (nearly every notify): one decode, borrowing what needs no decoding.
        match form::decode(body) {
            Ok(pairs) => match form::declared_charset(
                pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())),
            )? {
                Charset::Utf8 => self.verify_pairs(pairs, Charset::Utf8),
                // another charset whose bytes happen to be valid UTF-8: decode them as declared
                other => {
                    let raw = form::decode_bytes(body)?;
                    self.verify_pairs(form::decode_in(raw, other)?, other)
                }
            },
            Err(NotifyError::NotUtf8 { .. }) => {
                let raw = form::decode_bytes(body)?;
                let charset =
                    form::declared_charset(raw.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))?;
                // for a UTF-8 body this names the field that is not UTF-8
                self.verify_pairs(form::decode_in(raw, charset)?, charset)
            }
            Err(e) => Err(e),
        }
    }

    /// Verifies pairs decoded from a body in `charset`: the canonical string, encoded in
    /// `charset`, is what Alipay signed.
    fn verify_pairs(
        &self,
        mut pairs: Vec<CowPair<'_>>,
        charset: Charset,
    ) -> Result<VerifiedAlipayForm> {
        let sig = form::take_signature(&mut pairs, SIGNATURE)?;
        let sign_type = pairs
            .iter()
            .find(|(k, _)| k == "sign_type")
            .map(|(_, v)| v.as_ref());
        let (verifier, algorithm) = match sign_type {
            None | Some("RSA2") => (&self.rsa2, Algorithm::RsaSha256),
            Some("RSA") => (&self.rsa1, Algorithm::RsaSha1),
            Some(other) => {
                return Err(NotifyError::UnsupportedSignType {
                    found: other.chars().take(16).collect(),
                });
            }
        };
        let check = |rules: Rules, covered: &mut dyn Iterator<Item = (&str, &str)>| {
            let content = canonical_string(rules, covered)
                .map_err(|e| NotifyError::from_crypto(e, SIGNATURE))?;
            // every value was decoded from `charset`, so it encodes back to the bytes received
            let bytes = charset.encode(&content).ok_or(NotifyError::BadSignature)?;
            verifier
                .verify_base64(&bytes, &sig)
                .map_err(|e| NotifyError::from_crypto(e, SIGNATURE))
        };
        let has_cert_sn = pairs.iter().any(|(k, _)| k == "alipay_cert_sn");
        let has_empty = pairs.iter().any(|(_, v)| v.is_empty());
        for variant in [
            AlipayVariant::V1,
            AlipayVariant::V2,
            AlipayVariant::V1WithoutCertSn,
            AlipayVariant::V1KeepEmpty,
        ] {
            let covered: Vec<&CowPair<'_>> = match variant {
                AlipayVariant::V1WithoutCertSn if !has_cert_sn => continue,
                AlipayVariant::V1KeepEmpty if !has_empty => continue,
                AlipayVariant::V1WithoutCertSn => pairs
                    .iter()
                    .filter(|(k, _)| k != "alipay_cert_sn")
                    .collect(),
                _ => pairs.iter().collect(),
            };
            let all = covered.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
            let result = match variant {
                AlipayVariant::V2 => check(Rules::Alipay, &mut all.clone()),
                // Everything but sign/sign_type, empties kept. (Not Baidu's callback rules
                // less sign_type: they also leave out a field named `rsaSign`, which would
                // then be returned as verified without being signed.)
                AlipayVariant::V1KeepEmpty => check(Rules::AlipayNotifyKeepEmpty, &mut all.clone()),
                _ => check(Rules::AlipayNotify, &mut all.clone()),
            };
            match result {
                Ok(()) => {
                    let keep_empty = variant == AlipayVariant::V1KeepEmpty;
                    let pairs = covered
                        .into_iter()
                        .filter(|(k, v)| keep_empty || !v.is_empty() || k == "sign_type")
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                    return Ok(VerifiedAlipayForm {
                        pairs,
                        variant,
                        algorithm,
                        charset,
                    });
                }
                Err(NotifyError::BadSignature) => {}
                Err(e) => return Err(e),
            }
        }
        Err(NotifyError::BadSignature)
    }

    /// Verifies and parses a trade notify (`trade_status_sync`).
    ///
    /// # Errors
    /// As [`AlipayNotifier::verify`]; [`NotifyError::Invalid`] when a verified field is
    /// malformed or missing (a gateway message is not a trade notify).
    pub fn trade(&self, body: &[u8]) -> Result<TradeNotification> {
        TradeNotification::from_pairs(self.verify(body)?.into_pairs()).map_err(NotifyError::Invalid)
    }
}

/// What the merchant expects of a trade notify (alipay-jsapi.md 4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedTrade {
    /// The merchant's own app id.
    pub app_id: String,
    /// The order the merchant created.
    pub out_trade_no: OutTradeNo,
    /// The order's amount at creation.
    pub total_amount: Yuan,
    /// The seller the order was created for, when the merchant has several.
    pub seller_id: Option<AlipayUserId>,
}

/// A difference between a trade notify and the merchant's order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TradeMismatch {
    /// Another app's notify.
    #[error("app_id {found} is not this app ({expected})")]
    AppId {
        /// The merchant's app id.
        expected: String,
        /// The notify's.
        found: String,
    },
    /// Not the merchant's order.
    #[error("out_trade_no {found} is not the expected {expected}")]
    OutTradeNo {
        /// The merchant's.
        expected: OutTradeNo,
        /// The notify's.
        found: OutTradeNo,
    },
    /// The amount differs.
    #[error("total_amount {found} differs from the order's {expected}")]
    TotalAmount {
        /// The merchant's.
        expected: Yuan,
        /// The notify's.
        found: Yuan,
    },
    /// Another seller (or none given).
    #[error("seller_id {found:?} is not the expected {expected}")]
    SellerId {
        /// The merchant's.
        expected: AlipayUserId,
        /// The notify's.
        found: Option<AlipayUserId>,
    },
}

/// Checks a verified trade notify against the merchant's order: app_id, out_trade_no,
/// total_amount and (when given) seller_id, in that order.
///
/// # Errors
/// The first [`TradeMismatch`]: ignore such a notify (answer `success` only after recording
/// it as abnormal) and alert.
pub fn check_trade(n: &TradeNotification, expected: &ExpectedTrade) -> Result<(), TradeMismatch> {
    if n.app_id != expected.app_id {
        return Err(TradeMismatch::AppId {
            expected: expected.app_id.clone(),
            found: n.app_id.clone(),
        });
    }
    if n.out_trade_no != expected.out_trade_no {
        return Err(TradeMismatch::OutTradeNo {
            expected: expected.out_trade_no.clone(),
            found: n.out_trade_no.clone(),
        });
    }
    if n.total_amount != expected.total_amount {
        return Err(TradeMismatch::TotalAmount {
            expected: expected.total_amount,
            found: n.total_amount,
        });
    }
    if let Some(seller) = &expected.seller_id
        && n.seller_id.as_ref() != Some(seller)
    {
        return Err(TradeMismatch::SellerId {
            expected: seller.clone(),
            found: n.seller_id.clone(),
        });
    }
    Ok(())
}
