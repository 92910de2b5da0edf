//! Canonical "string to sign" construction for Baidu and Alipay.
//!
//! Pure functions over already-decoded `(key, value)` pairs: no URL encoding or decoding
//! happens here (form bodies are decoded once by [`crate::form::parse`]).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Which platform's rules build the canonical string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rules {
    /// Baidu (orderInfo `rsaSign`, callbacks, 1.0 APIs): drop `rsaSign`, `sign` and `sign_type`;
    /// keep empty values; sort by key bytes; raw `k=v` joined by `&`.
    Baidu,
    /// Baidu callbacks (payment, refund-audit and refund notifies): every POST field except
    /// `rsaSign`, empty values kept; sort by key bytes; raw `k=v` joined by `&`. Unlike
    /// [`Rules::Baidu`], a `sign` or `sign_type` field would be covered, so that nothing a
    /// callback carries escapes verification.
    BaiduCallback,
    /// Alipay requests and gateway messages ("V2"): drop `sign` only (`sign_type` is signed);
    /// skip empty values; sort by key bytes; raw `k=v` joined by `&`.
    Alipay,
    /// Alipay trade notifications ("V1", `trade_status_sync`): as [`Rules::Alipay`] but also
    /// drop `sign_type`.
    AlipayNotify,
    /// Alipay trade notifications as easysdk and the Node SDK sign them ("V1, empty values
    /// kept"): drop `sign` and `sign_type` only; keep empty values; sort by key bytes; raw
    /// `k=v` joined by `&`. Every other field, whatever its name, is covered.
    AlipayNotifyKeepEmpty,
}

impl Rules {
    /// The parameter names left out of the canonical string.
    pub fn excluded(self) -> &'static [&'static str] {
        match self {
            Self::Baidu => &["rsaSign", "sign", "sign_type"],
            Self::BaiduCallback => &["rsaSign"],
            Self::Alipay => &["sign"],
            Self::AlipayNotify | Self::AlipayNotifyKeepEmpty => &["sign", "sign_type"],
        }
    }

    /// Whether parameters with an empty value take part.
    pub fn keeps_empty_values(self) -> bool {
        matches!(
            self,
            Self::Baidu | Self::BaiduCallback | Self::AlipayNotifyKeepEmpty
        )
    }

    /// The signature algorithm these rules use by default (`rsa-sha1` for Baidu, `rsa-sha256`
    /// for Alipay).
    pub fn default_algorithm(self) -> crate::Algorithm {
        match self {
            Self::Baidu | Self::BaiduCallback => crate::Algorithm::RsaSha1,
            Self::Alipay | Self::AlipayNotify | Self::AlipayNotifyKeepEmpty => {
                crate::Algorithm::RsaSha256
            }
        }
    }

    /// The command-line name: `baidu`, `baidu-callback`, `alipay`, `alipay-notify` or
    /// `alipay-notify-keep-empty`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Baidu => "baidu",
            Self::BaiduCallback => "baidu-callback",
            Self::Alipay => "alipay",
            Self::AlipayNotify => "alipay-notify",
            Self::AlipayNotifyKeepEmpty => "alipay-notify-keep-empty",
        }
    }
}

impl fmt::Display for Rules {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Rules`] or [`crate::Algorithm`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`: expected one of {expected}")]
pub struct ParseNameError {
    what: &'static str,
    given: String,
    expected: &'static str,
}

impl ParseNameError {
    pub(crate) fn new(what: &'static str, given: &str, expected: &'static str) -> Self {
        Self {
            what,
            given: given.to_owned(),
            expected,
        }
    }
}

impl FromStr for Rules {
    type Err = ParseNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "baidu" => Ok(Self::Baidu),
            "baidu-callback" => Ok(Self::BaiduCallback),
            "alipay" => Ok(Self::Alipay),
            "alipay-notify" => Ok(Self::AlipayNotify),
            "alipay-notify-keep-empty" => Ok(Self::AlipayNotifyKeepEmpty),
            _ => Err(ParseNameError::new(
                "rules",
                s,
                "baidu, baidu-callback, alipay, alipay-notify, alipay-notify-keep-empty",
            )),
        }
    }
}

/// Builds the canonical string of `params` under `rules`.
///
/// Keys are compared as bytes; values are used exactly as given.
///
/// # Errors
/// [`Error::DuplicateParameter`] when a key appears more than once (signed or not): the
/// platforms never send duplicates, so a duplicate is treated as tampering, not silently picked.
///
/// # Examples
/// ```
/// use baidupay_crypto::{Rules, canonical_string};
/// let s = canonical_string(
///     Rules::Baidu,
///     [("tpOrderId", "3028903626"), ("appKey", "MMMabc"), ("rsaSign", "x"), ("promoDetail", "")],
/// )?;
/// assert_eq!(s, "appKey=MMMabc&promoDetail=&tpOrderId=3028903626");
/// # Ok::<(), baidupay_crypto::Error>(())
/// ```
pub fn canonical_string<I, K, V>(rules: Rules, params: I) -> Result<String>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    // one allocation for the pairs (sorted in place) and one for the output
    let mut pairs: Vec<(K, V)> = params.into_iter().collect();
    if !strictly_increasing(&pairs) {
        pairs.sort_unstable_by(|a, b| a.0.as_ref().as_bytes().cmp(b.0.as_ref().as_bytes()));
        if let Some(w) = pairs
            .windows(2)
            .find(|w| matches!(w, [a, b] if a.0.as_ref() == b.0.as_ref()))
        {
            let key = w.first().map(|p| p.0.as_ref()).unwrap_or_default();
            return Err(Error::DuplicateParameter {
                key: key.to_owned(),
            });
        }
    }
    join(rules, &pairs)
}

/// Whether the keys are sorted by bytes with no duplicates (one comparison per pair).
fn strictly_increasing<K: AsRef<str>, V>(pairs: &[(K, V)]) -> bool {
    pairs
        .windows(2)
        .all(|w| matches!(w, [a, b] if a.0.as_ref().as_bytes() < b.0.as_ref().as_bytes()))
}

/// [`canonical_string`] of a slice, without copying it when its keys are already sorted and
/// distinct (as a decoded Baidu callback body usually is); otherwise exactly
/// [`canonical_string`].
///
/// # Errors
/// [`Error::DuplicateParameter`], as [`canonical_string`].
pub fn canonical_string_of<K, V>(rules: Rules, pairs: &[(K, V)]) -> Result<String>
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    if strictly_increasing(pairs) {
        return join(rules, pairs);
    }
    canonical_string(rules, pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
}

/// Joins sorted, distinct pairs under `rules`.
fn join<K: AsRef<str>, V: AsRef<str>>(rules: Rules, pairs: &[(K, V)]) -> Result<String> {
    let excluded = rules.excluded();
    let keep_empty = rules.keeps_empty_values();
    let mut out = String::with_capacity(
        pairs
            .iter()
            .map(|(k, v)| k.as_ref().len() + v.as_ref().len() + 2)
            .sum::<usize>(),
    );
    for (k, v) in pairs {
        let (k, v) = (k.as_ref(), v.as_ref());
        if excluded.contains(&k) || (!keep_empty && v.is_empty()) {
            continue;
        }
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baidu_callback_covers_everything_but_rsa_sign() {
        let s = canonical_string(
            Rules::BaiduCallback,
            [("b", ""), ("rsaSign", "x"), ("sign", "y"), ("a", "1")],
        )
        .unwrap();
        assert_eq!(s, "a=1&b=&sign=y");
        assert_eq!("baidu-callback".parse::<Rules>(), Ok(Rules::BaiduCallback));
    }

    #[test]
    fn alipay_notify_keep_empty_drops_only_sign_and_sign_type() {
        let s = canonical_string(
            Rules::AlipayNotifyKeepEmpty,
            [
                ("b", ""),
                ("rsaSign", "x"),
                ("sign", "y"),
                ("sign_type", "RSA2"),
                ("a", "1"),
            ],
        )
        .unwrap();
        assert_eq!(s, "a=1&b=&rsaSign=x");
        for rules in [
            Rules::Baidu,
            Rules::BaiduCallback,
            Rules::Alipay,
            Rules::AlipayNotify,
            Rules::AlipayNotifyKeepEmpty,
        ] {
            assert_eq!(rules.name().parse::<Rules>(), Ok(rules));
        }
    }

    #[test]
    fn baidu_keeps_empty_and_drops_signature_fields() {
        let s = canonical_string(
            Rules::Baidu,
            [
                ("b", ""),
                ("a", "1"),
                ("rsaSign", "x"),
                ("sign", "y"),
                ("sign_type", "RSA"),
            ],
        )
        .unwrap();
        assert_eq!(s, "a=1&b=");
    }

    #[test]
    fn alipay_keeps_sign_type_and_skips_empty() {
        let p = [
            ("sign_type", "RSA2"),
            ("app_id", "1"),
            ("sign", "x"),
            ("empty", ""),
        ];
        assert_eq!(
            canonical_string(Rules::Alipay, p).unwrap(),
            "app_id=1&sign_type=RSA2"
        );
        assert_eq!(
            canonical_string(Rules::AlipayNotify, p).unwrap(),
            "app_id=1"
        );
    }

    #[test]
    fn keys_sort_by_bytes_not_by_pairs() {
        // Sorting "k=v" strings would put "a1=..." before "a=..." ('1' < '='); keys sort "a" first.
        let s = canonical_string(Rules::Alipay, [("a1", "x"), ("a", "y"), ("B", "z")]).unwrap();
        assert_eq!(s, "B=z&a=y&a1=x");
    }

    #[test]
    fn duplicates_are_errors_even_for_excluded_keys() {
        let err = canonical_string(Rules::Baidu, [("a", "1"), ("a", "1")]).unwrap_err();
        assert!(matches!(err, Error::DuplicateParameter { key } if key == "a"));
        let err = canonical_string(Rules::Baidu, [("rsaSign", "1"), ("rsaSign", "2")]).unwrap_err();
        assert!(matches!(err, Error::DuplicateParameter { key } if key == "rsaSign"));
    }

    #[test]
    fn values_are_raw() {
        let s = canonical_string(Rules::Baidu, [("j", "{\"a\":\"b c/d\"}"), ("z", "%7B")]).unwrap();
        assert_eq!(s, "j={\"a\":\"b c/d\"}&z=%7B");
    }

    #[test]
    fn names_parse() {
        for r in [Rules::Baidu, Rules::Alipay, Rules::AlipayNotify] {
            assert_eq!(r.name().parse::<Rules>().unwrap(), r);
        }
        assert!("Baidu".parse::<Rules>().is_err());
    }
}
