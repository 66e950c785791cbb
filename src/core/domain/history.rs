//! The version history of one key: merging listing pages and deciding what a restore does.

use super::{EntryKind, HistoryEntry};
use std::cmp::Ordering;

/// Whether `marker` comes before `version` in a listing merged back together. The SDK hands
/// versions and delete markers over as two lists, each in the server's order (by key, newest
/// first); the interleaving is lost. `IsLatest` decides the top and timestamps the rest; on a
/// tie a delete marker is taken as newer, since a delete usually follows the write it hides.
fn marker_first(marker: &HistoryEntry, version: &HistoryEntry) -> bool {
    marker
        .key
        .cmp(&version.key)
        .then_with(|| version.is_latest.cmp(&marker.is_latest))
        .then_with(|| version.last_modified.cmp(&marker.last_modified))
        != Ordering::Greater
}

/// One listing page's versions and delete markers as one list in the server's order: each
/// list keeps its own order (the server's word on which version is newer, even within one
/// second), and the two are interleaved by key, `IsLatest` and time.
pub fn merge_page(versions: Vec<HistoryEntry>, markers: Vec<HistoryEntry>) -> Vec<HistoryEntry> {
    let mut merged = Vec::with_capacity(versions.len() + markers.len());
    let mut versions = versions.into_iter().peekable();
    let mut markers = markers.into_iter().peekable();
    loop {
        let take_marker = match (markers.peek(), versions.peek()) {
            (Some(m), Some(v)) => marker_first(m, v),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return merged,
        };
        let next = if take_marker {
            markers.next()
        } else {
            versions.next()
        };
        merged.extend(next);
    }
}

/// Appends the entries of one ListObjectVersions page that belong to exactly `key` (a prefix
/// listing also returns `key.bak`, `key/x`, …). Pages arrive in server order, so every entry of a
/// later page is older than those already held. Returns true when the page shows that no
/// further entry of `key` can follow (a greater key was listed).
pub fn absorb_page(
    history: &mut Vec<HistoryEntry>,
    key: &str,
    versions: Vec<HistoryEntry>,
    markers: Vec<HistoryEntry>,
) -> bool {
    let past_key = passes_key(&versions, &markers, key);
    history.extend(
        merge_page(versions, markers)
            .into_iter()
            .filter(|e| e.key.as_ref() == key),
    );
    past_key
}

/// Whether a page lists a key greater than `key`: listings are in key order, so no further
/// entry of `key` can follow.
pub fn passes_key(versions: &[HistoryEntry], markers: &[HistoryEntry], key: &str) -> bool {
    versions.iter().chain(markers).any(|e| e.key.as_ref() > key)
}

/// The entry that was current for the key at `t`: of the entries written at or before `t`, the
/// newest; on a tie in time, the first in the history's order (the server's, newest first; a
/// delete marker before a version it ties with, see `merge_page`). An entry without a time
/// cannot be placed and is left out. The one rule of "a key as it was": the objects pane's
/// `t`, `ls --at`, and the plans of `U` and `undelete --after` all judge by it.
pub fn state_at(history: &[HistoryEntry], t: jiff::Timestamp) -> Option<&HistoryEntry> {
    history
        .iter()
        .filter(|e| e.last_modified.is_some_and(|m| m <= t))
        .fold(None, |best: Option<&HistoryEntry>, e| match best {
            Some(b) if b.last_modified >= e.last_modified => Some(b),
            _ => Some(e),
        })
}

/// The entry that is current for the key: the one flagged latest, else the newest.
pub fn latest(history: &[HistoryEntry]) -> Option<&HistoryEntry> {
    history
        .iter()
        .find(|e| e.is_latest)
        .or_else(|| history.first())
}

/// What removing the latest delete marker of a key will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestorePlan {
    pub marker: HistoryEntry,
    /// The entry that becomes current once the marker is gone: a version (the file is back),
    /// another delete marker (the key stays deleted) or nothing (the key disappears).
    pub becomes_current: Option<HistoryEntry>,
}

impl RestorePlan {
    pub fn brings_file_back(&self) -> bool {
        matches!(
            self.becomes_current,
            Some(HistoryEntry {
                kind: EntryKind::Version { .. },
                ..
            })
        )
    }
}

/// Why a restore is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreRefusal {
    #[error("the key has no versions")]
    NoHistory,
    #[error("the key is not deleted: its latest entry is version {0}")]
    NotDeleted(String),
    #[error(
        "delete marker {expected} is no longer the latest entry of the key (the latest is now {actual}); nothing was deleted"
    )]
    MarkerNoLongerLatest { expected: String, actual: String },
}

/// Plans the restore of a key from its history (newest first). With `expected_marker`, refuses
/// unless that marker is still the latest entry: this is the re-check made just before deleting.
pub fn plan_restore(
    history: &[HistoryEntry],
    expected_marker: Option<&str>,
) -> Result<RestorePlan, RestoreRefusal> {
    let latest = latest(history).ok_or(RestoreRefusal::NoHistory)?;
    if let Some(expected) = expected_marker
        && latest.version_id != expected
    {
        return Err(RestoreRefusal::MarkerNoLongerLatest {
            expected: expected.to_string(),
            actual: format!(
                "{} {}, written {} UTC",
                if latest.is_delete_marker() {
                    "delete marker"
                } else {
                    "version"
                },
                latest.version_id,
                crate::domain::format::maybe_timestamp(latest.last_modified)
            ),
        });
    }
    if !latest.is_delete_marker() {
        return Err(RestoreRefusal::NotDeleted(latest.version_id.clone()));
    }
    let becomes_current = history
        .iter()
        .filter(|e| !std::ptr::eq(*e, latest))
        .find(|e| match (e.last_modified, latest.last_modified) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        })
        .cloned();
    Ok(RestorePlan {
        marker: latest.clone(),
        becomes_current,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn version(key: &str, id: &str, at: &str, latest: bool) -> HistoryEntry {
        HistoryEntry {
            key: Arc::from(key),
            version_id: id.into(),
            kind: EntryKind::Version {
                size: Some(10),
                etag: None,
                storage_class: None,
            },
            is_latest: latest,
            last_modified: Some(at.parse().expect("test time")),
            owner: None,
        }
    }

    fn marker(key: &str, id: &str, at: &str, latest: bool) -> HistoryEntry {
        HistoryEntry {
            kind: EntryKind::DeleteMarker,
            ..version(key, id, at, latest)
        }
    }

    #[test]
    fn absorb_keeps_exactly_the_key_and_orders_newest_first() {
        let mut history = Vec::new();
        let done = absorb_page(
            &mut history,
            "tux.svg",
            // Server order: by key, newest first.
            vec![
                version("tux.svg", "v2", "2026-01-02T00:00:00Z", false),
                version("tux.svg", "v1", "2026-01-01T00:00:00Z", false),
                version("tux.svg.bak", "b1", "2026-01-03T00:00:00Z", true),
            ],
            vec![marker("tux.svg", "m1", "2026-01-04T00:00:00Z", true)],
        );
        assert!(done, "a greater key ends the history");
        let ids: Vec<_> = history.iter().map(|e| e.version_id.as_str()).collect();
        assert_eq!(ids, ["m1", "v2", "v1"]);
    }

    #[test]
    fn absorb_across_pages_appends_older_entries() {
        let mut history = Vec::new();
        let done = absorb_page(
            &mut history,
            "k",
            vec![version("k", "v3", "2026-01-03T00:00:00Z", true)],
            vec![],
        );
        assert!(!done);
        absorb_page(
            &mut history,
            "k",
            vec![version("k", "v2", "2026-01-02T00:00:00Z", false)],
            vec![],
        );
        let ids: Vec<_> = history.iter().map(|e| e.version_id.as_str()).collect();
        assert_eq!(ids, ["v3", "v2"]);
    }

    #[test]
    fn the_servers_order_of_versions_is_kept_even_against_their_times() {
        // Written within one second, or with times that disagree with the server's order:
        // the server's order says which is newer.
        let mut history = Vec::new();
        absorb_page(
            &mut history,
            "k",
            vec![
                version("k", "v3", "2026-01-01T00:00:00Z", true),
                version("k", "v2", "2026-01-01T00:00:01Z", false),
                version("k", "v1", "2026-01-01T00:00:00Z", false),
            ],
            vec![marker("k", "m1", "2026-01-01T00:00:00Z", false)],
        );
        let ids: Vec<_> = history.iter().map(|e| e.version_id.as_str()).collect();
        assert_eq!(ids, ["v3", "v2", "m1", "v1"]);
    }

    #[test]
    fn tie_on_time_puts_the_marker_first_unless_the_version_is_latest() {
        let mut history = Vec::new();
        absorb_page(
            &mut history,
            "k",
            vec![version("k", "v1", "2026-01-01T00:00:00Z", false)],
            vec![marker("k", "m1", "2026-01-01T00:00:00Z", true)],
        );
        assert_eq!(history[0].version_id, "m1");
    }

    #[test]
    fn restore_plan_names_the_version_that_becomes_current() {
        let history = vec![
            marker("k", "m1", "2026-01-04T00:00:00Z", true),
            version("k", "v2", "2026-01-02T00:00:00Z", false),
            version("k", "v1", "2026-01-01T00:00:00Z", false),
        ];
        let plan = plan_restore(&history, None).expect("restorable");
        assert_eq!(plan.marker.version_id, "m1");
        assert_eq!(
            plan.becomes_current.as_ref().map(|e| e.version_id.as_str()),
            Some("v2")
        );
        assert!(plan.brings_file_back());
    }

    #[test]
    fn restore_refuses_when_latest_is_a_version() {
        let history = vec![
            version("k", "v2", "2026-01-02T00:00:00Z", true),
            marker("k", "m1", "2026-01-01T00:00:00Z", false),
        ];
        assert_eq!(
            plan_restore(&history, None),
            Err(RestoreRefusal::NotDeleted("v2".into()))
        );
    }

    #[test]
    fn restore_refuses_when_marker_is_no_longer_latest() {
        let history = vec![
            marker("k", "m2", "2026-01-05T00:00:00Z", true),
            marker("k", "m1", "2026-01-04T00:00:00Z", false),
            version("k", "v1", "2026-01-01T00:00:00Z", false),
        ];
        assert_eq!(
            plan_restore(&history, Some("m1")),
            Err(RestoreRefusal::MarkerNoLongerLatest {
                expected: "m1".into(),
                actual: "delete marker m2, written 2026-01-05 00:00:00 UTC".into()
            })
        );
    }

    #[test]
    fn marker_over_marker_restores_to_still_deleted() {
        let history = vec![
            marker("k", "m2", "2026-01-05T00:00:00Z", true),
            marker("k", "m1", "2026-01-04T00:00:00Z", false),
            version("k", "v1", "2026-01-01T00:00:00Z", false),
        ];
        let plan = plan_restore(&history, Some("m2")).expect("plan");
        assert!(!plan.brings_file_back());
        assert_eq!(
            plan.becomes_current.map(|e| e.version_id),
            Some("m1".into())
        );
    }

    #[test]
    fn restore_of_empty_history_is_refused() {
        assert_eq!(plan_restore(&[], None), Err(RestoreRefusal::NoHistory));
    }
}
