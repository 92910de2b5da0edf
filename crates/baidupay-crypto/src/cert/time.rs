//! Certificate validity times: `UTCTime` and `GeneralizedTime` read into [`UtcDateTime`].

use std::fmt;

use crate::der::{Tlv, tag};
use crate::error::{Error, Result};

/// A UTC date and time with one-second precision: a certificate's `notBefore` or `notAfter`.
///
/// Read from the certificate's `UTCTime` (`YYMMDDHHMMSSZ`, years 50–99 are 1950–1999 and 00–49
/// are 2000–2049, as RFC 5280 says) or `GeneralizedTime` (`YYYYMMDDHHMMSSZ`). The fields are
/// exactly the certificate's; ordering is chronological. [`UtcDateTime::unix_seconds`] gives
/// the Unix time and `Display` the RFC 3339 form, `2021-09-16T12:54:24Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct UtcDateTime {
    /// The year, 0–9999.
    pub year: u16,
    /// The month, 1–12.
    pub month: u8,
    /// The day of the month, 1–31.
    pub day: u8,
    /// The hour, 0–23.
    pub hour: u8,
    /// The minute, 0–59.
    pub minute: u8,
    /// The second, 0–59.
    pub second: u8,
}

impl UtcDateTime {
    /// Seconds since 1970-01-01T00:00:00Z (negative before it).
    pub fn unix_seconds(&self) -> i64 {
        let days = days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        days * 86_400
            + i64::from(self.hour) * 3_600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }
}

impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: u16) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Two ASCII digits as a number.
fn two_digits(hi: u8, lo: u8) -> Option<u8> {
    if hi.is_ascii_digit() && lo.is_ascii_digit() {
        Some((hi - b'0') * 10 + (lo - b'0'))
    } else {
        None
    }
}

/// Reads a `Time` (RFC 5280 forms only: `Z`, seconds present, no fraction).
pub(super) fn parse_time(t: Tlv<'_>, what: &str) -> Result<UtcDateTime> {
    let form = match t.tag {
        tag::UTC_TIME => "UTCTime YYMMDDHHMMSSZ",
        tag::GENERALIZED_TIME => "GeneralizedTime YYYYMMDDHHMMSSZ",
        other => {
            return Err(Error::MalformedCertificate {
                detail: format!("{what} has tag 0x{other:02x}, not UTCTime or GeneralizedTime"),
            });
        }
    };
    let bad = || Error::MalformedCertificate {
        detail: format!(
            "{what} `{}` is not a {form}",
            String::from_utf8_lossy(t.value).escape_debug()
        ),
    };
    let (year, rest) = match (t.tag, t.value) {
        (tag::UTC_TIME, [y1, y2, rest @ ..]) => {
            let yy = two_digits(*y1, *y2).ok_or_else(bad)?;
            (if yy >= 50 { 1900 } else { 2000 } + u16::from(yy), rest)
        }
        (tag::GENERALIZED_TIME, [c1, c2, y1, y2, rest @ ..]) => {
            let cc = two_digits(*c1, *c2).ok_or_else(bad)?;
            let yy = two_digits(*y1, *y2).ok_or_else(bad)?;
            (u16::from(cc) * 100 + u16::from(yy), rest)
        }
        _ => return Err(bad()),
    };
    let [mo1, mo2, d1, d2, h1, h2, mi1, mi2, s1, s2, b'Z'] = rest else {
        return Err(bad());
    };
    let field = |a: &u8, b: &u8| two_digits(*a, *b).ok_or_else(bad);
    let (month, day) = (field(mo1, mo2)?, field(d1, d2)?);
    let (hour, minute, second) = (field(h1, h2)?, field(mi1, mi2)?, field(s1, s2)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(Error::MalformedCertificate {
            detail: format!(
                "{what} `{}` is not a valid date and time",
                String::from_utf8_lossy(t.value).escape_debug()
            ),
        });
    }
    Ok(UtcDateTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der;

    fn time(tag_byte: u8, s: &str) -> Result<UtcDateTime> {
        let enc = der::encode(tag_byte, s.as_bytes());
        let t = der::single(&enc, "t").unwrap();
        parse_time(t, "notAfter")
    }

    #[test]
    fn times() {
        let t = time(tag::UTC_TIME, "200514144201Z").unwrap();
        assert_eq!(t.to_string(), "2020-05-14T14:42:01Z");
        // Python: datetime(2020,5,14,14,42,1,tzinfo=timezone.utc).timestamp()
        assert_eq!(t.unix_seconds(), 1_589_467_321);
        assert_eq!(
            time(tag::UTC_TIME, "500101000000Z").unwrap().unix_seconds(),
            -631_152_000
        );
        assert_eq!(
            time(tag::UTC_TIME, "491231235959Z").unwrap().unix_seconds(),
            2_524_607_999
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "20000229120000Z")
                .unwrap()
                .unix_seconds(),
            951_825_600
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "19691231235959Z")
                .unwrap()
                .unix_seconds(),
            -1
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "99991231235959Z")
                .unwrap()
                .unix_seconds(),
            253_402_300_799
        );
        assert_eq!(
            time(tag::GENERALIZED_TIME, "00000101000000Z")
                .unwrap()
                .unix_seconds(),
            -62_167_219_200
        );
        let a = time(tag::UTC_TIME, "991231235959Z").unwrap();
        let b = time(tag::GENERALIZED_TIME, "20000101000000Z").unwrap();
        assert!(a < b);
        for bad in [
            "2005141442Z",
            "200514144201",
            "200514144201+0800",
            "201314144201Z",
            "200532144201Z",
            "190229000000Z",
            "200514244201Z",
            "200514146001Z",
            "200514144260Z",
            "2O0514144201Z",
            "",
        ] {
            assert!(time(tag::UTC_TIME, bad).is_err(), "{bad}");
        }
        for bad in ["20200514144201.5Z", "200514144201Z", "2020051414420Z"] {
            assert!(time(tag::GENERALIZED_TIME, bad).is_err(), "{bad}");
        }
        assert!(time(tag::UTF8_STRING, "200514144201Z").is_err());
    }
}
