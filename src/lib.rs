//! ikescope: an analyzer for IKE/IPsec packet captures.
//!
//! Data flows one way: [`capture`] (packets → datagrams) → [`decode`] (datagrams → records)
//! → [`reconstruct`] (records → exchanges, SAs, tunnels) → [`diagnose`] (findings) →
//! [`report`]. [`keys`] and [`decrypt`] let the decoder see inside encrypted exchanges. The
//! commands sit on top in [`app`]; no module imports one above it (ARCHITECTURE.md).
#![forbid(unsafe_code)]

pub mod app;
pub mod capture;
pub mod decode;
pub mod decrypt;
pub mod diagnose;
pub mod keys;
pub mod reconstruct;
pub mod record;
pub mod report;
pub mod wording;
