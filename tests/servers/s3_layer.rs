//! lockwatch's S3 layer against a real SeaweedFS server: the guide's steps, listing pages, and
//! the lock refusing a delete.

use crate::support;

use jiff::Timestamp;
use lockwatch::audit::Write;
use lockwatch::domain::history::{self, plan_restore};
use lockwatch::domain::listing::{Level, LevelObject};
use lockwatch::domain::{BucketLock, RetentionMode, RetentionPeriod, Versioning};
use lockwatch::s3::{PutOptions, S3, VersionPager};
use support::weed::weed;

const TUX: &[u8] = include_bytes!("../../assets/demo/tux.svg");

async fn locked_bucket(s3: &S3, tag: &str) -> String {
    let bucket = support::unique_bucket(tag);
    s3.create_bucket(&bucket, None, true)
        .unrecorded()
        .await
        .expect("create a bucket with Object Lock");
    s3.set_default_retention(
        &bucket,
        Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
    )
    .unrecorded()
    .await
    .expect("set COMPLIANCE 1 day default retention");
    bucket
}

async fn level(s3: &S3, bucket: &str, prefix: &str) -> Level {
    let mut level = Level::default();
    let mut pager = VersionPager::new(s3, bucket, prefix, Some("/"));
    while let Some(page) = pager.next_page().await {
        let page = page.expect("version page");
        level.absorb_versions_page(page.versions, page.markers, page.prefixes);
    }
    level
}

#[tokio::test]
async fn guide_replayed_through_the_s3_layer() {
    let s3 = support::client(&weed().endpoint).await;
    let bucket = locked_bucket(&s3, "guide").await;

    let details = s3.bucket_details(&bucket).await.expect("bucket details");
    assert_eq!(details.versioning, Versioning::Enabled);
    assert_eq!(
        details.lock,
        BucketLock::Enabled {
            default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(1)))
        }
    );
    let buckets = s3.list_buckets().await.expect("list buckets");
    assert!(buckets.iter().any(|b| b.name == bucket));

    let before = Timestamp::now();
    let version = s3
        .put_bytes(
            &bucket,
            "tux.svg",
            TUX.to_vec(),
            &PutOptions {
                content_type: Some("image/svg+xml".into()),
                ..PutOptions::default()
            },
        )
        .unrecorded()
        .await
        .expect("upload")
        .expect("a versioned bucket returns a version id");
    let lock = s3
        .head_version(&bucket, "tux.svg", &version)
        .await
        .expect("head");
    assert_eq!(lock.mode, Some(RetentionMode::Compliance));
    let until = lock
        .retain_until
        .expect("default retention sets retain-until")
        .instant();
    let hours = until.duration_since(before).as_hours();
    assert!(
        (23..=24).contains(&hours),
        "retain-until {until} is not a day after {before}"
    );

    let page = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert_eq!(page.objects.len(), 1);
    assert_eq!(page.objects[0].size, Some(TUX.len() as u64));

    let deleted = s3
        .delete_object(&bucket, "tux.svg")
        .unrecorded()
        .await
        .expect("delete");
    assert!(deleted.delete_marker);
    let marker_id = deleted.version_id.expect("the marker's version id");

    let page = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert!(page.objects.is_empty(), "the deleted object is hidden");

    let shown = level(&s3, &bucket, "").await;
    match shown.objects().collect::<Vec<_>>().as_slice() {
        [LevelObject::Deleted(d)] => assert_eq!(d.marker_version_id, marker_id),
        other => panic!("expected tux.svg as deleted, got {other:?}"),
    }

    let hist = s3.key_history(&bucket, "tux.svg").await.expect("history");
    assert_eq!(hist.len(), 2);
    assert!(hist[0].is_delete_marker() && hist[0].is_latest);
    assert_eq!(hist[1].version_id, version);
    let plan = plan_restore(&hist, Some(&marker_id)).expect("restorable");
    assert!(plan.brings_file_back());

    s3.delete_version(&bucket, "tux.svg", &marker_id)
        .unrecorded()
        .await
        .expect("removing the delete marker restores the file");
    let page = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert_eq!(page.objects.len(), 1, "tux.svg is back");

    let refused = s3
        .delete_version(&bucket, "tux.svg", &version)
        .unrecorded()
        .await
        .expect_err("a COMPLIANCE version cannot be deleted");
    assert_eq!(refused.code(), Some("AccessDenied"), "{refused}");
}

#[tokio::test]
async fn history_of_a_key_spans_pages() {
    let s3 = support::client(&weed().endpoint).await;
    let bucket = support::unique_bucket("pages");
    s3.create_bucket(&bucket, None, false)
        .unrecorded()
        .await
        .expect("create");
    s3.enable_versioning(&bucket)
        .unrecorded()
        .await
        .expect("versioning");
    for i in 0..5 {
        s3.put_bytes(
            &bucket,
            "k",
            format!("v{i}").into_bytes(),
            &PutOptions::default(),
        )
        .unrecorded()
        .await
        .expect("put k");
    }
    s3.put_bytes(&bucket, "l", b"x".to_vec(), &PutOptions::default())
        .unrecorded()
        .await
        .expect("put l");
    s3.delete_object(&bucket, "k")
        .unrecorded()
        .await
        .expect("delete k");

    let mut entries = Vec::new();
    let mut pager = VersionPager::new(&s3, &bucket, "k", None).with_max_keys(2);
    let mut pages = 0;
    while let Some(page) = pager.next_page().await {
        let page = page.expect("page");
        pages += 1;
        if history::absorb_page(&mut entries, "k", page.versions, page.markers) {
            break;
        }
    }
    assert!(
        pages >= 3,
        "six entries at two a page take three pages, got {pages}"
    );
    assert_eq!(entries.len(), 6, "five versions and one marker of k");
    assert!(entries[0].is_delete_marker() && entries[0].is_latest);
    let whole = s3.key_history(&bucket, "k").await.expect("history");
    assert_eq!(
        whole.iter().map(|e| &e.version_id).collect::<Vec<_>>(),
        entries.iter().map(|e| &e.version_id).collect::<Vec<_>>()
    );
}

// One page only: SeaweedFS 4.48 lists `k.bak` before `k` and then drops `k` when a prefix
// listing of both is paged with a small max-keys (the exact-key filter is unit-tested on
// constructed pages as well).
#[tokio::test]
async fn history_of_a_key_ignores_keys_sharing_its_prefix() {
    let s3 = support::client(&weed().endpoint).await;
    let bucket = support::unique_bucket("neighbours");
    s3.create_bucket(&bucket, None, false)
        .unrecorded()
        .await
        .expect("create");
    s3.enable_versioning(&bucket)
        .unrecorded()
        .await
        .expect("versioning");
    for i in 0..3 {
        s3.put_bytes(
            &bucket,
            "k",
            format!("v{i}").into_bytes(),
            &PutOptions::default(),
        )
        .unrecorded()
        .await
        .expect("put k");
        s3.put_bytes(&bucket, "k.bak", b"x".to_vec(), &PutOptions::default())
            .unrecorded()
            .await
            .expect("put k.bak");
        s3.put_bytes(&bucket, "k/inner", b"x".to_vec(), &PutOptions::default())
            .unrecorded()
            .await
            .expect("put k/inner");
    }
    let whole = s3.key_history(&bucket, "k").await.expect("history");
    assert_eq!(whole.len(), 3);
    assert!(whole.iter().all(|e| e.key.as_ref() == "k"));
    assert_eq!(whole.iter().filter(|e| e.is_latest).count(), 1);
}

#[tokio::test]
async fn prefixes_with_only_deleted_objects_show_in_the_version_level() {
    let s3 = support::client(&weed().endpoint).await;
    let bucket = support::unique_bucket("levels");
    s3.create_bucket(&bucket, None, false)
        .unrecorded()
        .await
        .expect("create");
    s3.enable_versioning(&bucket)
        .unrecorded()
        .await
        .expect("versioning");
    s3.put_bytes(&bucket, "gone/a.txt", b"a".to_vec(), &PutOptions::default())
        .unrecorded()
        .await
        .expect("put");
    s3.put_bytes(&bucket, "kept/b.txt", b"b".to_vec(), &PutOptions::default())
        .unrecorded()
        .await
        .expect("put");
    s3.delete_object(&bucket, "gone/a.txt")
        .unrecorded()
        .await
        .expect("delete");

    let plain = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert_eq!(plain.prefixes, vec!["kept/".to_string()]);
    let shown = level(&s3, &bucket, "").await;
    let prefixes: Vec<&str> = shown.prefixes.iter().map(|p| p.as_ref()).collect();
    assert_eq!(prefixes, ["gone/", "kept/"]);
    let inside = level(&s3, &bucket, "gone/").await;
    assert!(matches!(
        inside.objects().collect::<Vec<_>>().as_slice(),
        [LevelObject::Deleted(_)]
    ));
}

#[tokio::test]
async fn errors_carry_the_server_code() {
    let s3 = support::client(&weed().endpoint).await;
    let err = s3
        .list_objects_page("lw-no-such-bucket-here", "", None)
        .await
        .expect_err("missing bucket");
    assert_eq!(err.code(), Some("NoSuchBucket"), "{err}");
}

#[tokio::test]
async fn restore_refuses_when_marker_is_no_longer_latest_and_deletes_nothing() {
    let s3 = support::client(&weed().endpoint).await;
    let bucket = support::unique_bucket("recheck");
    s3.create_bucket(&bucket, None, false)
        .unrecorded()
        .await
        .expect("create");
    s3.enable_versioning(&bucket)
        .unrecorded()
        .await
        .expect("versioning");
    let key: std::sync::Arc<str> = std::sync::Arc::from("report.pdf");
    s3.put_bytes(&bucket, &key, b"v1".to_vec(), &PutOptions::default())
        .unrecorded()
        .await
        .expect("put");
    let first = s3
        .delete_object(&bucket, &key)
        .unrecorded()
        .await
        .expect("delete");
    let first_marker = first.version_id.expect("marker id");
    // Someone else deletes again while the user looks at the first marker.
    let second = s3
        .delete_object(&bucket, &key)
        .unrecorded()
        .await
        .expect("delete again");
    let second_marker = second.version_id.expect("marker id");

    let (trail, trail_path) = support::trail("restore-trail");
    let restore = Write::Restore;
    let refused =
        lockwatch::work::tasks::restore(&s3, &trail, restore, &bucket, &key, &first_marker)
            .await
            .expect_err("the first marker is no longer the latest");
    assert!(
        matches!(
            refused,
            lockwatch::app::RestoreFailure::Refused(
                history::RestoreRefusal::MarkerNoLongerLatest { .. }
            )
        ),
        "{refused:?}"
    );
    assert_eq!(
        s3.key_history(&bucket, &key).await.expect("history").len(),
        3,
        "nothing was deleted"
    );

    let restore = Write::Restore;
    let done = lockwatch::work::tasks::restore(&s3, &trail, restore, &bucket, &key, &second_marker)
        .await
        .expect("the latest marker can be removed");
    // The trail has both: the removal the re-check kept from being sent, and the one sent.
    let lines = lockwatch::audit::read_last(&trail_path, 10).expect("the trail");
    let said: Vec<(String, Option<String>, String)> = lines
        .iter()
        .map(|l| match l {
            lockwatch::audit::AuditLine::Entry(e) => (
                e.action.clone(),
                e.version_id.clone(),
                e.outcome.to_string(),
            ),
            other => panic!("an unreadable line: {other:?}"),
        })
        .collect();
    assert_eq!(
        said,
        [
            (
                "restore".into(),
                Some(first_marker.clone()),
                "not sent: changed".into()
            ),
            ("restore".into(), Some(second_marker.clone()), "ok".into()),
        ]
    );
    assert_eq!(done.marker_version_id, second_marker);
    assert!(
        done.becomes_current
            .as_ref()
            .is_some_and(|e| e.is_delete_marker()),
        "with a marker below, the key stays deleted"
    );
    let after = s3.key_history(&bucket, &key).await.expect("history");
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].version_id, first_marker);
}

#[tokio::test]
async fn https_endpoint_is_trusted_through_the_ca_bundle_only() {
    let weed = weed();
    let ca = support::tls::test_ca();
    let trusted = support::try_client(&weed.https_endpoint, Some(ca.ca_pem.clone()))
        .await
        .expect("client with the test CA");
    trusted
        .list_buckets()
        .await
        .expect("the test CA makes the https endpoint trusted");

    // The system's roots do not know the test CA: the TLS handshake must fail.
    let system_bundle = std::path::PathBuf::from("/etc/ssl/certs/ca-certificates.crt");
    let untrusted = support::try_client(&weed.https_endpoint, Some(system_bundle))
        .await
        .expect("client with the system bundle");
    let err = untrusted
        .list_buckets()
        .await
        .expect_err("an unknown CA is refused");
    assert!(matches!(err, lockwatch::s3::S3Error::Network(_)), "{err:?}");
}

#[tokio::test]
async fn a_ca_bundle_with_no_certificate_is_refused_before_connecting() {
    let dir = tempfile::tempdir().expect("dir");
    let bogus = dir.path().join("bundle.pem");
    std::fs::write(&bogus, "not a certificate").expect("write");
    let err = support::try_client("https://127.0.0.1:1", Some(bogus))
        .await
        .expect_err("no PEM certificate");
    assert!(
        err.to_string().contains("holds no PEM certificate"),
        "{err}"
    );
}

/// Accepts connections on 127.0.0.1 and records each request's headers and body; answers
/// every request with an empty 200. Only for checking what lockwatch sends.
fn header_capture() -> (String, std::sync::mpsc::Receiver<(String, Vec<u8>)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = tx.send((head, body));
            let mut stream = reader.into_inner();
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (format!("http://{addr}"), rx)
}

#[tokio::test]
async fn lock_writes_and_multi_delete_carry_content_md5_of_their_body() {
    use md5::{Digest, Md5};
    let (endpoint, requests) = header_capture();
    let s3 = support::client(&endpoint).await;
    let until: Timestamp = "2030-01-01T00:00:00Z".parse().expect("time");
    let _ = s3
        .set_default_retention(
            "b",
            Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
        )
        .unrecorded()
        .await;
    let _ = s3
        .set_retention("b", "k", "v", RetentionMode::Compliance, until, false)
        .unrecorded()
        .await;
    let _ = s3.set_legal_hold("b", "k", "v", true).unrecorded().await;
    let _ = s3
        .delete_versions("b", &[("k".into(), "v".into())], false)
        .unrecorded()
        .await;
    for operation in ["object-lock", "retention", "legal-hold", "delete"] {
        let (head, body) = requests
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("no request for {operation}: {e}"));
        assert!(
            head.contains(&format!("?{operation}")),
            "{operation}: {head}"
        );
        let md5 = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-md5")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("{operation} has no Content-MD5: {head}"));
        let expected = aws_smithy_types::base64::encode(Md5::digest(&body));
        assert_eq!(md5, expected, "{operation}");
        assert!(!body.is_empty(), "{operation} has a body");
    }
}

#[tokio::test]
async fn read_only_refuses_every_write_before_a_request_is_sent() {
    let (endpoint, requests) = header_capture();
    let s3 = support::read_only_client(&endpoint).await;
    let until: Timestamp = "2030-01-01T00:00:00Z".parse().expect("time");
    let results: Vec<(&str, Result<(), lockwatch::s3::S3Error>)> = vec![
        (
            "create bucket",
            s3.create_bucket("b", None, true).unrecorded().await,
        ),
        ("versioning", s3.enable_versioning("b").unrecorded().await),
        ("suspend", s3.suspend_versioning("b").unrecorded().await),
        (
            "lock config",
            s3.set_default_retention("b", None).unrecorded().await,
        ),
        (
            "put",
            s3.put_bytes("b", "k", b"x".to_vec(), &PutOptions::default())
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        (
            "delete",
            s3.delete_object("b", "k").unrecorded().await.map(|_| ()),
        ),
        (
            "delete version",
            s3.delete_version("b", "k", "v")
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        (
            "bypass",
            s3.delete_version_with("b", "k", "v", true)
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        (
            "retention",
            s3.set_retention("b", "k", "v", RetentionMode::Compliance, until, false)
                .unrecorded()
                .await,
        ),
        (
            "hold",
            s3.set_legal_hold("b", "k", "v", true).unrecorded().await,
        ),
        (
            "copy",
            s3.copy_version("b", "k", "v", None)
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        (
            "copy in parts",
            s3.copy_version_in_parts("b", "k", "v", None, 10, 5)
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        (
            "multi delete",
            s3.delete_versions("b", &[("k".into(), "v".into())], false)
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        (
            "multipart",
            s3.start_multipart("b", "k", &PutOptions::default())
                .await
                .map(|_| ()),
        ),
        (
            "part",
            s3.upload_part("b", "k", "u", 1, b"x".to_vec())
                .await
                .map(|_| ()),
        ),
        (
            "complete",
            s3.complete_multipart("b", "k", "u", &[])
                .unrecorded()
                .await
                .map(|_| ()),
        ),
        ("abort", s3.abort_multipart("b", "k", "u").await),
    ];
    for (what, result) in results {
        assert!(
            matches!(result, Err(lockwatch::s3::S3Error::ReadOnly(_))),
            "{what}: {result:?}"
        );
    }
    assert!(
        requests
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err(),
        "no request reached the server"
    );
    // Reads still go out.
    let _ = s3.list_buckets().await;
    assert!(
        requests
            .recv_timeout(std::time::Duration::from_secs(5))
            .is_ok(),
        "reads are sent"
    );
}
