//! What a strongSwan charon log says about its own configuration when it refuses a peer: the
//! half of a negotiation the wire never carries. A refusal (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE)
//! names neither what the refusing end would have accepted nor which clause failed; its log
//! does:
//!
//! ```text
//! 12:37:36 08[CFG]   no acceptable ENCRYPTION_ALGORITHM found
//! 12:37:36 08[CFG] received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
//! 12:37:36 08[CFG] configured proposals: ESP:AES_GCM_16_256/NO_EXT_SEQ
//! 12:37:36 08[IKE] no acceptable proposal found
//!
//! 12:38:49 02[CFG] proposing traffic selectors for us:
//! 12:38:49 02[CFG]  10.2.0.1/32
//! 12:38:49 02[CFG] proposing traffic selectors for other:
//! 12:38:49 02[CFG]  10.9.9.0/24
//! 12:38:49 02[IKE] traffic selectors 10.2.0.1/32 === 10.1.0.1/32 unacceptable
//! ```
//!
//! Proposals are turned into the same keywords as the wire's offers (`aes128-sha256`) so a
//! finding can be matched with the log's refusal by what was offered.

use super::charon::split_line;
use super::KeySource;
use ikescope_parsers::iana::{EsnId, ProtocolId, TransformType};
use std::collections::HashMap;
use std::path::Path;

/// One refusal found in a daemon log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigHint {
    /// A proposal refused: what was received, what the logging end is configured for, and the
    /// transform types it found nothing acceptable of.
    ProposalRefused {
        /// `IKE`, `ESP` or `AH`.
        protocol: String,
        /// Received proposals, as keywords (`aes128-sha256-modp2048`).
        received: Vec<String>,
        /// Configured proposals of the logging end, as keywords.
        configured: Vec<String>,
        /// Transform types charon found nothing acceptable of (`encryption algorithm`, ...):
        /// the first type it compared that failed.
        missing: Vec<String>,
        /// Transform types where no received value is among the configured ones: every clause
        /// the two ends disagree on.
        disagree: Vec<String>,
        /// Where in which log.
        source: KeySource,
    },
    /// Traffic selectors refused: what the logging end has configured and what it received.
    SelectorsRefused {
        /// The logging end's own side, as configured.
        local: Vec<String>,
        /// The far side it accepts, as configured.
        remote: Vec<String>,
        /// The refused pair as received (`10.2.0.1/32 === 10.1.0.1/32`, logging end first).
        received: String,
        /// Where in which log.
        source: KeySource,
    },
}

/// charon's transform name → (IKEv2 transform type, ID, key length). charon prints the IANA
/// names without their `ENCR_`/`AUTH_` prefix, an encryption key length last (`AES_CBC_128`),
/// DES as `DES_CBC`/`3DES_CBC`, and ESN as `EXT_SEQ`/`NO_EXT_SEQ`.
fn transform(name: &str) -> Option<(TransformType, u16, Option<u16>)> {
    /// Every assigned ID of the registries read here is below this.
    const MAX_ID: u16 = 1024;
    let find = |ty: TransformType, iana: &str| (0..MAX_ID).find(|&id| ty.id_name(id) == Some(iana));
    let plain = |ty: TransformType, iana: &str| find(ty, iana).map(|id| (ty, id, None));
    match name {
        "NO_EXT_SEQ" => return Some((TransformType::ESN, EsnId::NO_ESN.0, None)),
        "EXT_SEQ" => return Some((TransformType::ESN, EsnId::ESN.0, None)),
        _ => {}
    }
    let encr = |n: &str| {
        plain(TransformType::ENCR, &format!("ENCR_{n}"))
            .or_else(|| plain(TransformType::ENCR, &format!("ENCR_{}", n.strip_suffix("_CBC")?)))
    };
    encr(name)
        .or_else(|| plain(TransformType::INTEG, &format!("AUTH_{name}")))
        .or_else(|| plain(TransformType::PRF, name))
        .or_else(|| plain(TransformType::KE, name))
        .or_else(|| {
            let (head, bits) = name.rsplit_once('_')?;
            let bits = bits.parse::<u16>().ok()?;
            find(TransformType::ENCR, &format!("ENCR_{head}")).map(|id| (TransformType::ENCR, id, Some(bits)))
        })
}

/// `ESP:AES_CBC_128/...` → (protocol name, protocol ID (RESERVED when unknown), transforms
/// when all are known).
type Parsed = (String, ProtocolId, Option<Vec<(TransformType, u16, Option<u16>)>>);

fn parse_proposal(proposal: &str) -> Parsed {
    let (proto, rest) = proposal.split_once(':').unwrap_or(("", proposal));
    let protocol = match proto {
        "IKE" => ProtocolId::IKE,
        "AH" => ProtocolId::AH,
        "ESP" => ProtocolId::ESP,
        _ => ProtocolId::RESERVED,
    };
    let known: Option<Vec<_>> = rest.split('/').filter(|s| !s.is_empty()).map(transform).collect();
    (proto.to_string(), protocol, known)
}

/// `ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ` → (`ESP`, `aes128-sha256`); an unknown
/// transform keeps charon's own spelling, lower-cased.
pub fn proposal_keywords(proposal: &str) -> (String, String) {
    let (proto, protocol, known) = parse_proposal(proposal);
    let words = match known {
        Some(t) if protocol != ProtocolId::RESERVED => ikescope_parsers::summary::summary_v2(protocol, t),
        _ => proposal
            .split_once(':')
            .map_or(proposal, |(_, r)| r)
            .to_ascii_lowercase()
            .replace('/', "-"),
    };
    (proto, words)
}

/// The transform types on which two lists of charon proposals share no value (a DH group in a
/// CHILD SA proposal is its PFS group).
fn disagreement(received: &str, configured: &str) -> Vec<String> {
    let child = !received.trim_start().starts_with("IKE:");
    let values = |list: &str| -> Option<Vec<(TransformType, u16, Option<u16>)>> {
        let mut all = Vec::new();
        for p in list.split(", ") {
            all.extend(parse_proposal(p.trim()).2?);
        }
        Some(all)
    };
    let (Some(r), Some(c)) = (values(received), values(configured)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (ty, name) in [
        (TransformType::ENCR, "encryption algorithm"),
        (TransformType::INTEG, "integrity algorithm"),
        (TransformType::PRF, "PRF"),
        (TransformType::KE, if child { "PFS group" } else { "DH group" }),
        (TransformType::ESN, "extended sequence numbers"),
    ] {
        let rv: Vec<_> = r.iter().filter(|t| t.0 == ty).collect();
        let cv: Vec<_> = c.iter().filter(|t| t.0 == ty).collect();
        if (!rv.is_empty() || !cv.is_empty()) && !rv.iter().any(|x| cv.contains(x)) {
            out.push(name.to_string());
        }
    }
    out
}

/// `no acceptable ENCRYPTION_ALGORITHM found` → `encryption algorithm`.
fn missing_name(token: &str) -> String {
    match token {
        "ENCRYPTION_ALGORITHM" => "encryption algorithm".into(),
        "INTEGRITY_ALGORITHM" => "integrity algorithm".into(),
        "PSEUDO_RANDOM_FUNCTION" => "PRF".into(),
        "DIFFIE_HELLMAN_GROUP" | "KEY_EXCHANGE_METHOD" => "DH group".into(),
        "EXTENDED_SEQUENCE_NUMBERS" => "extended sequence numbers".into(),
        other => other.to_ascii_lowercase().replace('_', " "),
    }
}

/// Per-thread state while reading a log.
#[derive(Default)]
struct Thread {
    missing: Vec<String>,
    received: Option<(String, Vec<String>, String)>,
    configured: Option<(Vec<String>, usize, String)>,
    ts_us: Vec<String>,
    ts_other: Vec<String>,
    /// Which selector list the following indented lines belong to (0 none, 1 us, 2 other).
    ts_list: u8,
}

fn keywords(list: &str) -> (String, Vec<String>) {
    let mut proto = String::new();
    let words = list
        .split(", ")
        .map(|p| {
            let (pr, w) = proposal_keywords(p.trim());
            if proto.is_empty() {
                proto = pr;
            }
            w
        })
        .collect();
    (proto, words)
}

/// The refusals in a charon log.
pub fn parse(path: &Path, text: &str) -> Vec<ConfigHint> {
    let mut out = Vec::new();
    let mut threads: HashMap<u32, Thread> = HashMap::new();
    let source = |line: usize| KeySource {
        path: path.to_path_buf(),
        line,
    };
    for (n, line) in text.lines().enumerate() {
        let Some((thread, msg)) = split_line(line) else {
            continue;
        };
        let st = threads.entry(thread).or_default();
        let trimmed = msg.trim();
        if st.ts_list != 0 && msg.starts_with(' ') && !trimmed.contains(' ') && trimmed.contains('/') {
            if st.ts_list == 1 {
                st.ts_us.push(trimmed.to_string());
            } else {
                st.ts_other.push(trimmed.to_string());
            }
            continue;
        }
        st.ts_list = 0;
        if let Some(rest) = trimmed.strip_prefix("no acceptable ") {
            if let Some(tok) = rest.strip_suffix(" found") {
                if tok != "proposal" {
                    let m = missing_name(tok);
                    if !st.missing.contains(&m) {
                        st.missing.push(m);
                    }
                }
            }
        }
        if let Some(list) = trimmed.strip_prefix("received proposals: ") {
            let (proto, words) = keywords(list);
            st.received = Some((proto, words, list.to_string()));
            st.configured = None;
        } else if let Some(list) = trimmed.strip_prefix("configured proposals: ") {
            st.configured = Some((keywords(list).1, n + 1, list.to_string()));
        } else if trimmed.starts_with("selected proposal:") {
            *st = Thread::default();
        } else if trimmed == "no acceptable proposal found"
            || trimmed == "no proposal found"
            || trimmed == "received proposals unacceptable"
            || trimmed.starts_with("no matching proposal found")
        {
            if let (Some((protocol, received, raw_r)), Some((configured, at, raw_c))) =
                (st.received.take(), st.configured.take())
            {
                out.push(ConfigHint::ProposalRefused {
                    protocol,
                    received,
                    configured,
                    missing: std::mem::take(&mut st.missing),
                    disagree: disagreement(&raw_r, &raw_c),
                    source: source(at),
                });
            }
            st.missing.clear();
        } else if trimmed == "proposing traffic selectors for us:" {
            st.ts_us.clear();
            st.ts_list = 1;
        } else if trimmed == "proposing traffic selectors for other:" {
            st.ts_other.clear();
            st.ts_list = 2;
        } else if let Some(pair) = trimmed
            .strip_prefix("traffic selectors ")
            .and_then(|r| r.strip_suffix(" unacceptable"))
        {
            out.push(ConfigHint::SelectorsRefused {
                local: std::mem::take(&mut st.ts_us),
                remote: std::mem::take(&mut st.ts_other),
                received: pair.to_string(),
                source: source(n + 1),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_the_wire_summaries() {
        assert_eq!(
            proposal_keywords("ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"),
            ("ESP".into(), "aes128-sha256".into())
        );
        assert_eq!(
            proposal_keywords("IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048").1,
            "aes128-sha256-modp2048"
        );
        assert_eq!(
            proposal_keywords("IKE:AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384").1,
            "aes256gcm16-prfsha384-ecp384"
        );
        assert_eq!(
            proposal_keywords("ESP:AES_GCM_16_256/NO_EXT_SEQ").1,
            "aes256gcm16"
        );
        assert_eq!(
            proposal_keywords("ESP:FOO_BAR/NO_EXT_SEQ").1,
            "foo_bar-no_ext_seq"
        );
    }

    #[test]
    fn every_differing_clause_is_named() {
        assert_eq!(
            disagreement(
                "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048",
                "IKE:3DES_CBC/HMAC_MD5_96/PRF_HMAC_MD5/MODP_1024"
            ),
            ["encryption algorithm", "integrity algorithm", "PRF", "DH group"]
        );
        assert_eq!(
            disagreement(
                "IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048, IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/ECP_256",
                "IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_3072"
            ),
            ["DH group"]
        );
        assert!(disagreement("ESP:FOO/NO_EXT_SEQ", "ESP:AES_CBC_128/NO_EXT_SEQ").is_empty());
        // PFS on one end only
        assert_eq!(
            disagreement(
                "ESP:AES_CBC_128/HMAC_SHA2_256_128/MODP_2048/NO_EXT_SEQ",
                "ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ"
            ),
            ["PFS group"]
        );
    }

    #[test]
    fn refusals_from_a_log() {
        let log = "\
12:37:36 08[CFG] received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
12:37:36 08[CFG] configured proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
12:37:36 08[CFG] selected proposal: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
12:37:36 09[CFG]   no acceptable ENCRYPTION_ALGORITHM found
12:37:36 09[CFG] received proposals: ESP:AES_CBC_128/HMAC_SHA2_256_128/NO_EXT_SEQ
12:37:36 09[CFG] configured proposals: ESP:AES_GCM_16_256/NO_EXT_SEQ
12:37:36 09[IKE] no acceptable proposal found
12:38:49 02[CFG] proposing traffic selectors for us:
12:38:49 02[CFG]  10.2.0.1/32
12:38:49 02[CFG] proposing traffic selectors for other:
12:38:49 02[CFG]  10.9.9.0/24
12:38:49 02[IKE] traffic selectors 10.2.0.1/32 === 10.1.0.1/32 unacceptable
";
        let h = parse(Path::new("right.log"), log);
        assert_eq!(h.len(), 2, "{h:#?}");
        match &h[0] {
            ConfigHint::ProposalRefused {
                protocol,
                received,
                configured,
                missing,
                disagree,
                source,
            } => {
                assert_eq!(protocol, "ESP");
                assert_eq!(received, &["aes128-sha256"]);
                assert_eq!(configured, &["aes256gcm16"]);
                assert_eq!(missing, &["encryption algorithm"]);
                // AES-GCM has no integrity transform: that differs too
                assert_eq!(disagree, &["encryption algorithm", "integrity algorithm"]);
                assert_eq!(source.line, 6);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            h[1],
            ConfigHint::SelectorsRefused {
                local: vec!["10.2.0.1/32".into()],
                remote: vec!["10.9.9.0/24".into()],
                received: "10.2.0.1/32 === 10.1.0.1/32".into(),
                source: KeySource {
                    path: "right.log".into(),
                    line: 12
                },
            }
        );
    }
}
