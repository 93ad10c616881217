//! Zero-copy nom parsers for ISAKMP (IKEv1), IKEv2, ESP and UDP encapsulation.
#![forbid(unsafe_code)]
