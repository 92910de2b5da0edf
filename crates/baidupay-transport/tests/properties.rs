//! redact_uri never panics and never prints a secret value.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baidupay_transport::{SECRET_PARAMS, redact_query, redact_uri};
use proptest::prelude::*;

proptest! {
    #[test]
    fn secrets_never_printed(
        secret in "[A-Za-z0-9]{12,24}",
        name_idx in 0..SECRET_PARAMS.len(),
        other in "[a-z]{1,8}=[a-z0-9]{0,8}",
        first in any::<bool>(),
    ) {
        let name = SECRET_PARAMS[name_idx];
        let q = if first { format!("{name}={secret}&{other}") } else { format!("{other}&{name}={secret}") };
        let uri: http::Uri = format!("https://openapi.baidu.com/p?{q}").parse().unwrap();
        let r = redact_uri(&uri);
        prop_assert!(!r.contains(&secret), "{}", r);
        prop_assert!(r.contains(&other));
        prop_assert!(!redact_query(&q).contains(&secret));
    }

    #[test]
    fn redact_query_never_panics(q in "\\PC{0,64}") {
        let _ = redact_query(&q);
    }
}
