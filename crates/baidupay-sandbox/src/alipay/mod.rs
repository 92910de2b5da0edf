//! The Alipay side of the simulator: `POST /gateway.do` for the JSAPI trade APIs, app
//! registration, `POST /sandbox/alipay/pay` standing in for `my.tradePay`, and the signed async
//! notify retried until the merchant answers `success`.
//!
//! Requests are verified as the real gateway verifies them (every parameter of the query and
//! the form but `sign`, empty values skipped, SHA256withRSA or SHA1withRSA by `sign_type`,
//! against the registered app public key); a bad signature answers `isv.invalid-signature`
//! with the gateway's string in `sub_msg`. Answers are laid out as the gateway lays them out,
//! `{"<method>_response":{…},"sign":"…"}`, signed over the exact bytes of the response value
//! with the sandbox's Alipay key (2048-bit, RSA2).

pub(crate) mod answer;
pub(crate) mod apps;
pub(crate) mod bill;
pub(crate) mod gateway;
pub(crate) mod notify;
pub(crate) mod trade;
