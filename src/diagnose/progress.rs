//! How far a negotiation got, in the words engineers search for: "IKEv1 Main Mode stopped after
//! message 4: the responder re-sends message 4, the initiator message 5" (Cisco's MM_WAIT_MSG5),
//! "IKEv2 stopped at IKE_AUTH: the request was sent 5 times, never answered".

use crate::diagnose::Ctx;
use crate::reconstruct::{Exchange, ExchangeKind, IkeSa, MsgRef};

/// The number of an IKEv1 phase-1 or Quick Mode message within its exchange (1-based, counting
/// both directions): the initiator's k-th distinct message is 2k-1, the responder's 2k. A
/// retransmission gets the number of the message it copies.
pub fn v1_message_number(ctx: &Ctx<'_>, e: &Exchange, m: &MsgRef) -> usize {
    let from_requester = ctx.rec(m).src == e.requester;
    let list = if from_requester { &e.requests } else { &e.responses };
    let digest = ctx.ike(m).digest;
    let k = list
        .iter()
        .filter(|x| !x.retransmit)
        .position(|x| ctx.ike(x).digest == digest)
        .map(|p| p + 1)
        .unwrap_or_else(|| list.iter().filter(|x| !x.retransmit).count().max(1));
    if from_requester {
        2 * k - 1
    } else {
        2 * k
    }
}

/// The IKEv1 message numbers one side of `e` re-sent, in order, without repeats.
fn v1_resent(ctx: &Ctx<'_>, e: &Exchange, msgs: &[MsgRef]) -> Vec<usize> {
    let mut out = Vec::new();
    for m in msgs.iter().filter(|m| m.retransmit) {
        let n = v1_message_number(ctx, e, m);
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn numbers(v: &[usize]) -> String {
    let words: Vec<String> = v.iter().map(|n| n.to_string()).collect();
    match words.len() {
        1 => format!("message {}", words[0]),
        _ => format!("messages {}", words.join(", ")),
    }
}

/// One sentence: how far the SA's negotiation got and who repeats what. `ended`: the
/// negotiation is known to have stopped ("stopped after"); else the capture merely ends there
/// ("seen up to").
pub fn describe(ctx: &Ctx<'_>, sa: &IkeSa, ended: bool) -> String {
    let (after, at) = if ended {
        ("stopped after", "stopped at")
    } else {
        ("seen up to", "seen up to")
    };
    let Some(e) = sa
        .exchanges
        .iter()
        .rev()
        .find(|e| e.kind.phase().is_some())
        .or(sa.exchanges.last())
    else {
        return format!("IKEv{} negotiation with no messages", sa.version.number());
    };
    if matches!(
        e.kind,
        ExchangeKind::MainMode | ExchangeKind::AggressiveMode | ExchangeKind::QuickMode
    ) {
        let last = e
            .requests
            .iter()
            .chain(e.responses.iter())
            .map(|m| v1_message_number(ctx, e, m))
            .max()
            .unwrap_or(0);
        // A last message of the initiator that was never answered is where it stopped: the
        // exchange got as far as the answer before it.
        let mut s = if !ended || last % 2 == 0 {
            format!("IKEv1 {} {after} message {last}", e.kind.label())
        } else if last == 1 {
            format!("IKEv1 {} {at} message 1", e.kind.label())
        } else {
            format!("IKEv1 {} {after} message {}", e.kind.label(), last - 1)
        };
        let by_responder = v1_resent(ctx, e, &e.responses);
        let by_initiator = v1_resent(ctx, e, &e.requests);
        let mut parts = Vec::new();
        if !by_responder.is_empty() {
            parts.push(format!("the responder re-sends {}", numbers(&by_responder)));
        }
        if !by_initiator.is_empty() {
            let who = if parts.is_empty() {
                "the initiator re-sends "
            } else {
                "the initiator "
            };
            parts.push(format!("{who}{}", numbers(&by_initiator)));
        }
        if !parts.is_empty() {
            s.push_str(": ");
            s.push_str(&parts.join(", "));
        }
        return s;
    }
    let copies = e.requests.len();
    if e.unanswered() {
        format!(
            "IKEv{} {at} {}: the request was sent {} time{}, {}",
            sa.version.number(),
            e.kind.label(),
            copies,
            if copies == 1 { "" } else { "s" },
            if ended {
                "never answered"
            } else {
                "no answer in the capture"
            }
        )
    } else {
        format!(
            "IKEv{} {after} {} (answered)",
            sa.version.number(),
            e.kind.label()
        )
    }
}
