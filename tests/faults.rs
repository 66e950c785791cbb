//! lockwatch in a pseudo-terminal behind a fault-injecting proxy in front of a real SeaweedFS
//! server: slow, failing, cut-off, lost and stalled answers, and a server that dies.

mod support;

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
        .await
        .expect("create");
    s3.enable_versioning(&bucket).await.expect("versioning");
    let keys: Vec<String> = (0..count).map(|i| format!("obj-{i:05}")).collect();
    for chunk in keys.chunks(16) {
        let uploads = chunk.iter().map(|key| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.put_bytes(&bucket, key, b"x".to_vec(), &PutOptions::default())
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
    app.wait_text("Show this help");
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
