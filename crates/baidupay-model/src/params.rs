//! Request parameters from the serde derive: a request's wire names are written once, in its
//! `#[serde(...)]` attributes, and [`to_params`] turns the request into the `(name, value)` pairs
//! of a query string or form body (values as sent, not URL-encoded).
//!
//! Only flat structs of scalar fields make sense as parameters: strings, integers, unit enum
//! variants, newtypes around those, and `Option`s of them (`None` is left out). Anything else
//! (a nested struct, a list, a map, a float, a bool, whose wire form the platforms spell in
//! several ways) is a programming error in the request type, caught by its unit test.

use serde::ser::{self, Impossible, Serialize};

/// The `(name, value)` pairs of a flat request struct, in field order; `None` fields are
/// left out.
///
/// # Errors
/// [`ParamsError`] naming the field whose type cannot be a parameter.
pub fn to_params<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<(&'static str, String)>, ParamsError> {
    let mut out = Vec::new();
    value.serialize(Fields { out: &mut out })?;
    Ok(out)
}

/// The `(name, value)` pairs of a callback, sorted: as [`to_params`], and a map flattened into
/// the struct (`#[serde(flatten)] extra`) adds its entries.
pub(crate) fn to_pairs<T: Serialize + ?Sized>(
    value: &T,
) -> Result<Vec<(String, String)>, ParamsError> {
    let mut out = Vec::new();
    value.serialize(Fields { out: &mut out })?;
    out.sort();
    Ok(out)
}

/// A request type that cannot be laid out as parameters (a bug in the type, not in the input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot send {what} as a request parameter")]
pub struct ParamsError {
    what: String,
}

impl ParamsError {
    fn new(what: impl Into<String>) -> Self {
        Self { what: what.into() }
    }
}

impl ser::Error for ParamsError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self::new(msg.to_string())
    }
}

/// Where the pairs go: request parameters keep the static field names (and so refuse a map,
/// whose keys are data); callback pairs own their names.
trait Out {
    fn field(&mut self, key: &'static str, value: String);
    fn entry(&mut self, key: String, value: String) -> Result<(), ParamsError>;
}

impl Out for Vec<(&'static str, String)> {
    fn field(&mut self, key: &'static str, value: String) {
        self.push((key, value));
    }

    fn entry(&mut self, _key: String, _value: String) -> Result<(), ParamsError> {
        Err(ParamsError::new("a map"))
    }
}

impl Out for Vec<(String, String)> {
    fn field(&mut self, key: &'static str, value: String) {
        self.push((key.to_owned(), value));
    }

    fn entry(&mut self, key: String, value: String) -> Result<(), ParamsError> {
        self.push((key, value));
        Ok(())
    }
}

/// Serializes the top-level struct: each field becomes a pair.
struct Fields<'a, O> {
    out: &'a mut O,
}

/// The three `serialize_*_variant` methods of an enum with data, refused.
macro_rules! refuse_enums_with_data {
    ($ok:ty) => {
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _value: &T,
        ) -> Result<$ok, ParamsError> {
            Err(ParamsError::new("an enum with data"))
        }

        fn serialize_tuple_variant(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _len: usize,
        ) -> Result<Self::SerializeTupleVariant, ParamsError> {
            Err(ParamsError::new("an enum with data"))
        }

        fn serialize_struct_variant(
            self,
            _name: &'static str,
            _index: u32,
            _variant: &'static str,
            _len: usize,
        ) -> Result<Self::SerializeStructVariant, ParamsError> {
            Err(ParamsError::new("an enum with data"))
        }
    };
}

macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty, $what:literal;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ret, ParamsError> {
            Err(ParamsError::new($what))
        }
    )*};
}

impl<'a, O: Out> ser::Serializer for Fields<'a, O> {
    type Ok = ();
    type Error = ParamsError;
    type SerializeSeq = Impossible<(), ParamsError>;
    type SerializeTuple = Impossible<(), ParamsError>;
    type SerializeTupleStruct = Impossible<(), ParamsError>;
    type SerializeTupleVariant = Impossible<(), ParamsError>;
    type SerializeMap = Entries<'a, O>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), ParamsError>;

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, ParamsError> {
        Ok(self)
    }

    /// A struct with a `#[serde(flatten)]` field serializes as a map.
    fn serialize_map(self, _len: Option<usize>) -> Result<Entries<'a, O>, ParamsError> {
        Ok(Entries {
            out: self.out,
            key: None,
        })
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), ParamsError> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), ParamsError> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), ParamsError> {
        value.serialize(self)
    }

    refuse! {
        serialize_bool(bool) -> (), "a bool (not a struct)";
        serialize_i8(i8) -> (), "a number (not a struct)";
        serialize_i16(i16) -> (), "a number (not a struct)";
        serialize_i32(i32) -> (), "a number (not a struct)";
        serialize_i64(i64) -> (), "a number (not a struct)";
        serialize_u8(u8) -> (), "a number (not a struct)";
        serialize_u16(u16) -> (), "a number (not a struct)";
        serialize_u32(u32) -> (), "a number (not a struct)";
        serialize_u64(u64) -> (), "a number (not a struct)";
        serialize_f32(f32) -> (), "a float";
        serialize_f64(f64) -> (), "a float";
        serialize_char(char) -> (), "a char (not a struct)";
        serialize_str(&str) -> (), "a string (not a struct)";
        serialize_bytes(&[u8]) -> (), "bytes";
        serialize_none() -> (), "nothing (not a struct)";
        serialize_unit() -> (), "a unit (not a struct)";
        serialize_unit_variant(&'static str, u32, &'static str) -> (), "an enum (not a struct)";
        serialize_seq(Option<usize>) -> Self::SerializeSeq, "a list";
        serialize_tuple(usize) -> Self::SerializeTuple, "a tuple";
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct, "a tuple struct";
    }

    refuse_enums_with_data!(());
}

impl<O: Out> ser::SerializeStruct for Fields<'_, O> {
    type Ok = ();
    type Error = ParamsError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ParamsError> {
        if let Some(v) = scalar(key, value)? {
            self.out.field(key, v);
        }
        Ok(())
    }

    fn skip_field(&mut self, _key: &'static str) -> Result<(), ParamsError> {
        Ok(())
    }

    fn end(self) -> Result<(), ParamsError> {
        Ok(())
    }
}

/// The text of the field `key` (`None` for an absent optional).
fn scalar<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<Option<String>, ParamsError> {
    value
        .serialize(Scalar)
        .map_err(|e| ParamsError::new(format!("field {key}: {}", e.what)))
}

/// The entries of a struct serialized as a map (one with a flattened field).
struct Entries<'a, O> {
    out: &'a mut O,
    key: Option<String>,
}

impl<O: Out> ser::SerializeMap for Entries<'_, O> {
    type Ok = ();
    type Error = ParamsError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ParamsError> {
        self.key = Some(
            key.serialize(Scalar)?
                .ok_or_else(|| ParamsError::new("a map with an absent key"))?,
        );
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ParamsError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| ParamsError::new("a map value without a key"))?;
        if let Some(v) = scalar(&key, value)? {
            self.out.entry(key, v)?;
        }
        Ok(())
    }

    fn end(self) -> Result<(), ParamsError> {
        Ok(())
    }
}

/// Serializes one field's value to its text (`None` for an absent optional).
struct Scalar;

macro_rules! display {
    ($($method:ident($ty:ty);)*) => {$(
        fn $method(self, v: $ty) -> Result<Option<String>, ParamsError> {
            Ok(Some(v.to_string()))
        }
    )*};
}

impl ser::Serializer for Scalar {
    type Ok = Option<String>;
    type Error = ParamsError;
    type SerializeSeq = Impossible<Option<String>, ParamsError>;
    type SerializeTuple = Impossible<Option<String>, ParamsError>;
    type SerializeTupleStruct = Impossible<Option<String>, ParamsError>;
    type SerializeTupleVariant = Impossible<Option<String>, ParamsError>;
    type SerializeMap = Impossible<Option<String>, ParamsError>;
    type SerializeStruct = Impossible<Option<String>, ParamsError>;
    type SerializeStructVariant = Impossible<Option<String>, ParamsError>;

    display! {
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_char(char);
        serialize_str(&str);
    }

    fn serialize_none(self) -> Result<Option<String>, ParamsError> {
        Ok(None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Option<String>, ParamsError> {
        v.serialize(self)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Option<String>, ParamsError> {
        Ok(Some(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        v: &T,
    ) -> Result<Option<String>, ParamsError> {
        v.serialize(self)
    }

    refuse! {
        serialize_bool(bool) -> Option<String>, "a bool (say how the platform spells it: serialize_with)";
        serialize_f32(f32) -> Option<String>, "a float";
        serialize_f64(f64) -> Option<String>, "a float";
        serialize_bytes(&[u8]) -> Option<String>, "bytes";
        serialize_unit() -> Option<String>, "a unit";
        serialize_unit_struct(&'static str) -> Option<String>, "a unit struct";
        serialize_seq(Option<usize>) -> Self::SerializeSeq, "a list";
        serialize_tuple(usize) -> Self::SerializeTuple, "a tuple";
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct, "a tuple struct";
        serialize_map(Option<usize>) -> Self::SerializeMap, "a map";
        serialize_struct(&'static str, usize) -> Self::SerializeStruct, "a nested struct";
    }

    refuse_enums_with_data!(Option<String>);
}

/// `serialize_with` for a flag the platform sends as `0` / `1`.
///
/// # Errors
/// Never, for the serializers of this crate.
pub fn bool_as_01<S: ser::Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(u8::from(*v))
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        order_id: u64,
        tp_order_id: String,
        #[serde(serialize_with = "bool_as_01")]
        is_skip_audit: bool,
        apply_refund_money: Option<crate::Fen>,
        refund_notify_url: Option<String>,
        #[serde(rename = "pmAppKey")]
        app: crate::AppKey,
    }

    #[test]
    fn flat_structs_become_pairs_in_field_order() {
        let s = Sample {
            order_id: 7,
            tp_order_id: "T-1".into(),
            is_skip_audit: true,
            apply_refund_money: Some(crate::Fen::new(100)),
            refund_notify_url: None,
            app: crate::AppKey::new("MMMabc").unwrap(),
        };
        let p = to_params(&s).unwrap();
        assert_eq!(
            p,
            vec![
                ("orderId", "7".to_owned()),
                ("tpOrderId", "T-1".to_owned()),
                ("isSkipAudit", "1".to_owned()),
                ("applyRefundMoney", "100".to_owned()),
                ("pmAppKey", "MMMabc".to_owned()),
            ]
        );
    }

    #[test]
    fn what_cannot_be_a_parameter_is_named() {
        #[derive(Serialize)]
        struct Bad {
            list: Vec<u8>,
        }
        let e = to_params(&Bad { list: vec![1] }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot send field list: a list as a request parameter"
        );
        #[derive(Serialize)]
        struct Flag {
            on: bool,
        }
        assert!(to_params(&Flag { on: true }).is_err());
        assert!(to_params(&5_u8).is_err());
    }
}
