//! Wireshark UAT key tables: `ikev2_decryption_table`, `ikev1_decryption_table`, `esp_sa`.

use super::{parse_hex, EncAlg, EspSa, Ikev1Key, Ikev2Keys, IntegAlg, KeyError, KeySource, Secret};
use crate::record::Spi8;
use std::net::IpAddr;
use std::path::Path;

/// Split one CSV line: fields separated by commas, each optionally in double quotes (a doubled
/// quote inside quotes is a literal quote). Fields are trimmed and unquoted.
pub(crate) fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => in_quotes = !in_quotes,
            ',' if !in_quotes => {
                fields.push(cur.trim().to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    fields.push(cur.trim().to_string());
    fields
}

/// Non-empty, non-comment lines with their 1-based numbers.
fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<String>)> + '_ {
    text.lines().enumerate().filter_map(|(i, l)| {
        let t = l.trim();
        if t.is_empty() || t.starts_with('#') {
            None
        } else {
            Some((i + 1, split_csv(t)))
        }
    })
}

fn bad(path: &Path, line: usize, what: impl Into<String>) -> KeyError {
    KeyError::BadRow {
        path: path.to_path_buf(),
        line,
        what: what.into(),
    }
}

fn spi8(path: &Path, line: usize, field: &str, s: &str) -> Result<Spi8, KeyError> {
    let b = parse_hex(s)
        .filter(|b| b.len() == 8)
        .ok_or_else(|| bad(path, line, format!("{field} must be 16 hex digits")))?;
    let mut a = [0u8; 8];
    a.copy_from_slice(&b);
    Ok(Spi8(a))
}

fn key_hex(path: &Path, line: usize, field: &str, s: &str) -> Result<Secret, KeyError> {
    parse_hex(s)
        .map(Secret::new)
        .ok_or_else(|| bad(path, line, format!("{field} is not a hex string")))
}

/// Wireshark ESP keys: `0x…` is hex, anything else is the ASCII bytes of the string.
fn esp_key(path: &Path, line: usize, field: &str, s: &str) -> Result<Secret, KeyError> {
    if s.starts_with("0x") || s.starts_with("0X") {
        key_hex(path, line, field, s)
    } else {
        Ok(Secret::new(s.as_bytes().to_vec()))
    }
}

/// A row must have exactly one field per name; the error lists them.
fn field_count(path: &Path, line: usize, f: &[String], names: &[&str]) -> Result<(), KeyError> {
    if f.len() == names.len() {
        return Ok(());
    }
    Err(bad(
        path,
        line,
        format!(
            "expected {} fields ({}), found {}",
            names.len(),
            names.join(", "),
            f.len()
        ),
    ))
}

/// Parse an `ikev2_decryption_table`.
pub(crate) fn parse_ikev2(path: &Path, text: &str) -> Result<Vec<Ikev2Keys>, KeyError> {
    let mut out = Vec::new();
    for (line, f) in rows(text) {
        field_count(
            path,
            line,
            &f,
            &[
                "SPIi",
                "SPIr",
                "SK_ei",
                "SK_er",
                "encryption",
                "SK_ai",
                "SK_ar",
                "integrity",
            ],
        )?;
        let enc = EncAlg::parse(&f[4]);
        let integ = IntegAlg::parse(&f[7]);
        out.push(Ikev2Keys {
            spi_i: Some(spi8(path, line, "SPIi", &f[0])?),
            spi_r: Some(spi8(path, line, "SPIr", &f[1])?),
            spis_certain: true,
            sk_ei: key_hex(path, line, "SK_ei", &f[2])?,
            sk_er: key_hex(path, line, "SK_er", &f[3])?,
            enc,
            sk_ai: key_hex(path, line, "SK_ai", &f[5])?,
            sk_ar: key_hex(path, line, "SK_ar", &f[6])?,
            integ,
            source: KeySource {
                path: path.to_path_buf(),
                line,
            },
        });
    }
    Ok(out)
}

/// Parse an `ikev1_decryption_table`.
pub(crate) fn parse_ikev1(path: &Path, text: &str) -> Result<Vec<Ikev1Key>, KeyError> {
    let mut out = Vec::new();
    for (line, f) in rows(text) {
        field_count(path, line, &f, &["initiator cookie", "encryption key"])?;
        out.push(Ikev1Key {
            icookie: Some(spi8(path, line, "initiator cookie", &f[0])?),
            cookie_certain: true,
            key: key_hex(path, line, "encryption key", &f[1])?,
            source: KeySource {
                path: path.to_path_buf(),
                line,
            },
        });
    }
    Ok(out)
}

fn addr(path: &Path, line: usize, field: &str, s: &str) -> Result<Option<IpAddr>, KeyError> {
    if s == "*" || s.is_empty() {
        return Ok(None);
    }
    s.parse::<IpAddr>()
        .map(Some)
        .map_err(|_| bad(path, line, format!("{field} is neither an IP address nor *")))
}

/// Parse an `esp_sa` table.
pub(crate) fn parse_esp(path: &Path, text: &str) -> Result<Vec<EspSa>, KeyError> {
    let mut out = Vec::new();
    for (line, f) in rows(text) {
        field_count(
            path,
            line,
            &f,
            &[
                "protocol",
                "source",
                "destination",
                "SPI",
                "encryption",
                "key",
                "authentication",
                "key",
            ],
        )?;
        let ip_version = match f[0].to_ascii_lowercase().as_str() {
            "ipv4" => 4,
            "ipv6" => 6,
            _ => return Err(bad(path, line, "protocol must be IPv4 or IPv6")),
        };
        let spi = if f[3] == "*" || f[3].is_empty() {
            None
        } else {
            let s = f[3].as_str();
            let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
                u32::from_str_radix(h, 16).ok()
            } else {
                s.parse::<u32>().ok()
            };
            Some(v.ok_or_else(|| bad(path, line, "SPI must be 0x-hex, decimal or *"))?)
        };
        out.push(EspSa {
            ip_version,
            src: addr(path, line, "source", &f[1])?,
            dst: addr(path, line, "destination", &f[2])?,
            spi,
            enc: EncAlg::parse(&f[4]),
            enc_key: esp_key(path, line, "encryption key", &f[5])?,
            auth: IntegAlg::parse(&f[6]),
            auth_key: esp_key(path, line, "authentication key", &f[7])?,
            esn: None,
            certain: true,
            source: KeySource {
                path: path.to_path_buf(),
                line,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv() {
        assert_eq!(split_csv(r#""a, b",c , "d""e""#), vec!["a, b", "c", "d\"e"]);
    }

    #[test]
    fn bad_row_names_line_and_not_key() {
        let text = "# comment\n0102030405060708,0102030405060708,zzzz-secret-zz,00,\"AES-CBC-128 [RFC3602]\",00,00,\"NONE\"\n";
        let e = parse_ikev2(Path::new("k.tbl"), text).unwrap_err().to_string();
        assert!(e.starts_with("k.tbl:2:"), "{e}");
        assert!(!e.contains("secret"), "{e}");
    }

    #[test]
    fn esp_rows() {
        let text = "\"IPv4\",\"*\",\"192.1.2.45\",\"0x12345678\",\"TripleDES-CBC [RFC2451]\",\"0x4043\",\"ANY 96 bit authentication [no checking]\",\"\"\n\"IPv6\",\"3ffe::1\",\"3ffe::2\",\"10\",\"AES-CBC [RFC3602]\",\"aescbcencryption\",\"HMAC-SHA-1-96 [RFC2404]\",\"hmacsha1authenticati\"\n";
        let v = parse_esp(Path::new("esp_sa"), text).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].spi, Some(0x12345678));
        assert_eq!(v[0].src, None);
        assert_eq!(v[1].spi, Some(10));
        assert_eq!(v[1].enc_key.len(), 16);
        assert_eq!(v[1].auth_key.len(), 20);
    }

    #[test]
    fn ikev1_rows() {
        let v = parse_ikev1(
            Path::new("t"),
            "0102030405060708,00112233445566778899aabbccddeeff\n",
        )
        .unwrap();
        assert_eq!(v[0].icookie, Some(Spi8([1, 2, 3, 4, 5, 6, 7, 8])));
        assert_eq!(v[0].key.len(), 16);
    }
}
