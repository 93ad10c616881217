//! IKEv1 (placeholder)
