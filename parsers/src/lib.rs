//! Zero-copy parsers for the packets of IKE/IPsec captures: link layers, IPv4/IPv6, UDP, ICMP
//! errors, ESP and UDP encapsulation, ISAKMP (IKEv1) and IKEv2.
//!
//! Everything here is pure: bytes in, typed structs borrowing from those bytes out. No I/O, no
//! panics on any input, and chains (payloads, proposals, transforms, attributes) are exposed as
//! iterators rather than collected vectors.
//!
//! Entry points:
//! - [`link::parse_link`], [`ip::parse_ipv4`] / [`ip::parse_ipv6`] / [`ip::walk_extensions`] /
//!   [`ip::parse_gre`], [`udp::parse_udp`] and [`icmp::parse_icmp_error`] /
//!   [`icmp::parse_quoted`] for the layers below IKE;
//! - [`isakmp::parse_message`] / [`isakmp::parse_header`] and [`isakmp::PayloadIter`] for the
//!   28-byte header and the generic payload chain (both IKE versions);
//! - [`ikev1`] and [`ikev2`] for payload bodies;
//! - [`attributes::AttributeIter`] for TV/TLV data attributes;
//! - [`esp::parse_esp`] and [`udp_encap::classify`] for ESP and UDP-4500 demultiplexing;
//! - [`bgp::parse_message`] for BGP-4 messages carried inside tunnels and [`tcp::parse_segment`]
//!   for the TCP segments around them;
//! - [`iana`] for the IANA registries as value types with their names, [`vendor::vendor_name`]
//!   for vendor IDs and [`summary`] for strongSwan-style proposal strings and weak-crypto checks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attributes;
pub mod bgp;
mod chain;
mod cursor;
pub mod error;
pub mod esp;
pub mod iana;
pub mod icmp;
pub mod ikev1;
pub mod ikev2;
pub mod ip;
pub mod isakmp;
pub mod link;
pub mod redirect;
pub mod summary;
pub mod tcp;
#[cfg(test)]
mod testutil;
pub mod udp;
pub mod udp_encap;
pub mod vendor;

pub use chain::SpiIter;
pub use error::ParseError;
