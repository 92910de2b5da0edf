//! `baidupay keygen`, `sign` and `verify`, and [`KeySource`]: a private key given as a file
//! or as the key itself, never shown.

use std::fmt;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use baidupay_model::Secret;

use baidupay_crypto::{
    Algorithm, PrivateKey, PublicKey, Rules, Signer, Verifier, canonical_string, form,
};
use clap::{Args, ValueEnum};

use zeroize::Zeroizing;

use crate::error::{CliError, CliResult, from_crypto, scrub};

/// Canonical-string rules on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RulesArg {
    /// Baidu: drop rsaSign, sign, sign_type; keep empty values.
    Baidu,
    /// Alipay requests and gateway messages: drop sign and empty values, keep sign_type.
    Alipay,
    /// Alipay trade notifications (V1): also drop sign_type.
    AlipayNotify,
}

impl From<RulesArg> for Rules {
    fn from(r: RulesArg) -> Self {
        match r {
            RulesArg::Baidu => Rules::Baidu,
            RulesArg::Alipay => Rules::Alipay,
            RulesArg::AlipayNotify => Rules::AlipayNotify,
        }
    }
}

/// Signature algorithm on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum AlgArg {
    /// SHA1withRSA (Baidu; Alipay sign_type RSA).
    RsaSha1,
    /// SHA256withRSA (Alipay sign_type RSA2).
    RsaSha256,
}

impl From<AlgArg> for Algorithm {
    fn from(a: AlgArg) -> Self {
        match a {
            AlgArg::RsaSha1 => Algorithm::RsaSha1,
            AlgArg::RsaSha256 => Algorithm::RsaSha256,
        }
    }
}

/// What to sign or verify: exactly one of these.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Input {
    /// A parameter `K=V` (repeat for each parameter)
    #[arg(long = "param", value_name = "K=V")]
    params: Vec<String>,
    /// An application/x-www-form-urlencoded body (`-` for standard input)
    #[arg(long, value_name = "FILE")]
    form: Option<PathBuf>,
    /// Sign or verify the file's bytes exactly, with no canonical string (`-` for standard input)
    #[arg(long, value_name = "FILE")]
    raw: Option<PathBuf>,
}

/// Options shared by `sign` and `verify`.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// Signature algorithm [default: rsa-sha1 with --rules baidu, rsa-sha256 with the Alipay rules]
    #[arg(long, value_enum, value_name = "A")]
    alg: Option<AlgArg>,
    /// Canonical-string rules
    #[arg(long, value_enum, value_name = "R", default_value = "baidu")]
    rules: RulesArg,
    /// Print the canonical string on standard error
    #[arg(long)]
    show_string: bool,
}

impl Common {
    fn algorithm(&self) -> Algorithm {
        self.alg
            .map(Algorithm::from)
            .unwrap_or_else(|| Rules::from(self.rules).default_algorithm())
    }
}

/// `baidupay keygen`
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Key size in bits (Baidu's docs use 1024; Alipay requires 2048)
    #[arg(long, default_value_t = 2048, value_parser = parse_bits)]
    bits: usize,
    /// Directory to write private_key.pem, public_key.pem and public_key.txt into
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// `baidupay sign`
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The private key file (PEM PKCS#1/PKCS#8, one-line base64 or DER), or the PEM or base64
    /// key itself
    #[arg(long, value_name = "FILE", value_parser = key_flag, allow_hyphen_values = true)]
    key: KeySource,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    input: Input,
}

/// `baidupay verify`
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The public key or certificate (PEM, one-line base64 or DER)
    #[arg(long, value_name = "FILE")]
    pubkey: PathBuf,
    /// The base64 signature [default with --form/--param: the body's rsaSign or sign field]
    #[arg(long, value_name = "B64")]
    signature: Option<String>,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    input: Input,
}

fn parse_bits(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(b @ (1024 | 2048 | 3072 | 4096)) => Ok(b),
        _ => Err(format!("`{s}` is not one of 1024, 2048, 3072, 4096")),
    }
}

pub(crate) fn read_file(path: &Path, what: &str) -> CliResult<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::input(format!("cannot read {what} from standard input: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path)
        .map_err(|e| CliError::input(format!("cannot read {what} {}: {e}", path.display())))
}

/// Where a private key comes from: a file, or the key itself (PEM or one-line base64) given
/// in a flag, an environment variable or the config file. Neither `Debug` nor any error shows
/// the key.
#[derive(Clone)]
pub(crate) enum KeySource {
    /// A key file (`-`: standard input).
    File(PathBuf),
    /// The key itself; `origin` names where it was given (`--key`, `BAIDUPAY_BAIDU_PRIVATE_KEY`,
    /// ...).
    Inline {
        /// Where the key was given.
        origin: String,
        /// The key.
        key: Secret,
    },
}

/// A value longer than this that is no file is never shown: it may be a mistyped key.
const SHOWN_PATH_MAX: usize = 200;

impl KeySource {
    /// Tells what `value` (given in `origin`) is: the key itself when it holds PEM armour
    /// (`-----`), a line break (or a literal `\n`), or when it is no existing file and is at
    /// least 64 characters long without a `.` (one-line base64 DER); otherwise a path.
    pub(crate) fn detect(value: &str, origin: &str) -> Self {
        let inline = value.contains("-----")
            || value.contains('\n')
            || value.contains("\\n")
            || (value.len() >= 64 && !value.contains('.') && !Path::new(value).is_file());
        if inline {
            Self::Inline {
                origin: origin.to_owned(),
                key: Secret::new(value),
            }
        } else {
            Self::File(PathBuf::from(value))
        }
    }

    /// A file path relative to `dir` (a key given inline stays as it is).
    pub(crate) fn relative_to(self, dir: &Path) -> Self {
        match self {
            Self::File(p) if p.is_relative() && p != Path::new("-") => Self::File(dir.join(p)),
            other => other,
        }
    }

    /// What an error calls it: the file, or where the key was given (never the key).
    fn describe(&self) -> String {
        match self {
            Self::File(p) if p == Path::new("-") => "key from standard input".to_owned(),
            Self::File(p) => format!("key file {}", shown_path(p)),
            Self::Inline { origin, .. } => format!("the key given inline in {origin}"),
        }
    }

    /// Reads and parses the key.
    pub(crate) fn load(&self) -> CliResult<PrivateKey> {
        let what = self.describe();
        let material: Zeroizing<Vec<u8>> = match self {
            Self::File(p) if p == Path::new("-") => Zeroizing::new(read_file(p, "key")?),
            Self::File(p) => Zeroizing::new(
                std::fs::read(p)
                    .map_err(|e| CliError::input(format!("cannot read {what}: {e}")))?,
            ),
            Self::Inline { key, .. } => Zeroizing::new(key.expose().as_bytes().to_vec()),
        };
        PrivateKey::parse(&*material).map_err(|e| {
            let err = from_crypto(&what, &e);
            scrub_key(err, &material)
        })
    }
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Inline { origin, key } => f
                .debug_struct("Inline")
                .field("origin", origin)
                .field("key", key)
                .finish(),
        }
    }
}

/// `--key`: a file or the key itself.
fn key_flag(value: &str) -> Result<KeySource, String> {
    if value.is_empty() {
        return Err("the key is empty: pass a key file or the key itself".to_owned());
    }
    Ok(KeySource::detect(value, "--key"))
}

/// A path for an error message; a long one that is no file may be a mistyped key, and is not
/// shown.
fn shown_path(p: &Path) -> String {
    let text = p.display().to_string();
    if text.len() > SHOWN_PATH_MAX {
        format!("(a value of {} characters, not shown)", text.len())
    } else {
        text
    }
}

/// Removes from an error message the key material it was made from, whatever the message
/// says: key material is never shown.
fn scrub_key(err: CliError, material: &[u8]) -> CliError {
    let text = Zeroizing::new(String::from_utf8_lossy(material).into_owned());
    err.map_message(|m| scrub(m, &text))
}

pub(crate) fn load_public_key(path: &Path) -> CliResult<PublicKey> {
    let bytes = read_file(path, "public key file")?;
    PublicKey::parse(&bytes).map_err(|e| from_crypto(&format!("public key {}", path.display()), &e))
}

/// The message to sign or verify, and the decoded pairs when there were any.
enum Message {
    Raw(Vec<u8>),
    Pairs(Vec<(String, String)>),
}

fn read_input(input: &Input) -> CliResult<Message> {
    if let Some(path) = &input.raw {
        return Ok(Message::Raw(read_file(path, "raw file")?));
    }
    if let Some(path) = &input.form {
        let body = read_file(path, "form body")?;
        let pairs = form::parse(&body)
            .map_err(|e| from_crypto(&format!("form body {}", path.display()), &e))?;
        return Ok(Message::Pairs(pairs));
    }
    let mut pairs = Vec::with_capacity(input.params.len());
    for p in &input.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| CliError::input(format!("--param `{p}` is not K=V")))?;
        if k.is_empty() {
            return Err(CliError::input(format!("--param `{p}` has an empty key")));
        }
        pairs.push((k.to_owned(), v.to_owned()));
    }
    Ok(Message::Pairs(pairs))
}

fn canonical(rules: Rules, pairs: &[(String, String)]) -> CliResult<String> {
    canonical_string(rules, pairs.iter().map(|(k, v)| (k, v))).map_err(|e| from_crypto("", &e))
}

fn show(common: &Common, bytes: &[u8]) {
    if common.show_string {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.write_all(b"\n");
    }
}

pub(crate) fn sign(args: &SignArgs) -> CliResult {
    let key = args.key.load()?;
    let message = match read_input(&args.input)? {
        Message::Raw(bytes) => bytes,
        Message::Pairs(pairs) => canonical(args.common.rules.into(), &pairs)?.into_bytes(),
    };
    show(&args.common, &message);
    let sig = Signer::new(key, args.common.algorithm())
        .sign_base64(&message)
        .map_err(|e| from_crypto("signing failed", &e))?;
    println!("{sig}");
    Ok(())
}

pub(crate) fn verify(args: &VerifyArgs) -> CliResult {
    let key = load_public_key(&args.pubkey)?;
    let rules: Rules = args.common.rules.into();
    let (message, embedded) = match read_input(&args.input)? {
        Message::Raw(bytes) => (bytes, None),
        Message::Pairs(pairs) => {
            let names: &[&str] = match rules {
                Rules::Baidu | Rules::BaiduCallback => &["rsaSign", "sign"],
                _ => &["sign"],
            };
            let embedded = names
                .iter()
                .find_map(|n| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()));
            (canonical(rules, &pairs)?.into_bytes(), embedded)
        }
    };
    show(&args.common, &message);
    let signature = args.signature.clone().or(embedded).ok_or_else(|| {
        CliError::input(
            "no signature: pass --signature, or a --form body that carries rsaSign or sign",
        )
    })?;
    let alg = args.common.algorithm();
    Verifier::new(key, alg)
        .verify_base64(&message, &signature)
        .map_err(|e| from_crypto(&format!("{alg} with {rules} rules"), &e))?;
    println!("signature verifies ({alg}, {rules} rules)");
    Ok(())
}

pub(crate) fn keygen(args: &KeygenArgs) -> CliResult {
    let dir = &args.out;
    let files = ["private_key.pem", "public_key.pem", "public_key.txt"].map(|f| dir.join(f));
    if let Some(existing) = files.iter().find(|p| p.exists()) {
        return Err(CliError::input(format!(
            "refusing to overwrite {}: choose another --out directory",
            existing.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| CliError::input(format!("cannot create {}: {e}", dir.display())))?;
    let key = PrivateKey::generate(args.bits).map_err(|e| from_crypto("key generation", &e))?;
    let public = key.public_key();
    let [private_path, public_path, txt_path] = &files;
    write_new(private_path, key.to_pkcs8_pem().as_bytes(), true)?;
    write_new(public_path, public.to_spki_pem().as_bytes(), false)?;
    let line = public.to_base64();
    write_new(txt_path, format!("{line}\n").as_bytes(), false)?;
    eprintln!(
        "wrote {} (PKCS#8, mode 0600), {} (SPKI) and {} (one line, for the console); {} bits",
        private_path.display(),
        public_path.display(),
        txt_path.display(),
        args.bits
    );
    println!("{line}");
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8], secret: bool) -> CliResult {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts
        .open(path)
        .map_err(|e| CliError::input(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| CliError::input(format!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALpludIroR4IwWrc\n-----END PRIVATE KEY-----\n";

    #[test]
    fn detects_files_and_inline_keys() {
        let b64 = "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBALpludIroR4IwWrc";
        for inline in [PEM, b64, "MIIC\\nabc", "-----BEGIN PRIVATE KEY"] {
            assert!(
                matches!(KeySource::detect(inline, "X"), KeySource::Inline { .. }),
                "{inline}"
            );
        }
        for path in ["key.pem", "keys/private_key.pem", "-", "/etc/k"] {
            assert!(
                matches!(KeySource::detect(path, "X"), KeySource::File(_)),
                "{path}"
            );
        }
        let relative = KeySource::detect("k.pem", "X").relative_to(Path::new("cfg"));
        assert!(matches!(relative, KeySource::File(p) if p == Path::new("cfg/k.pem")));
    }

    #[test]
    fn debug_and_errors_never_show_an_inline_key() {
        let source = KeySource::detect(PEM, "BAIDUPAY_BAIDU_PRIVATE_KEY");
        let dbg = format!("{source:?}");
        assert!(!dbg.contains("MIIC") && dbg.contains("[redacted]"), "{dbg}");
        let err = source.load().map(drop).unwrap_err().to_string();
        assert!(!err.contains("MIIC"), "{err}");
        assert!(err.contains("BAIDUPAY_BAIDU_PRIVATE_KEY"), "{err}");
    }
}
