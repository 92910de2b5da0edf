//! Secrets never reach a screen: a private key given inline (an environment variable, the
//! config file, `--key`) works, and no output of any key path (good or broken inline keys,
//! files, missing files) contains a line of it or a secret of the config. Also: `RUST_LOG`
//! shows the SDK's spans and the default shows none, `--version` names the crypto backend, and
//! a sandbox write the database refuses fails its request and is printed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{Served, http_exchange, serve_sandbox};

const CLIENT_SECRET: &str = "cfg-client-secret-0123456789abcdef";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../vectors/baidu")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// The lines of key material an output must never contain (16 characters or more: a short
/// last line could occur by chance; the armour lines are no secret), and the one-line base64
/// form.
fn needles(pem: &str) -> Vec<String> {
    let mut out: Vec<String> = pem
        .lines()
        .map(str::trim)
        .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
        .map(str::to_owned)
        .collect();
    out.push(one_line(pem));
    out.push(CLIENT_SECRET.to_owned());
    out
}

/// The PEM body on one line, as the consoles show a key.
fn one_line(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// A run of `baidupay` in `dir` with `env` set (and every other `BAIDUPAY_*` unset).
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baidupay"));
    cmd.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (name, _) in std::env::vars() {
        if name.starts_with("BAIDUPAY_") {
            cmd.env_remove(name);
        }
    }
    cmd.envs(env.iter().copied()).output().unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Asserts that neither output contains a needle; returns stderr.
fn assert_clean(what: &str, o: &Output, needles: &[String]) -> String {
    let (out, err) = text(o);
    for n in needles {
        assert!(
            !out.contains(n.as_str()) && !err.contains(n.as_str()),
            "{what}: the output shows key material or a secret ({n:.20}...)\nstdout: {out}\nstderr: {err}"
        );
    }
    err
}

fn assert_ok(what: &str, o: &Output) {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "{what}: {out} {err}");
}

/// Exit 2 with one line on stderr that mentions `needle`.
fn assert_refused(what: &str, o: &Output, needle: &str) {
    let (_, err) = text(o);
    assert_eq!(o.status.code(), Some(2), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: one line: {err}");
    assert!(
        err.contains(needle),
        "{what}: {err:?} should mention {needle:?}"
    );
}

const ORDER: [&str; 9] = [
    "order",
    "--config",
    "baidupay.toml",
    "--tp-order-id",
    "T-1",
    "--amount",
    "100",
    "--title",
    "t",
];

/// A config file with the merchant's ids and a secret, and `private_key` when given.
fn write_config(dir: &Path, private_key: Option<&str>) {
    let mut cfg = format!(
        "[baidu]\napp_key = \"MMMabc\"\ndeal_id = \"470193086\"\nclient_id = \"cid\"\nclient_secret = \"{CLIENT_SECRET}\"\n"
    );
    if let Some(k) = private_key {
        cfg.push_str(&format!("private_key = '''\n{k}'''\n"));
    }
    std::fs::write(dir.join("baidupay.toml"), cfg).unwrap();
}

/// Broken forms of `pem`, each with why it is broken.
fn broken(pem: &str) -> Vec<(&'static str, String)> {
    let lines: Vec<&str> = pem.lines().collect();
    let body: Vec<&str> = lines[1..lines.len() - 1].to_vec();
    vec![
        (
            "a body line missing",
            [&lines[..3], &lines[4..]].concat().join("\n"),
        ),
        ("no END line", lines[..lines.len() - 1].join("\n")),
        (
            "a BEGIN line without its dashes",
            format!(
                "-----BEGIN PRIVATE KEY\n{}\n{}",
                body.join("\n"),
                lines[lines.len() - 1]
            ),
        ),
        (
            "a character that is not base64",
            pem.replacen(
                body[2],
                &format!("{}!{}", &body[2][..10], &body[2][11..]),
                1,
            ),
        ),
        (
            "one-line base64, cut short",
            one_line(pem)[..300].to_owned(),
        ),
        (
            "one-line base64 with a stray character",
            one_line(pem).replacen('A', "*", 1),
        ),
    ]
}

#[test]
fn inline_keys_work_and_no_key_path_shows_key_material() {
    let pkcs8 = fixture("tv1-doc2021-private-pkcs8.pem");
    let pkcs1 = fixture("tv1-doc2021-private-pkcs1.pem");
    let public = fixture("tv1-doc2021-public.pem");
    let mut needles = needles(&pkcs8);
    needles.extend(self::needles(&pkcs1));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("key.pem"), &pkcs8).unwrap();

    // the reference: the key from a file named in the config
    write_config(d, None);
    let env_file = [("BAIDUPAY_BAIDU_PRIVATE_KEY", "key.pem")];
    let reference = run(d, &ORDER, &env_file);
    assert_ok("key file", &reference);
    assert_clean("key file", &reference, &needles);
    let expected = String::from_utf8(reference.stdout.clone()).unwrap();
    assert!(expected.contains("rsaSign"), "{expected}");

    // the same key given inline through the environment: PEM (PKCS#8, PKCS#1), PEM with
    // literal `\n`, one-line base64
    let escaped = pkcs1.trim_end().replace('\n', "\\n");
    let b64 = one_line(&pkcs8);
    for (what, value) in [
        ("PKCS#8 PEM in the env var", pkcs8.as_str()),
        ("PKCS#1 PEM in the env var", pkcs1.as_str()),
        ("PEM with \\n escapes in the env var", escaped.as_str()),
        ("one-line base64 in the env var", b64.as_str()),
    ] {
        let o = run(d, &ORDER, &[("BAIDUPAY_BAIDU_PRIVATE_KEY", value)]);
        assert_ok(what, &o);
        assert_clean(what, &o, &needles);
        assert_eq!(
            String::from_utf8(o.stdout.clone()).unwrap(),
            expected,
            "{what}"
        );
    }

    // inline in the config file
    write_config(d, Some(&pkcs8));
    let o = run(d, &ORDER, &[]);
    assert_ok("PEM in the config", &o);
    assert_clean("PEM in the config", &o, &needles);
    assert_eq!(String::from_utf8(o.stdout.clone()).unwrap(), expected);

    // inline with --key gives the file's signature
    let params = ["--param", "appKey=MMMabc", "--param", "dealId=470193086"];
    let by_file = run(
        d,
        &[&["sign", "--key", "key.pem"][..], &params].concat(),
        &[],
    );
    assert_ok("sign --key FILE", &by_file);
    for value in [pkcs8.as_str(), b64.as_str()] {
        let o = run(d, &[&["sign", "--key", value][..], &params].concat(), &[]);
        assert_ok("sign --key INLINE", &o);
        assert_clean("sign --key INLINE", &o, &needles);
        assert_eq!(o.stdout, by_file.stdout);
    }

    // broken inline keys: refused, saying where the key was given, never showing it
    for (why, bad) in broken(&pkcs8) {
        let what = format!("{why}, in the env var");
        let o = run(d, &ORDER, &[("BAIDUPAY_BAIDU_PRIVATE_KEY", &bad)]);
        assert_clean(&what, &o, &needles);
        assert_refused(&what, &o, "BAIDUPAY_BAIDU_PRIVATE_KEY");

        let what = format!("{why}, in the config");
        write_config(d, Some(&bad));
        let o = run(d, &ORDER, &[]);
        assert_clean(&what, &o, &needles);
        assert_refused(&what, &o, "private_key of baidupay.toml");

        let what = format!("{why}, with --key");
        let o = run(
            d,
            &[&["sign", "--key", bad.as_str()][..], &params].concat(),
            &[],
        );
        assert_clean(&what, &o, &needles);
        assert_refused(&what, &o, "--key");

        let what = format!("{why}, in a file");
        std::fs::write(d.join("bad.pem"), &bad).unwrap();
        let o = run(
            d,
            &[&["sign", "--key", "bad.pem"][..], &params].concat(),
            &[],
        );
        assert_clean(&what, &o, &needles);
        assert_refused(&what, &o, "bad.pem");
    }

    // a public key where the private key goes, inline
    let o = run(d, &ORDER, &[("BAIDUPAY_BAIDU_PRIVATE_KEY", &public)]);
    assert_clean("public key inline", &o, &needles);
    assert_refused("public key inline", &o, "expected a private key");

    // missing files name the path
    write_config(d, None);
    let o = run(
        d,
        &ORDER,
        &[("BAIDUPAY_BAIDU_PRIVATE_KEY", "keys/missing.pem")],
    );
    assert_clean("missing file", &o, &needles);
    assert_refused("missing file", &o, "missing.pem");
    let o = run(
        d,
        &[&["sign", "--key", "nope.pem"][..], &params].concat(),
        &[],
    );
    assert_clean("missing --key file", &o, &needles);
    assert_refused("missing --key file", &o, "cannot read key file nope.pem");

    // a secret in a value of the wrong type is not echoed by the config error
    std::fs::write(
        d.join("baidupay.toml"),
        format!("[baidu]\napp_id = \"{CLIENT_SECRET}\"\nclient_secret = \"{CLIENT_SECRET}\"\n"),
    )
    .unwrap();
    let o = run(d, &ORDER, &env_file);
    assert_clean("config of the wrong type", &o, &needles);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn version_names_the_crypto_backend() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["--version"], &[]);
    assert_ok("--version", &o);
    let backend = if cfg!(feature = "openssl") {
        "openssl"
    } else {
        "rustcrypto"
    };
    let (out, _) = text(&o);
    assert!(
        out.starts_with("baidupay ") && out.contains(&format!("crypto backend: {backend}")),
        "{out}"
    );
}

/// Whether a stderr line is a `tracing` line (`2026-...Z  INFO target: ...`).
fn is_tracing_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let stamp = words.next().unwrap_or_default();
    let level = words.next().unwrap_or_default();
    stamp.ends_with('Z')
        && stamp.contains('T')
        && ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level)
}

#[test]
fn rust_log_shows_the_sdk_spans_and_the_default_shows_nothing_extra() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = run(dir.path(), &["demo"], &[]);
    assert_ok("demo", &quiet);
    let (_, err) = text(&quiet);
    let noise: Vec<&str> = err.lines().filter(|l| is_tracing_line(l)).collect();
    assert!(
        noise.is_empty(),
        "the default prints no log line: {noise:?}"
    );

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baidupay"));
    let o = cmd
        .current_dir(dir.path())
        .arg("demo")
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    assert_ok("RUST_LOG=debug demo", &o);
    let (_, err) = text(&o);
    // the transport's span around every request, with its fields, and its response event
    let spans: Vec<&str> = err
        .lines()
        .filter(|l| {
            is_tracing_line(l) && l.contains("http{method=") && l.contains("baidupay_transport")
        })
        .collect();
    assert!(!spans.is_empty(), "no SDK span on stderr: {err:.2000}");
    assert!(
        spans
            .iter()
            .any(|l| l.contains("path=\"/sandbox/merchants\"")),
        "{spans:?}"
    );
    // a span shows no query string (access tokens travel there)
    assert!(!err.contains("access_token="), "a token in the log");
}

#[test]
fn a_sandbox_write_the_database_refuses_is_answered_and_printed() {
    let dir = tempfile::tempdir().unwrap();
    let public = fixture("tv1-doc2021-public.pem");
    let merchant = serde_json::json!({
        "app_key": "MMMlock", "deal_id": 1, "app_id": 2, "client_id": "c",
        "client_secret": CLIENT_SECRET, "merchant_public_key": public,
        "notify_url": "http://127.0.0.1:9/pay",
        "refund_audit_url": "http://127.0.0.1:9/audit",
        "refund_notify_url": "http://127.0.0.1:9/refund",
    })
    .to_string();
    let s = serve_sandbox(
        Some(dir.path()),
        &["--db", "state.sqlite", "--keys", "keys"],
    );
    #[cfg(unix)]
    for file in [
        "keys/baidu_platform_private_key.pem",
        "keys/alipay_private_key.pem",
        "state.sqlite",
    ] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }

    // another process holds an exclusive lock: refused, the cause named, printed, not kept
    let lock = rusqlite::Connection::open(dir.path().join("state.sqlite")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (status, body) = http_exchange(&s.addr, "POST", "/sandbox/merchants", &merchant);
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("database is locked"), "{body}");
    let (status, _) = http_exchange(&s.addr, "GET", "/sandbox/merchants/MMMlock", "");
    assert_eq!(status, 404);
    // printed (read by a thread: polled for up to 10 s)
    let logged = |s: &Served| {
        let printed = s.stderr.lock().unwrap().clone();
        printed
            .lines()
            .any(|l| l.contains("ERROR") && l.contains("database is locked"))
            .then_some(printed)
    };
    let mut printed = None;
    for _ in 0..500 {
        printed = logged(&s);
        if printed.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let printed = printed.unwrap_or_else(|| {
        panic!(
            "the failed write is printed: {:?}",
            s.stderr.lock().unwrap()
        )
    });
    assert!(!printed.contains(CLIENT_SECRET), "{printed}");

    // released: the same request succeeds and survives a restart
    lock.execute_batch("COMMIT").unwrap();
    drop(lock);
    let (status, body) = http_exchange(&s.addr, "POST", "/sandbox/merchants", &merchant);
    assert_eq!(status, 201, "{body}");
    drop(s);
    let s = serve_sandbox(
        Some(dir.path()),
        &["--db", "state.sqlite", "--keys", "keys"],
    );
    let (status, body) = http_exchange(&s.addr, "GET", "/sandbox/merchants/MMMlock", "");
    assert_eq!(status, 200, "{body}");
}
