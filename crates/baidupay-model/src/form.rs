//! Callbacks from their serde derive: a serde `Deserializer` over decoded, verified form pairs,
//! so that a callback's wire names are written once, in its `#[serde(...)]` attributes.
//!
//! The rules every callback shares:
//! * the signature parameter is not a field;
//! * a parameter that appears twice is refused (`body`);
//! * an empty value counts as absent: a required field missing or empty is refused naming its
//!   wire name ("missing or empty"), an optional one is `None`, a `#[serde(default)]` text
//!   field (`promoDetail`) is empty;
//! * numbers are read from their text (`u64` / `i64` as `str::parse` reads them; identifier and
//!   amount types through their own `Deserialize`, which reads text);
//! * text is kept verbatim;
//! * parameters the type does not name are returned for its `extra` (the type marks `extra`
//!   `#[serde(flatten, skip_deserializing)]`: flattened when it serializes, filled here).

use std::collections::BTreeMap;
use std::fmt::Display;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, Visitor};

use crate::error::{Error, Result};

/// How one platform sends its callbacks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    /// The signature parameter.
    pub(crate) signature: &'static str,
    /// Whether a repeated signature parameter is refused like any other (Alipay) or ignored
    /// with the signature (Baidu).
    pub(crate) signature_may_repeat: bool,
    /// Whether an empty parameter the type does not name is dropped (Alipay) rather than kept
    /// in `extra` (Baidu).
    pub(crate) drop_empty_extra: bool,
}

/// Baidu's callbacks: `rsaSign`, unknown empty parameters kept.
pub(crate) const BAIDU: Rules = Rules {
    signature: crate::callback::SIGNATURE_FIELD,
    signature_may_repeat: true,
    drop_empty_extra: false,
};

/// Alipay's notifications: `sign`, every empty parameter absent.
pub(crate) const ALIPAY: Rules = Rules {
    signature: "sign",
    signature_may_repeat: false,
    drop_empty_extra: true,
};

/// Decodes `T` from form pairs; the parameters `T` does not name come back for its `extra`.
///
/// # Errors
/// [`Error::InvalidField`] naming a duplicated parameter (`body`), or the wire name of a
/// missing, empty or malformed required field or of a malformed optional one.
pub(crate) fn from_pairs<T, K, V>(
    pairs: impl IntoIterator<Item = (K, V)>,
    rules: Rules,
) -> Result<(T, BTreeMap<String, String>)>
where
    T: DeserializeOwned,
    K: AsRef<str> + Into<String>,
    V: AsRef<str> + Into<String>,
{
    let mut items: Vec<(K, V)> = pairs
        .into_iter()
        .filter(|(k, _)| !(rules.signature_may_repeat && k.as_ref() == rules.signature))
        .collect();
    // a verified body arrives sorted and distinct: one comparison per pair tells
    if !items.windows(2).all(|w| w[0].0.as_ref() < w[1].0.as_ref()) {
        items.sort_unstable_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));
        if let Some(w) = items
            .windows(2)
            .find(|w| w[0].0.as_ref() == w[1].0.as_ref())
        {
            return Err(Error::InvalidField {
                field: "body",
                reason: format!("parameter {:?} appears more than once", w[0].0.as_ref()),
            });
        }
    }
    let mut extra = BTreeMap::new();
    let value = T::deserialize(Pairs {
        items,
        rules,
        extra: &mut extra,
    })
    .map_err(FormError::into_error)?;
    Ok((value, extra))
}

/// `deserialize_with` for a platform code enum read from its integer text as `i64` reads it
/// (`"+2"` and `"02"` included, as the callbacks always have).
///
/// # Errors
/// A value that is not an `i64`.
pub(crate) fn int_code<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: de::Deserializer<'de>,
    T: From<i64>,
{
    <i64 as de::Deserialize>::deserialize(d).map(T::from)
}

/// What went wrong, before it is tied to a wire name.
#[derive(Debug)]
struct FormError {
    field: Option<&'static str>,
    reason: String,
}

impl FormError {
    fn into_error(self) -> Error {
        Error::InvalidField {
            field: self.field.unwrap_or("body"),
            reason: self.reason,
        }
    }
}

impl Display for FormError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for FormError {}

impl de::Error for FormError {
    fn custom<T: Display>(msg: T) -> Self {
        Self {
            field: None,
            reason: msg.to_string(),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Self {
            field: Some(field),
            reason: "missing or empty".into(),
        }
    }
}

/// The whole form: deserializes a struct only.
struct Pairs<'a, K, Val> {
    items: Vec<(K, Val)>,
    rules: Rules,
    extra: &'a mut BTreeMap<String, String>,
}

impl<'de, K, Val> de::Deserializer<'de> for Pairs<'_, K, Val>
where
    K: AsRef<str> + Into<String>,
    Val: AsRef<str> + Into<String>,
{
    type Error = FormError;

    fn deserialize_struct<W: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: W,
    ) -> std::result::Result<W::Value, FormError> {
        let mut known = Vec::with_capacity(fields.len());
        for (k, v) in self.items {
            let key = k.as_ref();
            if key == self.rules.signature {
                continue;
            }
            match fields.iter().find(|f| **f == key) {
                // a named field sent empty is absent
                Some(_) if v.as_ref().is_empty() => {}
                Some(name) => known.push((*name, v)),
                None if v.as_ref().is_empty() && self.rules.drop_empty_extra => {}
                None => {
                    self.extra.insert(k.into(), v.into());
                }
            }
        }
        visitor.visit_map(Fields {
            items: known.into_iter(),
            value: None,
        })
    }

    fn deserialize_any<W: Visitor<'de>>(
        self,
        _visitor: W,
    ) -> std::result::Result<W::Value, FormError> {
        Err(de::Error::custom("form pairs decode into a struct only"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The named fields, one by one.
struct Fields<I, Val> {
    items: I,
    value: Option<(&'static str, Val)>,
}

impl<'de, I, Val> MapAccess<'de> for Fields<I, Val>
where
    I: Iterator<Item = (&'static str, Val)>,
    Val: AsRef<str> + Into<String>,
{
    type Error = FormError;

    fn next_key_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> std::result::Result<Option<S::Value>, FormError> {
        let Some((name, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some((name, value));
        seed.deserialize(BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> std::result::Result<S::Value, FormError> {
        let (name, text) = self
            .value
            .take()
            .ok_or_else(|| de::Error::custom("a value without its name"))?;
        seed.deserialize(Text(text)).map_err(|e| FormError {
            field: Some(e.field.unwrap_or(name)),
            reason: e.reason,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.items.size_hint().1
    }
}

/// One value: text, numbers parsed from it.
struct Text<Val>(Val);

macro_rules! parse_number {
    ($($method:ident $ty:ty => $visit:ident;)*) => {$(
        fn $method<W: Visitor<'de>>(self, visitor: W) -> std::result::Result<W::Value, FormError> {
            let text = self.0.as_ref();
            match text.parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(e) => Err(de::Error::custom(format_args!("{text:?}: {e}"))),
            }
        }
    )*};
}

impl<'de, Val: AsRef<str> + Into<String>> de::Deserializer<'de> for Text<Val> {
    type Error = FormError;

    fn deserialize_any<W: Visitor<'de>>(
        self,
        visitor: W,
    ) -> std::result::Result<W::Value, FormError> {
        visitor.visit_string(self.0.into())
    }

    fn deserialize_option<W: Visitor<'de>>(
        self,
        visitor: W,
    ) -> std::result::Result<W::Value, FormError> {
        // an empty value never gets here: it counts as absent
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<W: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: W,
    ) -> std::result::Result<W::Value, FormError> {
        visitor.visit_newtype_struct(self)
    }

    parse_number! {
        deserialize_u8 u8 => visit_u8;
        deserialize_u16 u16 => visit_u16;
        deserialize_u32 u32 => visit_u32;
        deserialize_u64 u64 => visit_u64;
        deserialize_i8 i8 => visit_i8;
        deserialize_i16 i16 => visit_i16;
        deserialize_i32 i32 => visit_i32;
        deserialize_i64 i64 => visit_i64;
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        order_id: crate::OrderId,
        count: Option<u64>,
        #[serde(default)]
        promo_detail: String,
        #[serde(deserialize_with = "int_code")]
        status: crate::cashier::PayStatus,
    }

    fn pairs(s: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        s.to_vec()
    }

    #[test]
    fn fields_numbers_text_and_leftovers() {
        let (s, extra) = from_pairs::<Sample, _, _>(
            pairs(&[
                ("status", "+2"),
                ("orderId", "7"),
                ("count", ""),
                ("promoDetail", " [x] "),
                ("rsaSign", "s"),
                ("rsaSign", "s"),
                ("new", ""),
            ]),
            BAIDU,
        )
        .unwrap();
        assert_eq!(
            s,
            Sample {
                order_id: crate::OrderId::new(7),
                count: None,
                promo_detail: " [x] ".into(),
                status: crate::cashier::PayStatus::Paid,
            }
        );
        assert_eq!(extra.get("new").map(String::as_str), Some(""));
        let (_, extra) = from_pairs::<Sample, _, _>(
            pairs(&[("orderId", "7"), ("status", "1"), ("new", "")]),
            ALIPAY,
        )
        .unwrap();
        assert!(extra.is_empty(), "{extra:?}");
    }

    #[test]
    fn errors_name_the_wire_field() {
        let field = |p: &[(&'static str, &'static str)], r: Rules| match from_pairs::<Sample, _, _>(
            pairs(p),
            r,
        ) {
            Err(Error::InvalidField { field, reason }) => (field, reason),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(&[("status", "1"), ("orderId", "")], BAIDU),
            ("orderId", "missing or empty".to_owned())
        );
        assert_eq!(field(&[("status", "1")], BAIDU).0, "orderId");
        assert_eq!(
            field(&[("orderId", "7"), ("status", "1"), ("count", "x")], BAIDU).0,
            "count"
        );
        assert_eq!(
            field(&[("orderId", "x"), ("status", "1")], BAIDU).0,
            "orderId"
        );
        assert_eq!(
            field(&[("orderId", "7"), ("status", "1.0")], BAIDU).0,
            "status"
        );
        assert_eq!(
            field(&[("orderId", "7"), ("orderId", "7")], BAIDU).0,
            "body"
        );
        assert_eq!(
            field(
                &[
                    ("orderId", "7"),
                    ("status", "1"),
                    ("sign", "a"),
                    ("sign", "a")
                ],
                ALIPAY
            )
            .0,
            "body"
        );
    }
}
