//! The Alipay side of the simulator: `gateway.do` (`POST`, or `GET` with everything in the
//! query) for the JSAPI trade APIs, app
//! registration, `POST /sandbox/alipay/pay` standing in for `my.tradePay`, and the signed async
//! notify retried until the merchant answers `success`.
//!
//! Requests are verified as the real gateway verifies them (every parameter of the query and
//! the form but `sign`, empty values skipped, SHA256withRSA or SHA1withRSA by `sign_type`,
//! against the registered app public key); a bad signature answers `isv.invalid-signature`
//! with the gateway's string in `sub_msg`. A parameter may come in the query, in the form, or
//! in both with the same value; two different values are refused (`参数{name}重复`). Answers
//! are laid out as the gateway lays them out, `{"<method>_response":{…},"sign":"…"}`, signed
//! over the exact bytes of the response value with the sandbox's Alipay key (2048-bit) by the
//! request's `sign_type`: SHA1withRSA for `RSA`, SHA256withRSA for `RSA2`.

pub(crate) mod answer;
pub(crate) mod apps;
pub(crate) mod bill;
pub(crate) mod gateway;
pub(crate) mod notify;
pub(crate) mod trade;
