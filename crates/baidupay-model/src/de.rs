//! Serde helpers for fields the platforms send inconsistently.
//!
//! Baidu sends some numbers as strings and some strings as numbers depending on the endpoint
//! and the SDK that documented it (`appKey`, `dealId`, `refundBatchId`, `refundPayMoney`), and
//! sometimes `null` where a list is expected. These helpers are lenient in exactly those ways
//! and no further: a fractional or negative number is still an error. Use them with
//! `#[serde(deserialize_with = "...")]`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::Serializer;

struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer, as a number or a string of digits")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format_args!("negative value {v}")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        Err(E::custom(format_args!("{v} is not an integer")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        crate::money::parse_digits_u64(v).map_err(|r| E::custom(format_args!("{v:?}: {r}")))
    }
}

struct I64Visitor;

impl Visitor<'_> for I64Visitor {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer, as a number or a string")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format_args!("{v} does not fit in i64")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        Err(E::custom(format_args!("{v} is not an integer")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        let digits = v.strip_prefix('-').unwrap_or(v);
        crate::money::parse_digits_u64(digits)
            .map_err(|r| E::custom(format_args!("{v:?}: {r}")))?;
        v.parse::<i64>()
            .map_err(|_| E::custom(format_args!("{v:?} does not fit in i64")))
    }
}

struct StringVisitor;

impl Visitor<'_> for StringVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an integer")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Err(E::custom(format_args!(
            "{v} is not an integer (a fractional number where an identifier was expected)"
        )))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

/// A non-negative integer sent as a number or a string of digits.
///
/// # Errors
/// Negative, fractional, non-digit strings, or values over `u64::MAX`.
pub fn u64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(U64Visitor)
}

/// An integer sent as a number or a string (`"-1"` allowed).
///
/// # Errors
/// Fractional numbers, non-numeric strings, or values outside `i64`.
pub fn i64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(I64Visitor)
}

/// A string that is sometimes sent as a JSON integer (kept as its decimal text).
///
/// # Errors
/// Anything other than a string or an integer.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    d.deserialize_any(StringVisitor)
}

/// Like [`u64_or_string`], with `null`, a missing field (use `#[serde(default)]`) or `""`
/// read as `None`.
///
/// # Errors
/// As [`u64_or_string`].
pub fn opt_u64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(v) => u64_or_string(v).map(Some).map_err(de::Error::custom),
    }
}

/// Like [`i64_or_string`], with `null`, a missing field or `""` read as `None`.
///
/// # Errors
/// As [`i64_or_string`].
pub fn opt_i64_or_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) if s.is_empty() => Ok(None),
        Some(v) => i64_or_string(v).map(Some).map_err(de::Error::custom),
    }
}

/// Like [`string_or_number`], with `null` or a missing field read as `None`.
///
/// # Errors
/// As [`string_or_number`].
pub fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => string_or_number(v).map(Some).map_err(de::Error::custom),
    }
}

/// `null` read as `T::default()` (an empty list, an empty string); use with `#[serde(default)]`
/// so that a missing field is the default too.
///
/// # Errors
/// Whatever `T` refuses.
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Serializes any `Display` value as a JSON string (`"470193086"` for a numeric id where the
/// front end expects text).
///
/// # Errors
/// Whatever the serializer refuses.
pub fn display_as_string<T: fmt::Display, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct T {
        #[serde(deserialize_with = "super::u64_or_string")]
        a: u64,
        #[serde(deserialize_with = "super::string_or_number")]
        b: String,
        #[serde(default, deserialize_with = "super::opt_u64_or_string")]
        c: Option<u64>,
        #[serde(default, deserialize_with = "super::null_as_default")]
        d: Vec<u32>,
        #[serde(deserialize_with = "super::i64_or_string")]
        e: i64,
    }

    #[test]
    fn lenient_where_documented() {
        let t: T = serde_json::from_str(r#"{"a":"7","b":0,"c":null,"d":null,"e":"-1"}"#).unwrap();
        assert_eq!(
            t,
            T {
                a: 7,
                b: "0".into(),
                c: None,
                d: vec![],
                e: -1
            }
        );
        let t: T = serde_json::from_str(r#"{"a":7,"b":"MMMabc","c":"9","e":2}"#).unwrap();
        assert_eq!(t.c, Some(9));
        assert_eq!(t.b, "MMMabc");
    }

    #[test]
    fn strict_elsewhere() {
        for bad in [
            r#"{"a":-1,"b":"x","e":1}"#,
            r#"{"a":1.5,"b":"x","e":1}"#,
            r#"{"a":"1.5","b":"x","e":1}"#,
            r#"{"a":1,"b":1.5,"e":1}"#,
            r#"{"a":1,"b":"x","e":"--1"}"#,
            r#"{"a":1,"b":"x","e":"1e3"}"#,
            r#"{"a":1,"b":"x","c":"x","e":1}"#,
        ] {
            assert!(serde_json::from_str::<T>(bad).is_err(), "{bad} accepted");
        }
    }
}
