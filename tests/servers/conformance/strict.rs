//! What a client, a backup tool or a test harness does to a bucket beside Object Lock — emptying
//! it, conditions, headers kept, limits — compared on every server through the AWS SDK's own
//! client: the sandbox accepts what AWS accepts and refuses what AWS refuses, and a real
//! server's difference is named in `Deviations`.

use super::{Server, versioned_bucket};
use crate::support;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};

/// A bucket made without versioning, for what AWS does to plain buckets.
async fn plain_bucket(sdk: &aws_sdk_s3::Client, tag: &str) -> String {
    let bucket = support::unique_bucket(tag);
    sdk.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    bucket
}

async fn put_body(sdk: &aws_sdk_s3::Client, bucket: &str, key: &str, body: &str) {
    sdk.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .expect("put");
}

/// Every version and delete marker of the bucket, by one unbroken listing.
async fn all_versions(sdk: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, String)> {
    let listed = sdk
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("list versions");
    assert_ne!(listed.is_truncated(), Some(true), "one page holds them all");
    let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
    let markers = listed
        .delete_markers()
        .iter()
        .map(|m| (m.key(), m.version_id()));
    versions
        .chain(markers)
        .map(|(k, v)| {
            (
                k.unwrap_or_default().to_string(),
                v.unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// One pass of emptying a versioned bucket the way boto3's `bucket.object_versions.delete()`
/// does it: list a page, delete every version and marker on it, go on from the page's
/// markers. Returns how many it deleted.
async fn empty_page_by_page(sdk: &aws_sdk_s3::Client, bucket: &str, page: i32) -> usize {
    let mut deleted = 0;
    let mut markers: Option<(String, String)> = None;
    for _ in 0..1000 {
        let mut ask = sdk.list_object_versions().bucket(bucket).max_keys(page);
        if let Some((key, id)) = &markers {
            ask = ask.key_marker(key).version_id_marker(id);
        }
        let listed = ask.send().await.expect("a page of versions");
        let rows: Vec<(String, String)> = listed
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                listed
                    .delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            )
            .map(|(k, v)| {
                (
                    k.unwrap_or_default().to_string(),
                    v.unwrap_or_default().to_string(),
                )
            })
            .collect();
        for (key, id) in &rows {
            sdk.delete_object()
                .bucket(bucket)
                .key(key)
                .version_id(id)
                .send()
                .await
                .expect("delete a listed version");
            deleted += 1;
        }
        if listed.is_truncated() != Some(true) {
            return deleted;
        }
        markers = Some((
            listed.next_key_marker().unwrap_or_default().to_string(),
            listed
                .next_version_id_marker()
                .unwrap_or_default()
                .to_string(),
        ));
    }
    panic!("the listing never ended");
}

/// A versioned bucket holding a "null" version from before versioning, versions and delete
/// markers is emptied in one pass page by page, deleting each page before asking for the
/// next, and can then be deleted.
pub(super) async fn a_versioned_bucket_is_emptied_page_by_page(server: &Server) {
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = plain_bucket(&sdk, "empty").await;
    for key in ["a", "b", "c"] {
        put_body(&sdk, &bucket, key, "before versioning").await;
    }
    sdk.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable versioning");
    for key in ["a", "b", "c", "d"] {
        for i in 0..2 {
            put_body(&sdk, &bucket, key, &format!("{key}{i}")).await;
        }
        sdk.delete_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .expect("a delete marker");
    }
    let before = all_versions(&sdk, &bucket).await;
    assert_eq!(before.len(), 3 + 4 * 3, "{before:?}");
    let mut deleted = empty_page_by_page(&sdk, &bucket, 2).await;
    if server.deviations.skips_the_key_of_a_deleted_marker {
        // Measured: each page's last key loses its older versions; passes go on until empty.
        assert!(deleted < before.len(), "one pass left versions behind");
        for _ in 0..before.len() {
            if deleted == before.len() {
                break;
            }
            deleted += empty_page_by_page(&sdk, &bucket, 2).await;
        }
    }
    assert_eq!(deleted, before.len(), "each version deleted once");
    assert_eq!(all_versions(&sdk, &bucket).await, []);
    sdk.delete_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("an emptied bucket goes");
}

/// DeleteBucket of a bucket holding no object but an unfinished multipart upload: AWS deletes
/// the bucket and the upload with it.
pub(super) async fn a_bucket_goes_with_its_unfinished_uploads(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "uploads").await;
    let upload = sdk
        .create_multipart_upload()
        .bucket(&bucket)
        .key("big")
        .send()
        .await
        .expect("create upload");
    let id = upload.upload_id().unwrap_or_default().to_string();
    sdk.upload_part()
        .bucket(&bucket)
        .key("big")
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"the first part"))
        .send()
        .await
        .expect("a part");
    let deleted = sdk.delete_bucket().bucket(&bucket).send().await;
    deleted.expect("the bucket goes with its upload");
    let gone = sdk.head_bucket().bucket(&bucket).send().await;
    assert!(gone.is_err(), "the bucket is gone: {gone:?}");
}
