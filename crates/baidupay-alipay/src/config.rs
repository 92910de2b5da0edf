//! Client configuration: app id, keys or certificates, gateway, clock.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use baidupay_crypto::cert::{Certificate, alipay_root_cert_sn};
use baidupay_crypto::{Algorithm, PrivateKey, PublicKey, Signer};
use baidupay_model::{AlipayAppId, Secret};
use baidupay_transport::{Clock, SystemClock};

use crate::error::ConfigError;

/// The production gateway.
pub const PRODUCTION_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";
/// The current sandbox gateway ("新版沙箱", since 2023; the old `openapi.alipaydev.com` is
/// retired for new sandbox apps).
pub const SANDBOX_GATEWAY: &str = "https://openapi-sandbox.dl.alipaydev.com/gateway.do";

/// Where requests go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gateway {
    /// [`PRODUCTION_GATEWAY`].
    Production,
    /// [`SANDBOX_GATEWAY`].
    Sandbox,
    /// Any absolute URL (a simulator, a proxy).
    Custom(String),
}

impl Gateway {
    /// The URL.
    pub fn url(&self) -> &str {
        match self {
            Gateway::Production => PRODUCTION_GATEWAY,
            Gateway::Sandbox => SANDBOX_GATEWAY,
            Gateway::Custom(u) => u,
        }
    }
}

/// Fetches an Alipay public-key certificate by serial number when a response names one the
/// client does not have (Alipay rotates its certificate transparently; the official route is
/// `alipay.open.app.alipaycert.download`).
#[async_trait::async_trait]
pub trait AlipayCertFetcher: Send + Sync + fmt::Debug + 'static {
    /// The PEM (or DER) certificate whose Alipay serial number is `sn`.
    ///
    /// # Errors
    /// Any message; it is reported in [`crate::AlipayError::UnknownCertificate`].
    async fn fetch(&self, sn: &str) -> Result<Vec<u8>, String>;
}

/// Certificate mode (公钥证书): the serial numbers sent with every request and the Alipay
/// certificates known by serial number.
pub(crate) struct CertMode {
    pub(crate) app_cert_sn: String,
    pub(crate) root_cert_sn: String,
    /// The configured Alipay certificate's SN (used when a response names none).
    pub(crate) current_sn: String,
    /// The issuer of the configured Alipay certificate: a fetched one must have the same.
    pub(crate) issuer: String,
    pub(crate) known: RwLock<HashMap<String, PublicKey>>,
    pub(crate) fetcher: Option<Arc<dyn AlipayCertFetcher>>,
}

pub(crate) enum Verification {
    PublicKey(PublicKey),
    Certificates(CertMode),
}

/// Everything the client needs to sign requests and verify answers.
///
/// Built with [`AlipayConfig::new`] (public-key mode) or [`AlipayConfig::with_certificates`]
/// (certificate mode); both check the classic key mix-ups before anything is sent.
pub struct AlipayConfig {
    pub(crate) app_id: AlipayAppId,
    pub(crate) signer: Signer,
    pub(crate) verification: Verification,
    pub(crate) gateway: Gateway,
    pub(crate) app_auth_token: Option<Secret>,
    pub(crate) notify_url: Option<String>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for AlipayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.verification {
            Verification::PublicKey(_) => "public key".to_owned(),
            Verification::Certificates(c) => format!(
                "certificates (app_cert_sn {}, alipay_root_cert_sn {})",
                c.app_cert_sn, c.root_cert_sn
            ),
        };
        f.debug_struct("AlipayConfig")
            .field("app_id", &self.app_id)
            .field("sign_type", &self.signer.algorithm().alipay_sign_type())
            .field("verification", &mode)
            .field("gateway", &self.gateway.url())
            .field(
                "app_auth_token",
                &self.app_auth_token.as_ref().map(|_| "<redacted>"),
            )
            .field("notify_url", &self.notify_url)
            .finish_non_exhaustive()
    }
}

fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.modulus() == b.modulus() && a.exponent() == b.exponent()
}

fn key_err(what: &'static str) -> impl FnOnce(baidupay_crypto::Error) -> ConfigError {
    move |source| ConfigError::Key { what, source }
}

/// The first certificate of a file: the console's certificate files may carry the issuing CA
/// after the certificate itself (as Java's `CertificateFactory` and gopay read them).
pub(crate) fn leaf(pem: &[u8], what: &'static str) -> Result<Certificate, ConfigError> {
    Certificate::all_from_pem(pem)
        .map_err(key_err(what))?
        .into_iter()
        .next()
        .ok_or(ConfigError::Key {
            what,
            source: baidupay_crypto::Error::NoRsaCertificate { found: 0 },
        })
}

impl AlipayConfig {
    /// Public-key mode: the app private key signs (RSA2), `alipay_public_key` (the console's
    /// 支付宝公钥) verifies.
    ///
    /// # Errors
    /// [`ConfigError::AlipayKeyIsAppKey`] when the "Alipay public key" is the app's own.
    pub fn new(
        app_id: AlipayAppId,
        app_private_key: PrivateKey,
        alipay_public_key: PublicKey,
    ) -> Result<Self, ConfigError> {
        if same_key(app_private_key.public_key(), &alipay_public_key) {
            return Err(ConfigError::AlipayKeyIsAppKey);
        }
        Ok(Self::build(
            app_id,
            app_private_key,
            Verification::PublicKey(alipay_public_key),
        ))
    }

    /// Public-key mode from the texts the console hands out (PEM or one-line base64; PKCS#1
    /// or PKCS#8 private key; SPKI, PKCS#1 or certificate public key). Errors name the
    /// setting and the format that was found.
    ///
    /// # Errors
    /// [`ConfigError::Key`] or [`ConfigError::AlipayKeyIsAppKey`].
    pub fn from_keys(
        app_id: AlipayAppId,
        app_private_key: impl AsRef<[u8]>,
        alipay_public_key: impl AsRef<[u8]>,
    ) -> Result<Self, ConfigError> {
        let private = PrivateKey::parse(app_private_key).map_err(key_err("app private key"))?;
        let public = PublicKey::parse(alipay_public_key).map_err(key_err("alipay public key"))?;
        Self::new(app_id, private, public)
    }

    /// Certificate mode: `app_cert` (`appCertPublicKey_<appid>.crt`), `alipay_cert`
    /// (`alipayCertPublicKey_RSA2.crt`) and `root_cert` (`alipayRootCert.crt`). The serial
    /// numbers `app_cert_sn` and `alipay_root_cert_sn` are computed from them.
    ///
    /// # Errors
    /// [`ConfigError::Key`] for an unreadable certificate, [`ConfigError::AppCertMismatch`] when
    /// the app certificate is not the private key's, [`ConfigError::AlipayKeyIsAppKey`] when
    /// the Alipay certificate holds the app's key, [`ConfigError::RootCert`].
    pub fn with_certificates(
        app_id: AlipayAppId,
        app_private_key: PrivateKey,
        app_cert: impl AsRef<[u8]>,
        alipay_cert: impl AsRef<[u8]>,
        root_cert: impl AsRef<[u8]>,
    ) -> Result<Self, ConfigError> {
        let app = leaf(app_cert.as_ref(), "app certificate")?;
        let alipay = leaf(alipay_cert.as_ref(), "alipay certificate")?;
        let app_key = app.public_key().map_err(key_err("app certificate"))?;
        if !same_key(&app_key, app_private_key.public_key()) {
            return Err(ConfigError::AppCertMismatch);
        }
        let alipay_key = alipay.public_key().map_err(key_err("alipay certificate"))?;
        if same_key(&alipay_key, app_private_key.public_key()) {
            return Err(ConfigError::AlipayKeyIsAppKey);
        }
        let root_cert_sn =
            alipay_root_cert_sn(root_cert.as_ref()).map_err(ConfigError::RootCert)?;
        let current_sn = alipay.alipay_sn();
        let mut known = HashMap::new();
        known.insert(current_sn.clone(), alipay_key);
        Ok(Self::build(
            app_id,
            app_private_key,
            Verification::Certificates(CertMode {
                app_cert_sn: app.alipay_sn(),
                root_cert_sn,
                current_sn,
                issuer: alipay.issuer().to_owned(),
                known: RwLock::new(known),
                fetcher: None,
            }),
        ))
    }

    fn build(app_id: AlipayAppId, key: PrivateKey, verification: Verification) -> Self {
        Self {
            app_id,
            signer: Signer::new(key, Algorithm::RsaSha256),
            verification,
            gateway: Gateway::Production,
            app_auth_token: None,
            notify_url: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The gateway (default [`Gateway::Production`]).
    ///
    /// # Errors
    /// [`ConfigError::Gateway`] when a custom URL is not absolute http(s).
    pub fn gateway(mut self, gateway: Gateway) -> Result<Self, ConfigError> {
        if let Gateway::Custom(url) = &gateway {
            let ok = url.parse::<http::Uri>().ok().is_some_and(|u| {
                matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some()
            });
            if !ok {
                return Err(ConfigError::Gateway {
                    url: url.clone(),
                    reason: "expected an absolute http(s) URL",
                });
            }
        }
        self.gateway = gateway;
        Ok(self)
    }

    /// Legacy `RSA` (SHA1withRSA) instead of the default `RSA2` (SHA256withRSA); responses are
    /// then verified with SHA1withRSA too.
    #[must_use]
    pub fn legacy_rsa(mut self) -> Self {
        self.signer = Signer::new(self.signer.key().clone(), Algorithm::RsaSha1);
        self
    }

    /// The `app_auth_token` of a merchant who authorized this (service-provider) app.
    #[must_use]
    pub fn app_auth_token(mut self, token: Secret) -> Self {
        self.app_auth_token = Some(token);
        self
    }

    /// The `notify_url` sent with `alipay.trade.create`.
    #[must_use]
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    /// The clock of the `timestamp` parameter (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Certificate mode: where to get an Alipay certificate a response names and the client
    /// does not know yet (a rotation). Without a fetcher such a response is an error.
    #[must_use]
    pub fn cert_fetcher(mut self, fetcher: Arc<dyn AlipayCertFetcher>) -> Self {
        if let Verification::Certificates(c) = &mut self.verification {
            c.fetcher = Some(fetcher);
        }
        self
    }

    /// The app id.
    pub fn app_id(&self) -> &AlipayAppId {
        &self.app_id
    }

    /// `RSA2` or `RSA`.
    pub fn sign_type(&self) -> &'static str {
        self.signer.algorithm().alipay_sign_type()
    }

    /// `(app_cert_sn, alipay_root_cert_sn)` in certificate mode.
    pub fn cert_sns(&self) -> Option<(&str, &str)> {
        match &self.verification {
            Verification::Certificates(c) => Some((&c.app_cert_sn, &c.root_cert_sn)),
            Verification::PublicKey(_) => None,
        }
    }

    /// The gateway URL.
    pub fn gateway_url(&self) -> &str {
        self.gateway.url()
    }
}
