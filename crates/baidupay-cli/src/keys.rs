//! `baidupay keygen`, `sign` and `verify`.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use baidupay_crypto::{
    Algorithm, PrivateKey, PublicKey, Rules, Signer, Verifier, canonical_string, form,
};
use clap::{Args, ValueEnum};

use crate::error::{CliError, CliResult, from_crypto};

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
    /// The private key (PEM PKCS#1/PKCS#8, one-line base64 or DER)
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
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

pub(crate) fn load_private_key(path: &Path) -> CliResult<PrivateKey> {
    let bytes = read_file(path, "key file")?;
    PrivateKey::parse(&bytes).map_err(|e| from_crypto(&format!("key {}", path.display()), &e))
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
    let key = load_private_key(&args.key)?;
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
