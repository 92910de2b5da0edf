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

/// Removes `secret` from `msg`: the whole value and each of its lines (and `\n`-escaped
/// lines) of 8 characters or more but PEM armour, so that neither a key nor a line of it is
/// ever shown.
pub(crate) fn scrub(msg: &str, secret: &str) -> String {
    let mut parts: Vec<&str> = secret
        .split(['\n', '\r'])
        .flat_map(|l| l.split("\\n"))
        .map(str::trim)
        .filter(|l| l.len() >= 8 && !l.starts_with("-----"))
        .collect();
    let whole = secret.trim();
    if !whole.is_empty() {
        parts.push(whole);
    }
    // longest first: a line inside the whole value is replaced with it
    parts.sort_by_key(|l| std::cmp::Reverse(l.len()));
    parts
        .iter()
        .fold(msg.to_owned(), |m, part| m.replace(part, "[redacted]"))
}

/// Whether a command-line argument or a `BAIDUPAY_*` value may be a secret that an error
/// must not show: key material (PEM armour, a line break, or 64 characters or more without a
/// `.` that name no file), or the value of a variable named like a secret (a `*_PRIVATE_KEY`
/// may be a path, and is judged by its value).
pub(crate) fn may_be_secret(name: Option<&str>, value: &str) -> bool {
    let named = name.is_some_and(|n| {
        ["SECRET", "TOKEN", "PASSWORD", "AES_KEY"]
            .iter()
            .any(|s| n.to_ascii_uppercase().replace('-', "_").contains(s))
    });
    (named && value.len() >= 8)
        || value.contains("-----")
        || value.contains('\n')
        || (value.len() >= 64 && !value.contains('.') && !std::path::Path::new(value).exists())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_value_and_each_of_its_lines_but_armour() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIICdwIBADANBgkqhkiG9w0B\nblSmkMmvpgoUDUo\nAQAB\n-----END PRIVATE KEY-----";
        let msg = "unexpected argument '-----BEGIN PRIVATE KEY----- MIICdwIBADANBgkqhkiG9w0B blSmkMmvpgoUDUo AQAB'";
        let clean = scrub(msg, key);
        assert!(
            !clean.contains("MIICdwIB") && !clean.contains("blSmkMmv"),
            "{clean}"
        );
        assert!(
            clean.contains("BEGIN PRIVATE KEY"),
            "armour is no secret: {clean}"
        );
        let escaped = key.replace('\n', "\\n");
        assert_eq!(scrub(&format!("x {escaped} y"), &escaped), "x [redacted] y");
    }

    #[test]
    fn what_may_be_a_secret() {
        assert!(may_be_secret(None, "-----BEGIN PRIVATE KEY-----"));
        assert!(may_be_secret(None, &"A".repeat(64)));
        assert!(!may_be_secret(None, "keys/private_key.pem"));
        assert!(!may_be_secret(None, &format!("{}.pem", "k".repeat(80))));
        assert!(may_be_secret(Some("BAIDUPAY_TP_TOKEN"), "tok-12345"));
        // a flag's name counts like a variable's: a 43-character AES key given to --aes-key
        assert!(may_be_secret(Some("aes-key"), &"k".repeat(43)));
        assert!(may_be_secret(Some("tp-token"), "tok-12345"));
        assert!(may_be_secret(
            Some("BAIDUPAY_BAIDU_CLIENT_SECRET"),
            "secret-1"
        ));
        assert!(!may_be_secret(
            Some("BAIDUPAY_BAIDU_PRIVATE_KEY"),
            "key.pem"
        ));
        assert!(!may_be_secret(Some("BAIDUPAY_BAIDU_APP_KEY"), "MMMabc"));
    }
}
