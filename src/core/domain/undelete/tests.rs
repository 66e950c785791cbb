//! The tests of `domain::undelete`.

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
    let s = PlanSummary::of(&plans);
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
