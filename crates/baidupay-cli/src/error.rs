//! Errors of the `baidupay` command and their exit codes.

use std::fmt;
use std::process::ExitCode;

/// What went wrong, classified by the exit code the contract gives it.
#[derive(Debug)]
pub(crate) enum CliError {
    /// Exit 1: a signature that does not verify, or a check that fails.
    Invalid(String),
    /// Exit 2: bad input (usage, unreadable or wrong-type key, malformed body).
    Input(String),
}

impl CliError {
    pub(crate) fn input(msg: impl Into<String>) -> Self {
        Self::Input(msg.into())
    }

    /// The same error with its message rewritten by `f`.
    pub(crate) fn map_message(self, f: impl FnOnce(&str) -> String) -> Self {
        match self {
            Self::Invalid(m) => Self::Invalid(f(&m)),
            Self::Input(m) => Self::Input(f(&m)),
        }
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            Self::Invalid(_) => ExitCode::from(1),
            Self::Input(_) => ExitCode::from(2),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(m) | Self::Input(m) => f.write_str(m),
        }
    }
}

/// Joins an error and its sources on one line.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut s = err.to_string();
    let mut src = err.source();
    while let Some(e) = src {
        s.push_str(": ");
        s.push_str(&e.to_string());
        src = e.source();
    }
    s.replace('\n', " ")
}

/// Maps a crypto error: verification failures exit 1, everything else is bad input (exit 2).
pub(crate) fn from_crypto(context: &str, err: &baidupay_crypto::Error) -> CliError {
    use baidupay_crypto::Error as E;
    let msg = if context.is_empty() {
        chain(err)
    } else {
        format!("{context}: {}", chain(err))
    };
    match err {
        E::BadSignature | E::SignatureEncoding => CliError::Invalid(msg),
        _ => CliError::Input(msg),
    }
}

pub(crate) type CliResult<T = ()> = Result<T, CliError>;
