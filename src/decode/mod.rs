//! Datagrams → owned [`Record`]s: the IKE dissector is applied, IKEv1 initiator roles are
//! derived from who sent the first message of each initiator cookie, and ESP/keepalive/ICMP
//! datagrams are turned into their record form.

pub mod ike;

use crate::capture::{Content, Datagram};
use crate::record::{EspInfo, IcmpInfo, Kind, Problem, Record};
use std::collections::HashMap;
use std::net::IpAddr;

/// Upper bound of IKEv1 initiator cookies remembered per file (oldest forgotten beyond it).
const MAX_V1_COOKIES: usize = 1 << 20;

/// Stateful per-file decoder.
#[derive(Debug, Default)]
pub struct Decoder {
    file_index: usize,
    /// IKEv1 initiator cookie → (address, port) of the side that sent its first message.
    v1_first_sender: HashMap<[u8; 8], (IpAddr, u16)>,
}

impl Decoder {
    /// A decoder for the input file with the given index.
    pub fn new(file_index: usize) -> Self {
        Decoder {
            file_index,
            v1_first_sender: HashMap::new(),
        }
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
                        if info.version == 1 {
                            info.initiator = self.v1_is_initiator(info.spi_i.0, d.src, d.dst, sport);
                        }
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
            } => {
                rec.kind = Kind::Esp;
                rec.sport = ports.map(|p| p.0);
                rec.dport = ports.map(|p| p.1);
                rec.esp = Some(EspInfo {
                    spi,
                    seq,
                    udp_encap: ports.is_some(),
                    length,
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
                rec.icmp = Some(IcmpInfo {
                    version,
                    icmp_type,
                    code,
                    mtu,
                    quoted: quoted.to_record(),
                });
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
