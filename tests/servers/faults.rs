//! lockwatch in a pseudo-terminal behind a fault-injecting proxy in front of a real SeaweedFS
//! server: slow, failing, cut-off, lost and stalled answers, and a server that dies.

use crate::support;

use lockwatch::s3::{PutOptions, S3};
use std::time::Duration;
use support::faults::{Fault, FaultProxy, Filter};
use support::pty::Session;
use support::weed::weed;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A versioned bucket holding `count` objects `obj-00000` … (16 uploads at a time).
async fn bucket_with_objects(s3: &S3, tag: &str, count: usize) -> String {
    let bucket = support::unique_bucket(tag);
    s3.create_bucket(&bucket, None, false)
        .unrecorded()
        .await
        .expect("create");
    s3.enable_versioning(&bucket)
        .unrecorded()
        .await
        .expect("versioning");
    let keys: Vec<String> = (0..count).map(|i| format!("obj-{i:05}")).collect();
    for chunk in keys.chunks(16) {
        let uploads = chunk.iter().map(|key| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.put_bytes(&bucket, key, b"x".to_vec(), &PutOptions::default())
                    .unrecorded()
                    .await
                    .unwrap_or_else(|e| panic!("upload {key}: {e}"))
            }
        });
        futures::future::join_all(uploads).await;
    }
    bucket
}

fn objects_bucket(tag: &str, count: usize) -> String {
    runtime().block_on(async {
        let s3 = support::client(&weed().endpoint).await;
        bucket_with_objects(&s3, tag, count).await
    })
}

/// A listing page request of the objects pane (ListObjectsV2).
fn listing() -> Filter {
    Filter::target("list-type=2")
}

#[test]
fn slow_down_is_retried_with_backoff_and_a_lasting_error_is_explained_as_partial() {
    let bucket = objects_bucket("slowdown", 1500);
    let proxy = FaultProxy::start(&weed().endpoint);
    proxy.inject(listing(), Fault::Status(503, "SlowDown"), Some(2));
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 180, 35);
    let screen = app.wait_text("1500 objects");
    assert!(!screen.contains("partial"), "{screen}");
    assert_eq!(
        proxy.count(&listing()),
        2 + 2,
        "two refused attempts, then two pages: {:?}",
        proxy.seen()
    );

    // The second page fails for good: three attempts, then the rows so far, marked partial.
    let before = proxy.count(&listing());
    proxy.inject(
        Filter::target("continuation-token"),
        Fault::Status(500, "InternalError"),
        None,
    );
    app.send("R");
    let screen = app.wait_text("PARTIAL");
    assert!(
        screen.contains("partial: 1 page listed · R resumes · InternalError"),
        "{screen}"
    );
    assert!(screen.contains("1000 objects"), "{screen}");
    assert_eq!(
        proxy.count(&listing()) - before,
        1 + 3,
        "a page, then three attempts at the next: {:?}",
        proxy.seen()
    );
    // Still responsive.
    app.send("?");
    app.wait_text("Help — keys");
    app.send("\u{1b}");

    // The server recovers: R goes on from the second page, and the listing is complete.
    proxy.clear();
    let before = proxy.count(&listing());
    app.send("R");
    let screen = app.wait_text("1500 objects");
    assert!(!screen.contains("PARTIAL"), "{screen}");
    assert_eq!(
        proxy.count(&listing()) - before,
        1,
        "only the missing page is fetched: {:?}",
        proxy.seen()
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn answers_cut_short_are_retried_then_explained_never_shown_as_complete() {
    let bucket = objects_bucket("cut", 30);
    let proxy = FaultProxy::start(&weed().endpoint);
    // Once: a well-framed answer whose XML stops halfway, then a connection closed halfway.
    proxy.inject(listing(), Fault::TruncateBody, Some(1));
    proxy.inject(listing(), Fault::CutMidAnswer, Some(1));
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 180, 35);
    let screen = app.wait_text("30 objects");
    assert!(
        !screen.contains("PARTIAL") && !screen.contains("FAILED"),
        "{screen}"
    );
    assert_eq!(
        proxy.count(&listing()),
        3,
        "both faults retried: {:?}",
        proxy.seen()
    );

    // Every attempt cut short: three attempts, then the reason, and no rows claimed.
    proxy.inject(listing(), Fault::TruncateBody, None);
    let before = proxy.count(&listing());
    app.send("R");
    let screen = app.wait_text("STALE");
    assert!(
        screen.contains("reload failed: these rows are from the previous listing"),
        "{screen}"
    );
    assert!(
        screen.contains("the server's answer was cut short"),
        "{screen}"
    );
    assert_eq!(proxy.count(&listing()) - before, 3, "{:?}", proxy.seen());
    // The message is the reason, not a dump of the answer.
    assert!(!screen.contains("<Contents>"), "{screen}");

    proxy.clear();
    app.send("R");
    app.wait_text("30 objects");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

/// A versioned bucket where `tux.svg` is deleted (a delete marker over one version).
fn deleted_file_bucket(tag: &str) -> String {
    support::bucket::bucket(tag)
        .versioned()
        .put("tux.svg", lockwatch::seed::TUX_SVG)
        .deleted("tux.svg")
        .make(&weed().endpoint)
}

fn is_deleted(bucket: &str) -> bool {
    runtime().block_on(async {
        let s3 = support::client(&weed().endpoint).await;
        let history = s3.key_history(bucket, "tux.svg").await.expect("history");
        history.first().is_some_and(|e| e.is_delete_marker())
    })
}

#[test]
fn an_unconfirmed_restore_is_never_sent_twice_and_the_key_is_read_back() {
    let proxy = FaultProxy::start(&weed().endpoint);
    let deletes = Filter::method("DELETE");

    // The server removes the marker but its answer is lost.
    let bucket = deleted_file_bucket("lost");
    proxy.inject(deletes.clone(), Fault::LoseAnswer, Some(1));
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 180, 35);
    app.wait_text("Press . to show deleted objects");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    let screen = app.wait_text("read back, the marker is gone");
    assert!(screen.contains("Restored (read back)"), "{screen}");
    assert!(
        screen.contains("The server did not confirm the delete"),
        "{screen}"
    );
    assert_eq!(proxy.count(&deletes), 1, "sent once: {:?}", proxy.seen());
    assert!(!is_deleted(&bucket), "restored on the server");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
    // The trail says how it is known: not a plain `ok`.
    let trail = std::fs::read_to_string(app.home.path().join(".local/share/lockwatch/audit.jsonl"))
        .expect("audit trail");
    let last: serde_json::Value =
        serde_json::from_str(trail.lines().last().unwrap_or("")).expect("a JSON line");
    assert_eq!(
        last["outcome"], "done, read back: the server did not confirm it",
        "{trail}"
    );

    // The server fails the delete (500): read back, nothing changed, and it says so.
    let bucket = deleted_file_bucket("unconfirmed");
    let before = proxy.count(&deletes);
    proxy.inject(
        deletes.clone(),
        Fault::Status(500, "InternalError"),
        Some(1),
    );
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 180, 35);
    app.wait_text("Press . to show deleted objects");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("r");
    app.wait_text("Restore deleted object");
    app.send("y");
    let screen = app.wait_text("Restore not confirmed");
    assert!(
        screen.contains("Read back: the delete marker is still there"),
        "{screen}"
    );
    assert_eq!(
        proxy.count(&deletes) - before,
        1,
        "sent once: {:?}",
        proxy.seen()
    );
    assert!(is_deleted(&bucket), "still deleted on the server");
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn unconfirmed_deletes_are_not_repeated_and_what_the_server_holds_is_shown() {
    let proxy = FaultProxy::start(&weed().endpoint);
    let deletes = Filter::method("DELETE");
    let bucket = runtime().block_on(async {
        let s3 = support::client(&weed().endpoint).await;
        bucket_with_objects(&s3, "undelete", 0).await
    });
    runtime().block_on(async {
        let s3 = support::client(&weed().endpoint).await;
        s3.put_bytes(&bucket, "tux.svg", b"tux".to_vec(), &PutOptions::default())
            .unrecorded()
            .await
            .expect("upload");
    });
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 180, 40);
    app.wait_text("tux.svg");
    // The delete dialog depends on the bucket's versioning: wait until it is known.
    app.wait_for("the bucket's versioning", Duration::from_secs(20), |s| {
        s.lines()
            .any(|l| l.contains(&bucket) && l.contains("Enabled"))
    });

    // `d` adds a delete marker; its answer is lost. Sending it again would add a second one.
    proxy.inject(deletes.clone(), Fault::LoseAnswer, Some(1));
    app.send("d");
    app.wait_text("Delete object");
    app.send("y");
    let screen = app.wait_text("Delete not confirmed");
    assert!(screen.contains("latest: delete marker"), "{screen}");
    assert_eq!(proxy.count(&deletes), 1, "{:?}", proxy.seen());
    let history = runtime().block_on(async {
        let s3 = support::client(&weed().endpoint).await;
        s3.key_history(&bucket, "tux.svg").await.expect("history")
    });
    assert_eq!(
        history.iter().filter(|e| e.is_delete_marker()).count(),
        1,
        "exactly one marker: {history:?}"
    );

    // `D` deletes the version for good; its answer is lost too.
    app.send("\u{1b}");
    app.send(".");
    app.wait_text("× tux.svg");
    app.send("\r");
    app.wait_text("1 version · 1 delete marker");
    app.send("j");
    app.send("D");
    app.wait_text("Delete version permanently");
    proxy.inject(deletes.clone(), Fault::LoseAnswer, Some(1));
    app.send("tux.svg");
    app.send("\r");
    let screen = app.wait_text("Deleted (read back)");
    assert!(
        screen.contains("reading the version back finds nothing"),
        "{screen}"
    );
    assert_eq!(proxy.count(&deletes), 2, "{:?}", proxy.seen());
    app.send("\u{1b}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn a_server_that_stops_answering_times_out_while_keys_still_work() {
    let bucket = objects_bucket("stall", 10);
    let proxy = FaultProxy::start(&weed().endpoint);
    proxy.inject(listing(), Fault::Stall, None);
    let location = format!("s3://{bucket}/");
    let mut app = Session::start(
        &proxy.endpoint,
        &["--read-timeout", "1", &location],
        180,
        35,
    );
    app.wait_text("loading");
    // The request hangs; the keyboard does not.
    app.send("?");
    app.wait_text("Help — keys");
    app.send("\u{1b}");
    let screen = app.wait_for("the listing to time out", Duration::from_secs(30), |s| {
        s.contains("FAILED")
    });
    assert!(screen.contains("did not answer in time"), "{screen}");
    assert_eq!(
        proxy.count(&listing()),
        3,
        "bounded attempts: {:?}",
        proxy.seen()
    );
    proxy.clear();
    app.send("R");
    app.wait_text("10 objects");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn a_slow_server_shows_pages_as_they_come_and_keys_work_meanwhile() {
    let bucket = objects_bucket("slow", 2500);
    let proxy = FaultProxy::start(&weed().endpoint);
    proxy.inject(listing(), Fault::Delay(Duration::from_millis(1500)), None);
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 180, 35);
    let screen = app.wait_text("1000 objects");
    assert!(screen.contains("loading… 1 pages"), "{screen}");
    app.send("?");
    app.wait_text("Help — keys");
    assert!(
        proxy.count(&listing()) <= 2,
        "help opened while the listing was still running (third page not asked for yet): {:?}",
        proxy.seen()
    );
    app.send("\u{1b}");
    app.send("G");
    let screen = app.wait_for("the whole listing", Duration::from_secs(30), |s| {
        s.contains("2500 objects") && !s.contains("loading")
    });
    assert!(!screen.contains("PARTIAL"), "{screen}");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn the_server_killed_mid_listing_then_restarted_r_resumes_to_a_complete_listing() {
    let server = support::weed::dedicated("killed");
    let bucket = runtime().block_on(async {
        let s3 = support::client(&server.endpoint).await;
        bucket_with_objects(&s3, "killed", 2500).await
    });
    let proxy = FaultProxy::start(&server.endpoint);
    // Slow pages, so that the server can be killed after the first.
    proxy.inject(listing(), Fault::Delay(Duration::from_millis(1500)), None);
    let mut app = Session::start(
        &proxy.endpoint,
        &["--connect-timeout", "1", &format!("s3://{bucket}/")],
        180,
        35,
    );
    app.wait_text("1000 objects");
    server.kill();
    let screen = app.wait_for("the listing to fail", Duration::from_secs(30), |s| {
        s.contains("PARTIAL")
    });
    assert!(screen.contains("1000 objects"), "{screen}");
    assert!(screen.contains("R resumes"), "{screen}");

    server.restart();
    proxy.clear();
    app.send("R");
    let screen = app.wait_for("the whole listing", Duration::from_secs(30), |s| {
        s.contains("2500 objects") && !s.contains("loading")
    });
    assert!(!screen.contains("PARTIAL"), "{screen}");
    // Complete and correct: the last key is there, and the count has no duplicate.
    app.send("G");
    app.wait_text("obj-02499");
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn a_tall_versions_pane_gets_every_visible_lock_within_three_round_trips() {
    // 60 versions of one key; a 100-row terminal shows 42 of them in the versions pane.
    let (cols, rows) = (180u16, 100u16);
    let versions = 60usize;
    let bucket = runtime().block_on(async {
        let s3 = support::client(&weed().endpoint).await;
        let bucket = bucket_with_objects(&s3, "tall", 0).await;
        for i in 0..versions {
            s3.put_bytes(
                &bucket,
                "many.txt",
                format!("v{i}").into_bytes(),
                &PutOptions::default(),
            )
            .unrecorded()
            .await
            .expect("upload a version");
        }
        bucket
    });
    let area = lockwatch::layout::areas(
        ratatui::layout::Rect::new(0, 0, cols, rows),
        lockwatch::app::Pane::Versions,
    );
    let visible = lockwatch::layout::body_rows(area.versions.expect("a versions pane"));
    assert!(
        visible > 24,
        "the terminal is tall enough to need more than 8 at once"
    );

    // Every HEAD takes 400 ms: the rows' locks arrive in waves of however many run at once.
    let heads = Filter::method("HEAD");
    let proxy = FaultProxy::start(&weed().endpoint);
    proxy.inject(
        heads.clone(),
        Fault::Delay(Duration::from_millis(400)),
        None,
    );
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], cols, rows);
    app.wait_text("many.txt");
    app.send("\r");
    let version_rows = |s: &str| -> (usize, usize) {
        let rows: Vec<&str> = s.lines().filter(|l| l.starts_with("│version")).collect();
        let known = rows.iter().filter(|l| l.contains("no lock")).count();
        (rows.len(), known)
    };
    let screen = app.wait_for("every visible row's lock", Duration::from_secs(30), |s| {
        version_rows(s) == (visible, visible)
    });
    assert_eq!(version_rows(&screen), (visible, visible), "{screen}");
    let at_once = proxy.most_at_once(&heads);
    assert!(
        at_once >= visible.div_ceil(3),
        "{visible} rows need at least {} HEADs at once to be done in 3 round trips; {at_once} ran at once",
        visible.div_ceil(3)
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}

#[test]
fn relative_times_on_the_command_line_follow_the_servers_clock() {
    // The file was deleted a moment ago by this machine's clock; the server's clock (its Date
    // headers) runs ten minutes ahead, so by the server's clock it was deleted ten minutes ago.
    // (Not more: the SDK signs with the server's time once it has seen it, and the real server
    // behind the proxy refuses requests more than 15 minutes off.)
    let bucket = deleted_file_bucket("clock");
    let proxy = FaultProxy::start(&weed().endpoint);
    proxy.inject(Filter::any(), Fault::ShiftDate(600), None);
    let home = tempfile::tempdir().expect("home");
    let run = |endpoint: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
            .args([
                "undelete",
                "--dry-run",
                "--after",
                "-5m",
                &format!("s3://{bucket}/"),
            ])
            .env_clear()
            .envs(support::binary_env(endpoint, home.path()))
            .output()
            .expect("run lockwatch")
    };
    let out = run(&proxy.endpoint);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ahead of this machine's; relative times are counted from the server's"),
        "{stderr}"
    );
    assert!(
        stdout.contains("restore 0 keys") && stdout.contains("1 deleted before"),
        "deleted ten minutes ago by the server's clock, before -5m: {stdout}{stderr}"
    );
    // Without the shifted clock the same command finds it.
    let out = run(&weed().endpoint);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // By this machine's clock -5m is before the upload: it did not exist then.
    assert!(all.contains("1 created after"), "{all}");
}
