//! Refusals a daemon log explains (see [`crate::keys::hints`]), matched with findings: the log
//! of the refusing end is given with `--keys`, and its configuration, which the wire never
//! carries, completes the finding ("both ends must agree": here is what the other end wants).

use crate::diagnose::Ctx;
use crate::keys::hints::ConfigHint;
use crate::keys::KeySource;

/// `right.log:309`.
pub fn source_text(s: &KeySource) -> String {
    let name = s
        .path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    format!("{name}:{}", s.line)
}

/// The logged proposal refusal for an offer (keywords such as `aes128-sha256`): one whose
/// received proposals include an offered one, or, when the offer is not known (encrypted and no
/// keys), the only logged refusal of that protocol. The flag says whether the offer matched.
pub fn proposal_refusal<'m>(ctx: &Ctx<'m>, offered: &[String], ike: bool) -> Option<(&'m ConfigHint, bool)> {
    let of_kind: Vec<&ConfigHint> = ctx
        .model
        .data
        .hints
        .iter()
        .filter(|h| matches!(h, ConfigHint::ProposalRefused { protocol, .. } if (protocol == "IKE") == ike))
        .collect();
    if let Some(h) = of_kind.iter().find(|h| match h {
        ConfigHint::ProposalRefused { received, .. } => received.iter().any(|r| offered.contains(r)),
        _ => false,
    }) {
        return Some((h, true));
    }
    match of_kind.as_slice() {
        [only] if offered.is_empty() => Some((only, false)),
        _ => None,
    }
}

/// The logged selector refusal for the offered selectors (`TSi=10.1.0.1/32`, ...): one whose
/// refused pair names the offered ranges, or, when the offer is not known, the only one logged.
pub fn selector_refusal<'m>(ctx: &Ctx<'m>, offered: &[String]) -> Option<&'m ConfigHint> {
    let all: Vec<&ConfigHint> = ctx
        .model
        .data
        .hints
        .iter()
        .filter(|h| matches!(h, ConfigHint::SelectorsRefused { .. }))
        .collect();
    let ranges: Vec<&str> = offered
        .iter()
        .filter_map(|o| o.split_once('=').map(|(_, r)| r.split('[').next().unwrap_or(r)))
        .collect();
    if let Some(h) = all.iter().find(|h| match h {
        ConfigHint::SelectorsRefused { received, .. } => {
            !ranges.is_empty() && ranges.iter().all(|r| received.split(" === ").any(|x| x == *r))
        }
        _ => false,
    }) {
        return Some(h);
    }
    match all.as_slice() {
        [only] if offered.is_empty() => Some(only),
        _ => None,
    }
}
