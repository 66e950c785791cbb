//! The real binary in a pseudo-terminal against a real SeaweedFS server.

use crate::support;

use lockwatch::domain::{RetentionMode, RetentionPeriod};
use lockwatch::s3::PutOptions;
use rustix::process::{Pid, Signal, kill_process};
use std::time::Duration;
use support::pty::Session;
use support::weed::weed;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A COMPLIANCE bucket holding a deleted tux.svg, as in the guide.
fn guide_bucket(endpoint: &str) -> String {
    support::bucket::bucket("e2e")
        .lock(Some((RetentionMode::Compliance, RetentionPeriod::Days(1))))
        .put("tux.svg", lockwatch::seed::TUX_SVG)
        .deleted("tux.svg")
        .make(endpoint)
}

#[test]
fn find_the_deleted_file_see_its_lock_restore_it() {
    let endpoint = &weed().endpoint;
    let bucket = guide_bucket(endpoint);
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(endpoint, &[&location], 120, 35);

    let screen = app.wait_text("No objects here.");
    assert!(
        screen.contains("Press . to show deleted objects"),
        "{screen}"
    );

    app.send(".");
    app.wait_text("× tux.svg");

    app.send("\r");
    let screen = app.wait_for("the version's countdown", Duration::from_secs(20), |s| {
        s.contains("COMPLIANCE") && s.contains("left")
    });
    assert!(screen.contains("marker"), "{screen}");
    assert!(screen.contains("no lock (marker)"), "{screen}");
    // Servers round retain-until to the second, so a fresh one-day lock shows 1d 0h or 23h 59m.
    assert!(
        screen.contains("23h 59m") || screen.contains("1d 0h"),
        "a one-day lock counts down from a day: {screen}"
    );

    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    let screen = app.wait_text("Restored tux.svg");
    assert!(screen.contains("0 deleted"), "{screen}");

    // Delete it again from the objects pane: the versions pane shows the new marker on top.
    app.send("\t");
    app.send("\t");
    app.send("d");
    app.wait_text("Delete object");
    app.send("y");
    let screen = app.wait_text("Deleted tux.svg: delete marker");
    assert!(screen.contains("1 delete marker"), "{screen}");
    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    app.wait_text("Restored tux.svg");

    let restored = runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        s3.list_objects_page(&bucket, "", None).await.expect("list")
    });
    assert_eq!(
        restored.objects.len(),
        1,
        "tux.svg is current again on the server"
    );

    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let raw = app.raw_output();
    let leave_alternate = b"\x1b[?1049l";
    assert!(
        raw.windows(leave_alternate.len())
            .any(|w| w == leave_alternate),
        "the terminal's main screen is restored on quit"
    );
}

fn restored_on_signal(signal: Signal) {
    let endpoint = &weed().endpoint;
    let mut app = Session::start(endpoint, &[], 100, 30);
    app.wait_text("Buckets");
    let pid = app.pid().expect("child pid");
    send(pid, signal);
    assert!(
        app.wait_exit(Duration::from_secs(2)).is_some(),
        "lockwatch exits within 2 s of signal {signal:?}"
    );
    let raw = app.raw_output();
    let leave_alternate = b"\x1b[?1049l";
    assert!(
        raw.windows(leave_alternate.len())
            .any(|w| w == leave_alternate),
        "the terminal is restored after signal {signal:?}"
    );
}

#[test]
fn sigterm_restores_the_terminal() {
    restored_on_signal(Signal::TERM);
}

#[test]
fn sighup_restores_the_terminal() {
    restored_on_signal(Signal::HUP);
}

#[test]
fn missing_credentials_give_a_clear_message_and_no_hang() {
    let home = tempfile::tempdir().expect("home");
    let env: Vec<(String, String)> = support::binary_env("http://127.0.0.1:9", home.path())
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS_KEY_ID") && !k.starts_with("AWS_SECRET"))
        .collect();
    let mut app = Session::start_with_env(&env, &[], 100, 30, home);
    assert_eq!(app.wait_exit(Duration::from_secs(20)), Some(false));
    let out = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(out.contains("no credentials found"), "{out}");
    assert!(out.contains("AWS_ACCESS_KEY_ID"), "{out}");
    assert!(out.contains("AWS_EC2_METADATA_DISABLED=true"), "{out}");
    // The sources tried, one to a line; the causes in words, not the SDK's debug dump.
    assert!(
        out.contains("\n    - environment variables AWS_ACCESS_KEY_ID"),
        "{out}"
    );
    assert!(!out.contains("\\x0a"), "no escaped line breaks: {out}");
    assert!(
        !out.contains("ProviderError") && !out.contains("raw: Response"),
        "{out}"
    );
}

#[test]
fn a_dead_endpoint_is_explained_on_screen_and_lockwatch_keeps_running() {
    let port = support::free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut app = Session::start(&endpoint, &[], 110, 30);
    let screen = app.wait_for("the explanation", Duration::from_secs(60), |s| {
        s.contains("Cannot list buckets")
    });
    assert!(screen.contains("could not be reached"), "{screen}");
    assert!(screen.contains(&endpoint), "{screen}");
    app.send("\r");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn wrong_secret_is_explained() {
    let endpoint = &weed().endpoint;
    let home = tempfile::tempdir().expect("home");
    let env: Vec<(String, String)> = support::binary_env(endpoint, home.path())
        .into_iter()
        .map(|(k, v)| {
            if k == "AWS_SECRET_ACCESS_KEY" {
                (k, "wrong-secret".to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    let mut app = Session::start_with_env(&env, &[], 110, 30, home);
    let screen = app.wait_text("Cannot list buckets");
    assert!(screen.contains("rejected these credentials"), "{screen}");
    assert!(
        !screen.contains("wrong-secret"),
        "the secret never appears on screen"
    );
    app.send("\r");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

/// AWS config and credentials files (mode 0600) in `home` holding one profile with the test
/// keys and `settings`, and an environment that names neither endpoint, keys nor region, so
/// that everything comes from the profile.
fn profile_env(home: &std::path::Path, profile: &str, settings: &str) -> Vec<(String, String)> {
    use std::os::unix::fs::PermissionsExt;
    let files = [
        ("aws-config", format!("[profile {profile}]\n{settings}")),
        (
            "aws-credentials",
            format!(
                "[{profile}]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
                support::ACCESS_KEY,
                support::SECRET_KEY
            ),
        ),
    ];
    for (file, text) in files {
        let path = home.join(file);
        std::fs::write(&path, text).expect("AWS file");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod 600");
    }
    support::binary_env("unused", home)
        .into_iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "AWS_ENDPOINT_URL" | "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_REGION"
            )
        })
        .collect()
}

#[test]
fn profile_from_the_aws_files_with_its_endpoint_url() {
    let endpoint = &weed().endpoint;
    let home = tempfile::tempdir().expect("home");
    let env = profile_env(
        home.path(),
        "backup",
        &format!("region = europe-se-1\nendpoint_url = {endpoint}\n"),
    );
    let mut app = Session::start_with_env(&env, &["--profile", "backup"], 110, 30, home);
    // The server is shared by every test: the list is there once any bucket (or none) is.
    let screen = app.wait_for("the bucket list", Duration::from_secs(20), |s| {
        s.contains("│lw-") || s.contains("No buckets.")
    });
    assert!(
        screen.contains(endpoint.as_str()),
        "the profile's endpoint_url is used: {screen}"
    );
    assert!(
        screen.contains("europe-se-1"),
        "the profile's region is used: {screen}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn sandbox_command_prints_its_environment_and_refuses_deleting_a_locked_version() {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(["sandbox", "--port", "0"])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start lockwatch sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let mut vars = std::collections::HashMap::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            vars.insert(k.to_string(), v.to_string());
        }
        if vars.len() == 4 {
            break;
        }
    }
    let endpoint = vars
        .get("AWS_ENDPOINT_URL")
        .expect("endpoint printed")
        .clone();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let refused = runtime().block_on(async {
        let options = lockwatch::s3::ConnectOptions {
            endpoint_url: Some(endpoint.clone()),
            region: vars.get("AWS_REGION").cloned(),
            static_credentials: Some(lockwatch::s3::StaticCredentials {
                access_key_id: vars.get("AWS_ACCESS_KEY_ID").expect("key").clone(),
                secret_access_key: vars.get("AWS_SECRET_ACCESS_KEY").expect("secret").clone(),
            }),
            ..Default::default()
        };
        let s3 = lockwatch::s3::connect(&options).await.expect("connect").s3;
        let history = s3
            .key_history("bup", "tux.svg")
            .await
            .expect("seeded tux.svg");
        assert!(
            history[0].is_delete_marker(),
            "tux.svg is deleted, as in the guide"
        );
        let version = history
            .iter()
            .find(|e| !e.is_delete_marker())
            .expect("the hidden version");
        s3.delete_version("bup", "tux.svg", &version.version_id)
            .unrecorded()
            .await
    });
    let _ = child.kill();
    let _ = child.wait();
    let err = refused.expect_err("a COMPLIANCE version cannot be deleted");
    assert_eq!(err.code(), Some("AccessDenied"), "{err}");
}

#[test]
fn a_lock_runs_out_on_screen_and_the_refused_delete_then_succeeds() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let (bucket, version) = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::bucket::bucket("expiry").lock(None).on(&s3).await;
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(15);
        let options = PutOptions {
            retention: Some((RetentionMode::Compliance, until)),
            ..PutOptions::default()
        };
        let version = s3
            .put_bytes(&bucket, "short.txt", b"short".to_vec(), &options)
            .unrecorded()
            .await
            .expect("put")
            .expect("version id");
        let refused = s3
            .delete_version(&bucket, "short.txt", &version)
            .unrecorded()
            .await;
        assert_eq!(refused.expect_err("locked").code(), Some("AccessDenied"));
        (bucket, version)
    });
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(&endpoint, &[&location], 120, 35);
    app.wait_text("short.txt");
    app.send("\r");
    let screen = app.wait_for("a running countdown", Duration::from_secs(10), |s| {
        s.contains("COMPLIANCE") && s.contains("s left")
    });
    assert!(!screen.contains("expired"), "{screen}");
    // Before the countdown reaches zero, lockwatch's own permanent delete is refused.
    app.send("D");
    app.wait_text("Delete version permanently");
    app.send("short.txt\r");
    let screen = app.wait_text("Delete refused");
    assert!(screen.contains("AccessDenied"), "{screen}");
    app.send("\r");
    app.wait_for(
        "the lock to run out on screen",
        Duration::from_secs(40),
        |s| s.contains("expired — deletable"),
    );
    // Then the same delete succeeds.
    app.send("D");
    let screen = app.wait_text("Delete version permanently");
    assert!(screen.contains("retention ran out"), "{screen}");
    app.send("short.txt\r");
    app.wait_text("for good.");
    app.wait_text("This key has no versions.");
    let gone = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.key_history(&bucket, "short.txt").await.expect("history")
    });
    assert!(gone.is_empty(), "version {version} is gone");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn a_missing_bucket_is_explained_in_the_objects_pane() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let mut app = Session::start(&endpoint, &["s3://no-such-bucket-here/"], 120, 35);
    let screen = app.wait_text("The server refused or did not answer");
    assert!(screen.contains("NoSuchBucket"), "{screen}");
    assert!(!screen.contains("No objects here."), "{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn a_refused_permanent_delete_is_explained_and_audited() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = guide_bucket(&endpoint);
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(&endpoint, &[&location], 130, 40);
    app.wait_text("No objects here.");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("\r");
    app.wait_for("the version's lock", Duration::from_secs(10), |s| {
        s.contains("s left")
    });
    app.send("j");
    app.send("D");
    let screen = app.wait_text("Delete version permanently");
    assert!(screen.contains("COMPLIANCE retention until"), "{screen}");
    assert!(screen.contains("expected to refuse"), "{screen}");
    app.send("tux.sv");
    app.send("\r");
    assert!(
        !app.screen().contains("Delete refused"),
        "Enter does nothing until the whole name is typed"
    );
    app.send("g\r");
    let screen = app.wait_text("Delete refused");
    assert!(
        screen.contains("Refused by the server (AccessDenied"),
        "{screen}"
    );
    assert!(
        screen.contains("Nobody, administrators included, can delete it"),
        "{screen}"
    );
    app.send("\r");
    app.send("A");
    let screen = app.wait_text("Audit trail");
    assert!(screen.contains("refused"), "{screen}");
    assert!(screen.contains("delete-version"), "{screen}");
    assert!(screen.contains("AccessDenied"), "{screen}");
    let trail = std::fs::read_to_string(app.home.path().join(".local/share/lockwatch/audit.jsonl"))
        .expect("the audit trail is in the data directory");
    assert!(trail.contains("\"outcome\":\"refused\""), "{trail}");
    assert!(
        !trail.contains(support::SECRET_KEY),
        "no secret in the audit trail"
    );
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let still_there = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.key_history(&bucket, "tux.svg").await.expect("history")
    });
    assert_eq!(still_there.len(), 2, "the locked version is still there");
}

#[test]
fn legal_hold_and_restore_by_copy_from_the_versions_pane() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::bucket::bucket("hold").lock(None).on(&s3).await;
        for body in ["good", "ransomed"] {
            s3.put_bytes(
                &bucket,
                "conf",
                body.as_bytes().to_vec(),
                &PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("put");
        }
        bucket
    });
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(&endpoint, &[&location], 130, 40);
    app.wait_text("conf");
    app.send("\r");
    app.wait_text("2 versions");
    app.wait_for("locks loaded", Duration::from_secs(10), |s| {
        s.contains("no lock")
    });
    app.send("j");
    app.send("H");
    app.wait_text("Place legal hold");
    app.send("y");
    let screen = app.wait_text("Legal hold placed");
    assert!(screen.contains("HOLD"), "{screen}");
    app.send("i");
    let screen = app.wait_text("Version details (HeadObject)");
    assert!(screen.contains("Legal hold          ON"), "{screen}");
    assert!(screen.contains("ETag"), "{screen}");
    assert!(screen.contains("under a legal hold"), "{screen}");
    app.send("\r");
    app.send("\t");
    app.send("i");
    let screen = app.wait_text("Object Lock         enabled, no default retention");
    assert!(screen.contains("Versioning          Enabled"), "{screen}");
    app.send("\r");
    app.send("\t");
    app.send("\t");
    app.send("p");
    app.wait_text("Restore by copy");
    app.send("y");
    app.wait_text("it is current again");
    let screen = app.wait_text("3 versions");
    assert!(screen.contains("latest"), "{screen}");
    let current = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.get_bytes(&bucket, "conf", None).await.expect("get")
    });
    assert_eq!(current, b"good", "the older content is current again");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn shortening_governance_retention_needs_the_bypass_and_is_read_back() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        support::bucket::bucket("gov")
            .lock(Some((RetentionMode::Governance, RetentionPeriod::Days(7))))
            .put("weekly.tar", "tar")
            .on(&s3)
            .await
    });
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(&endpoint, &[&location], 130, 40);
    app.wait_text("weekly.tar");
    app.send("\r");
    app.wait_for("the lock", Duration::from_secs(10), |s| {
        s.contains("GOVERNANCE") && s.contains("left")
    });
    app.send("e");
    app.wait_text("Set retention");
    app.send("\u{7f}\u{7f}+2");
    app.wait_text("needs the bypass");
    app.send("\r");
    assert!(
        !app.screen().contains("Yes, set retention"),
        "no confirmation while refused"
    );
    app.send("\u{2}");
    app.wait_text("your permissions, not the lock");
    app.send("\r");
    app.wait_text("Yes, set retention");
    app.send("y");
    let screen = app.wait_text("read back from the server");
    assert!(
        screen.contains("2d 0h left") || screen.contains("1d 23h left"),
        "two days from now, shortened from seven: {screen}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

/// COMPLIANCE shortening is refused by lockwatch first; ctrl-s sends it anyway (typed
/// confirmation) so that the auditor sees the server's own refusal, which is audited.
fn a_compliance_shortening_sent_anyway_shows_the_servers_refusal(endpoint: &str) {
    let bucket = runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        support::bucket::bucket("anyway")
            .lock(Some((RetentionMode::Compliance, RetentionPeriod::Days(2))))
            .put("backup.tar", "tar")
            .on(&s3)
            .await
    });
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(endpoint, &[&location], 130, 40);
    app.wait_text("backup.tar");
    app.send("\r");
    app.wait_for("the lock", Duration::from_secs(10), |s| {
        s.contains("COMPLIANCE") && s.contains("left")
    });
    app.send("e");
    app.wait_text("Set retention");
    app.send("\u{7f}\u{7f}+1");
    app.wait_text("can only be extended");
    app.wait_text("ctrl-s: send it anyway");
    app.send("\u{13}");
    app.wait_text("Show the server's refusal");
    app.send("send anyway");
    app.send("\r");
    let screen = app.wait_text("Refused by the server");
    assert!(screen.contains("AccessDenied"), "{screen}");
    // And explained as what it was: the retention sent, for which version, and why a
    // COMPLIANCE retention refuses it (not the explanation of a refused delete).
    // Read as one text: the popup wraps its lines between its borders.
    let flat = screen
        .split_whitespace()
        .filter(|w| !w.chars().all(|c| ('\u{2500}'..='\u{257F}').contains(&c)))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("Sent: COMPLIANCE retention until") && flat.contains("for version"),
        "{screen}"
    );
    assert!(
        flat.contains("can only be extended") && flat.contains("shorten it to"),
        "{screen}"
    );
    assert!(!flat.contains("can delete it before then"), "{screen}");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let trail = std::fs::read_to_string(app.home.path().join(".local/share/lockwatch/audit.jsonl"))
        .expect("the audit trail");
    assert!(
        trail.contains("\"outcome\":\"refused\"") && trail.contains("AccessDenied"),
        "the refusal is evidence in the trail: {trail}"
    );
    // And the version kept its two days.
    let lock = runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let history = s3
            .key_history(&bucket, "backup.tar")
            .await
            .expect("history");
        s3.head_version(&bucket, "backup.tar", &history[0].version_id)
            .await
            .expect("head")
    });
    let until = lock.retain_until.expect("a retention").instant();
    assert!(
        until > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(36),
        "not shortened: {until}"
    );
}

#[test]
fn a_compliance_shortening_sent_anyway_is_refused_by_ceph() {
    a_compliance_shortening_sent_anyway_shows_the_servers_refusal(
        &support::ceph::ceph().endpoint.clone(),
    );
}

#[test]
fn a_compliance_shortening_sent_anyway_is_refused_by_seaweedfs() {
    a_compliance_shortening_sent_anyway_shows_the_servers_refusal(&weed().endpoint.clone());
}

#[test]
fn create_a_lock_bucket_as_the_guide_does_and_change_its_default() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let name = support::unique_bucket("made");
    let mut app = Session::start(&endpoint, &[], 130, 40);
    app.wait_text("Buckets");
    app.send("c");
    app.wait_text("Create bucket");
    app.send("B");
    app.wait_text("not allowed: only lowercase");
    app.send("\u{7f}");
    app.send(&name);
    app.send("\t");
    for _ in 0.."us-east-1".len() {
        app.send("\u{7f}");
    }
    app.send("europe-se-1");
    app.wait_text("Ready: Enter reviews");
    app.send("\r");
    let screen = app.wait_text("Yes, create bucket");
    assert!(
        screen.contains("LocationConstraint: europe-se-1"),
        "{screen}"
    );
    assert!(
        screen.contains("locked under COMPLIANCE for 1 day"),
        "{screen}"
    );
    app.send("y");
    let screen = app.wait_text("(read back from the server)");
    assert!(screen.contains("COMPLIANCE 1 day"), "{screen}");
    let location = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.bucket_location(&name).await.expect("location")
    });
    assert_eq!(location.as_deref(), Some("europe-se-1"));

    // Select the new bucket (filter) and switch its default to GOVERNANCE for 7 days.
    app.send("/");
    app.send(&name);
    app.send("\r");
    app.send("L");
    app.wait_text(&format!("Lock settings of {name}"));
    app.send(" ");
    app.send("\t");
    app.send("\u{7f}7");
    app.send("\r");
    app.wait_text("Yes, lock settings");
    app.send("y");
    let screen = app.wait_text("GOVERNANCE 7 days (read back");
    assert!(screen.contains("GOVERNANCE 7 days"), "{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

/// The guide from "Create bucket" to the final AccessDenied, entirely inside lockwatch, against
/// Ceph RGW — what the guide's cloud runs.
#[test]
fn the_guide_replayed_inside_lockwatch_against_ceph() {
    let endpoint = support::ceph::ceph().endpoint.clone();
    let name = support::unique_bucket("guide");
    let home = tempfile::tempdir().expect("home");
    let tux = home.path().join("tux.svg");
    std::fs::write(&tux, lockwatch::seed::TUX_SVG).expect("tux.svg");
    let env = support::binary_env(&endpoint, home.path())
        .into_iter()
        .map(|(k, v)| {
            if k == "AWS_REGION" {
                (k, support::ceph::ZONEGROUP.to_string())
            } else {
                (k, v)
            }
        })
        .collect::<Vec<_>>();
    let region = support::ceph::ZONEGROUP;
    let mut app = Session::start_with_env(&env, &[], 140, 40, home);

    // Create bucket, with LocationConstraint europe-se-1 (typed, as the guide gives it), Object
    // Lock, COMPLIANCE for 1 day.
    app.wait_text("Buckets");
    app.send("c");
    app.wait_text("Create bucket");
    app.send(&name);
    app.send("\t");
    app.send(region);
    app.wait_text("Ready: Enter reviews");
    app.send("\r");
    app.wait_text(&format!("LocationConstraint: {region}"));
    app.send("y");
    let screen = app.wait_text("(read back from the server)");
    assert!(screen.contains("COMPLIANCE 1 day"), "{screen}");

    // Open it and upload tux.svg.
    app.send("/");
    app.send(&name);
    app.send("\r");
    app.send("\r");
    app.wait_text("No objects here.");
    app.send("u");
    app.wait_text("Upload");
    let path = tux.display().to_string();
    app.send(&path[..path.len() - 3]);
    app.send("\t");
    app.wait_text("Ready: Enter uploads to tux.svg");
    app.send("\r");
    let screen = app.wait_text("(read back).");
    assert!(
        screen.contains("COMPLIANCE until"),
        "the bucket default locked it: {screen}"
    );

    // Delete it: a delete marker hides it; the version is still there.
    app.wait_text("/ 1 object ");
    app.send("d");
    app.wait_text("Delete object");
    app.send("y");
    app.wait_text("Deleted tux.svg: delete marker");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("\r");
    let screen = app.wait_for("the version and its marker", Duration::from_secs(15), |s| {
        s.contains("1 version · 1 delete marker") && s.contains("s left")
    });
    assert!(screen.contains("COMPLIANCE"), "{screen}");

    // Restore it by removing the marker.
    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    app.wait_text("Restored tux.svg");
    app.wait_text("1 version · 0 delete markers");

    // The attacker's delete of the version: refused, and explained.
    app.send("D");
    app.wait_text("Delete version permanently");
    app.send("tux.svg");
    app.send("\r");
    let screen = app.wait_text("Delete refused");
    assert!(screen.contains("AccessDenied"), "{screen}");
    assert!(
        screen.contains("Nobody, administrators included"),
        "{screen}"
    );
    app.send("\r");

    // A version with a short retention: refused while the countdown runs, deleted after.
    app.send("\t");
    app.send("\t");
    app.send("u");
    app.wait_text("Upload");
    app.send(&path);
    app.send("\u{1b}[B");
    for _ in 0.."tux.svg".len() {
        app.send("\u{7f}");
    }
    app.send("short.svg");
    app.send("\u{1b}[B");
    app.send(" ");
    app.send("\u{1b}[B");
    app.send("\u{7f}\u{7f}+25s");
    app.wait_text("Ready: Enter uploads to short.svg");
    app.send("\r");
    app.wait_text("Uploaded short.svg");
    app.send("/short\r");
    app.send("\r");
    app.wait_for("the short countdown", Duration::from_secs(15), |s| {
        s.contains("short.svg 1 version") && s.contains("s left")
    });
    app.send("D");
    app.wait_text("Delete version permanently");
    app.send("short.svg\r");
    let screen = app.wait_text("Delete refused");
    assert!(screen.contains("AccessDenied"), "{screen}");
    app.send("\r");
    app.wait_for(
        "the countdown to reach zero",
        Duration::from_secs(50),
        |s| s.contains("expired — deletable"),
    );
    app.send("D");
    app.wait_text("Delete version permanently");
    app.send("short.svg\r");
    app.wait_text("for good.");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn save_a_version_checked_against_its_etag_and_never_overwrite_silently() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::bucket::bucket("save").versioned().on(&s3).await;
        for body in ["first", "second"] {
            s3.put_bytes(
                &bucket,
                "../../escape.txt",
                body.as_bytes().to_vec(),
                &PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("put");
        }
        bucket
    });
    let home = tempfile::tempdir().expect("home");
    let target = home.path().join("saved");
    std::fs::create_dir(&target).expect("dir");
    let env = support::binary_env(&endpoint, home.path());
    let mut app = Session::start_with_env(&env, &[&format!("s3://{bucket}/")], 130, 40, home);
    app.wait_text("../");
    // The hostile key sits under the prefixes "../" and "../../".
    app.send("\r");
    app.wait_text("s3://");
    app.send("\r");
    app.wait_text("escape.txt");
    app.send("\r");
    app.wait_text("2 versions");
    app.send("j");
    app.send("s");
    app.wait_text("Save a version");
    for _ in 0..2 {
        app.send("\u{7f}");
    }
    app.send(&format!("{}/", target.display()));
    let screen = app.wait_text("Ready: Enter saves as");
    assert!(screen.contains("saved/escape.txt"), "{screen}");
    app.send("\r");
    let screen = app.wait_text("MD5 matches the ETag");
    assert!(screen.contains("Saved"), "{screen}");
    assert_eq!(
        std::fs::read(target.join("escape.txt")).expect("saved"),
        b"first"
    );
    // Saving the latest version over it asks first; "no" keeps the file.
    app.send("k");
    app.send("s");
    app.wait_text("Save a version");
    for _ in 0..2 {
        app.send("\u{7f}");
    }
    app.send(&format!("{}/", target.display()));
    app.send("\r");
    app.wait_text("Replace local file?");
    app.send("n");
    assert_eq!(
        std::fs::read(target.join("escape.txt")).expect("kept"),
        b"first"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&target).expect("dir").flatten().collect();
    assert_eq!(leftovers.len(), 1, "no partial file is left behind");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn read_only_says_so_and_sends_no_write() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = guide_bucket(&endpoint);
    let mut app = Session::start(
        &endpoint,
        &["--read-only", &format!("s3://{bucket}/")],
        120,
        35,
    );
    // The listing may still be loading when the title first says READ-ONLY.
    let screen = app.wait_text("No objects here.");
    assert!(screen.contains("READ-ONLY"), "{screen}");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("r");
    app.wait_text("Read-only (--read-only): lockwatch sends no writes.");
    app.send("?");
    app.wait_text("(unavailable: read-only)");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let history = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.key_history(&bucket, "tux.svg").await.expect("history")
    });
    assert!(
        history[0].is_delete_marker(),
        "still deleted: nothing was written"
    );
}

#[test]
fn a_credentials_file_others_can_read_is_named_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let home = tempfile::tempdir().expect("home");
    let credentials = home.path().join("aws-credentials");
    std::fs::write(
        &credentials,
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            support::ACCESS_KEY,
            support::SECRET_KEY
        ),
    )
    .expect("write");
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let env: Vec<(String, String)> = support::binary_env(&endpoint, home.path())
        .into_iter()
        .filter(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY")
        .collect();
    let mut app = Session::start_with_env(&env, &[], 160, 30, home);
    let screen = app.wait_text("can be read by other users");
    assert!(screen.contains("chmod 600"), "{screen}");
    assert!(screen.contains("aws-credentials"), "{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(
        !raw.contains(support::SECRET_KEY),
        "the secret never reaches the terminal"
    );
}

/// Where `needle` starts on the screen, as (row, column) of cells.
fn find_cells(screen: &vt100::Screen, needle: &str) -> Option<(u16, u16)> {
    let (rows, cols) = screen.size();
    for row in 0..rows {
        let mut text = String::new();
        let mut starts = Vec::new();
        for col in 0..cols {
            let Some(cell) = screen.cell(row, col) else {
                continue;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            starts.push((text.len(), col));
            text.push_str(if cell.has_contents() {
                cell.contents()
            } else {
                " "
            });
        }
        if let Some(at) = text.find(needle) {
            let col = starts
                .iter()
                .find(|(byte, _)| *byte == at)
                .map(|(_, c)| *c)?;
            return Some((row, col));
        }
    }
    None
}

#[test]
fn hostile_key_names_are_drawn_escaped_and_change_nothing_in_the_terminal() {
    let endpoint = &weed().endpoint;
    let bucket = runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let bucket = support::bucket::bucket("hostile").versioned().on(&s3).await;
        for key in support::hostile_keys() {
            // SeaweedFS refuses `.` and `..` segments (see Deviations in conformance.rs).
            if key.split('/').any(|s| s == "." || s == "..") {
                continue;
            }
            s3.put_bytes(&bucket, &key, b"x".to_vec(), &PutOptions::default())
                .unrecorded()
                .await
                .unwrap_or_else(|e| panic!("upload {key:?}: {e}"));
        }
        bucket
    });
    let mut app = Session::start(endpoint, &[&format!("s3://{bucket}/")], 200, 90);
    let screen = app.wait_text("osc-title");
    for shown in [
        r#""osc-title-\x1b]0;pwned by key\x07.txt""#,
        r#""osc52-clipboard-\x1b]52;c;cm0gLXJmIH4K\x07.txt""#,
        r#""csi-clear-\x1b[2J\x1b[H\x1b[31mred.txt""#,
        r#""modes-\x1b[?1049l\x1b[?25l\x1b[?1000h.txt""#,
        r#""c1-csi-\x9b31mred\x9d0;title\x9c.txt""#,
        r#""controls-\x01\x07\x08\x7f\x7f.bin""#,
        r#""newline-\x0afake-row\x0dover.txt""#,
        r#""tab\x09in\x09name.txt""#,
        r#""bidi-\u{202e}gpj.exe""#,
        r#""isolates-\u{2066}txt.exe\u{2069}.pdf""#,
        r#""zero-width-\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}.txt""#,
        r#""separators-\u{2028}line\u{2029}para.txt""#,
        r#""replacement-\u{fffd}.txt""#,
        r#""trailing-space.txt ""#,
        r#"" leading-space.txt""#,
        r#""\"quoted\".txt""#,
        "日本語のバックアップ.tar.gz",
        "emoji-💾-disk.img",
    ] {
        assert!(screen.contains(shown), "{shown} not on screen:\n{screen}");
    }
    for forbidden in [
        '\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}', '\u{200b}', '\u{feff}',
    ] {
        assert!(
            !screen.contains(forbidden),
            "{forbidden:?} reached the screen"
        );
    }
    // A row per key: the newline in a key did not start a row of its own.
    assert!(!screen.contains("\nfake-row"), "{screen}");

    // The text after an embedded colour sequence is drawn in lockwatch's colours, not red.
    let colours = app
        .with_screen(|s| {
            let (row, col) = find_cells(s, "csi-clear-").expect("row on screen");
            (col..col + 40)
                .filter_map(|c| s.cell(row, c))
                .map(|cell| (cell.fgcolor(), cell.bgcolor()))
                .collect::<Vec<_>>()
        })
        .expect("screen");
    assert!(
        colours
            .iter()
            .all(|c| *c == (vt100::Color::Default, vt100::Color::Default)),
        "{colours:?}"
    );

    // The full key in the versions pane's header, escaped the same way.
    app.send("/");
    app.send("bidi-");
    app.send("\r");
    app.send("\r");
    let screen = app.wait_text("1 version");
    assert!(
        screen.contains(r#"Versions  "bidi-\u{202e}gpj.exe""#),
        "{screen}"
    );
    // SeaweedFS lists the versions of a key holding control characters under an altered name
    // (U+FFFD): lockwatch says so instead of claiming the key has no versions.
    app.send("h");
    app.send("/");
    app.send(&"\u{7f}".repeat("bidi-".len()));
    app.send("osc-title");
    app.send("\r");
    app.send("\r");
    let screen = app.wait_text("altered names");
    assert!(
        screen.contains(r#""osc-title-\x1b]0;pwned by key\x07.txt""#),
        "{screen}"
    );
    assert!(!screen.contains("This key has no versions"), "{screen}");

    // Nothing but lockwatch's own modes: alternate screen, mouse presses and the wheel, no
    // paste mode.
    let modes = app
        .with_screen(|s| {
            (
                s.alternate_screen(),
                s.mouse_protocol_mode(),
                s.bracketed_paste(),
                s.application_keypad(),
            )
        })
        .expect("screen");
    assert_eq!(
        modes,
        (true, vt100::MouseProtocolMode::PressRelease, false, false),
        "terminal modes"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    // No title, clipboard write, bell or unknown sequence; CSI 59m (default underline
    // colour) is lockwatch's own style reset.
    let events: Vec<String> = app
        .terminal_events()
        .into_iter()
        .filter(|e| e != "unhandled CSI None None [[59]] 'm'")
        .collect();
    assert!(events.is_empty(), "the terminal was made to: {events:?}");
    let raw = app.raw_output();
    for sequence in [&b"\x1b]"[..], b"\x1bP", b"\x07", b"\xc2\x9b", b"\xc2\x9d"] {
        assert!(
            !raw.windows(sequence.len()).any(|w| w == sequence),
            "{sequence:?} was written to the terminal"
        );
    }
    assert!(
        !app.with_screen(|s| s.alternate_screen()).expect("screen"),
        "the terminal is back on its main screen"
    );
}

/// The state letter of a process in /proc (`T` stopped, `S` sleeping, `R` running).
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) S ...": the command name may hold spaces and parentheses.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

fn wait_process_state(pid: u32, want: char) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if process_state(pid) == Some(want) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "lockwatch (pid {pid}) did not reach state {want} in 5 s; it is {:?}",
        process_state(pid)
    );
}

/// kill(2) to a process this test started.
fn send(pid: u32, signal: Signal) {
    let target = i32::try_from(pid)
        .ok()
        .and_then(Pid::from_raw)
        .expect("a child's pid");
    kill_process(target, signal).unwrap_or_else(|e| panic!("kill({pid}, {signal:?}): {e}"));
}

#[test]
fn ctrl_z_suspends_continue_redraws_and_resizing_never_breaks_the_screen() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = guide_bucket(&endpoint);
    let mut app = Session::start(&endpoint, &[&format!("s3://{bucket}/")], 100, 30);
    app.wait_text("Objects");
    let pid = app.pid().expect("pid");

    for (how, stop) in [("Ctrl-Z", None), ("kill -TSTP", Some(Signal::TSTP))] {
        match stop {
            None => app.send("\u{1a}"),
            Some(sig) => send(pid, sig),
        }
        wait_process_state(pid, 'T');
        let (alternate, cursor_hidden) = app
            .with_screen(|s| (s.alternate_screen(), s.hide_cursor()))
            .expect("screen");
        assert!(
            !alternate && !cursor_hidden,
            "after {how} the shell gets its screen and cursor back"
        );
        // What the shell's `fg` does.
        send(pid, Signal::CONT);
        app.wait_for(
            &format!("the whole screen drawn again after {how}"),
            Duration::from_secs(5),
            |s| s.contains("Objects") && s.contains("Buckets") && s.contains("q quit"),
        );
        assert!(app.with_screen(|s| s.alternate_screen()).expect("screen"));
    }

    // Resizing redraws at the new size, and tiny sizes do not kill lockwatch.
    app.resize(80, 24);
    app.wait_for("a redraw at 80x24", Duration::from_secs(5), |s| {
        s.lines().nth(23).is_some_and(|l| l.contains("quit"))
    });
    for (cols, rows) in [(40, 12), (1, 1), (2, 3), (10, 1)] {
        app.resize(cols, rows);
        std::thread::sleep(Duration::from_millis(200));
    }
    app.resize(120, 35);
    app.wait_for("a redraw at 120x35", Duration::from_secs(5), |s| {
        s.lines().nth(34).is_some_and(|l| l.contains("quit")) && s.contains("Buckets")
    });
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

/// Every file under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn the_log_is_off_unless_asked_private_and_never_holds_a_secret() {
    use std::os::unix::fs::PermissionsExt;
    const TOKEN: &str = "FwoGZXIvYXdzEKnownSessionTokenForLockwatchTests0123456789";
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = guide_bucket(&endpoint);
    let location = format!("s3://{bucket}/");

    // Not asked for: no log file is written anywhere.
    let mut app = Session::start(&endpoint, &[&location], 120, 35);
    app.wait_text("Press . to show deleted objects");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let written = files_under(app.home.path());
    assert!(
        !written.iter().any(|p| p.to_string_lossy().contains(".log")),
        "{written:?}"
    );

    // Asked for at the most verbose level, with a session token: a listing and a write.
    let home = tempfile::tempdir().expect("home");
    let mut env = support::binary_env(&endpoint, home.path());
    env.push(("LOCKWATCH_LOG".into(), "trace".into()));
    env.push(("AWS_SESSION_TOKEN".into(), TOKEN.into()));
    let mut app = Session::start_with_env(&env, &[&location], 120, 35, home);
    app.wait_text("Press . to show deleted objects");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    app.wait_text("Restored tux.svg");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));

    let log = app.home.path().join(".local/state/lockwatch/lockwatch.log");
    let text = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let mode = std::fs::metadata(&log).expect("log").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the log is private");
    assert!(text.contains("lockwatch log started"), "{text}");
    assert!(
        text.contains("DeleteObject") || text.contains("delete_object"),
        "the write is logged"
    );
    assert!(
        text.contains("aws_smithy"),
        "the SDK's own tracing is captured"
    );
    assert!(
        text.contains("****************tkey"),
        "the access key appears masked"
    );
    // Nothing secret in any file lockwatch wrote (log, audit trail), nor on the terminal.
    for path in files_under(app.home.path()) {
        let content = String::from_utf8_lossy(&std::fs::read(&path).expect("read")).to_string();
        for secret in [support::SECRET_KEY, TOKEN] {
            assert!(
                !content.contains(secret),
                "{} holds a secret",
                path.display()
            );
        }
    }
    let raw = String::from_utf8_lossy(&app.raw_output()).to_string();
    assert!(!raw.contains(TOKEN) && !raw.contains(support::SECRET_KEY));
    assert!(
        !raw.contains("log started"),
        "the log never goes to the terminal"
    );
}

#[test]
fn a_confirmation_left_open_while_another_client_writes_rechecks_and_says_what_changed() {
    let endpoint = &weed().endpoint;
    let bucket = runtime().block_on(async {
        let s3 = support::client(endpoint).await;
        let bucket = support::bucket::bucket("changed").versioned().on(&s3).await;
        for (key, body) in [
            ("a.txt", "a1"),
            ("b.txt", "b1"),
            ("b.txt", "b2"),
            ("c.txt", "c1"),
        ] {
            s3.put_bytes(
                &bucket,
                key,
                body.as_bytes().to_vec(),
                &PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("upload");
        }
        s3.delete_object(&bucket, "a.txt")
            .unrecorded()
            .await
            .expect("delete");
        bucket
    });
    // Another client, writing while lockwatch's confirmation is open.
    let other_writes = |key: &str| {
        runtime().block_on(async {
            let s3 = support::client(endpoint).await;
            s3.put_bytes(&bucket, key, b"meanwhile".to_vec(), &PutOptions::default())
                .unrecorded()
                .await
                .expect("the other client's upload")
        })
    };
    let entries = |key: &str| {
        runtime().block_on(async {
            let s3 = support::client(endpoint).await;
            s3.key_history(&bucket, key).await.expect("history").len()
        })
    };
    let mut app = Session::start(endpoint, &[&format!("s3://{bucket}/")], 160, 40);
    app.wait_text("c.txt");
    // The delete dialog depends on the bucket's versioning: wait until it is known.
    app.wait_for("the bucket's versioning", Duration::from_secs(20), |s| {
        s.lines()
            .any(|l| l.contains(&bucket) && l.contains("Enabled"))
    });

    // d on c.txt: a new version arrives before the yes.
    app.send("j");
    app.send("d");
    app.wait_text("Delete object");
    let newest = other_writes("c.txt").expect("a version id");
    app.send("y");
    let screen = app.wait_text("Delete not done: the object changed");
    assert!(screen.contains(&newest), "{screen}");
    assert_eq!(entries("c.txt"), 2, "no delete marker was added");
    app.send("\u{1b}");

    // r on the deleted a.txt: a new version arrives before the yes.
    app.send(".");
    app.wait_text("× a.txt");
    app.send("g");
    app.send("r");
    app.wait_text("Restore deleted object");
    let newest = other_writes("a.txt").expect("a version id");
    app.send("y");
    let screen = app.wait_text("Restore not done");
    assert!(screen.contains("is no longer the latest entry"), "{screen}");
    assert!(screen.contains(&newest), "{screen}");
    assert_eq!(entries("a.txt"), 3, "the marker was not deleted");
    app.send("\u{1b}");

    // p on b.txt's older version: a new version arrives before the yes.
    app.send("/");
    app.send("b.txt");
    app.send("\r");
    app.send("\r");
    app.wait_text("2 versions");
    app.send("j");
    app.send("p");
    app.wait_text("Restore by copy");
    let newest = other_writes("b.txt").expect("a version id");
    app.send("y");
    let screen = app.wait_text("Restore by copy not done: the object changed");
    assert!(screen.contains(&newest), "{screen}");
    assert_eq!(entries("b.txt"), 3, "nothing was copied");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn a_profile_marked_read_only_makes_the_session_read_only() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = guide_bucket(&endpoint);
    let home = tempfile::tempdir().expect("home");
    let env = profile_env(
        home.path(),
        "auditor",
        &format!("endpoint_url = {endpoint}\nlockwatch_read_only = true\n"),
    );
    let location = format!("s3://{bucket}/");
    let mut app =
        Session::start_with_env(&env, &["--profile", "auditor", &location], 120, 35, home);
    app.wait_text("READ-ONLY");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("r");
    app.wait_text("Read-only (lockwatch_read_only = true in profile 'auditor')");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let history = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.key_history(&bucket, "tux.svg").await.expect("history")
    });
    assert!(history[0].is_delete_marker(), "nothing was written");
}

#[test]
fn countdowns_follow_the_servers_clock_when_it_differs_from_this_machines() {
    let endpoint = support::sandbox::sandbox().endpoint.clone();
    let bucket = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::bucket::bucket("clock").lock(None).on(&s3).await;
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
        let options = PutOptions {
            retention: Some((RetentionMode::Compliance, until)),
            ..PutOptions::default()
        };
        s3.put_bytes(&bucket, "audit.log", b"audit".to_vec(), &options)
            .unrecorded()
            .await
            .expect("put");
        bucket
    });
    // The server's answers are dated ten minutes later than this machine's clock says. (The
    // SDK then signs with the server's time, as it should; a real server beyond 15 minutes
    // would refuse a client that did not.)
    let proxy = support::faults::FaultProxy::start(&endpoint);
    proxy.inject(
        support::faults::Filter::any(),
        support::faults::Fault::ShiftDate(600),
        None,
    );
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 160, 40);
    app.wait_text("audit.log");
    app.send("\r");
    let screen = app.wait_for("the countdown", Duration::from_secs(20), |s| {
        s.contains("COMPLIANCE") && s.contains(" left")
    });
    // Two hours of retention by this machine's clock; 1h 50m left by the server's.
    let countdown = screen
        .lines()
        .find(|l| l.contains("COMPLIANCE") && l.contains(" left"))
        .expect("a countdown row");
    assert!(
        countdown.contains(" 1h 49m ") || countdown.contains(" 1h 50m "),
        "{countdown}"
    );
    let top = screen.lines().next().unwrap_or_default();
    assert!(
        top.contains("server clock 10m 0") && top.contains("ahead"),
        "the top line says so: {top}"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn y_copies_the_uri_through_the_terminal_with_osc_52() {
    let endpoint = weed().endpoint.clone();
    let bucket = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::bucket::bucket("copy").on(&s3).await;
        s3.put_bytes(
            &bucket,
            "db/dump.sql",
            b"x".to_vec(),
            &PutOptions::default(),
        )
        .unrecorded()
        .await
        .expect("upload");
        bucket
    });
    let mut app = Session::start(&endpoint, &[&format!("s3://{bucket}/db/")], 160, 40);
    app.wait_text("dump.sql");
    app.send("y");
    app.wait_text("Copy to the clipboard");
    app.send("u");
    app.wait_text("Copied the s3:// URI");
    let expected = lockwatch::runtime::terminal::osc52(&format!("s3://{bucket}/db/dump.sql"));
    let raw = app.raw_output();
    assert!(
        raw.windows(expected.len())
            .any(|w| w == expected.as_bytes()),
        "the OSC 52 sequence for the URI was not written"
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn the_mouse_selects_opens_and_can_be_handed_back_to_the_terminal() {
    let endpoint = weed().endpoint.clone();
    let bucket = runtime().block_on(async {
        let s3 = support::client(&endpoint).await;
        let bucket = support::bucket::bucket("mouse").versioned().on(&s3).await;
        for name in ["a.txt", "b.txt", "c.txt"] {
            s3.put_bytes(&bucket, name, b"x".to_vec(), &PutOptions::default())
                .unrecorded()
                .await
                .expect("upload");
        }
        bucket
    });
    let (cols, rows) = (120u16, 35u16);
    let mut app = Session::start(&endpoint, &[&format!("s3://{bucket}/")], cols, rows);
    app.wait_text("c.txt");
    let area = lockwatch::layout::areas(
        ratatui::layout::Rect::new(0, 0, cols, rows),
        lockwatch::app::Pane::Objects,
    )
    .objects
    .expect("objects pane");
    // SGR mouse reports are 1-based: press and release on the third row (c.txt), twice.
    let (x, y) = (area.x + 5 + 1, area.y + 2 + 2 + 1);
    let click = format!("\u{1b}[<0;{x};{y}M\u{1b}[<0;{x};{y}m");
    app.send(&click);
    app.send(&click);
    app.wait_text("Versions  c.txt");
    // lockwatch asked the terminal for the mouse, and gives it back on M.
    let asked = String::from_utf8_lossy(&app.raw_output()).contains("\u{1b}[?1000h");
    assert!(asked, "mouse capture was turned on");
    app.send("M");
    app.wait_text("Mouse off");
    let given_back = String::from_utf8_lossy(&app.raw_output()).contains("\u{1b}[?1000l");
    assert!(given_back, "mouse capture was turned off");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn the_demos_sandbox_refuses_the_documented_keys_while_it_is_shown() {
    // Another user of this machine knows the documented keys; the demo's sandbox must not take
    // them, or anyone could change what it shows an auditor while it is shown.
    let mut app = Session::start("http://127.0.0.1:9", &["--demo"], 200, 30);
    let screen = app.wait_text("(built-in sandbox, in memory)");
    let endpoint = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the demo's endpoint on the top line")
        .to_string();
    let refused = support::runtime().block_on(async {
        let options = lockwatch::s3::ConnectOptions {
            endpoint_url: Some(endpoint.clone()),
            region: Some("us-east-1".into()),
            path_style: lockwatch::s3::PathStyle::Auto,
            static_credentials: Some(lockwatch::s3::StaticCredentials {
                access_key_id: lockwatch::sandbox::ACCESS_KEY.into(),
                secret_access_key: lockwatch::sandbox::SECRET_KEY.into(),
            }),
            ..lockwatch::s3::ConnectOptions::default()
        };
        let s3 = lockwatch::s3::connect(&options).await.expect("a client").s3;
        s3.list_buckets().await
    });
    let error = refused.expect_err("the documented keys are refused by the demo's sandbox");
    assert_eq!(error.code(), Some("SignatureDoesNotMatch"), "{error}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn the_demos_writes_go_to_a_trail_of_their_own() {
    // The endpoint is never contacted: --demo runs the built-in sandbox.
    let mut app = Session::start("http://127.0.0.1:9", &["--demo", "s3://bup/"], 160, 35);
    app.wait_text("short-lock/");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("/tux\r");
    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    app.wait_text("Restored");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    let data = app.home.path().join(".local/share/lockwatch");
    let trail =
        std::fs::read_to_string(data.join("sandbox-audit.jsonl")).expect("the sandbox's trail");
    assert!(trail.contains("\"action\":\"restore\""), "{trail}");
    // The write names who did it: the sandbox's user, asked of it on the side at start.
    assert!(
        trail.contains("\"owner_id\":\"lockwatch-sandbox\""),
        "{trail}"
    );
    assert!(trail.contains("\"access_key\":\"****"), "{trail}");
    assert!(
        !data.join("audit.jsonl").exists(),
        "the user's real trail holds no demonstration"
    );
    // A second demonstration starts with a trail of its own: the first's restore (whose
    // version ids this run's sandbox repeats) is set aside beside it, not shown as this run's.
    let same_home = support::binary_env("http://127.0.0.1:9", app.home.path());
    let mut again = Session::start_with_env(
        &same_home,
        &["--demo", "s3://bup/"],
        160,
        35,
        tempfile::tempdir().expect("a working folder"),
    );
    again.wait_text("short-lock/");
    again.send("A");
    again.wait_text("lockwatch has made no writes yet.");
    again.send("\u{1b}");
    again.send("q");
    assert_eq!(again.wait_exit(Duration::from_secs(5)), Some(true));
    let earlier = std::fs::read_to_string(data.join("sandbox-audit.previous.jsonl"))
        .expect("the earlier run's trail, kept");
    assert!(earlier.contains("\"action\":\"restore\""), "{earlier}");
}
