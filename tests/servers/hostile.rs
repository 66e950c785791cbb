//! lockwatch against a hostile or broken S3 server (tests/support/crafted.rs): lock fields it
//! cannot read, pages that never end or repeat, answers that never end or trickle, and escape
//! sequences in every field. Each test fails on a lockwatch that would lie, hang or grow.

use crate::support;

use std::process::Output;
use std::time::Duration;
use support::crafted::{
    Answer, Crafted, Request, list_buckets, lock_enabled, objects_page, version_xml,
    versioning_enabled, versions_page,
};
use support::pty::Session;

/// Runs the lockwatch binary against `endpoint` with the test keys, for at most `limit`.
pub(crate) fn lockwatch(endpoint: &str, args: &[&str], limit: Duration) -> Output {
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

const KEYS: [&str; 5] = [
    "bad-date.tar",
    "foo-mode.tar",
    "forever.tar",
    "odd-hold.tar",
    "plain.tar",
];

/// A lock bucket `bup` whose four versions carry lock headers lockwatch cannot fully read.
fn odd_locks(request: &Request) -> Answer {
    let head = |mode: &str, until: &str, hold: &str| {
        // The answer names the version asked for, as servers do.
        let mut h = vec![
            ("Content-Length", "1"),
            ("ETag", "\"e\""),
            ("x-amz-version-id", "v1"),
        ];
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
        ("HEAD", "/bup/bad-date.tar") => head("COMPLIANCE", "the day after forever", "OFF"),
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
        json["by_protection"][state]["versions"]
            .as_u64()
            .unwrap_or_else(|| panic!("no {state} in {json}"))
    };
    assert_eq!(count("compliance"), 1, "{json}");
    assert_eq!(
        count("unknown"),
        3,
        "a date that is no date is unknown too: {json}"
    );
    assert_eq!(count("none"), 1, "only plain.tar is unprotected: {json}");
    assert_eq!(json["unprotected_current_count"], 1, "{json}");
    assert_eq!(
        json["latest_retain_until"]["retain_until"], "9999-12-31T23:59:59.000Z",
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
        line("forever.tar").contains(",compliance,COMPLIANCE,9999-12-31T23:59:59.000Z,false,"),
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
        ("bad-date.tar", vec!["? unreadable"]),
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

/// ListObjectsV2 / ListObjectVersions pages of bucket `bup` that alternate: A, B, A, B …
fn alternating(request: &Request) -> Answer {
    let path = request.path();
    if path == "/" {
        return list_buckets(&["bup"]);
    }
    if request.method != "GET" || !path.starts_with("/bup") {
        return Answer::error(404, "NoSuchBucket", "not crafted");
    }
    let t = "2026-11-01T00:00:00.000Z";
    if request.has_query("versions") {
        return match request.query("key-marker").as_deref() {
            Some("b") => versions_page(
                "bup",
                &[
                    version_xml("c", "1", true, t),
                    version_xml("d", "1", true, t),
                ]
                .concat(),
                Some(("d", "1")),
            ),
            _ => versions_page(
                "bup",
                &[
                    version_xml("a", "1", true, t),
                    version_xml("b", "1", true, t),
                ]
                .concat(),
                Some(("b", "1")),
            ),
        };
    }
    let page = |keys: &[&str], token: &str| {
        let Answer::Full { body, .. } = objects_page("bup", keys) else {
            unreachable!("objects_page answers in full")
        };
        let body = String::from_utf8_lossy(&body).replace(
            "<IsTruncated>false</IsTruncated>",
            &format!(
                "<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>"
            ),
        );
        Answer::xml(body)
    };
    match request.query("continuation-token").as_deref() {
        Some("T1") => page(&["c", "d"], "T2"),
        _ => page(&["a", "b"], "T1"),
    }
}

#[test]
fn alternating_pages_stop_the_listing_with_the_reason() {
    let server = Crafted::start(alternating);
    let out = lockwatch(
        &server.endpoint,
        &["ls", "s3://bup/"],
        Duration::from_secs(60),
    );
    assert!(
        !out.status.success(),
        "a listing that never ends is not complete"
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stderr.contains("listing stopped"), "{stderr}");
    assert!(stderr.contains("incomplete"), "{stderr}");
    assert_eq!(stdout.lines().count(), 4, "a, b, c, d once each: {stdout}");
    let pages = server.count(|r| r.has_query("list-type"));
    assert_eq!(pages, 3, "A, B, then A again is caught");

    let out = lockwatch(
        &server.endpoint,
        &["ls", "--versions", "s3://bup/"],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("listing stopped"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(server.count(|r| r.has_query("versions")), 3);
}

#[test]
fn fresh_tokens_over_the_same_keys_stop_the_listing() {
    let server = Crafted::start(|request: &Request| {
        let n = request.query("continuation-token").map_or(0, |t| t.len());
        let Answer::Full { body, .. } = objects_page("bup", &["a", "b"]) else {
            unreachable!("objects_page answers in full")
        };
        Answer::xml(String::from_utf8_lossy(&body).replace(
            "<IsTruncated>false</IsTruncated>",
            &format!(
                "<IsTruncated>true</IsTruncated><NextContinuationToken>{}</NextContinuationToken>",
                "t".repeat(n + 1)
            ),
        ))
    });
    let out = lockwatch(
        &server.endpoint,
        &["ls", "s3://bup/"],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("asked for what comes after \"b\""),
        "{}",
        text(&out.stderr)
    );
    // Two pages, then stopped (the other request is ListBuckets: who these credentials are).
    assert_eq!(server.count(|r| r.has_query("list-type")), 2);
}

#[test]
fn an_answer_that_never_ends_is_refused_at_its_cap() {
    let server = Crafted::start(|request: &Request| {
        if request.has_query("list-type") {
            Answer::Endless {
                headers: vec![("Content-Type".into(), "application/xml".into())],
                chunk: b"<Contents><Key>k</Key></Contents>".repeat(1000),
            }
        } else {
            Answer::error(404, "NoSuchKey", "not crafted")
        }
    });
    let out = lockwatch(
        &server.endpoint,
        &["ls", "s3://bup/"],
        Duration::from_secs(120),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("larger than"), "{stderr}");
    // One attempt, read to the cap (plus what was in flight), never again.
    assert_eq!(server.count(|r| r.has_query("list-type")), 1);
    let cap = 64 * 1024 * 1024;
    assert!(
        server.bytes_sent() < cap + 16 * 1024 * 1024,
        "{} bytes sent",
        server.bytes_sent()
    );
}

#[test]
fn a_trickling_answer_meets_the_attempt_deadline() {
    let body = full_body(objects_page("bup", &["a", "b", "c"]));
    let length = body.len() as u64;
    let server = Crafted::start(move |_: &Request| Answer::Trickle {
        headers: vec![("Content-Type".into(), "application/xml".into())],
        body: body.clone(),
        every: Duration::from_millis(100),
    });
    let out = lockwatch(
        &server.endpoint,
        &[
            "ls",
            "--attempt-timeout",
            "1",
            "--read-timeout",
            "5",
            "s3://bup/",
        ],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("did not answer in time"), "{stderr}");
    assert!(
        stderr.contains("--attempt-timeout"),
        "which deadline: {stderr}"
    );
    assert!(
        server.bytes_sent() < length,
        "the whole answer ({length} bytes) was waited for: {} bytes sent",
        server.bytes_sent()
    );
}

fn full_body(answer: Answer) -> Vec<u8> {
    match answer {
        Answer::Full { body, .. } => body,
        _ => unreachable!("a whole answer"),
    }
}

/// Escape sequences a hostile server puts in every field: a title change (OSC 0), a clipboard
/// write (OSC 52), a screen clear, and a bell.
const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}]52;c;cHduZWQ=\u{7}\u{1b}[2J\u{7}";

#[test]
fn the_command_line_never_writes_a_servers_escape_sequences() {
    let server = Crafted::start(|request: &Request| {
        if request.path() == "/bup" || request.path() == "/bup/" {
            if request.has_query("versions") {
                return versions_page(
                    "bup",
                    &version_xml(
                        &format!("=HYPERLINK(\"x\"){ESCAPES}"),
                        &format!("v{ESCAPES}"),
                        true,
                        "2026-11-01T00:00:00.000Z",
                    ),
                    None,
                );
            }
            if request.has_query("versioning") {
                return versioning_enabled();
            }
            if request.has_query("object-lock") {
                return lock_enabled();
            }
        }
        if request.method == "HEAD" {
            return Answer::headers(&[("Content-Length", "1")]);
        }
        Answer::error(403, "AccessDenied", &format!("denied{ESCAPES}"))
    });
    let clean = |what: &str, bytes: &[u8]| {
        let s = text(bytes);
        assert!(
            !s.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "{what} carries the server's control characters: {s:?}"
        );
    };
    for args in [
        vec!["ls", "s3://bup/"],
        vec!["ls", "--versions", "s3://bup/"],
        vec!["report", "s3://bup/"],
        vec!["report", "s3://bup/", "--format", "csv"],
        vec!["undelete", "--dry-run", "s3://bup/"],
        vec!["ls", "s3://other/"],
        vec!["report", "s3://other/"],
        vec!["undelete", "--dry-run", "s3://other/"],
    ] {
        let out = lockwatch(&server.endpoint, &args, Duration::from_secs(60));
        clean(&format!("{args:?} stdout"), &out.stdout);
        clean(&format!("{args:?} stderr"), &out.stderr);
        if args[1] == "s3://other/" || args.get(2) == Some(&"s3://other/") {
            assert_eq!(out.status.code(), Some(2), "{args:?}: nothing listed");
            assert!(
                text(&out.stderr).contains("denied\\x1b]0;pwned"),
                "{args:?}: the refusal is shown, escaped: {}",
                text(&out.stderr)
            );
        }
    }
    let csv = lockwatch(
        &server.endpoint,
        &["report", "s3://bup/", "--format", "csv"],
        Duration::from_secs(60),
    );
    assert!(
        text(&csv.stdout).contains("\n\"'=HYPERLINK("),
        "a formula is neutralised: {}",
        text(&csv.stdout)
    );
    // JSON stays exact: JSON's own escapes carry the bytes.
    let json = lockwatch(
        &server.endpoint,
        &["ls", "--versions", "--json", "s3://bup/"],
        Duration::from_secs(60),
    );
    let line: serde_json::Value =
        serde_json::from_str(text(&json.stdout).lines().next().unwrap_or("")).expect("JSON");
    assert_eq!(line["key"], format!("=HYPERLINK(\"x\"){ESCAPES}"));
}

#[test]
fn a_key_longer_than_s3_allows_makes_the_page_unreadable() {
    let long = "k".repeat(2000);
    let server = Crafted::start(move |_: &Request| objects_page("bup", &[long.as_str()]));
    let out = lockwatch(
        &server.endpoint,
        &["ls", "s3://bup/"],
        Duration::from_secs(60),
    );
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("2000 bytes"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing of the page is printed");
}

#[test]
fn escape_stops_bucket_details_a_server_trickles_and_an_endless_one_is_capped() {
    let server = Crafted::start(|request: &Request| {
        let path = request.path().trim_end_matches('/');
        match path {
            "" => list_buckets(&["endless", "slow"]),
            "/slow" => Answer::Trickle {
                headers: vec![("Content-Type".into(), "application/xml".into())],
                body:
                    b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
                        .repeat(20),
                every: Duration::from_millis(500),
            },
            "/endless" => Answer::Endless {
                headers: vec![("Content-Type".into(), "application/xml".into())],
                chunk: b"<Status>Enabled</Status>".repeat(100),
            },
            _ => Answer::error(404, "NoSuchBucket", "not crafted"),
        }
    });
    let mut app = Session::start(&server.endpoint, &[], 120, 35);
    // The endless answer ends at its cap as an error on its row; the slow one still loads.
    app.wait_for("the endless answer refused", Duration::from_secs(60), |s| {
        s.lines().any(|l| l.contains("endless") && l.contains('?'))
    });
    app.send("\u{1b}");
    let screen = app.wait_text("Stopped loading the details of 1 bucket");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("slow") && l.contains("stopped")),
        "{screen}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    // Two requests about the endless bucket (versioning, lock), each read to the 1 MiB cap and
    // not retried; what the server wrote beyond that sits in socket buffers (several MiB on
    // loopback). Unbounded, the same seconds carry hundreds of MiB.
    assert_eq!(server.count(|r| r.path().starts_with("/endless")), 2);
    assert!(
        server.bytes_sent() < 40 * 1024 * 1024,
        "{} bytes sent",
        server.bytes_sent()
    );
}

#[test]
fn the_objects_pane_stops_alternating_pages_as_partial_without_duplicates() {
    let server = Crafted::start(alternating);
    let mut app = Session::start(&server.endpoint, &["s3://bup/"], 120, 35);
    let screen = app.wait_text("PARTIAL");
    assert!(
        flat(&screen).contains("listing stopped: ListObjectsV2: asked for what comes after"),
        "{screen}"
    );
    let rows = |name: &str| {
        screen
            .lines()
            .filter(|l| l.contains(&format!("││{name} ")))
            .count()
    };
    for name in ["a", "b", "c", "d"] {
        assert_eq!(rows(name), 1, "{name} once:\n{screen}");
    }
    assert_eq!(server.count(|r| r.has_query("list-type")), 3);
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

/// A Keystone that answers the login with a body that never ends, then one whose token body
/// carries escape sequences and no object store: lockwatch stops at its cap, sends the login
/// once, and says what is missing without passing the server's escapes to the terminal.
#[test]
fn a_hostile_keystone_is_read_to_a_cap_once_and_its_words_are_escaped() {
    let endless = Crafted::start(|_: &Request| Answer::Endless {
        headers: vec![("Content-Type".into(), "application/json".into())],
        chunk: b"{\"token\": ".repeat(4096),
    });
    let env = |auth_url: &str| {
        vec![
            ("OS_AUTH_URL".to_string(), format!("{auth_url}/v3")),
            ("OS_USERNAME".to_string(), "alice".to_string()),
            ("OS_PASSWORD".to_string(), "pw".to_string()),
            ("OS_PROJECT_NAME".to_string(), "demo".to_string()),
        ]
    };
    let run = |auth_url: &str| {
        let home = tempfile::tempdir().expect("home");
        std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
            .args(["ls", "s3://bup/"])
            .env_clear()
            .env("HOME", home.path())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .envs(env(auth_url))
            .output()
            .expect("run lockwatch")
    };
    let out = run(&endless.endpoint);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot reach Keystone"), "{stderr}");
    assert!(stderr.contains("length limit"), "{stderr}");
    assert_eq!(
        endless.count(|r| r.method == "POST"),
        1,
        "the login is sent once"
    );
    assert!(
        endless.bytes_sent() < 24 * 1024 * 1024,
        "{} bytes sent",
        endless.bytes_sent()
    );

    let escapes = Crafted::start(|request: &Request| {
        let body = "{\"token\": {\"user\": {\"id\": \"u\", \"name\": \"\\u001b]0;pwned\\u0007\"}, \
                    \"project\": {\"id\": \"p\", \"name\": \"demo\"}, \"catalog\": [\
                    {\"type\": \"object-store\", \"endpoints\": [{\"interface\": \"internal\", \
                    \"url\": \"http://\\u001b[2Jinternal\"}]}]}}";
        if request.method == "POST" {
            Answer::Full {
                status: 201,
                headers: vec![
                    ("Content-Type".into(), "application/json".into()),
                    ("X-Subject-Token".into(), "t0ken".into()),
                ],
                body: body.as_bytes().to_vec(),
            }
        } else {
            Answer::error(404, "NotFound", "not crafted")
        }
    });
    let out = run(&escapes.endpoint);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the catalogue has no object-store endpoint (interface public)"),
        "{stderr}"
    );
    assert!(
        !out.stderr.contains(&0x1b) && !out.stdout.contains(&0x1b),
        "no escape from the server reaches the terminal: {stderr:?}"
    );
}

/// `watch --once` with a state folder of its own, for at most a minute: its output and the
/// status it kept.
fn watch_once(
    endpoint: &str,
    bucket: &str,
    state: &tempfile::TempDir,
) -> (Output, serde_json::Value) {
    let out = lockwatch(
        endpoint,
        &[
            "watch",
            "--once",
            "--json",
            "--state-dir",
            state.path().to_str().expect("UTF-8"),
            &format!("s3://{bucket}/"),
        ],
        Duration::from_secs(60),
    );
    let path = lockwatch::watch::state::folder(state.path(), "watch", endpoint, bucket, "")
        .join("status.json");
    let status = serde_json::from_slice(
        &std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; stderr: {}", path.display(), text(&out.stderr))),
    )
    .expect("status.json");
    (out, status)
}

/// The watcher's lock count of versions whose locks lockwatch cannot fully read (a mode it
/// does not know, a hold that is neither ON nor OFF, a date that is no date) and of one
/// retained until 9999-12-31: none of them is counted as unprotected, and the one date past
/// any other is said as it is.
#[test]
fn the_watcher_never_counts_a_lock_it_cannot_read_as_unprotected() {
    let server = Crafted::start(odd_locks);
    let state = tempfile::tempdir().expect("state");
    let (out, status) = watch_once(&server.endpoint, "bup", &state);
    let locks = &status["locks"];
    let by = |p: &str| locks["by_protection"][p].as_u64().unwrap_or(0);
    assert_eq!(
        (by("compliance"), by("unknown"), by("none")),
        (1, 3, 1),
        "only plain.tar is unprotected: {status}; stdout: {}",
        text(&out.stdout)
    );
    assert_eq!(locks["current_versions"], 5, "{status}");
    assert_eq!(locks["current_protected"], 1, "{status}");
    assert_eq!(locks["current_unknown"], 3, "{status}");
    // The earliest end among the retentions in force: FOO's 2099 date, its mode as sent.
    assert_eq!(
        locks["earliest_current"]["until"], "2099-01-01T00:00:00.000Z",
        "{status}"
    );
    assert_eq!(locks["earliest_current"]["mode"], "FOO", "{status}");
    assert!(status["running_out"].is_null(), "{status}");
    let stdout = text(&out.stdout);
    assert!(
        !stdout.contains("retention_running_out") && !stdout.contains("retention_shortened"),
        "{stdout}"
    );
}

/// ListObjectVersions pages that alternate for ever: the watcher's listing stops with the
/// reason, as a failing watcher, in bounded time and requests; the next look does the same
/// (it never takes a listing that went round for a whole one).
#[test]
fn a_listing_that_never_ends_fails_the_watcher_with_the_reason() {
    let server = Crafted::start(alternating);
    let state = tempfile::tempdir().expect("state");
    for look in 0..2 {
        let (out, status) = watch_once(&server.endpoint, "bup", &state);
        assert_eq!(out.status.code(), Some(1), "look {look}: {out:?}");
        let failing = status["failing"].as_str().unwrap_or_default();
        assert!(
            failing.starts_with("listing failed after ") && failing.contains("listing stopped"),
            "look {look}: {failing}"
        );
        // What was listed in full before the loop is kept, and the next look goes on after
        // it: into the same loop, caught the same way.
        assert!(
            failing.contains("(kept: the next look goes on after c)"),
            "look {look}: {failing}"
        );
        assert!(
            status["listed"].is_null(),
            "never a whole listing: {status}"
        );
    }
    // Each look asks a few pages and stops: nothing goes round for ever.
    assert!(
        server.count(|r| r.has_query("versions")) <= 16,
        "{} version listings",
        server.count(|r| r.has_query("versions"))
    );
}
