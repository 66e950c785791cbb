//! `lockwatch undelete` against SeaweedFS and Ceph RGW: a thousand deleted keys planned, shown
//! as a dry run (nothing sent), confirmed and brought back; what it leaves alone and why; the
//! incident time with keys overwritten since; a key that changes between plan and run.

use crate::support;

use lockwatch::domain::location::S3Location;
use lockwatch::domain::undelete::KeyAction;
use lockwatch::s3::{PutOptions, S3};
use std::sync::atomic::AtomicBool;
use support::weed::weed;

/// Runs `f` over `items`, 32 at a time.
async fn each<T: Sync, F: std::future::Future<Output = ()>>(items: &[T], f: impl Fn(&T) -> F) {
    for chunk in items.chunks(32) {
        futures::future::join_all(chunk.iter().map(&f)).await;
    }
}

struct Shape {
    deleted: Vec<String>,
    live: Vec<String>,
    only_markers: Vec<String>,
}

/// A versioned bucket with `deleted` keys hidden by a delete marker, a few live keys, and a
/// few keys that are nothing but a delete marker.
async fn deleted_bucket(s3: &S3, tag: &str, deleted: usize) -> (String, Shape) {
    let bucket = support::unique_bucket(tag);
    s3.create_bucket(&bucket, None, false)
        .unrecorded()
        .await
        .expect("create");
    s3.enable_versioning(&bucket)
        .unrecorded()
        .await
        .expect("versioning");
    let shape = Shape {
        deleted: (0..deleted)
            .map(|i| format!("data/file-{i:05}.bin"))
            .collect(),
        live: (0..20).map(|i| format!("data/live-{i:02}.bin")).collect(),
        only_markers: (0..5).map(|i| format!("data/never-{i}.bin")).collect(),
    };
    // Fixture writes: SeaweedFS under the whole suite's load now and then answers 500
    // InternalError; the key is read back and the write sent again only if it did not happen
    // (as a test fixture may; lockwatch itself never resends a write).
    let put = |key: &String| {
        let (s3, bucket, key) = (s3.clone(), bucket.clone(), key.clone());
        async move {
            for attempt in 1..=3 {
                let sent = s3
                    .put_bytes(
                        &bucket,
                        &key,
                        format!("{key} v1").into_bytes(),
                        &PutOptions::default(),
                    )
                    .unrecorded()
                    .await;
                match sent {
                    Ok(_) => return,
                    Err(e) if e.outcome_unknown() && attempt < 3 => {
                        let history = s3.key_history(&bucket, &key).await.unwrap_or_default();
                        if history.iter().any(|h| !h.is_delete_marker()) {
                            return;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    Err(e) => panic!("upload {key}: {e}"),
                }
            }
        }
    };
    let delete = |key: &String| {
        let (s3, bucket, key) = (s3.clone(), bucket.clone(), key.clone());
        async move {
            for attempt in 1..=3 {
                match s3.delete_object(&bucket, &key).unrecorded().await {
                    Ok(_) => return,
                    Err(e) if e.outcome_unknown() && attempt < 3 => {
                        let history = s3.key_history(&bucket, &key).await.unwrap_or_default();
                        if history.first().is_some_and(|h| h.is_delete_marker()) {
                            return;
                        }
                        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                    }
                    Err(e) => panic!("delete {key}: {e}"),
                }
            }
        }
    };
    each(&shape.deleted, put).await;
    each(&shape.live, put).await;
    each(&shape.deleted, delete).await;
    each(&shape.only_markers, delete).await;
    (bucket, shape)
}

/// Current objects and (versions, markers) under the bucket.
async fn census(s3: &S3, bucket: &str) -> (usize, usize, usize) {
    let mut current = 0;
    let mut pager = lockwatch::s3::ObjectPager::new(s3, bucket, "", None);
    while let Some(page) = pager.next_page().await {
        current += page.expect("list objects").objects.len();
    }
    let (mut versions, mut markers) = (0, 0);
    let mut pager = lockwatch::s3::VersionPager::new(s3, bucket, "", None);
    while let Some(page) = pager.next_page().await {
        let page = page.expect("list versions");
        versions += page.versions.len();
        markers += page.markers.len();
    }
    (current, versions, markers)
}

fn lockwatch(endpoint: &str, args: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().expect("home");
    lockwatch_in(home.path(), endpoint, args)
}

fn lockwatch_in(home: &std::path::Path, endpoint: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .envs(support::binary_env(endpoint, home))
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run lockwatch")
}

#[derive(serde::Deserialize)]
struct Line {
    phase: String,
    key: String,
    action: String,
    reason: Option<String>,
    outcome: Option<String>,
}

/// The plan and outcome lines of `undelete --json`; a run's last line, its `result`, is
/// checked against the outcomes.
fn lines(out: &std::process::Output) -> Vec<Line> {
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<&str> = text.lines().collect();
    let result = lines
        .last()
        .and_then(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["phase"] == "result");
    if result.is_some() {
        lines.pop();
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    let outcomes = |word: &str| {
        lines
            .iter()
            .filter(|l| l.outcome.as_deref() == Some(word))
            .count()
    };
    for l in &lines {
        assert_eq!(l.phase == "outcome", l.outcome.is_some(), "{}", l.key);
    }
    if let Some(result) = result {
        for word in ["done", "skipped", "failed"] {
            assert_eq!(result[word], outcomes(word), "{word} in {result}");
        }
    } else {
        assert_eq!(
            outcomes("done") + outcomes("skipped") + outcomes("failed"),
            0
        );
    }
    lines
}

fn count(lines: &[Line], f: impl Fn(&Line) -> bool) -> usize {
    lines.iter().filter(|l| f(l)).count()
}

fn a_thousand_deleted_keys_come_back(endpoint: &str, tag: &str) {
    let rt = support::runtime();
    let (bucket, shape) = rt.block_on(async {
        let s3 = support::client(endpoint).await;
        deleted_bucket(&s3, tag, 1000).await
    });
    let before = rt.block_on(async { census(&support::client(endpoint).await, &bucket).await });
    assert_eq!(before, (20, 1020, 1005), "the bucket as written");
    let location = format!("s3://{bucket}/data/");

    // The dry run: the plan for every key, and nothing sent.
    let out = lockwatch(endpoint, &["undelete", &location, "--dry-run", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan = lines(&out);
    assert_eq!(plan.len(), 1025, "every key is in the plan");
    assert_eq!(count(&plan, |l| l.action == "remove-markers"), 1000);
    assert_eq!(
        count(&plan, |l| l.reason.as_deref() == Some("not-deleted")),
        20
    );
    assert_eq!(
        count(&plan, |l| l.reason.as_deref() == Some("nothing-beneath")),
        5
    );
    assert!(plan.iter().all(|l| l.outcome.is_none()));
    assert!(shape.deleted.iter().all(|k| {
        plan.iter()
            .any(|l| &l.key == k && l.action == "remove-markers")
    }));
    let after_dry_run =
        rt.block_on(async { census(&support::client(endpoint).await, &bucket).await });
    assert_eq!(after_dry_run, before, "a dry run sends nothing");

    // Without a terminal to ask on, and without --yes: refused before anything is sent.
    let out = lockwatch(endpoint, &["undelete", &location]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("pass --yes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Confirmed: every deleted key is back, only delete markers were removed.
    let home = tempfile::tempdir().expect("home");
    let out = lockwatch_in(
        home.path(),
        endpoint,
        &["undelete", &location, "--yes", "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1000 done, 0 skipped, 0 failed"),
        "{stderr}"
    );
    let report = lines(&out);
    let outcomes: Vec<&Line> = report.iter().filter(|l| l.outcome.is_some()).collect();
    assert_eq!(outcomes.len(), 1000);
    assert!(
        outcomes
            .iter()
            .all(|l| l.outcome.as_deref() == Some("done"))
    );
    // Every key acted on is in the audit trail.
    let audit = std::fs::read_to_string(home.path().join(".local/share/lockwatch/audit.jsonl"))
        .expect("the audit trail");
    assert_eq!(
        audit
            .lines()
            .filter(|l| l.contains("\"bulk-undelete\"") && l.contains("\"ok\""))
            .count(),
        1000
    );
    let after = rt.block_on(async { census(&support::client(endpoint).await, &bucket).await });
    assert_eq!(
        after,
        (1020, 1020, 5),
        "all back; no version removed; the marker-only keys untouched"
    );
}

#[test]
fn a_thousand_deleted_keys_come_back_on_seaweedfs() {
    a_thousand_deleted_keys_come_back(&weed().endpoint, "undel");
}

#[test]
fn a_thousand_deleted_keys_come_back_on_ceph() {
    a_thousand_deleted_keys_come_back(&support::ceph::ceph().endpoint, "undelceph");
}

#[test]
fn after_the_incident_time_overwritten_keys_are_copied_back_and_older_deletes_kept() {
    let endpoint = weed().endpoint.clone();
    let rt = support::runtime();
    let (bucket, incident) = rt.block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::unique_bucket("incident");
        s3.create_bucket(&bucket, None, false)
            .unrecorded()
            .await
            .expect("create");
        s3.enable_versioning(&bucket)
            .unrecorded()
            .await
            .expect("versioning");
        let put = |key: &'static str, body: &'static str| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.put_bytes(&bucket, key, body.into(), &PutOptions::default())
                    .unrecorded()
                    .await
                    .unwrap_or_else(|e| panic!("upload {key}: {e}"));
            }
        };
        put("deleted-before.txt", "old").await;
        put("deleted-after.txt", "good").await;
        put("encrypted.txt", "good").await;
        put("encrypted-then-deleted.txt", "good").await;
        s3.delete_object(&bucket, "deleted-before.txt")
            .unrecorded()
            .await
            .expect("delete");
        // SeaweedFS keeps times to the second: the incident is a clear second after.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let incident = jiff::Timestamp::now();
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        s3.delete_object(&bucket, "deleted-after.txt")
            .unrecorded()
            .await
            .expect("delete");
        put("encrypted.txt", "ENCRYPTED").await;
        put("encrypted-then-deleted.txt", "ENCRYPTED").await;
        s3.delete_object(&bucket, "encrypted-then-deleted.txt")
            .unrecorded()
            .await
            .expect("delete");
        put("created-after.txt", "new").await;
        (bucket, incident)
    });
    let location = format!("s3://{bucket}/");
    let after = incident.to_string();
    let out = lockwatch(
        &endpoint,
        &["undelete", &location, "--after", &after, "--yes", "--json"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report = lines(&out);
    let action = |key: &str| -> (String, Option<String>, Option<String>) {
        let l = report
            .iter()
            .rev()
            .find(|l| l.key == key)
            .unwrap_or_else(|| panic!("{key} missing from the report"));
        (l.action.clone(), l.reason.clone(), l.outcome.clone())
    };
    assert_eq!(
        action("deleted-before.txt"),
        ("leave".into(), Some("deleted-before".into()), None)
    );
    assert_eq!(
        action("created-after.txt"),
        ("leave".into(), Some("created-after".into()), None)
    );
    assert_eq!(
        action("deleted-after.txt"),
        ("remove-markers".into(), None, Some("done".into()))
    );
    assert_eq!(
        action("encrypted.txt"),
        ("copy-back".into(), None, Some("done".into()))
    );
    assert_eq!(
        action("encrypted-then-deleted.txt"),
        ("copy-back".into(), None, Some("done".into()))
    );
    rt.block_on(async {
        let s3 = support::client(&endpoint).await;
        for key in [
            "deleted-after.txt",
            "encrypted.txt",
            "encrypted-then-deleted.txt",
        ] {
            let body = s3
                .get_bytes(&bucket, key, None)
                .await
                .unwrap_or_else(|e| panic!("read {key}: {e}"));
            assert_eq!(
                body, b"good",
                "{key} holds what it held before the incident"
            );
        }
        let history = s3
            .key_history(&bucket, "encrypted-then-deleted.txt")
            .await
            .expect("history");
        assert_eq!(
            history.iter().filter(|e| e.is_delete_marker()).count(),
            1,
            "copying back removes nothing: {history:?}"
        );
        assert!(
            s3.key_history(&bucket, "deleted-before.txt")
                .await
                .expect("history")[0]
                .is_delete_marker(),
            "deleted before the incident: still deleted"
        );
    });
}

#[test]
fn a_key_that_changes_after_the_plan_is_skipped_not_overwritten() {
    let endpoint = weed().endpoint.clone();
    support::runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let (bucket, shape) = deleted_bucket(&s3, "changed", 3).await;
        let location = S3Location {
            bucket: bucket.clone(),
            prefix: "data/".into(),
        };
        let (plans, _) = lockwatch::work::undelete::plan(&s3, &location, None, |_| {})
            .await
            .expect("plan");
        let acting = plans.iter().filter(|p| p.acts()).count();
        assert_eq!(acting, 3);
        assert!(
            plans
                .iter()
                .all(|p| !p.acts() || matches!(p.action, KeyAction::RemoveMarkers { .. }))
        );
        // Someone writes a new version of one key after the plan was made.
        let changed = &shape.deleted[1];
        s3.put_bytes(&bucket, changed, b"newer".to_vec(), &PutOptions::default())
            .unrecorded()
            .await
            .expect("upload");
        let mut outcomes = Vec::new();
        let (trail, _) = support::trail("undelete-trail");
        let tally = lockwatch::work::undelete::execute(
            &s3,
            &trail,
            &bucket,
            &plans,
            &AtomicBool::new(false),
            |plan, outcome| outcomes.push((plan.key.to_string(), outcome.clone())),
        )
        .await;
        assert_eq!((tally.done, tally.skipped, tally.failed), (2, 1, 0));
        let (_, outcome) = outcomes
            .iter()
            .find(|(k, _)| k == changed)
            .expect("the changed key is reported");
        match outcome {
            lockwatch::work::undelete::KeyOutcome::Skipped(why) => {
                assert!(why.contains("changed since the plan"), "{why}")
            }
            other => panic!("{other:?}"),
        }
        let body = s3.get_bytes(&bucket, changed, None).await.expect("read");
        assert_eq!(body, b"newer", "the newer version stays current");
        let history = s3.key_history(&bucket, changed).await.expect("history");
        assert_eq!(
            history.iter().filter(|e| e.is_delete_marker()).count(),
            1,
            "its old marker was not removed"
        );
    });
}

#[test]
fn on_a_terminal_the_plan_is_carried_out_only_when_typed_back() {
    let endpoint = weed().endpoint.clone();
    let bucket = support::runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        deleted_bucket(&s3, "typed", 3).await.0
    });
    let location = format!("s3://{bucket}/data/");
    let mut app = support::pty::Session::start(&endpoint, &["undelete", &location], 160, 40);
    app.wait_text("Type 'undelete 3'");
    app.send("yes\r");
    app.wait_text("Not confirmed: nothing was sent.");
    assert_eq!(
        app.wait_exit(std::time::Duration::from_secs(5)),
        Some(false)
    );
    let still = support::runtime()
        .block_on(async { census(&support::client(&endpoint).await, &bucket).await });
    assert_eq!(still.0, 20, "nothing restored: {still:?}");

    let mut app = support::pty::Session::start(&endpoint, &["undelete", &location], 160, 40);
    app.wait_text("restore 3 keys by removing 3 delete markers");
    app.wait_text("Type 'undelete 3'");
    app.send("undelete 3\r");
    let screen = app.wait_text("3 done, 0 skipped, 0 failed");
    // Each result line starts with its outcome, never with a left-over progress counter.
    let results: Vec<&str> = screen
        .lines()
        .filter(|l| l.contains("data/"))
        .filter(|l| l.contains("removed"))
        .collect();
    assert_eq!(results.len(), 3, "{screen}");
    assert!(
        results.iter().all(|l| l.starts_with("done ")),
        "a result line carries the progress counter:\n{screen}"
    );
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));
    let now = support::runtime()
        .block_on(async { census(&support::client(&endpoint).await, &bucket).await });
    assert_eq!(now.0, 23, "the three are back: {now:?}");
}

#[test]
fn in_the_ui_marked_keys_are_planned_confirmed_and_back() {
    let endpoint = weed().endpoint.clone();
    let bucket = support::runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        deleted_bucket(&s3, "uibulk", 5).await.0
    });
    let mut app =
        support::pty::Session::start(&endpoint, &[&format!("s3://{bucket}/data/")], 160, 40);
    app.wait_text("live-00.bin");
    app.send(".");
    app.wait_text("× file-00004.bin");
    // Mark the first three deleted files (the reload kept live-00.bin selected).
    app.send("g");
    app.send(" ");
    app.send(" ");
    app.send(" ");
    app.wait_text("3 marked");
    app.send("U");
    app.wait_text("Undelete 3 keys");
    app.send("\r");
    let plan = app.wait_text("restore 3 keys by removing 3 delete markers");
    assert!(plan.contains("DRY RUN"), "{plan}");
    let before = support::runtime()
        .block_on(async { census(&support::client(&endpoint).await, &bucket).await });
    assert_eq!(before.0, 20, "the plan sent nothing");
    app.send("y");
    app.wait_text("3 done, 0 skipped, 0 failed");
    app.send("\u{1b}");
    app.wait_for(
        "the level reloaded",
        std::time::Duration::from_secs(20),
        |s| {
            s.contains("file-00000.bin")
                && !s.contains("× file-00000.bin")
                && s.contains("× file-00003.bin")
        },
    );
    let after = support::runtime()
        .block_on(async { census(&support::client(&endpoint).await, &bucket).await });
    assert_eq!(after, (23, 25, 7), "three markers removed, nothing else");
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));
}

#[test]
fn as_it_was_at_a_time_listed_shown_and_brought_back() {
    let endpoint = weed().endpoint.clone();
    let rt = support::runtime();
    let (bucket, incident) = rt.block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::unique_bucket("asof");
        s3.create_bucket(&bucket, None, false)
            .unrecorded()
            .await
            .expect("create");
        s3.enable_versioning(&bucket)
            .unrecorded()
            .await
            .expect("versioning");
        let put = |key: &'static str, body: &'static str| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.put_bytes(&bucket, key, body.into(), &PutOptions::default())
                    .unrecorded()
                    .await
                    .unwrap_or_else(|e| panic!("upload {key}: {e}"));
            }
        };
        put("kept.txt", "kept").await;
        put("overwritten.txt", "original").await;
        put("deleted.txt", "was here").await;
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let incident = jiff::Timestamp::now();
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        put("overwritten.txt", "ENCRYPTED!").await;
        s3.delete_object(&bucket, "deleted.txt")
            .unrecorded()
            .await
            .expect("delete");
        put("new.txt", "new").await;
        (bucket, incident)
    });
    let at = incident.to_string();

    // ls --at: the keys and versions of then.
    let out = lockwatch(
        &endpoint,
        &["ls", "--json", "--at", &at, &format!("s3://{bucket}/")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<(String, u64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
            (
                v["key"].as_str().expect("key").to_string(),
                v["size"].as_u64().expect("size"),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("deleted.txt".to_string(), 8),
            ("kept.txt".to_string(), 4),
            ("overwritten.txt".to_string(), 8)
        ]
    );

    // The UI as of then, then everything in it brought back.
    let mut app = support::pty::Session::start(&endpoint, &[&format!("s3://{bucket}/")], 160, 40);
    app.wait_text("new.txt");
    app.send("t");
    app.wait_text("Point in time");
    app.send(&lockwatch::domain::format::timestamp(incident));
    app.send("\r");
    let screen = app.wait_for(
        "the view of then",
        std::time::Duration::from_secs(20),
        |s| s.contains("AS OF") && s.contains("overwritten.txt") && !s.contains("loading"),
    );
    assert!(!screen.contains("new.txt"), "created later: {screen}");
    assert!(!screen.contains("× deleted.txt"), "present then: {screen}");
    assert!(screen.contains("8 B"), "the original size: {screen}");
    app.send("*");
    app.send("U");
    app.wait_text("restore 1 key by removing 1 delete marker");
    app.wait_text("copy back 1 key overwritten since");
    app.send("y");
    app.wait_text("2 done, 0 skipped, 0 failed");
    app.send("q");
    app.send("q");
    rt.block_on(async {
        let s3 = support::client(&endpoint).await;
        for (key, body) in [
            ("overwritten.txt", &b"original"[..]),
            ("deleted.txt", &b"was here"[..]),
            ("kept.txt", &b"kept"[..]),
            ("new.txt", &b"new"[..]),
        ] {
            let got = s3.get_bytes(&bucket, key, None).await.expect("read");
            assert_eq!(got, body, "{key}");
        }
    });
}

#[test]
fn a_copy_back_whose_source_has_no_etag_is_not_sent() {
    support::runtime().block_on(async {
        // Nothing listens there: had a request gone out, the outcome would say so.
        let s3 = support::client("http://127.0.0.1:9").await;
        let entry = |id: &str, etag: Option<&str>| lockwatch::domain::HistoryEntry {
            key: "k".into(),
            version_id: id.into(),
            kind: lockwatch::domain::EntryKind::Version {
                size: Some(1),
                etag: etag.map(str::to_string),
                storage_class: None,
            },
            is_latest: false,
            last_modified: None,
            owner: None,
        };
        let plan = lockwatch::domain::undelete::KeyPlan {
            key: "k".into(),
            action: KeyAction::CopyBack {
                source: entry("old", None),
                latest: entry("new", Some("e")),
            },
        };
        let (trail, trail_path) = support::trail("unguarded-copy");
        match lockwatch::work::undelete::carry_out(&s3, &trail, "b", &plan).await {
            lockwatch::work::undelete::KeyOutcome::Failed(why) => {
                assert!(why.contains("could not be guarded"), "{why}");
                assert!(
                    !trail_path.exists(),
                    "nothing was sent, so nothing is in the trail"
                );
            }
            other => panic!("{other:?}"),
        }
    });
}
