//! Datagrams → owned [`crate::record::Record`]s.

pub mod ike;
