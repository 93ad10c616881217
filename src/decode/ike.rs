//! IKE message bytes → [`IkeInfo`] using the `ikescope-parsers` crate.

use crate::record::{IkeInfo, Problem};

/// Dissect one IKE message (starting at the ISAKMP header). Never panics; returns what could be
/// decoded and the problems found (offsets from the start of the message). `None` when not even
/// the 28-byte header is present.
pub fn dissect_ike(data: &[u8]) -> Option<(IkeInfo, Vec<Problem>)> {
    let _ = data;
    None
}
