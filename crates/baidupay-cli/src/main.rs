//! The `baidupay` command: debug a Baidu cashier or Alipay integration from the shell.
//!
//! The command line is a stable contract (names, flags, outputs, exit codes): exit 0 on
//! success, 1 when a signature does not verify or a check fails, 2 on bad input, with the
//! reason on standard error in one line.
//!
//! Log output: the SDK's `tracing` spans and events go to standard error, filtered by
//! `RUST_LOG` (default `warn`: a refused callback or a failed sandbox write shows, nothing
//! else). `baidupay --version` names the crypto backend compiled in.

mod bill;
mod config;
mod demo;
mod error;
mod keys;
mod notify;
mod order;
mod tp_event;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _, Parser, Subcommand};

/// Keys, signatures and callbacks for Baidu Smart Mini Program and Alipay payments.
#[derive(Debug, Parser)]
#[command(name = "baidupay", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an RSA key pair: private_key.pem (PKCS#8, 0600), public_key.pem, public_key.txt
    Keygen(keys::KeygenArgs),
    /// Sign parameters, a form body or raw bytes; prints the base64 signature
    Sign(keys::SignArgs),
    /// Verify a signature; exit 0 when it verifies, 1 when it does not
    Verify(keys::VerifyArgs),
    /// Verify and parse a callback body; prints the notification and the exact answer
    Notify(notify::NotifyArgs),
    /// Seal a JSON message into a TP event envelope (fresh nonce, current time), for tests
    TpSeal(tp_event::TpSealArgs),
    /// Print the signed orderInfo JSON for swan.requestPolymerPayment
    Order(order::OrderArgs),
    /// Run the cashier's "errCode:6 请求签名错误" checklist on an orderInfo JSON file
    CheckOrder(order::CheckOrderArgs),
    /// Print a bill file's rows normalized (UTF-8, one header, amounts in fen)
    Bill(bill::BillArgs),
    /// Match a bill against the merchant's ledger; exit 0 when nothing differs, 1 when something does
    Reconcile(bill::ReconcileArgs),
    /// Run the offline Baidu cashier simulator until Ctrl-C
    Sandbox(demo::SandboxArgs),
    /// Run every Baidu cashier flow end to end against the sandbox; exit 0 when all pass
    Demo,
}

/// `0.1.0 (crypto backend: openssl)`: the version and the RSA backend this build signs with.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (crypto backend: {})",
            env!("CARGO_PKG_VERSION"),
            baidupay_crypto::backend_name()
        )
    })
}

/// Sends `tracing` output to standard error, filtered by `RUST_LOG` (default `warn`); an
/// unreadable `RUST_LOG` is reported once and the default is used.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Err(_) => EnvFilter::new("warn"),
        Ok(spec) => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            eprintln!("baidupay: RUST_LOG {spec:?} is not a log filter ({e}): using warn");
            EnvFilter::new("warn")
        }),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}

/// Parses the command line, with the version that names the backend.
fn parse() -> Result<Cli, clap::Error> {
    let matches = Cli::command().version(version()).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// Removes from a usage error every argument and `BAIDUPAY_*` value that may be a secret
/// (clap quotes the argument it could not place, which may be a key given inline).
fn redact_secrets(msg: &str) -> String {
    let text = |s: std::ffi::OsString| s.to_string_lossy().into_owned();
    // each argument with the flag it belongs to (`--tp-token VALUE` or `--tp-token=VALUE`),
    // so that a short secret given to a secret-named flag is judged by that name
    let argv: Vec<String> = std::env::args_os().skip(1).map(text).collect();
    let args = argv.iter().enumerate().flat_map(|(i, a)| {
        let mut named = vec![(None, a.clone())];
        if let Some((flag, value)) = a.strip_prefix("--").and_then(|f| f.split_once('=')) {
            named.push((Some(flag.to_owned()), value.to_owned()));
        } else if let Some(flag) = i
            .checked_sub(1)
            .and_then(|p| argv.get(p))
            .and_then(|p| p.strip_prefix("--"))
        {
            named.push((Some(flag.to_owned()), a.clone()));
        }
        named
    });
    let vars = std::env::vars_os()
        .map(|(n, v)| (text(n), text(v)))
        .filter(|(n, _)| n.starts_with("BAIDUPAY_"))
        .map(|(n, v)| (Some(n), v));
    args.chain(vars)
        .filter(|(name, value)| error::may_be_secret(name.as_deref(), value))
        .fold(msg.to_owned(), |m, (_, value)| error::scrub(&m, &value))
}

fn main() -> ExitCode {
    init_logging();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // One line: clap's message up to its usage block.
            let text = e.render().to_string();
            let reason: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let reason = redact_secrets(&reason.join(" "));
            eprintln!(
                "baidupay: {} (see --help)",
                reason.trim_start_matches("error: ")
            );
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        Command::Keygen(args) => keys::keygen(args),
        Command::Sign(args) => keys::sign(args),
        Command::Verify(args) => keys::verify(args),
        Command::Notify(args) => notify::notify(args),
        Command::TpSeal(args) => tp_event::seal(args),
        Command::Order(args) => order::order(args),
        Command::CheckOrder(args) => order::check_order(args),
        Command::Bill(args) => bill::bill(args),
        Command::Reconcile(args) => bill::reconcile_cmd(args),
        Command::Sandbox(args) => demo::sandbox(args),
        Command::Demo => demo::demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("baidupay: {}", redact_secrets(&e.to_string()));
            e.exit_code()
        }
    }
}
