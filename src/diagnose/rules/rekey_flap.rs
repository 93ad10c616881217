//! rekey_flap: the tunnel is torn down and rebuilt on a cadence, or rekeys keep failing.
//!
//! Wire signature: IKEv2 CREATE_CHILD_SA requests answered by an error (decrypted error notify;
//! without keys, a response whose protected body starts with a Notify), the CHILD/IKE SA then
//! expiring and a fresh IKE_SA_INIT rebuilding the tunnel, again and again; IKEv1: Quick Mode
//! rekeys refused or unanswered and Main Mode repeated. The measured interval between rebuilds
//! is reported next to the lifetimes the proposals carry (IKEv1 only: IKEv2 lifetimes are local
//! policy and never on the wire). A successful make-before-break rekey is not a flap.

use crate::diagnose::{fixes, Confidence, Ctx, Finding, FindingKind, Severity};
use crate::reconstruct::exchanges::inner_first;
use crate::reconstruct::FrameRef;
use crate::reconstruct::{ExchangeKind, Phase, SaState};
use crate::record::{AttrValue, Timestamp};
use crate::wording::notify_list;
use ikescope_parsers::iana::{IkeAttribute, IkeVersion, IpsecAttribute, NotifyType, PayloadType, ProtocolId};

/// Run the rule.
pub fn run(ctx: &mut Ctx<'_>) {
    let model = ctx.model;
    for t in &model.tunnels {
        let mut failed = Vec::new(); // (sa, exchange, phase, notifies)
        let mut certain = false;
        let mut established_times = Vec::new();
        for &sid in &t.sas {
            let sa = &model.sas[sid];
            if sa.state == SaState::Established && sa.rekey_of.is_none() {
                if let Some((time, at)) = sa.established {
                    established_times.push((time, at, sid));
                }
            }
            let mut qm_ok = 0;
            for (ei, e) in sa.exchanges.iter().enumerate() {
                match e.kind {
                    ExchangeKind::ChildRekey
                    | ExchangeKind::NewChild
                    | ExchangeKind::CreateChildSa
                    | ExchangeKind::IkeRekey => {
                        let Some(resp) = e.distinct_responses().next() else {
                            continue;
                        };
                        let ike = ctx.ike(resp);
                        let errors: Vec<NotifyType> = match &ike.decrypted {
                            Some(d) => d
                                .notify
                                .iter()
                                .copied()
                                // TEMPORARY_FAILURE: an exchange collision, retried by design.
                                .filter(|n| n.is_error() && *n != NotifyType::V2_TEMPORARY_FAILURE)
                                .collect(),
                            None => Vec::new(),
                        };
                        let failed_now = if ike.decrypted.is_some() {
                            !errors.is_empty()
                        } else {
                            inner_first(ike) == Some(PayloadType::V2_N)
                        };
                        if failed_now {
                            certain |= ike.decrypted.is_some();
                            let phase = if e.kind == ExchangeKind::IkeRekey {
                                Phase::Phase1
                            } else {
                                Phase::Phase2
                            };
                            failed.push((sid, ei, phase, errors));
                        }
                    }
                    ExchangeKind::QuickMode => {
                        if e.unanswered() && qm_ok > 0 {
                            failed.push((sid, ei, Phase::Phase2, Vec::new()));
                        } else if !e.unanswered() {
                            qm_ok += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        let rebuilds = established_times.len().saturating_sub(1);
        // Rebuilds of IKE SAs that mostly never got a CHILD SA are retries of a failed setup
        // (reported by the rule that explains the refusal), not SAs dying at their lifetime.
        let carried = established_times
            .iter()
            .filter(|(_, _, sid)| t.children.iter().any(|&c| model.children[c].ike_sa == *sid))
            .count();
        let mostly_carried = carried * 2 > established_times.len();
        let cadence = failed.is_empty() && mostly_carried && periodic_teardown(ctx, &established_times);
        if !(failed.len() >= 2 || (rebuilds >= 2 && !failed.is_empty()) || cadence) {
            continue;
        }
        if cadence {
            certain = false;
        }
        let phase = if failed.iter().any(|f| f.2 == Phase::Phase2) {
            Phase::Phase2
        } else {
            Phase::Phase1
        };
        // A failed rekey's SA, else the first rebuilt one (a cadence needs rebuilds).
        let Some(first_sid) = failed
            .first()
            .map(|f| f.0)
            .or_else(|| established_times.first().map(|e| e.2))
        else {
            continue;
        };
        let first_sa = &model.sas[first_sid];
        let mut f = Finding::new(
            FindingKind::RekeyFlap,
            &t.id,
            Severity::Error,
            Confidence::of(certain),
        );
        f.parties(Some(phase), first_sa.initiator, first_sa.responder);
        let mut all_errors: Vec<NotifyType> = Vec::new();
        for (sid, ei, _, errors) in &failed {
            let sa = &model.sas[*sid];
            let e = &sa.exchanges[*ei];
            all_errors.extend(errors);
            if let Some(m) = e.requests.first() {
                f.evidence(
                    model,
                    m.at,
                    format!("{} request from {}", e.kind.label(), e.requester),
                );
            }
            if let Some(m) = e.responses.first() {
                let what = if errors.is_empty() {
                    "refused (protected body starts with a Notify: an error)".to_string()
                } else {
                    format!("refused with {}", notify_list(sa.version, errors))
                };
                f.evidence(
                    model,
                    m.at,
                    format!("{} response from {}: {}", e.kind.label(), e.responder, what),
                );
            } else {
                f.evidence(
                    model,
                    e.requests[0].at,
                    format!("{} never answered", e.kind.label()),
                );
            }
            ctx.explain(*sid, *ei);
        }
        for (_, at, sid) in established_times.iter().skip(1) {
            f.evidence(
                model,
                *at,
                format!(
                    "tunnel rebuilt from scratch (IKE SA {})",
                    model.sas[*sid].spi_i.to_hex()
                ),
            );
        }
        let intervals: Vec<f64> = established_times
            .windows(2)
            .map(|w| (w[1].0.secs_since(w[0].0) * 10.0).round() / 10.0)
            .collect();
        let mean = if intervals.is_empty() {
            None
        } else {
            Some(intervals.iter().sum::<f64>() / intervals.len() as f64)
        };
        all_errors.sort();
        all_errors.dedup();
        let lifetimes = proposal_lifetimes(ctx.model, &t.sas);
        let mut summary = if failed.is_empty() {
            "the tunnel is torn down and rebuilt on a regular cadence, each old SA gone before the new one is up"
                .to_string()
        } else {
            format!("{} of the tunnel's rekeys failed", failed.len())
        };
        if !all_errors.is_empty() {
            summary.push_str(&format!(" ({})", notify_list(first_sa.version, &all_errors)));
        }
        if let Some(m) = mean {
            summary.push_str(&format!(
                "; the tunnel was rebuilt from scratch {}, every {} on average",
                crate::wording::times(rebuilds),
                seconds(m)
            ));
        }
        if !lifetimes.is_empty() {
            summary.push_str(&format!("; lifetimes in the proposals: {}", lifetimes.join(", ")));
        } else {
            summary.push_str("; the SAs die at their lifetime instead of being replaced");
        }
        f.summary = summary;
        f.detail("failed_rekeys", failed.len());
        f.detail("rebuilds", rebuilds);
        f.detail("rebuild_intervals_s", intervals);
        f.fix = Some(fixes::REKEY_FLAP.to_string());
        ctx.add(f);
    }
}

/// A duration for people: whole seconds from 10 s on, tenths below (a cadence of 0.3 s is not
/// "every 0 s").
fn seconds(s: f64) -> String {
    if s >= 10.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// IKEv1 life durations offered (phase 1 attribute 12, IPsec attribute 2), as "N s".
pub fn proposal_lifetimes(model: &crate::reconstruct::Model, sas: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    for &sid in sas {
        let sa = &model.sas[sid];
        if sa.version != IkeVersion::V1 {
            continue;
        }
        for e in &sa.exchanges {
            for m in e.requests.iter().take(1) {
                let Some(ike) = model.data.ike[m.index].ike.as_deref() else {
                    continue;
                };
                for p in ike.proposals.iter() {
                    for tr in &p.transforms {
                        // Life type then life duration: phase 1 attributes 11/12, IPsec 1/2.
                        let (type_attr, key) = if p.protocol == ProtocolId::IKE {
                            (IkeAttribute::LIFE_TYPE.0, IkeAttribute::LIFE_DURATION.0)
                        } else {
                            (IpsecAttribute::SA_LIFE_TYPE.0, IpsecAttribute::SA_LIFE_DURATION.0)
                        };
                        let unit = match tr
                            .attributes
                            .iter()
                            .find(|a| a.kind == type_attr)
                            .and_then(|a| a.value.as_u64())
                        {
                            Some(2) => "KB",
                            _ => "s",
                        };
                        for a in tr.attributes.iter().filter(|a| a.kind == key) {
                            if let Some(v) = AttrValue::as_u64(&a.value) {
                                let s = format!("{v} {unit}");
                                if !out.contains(&s) {
                                    out.push(s);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Rebuilds on a regular cadence where each old IKE SA was gone before its successor came up
/// (break-before-make), not explained by a liveness outage: at least three rebuilds whose
/// intervals vary by less than 30 %. Make-before-break reauthentication overlaps and is healthy.
fn periodic_teardown(ctx: &Ctx<'_>, established: &[(Timestamp, FrameRef, usize)]) -> bool {
    if established.len() < 4 {
        return false;
    }
    let model = ctx.model;
    let mut breaks = 0;
    for w in established.windows(2) {
        let prev = &model.sas[w[0].2];
        let outage =
            (0..prev.exchanges.len()).any(|i| ctx.is_explained(prev.id, i) && prev.exchanges[i].unanswered());
        if outage {
            return false;
        }
        if prev.last <= w[1].0 {
            breaks += 1;
        }
    }
    let intervals: Vec<f64> = established
        .windows(2)
        .map(|w| w[1].0.secs_since(w[0].0))
        .collect();
    let mean = intervals.iter().sum::<f64>() / intervals.len() as f64;
    if mean <= 0.0 {
        return false;
    }
    let var = intervals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / intervals.len() as f64;
    breaks == intervals.len() && var.sqrt() / mean < 0.3
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::diagnose::{Confidence, Severity};
    use ikescope_parsers::iana::{ExchangeType, PayloadType};

    /// IKEv2 up (IKE_SA_INIT, IKE_AUTH, no keys), then one CREATE_CHILD_SA per time in `at`,
    /// each answered by a protected body that starts with a Notify: an error nobody can read.
    fn up_then_refused_rekeys(at: &[f64]) -> Vec<Msg> {
        let sk = [PayloadType::V2_SK];
        let mut m = ike_sa_init(0.0);
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 0.1, I, R, true, false, 3)
                .mid(1)
                .payloads(&sk, Some(PayloadType::V2_IDI)),
        );
        m.push(
            Msg::new(2, ExchangeType::IKE_AUTH, 0.11, R, I, false, true, 4)
                .mid(1)
                .payloads(&sk, Some(PayloadType::V2_IDR)),
        );
        for (k, &t) in at.iter().enumerate() {
            let (mid, digest) = (2 + k as u32, 10 + 2 * k as u64);
            m.push(
                Msg::new(2, ExchangeType::CREATE_CHILD_SA, t, I, R, true, false, digest)
                    .mid(mid)
                    .payloads(&sk, Some(PayloadType::V2_SA)),
            );
            m.push(
                Msg::new(
                    2,
                    ExchangeType::CREATE_CHILD_SA,
                    t + 0.01,
                    R,
                    I,
                    false,
                    true,
                    digest + 1,
                )
                .mid(mid)
                .payloads(&sk, Some(PayloadType::V2_N)),
            );
        }
        m
    }

    #[test]
    fn refused_rekeys_without_any_rebuild_are_a_flap() {
        let f = findings(up_then_refused_rekeys(&[3600.0, 3610.0]), vec![]);
        assert_eq!(failures(&f), vec![("rekey_flap", Some("phase2"))], "{f:#?}");
        let x = the(&f, "rekey_flap");
        assert_eq!((x.severity, x.confidence), (Severity::Error, Confidence::Likely));
        assert_eq!(
            x.summary,
            "2 of the tunnel's rekeys failed; the SAs die at their lifetime instead of being replaced"
        );
        assert_eq!(frames(x), vec![5, 6, 7, 8]);
        assert_eq!(x.details["rebuilds"], 0);
        assert_eq!(x.details["failed_rekeys"], 2);
        assert_eq!(x.details["rebuild_intervals_s"], serde_json::json!([]));
    }

    #[test]
    fn one_refused_rekey_without_a_rebuild_is_no_flap() {
        let f = findings(up_then_refused_rekeys(&[3600.0]), vec![]);
        assert!(!f.iter().any(|x| x.kind.as_str() == "rekey_flap"), "{f:#?}");
    }
}
