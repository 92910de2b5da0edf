//! Exact money: integer fen for Baidu, two-decimal yuan strings for Alipay.
//!
//! No floating point is ever involved. Baidu sends amounts as JSON numbers or numeric strings
//! (`"totalAmount":"11300"`, `"refundPayMoney":9800`); [`Fen`] reads both and refuses
//! fractions, signs, exponents and anything that does not fit a `u64`. Alipay sends amounts as
//! strings with exactly two decimals (`"88.88"`); [`Yuan`] and [`YuanAmount`] parse them into
//! fen and print them back byte for byte.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::error::{Error, Result};

/// An amount in fen (分, 1/100 yuan), the unit of every Baidu amount.
///
/// Serializes as a JSON number; deserializes from a number or a string of decimal digits.
/// Arithmetic is checked only: there is no `Add` that could overflow silently.
///
/// ```
/// use baidupay_model::Fen;
/// let total: Fen = "11300".parse()?;
/// assert_eq!(total, Fen::new(11300));
/// assert_eq!(total.checked_sub(Fen::new(1300)), Some(Fen::new(10000)));
/// assert_eq!(total.to_yuan_string(), "113.00");
/// assert!("113.00".parse::<Fen>().is_err());
/// # Ok::<(), baidupay_model::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(u64);

impl Fen {
    /// Zero fen.
    pub const ZERO: Fen = Fen(0);

    /// An amount of `fen` fen.
    pub const fn new(fen: u64) -> Self {
        Self(fen)
    }

    /// The amount in fen.
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: Fen) -> Option<Fen> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// `self - other`, or `None` when `other` is larger.
    pub const fn checked_sub(self, other: Fen) -> Option<Fen> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// `self * n` (e.g. unit price times count), or `None` on overflow.
    pub const fn checked_mul(self, n: u64) -> Option<Fen> {
        match self.0.checked_mul(n) {
            Some(v) => Some(Fen(v)),
            None => None,
        }
    }

    /// The sum of `amounts`.
    ///
    /// # Errors
    /// [`Error::AmountOutOfRange`] when the sum does not fit a `u64`.
    pub fn try_sum(amounts: impl IntoIterator<Item = Fen>) -> Result<Fen> {
        let mut total = Fen::ZERO;
        for a in amounts {
            total = total
                .checked_add(a)
                .ok_or_else(|| Error::AmountOutOfRange {
                    op: format!("{} + {} fen", total.0, a.0),
                })?;
        }
        Ok(total)
    }

    /// The amount as a yuan string with two decimals (`11300` fen -> `"113.00"`), for display.
    pub fn to_yuan_string(self) -> String {
        format!("{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

impl From<u64> for Fen {
    fn from(fen: u64) -> Self {
        Self(fen)
    }
}

impl From<Fen> for u64 {
    fn from(fen: Fen) -> Self {
        fen.0
    }
}

impl fmt::Display for Fen {
    /// Prints the integer number of fen, as the platforms expect it (`11300`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Parses decimal digits without sign, leading zeros (except `"0"`), spaces or fraction.
pub(crate) fn parse_digits_u64(s: &str) -> std::result::Result<u64, &'static str> {
    if s.is_empty() {
        return Err("empty");
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err("only decimal digits are allowed (no sign, spaces, decimal point or exponent)");
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err("leading zeros are not allowed");
    }
    s.parse::<u64>().map_err(|_| "does not fit in 64 bits")
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

impl FromStr for Fen {
    type Err = Error;

    /// Parses an integer number of fen (`"11300"`).
    fn from_str(s: &str) -> Result<Self> {
        parse_digits_u64(s)
            .map(Fen)
            .map_err(|reason| Error::InvalidAmount {
                input: truncate(s),
                reason,
            })
    }
}

impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

struct FenVisitor;

impl Visitor<'_> for FenVisitor {
    type Value = Fen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer amount in fen, as a number or a string of digits")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Fen, E> {
        Ok(Fen(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Fen, E> {
        u64::try_from(v)
            .map(Fen)
            .map_err(|_| E::custom(format_args!("negative amount {v} fen")))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Fen, E> {
        Err(E::custom(format_args!(
            "amount {v} is not an integer number of fen"
        )))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Fen, E> {
        v.parse::<Fen>().map_err(E::custom)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(FenVisitor)
    }
}

/// The largest amount Alipay accepts: 100 000 000.00 yuan, in fen.
const YUAN_MAX_FEN: u64 = 10_000_000_000;

/// Parses `^(0|[1-9][0-9]*)\.[0-9]{2}$` into fen, exactly.
fn parse_yuan(s: &str) -> std::result::Result<u64, &'static str> {
    let Some((int, frac)) = s.split_once('.') else {
        return Err("expected yuan with exactly two decimals, e.g. \"88.88\"");
    };
    if frac.len() != 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err("expected exactly two decimal digits after the point, e.g. \"88.80\"");
    }
    let yuan = parse_digits_u64(int)?;
    let cents = frac
        .bytes()
        .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
    yuan.checked_mul(100)
        .and_then(|v| v.checked_add(cents))
        .ok_or("does not fit in 64 bits")
}

fn format_yuan(fen: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}.{:02}", fen / 100, fen % 100)
}

/// A payable Alipay amount: yuan with exactly two decimals in [0.01, 100000000.00].
///
/// This is what `total_amount` and `refund_amount` must be. Parsing is exact (`"88.88"` is
/// 8888 fen) and printing gives back the same bytes. `"88.8"`, `"1e3"`, `"-1"`, `"0.001"`,
/// `"088.88"` and `"0.00"` are rejected. Serializes as a JSON string.
///
/// ```
/// use baidupay_model::{Fen, Yuan};
/// let a: Yuan = "88.88".parse()?;
/// assert_eq!(a.fen(), Fen::new(8888));
/// assert_eq!(a.to_string(), "88.88");
/// assert!("88.8".parse::<Yuan>().is_err());
/// assert_eq!(Yuan::from_fen(Fen::new(1))?.to_string(), "0.01");
/// # Ok::<(), baidupay_model::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Yuan(u64);

impl Yuan {
    /// The smallest payable amount, 0.01 yuan.
    pub const MIN: Yuan = Yuan(1);
    /// The largest payable amount, 100000000.00 yuan.
    pub const MAX: Yuan = Yuan(YUAN_MAX_FEN);

    /// The amount of `fen` fen.
    ///
    /// # Errors
    /// [`Error::InvalidAmount`] when outside [0.01, 100000000.00] yuan.
    pub fn from_fen(fen: Fen) -> Result<Self> {
        Self::check(fen.0, || fen.to_yuan_string())
    }

    fn check(fen: u64, input: impl FnOnce() -> String) -> Result<Self> {
        if fen == 0 {
            return Err(Error::InvalidAmount {
                input: input(),
                reason: "Alipay amounts must be at least 0.01",
            });
        }
        if fen > YUAN_MAX_FEN {
            return Err(Error::InvalidAmount {
                input: input(),
                reason: "Alipay amounts must be at most 100000000.00",
            });
        }
        Ok(Self(fen))
    }

    /// The amount in fen.
    pub const fn fen(self) -> Fen {
        Fen(self.0)
    }

    /// `self + other`, or `None` when the sum exceeds [`Yuan::MAX`].
    pub fn checked_add(self, other: Yuan) -> Option<Yuan> {
        self.0
            .checked_add(other.0)
            .filter(|v| *v <= YUAN_MAX_FEN)
            .map(Yuan)
    }

    /// `self - other`, or `None` when the result would be below [`Yuan::MIN`].
    pub fn checked_sub(self, other: Yuan) -> Option<Yuan> {
        self.0.checked_sub(other.0).filter(|v| *v > 0).map(Yuan)
    }
}

impl FromStr for Yuan {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let fen = parse_yuan(s).map_err(|reason| Error::InvalidAmount {
            input: truncate(s),
            reason,
        })?;
        Self::check(fen, || truncate(s))
    }
}

impl TryFrom<Fen> for Yuan {
    type Error = Error;

    fn try_from(fen: Fen) -> Result<Self> {
        Self::from_fen(fen)
    }
}

impl From<Yuan> for Fen {
    fn from(y: Yuan) -> Self {
        Fen(y.0)
    }
}

impl fmt::Display for Yuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_yuan(self.0, f)
    }
}

/// An amount Alipay reports: yuan with exactly two decimals, zero allowed (`"0.00"`).
///
/// Response and notify fields such as `point_amount`, `refund_fee` or `send_back_fee` may be
/// zero; use [`Yuan`] for what the merchant sends. Same exact parsing and printing as
/// [`Yuan`], no upper bound beyond `u64` fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct YuanAmount(u64);

impl YuanAmount {
    /// Zero yuan (`"0.00"`).
    pub const ZERO: YuanAmount = YuanAmount(0);

    /// The amount of `fen` fen.
    pub const fn from_fen(fen: Fen) -> Self {
        Self(fen.0)
    }

    /// The amount in fen.
    pub const fn fen(self) -> Fen {
        Fen(self.0)
    }
}

impl FromStr for YuanAmount {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        parse_yuan(s)
            .map(YuanAmount)
            .map_err(|reason| Error::InvalidAmount {
                input: truncate(s),
                reason,
            })
    }
}

impl From<Yuan> for YuanAmount {
    fn from(y: Yuan) -> Self {
        Self(y.0)
    }
}

impl fmt::Display for YuanAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        format_yuan(self.0, f)
    }
}

/// A signed yuan amount with exactly two decimals, as Baidu's TP finance reports send them
/// (`"-0.01"` for a commission, `"0.32"` for income). Parsed exactly into fen and printed back
/// byte for byte (including `"-0.00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SignedYuan {
    fen: i64,
    negative_zero: bool,
}

impl SignedYuan {
    /// The amount in fen (negative for outgoing money).
    pub const fn fen(self) -> i64 {
        self.fen
    }

    /// An amount of `fen` fen.
    pub const fn from_fen(fen: i64) -> Self {
        Self {
            fen,
            negative_zero: false,
        }
    }
}

impl FromStr for SignedYuan {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let (neg, body) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let err = |reason| Error::InvalidAmount {
            input: truncate(s),
            reason,
        };
        let fen = parse_yuan(body).map_err(err)?;
        let fen = i64::try_from(fen).map_err(|_| err("does not fit in 64 bits"))?;
        Ok(Self {
            fen: if neg { -fen } else { fen },
            negative_zero: neg && fen == 0,
        })
    }
}

impl fmt::Display for SignedYuan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fen < 0 || self.negative_zero {
            f.write_str("-")?;
        }
        format_yuan(self.fen.unsigned_abs(), f)
    }
}

macro_rules! yuan_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $t;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a yuan amount string with two decimals, e.g. \"88.88\"")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<$t, E> {
                        v.parse::<$t>().map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

yuan_serde!(Yuan);
yuan_serde!(YuanAmount);
yuan_serde!(SignedYuan);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_parses_digits_only() {
        assert_eq!("0".parse::<Fen>(), Ok(Fen(0)));
        assert_eq!("11300".parse::<Fen>(), Ok(Fen(11300)));
        for bad in [
            "",
            "-1",
            "+1",
            "1.0",
            "1e3",
            " 1",
            "1 ",
            "01",
            "18446744073709551616",
        ] {
            assert!(bad.parse::<Fen>().is_err(), "{bad:?} accepted");
        }
        assert_eq!(
            "18446744073709551615".parse::<Fen>(),
            Ok(Fen(u64::MAX)),
            "u64::MAX is representable"
        );
    }

    #[test]
    fn fen_json_number_or_string() {
        let a: Fen = serde_json::from_str("9800").unwrap();
        let b: Fen = serde_json::from_str("\"9800\"").unwrap();
        assert_eq!(a, b);
        assert_eq!(serde_json::to_string(&a).unwrap(), "9800");
        for bad in ["-1", "98.0", "\"98.00\"", "true", "null", "\"\"", "1e2"] {
            assert!(serde_json::from_str::<Fen>(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn fen_checked_arithmetic() {
        assert_eq!(Fen(u64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(1).checked_sub(Fen(2)), None);
        assert_eq!(Fen(800).checked_mul(2), Some(Fen(1600)));
        assert_eq!(Fen(u64::MAX).checked_mul(2), None);
        assert_eq!(Fen::try_sum([Fen(1), Fen(2)]), Ok(Fen(3)));
        assert!(matches!(
            Fen::try_sum([Fen(u64::MAX), Fen(1)]),
            Err(Error::AmountOutOfRange { .. })
        ));
        assert_eq!(Fen(1).to_yuan_string(), "0.01");
        assert_eq!(Fen(0).to_yuan_string(), "0.00");
    }

    #[test]
    fn yuan_exact_and_strict() {
        assert_eq!("88.88".parse::<Yuan>().map(Yuan::fen), Ok(Fen(8888)));
        assert_eq!("0.01".parse::<Yuan>().map(Yuan::fen), Ok(Fen(1)));
        assert_eq!(
            "100000000.00".parse::<Yuan>().map(Yuan::fen),
            Ok(Fen(YUAN_MAX_FEN))
        );
        for bad in [
            "88.8",
            "1e3",
            "-1",
            "0.001",
            "0.00",
            "100000000.01",
            "088.88",
            "88",
            "88.",
            ".88",
            " 88.88",
            "88.88 ",
            "+88.88",
            "88,88",
            "８８.８８",
            "",
            "1.2e1",
        ] {
            assert!(bad.parse::<Yuan>().is_err(), "{bad:?} accepted");
        }
        assert_eq!("0.00".parse::<YuanAmount>(), Ok(YuanAmount(0)));
        for s in ["-0.01", "0.32", "-0.00", "0.00", "-12.30"] {
            assert_eq!(s.parse::<SignedYuan>().unwrap().to_string(), s);
        }
        assert_eq!("-0.01".parse::<SignedYuan>().map(SignedYuan::fen), Ok(-1));
        for bad in ["--1.00", "-", "-0.1", "+1.00", "1.000"] {
            assert!(bad.parse::<SignedYuan>().is_err(), "{bad}");
        }
        assert!("0.0".parse::<YuanAmount>().is_err());
    }

    #[test]
    fn yuan_serde_is_a_string() {
        let y: Yuan = serde_json::from_str("\"0.10\"").unwrap();
        assert_eq!(serde_json::to_string(&y).unwrap(), "\"0.10\"");
        assert!(
            serde_json::from_str::<Yuan>("0.1").is_err(),
            "a JSON number is lossy"
        );
        assert_eq!(Yuan::MAX.checked_add(Yuan::MIN), None);
        assert_eq!(Yuan::MIN.checked_sub(Yuan::MIN), None);
        assert!(Yuan::from_fen(Fen(0)).is_err());
    }
}
