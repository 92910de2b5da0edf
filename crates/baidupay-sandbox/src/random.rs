//! The secrets the simulator hands out: tokens, codes, tickets and EncodingAESKeys, each with
//! 128 random bits or more from the thread-local CSPRNG (seeded by the operating system).

use rand::Rng;
use rand::distributions::Alphanumeric;

/// 128 random bits as 32 lower-case hex digits.
pub(crate) fn hex128() -> String {
    let v: u128 = rand::thread_rng().r#gen();
    format!("{v:032x}")
}

/// A token shaped like the platform's: `prefix.` then 128 random bits in hex (`42.` TP
/// tokens, `45.` authorizer access tokens, `46.` refresh tokens).
pub(crate) fn token(prefix: &str) -> String {
    format!("{prefix}.{}", hex128())
}

/// A fresh EncodingAESKey: 43 characters of `[A-Za-z0-9]` (about 256 bits).
pub(crate) fn aes_key() -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(baidupay_notify::AES_KEY_LEN)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_random_and_well_formed() {
        let (a, b) = (hex128(), hex128());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(token("45").starts_with("45."));
        let key = aes_key();
        assert_eq!(key.len(), 43);
        assert!(key.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(baidupay_notify::TpEventKeys::new("t", &key, "tp").is_ok());
    }
}
