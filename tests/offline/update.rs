//! Sequences of actions through `update`, checking state and effects; no network.

use jiff::Timestamp;
use lockwatch_core::app::{
    Action, AppState, Effect, LevelPage, Load, Pane, Popup, RequestId, SeenLatest, StartAt, update,
};
use lockwatch_core::domain::error::S3Error;
use lockwatch_core::domain::pages::{ObjectsPage, VersionsPage};
use lockwatch_core::domain::{Bucket, EntryKind, HistoryEntry, ObjectEntry};
use lockwatch_core::keys::{Key, KeyCode};
use std::sync::Arc;

fn now() -> Timestamp {
    "2026-11-26T12:00:00Z".parse().expect("time")
}

fn state() -> AppState {
    crate::app_state(120, 35)
}

fn key(c: char) -> Action {
    Action::Key(Key::char(c))
}

fn special(code: KeyCode) -> Action {
    Action::Key(Key::plain(code))
}

/// The screen `s` draws at `width` × `height`, a line each.
fn drawn(s: &AppState, width: u16, height: u16) -> String {
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height))
        .expect("terminal");
    terminal
        .draw(|f| {
            lockwatch_core::ui::render(
                s,
                "2026-11-27T00:00:00Z".parse().expect("time"),
                &lockwatch_core::ui::Theme::default(),
                f,
            )
        })
        .expect("draw");
    terminal.backend().to_string()
}

/// The buckets list answered for `request` with these names.
fn buckets_arrived(request: RequestId, names: &[&str]) -> Action {
    Action::BucketsLoaded {
        request,
        result: Ok(names
            .iter()
            .map(|n| Bucket {
                name: n.to_string(),
                created: None,
            })
            .collect()),
    }
}

/// A page of a bucket's level arrived for `request`; `more` when the listing goes on.
fn objects_arrived(request: RequestId, page: ObjectsPage, more: bool) -> Action {
    Action::LevelPage {
        request,
        result: Ok(LevelPage::Objects(page)),
        more,
    }
}

/// A page of versions arrived for `request`.
fn versions_arrived(request: RequestId, page: VersionsPage, more: bool) -> Action {
    Action::LevelPage {
        request,
        result: Ok(LevelPage::Versions(page)),
        more,
    }
}

/// The listing of `request` failed with `error`.
fn page_failed(request: RequestId, error: S3Error) -> Action {
    Action::LevelPage {
        request,
        result: Err(error),
        more: false,
    }
}

fn run(state: &mut AppState, actions: Vec<Action>) -> Vec<Effect> {
    actions
        .into_iter()
        .flat_map(|a| update(state, a, now()))
        .collect()
}

fn version(key: &str, id: &str, at: &str, latest: bool) -> HistoryEntry {
    HistoryEntry {
        key: Arc::from(key),
        version_id: id.into(),
        kind: EntryKind::Version {
            size: Some(49_983),
            etag: Some("8a6487c7872a9b825c8f2d4533067c6d".into()),
            storage_class: Some("STANDARD".into()),
        },
        is_latest: latest,
        last_modified: Some(at.parse().expect("time")),
        owner: None,
    }
}

fn marker(key: &str, id: &str, at: &str, latest: bool) -> HistoryEntry {
    HistoryEntry {
        kind: EntryKind::DeleteMarker,
        ..version(key, id, at, latest)
    }
}

fn list_request(effects: &[Effect]) -> Option<lockwatch_core::app::RequestId> {
    effects.iter().find_map(|e| match e {
        Effect::ListLevel { request, .. } => Some(*request),
        _ => None,
    })
}

/// Opens bucket `bup` with buckets loaded, returns the objects listing request.
fn open_bup(s: &mut AppState) -> lockwatch_core::app::RequestId {
    let effects = s.start(StartAt::default());
    let request = match effects.as_slice() {
        [Effect::ListBuckets { request }] => *request,
        other => panic!("expected one ListBuckets, got {other:?}"),
    };
    let effects = run(s, vec![buckets_arrived(request, &["bup"])]);
    assert!(
        matches!(effects.as_slice(), [Effect::LoadBucketDetails { bucket, .. }] if bucket == "bup"),
        "{effects:?}"
    );
    let effects = run(s, vec![special(KeyCode::Enter)]);
    assert_eq!(s.focus, Pane::Objects);
    list_request(&effects).expect("opening a bucket lists it")
}

#[test]
fn opening_a_bucket_lists_its_top_level_without_deleted_objects() {
    let mut s = state();
    let effects = s.start(StartAt::default());
    let Effect::ListBuckets { request } = effects[0] else {
        panic!("start lists buckets")
    };
    run(&mut s, vec![buckets_arrived(request, &["bup"])]);
    let effects = run(&mut s, vec![special(KeyCode::Enter)]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::ListLevel { bucket, prefix, deleted: false, .. }] if bucket == "bup" && prefix.is_empty()
    ));
}

#[test]
fn toggling_deleted_objects_relists_with_versions_and_cancels_the_old_listing() {
    let mut s = state();
    let first = open_bup(&mut s);
    let effects = run(&mut s, vec![key('.')]);
    assert!(effects.contains(&Effect::Cancel(first)));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListLevel { deleted: true, .. }))
    );
    assert!(s.objects.show_deleted);
}

#[test]
fn replies_for_a_listing_the_user_left_are_dropped() {
    let mut s = state();
    let first = open_bup(&mut s);
    run(&mut s, vec![key('.')]);
    let stale = ObjectsPage {
        objects: vec![ObjectEntry {
            key: Arc::from("stale.txt"),
            size: Some(1),
            last_modified: None,
            storage_class: None,
        }],
        prefixes: vec![],
        next_token: None,
    };
    run(&mut s, vec![objects_arrived(first, stale, false)]);
    assert!(s.objects.level.is_empty(), "a stale page must not be shown");
}

#[test]
fn pages_stream_in_and_the_listing_completes() {
    let mut s = state();
    let request = open_bup(&mut s);
    let page = |names: &[&str], next: Option<&str>| ObjectsPage {
        objects: names
            .iter()
            .map(|n| ObjectEntry {
                key: Arc::from(*n),
                size: Some(1),
                last_modified: None,
                storage_class: None,
            })
            .collect(),
        prefixes: vec![],
        next_token: next.map(str::to_string),
    };
    run(
        &mut s,
        vec![objects_arrived(request, page(&["a", "b"], Some("t")), true)],
    );
    assert_eq!(s.objects.level.len(), 2);
    assert_eq!(s.objects.load, Load::Loading { request, pages: 1 });
    // `R` would go on from the token, and from after the last key (for the guard).
    assert_eq!(
        s.objects.resume,
        Some(lockwatch_core::app::Resume::Token {
            token: "t".into(),
            after: Some("b".into())
        })
    );
    run(&mut s, vec![key('j')]);
    run(
        &mut s,
        vec![objects_arrived(request, page(&["c"], None), false)],
    );
    assert_eq!(s.objects.level.len(), 3);
    assert_eq!(s.objects.load, Load::Complete { pages: 2 });
    assert_eq!(
        s.objects.view.selected_row(),
        Some(1),
        "selection stays on b"
    );
}

#[test]
fn a_failed_page_leaves_a_partial_listing_marked_as_failed() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![page_failed(
            request,
            S3Error::Network("connection reset".into()),
        )],
    );
    assert!(matches!(s.objects.load, Load::Failed { .. }));
    assert!(
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("connection reset"))
    );
}

fn deleted_tux(s: &mut AppState) {
    let first = open_bup(s);
    let effects = run(s, vec![key('.')]);
    let request = list_request(&effects).expect("relist");
    assert_ne!(request, first);
    run(
        s,
        vec![versions_arrived(
            request,
            VersionsPage {
                versions: vec![version("tux.svg", "v1", "2024-04-10T10:31:11Z", false)],
                markers: vec![marker("tux.svg", "m1", "2024-04-11T08:25:42Z", true)],
                prefixes: vec![],
                next: None,
                altered_keys: false,
            },
            false,
        )],
    );
}

#[test]
fn restore_from_the_objects_pane_plans_from_a_fresh_listing_and_confirms_first() {
    let mut s = state();
    deleted_tux(&mut s);
    let effects = run(&mut s, vec![key('r')]);
    let (request, bucket, k) = match effects.as_slice() {
        [
            Effect::PlanRestore {
                request,
                bucket,
                key,
            },
        ] => (*request, bucket.clone(), key.clone()),
        other => panic!("expected PlanRestore, got {other:?}"),
    };
    let effects = run(
        &mut s,
        vec![Action::RestorePlanned {
            request,
            bucket,
            key: k,
            result: Ok(vec![
                marker("tux.svg", "m1", "2024-04-11T08:25:42Z", true),
                version("tux.svg", "v1", "2024-04-10T10:31:11Z", false),
            ]),
        }],
    );
    assert!(
        effects.is_empty(),
        "nothing is sent before the user confirms"
    );
    let Some(Popup::Confirm(confirm)) = &s.popup else {
        panic!("a confirmation is shown")
    };
    let text: Vec<&str> = confirm.lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        text.iter().any(|l| l.contains("delete marker m1")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|l| l.contains("Becomes current: version v1") && l.contains("49,983 bytes")),
        "{text:?}"
    );

    // Enter alone answers the default, which is no.
    let effects = run(&mut s, vec![special(KeyCode::Enter)]);
    assert!(effects.is_empty());
    assert!(s.popup.is_none());
}

#[test]
fn confirming_a_restore_sends_the_marker_seen_in_the_plan() {
    let mut s = state();
    deleted_tux(&mut s);
    let effects = run(&mut s, vec![key('r')]);
    let Effect::PlanRestore {
        request,
        bucket,
        key: k,
    } = effects[0].clone()
    else {
        panic!("PlanRestore")
    };
    run(
        &mut s,
        vec![Action::RestorePlanned {
            request,
            bucket,
            key: k,
            result: Ok(vec![
                marker("tux.svg", "m2", "2024-04-12T08:00:00Z", true),
                version("tux.svg", "v1", "2024-04-10T10:31:11Z", false),
            ]),
        }],
    );
    let effects = run(&mut s, vec![key('y')]);
    assert!(matches!(
        effects.as_slice(),
        [Effect::Restore { marker_version_id, request, .. }]
            if marker_version_id == "m2" && *request != lockwatch_core::app::PENDING
    ));
    assert_eq!(s.writes.len(), 1, "the status line says what runs");
}

#[test]
fn restore_of_an_object_that_is_not_deleted_sends_nothing() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![objects_arrived(
            request,
            ObjectsPage {
                objects: vec![ObjectEntry {
                    key: Arc::from("tux.svg"),
                    size: Some(1),
                    last_modified: None,
                    storage_class: None,
                }],
                prefixes: vec![],
                next_token: None,
            },
            false,
        )],
    );
    let effects = run(&mut s, vec![key('r')]);
    assert!(effects.is_empty());
    assert!(
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("not deleted"))
    );
}

#[test]
fn versions_pane_refuses_to_restore_from_an_older_marker() {
    let mut s = state();
    deleted_tux(&mut s);
    let effects = run(&mut s, vec![special(KeyCode::Enter)]);
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListVersions { request, .. } => Some(*request),
            _ => None,
        })
        .expect("opening a key lists its versions");
    assert_eq!(s.focus, Pane::Versions);
    let effects = run(
        &mut s,
        vec![Action::VersionsPage {
            request,
            result: Ok(VersionsPage {
                versions: vec![version("tux.svg", "v1", "2024-04-10T10:31:11Z", false)],
                markers: vec![
                    marker("tux.svg", "m2", "2024-04-12T08:25:42Z", true),
                    marker("tux.svg", "m1", "2024-04-11T08:25:42Z", false),
                ],
                prefixes: vec![],
                next: None,
                altered_keys: false,
            }),
            more: false,
        }],
    );
    // The one version on screen gets its lock fetched; markers carry none.
    assert!(matches!(
        effects.as_slice(),
        [Effect::HeadVersions { versions }] if versions.len() == 1 && versions[0].version_id == "v1"
    ));
    let ids: Vec<&str> = s
        .versions
        .entries
        .iter()
        .map(|e| e.version_id.as_str())
        .collect();
    assert_eq!(ids, ["m2", "m1", "v1"]);
    let effects = run(&mut s, vec![key('j'), key('r')]);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("not the latest"))
    );
    let effects = run(&mut s, vec![key('k'), key('r')]);
    assert!(matches!(effects.as_slice(), [Effect::PlanRestore { .. }]));
}

#[test]
fn delete_on_an_unversioned_bucket_needs_the_typed_name() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![
            Action::BucketDetails {
                bucket: "bup".into(),
                result: Ok(lockwatch_core::domain::BucketDetails {
                    versioning: lockwatch_core::domain::Versioning::Never,
                    lock: lockwatch_core::domain::BucketLock::Disabled,
                }),
            },
            objects_arrived(
                request,
                ObjectsPage {
                    objects: vec![ObjectEntry {
                        key: Arc::from("notes.txt"),
                        size: Some(1),
                        last_modified: None,
                        storage_class: None,
                    }],
                    prefixes: vec![],
                    next_token: None,
                },
                false,
            ),
        ],
    );
    let effects = run(&mut s, vec![key('d')]);
    plan_delete(&mut s, effects, "notes.txt");
    assert!(matches!(&s.popup, Some(Popup::Confirm(c)) if c.typed.is_some()));
    // 'y' is just a letter here, and Enter does nothing until the name is typed.
    let effects = run(&mut s, vec![key('y'), special(KeyCode::Enter)]);
    assert!(effects.is_empty());
    run(&mut s, vec![special(KeyCode::Backspace)]);
    let mut typing: Vec<Action> = "notes.txt".chars().map(key).collect();
    typing.push(special(KeyCode::Enter));
    let effects = run(&mut s, typing);
    assert!(
        matches!(effects.as_slice(), [Effect::DeleteObject { key, .. }] if key.as_ref() == "notes.txt")
    );
}

/// `d` in the objects pane reads the key's history first; answers it with one version `v1`.
fn plan_delete(s: &mut AppState, effects: Vec<Effect>, name: &str) {
    let [Effect::PlanDelete { request, key, .. }] = effects.as_slice() else {
        panic!("expected PlanDelete, got {effects:?}");
    };
    assert_eq!(key.as_ref(), name);
    run(
        s,
        vec![Action::DeletePlanned {
            request: *request,
            bucket: "bup".into(),
            key: key.clone(),
            result: Ok(vec![version(name, "v1", "2026-11-20T10:00:00Z", true)]),
        }],
    );
}

#[test]
fn delete_on_a_versioned_bucket_confirms_with_y() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![
            Action::BucketDetails {
                bucket: "bup".into(),
                result: Ok(lockwatch_core::domain::BucketDetails {
                    versioning: lockwatch_core::domain::Versioning::Enabled,
                    lock: lockwatch_core::domain::BucketLock::Disabled,
                }),
            },
            objects_arrived(
                request,
                ObjectsPage {
                    objects: vec![ObjectEntry {
                        key: Arc::from("tux.svg"),
                        size: Some(1),
                        last_modified: None,
                        storage_class: None,
                    }],
                    prefixes: vec![],
                    next_token: None,
                },
                false,
            ),
        ],
    );
    let effects = run(&mut s, vec![key('d')]);
    plan_delete(&mut s, effects, "tux.svg");
    assert!(matches!(&s.popup, Some(Popup::Confirm(c)) if c.typed.is_none() && !c.yes_selected));
    let effects = run(&mut s, vec![key('y')]);
    // The version the dialog named is re-checked before the delete is sent.
    assert!(matches!(
        effects.as_slice(),
        [Effect::DeleteObject { seen: Some(SeenLatest::VersionId(id)), .. }] if id == "v1"
    ));
}

#[test]
fn filter_narrows_rows_and_escape_clears_it() {
    let mut s = state();
    let request = open_bup(&mut s);
    let objects = ["alpha.sql", "beta.sql", "gamma.log"]
        .iter()
        .map(|n| ObjectEntry {
            key: Arc::from(*n),
            size: None,
            last_modified: None,
            storage_class: None,
        })
        .collect();
    run(
        &mut s,
        vec![objects_arrived(
            request,
            ObjectsPage {
                objects,
                prefixes: vec![],
                next_token: None,
            },
            false,
        )],
    );
    run(
        &mut s,
        vec![
            key('/'),
            key('S'),
            key('Q'),
            key('L'),
            special(KeyCode::Enter),
        ],
    );
    assert_eq!(
        s.objects.view.visible_len(),
        2,
        "case-insensitive match on .sql"
    );
    assert!(s.input.is_none());
    run(&mut s, vec![key('j')]);
    assert_eq!(s.objects.view.selected_row(), Some(1));
    run(&mut s, vec![special(KeyCode::Esc)]);
    assert_eq!(s.objects.view.visible_len(), 3);
    assert_eq!(
        s.objects.view.selected_row(),
        Some(1),
        "beta.sql stays selected"
    );
}

#[test]
fn escape_stops_a_running_listing_and_marks_it_partial() {
    let mut s = state();
    let request = open_bup(&mut s);
    let effects = run(&mut s, vec![special(KeyCode::Esc)]);
    assert_eq!(effects, vec![Effect::Cancel(request)]);
    assert!(matches!(s.objects.load, Load::Stopped { .. }));
}

#[test]
fn rejected_credentials_explain_what_was_tried() {
    let mut s = state();
    let effects = s.start(StartAt::default());
    let Effect::ListBuckets { request } = effects[0] else {
        panic!("ListBuckets")
    };
    run(
        &mut s,
        vec![Action::BucketsLoaded {
            request,
            result: Err(S3Error::Service {
                code: "InvalidAccessKeyId".into(),
                message: "The access key ID you provided does not exist".into(),
                status: Some(403),
            }),
        }],
    );
    let Some(Popup::Message { lines, .. }) = &s.popup else {
        panic!("an explanation is shown")
    };
    let all: String = lines
        .iter()
        .map(|l| l.text.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("InvalidAccessKeyId"), "{all}");
    assert!(all.contains("****************262d"), "{all}");
    assert!(all.contains("http://127.0.0.1:8333"), "{all}");
    assert!(all.contains("rejected these credentials"), "{all}");
}

#[test]
fn an_unreachable_endpoint_from_a_catalogue_points_at_the_catalogue() {
    for (source, expected) in [
        (None, "Check --endpoint-url / AWS_ENDPOINT_URL"),
        (
            Some("the object-store entry of Keystone's catalogue (http://x/swift/v1)".to_string()),
            "The endpoint came from the object-store entry of Keystone's catalogue",
        ),
    ] {
        let mut s = state();
        s.connection.endpoint_source = source;
        let effects = s.start(StartAt::default());
        let Effect::ListBuckets { request } = effects[0] else {
            panic!("ListBuckets")
        };
        run(
            &mut s,
            vec![Action::BucketsLoaded {
                request,
                result: Err(S3Error::Network("connection refused".into())),
            }],
        );
        let Some(Popup::Message { lines, .. }) = &s.popup else {
            panic!("an explanation is shown")
        };
        let all: String = lines
            .iter()
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(all.contains(expected), "{all}");
    }
}

#[test]
fn start_location_opens_the_bucket_and_prefix() {
    let mut s = state();
    let effects = s.start(StartAt {
        bucket: Some("bup".into()),
        prefix: "db/".into(),
    });
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListBuckets { .. }))
    );
    assert!(effects.iter().any(
        |e| matches!(e, Effect::ListLevel { bucket, prefix, .. } if bucket == "bup" && prefix == "db/")
    ));
    assert_eq!(s.focus, Pane::Objects);
}

#[test]
fn quitting_sets_quit_and_asks_the_runtime_to_stop() {
    let mut s = state();
    let effects = run(&mut s, vec![key('q')]);
    assert_eq!(effects, vec![Effect::Quit]);
    assert!(s.quit);
}

#[test]
fn an_upload_shows_progress_and_ctrl_x_cancels_it() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![objects_arrived(request, ObjectsPage::default(), false)],
    );
    run(&mut s, vec![key('u')]);
    assert!(matches!(s.popup, Some(Popup::Upload(_))));
    let mut typing: Vec<Action> = "/srv/backup.tar".chars().map(key).collect();
    typing.push(special(KeyCode::Enter));
    let effects = run(&mut s, typing);
    let request = match effects.as_slice() {
        [Effect::Upload { request, upload }] => {
            assert_eq!(upload.key, "backup.tar");
            *request
        }
        other => panic!("expected an upload, got {other:?}"),
    };
    run(
        &mut s,
        vec![Action::TransferProgress {
            request,
            done: 8,
            total: Some(32),
        }],
    );
    assert_eq!(
        s.transfers.first().map(|t| (t.done, t.total)),
        Some((8, Some(32)))
    );
    let effects = run(
        &mut s,
        vec![Action::Key(Key {
            code: KeyCode::Char('x'),
            ctrl: true,
            alt: false,
        })],
    );
    assert_eq!(effects, vec![Effect::Cancel(request)]);
    assert!(s.transfers.is_empty() && s.writes.is_empty());
}

fn objects_page(
    request: lockwatch_core::app::RequestId,
    prefixes: &[&str],
    keys: &[&str],
    more: bool,
) -> Action {
    objects_arrived(
        request,
        ObjectsPage {
            objects: keys
                .iter()
                .map(|k| ObjectEntry {
                    key: Arc::from(*k),
                    size: Some(1),
                    last_modified: None,
                    storage_class: None,
                })
                .collect(),
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            next_token: more.then(|| "next".to_string()),
        },
        more,
    )
}

#[test]
fn a_filter_typed_during_a_listing_matches_what_it_would_after() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![objects_page(
            request,
            &["a1/", "b1/"],
            &["Alpha", "beta"],
            true,
        )],
    );
    let mut typing = vec![key('/')];
    typing.extend("a".chars().map(key));
    typing.push(special(KeyCode::Enter));
    run(&mut s, typing);
    // Later pages add prefixes (inserted above the objects) and objects.
    run(
        &mut s,
        vec![
            objects_page(request, &["ca/", "d/"], &["gamma", "delta"], true),
            objects_page(request, &[], &["omega", "zeta"], true),
            objects_page(request, &["za/"], &["ALPHA2"], false),
        ],
    );
    let incremental = s.objects.view.filter.clone().expect("filter").matches;
    let mut fresh = s.objects.clone();
    fresh.set_filter(Some("a".into()), 10);
    assert_eq!(
        incremental,
        fresh.view.filter.expect("filter").matches,
        "the same rows as a filter typed after the listing"
    );
    assert_eq!(
        shown(&s),
        [
            "a1/", "ca/", "za/", "ALPHA2", "Alpha", "beta", "delta", "gamma", "omega", "zeta"
        ]
    );
}

/// bup's level with a folder and four deleted objects (deleted objects shown).
fn four_deleted(s: &mut AppState) {
    open_bup(s);
    let effects = run(s, vec![key('.')]);
    let request = list_request(&effects).expect("relist");
    let mut versions = Vec::new();
    let mut markers = Vec::new();
    for name in ["a.sql", "b.sql", "c.log", "d.log"] {
        versions.push(version(
            name,
            &format!("{name}-v1"),
            "2026-11-01T00:00:00Z",
            false,
        ));
        markers.push(marker(
            name,
            &format!("{name}-m1"),
            "2026-11-21T00:00:00Z",
            true,
        ));
    }
    run(
        s,
        vec![versions_arrived(
            request,
            VersionsPage {
                versions,
                markers,
                prefixes: vec!["old/".into()],
                next: None,
                altered_keys: false,
            },
            false,
        )],
    );
}

fn plan_bulk(
    effects: &[Effect],
) -> (
    lockwatch_core::app::RequestId,
    lockwatch_core::domain::undelete::Targets,
) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::PlanBulk {
                request, targets, ..
            } => Some((*request, targets.clone())),
            _ => None,
        })
        .expect("a PlanBulk effect")
}

#[test]
fn space_marks_and_moves_down_star_marks_what_the_filter_shows() {
    let mut s = state();
    four_deleted(&mut s);
    // Rows: old/, a.sql, b.sql, c.log, d.log. Space on a.sql and b.sql.
    run(&mut s, vec![key('j'), key(' '), key(' ')]);
    assert_eq!(s.objects.marks.count(), 2);
    assert_eq!(
        s.objects.view.selected_row(),
        Some(3),
        "moved down past each"
    );
    // Space again on a marked row unmarks it.
    run(&mut s, vec![key('k'), key(' ')]);
    assert_eq!(s.objects.marks.count(), 1);
    // * marks every row the filter shows; again unmarks them.
    run(
        &mut s,
        vec![
            key('/'),
            key('l'),
            key('o'),
            key('g'),
            special(KeyCode::Enter),
            key('*'),
        ],
    );
    let (folders, keys) = s.objects.marks.targets(&s.objects.level);
    assert!(folders.is_empty());
    assert_eq!(keys, ["a.sql", "c.log", "d.log"]);
    run(&mut s, vec![key('*')]);
    assert_eq!(s.objects.marks.count(), 1, "a.sql stays marked");
    // Leaving the level drops the marks (they were positions in its rows).
    run(&mut s, vec![special(KeyCode::Esc), key('R')]);
    let request = s.objects.load.request().expect("reloading");
    run(
        &mut s,
        vec![versions_arrived(
            request,
            VersionsPage {
                versions: vec![],
                markers: vec![],
                prefixes: vec![],
                next: None,
                altered_keys: false,
            },
            false,
        )],
    );
    assert_eq!(s.objects.marks.count(), 0);
}

#[test]
fn bulk_undelete_plans_first_sends_only_on_y_and_reports() {
    let mut s = state();
    four_deleted(&mut s);
    // The folder and two keys.
    run(&mut s, vec![key(' '), key(' '), key('j'), key(' ')]);
    let effects = run(&mut s, vec![key('U')]);
    assert!(effects.is_empty(), "U asks for a time first: {effects:?}");
    // A time that cannot be read is refused where it was typed.
    let effects = run(&mut s, vec![key('x'), special(KeyCode::Enter)]);
    assert!(effects.is_empty());
    let Some(Popup::Bulk(b)) = &s.popup else {
        panic!("the bulk popup")
    };
    // The folder is named, not counted.
    assert_eq!(b.what(), "2 keys and everything below old/");
    assert!(
        matches!(
            &b.stage,
            lockwatch_core::app::BulkStage::Time { error: Some(_), .. }
        ),
        "{:?}",
        b.stage
    );
    let effects = run(
        &mut s,
        vec![special(KeyCode::Backspace), special(KeyCode::Enter)],
    );
    let (request, targets) = plan_bulk(&effects);
    assert_eq!(targets.folders, ["old/"]);
    assert_eq!(targets.keys, ["a.sql", "c.log"]);

    // The plan arrives: shown, nothing sent.
    let history = [
        marker("a.sql", "a.sql-m1", "2026-11-21T00:00:00Z", true),
        version("a.sql", "a.sql-v1", "2026-11-01T00:00:00Z", false),
    ];
    let plans = vec![
        lockwatch_core::domain::undelete::plan_key("a.sql".into(), &history, None),
        lockwatch_core::domain::undelete::plan_key(
            "c.log".into(),
            &[version("c.log", "c1", "2026-11-01T00:00:00Z", true)],
            None,
        ),
    ];
    let effects = run(
        &mut s,
        vec![Action::BulkPlanned {
            request,
            result: Ok((
                plans,
                lockwatch_core::domain::pages::ListedAs {
                    folders: 2,
                    listings: 4,
                },
            )),
        }],
    );
    assert!(effects.is_empty());
    // The plan says how its keys were listed, as the command line's does.
    let screen = drawn(&s, 200, 40);
    assert!(
        screen.contains("listed split over 2 folders as delimiter answers named them"),
        "{screen}"
    );
    // At 80 columns nothing is cut without a mark: the plan's rows wrap, and the keys of the
    // footer stay on screen.
    let narrow = drawn(&s, 80, 24);
    assert!(narrow.contains("Esc: close"), "{narrow}");
    assert!(
        narrow.contains("a.sql-v1"),
        "the version id whole: {narrow}"
    );
    assert!(!narrow.contains('…'), "a cut: {narrow}");
    // Esc would close it with nothing sent; y runs it.
    let effects = run(&mut s, vec![key('y')]);
    let (run_request, plans) = effects
        .iter()
        .find_map(|e| match e {
            Effect::RunBulk { request, plans, .. } => Some((*request, plans.clone())),
            _ => None,
        })
        .expect("y carries out the plan");
    assert_eq!(plans.iter().filter(|p| p.acts()).count(), 1);
    // Esc while running cancels (starts no further key), it does not close.
    let effects = run(&mut s, vec![special(KeyCode::Esc)]);
    assert_eq!(
        effects,
        vec![Effect::CancelBulk {
            request: run_request
        }]
    );
    assert!(matches!(s.popup, Some(Popup::Bulk(_))));
    // The versions pane shows a.sql, with the marker the run removes as its latest entry.
    s.versions.bucket = Some("bup".into());
    s.versions.key = Some("a.sql".into());
    s.versions.entries = history.to_vec();
    let effects = run(
        &mut s,
        vec![
            Action::BulkKeyDone {
                request: run_request,
                key: "a.sql".into(),
                outcome: lockwatch_core::domain::undelete::KeyOutcome::Done(
                    "removed 1 delete marker".into(),
                ),
            },
            Action::BulkFinished {
                request: run_request,
                tally: lockwatch_core::domain::undelete::Tally {
                    done: 1,
                    ..Default::default()
                },
            },
        ],
    );
    let Some(Popup::Bulk(b)) = &s.popup else {
        panic!("the report")
    };
    assert!(
        matches!(&b.stage, lockwatch_core::app::BulkStage::Report { tally, .. } if tally.done == 1)
    );
    // When the run ends, every pane showing a key it wrote to lists again: the level, and the
    // versions of a.sql (no pane keeps showing the removed marker as latest).
    assert!(list_request(&effects).is_some(), "{effects:?}");
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::ListVersions { bucket, key, .. } if bucket == "bup" && &**key == "a.sql"
        )),
        "{effects:?}"
    );
    // Closing the report shows them.
    let effects = run(&mut s, vec![special(KeyCode::Esc)]);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(s.popup.is_none());
    assert_eq!(s.focus, Pane::Objects);
}

#[test]
fn read_only_bulk_undelete_shows_the_plan_but_sends_nothing() {
    let mut s = state();
    s.connection.read_only = true;
    four_deleted(&mut s);
    run(&mut s, vec![key('j')]);
    let effects = run(&mut s, vec![key('U'), special(KeyCode::Enter)]);
    let (request, targets) = plan_bulk(&effects);
    assert_eq!(targets.keys, ["a.sql"]);
    let history = [
        marker("a.sql", "m", "2026-11-21T00:00:00Z", true),
        version("a.sql", "v", "2026-11-01T00:00:00Z", false),
    ];
    run(
        &mut s,
        vec![Action::BulkPlanned {
            request,
            result: Ok((
                vec![lockwatch_core::domain::undelete::plan_key(
                    "a.sql".into(),
                    &history,
                    None,
                )],
                lockwatch_core::domain::pages::ListedAs::default(),
            )),
        }],
    );
    let effects = run(&mut s, vec![key('y')]);
    assert!(effects.is_empty(), "{effects:?}");
    let Some(Popup::Bulk(b)) = &s.popup else {
        panic!("still the plan")
    };
    assert!(
        matches!(&b.stage, lockwatch_core::app::BulkStage::Plan { note: Some(n), .. } if n.contains("Read-only"))
    );
}

#[test]
fn the_point_in_time_view_lists_versions_is_read_only_and_plans_back_to_its_time() {
    let mut s = state();
    four_deleted(&mut s);
    run(&mut s, vec![key('t')]);
    assert!(matches!(s.popup, Some(Popup::AsOf { .. })));
    let typed: Vec<Action> = "2026-11-20 10:00".chars().map(key).collect();
    run(&mut s, typed);
    let effects = run(&mut s, vec![special(KeyCode::Enter)]);
    let listed = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListLevel { deleted, from, .. } => Some((*deleted, from.is_none())),
            _ => None,
        })
        .expect("the level is listed again");
    assert_eq!(listed, (true, true), "from the start, with every version");
    let at: Timestamp = "2026-11-20T10:00:00Z".parse().expect("time");
    assert_eq!(s.objects.as_of, Some(at));
    // Writes from the view are refused with the way out.
    let effects = run(&mut s, vec![key('d')]);
    assert!(effects.is_empty());
    let said = s
        .status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(said.contains("read-only") && said.contains('U'), "{said}");
    // U plans straight back to the view's time.
    let effects = run(&mut s, vec![key('U')]);
    let after = effects
        .iter()
        .find_map(|e| match e {
            Effect::PlanBulk { after, .. } => Some(*after),
            _ => None,
        })
        .expect("U plans");
    assert_eq!(after, Some(at));
    // t with an empty time returns to now.
    run(&mut s, vec![special(KeyCode::Esc), key('t')]);
    let clear = Key {
        code: KeyCode::Char('u'),
        ctrl: true,
        alt: false,
    };
    run(&mut s, vec![Action::Key(clear), special(KeyCode::Enter)]);
    assert_eq!(s.objects.as_of, None);
}

#[test]
fn a_click_selects_a_double_click_opens_and_the_wheel_scrolls() {
    use lockwatch_core::app::{Mouse, MouseKind};
    let mut s = state();
    let request = open_bup(&mut s);
    let objects = (0..40)
        .map(|i| ObjectEntry {
            key: Arc::from(format!("file-{i:02}.sql")),
            size: None,
            last_modified: None,
            storage_class: None,
        })
        .collect();
    run(
        &mut s,
        vec![objects_arrived(
            request,
            ObjectsPage {
                objects,
                prefixes: vec![],
                next_token: None,
            },
            false,
        )],
    );
    let area = lockwatch_core::layout::areas(s.screen, s.focus)
        .objects
        .expect("objects pane");
    let at = |kind, line: u16| {
        Action::Mouse(Mouse {
            kind,
            column: area.x + 5,
            // Below the border and the column header.
            row: area.y + 2 + line,
        })
    };
    // Focus elsewhere first: a click focuses the pane under it.
    run(&mut s, vec![special(KeyCode::Tab)]);
    assert_ne!(s.focus, Pane::Objects);
    let effects = run(&mut s, vec![at(MouseKind::LeftDown, 2)]);
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(s.focus, Pane::Objects);
    assert_eq!(s.objects.view.selected_row(), Some(2));
    // The same row again, at once: opened.
    let effects = run(&mut s, vec![at(MouseKind::LeftDown, 2)]);
    let opened = effects
        .iter()
        .any(|e| matches!(e, Effect::ListVersions { key, .. } if key.as_ref() == "file-02.sql"));
    assert!(opened, "{effects:?}");
    // The wheel over the objects pane moves its selection three rows.
    run(&mut s, vec![at(MouseKind::ScrollDown, 0)]);
    assert_eq!(s.objects.view.selected_row(), Some(5));
    // A click on the border or the header selects nothing.
    run(
        &mut s,
        vec![Action::Mouse(Mouse {
            kind: MouseKind::LeftDown,
            column: area.x + 5,
            row: area.y,
        })],
    );
    assert_eq!(s.objects.view.selected_row(), Some(5));
    // M turns capture off (the runtime is told).
    let effects = run(&mut s, vec![key('M')]);
    assert_eq!(effects, vec![Effect::MouseCapture(false)]);
}

/// The names of the rows shown, top to bottom.
fn shown(s: &AppState) -> Vec<String> {
    let view = &s.objects.view;
    (0..view.visible_len())
        .filter_map(|v| view.row_at(v))
        .filter_map(|i| s.objects.level.row(i))
        .map(|r| s.objects.row_name(&r).to_string())
        .collect()
}

fn sized(key: &str, size: u64, at: &str) -> ObjectEntry {
    ObjectEntry {
        key: Arc::from(key),
        size: Some(size),
        last_modified: Some(at.parse().expect("time")),
        storage_class: None,
    }
}

fn sized_page(
    request: lockwatch_core::app::RequestId,
    prefixes: &[&str],
    objects: Vec<ObjectEntry>,
    more: bool,
) -> Action {
    objects_arrived(
        request,
        ObjectsPage {
            objects,
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
            next_token: more.then(|| "next".to_string()),
        },
        more,
    )
}

fn selected_name(s: &AppState) -> Option<String> {
    s.objects
        .selected()
        .map(|r| s.objects.row_name(&r).to_string())
}

#[test]
fn s_sorts_by_name_size_and_date_with_folders_first_and_the_same_row_selected() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![sized_page(
            request,
            &["db10/", "db9/", "logs/"],
            vec![
                sized("file1", 20, "2026-11-02T00:00:00Z"),
                sized("file10", 5, "2026-11-03T00:00:00Z"),
                sized("file2", 300, "2026-11-01T00:00:00Z"),
                sized("file9", 5, "2026-11-03T00:00:00Z"),
            ],
            false,
        )],
    );
    assert_eq!(
        shown(&s),
        [
            "db9/", "db10/", "logs/", "file1", "file2", "file9", "file10"
        ],
        "natural order by default: numbers by value"
    );
    run(&mut s, vec![key('G'), key('k'), key('k')]);
    assert_eq!(selected_name(&s).as_deref(), Some("file2"));

    run(&mut s, vec![key('S')]);
    assert_eq!(
        shown(&s),
        [
            "db9/", "db10/", "logs/", "file2", "file1", "file9", "file10"
        ],
        "largest first (equal sizes by name), folders above by name"
    );
    assert_eq!(
        selected_name(&s).as_deref(),
        Some("file2"),
        "the selection follows its row"
    );
    assert!(
        s.status
            .as_ref()
            .is_some_and(|m| m.text.contains("by size"))
    );

    run(&mut s, vec![key('S')]);
    assert_eq!(
        shown(&s),
        [
            "db9/", "db10/", "logs/", "file9", "file10", "file1", "file2"
        ],
        "newest first"
    );
    assert_eq!(selected_name(&s).as_deref(), Some("file2"));

    run(&mut s, vec![key('S')]);
    assert_eq!(
        shown(&s),
        [
            "db9/", "db10/", "logs/", "file1", "file2", "file9", "file10"
        ]
    );
}

#[test]
fn the_sort_order_is_kept_for_the_session_across_folders() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![sized_page(
            request,
            &["a/"],
            vec![sized("x", 1, "2026-11-01T00:00:00Z")],
            false,
        )],
    );
    run(&mut s, vec![key('S'), key('S')]);
    let effects = run(&mut s, vec![key('g'), special(KeyCode::Enter)]);
    let request = list_request(&effects).expect("opening a folder lists it");
    run(
        &mut s,
        vec![sized_page(
            request,
            &[],
            vec![
                sized("a/old", 9, "2026-10-01T00:00:00Z"),
                sized("a/new", 1, "2026-11-20T00:00:00Z"),
            ],
            false,
        )],
    );
    assert_eq!(
        shown(&s),
        ["new", "old"],
        "still by date in the folder opened"
    );
}

/// Pages streaming in while the pane is sorted by size, with a filter typed: after every page
/// each matching row is shown exactly once, and when the listing ends the rows are in order
/// and the filter's matches are those of a filter typed afterwards.
#[test]
fn a_sorted_pane_streams_every_row_once_and_ends_in_order() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(&mut s, vec![key('S')]);
    let mut typing = vec![key('/'), key('7'), special(KeyCode::Enter)];
    let mut held = 0;
    for page in 0..40 {
        let objects: Vec<ObjectEntry> = (0..50)
            .map(|i| {
                let n = page * 50 + i;
                sized(
                    &format!("k{n:05}"),
                    (n * 7919) % 1000,
                    "2026-11-01T00:00:00Z",
                )
            })
            .collect();
        held += objects.len();
        let folder = format!("f{page}/");
        let prefixes: &[&str] = if page % 10 == 3 {
            &[folder.as_str()]
        } else {
            &[]
        };
        run(
            &mut s,
            vec![sized_page(request, prefixes, objects, page < 39)],
        );
        run(&mut s, std::mem::take(&mut typing));
        held += prefixes.len();
        let mut names = shown(&s);
        let every_match = names.len();
        names.sort();
        names.dedup();
        assert_eq!(
            names.len(),
            every_match,
            "a row shown twice after page {page}"
        );
        let expected = s
            .objects
            .level
            .rows()
            .filter(|r| s.objects.row_name(r).contains('7'))
            .count();
        assert_eq!(every_match, expected, "after page {page}");
        assert_eq!(s.objects.level.len(), held);
    }
    let rows: Vec<(u64, &str)> = (0..s.objects.view.visible_len())
        .filter_map(|v| s.objects.view.row_at(v))
        .filter_map(|i| match s.objects.level.row(i) {
            Some(lockwatch_core::domain::listing::LevelRow::Object(
                lockwatch_core::domain::listing::LevelObject::Present(p),
            )) => Some((p.size?, p.key)),
            _ => None,
        })
        .collect();
    assert!(rows.len() > 500);
    assert!(
        rows.windows(2)
            .all(|w| w[0].0 > w[1].0 || (w[0].0 == w[1].0 && w[0].1 < w[1].1)),
        "largest first, equal sizes by name"
    );
    let mut fresh = s.objects.clone();
    fresh.set_filter(Some("7".into()), 10);
    assert_eq!(s.objects.view.filter, fresh.view.filter);
}

/// Sorted by size while 120 pages stream in, the rows of each page go into a run sorted
/// below the others and are merged into them now and then: through every page and merge the
/// selected row stays selected, with and without a filter, and every row is where a sort of
/// them all would put it once the listing ends.
#[test]
fn the_selected_row_stays_selected_while_a_sorted_listing_streams() {
    for filtered in [false, true] {
        let mut s = state();
        let request = open_bup(&mut s);
        run(&mut s, vec![key('S')]);
        if filtered {
            run(&mut s, vec![key('/'), key('1'), special(KeyCode::Enter)]);
        }
        let mut chosen: Option<String> = None;
        for page in 0..120u64 {
            let objects: Vec<ObjectEntry> = (0..40u64)
                .map(|i| {
                    let n = page * 40 + i;
                    sized(
                        &format!("k{n:05}"),
                        (n * 7919) % 5003,
                        "2026-11-01T00:00:00Z",
                    )
                })
                .collect();
            let folder = format!("f{page:03}/");
            let prefixes: &[&str] = if page % 30 == 7 {
                &[folder.as_str()]
            } else {
                &[]
            };
            run(
                &mut s,
                vec![sized_page(request, prefixes, objects, page < 119)],
            );
            match &chosen {
                None if page == 5 => {
                    run(&mut s, vec![special(KeyCode::Down); 17]);
                    chosen = selected_name(&s);
                    assert!(chosen.is_some());
                }
                None => {}
                Some(name) => assert_eq!(
                    selected_name(&s).as_ref(),
                    Some(name),
                    "after page {page} (filtered: {filtered})"
                ),
            }
        }
        let mut fresh = s.objects.clone();
        fresh.set_filter(s.objects.view.filter_text(), 10);
        assert_eq!(
            s.objects.view.filter, fresh.view.filter,
            "filtered: {filtered}"
        );
        let before_s = shown(&s);
        // S three times comes back to size, sorted from nothing: the same rows in the same
        // order as the streamed ones.
        run(&mut s, vec![key('S'), key('S'), key('S')]);
        assert_eq!(shown(&s), before_s, "filtered: {filtered}");
        assert_eq!(selected_name(&s), chosen);
    }
}

/// A level of 100,000 rows or more that a reload or another folder replaces is handed to the
/// runtime to drop (on a thread of its own), not dropped inside the update; a smaller one is
/// just dropped.
#[test]
fn a_large_level_replaced_is_handed_to_the_runtime_to_drop() {
    for (rows, handed) in [(100_000usize, true), (99_999, false)] {
        let mut s = state();
        let request = open_bup(&mut s);
        let names: Vec<String> = (0..rows).map(|i| format!("k{i:06}")).collect();
        let keys: Vec<&str> = names.iter().map(String::as_str).collect();
        run(&mut s, vec![objects_page(request, &[], &keys, false)]);
        assert_eq!(s.objects.level.len(), rows);
        let effects = run(&mut s, vec![key('R')]);
        let request = list_request(&effects).expect("R lists again");
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::Release(_))),
            "the old rows stay shown until the first page"
        );
        let effects = run(&mut s, vec![objects_page(request, &[], &["new"], false)]);
        let released: Vec<usize> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Release(r) => Some(r.level.len()),
                _ => None,
            })
            .collect();
        if handed {
            assert_eq!(released, [rows]);
            // Effects are logged with `--log debug`: the rows are counted, not spelled out.
            let logged = format!("{effects:?}");
            assert!(logged.len() < 1000, "{} bytes", logged.len());
            assert!(logged.contains(&format!("rows: {rows}")), "{logged}");
        } else {
            assert!(released.is_empty(), "{released:?}");
        }
        assert_eq!(shown(&s), ["new"]);
    }
}

#[test]
fn stopping_a_sorted_listing_sorts_what_arrived() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(&mut s, vec![key('S')]);
    for page in 0..6u64 {
        let objects = (0..10u64)
            .map(|i| {
                sized(
                    &format!("k{page}-{i}"),
                    page * 10 + i,
                    "2026-11-01T00:00:00Z",
                )
            })
            .collect();
        run(&mut s, vec![sized_page(request, &[], objects, true)]);
    }
    run(&mut s, vec![special(KeyCode::Esc)]);
    assert!(matches!(s.objects.load, Load::Stopped { .. }));
    assert_eq!(shown(&s).first().map(String::as_str), Some("k5-9"));
    assert_eq!(shown(&s).last().map(String::as_str), Some("k0-0"));
}

#[test]
fn reloading_with_a_filter_matches_each_row_once() {
    let mut s = state();
    let request = open_bup(&mut s);
    run(
        &mut s,
        vec![objects_page(request, &["a/"], &["ab", "b", "ca"], false)],
    );
    run(&mut s, vec![key('/'), key('a'), special(KeyCode::Enter)]);
    assert_eq!(shown(&s), ["a/", "ab", "ca"]);
    let effects = run(&mut s, vec![key('R')]);
    let request = list_request(&effects).expect("R lists again");
    run(
        &mut s,
        vec![objects_page(request, &["a/"], &["ab", "b", "ca"], false)],
    );
    assert_eq!(shown(&s), ["a/", "ab", "ca"]);
}

#[test]
fn copying_a_key_with_a_newline_copies_it_exactly_with_a_warning_or_escaped() {
    let mut s = state();
    let request = open_bup(&mut s);
    let hostile = "db\nrm -rf ~";
    run(
        &mut s,
        vec![objects_arrived(
            request,
            ObjectsPage {
                objects: vec![ObjectEntry {
                    key: Arc::from(hostile),
                    size: Some(1),
                    last_modified: None,
                    storage_class: None,
                }],
                prefixes: vec![],
                next_token: None,
            },
            false,
        )],
    );
    let effects = run(&mut s, vec![key('y'), key('k')]);
    assert_eq!(effects, vec![Effect::Clipboard(hostile.to_string())]);
    let status = s
        .status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(status.contains("paste with care"), "{status}");
    let effects = run(&mut s, vec![key('y'), key('e')]);
    assert_eq!(
        effects,
        vec![Effect::Clipboard("\"db\\x0arm -rf ~\"".to_string())]
    );
}

#[test]
fn escape_stops_bucket_details_and_the_checks_before_a_write_but_never_a_write() {
    let mut s = state();
    let effects = s.start(StartAt::default());
    let [Effect::ListBuckets { request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let effects = run(&mut s, vec![buckets_arrived(*request, &["a", "b"])]);
    let details: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::LoadBucketDetails { request, .. } => Some(*request),
            _ => None,
        })
        .collect();
    assert_eq!(details.len(), 2);
    let effects = run(&mut s, vec![special(KeyCode::Esc)]);
    assert_eq!(
        effects,
        details
            .iter()
            .copied()
            .map(Effect::Cancel)
            .collect::<Vec<_>>()
    );
    // A late answer does not bring back a stopped row's spinner.
    run(
        &mut s,
        vec![Action::BucketDetails {
            bucket: "a".into(),
            result: Ok(lockwatch_core::domain::BucketDetails {
                versioning: lockwatch_core::domain::Versioning::Enabled,
                lock: lockwatch_core::domain::BucketLock::Disabled,
            }),
        }],
    );
    assert!(matches!(
        s.buckets.details("a"),
        Some(lockwatch_core::app::Detail::Stopped)
    ));

    // `i` reads the bucket; Esc stops it, and a late answer opens nothing.
    let effects = run(&mut s, vec![key('i')]);
    let [Effect::LoadBucketInfo { request, bucket }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let (request, bucket) = (*request, bucket.clone());
    assert_eq!(
        run(&mut s, vec![special(KeyCode::Esc)]),
        vec![Effect::Cancel(request)]
    );
    run(
        &mut s,
        vec![Action::BucketInfo {
            request,
            bucket,
            result: Err(S3Error::Other("late".into())),
            posture: None,
        }],
    );
    assert!(s.popup.is_none());
    assert!(s.writes.is_empty());
}

#[test]
fn a_message_expires_and_an_error_waits_for_the_next_key() {
    let mut s = state();
    let t = |x: &str| -> Timestamp { x.parse().expect("time") };
    s.info("Cancelled.");
    update(&mut s, Action::Tick, t("2026-11-27T12:00:00Z"));
    update(&mut s, Action::Tick, t("2026-11-27T12:00:07Z"));
    assert!(s.status.is_some(), "still there after 7 s");
    update(&mut s, Action::Tick, t("2026-11-27T12:00:08Z"));
    assert!(s.status.is_none(), "gone after 8 s");

    s.error("Refused.");
    update(&mut s, Action::Tick, t("2026-11-27T12:00:00Z"));
    update(&mut s, Action::Tick, t("2026-11-27T13:00:00Z"));
    assert!(s.status.is_some(), "an error waits for the user");
    run(&mut s, vec![key('j')]);
    assert!(s.status.is_none(), "the next key clears it");
}

#[test]
fn a_refused_bucket_creation_reopens_the_form_as_it_was_and_explains_the_constraint() {
    let mut s = state();
    let effects = s.start(StartAt::default());
    let [Effect::ListBuckets { request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    run(&mut s, vec![buckets_arrived(*request, &[])]);
    run(&mut s, vec![key('c')]);
    let Some(Popup::BucketForm(f)) = &s.popup else {
        panic!("the create form")
    };
    assert_eq!(
        f.form.value("LocationConstraint"),
        "",
        "not the connection's region"
    );
    let mut keys: Vec<Action> = "bup".chars().map(key).collect();
    keys.push(special(KeyCode::Tab));
    keys.extend("RegionOne".chars().map(key));
    keys.push(special(KeyCode::Enter));
    keys.push(key('y'));
    let effects = run(&mut s, keys);
    let [Effect::ApplyBucket { request, asked }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    run(
        &mut s,
        vec![Action::BucketApplied {
            request: *request,
            asked: asked.clone(),
            result: Err(S3Error::Service {
                code: "InvalidLocationConstraint".into(),
                message: "The specified location-constraint is not valid".into(),
                status: Some(400),
            }),
        }],
    );
    let Some(Popup::BucketForm(f)) = &s.popup else {
        panic!("the form again, got {:?}", s.popup)
    };
    assert_eq!(f.form.value("Name"), "bup");
    assert_eq!(f.form.value("LocationConstraint"), "RegionOne");
    assert!(
        f.refused
            .as_deref()
            .is_some_and(|r| r.contains("not a Keystone region")),
        "{:?}",
        f.refused
    );
    let status = s
        .status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(status.contains("zonegroup"), "{status}");
}

#[test]
fn a_bucket_that_already_exists_is_said_to_be_stopped_by_lockwatch_not_the_server() {
    let mut s = state();
    let effects = s.start(StartAt::default());
    let [Effect::ListBuckets { request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    run(&mut s, vec![buckets_arrived(*request, &[])]);
    let mut keys = vec![key('c')];
    keys.extend("bup".chars().map(key));
    keys.push(special(KeyCode::Enter));
    keys.push(key('y'));
    let effects = run(&mut s, keys);
    let [Effect::ApplyBucket { request, asked }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    run(
        &mut s,
        vec![Action::BucketApplied {
            request: *request,
            asked: asked.clone(),
            result: Err(S3Error::Changed(
                "bucket bup already exists and is yours, so nothing about it was changed".into(),
            )),
        }],
    );
    let Some(Popup::BucketForm(f)) = &s.popup else {
        panic!("the form again, got {:?}", s.popup)
    };
    let refused = f.refused.as_deref().unwrap_or_default();
    assert!(
        refused.starts_with("Not sent by lockwatch: bucket bup already exists"),
        "{refused}"
    );
    assert!(!refused.contains("server"), "{refused}");
}

#[test]
fn a_key_of_another_pane_says_where_it_works() {
    let mut s = state();
    open_bup(&mut s);
    // Back to the buckets pane, where `.` (show deleted objects) means nothing.
    s.focus = Pane::Buckets;
    let effects = run(&mut s, vec![key('.')]);
    assert!(effects.is_empty());
    let status = s
        .status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(
        status.starts_with(". works in the objects pane:"),
        "{status}"
    );
}

#[test]
fn bucket_details_refused_still_show_every_posture_part() {
    use lockwatch_core::domain::posture::{Answer, Posture, Summary};
    let mut s = state();
    let effects = s.start(StartAt::default());
    let [Effect::ListBuckets { request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    run(&mut s, vec![buckets_arrived(*request, &["audit"])]);
    let effects = run(&mut s, vec![key('i')]);
    let Some(Effect::LoadBucketInfo { request, bucket }) = effects.first() else {
        panic!("{effects:?}")
    };
    fn denied<T>() -> Answer<T> {
        Answer::Denied("AccessDenied".into())
    }
    let posture = Posture {
        versioning: denied(),
        lock: denied(),
        lifecycle: denied(),
        policy: denied(),
        policy_public: denied(),
        replication: denied(),
        encryption: Answer::NoneConfigured,
    };
    run(
        &mut s,
        vec![Action::BucketInfo {
            request: *request,
            bucket: bucket.clone(),
            result: Err(S3Error::Service {
                code: "AccessDenied".into(),
                message: "versioning".into(),
                status: Some(403),
            }),
            posture: Some(Summary::of(&posture)),
        }],
    );
    let Some(lockwatch_core::app::Popup::Message { lines, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    let joined = text.join("\n");
    assert!(joined.contains("AccessDenied"), "{joined}");
    for part in [
        "Versioning",
        "Object Lock",
        "Lifecycle",
        "Bucket policy",
        "Policy status",
        "Replication",
        "Default encryption",
        "Recovery window",
    ] {
        assert!(joined.contains(part), "{part} missing:\n{joined}");
    }
}

#[test]
fn a_bucket_without_risks_says_so_in_i() {
    use lockwatch_core::domain::posture::Summary;
    let mut s = state();
    let effects = s.start(StartAt::default());
    let [Effect::ListBuckets { request }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    run(&mut s, vec![buckets_arrived(*request, &["vault"])]);
    let effects = run(&mut s, vec![key('i')]);
    let Some(Effect::LoadBucketInfo { request, bucket }) = effects.first() else {
        panic!("{effects:?}")
    };
    let calm = Summary {
        lines: vec![("Versioning".into(), "Enabled".into())],
        recovery_window: "at least 30 days".into(),
        at_least_days: Some(30),
        reasons: vec![],
        risks: vec![],
    };
    run(
        &mut s,
        vec![Action::BucketInfo {
            request: *request,
            bucket: bucket.clone(),
            result: Err(S3Error::Network("details timed out".into())),
            posture: Some(calm),
        }],
    );
    let Some(lockwatch_core::app::Popup::Message { lines, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(
        text.contains(&"Risks: none found in what the server reported"),
        "an absent section reads as not checked:\n{}",
        text.join("\n")
    );
}

/// The help at 80×24: `G` reaches the last row and says so, the bottom border marks more below
/// until then, `g` returns, and `/` keeps only the keys that match.
#[test]
fn help_scrolls_to_its_end_marks_more_below_and_finds_a_key() {
    let mut s = crate::app_state(80, 24);
    run(&mut s, vec![key('?')]);
    let first = drawn(&s, 80, 24);
    assert!(first.contains("more below"), "{first}");
    assert!(first.contains("lines 1–20 of"), "{first}");
    run(&mut s, vec![key('G')]);
    let end = drawn(&s, 80, 24);
    assert!(!end.contains("more below"), "{end}");
    assert!(end.contains("Times are UTC."), "the last row shows:\n{end}");
    // Up from the end moves at once (the scroll was kept within the rows).
    run(&mut s, vec![key('k')]);
    let up = drawn(&s, 80, 24);
    assert!(up.contains("more below"), "{up}");
    run(&mut s, vec![key('g')]);
    assert_eq!(drawn(&s, 80, 24), first);
    // `/restore`: only the bindings that speak of restoring, with their sections.
    let mut typing = vec![key('/')];
    typing.extend("restore".chars().map(key));
    run(&mut s, typing);
    let found = drawn(&s, 80, 24);
    assert!(found.contains("/restore▏"), "{found}");
    assert!(found.contains("[restore]"), "{found}");
    assert!(found.contains("[restore_by_copy]"), "{found}");
    assert!(!found.contains("[quit]"), "{found}");
    assert!(!found.contains("more below"), "{found}");
    // Enter keeps the filter; Esc shows all again; a second Esc closes.
    run(&mut s, vec![special(KeyCode::Enter)]);
    assert!(drawn(&s, 80, 24).contains("Keys whose name, command or description"));
    run(&mut s, vec![special(KeyCode::Esc)]);
    assert_eq!(drawn(&s, 80, 24), first);
    run(&mut s, vec![special(KeyCode::Esc)]);
    assert!(s.popup.is_none());
    // Nothing matches: said, not an empty box.
    let mut typing = vec![key('?'), key('/')];
    typing.extend("zzqx".chars().map(key));
    run(&mut s, typing);
    assert!(drawn(&s, 80, 24).contains("No key matches \"zzqx\""));
}

/// `:` goes to a place typed as on the command line, from any pane, with or without s3://.
#[test]
fn colon_goes_to_a_bucket_and_folder() {
    let mut s = state();
    let effects = s.start(StartAt::default());
    let Effect::ListBuckets { request } = effects[0] else {
        panic!("start lists buckets")
    };
    run(&mut s, vec![buckets_arrived(request, &["a", "bup", "c"])]);
    let mut typing = vec![key(':')];
    typing.extend("s3://bup/db/2026".chars().map(key));
    let shown = {
        run(&mut s, typing);
        drawn(&s, 120, 35)
    };
    assert!(shown.contains(":s3://bup/db/2026▏"), "{shown}");
    let effects = run(&mut s, vec![special(KeyCode::Enter)]);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListLevel { bucket, prefix, .. }
            if bucket == "bup" && prefix == "db/2026/")),
        "{effects:?}"
    );
    assert_eq!(s.focus, Pane::Objects);
    assert_eq!(
        s.buckets.selected().map(|r| r.bucket.name.as_str()),
        Some("bup")
    );
    // Without the scheme, and a bucket's root.
    let mut typing = vec![key(':')];
    typing.extend("c".chars().map(key));
    typing.push(special(KeyCode::Enter));
    let effects = run(&mut s, typing);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::ListLevel { bucket, prefix, .. }
            if bucket == "c" && prefix.is_empty())),
        "{effects:?}"
    );
    assert_eq!(
        s.buckets.selected().map(|r| r.bucket.name.as_str()),
        Some("c")
    );
    // Nonsense is said and changes nothing; Esc sends nothing.
    let mut typing = vec![key(':')];
    typing.extend("s3:///x".chars().map(key));
    typing.push(special(KeyCode::Enter));
    assert!(run(&mut s, typing).is_empty());
    assert!(
        s.status
            .as_ref()
            .is_some_and(|m| m.text.starts_with("Cannot go there")),
        "{:?}",
        s.status
    );
    assert!(run(&mut s, vec![key(':'), key('x'), special(KeyCode::Esc)]).is_empty());
    assert!(s.input.is_none());
}

/// With deleted objects shown, each folder on screen is asked whether it still holds a current
/// object; one holding deleted files only is marked as a deleted key is. As of a time, a
/// folder that held no key then says so. Probes of a level left are cancelled.
#[test]
fn folders_of_deleted_files_and_folders_of_later_files_are_marked() {
    use lockwatch_core::app::FolderProbe;
    let mut s = state();
    open_bup(&mut s);
    let effects = run(&mut s, vec![key('.')]);
    let request = list_request(&effects).expect("listed again with versions");
    let page = VersionsPage {
        versions: vec![version("kept.txt", "v1", "2026-11-20T10:00:00Z", true)],
        markers: vec![],
        prefixes: vec!["db/".into(), "logs/".into()],
        next: None,
        altered_keys: false,
    };
    let effects = run(&mut s, vec![versions_arrived(request, page.clone(), false)]);
    let probes: Vec<(RequestId, String, Option<Timestamp>)> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ProbeFolder {
                request,
                prefix,
                at,
                ..
            } => Some((*request, prefix.clone(), *at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        probes
            .iter()
            .map(|p| (p.1.as_str(), p.2))
            .collect::<Vec<_>>(),
        [("db/", None), ("logs/", None)],
        "{effects:?}"
    );
    // Asked once: the next key asks nothing again.
    let again = run(&mut s, vec![key('j')]);
    assert!(
        !again
            .iter()
            .any(|e| matches!(e, Effect::ProbeFolder { .. })),
        "{again:?}"
    );
    run(
        &mut s,
        vec![
            Action::FolderProbed {
                request: probes[0].0,
                prefix: "db/".into(),
                result: Ok(true),
            },
            Action::FolderProbed {
                request: probes[1].0,
                prefix: "logs/".into(),
                result: Ok(false),
            },
        ],
    );
    let screen = drawn(&s, 120, 35);
    let logs = screen.lines().find(|l| l.contains("logs/")).expect("logs/");
    assert!(
        logs.contains("× logs/") && logs.contains("all deleted"),
        "{screen}"
    );
    let db = screen.lines().find(|l| l.contains("db/")).expect("db/");
    assert!(!db.contains('×') && db.contains("folder"), "{screen}");

    // The view as of a time asks whether each folder held a key then; a probe still out for
    // the level left is cancelled.
    let effects = run(&mut s, vec![key('.')]);
    let request = list_request(&effects).expect("listed again");
    run(
        &mut s,
        vec![objects_arrived(
            request,
            ObjectsPage {
                objects: vec![],
                prefixes: vec!["db/".into()],
                next_token: None,
            },
            false,
        )],
    );
    assert!(
        s.objects.folders.is_empty(),
        "nothing asked without versions"
    );
    run(&mut s, vec![key('t')]);
    let mut typed: Vec<Action> = "2026-11-20 10:00".chars().map(key).collect();
    typed.push(special(KeyCode::Enter));
    let effects = run(&mut s, typed);
    let request = list_request(&effects).expect("listed as of then");
    let effects = run(&mut s, vec![versions_arrived(request, page, true)]);
    let at: Timestamp = "2026-11-20T10:00:00Z".parse().expect("time");
    let asked: Vec<RequestId> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::ProbeFolder {
                request, at: when, ..
            } if *when == Some(at) => Some(*request),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 2, "{effects:?}");
    run(
        &mut s,
        vec![Action::FolderProbed {
            request: asked[1],
            prefix: "logs/".into(),
            result: Ok(false),
        }],
    );
    let screen = drawn(&s, 120, 35);
    let logs = screen.lines().find(|l| l.contains("logs/")).expect("logs/");
    assert!(
        logs.contains("none then") && !logs.contains('×'),
        "{screen}"
    );
    assert_eq!(
        s.objects.folders.get("db/"),
        Some(&FolderProbe::Asking(asked[0]))
    );
    // Back to now: the level is replaced and db/'s probe is cancelled.
    run(&mut s, vec![key('t')]);
    let clear = Key {
        code: KeyCode::Char('u'),
        ctrl: true,
        alt: false,
    };
    let effects = run(&mut s, vec![Action::Key(clear), special(KeyCode::Enter)]);
    let request = list_request(&effects).expect("listed now");
    let effects = run(
        &mut s,
        vec![objects_arrived(
            request,
            ObjectsPage {
                objects: vec![],
                prefixes: vec!["db/".into()],
                next_token: None,
            },
            false,
        )],
    );
    assert!(effects.contains(&Effect::Cancel(asked[0])), "{effects:?}");
}

/// Paging fast through many folders never has more than 32 probes out; answers make room.
#[test]
fn folder_probes_out_at_once_are_bounded() {
    let mut s = state();
    open_bup(&mut s);
    let effects = run(&mut s, vec![key('.')]);
    let request = list_request(&effects).expect("listed again with versions");
    let page = VersionsPage {
        versions: vec![],
        markers: vec![],
        prefixes: (0..500).map(|i| format!("f{i:03}/")).collect(),
        next: None,
        altered_keys: false,
    };
    let probes = |effects: &[Effect]| -> Vec<(RequestId, String)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::ProbeFolder {
                    request, prefix, ..
                } => Some((*request, prefix.clone())),
                _ => None,
            })
            .collect()
    };
    let mut out = probes(&run(&mut s, vec![versions_arrived(request, page, false)]));
    for _ in 0..30 {
        out.extend(probes(&run(&mut s, vec![special(KeyCode::PageDown)])));
    }
    assert_eq!(out.len(), 32, "at most 32 out: {}", out.len());
    // Answered, they make room for the folders now on screen.
    let answers = out
        .iter()
        .map(|(request, prefix)| Action::FolderProbed {
            request: *request,
            prefix: prefix.clone(),
            result: Ok(true),
        })
        .collect();
    let more = probes(&run(&mut s, answers));
    assert!(!more.is_empty(), "the folders on screen are asked");
    assert!(
        more.iter().all(|(_, p)| p.as_str() > "f100/"),
        "those on screen now: {more:?}"
    );
}
