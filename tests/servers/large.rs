//! A bucket with thousands of versions and delete markers, listed by `lockwatch ls` and by a
//! plain paginated loop written directly against the SDK: the two must agree exactly. And one
//! key with 10,000 versions, opened in the versions pane.

use crate::support;

use std::collections::BTreeSet;
use std::time::Duration;
use support::faults::{FaultProxy, Filter};
use support::populate::{Shape, populate};
use support::pty::Session;
use support::weed::weed;

/// (key, version id, is latest, is a delete marker)
type Entry = (String, String, bool, bool);

/// ListObjectVersions page by page with the SDK itself, following both markers.
async fn plain_loop(endpoint: &str, bucket: &str) -> Vec<Entry> {
    let client = support::sdk_client(endpoint);
    let mut entries = Vec::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .expect("a page of the plain loop");
        for v in page.versions() {
            entries.push((
                v.key().expect("key").to_string(),
                v.version_id().expect("version id").to_string(),
                v.is_latest().expect("is latest"),
                false,
            ));
        }
        for m in page.delete_markers() {
            entries.push((
                m.key().expect("key").to_string(),
                m.version_id().expect("version id").to_string(),
                m.is_latest().expect("is latest"),
                true,
            ));
        }
        if page.is_truncated() != Some(true) {
            return entries;
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
    }
}

#[derive(serde::Deserialize)]
struct Listed {
    key: String,
    version_id: String,
    is_latest: bool,
    delete_marker: bool,
}

#[test]
fn ls_lists_a_large_bucket_key_for_key_and_version_for_version() {
    let endpoint = weed().endpoint.clone();
    let shape = Shape {
        keys: 2000,
        folders: 7,
        versions_per_key: 3,
        marker_every: 4,
        concurrency: 32,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bucket = support::unique_bucket("large");
    let expected = runtime.block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.create_bucket(&bucket, None, false)
            .unrecorded()
            .await
            .expect("create");
        s3.enable_versioning(&bucket)
            .unrecorded()
            .await
            .expect("versioning");
        populate(&s3, &bucket, shape, |_| {}).await;
        plain_loop(&endpoint, &bucket).await
    });
    assert_eq!(
        expected.len() as u64,
        shape.versions() + shape.markers(),
        "the server holds what was written"
    );

    let home = tempfile::tempdir().expect("home");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(["ls", "--versions", "--recursive", "--json"])
        .arg(format!("s3://{bucket}/"))
        .env_clear()
        .envs(support::binary_env(&endpoint, home.path()))
        .output()
        .expect("run lockwatch ls");
    assert!(
        out.status.success(),
        "lockwatch ls failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: Vec<Entry> = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| {
            let e: Listed = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            (e.key, e.version_id, e.is_latest, e.delete_marker)
        })
        .collect();
    assert_eq!(listed.len(), expected.len(), "no entry missing or repeated");
    let (listed_set, expected_set): (BTreeSet<_>, BTreeSet<_>) =
        (listed.iter().collect(), expected.iter().collect());
    assert_eq!(listed_set.len(), listed.len(), "no duplicates");
    assert_eq!(listed_set, expected_set);

    // The objects listing: every key whose latest entry is a version.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lockwatch"))
        .args(["ls", "--recursive", "--json"])
        .arg(format!("s3://{bucket}/"))
        .env_clear()
        .envs(support::binary_env(&endpoint, home.path()))
        .output()
        .expect("run lockwatch ls");
    assert!(out.status.success());
    let current = String::from_utf8_lossy(&out.stdout).lines().count() as u64;
    assert_eq!(current, shape.keys - shape.markers());
}

#[test]
fn one_key_with_ten_thousand_versions_fills_the_versions_pane_in_ten_pages() {
    let endpoint = weed().endpoint.clone();
    let versions = 10_000usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bucket = support::unique_bucket("deep");
    let expected = runtime.block_on(async {
        let s3 = support::client(&endpoint).await;
        s3.create_bucket(&bucket, None, false)
            .unrecorded()
            .await
            .expect("create");
        s3.enable_versioning(&bucket)
            .unrecorded()
            .await
            .expect("versioning");
        let numbers: Vec<usize> = (0..versions).collect();
        for chunk in numbers.chunks(32) {
            let uploads = chunk.iter().map(|i| {
                let (s3, bucket) = (s3.clone(), bucket.clone());
                async move {
                    s3.put_bytes(
                        &bucket,
                        "deep.log",
                        format!("{i}").into_bytes(),
                        &lockwatch::s3::PutOptions::default(),
                    )
                    .unrecorded()
                    .await
                    .unwrap_or_else(|e| panic!("version {i}: {e}"))
                }
            });
            futures::future::join_all(uploads).await;
        }
        plain_loop(&endpoint, &bucket).await
    });
    assert_eq!(expected.len(), versions, "the server holds every version");
    let (newest, oldest) = (&expected[0].1, &expected[versions - 1].1);

    let proxy = FaultProxy::start(&endpoint);
    let key_pages = Filter::target("prefix=deep.log");
    let mut app = Session::start(&proxy.endpoint, &[&format!("s3://{bucket}/")], 200, 40);
    app.wait_text("deep.log");
    app.send("\r");
    let screen = app.wait_for("every version", Duration::from_secs(120), |s| {
        s.contains("10000 versions · 0 delete markers") && !s.contains("loading")
    });
    assert!(screen.contains(newest.as_str()), "newest on top: {screen}");
    app.send("G");
    app.wait_text(oldest);
    assert_eq!(
        proxy.count(&key_pages),
        versions / 1000,
        "one request per page of 1000, none repeated: {:?}",
        proxy.seen()
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(5)), Some(true));
}
