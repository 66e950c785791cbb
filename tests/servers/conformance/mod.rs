//! The S3 behaviours lockwatch relies on, as one suite run against every server lockwatch is
//! tested with. Where a real server deviates from AWS, the deviation is named once, in
//! `Deviations`; every other case must pass everywhere.

mod operations;
mod strict;

use crate::support;
use operations::*;
use strict::*;

use jiff::{SignedDuration, Timestamp};
use lockwatch::domain::history::{self, plan_restore};
use lockwatch::domain::{BucketLock, RetainUntil, RetentionMode, RetentionPeriod, Versioning};
use lockwatch::s3::{PutOptions, S3, VersionPager};
use std::time::Duration;

/// How a server differs from AWS in what this suite checks (measured, not assumed).
#[derive(Clone, Copy)]
struct Deviations {
    /// Ceph RGW 16 refuses to enable Object Lock on a bucket that is already versioned; AWS
    /// allows it.
    refuses_lock_on_versioned_bucket: bool,
    /// SeaweedFS reports no LocationConstraint for a bucket created with one.
    forgets_location: bool,
    /// Ceph RGW 16 sends no x-amz-version-id for the version a CopyObject creates.
    omits_copy_version_id: bool,
    /// Ceph RGW 16 ignores Object Lock headers on CreateMultipartUpload: a backup uploaded in
    /// parts ends up unprotected unless the lock is applied afterwards.
    ignores_lock_on_multipart: bool,
    /// SeaweedFS 4.48 mis-orders a prefix listing of `k` and `k.bak` paged with a small
    /// max-keys, and drops `k`.
    mispages_shared_prefixes: bool,
    /// SeaweedFS refuses keys with a `.` or `..` segment.
    refuses_dot_segments: bool,
    /// SeaweedFS rewrites keys on upload: `\\` becomes `/`, `//` becomes `/`, and a leading
    /// `/` is dropped.
    normalizes_slashes: bool,
    /// SeaweedFS 4.48 ignores `encoding-type=url` in ListObjectVersions (ListObjectsV2 honours
    /// it) and sends characters XML 1.0 cannot carry as U+FFFD, so such a key's versions are
    /// listed under a name that does not exist.
    mangles_controls_in_version_listings: bool,
    /// Ceph RGW 16 stores a retain-until date of 9999-12-31T23:59:59Z as a date in 1992 (an
    /// overflow): a "forever" COMPLIANCE lock reads back as long expired.
    wraps_far_future_dates: bool,
    /// SeaweedFS 4.48 deletes a bucket that still holds objects, versions and delete markers
    /// (AWS refuses with BucketNotEmpty): the data goes with it.
    deletes_non_empty_buckets: bool,
    /// Creating a bucket the same user already owns is refused with BucketAlreadyOwnedByYou
    /// (AWS does so outside us-east-1; in us-east-1, the region these servers name, it answers
    /// 200 and changes nothing).
    refuses_recreating_own_bucket: bool,
    /// A version-id marker naming no version of the key marker is accepted (AWS: 400).
    accepts_unknown_version_id_marker: bool,
    /// Ceph RGW 16 has no GetObjectAttributes: it answers 403 SignatureDoesNotMatch.
    lacks_object_attributes: bool,
    /// Going on from version markers whose version was deleted since is refused as 400
    /// InvalidArgument (AWS goes on from that place in the order).
    refuses_marker_of_a_deleted_version: bool,
    /// Ceph RGW 16, going on from version markers whose version was deleted since, skips the
    /// rest of that key: its older versions are never listed (AWS lists them).
    skips_the_key_of_a_deleted_marker: bool,
    /// `x-amz-checksum-*` values are neither checked nor kept (Ceph RGW 16 predates them).
    ignores_checksums: bool,
    /// SeaweedFS 4.48 refuses an upload with an unknown lock mode as 400 InvalidRequest (AWS:
    /// InvalidArgument); it is refused all the same.
    unknown_upload_mode_is_invalid_request: bool,
    /// SeaweedFS 4.48 names the owner of every delete marker "anonymous", whoever deleted.
    marker_owner_is_anonymous: bool,
    /// Ceph RGW 16 has no bucket ownership controls (it answers the GET as a listing).
    lacks_ownership_controls: bool,
    /// No public access block (SeaweedFS 4.48: 501 NotImplemented).
    lacks_public_access_block: bool,
    /// Ceph RGW 16 ignores `x-amz-copy-source-if-none-match`: the copy is made.
    ignores_copy_source_if_none_match: bool,
    /// `If-Match` on a key with no object is 412 (AWS: 404 NoSuchKey).
    if_match_on_a_missing_key_is_412: bool,
    /// SeaweedFS 4.48 keeps more than 10 tags from `x-amz-tagging` (AWS: InvalidTag).
    accepts_too_many_tags: bool,
    /// Ceph RGW 16 refuses more than 10 tags as InvalidArgument (AWS: InvalidTag).
    too_many_tags_is_invalid_argument: bool,
    /// SeaweedFS 4.48 copies an object onto itself with nothing changed (AWS: InvalidRequest).
    copies_onto_itself: bool,
    /// Ceph RGW 16 ignores `?partNumber=` on GET: the whole object, 200, no parts count.
    ignores_part_number: bool,
    /// Ceph RGW 16 ignores `max-buckets`: ListBuckets answers every bucket at once.
    ignores_max_buckets: bool,
    /// SeaweedFS 4.48 sends no checksum with a part read by number (AWS: the part's own).
    no_checksum_on_part_reads: bool,
}

struct Server {
    endpoint: String,
    /// A LocationConstraint the server accepts (Ceph: its zonegroup's name).
    location: &'static str,
    deviations: Deviations,
}

impl Server {
    async fn s3(&self) -> S3 {
        support::client(&self.endpoint).await
    }
}

fn seaweedfs() -> Server {
    Server {
        endpoint: support::weed::weed().endpoint.clone(),
        location: "europe-se-1",
        deviations: Deviations {
            refuses_lock_on_versioned_bucket: false,
            forgets_location: true,
            omits_copy_version_id: false,
            ignores_lock_on_multipart: false,
            mispages_shared_prefixes: true,
            refuses_dot_segments: true,
            normalizes_slashes: true,
            mangles_controls_in_version_listings: true,
            wraps_far_future_dates: false,
            deletes_non_empty_buckets: true,
            refuses_recreating_own_bucket: true,
            accepts_unknown_version_id_marker: true,
            unknown_upload_mode_is_invalid_request: true,
            marker_owner_is_anonymous: true,
            lacks_ownership_controls: false,
            lacks_public_access_block: true,
            ignores_copy_source_if_none_match: false,
            if_match_on_a_missing_key_is_412: true,
            accepts_too_many_tags: true,
            too_many_tags_is_invalid_argument: false,
            copies_onto_itself: true,
            ignores_part_number: false,
            ignores_max_buckets: false,
            no_checksum_on_part_reads: true,
            lacks_object_attributes: false,
            refuses_marker_of_a_deleted_version: false,
            skips_the_key_of_a_deleted_marker: false,
            ignores_checksums: false,
        },
    }
}

fn sandbox() -> Server {
    Server {
        endpoint: support::sandbox::sandbox().endpoint.clone(),
        location: "europe-se-1",
        deviations: Deviations {
            refuses_lock_on_versioned_bucket: false,
            forgets_location: false,
            omits_copy_version_id: false,
            ignores_lock_on_multipart: false,
            mispages_shared_prefixes: false,
            refuses_dot_segments: false,
            normalizes_slashes: false,
            mangles_controls_in_version_listings: false,
            wraps_far_future_dates: false,
            deletes_non_empty_buckets: false,
            refuses_recreating_own_bucket: false,
            accepts_unknown_version_id_marker: false,
            unknown_upload_mode_is_invalid_request: false,
            marker_owner_is_anonymous: false,
            lacks_ownership_controls: false,
            lacks_public_access_block: false,
            ignores_copy_source_if_none_match: false,
            if_match_on_a_missing_key_is_412: false,
            accepts_too_many_tags: false,
            too_many_tags_is_invalid_argument: false,
            copies_onto_itself: false,
            ignores_part_number: false,
            ignores_max_buckets: false,
            no_checksum_on_part_reads: false,
            lacks_object_attributes: false,
            refuses_marker_of_a_deleted_version: false,
            skips_the_key_of_a_deleted_marker: false,
            ignores_checksums: false,
        },
    }
}

fn ceph() -> Server {
    Server {
        endpoint: support::ceph::ceph().endpoint.clone(),
        location: support::ceph::ZONEGROUP,
        deviations: Deviations {
            refuses_lock_on_versioned_bucket: true,
            forgets_location: false,
            omits_copy_version_id: true,
            ignores_lock_on_multipart: true,
            mispages_shared_prefixes: false,
            refuses_dot_segments: false,
            normalizes_slashes: false,
            mangles_controls_in_version_listings: false,
            wraps_far_future_dates: true,
            deletes_non_empty_buckets: false,
            refuses_recreating_own_bucket: false,
            accepts_unknown_version_id_marker: true,
            unknown_upload_mode_is_invalid_request: false,
            marker_owner_is_anonymous: false,
            lacks_ownership_controls: true,
            lacks_public_access_block: false,
            ignores_copy_source_if_none_match: true,
            if_match_on_a_missing_key_is_412: true,
            accepts_too_many_tags: false,
            too_many_tags_is_invalid_argument: true,
            copies_onto_itself: false,
            ignores_part_number: true,
            ignores_max_buckets: true,
            no_checksum_on_part_reads: false,
            lacks_object_attributes: true,
            refuses_marker_of_a_deleted_version: false,
            skips_the_key_of_a_deleted_marker: true,
            ignores_checksums: true,
        },
    }
}

async fn versioned_bucket(s3: &S3, tag: &str) -> String {
    support::bucket::bucket(tag).versioned().on(s3).await
}

async fn lock_bucket(
    s3: &S3,
    tag: &str,
    default: Option<(RetentionMode, RetentionPeriod)>,
) -> String {
    support::bucket::bucket(tag).lock(default).on(s3).await
}

async fn put(s3: &S3, bucket: &str, key: &str, body: &str, options: PutOptions) -> String {
    s3.put_bytes(bucket, key, body.as_bytes().to_vec(), &options)
        .unrecorded()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e}"))
        .unwrap_or_else(|| panic!("put {key}: a versioned bucket returns a version id"))
}

fn assert_locked(result: Result<impl std::fmt::Debug, lockwatch::s3::S3Error>, what: &str) {
    match result {
        Err(e) => assert_eq!(e.code(), Some("AccessDenied"), "{what}: {e}"),
        Ok(v) => panic!("{what}: the server allowed it ({v:?})"),
    }
}

async fn listing_and_prefix_navigation(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "list").await;
    for key in ["a/b/c.txt", "a/d.txt", "e.txt"] {
        put(&s3, &bucket, key, key, PutOptions::default()).await;
    }
    let top = s3
        .list_objects_page(&bucket, "", None)
        .await
        .expect("list top");
    assert_eq!(top.prefixes, ["a/"]);
    assert_eq!(
        top.objects
            .iter()
            .map(|o| o.key.as_ref())
            .collect::<Vec<_>>(),
        ["e.txt"]
    );
    let inner = s3
        .list_objects_page(&bucket, "a/", None)
        .await
        .expect("list a/");
    assert_eq!(inner.prefixes, ["a/b/"]);
    assert_eq!(
        inner
            .objects
            .iter()
            .map(|o| o.key.as_ref())
            .collect::<Vec<_>>(),
        ["a/d.txt"]
    );
}

async fn version_paging_uses_both_markers(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "paging").await;
    let mut written = Vec::new();
    for i in 0..5 {
        written.push(put(&s3, &bucket, "k", &format!("v{i}"), PutOptions::default()).await);
    }
    let marker = s3
        .delete_object(&bucket, "k")
        .unrecorded()
        .await
        .expect("delete")
        .version_id;
    put(&s3, &bucket, "l", "other", PutOptions::default()).await;
    if !server.deviations.mispages_shared_prefixes {
        put(&s3, &bucket, "k.bak", "neighbour", PutOptions::default()).await;
    }
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
    assert!(pages >= 3, "six entries at two a page: {pages} pages");
    let ids: Vec<&str> = entries.iter().map(|e| e.version_id.as_str()).collect();
    let mut expected: Vec<&str> = written.iter().rev().map(String::as_str).collect();
    expected.insert(0, marker.as_deref().expect("marker id"));
    assert_eq!(ids, expected, "newest first, every version once");
}

async fn delete_marker_hides_and_removing_it_restores(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(
        &s3,
        "marker",
        Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
    )
    .await;
    let version = put(&s3, &bucket, "tux.svg", "svg", PutOptions::default()).await;
    let deleted = s3
        .delete_object(&bucket, "tux.svg")
        .unrecorded()
        .await
        .expect("delete without version id");
    assert!(
        deleted.delete_marker,
        "a delete on a locked bucket adds a marker"
    );
    let marker = deleted.version_id.expect("marker id");
    let listed = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert!(listed.objects.is_empty(), "the marker hides the object");
    let hist = s3.key_history(&bucket, "tux.svg").await.expect("history");
    let plan = plan_restore(&hist, Some(&marker)).expect("restorable");
    assert_eq!(plan.becomes_current.map(|e| e.version_id), Some(version));
    s3.delete_version(&bucket, "tux.svg", &marker)
        .unrecorded()
        .await
        .expect("delete markers carry no lock");
    let listed = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert_eq!(listed.objects.len(), 1, "the object is back");
}

async fn restore_by_copying_an_older_version(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "copy").await;
    let old = put(&s3, &bucket, "conf", "good", PutOptions::default()).await;
    put(&s3, &bucket, "conf", "ransomed", PutOptions::default()).await;
    let hist = s3.key_history(&bucket, "conf").await.expect("history");
    let etag = match &hist[1].kind {
        lockwatch::domain::EntryKind::Version { etag: Some(e), .. } => e.clone(),
        other => panic!("older entry has no etag: {other:?}"),
    };
    let refused = s3
        .copy_version(
            &bucket,
            "conf",
            &old,
            Some("00000000000000000000000000000000"),
        )
        .unrecorded()
        .await;
    match refused {
        Err(e) => assert_eq!(e.code(), Some("PreconditionFailed"), "{e}"),
        Ok(v) => panic!("a copy with a wrong if-match must be refused, got {v:?}"),
    }
    let new = s3
        .copy_version(&bucket, "conf", &old, Some(&etag))
        .unrecorded()
        .await
        .expect("copy");
    let hist = s3.key_history(&bucket, "conf").await.expect("history");
    assert_eq!(hist.len(), 3, "nothing is deleted by a copy");
    match new {
        Some(id) => assert_eq!(hist[0].version_id, id),
        None => assert!(
            server.deviations.omits_copy_version_id,
            "the copy's version id is missing"
        ),
    }
    assert!(hist[0].is_latest);
    assert_eq!(
        hist[0].kind, hist[2].kind,
        "same size and ETag as the copied version"
    );
}

async fn compliance_refuses_delete_and_shortening(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "compliance", None).await;
    let until = Timestamp::now() + SignedDuration::from_hours(2);
    let options = PutOptions {
        retention: Some((RetentionMode::Compliance, until)),
        ..PutOptions::default()
    };
    let version = put(&s3, &bucket, "db.sql", "dump", options).await;
    assert_locked(
        s3.delete_version(&bucket, "db.sql", &version)
            .unrecorded()
            .await,
        "delete under COMPLIANCE",
    );
    assert_locked(
        s3.delete_version_with(&bucket, "db.sql", &version, true)
            .unrecorded()
            .await,
        "COMPLIANCE ignores the governance bypass",
    );
    let shorter = until - SignedDuration::from_hours(1);
    assert_locked(
        s3.set_retention(
            &bucket,
            "db.sql",
            &version,
            RetentionMode::Compliance,
            shorter,
            false,
        )
        .unrecorded()
        .await,
        "shortening COMPLIANCE",
    );
    assert_locked(
        s3.set_retention(
            &bucket,
            "db.sql",
            &version,
            RetentionMode::Governance,
            until,
            true,
        )
        .unrecorded()
        .await,
        "switching COMPLIANCE to GOVERNANCE",
    );
    let later = until + SignedDuration::from_hours(24);
    s3.set_retention(
        &bucket,
        "db.sql",
        &version,
        RetentionMode::Compliance,
        later,
        false,
    )
    .unrecorded()
    .await
    .expect("extending COMPLIANCE is allowed");
    let (mode, stored) = s3
        .retention(&bucket, "db.sql", &version)
        .await
        .expect("get retention")
        .expect("retention set");
    assert_eq!(mode, RetentionMode::Compliance);
    assert_eq!(stored.unix_seconds(), later.as_second());
    let head = s3
        .head_version(&bucket, "db.sql", &version)
        .await
        .expect("head");
    assert_eq!(
        head.retain_until.map(|t| t.unix_seconds()),
        Some(later.as_second())
    );

    // "Forever": 9999-12-31T23:59:59Z, past the calendar lockwatch computes with, is accepted,
    // kept exactly, and still refuses the delete.
    let forever = RetainUntil::from_unix(253_402_300_799, 0);
    s3.set_retention(
        &bucket,
        "db.sql",
        &version,
        RetentionMode::Compliance,
        forever,
        false,
    )
    .unrecorded()
    .await
    .expect("extending COMPLIANCE to 9999-12-31T23:59:59Z");
    let head = s3
        .head_version(&bucket, "db.sql", &version)
        .await
        .expect("head");
    assert_eq!(head.mode, Some(RetentionMode::Compliance));
    if server.deviations.wraps_far_future_dates {
        // What lockwatch shows is what the server holds: a date long past. (The `e` dialog
        // reads every retention it sets back and says when the server holds something else.)
        let held = head.retain_until.expect("a date");
        assert!(held < RetainUntil::at(Timestamp::now()), "{held:?}");
        assert!(!head.blocks_delete(Timestamp::now()));
        // And the server agrees: the version it was asked to keep forever can be deleted.
        s3.delete_version(&bucket, "db.sql", &version)
            .unrecorded()
            .await
            .expect("the server lets the version go: its lock ran out long ago");
        return;
    }
    assert_eq!(head.retain_until, Some(forever));
    assert!(head.blocks_delete(Timestamp::now()));
    assert_locked(
        s3.delete_version(&bucket, "db.sql", &version)
            .unrecorded()
            .await,
        "delete under COMPLIANCE until 9999-12-31",
    );
}

async fn governance_delete_needs_the_bypass(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(
        &s3,
        "governance",
        Some((RetentionMode::Governance, RetentionPeriod::Days(1))),
    )
    .await;
    let version = put(&s3, &bucket, "weekly.tar", "tar", PutOptions::default()).await;
    let head = s3
        .head_version(&bucket, "weekly.tar", &version)
        .await
        .expect("head");
    assert_eq!(
        head.mode,
        Some(RetentionMode::Governance),
        "the bucket default applies"
    );
    assert_locked(
        s3.delete_version(&bucket, "weekly.tar", &version)
            .unrecorded()
            .await,
        "delete under GOVERNANCE",
    );
    s3.delete_version_with(&bucket, "weekly.tar", &version, true)
        .unrecorded()
        .await
        .expect("the bypass deletes a GOVERNANCE version");
    assert!(
        s3.key_history(&bucket, "weekly.tar")
            .await
            .expect("history")
            .is_empty()
    );
}

async fn governance_shortening_needs_the_bypass(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "govshort", None).await;
    let until = Timestamp::now() + SignedDuration::from_hours(2);
    let options = PutOptions {
        retention: Some((RetentionMode::Governance, until)),
        ..PutOptions::default()
    };
    let version = put(&s3, &bucket, "f", "x", options).await;
    let shorter = until - SignedDuration::from_hours(1);
    assert_locked(
        s3.set_retention(
            &bucket,
            "f",
            &version,
            RetentionMode::Governance,
            shorter,
            false,
        )
        .unrecorded()
        .await,
        "shortening GOVERNANCE without the bypass",
    );
    s3.set_retention(
        &bucket,
        "f",
        &version,
        RetentionMode::Governance,
        shorter,
        true,
    )
    .unrecorded()
    .await
    .expect("shortening GOVERNANCE with the bypass");
}

async fn legal_hold_blocks_delete_until_released(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "hold", None).await;
    let options = PutOptions {
        legal_hold: true,
        ..PutOptions::default()
    };
    let version = put(&s3, &bucket, "evidence.tar", "e", options).await;
    let head = s3
        .head_version(&bucket, "evidence.tar", &version)
        .await
        .expect("head");
    assert!(head.legal_hold.is_on());
    assert_eq!(head.retain_until, None, "a hold is not a retention");
    assert_locked(
        s3.delete_version(&bucket, "evidence.tar", &version)
            .unrecorded()
            .await,
        "delete under legal hold",
    );
    s3.set_legal_hold(&bucket, "evidence.tar", &version, false)
        .unrecorded()
        .await
        .expect("release the hold");
    assert!(
        !s3.head_version(&bucket, "evidence.tar", &version)
            .await
            .expect("head")
            .legal_hold
            .is_on()
    );
    s3.delete_version(&bucket, "evidence.tar", &version)
        .unrecorded()
        .await
        .expect("delete after release");
}

async fn default_retention_applies_to_new_versions(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(
        &s3,
        "default",
        Some((RetentionMode::Compliance, RetentionPeriod::Days(1))),
    )
    .await;
    let details = s3.bucket_details(&bucket).await.expect("details");
    assert_eq!(
        details.versioning,
        Versioning::Enabled,
        "Object Lock turns versioning on"
    );
    assert_eq!(
        details.lock,
        BucketLock::Enabled {
            default_retention: Some((RetentionMode::Compliance, RetentionPeriod::Days(1)))
        }
    );
    let before = Timestamp::now();
    let version = put(&s3, &bucket, "f", "x", PutOptions::default()).await;
    let head = s3.head_version(&bucket, "f", &version).await.expect("head");
    assert_eq!(head.mode, Some(RetentionMode::Compliance));
    let until = head
        .retain_until
        .expect("retain-until from the default")
        .instant();
    let hours = until.duration_since(before).as_secs_f64() / 3600.0;
    assert!(
        (23.9..=24.1).contains(&hours),
        "one day from the upload, got {hours:.2} h"
    );
}

async fn versioning_cannot_be_suspended_with_object_lock(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "suspend", None).await;
    let err = s3
        .suspend_versioning(&bucket)
        .unrecorded()
        .await
        .expect_err("suspend refused");
    assert!(
        matches!(
            err.code(),
            Some("InvalidBucketState" | "InvalidRequest" | "AccessDenied")
        ),
        "{err}"
    );
    let details = s3.bucket_details(&bucket).await.expect("details");
    assert_eq!(details.versioning, Versioning::Enabled);
}

async fn an_expired_lock_allows_the_delete(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "expiry", None).await;
    let until = Timestamp::now() + SignedDuration::from_secs(3);
    let options = PutOptions {
        retention: Some((RetentionMode::Compliance, until)),
        ..PutOptions::default()
    };
    let version = put(&s3, &bucket, "short", "x", options).await;
    assert_locked(
        s3.delete_version(&bucket, "short", &version)
            .unrecorded()
            .await,
        "delete before expiry",
    );
    let wait = until.duration_since(Timestamp::now()) + SignedDuration::from_millis(1500);
    tokio::time::sleep(Duration::try_from(wait).unwrap_or(Duration::from_secs(5))).await;
    s3.delete_version(&bucket, "short", &version)
        .unrecorded()
        .await
        .expect("the delete succeeds once retain-until has passed");
}

async fn location_constraint_is_kept(server: &Server) {
    let s3 = server.s3().await;
    let bucket = support::unique_bucket("location");
    s3.create_bucket(&bucket, Some(server.location), true)
        .unrecorded()
        .await
        .expect("create with LocationConstraint, as the guide does");
    let location = s3.bucket_location(&bucket).await.expect("get location");
    if server.deviations.forgets_location {
        assert_eq!(location, None);
    } else {
        assert_eq!(location.as_deref(), Some(server.location));
    }
}

async fn object_lock_on_an_existing_versioned_bucket(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "latelock").await;
    let result = s3
        .set_default_retention(
            &bucket,
            Some((RetentionMode::Governance, RetentionPeriod::Days(1))),
        )
        .unrecorded()
        .await;
    if server.deviations.refuses_lock_on_versioned_bucket {
        assert!(result.is_err(), "this server refuses it");
    } else {
        result.expect("AWS allows Object Lock on a versioned bucket");
        let details = s3.bucket_details(&bucket).await.expect("details");
        assert!(matches!(details.lock, BucketLock::Enabled { .. }));
    }
}

async fn reads_return_each_version_and_hide_deleted_keys(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "read").await;
    let old = put(&s3, &bucket, "notes.txt", "first", PutOptions::default()).await;
    put(&s3, &bucket, "notes.txt", "second", PutOptions::default()).await;
    assert_eq!(
        s3.get_bytes(&bucket, "notes.txt", None)
            .await
            .expect("latest"),
        b"second"
    );
    assert_eq!(
        s3.get_bytes(&bucket, "notes.txt", Some(&old))
            .await
            .expect("old"),
        b"first"
    );
    s3.delete_object(&bucket, "notes.txt")
        .unrecorded()
        .await
        .expect("delete");
    let hidden = s3
        .get_bytes(&bucket, "notes.txt", None)
        .await
        .expect_err("deleted");
    assert_eq!(hidden.code(), Some("NoSuchKey"), "{hidden}");
    assert_eq!(
        s3.get_bytes(&bucket, "notes.txt", Some(&old))
            .await
            .expect("old"),
        b"first"
    );
}

async fn delete_objects_answers_per_key(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "multi", None).await;
    let locked = PutOptions {
        retention: Some((
            RetentionMode::Compliance,
            Timestamp::now() + SignedDuration::from_hours(1),
        )),
        ..PutOptions::default()
    };
    let kept = put(&s3, &bucket, "locked.txt", "l", locked).await;
    let free = put(&s3, &bucket, "free.txt", "f", PutOptions::default()).await;
    let results = s3
        .delete_versions(
            &bucket,
            &[
                ("locked.txt".into(), kept.clone()),
                ("free.txt".into(), free),
            ],
            false,
        )
        .unrecorded()
        .await
        .expect("DeleteObjects");
    match &results[0] {
        Err(e) => assert_eq!(e.code(), Some("AccessDenied"), "{e}"),
        Ok(()) => panic!("the locked version was reported deleted"),
    }
    assert!(results[1].is_ok(), "{:?}", results[1]);
    assert_eq!(
        s3.key_history(&bucket, "locked.txt")
            .await
            .expect("history")
            .len(),
        1
    );
    assert!(
        s3.key_history(&bucket, "free.txt")
            .await
            .expect("history")
            .is_empty()
    );
}

async fn multipart_upload_keeps_the_lock_asked_for(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "parts", None).await;
    let until = Timestamp::now() + SignedDuration::from_hours(3);
    let options = PutOptions {
        retention: Some((RetentionMode::Compliance, until)),
        ..PutOptions::default()
    };
    let id = s3
        .start_multipart(&bucket, "big.tar", &options)
        .await
        .expect("create");
    let first = vec![7u8; 5 * 1024 * 1024];
    let e1 = s3
        .upload_part(&bucket, "big.tar", &id, 1, first)
        .await
        .expect("part 1");
    let e2 = s3
        .upload_part(&bucket, "big.tar", &id, 2, b"tail".to_vec())
        .await
        .expect("part 2");
    s3.complete_multipart(&bucket, "big.tar", &id, &[(1, e1), (2, e2)])
        .unrecorded()
        .await
        .expect("complete");
    let head = s3.head(&bucket, "big.tar", None).await.expect("head");
    assert_eq!(head.size, Some(5 * 1024 * 1024 + 4));
    if server.deviations.ignores_lock_on_multipart {
        assert_eq!(
            head.lock.mode, None,
            "this server was measured to drop the lock"
        );
    } else {
        assert_eq!(head.lock.mode, Some(RetentionMode::Compliance));
        assert_eq!(
            head.lock.retain_until.map(|t| t.unix_seconds()),
            Some(until.as_second())
        );
    }
}

async fn upload_in_parts_ends_locked_as_asked_on_every_server(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "bigup", None).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("backup.tar");
    let size = lockwatch::work::tasks::MULTIPART_THRESHOLD as usize + 1024;
    std::fs::write(&path, vec![1u8; size]).expect("file");
    let until = Timestamp::now() + SignedDuration::from_hours(3);
    let request = lockwatch::app::UploadRequest {
        bucket: bucket.clone(),
        key: "backup.tar".into(),
        path,
        retention: Some((RetentionMode::Compliance, until)),
        legal_hold: true,
    };
    let mut reports = 0;
    let (trail, trail_path) = support::trail("upload-trail");
    let done = lockwatch::work::tasks::upload(&s3, &trail, &request, |_, _| reports += 1)
        .await
        .expect("upload");
    // The write that made the version is in the trail, with the version it made; a lock the
    // server did not keep and lockwatch applied after is there as writes of their own.
    let lines = lockwatch::audit::read_last(&trail_path, 10).expect("the trail");
    let entries: Vec<_> = lines
        .iter()
        .map(|l| match l {
            lockwatch::audit::AuditLine::Entry(e) => e,
            other => panic!("an unreadable line: {other:?}"),
        })
        .collect();
    assert_eq!(entries[0].action, "upload");
    assert_eq!(entries[0].outcome, lockwatch::audit::Outcome::Ok);
    assert_eq!(entries[0].result_version_id, done.version_id);
    let after: Vec<&str> = entries[1..].iter().map(|e| e.action.as_str()).collect();
    if done.lock_applied_after {
        assert!(
            !after.is_empty()
                && after
                    .iter()
                    .all(|a| a.starts_with("retention-compliance-until-") || *a == "legal-hold-on"),
            "{entries:?}"
        );
    } else {
        assert!(after.is_empty(), "{entries:?}");
    }
    assert!(
        done.multipart,
        "over the threshold, the file goes up in parts"
    );
    assert!(reports >= 3, "progress is reported per part");
    assert_eq!(done.size, size as u64);
    assert_eq!(done.lock.mode, Some(RetentionMode::Compliance));
    assert_eq!(
        done.lock.retain_until.map(|t| t.unix_seconds()),
        Some(until.as_second())
    );
    assert!(done.lock.legal_hold.is_on());
    assert_eq!(
        done.lock_applied_after,
        server.deviations.ignores_lock_on_multipart
    );
}

async fn copy_in_parts_restores_a_large_version_guarded_by_its_etag(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "bigcopy").await;
    let size = 6 * 1024 * 1024;
    let old = s3
        .put_bytes(&bucket, "disk.img", vec![3u8; size], &PutOptions::default())
        .unrecorded()
        .await
        .expect("put")
        .expect("version");
    put(
        &s3,
        &bucket,
        "disk.img",
        "overwritten",
        PutOptions::default(),
    )
    .await;
    let hist = s3.key_history(&bucket, "disk.img").await.expect("history");
    let etag = match &hist[1].kind {
        lockwatch::domain::EntryKind::Version { etag: Some(e), .. } => e.clone(),
        other => panic!("no etag: {other:?}"),
    };
    let part = 5 * 1024 * 1024;
    let refused = s3
        .copy_version_in_parts(
            &bucket,
            "disk.img",
            &old,
            Some("0123456789abcdef0123456789abcdef"),
            size as u64,
            part,
        )
        .unrecorded()
        .await;
    match refused {
        Err(e) => assert_eq!(e.code(), Some("PreconditionFailed"), "{e}"),
        Ok(v) => panic!("a copy with a wrong ETag must be refused, got {v:?}"),
    }
    assert_eq!(
        s3.key_history(&bucket, "disk.img")
            .await
            .expect("history")
            .len(),
        2
    );
    s3.copy_version_in_parts(&bucket, "disk.img", &old, Some(&etag), size as u64, part)
        .unrecorded()
        .await
        .expect("copy in parts");
    let hist = s3.key_history(&bucket, "disk.img").await.expect("history");
    assert_eq!(hist.len(), 3, "nothing deleted");
    assert_eq!(hist[0].size(), Some(size as u64));
    assert_eq!(
        s3.get_bytes(&bucket, "disk.img", None).await.expect("get"),
        vec![3u8; size]
    );
}

async fn download_is_checked_against_size_and_etag(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "dl").await;
    let old = put(
        &s3,
        &bucket,
        "reports/q3.pdf",
        "quarterly",
        PutOptions::default(),
    )
    .await;
    put(
        &s3,
        &bucket,
        "reports/q3.pdf",
        "overwritten",
        PutOptions::default(),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let request = lockwatch::work::tasks::DownloadRequest {
        bucket: bucket.clone(),
        key: "reports/q3.pdf".into(),
        version_id: Some(old),
        directory: dir.path().to_path_buf(),
        name: lockwatch::domain::paths::local_name("reports/q3.pdf"),
        overwrite: false,
    };
    let done = lockwatch::work::tasks::download(&s3, &request, |_, _| {})
        .await
        .expect("download");
    assert!(
        done.md5_verified,
        "a single-part ETag is an MD5 and is checked"
    );
    assert_eq!(done.path, dir.path().join("q3.pdf"));
    assert_eq!(std::fs::read(&done.path).expect("file"), b"quarterly");
    let again = lockwatch::work::tasks::download(&s3, &request, |_, _| {}).await;
    assert!(
        matches!(again, Err(lockwatch::work::tasks::DownloadError::Exists(_))),
        "{again:?}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "no partial file left"
    );

    // A link planted where the partial file goes is never followed, and not removed.
    let outside = tempfile::tempdir().expect("outside");
    let victim = outside.path().join("victim");
    std::fs::write(&victim, b"keep").expect("victim");
    let copy = lockwatch::work::tasks::DownloadRequest {
        name: "q3-copy.pdf".into(),
        ..request.clone()
    };
    let planted = dir.path().join(".q3-copy.pdf.lockwatch-partial");
    std::os::unix::fs::symlink(&victim, &planted).expect("plant a link");
    let refused = lockwatch::work::tasks::download(&s3, &copy, |_, _| {}).await;
    assert!(
        matches!(&refused, Err(lockwatch::work::tasks::DownloadError::Local(m)) if m.contains("exists")),
        "{refused:?}"
    );
    assert_eq!(std::fs::read(&victim).expect("victim"), b"keep");
    assert!(
        planted.symlink_metadata().is_ok(),
        "someone else's file is left alone"
    );
    std::fs::remove_file(&planted).expect("remove the link");

    // A link planted at the name itself is not replaced either.
    std::os::unix::fs::symlink(&victim, dir.path().join("q3-copy.pdf")).expect("plant a link");
    let refused = lockwatch::work::tasks::download(&s3, &copy, |_, _| {}).await;
    assert!(
        matches!(
            refused,
            Err(lockwatch::work::tasks::DownloadError::Exists(_))
        ),
        "{refused:?}"
    );
    assert_eq!(std::fs::read(&victim).expect("victim"), b"keep");
    assert_eq!(done.version_id.as_deref(), request.version_id.as_deref());
}

/// The report's lean HeadObject (signed and sent without the SDK's pipeline) reads what the
/// SDK's HeadObject reads: every lock state, hostile keys, "forever" dates, a version that
/// does not exist.
async fn the_lean_head_reads_what_the_sdk_reads(server: &Server) {
    let s3 = server.s3().await;
    assert!(
        s3.has_lean_head(),
        "a custom endpoint, path style: the lean path is used"
    );
    let sdk = s3.clone().without_lean_head();
    let bucket = lock_bucket(&s3, "lean", None).await;
    let deviations = server.deviations;
    let now = jiff::Timestamp::now();
    let forever: jiff::Timestamp = "9999-12-30T00:00:00Z".parse().expect("time");
    let options = [
        PutOptions::default(),
        PutOptions {
            retention: Some((
                RetentionMode::Compliance,
                now + jiff::SignedDuration::from_hours(24),
            )),
            ..PutOptions::default()
        },
        PutOptions {
            retention: Some((RetentionMode::Governance, forever)),
            legal_hold: true,
            ..PutOptions::default()
        },
        PutOptions {
            legal_hold: true,
            ..PutOptions::default()
        },
    ];
    let mut versions = Vec::new();
    for (i, key) in support::hostile_keys().into_iter().enumerate() {
        if deviations.refuses_dot_segments && key.split('/').any(|s| s == "." || s == "..") {
            continue;
        }
        if deviations.normalizes_slashes
            && (key.contains('\\') || key.contains("//") || key.starts_with('/'))
        {
            continue;
        }
        let option = options[i % options.len()].clone();
        let version = put(&s3, &bucket, &key, "x", option).await;
        versions.push((key, version));
    }
    assert!(versions.len() > 20, "{} keys", versions.len());
    for (key, version) in &versions {
        let lean = s3.head_lock(&bucket, key, version).await;
        let full = sdk.head_lock(&bucket, key, version).await;
        match (&lean, &full) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{key:?}"),
            _ => panic!("{key:?}: lean {lean:?}, SDK {full:?}"),
        }
    }
    let seen: Vec<_> = futures::future::join_all(
        versions
            .iter()
            .map(|(key, version)| s3.head_lock(&bucket, key, version)),
    )
    .await;
    assert!(seen.iter().all(|r| r.is_ok()), "at once, too");
    let states: std::collections::BTreeSet<String> = seen
        .iter()
        .flatten()
        .map(|l| {
            format!(
                "{:?}/{}",
                l.mode.as_ref().map(|m| m.as_str().to_string()),
                l.legal_hold.is_on()
            )
        })
        .collect();
    assert_eq!(states.len(), 4, "every lock state was read: {states:?}");
    let (key, _) = &versions[0];
    let missing = s3.head_lock(&bucket, key, "no-such-version-0000").await;
    let sdk_missing = sdk.head_lock(&bucket, key, "no-such-version-0000").await;
    match (&missing, &sdk_missing) {
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code(), "{a} / {b}"),
        _ => panic!("lean {missing:?}, SDK {sdk_missing:?}"),
    }
}

/// Keys chosen to break terminals and parsers come back from every listing exactly as written.
async fn hostile_keys_are_listed_exactly(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "hostile").await;
    let deviations = server.deviations;
    let mut expected = std::collections::BTreeSet::new();
    for key in support::hostile_keys() {
        if deviations.refuses_dot_segments && key.split('/').any(|s| s == "." || s == "..") {
            continue;
        }
        if deviations.normalizes_slashes
            && (key.contains('\\') || key.contains("//") || key.starts_with('/'))
        {
            continue;
        }
        put(&s3, &bucket, &key, "x", PutOptions::default()).await;
        expected.insert(key);
    }
    // What XML 1.0 cannot carry: C0 controls other than tab, newline, return.
    let mangled = |key: &String| -> String {
        key.chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => c,
                c if u32::from(c) < 0x20 => '\u{fffd}',
                c => c,
            })
            .collect()
    };
    let expected_versions: std::collections::BTreeSet<String> =
        if deviations.mangles_controls_in_version_listings {
            expected.iter().map(mangled).collect()
        } else {
            expected.clone()
        };
    let mut listed = std::collections::BTreeSet::new();
    let mut pager = VersionPager::new(&s3, &bucket, "", None).with_max_keys(7);
    while let Some(page) = pager.next_page().await {
        let page = page.expect("version page");
        listed.extend(page.versions.iter().map(|v| v.key.to_string()));
        assert!(page.markers.is_empty(), "no delete markers were written");
    }
    assert_eq!(listed, expected_versions, "version listing");

    // The objects pane's listing, one level at a time from the root.
    let mut listed = std::collections::BTreeSet::new();
    let mut levels = vec![String::new()];
    while let Some(prefix) = levels.pop() {
        let mut token = None;
        loop {
            let page = s3
                .list_objects_page(&bucket, &prefix, token.as_deref())
                .await
                .unwrap_or_else(|e| panic!("objects under {prefix:?}: {e}"));
            listed.extend(page.objects.iter().map(|o| o.key.to_string()));
            levels.extend(page.prefixes);
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
    }
    assert_eq!(listed, expected, "object listing by level");
    for key in &expected {
        if deviations.mangles_controls_in_version_listings && mangled(key) != *key {
            continue;
        }
        let history = s3
            .key_history(&bucket, key)
            .await
            .unwrap_or_else(|e| panic!("history of {key:?}: {e}"));
        assert_eq!(history.len(), 1, "history of {key:?}: {history:?}");
        assert_eq!(&*history[0].key, key.as_str());
    }
}

/// A retention whose mode is not spelled as S3 defines it (`governance`) is refused, as AWS
/// refuses it (400 MalformedXML), and nothing changes: measured the same on all three.
async fn a_mode_spelled_otherwise_is_refused(server: &Server) {
    let s3 = server.s3().await;
    let bucket = lock_bucket(&s3, "spelling", None).await;
    let version = put(&s3, &bucket, "k", "x", PutOptions::default()).await;
    let until = Timestamp::now() + SignedDuration::from_hours(24);
    let refused = s3
        .set_retention(
            &bucket,
            "k",
            &version,
            RetentionMode::Other("governance".into()),
            until,
            false,
        )
        .unrecorded()
        .await;
    let error = refused.expect_err("a lower-case mode is refused");
    assert_eq!(error.code(), Some("MalformedXML"), "{error}");
    let head = s3.head_version(&bucket, "k", &version).await.expect("head");
    assert_eq!(head.mode, None, "nothing was stored");
}

/// An access key the server does not know is refused as AWS refuses it: 403
/// InvalidAccessKeyId (which lockwatch explains as rejected credentials).
async fn an_unknown_access_key_is_invalid_access_key_id(server: &Server) {
    let options = lockwatch::s3::ConnectOptions {
        endpoint_url: Some(server.endpoint.clone()),
        region: Some(support::REGION.into()),
        static_credentials: Some(lockwatch::s3::StaticCredentials {
            access_key_id: "lockwatchnosuchkey".into(),
            secret_access_key: "nosuchsecret".into(),
        }),
        ..lockwatch::s3::ConnectOptions::default()
    };
    let s3 = lockwatch::s3::connect(&options).await.expect("a client").s3;
    let error = s3.list_buckets().await.expect_err("refused");
    assert_eq!(error.code(), Some("InvalidAccessKeyId"), "{error}");
    assert!(error.is_credentials_rejected());
}

/// DeleteBucket removes an empty bucket only: one holding a version or a delete marker is
/// refused with BucketNotEmpty, and once every version and marker is gone it can go.
async fn only_an_empty_bucket_can_be_deleted(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "gone").await;
    let version = put(&s3, &bucket, "k", "x", PutOptions::default()).await;
    let marker = s3
        .delete_object(&bucket, "k")
        .unrecorded()
        .await
        .expect("delete")
        .version_id
        .expect("a marker id");
    if server.deviations.deletes_non_empty_buckets {
        // Measured: the server deletes it, and what it held is gone.
        s3.delete_bucket(&bucket)
            .unrecorded()
            .await
            .expect("this server deletes a bucket that holds versions");
        let gone = s3.key_history(&bucket, "k").await.expect_err("no bucket");
        assert!(gone.code() == Some("NoSuchBucket"), "{gone}");
        return;
    }
    let refused = s3
        .delete_bucket(&bucket)
        .unrecorded()
        .await
        .expect_err("not empty");
    assert_eq!(refused.code(), Some("BucketNotEmpty"), "{refused}");
    s3.delete_version(&bucket, "k", &version)
        .unrecorded()
        .await
        .expect("delete the version");
    let refused = s3
        .delete_bucket(&bucket)
        .unrecorded()
        .await
        .expect_err("a marker is left");
    assert_eq!(refused.code(), Some("BucketNotEmpty"), "{refused}");
    s3.delete_version(&bucket, "k", &marker)
        .unrecorded()
        .await
        .expect("delete the marker");
    s3.delete_bucket(&bucket)
        .unrecorded()
        .await
        .expect("an empty bucket goes");
    let names: Vec<String> = s3
        .list_buckets()
        .await
        .expect("list")
        .into_iter()
        .map(|b| b.name)
        .collect();
    assert!(!names.contains(&bucket), "{names:?}");
}

macro_rules! suite {
    ($server:ident: $($case:ident),* $(,)?) => {
        mod $server {
            $(
                #[tokio::test]
                async fn $case() {
                    let server = tokio::task::spawn_blocking(super::$server)
                        .await
                        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
                    super::$case(&server).await;
                }
            )*
        }
    };
}

macro_rules! every_server {
    ($($server:ident),*) => {
        $(
            suite!($server:
                listing_and_prefix_navigation,
                version_paging_uses_both_markers,
                delete_marker_hides_and_removing_it_restores,
                restore_by_copying_an_older_version,
                compliance_refuses_delete_and_shortening,
                governance_delete_needs_the_bypass,
                governance_shortening_needs_the_bypass,
                legal_hold_blocks_delete_until_released,
                default_retention_applies_to_new_versions,
                versioning_cannot_be_suspended_with_object_lock,
                an_expired_lock_allows_the_delete,
                location_constraint_is_kept,
                object_lock_on_an_existing_versioned_bucket,
                reads_return_each_version_and_hide_deleted_keys,
                delete_objects_answers_per_key,
                multipart_upload_keeps_the_lock_asked_for,
                upload_in_parts_ends_locked_as_asked_on_every_server,
                copy_in_parts_restores_a_large_version_guarded_by_its_etag,
                download_is_checked_against_size_and_etag,
                hostile_keys_are_listed_exactly,
                the_lean_head_reads_what_the_sdk_reads,
                a_mode_spelled_otherwise_is_refused,
                an_unknown_access_key_is_invalid_access_key_id,
                only_an_empty_bucket_can_be_deleted,
                creating_a_bucket_you_own_again_changes_nothing,
                object_lock_enabled_must_say_enabled,
                an_unknown_version_id_marker_is_refused,
                a_version_listing_goes_on_after_its_marker_was_deleted,
                a_body_whose_digest_does_not_match_is_refused,
                a_versioned_bucket_is_emptied_page_by_page,
                a_bucket_goes_with_its_unfinished_uploads,
                conditions_decide_reads_and_writes,
                multipart_objects_keep_their_parts,
                what_a_client_says_about_an_object_is_kept,
                what_aws_refuses_is_refused,
                bucket_configurations_are_kept,
                buckets_are_listed_in_pages,
                an_upload_in_parts_is_checksummed_as_asked,
                multipart_uploads_are_listed_aborted_and_keep_metadata,
                copy_replaces_metadata_only_when_asked,
                acls_name_the_owner_with_full_control,
                tags_belong_to_one_version,
                object_attributes_say_size_and_version,
                list_objects_v1_pages_with_marker,
                lifecycle_is_stored_read_back_and_removed,
                policy_is_stored_read_back_and_removed,
                virtual_hosted_requests_name_the_bucket_in_the_host,
                ranged_reads_return_the_bytes_asked_for,
                unknown_lock_modes_are_refused_in_configurations_and_uploads,
                versions_and_markers_name_their_owner,
                the_posture_is_read_and_every_answer_classified,
            );
        )*
    };
}

every_server!(sandbox, seaweedfs, ceph);
