//! Bulk undelete: what to do for each key under a prefix, decided from its version history and
//! an optional incident time before anything is sent. Pure: a plan is a function of the
//! listing and the time, so it can be shown as a dry run and tested on constructed histories.

use super::format::plural;
use super::history::latest;
use super::location::S3Location;
use super::{HistoryEntry, format, text};
use jiff::Timestamp;
use serde::Serialize;
use std::sync::Arc;

/// What bulk undelete will do for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyAction {
    /// Remove these delete markers, newest first; `becomes_current` is then the key's current
    /// version. Only delete markers are ever removed.
    RemoveMarkers {
        markers: Vec<HistoryEntry>,
        becomes_current: HistoryEntry,
    },
    /// Versions were written after the chosen time: copy `source`, the version current at that
    /// time, over the key (guarded by its ETag, and by `latest` still being the latest entry).
    /// Nothing is deleted.
    CopyBack {
        source: HistoryEntry,
        latest: HistoryEntry,
    },
    /// Left alone, and why.
    Leave(LeaveReason),
}

/// Why a key is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaveReason {
    /// Its newest entry is data (and, with a chosen time, it has not changed since).
    NotDeleted,
    /// Only delete markers: there is no version to bring back.
    NothingBeneath,
    /// It was already deleted at the chosen time (its marker is older).
    DeletedBefore(Option<Timestamp>),
    /// It did not exist at the chosen time: everything it holds was written after.
    CreatedAfter,
    /// An entry carries no time, so where it stands against the chosen time is unknown.
    TimeUnknown,
}

impl LeaveReason {
    pub fn describe(&self) -> String {
        match self {
            LeaveReason::NotDeleted => "not deleted: its newest entry is data".into(),
            LeaveReason::NothingBeneath => {
                "only delete markers: there is no version to bring back".into()
            }
            LeaveReason::DeletedBefore(at) => format!(
                "deleted before the chosen time (marker of {} UTC)",
                format::maybe_timestamp(*at)
            ),
            LeaveReason::CreatedAfter => {
                "did not exist at the chosen time: everything it holds was written after".into()
            }
            LeaveReason::TimeUnknown => {
                "the server gave an entry no time, so it cannot be placed against the chosen time"
                    .into()
            }
        }
    }

    /// A short name for reports and JSON.
    pub fn code(&self) -> &'static str {
        match self {
            LeaveReason::NotDeleted => "not-deleted",
            LeaveReason::NothingBeneath => "nothing-beneath",
            LeaveReason::DeletedBefore(_) => "deleted-before",
            LeaveReason::CreatedAfter => "created-after",
            LeaveReason::TimeUnknown => "time-unknown",
        }
    }
}

/// One key of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPlan {
    pub key: Arc<str>,
    pub action: KeyAction,
}

impl KeyPlan {
    /// Whether carrying out this key's plan sends anything.
    pub fn acts(&self) -> bool {
        !matches!(self.action, KeyAction::Leave(_))
    }
}

/// Decides what to do for a key from its history (newest first, as the versions pane holds
/// it). Without `after`: a key whose newest entries are delete markers over a version gets
/// those markers removed. With `after` (the incident time): the key is brought back to the
/// entry that was current at that time — by removing the markers written since, when only
/// markers were written since, or else by copying that version back.
pub fn plan_key(key: Arc<str>, history: &[HistoryEntry], after: Option<Timestamp>) -> KeyPlan {
    let action = match after {
        None => plan_undelete(history),
        Some(t) => plan_back_to(history, t),
    };
    KeyPlan { key, action }
}

fn plan_undelete(history: &[HistoryEntry]) -> KeyAction {
    match latest(history) {
        Some(l) if l.is_delete_marker() => {}
        _ => return KeyAction::Leave(LeaveReason::NotDeleted),
    }
    let markers: Vec<HistoryEntry> = history
        .iter()
        .take_while(|e| e.is_delete_marker())
        .cloned()
        .collect();
    match history.get(markers.len()) {
        Some(version) => KeyAction::RemoveMarkers {
            markers,
            becomes_current: version.clone(),
        },
        None => KeyAction::Leave(LeaveReason::NothingBeneath),
    }
}

fn plan_back_to(history: &[HistoryEntry], t: Timestamp) -> KeyAction {
    if history.iter().any(|e| e.last_modified.is_none()) {
        return KeyAction::Leave(LeaveReason::TimeUnknown);
    }
    let Some(latest) = latest(history) else {
        return KeyAction::Leave(LeaveReason::CreatedAfter);
    };
    let written_after = |e: &HistoryEntry| e.last_modified.is_some_and(|m| m > t);
    // History is newest first: the first entry not written after `t` was current at `t`.
    let Some(at_t) = history.iter().find(|e| !written_after(e)) else {
        return KeyAction::Leave(LeaveReason::CreatedAfter);
    };
    if at_t.is_delete_marker() {
        return KeyAction::Leave(LeaveReason::DeletedBefore(at_t.last_modified));
    }
    if at_t.version_id == latest.version_id {
        return KeyAction::Leave(LeaveReason::NotDeleted);
    }
    let since: Vec<&HistoryEntry> = history.iter().filter(|e| written_after(e)).collect();
    if since.iter().all(|e| e.is_delete_marker()) {
        KeyAction::RemoveMarkers {
            markers: since.into_iter().cloned().collect(),
            becomes_current: at_t.clone(),
        }
    } else {
        KeyAction::CopyBack {
            source: at_t.clone(),
            latest: latest.clone(),
        }
    }
}

/// Counts and sizes of a plan, for its summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSummary {
    pub keys: usize,
    pub remove: usize,
    pub markers: usize,
    pub copy: usize,
    /// Bytes of the versions that become current again.
    pub bytes: u64,
    /// Keys left alone, by reason code, in a stable order.
    pub left: Vec<(&'static str, usize)>,
}

pub fn summarize(plans: &[KeyPlan]) -> PlanSummary {
    let mut s = PlanSummary {
        keys: plans.len(),
        ..PlanSummary::default()
    };
    for p in plans {
        match &p.action {
            KeyAction::RemoveMarkers {
                markers,
                becomes_current,
            } => {
                s.remove += 1;
                s.markers += markers.len();
                s.bytes += becomes_current.size().unwrap_or(0);
            }
            KeyAction::CopyBack { source, .. } => {
                s.copy += 1;
                s.bytes += source.size().unwrap_or(0);
            }
            KeyAction::Leave(reason) => {
                let code = reason.code();
                match s.left.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, n)) => *n += 1,
                    None => s.left.push((code, 1)),
                }
            }
        }
    }
    s.left.sort();
    s
}

/// Groups a version listing (key order, a key's entries possibly split across pages and
/// between the versions and markers lists) into per-key histories, newest first. Feed pages
/// with `absorb`; each key is handed over complete once a later key shows up, and the last one
/// by `finish`.
#[derive(Debug, Default)]
pub struct KeyGrouper {
    current: Option<(Arc<str>, Vec<HistoryEntry>)>,
}

impl KeyGrouper {
    /// Adds a page's entries; returns the keys now complete, in key order.
    pub fn absorb(
        &mut self,
        versions: Vec<HistoryEntry>,
        markers: Vec<HistoryEntry>,
    ) -> Vec<(Arc<str>, Vec<HistoryEntry>)> {
        // Both lists are in the server's order; merged back, each key's entries are together
        // and newest first.
        let entries = super::history::merge_page(versions, markers);
        let mut done = Vec::new();
        for entry in entries {
            if self.current.as_ref().is_none_or(|(k, _)| *k != entry.key) {
                done.extend(self.current.take());
                self.current = Some((entry.key.clone(), Vec::new()));
            }
            if let Some((_, history)) = self.current.as_mut() {
                history.push(entry);
            }
        }
        done
    }

    /// The last key, once the listing has ended.
    pub fn finish(&mut self) -> Option<(Arc<str>, Vec<HistoryEntry>)> {
        self.current.take()
    }
}

/// What the objects pane marked for a bulk undelete: keys of one level, and folders (taken
/// whole, recursively).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// The level the keys were marked in (empty, or ending in `/`).
    pub level: String,
    /// Full keys, in key order.
    pub keys: Vec<String>,
    /// Full prefixes, ending in `/`.
    pub folders: Vec<String>,
}

/// Said of a removal whose answer was lost and that reading the key back showed done.
pub const READ_BACK: &str = "unconfirmed by the server, read back as done";

/// What happened to one key when the plan was carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(String),
    /// Not acted on: the key changed since the plan (or the run was cancelled first).
    Skipped(String),
    Failed(String),
}

impl Outcome {
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::Done(_) => "done",
            Outcome::Skipped(_) => "skipped",
            Outcome::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Outcome::Done(d) | Outcome::Skipped(d) | Outcome::Failed(d) => d,
        }
    }
}

/// The tally of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Keys not attempted because the run was cancelled.
    pub not_attempted: usize,
}

/// The plan's summary, for a terminal.
pub fn describe_summary(
    s: &PlanSummary,
    location: &S3Location,
    after: Option<Timestamp>,
) -> String {
    let mut out = format!(
        "Plan for s3://{}/{} — {} looked at{}:\n",
        text::sanitize(&location.bucket),
        text::sanitize(&location.prefix),
        plural(s.keys, "key"),
        after.map_or(String::new(), |t| format!(
            ", back to {} UTC",
            format::timestamp(t)
        )),
    );
    out.push_str(&format!(
        "  restore {} by removing {}\n",
        plural(s.remove, "key"),
        plural(s.markers, "delete marker")
    ));
    if s.copy > 0 || after.is_some() {
        out.push_str(&format!(
            "  copy back {} overwritten since (their version of that time becomes current)\n",
            plural(s.copy, "key")
        ));
    }
    out.push_str(&format!("  {} come back in all\n", format::size(s.bytes)));
    let left: usize = s.left.iter().map(|(_, n)| n).sum();
    if left > 0 {
        let reasons: Vec<String> = s
            .left
            .iter()
            .map(|(c, n)| format!("{n} {}", c.replace('-', " ")))
            .collect();
        out.push_str(&format!(
            "  leave {} alone: {}\n",
            plural(left, "key"),
            reasons.join(", ")
        ));
    }
    out
}

/// One key's line of the plan, for a terminal: what happens first, ids last (a narrow
/// screen cuts the end of the line).
pub fn describe_key(plan: &KeyPlan) -> String {
    let key = text::name(&plan.key);
    match &plan.action {
        KeyAction::RemoveMarkers {
            markers,
            becomes_current,
        } => format!(
            "restore  {key}: remove {} of {} UTC → {} of {} UTC is current again (version {}; {} {})",
            plural(markers.len(), "delete marker"),
            format::maybe_timestamp(markers.first().and_then(|m| m.last_modified)),
            format::maybe_size(becomes_current.size()),
            format::maybe_timestamp(becomes_current.last_modified),
            text::sanitize(&becomes_current.version_id),
            if markers.len() == 1 {
                "marker"
            } else {
                "markers"
            },
            markers
                .iter()
                .map(|m| text::sanitize(&m.version_id).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        KeyAction::CopyBack { source, latest } => format!(
            "copy     {key}: overwritten since; {} of {} UTC is copied back on top (version {}; latest now {})",
            format::maybe_size(source.size()),
            format::maybe_timestamp(source.last_modified),
            text::sanitize(&source.version_id),
            text::sanitize(&latest.version_id)
        ),
        KeyAction::Leave(reason) => format!("leave    {key}: {}", reason.describe()),
    }
}

/// The final report's line for one key, for a terminal.
pub fn describe_outcome(plan: &KeyPlan, outcome: &Outcome) -> String {
    format!(
        "{:<8} {}: {}",
        outcome.code(),
        text::name(&plan.key),
        text::sanitize(outcome.detail())
    )
}

/// Summary of a finished run, for a terminal.
pub fn describe_tally(t: &Tally) -> String {
    let mut s = format!(
        "{} done, {} skipped, {} failed",
        t.done, t.skipped, t.failed
    );
    if t.not_attempted > 0 {
        s.push_str(&format!(", {} not attempted (cancelled)", t.not_attempted));
    }
    s
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntryKind;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("test time")
    }

    fn version(id: &str, time: &str) -> HistoryEntry {
        HistoryEntry {
            key: Arc::from("k"),
            version_id: id.into(),
            kind: EntryKind::Version {
                size: Some(100),
                etag: Some(format!("etag-{id}")),
                storage_class: None,
            },
            is_latest: false,
            last_modified: Some(at(time)),
            owner: None,
        }
    }

    fn marker(id: &str, time: &str) -> HistoryEntry {
        HistoryEntry {
            kind: EntryKind::DeleteMarker,
            ..version(id, time)
        }
    }

    /// Newest first, the first one flagged latest.
    fn history(mut entries: Vec<HistoryEntry>) -> Vec<HistoryEntry> {
        if let Some(first) = entries.first_mut() {
            first.is_latest = true;
        }
        entries
    }

    fn ids(entries: &[HistoryEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.version_id.as_str()).collect()
    }

    const INCIDENT: &str = "2026-11-20T10:00:00Z";

    #[test]
    fn a_deleted_key_gets_its_marker_removed() {
        let h = history(vec![
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        let plan = plan_key("k".into(), &h, None);
        match plan.action {
            KeyAction::RemoveMarkers {
                markers,
                becomes_current,
            } => {
                assert_eq!(ids(&markers), ["m1"]);
                assert_eq!(becomes_current.version_id, "v1");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn marker_over_marker_removes_both() {
        let h = history(vec![
            marker("m2", "2026-11-22T00:00:00Z"),
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        let KeyAction::RemoveMarkers { markers, .. } = plan_key("k".into(), &h, None).action else {
            panic!("markers removed")
        };
        assert_eq!(ids(&markers), ["m2", "m1"]);
        // With the incident between the two markers, only the newer one goes and the key
        // stays deleted: it was deleted before the incident, so it is left alone.
        let plan = plan_key("k".into(), &h, Some(at("2026-11-21T12:00:00Z")));
        assert_eq!(
            plan.action,
            KeyAction::Leave(LeaveReason::DeletedBefore(Some(at("2026-11-21T00:00:00Z"))))
        );
    }

    #[test]
    fn keys_not_deleted_or_without_data_are_left_alone() {
        let live = history(vec![
            version("v2", "2026-11-21T00:00:00Z"),
            marker("m1", "2026-11-10T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        assert_eq!(
            plan_key("k".into(), &live, None).action,
            KeyAction::Leave(LeaveReason::NotDeleted)
        );
        let only_markers = history(vec![marker("m1", "2026-11-21T00:00:00Z")]);
        assert_eq!(
            plan_key("k".into(), &only_markers, None).action,
            KeyAction::Leave(LeaveReason::NothingBeneath)
        );
        assert_eq!(
            plan_key("k".into(), &[], None).action,
            KeyAction::Leave(LeaveReason::NotDeleted)
        );
    }

    #[test]
    fn with_a_time_only_markers_written_after_it_are_removed() {
        let h = history(vec![
            marker("m2", "2026-11-21T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        let KeyAction::RemoveMarkers {
            markers,
            becomes_current,
        } = plan_key("k".into(), &h, Some(at(INCIDENT))).action
        else {
            panic!("the marker after the incident goes")
        };
        assert_eq!(ids(&markers), ["m2"]);
        assert_eq!(becomes_current.version_id, "v1");
        // A marker written before the incident: deleted on purpose, left alone.
        let before = history(vec![
            marker("m1", "2026-11-19T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        assert!(matches!(
            plan_key("k".into(), &before, Some(at(INCIDENT))).action,
            KeyAction::Leave(LeaveReason::DeletedBefore(_))
        ));
    }

    #[test]
    fn overwritten_after_the_time_is_copied_back_from_the_version_current_then() {
        // Encrypted over (v2), then deleted (m1): removing m1 would bring back v2.
        let h = history(vec![
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v2", "2026-11-20T11:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        match plan_key("k".into(), &h, Some(at(INCIDENT))).action {
            KeyAction::CopyBack { source, latest } => {
                assert_eq!(source.version_id, "v1");
                assert_eq!(latest.version_id, "m1");
            }
            other => panic!("{other:?}"),
        }
        // Only overwritten: the same.
        let h = history(vec![
            version("v2", "2026-11-20T11:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        assert!(matches!(
            plan_key("k".into(), &h, Some(at(INCIDENT))).action,
            KeyAction::CopyBack { .. }
        ));
        // Without a time, an overwritten key that is not deleted is not touched.
        assert_eq!(
            plan_key("k".into(), &h, None).action,
            KeyAction::Leave(LeaveReason::NotDeleted)
        );
    }

    #[test]
    fn created_after_the_time_or_unchanged_since_is_left_alone() {
        let new = history(vec![
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v1", "2026-11-20T11:00:00Z"),
        ]);
        assert_eq!(
            plan_key("k".into(), &new, Some(at(INCIDENT))).action,
            KeyAction::Leave(LeaveReason::CreatedAfter)
        );
        let unchanged = history(vec![version("v1", "2026-11-01T00:00:00Z")]);
        assert_eq!(
            plan_key("k".into(), &unchanged, Some(at(INCIDENT))).action,
            KeyAction::Leave(LeaveReason::NotDeleted)
        );
        // An entry written exactly at the chosen time counts as current then.
        let exact = history(vec![
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v1", INCIDENT),
        ]);
        assert!(matches!(
            plan_key("k".into(), &exact, Some(at(INCIDENT))).action,
            KeyAction::RemoveMarkers { .. }
        ));
    }

    #[test]
    fn an_entry_without_a_time_is_not_guessed() {
        let mut h = history(vec![
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        h[1].last_modified = None;
        assert_eq!(
            plan_key("k".into(), &h, Some(at(INCIDENT))).action,
            KeyAction::Leave(LeaveReason::TimeUnknown)
        );
    }

    #[test]
    fn the_summary_counts_actions_bytes_and_reasons() {
        let deleted = history(vec![
            marker("m1", "2026-11-21T00:00:00Z"),
            version("v1", "2026-11-01T00:00:00Z"),
        ]);
        let live = history(vec![version("v1", "2026-11-01T00:00:00Z")]);
        let plans = vec![
            plan_key("a".into(), &deleted, None),
            plan_key("b".into(), &deleted, None),
            plan_key("c".into(), &live, None),
        ];
        let s = summarize(&plans);
        assert_eq!(
            (s.keys, s.remove, s.markers, s.copy, s.bytes),
            (3, 2, 2, 0, 200)
        );
        assert_eq!(s.left, vec![("not-deleted", 1)]);
    }

    fn keyed(key: &str, mut e: HistoryEntry, latest: bool) -> HistoryEntry {
        e.key = Arc::from(key);
        e.is_latest = latest;
        e
    }

    #[test]
    fn keys_spanning_pages_and_lists_are_grouped_whole_and_newest_first() {
        let mut g = KeyGrouper::default();
        // Page 1: a complete, b's marker (its versions follow on the next page).
        let done = g.absorb(
            vec![keyed("a", version("a1", "2026-11-01T00:00:00Z"), true)],
            vec![keyed("b", marker("bm", "2026-11-21T00:00:00Z"), true)],
        );
        assert_eq!(done.len(), 1);
        assert_eq!(&*done[0].0, "a");
        // Page 2: b's versions, then c.
        let done = g.absorb(
            vec![
                keyed("b", version("b2", "2026-11-02T00:00:00Z"), false),
                keyed("b", version("b1", "2026-11-01T00:00:00Z"), false),
                keyed("c", version("c1", "2026-11-01T00:00:00Z"), true),
            ],
            vec![],
        );
        assert_eq!(done.len(), 1);
        assert_eq!(&*done[0].0, "b");
        assert_eq!(ids(&done[0].1), ["bm", "b2", "b1"]);
        let (last, history) = g.finish().expect("c");
        assert_eq!(&*last, "c");
        assert_eq!(ids(&history), ["c1"]);
        assert!(g.finish().is_none());
    }
}
