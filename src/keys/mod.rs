//! Key material for decryption: Wireshark's key tables (`ikev2_decryption_table`,
//! `ikev1_decryption_table`, `esp_sa`) and strongSwan charon logs that print the derived secrets.
//!
//! Key bytes live in [`Secret`], whose `Debug` never shows them; nothing in this module prints or
//! returns key material in an error message.

mod alg;
mod charon;
pub mod hints;
mod tables;

pub use alg::{EncAlg, HashAlg, IntegAlg};

use crate::record::Spi8;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Secret bytes (a key). `Debug` prints only the length.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wrap key bytes.
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }
    /// The key bytes (for the decryptors; never print them).
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes redacted>", self.0.len())
    }
}

/// Where a key came from: the file and the 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeySource {
    /// The key file.
    pub path: PathBuf,
    /// 1-based line of the row (for logs: of the first secret of the group).
    pub line: usize,
}

impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path.display(), self.line)
    }
}

/// The keys of one IKEv2 SA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ikev2Keys {
    /// Initiator SPI. For rows from a charon log this is a hint (the log does not always say
    /// which SA the keys belong to); see [`Ikev2Keys::spis_certain`].
    pub spi_i: Option<Spi8>,
    /// Responder SPI, likewise.
    pub spi_r: Option<Spi8>,
    /// True when the SPIs come from a key table row (authoritative), false for log hints.
    pub spis_certain: bool,
    /// SK_ei: encrypts what the initiator sends.
    pub sk_ei: Secret,
    /// SK_er: encrypts what the responder sends.
    pub sk_er: Secret,
    /// Encryption algorithm.
    pub enc: EncAlg,
    /// SK_ai: integrity key of what the initiator sends.
    pub sk_ai: Secret,
    /// SK_ar: integrity key of what the responder sends.
    pub sk_ar: Secret,
    /// Integrity algorithm.
    pub integ: IntegAlg,
    /// Where the row came from.
    pub source: KeySource,
}

/// An IKEv1 phase-1 encryption key for one initiator cookie.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ikev1Key {
    /// Initiator cookie (a hint when `cookie_certain` is false).
    pub icookie: Option<Spi8>,
    /// True when the cookie comes from a key table row.
    pub cookie_certain: bool,
    /// The encryption key (SKEYID_e-derived, as many bytes as the cipher uses or more).
    pub key: Secret,
    /// Where it came from.
    pub source: KeySource,
}

/// One ESP SA from an `esp_sa` table (or a charon log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EspSa {
    /// 4 or 6.
    pub ip_version: u8,
    /// Source address; `None` is the wildcard `*`.
    pub src: Option<IpAddr>,
    /// Destination address; `None` is the wildcard.
    pub dst: Option<IpAddr>,
    /// SPI; `None` is the wildcard.
    pub spi: Option<u32>,
    /// Encryption algorithm.
    pub enc: EncAlg,
    /// Encryption key (with the salt/nonce at the end for GCM/CTR).
    pub enc_key: Secret,
    /// Authentication algorithm.
    pub auth: IntegAlg,
    /// Authentication key.
    pub auth_key: Secret,
    /// Extended (64-bit) Sequence Numbers: `Some` when the key file says (a charon log's
    /// selected proposal: `EXT_SEQ` / `NO_EXT_SEQ`), `None` when it does not (Wireshark's
    /// `esp_sa`): the decryptor then tries the 32-bit form first and ESN when the ICV fails.
    pub esn: Option<bool>,
    /// True for table rows; false for log rows whose direction was guessed (verify by ICV).
    pub certain: bool,
    /// Where it came from.
    pub source: KeySource,
}

impl EspSa {
    /// True when this SA's selectors (SPI, addresses) match a packet.
    pub fn matches(&self, spi: u32, src: IpAddr, dst: IpAddr) -> bool {
        self.spi.is_none_or(|s| s == spi)
            && self.src.is_none_or(|a| a == src)
            && self.dst.is_none_or(|a| a == dst)
    }
}

/// Which kind of key file a path held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyFileFormat {
    /// Wireshark `ikev2_decryption_table`.
    Ikev2Table,
    /// Wireshark `ikev1_decryption_table`.
    Ikev1Table,
    /// Wireshark `esp_sa`.
    EspSa,
    /// strongSwan charon log with derived secrets (level 4).
    CharonLog,
}

/// Errors loading key files. Messages never contain key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A row could not be parsed.
    #[error("{path}:{line}: {what}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What was wrong (never the key itself).
        what: String,
    },
    /// Neither a key table nor a charon log.
    #[error("{path}: not a recognised key file (expected a Wireshark ikev2_decryption_table, ikev1_decryption_table or esp_sa table, or a strongSwan charon log with derived keys)")]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

/// All keys loaded from one or more key files.
#[derive(Clone, Debug, Default)]
pub struct KeyStore {
    /// IKEv2 SA keys, in load order.
    pub ikev2: Vec<Ikev2Keys>,
    /// IKEv1 phase-1 keys, in load order.
    pub ikev1: Vec<Ikev1Key>,
    /// ESP SAs, in load order.
    pub esp: Vec<EspSa>,
    /// The files loaded and their detected formats.
    pub files: Vec<(PathBuf, KeyFileFormat)>,
}

/// What loading one key file gave besides its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The format detected from the content.
    pub format: KeyFileFormat,
    /// Refusals a daemon log explains (the refusing end's own configuration); empty for key
    /// tables.
    pub hints: Vec<hints::ConfigHint>,
}

/// Wireshark's own names for its key tables.
pub const WIRESHARK_TABLE_NAMES: [&str; 3] = ["ikev2_decryption_table", "ikev1_decryption_table", "esp_sa"];

impl KeyStore {
    /// An empty store.
    pub fn new() -> KeyStore {
        KeyStore::default()
    }

    /// True when no keys are loaded.
    pub fn is_empty(&self) -> bool {
        self.ikev2.is_empty() && self.ikev1.is_empty() && self.esp.is_empty()
    }

    /// Load one key file (format detected from its content) into the store; its keys only
    /// (see [`KeyStore::load_file`] for a daemon log's configuration hints).
    pub fn load_path(&mut self, path: &Path) -> Result<KeyFileFormat, KeyError> {
        self.load_file(path).map(|l| l.format)
    }

    /// Load key-file text into the store; its keys only (see [`KeyStore::load_text`]).
    pub fn load_str(&mut self, path: &Path, text: &str) -> Result<KeyFileFormat, KeyError> {
        self.load_text(path, text).map(|l| l.format)
    }

    /// Load one key file into the store and return its format and, for a daemon log, the
    /// refusals it explains.
    pub fn load_file(&mut self, path: &Path) -> Result<Loaded, KeyError> {
        let bytes = std::fs::read(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        self.load_text(path, &text)
    }

    /// Load key-file text; `path` names it in errors and [`KeySource`]s.
    pub fn load_text(&mut self, path: &Path, text: &str) -> Result<Loaded, KeyError> {
        let format = detect_format(path, text).ok_or_else(|| KeyError::UnknownFormat {
            path: path.to_path_buf(),
        })?;
        let mut hints = Vec::new();
        match format {
            KeyFileFormat::Ikev2Table => self.ikev2.extend(tables::parse_ikev2(path, text)?),
            KeyFileFormat::Ikev1Table => self.ikev1.extend(tables::parse_ikev1(path, text)?),
            KeyFileFormat::EspSa => self.esp.extend(tables::parse_esp(path, text)?),
            KeyFileFormat::CharonLog => {
                let parsed = charon::parse(path, text);
                self.ikev2.extend(parsed.ikev2);
                self.ikev1.extend(parsed.ikev1);
                self.esp.extend(parsed.esp);
                hints = hints::parse(path, text);
            }
        }
        self.files.push((path.to_path_buf(), format));
        Ok(Loaded { format, hints })
    }

    /// Load several files into a new store.
    pub fn from_paths<P: AsRef<Path>>(paths: &[P]) -> Result<KeyStore, KeyError> {
        let mut ks = KeyStore::new();
        for p in paths {
            ks.load_path(p.as_ref())?;
        }
        Ok(ks)
    }

    /// Key tables that sit beside a capture: `<stem>.ikev2_decryption_table`,
    /// `<stem>.ikev1_decryption_table`, `<stem>.esp_sa` (stem = file name without its last
    /// extension) and files literally named `ikev2_decryption_table`, `ikev1_decryption_table`,
    /// `esp_sa` in the same directory. Only existing regular files are returned, sorted, without
    /// duplicates.
    pub fn discover_beside(capture_path: &Path) -> Vec<PathBuf> {
        let dir = match capture_path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut out = Vec::new();
        let stem = capture_path.file_stem().map(|s| s.to_string_lossy().into_owned());
        for name in WIRESHARK_TABLE_NAMES {
            if let Some(stem) = &stem {
                out.push(dir.join(format!("{stem}.{name}")));
            }
            out.push(dir.join(name));
        }
        out.retain(|p| p.is_file());
        out.sort();
        out.dedup();
        out
    }

    /// IKEv2 entries whose SPIs match exactly (table rows and log hints alike).
    pub fn ikev2_for(&self, spi_i: Spi8, spi_r: Spi8) -> impl Iterator<Item = &Ikev2Keys> {
        self.ikev2
            .iter()
            .filter(move |k| k.spi_i == Some(spi_i) && k.spi_r == Some(spi_r))
    }
}

/// Decide a key file's format from its content (the file name breaks ties for empty files).
pub fn detect_format(path: &Path, text: &str) -> Option<KeyFileFormat> {
    let mut csv_fields = None;
    for line in text.lines().take(2000) {
        if charon::split_line(line).is_some() {
            return Some(KeyFileFormat::CharonLog);
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || csv_fields.is_some() {
            continue;
        }
        let fields = tables::split_csv(t);
        csv_fields = Some((fields.len(), fields.first().cloned().unwrap_or_default()));
    }
    if let Some((n, first)) = csv_fields {
        let first = first.to_ascii_lowercase();
        return match n {
            8 if first == "ipv4" || first == "ipv6" => Some(KeyFileFormat::EspSa),
            8 => Some(KeyFileFormat::Ikev2Table),
            2 => Some(KeyFileFormat::Ikev1Table),
            _ => None,
        };
    }
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with("ikev2_decryption_table") {
        Some(KeyFileFormat::Ikev2Table)
    } else if name.ends_with("ikev1_decryption_table") {
        Some(KeyFileFormat::Ikev1Table)
    } else if name.ends_with("esp_sa") {
        Some(KeyFileFormat::EspSa)
    } else {
        None
    }
}

/// Parse hex (optional `0x`, optional `:`/space separators). `None` when not hex.
pub(crate) fn parse_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    let digits: Vec<u8> = s.bytes().filter(|b| !matches!(b, b':' | b' ' | b'-')).collect();
    if digits.len() % 2 != 0 {
        return None;
    }
    let val = |c: u8| -> Option<u8> { (c as char).to_digit(16).map(|d| d as u8) };
    digits
        .chunks(2)
        .map(|p| Some(val(p[0])? << 4 | val(p[1])?))
        .collect()
}

/// The bytes of a hex test vector ([`parse_hex`] that panics on bad hex), for unit tests.
#[cfg(test)]
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    parse_hex(s).expect("hex test vector")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_redacts() {
        let s = Secret::new(vec![0xde, 0xad, 0xbe, 0xef]);
        let d = format!("{s:?}");
        assert!(!d.to_ascii_lowercase().contains("dead"));
        assert!(d.contains("4 bytes"));
    }

    #[test]
    fn hex() {
        assert_eq!(parse_hex("0x0a0B"), Some(vec![10, 11]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex(""), Some(vec![]));
    }

    #[test]
    fn detect() {
        let p = Path::new("x");
        assert_eq!(
            detect_format(
                p,
                "# c\n\"IPv4\",\"*\",\"1.2.3.4\",\"0x1\",\"NULL\",\"\",\"NULL\",\"\"\n"
            ),
            Some(KeyFileFormat::EspSa)
        );
        assert_eq!(
            detect_format(p, "0102030405060708,0a0b\n"),
            Some(KeyFileFormat::Ikev1Table)
        );
        assert_eq!(
            detect_format(p, "16:01:29 15[IKE] Sk_ei secret => 16 bytes @ 0x1\n"),
            Some(KeyFileFormat::CharonLog)
        );
        assert_eq!(detect_format(p, "hello world\n"), None);
        assert_eq!(
            detect_format(Path::new("/a/esp_sa"), ""),
            Some(KeyFileFormat::EspSa)
        );
    }

    #[test]
    fn debug_of_store_has_no_key_bytes() {
        let mut ks = KeyStore::new();
        ks.load_str(
            Path::new("t"),
            "0102030405060708,1112131415161718,a1a2a3a4a5a6a7a8a9aaabacadaeafa0,b1b2b3b4b5b6b7b8b9babbbcbdbebfb0,\"AES-CBC-128 [RFC3602]\",c1c2c3c4c5c6c7c8c9cacbcccdcecfc0c1c2c3c4,d1d2d3d4d5d6d7d8d9dadbdcdddedfd0d1d2d3d4,\"HMAC_SHA1_96 [RFC2404]\"\n",
        )
        .unwrap();
        let d = format!("{ks:?}");
        for k in ["a1a2", "b1b2", "c1c2", "d1d2", "161", "177"] {
            assert!(!d.contains(k), "{k} leaked in {d}");
        }
        assert_eq!(ks.ikev2.len(), 1);
    }
}
