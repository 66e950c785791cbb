//! The tests of `domain::listing`.

use super::*;

fn entry(key: &str, id: &str, at: &str, latest: bool, marker: bool) -> HistoryEntry {
    HistoryEntry {
        key: Arc::from(key),
        version_id: id.into(),
        kind: if marker {
            EntryKind::DeleteMarker
        } else {
            EntryKind::Version {
                size: Some(1),
                etag: None,
                storage_class: None,
            }
        },
        is_latest: latest,
        last_modified: Some(at.parse().expect("test time")),
        owner: None,
    }
}

fn recount(level: &Level) -> usize {
    level
        .objects()
        .filter(|o| matches!(o, LevelObject::Deleted(_)))
        .count()
}

#[test]
fn the_deleted_count_follows_keys_that_span_pages() {
    let mut level = Level::default();
    // Without latest flags, a key continued on the next page can turn deleted or back.
    let pages = [
        (
            vec![entry("a", "a1", "2026-01-01T00:00:00Z", false, false)],
            vec![],
        ),
        (
            vec![],
            vec![entry("a", "am", "2026-01-03T00:00:00Z", false, true)],
        ),
        (
            vec![entry("a", "a2", "2026-01-04T00:00:00Z", false, false)],
            vec![],
        ),
        (
            vec![],
            vec![entry("b", "bm", "2026-01-02T00:00:00Z", true, true)],
        ),
        (
            vec![entry("c", "c1", "2026-01-01T00:00:00Z", true, false)],
            vec![],
        ),
    ];
    for (versions, markers) in pages {
        level.absorb_versions_page(versions, markers, vec![]);
        assert_eq!(level.deleted_count(), recount(&level));
    }
    assert_eq!(level.deleted_count(), 1);
}

#[test]
fn key_whose_latest_is_a_marker_is_deleted() {
    let mut level = Level::default();
    level.absorb_versions_page(
        vec![
            entry("a", "a1", "2026-01-01T00:00:00Z", true, false),
            entry("b", "b1", "2026-01-01T00:00:00Z", false, false),
        ],
        vec![entry("b", "bm", "2026-01-02T00:00:00Z", true, true)],
        vec!["dir/".into()],
    );
    assert_eq!(level.len(), 3);
    assert!(matches!(level.row(0), Some(LevelRow::Prefix(p)) if p.as_ref() == "dir/"));
    assert!(
        matches!(level.row(1), Some(LevelRow::Object(LevelObject::Present(o))) if o.key == "a")
    );
    assert!(matches!(
        level.row(2),
        Some(LevelRow::Object(LevelObject::Deleted(d))) if d.marker_version_id == "bm"
    ));
}

#[test]
fn a_key_continued_on_the_next_page_keeps_its_latest_entry() {
    let mut level = Level::default();
    level.absorb_versions_page(
        vec![],
        vec![entry("k", "m", "2026-01-03T00:00:00Z", true, true)],
        vec![],
    );
    level.absorb_versions_page(
        vec![entry("k", "v1", "2026-01-01T00:00:00Z", false, false)],
        vec![],
        vec![],
    );
    assert_eq!(level.objects_len(), 1);
    assert!(matches!(level.object(0), Some(LevelObject::Deleted(_))));
}

#[test]
fn without_latest_flags_the_newest_entry_wins() {
    let mut level = Level::default();
    level.absorb_versions_page(
        vec![entry("k", "v1", "2026-01-01T00:00:00Z", false, false)],
        vec![],
        vec![],
    );
    level.absorb_versions_page(
        vec![],
        vec![entry("k", "m", "2026-01-03T00:00:00Z", false, true)],
        vec![],
    );
    assert_eq!(level.objects_len(), 1);
    assert!(matches!(level.object(0), Some(LevelObject::Deleted(_))));
}

#[test]
fn as_of_a_time_each_key_shows_its_entry_of_then() {
    let mut level = Level::as_of(Some("2026-01-05T00:00:00Z".parse().expect("time")));
    level.absorb_versions_page(
        vec![
            // a: overwritten after the time; then it was v1.
            entry("a", "a2", "2026-01-06T00:00:00Z", true, false),
            entry("a", "a1", "2026-01-01T00:00:00Z", false, false),
            // b: deleted after the time; then it was present.
            entry("b", "b1", "2026-01-01T00:00:00Z", false, false),
            // c: created after the time: absent.
            entry("c", "c1", "2026-01-07T00:00:00Z", true, false),
            // d: deleted before the time.
            entry("d", "d1", "2026-01-01T00:00:00Z", false, false),
        ],
        vec![
            entry("b", "bm", "2026-01-06T00:00:00Z", true, true),
            entry("d", "dm", "2026-01-02T00:00:00Z", true, true),
        ],
        vec![],
    );
    let shown: Vec<(String, bool)> = level
        .objects()
        .map(|o| (o.key().to_string(), matches!(o, LevelObject::Deleted(_))))
        .collect();
    assert_eq!(
        shown,
        [
            ("a".to_string(), false),
            ("b".to_string(), false),
            ("d".to_string(), true)
        ]
    );
    assert_eq!(level.deleted_count(), 1);
}

#[test]
fn repeated_prefix_on_the_next_page_is_listed_once() {
    let mut level = Level::default();
    level.absorb_versions_page(vec![], vec![], vec!["p/".into()]);
    level.absorb_versions_page(vec![], vec![], vec!["p/".into(), "q/".into()]);
    assert_eq!(level.prefixes.len(), 2);
}

#[test]
fn parent_prefix_walks_up_one_segment() {
    assert_eq!(parent_prefix("a/b/"), "a/");
    assert_eq!(parent_prefix("a/"), "");
    assert_eq!(parent_prefix(""), "");
    assert_eq!(display_name("a/b/c.txt", "a/b/"), "c.txt");
}

/// Pages cut a version listing anywhere; the level must come out the same as if the whole
/// listing had arrived at once: each key shown by its latest entry, keys and classes intact.
mod paged {
    use super::*;
    use proptest::prelude::*;

    /// One key's history: (is a marker, storage class) newest first; the first is latest.
    fn histories() -> impl Strategy<Value = Vec<Vec<(bool, u8)>>> {
        prop::collection::vec(prop::collection::vec((any::<bool>(), 0u8..3), 1..5), 1..30)
    }

    fn key_name(i: usize) -> String {
        // Varied lengths, so a key buffer mistake shows up as a wrong key.
        format!("k{i:03}{}", "é".repeat(i % 4))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn any_page_cut_gives_the_same_level(
            histories in histories(),
            cuts in prop::collection::vec(1usize..7, 1..40),
            flagged in any::<bool>(),
        ) {
            let base: Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
            let classes = ["STANDARD", "GLACIER", "STANDARD_IA"];
            // Server order: keys ascending, each key's entries newest first.
            let mut listing = Vec::new();
            for (i, history) in histories.iter().enumerate() {
                let mut ages: Vec<usize> = (0..history.len()).collect();
                if !flagged && i % 2 == 1 {
                    // A server without the flag may also list a key oldest first.
                    ages.reverse();
                }
                for age in ages {
                    let (marker, class) = history[age];
                    listing.push(HistoryEntry {
                        key: Arc::from(key_name(i)),
                        version_id: format!("v{i}-{age}"),
                        kind: if marker {
                            EntryKind::DeleteMarker
                        } else {
                            EntryKind::Version {
                                size: Some(age as u64),
                                etag: None,
                                storage_class: Some(classes[usize::from(class)].into()),
                            }
                        },
                        // Without the flag (some servers), the newest entry wins.
                        is_latest: flagged && age == 0,
                        last_modified: base
                            .checked_sub(jiff::SignedDuration::from_secs(age as i64))
                            .ok(),
                        owner: None,
                    });
                }
            }
            let mut level = Level::default();
            let mut rest = listing.as_slice();
            let mut cut = cuts.iter().cycle();
            while !rest.is_empty() {
                let n = (*cut.next().expect("cycle")).min(rest.len());
                let (page, after) = rest.split_at(n);
                rest = after;
                let (markers, versions): (Vec<_>, Vec<_>) =
                    page.iter().cloned().partition(|e| e.is_delete_marker());
                level.absorb_versions_page(versions, markers, vec![]);
                prop_assert_eq!(level.deleted_count(), recount(&level));
            }
            prop_assert_eq!(level.objects_len(), histories.len());
            for (i, history) in histories.iter().enumerate() {
                let name = key_name(i);
                let (marker, class) = history[0];
                match level.object(i) {
                    Some(LevelObject::Deleted(d)) => {
                        prop_assert!(marker, "{} shown deleted", name);
                        prop_assert_eq!(d.key, name.as_str());
                        prop_assert_eq!(d.marker_version_id, format!("v{i}-0"));
                    }
                    Some(LevelObject::Present(o)) => {
                        prop_assert!(!marker, "{} shown present", name);
                        prop_assert_eq!(o.key, name.as_str());
                        prop_assert_eq!(o.size, Some(0));
                        prop_assert_eq!(o.storage_class, Some(classes[usize::from(class)]));
                    }
                    None => prop_assert!(false, "{} missing", name),
                }
            }
            let keys: Vec<&str> = level.object_keys_from(0).collect();
            let expected: Vec<String> = (0..histories.len()).map(key_name).collect();
            prop_assert_eq!(keys, expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}

#[test]
fn a_version_and_its_marker_written_in_the_same_second_show_the_key_deleted_as_of_then() {
    // An upload deleted within the second (a script, ransomware): the server lists the marker
    // first, and the plans and `ls --at` say deleted; so must the pane.
    let at: jiff::Timestamp = "2026-01-01T00:00:10Z".parse().expect("time");
    let mut level = Level::as_of(Some(at));
    level.absorb_versions_page(
        vec![entry(
            "app-2.log",
            "v1",
            "2026-01-01T00:00:05Z",
            false,
            false,
        )],
        vec![entry("app-2.log", "m1", "2026-01-01T00:00:05Z", true, true)],
        vec![],
    );
    let shown: Vec<bool> = level
        .objects()
        .map(|o| matches!(o, LevelObject::Deleted(_)))
        .collect();
    assert_eq!(shown, [true], "deleted as of then");
}

mod state_at_agrees {
    use super::*;
    use crate::domain::history::{merge_page, state_at};
    use crate::domain::undelete::{KeyAction, LeaveReason, plan_key};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// One key's history (times of a few seconds, so that ties are common) in the server's
        /// order, listed in two pages cut anywhere: the objects pane as of `t` shows the entry
        /// `state_at` names, and the point-in-time plan judges by the same entry.
        #[test]
        fn the_pane_and_the_plan_judge_a_key_at_t_as_state_at_does(
            mut written in prop::collection::vec((0u8..4, any::<bool>()), 1..8),
            t in 0u8..5,
            cut in 0usize..8,
        ) {
            written.sort_by_key(|w| std::cmp::Reverse(w.0));
            let all: Vec<HistoryEntry> = written
                .iter()
                .enumerate()
                .map(|(i, (sec, marker))| {
                    entry("k", &format!("e{i}"), &format!("2026-01-01T00:00:0{sec}Z"), i == 0, *marker)
                })
                .collect();
            let split = |list: &[HistoryEntry]| -> (Vec<HistoryEntry>, Vec<HistoryEntry>) {
                list.iter().cloned().partition(|e| !e.is_delete_marker())
            };
            let (versions, markers) = split(&all);
            let history = merge_page(versions, markers);
            let at: jiff::Timestamp = format!("2026-01-01T00:00:0{t}Z").parse().expect("time");
            let then = state_at(&history, at);

            let mut level = Level::as_of(Some(at));
            let cut = cut.min(history.len());
            for page in [&history[..cut], &history[cut..]] {
                let (v, m) = split(page);
                level.absorb_versions_page(v, m, vec![]);
            }
            let shown: Vec<(String, bool)> = level
                .objects()
                .map(|o| match o {
                    LevelObject::Deleted(d) => (d.marker_version_id.to_string(), true),
                    LevelObject::Present(p) => (format!("{:?}", p.last_modified), false),
                })
                .collect();
            let expected: Vec<(String, bool)> = then
                .map(|e| {
                    if e.is_delete_marker() {
                        (e.version_id.clone(), true)
                    } else {
                        (format!("{:?}", e.last_modified), false)
                    }
                })
                .into_iter()
                .collect();
            prop_assert_eq!(shown, expected);

            let plan = plan_key("k".into(), &history, Some(at));
            match then {
                None => prop_assert_eq!(plan.action, KeyAction::Leave(LeaveReason::CreatedAfter)),
                Some(e) if e.is_delete_marker() => {
                    prop_assert!(
                        matches!(plan.action, KeyAction::Leave(LeaveReason::DeletedBefore(_))),
                        "{:?}", plan.action
                    )
                }
                Some(e) => match &plan.action {
                    KeyAction::RemoveMarkers { becomes_current, .. } => {
                        prop_assert_eq!(&becomes_current.version_id, &e.version_id)
                    }
                    KeyAction::CopyBack { source, .. } => {
                        prop_assert_eq!(&source.version_id, &e.version_id)
                    }
                    KeyAction::Leave(LeaveReason::NotDeleted) => {
                        prop_assert_eq!(&e.version_id, &history[0].version_id)
                    }
                    other => prop_assert!(false, "{other:?}"),
                },
            }
        }
    }
}
