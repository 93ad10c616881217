//! BGP-4 messages (RFC 4271 §4): the 19-byte header, OPEN with its optional parameters and
//! capabilities (RFC 5492, extended parameters RFC 9072), UPDATE with withdrawn routes and IPv4
//! NLRI, NOTIFICATION with the error code and subcode named after the IANA "BGP Error
//! (Notification) Codes" and "BGP Error Subcodes" registries, KEEPALIVE and ROUTE-REFRESH
//! (RFC 2918).
//!
//! Messages are at most [`MAX_MESSAGE_LEN`] bytes, or [`MAX_EXTENDED_MESSAGE_LEN`] once both
//! ends advertised the Extended Message capability (RFC 8654); [`parse_header`] accepts the
//! larger bound and the caller decides.

use crate::cursor::Cursor;
use crate::error::ParseError;
use std::fmt;
use std::net::Ipv4Addr;

/// The header's marker: sixteen 0xff bytes (RFC 4271 §4.1).
pub const MARKER: [u8; 16] = [0xff; 16];
/// Header length: marker, length, type.
pub const HEADER_LEN: usize = 19;
/// Largest message without the Extended Message capability.
pub const MAX_MESSAGE_LEN: usize = 4096;
/// Largest message with the Extended Message capability (RFC 8654).
pub const MAX_EXTENDED_MESSAGE_LEN: usize = 65535;
/// The well-known TCP port.
pub const PORT: u16 = 179;

/// A message type (IANA "BGP Message Types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType(pub u8);

impl MessageType {
    /// OPEN.
    pub const OPEN: MessageType = MessageType(1);
    /// UPDATE.
    pub const UPDATE: MessageType = MessageType(2);
    /// NOTIFICATION.
    pub const NOTIFICATION: MessageType = MessageType(3);
    /// KEEPALIVE.
    pub const KEEPALIVE: MessageType = MessageType(4);
    /// ROUTE-REFRESH (RFC 2918).
    pub const ROUTE_REFRESH: MessageType = MessageType(5);

    /// The registry name, `None` for unassigned values.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "OPEN",
            2 => "UPDATE",
            3 => "NOTIFICATION",
            4 => "KEEPALIVE",
            5 => "ROUTE-REFRESH",
            _ => return None,
        })
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "type {}", self.0),
        }
    }
}

/// A NOTIFICATION error code (IANA "BGP Error (Notification) Codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorCode(pub u8);

impl ErrorCode {
    /// Message Header Error.
    pub const MESSAGE_HEADER: ErrorCode = ErrorCode(1);
    /// OPEN Message Error.
    pub const OPEN_MESSAGE: ErrorCode = ErrorCode(2);
    /// UPDATE Message Error.
    pub const UPDATE_MESSAGE: ErrorCode = ErrorCode(3);
    /// Hold Timer Expired.
    pub const HOLD_TIMER_EXPIRED: ErrorCode = ErrorCode(4);
    /// Finite State Machine Error (RFC 6608).
    pub const FSM: ErrorCode = ErrorCode(5);
    /// Cease (RFC 4486).
    pub const CEASE: ErrorCode = ErrorCode(6);

    /// The registry name, `None` for unassigned values.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Message Header Error",
            2 => "OPEN Message Error",
            3 => "UPDATE Message Error",
            4 => "Hold Timer Expired",
            5 => "Finite State Machine Error",
            6 => "Cease",
            7 => "ROUTE-REFRESH Message Error",
            8 => "Send Hold Timer Expired",
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "error code {}", self.0),
        }
    }
}

/// A NOTIFICATION error subcode; its meaning depends on the [`ErrorCode`] (IANA "BGP Error
/// Subcodes", one sub-registry per code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ErrorSubcode(pub u8);

/// Bad Peer AS (OPEN Message Error subcode 2).
pub const SUBCODE_BAD_PEER_AS: ErrorSubcode = ErrorSubcode(2);

impl ErrorSubcode {
    /// The registry name of this subcode under `code`, `None` for unassigned values.
    pub fn name(self, code: ErrorCode) -> Option<&'static str> {
        Some(match (code.0, self.0) {
            (1 | 2 | 3 | 6, 0) => "Unspecific",
            (1, 1) => "Connection Not Synchronized",
            (1, 2) => "Bad Message Length",
            (1, 3) => "Bad Message Type",
            (2, 1) => "Unsupported Version Number",
            (2, 2) => "Bad Peer AS",
            (2, 3) => "Bad BGP Identifier",
            (2, 4) => "Unsupported Optional Parameter",
            (2, 5) => "Authentication Failure (deprecated)",
            (2, 6) => "Unacceptable Hold Time",
            (2, 7) => "Unsupported Capability",
            (2, 11) => "Role Mismatch",
            (3, 1) => "Malformed Attribute List",
            (3, 2) => "Unrecognized Well-known Attribute",
            (3, 3) => "Missing Well-known Attribute",
            (3, 4) => "Attribute Flags Error",
            (3, 5) => "Attribute Length Error",
            (3, 6) => "Invalid ORIGIN Attribute",
            (3, 7) => "AS Routing Loop (deprecated)",
            (3, 8) => "Invalid NEXT_HOP Attribute",
            (3, 9) => "Optional Attribute Error",
            (3, 10) => "Invalid Network Field",
            (3, 11) => "Malformed AS_PATH",
            (5, 0) => "Unspecified Error",
            (5, 1) => "Receive Unexpected Message in OpenSent State",
            (5, 2) => "Receive Unexpected Message in OpenConfirm State",
            (5, 3) => "Receive Unexpected Message in Established State",
            (6, 1) => "Maximum Number of Prefixes Reached",
            (6, 2) => "Administrative Shutdown",
            (6, 3) => "Peer De-configured",
            (6, 4) => "Administrative Reset",
            (6, 5) => "Connection Rejected",
            (6, 6) => "Other Configuration Change",
            (6, 7) => "Connection Collision Resolution",
            (6, 8) => "Out of Resources",
            (6, 9) => "Hard Reset",
            (6, 10) => "BFD Down",
            (7, 0) => "Reserved",
            (7, 1) => "Invalid Message Length",
            _ => return None,
        })
    }
}

/// A capability code (IANA "Capability Codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CapabilityCode(pub u8);

impl CapabilityCode {
    /// Multiprotocol Extensions (RFC 4760).
    pub const MULTIPROTOCOL: CapabilityCode = CapabilityCode(1);
    /// BGP Extended Message (RFC 8654).
    pub const EXTENDED_MESSAGE: CapabilityCode = CapabilityCode(6);
    /// Support for 4-octet AS number (RFC 6793).
    pub const FOUR_OCTET_AS: CapabilityCode = CapabilityCode(65);

    /// The registry name, `None` for unassigned values.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "Multiprotocol Extensions",
            2 => "Route Refresh",
            3 => "Outbound Route Filtering",
            5 => "Extended Next Hop Encoding",
            6 => "BGP Extended Message",
            7 => "BGPsec",
            8 => "Multiple Labels",
            9 => "BGP Role",
            64 => "Graceful Restart",
            65 => "Support for 4-octet AS number",
            69 => "ADD-PATH",
            70 => "Enhanced Route Refresh",
            71 => "Long-Lived Graceful Restart",
            73 => "FQDN",
            128 => "Route Refresh (Cisco, pre-standard)",
            _ => return None,
        })
    }
}

/// The AS number used when a 4-octet AS does not fit the OPEN's 2-byte field (RFC 6793).
pub const AS_TRANS: u16 = 23456;

/// The fixed 19-byte header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Total message length, header included.
    pub length: u16,
    /// Message type.
    pub message_type: MessageType,
}

/// Parse the header at the start of `input`: the marker must be all ones and the length at
/// least [`HEADER_LEN`] and at most [`MAX_EXTENDED_MESSAGE_LEN`].
pub fn parse_header(input: &[u8]) -> Result<Header, ParseError> {
    let mut c = Cursor::new(input, 0);
    let marker = c.take(16)?;
    if marker != MARKER {
        return Err(ParseError::InvalidValue {
            offset: 0,
            field: "BGP marker",
            value: u32::from(marker.iter().position(|&b| b != 0xff).unwrap_or(0) as u8),
        });
    }
    let length = c.u16()?;
    if usize::from(length) < HEADER_LEN {
        return Err(ParseError::LengthTooShort {
            offset: 16,
            length: usize::from(length),
            minimum: HEADER_LEN,
        });
    }
    let message_type = MessageType(c.u8()?);
    Ok(Header { length, message_type })
}

/// One BGP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// OPEN.
    Open(Open<'a>),
    /// UPDATE.
    Update(Update<'a>),
    /// NOTIFICATION.
    Notification(Notification<'a>),
    /// KEEPALIVE (header only).
    Keepalive,
    /// ROUTE-REFRESH.
    RouteRefresh {
        /// Address family.
        afi: u16,
        /// Subsequent address family.
        safi: u8,
    },
    /// A message type this parser does not know; its body is kept.
    Unknown {
        /// The type.
        message_type: MessageType,
        /// Bytes after the header.
        body: &'a [u8],
    },
}

impl Message<'_> {
    /// The message type.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::OPEN,
            Message::Update(_) => MessageType::UPDATE,
            Message::Notification(_) => MessageType::NOTIFICATION,
            Message::Keepalive => MessageType::KEEPALIVE,
            Message::RouteRefresh { .. } => MessageType::ROUTE_REFRESH,
            Message::Unknown { message_type, .. } => *message_type,
        }
    }
}

/// Parse one whole message at the start of `input`; returns it and the bytes after it.
pub fn parse_message(input: &[u8]) -> Result<(Message<'_>, &[u8]), ParseError> {
    let header = parse_header(input)?;
    let len = usize::from(header.length);
    if input.len() < len {
        return Err(ParseError::Truncated {
            offset: 0,
            needed: len,
            available: input.len(),
        });
    }
    let (msg, rest) = input.split_at(len);
    let body = &msg[HEADER_LEN..];
    let message = match header.message_type {
        MessageType::OPEN => Message::Open(parse_open(body)?),
        MessageType::UPDATE => Message::Update(parse_update(body)?),
        MessageType::NOTIFICATION => Message::Notification(parse_notification(body)?),
        MessageType::KEEPALIVE if body.is_empty() => Message::Keepalive,
        MessageType::KEEPALIVE => {
            return Err(ParseError::InvalidValue {
                offset: 16,
                field: "KEEPALIVE length",
                value: u32::from(header.length),
            })
        }
        MessageType::ROUTE_REFRESH => {
            let mut c = Cursor::new(body, HEADER_LEN);
            let afi = c.u16()?;
            let _subtype = c.u8()?;
            let safi = c.u8()?;
            Message::RouteRefresh { afi, safi }
        }
        message_type => Message::Unknown { message_type, body },
    };
    Ok((message, rest))
}

/// An OPEN message (RFC 4271 §4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open<'a> {
    /// Protocol version (4).
    pub version: u8,
    /// The 2-byte "My Autonomous System" field ([`AS_TRANS`] when the real AS needs 4 bytes).
    pub my_as: u16,
    /// Proposed hold time in seconds (0, or at least 3).
    pub hold_time: u16,
    /// BGP Identifier.
    pub bgp_identifier: Ipv4Addr,
    /// The optional parameters (type, length, value triples).
    pub optional_parameters: &'a [u8],
    /// The optional parameters use the RFC 9072 extended (2-byte) lengths.
    pub extended_parameters: bool,
}

fn parse_open(body: &[u8]) -> Result<Open<'_>, ParseError> {
    let mut c = Cursor::new(body, HEADER_LEN);
    let version = c.u8()?;
    let my_as = c.u16()?;
    let hold_time = c.u16()?;
    let id = c.u32()?;
    let mut opt_len = usize::from(c.u8()?);
    let mut extended_parameters = false;
    // RFC 9072: length 255 followed by a parameter type of 255 announces 2-byte lengths.
    if opt_len == 255 && c.rest().first() == Some(&255) {
        c.u8()?;
        opt_len = usize::from(c.u16()?);
        extended_parameters = true;
    }
    let at = c.offset();
    let optional_parameters = c.take(opt_len).map_err(|_| ParseError::Overrun {
        offset: at,
        length: opt_len,
        available: c.rest().len(),
    })?;
    Ok(Open {
        version,
        my_as,
        hold_time,
        bgp_identifier: Ipv4Addr::from(id),
        optional_parameters,
        extended_parameters,
    })
}

/// One capability from an OPEN's Capabilities optional parameters (RFC 5492).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability<'a> {
    /// Capability code.
    pub code: CapabilityCode,
    /// Capability value.
    pub value: &'a [u8],
}

impl<'a> Open<'a> {
    /// The capabilities, in order; malformed parameters end the iteration with one `Err`.
    pub fn capabilities(&self) -> CapabilityIter<'a> {
        CapabilityIter {
            params: Cursor::new(self.optional_parameters, 0),
            extended: self.extended_parameters,
            caps: Cursor::new(&[], 0),
            failed: false,
        }
    }

    /// The 4-octet AS number from the capability (RFC 6793), if advertised.
    pub fn four_octet_as(&self) -> Option<u32> {
        self.capabilities().flatten().find_map(|cap| {
            (cap.code == CapabilityCode::FOUR_OCTET_AS && cap.value.len() == 4)
                .then(|| u32::from_be_bytes([cap.value[0], cap.value[1], cap.value[2], cap.value[3]]))
        })
    }

    /// The speaker's AS: the 4-octet capability when present, the 2-byte field otherwise.
    pub fn autonomous_system(&self) -> u32 {
        self.four_octet_as().unwrap_or(u32::from(self.my_as))
    }

    /// True when the Extended Message capability (RFC 8654) is advertised.
    pub fn extended_message(&self) -> bool {
        self.capabilities()
            .flatten()
            .any(|cap| cap.code == CapabilityCode::EXTENDED_MESSAGE)
    }
}

/// Iterator over an OPEN's capabilities.
#[derive(Clone, Debug)]
pub struct CapabilityIter<'a> {
    params: Cursor<'a>,
    extended: bool,
    caps: Cursor<'a>,
    failed: bool,
}

impl<'a> Iterator for CapabilityIter<'a> {
    type Item = Result<Capability<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            if !self.caps.rest().is_empty() {
                let r = (|| {
                    let code = CapabilityCode(self.caps.u8()?);
                    let len = usize::from(self.caps.u8()?);
                    let value = self.caps.take(len)?;
                    Ok(Capability { code, value })
                })();
                self.failed = r.is_err();
                return Some(r);
            }
            if self.params.rest().is_empty() {
                return None;
            }
            let r = (|| {
                let ptype = self.params.u8()?;
                let len = if self.extended {
                    usize::from(self.params.u16()?)
                } else {
                    usize::from(self.params.u8()?)
                };
                let base = self.params.offset();
                let value = self.params.take(len)?;
                Ok((ptype, base, value))
            })();
            match r {
                // Parameter type 2: Capabilities.
                Ok((2, base, value)) => self.caps = Cursor::new(value, base),
                Ok(_) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// An UPDATE message (RFC 4271 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Update<'a> {
    /// Withdrawn routes (IPv4 prefixes).
    pub withdrawn: &'a [u8],
    /// Path attributes.
    pub path_attributes: &'a [u8],
    /// Network Layer Reachability Information (IPv4 prefixes).
    pub nlri: &'a [u8],
}

fn parse_update(body: &[u8]) -> Result<Update<'_>, ParseError> {
    let mut c = Cursor::new(body, HEADER_LEN);
    let wlen = usize::from(c.u16()?);
    let withdrawn = c.take(wlen)?;
    let alen = usize::from(c.u16()?);
    let path_attributes = c.take(alen)?;
    Ok(Update {
        withdrawn,
        path_attributes,
        nlri: c.rest(),
    })
}

impl<'a> Update<'a> {
    /// The withdrawn IPv4 prefixes.
    pub fn withdrawn_prefixes(&self) -> PrefixIter<'a> {
        PrefixIter::ipv4(self.withdrawn)
    }

    /// The announced IPv4 prefixes.
    pub fn announced_prefixes(&self) -> PrefixIter<'a> {
        PrefixIter::ipv4(self.nlri)
    }

    /// Path attribute type codes with their values, in order; a malformed attribute ends the
    /// iteration with one `Err`.
    pub fn attributes(&self) -> PathAttributeIter<'a> {
        PathAttributeIter {
            c: Cursor::new(self.path_attributes, 0),
            failed: false,
        }
    }

    /// True for an End-of-RIB marker (RFC 4724): an UPDATE with nothing in it.
    pub fn is_end_of_rib(&self) -> bool {
        self.withdrawn.is_empty() && self.path_attributes.is_empty() && self.nlri.is_empty()
    }
}

/// A path attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathAttribute<'a> {
    /// Flags (optional, transitive, partial, extended length).
    pub flags: u8,
    /// Type code (IANA "BGP Path Attributes").
    pub type_code: u8,
    /// The attribute value (after the flags, type and length octets).
    pub value: &'a [u8],
}

/// Iterator over path attributes.
#[derive(Clone, Debug)]
pub struct PathAttributeIter<'a> {
    c: Cursor<'a>,
    failed: bool,
}

impl<'a> Iterator for PathAttributeIter<'a> {
    type Item = Result<PathAttribute<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.c.rest().is_empty() {
            return None;
        }
        let r = (|| {
            let flags = self.c.u8()?;
            let type_code = self.c.u8()?;
            let len = if flags & 0x10 != 0 {
                usize::from(self.c.u16()?)
            } else {
                usize::from(self.c.u8()?)
            };
            let value = self.c.take(len)?;
            Ok(PathAttribute {
                flags,
                type_code,
                value,
            })
        })();
        self.failed = r.is_err();
        Some(r)
    }
}

/// An IPv4 prefix from NLRI or withdrawn routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    /// Network address (bits past the length are zero).
    pub address: Ipv4Addr,
    /// Prefix length (0–32).
    pub length: u8,
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.length)
    }
}

/// Iterator over length-prefixed IPv4 prefixes; a malformed entry ends it with one `Err`.
#[derive(Clone, Debug)]
pub struct PrefixIter<'a> {
    c: Cursor<'a>,
    failed: bool,
}

impl<'a> PrefixIter<'a> {
    fn ipv4(data: &'a [u8]) -> Self {
        PrefixIter {
            c: Cursor::new(data, 0),
            failed: false,
        }
    }
}

impl Iterator for PrefixIter<'_> {
    type Item = Result<Prefix, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.c.rest().is_empty() {
            return None;
        }
        let at = self.c.offset();
        let r = (|| {
            let length = self.c.u8()?;
            if length > 32 {
                return Err(ParseError::InvalidValue {
                    offset: at,
                    field: "IPv4 prefix length",
                    value: u32::from(length),
                });
            }
            let bytes = self.c.take(usize::from(length).div_ceil(8))?;
            let mut a = [0u8; 4];
            a[..bytes.len()].copy_from_slice(bytes);
            let mask = u32::MAX.checked_shl(32 - u32::from(length)).unwrap_or(0);
            Ok(Prefix {
                address: Ipv4Addr::from(u32::from_be_bytes(a) & mask),
                length,
            })
        })();
        self.failed = r.is_err();
        Some(r)
    }
}

/// A NOTIFICATION message (RFC 4271 §4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notification<'a> {
    /// Error code.
    pub code: ErrorCode,
    /// Error subcode.
    pub subcode: ErrorSubcode,
    /// Data (e.g. the offending AS for Bad Peer AS, a shutdown message for Cease 2/4).
    pub data: &'a [u8],
}

impl Notification<'_> {
    /// "OPEN Message Error / Bad Peer AS", with numbers for unassigned values.
    pub fn describe(&self) -> String {
        match self.subcode.name(self.code) {
            Some(s) => format!("{} / {s}", self.code),
            None => format!("{} / subcode {}", self.code, self.subcode.0),
        }
    }
}

fn parse_notification(body: &[u8]) -> Result<Notification<'_>, ParseError> {
    let mut c = Cursor::new(body, HEADER_LEN);
    let code = ErrorCode(c.u8()?);
    let subcode = ErrorSubcode(c.u8()?);
    Ok(Notification {
        code,
        subcode,
        data: c.rest(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(t: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend_from_slice(&((HEADER_LEN + body.len()) as u16).to_be_bytes());
        v.push(t);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn keepalive_and_header() {
        let k = msg(4, &[]);
        assert_eq!(k.len(), 19);
        let (m, rest) = parse_message(&k).unwrap();
        assert_eq!(m, Message::Keepalive);
        assert!(rest.is_empty());
        assert_eq!(m.message_type().to_string(), "KEEPALIVE");
        // a keepalive with a body is refused
        assert!(parse_message(&msg(4, &[0])).is_err());
        // wrong marker
        let mut bad = k.clone();
        bad[3] = 0;
        assert!(matches!(parse_header(&bad), Err(ParseError::InvalidValue { .. })));
        // length below the header
        let mut short = k.clone();
        short[17] = 18;
        assert!(matches!(
            parse_header(&short),
            Err(ParseError::LengthTooShort { .. })
        ));
        // length past the data
        let mut long = k;
        long[17] = 40;
        assert!(matches!(
            parse_message(&long),
            Err(ParseError::Truncated { needed: 40, .. })
        ));
    }

    /// An OPEN as BIRD 2 sends it: AS 65001, hold 240, id 10.1.0.1, capabilities
    /// multiprotocol IPv4 unicast, route refresh, graceful restart, 4-octet AS 65001.
    #[test]
    fn open_with_capabilities() {
        let body = [
            4, 0xfd, 0xe9, 0x00, 0xf0, 10, 1, 0, 1,  // version, AS, hold, id
            20, // opt params length
            2, 18, // capabilities parameter
            1, 4, 0, 1, 0, 1, // MP IPv4 unicast
            2, 0, // route refresh
            64, 2, 0, 120, // graceful restart
            65, 4, 0, 0, 0xfd, 0xe9, // 4-octet AS 65001
        ];
        let bytes = msg(1, &body);
        let (Message::Open(o), _) = parse_message(&bytes).unwrap() else {
            panic!("not an OPEN")
        };
        assert_eq!(o.version, 4);
        assert_eq!(o.my_as, 65001);
        assert_eq!(o.hold_time, 240);
        assert_eq!(o.bgp_identifier, Ipv4Addr::new(10, 1, 0, 1));
        let codes: Vec<u8> = o.capabilities().map(|c| c.unwrap().code.0).collect();
        assert_eq!(codes, [1, 2, 64, 65]);
        assert_eq!(o.four_octet_as(), Some(65001));
        assert_eq!(o.autonomous_system(), 65001);
        assert!(!o.extended_message());
        assert_eq!(CapabilityCode(65).name(), Some("Support for 4-octet AS number"));
    }

    #[test]
    fn open_four_octet_as_trans_and_extended_params() {
        // AS_TRANS in the fixed field, the real AS 4200000001 in the capability, RFC 9072
        // extended parameter lengths, plus the Extended Message capability.
        let body = [
            4, 0x5b, 0xa0, 0, 90, 192, 0, 2, 1, 255, 255, 0, 11, // ext opt len 11
            2, 0, 8, // capabilities parameter, 2-byte length 8
            65, 4, 0xfa, 0x56, 0xea, 0x01, 6, 0,
        ];
        let bytes = msg(1, &body);
        let (Message::Open(o), _) = parse_message(&bytes).unwrap() else {
            panic!("not an OPEN")
        };
        assert!(o.extended_parameters);
        assert_eq!(o.my_as, AS_TRANS);
        assert_eq!(o.autonomous_system(), 4_200_000_001);
        assert!(o.extended_message());
    }

    #[test]
    fn open_capability_overrun_is_an_error() {
        let body = [4, 0, 1, 0, 90, 1, 2, 3, 4, 4, 2, 2, 65, 4];
        let bytes = msg(1, &body);
        let (Message::Open(o), _) = parse_message(&bytes).unwrap() else {
            panic!("not an OPEN")
        };
        let caps: Vec<_> = o.capabilities().collect();
        assert_eq!(caps.len(), 1);
        assert!(caps[0].is_err());
        // optional parameters longer than the message
        assert!(parse_message(&msg(1, &[4, 0, 1, 0, 90, 1, 2, 3, 4, 9, 2])).is_err());
    }

    #[test]
    fn update_prefixes() {
        let body = [
            0, 4, 24, 10, 9, 8, // withdrawn 10.9.8.0/24
            0, 4, 0x40, 1, 1, 0, // ORIGIN IGP
            24, 10, 1, 0, // 10.1.0.0/24
            32, 10, 1, 0, 1, // 10.1.0.1/32
            0, // 0.0.0.0/0
        ];
        let bytes = msg(2, &body);
        let (Message::Update(u), _) = parse_message(&bytes).unwrap() else {
            panic!("not an UPDATE")
        };
        let w: Vec<String> = u.withdrawn_prefixes().map(|p| p.unwrap().to_string()).collect();
        assert_eq!(w, ["10.9.8.0/24"]);
        let a: Vec<String> = u.announced_prefixes().map(|p| p.unwrap().to_string()).collect();
        assert_eq!(a, ["10.1.0.0/24", "10.1.0.1/32", "0.0.0.0/0"]);
        let attrs: Vec<u8> = u.attributes().map(|a| a.unwrap().type_code).collect();
        assert_eq!(attrs, [1]);
        assert!(!u.is_end_of_rib());
        let eor = msg(2, &[0, 0, 0, 0]);
        let (Message::Update(e), _) = parse_message(&eor).unwrap() else {
            panic!("not an UPDATE")
        };
        assert!(e.is_end_of_rib());
        // prefix length 33 and a prefix cut short are errors
        let bad = msg(2, &[0, 0, 0, 0, 33, 1, 2, 3, 4, 5]);
        let (Message::Update(b), _) = parse_message(&bad).unwrap() else {
            panic!("not an UPDATE")
        };
        assert!(b.announced_prefixes().next().unwrap().is_err());
        let cut = msg(2, &[0, 0, 0, 0, 24, 10]);
        let (Message::Update(c), _) = parse_message(&cut).unwrap() else {
            panic!("not an UPDATE")
        };
        assert_eq!(c.announced_prefixes().count(), 1);
        assert!(c.announced_prefixes().next().unwrap().is_err());
        // withdrawn length past the body
        assert!(parse_message(&msg(2, &[0, 9, 1])).is_err());
    }

    #[test]
    fn notification_names() {
        let bytes = msg(3, &[2, 2, 0xfd, 0xea]);
        let (Message::Notification(n), rest) = parse_message(&bytes).unwrap() else {
            panic!("not a NOTIFICATION")
        };
        assert!(rest.is_empty());
        assert_eq!(n.code, ErrorCode::OPEN_MESSAGE);
        assert_eq!(n.subcode, SUBCODE_BAD_PEER_AS);
        assert_eq!(n.data, [0xfd, 0xea]);
        assert_eq!(n.describe(), "OPEN Message Error / Bad Peer AS");
        assert_eq!(ErrorCode(4).to_string(), "Hold Timer Expired");
        assert_eq!(ErrorSubcode(0).name(ErrorCode(4)), None);
        assert_eq!(ErrorSubcode(6).name(ErrorCode(2)), Some("Unacceptable Hold Time"));
        assert_eq!(ErrorSubcode(3).name(ErrorCode(2)), Some("Bad BGP Identifier"));
        assert_eq!(
            ErrorSubcode(2).name(ErrorCode(6)),
            Some("Administrative Shutdown")
        );
        let unknown = Notification {
            code: ErrorCode(99),
            subcode: ErrorSubcode(7),
            data: &[],
        };
        assert_eq!(unknown.describe(), "error code 99 / subcode 7");
        assert!(parse_message(&msg(3, &[6])).is_err());
    }

    #[test]
    fn two_messages_back_to_back_and_unknown_type() {
        let mut both = msg(4, &[]);
        both.extend(msg(9, &[1, 2, 3]));
        let (m1, rest) = parse_message(&both).unwrap();
        assert_eq!(m1, Message::Keepalive);
        let (m2, rest) = parse_message(rest).unwrap();
        assert_eq!(
            m2,
            Message::Unknown {
                message_type: MessageType(9),
                body: &[1, 2, 3]
            }
        );
        assert!(rest.is_empty());
        let rr = msg(5, &[0, 1, 0, 1]);
        assert_eq!(
            parse_message(&rr).unwrap().0,
            Message::RouteRefresh { afi: 1, safi: 1 }
        );
    }
}
