//! The Baidu cashier side of the simulator: merchants, access tokens, the cashier and its
//! payment notify, the 2.0 order, refund and bill APIs with Baidu's envelopes, error shapes and
//! quirks, the signed 1.0 APIs, and the resumption of owed callbacks after a restart.

pub(crate) mod bill;
pub(crate) mod cashier;
pub(crate) mod legacy;
pub(crate) mod merchants;
pub(crate) mod orders;
pub(crate) mod refund;
pub(crate) mod resume;
pub(crate) mod token;
