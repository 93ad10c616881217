//! ikescope: an analyzer for IKE/IPsec packet captures.
//!
//! Data flows one way: [`capture`] (packets → datagrams) → [`decode`] (datagrams → records)
//! → reconstruction (records → exchanges, SAs, tunnels) → findings → reports.

pub mod capture;
pub mod decode;
pub mod decrypt;
pub mod keys;
pub mod record;
