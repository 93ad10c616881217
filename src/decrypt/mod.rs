//! Decryption of IKEv2 SK/SKF payloads, IKEv1 encrypted messages and (optionally) ESP, with keys
//! from [`crate::keys::KeyStore`]. All cryptography comes from RustCrypto crates; nothing here
//! panics on untrusted input, and no key bytes are printed.

mod crypto;
pub mod esp;
pub mod ikev1;
pub mod ikev2;

pub use ikev1::{Ikev1Decryptor, Ikev1Outcome, Ikev1Plain};

pub use ikev2::{
    decrypt_message, decrypt_with, FragKey, Ikev2Reassembler, Reassembled, SkLocation, SkOutcome,
};
