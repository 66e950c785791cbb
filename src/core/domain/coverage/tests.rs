//! The report's tests: counts, Markdown and CSV together, as an auditor reads them.

use super::*;
use crate::domain::EntryKind;

fn at(s: &str) -> Timestamp {
    s.parse().expect("time")
}

fn version(key: &str, id: &str, latest: bool, size: u64) -> HistoryEntry {
    HistoryEntry {
        key: Arc::from(key),
        version_id: id.into(),
        kind: EntryKind::Version {
            size: Some(size),
            etag: None,
            storage_class: None,
        },
        is_latest: latest,
        last_modified: Some(at("2026-11-01T00:00:00Z")),
        owner: None,
    }
}

fn marker(key: &str, id: &str, latest: bool, when: &str) -> HistoryEntry {
    HistoryEntry {
        kind: EntryKind::DeleteMarker,
        last_modified: Some(at(when)),
        ..version(key, id, latest, 0)
    }
}

fn lock(mode: Option<RetentionMode>, until: Option<&str>, hold: bool) -> LockInfo {
    LockInfo {
        mode,
        retain_until: until.map(|u| RetainUntil::at(at(u))),
        legal_hold: if hold { LegalHold::On } else { LegalHold::Off },
    }
}

const NOW: &str = "2026-11-27T00:00:00Z";

#[test]
fn each_version_counts_once_by_what_protects_it_now() {
    let now = at(NOW);
    let mut c = Coverage::new("b", "", "http://127.0.0.1", now, now, None);
    let compliance = lock(
        Some(RetentionMode::Compliance),
        Some("2026-12-01T00:00:00Z"),
        false,
    );
    let governance_held = lock(
        Some(RetentionMode::Governance),
        Some("2027-01-01T00:00:00Z"),
        true,
    );
    let expired_held = lock(
        Some(RetentionMode::Compliance),
        Some("2026-11-01T00:00:00Z"),
        true,
    );
    let expired = lock(
        Some(RetentionMode::Governance),
        Some("2026-11-26T00:00:00Z"),
        false,
    );
    let rows = [
        (version("a", "a2", true, 10), Ok(compliance)),
        (version("a", "a1", false, 20), Ok(governance_held)),
        (version("b", "b1", true, 30), Ok(expired_held)),
        (version("c", "c1", true, 40), Ok(expired)),
        (version("d", "d1", true, 50), Ok(LockInfo::default())),
        (
            version("e", "e1", false, 60),
            Err("AccessDenied".to_string()),
        ),
    ];
    for (e, l) in &rows {
        c.add_version(e, l);
    }
    c.add_marker(&marker("e", "em", true, "2026-11-26T12:00:00Z"));
    c.add_marker(&marker("f", "fm", false, "2026-06-01T00:00:00Z"));
    let get = |p: Protection| {
        let t = c.by_protection.get(p);
        Some((t.versions, t.bytes))
    };
    assert_eq!(get(Protection::Compliance), Some((1, 10)));
    assert_eq!(get(Protection::Governance), Some((1, 20)));
    assert_eq!(get(Protection::LegalHold), Some((1, 30)));
    assert_eq!(get(Protection::Expired), Some((1, 40)));
    assert_eq!(get(Protection::None), Some((1, 50)));
    assert_eq!(get(Protection::Unknown), Some((1, 60)));
    assert_eq!((c.keys, c.versions, c.delete_markers), (6, 6, 2));
    assert_eq!(c.legal_holds, 2);
    let held: Vec<&str> = c.held.iter().map(|v| v.version_id.as_str()).collect();
    assert_eq!(held, ["a1", "b1"], "the held versions are named");
    assert!(c.markdown().contains("| `b` | `b1` |"), "{}", c.markdown());
    assert_eq!(
        c.earliest_retain_until
            .as_ref()
            .map(|b| b.version_id.as_str()),
        Some("a2")
    );
    assert_eq!(
        c.latest_retain_until
            .as_ref()
            .map(|b| b.version_id.as_str()),
        Some("a1")
    );
    // c and d are current and deletable; b is held; e's current entry is a marker.
    let current: Vec<&str> = c
        .unprotected_current
        .iter()
        .map(|v| v.key.as_str())
        .collect();
    assert_eq!(current, ["c", "d"]);
    let one = |markers, keys_deleted_now| MarkerCount {
        markers,
        keys_deleted_now,
    };
    assert_eq!(c.markers_by_age.under_1_day, one(1, 1));
    assert_eq!(c.markers_by_age.over_90_days, one(1, 0));
    // For tools: objects keyed by name, read with `.by_protection.compliance.versions`.
    let json = serde_json::to_value(&c).expect("json");
    assert_eq!(json["by_protection"]["compliance"]["versions"], 1);
    assert_eq!(json["by_protection"]["legal_hold"]["bytes"], 30);
    assert_eq!(json["markers_by_age"]["under_1_day"]["keys_deleted_now"], 1);
    assert_eq!(json["markers_by_age"]["over_90_days"]["markers"], 1);
    let md = c.markdown();
    for needle in [
        "| COMPLIANCE (retained) | 1 | 10 bytes |",
        "Versions under a legal hold, whatever their retention: 2.",
        "2 current objects can be deleted now",
        "| under 1 day | 1 | 1 |",
        "AccessDenied",
    ] {
        assert!(md.contains(needle), "{needle:?} missing from\n{md}");
    }
}

#[test]
fn hostile_names_cannot_break_the_markdown_or_the_csv() {
    let now = at(NOW);
    let mut c = Coverage::new("b", "", "e", now, now, None);
    let e = version("x|`y`\u{1b}[31m,\"z\"\n", "v1", true, 1);
    c.add_version(&e, &Ok(LockInfo::default()));
    let md = c.markdown();
    assert!(!md.contains('\u{1b}'));
    assert!(md.contains("x\\|'y'"), "{md}");
    let row = csv_row(&e, Some(&Ok(LockInfo::default())), Some(Protection::None));
    // Escaped as on screen: no control character reaches whoever shows the file.
    assert!(!row.contains(['\u{1b}', '\n']), "{row}");
    assert!(
        row.starts_with("\"x|`y`\\x1b[31m,\"\"z\"\"\\x0a\",v1,true,"),
        "{row}"
    );
}

#[test]
fn csv_fields_a_spreadsheet_would_run_are_neutralised() {
    for (key, field) in [
        (
            "=HYPERLINK(\"http://x\",\"y\")",
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
        ),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "\\x09x"),
        ("plain=ok", "plain=ok"),
    ] {
        assert_eq!(csv_field(key), field, "{key:?}");
    }
    let e = version("=1+1", "v1", true, 1);
    let row = csv_row(&e, Some(&Ok(LockInfo::default())), Some(Protection::None));
    assert!(row.starts_with("'=1+1,v1,"), "{row}");
}

#[test]
fn unreadable_locks_are_counted_unknown_never_unprotected() {
    let now = at(NOW);
    let mut c = Coverage::new("b", "", "e", now, now, None);
    let future = Some(RetainUntil::at(at("2027-01-01T00:00:00Z")));
    let foo = LockInfo {
        mode: Some(RetentionMode::parse("FOO")),
        retain_until: future,
        legal_hold: LegalHold::Off,
    };
    let hold = LockInfo {
        legal_hold: LegalHold::parse("MAYBE"),
        ..LockInfo::default()
    };
    let forever = LockInfo {
        mode: Some(RetentionMode::Compliance),
        retain_until: Some(RetainUntil::from_unix(253_402_300_799, 0)),
        legal_hold: LegalHold::Off,
    };
    assert_eq!(
        c.add_version(&version("a", "1", true, 1), &Ok(foo)),
        Protection::Unknown
    );
    assert_eq!(
        c.add_version(&version("b", "1", true, 1), &Ok(hold)),
        Protection::Unknown
    );
    assert_eq!(
        c.add_version(&version("c", "1", true, 1), &Ok(forever.clone())),
        Protection::Compliance
    );
    assert_eq!(c.unprotected_current_count, 0);
    assert_eq!(c.unknown.len(), 2);
    assert_eq!(c.unknown_count, 2);
    assert!(c.unknown[0].error.contains("FOO"), "{:?}", c.unknown);
    let json = serde_json::to_value(&c).expect("json");
    assert_eq!(json["unknown"][0]["key"], "a", "{json}");
    assert!(
        json["unknown"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("FOO")),
        "{json}"
    );
    assert_eq!(
        c.latest_retain_until
            .as_ref()
            .map(|b| b.retain_until.as_str()),
        Some("9999-12-31T23:59:59.000Z")
    );
    let md = c.markdown();
    assert!(md.contains("9999-12-31 23:59:59 UTC"), "{md}");
    let row = csv_row(
        &version("c", "1", true, 1),
        Some(&Ok(forever)),
        Some(Protection::Compliance),
    );
    assert!(
        row.contains(",COMPLIANCE,9999-12-31T23:59:59.000Z,false,"),
        "{row}"
    );
}

#[test]
fn a_bucket_whose_every_head_fails_keeps_the_report_bounded() {
    let mut c = Coverage::new(
        "b",
        "",
        "e",
        at("2026-11-27T12:00:00Z"),
        at("2026-11-27T12:00:00Z"),
        None,
    );
    for n in 0..(LISTED_UNPROTECTED + 500) {
        let v = version(&format!("k{n:06}"), "v", true, 1);
        c.add_version(&v, &Err("AccessDenied".to_string()));
    }
    assert_eq!(c.unknown.len(), LISTED_UNPROTECTED);
    assert_eq!(c.unknown_count, (LISTED_UNPROTECTED + 500) as u64);
    assert!(c.markdown().contains("1500 in all"), "the count is said");
}
