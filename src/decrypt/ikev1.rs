//! IKEv1 decryption (Main, Aggressive, Quick Mode, Informational), following the IV rules of
//! RFC 2409 appendix B as Wireshark applies them:
//!
//! - the cipher, key length and hash come from the cleartext SA payloads of Main/Aggressive
//!   Mode (the responder's chosen transform; the initiator's when it offered only one);
//! - phase-1 IV = hash(g^xi | g^xr) truncated to the block size, both KE values seen in clear;
//! - within one Message ID the next IV is the last ciphertext block of the previous message;
//! - the first IV of a new Message ID is hash(last phase-1 ciphertext block | Message ID).
//!
//! IKEv1 has no integrity check on encrypted messages, so a wrong key is detected by the
//! decrypted payload chain not parsing ([`Ikev1Outcome::WrongKey`]).

use super::crypto::{self, CbcCipher};
use crate::keys::{HashAlg, Ikev1Key, KeySource, KeyStore};
use crate::record::Spi8;
use ikescope_parsers::attributes::AttributeValue;
use ikescope_parsers::iana::IkeAttribute;
use ikescope_parsers::iana::{ExchangeType, PayloadType};
use ikescope_parsers::ikev1;
use ikescope_parsers::isakmp::{self, HEADER_LEN};
use std::collections::{HashMap, VecDeque};

/// Most IKEv1 SAs tracked at once (the oldest is forgotten).
const MAX_SAS: usize = 4096;
/// Most Message IDs tracked per SA.
const MAX_MSGIDS: usize = 256;

/// A decrypted IKEv1 message body.
#[derive(Clone, PartialEq, Eq)]
pub struct Ikev1Plain {
    /// The header's next-payload field: type of the first (decrypted) payload.
    pub first_payload: PayloadType,
    /// The decrypted body, from the first payload to the end of the padding.
    pub plaintext: Vec<u8>,
    /// Length of the well-formed payload chain at the start of `plaintext` (the rest is padding).
    pub chain_len: usize,
    /// The key that opened it.
    pub key: KeySource,
}

impl std::fmt::Debug for Ikev1Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ikev1Plain")
            .field("first_payload", &self.first_payload)
            .field("plaintext_len", &self.plaintext.len())
            .field("chain_len", &self.chain_len)
            .field("key", &self.key)
            .finish()
    }
}

/// What [`Ikev1Decryptor::observe`] made of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ikev1Outcome {
    /// Not encrypted (E flag clear); SA and KE payloads were learnt from it.
    Cleartext,
    /// Decrypted, and the payload chain parses.
    Decrypted(Ikev1Plain),
    /// No key for this initiator cookie.
    NoKey,
    /// A key exists but the decrypted data is no valid payload chain: wrong key (or the
    /// capture lacks a message the IV chain depends on).
    WrongKey {
        /// The key tried first.
        key: KeySource,
    },
    /// Decryption needs something the capture did not show (the text says what).
    NotReady(String),
    /// Negotiated cipher or hash not supported.
    Unsupported(String),
    /// The message is malformed.
    Malformed(String),
}

/// (last ciphertext block, IV used) of one message.
type SeenMsg = (Vec<u8>, Vec<u8>);

#[derive(Default)]
struct Sa {
    cipher: Option<(CbcCipher, usize)>,
    hash: Option<HashAlg>,
    unsupported: Option<String>,
    chosen_by_responder: bool,
    ke_i: Option<Vec<u8>>,
    ke_r: Option<Vec<u8>>,
    /// Current IV per Message ID.
    ivs: HashMap<u32, Vec<u8>>,
    /// (last ciphertext block, IV used) of messages seen, per Message ID, for retransmissions.
    seen: HashMap<u32, Vec<SeenMsg>>,
    /// Last ciphertext blocks of the phase-1 (Message ID 0) encrypted messages, oldest first
    /// (at most 8; retransmissions not repeated).
    p1_blocks: Vec<Vec<u8>>,
    /// Index into the key list of the key that last worked.
    bound: Option<usize>,
}

/// Stateful IKEv1 decryptor; feed it every IKEv1 message of a capture in order.
pub struct Ikev1Decryptor {
    keys: Vec<Ikev1Key>,
    sas: HashMap<Spi8, Sa>,
    order: VecDeque<Spi8>,
}

impl std::fmt::Debug for Ikev1Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ikev1Decryptor")
            .field("keys", &self.keys.len())
            .field("sas", &self.sas.len())
            .finish()
    }
}

/// Most payloads walked in one chain.
const MAX_PAYLOADS: usize = 512;

/// Generic payloads (type, body without the 4-byte header) of an IKEv1 chain; stops at the end
/// of the chain or the first malformed payload. Also returns where the chain ended, if cleanly.
fn walk(first: PayloadType, data: &[u8]) -> (Vec<(PayloadType, &[u8])>, Option<usize>) {
    let mut chain = isakmp::PayloadIter::new(first, data, 0, 1);
    let mut out = Vec::new();
    while out.len() < MAX_PAYLOADS {
        match chain.next() {
            None => return (out, Some(chain.offset())),
            Some(Ok(p)) => out.push((p.payload_type, p.body)),
            Some(Err(_)) => break,
        }
    }
    (out, None)
}

/// IKEv1 payload types a decrypted chain may plausibly hold: SA to NAT-OA (RFC 2408, RFC 3947;
/// not GAP), the NAT-T draft types and the Cisco fragment.
fn known_type(t: PayloadType) -> bool {
    (PayloadType::V1_SA..=PayloadType::V1_NAT_OA).contains(&t)
        || matches!(
            t,
            PayloadType::V1_NAT_D_DRAFT | PayloadType::V1_NAT_OA_DRAFT | PayloadType::V1_FRAGMENT
        )
}

/// Length of the payload chain if `plain` holds a plausible one (known types, ends cleanly,
/// padding shorter than 256 bytes).
fn plausible(first: PayloadType, plain: &[u8]) -> Option<usize> {
    if !known_type(first) {
        return None;
    }
    let (ps, end) = walk(first, plain);
    let end = end?;
    if ps.iter().all(|(t, _)| known_type(*t)) && plain.len() - end < 256 {
        Some(end)
    } else {
        None
    }
}

/// (cipher, key bytes, hash) of one phase-1 transform's attributes, or why not supported.
type Transform = Result<((CbcCipher, usize), HashAlg), String>;

/// The cipher and hash of one phase-1 transform; `None` when an attribute is cut short or
/// the transform names no cipher or no hash.
fn transform_algorithms(t: &ikev1::Transform<'_>) -> Option<Transform> {
    let (mut enc, mut hash, mut keylen) = (None, None, None);
    for a in t.attributes() {
        let a = a.ok()?;
        let value = match a.value {
            AttributeValue::Basic(v) => u64::from(v),
            // the first 8 bytes of a longer value, big-endian (no real cipher or hash needs more)
            AttributeValue::Variable(b) => b.iter().take(8).fold(0u64, |n, x| n << 8 | u64::from(*x)),
        };
        match IkeAttribute(a.attr_type) {
            IkeAttribute::ENCRYPTION_ALGORITHM => enc = Some(value),
            IkeAttribute::HASH_ALGORITHM => hash = Some(value),
            IkeAttribute::KEY_LENGTH => keylen = Some(value),
            _ => {}
        }
    }
    let cipher = match (enc?, keylen) {
        (1, _) => Ok((CbcCipher::Des, 8)),
        (5, _) => Ok((CbcCipher::TripleDes, 24)),
        (7, Some(k)) if matches!(k, 128 | 192 | 256) => Ok((CbcCipher::Aes, k as usize / 8)),
        (7, None) => Ok((CbcCipher::Aes, 16)),
        (e, k) => Err(format!("IKEv1 encryption algorithm {e} (key length {k:?})")),
    };
    let hash = match hash? {
        1 => Ok(HashAlg::Md5),
        2 => Ok(HashAlg::Sha1),
        4 => Ok(HashAlg::Sha256),
        5 => Ok(HashAlg::Sha384),
        6 => Ok(HashAlg::Sha512),
        h => Err(format!("IKEv1 hash algorithm {h}")),
    };
    Some(match (cipher, hash) {
        (Ok(c), Ok(h)) => Ok((c, h)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    })
}

/// Transforms of the first ISAKMP proposal of an SA payload body.
fn sa_transforms(body: &[u8]) -> Vec<Transform> {
    let Some(Ok(proposal)) = ikev1::parse_sa(body, 0).ok().and_then(|sa| sa.proposals().next()) else {
        return Vec::new();
    };
    proposal
        .transforms()
        .map_while(Result::ok)
        .filter_map(|t| transform_algorithms(&t))
        .collect()
}

impl Ikev1Decryptor {
    /// A decryptor using the IKEv1 keys of `store`.
    pub fn new(store: &KeyStore) -> Ikev1Decryptor {
        Ikev1Decryptor {
            keys: store.ikev1.clone(),
            sas: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The phase-1 IV (hash(g^xi | g^xr) truncated) for an initiator cookie, once known.
    pub fn phase1_iv(&self, icookie: Spi8) -> Option<Vec<u8>> {
        let sa = self.sas.get(&icookie)?;
        initial_iv(sa)
    }

    /// Observe one IKEv1 message (bytes from the ISAKMP header on), in capture order;
    /// `from_initiator` says whether the original initiator sent it.
    pub fn observe(&mut self, msg: &[u8], from_initiator: bool) -> Ikev1Outcome {
        let Ok((header, _)) = isakmp::parse_header(msg) else {
            return Ikev1Outcome::Malformed("shorter than the ISAKMP header".into());
        };
        if header.major_version != 1 {
            return Ikev1Outcome::Malformed(format!("not IKEv1 (major version {})", header.major_version));
        }
        let icookie = Spi8(header.spi_i);
        let np = header.next_payload;
        let msgid = header.message_id;
        let hdr_len = header.length as usize;
        if hdr_len < HEADER_LEN {
            return Ikev1Outcome::Malformed(format!("header length {hdr_len} is below 28"));
        }
        let end = hdr_len.min(msg.len());
        if !self.sas.contains_key(&icookie) {
            if self.sas.len() >= MAX_SAS {
                if let Some(old) = self.order.pop_front() {
                    self.sas.remove(&old);
                }
            }
            self.order.push_back(icookie);
        }
        let sa = self.sas.entry(icookie).or_default();
        let body = &msg[HEADER_LEN..end];
        if !header.v1_encrypted() {
            if msgid == 0
                && matches!(
                    header.exchange_type,
                    ExchangeType::MAIN_MODE | ExchangeType::AGGRESSIVE
                )
            {
                learn(sa, np, body, from_initiator);
            }
            return Ikev1Outcome::Cleartext;
        }
        // Encrypted.
        if let Some(u) = &sa.unsupported {
            return Ikev1Outcome::Unsupported(u.clone());
        }
        let Some((cipher, key_len)) = sa.cipher else {
            return Ikev1Outcome::NotReady(
                "the Main/Aggressive Mode SA payloads (cipher, hash) were not seen".into(),
            );
        };
        let bs = cipher.block_len();
        let usable = body.len() / bs * bs;
        if usable == 0 {
            return Ikev1Outcome::Malformed("encrypted body shorter than one block".into());
        }
        let ct = &body[..usable];
        let last = ct[usable - bs..].to_vec();
        // IV for this message
        let retransmitted = sa
            .seen
            .get(&msgid)
            .and_then(|v| v.iter().find(|(l, _)| *l == last).map(|(_, iv)| iv.clone()));
        // IV candidates: a retransmission reuses its original IV; a known Message ID chains;
        // a new phase-1 exchange starts from hash(g^xi | g^xr); a new Message ID starts from
        // hash(last phase-1 block | Message ID), and, should the peer not have taken the last
        // phase-1 message (it failed to decrypt it), from the blocks before it.
        let mut ivs: Vec<Vec<u8>> = Vec::new();
        if let Some(iv) = retransmitted {
            ivs.push(iv);
        } else if let Some(iv) = sa.ivs.get(&msgid) {
            ivs.push(iv.clone());
        } else {
            let Some(p1) = initial_iv(sa) else {
                return Ikev1Outcome::NotReady("both KE payloads are needed for the IV".into());
            };
            if msgid == 0 {
                ivs.push(p1);
            } else {
                let Some(h) = sa.hash else {
                    return Ikev1Outcome::NotReady("hash algorithm not negotiated".into());
                };
                let mut bases: Vec<Vec<u8>> = sa.p1_blocks.iter().rev().cloned().collect();
                bases.push(p1);
                for base in bases {
                    let mut iv = crypto::hash(h, &[&base, &msgid.to_be_bytes()]);
                    iv.truncate(bs);
                    ivs.push(iv);
                }
            }
        }
        // candidate keys: the bound one, then rows for this cookie, then log keys of unknown SA
        let mut cands: Vec<usize> = Vec::new();
        if let Some(b) = sa.bound {
            cands.push(b);
        }
        for (i, k) in self.keys.iter().enumerate() {
            if k.icookie == Some(icookie) && !cands.contains(&i) {
                cands.push(i);
            }
        }
        let any_exact = !cands.is_empty();
        for (i, k) in self.keys.iter().enumerate() {
            if !k.cookie_certain && k.icookie != Some(icookie) && !cands.contains(&i) {
                cands.push(i);
            }
        }
        let mut first_err = None;
        let mut result = None;
        'search: for i in cands {
            let k = &self.keys[i];
            let Some(key) = k.key.bytes().get(..key_len) else {
                first_err.get_or_insert(Ikev1Outcome::Unsupported(format!(
                    "key of {} bytes for a {key_len}-byte cipher",
                    k.key.len()
                )));
                continue;
            };
            for (n, iv) in ivs.iter().enumerate() {
                let mut buf = ct.to_vec();
                if crypto::cbc_decrypt(cipher, key, iv, &mut buf).is_err() {
                    first_err.get_or_insert(Ikev1Outcome::Malformed("decryption failed".into()));
                    continue 'search;
                }
                if let Some(chain_len) = plausible(np, &buf) {
                    result = Some((i, n, buf, chain_len));
                    break 'search;
                }
            }
            if k.icookie == Some(icookie) {
                first_err.get_or_insert(Ikev1Outcome::WrongKey {
                    key: k.source.clone(),
                });
            }
        }
        // advance the chain whatever the key
        let used_iv = ivs[result.as_ref().map_or(0, |r| r.1)].clone();
        if sa.ivs.len() < MAX_MSGIDS || sa.ivs.contains_key(&msgid) {
            sa.ivs.insert(msgid, last.clone());
            let v = sa.seen.entry(msgid).or_default();
            if v.len() < 64 {
                v.push((last.clone(), used_iv));
            }
        }
        if msgid == 0 && !sa.p1_blocks.contains(&last) {
            if sa.p1_blocks.len() >= 8 {
                sa.p1_blocks.remove(0);
            }
            sa.p1_blocks.push(last);
        }
        if let Some((i, _, buf, chain_len)) = result {
            sa.bound = Some(i);
            return Ikev1Outcome::Decrypted(Ikev1Plain {
                first_payload: np,
                plaintext: buf,
                chain_len,
                key: self.keys[i].source.clone(),
            });
        }
        match first_err {
            Some(e) if any_exact => e,
            _ => Ikev1Outcome::NoKey,
        }
    }
}

fn initial_iv(sa: &Sa) -> Option<Vec<u8>> {
    let (cipher, _) = sa.cipher?;
    let h = sa.hash?;
    let mut iv = crypto::hash(h, &[sa.ke_i.as_deref()?, sa.ke_r.as_deref()?]);
    iv.truncate(cipher.block_len());
    Some(iv)
}

/// Learn transforms and KE values from a cleartext Main/Aggressive Mode message.
fn learn(sa: &mut Sa, np: PayloadType, body: &[u8], from_initiator: bool) {
    let (payloads, _) = walk(np, body);
    for (t, b) in payloads {
        match t {
            PayloadType::V1_SA => {
                let trs = sa_transforms(b);
                let take = if from_initiator {
                    !sa.chosen_by_responder && trs.len() == 1
                } else {
                    !trs.is_empty()
                };
                if take {
                    match &trs[0] {
                        Ok((c, h)) => {
                            sa.cipher = Some(*c);
                            sa.hash = Some(*h);
                            sa.unsupported = None;
                        }
                        Err(e) => sa.unsupported = Some(e.clone()),
                    }
                    sa.chosen_by_responder |= !from_initiator;
                }
            }
            PayloadType::V1_KE => {
                let v = Some(b.to_vec());
                if from_initiator {
                    sa.ke_i = v;
                } else {
                    sa.ke_r = v;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let mut d = Ikev1Decryptor::new(&KeyStore::new());
        for len in 0..100usize {
            let mut m = vec![0xffu8; len];
            if len >= 28 {
                m[17] = 0x10;
                m[16] = 1;
                m[18] = 2;
                m[19] = (len % 2) as u8;
                m[24..28].copy_from_slice(&(len as u32).to_be_bytes());
            }
            let _ = d.observe(&m, len % 3 == 0);
        }
    }

    #[test]
    fn transform_attributes() {
        // SA: DOI 1, situation 1; proposal 1 (ISAKMP, no SPI, 1 transform); transform 1 (KEY_IKE)
        // with AES(7), key length 128, hash SHA(2)
        let transform = [1, 1, 0, 0, 0x80, 1, 0, 7, 0x80, 14, 0, 128, 0x80, 2, 0, 2];
        let mut sa = vec![0, 0, 0, 1, 0, 0, 0, 1];
        sa.extend_from_slice(&[0, 0, 0, 28, 1, 1, 0, 1]);
        sa.extend_from_slice(&[0, 0, 0, 20]);
        sa.extend_from_slice(&transform);
        assert_eq!(
            sa_transforms(&sa),
            vec![Ok(((CbcCipher::Aes, 16), HashAlg::Sha1))]
        );
        // a hash the decryptor does not know is named, not guessed
        let mut other = sa.clone();
        let last = other.len() - 1;
        other[last] = 3; // Tiger
        assert_eq!(
            sa_transforms(&other),
            vec![Err("IKEv1 hash algorithm 3".to_string())]
        );
        // a cut attribute is no transform
        assert_eq!(sa_transforms(&sa[..sa.len() - 2]), vec![]);
    }

    #[test]
    fn walk_reports_a_clean_end_only() {
        // SA(1) -> KE(4) -> none, each with a 4-byte body
        let chain = [4, 0, 0, 8, 1, 2, 3, 4, 0, 0, 0, 8, 5, 6, 7, 8];
        let (payloads, end) = walk(PayloadType::V1_SA, &chain);
        assert_eq!(payloads.len(), 2);
        assert_eq!(payloads[1], (PayloadType(4), &[5u8, 6, 7, 8][..]));
        assert_eq!(end, Some(16));
        let (payloads, end) = walk(PayloadType::V1_SA, &chain[..12]);
        assert_eq!(payloads.len(), 1);
        assert_eq!(end, None);
    }
}
