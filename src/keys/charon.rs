//! strongSwan charon logs at a level that prints derived secrets (IKE level 4):
//!
//! ```text
//! 16:01:29 15[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
//! 16:01:29 15[IKE] natd_chunk => 22 bytes @ 0x7ff204002e90
//! 16:01:29 15[IKE]    0: 1E 68 F1 A6 1E 51 95 62 52 6C F3 F7 B1 3B 0C 25  .h...Q.bRl...;.%
//! 16:01:29 15[IKE] Sk_ei secret => 16 bytes @ 0x7ff204002400
//! 16:01:29 15[IKE]    0: 2C 5E C2 06 54 9B 5E F3 00 22 4E F4 72 93 11 5C  ,^..T.^.."N.r..\
//! ```
//!
//! The log does not name the SA a set of keys belongs to. The SPIs are taken from the most recent
//! NAT-D chunk (SPIi | SPIr | address | port) that carries both SPIs and has not been claimed by
//! another key set; IKE SAs made by rekeying have no such chunk and get no SPIs. These are hints:
//! the decryptors confirm a key by its integrity check before using it for another SA.

use super::{EncAlg, EspSa, Ikev1Key, Ikev2Keys, IntegAlg, KeySource, Secret};
use crate::record::Spi8;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::path::Path;

/// Longest hex dump accepted (bytes).
const MAX_DUMP: usize = 1 << 16;

/// Split a charon log line into (thread number, message after `NN[GRP] `).
/// Accepts any prefix before the thread field (timestamps, syslog headers).
pub(crate) fn split_line(line: &str) -> Option<(u32, &str)> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(rel) = line.get(from..)?.find('[') {
        let open = from + rel;
        from = open + 1;
        // digits right before '['
        let mut ds = open;
        while ds > 0 && b[ds - 1].is_ascii_digit() {
            ds -= 1;
        }
        if ds == open || (ds > 0 && b[ds - 1] != b' ') {
            continue;
        }
        let close = match line.get(open + 1..).and_then(|r| r.find(']')) {
            Some(c) => open + 1 + c,
            None => return None,
        };
        let grp = &b[open + 1..close];
        if !(2..=4).contains(&grp.len()) || !grp.iter().all(|c| c.is_ascii_uppercase()) {
            continue;
        }
        let thread = line.get(ds..open)?.parse().ok()?;
        let rest = line.get(close + 1..)?;
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        return Some((thread, rest));
    }
    None
}

/// The keys a charon log yielded.
#[derive(Default)]
pub(crate) struct Parsed {
    pub ikev2: Vec<Ikev2Keys>,
    pub ikev1: Vec<Ikev1Key>,
    pub esp: Vec<EspSa>,
}

enum Event {
    Dump {
        thread: u32,
        name: String,
        bytes: Vec<u8>,
        line: usize,
    },
    IkeProposal {
        thread: u32,
        text: String,
    },
    EspProposal {
        thread: u32,
        text: String,
    },
    EspSpi {
        thread: u32,
        spi: u32,
        src: IpAddr,
        dst: IpAddr,
    },
}

struct PendingDump {
    name: String,
    total: usize,
    data: Vec<u8>,
    line: usize,
}

/// Parse "NAME => N bytes @ 0x…".
fn dump_header(msg: &str) -> Option<(String, usize)> {
    let (name, rest) = msg.split_once(" => ")?;
    let n: usize = rest.split_whitespace().next()?.parse().ok()?;
    if !rest.contains("bytes") || n > MAX_DUMP {
        return None;
    }
    Some((name.trim().to_string(), n))
}

/// Parse the hex of a dump line "   16: 4F CC 45 ...  ascii", up to `want` bytes.
fn dump_line(msg: &str, want: usize) -> Option<Vec<u8>> {
    let t = msg.trim_start();
    let (off, rest) = t.split_once(": ")?;
    off.parse::<usize>().ok()?;
    let mut out = Vec::new();
    for tok in rest.split(' ').filter(|s| !s.is_empty()).take(want.min(16)) {
        if tok.len() != 2 {
            break;
        }
        out.push(u8::from_str_radix(tok, 16).ok()?);
    }
    Some(out)
}

fn events(text: &str) -> Vec<Event> {
    let mut out = Vec::new();
    let mut pending: HashMap<u32, PendingDump> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some((thread, msg)) = split_line(line) else {
            continue;
        };
        if let Some(p) = pending.get_mut(&thread) {
            let want = p.total - p.data.len();
            if let Some(bytes) = dump_line(msg, want) {
                p.data.extend(bytes);
                if p.data.len() >= p.total {
                    if let Some(p) = pending.remove(&thread) {
                        out.push(Event::Dump {
                            thread,
                            name: p.name,
                            bytes: p.data,
                            line: p.line,
                        });
                    }
                }
                continue;
            }
            pending.remove(&thread);
        }
        if let Some((name, total)) = dump_header(msg) {
            let p = PendingDump {
                name,
                total,
                data: Vec::with_capacity(total),
                line: i + 1,
            };
            if total == 0 {
                out.push(Event::Dump {
                    thread,
                    name: p.name,
                    bytes: Vec::new(),
                    line: p.line,
                });
            } else {
                pending.insert(thread, p);
            }
            continue;
        }
        if let Some(p) = msg.trim().strip_prefix("selected proposal: ") {
            if let Some(ike) = p.strip_prefix("IKE:") {
                out.push(Event::IkeProposal {
                    thread,
                    text: ike.to_string(),
                });
            } else if let Some(esp) = p.strip_prefix("ESP:") {
                out.push(Event::EspProposal {
                    thread,
                    text: esp.to_string(),
                });
            }
            continue;
        }
        // "  SPI 0xd8563b9d, src 198.51.100.1 dst 192.0.2.1"
        if let Some(r) = msg.trim().strip_prefix("SPI 0x") {
            let mut it = r.split_whitespace();
            let spi = it
                .next()
                .map(|s| s.trim_end_matches(','))
                .and_then(|s| u32::from_str_radix(s, 16).ok());
            let src = match (it.next(), it.next()) {
                (Some("src"), Some(a)) => a.parse().ok(),
                _ => None,
            };
            let dst = match (it.next(), it.next()) {
                (Some("dst"), Some(a)) => a.parse().ok(),
                _ => None,
            };
            if let (Some(spi), Some(src), Some(dst)) = (spi, src, dst) {
                out.push(Event::EspSpi {
                    thread,
                    spi,
                    src,
                    dst,
                });
            }
        }
    }
    out
}

/// (encryption, integrity) of a strongSwan proposal string such as
/// `AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048`.
fn proposal_algs(text: &str) -> (EncAlg, IntegAlg) {
    let mut parts = text.split('/');
    let enc = EncAlg::parse(parts.next().unwrap_or(""));
    let integ = parts
        .find(|p| {
            !p.starts_with("PRF_")
                && (p.starts_with("HMAC_") || p.starts_with("AES_XCBC") || p.starts_with("AES_CMAC"))
        })
        .map(IntegAlg::parse)
        .unwrap_or(IntegAlg::None);
    (enc, integ)
}

/// Whether an ESP proposal string uses Extended Sequence Numbers (`.../EXT_SEQ`), does not
/// (`.../NO_EXT_SEQ`), or does not say.
fn proposal_esn(text: &str) -> Option<bool> {
    text.split('/').find_map(|p| match p {
        "EXT_SEQ" => Some(true),
        "NO_EXT_SEQ" => Some(false),
        _ => None,
    })
}

#[derive(Default)]
struct Ikev2Partial {
    ei: Option<Vec<u8>>,
    er: Option<Vec<u8>>,
    ai: Option<Vec<u8>>,
    ar: Option<Vec<u8>>,
    line: usize,
}

#[derive(Default)]
struct ChildPartial {
    ei: Option<Vec<u8>>,
    er: Option<Vec<u8>>,
    ai: Option<Vec<u8>>,
    ar: Option<Vec<u8>>,
    line: usize,
    spis_seen: usize,
}

/// Extract IKEv2, IKEv1 and CHILD SA keys.
pub(crate) fn parse(path: &Path, text: &str) -> Parsed {
    let evs = events(text);
    // NAT-D chunks: (event index, thread, spi_i, spi_r)
    let natd: Vec<(usize, u32, Spi8, Spi8)> = evs
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Event::Dump {
                thread, name, bytes, ..
            } if name == "natd_chunk" && bytes.len() >= 16 => {
                let mut a = [0u8; 8];
                let mut b = [0u8; 8];
                a.copy_from_slice(&bytes[..8]);
                b.copy_from_slice(&bytes[8..16]);
                let (a, b) = (Spi8(a), Spi8(b));
                (!a.is_zero() && !b.is_zero()).then_some((i, *thread, a, b))
            }
            _ => None,
        })
        .collect();
    let mut claimed: HashSet<(Spi8, Spi8)> = HashSet::new();
    // Latest unclaimed NAT-D pair before `at` (same thread preferred), else the first
    // unclaimed one after it in the same thread (IKEv1 initiators log it after the keys).
    let mut claim = |at: usize, thread: u32, after_ok: bool| -> Option<(Spi8, Spi8)> {
        let before = natd
            .iter()
            .rev()
            .filter(|n| n.0 < at && !claimed.contains(&(n.2, n.3)));
        let pick = before
            .clone()
            .find(|n| n.1 == thread)
            .or_else(|| before.clone().next())
            .or_else(|| {
                if after_ok {
                    natd.iter()
                        .find(|n| n.0 > at && n.1 == thread && !claimed.contains(&(n.2, n.3)))
                } else {
                    None
                }
            })
            .map(|n| (n.2, n.3));
        if let Some(p) = pick {
            claimed.insert(p);
        }
        pick
    };
    fn proposal_of(e: &Event, want_ike: bool) -> Option<(u32, &str)> {
        match (e, want_ike) {
            (Event::IkeProposal { thread: t, text }, true)
            | (Event::EspProposal { thread: t, text }, false) => Some((*t, text.as_str())),
            _ => None,
        }
    }
    let latest = |at: usize, thread: u32, want_ike: bool| -> Option<&str> {
        let prior = || {
            evs[..at]
                .iter()
                .rev()
                .filter_map(move |e| proposal_of(e, want_ike))
        };
        prior()
            .find(|(t, _)| *t == thread)
            .or_else(|| prior().next())
            .map(|(_, s)| s)
    };

    let mut out = Parsed::default();
    let mut v2: HashMap<u32, Ikev2Partial> = HashMap::new();
    let mut child: HashMap<u32, ChildPartial> = HashMap::new();
    let src = |line| KeySource {
        path: path.to_path_buf(),
        line,
    };
    for (i, e) in evs.iter().enumerate() {
        match e {
            Event::Dump {
                thread,
                name,
                bytes,
                line,
            } => {
                let b = Some(bytes.clone());
                match name.as_str() {
                    "Sk_d secret" => {
                        v2.insert(
                            *thread,
                            Ikev2Partial {
                                line: *line,
                                ..Default::default()
                            },
                        );
                    }
                    "Sk_ai secret" => v2.entry(*thread).or_default().ai = b,
                    "Sk_ar secret" => v2.entry(*thread).or_default().ar = b,
                    "Sk_ei secret" => v2.entry(*thread).or_default().ei = b,
                    "Sk_er secret" => v2.entry(*thread).or_default().er = b,
                    "Sk_pr secret" => {
                        if let Some(p) = v2.remove(thread) {
                            if let (Some(ei), Some(er)) = (p.ei, p.er) {
                                let (enc, integ) = latest(i, *thread, true)
                                    .map(proposal_algs)
                                    .unwrap_or((EncAlg::Other("unknown".into()), IntegAlg::None));
                                let spis = claim(i, *thread, false);
                                out.ikev2.push(Ikev2Keys {
                                    spi_i: spis.map(|s| s.0),
                                    spi_r: spis.map(|s| s.1),
                                    spis_certain: false,
                                    sk_ei: Secret::new(ei),
                                    sk_er: Secret::new(er),
                                    enc,
                                    sk_ai: Secret::new(p.ai.unwrap_or_default()),
                                    sk_ar: Secret::new(p.ar.unwrap_or_default()),
                                    integ,
                                    source: src(p.line),
                                });
                            }
                        }
                    }
                    "encryption key Ka" => {
                        let spis = claim(i, *thread, true);
                        out.ikev1.push(Ikev1Key {
                            icookie: spis.map(|s| s.0),
                            cookie_certain: false,
                            key: Secret::new(bytes.clone()),
                            source: src(*line),
                        });
                    }
                    "encryption initiator key" => {
                        child.insert(
                            *thread,
                            ChildPartial {
                                ei: b,
                                line: *line,
                                ..Default::default()
                            },
                        );
                    }
                    "encryption responder key" => child.entry(*thread).or_default().er = b,
                    "integrity initiator key" => child.entry(*thread).or_default().ai = b,
                    "integrity responder key" => child.entry(*thread).or_default().ar = b,
                    _ => {}
                }
            }
            Event::EspSpi {
                thread,
                spi,
                src: a,
                dst: d,
            } => {
                let Some(p) = child.get_mut(thread) else {
                    continue;
                };
                p.spis_seen += 1;
                let proposal = latest(i, *thread, false);
                let (enc, auth) = proposal
                    .map(proposal_algs)
                    .unwrap_or((EncAlg::Other("unknown".into()), IntegAlg::None));
                let esn = proposal.and_then(proposal_esn);
                // The log does not say which end initiated the CHILD SA exchange: offer both
                // key sets; the ESP decryptor keeps the one whose ICV verifies.
                for (ek, ak) in [(&p.ei, &p.ai), (&p.er, &p.ar)] {
                    let Some(ek) = ek else { continue };
                    out.esp.push(EspSa {
                        ip_version: if a.is_ipv4() { 4 } else { 6 },
                        src: Some(*a),
                        dst: Some(*d),
                        spi: Some(*spi),
                        enc: enc.clone(),
                        enc_key: Secret::new(ek.clone()),
                        auth: auth.clone(),
                        auth_key: Secret::new(ak.clone().unwrap_or_default()),
                        esn,
                        certain: false,
                        source: src(p.line),
                    });
                }
                if p.spis_seen >= 2 {
                    child.remove(thread);
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        assert_eq!(
            split_line("16:01:29 15[IKE] Sk_ei secret => 16 bytes @ 0x7f"),
            Some((15, "Sk_ei secret => 16 bytes @ 0x7f"))
        );
        assert_eq!(
            split_line("Nov 22 15:56:59 gw charon: 08[IKE]    0: 2C"),
            Some((8, "   0: 2C"))
        );
        assert_eq!(split_line("a[b] c"), None);
        assert_eq!(split_line("x 12[ab] c"), None);
        assert_eq!(split_line("["), None);
    }

    #[test]
    fn dump_lines() {
        assert_eq!(
            dump_line("   16: 72 E5 0F EA                                      r...", 4),
            Some(vec![0x72, 0xe5, 0x0f, 0xea])
        );
        // ASCII column that looks like hex is not read past the wanted length
        assert_eq!(dump_line("0: 41 42  AB", 2), Some(vec![0x41, 0x42]));
    }

    #[test]
    fn proposal_names() {
        assert_eq!(
            proposal_algs("AES_CCM_16_128/PRF_HMAC_SHA2_256/MODP_2048"),
            (
                EncAlg::AesCcm {
                    key_bits: Some(128),
                    icv_len: 16
                },
                IntegAlg::None
            )
        );
        assert_eq!(
            proposal_algs("AES_CCM_8_256/NO_EXT_SEQ"),
            (
                EncAlg::AesCcm {
                    key_bits: Some(256),
                    icv_len: 8
                },
                IntegAlg::None
            )
        );
        assert_eq!(
            proposal_algs("AES_CCM_12_192/PRF_AES128_XCBC/ECP_256").0,
            EncAlg::AesCcm {
                key_bits: Some(192),
                icv_len: 12
            }
        );
        // IKE: AES_XCBC_96 is the integrity algorithm, PRF_AES128_XCBC the PRF
        assert_eq!(
            proposal_algs("AES_CBC_128/AES_XCBC_96/PRF_AES128_XCBC/MODP_2048"),
            (EncAlg::AesCbc { key_bits: Some(128) }, IntegAlg::AesXcbc96)
        );
        assert_eq!(
            proposal_algs("AES_CBC_128/AES_XCBC_96/NO_EXT_SEQ"),
            (EncAlg::AesCbc { key_bits: Some(128) }, IntegAlg::AesXcbc96)
        );
        assert_eq!(proposal_esn("AES_CBC_128/HMAC_SHA2_256_128/EXT_SEQ"), Some(true));
        assert_eq!(proposal_esn("AES_CCM_16_128/NO_EXT_SEQ"), Some(false));
        assert_eq!(
            proposal_esn("AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256"),
            None
        );
    }

    #[test]
    fn small_log() {
        let log = "\
1 15[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048
1 15[IKE] natd_chunk => 22 bytes @ 0x1
1 15[IKE]    0: 01 02 03 04 05 06 07 08 11 12 13 14 15 16 17 18  ................
1 15[IKE]   16: C6 33 64 01 01 F4                                .3d...
1 15[IKE] Sk_d secret => 2 bytes @ 0x1
1 15[IKE]    0: 00 01
1 15[IKE] Sk_ai secret => 2 bytes @ 0x1
1 16[IKE] unrelated line in another thread
1 15[IKE]    0: AA AB
1 15[IKE] Sk_ar secret => 2 bytes @ 0x1
1 15[IKE]    0: BA BB
1 15[IKE] Sk_ei secret => 2 bytes @ 0x1
1 15[IKE]    0: CA CB
1 15[IKE] Sk_er secret => 2 bytes @ 0x1
1 15[IKE]    0: DA DB
1 15[IKE] Sk_pi secret => 2 bytes @ 0x1
1 15[IKE]    0: 00 01
1 15[IKE] Sk_pr secret => 2 bytes @ 0x1
1 15[IKE]    0: 00 01
";
        let p = parse(Path::new("l"), log);
        assert_eq!(p.ikev2.len(), 1);
        let k = &p.ikev2[0];
        assert_eq!(k.spi_i, Some(Spi8([1, 2, 3, 4, 5, 6, 7, 8])));
        assert_eq!(k.sk_ai.bytes(), &[0xaa, 0xab]);
        assert_eq!(k.sk_er.bytes(), &[0xda, 0xdb]);
        assert_eq!(k.enc, EncAlg::AesCbc { key_bits: Some(128) });
        assert_eq!(k.source.line, 5);
    }
}
