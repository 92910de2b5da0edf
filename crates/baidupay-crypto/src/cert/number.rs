//! Serial numbers as Java prints them (base 10, two's complement) and lowercase hex.

/// A big-endian magnitude as a base-10 string, by repeated division by 10^9.
pub(crate) fn magnitude_to_decimal(magnitude: &[u8]) -> String {
    const CHUNK: u64 = 1_000_000_000;
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let mut num: Vec<u8> = magnitude.get(skip..).unwrap_or_default().to_vec();
    // Base-10^9 digits, least significant first.
    let mut chunks: Vec<u64> = Vec::with_capacity(num.len() / 3 + 1);
    while !num.is_empty() {
        let mut rem: u64 = 0;
        let mut quotient = Vec::with_capacity(num.len());
        for &b in &num {
            let cur = (rem << 8) | u64::from(b);
            // rem < 10^9, so cur < 256 * 10^9 and the quotient digit is below 256.
            let q = cur / CHUNK;
            rem = cur % CHUNK;
            if q != 0 || !quotient.is_empty() {
                quotient.push(u8::try_from(q).unwrap_or(u8::MAX));
            }
        }
        chunks.push(rem);
        num = quotient;
    }
    let mut out = String::with_capacity(chunks.len() * 9);
    let mut iter = chunks.iter().rev();
    match iter.next() {
        None => out.push('0'),
        Some(first) => out.push_str(&first.to_string()),
    }
    for chunk in iter {
        out.push_str(&format!("{chunk:09}"));
    }
    out
}

/// The contents of a DER INTEGER (two's complement) as a base-10 string, with a leading `-`
/// when negative, as Java's `BigInteger::toString` prints it.
pub(crate) fn integer_to_decimal(content: &[u8]) -> String {
    match content.first() {
        Some(b) if b & 0x80 != 0 => {
            // Two's complement: the magnitude is (NOT x) + 1.
            let mut magnitude: Vec<u8> = content.iter().map(|b| !b).collect();
            for byte in magnitude.iter_mut().rev() {
                let (sum, carry) = byte.overflowing_add(1);
                *byte = sum;
                if !carry {
                    break;
                }
            }
            format!("-{}", magnitude_to_decimal(&magnitude))
        }
        _ => magnitude_to_decimal(content),
    }
}

pub(super) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(
                DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversion() {
        // Expected values from Python's int.from_bytes(b, "big").
        assert_eq!(magnitude_to_decimal(&[]), "0");
        assert_eq!(magnitude_to_decimal(&[0]), "0");
        assert_eq!(magnitude_to_decimal(&[0, 0, 0]), "0");
        assert_eq!(magnitude_to_decimal(&[1]), "1");
        assert_eq!(magnitude_to_decimal(&[255]), "255");
        assert_eq!(magnitude_to_decimal(&[1, 0]), "256");
        assert_eq!(
            magnitude_to_decimal(&[0x3b, 0x9a, 0xca, 0x00]),
            "1000000000"
        );
        assert_eq!(magnitude_to_decimal(&[0x3b, 0x9a, 0xc9, 0xff]), "999999999");
        assert_eq!(
            magnitude_to_decimal(&[1, 0, 0, 0, 0, 0, 0, 0, 0]),
            "18446744073709551616"
        );
        assert_eq!(magnitude_to_decimal(&[0xff; 8]), u64::MAX.to_string());
        let itrus: [u8; 20] = [
            0x10, 0xc7, 0x64, 0xe9, 0xd5, 0x60, 0x38, 0x42, 0x12, 0xd9, 0xc0, 0x8f, 0xd1, 0x0e,
            0x37, 0x3f, 0xdd, 0x0f, 0xb3, 0x96,
        ];
        assert_eq!(
            magnitude_to_decimal(&itrus),
            "95790491425698859646659490580052089075020051350"
        );
        assert_eq!(
            magnitude_to_decimal(&[0xff; 20]),
            "1461501637330902918203684832716283019655932542975"
        );
        // Agrees with u128 formatting on assorted values.
        for v in [
            0u128,
            9,
            10,
            999_999_999,
            1_000_000_001,
            u128::from(u64::MAX) + 1,
            u128::MAX,
            0x0123_4567_89ab_cdef_0011_2233_4455_6677,
        ] {
            assert_eq!(magnitude_to_decimal(&v.to_be_bytes()), v.to_string());
        }
    }

    #[test]
    fn negative_serials_print_like_java() {
        // Python: int.from_bytes(b, "big", signed=True)
        assert_eq!(integer_to_decimal(&[0xff]), "-1");
        assert_eq!(integer_to_decimal(&[0x80]), "-128");
        assert_eq!(integer_to_decimal(&[0xff, 0x7f]), "-129");
        assert_eq!(
            integer_to_decimal(&[0x80, 0, 0, 0, 0, 0, 0, 0]),
            "-9223372036854775808"
        );
        assert_eq!(integer_to_decimal(&[0x00, 0x80]), "128");
        assert_eq!(integer_to_decimal(&[0x00]), "0");
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex_lower(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(hex_lower(&[]), "");
    }
}
