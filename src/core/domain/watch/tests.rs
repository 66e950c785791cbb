use super::posture::{Snapshot, advance, weakenings};
use super::scan::{Entry, compare};
use super::status::{Perf, Status, render};
use super::storm::{Counts, State, Thresholds};
use super::{Kind, Level, metrics};
use crate::domain::posture::{
    Answer, LifecycleRule, PolicySummary, Posture, RuleFilter, VersioningState,
};
use crate::domain::{BucketLock, RetentionMode, RetentionPeriod, Versioning};

fn posture(versioning: Versioning, retention: Option<(RetentionMode, RetentionPeriod)>) -> Posture {
    Posture {
        versioning: Answer::Configured(VersioningState {
            status: versioning,
            mfa_delete: Some(false),
        }),
        lock: Answer::Configured(BucketLock::Enabled {
            default_retention: retention,
        }),
        lifecycle: Answer::NoneConfigured,
        policy: Answer::NoneConfigured,
        policy_public: Answer::NoneConfigured,
        replication: Answer::NoneConfigured,
        encryption: Answer::NoneConfigured,
    }
}

fn strong() -> Posture {
    posture(
        Versioning::Enabled,
        Some((RetentionMode::Compliance, RetentionPeriod::Days(30))),
    )
}

fn kinds(baseline: &Posture, now: &Posture) -> Vec<Kind> {
    weakenings(&Snapshot::of(baseline), &Snapshot::of(now))
        .iter()
        .map(|f| f.kind)
        .collect()
}

#[test]
fn an_unchanged_posture_weakens_nothing_over_many_intervals() {
    let mut baseline = Snapshot::of(&strong());
    for _ in 0..50 {
        let now = Snapshot::of(&strong());
        assert!(weakenings(&baseline, &now).is_empty());
        baseline = advance(&baseline, &now);
    }
    assert_eq!(baseline, Snapshot::of(&strong()));
}

#[test]
fn each_weakening_of_the_lock_and_versioning_is_named() {
    let base = strong();
    let suspended = posture(
        Versioning::Suspended,
        Some((RetentionMode::Compliance, RetentionPeriod::Days(30))),
    );
    assert_eq!(kinds(&base, &suspended), [Kind::VersioningSuspended]);
    let removed = posture(Versioning::Enabled, None);
    assert_eq!(kinds(&base, &removed), [Kind::DefaultRetentionRemoved]);
    let shorter = posture(
        Versioning::Enabled,
        Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
    );
    let found = weakenings(&Snapshot::of(&base), &Snapshot::of(&shorter));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].kind, Kind::DefaultRetentionShortened);
    assert!(
        found[0].summary.contains("from 30 days to 1 day"),
        "{}",
        found[0].summary
    );
    let governance = posture(
        Versioning::Enabled,
        Some((RetentionMode::Governance, RetentionPeriod::Years(1))),
    );
    // Longer, but bypassable.
    assert_eq!(kinds(&base, &governance), [Kind::DefaultRetentionWeakened]);
    let longer = posture(
        Versioning::Enabled,
        Some((RetentionMode::Compliance, RetentionPeriod::Years(1))),
    );
    assert!(kinds(&base, &longer).is_empty());
}

#[test]
fn a_lifecycle_rule_says_what_the_recovery_window_went_from_and_to() {
    let base = posture(Versioning::Enabled, None);
    let mut now = base.clone();
    now.lifecycle = Answer::Configured(vec![LifecycleRule {
        id: Some("prune".into()),
        enabled: true,
        filter: RuleFilter::default(),
        expiration_days: None,
        expiration_date: None,
        expired_object_delete_marker: false,
        noncurrent_days: Some(3),
        newer_noncurrent_versions: None,
        abort_incomplete_days: None,
    }]);
    let found = weakenings(&Snapshot::of(&base), &Snapshot::of(&now));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, Kind::LifecycleExpiresVersions);
    assert_eq!(found[0].level, Level::Critical);
    assert!(
        found[0]
            .summary
            .contains("from unbounded (no rule removes versions) to 3 days"),
        "{}",
        found[0].summary
    );
    assert!(
        found[0].evidence[0].contains("rule prune"),
        "{:?}",
        found[0]
    );
}

#[test]
fn a_policy_granting_the_bypass_or_to_everyone_is_a_weakening() {
    let base = strong();
    let mut now = strong();
    now.policy = Answer::Configured(PolicySummary::parse(
        r#"{"Statement":[{"Sid":"open","Effect":"Allow","Principal":"*","Action":"s3:DeleteObjectVersion","Resource":"*"}]}"#,
    ));
    let found = weakenings(&Snapshot::of(&base), &Snapshot::of(&now));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].kind, Kind::PolicyGrantsDangerous);
    assert!(found[0].summary.contains("everyone"), "{:?}", found[0]);
    assert!(found[0].evidence[0].contains("statement open"), "{found:?}");
    // A harmless statement is not.
    let mut harmless = strong();
    harmless.policy = Answer::Configured(PolicySummary::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/b"},"Action":"s3:GetObject","Resource":"*"}]}"#,
    ));
    assert!(kinds(&base, &harmless).is_empty());
}

#[test]
fn replication_and_encryption_removed_are_warnings() {
    let mut base = strong();
    base.replication = Answer::Configured("to bup-copy".into());
    base.encryption = Answer::Configured("AES256".into());
    let found = weakenings(&Snapshot::of(&base), &Snapshot::of(&strong()));
    let got: Vec<(Kind, Level)> = found.iter().map(|f| (f.kind, f.level)).collect();
    assert_eq!(
        got,
        [
            (Kind::ReplicationRemoved, Level::Warning),
            (Kind::EncryptionRemoved, Level::Warning)
        ]
    );
}

#[test]
fn a_weakening_stays_until_restored_and_a_strengthening_becomes_the_baseline() {
    let base = Snapshot::of(&strong());
    let weak = Snapshot::of(&posture(
        Versioning::Enabled,
        Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
    ));
    let kept = advance(&base, &weak);
    assert_eq!(kept, base, "the weakened part keeps its baseline");
    assert_eq!(weakenings(&kept, &weak).len(), 1, "still alerted");
    assert!(weakenings(&kept, &base).is_empty(), "restored");
    // Longer: the new normal, and going back from it is a weakening.
    let longer = Snapshot::of(&posture(
        Versioning::Enabled,
        Some((RetentionMode::Compliance, RetentionPeriod::Days(90))),
    ));
    let raised = advance(&base, &longer);
    assert_eq!(raised, longer);
    assert_eq!(
        weakenings(&raised, &base)
            .iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>(),
        [Kind::DefaultRetentionShortened]
    );
}

#[test]
fn an_unreadable_part_is_never_compared_and_is_said() {
    let base = Snapshot::of(&strong());
    let mut denied = strong();
    denied.lock = Answer::Denied("AccessDenied".into());
    denied.versioning = Answer::Failed("timed out".into());
    let now = Snapshot::of(&denied);
    assert!(weakenings(&base, &now).is_empty());
    assert_eq!(now.unread.len(), 2, "{:?}", now.unread);
    assert!(now.unread[0].starts_with("GetBucketVersioning: could not be read"));
    assert!(now.unread[1].starts_with("GetObjectLockConfiguration: access denied"));
    // The baseline keeps what it knew.
    assert_eq!(advance(&base, &now).lock, base.lock);
}

fn counts(markers: u64) -> Counts {
    Counts {
        markers_created: markers,
        ..Counts::default()
    }
}

#[test]
fn a_storm_raises_one_alert_with_its_counts_and_one_end() {
    let thresholds = Thresholds::new(100, 10.0);
    let mut state = State::default();
    let mut found = Vec::new();
    for (i, n) in [0, 2, 1, 500, 800, 300, 0, 1].iter().enumerate() {
        if let Some(f) = state.observe(&thresholds, &counts(*n), &format!("t{i}"), 60, &[]) {
            found.push(f);
        }
    }
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].kind, Kind::DeletionStorm);
    assert_eq!(found[0].counts, Some(counts(500)));
    assert!(found[0].summary.contains("500 delete markers"), "{found:?}");
    assert_eq!(found[1].kind, Kind::StormEnded);
    assert_eq!(found[1].counts, Some(counts(1600)), "the storm's totals");
    assert!(found[1].summary.contains("since t3"), "{found:?}");
    assert!(state.active.is_none());
    // The storm did not enter the recent rate.
    assert_eq!(state.recent, [0, 2, 1, 0, 1]);
}

#[test]
fn the_relative_threshold_needs_history_and_a_floor() {
    let thresholds = Thresholds::new(1000, 10.0);
    let mut state = State::default();
    // No history yet: 20 is far under the absolute threshold.
    assert!(
        state
            .observe(&thresholds, &counts(20), "a", 60, &[])
            .is_none()
    );
    for _ in 0..3 {
        state.observe(&thresholds, &counts(5), "b", 60, &[]);
    }
    // Under the floor (100) though past 10 × the rate (8.75).
    assert!(
        state
            .observe(&thresholds, &counts(60), "c", 60, &[])
            .is_none()
    );
    let storm = state
        .observe(&thresholds, &counts(400), "d", 60, &["k1".into()])
        .expect("400 is past 10 × the recent rate (19)");
    assert!(
        storm.evidence[1].contains("times the recent rate"),
        "{storm:?}"
    );
    assert_eq!(storm.evidence[2], "for example: k1");
}

fn entry(id: &str, marker: bool, latest: bool) -> Entry {
    Entry {
        version_id: id.into(),
        marker,
        latest,
        modified: Some(1),
        lock: None,
    }
}

#[test]
fn a_keys_change_is_counted_by_what_happened() {
    let old = [entry("v2", false, true), entry("v1", false, false)];
    // Deleted: a marker on top.
    let deleted = [
        entry("m1", true, true),
        entry("v2", false, false),
        entry("v1", false, false),
    ];
    assert_eq!(compare(&old, &deleted), counts(1));
    // Overwritten, and the oldest version removed for good.
    let over = [entry("v3", false, true), entry("v2", false, false)];
    let c = compare(&old, &over);
    assert_eq!((c.overwrites, c.versions_deleted), (1, 1), "{c:?}");
    // Undeleted: the marker goes; a new version after a marker is not an overwrite.
    let c = compare(&deleted, &old);
    assert_eq!(c.markers_removed, 1);
    let c = compare(&deleted, &[entry("v9", false, true)]);
    assert_eq!((c.versions_created, c.overwrites), (1, 0), "{c:?}");
    // The null version written again keeps its id.
    let mut again = entry("null", false, true);
    again.modified = Some(2);
    let c = compare(&[entry("null", false, true)], &[again]);
    assert_eq!(c.overwrites, 1);
    assert_eq!(compare(&old, &old), Counts::default());
}

#[test]
fn the_status_line_follows_the_plugin_guidelines_and_cannot_be_forged() {
    let mut perf = Perf::new("markers created", 12.0, "");
    perf.crit = Some(100.0);
    let out = render(
        Status::Critical,
        "s3://bup/ev|il\nLOCKWATCH OK - fine",
        &["detail | x".into()],
        &[perf, Perf::new("window", 30.0, "")],
    );
    assert_eq!(
        out,
        "LOCKWATCH CRITICAL - s3://bup/ev¦il\\x0aLOCKWATCH OK - fine | 'markers created'=12;;100;0 window=30;;;0\ndetail ¦ x\n",
        "{out}"
    );
    assert_eq!(Status::Critical.code(), 2);
    assert_eq!(Status::Unknown.worst(Status::Warning), Status::Warning);
    assert_eq!(Status::Critical.worst(Status::Unknown), Status::Critical);
}

#[test]
fn metrics_escape_label_values() {
    let at = metrics::Location {
        bucket: "bup".into(),
        prefix: "a\"b\\c\nd".into(),
        up: true,
        window: Some(super::posture::Window::Unbounded),
        ..Default::default()
    };
    let text = metrics::render(&[at], 1.0, &[("malformed", 2)]);
    assert!(
        text.contains("lockwatch_up{bucket=\"bup\",prefix=\"a\\\"b\\\\c\\nd\"} 1\n"),
        "{text}"
    );
    assert!(text.contains(
        "lockwatch_recovery_window_seconds{bucket=\"bup\",prefix=\"a\\\"b\\\\c\\nd\"} +Inf\n"
    ));
    assert!(text.contains("# TYPE lockwatch_events_total counter\n"));
    assert!(
        text.contains("lockwatch_notices_refused_total{reason=\"malformed\"} 2\n"),
        "{text}"
    );
}

#[test]
fn a_kept_posture_reads_back_as_it_was_every_part_included() {
    use super::posture::Window;
    let mut p = strong();
    p.policy = Answer::Configured(PolicySummary::parse(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
    ));
    p.replication = Answer::Configured("to bup-copy".into());
    p.encryption = Answer::Denied("AccessDenied".into());
    for window in [Window::Unbounded, Window::Days(0), Window::Days(3)] {
        let mut kept = Snapshot::of(&p);
        kept.window = Some(window);
        let text = serde_json::to_string(&kept).expect("JSON");
        let back: Snapshot = serde_json::from_str(&text).expect("read back");
        assert_eq!(back, kept, "{text}");
    }
}

fn locked(id: &str, mode: &str, until: i64, hold: bool) -> Entry {
    Entry {
        lock: Some(super::scan::Lock {
            mode: mode.into(),
            until: (until > 0).then_some((until, 0)),
            hold,
        }),
        ..entry(id, false, true)
    }
}

#[test]
fn a_released_hold_and_a_shortened_retention_are_named_and_an_ended_one_is_not() {
    use super::scan::{LockChange, lock_changes};
    let now = 1_000;
    let old = [
        locked("held", "", 0, true),
        locked("gov", "GOVERNANCE", 5_000, false),
        locked("comp", "COMPLIANCE", 5_000, false),
        locked("ended", "GOVERNANCE", 500, false),
        locked("same", "COMPLIANCE", 5_000, true),
    ];
    let new = [
        locked("held", "", 0, false),
        locked("gov", "GOVERNANCE", 2_000, false),
        locked("comp", "GOVERNANCE", 9_000, false),
        locked("ended", "", 0, false),
        locked("same", "COMPLIANCE", 5_000, true),
    ];
    let changes = lock_changes(&old, &new, now);
    let names: Vec<&str> = changes
        .iter()
        .map(|c| match c {
            LockChange::HoldReleased { version_id } => version_id.as_str(),
            LockChange::Shortened { version_id, .. } => version_id.as_str(),
        })
        .collect();
    assert_eq!(names, ["held", "gov", "comp"], "{changes:?}");
    match &changes[1] {
        LockChange::Shortened { from, to, .. } => {
            assert_eq!(from, "GOVERNANCE until 1970-01-01T01:23:20.000Z");
            assert_eq!(to, "GOVERNANCE until 1970-01-01T00:33:20.000Z");
        }
        other => panic!("{other:?}"),
    }
    // A version not read in one of the counts says nothing.
    let mut unread = new.clone();
    unread[0].lock = None;
    assert_eq!(lock_changes(&old, &unread, now).len(), 2);
}

mod notices {
    use super::super::notice::{
        Change, Confirmed, Known, Notice, Verdict, confirm, parse, upper_bound,
    };
    use crate::domain::{EntryKind, HistoryEntry};

    fn body(name: &str, key: &str, version: &str, etag: &str) -> String {
        serde_json::json!({"Records": [{
            "eventVersion": "2.2", "eventSource": "ceph:s3",
            "eventTime": "2026-12-07T17:13:48.616916Z", "eventName": name,
            "s3": {"bucket": {"name": "bup"},
                   "object": {"key": key, "versionId": version, "eTag": etag, "size": 2}}
        }]})
        .to_string()
    }

    fn entry(key: &str, id: &str, marker: bool, at: &str) -> HistoryEntry {
        HistoryEntry {
            key: key.into(),
            version_id: id.into(),
            kind: if marker {
                EntryKind::DeleteMarker
            } else {
                EntryKind::Version {
                    size: Some(2),
                    etag: None,
                    storage_class: None,
                }
            },
            is_latest: false,
            last_modified: at.parse().ok(),
            owner: None,
        }
    }

    fn one(name: &str, version: &str, etag: &str) -> Notice {
        let mut n = parse(body(name, "a b/ü", version, etag).as_bytes()).expect("parses");
        assert_eq!(n.len(), 1);
        n.remove(0)
    }

    #[test]
    fn each_ceph_event_is_read_as_its_change() {
        assert_eq!(one("ObjectCreated:Put", "v1", "e").change, Change::Created);
        assert_eq!(
            one("ObjectCreated:CompleteMultipartUpload", "v1", "e").change,
            Change::Created
        );
        assert_eq!(
            one("ObjectRemoved:DeleteMarkerCreated", "", "e").change,
            Change::MarkerCreated
        );
        assert_eq!(
            one("ObjectRemoved:Delete", "v1", "e").change,
            Change::VersionDeleted
        );
        // Ceph RGW sends a delete marker's removal with no ETag.
        assert_eq!(
            one("ObjectRemoved:Delete", "m1", "").change,
            Change::MarkerRemoved
        );
        let n = one("s3:ObjectRemoved:Delete", "v1", "e");
        assert_eq!((n.bucket.as_str(), n.key.as_str()), ("bup", "a b/ü"));
        assert_eq!(
            n.at.map(|t| t.as_second()),
            "2026-12-07T17:13:48Z"
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| t.as_second())
        );
    }

    #[test]
    fn malformed_or_unasked_bodies_are_refused_whole() {
        for bad in [
            "".to_string(),
            "{}".to_string(),
            r#"{"Records": []}"#.to_string(),
            "[1,2]".to_string(),
            body("ObjectRestore:Post", "k", "v", "e"),
            body("ObjectCreated:Put", "", "v", "e"),
            body("ObjectCreated:Put", &"k".repeat(1025), "v", "e"),
            body("ObjectCreated:Put", "k", "v", "e").replace("2026-12-07T17", "yesterday"),
            format!(
                "{}{}",
                body("ObjectCreated:Put", "k", "v", "e"),
                " ".repeat(300_000)
            ),
        ] {
            assert!(parse(bad.as_bytes()).is_err(), "accepted: {:.80}", bad);
        }
        let many = serde_json::json!({"Records": vec![
            serde_json::from_str::<serde_json::Value>(&body("ObjectCreated:Put", "k", "v", "e")).expect("JSON")["Records"][0].clone(); 101]});
        assert!(parse(many.to_string().as_bytes()).is_err());
    }

    fn judged(n: &Notice, history: &[HistoryEntry]) -> Verdict {
        let existed = |id: &str| id == "v1" || id == "m1";
        let counted = |id: &str| id == "counted";
        confirm(
            n,
            history,
            &Known {
                since: "2026-12-07T17:00:00Z".parse().ok(),
                existed: &existed,
                counted: &counted,
            },
        )
        .0
    }

    #[test]
    fn a_read_back_confirms_only_what_the_history_shows() {
        let at = "2026-12-07T17:13:48.614Z";
        let marker = one("ObjectRemoved:DeleteMarkerCreated", "", "e");
        // Ceph names no version: the marker written at the notice's time confirms it.
        let hidden = [
            entry("a b/ü", "m1", true, at),
            entry("a b/ü", "v1", false, "2026-12-07T17:00:00Z"),
        ];
        assert_eq!(
            judged(&marker, &hidden),
            Verdict::Confirmed(Confirmed::MarkerCreated)
        );
        // A marker of another time, or of another key sharing the prefix, does not.
        let other = [
            entry("a b/ü", "m0", true, "2026-12-07T16:00:00Z"),
            entry("a b/üx", "m1", true, at),
        ];
        assert_eq!(judged(&marker, &other), Verdict::Unconfirmed);
        // Counted once: a notice sent again finds its marker counted.
        assert_eq!(
            judged(&marker, &[entry("a b/ü", "counted", true, at)]),
            Verdict::Unconfirmed
        );
        // A version deleted: confirmed while it is absent, and only if it existed.
        let deleted = one("ObjectRemoved:Delete", "v1", "e");
        assert_eq!(judged(&deleted, &hidden), Verdict::Unconfirmed);
        assert_eq!(
            judged(&deleted, &[entry("a b/ü", "v2", false, at)]),
            Verdict::Confirmed(Confirmed::VersionDeleted)
        );
        let forged = one("ObjectRemoved:Delete", "no-such-version", "e");
        assert_eq!(judged(&forged, &[]), Verdict::Unconfirmed);
        // A creation on top of a version is an overwrite; on top of a marker, or first, not.
        let created = one("ObjectCreated:Put", "v2", "e");
        assert_eq!(
            judged(
                &created,
                &[
                    entry("a b/ü", "v2", false, at),
                    entry("a b/ü", "v1", false, at)
                ]
            ),
            Verdict::Confirmed(Confirmed::Overwrite)
        );
        assert_eq!(
            judged(
                &created,
                &[
                    entry("a b/ü", "v2", false, at),
                    entry("a b/ü", "m1", true, at)
                ]
            ),
            Verdict::Confirmed(Confirmed::VersionCreated)
        );
        assert_eq!(
            judged(&created, &[entry("a b/ü", "v1", false, at)]),
            Verdict::Unconfirmed
        );
        // A notice naming a version the history has as a marker is not a creation; a
        // version older than the last look is not new (a replayed notice).
        assert_eq!(
            judged(&created, &[entry("a b/ü", "v2", true, at)]),
            Verdict::Unconfirmed
        );
        assert_eq!(
            judged(
                &created,
                &[entry("a b/ü", "v2", false, "2026-12-07T10:00:00Z")]
            ),
            Verdict::Unconfirmed
        );
    }

    #[test]
    fn the_upper_bound_counts_every_creation_as_an_overwrite() {
        let notices = [
            one("ObjectCreated:Put", "v2", "e"),
            one("ObjectRemoved:DeleteMarkerCreated", "", "e"),
            one("ObjectRemoved:Delete", "m1", ""),
        ];
        let c = upper_bound(&notices);
        assert_eq!(
            (
                c.overwrites,
                c.markers_created,
                c.markers_removed,
                c.destructive()
            ),
            (1, 1, 1, 2)
        );
    }
}
