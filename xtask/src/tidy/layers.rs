//! The layering of the published crates and the check of every internal edge against it.

use std::collections::BTreeMap;

use super::{Kind, Member};

/// What a crate may depend on besides the layers below its own.
#[derive(Debug, Clone, Copy)]
enum May {
    /// Any crate in a lower layer.
    Below,
    /// Only these crates (each also in a lower layer).
    Only(&'static [&'static str]),
}

/// One row of the layering: a published crate, its layer (higher depends on lower, never the
/// other way, never sideways) and what it may use.
#[derive(Debug)]
struct Row {
    krate: &'static str,
    layer: u8,
    may: May,
}

/// The layering of the published crates, top to bottom (style.md, "Dependency direction").
const LAYERS: &[Row] = &[
    row(5, "baidupay-cli", May::Below),
    row(4, "baidupay-sandbox", May::Below),
    row(3, "baidupay-cashier", May::Below),
    row(3, "baidupay-tp", May::Below),
    row(3, "baidupay-alipay", May::Below),
    // callback verification without an HTTP stack
    row(
        3,
        "baidupay-notify",
        May::Only(&["baidupay-crypto", "baidupay-model"]),
    ),
    row(2, "baidupay-openapi", May::Below),
    // the bottom layer: nothing internal
    row(1, "baidupay-transport", May::Below),
    row(1, "baidupay-crypto", May::Below),
    row(1, "baidupay-model", May::Below),
];

const fn row(layer: u8, krate: &'static str, may: May) -> Row {
    Row { krate, layer, may }
}

/// Unpublished members that published crates may name in `[dev-dependencies]` (cargo drops
/// path-only dev-dependencies when it publishes).
const TEST_CRATES: &[&str] = &["baidupay-e2e", "baidupay-testkit"];
fn row_of(krate: &str) -> Option<&'static Row> {
    LAYERS.iter().find(|r| r.krate == krate)
}

/// Internal edges that break the layering, one line each naming the edge and the rule.
pub(super) fn check_layers(members: &[Member]) -> Vec<String> {
    let by_name: BTreeMap<&str, &Member> = members.iter().map(|m| (m.name.as_str(), m)).collect();
    let mut problems = Vec::new();
    for m in members.iter().filter(|m| m.published) {
        let Some(from) = row_of(&m.name) else {
            if !m.dir.starts_with("crates") {
                continue; // the publish check asks for `publish = false`
            }
            problems.push(format!(
                "{} is published but has no row in the layer table (LAYERS in xtask/src/tidy/layers.rs): add it",
                m.name
            ));
            continue;
        };
        for d in &m.deps {
            let Some(target) = by_name.get(d.package.as_str()) else {
                continue; // not internal
            };
            let edge = format!("{} -> {} ({})", m.name, d.package, d.kind.table());
            if !target.published {
                if d.kind != Kind::Dev || !TEST_CRATES.contains(&d.package.as_str()) {
                    problems.push(format!(
                        "{edge}: a published crate must not depend on an unpublished member{}",
                        if d.kind == Kind::Dev {
                            format!(
                                " (dev-dependencies may name only the test crates {TEST_CRATES:?})"
                            )
                        } else {
                            String::new()
                        }
                    ));
                }
                continue;
            }
            let Some(to) = row_of(&d.package) else {
                continue; // reported as missing from the table on its own row
            };
            let rule = if to.layer == from.layer {
                Some(format!(
                    "same layer ({}): a crate depends only on crates in lower layers",
                    from.layer
                ))
            } else if to.layer > from.layer {
                Some(format!(
                    "upward (layer {} -> {}): dependencies point only downward",
                    from.layer, to.layer
                ))
            } else if let May::Only(allowed) = from.may
                && !allowed.contains(&d.package.as_str())
            {
                Some(format!(
                    "{} may depend only on {}",
                    m.name,
                    allowed.join(", ")
                ))
            } else {
                None
            };
            if let Some(rule) = rule {
                problems.push(format!("{edge}: {rule}"));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::tidy::check_publish;
    use crate::tidy::tests::{krate, package, workspace};

    /// A published crate with normal dependencies on `deps`.
    fn on(name: &str, deps: &[&str]) -> Value {
        let deps: Vec<(&str, Value)> = deps.iter().map(|d| (*d, Value::Null)).collect();
        krate(name, &deps)
    }

    /// The layered crates as they should be, plus `extra` packages.
    fn layered(extra: Vec<Value>) -> Vec<Member> {
        let (crypto, model, transport) =
            ("baidupay-crypto", "baidupay-model", "baidupay-transport");
        let mut p = vec![
            on(model, &["serde"]),
            on(crypto, &[]),
            on(transport, &[]),
            on("baidupay-openapi", &[transport, crypto]),
            on("baidupay-notify", &[crypto, model]),
            on("baidupay-cashier", &["baidupay-openapi", transport]),
            on("baidupay-sandbox", &["baidupay-cashier", "baidupay-notify"]),
            on("baidupay-cli", &["baidupay-sandbox", model]),
            package(
                "tests",
                "baidupay-e2e",
                false,
                &[("baidupay-sandbox", Value::Null)],
            ),
            package("examples/merchant", "baidupay-example-merchant", false, &[]),
        ];
        p.extend(extra);
        workspace(p)
    }

    #[test]
    fn the_intended_layering_passes() {
        let m = layered(vec![]);
        assert_eq!(check_layers(&m), Vec::<String>::new());
        assert_eq!(check_publish(&m), Vec::<String>::new());
    }

    #[test]
    fn an_upward_edge_is_named_with_its_rule() {
        let m = layered(vec![on("baidupay-alipay", &[]), {
            let mut c = on("baidupay-tp", &[]);
            c["dependencies"] = json!([{"name": "baidupay-sandbox", "kind": null, "rename": null}]);
            c
        }]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-tp -> baidupay-sandbox ([dependencies]): upward (layer 3 -> 4): dependencies point only downward"
            ]
        );
    }

    #[test]
    fn same_layer_edges_are_refused() {
        let m = layered(vec![
            on("baidupay-tp", &["baidupay-cashier"]),
            on("baidupay-alipay", &["baidupay-notify"]),
        ]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-tp -> baidupay-cashier ([dependencies]): same layer (3): a crate depends only on crates in lower layers",
                "baidupay-alipay -> baidupay-notify ([dependencies]): same layer (3): a crate depends only on crates in lower layers",
            ]
        );
    }

    #[test]
    fn notify_may_use_only_crypto_and_model_and_the_bottom_nothing() {
        let m = workspace(vec![
            on("baidupay-transport", &["baidupay-model"]),
            on("baidupay-model", &[]),
            krate("baidupay-notify", &[("baidupay-transport", json!("build"))]),
        ]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-transport -> baidupay-model ([dependencies]): same layer (1): a crate depends only on crates in lower layers",
                "baidupay-notify -> baidupay-transport ([build-dependencies]): baidupay-notify may depend only on baidupay-crypto, baidupay-model",
            ]
        );
    }

    #[test]
    fn dev_dependencies_point_downward_too_except_on_test_crates() {
        let m = layered(vec![krate(
            "baidupay-tp",
            &[
                ("baidupay-sandbox", json!("dev")),
                ("baidupay-e2e", json!("dev")),
                ("baidupay-example-merchant", json!("dev")),
            ],
        )]);
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-tp -> baidupay-sandbox ([dev-dependencies]): upward (layer 3 -> 4): dependencies point only downward",
                "baidupay-tp -> baidupay-example-merchant ([dev-dependencies]): a published crate must not depend on an unpublished member (dev-dependencies may name only the test crates [\"baidupay-e2e\", \"baidupay-testkit\"])",
            ]
        );
    }

    #[test]
    fn published_crates_must_not_use_unpublished_members_and_must_be_in_the_table() {
        let mut m = layered(vec![on("baidupay-extra", &[])]);
        m.retain(|m| m.name != "baidupay-cli");
        m.extend(workspace(vec![on(
            "baidupay-cli",
            &["baidupay-example-merchant"],
        )]));
        assert_eq!(
            check_layers(&m),
            [
                "baidupay-extra is published but has no row in the layer table (LAYERS in xtask/src/tidy/layers.rs): add it",
                "baidupay-cli -> baidupay-example-merchant ([dependencies]): a published crate must not depend on an unpublished member",
            ]
        );
    }
}
