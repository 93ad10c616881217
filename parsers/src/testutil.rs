//! Helpers shared by the unit tests of the parsers.

/// The bytes a hex string spells (a test vector taken from a capture or an RFC); panics on an
/// odd length or a character that is not a hex digit.
pub fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd number of hex digits");
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex digits"))
        .collect()
}
