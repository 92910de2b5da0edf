//! `cargo xtask ci`: exactly what CI runs.

use crate::Result;
use crate::meta::{metadata, packages_with_feature, rustcrypto_packages};
use crate::shell::{cargo, now, run, workspace_root};

/// The CLI as a user builds it for the pure-Rust backend.
const RUSTCRYPTO_CLI: [&str; 5] = [
    "-p",
    "baidupay-cli",
    "--no-default-features",
    "--features",
    "rustcrypto",
];

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
    rustcrypto_cli()?;
    // the CLI's tests ran with its rustcrypto-only build just above
    let rc_tests: Vec<String> = rc
        .iter()
        .filter(|p| p.as_str() != "baidupay-cli")
        .flat_map(|p| ["-p".to_owned(), p.clone()])
        .collect();
    if !rc_tests.is_empty() {
        run(
            "tests (rustcrypto backend)",
            cargo().arg("test").args(&rc_tests).args([
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

/// The pure-Rust CLI really is pure Rust: built alone (`-p baidupay-cli --no-default-features
/// --features rustcrypto`, in its own target dir under `target/` so that the main build is not
/// invalidated), nothing in its dependency tree is `openssl-sys`, the binary links no libssl
/// or libcrypto, `--version` names `rustcrypto`, and the CLI's tests pass with it.
fn rustcrypto_cli() -> Result {
    let step = "rustcrypto-only CLI";
    let start = now();
    let target = workspace_root().join("target").join("rustcrypto-cli");
    let target_arg = target.to_string_lossy().into_owned();
    eprintln!("\n==> {step}");
    let tree = cargo()
        .args(["tree", "-e", "normal", "--locked", "-i", "openssl-sys"])
        .args(RUSTCRYPTO_CLI)
        .output()
        .map_err(|e| format!("{step}: cannot run cargo tree: {e}"))?;
    // absent: no such package in the graph (an error), or one only a dev-dependency pulls in
    // (success, "nothing to print")
    let (stdout, stderr) = (
        String::from_utf8_lossy(&tree.stdout),
        String::from_utf8_lossy(&tree.stderr),
    );
    if tree.status.success() && !stdout.trim().is_empty() {
        return Err(format!(
            "{step}: openssl-sys is in its dependency tree:\n{stdout}"
        ));
    }
    if !tree.status.success() && !stderr.contains("did not match any packages") {
        return Err(format!("{step}: cargo tree failed: {}", stderr.trim()));
    }
    eprintln!("    no openssl-sys in `cargo tree -e normal -i openssl-sys`");
    run(
        &format!("{step}: build"),
        cargo()
            .args(["build", "--locked", "--target-dir", &target_arg])
            .args(RUSTCRYPTO_CLI),
    )?;
    let binary = target.join("debug").join("baidupay");
    if cfg!(target_os = "linux") {
        let ldd = crate::shell::output(std::process::Command::new("ldd").arg(&binary))?;
        if let Some(line) = ldd
            .lines()
            .find(|l| l.contains("libssl") || l.contains("libcrypto"))
        {
            return Err(format!("{step}: the binary links OpenSSL: {}", line.trim()));
        }
        eprintln!("    ldd: no libssl, no libcrypto");
    } else {
        eprintln!("    ldd check skipped (not Linux)");
    }
    let version = crate::shell::output(std::process::Command::new(&binary).arg("--version"))?;
    if !version.contains("crypto backend: rustcrypto") {
        return Err(format!(
            "{step}: `baidupay --version` does not name rustcrypto: {}",
            version.trim()
        ));
    }
    eprintln!("    {}", version.trim());
    run(
        &format!("{step}: tests"),
        cargo()
            .args(["test", "--locked", "--target-dir", &target_arg])
            .args(RUSTCRYPTO_CLI),
    )?;
    eprintln!(
        "    ({step}, all of it: {:.1} s)",
        (now() - start).as_secs_f64()
    );
    Ok(())
}
