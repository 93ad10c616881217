//! Typed parse errors. Every error carries the byte offset (relative to the start of the buffer
//! the caller handed in, usually the IKE message) where the problem was found.

/// Why a structure could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Fewer bytes than the structure needs.
    #[error("truncated at offset {offset}: need {needed} bytes, {available} available")]
    Truncated {
        /// Offset of the structure or field.
        offset: usize,
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A (sub)payload length field smaller than its own fixed header.
    #[error("length {length} at offset {offset} is smaller than the minimum {minimum}")]
    LengthTooShort {
        /// Offset of the structure.
        offset: usize,
        /// The length field value.
        length: usize,
        /// Smallest legal length.
        minimum: usize,
    },
    /// A (sub)payload length field pointing past the end of the enclosing data.
    #[error("length {length} at offset {offset} overruns the enclosing data ({available} bytes left)")]
    Overrun {
        /// Offset of the structure.
        offset: usize,
        /// The length field value.
        length: usize,
        /// Bytes actually left in the enclosing structure.
        available: usize,
    },
    /// The ISAKMP header length field is smaller than the 28-byte header.
    #[error("ISAKMP length field {length} is smaller than the 28-byte header")]
    BadMessageLength {
        /// The length field value.
        length: u32,
    },
    /// A field has a value the format does not allow.
    #[error("invalid value {value} for {field} at offset {offset}")]
    InvalidValue {
        /// Offset of the field.
        offset: usize,
        /// Field name.
        field: &'static str,
        /// The value found.
        value: u32,
    },
}

impl ParseError {
    /// Offset of the problem (0 for errors without a position).
    pub fn offset(&self) -> usize {
        match *self {
            ParseError::Truncated { offset, .. }
            | ParseError::LengthTooShort { offset, .. }
            | ParseError::Overrun { offset, .. }
            | ParseError::InvalidValue { offset, .. } => offset,
            ParseError::BadMessageLength { .. } => 0,
        }
    }
}
