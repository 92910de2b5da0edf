//! `cargo xtask ci`: exactly what CI runs.

use crate::Result;
use crate::meta::{metadata, packages_with_feature, rustcrypto_packages};
use crate::shell::{cargo, now, run};

pub(crate) fn ci() -> Result {
    let start = now();
    postgres_is_set()?;
    let meta = metadata()?;
    eprintln!("\n==> tidy");
    crate::tidy::tidy()?;
    run("format", cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(
        "clippy (default features)",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    let rc = rustcrypto_packages(&meta);
    let mut rc_args: Vec<String> = Vec::new();
    for p in &rc {
        rc_args.push("-p".into());
        rc_args.push(p.clone());
    }
    if !rc.is_empty() {
        run(
            "clippy (rustcrypto backend)",
            cargo()
                .arg("clippy")
                .args(&rc_args)
                .args([
                    "--all-targets",
                    "--locked",
                    "--no-default-features",
                    "--features",
                    "rustcrypto",
                ])
                .args(["--", "-D", "warnings"]),
        )?;
    }
    run(
        "tests (default backend: openssl)",
        cargo().args(["test", "--workspace", "--locked"]),
    )?;
    if !rc.is_empty() {
        run(
            "tests (rustcrypto backend)",
            cargo().arg("test").args(&rc_args).args([
                "--locked",
                "--no-default-features",
                "--features",
                "rustcrypto",
            ]),
        )?;
    }
    // Feature combinations the default run does not build: the test doubles behind `mock`,
    // and the core without the default HTTP stack (`--no-default-features`).
    for p in packages_with_feature(&meta, "mock") {
        run(
            &format!("tests ({p}, all features)"),
            cargo().args(["test", "-p", &p, "--locked", "--all-features"]),
        )?;
    }
    let needs_backend = packages_with_feature(&meta, "openssl");
    for p in packages_with_feature(&meta, "hyper") {
        // without the HTTP stack; a crate that also signs keeps its (default) crypto backend
        let mut cmd = cargo();
        cmd.args([
            "clippy",
            "-p",
            &p,
            "--all-targets",
            "--locked",
            "--no-default-features",
        ]);
        if needs_backend.contains(&p) {
            cmd.args(["--features", "openssl"]);
        }
        run(
            &format!("clippy ({p}, without the hyper transport)"),
            cmd.args(["--", "-D", "warnings"]),
        )?;
    }
    run(
        "docs",
        cargo()
            .args(["doc", "--workspace", "--no-deps", "--locked"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    crate::advisories::deny()?;
    eprintln!(
        "\nci: all steps passed in {:.0} s",
        (now() - start).as_secs_f64()
    );
    Ok(())
}

/// On CI (`CI=true`) the PostgreSQL tests must run, not skip: `.ci/run` starts a server and
/// sets `BAIDUPAY_TEST_POSTGRES_URL`.
fn postgres_is_set() -> Result {
    let on_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if on_ci && std::env::var_os("BAIDUPAY_TEST_POSTGRES_URL").is_none_or(|v| v.is_empty()) {
        return Err(
            "CI=true but BAIDUPAY_TEST_POSTGRES_URL is not set: the PostgreSQL tests \
                    would be skipped; run CI through .ci/run, or start a server with \
                    `.ci/postgres start` (see the README)"
                .into(),
        );
    }
    Ok(())
}
