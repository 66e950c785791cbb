//! Render snapshots of each pane and popup on ratatui's TestBackend, at a fixed `now`.

use jiff::Timestamp;
use lockwatch_core::app::{Action, AppState, Effect, LevelPage, StartAt, update};
use lockwatch_core::domain::error::S3Error;
use lockwatch_core::domain::pages::VersionsPage;
use lockwatch_core::domain::{
    Bucket, BucketDetails, BucketLock, EntryKind, HistoryEntry, LegalHold, LockInfo, RetainUntil,
    RetentionMode, RetentionPeriod, VersionRef, Versioning,
};
use lockwatch_core::keys::{Key, KeyCode};
use lockwatch_core::ui::{Theme, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

fn now() -> Timestamp {
    "2026-11-26T12:00:00Z".parse().expect("time")
}

fn at(s: &str) -> Option<Timestamp> {
    Some(s.parse().expect("time"))
}

fn state(width: u16, height: u16) -> AppState {
    crate::app_state(width, height)
}

fn apply(s: &mut AppState, actions: Vec<Action>) -> Vec<Effect> {
    actions
        .into_iter()
        .flat_map(|a| update(s, a, now()))
        .collect()
}

fn draw(s: &AppState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => panic!("test backend: {e}"),
    };
    if let Err(e) = terminal.draw(|f| render(s, now(), &Theme::default(), f)) {
        panic!("draw: {e}");
    }
    terminal
}

fn entry(key: &str, id: &str, time: &str, latest: bool, marker: bool) -> HistoryEntry {
    HistoryEntry {
        key: Arc::from(key),
        version_id: id.into(),
        kind: if marker {
            EntryKind::DeleteMarker
        } else {
            EntryKind::Version {
                size: Some(49_983),
                etag: Some("8a6487c7872a9b825c8f2d4533067c6d".into()),
                storage_class: Some("STANDARD".into()),
            }
        },
        is_latest: latest,
        last_modified: at(time),
        owner: None,
    }
}

/// The guide's bucket, with deleted objects shown and tux.svg's versions open.
fn guide_state(width: u16, height: u16) -> AppState {
    let mut s = state(width, height);
    let effects = s.start(StartAt::default());
    let Effect::ListBuckets { request } = effects[0] else {
        panic!("ListBuckets")
    };
    let details = |versioning, lock| Action::BucketDetails {
        bucket: String::new(),
        result: Ok(BucketDetails { versioning, lock }),
    };
    let mut actions = vec![Action::BucketsLoaded {
        request,
        result: Ok(["bup", "bup-governance", "scratch"]
            .iter()
            .map(|n| Bucket {
                name: n.to_string(),
                created: at("2024-04-10T10:28:18Z"),
            })
            .collect()),
    }];
    for (name, action) in [
        (
            "bup",
            details(
                Versioning::Enabled,
                BucketLock::Enabled {
                    default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
                },
            ),
        ),
        (
            "bup-governance",
            details(
                Versioning::Enabled,
                BucketLock::Enabled {
                    default_retention: Some((RetentionMode::Governance, RetentionPeriod::Days(7))),
                },
            ),
        ),
        ("scratch", details(Versioning::Never, BucketLock::Disabled)),
    ] {
        let Action::BucketDetails { result, .. } = action else {
            unreachable!()
        };
        actions.push(Action::BucketDetails {
            bucket: name.into(),
            result,
        });
    }
    apply(&mut s, actions);
    apply(&mut s, vec![Action::Key(Key::plain(KeyCode::Enter))]);
    let effects = apply(&mut s, vec![Action::Key(Key::char('.'))]);
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListLevel { request, .. } => Some(*request),
            _ => None,
        })
        .expect("relist");
    apply(
        &mut s,
        vec![Action::LevelPage {
            request,
            result: Ok(LevelPage::Versions(VersionsPage {
                versions: vec![
                    entry("etc/backup.conf", "c1", "2026-11-20T10:00:00Z", true, false),
                    entry(
                        "tux.svg",
                        "-IrCCqAYQt5ySttlBnI6VEw2jpw6f2.",
                        "2026-11-25T10:31:11Z",
                        false,
                        false,
                    ),
                ],
                markers: vec![entry(
                    "tux.svg",
                    "mc-Yai46SHaLrf4xqeJGgT1.3ry6bUZ",
                    "2026-11-26T08:25:42Z",
                    true,
                    true,
                )],
                prefixes: vec!["db/".into(), "logs/".into()],
                next: None,
                altered_keys: false,
            })),
            more: false,
        }],
    );
    apply(&mut s, vec![Action::Key(Key::char('G'))]);
    let effects = apply(&mut s, vec![Action::Key(Key::plain(KeyCode::Enter))]);
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListVersions { request, .. } => Some(*request),
            _ => None,
        })
        .expect("versions");
    let versions = vec![
        entry(
            "tux.svg",
            "-IrCCqAYQt5ySttlBnI6VEw2jpw6f2.",
            "2026-11-25T10:31:11Z",
            false,
            false,
        ),
        entry(
            "tux.svg",
            "older-governance",
            "2026-11-24T10:00:00Z",
            false,
            false,
        ),
        entry(
            "tux.svg",
            "held-version",
            "2026-11-23T10:00:00Z",
            false,
            false,
        ),
        entry(
            "tux.svg",
            "expired-version",
            "2026-11-01T10:00:00Z",
            false,
            false,
        ),
        entry(
            "tux.svg",
            "refused-head",
            "2026-10-01T10:00:00Z",
            false,
            false,
        ),
    ];
    apply(
        &mut s,
        vec![Action::VersionsPage {
            request,
            result: Ok(VersionsPage {
                versions,
                markers: vec![entry(
                    "tux.svg",
                    "mc-Yai46SHaLrf4xqeJGgT1.3ry6bUZ",
                    "2026-11-26T08:25:42Z",
                    true,
                    true,
                )],
                prefixes: vec![],
                next: None,
                altered_keys: false,
            }),
            more: false,
        }],
    );
    let lock = |id: &str, result: Result<LockInfo, S3Error>| Action::LockLoaded {
        version: VersionRef {
            bucket: "bup".into(),
            key: Arc::from("tux.svg"),
            version_id: id.into(),
        },
        result,
    };
    apply(
        &mut s,
        vec![
            lock(
                "-IrCCqAYQt5ySttlBnI6VEw2jpw6f2.",
                Ok(LockInfo {
                    mode: Some(RetentionMode::Compliance),
                    retain_until: at("2026-11-27T10:31:11Z").map(RetainUntil::at),
                    legal_hold: LegalHold::Off,
                }),
            ),
            lock(
                "older-governance",
                Ok(LockInfo {
                    mode: Some(RetentionMode::Governance),
                    retain_until: at("2026-12-01T10:00:00Z").map(RetainUntil::at),
                    legal_hold: LegalHold::Off,
                }),
            ),
            lock(
                "held-version",
                Ok(LockInfo {
                    mode: None,
                    retain_until: None,
                    legal_hold: LegalHold::On,
                }),
            ),
            lock(
                "expired-version",
                Ok(LockInfo {
                    mode: Some(RetentionMode::Compliance),
                    retain_until: at("2026-11-26T11:59:59Z").map(RetainUntil::at),
                    legal_hold: LegalHold::Off,
                }),
            ),
            lock(
                "refused-head",
                Err(S3Error::Service {
                    code: "AccessDenied".into(),
                    message: "Access Denied".into(),
                    status: Some(403),
                }),
            ),
        ],
    );
    s
}

#[test]
fn guide_bucket_with_versions_and_every_lock_state() {
    let s = guide_state(120, 35);
    insta::assert_snapshot!(draw(&s, 120, 35).backend());
}

#[test]
fn the_owner_column_shows_where_there_is_room_and_goes_first_when_narrow() {
    // As in the backup guide's listing: a display name and an empty id.
    let guide_owner = Arc::new(lockwatch_core::domain::Owner {
        id: String::new(),
        display_name: Some("5002424".into()),
    });
    let wide = |width: u16| {
        let mut s = guide_state(width, 35);
        for e in &mut s.versions.entries {
            e.owner = Some(guide_owner.clone());
        }
        draw(&s, width, 35).backend().to_string()
    };
    let screen = wide(170);
    assert!(screen.contains("Owner"), "{screen}");
    assert_eq!(
        screen.matches("5002424").count(),
        6,
        "one per row: {screen}"
    );
    let narrow = wide(120);
    assert!(!narrow.contains("5002424"), "{narrow}");
    assert!(narrow.contains("Countdown"), "{narrow}");
}

#[test]
fn countdown_moves_with_now_and_expires_without_a_refresh() {
    let s = guide_state(120, 35);
    let text_at = |t: &str| {
        let mut terminal = Terminal::new(TestBackend::new(120, 35)).expect("backend");
        terminal
            .draw(|f| render(&s, t.parse().expect("time"), &Theme::default(), f))
            .expect("draw");
        terminal.backend().to_string()
    };
    assert!(text_at("2026-11-26T12:00:00Z").contains("22h 31m 11s left"));
    assert!(text_at("2026-11-27T10:30:11Z").contains("1m 00s left"));
    let after = text_at("2026-11-27T10:31:11Z");
    assert!(!after.contains("1m 00s left"));
    assert_eq!(after.matches("expired — deletable").count(), 2, "{after}");
}

#[test]
fn restore_confirmation() {
    let mut s = guide_state(120, 35);
    let effects = apply(&mut s, vec![Action::Key(Key::char('r'))]);
    let Some(Effect::PlanRestore {
        request,
        bucket,
        key,
    }) = effects.first().cloned()
    else {
        panic!("PlanRestore, got {effects:?}")
    };
    let history = s.versions.entries.clone();
    apply(
        &mut s,
        vec![Action::RestorePlanned {
            request,
            bucket,
            key,
            result: Ok(history),
        }],
    );
    insta::assert_snapshot!(draw(&s, 120, 35).backend());
}

#[test]
fn help_lists_the_keymap() {
    let mut s = guide_state(120, 35);
    apply(&mut s, vec![Action::Key(Key::char('?'))]);
    let screen = draw(&s, 120, 35).backend().to_string();
    // A long command name ([restore_by_copy]) never runs into its description.
    for line in screen.lines() {
        assert!(
            !line.contains("][")
                && !line
                    .chars()
                    .zip(line.chars().skip(1))
                    .any(|(a, b)| a == ']' && b.is_alphabetic()),
            "{line}"
        );
    }
    insta::assert_snapshot!(draw(&s, 120, 35).backend());
}

#[test]
fn narrow_terminal_shows_the_focused_pane_alone() {
    let s = guide_state(60, 20);
    insta::assert_snapshot!(draw(&s, 60, 20).backend());
}

#[test]
fn hostile_key_names_are_drawn_escaped() {
    let mut s = state(160, 20);
    let effects = s.start(StartAt {
        bucket: Some("bup".into()),
        prefix: String::new(),
    });
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListLevel { request, .. } => Some(*request),
            _ => None,
        })
        .expect("listing");
    apply(
        &mut s,
        vec![Action::LevelPage {
            request,
            result: Ok(LevelPage::Objects(
                lockwatch_core::domain::pages::ObjectsPage {
                    objects: [
                        "evil\u{1b}]0;owned\u{7}.txt",
                        "gpj\u{202e}.exe",
                        "tab\there",
                        "report.pdf ",
                        "report.pdf",
                    ]
                    .iter()
                    .map(|k| lockwatch_core::domain::ObjectEntry {
                        key: Arc::from(*k),
                        size: Some(1),
                        last_modified: None,
                        storage_class: None,
                    })
                    .collect(),
                    prefixes: vec![],
                    next_token: None,
                },
            )),
            more: false,
        }],
    );
    let screen = draw(&s, 160, 20).backend().to_string();
    assert!(
        screen.contains("\"evil\\x1b]0;owned\\x07.txt\""),
        "{screen}"
    );
    assert!(screen.contains("\"gpj\\u{202e}.exe\""), "{screen}");
    assert!(screen.contains("\"tab\\x09here\""), "{screen}");
    // A trailing space is shown, so the two keys do not look the same.
    assert!(screen.contains("\"report.pdf \""), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
}

#[test]
fn no_terminal_size_panics() {
    for width in [0u16, 1, 2, 5, 10, 20, 39, 40, 79, 80, 200] {
        for height in [0u16, 1, 2, 3, 5, 12, 15, 16, 24, 60] {
            let mut s2 = guide_state(width.max(1), height.max(1));
            apply(&mut s2, vec![Action::Resize { width, height }]);
            let terminal = draw(&s2, width.max(1), height.max(1));
            assert_eq!(terminal.backend().buffer().area.width, width.max(1));
        }
    }
}

#[test]
fn at_40_by_12_the_countdown_stays_visible() {
    let s = guide_state(40, 12);
    let screen = draw(&s, 40, 12).backend().to_string();
    // The Lock column does not fit: the countdown cell names the mode first.
    assert!(screen.contains("COMPLIANCE 22h 31m 11s"), "{screen}");
    assert!(screen.contains("GOVERNANCE 4d 22h"), "{screen}");
}

#[test]
fn at_80_by_24_every_pane_is_drawn_and_help_and_quit_stay_on_the_status_line() {
    let mut s = guide_state(80, 24);
    let screen = draw(&s, 80, 24).backend().to_string();
    let last = screen.lines().last().unwrap_or_default();
    assert!(
        last.contains("Showing deleted objects") && last.contains("? help"),
        "help beside the last message: {last}"
    );
    s.status = None;
    let screen = draw(&s, 80, 24).backend().to_string();
    for pane in ["Buckets", "Objects", "Versions"] {
        assert!(screen.contains(pane), "{pane} missing:\n{screen}");
    }
    let last = screen.lines().last().unwrap_or_default();
    assert!(last.contains("? help · q quit"), "{last}");
    // Narrower still, the essential hints are the ones kept.
    let mut s = guide_state(40, 12);
    s.status = None;
    let last = draw(&s, 40, 12)
        .backend()
        .to_string()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert!(last.contains("? help · q quit"), "{last}");
}

#[test]
fn a_narrow_title_keeps_loading_and_filter_and_the_end_of_a_deep_location() {
    let (width, height) = (80, 24);
    let mut s = state(width, height);
    let effects = s.start(StartAt {
        bucket: Some("backup-bucket-of-the-accounting-department".into()),
        prefix: "servers/db-primary/postgres/base/2026/11/".into(),
    });
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::ListLevel { request, .. } => Some(*request),
            _ => None,
        })
        .expect("the level is listed");
    let objects = (0..1000)
        .map(|i| lockwatch_core::domain::ObjectEntry {
            key: Arc::from(format!(
                "servers/db-primary/postgres/base/2026/11/wal-{i:04}"
            )),
            size: Some(16),
            last_modified: at("2026-11-01T00:00:00Z"),
            storage_class: None,
        })
        .collect();
    apply(
        &mut s,
        vec![Action::LevelPage {
            request,
            result: Ok(LevelPage::Objects(
                lockwatch_core::domain::pages::ObjectsPage {
                    objects,
                    prefixes: Vec::new(),
                    next_token: Some("more".into()),
                },
            )),
            more: true,
        }],
    );
    s.objects.set_filter(Some("wal-00".into()), 10);
    // The top line says where the user is and what is loading.
    s.connection.read_only = true;
    s.screen = ratatui::layout::Rect::new(0, 0, 200, height);
    let top = draw(&s, 200, height)
        .backend()
        .to_string()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    for part in [
        "s3://backup-bucket-of-the-accounting-department/servers/db-primary/postgres/base/2026/11/",
        "READ-ONLY",
        "⟳ loading buckets, objects",
    ] {
        assert!(top.contains(part), "{part:?} missing from {top:?}");
    }
    s.connection.read_only = false;
    let mut title = |width: u16| -> String {
        s.screen = ratatui::layout::Rect::new(0, 0, width, height);
        let screen = draw(&s, width, height).backend().to_string();
        screen
            .lines()
            .find(|l| l.contains("Objects"))
            .expect("the objects pane's title")
            .to_string()
    };
    // Wide: everything, in full.
    let wide = title(260);
    for part in [
        "s3://backup-bucket-of-the-accounting-department/servers/db-primary/postgres/base/2026/11/",
        "loading… 1 pages, 1000 rows",
        "filter \"wal-00\": 100 of 1000",
    ] {
        assert!(wide.contains(part), "{part:?} missing from {wide:?}");
    }
    // Narrower: the location keeps its end; the counts stay.
    let middle = title(180);
    assert!(middle.contains("…"), "{middle:?}");
    assert!(
        middle.contains("/2026/11/ 1000 objects loading… 1 pages"),
        "{middle:?}"
    );
    // Narrower still: the location keeps 24 cells, then loading and the filter say it briefly.
    let brief = title(120);
    assert!(brief.contains("…"), "{brief:?}");
    assert!(
        brief.contains("/2026/11/ loading… 1000 /wal-00 100/1000"),
        "{brief:?}"
    );
    // At 80 columns the objects pane is 44 wide: loading and the filter, said briefly.
    let narrow = title(80);
    for part in ["loading… 1000", "/wal-00 100/1000"] {
        assert!(narrow.contains(part), "{part:?} missing from {narrow:?}");
    }
}

/// The guide's bucket with the COMPLIANCE version also under a legal hold, the GOVERNANCE one
/// kept "forever", and one version whose mode and hold lockwatch cannot read.
fn hostile_lock_state(width: u16, height: u16) -> AppState {
    let mut s = guide_state(width, height);
    let lock = |id: &str, info: LockInfo| Action::LockLoaded {
        version: VersionRef {
            bucket: "bup".into(),
            key: Arc::from("tux.svg"),
            version_id: id.into(),
        },
        result: Ok(info),
    };
    apply(
        &mut s,
        vec![
            lock(
                "-IrCCqAYQt5ySttlBnI6VEw2jpw6f2.",
                LockInfo {
                    mode: Some(RetentionMode::Compliance),
                    retain_until: at("2026-11-27T10:31:11Z").map(RetainUntil::at),
                    legal_hold: LegalHold::On,
                },
            ),
            lock(
                "older-governance",
                LockInfo {
                    mode: Some(RetentionMode::Governance),
                    // 9999-12-31T23:59:59Z: past the calendar lockwatch computes with.
                    retain_until: Some(RetainUntil::from_unix(253_402_300_799, 0)),
                    legal_hold: LegalHold::Off,
                },
            ),
            lock(
                "held-version",
                LockInfo {
                    mode: Some(RetentionMode::parse("FOO")),
                    retain_until: at("2026-12-01T00:00:00Z").map(RetainUntil::at),
                    legal_hold: LegalHold::parse("MAYBE"),
                },
            ),
        ],
    );
    s
}

#[test]
fn at_every_width_a_rows_protection_stays_in_text() {
    for (width, height) in [(120, 35), (100, 30), (80, 24), (60, 20), (40, 12)] {
        let s = hostile_lock_state(width, height);
        let screen = draw(&s, width, height).backend().to_string();
        let row = |needle: &str| -> String {
            screen
                .lines()
                .find(|l| l.contains("│version ") && l.contains(needle))
                .unwrap_or_else(|| panic!("{width}x{height}: no version with {needle:?}\n{screen}"))
                .to_string()
        };
        let held = row("COMPLIANCE");
        assert!(
            held.contains("HOLD"),
            "{width}x{height}: the hold is not shown beside COMPLIANCE: {held}\n{screen}"
        );
        let forever = row("GOVERNANCE");
        assert!(
            forever.contains("9999-12-31"),
            "{width}x{height}: the far-future date is not shown as sent: {forever}\n{screen}"
        );
        assert!(!forever.contains("expired"), "{forever}");
        let unknown = row("unknown");
        assert!(
            !unknown.contains("no lock") && !unknown.contains("deletable"),
            "{width}x{height}: {unknown}"
        );
    }
}

#[test]
fn a_message_taller_than_the_screen_scrolls_and_says_which_lines_show() {
    use lockwatch_core::app::{DialogLine, Popup};
    let mut s = guide_state(80, 20);
    s.popup = Some(Popup::Message {
        title: "Bucket bup".into(),
        lines: (1..=40)
            .map(|i| DialogLine::plain(format!("line number {i}")))
            .collect(),
        error: false,
    });
    let screen = draw(&s, 80, 20).backend().to_string();
    assert!(screen.contains("line number 1 "), "{screen}");
    assert!(screen.contains("lines 1–18 of 42"), "{screen}");
    apply(&mut s, vec![Action::Key(Key::char('j')); 30]);
    let screen = draw(&s, 80, 20).backend().to_string();
    assert!(
        screen.contains("line number 40"),
        "the end is reachable: {screen}"
    );
    assert!(!screen.contains("line number 1 "), "{screen}");
    apply(
        &mut s,
        vec![Action::Key(Key {
            code: KeyCode::Esc,
            ctrl: false,
            alt: false,
        })],
    );
    assert!(s.popup.is_none());
    assert_eq!(s.message_scroll, 0, "the next message starts at its top");
}

#[test]
fn the_delete_dialog_says_what_the_bypass_changes_and_offers_it_only_for_governance() {
    let key = |c: char| Action::Key(Key::char(c));
    let tab = Action::Key(Key {
        code: KeyCode::Tab,
        ctrl: false,
        alt: false,
    });
    // The GOVERNANCE version: refused without the bypass, deleted with it if allowed.
    let mut s = guide_state(120, 35);
    apply(&mut s, vec![key('j'), key('j'), key('D')]);
    let screen = draw(&s, 120, 35).backend().to_string();
    assert!(
        screen.contains("Without the bypass the server is expected"),
        "{screen}"
    );
    assert!(
        screen.contains("Tab: send x-amz-bypass-governance-retention"),
        "{screen}"
    );
    apply(&mut s, vec![tab]);
    let screen = draw(&s, 120, 35).backend().to_string();
    assert!(
        screen.contains("With the bypass the server deletes it if"),
        "{screen}"
    );
    // The COMPLIANCE version: refused whatever is sent; no bypass is offered.
    let mut s = guide_state(120, 35);
    apply(&mut s, vec![key('j'), key('D')]);
    let screen = draw(&s, 120, 35).backend().to_string();
    assert!(
        screen.contains("The server is expected to refuse"),
        "{screen}"
    );
    assert!(!screen.contains("Tab: send"), "{screen}");
}

#[test]
fn releasing_the_only_protection_says_the_version_becomes_deletable_at_once() {
    let key = |c: char| Action::Key(Key::char(c));
    // held-version: a legal hold and no retention.
    let mut s = guide_state(120, 35);
    apply(&mut s, vec![key('j'), key('j'), key('j'), key('H')]);
    let screen = draw(&s, 120, 35).backend().to_string();
    assert!(screen.contains("Release legal hold"), "{screen}");
    assert!(
        screen.contains("It has no retention: once the hold is released"),
        "{screen}"
    );
    // The COMPLIANCE version in force: placing a hold warns of nothing.
    let mut s = guide_state(120, 35);
    apply(&mut s, vec![key('j'), key('H')]);
    let screen = draw(&s, 120, 35).backend().to_string();
    assert!(screen.contains("Place legal hold"), "{screen}");
    assert!(!screen.contains("at once"), "{screen}");
}

#[test]
fn removing_or_weakening_the_default_retention_warns_before_it_is_sent() {
    let special = |code: KeyCode| {
        Action::Key(Key {
            code,
            ctrl: false,
            alt: false,
        })
    };
    let review = |keys: Vec<Action>| {
        let mut s = guide_state(120, 35);
        // From the versions pane to the buckets pane, where `bup` (COMPLIANCE 1 day) is.
        apply(&mut s, vec![special(KeyCode::Tab)]);
        apply(&mut s, vec![Action::Key(Key::char('L'))]);
        apply(&mut s, keys);
        apply(&mut s, vec![special(KeyCode::Enter)]);
        draw(&s, 120, 35).backend().to_string()
    };
    let none = review(vec![special(KeyCode::Left)]);
    assert!(none.contains("New backups will be unprotected"), "{none}");
    let governance = review(vec![special(KeyCode::Right)]);
    assert!(governance.contains("Weaker than now"), "{governance}");
    let same = review(vec![]);
    assert!(!same.contains("unprotected"), "{same}");
    assert!(!same.contains("Weaker"), "{same}");
}

#[test]
fn a_failed_listing_leaves_no_lock_cell_saying_loading() {
    // The versions pane lists again (after a write) and the listing fails: a version whose lock
    // was not read reads "unknown" with why, never "…" (loading) forever.
    let mut s = guide_state(120, 35);
    let request = s.versions.load.request();
    let pages = match s.versions.load {
        lockwatch_core::app::Load::Complete { pages } => pages,
        ref other => panic!("the guide's versions are listed: {other:?} {request:?}"),
    };
    // No lock was read before the listing failed.
    s.locks.clear();
    s.versions.load = lockwatch_core::app::Load::Failed {
        error: S3Error::Network("connection reset".into()),
        pages,
    };
    let screen = draw(&s, 120, 35).backend().to_string();
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains("│version ")).collect();
    assert!(!rows.is_empty(), "{screen}");
    assert!(
        rows.iter().all(|r| r.contains("unknown")),
        "a lock cell still says loading:\n{screen}"
    );
    assert!(
        rows.iter().any(|r| r.contains("no answer")),
        "the reason is named:\n{screen}"
    );
}

#[test]
fn a_long_status_message_is_cut_with_a_mark_help_stays_and_m_shows_it_whole() {
    let mut s = state(80, 24);
    let long = format!(
        "Cannot list s3://bup/: {} (the end of this message matters)",
        "the server answered with something long ".repeat(4)
    );
    s.error(long.clone());
    let screen = draw(&s, 80, 24).backend().to_string();
    let status = screen.lines().nth(23).expect("the status line").to_string();
    assert!(status.contains('…'), "cut without a mark: {status}");
    assert!(
        status.contains("m whole") && status.contains("? help"),
        "{status}"
    );
    // `m` shows the message whole, with the time it was said (stamped by the update it was
    // said in; here the next one).
    apply(&mut s, vec![Action::Tick, Action::Key(Key::char('m'))]);
    let Some(lockwatch_core::app::Popup::Message { lines, .. }) = &s.popup else {
        panic!("{:?}", s.popup)
    };
    assert!(
        lines[0].text.ends_with(&long) && lines[0].text.starts_with(|c: char| c.is_ascii_digit()),
        "{:?}",
        lines[0]
    );
}

#[test]
fn the_top_line_cuts_the_endpoint_with_a_mark_and_keeps_the_key_whole() {
    let mut s = state(80, 24);
    s.connection.endpoint = "http://127.0.0.1:33735 (built-in sandbox, in memory)".into();
    s.connection.actor.owner_id = Some("lockwatch-sandbox".into());
    let screen = draw(&s, 80, 24).backend().to_string();
    let top = screen.lines().next().expect("the top line").to_string();
    assert!(top.contains("****************262d"), "the key: {top}");
    assert!(top.contains('…'), "the endpoint is cut with a mark: {top}");
    assert!(top.contains("us-east-1"), "{top}");
    // With room, everything, the server's name for the key included.
    let screen = draw(&s, 160, 24).backend().to_string();
    let top = screen.lines().next().expect("the top line").to_string();
    assert!(
        top.contains("in memory) · us-east-1 · ****************262d (lockwatch-sandbox)"),
        "{top}"
    );
}

#[test]
fn the_report_at_80_columns_wraps_its_values_and_marks_every_cut() {
    use lockwatch_core::app::{Popup, ReportStage, ReportView};
    let mut s = state(80, 24);
    let markdown = "# Object Lock coverage of s3://bup/\n\n| | |\n|---|---|\n\
| Taken at | 2026-12-07 05:02:44 UTC by the server's clock, which is in step with this machine's |\n\
| Taken by | lockwatch-sandbox (key ****************dbox; local ops@backup-1) |\n\n\
| held key | version | last modified (UTC) |\n|---|---|---|\n\
| `evidence/incident-2026-11.tar` | `808475f02ee3736300000011-and-a-long-tail` | 2026-12-07 05:03:36 |\n";
    s.popup = Some(Popup::Report(Box::new(ReportView {
        request: lockwatch_core::app::RequestId(1),
        location: "s3://bup/".into(),
        stage: ReportStage::Done {
            markdown: markdown.into(),
            file_name: "lockwatch-report-bup-20261207T050244Z.md".into(),
            scroll: 0,
            hscroll: 0,
            saved: None,
        },
    })));
    let screen = draw(&s, 80, 24).backend().to_string();
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    // Values wrap under their column: nothing of them is lost.
    assert!(flat.contains("by the server's"), "{screen}");
    assert!(
        screen.contains("          with this machine's"),
        "continued under the value: {screen}"
    );
    assert!(
        flat.contains("****************dbox;"),
        "the key whole: {screen}"
    );
    // The wide table is cut at the edge with a mark (h/l scrolls it).
    let row = screen
        .lines()
        .find(|l| l.contains("evidence/incident-2026-11.tar"))
        .expect("the held version's row");
    assert!(row.contains('…'), "cut without a mark: {row}");
    // The keys stay whole below a long file name.
    assert!(flat.contains("h/l: sideways Esc: close"), "{screen}");
}

#[test]
fn a_popup_wraps_a_long_value_under_its_value_column() {
    use lockwatch_core::app::{DialogLine, Popup};
    let mut s = state(80, 24);
    s.popup = Some(Popup::Message {
        title: "Bucket bup".into(),
        lines: vec![
            DialogLine::plain(format!(
                "{:<20}  {}",
                "Policy status",
                "not supported by this server (NotImplemented: GetBucketPolicyStatus is not implemented yet)"
            )),
            DialogLine::plain(
                "  because versioning is enabled: a delete or an overwrite keeps the data as a noncurrent version",
            ),
        ],
        error: false,
    });
    let screen = draw(&s, 80, 24).backend().to_string();
    let lines: Vec<&str> = screen.lines().collect();
    let at = |needle: &str| -> (usize, usize) {
        lines
            .iter()
            .enumerate()
            .find_map(|(n, l)| l.find(needle).map(|i| (n, l[..i].chars().count())))
            .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{screen}"))
    };
    let (row, value_column) = at("not supported");
    let (next, continued) = at("GetBucketPolicyStatus");
    assert_eq!(next, row + 1, "{screen}");
    assert_eq!(
        continued, value_column,
        "continued under the value:\n{screen}"
    );
    let (row, because) = at("because versioning");
    let (next, rest) = at("as a noncurrent version");
    assert_eq!(next, row + 1, "{screen}");
    assert_eq!(
        rest,
        because + 2,
        "an indented line continues two cells in:\n{screen}"
    );
}

#[test]
fn at_80_columns_the_objects_title_keeps_its_counts_in_short_form() {
    let s = guide_state(80, 24);
    let screen = draw(&s, 80, 24).backend().to_string();
    let title = screen
        .lines()
        .find(|l| l.contains("Objects"))
        .expect("the objects pane's title")
        .to_string();
    assert!(
        title.contains(" rows") && title.contains('×'),
        "the counts, briefly: {title}"
    );
    // The date column is left out at 80 columns: a deleted row says when, in the size column.
    let deleted: jiff::Timestamp = "2026-11-26T08:25:42Z".parse().expect("time");
    let row = screen
        .lines()
        .find(|l| l.contains("× tux.svg"))
        .expect("the deleted row");
    let age = lockwatch_core::domain::format::age_short(now().duration_since(deleted));
    assert!(
        row.contains(&format!("del {age} ago")),
        "when it was deleted ({age}):\n{screen}"
    );
    // With room, said whole.
    let screen = draw(&s, 200, 40).backend().to_string();
    let title = screen
        .lines()
        .find(|l| l.contains("Objects"))
        .expect("the objects pane's title")
        .to_string();
    assert!(
        title.contains("deleted") && title.contains("folder"),
        "{title}"
    );
}

/// What a watcher says of a bucket, as the runtime hands it over.
fn alerts(
    bucket: &str,
    level: Option<lockwatch_core::domain::watch::Level>,
) -> lockwatch_core::domain::watch::Alerts {
    lockwatch_core::domain::watch::Alerts {
        bucket: bucket.into(),
        prefix: String::new(),
        level,
        now: Vec::new(),
        recent: Vec::new(),
        updated_at: "2026-11-26T12:00:00.000Z".into(),
    }
}

#[test]
fn a_bucket_its_watcher_alerts_on_is_marked_at_every_width() {
    use lockwatch_core::domain::watch::Level;
    for (width, height) in [(80, 24), (40, 12)] {
        let mut s = guide_state(width, height);
        apply(&mut s, vec![Action::Key(Key::plain(KeyCode::Tab))]);
        let before = draw(&s, width, height).backend().to_string();
        assert!(!before.contains('▲') && !before.contains('△'), "{before}");
        apply(
            &mut s,
            vec![Action::Watched(vec![
                alerts("bup", Some(Level::Critical)),
                alerts("bup-governance", Some(Level::Warning)),
                alerts("scratch", None),
            ])],
        );
        // The buckets pane, focused, shows every mark (alone at 40 columns).
        while s.focus != lockwatch_core::layout::Pane::Buckets {
            apply(&mut s, vec![Action::Key(Key::plain(KeyCode::Tab))]);
        }
        let screen = draw(&s, width, height).backend().to_string();
        assert!(screen.contains("▲ bup "), "{width}×{height}:\n{screen}");
        assert!(
            screen.contains("△ bup-governance"),
            "{width}×{height}:\n{screen}"
        );
        assert!(
            !screen.contains("▲ scratch") && !screen.contains("△ scratch"),
            "{screen}"
        );
    }
}

#[test]
fn a_versions_details_end_with_what_the_watcher_saw_of_its_key() {
    use lockwatch_core::domain::watch::{Event, Kind, Level};
    let mut s = guide_state(80, 24);
    let mut storm = alerts("bup", Some(Level::Critical));
    storm.recent.push(Event {
        event: Kind::DeletionStorm,
        level: Level::Critical,
        bucket: "bup".into(),
        prefix: String::new(),
        at: "2026-11-26T11:59:00.000Z".into(),
        summary: "deletion storm: 1200 delete markers in 300 s".into(),
        evidence: vec!["for example: tux.svg (1 delete marker)".into()],
        counts: None,
        keys: vec!["tux.svg".into()],
    });
    apply(&mut s, vec![Action::Watched(vec![storm])]);
    while s.focus != lockwatch_core::layout::Pane::Versions {
        apply(&mut s, vec![Action::Key(Key::plain(KeyCode::Tab))]);
    }
    // The version under the delete marker.
    apply(&mut s, vec![Action::Key(Key::char('j'))]);
    let effects = apply(&mut s, vec![Action::Key(Key::char('i'))]);
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadObjectInfo { request, .. } => Some(*request),
            _ => None,
        })
        .expect("the details asked for");
    apply(
        &mut s,
        vec![Action::ObjectInfo {
            request,
            bucket: "bup".into(),
            key: Arc::from("tux.svg"),
            result: Ok(lockwatch_core::domain::pages::ObjectDetails {
                version_id: Some("-IrCCqAYQt5ySttlBnI6VEw2jpw6f2.".into()),
                size: Some(3),
                etag: None,
                content_type: None,
                storage_class: None,
                last_modified: None,
                lock: Default::default(),
                metadata: Vec::new(),
            }),
        }],
    );
    let Some(lockwatch_core::app::Popup::Message { lines, .. }) = &s.popup else {
        panic!("no details: {:?}", s.popup)
    };
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    let at = text
        .iter()
        .position(|l| *l == "What the watcher saw of this key")
        .unwrap_or_else(|| panic!("{text:#?}"));
    assert!(text[at + 1].contains("deletion_storm: deletion storm: 1200 delete markers"));
    assert!(text[at + 2].contains("for example: tux.svg (1 delete marker)"));
}
