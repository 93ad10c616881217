//! Datagrams → owned [`Record`]s: the IKE dissector is applied, IKEv1 initiator roles are
//! derived from who sent the first message of each initiator cookie, and ESP/keepalive/ICMP
//! datagrams are turned into their record form.

pub mod handoff;
pub mod ike;
pub mod inner;
pub mod inner_packet;
mod sa_memo;
mod sink;

pub use sink::{EspSample, RecordSink};

use crate::capture::{Content, Datagram};
use crate::decrypt::esp::{decrypt_esp, EspOutcome};
use crate::decrypt::ikev1::{Ikev1Decryptor, Ikev1Outcome};
use crate::decrypt::ikev2::{decrypt_message, FragKey, Ikev2Reassembler, SkOutcome};
use crate::keys::KeyStore;
use crate::record::{
    EspDecrypted, EspDecryption, EspInfo, IcmpInfo, IkeDecryption, IkeInfo, Kind, Problem, Record,
};
use ikescope_parsers::iana::IkeVersion;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Upper bound of IKEv1 initiator cookies remembered per file (oldest forgotten beyond it).
const MAX_V1_COOKIES: usize = 1 << 20;

/// Decryption state: the keys and the stateful IKEv1 / SKF helpers.
struct Decryption {
    keys: Arc<KeyStore>,
    ikev1: Ikev1Decryptor,
    skf: Ikev2Reassembler,
}

/// Stateful per-file decoder.
#[derive(Default)]
pub struct Decoder {
    file_index: usize,
    /// IKEv1 initiator cookie → (address, port) of the side that sent its first message.
    v1_first_sender: HashMap<[u8; 8], (IpAddr, u16)>,
    decryption: Option<Decryption>,
    /// Proposal lists seen so far, shared: a gateway's offers repeat in every IKE_SA_INIT and
    /// Main Mode message, so kept messages hold one copy of each (at most
    /// [`MAX_SHARED_PROPOSALS`] lists, then it starts over).
    shared_proposals: foldhash::HashSet<Arc<[crate::record::Proposal]>>,
    /// The packet inside the last decrypted ESP packet, until [`Decoder::take_inner`].
    inner: Option<inner_packet::InnerPacket>,
}

/// Distinct proposal lists shared at a time.
const MAX_SHARED_PROPOSALS: usize = 4096;

impl std::fmt::Debug for Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decoder")
            .field("file_index", &self.file_index)
            .field("keys", &self.decryption.is_some())
            .finish()
    }
}

impl Decoder {
    /// A decoder for the input file with the given index.
    pub fn new(file_index: usize) -> Self {
        Decoder {
            file_index,
            ..Default::default()
        }
    }

    /// A decoder that opens encrypted IKE messages with these keys.
    pub fn with_keys(file_index: usize, keys: Arc<KeyStore>) -> Self {
        let decryption = (!keys.is_empty()).then(|| Decryption {
            ikev1: Ikev1Decryptor::new(&keys),
            skf: Ikev2Reassembler::new(),
            keys,
        });
        Decoder {
            file_index,
            decryption,
            ..Default::default()
        }
    }

    /// The shared copy of a proposal list equal to `p` (`p` itself the first time).
    fn share(&mut self, p: Arc<[crate::record::Proposal]>) -> Arc<[crate::record::Proposal]> {
        if p.is_empty() {
            return p;
        }
        if let Some(same) = self.shared_proposals.get(&*p) {
            return same.clone();
        }
        if self.shared_proposals.len() >= MAX_SHARED_PROPOSALS {
            self.shared_proposals.clear();
        }
        self.shared_proposals.insert(p.clone());
        p
    }

    /// The packet inside the ESP packet [`Decoder::decode`] just decrypted, once.
    pub fn take_inner(&mut self) -> Option<inner_packet::InnerPacket> {
        self.inner.take()
    }

    /// A packet seen in the clear on the capture (TCP, or an ICMP error about non-IPsec
    /// traffic): the tunnel's inner traffic when the capture was taken on a gateway.
    pub fn clear_packet(&self, d: &crate::capture::ClearPacket<'_>) -> inner_packet::InnerPacket {
        let view = inner_packet::IpView {
            src: d.src,
            dst: d.dst,
            proto: d.proto,
            ip_len: d.ip_length,
            transport_len: d.declared,
            transport: d.data,
        };
        inner_packet::InnerPacket {
            file_index: self.file_index,
            frame: d.frame,
            time: d.time,
            source: inner_packet::InnerSource::Clear,
            src: d.src,
            dst: d.dst,
            proto: d.proto,
            ip_len: d.ip_length,
            transport: inner_packet::transport(&view),
        }
    }

    /// True when ESP packets may be decrypted (an `esp_sa` key is loaded).
    pub fn decrypts_esp(&self) -> bool {
        self.decryption.as_ref().is_some_and(|d| !d.keys.esp.is_empty())
    }

    /// Decode one datagram into its record.
    pub fn decode(&mut self, d: &Datagram<'_>) -> Record {
        let mut rec = Record {
            file_index: self.file_index,
            frame: d.frame,
            time: d.time,
            src: d.src,
            dst: d.dst,
            sport: None,
            dport: None,
            kind: Kind::Ike,
            truncated: d.truncated,
            ip_fragment_frames: d.fragment_frames.map(|f| f.to_vec()),
            ip_length: d.ip_length,
            ttl: d.ttl,
            non_esp_marker: false,
            ike: None,
            esp: None,
            icmp: None,
            problems: Vec::new(),
        };
        match d.content {
            Content::Ike {
                sport,
                dport,
                non_esp_marker,
                data,
            } => {
                rec.sport = Some(sport);
                rec.dport = Some(dport);
                rec.non_esp_marker = non_esp_marker;
                match ike::dissect_ike(data) {
                    Some((mut info, problems)) => {
                        if info.ike_version() == Some(IkeVersion::V1) {
                            info.initiator = self.v1_is_initiator(info.spi_i.0, d.src, d.dst, sport);
                        }
                        if let Some(dec) = &mut self.decryption {
                            dec.open(data, &mut info);
                        }
                        info.proposals = self.share(std::mem::take(&mut info.proposals));
                        rec.ike = Some(Box::new(info));
                        rec.problems = problems;
                    }
                    None => rec.problems.push(Problem {
                        offset: 0,
                        what: format!(
                            "IKE message shorter than the 28-byte ISAKMP header ({} bytes)",
                            data.len()
                        ),
                    }),
                }
            }
            Content::Esp {
                ports,
                spi,
                seq,
                length,
                data,
            } => {
                rec.kind = Kind::Esp;
                rec.sport = ports.map(|p| p.0);
                rec.dport = ports.map(|p| p.1);
                let (decrypted, decryption, plain) = match self.decryption.as_ref() {
                    Some(dec) => dec.open_esp(data, d.src, d.dst),
                    None => (None, None, None),
                };
                self.inner =
                    plain
                        .as_deref()
                        .and_then(inner_packet::ip_view)
                        .map(|v| inner_packet::InnerPacket {
                            file_index: self.file_index,
                            frame: d.frame,
                            time: d.time,
                            source: inner_packet::InnerSource::Esp {
                                src: d.src,
                                dst: d.dst,
                                spi,
                            },
                            src: v.src,
                            dst: v.dst,
                            proto: v.proto,
                            ip_len: v.ip_len,
                            transport: inner_packet::transport(&v),
                        });
                rec.esp = Some(EspInfo {
                    spi,
                    seq,
                    udp_encap: ports.is_some(),
                    length,
                    decrypted,
                    decryption,
                });
            }
            Content::NatKeepalive { sport, dport } => {
                rec.kind = Kind::NatKeepalive;
                rec.sport = Some(sport);
                rec.dport = Some(dport);
            }
            Content::IcmpError {
                version,
                icmp_type,
                code,
                mtu,
                quoted,
            } => {
                rec.kind = Kind::IcmpError;
                rec.icmp = Some(Box::new(IcmpInfo {
                    version,
                    icmp_type,
                    code,
                    mtu,
                    quoted: quoted.to_record(),
                }));
            }
        }
        rec
    }

    /// IKEv1 has no initiator flag: the initiator is whoever sent the first message carrying
    /// this initiator cookie (address, and port too when both ends share one address).
    fn v1_is_initiator(&mut self, cookie: [u8; 8], src: IpAddr, dst: IpAddr, sport: u16) -> bool {
        if self.v1_first_sender.len() >= MAX_V1_COOKIES && !self.v1_first_sender.contains_key(&cookie) {
            self.v1_first_sender.clear();
        }
        let first = *self.v1_first_sender.entry(cookie).or_insert((src, sport));
        if src == dst {
            first == (src, sport)
        } else {
            first.0 == src
        }
    }
}

impl Decryption {
    /// Decrypt an ESP packet with the `esp_sa` entries, if one matches; with the decrypted
    /// tunnel-mode payload (the inner IP packet).
    fn open_esp(
        &self,
        data: &[u8],
        src: IpAddr,
        dst: IpAddr,
    ) -> (Option<EspDecrypted>, Option<EspDecryption>, Option<Vec<u8>>) {
        if self.keys.esp.is_empty() {
            return (None, None, None);
        }
        let failed = |s| (None, Some(s), None);
        match decrypt_esp(data, src, dst, &self.keys) {
            EspOutcome::IntegrityFailed { .. } => failed(EspDecryption::IntegrityFailed),
            EspOutcome::WrongKey { .. } => failed(EspDecryption::WrongKey),
            EspOutcome::Unsupported(_) => failed(EspDecryption::Unsupported),
            EspOutcome::Malformed(_) => failed(EspDecryption::Malformed),
            EspOutcome::NoKey => (None, None, None),
            EspOutcome::Decrypted(p) => (
                Some(EspDecrypted {
                    next_header: p.next_header,
                    pad_len: p.pad_len,
                    inner: p.inner,
                    esn: p.esn,
                }),
                Some(EspDecryption::Ok),
                matches!(p.next_header, 4 | 41).then_some(p.payload),
            ),
        }
    }

    /// Try to open the encrypted body of one IKE message and attach its decoded contents.
    fn open(&mut self, data: &[u8], info: &mut IkeInfo) {
        if info.ike_version() == Some(IkeVersion::V1) {
            match self.ikev1.observe(data, info.initiator) {
                Ikev1Outcome::Decrypted(p) => {
                    let chain = p.plaintext.get(..p.chain_len).unwrap_or(&p.plaintext);
                    info.decrypted = Some(Box::new(inner::dissect_inner(
                        IkeVersion::V1,
                        p.first_payload,
                        chain,
                    )));
                    info.decryption = Some(IkeDecryption::Ok);
                }
                Ikev1Outcome::WrongKey { .. } => info.decryption = Some(IkeDecryption::WrongKey),
                Ikev1Outcome::Unsupported(a) => info.decryption = Some(IkeDecryption::Unsupported(a)),
                Ikev1Outcome::NotReady(why) => info.decryption = Some(IkeDecryption::NotReady(why)),
                Ikev1Outcome::Malformed(why) => info.decryption = Some(IkeDecryption::Malformed(why)),
                Ikev1Outcome::Cleartext | Ikev1Outcome::NoKey => {}
            }
            return;
        }
        if !info.encrypted {
            return;
        }
        match decrypt_message(data, &self.keys) {
            SkOutcome::Decrypted {
                first_payload,
                plaintext,
                fragment,
                ..
            } => match fragment {
                None => {
                    info.decrypted = Some(Box::new(inner::dissect_inner(
                        IkeVersion::V2,
                        first_payload,
                        &plaintext,
                    )));
                    info.decryption = Some(IkeDecryption::Ok);
                }
                Some((number, total)) => {
                    let whole = FragKey::of_message(data)
                        .and_then(|k| self.skf.add(k, number, total, first_payload, &plaintext));
                    match whole {
                        Some(r) => {
                            info.decrypted = Some(Box::new(inner::dissect_inner(
                                IkeVersion::V2,
                                r.first_payload,
                                &r.plaintext,
                            )));
                            info.decryption = Some(IkeDecryption::Reassembled {
                                fragments: r.fragments,
                            });
                        }
                        None => info.decryption = Some(IkeDecryption::Fragment { number, total }),
                    }
                }
            },
            SkOutcome::IntegrityFailed { .. } => info.decryption = Some(IkeDecryption::IntegrityFailed),
            SkOutcome::Unsupported(a) => info.decryption = Some(IkeDecryption::Unsupported(a)),
            SkOutcome::Malformed(why) => info.decryption = Some(IkeDecryption::Malformed(why)),
            SkOutcome::NoKey | SkOutcome::NotEncrypted => {}
        }
    }
}
