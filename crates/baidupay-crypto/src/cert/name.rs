//! Distinguished names (RFC 4514) formatted as Java's `X500Principal.getName()` does.

use super::in_field;
use super::number::hex_lower;
use crate::der::{self, DerError, Reader, Tlv, tag};
use crate::error::{Error, Result};

/// The RFC 4514 short name of an attribute type, for the types Java's `X500Principal` names.
fn short_name(dotted: &str) -> Option<&'static str> {
    Some(match dotted {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        _ => return None,
    })
}

/// Decodes a directory string; `None` for other types and for contents invalid for their type.
fn decode_string(value: &Tlv<'_>) -> Option<String> {
    let v = value.value;
    match value.tag {
        tag::UTF8_STRING => std::str::from_utf8(v).ok().map(str::to_owned),
        tag::PRINTABLE_STRING | tag::IA5_STRING => v
            .is_ascii()
            .then(|| v.iter().copied().map(char::from).collect()),
        // T.61 is read as Latin-1, as Java reads it.
        tag::TELETEX_STRING => Some(v.iter().copied().map(char::from).collect()),
        tag::BMP_STRING => {
            if !v.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = v
                .chunks_exact(2)
                .map(|c| match c {
                    [hi, lo] => u16::from_be_bytes([*hi, *lo]),
                    _ => 0,
                })
                .collect();
            String::from_utf16(&units).ok()
        }
        tag::UNIVERSAL_STRING => {
            if !v.len().is_multiple_of(4) {
                return None;
            }
            v.chunks_exact(4)
                .map(|c| match c {
                    [a, b, cc, d] => char::from_u32(u32::from_be_bytes([*a, *b, *cc, *d])),
                    _ => None,
                })
                .collect()
        }
        _ => None,
    }
}

/// Escapes an attribute value as RFC 4514 §2.4 requires.
fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 4);
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\0' => out.push_str("\\00"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            '#' if i == 0 => out.push_str("\\#"),
            _ => out.push(c),
        }
    }
    out
}

/// Formats one `AttributeTypeAndValue`.
fn format_attribute(oid: &[u8], value: &Tlv<'_>, what: &str) -> Result<String> {
    let dotted = der::parse_oid(oid, "attribute type").map_err(|e| in_field(what, e))?;
    Ok(match short_name(&dotted) {
        Some(name) => match decode_string(value) {
            Some(s) => format!("{name}={}", escape_value(&s)),
            None => format!("{name}=#{}", hex_lower(value.raw)),
        },
        None => format!("{dotted}=#{}", hex_lower(value.raw)),
    })
}

/// Formats the contents of a `Name` as Java's `X500Principal.getName()` (RFC 2253) does: the
/// last RDN first, RDNs joined by `,`, the attributes of a multi-valued RDN joined by `+` in
/// their DER order.
pub(crate) fn format_name(name: &[u8], what: &str) -> Result<String> {
    let ctx = |e: DerError| in_field(what, e);
    let mut rdns = Vec::new();
    let mut r = Reader::new(name);
    while !r.is_empty() {
        let set = r
            .expect(tag::SET, "RelativeDistinguishedName")
            .map_err(ctx)?;
        let mut attributes = Reader::new(set.value);
        if attributes.is_empty() {
            return Err(Error::MalformedCertificate {
                detail: format!("{what}: empty RelativeDistinguishedName"),
            });
        }
        let mut parts = Vec::new();
        while !attributes.is_empty() {
            let mut atv = attributes.sequence("AttributeTypeAndValue").map_err(ctx)?;
            let oid = atv.expect(tag::OID, "attribute type").map_err(ctx)?.value;
            let value = atv.read().map_err(ctx)?;
            atv.finish("AttributeTypeAndValue").map_err(ctx)?;
            parts.push(format_attribute(oid, &value, what)?);
        }
        rdns.push(parts.join("+"));
    }
    rdns.reverse();
    Ok(rdns.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        der::encode(tag, value)
    }

    /// An AttributeTypeAndValue.
    fn atv(oid: &[u8], value: Vec<u8>) -> Vec<u8> {
        der::encode_sequence(&[&tlv(tag::OID, oid), &value])
    }

    /// A RelativeDistinguishedName of the given attributes.
    fn rdn(atvs: &[Vec<u8>]) -> Vec<u8> {
        tlv(tag::SET, &atvs.concat())
    }

    const CN: &[u8] = &[0x55, 0x04, 0x03];
    const C: &[u8] = &[0x55, 0x04, 0x06];
    const O: &[u8] = &[0x55, 0x04, 0x0a];
    const OU: &[u8] = &[0x55, 0x04, 0x0b];
    const DC: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19];
    const UID: &[u8] = &[0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01];
    const EMAIL: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01];

    fn utf8(s: &str) -> Vec<u8> {
        tlv(tag::UTF8_STRING, s.as_bytes())
    }

    fn name(rdns: &[Vec<u8>]) -> String {
        format_name(&rdns.concat(), "test").unwrap()
    }

    #[test]
    fn rdns_are_reversed_and_joined_without_spaces() {
        let n = name(&[
            rdn(&[atv(C, tlv(tag::PRINTABLE_STRING, b"CN"))]),
            rdn(&[atv(O, utf8("Ant Financial"))]),
            rdn(&[atv(OU, utf8("Certification Authority"))]),
            rdn(&[atv(CN, utf8("Ant Financial Certification Authority R1"))]),
        ]);
        assert_eq!(
            n,
            "CN=Ant Financial Certification Authority R1,OU=Certification Authority,O=Ant Financial,C=CN"
        );
        assert_eq!(name(&[]), "");
    }

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(
            name(&[rdn(&[atv(CN, utf8("Smith, John + Co"))])]),
            r"CN=Smith\, John \+ Co"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, utf8(r#"a"b\c<d>e;f=g#h"#))])]),
            r#"CN=a\"b\\c\<d\>e\;f=g#h"#
        );
        assert_eq!(name(&[rdn(&[atv(CN, utf8("#x"))])]), r"CN=\#x");
        assert_eq!(name(&[rdn(&[atv(CN, utf8("  x  "))])]), r"CN=\  x \ ");
        assert_eq!(name(&[rdn(&[atv(CN, utf8(" "))])]), r"CN=\ ");
        assert_eq!(name(&[rdn(&[atv(CN, utf8("a\0b"))])]), r"CN=a\00b");
        assert_eq!(name(&[rdn(&[atv(CN, utf8(""))])]), "CN=");
        assert_eq!(name(&[rdn(&[atv(CN, utf8("钟雨"))])]), "CN=钟雨");
    }

    #[test]
    fn string_types_are_decoded() {
        // BMPString, UTF-16BE with a surrogate pair
        let bmp: Vec<u8> = "Ω-€-😀".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::BMP_STRING, &bmp))])]),
            "CN=Ω-€-😀"
        );
        // UniversalString, UTF-32BE
        let universal: Vec<u8> = "Zß😀"
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        assert_eq!(
            name(&[rdn(&[atv(O, tlv(tag::UNIVERSAL_STRING, &universal))])]),
            "O=Zß😀"
        );
        // TeletexString as Latin-1
        assert_eq!(
            name(&[rdn(&[atv(O, tlv(tag::TELETEX_STRING, b"M\xfcnchen"))])]),
            "O=München"
        );
        assert_eq!(
            name(&[rdn(&[atv(DC, tlv(tag::IA5_STRING, b"example"))])]),
            "DC=example"
        );
        assert_eq!(name(&[rdn(&[atv(UID, utf8("u1"))])]), "UID=u1");
    }

    #[test]
    fn undecodable_values_and_unknown_types_are_hex() {
        // An unknown type (emailAddress is not among the short names, as in Java)
        let email = tlv(tag::IA5_STRING, b"a@b.c");
        assert_eq!(
            name(&[rdn(&[atv(EMAIL, email)])]),
            "1.2.840.113549.1.9.1=#16056140622e63"
        );
        assert_eq!(
            name(&[rdn(&[atv(&[0x2a, 0x03, 0x04], utf8("x"))])]),
            "1.2.3.4=#0c0178"
        );
        // Invalid UTF-8, a non-ASCII PrintableString, an odd BMPString, a surrogate in a
        // UniversalString, and a non-string type: hex under the short name
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::UTF8_STRING, b"\xff"))])]),
            "CN=#0c01ff"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::PRINTABLE_STRING, b"\xe9"))])]),
            "CN=#1301e9"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::BMP_STRING, b"\x00"))])]),
            "CN=#1e0100"
        );
        assert_eq!(
            name(&[rdn(&[atv(
                CN,
                tlv(tag::UNIVERSAL_STRING, b"\x00\x00\xd8\x00")
            )])]),
            "CN=#1c040000d800"
        );
        assert_eq!(
            name(&[rdn(&[atv(CN, tlv(tag::INTEGER, b"\x05"))])]),
            "CN=#020105"
        );
    }

    #[test]
    fn multi_valued_rdns_use_plus_in_der_order() {
        assert_eq!(
            name(&[
                rdn(&[atv(C, tlv(tag::PRINTABLE_STRING, b"CN"))]),
                rdn(&[atv(OU, utf8("Sales")), atv(CN, utf8("A+B"))]),
            ]),
            r"OU=Sales+CN=A\+B,C=CN"
        );
    }

    #[test]
    fn malformed_names_are_errors() {
        // an empty RDN
        assert!(matches!(
            format_name(&tlv(tag::SET, &[]), "issuer"),
            Err(Error::MalformedCertificate { .. })
        ));
        // a SEQUENCE where a SET is expected
        let seq = der::encode_sequence(&[&atv(CN, utf8("x"))]);
        assert!(format_name(&seq, "issuer").is_err());
        // an attribute with a trailing element
        let bad = der::encode_sequence(&[&tlv(tag::OID, CN), &utf8("x"), &utf8("y")]);
        assert!(format_name(&tlv(tag::SET, &bad), "issuer").is_err());
        // an attribute type that is not a valid OID
        let bad = rdn(&[atv(&[0x55, 0x84], utf8("x"))]);
        let err = format_name(&bad, "issuer").unwrap_err();
        assert!(err.to_string().contains("issuer"), "{err}");
    }
}
