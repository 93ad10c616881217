//! Reconstruction: records → exchanges → IKE SAs and CHILD SAs → tunnels, with ESP flows
//! attached. Everything works without keys; decrypted content, when present, sharpens it.

pub mod aggregate;
pub mod bgp_sessions;
pub mod bgp_state;
pub mod cadence;
pub mod capture_point;
pub mod collect;
pub mod esp_series;
pub mod esp_table;
pub mod exchanges;
pub mod implementation;
pub mod inner_health;
pub mod inner_tunnels;
pub mod liveness;
pub mod nat;
pub mod pairs;
pub mod recent_digests;
pub mod sas;
pub mod selectors;
pub mod sketch;
pub mod tunnels;

pub use capture_point::{CapturePoint, CapturePointGuess};
pub use collect::{Collected, EspFlow, FrameRef, NotAnalysed};
pub use exchanges::{Exchange, ExchangeKind, MsgRef, Phase};
pub use implementation::{ImplementationConfidence, ImplementationGuess};
pub use sas::{ChildSa, IkeSa, SaState};
pub use tunnels::{InnerFlowTally, Model, Tunnel};
