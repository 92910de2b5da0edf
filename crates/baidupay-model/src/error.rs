//! The crate's error type.

/// A value that the model refuses: an amount or identifier outside the platform's limits, or a
/// field that does not hold what the platform documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An amount string or number is not an exact amount in the accepted format or range.
    #[error("invalid amount {input:?}: {reason}")]
    InvalidAmount {
        /// The rejected input (amounts are not secret).
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Checked arithmetic on amounts would overflow or go below zero.
    #[error("amount arithmetic out of range: {op}")]
    AmountOutOfRange {
        /// The operation that failed, e.g. `"1600 - 1700 fen"`.
        op: String,
    },
    /// An identifier breaks the platform's stated limits.
    #[error("invalid {kind} {value:?}: {reason}")]
    InvalidId {
        /// The identifier type, e.g. `"TpOrderId"`.
        kind: &'static str,
        /// The rejected value (truncated to 80 characters).
        value: String,
        /// Which limit it breaks.
        reason: &'static str,
    },
    /// A field holds a value the platform documents differently (wrong format, out of range).
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field's wire name.
        field: &'static str,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// A JSON document could not be decoded into the expected type; the decoder's message is
    /// the [`source`](std::error::Error::source).
    #[error("cannot decode {what}")]
    Json {
        /// What was being decoded.
        what: &'static str,
        /// The JSON error, with line and column.
        #[source]
        source: JsonError,
    },
}

/// A JSON decoding error: the decoder's message and position, cloneable and comparable, with no
/// decoder type in this crate's API. It is the end of an error chain (no `source`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    message: String,
    line: usize,
    column: usize,
}

impl JsonError {
    /// The decoder's message, with line and column.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The 1-based line where decoding failed (0 when the input ended before any line).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The 1-based column where decoding failed (0 when the input ended before any column).
    pub fn column(&self) -> usize {
        self.column
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        Self {
            message: e.to_string(),
            line: e.line(),
            column: e.column(),
        }
    }
}

impl Error {
    pub(crate) fn json(what: &'static str, e: serde_json::Error) -> Self {
        Self::Json {
            what,
            source: e.into(),
        }
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
