//! Internal macros for identifier newtypes and platform code enums.

/// A string identifier newtype: `new` validates with `$check`, serde goes through `new`.
/// With `lenient_number`, a JSON number is also accepted (platforms that send `0` or `123`
/// where the docs say string) and turned into its decimal text.
macro_rules! string_id {
    ($(#[$m:meta])* $name:ident, $check:expr) => {
        string_id!(@def $(#[$m])* $name, $check);
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::new(s.into_owned()).map_err(serde::de::Error::custom)
            }
        }
    };
    ($(#[$m:meta])* $name:ident, $check:expr, lenient_number) => {
        string_id!(@def $(#[$m])* $name, $check);
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = crate::de::string_or_number(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
    (@def $(#[$m:meta])* $name:ident, $check:expr) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Checks `value` against the platform's limits for this identifier.
            ///
            /// # Errors
            /// [`Error::InvalidId`](crate::Error::InvalidId) naming the broken limit.
            pub fn new(value: impl Into<String>) -> crate::Result<Self> {
                let value = value.into();
                let check: fn(&str) -> Result<(), &'static str> = $check;
                match check(&value) {
                    Ok(()) => Ok(Self(value)),
                    Err(reason) => Err(crate::Error::InvalidId {
                        kind: stringify!($name),
                        value: value.chars().take(80).collect(),
                        reason,
                    }),
                }
            }

            /// The identifier as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The identifier as an owned string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            fn from_str(s: &str) -> crate::Result<Self> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = crate::Error;
            fn try_from(s: String) -> crate::Result<Self> {
                Self::new(s)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = crate::Error;
            fn try_from(s: &str) -> crate::Result<Self> {
                Self::new(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

/// A numeric identifier newtype (`u64`): serializes as a number, deserializes from a number
/// or a string of digits (the platforms send both). Zero is refused unless `allow_zero`.
macro_rules! numeric_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a platform-assigned number.
            pub const fn new(value: u64) -> Self {
                Self(value)
            }

            /// The number.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl From<u64> for $name {
            fn from(v: u64) -> Self {
                Self(v)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = crate::Error;
            /// Parses decimal digits (no sign, no leading zeros).
            fn from_str(s: &str) -> crate::Result<Self> {
                crate::money::parse_digits_u64(s).map(Self).map_err(|reason| {
                    crate::Error::InvalidId {
                        kind: stringify!($name),
                        value: s.chars().take(80).collect(),
                        reason,
                    }
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_u64(self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::de::u64_or_string(d).map(Self)
            }
        }
    };
}

/// A platform code enum: known variants with the docs' description (and remedy where the
/// docs give one), plus `Unknown` keeping the raw code. `#[non_exhaustive]`.
///
/// Integer flavour: serializes as a number, deserializes from a number or a numeric string.
macro_rules! int_code_enum {
    (
        $(#[$m:meta])*
        pub enum $name:ident {
            $(
                $(#[$vm:meta])*
                $var:ident = $code:literal => $desc:literal $(, remedy $remedy:literal)?;
            )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vm])* $var, )*
            /// A code this version does not know; the raw value is kept.
            Unknown(i64),
        }

        impl $name {
            /// Every known variant, in the docs' order.
            pub const KNOWN: &'static [$name] = &[$($name::$var),*];

            /// The variant for a raw code (`Unknown` for codes not in the docs).
            pub const fn from_code(code: i64) -> Self {
                match code {
                    $( $code => $name::$var, )*
                    other => $name::Unknown(other),
                }
            }

            /// The raw code as the platform sends it.
            pub const fn code(self) -> i64 {
                match self {
                    $( $name::$var => $code, )*
                    $name::Unknown(c) => c,
                }
            }

            /// The docs' description of this code (`None` for unknown codes).
            pub const fn description(self) -> Option<&'static str> {
                match self {
                    $( $name::$var => Some($desc), )*
                    $name::Unknown(_) => None,
                }
            }

            /// What to do about it, where the docs say (`None` otherwise).
            #[allow(unreachable_patterns)]
            pub const fn remedy(self) -> Option<&'static str> {
                match self {
                    $( $( $name::$var => Some($remedy), )? )*
                    _ => None,
                }
            }

            /// Whether the code is one the docs list.
            pub const fn is_known(self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl From<i64> for $name {
            fn from(code: i64) -> Self {
                Self::from_code(code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.description() {
                    Some(d) => write!(f, "{} ({})", self.code(), d),
                    None => write!(f, "{} (unknown code)", self.code()),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i64(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::de::i64_or_string(d).map(Self::from_code)
            }
        }
    };
}

/// String flavour of [`int_code_enum`]: `Unknown(String)`, serializes as a string.
#[allow(unused_macros)]
macro_rules! str_code_enum {
    (
        $(#[$m:meta])*
        pub enum $name:ident {
            $(
                $(#[$vm:meta])*
                $var:ident = $code:literal => $desc:literal $(, remedy $remedy:literal)?;
            )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vm])* $var, )*
            /// A code this version does not know; the raw value is kept.
            Unknown(String),
        }

        impl $name {
            /// Every known variant, in the docs' order.
            pub const KNOWN: &'static [$name] = &[$($name::$var),*];

            /// The variant for a raw code (`Unknown` for codes not in the docs).
            pub fn from_code(code: &str) -> Self {
                match code {
                    $( $code => $name::$var, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }

            /// The raw code as the platform sends it.
            pub fn code(&self) -> &str {
                match self {
                    $( $name::$var => $code, )*
                    $name::Unknown(c) => c,
                }
            }

            /// The docs' description of this code (`None` for unknown codes).
            pub fn description(&self) -> Option<&'static str> {
                match self {
                    $( $name::$var => Some($desc), )*
                    $name::Unknown(_) => None,
                }
            }

            /// What to do about it, where the docs say (`None` otherwise).
            #[allow(unreachable_patterns)]
            pub fn remedy(&self) -> Option<&'static str> {
                match self {
                    $( $( $name::$var => Some($remedy), )? )*
                    _ => None,
                }
            }

            /// Whether the code is one the docs list.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(code: &str) -> Self {
                Self::from_code(code)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self.description() {
                    Some(d) => write!(f, "{} ({})", self.code(), d),
                    None => write!(f, "{} (unknown code)", self.code()),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                Ok(Self::from_code(&s))
            }
        }
    };
}
