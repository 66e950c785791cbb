//! lockwatch against a hostile or broken S3 server (tests/support/crafted.rs): lock fields it
//! cannot read, pages that never end or repeat, answers that never end or trickle, and escape
//! sequences in every field. Each test fails on a lockwatch that would lie, hang or grow.

mod support;

use std::process::Output;
use std::time::Duration;
use support::crafted::{
    Answer, Crafted, Request, list_buckets, lock_enabled, objects_page, version_xml,
    versioning_enabled, versions_page,
};
use support::pty::Session;

/// Runs the lockwatch binary against `endpoint` with the test keys, for at most `limit`.
fn lockwatch(endpoint: &str, args: &[&str], limit: Duration) -> Output {
    let home = tempfile::tempdir().expect("home");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(args)
        .env_clear()
        .envs(support::binary_env(endpoint, home.path()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run lockwatch");
    let start = std::time::Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "lockwatch {args:?} still ran after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The screen's words in order, without borders or line breaks: wrapped sentences read whole.
fn flat(screen: &str) -> String {
    screen
        .lines()
        .flat_map(|l| l.split('│'))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const KEYS: [&str; 4] = ["foo-mode.tar", "forever.tar", "odd-hold.tar", "plain.tar"];

/// A lock bucket `bup` whose four versions carry lock headers lockwatch cannot fully read.
fn odd_locks(request: &Request) -> Answer {
    let head = |mode: &str, until: &str, hold: &str| {
        let mut h = vec![("Content-Length", "1"), ("ETag", "\"e\"")];
        if !mode.is_empty() {
            h.push(("x-amz-object-lock-mode", mode));
        }
        if !until.is_empty() {
            h.push(("x-amz-object-lock-retain-until-date", until));
        }
        if !hold.is_empty() {
            h.push(("x-amz-object-lock-legal-hold", hold));
        }
        Answer::headers(&h)
    };
    let path = request.path();
    match (request.method.as_str(), path) {
        ("GET", "/") => list_buckets(&["bup"]),
        ("GET", "/bup") | ("GET", "/bup/") if request.has_query("versioning") => {
            versioning_enabled()
        }
        ("GET", "/bup") | ("GET", "/bup/") if request.has_query("object-lock") => lock_enabled(),
        ("GET", "/bup") | ("GET", "/bup/") if request.has_query("versions") => {
            let prefix = request.query("prefix").unwrap_or_default();
            let entries: String = KEYS
                .iter()
                .filter(|k| k.starts_with(&prefix))
                .map(|k| version_xml(k, "v1", true, "2026-11-01T00:00:00.000Z"))
                .collect();
            versions_page("bup", &entries, None)
        }
        ("GET", "/bup") | ("GET", "/bup/") if request.has_query("list-type") => {
            objects_page("bup", &KEYS)
        }
        ("HEAD", "/bup/forever.tar") => head("COMPLIANCE", "9999-12-31T23:59:59Z", "OFF"),
        ("HEAD", "/bup/foo-mode.tar") => head("FOO", "2099-01-01T00:00:00Z", ""),
        ("HEAD", "/bup/odd-hold.tar") => head("", "", "MAYBE"),
        ("HEAD", "/bup/plain.tar") => head("", "", ""),
        _ => Answer::error(404, "NoSuchKey", "not crafted"),
    }
}

#[test]
fn locks_lockwatch_cannot_read_are_reported_as_unknown_never_unprotected() {
    let server = Crafted::start(odd_locks);
    let out = lockwatch(
        &server.endpoint,
        &["report", "s3://bup/", "--format", "json"],
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let count = |state: &str| -> u64 {
        json["by_protection"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r[0] == state))
            .and_then(|r| r[1]["versions"].as_u64())
            .unwrap_or_else(|| panic!("no {state} row in {json}"))
    };
    assert_eq!(count("compliance"), 1, "{json}");
    assert_eq!(count("unknown"), 2, "{json}");
    assert_eq!(count("none"), 1, "only plain.tar is unprotected: {json}");
    assert_eq!(json["unprotected_current_count"], 1, "{json}");
    assert_eq!(
        json["latest_retain_until"]["retain_until"], "9999-12-31T23:59:59Z",
        "{json}"
    );
    let reasons = json["unknown"].to_string();
    assert!(
        reasons.contains("FOO") && reasons.contains("MAYBE"),
        "{reasons}"
    );

    let csv = lockwatch(
        &server.endpoint,
        &["report", "s3://bup/", "--format", "csv"],
        Duration::from_secs(60),
    );
    let csv = text(&csv.stdout);
    let line = |key: &str| -> String {
        csv.lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_else(|| panic!("{key} missing from\n{csv}"))
            .to_string()
    };
    assert!(
        line("forever.tar").contains(",compliance,COMPLIANCE,9999-12-31T23:59:59Z,false,"),
        "{csv}"
    );
    assert!(line("foo-mode.tar").contains(",unknown,FOO,"), "{csv}");
    assert!(line("odd-hold.tar").contains(",unknown,"), "{csv}");
}

#[test]
fn the_versions_pane_and_the_delete_dialog_say_what_the_server_sent() {
    let server = Crafted::start(odd_locks);
    for (key, expect) in [
        (
            "forever.tar",
            vec!["COMPLIANCE", "9999-12-31 23:59:59", "until 9999-12-31"],
        ),
        ("foo-mode.tar", vec!["unknown", "2099-01-01 00:00:00"]),
        ("odd-hold.tar", vec!["legal hold?"]),
    ] {
        let mut app = Session::start(&server.endpoint, &["s3://bup/"], 120, 35);
        app.wait_text("plain.tar");
        app.send(&format!("/{key}\r\r"));
        let screen = app.wait_for(
            &format!("the lock of {key}"),
            Duration::from_secs(30),
            |s| expect.iter().all(|e| s.contains(e)),
        );
        assert!(
            !screen.contains("no lock") && !screen.contains("deletable"),
            "{screen}"
        );
        if key == "forever.tar" {
            app.send("D");
            let dialog = flat(&app.wait_text("Type forever.tar"));
            assert!(
                dialog.contains("beyond the calendar lockwatch computes with"),
                "{dialog}"
            );
            assert!(
                dialog.contains("COMPLIANCE retention until 9999-12-31 23:59:59 UTC"),
                "{dialog}"
            );
            assert!(!dialog.contains("has no retention"), "{dialog}");
        }
    }
}
