//! Third-party-platform (TP) event messages: the signed and AES-encrypted envelope the platform
//! POSTs to a TP (ticket push, authorization events, payment audit pushes), opened and sealed.
//!
//! The scheme (the platform's "第三方平台消息加解密"):
//!
//! * body: `{"Nonce","TimeStamp","Encrypt","MsgSignature"}`;
//! * `MsgSignature` = lower-case hex SHA-1 of the byte-sorted concatenation of the TP's message
//!   token, `TimeStamp`, `Nonce` and `Encrypt`;
//! * key = base64(EncodingAESKey + `"="`) (32 bytes), IV = its first 16 bytes;
//! * `Encrypt` = base64 of AES-256-CBC over `16 random bytes || u32 BE length N || N bytes of
//!   JSON || the TP id`, padded PKCS#7-style to a multiple of **32** bytes.
//!
//! The AES and SHA-1 code is pure Rust whatever the RSA backend feature.

use std::fmt;

use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use baidupay_model::tp::{TpAuditEvent, TpAuditPush};
use baidupay_model::{JsonError, Secret};
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::TpEventError;
use crate::form::DEFAULT_MAX_BODY;

type Result<T, E = TpEventError> = std::result::Result<T, E>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// The length of an EncodingAESKey.
pub const AES_KEY_LEN: usize = 43;
/// The padding block of the scheme (not AES's 16).
const PAD_BLOCK: usize = 32;
/// Random prefix + length prefix.
const HEADER: usize = 20;

/// The EncodingAESKey decoder: standard alphabet, and the last character's unused bits need not
/// be zero (a console-generated key's 43rd character is random).
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// A TP's message secrets: the message token ("消息校验 Token"), the EncodingAESKey
/// ("消息加解密 Key") and the TP's id, validated once. Opens (verifies, decrypts, parses) and
/// seals event envelopes.
///
/// The token and key print as `[redacted]` and are zeroized on drop.
///
/// ```
/// use baidupay_notify::{TpEvent, TpEventKeys};
/// let keys = TpEventKeys::new("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "tp-id")?;
/// let json = br#"{"Ticket":"t-1","FromUserName":"SmartAPP","CreateTime":"1413192605","MsgType":"ticket","Event":"push"}"#;
/// let envelope = keys.seal(json, "4464221", 1_535_551_395, [7; 16])?;
/// let event = keys.open(envelope.to_json().as_bytes())?; // verified, decrypted, parsed
/// let TpEvent::Ticket(push) = &event else { unreachable!() };
/// assert_eq!(push.ticket.expose(), "t-1");
/// assert_eq!(event.event_name(), "ticket");
/// assert_eq!(format!("{keys:?}"), r#"TpEventKeys { token: [redacted], aes_key: [redacted], tp_id: "tp-id" }"#);
/// # Ok::<(), baidupay_notify::TpEventError>(())
/// ```
#[derive(Clone)]
pub struct TpEventKeys {
    token: Secret,
    key: Zeroizing<[u8; 32]>,
    tp_id: String,
}

impl fmt::Debug for TpEventKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TpEventKeys")
            .field("token", &self.token)
            .field("aes_key", &format_args!("[redacted]"))
            .field("tp_id", &self.tp_id)
            .finish()
    }
}

impl TpEventKeys {
    /// Validates and keeps the TP's token, its 43-character EncodingAESKey and its id (the
    /// client id / app id the platform appends to every message).
    ///
    /// # Errors
    /// [`TpEventError::InvalidAesKey`] when the key is not 43 characters of `[A-Za-z0-9]`;
    /// [`TpEventError::EmptyParameter`] for an empty token or id.
    pub fn new(
        token: impl Into<Secret>,
        encoding_aes_key: &str,
        tp_id: impl Into<String>,
    ) -> Result<Self> {
        let token = token.into();
        let tp_id = tp_id.into();
        if token.is_empty() {
            return Err(TpEventError::EmptyParameter { what: "token" });
        }
        if tp_id.is_empty() {
            return Err(TpEventError::EmptyParameter { what: "id" });
        }
        let key = decode_aes_key(encoding_aes_key)?;
        Ok(Self { token, key, tp_id })
    }

    /// The TP id the messages must end with.
    pub fn tp_id(&self) -> &str {
        &self.tp_id
    }

    /// The `MsgSignature` of these envelope fields: lower-case hex SHA-1 of the byte-sorted
    /// concatenation of the token, `timestamp`, `nonce` and `encrypt`.
    pub fn msg_signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        let mut parts = [self.token.expose(), timestamp, nonce, encrypt];
        parts.sort_unstable();
        let mut sha = Sha1::new();
        for p in parts {
            sha.update(p.as_bytes());
        }
        hex_lower(&sha.finalize())
    }

    /// Verifies, decrypts and parses an event body exactly as POSTed.
    ///
    /// # Errors
    /// Authentication failures ([`TpEventError::is_authentication_failure`]): a `MsgSignature`
    /// that does not match, a ciphertext that is not whole AES blocks, bad padding, a length
    /// prefix that overruns the message, another TP's id. Malformed bodies
    /// ([`TpEventError::is_malformed`]): not an envelope, `Encrypt` not base64, a message that
    /// is not a JSON object, a known event without its documented fields, a body over 64 KiB.
    pub fn open(&self, body: &[u8]) -> Result<TpEvent> {
        TpEvent::from_map(self.open_json(body)?)
    }

    /// Verifies and decrypts an event body, returning the decrypted JSON object unparsed.
    ///
    /// # Errors
    /// As [`TpEventKeys::open`], except the event-shape check.
    pub fn open_json(&self, body: &[u8]) -> Result<Map<String, Value>> {
        if body.len() > DEFAULT_MAX_BODY {
            return Err(TpEventError::BodyTooLarge {
                limit: DEFAULT_MAX_BODY,
                size: body.len(),
            });
        }
        let envelope = Envelope::parse(body)?;
        self.open_envelope(&envelope)
    }

    /// Verifies and decrypts a parsed envelope, returning the decrypted JSON object.
    ///
    /// # Errors
    /// As [`TpEventKeys::open_json`].
    pub fn open_envelope(&self, envelope: &Envelope) -> Result<Map<String, Value>> {
        let expected = self.msg_signature(&envelope.timestamp, &envelope.nonce, &envelope.encrypt);
        let received = envelope.msg_signature.to_ascii_lowercase();
        if !bool::from(expected.as_bytes().ct_eq(received.as_bytes())) {
            return Err(TpEventError::BadSignature);
        }
        let ciphertext = STANDARD
            .decode(envelope.encrypt.as_bytes())
            .map_err(|_| TpEventError::EncryptEncoding)?;
        let message = self.decrypt(ciphertext)?;
        let value: Value = serde_json::from_slice(&message)
            .map_err(|e| TpEventError::MessageNotJson(JsonError::from(e)))?;
        match value {
            Value::Object(map) => Ok(map),
            _ => Err(TpEventError::MessageNotObject),
        }
    }

    /// Decrypts a ciphertext and returns the message between the length prefix and the TP id.
    fn decrypt(&self, mut buf: Vec<u8>) -> Result<Zeroizing<Vec<u8>>> {
        let len = buf.len();
        if len == 0 || !len.is_multiple_of(16) {
            return Err(TpEventError::CiphertextLength { len });
        }
        let key = &*self.key;
        let plain_len = Aes256CbcDec::new(key.into(), key[..16].into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| TpEventError::CiphertextLength { len })?
            .len();
        let plain = Zeroizing::new(buf);
        let pad = usize::from(plain[plain_len - 1]);
        if !(1..=PAD_BLOCK).contains(&pad)
            || pad > plain_len
            || plain[plain_len - pad..plain_len]
                .iter()
                .any(|&b| usize::from(b) != pad)
        {
            return Err(TpEventError::BadPadding);
        }
        let content = &plain[..plain_len - pad];
        let prefix: [u8; 4] = content
            .get(16..HEADER)
            .and_then(|s| s.try_into().ok())
            .ok_or(TpEventError::BadLength)?;
        let n = usize::try_from(u32::from_be_bytes(prefix)).map_err(|_| TpEventError::BadLength)?;
        let end = HEADER
            .checked_add(n)
            .filter(|&end| end <= content.len())
            .ok_or(TpEventError::BadLength)?;
        if &content[end..] != self.tp_id.as_bytes() {
            return Err(TpEventError::WrongTpId);
        }
        Ok(Zeroizing::new(content[HEADER..end].to_vec()))
    }

    /// Seals a message exactly as the platform does: `random` as the 16-byte prefix, the given
    /// nonce and timestamp (Unix seconds), the signature over them. The message is sealed as
    /// given (any bytes; the platform sends a JSON object).
    ///
    /// # Errors
    /// [`TpEventError::MessageTooLong`] for a message of 4 GiB or more.
    pub fn seal(
        &self,
        message: &[u8],
        nonce: &str,
        timestamp: i64,
        random: [u8; 16],
    ) -> Result<Envelope> {
        let n = u32::try_from(message.len())
            .map_err(|_| TpEventError::MessageTooLong { len: message.len() })?;
        let unpadded = HEADER + message.len() + self.tp_id.len();
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buf = Zeroizing::new(Vec::with_capacity(unpadded + pad));
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&n.to_be_bytes());
        buf.extend_from_slice(message);
        buf.extend_from_slice(self.tp_id.as_bytes());
        // pad <= 32, so the cast is exact
        buf.resize(unpadded + pad, pad as u8);
        let key = &*self.key;
        let total = buf.len();
        let ciphertext = Aes256CbcEnc::new(key.into(), key[..16].into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, total)
            .map_err(|_| TpEventError::MessageTooLong { len: message.len() })?;
        let encrypt = STANDARD.encode(ciphertext);
        let timestamp = timestamp.to_string();
        let msg_signature = self.msg_signature(&timestamp, nonce, &encrypt);
        Ok(Envelope {
            nonce: nonce.to_owned(),
            timestamp,
            encrypt,
            msg_signature,
        })
    }

    /// Seals a message with a random prefix and a random 9-digit nonce drawn from the operating
    /// system (see [`TpEventKeys::seal`]).
    ///
    /// # Errors
    /// [`TpEventError::Random`] when the operating system has no randomness to give;
    /// [`TpEventError::MessageTooLong`] as [`TpEventKeys::seal`].
    pub fn seal_random(&self, message: &[u8], timestamp: i64) -> Result<Envelope> {
        let mut random = [0u8; 16];
        let mut nonce = [0u8; 4];
        OsRng
            .try_fill_bytes(&mut random)
            .and_then(|()| OsRng.try_fill_bytes(&mut nonce))
            .map_err(|_| TpEventError::Random)?;
        let nonce = 100_000_000 + u32::from_be_bytes(nonce) % 900_000_000;
        self.seal(message, &nonce.to_string(), timestamp, random)
    }
}

fn decode_aes_key(encoding_aes_key: &str) -> Result<Zeroizing<[u8; 32]>> {
    if encoding_aes_key.len() != AES_KEY_LEN {
        return Err(TpEventError::InvalidAesKey {
            reason: "it must be 43 characters long",
        });
    }
    if !encoding_aes_key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TpEventError::InvalidAesKey {
            reason: "it must consist of A-Z, a-z and 0-9 only",
        });
    }
    let mut padded = Zeroizing::new(String::with_capacity(AES_KEY_LEN + 1));
    padded.push_str(encoding_aes_key);
    padded.push('=');
    let mut key = Zeroizing::new([0u8; 32]);
    match KEY_BASE64.decode_slice(padded.as_bytes(), &mut *key) {
        Ok(32) => Ok(key),
        _ => Err(TpEventError::InvalidAesKey {
            reason: "it does not decode to 32 bytes",
        }),
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// The envelope the platform POSTs: `{"Nonce","TimeStamp","Encrypt","MsgSignature"}`.
///
/// It serializes with the platform's field names, in the platform's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Envelope {
    /// `Nonce`.
    #[serde(rename = "Nonce")]
    pub nonce: String,
    /// `TimeStamp` (Unix seconds, as a string).
    #[serde(rename = "TimeStamp")]
    pub timestamp: String,
    /// `Encrypt`: base64 of the ciphertext.
    #[serde(rename = "Encrypt")]
    pub encrypt: String,
    /// `MsgSignature`: 40 hex digits.
    #[serde(rename = "MsgSignature")]
    pub msg_signature: String,
}

impl Envelope {
    /// Reads an envelope from a body. `Nonce` and `TimeStamp` may be JSON strings or integers;
    /// other fields are ignored.
    ///
    /// # Errors
    /// [`TpEventError::NotJson`] or [`TpEventError::NotEnvelope`].
    pub fn parse(body: &[u8]) -> Result<Self> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| TpEventError::NotJson(JsonError::from(e)))?;
        let Value::Object(map) = value else {
            return Err(TpEventError::NotEnvelope {
                detail: "the JSON is not an object",
            });
        };
        let text = |name: &'static str, detail: &'static str, numbers: bool| match map.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) if numbers && (n.is_u64() || n.is_i64()) => Ok(n.to_string()),
            _ => Err(TpEventError::NotEnvelope { detail }),
        };
        Ok(Self {
            nonce: text("Nonce", "Nonce is missing or not a string", true)?,
            timestamp: text("TimeStamp", "TimeStamp is missing or not a string", true)?,
            encrypt: text("Encrypt", "Encrypt is missing or not a string", false)?,
            msg_signature: text(
                "MsgSignature",
                "MsgSignature is missing or not a string",
                false,
            )?,
        })
    }

    /// The JSON body, exactly as the platform sends it.
    pub fn to_json(&self) -> String {
        // Four strings always serialize.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A verified and decrypted TP event.
///
/// Every variant keeps the decrypted JSON ([`TpEvent::raw`]); events this version does not
/// know come through as [`TpEvent::Unknown`], never as an error.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TpEvent {
    /// The ticket push (`MsgType` `ticket`), about every 10 minutes.
    Ticket(TicketPush),
    /// A mini program authorized the TP (`AUTHORIZED`).
    Authorized(AuthorizationEvent),
    /// A mini program changed the TP's authorization (`UPDATE_AUTHORIZED`).
    UpdateAuthorized(AuthorizationEvent),
    /// A mini program revoked the TP's authorization (`UNAUTHORIZED`).
    Unauthorized(AuthorizationEvent),
    /// A payment onboarding audit result (`APP_PAYMENT_*`, seed 004).
    PaymentAudit(PaymentAuditEvent),
    /// Any other event, with its raw JSON.
    Unknown {
        /// The event's name (`event`, else `Event`, else `MsgType`; empty when none is there).
        event: String,
        /// The decrypted JSON.
        raw: Map<String, Value>,
    },
}

/// The decrypted ticket push: `{"Ticket","FromUserName","CreateTime","MsgType":"ticket","Event":"push"}`.
///
/// `Debug` redacts the ticket (and the raw JSON that holds it).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct TicketPush {
    /// `Ticket`: what `auth/tp/token` needs.
    pub ticket: Secret,
    /// `FromUserName` (`SmartAPP`).
    pub from_user_name: Option<String>,
    /// `CreateTime` (Unix seconds; the platform sends a string or a number).
    pub create_time: Option<i64>,
    /// The decrypted JSON (it holds the ticket in clear).
    pub raw: Map<String, Value>,
}

impl fmt::Debug for TicketPush {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketPush")
            .field("ticket", &self.ticket)
            .field("from_user_name", &self.from_user_name)
            .field("create_time", &self.create_time)
            .field("raw", &format_args!("[redacted]"))
            .finish()
    }
}

/// An authorization event (`AUTHORIZED`, `UPDATE_AUTHORIZED`, `UNAUTHORIZED`).
///
/// `Debug` redacts the authorization code (and the raw JSON that holds it).
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct AuthorizationEvent {
    /// `appId`: the mini program.
    pub app_id: u64,
    /// `tpAppId`: the TP.
    pub tp_app_id: Option<u64>,
    /// `event`.
    pub event: String,
    /// `eventTime` (`yyyy-MM-dd HH:mm:ss`).
    pub event_time: Option<String>,
    /// `authorizationCode` (granted and updated only): exchange it for the authorizer token.
    pub authorization_code: Option<Secret>,
    /// `authorizationCodeExpiresIn`, seconds.
    pub authorization_code_expires_in: Option<u64>,
    /// `createTime`, when present (Unix seconds).
    pub create_time: Option<i64>,
    /// The decrypted JSON, every field included.
    pub raw: Map<String, Value>,
}

impl fmt::Debug for AuthorizationEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationEvent")
            .field("app_id", &self.app_id)
            .field("tp_app_id", &self.tp_app_id)
            .field("event", &self.event)
            .field("event_time", &self.event_time)
            .field("authorization_code", &self.authorization_code)
            .field(
                "authorization_code_expires_in",
                &self.authorization_code_expires_in,
            )
            .field("create_time", &self.create_time)
            .field("raw", &format_args!("[redacted]"))
            .finish()
    }
}

/// A payment onboarding audit push (seed 004), verified.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PaymentAuditEvent {
    /// The typed push (the same type as the plaintext parser returns).
    pub push: TpAuditPush,
    /// The decrypted JSON.
    pub raw: Map<String, Value>,
}

#[derive(Deserialize)]
struct TicketFields {
    #[serde(rename = "Ticket")]
    ticket: String,
    #[serde(rename = "FromUserName", default)]
    from_user_name: Option<String>,
    #[serde(
        rename = "CreateTime",
        default,
        deserialize_with = "baidupay_model::de::opt_i64_or_string"
    )]
    create_time: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizationFields {
    #[serde(
        alias = "AppId",
        deserialize_with = "baidupay_model::de::u64_or_string"
    )]
    app_id: u64,
    #[serde(
        alias = "TpAppId",
        default,
        deserialize_with = "baidupay_model::de::opt_u64_or_string"
    )]
    tp_app_id: Option<u64>,
    #[serde(alias = "EventTime", default)]
    event_time: Option<String>,
    #[serde(alias = "AuthorizationCode", default)]
    authorization_code: Option<String>,
    #[serde(
        alias = "AuthorizationCodeExpiresIn",
        default,
        deserialize_with = "baidupay_model::de::opt_u64_or_string"
    )]
    authorization_code_expires_in: Option<u64>,
    #[serde(
        alias = "CreateTime",
        default,
        deserialize_with = "baidupay_model::de::opt_i64_or_string"
    )]
    create_time: Option<i64>,
}

/// The event name of a decrypted message: `event`, else `"ticket"` for the ticket push, else
/// `Event`, else `MsgType`, else empty.
fn name_of(raw: &Map<String, Value>) -> String {
    let field = |k: &str| raw.get(k).and_then(Value::as_str);
    if let Some(e) = field("event") {
        return e.to_owned();
    }
    if field("MsgType") == Some("ticket") {
        return "ticket".to_owned();
    }
    field("Event")
        .or_else(|| field("MsgType"))
        .unwrap_or_default()
        .to_owned()
}

impl TpEvent {
    /// Types a decrypted JSON object. Unknown events are [`TpEvent::Unknown`].
    ///
    /// Use it on JSON that was verified some other way; [`TpEventKeys::open`] calls it.
    ///
    /// # Errors
    /// [`TpEventError::EventShape`] when a known event lacks a documented field or has one of
    /// the wrong type.
    pub fn from_map(raw: Map<String, Value>) -> Result<Self> {
        let event = name_of(&raw);
        let shape = |e: serde_json::Error| TpEventError::EventShape {
            event: event.clone(),
            source: JsonError::from(e),
        };
        let value = Value::Object(raw);
        let typed = match event.as_str() {
            "ticket" => {
                let f = TicketFields::deserialize(&value).map_err(shape)?;
                Typed::Ticket(f)
            }
            "AUTHORIZED" | "UPDATE_AUTHORIZED" | "UNAUTHORIZED" => {
                Typed::Authorization(Deserialize::deserialize(&value).map_err(shape)?)
            }
            e if TpAuditEvent::from_code(e).is_known() => {
                Typed::Audit(Deserialize::deserialize(&value).map_err(shape)?)
            }
            _ => Typed::Unknown,
        };
        let Value::Object(raw) = value else {
            return Ok(TpEvent::Unknown {
                event,
                raw: Map::new(),
            });
        };
        Ok(match typed {
            Typed::Ticket(f) => TpEvent::Ticket(TicketPush {
                ticket: Secret::new(f.ticket),
                from_user_name: f.from_user_name,
                create_time: f.create_time,
                raw,
            }),
            Typed::Authorization(f) => {
                let a = AuthorizationEvent {
                    app_id: f.app_id,
                    tp_app_id: f.tp_app_id,
                    event_time: f.event_time,
                    authorization_code: f.authorization_code.map(Secret::new),
                    authorization_code_expires_in: f.authorization_code_expires_in,
                    create_time: f.create_time,
                    raw,
                    event,
                };
                match a.event.as_str() {
                    "AUTHORIZED" => TpEvent::Authorized(a),
                    "UPDATE_AUTHORIZED" => TpEvent::UpdateAuthorized(a),
                    _ => TpEvent::Unauthorized(a),
                }
            }
            Typed::Audit(push) => TpEvent::PaymentAudit(PaymentAuditEvent { push, raw }),
            Typed::Unknown => TpEvent::Unknown { event, raw },
        })
    }

    /// The event's name: `ticket` for the ticket push, else the message's `event` (`AUTHORIZED`,
    /// `APP_PAYMENT_CREATE_ACCOUNT_PASS`, ...), else its `Event` or `MsgType`.
    pub fn event_name(&self) -> &str {
        match self {
            TpEvent::Ticket(_) => "ticket",
            TpEvent::Authorized(a) | TpEvent::UpdateAuthorized(a) | TpEvent::Unauthorized(a) => {
                &a.event
            }
            TpEvent::PaymentAudit(p) => p.push.event.code(),
            TpEvent::Unknown { event, .. } => event,
        }
    }

    /// The decrypted JSON, every field as the platform sent it.
    pub fn raw(&self) -> &Map<String, Value> {
        match self {
            TpEvent::Ticket(t) => &t.raw,
            TpEvent::Authorized(a) | TpEvent::UpdateAuthorized(a) | TpEvent::Unauthorized(a) => {
                &a.raw
            }
            TpEvent::PaymentAudit(p) => &p.raw,
            TpEvent::Unknown { raw, .. } => raw,
        }
    }

    /// The payment audit push, if this is one.
    pub fn as_payment_audit(&self) -> Option<&TpAuditPush> {
        match self {
            TpEvent::PaymentAudit(p) => Some(&p.push),
            _ => None,
        }
    }
}

enum Typed {
    Ticket(TicketFields),
    Authorization(AuthorizationFields),
    Audit(TpAuditPush),
    Unknown,
}
