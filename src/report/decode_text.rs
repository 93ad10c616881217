//! `decode --format text`: one Wireshark-summary-style line per packet.

use crate::record::{IkeInfo, Kind, Record};
use crate::wording::{inner_flow_text, notify_list, notify_name, payload_abbrev};
use ikescope_parsers::iana::IkeVersion;

/// One line for a record.
pub fn line(file: &str, r: &Record) -> String {
    let ports = |p: Option<u16>| p.map(|p| format!(":{p}")).unwrap_or_default();
    let head = format!(
        "{file}:{} {} {}{} -> {}{}",
        r.frame,
        r.time.rfc3339(),
        r.src,
        ports(r.sport),
        r.dst,
        ports(r.dport)
    );
    let mut body = match r.kind {
        Kind::Ike => match &r.ike {
            Some(ike) => ike_summary(ike, true),
            None => "IKE (undecodable)".to_string(),
        },
        Kind::Esp => match &r.esp {
            Some(e) => {
                let opened = match (&e.decrypted, e.decryption) {
                    (Some(d), _) => format!(
                        " decrypted: {}{}",
                        d.inner
                            .as_ref()
                            .map(inner_flow_text)
                            .unwrap_or_else(|| format!("next header {}", d.next_header)),
                        if d.esn { " (ESN)" } else { "" }
                    ),
                    (None, Some(s)) => format!(" (decryption: {})", s.as_str()),
                    (None, None) => String::new(),
                };
                format!(
                    "ESP{} SPI 0x{:08x} seq {} len {}{opened}",
                    if e.udp_encap { "-in-UDP" } else { "" },
                    e.spi,
                    e.seq,
                    e.length
                )
            }
            None => "ESP".into(),
        },
        Kind::NatKeepalive => "NAT-keepalive".into(),
        Kind::IcmpError => match &r.icmp {
            Some(i) => format!(
                "ICMP{} error type {} code {} quoting {} -> {} proto {}{}",
                if i.version == 6 { "v6" } else { "" },
                i.icmp_type,
                i.code,
                i.quoted.src,
                i.quoted.dst,
                i.quoted.proto,
                i.mtu.map(|m| format!(" mtu {m}")).unwrap_or_default()
            ),
            None => "ICMP error".into(),
        },
    };
    if let Some(frames) = &r.ip_fragment_frames {
        body.push_str(&format!(" [reassembled from frames {frames:?}]"));
    }
    if r.truncated {
        body.push_str(" [truncated]");
    }
    for p in &r.problems {
        body.push_str(&format!(" [malformed at offset {}: {}]", p.offset, p.what));
    }
    format!("{head} {body}")
}

/// The cleartext payload chain, notifies by name, `SK{IDi...}` for the first protected payload:
/// `SA KE No NO_PROPOSAL_CHOSEN(14)`.
pub fn payload_chain(ike: &IkeInfo) -> String {
    let version = IkeVersion::from_major(ike.version);
    let mut pl: Vec<String> = Vec::new();
    let mut notes = ike.notify.iter();
    for &p in &ike.payloads {
        if p.is_notify() {
            match notes.next() {
                Some(&n) => pl.push(notify_name(version, n)),
                None => pl.push("N".into()),
            }
        } else {
            pl.push(payload_abbrev(version, p));
        }
    }
    if ike.ike_version() == Some(IkeVersion::V1) && ike.encrypted {
        pl.push("encrypted".into());
    }
    if let Some(first) = ike.sk_inner_first {
        if let Some(last) = pl.last_mut() {
            last.push_str(&format!("{{{}...}}", payload_abbrev(IkeVersion::V2, first)));
        }
    }
    pl.join(" ")
}

/// One IKE message in a line: version, exchange, role, message ID, (with `spis`) the SPIs, the
/// payload chain with notify names, proposals, decrypted contents and length.
pub fn ike_summary(ike: &IkeInfo, spis: bool) -> String {
    let role = if ike.ike_version() == Some(IkeVersion::V2) {
        format!(
            "{} {}",
            if ike.response { "response" } else { "request" },
            if ike.initiator { "(I)" } else { "(R)" }
        )
    } else if ike.initiator {
        "from initiator".into()
    } else {
        "from responder".into()
    };
    let mut s = format!(
        "IKEv{} {} {} MID {}",
        ike.version, ike.exchange_name, role, ike.message_id
    );
    if spis {
        s.push_str(&format!(" {}/{}", ike.spi_i.to_hex(), ike.spi_r.to_hex()));
    }
    s.push_str(&format!(" [ {} ]", payload_chain(ike)));
    let props: Vec<String> = ike
        .proposals
        .iter()
        .flat_map(|p| p.summary.iter().cloned())
        .collect();
    if !props.is_empty() {
        s.push_str(&format!(" {}", props.join(",")));
    }
    if let Some(g) = ike.ke_group {
        s.push_str(&format!(" KE group {}", g.0));
    }
    if let Some(f) = &ike.fragment {
        match f.total {
            Some(t) => s.push_str(&format!(" fragment {}/{}", f.number, t)),
            None => s.push_str(&format!(" fragment #{}", f.number)),
        }
    }
    let vendors: Vec<&str> = ike.vendor_names.iter().flatten().map(|s| s.as_str()).collect();
    if !vendors.is_empty() {
        s.push_str(&format!(" vendors: {}", vendors.join("; ")));
    }
    if let Some(d) = &ike.decrypted {
        let inner: Vec<String> = d
            .payloads
            .iter()
            .map(|&p| payload_abbrev(IkeVersion::from_major(ike.version), p))
            .collect();
        s.push_str(&format!(" decrypted: [ {} ]", inner.join(" ")));
        if !d.notify.is_empty() {
            s.push_str(&format!(
                " {}",
                notify_list(IkeVersion::from_major(ike.version), &d.notify)
            ));
        }
    } else if let Some(st) = &ike.decryption {
        s.push_str(&format!(" (decryption: {st})"));
    }
    s.push_str(&format!(" len {}", ike.length));
    s
}
