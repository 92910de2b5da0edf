//! `paymentservice/dict`: provinces and cities, banks, commission rates, payment days.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `data` of `paymentservice/dict`: provinces and cities, banks, commission rates, payment days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentDict {
    /// Provinces with their cities (`open_province`, `open_city`).
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub province_list: Vec<Province>,
    /// Banks grouped by initial (`bank_name`).
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub bank_list: Vec<BankGroup>,
    /// Commission rates: code -> description (`"6"` -> 千分之六). The table says
    /// `commission_rate`, the example `commissionRate`; both are read.
    #[serde(rename = "commissionRate", alias = "commission_rate", default)]
    pub commission_rate: BTreeMap<String, String>,
    /// Settlement periods: code -> description (`"1"` -> `T+1`).
    #[serde(rename = "paymentDays", alias = "payment_days", default)]
    pub payment_days: BTreeMap<String, String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A province and its cities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Province {
    /// Id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub province_id: u64,
    /// Name (the value for `open_province`).
    pub province_name: String,
    /// Cities.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub cities: Vec<City>,
}

/// A city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct City {
    /// Id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub city_id: u64,
    /// Name (the value for `open_city`).
    pub city_name: String,
}

/// Banks sharing an initial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BankGroup {
    /// The initial letter.
    pub character: String,
    /// Banks.
    #[serde(default, deserialize_with = "crate::de::null_as_default")]
    pub banks: Vec<Bank>,
}

/// A bank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Bank {
    /// Id.
    #[serde(deserialize_with = "crate::de::u64_or_string")]
    pub bank_id: u64,
    /// Name (the value for `bank_name`).
    pub bank_name: String,
    /// Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}
