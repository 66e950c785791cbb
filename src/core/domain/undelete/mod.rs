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
    let Some(at_t) = super::history::state_at(history, t) else {
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

impl PlanSummary {
    /// What a plan will do, counted.
    pub fn of(plans: &[KeyPlan]) -> PlanSummary {
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
pub enum KeyOutcome {
    Done(String),
    /// Not acted on: the key changed since the plan (or the run was cancelled first).
    Skipped(String),
    Failed(String),
}

impl KeyOutcome {
    pub fn code(&self) -> &'static str {
        match self {
            KeyOutcome::Done(_) => "done",
            KeyOutcome::Skipped(_) => "skipped",
            KeyOutcome::Failed(_) => "failed",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            KeyOutcome::Done(d) | KeyOutcome::Skipped(d) | KeyOutcome::Failed(d) => d,
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
pub fn describe_outcome(plan: &KeyPlan, outcome: &KeyOutcome) -> String {
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
mod tests;
