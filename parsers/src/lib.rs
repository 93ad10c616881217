//! Zero-copy nom parsers for ISAKMP (IKEv1), IKEv2, ESP and UDP encapsulation.
//!
//! Everything here is pure: bytes in, typed structs borrowing from those bytes out. No I/O, no
//! panics on any input, and chains (payloads, proposals, transforms, attributes) are exposed as
//! iterators rather than collected vectors.
//!
//! Entry points:
//! - [`isakmp::parse_message`] / [`isakmp::parse_header`] and [`isakmp::PayloadIter`] for the
//!   28-byte header and the generic payload chain (both IKE versions);
//! - [`ikev1`] and [`ikev2`] for payload bodies;
//! - [`attributes::AttributeIter`] for TV/TLV data attributes;
//! - [`esp::parse_esp`] and [`udp_encap::classify`] for ESP and UDP-4500 demultiplexing;
//! - [`bgp::parse_message`] for BGP-4 messages carried inside tunnels and [`tcp::parse_segment`]
//!   for the TCP segments around them;
//! - [`iana`] for the IANA registries as value types with their names, [`vendor::vendor_name`] for vendor IDs and
//!   [`summary`] for strongSwan-style proposal strings and weak-crypto checks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod attributes;
pub mod bgp;
mod chain;
mod cursor;
pub mod error;
pub mod esp;
pub mod iana;
pub mod ikev1;
pub mod ikev2;
pub mod isakmp;
pub mod summary;
pub mod tcp;
pub mod udp_encap;
pub mod vendor;

pub use chain::SpiIter;
pub use error::ParseError;
