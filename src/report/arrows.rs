//! The messages of a tunnel as ladder arrows, shared by the HTML ladder and the terminal's
//! text ladder: who sent what to whom and when, with retransmissions, unanswered requests and
//! refusals marked, and runs of answered liveness checks folded into one arrow with a count.

use crate::reconstruct::exchanges::notifies_of;
use crate::reconstruct::{ExchangeKind, FrameRef, Model, Tunnel};
use crate::record::Timestamp;
use ikescope_parsers::iana::NotifyType;
use std::net::IpAddr;

/// A run of answered liveness checks shorter than this (in exchanges) is drawn in full.
pub const MIN_LIVENESS_FOLD: usize = 3;

/// One arrow of a ladder: one IKE message, or a folded run of answered liveness checks.
#[derive(Clone, Debug)]
pub struct Arrow {
    /// When the (first) message was captured.
    pub time: Timestamp,
    /// Its frame.
    pub at: FrameRef,
    /// The sender is the left lifeline.
    pub from_left: bool,
    /// IKE SA index (into [`Model::sas`]).
    pub sa: usize,
    /// Exchange index within that SA.
    pub exchange: usize,
    /// What the exchange is.
    pub kind: ExchangeKind,
    /// Message ID.
    pub message_id: u32,
    /// A response (IKEv1: a message from the responder side).
    pub response: bool,
    /// A bitwise copy of an earlier message of the exchange.
    pub retransmit: bool,
    /// The last copy of a request that never got an answer.
    pub unanswered: bool,
    /// Error notifies the message carries (a refusal when non-empty).
    pub refusal: Vec<NotifyType>,
    /// Payload chain (`SA KE No N(...)`).
    pub payloads: String,
    /// The message in full, without SPIs (payloads, proposals, decrypted contents, length).
    pub detail: String,
    /// Messages this arrow stands for (more than 1 for a folded liveness run).
    pub count: usize,
    /// Last frame of a folded run (its first is `at`).
    pub last_at: FrameRef,
}

impl Arrow {
    /// The refusing notifies by name (`AUTHENTICATION_FAILED(24)`), empty when none.
    pub fn refusal_names(&self, model: &Model) -> String {
        if self.refusal.is_empty() {
            return String::new();
        }
        crate::wording::notify_list(model.sas[self.sa].version, &self.refusal)
    }

    /// `IKE_AUTH MID 1 request`, `Main Mode message`, ...
    pub fn label(&self) -> String {
        let role = if self.response { "response" } else { "request" };
        if self.count > 1 {
            format!(
                "{} ×{} answered (MID {}…)",
                self.kind.label(),
                self.count / 2,
                self.message_id
            )
        } else {
            format!("{} MID {} {role}", self.kind.label(), self.message_id)
        }
    }
}

/// The tunnel's lifelines: the initiator of its first IKE SA on the left when known.
pub fn lifelines(model: &Model, t: &Tunnel) -> [IpAddr; 2] {
    match t.sas.first().map(|&s| &model.sas[s]) {
        Some(sa) if t.peers.contains(&sa.initiator) && t.peers.contains(&sa.responder) => {
            [sa.initiator, sa.responder]
        }
        _ => t.peers,
    }
}

/// Every IKE message of the tunnel kept in its exchanges, in time order (then frame order).
pub fn arrows(model: &Model, t: &Tunnel) -> Vec<Arrow> {
    let left = lifelines(model, t)[0];
    let mut out = Vec::new();
    for &sid in &t.sas {
        let sa = &model.sas[sid];
        for (ei, e) in sa.exchanges.iter().enumerate() {
            let last_request = e.requests.len().checked_sub(1);
            let msgs = e
                .requests
                .iter()
                .enumerate()
                .map(|(i, m)| (m, false, e.unanswered() && Some(i) == last_request))
                .chain(e.responses.iter().map(|m| (m, true, false)));
            for (m, response, unanswered) in msgs {
                let rec = &model.data.ike[m.index];
                let Some(ike) = rec.ike.as_deref() else { continue };
                let mut refusal: Vec<NotifyType> =
                    notifies_of(ike).into_iter().filter(|n| n.is_error()).collect();
                refusal.dedup();
                out.push(Arrow {
                    time: m.time,
                    at: m.at,
                    from_left: rec.src == left,
                    sa: sid,
                    exchange: ei,
                    kind: e.kind,
                    message_id: e.message_id,
                    response,
                    retransmit: m.retransmit,
                    unanswered,
                    refusal,
                    payloads: super::decode_text::payload_chain(ike),
                    detail: super::decode_text::ike_summary(ike, false),
                    count: 1,
                    last_at: m.at,
                });
            }
        }
    }
    out.sort_by_key(|a| (a.time, a.at));
    out
}

/// Fold runs of at least [`MIN_LIVENESS_FOLD`] answered liveness checks of one IKE SA (nothing
/// retransmitted, no frame for which `keep` says true) into one arrow counting their messages.
pub fn fold_liveness(arrows: Vec<Arrow>, model: &Model, keep: impl Fn(&Arrow) -> bool) -> Vec<Arrow> {
    let foldable = |a: &Arrow| {
        a.kind == ExchangeKind::Liveness
            && !a.retransmit
            && !keep(a)
            && model.sas[a.sa].exchanges[a.exchange]
                .requests
                .iter()
                .chain(&model.sas[a.sa].exchanges[a.exchange].responses)
                .all(|m| !m.retransmit)
            && !model.sas[a.sa].exchanges[a.exchange].unanswered()
    };
    let mut out: Vec<Arrow> = Vec::with_capacity(arrows.len());
    let mut run: Vec<Arrow> = Vec::new();
    let flush = |run: &mut Vec<Arrow>, out: &mut Vec<Arrow>| {
        let exchanges = run.iter().filter(|a| !a.response).count();
        if exchanges >= MIN_LIVENESS_FOLD {
            let mut first = run[0].clone();
            first.count = run.len();
            first.last_at = run[run.len() - 1].at;
            first.response = false;
            first.detail = format!(
                "{} answered liveness checks ({} messages), frames {} to {}",
                exchanges,
                run.len(),
                run[0].at.frame,
                first.last_at.frame
            );
            out.push(first);
            run.clear();
        } else {
            out.append(run);
        }
    };
    for a in arrows {
        if foldable(&a) && run.first().is_none_or(|r| r.sa == a.sa) {
            run.push(a);
            continue;
        }
        flush(&mut run, &mut out);
        if foldable(&a) {
            run.push(a);
        } else {
            out.push(a);
        }
    }
    flush(&mut run, &mut out);
    out
}
