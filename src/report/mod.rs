//! Reports: one line per packet for `decode --format text`, and the `analyze` report as
//! terminal text or a JSON document.

pub mod analyze_json;
pub mod analyze_text;
pub mod arrows;
pub mod decode_text;
pub mod groups;
pub mod html;
pub mod inner;
pub mod jsonl;
pub mod ladder_text;
pub mod pairs;
pub mod parquet;
pub mod rows;

/// Decryption tally of a set of IKE messages: (encrypted, decrypted, integrity/wrong-key
/// failures).
pub fn decryption_tally<'a>(
    messages: impl Iterator<Item = &'a crate::record::IkeInfo>,
) -> (usize, usize, usize) {
    let (mut enc, mut ok, mut bad) = (0, 0, 0);
    for ike in messages {
        if !ike.encrypted {
            continue;
        }
        enc += 1;
        match &ike.decryption {
            Some(d) if d.is_ok() => ok += 1,
            Some(d) if d.is_wrong_key() => bad += 1,
            _ => {}
        }
    }
    (enc, ok, bad)
}

/// One peer's most likely implementation in words, for the text header's `software` lines and
/// the HTML tunnel view: the peer, the implementation, how sure, and the first piece of evidence
/// (all of it is in the JSON `implementations`).
pub fn software_line(g: &crate::reconstruct::ImplementationGuess) -> String {
    match (g.confidence, g.evidence.first()) {
        (Some(c), Some(e)) => format!("{} {} ({}): {e}", g.peer, g.label(), c.as_str()),
        (Some(c), None) => format!("{} {} ({})", g.peer, g.label(), c.as_str()),
        (None, Some(e)) => format!("{} unknown: {e}", g.peer),
        (None, None) => format!("{} unknown", g.peer),
    }
}
