//! `lockwatch report` against SeaweedFS and Ceph RGW: one version in each protection state,
//! a deleted key, and the three formats.

use crate::support;

use lockwatch::domain::RetentionMode;
use lockwatch::s3::PutOptions;
use support::weed::weed;

/// A lock bucket with: COMPLIANCE (a day), GOVERNANCE (two days), a legal hold without
/// retention, a retention that has run out, no protection, and a deleted key.
pub(crate) fn lock_bucket(endpoint: &str, tag: &str) -> String {
    support::runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let bucket = support::unique_bucket(tag);
        s3.create_bucket(&bucket, None, true)
            .unrecorded()
            .await
            .expect("create");
        let now = jiff::Timestamp::now();
        let put = |key: &'static str, options: PutOptions| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.put_bytes(&bucket, key, key.as_bytes().to_vec(), &options)
                    .unrecorded()
                    .await
                    .unwrap_or_else(|e| panic!("upload {key}: {e}"));
            }
        };
        let retained = |mode, seconds: i64| PutOptions {
            retention: Some((mode, now + jiff::SignedDuration::from_secs(seconds))),
            ..PutOptions::default()
        };
        put(
            "compliance.txt",
            retained(RetentionMode::Compliance, 86_400),
        )
        .await;
        put(
            "governance.txt",
            retained(RetentionMode::Governance, 2 * 86_400),
        )
        .await;
        put(
            "held.txt",
            PutOptions {
                legal_hold: true,
                ..PutOptions::default()
            },
        )
        .await;
        put("plain.txt", PutOptions::default()).await;
        put("deleted.txt", PutOptions::default()).await;
        s3.delete_object(&bucket, "deleted.txt")
            .unrecorded()
            .await
            .expect("delete");
        // Its date is taken just before its upload: on a slow machine the uploads above take
        // seconds, and a server refuses a retention date already past.
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(4);
        put(
            "short.txt",
            PutOptions {
                retention: Some((RetentionMode::Governance, until)),
                ..PutOptions::default()
            },
        )
        .await;
        let left = until.duration_since(jiff::Timestamp::now());
        tokio::time::sleep(std::time::Duration::from_secs_f64(
            left.as_secs_f64().max(0.0) + 1.5,
        ))
        .await;
        bucket
    })
}

fn report_covers_every_protection_state(endpoint: &str, tag: &str) {
    let bucket = lock_bucket(endpoint, tag);
    let location = format!("s3://{bucket}/");

    let json: serde_json::Value = serde_json::from_str(&support::lockwatch_stdout(
        endpoint,
        &["report", &location, "--format", "json"],
    ))
    .expect("JSON");
    let count = |state: &str| -> u64 {
        json["by_protection"][state]["versions"]
            .as_u64()
            .unwrap_or_else(|| panic!("{state} missing: {json}"))
    };
    assert_eq!(count("compliance"), 1, "{json}");
    assert_eq!(count("governance"), 1, "{json}");
    assert_eq!(count("legal_hold"), 1, "{json}");
    assert_eq!(count("expired"), 1, "{json}");
    // plain.txt and the hidden version of deleted.txt.
    assert_eq!(count("none"), 2, "{json}");
    assert_eq!(count("unknown"), 0, "{json}");
    assert_eq!(json["keys"], 6);
    assert_eq!(json["versions"], 6);
    assert_eq!(json["delete_markers"], 1);
    assert_eq!(json["legal_holds"], 1);
    assert_eq!(json["versioning"], "Enabled");
    let current: Vec<&str> = json["unprotected_current"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|v| v["key"].as_str())
        .collect();
    assert_eq!(current, ["plain.txt", "short.txt"]);
    assert_eq!(json["markers_by_age"]["under_1_day"]["markers"], 1);
    assert_eq!(json["markers_by_age"]["under_1_day"]["keys_deleted_now"], 1);
    assert_eq!(
        json["earliest_retain_until"]["key"], "compliance.txt",
        "{json}"
    );
    assert_eq!(json["latest_retain_until"]["key"], "governance.txt");

    let markdown = support::lockwatch_stdout(endpoint, &["report", &location]);
    for needle in [
        &format!("# Object Lock coverage of `s3://{bucket}/`"),
        "| COMPLIANCE (retained) | 1 |",
        "| Versioning | Enabled |",
        "2 current objects can be deleted now",
        "| `plain.txt` |",
        "by the server's clock",
        "## Recovery window",
        "## Risks",
        "## Bucket posture",
        "| Taken by |",
    ] {
        assert!(markdown.contains(needle), "{needle:?} missing:\n{markdown}");
    }

    let csv = support::lockwatch_stdout(endpoint, &["report", &location, "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 6 + 1, "{csv}");
    assert!(lines[0].starts_with("key,version_id,"));
    assert!(lines[0].ends_with(",owner_id,owner_name"), "{csv}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("compliance.txt,") && l.contains(",compliance,COMPLIANCE,")),
        "{csv}"
    );
    // Each version names its owner: the test user, whatever each server calls it.
    let version_row = lines
        .iter()
        .find(|l| l.starts_with("plain.txt,"))
        .unwrap_or_else(|| panic!("{csv}"));
    let owner_id = version_row.split(',').nth(11).unwrap_or_default();
    assert!(!owner_id.is_empty(), "an owner id: {version_row}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("deleted.txt,") && l.contains(",true,true,")),
        "the marker row: {csv}"
    );
}

#[test]
fn report_covers_every_protection_state_on_seaweedfs() {
    report_covers_every_protection_state(&weed().endpoint, "report");
}

#[test]
fn report_covers_every_protection_state_on_ceph() {
    report_covers_every_protection_state(&support::ceph::ceph().endpoint, "reportceph");
}

#[test]
fn in_the_ui_p_shows_the_report_and_s_saves_it_without_replacing_a_file() {
    let endpoint = weed().endpoint.clone();
    let bucket = lock_bucket(&endpoint, "reportui");
    let mut app = support::pty::Session::start(&endpoint, &[&format!("s3://{bucket}/")], 160, 50);
    app.wait_text("plain.txt");
    app.send("P");
    let screen = app.wait_text("Versions by protection");
    // Rendered for the terminal: aligned columns, no Markdown pipes or separator rows.
    let row = screen
        .lines()
        .find(|l| l.contains("COMPLIANCE (retained)"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(!row.contains("| COMPLIANCE"), "{screen}");
    assert!(
        row.split_whitespace().any(|w| w == "1"),
        "one COMPLIANCE version: {row}"
    );
    assert!(!screen.contains("|---"), "{screen}");
    app.send("s");
    app.wait_text("Saved to");
    let saved: Vec<std::path::PathBuf> = std::fs::read_dir(app.home.path())
        .expect("home")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("lockwatch-report-"))
        })
        .collect();
    assert_eq!(saved.len(), 1, "{saved:?}");
    let text = std::fs::read_to_string(&saved[0]).expect("the saved report");
    assert!(text.contains(&format!("# Object Lock coverage of `s3://{bucket}/`")));
    // Saving again under the same name does not replace the file.
    std::fs::write(&saved[0], "kept").expect("write");
    app.send("s");
    app.wait_text("cannot create");
    assert_eq!(std::fs::read_to_string(&saved[0]).expect("read"), "kept");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(std::time::Duration::from_secs(5)), Some(true));
}

/// A bucket without Object Lock: no version can carry a retention or a legal hold, so the
/// report sends no HEAD at all and says why (a crafted server counts the requests).
#[test]
fn without_object_lock_the_report_reads_no_version_lock() {
    use support::crafted::{
        Answer, Crafted, Request, version_xml, versioning_enabled, versions_page,
    };
    let server = Crafted::start(|request: &Request| {
        if request.method == "HEAD" {
            return Answer::headers(&[("x-amz-version-id", "v")]);
        }
        if request.has_query("versioning") {
            return versioning_enabled();
        }
        if request.has_query("object-lock") {
            return Answer::error(
                404,
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
            );
        }
        if request.has_query("versions") {
            let entries = ["a", "b", "c"]
                .iter()
                .map(|k| version_xml(k, &format!("{k}1"), true, "2026-11-20T10:00:00.000Z"))
                .collect::<String>();
            return versions_page("nolock", &entries, None);
        }
        Answer::error(501, "NotImplemented", "not crafted")
    });
    let markdown = support::lockwatch_stdout(&server.endpoint, &["report", "s3://nolock/"]);
    assert!(
        markdown.contains("Object Lock is not enabled on this bucket"),
        "{markdown}"
    );
    assert!(markdown.contains("| none | 3 |"), "{markdown}");
    assert_eq!(server.count(|r| r.method == "HEAD"), 0, "no HEAD was sent");
}

/// Read-only audit credentials often may not read the lifecycle rules, and a policy can grant
/// with `NotAction`: the report says the recovery window is not known and names the grant as
/// a risk, never "no rule removes them" or "no statement about removing versions".
#[test]
fn the_report_qualifies_what_it_could_not_read_and_judges_not_action() {
    use super::completeness::{Fault, server};
    let server = server(Fault::PolicyNotAction);
    let markdown = support::lockwatch_stdout(
        &server.endpoint,
        &["report", "s3://bup/", "--format", "markdown"],
    );
    assert!(
        markdown.contains("unless a lifecycle rule lockwatch could not read removes them"),
        "{markdown}"
    );
    assert!(!markdown.contains("no rule removes them"), "{markdown}");
    assert!(
        markdown.contains("allows everyone (Principal *)")
            && markdown.contains("every action but s3:GetObject (NotAction)"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("no statement about removing or unprotecting versions"),
        "{markdown}"
    );
}
