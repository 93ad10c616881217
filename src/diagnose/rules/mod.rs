//! One module per finding rule.

pub mod auth_failure;
pub mod bandwidth_saturation;
pub mod dpd_flap;
pub mod fragmentation_loss;
pub mod ike_version_mismatch;
pub mod informational;
pub mod no_response;
pub mod one_way_esp;
pub mod proposal_mismatch;
pub mod rekey_flap;
pub mod selectors;
pub mod stalled;
#[cfg(test)]
pub(crate) mod testkit;
pub mod ts_mismatch;
