//! The data of the IKEv2 REDIRECT and REDIRECTED_FROM notifications (RFC 5685 §8): which
//! gateway a responder sends the initiator to, or which one it came from.
//!
//! ```text
//! GW Ident Type (1) | GW Ident Len (1) | New Responder GW Identity (GW Ident Len) | Nonce Data
//! ```
//! Identity types: 1 IPv4 address (4 bytes), 2 IPv6 address (16 bytes), 3 FQDN. The nonce
//! follows only in a REDIRECT sent in IKE_SA_INIT (the initiator's nonce, echoed).

use crate::cursor::Cursor;
use crate::error::ParseError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The gateway a REDIRECT names (or a REDIRECTED_FROM names as the original one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gateway<'a> {
    /// GW Ident Type 1.
    Ipv4(Ipv4Addr),
    /// GW Ident Type 2.
    Ipv6(Ipv6Addr),
    /// GW Ident Type 3: a fully qualified domain name, as sent (not necessarily UTF-8).
    Fqdn(&'a [u8]),
}

impl std::fmt::Display for Gateway<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gateway::Ipv4(a) => write!(f, "{a}"),
            Gateway::Ipv6(a) => write!(f, "{a}"),
            Gateway::Fqdn(name) => write!(f, "{}", String::from_utf8_lossy(name)),
        }
    }
}

/// A parsed REDIRECT / REDIRECTED_FROM notification body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirect<'a> {
    /// The gateway named.
    pub gateway: Gateway<'a>,
    /// The nonce data after the identity (empty when absent).
    pub nonce: &'a [u8],
}

/// Parse the notification data of a REDIRECT (16407) or REDIRECTED_FROM (16408) notify.
/// Offsets in errors are from the start of `data`.
pub fn parse_redirect(data: &[u8]) -> Result<Redirect<'_>, ParseError> {
    let mut c = Cursor::new(data, 0);
    let kind_at = c.offset();
    let kind = c.u8()?;
    let len = usize::from(c.u8()?);
    let ident_at = c.offset();
    let ident = c.take(len)?;
    let gateway = match (kind, len) {
        (1, 4) => Gateway::Ipv4(Ipv4Addr::new(ident[0], ident[1], ident[2], ident[3])),
        (2, 16) => {
            let mut a = [0u8; 16];
            a.copy_from_slice(ident);
            Gateway::Ipv6(Ipv6Addr::from(a))
        }
        (3, 1..) => Gateway::Fqdn(ident),
        (1..=3, _) => {
            return Err(ParseError::InvalidValue {
                offset: ident_at,
                field: "GW Ident Len (for its GW Ident Type)",
                value: len as u32,
            })
        }
        _ => {
            return Err(ParseError::InvalidValue {
                offset: kind_at,
                field: "GW Ident Type",
                value: u32::from(kind),
            })
        }
    };
    Ok(Redirect {
        gateway,
        nonce: c.rest(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_ipv6_and_fqdn_gateways() {
        let v4 = [1, 4, 10, 5, 2, 53, 0xaa, 0xbb];
        let r = parse_redirect(&v4).unwrap();
        assert_eq!(r.gateway, Gateway::Ipv4(Ipv4Addr::new(10, 5, 2, 53)));
        assert_eq!(r.nonce, &[0xaa, 0xbb]);
        let mut v6 = vec![2, 16];
        v6.extend_from_slice(&"2001:db8::7".parse::<Ipv6Addr>().unwrap().octets());
        assert_eq!(parse_redirect(&v6).unwrap().gateway.to_string(), "2001:db8::7");
        let fqdn = [3, 6, b'g', b'w', b'.', b'e', b'x', b'x'];
        let r = parse_redirect(&fqdn).unwrap();
        assert_eq!(r.gateway, Gateway::Fqdn(b"gw.exx"));
        assert!(r.nonce.is_empty());
    }

    #[test]
    fn bad_types_lengths_and_truncation_are_errors() {
        assert!(matches!(
            parse_redirect(&[9, 4, 1, 2, 3, 4]),
            Err(ParseError::InvalidValue { offset: 0, .. })
        ));
        assert!(matches!(
            parse_redirect(&[1, 5, 1, 2, 3, 4, 5]),
            Err(ParseError::InvalidValue { offset: 2, .. })
        ));
        assert!(matches!(
            parse_redirect(&[1, 4, 1, 2]),
            Err(ParseError::Truncated { .. })
        ));
        assert!(matches!(parse_redirect(&[]), Err(ParseError::Truncated { .. })));
        assert!(matches!(
            parse_redirect(&[3, 0]),
            Err(ParseError::InvalidValue { .. })
        ));
    }
}
