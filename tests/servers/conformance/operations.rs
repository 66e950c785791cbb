//! The operations an ordinary S3 client or test harness needs beside Object Lock, and what AWS
//! refuses, compared on every server through the AWS SDK's own client: the sandbox must answer
//! them as AWS does, and a real server's difference is named in `Deviations`.

use super::{Server, put, versioned_bucket};
use crate::support;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, CompletedMultipartUpload, CompletedPart, ExpirationStatus,
    LifecycleRule, LifecycleRuleFilter, MetadataDirective, NoncurrentVersionExpiration,
    ObjectAttributes, ObjectLockConfiguration, ObjectLockEnabled, Permission, Tag, Tagging,
};
use lockwatch::domain::BucketLock;
use lockwatch::s3::PutOptions;

pub(super) fn code<E: ProvideErrorMetadata>(e: &aws_sdk_s3::error::SdkError<E>) -> String {
    e.as_service_error()
        .and_then(|s| s.code())
        .unwrap_or("(no code)")
        .to_string()
}

/// Creating a bucket you already own: AWS in us-east-1 answers 200 and changes nothing (other
/// regions answer 409 BucketAlreadyOwnedByYou). Either way what the bucket holds stays.
pub(super) async fn creating_a_bucket_you_own_again_changes_nothing(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "again").await;
    put(&s3, &bucket, "k", "x", PutOptions::default()).await;
    let again = sdk.create_bucket().bucket(&bucket).send().await;
    match (&again, server.deviations.refuses_recreating_own_bucket) {
        (Ok(_), false) => {}
        (Err(e), true) => assert_eq!(code(e), "BucketAlreadyOwnedByYou", "{e:?}"),
        (other, refuses) => panic!("expected refusal: {refuses}, got {other:?}"),
    }
    let versioning = s3.bucket_versioning(&bucket).await.expect("versioning");
    assert_eq!(versioning, lockwatch::domain::Versioning::Enabled);
    // lockwatch asks first and sends nothing, whatever the server would answer: otherwise
    // the lock settings of a "new" bucket would land on this one where the server says 200.
    let refused = s3
        .create_bucket(&bucket, None, true)
        .unrecorded()
        .await
        .expect_err("lockwatch refuses to create an existing bucket");
    assert!(
        matches!(refused, lockwatch::s3::S3Error::Changed(_)),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("already exists"), "{refused}");
    let lock = s3.bucket_lock(&bucket).await.expect("lock");
    assert_eq!(lock, BucketLock::Disabled, "nothing changed");
    let listed = s3.list_objects_page(&bucket, "", None).await.expect("list");
    assert_eq!(listed.objects.len(), 1, "the object is still there");
}

/// PutObjectLockConfiguration with ObjectLockEnabled other than `Enabled` is refused as AWS
/// refuses it (400 MalformedXML), and the bucket's configuration is unchanged.
pub(super) async fn object_lock_enabled_must_say_enabled(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = support::bucket::bucket("enabled").lock(None).on(&s3).await;
    let refused = sdk
        .put_object_lock_configuration()
        .bucket(&bucket)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::from("Disabled"))
                .build(),
        )
        .send()
        .await;
    let error = refused.expect_err("Disabled is no value of ObjectLockEnabled");
    assert_eq!(code(&error), "MalformedXML", "{error:?}");
    let config = sdk
        .get_object_lock_configuration()
        .bucket(&bucket)
        .send()
        .await
        .expect("the configuration");
    assert_eq!(
        config
            .object_lock_configuration()
            .and_then(|c| c.object_lock_enabled()),
        Some(&ObjectLockEnabled::Enabled)
    );
}

/// A version-id marker that names no version of the key marker is refused (AWS: 400
/// InvalidArgument), rather than read as the start of the key.
pub(super) async fn an_unknown_version_id_marker_is_refused(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "vmarker").await;
    put(&s3, &bucket, "k", "1", PutOptions::default()).await;
    put(&s3, &bucket, "k", "2", PutOptions::default()).await;
    let listed = sdk
        .list_object_versions()
        .bucket(&bucket)
        .key_marker("k")
        .version_id_marker("no-such-version-id")
        .send()
        .await;
    if server.deviations.accepts_unknown_version_id_marker {
        // Measured: the listing goes on as if the marker named something.
        listed.expect("this server lists anyway");
        return;
    }
    let error = listed.expect_err("an unknown version-id marker");
    assert_eq!(code(&error), "InvalidArgument", "{error:?}");
}

/// A version listing goes on from its markers after the version they name was deleted: the
/// markers name a place in the order, not a version that must still exist (boto3's
/// `bucket.object_versions.delete()`, the usual way to empty a versioned bucket, deletes each
/// page before asking for the next). Every version left is listed once.
pub(super) async fn a_version_listing_goes_on_after_its_marker_was_deleted(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "vgone").await;
    for (key, n) in [("a", 3), ("b", 2), ("c", 1)] {
        for i in 0..n {
            put(
                &s3,
                &bucket,
                key,
                &format!("{key}{i}"),
                PutOptions::default(),
            )
            .await;
        }
    }
    let first = sdk
        .list_object_versions()
        .bucket(&bucket)
        .max_keys(2)
        .send()
        .await
        .expect("the first page");
    let listed: Vec<(String, String)> = first
        .versions()
        .iter()
        .map(|v| {
            (
                v.key().unwrap_or_default().to_string(),
                v.version_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(listed.len(), 2, "{first:?}");
    let (key_marker, id_marker) = (
        first.next_key_marker().unwrap_or_default().to_string(),
        first
            .next_version_id_marker()
            .unwrap_or_default()
            .to_string(),
    );
    assert_eq!((key_marker.as_str(), &id_marker), ("a", &listed[1].1));
    // The page's versions are deleted before the next page is asked for.
    for (key, id) in &listed {
        sdk.delete_object()
            .bucket(&bucket)
            .key(key)
            .version_id(id)
            .send()
            .await
            .expect("delete the listed version");
    }
    let rest = sdk
        .list_object_versions()
        .bucket(&bucket)
        .key_marker(&key_marker)
        .version_id_marker(&id_marker)
        .send()
        .await;
    if server.deviations.refuses_marker_of_a_deleted_version {
        let error = rest.expect_err("measured: refused");
        assert_eq!(code(&error), "InvalidArgument", "{error:?}");
        return;
    }
    let rest = rest.expect("the listing goes on");
    let keys: Vec<&str> = rest.versions().iter().filter_map(|v| v.key()).collect();
    if server.deviations.skips_the_key_of_a_deleted_marker {
        // Measured: the rest of the marker's key is skipped, its oldest version never listed.
        assert_eq!(keys, ["b", "b", "c"], "{rest:?}");
        return;
    }
    assert_eq!(keys, ["a", "b", "b", "c"], "{rest:?}");
    assert!(
        rest.versions().iter().all(|v| !listed
            .iter()
            .any(|(_, id)| Some(id.as_str()) == v.version_id())),
        "nothing listed twice: {rest:?}"
    );
}

/// A body whose `Content-MD5` or `x-amz-checksum-*` does not match is refused as 400
/// BadDigest and nothing is stored (PutObject and UploadPart); a matching checksum is kept
/// and given back when asked for (`x-amz-checksum-mode: ENABLED`).
pub(super) async fn a_body_whose_digest_does_not_match_is_refused(server: &Server) {
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::{ChecksumMode, CompletedMultipartUpload, CompletedPart};
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "digest").await;
    let b64 = |bytes: &[u8]| lockwatch::sandbox::integrity::base64(bytes);
    let md5 = |body: &[u8]| {
        use md5::Digest;
        b64(&md5::Md5::digest(body))
    };
    let sha256 = |body: &[u8]| lockwatch::sandbox::integrity::Algorithm::Sha256.of(body);
    let body = b"the bytes the client meant".to_vec();
    let other = b"the bytes that arrived".to_vec();
    let refused = sdk
        .put_object()
        .bucket(&bucket)
        .key("md5.txt")
        .content_md5(md5(&other))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect_err("a Content-MD5 of other bytes");
    assert_eq!(code(&refused), "BadDigest", "{refused:?}");
    let refused = sdk
        .put_object()
        .bucket(&bucket)
        .key("sha.txt")
        .checksum_sha256(sha256(&other))
        .body(ByteStream::from(body.clone()))
        .send()
        .await;
    if server.deviations.ignores_checksums {
        refused.expect("measured: stored anyway");
    } else {
        let refused = refused.expect_err("a SHA-256 of other bytes");
        assert_eq!(code(&refused), "BadDigest", "{refused:?}");
        for key in ["md5.txt", "sha.txt"] {
            let head = sdk.head_object().bucket(&bucket).key(key).send().await;
            assert!(head.is_err(), "{key} was stored: {head:?}");
        }
    }
    // Matching: stored, and the checksum comes back when asked for.
    sdk.put_object()
        .bucket(&bucket)
        .key("good.txt")
        .content_md5(md5(&body))
        .checksum_sha256(sha256(&body))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("matching digests");
    let head = sdk
        .head_object()
        .bucket(&bucket)
        .key("good.txt")
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("head");
    if !server.deviations.ignores_checksums {
        assert_eq!(
            head.checksum_sha256(),
            Some(sha256(&body).as_str()),
            "{head:?}"
        );
    }
    // A part whose Content-MD5 is another's is refused; the upload completes without it.
    let upload = sdk
        .create_multipart_upload()
        .bucket(&bucket)
        .key("parts.bin")
        .send()
        .await
        .expect("create");
    let id = upload.upload_id().unwrap_or_default();
    let refused = sdk
        .upload_part()
        .bucket(&bucket)
        .key("parts.bin")
        .upload_id(id)
        .part_number(1)
        .content_md5(md5(&other))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect_err("a part with another's MD5");
    assert_eq!(code(&refused), "BadDigest", "{refused:?}");
    let part = sdk
        .upload_part()
        .bucket(&bucket)
        .key("parts.bin")
        .upload_id(id)
        .part_number(1)
        .content_md5(md5(&body))
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .expect("a part with its own MD5");
    sdk.complete_multipart_upload()
        .bucket(&bucket)
        .key("parts.bin")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .set_e_tag(part.e_tag().map(str::to_string))
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let got = sdk
        .get_object()
        .bucket(&bucket)
        .key("parts.bin")
        .send()
        .await
        .expect("get");
    let bytes = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(bytes.as_ref(), body.as_slice());
}

/// A multipart upload under way is listed (key and id), can be aborted, and is then gone; the
/// user metadata given when it began is kept on the version it completes to.
pub(super) async fn multipart_uploads_are_listed_aborted_and_keep_metadata(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "mpu").await;
    let started = sdk
        .create_multipart_upload()
        .bucket(&bucket)
        .key("backups/left-behind.tar")
        .send()
        .await
        .expect("create");
    let id = started.upload_id().expect("an upload id").to_string();
    let listed = sdk
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("list uploads");
    let uploads: Vec<(String, String)> = listed
        .uploads()
        .iter()
        .map(|u| {
            (
                u.key().unwrap_or_default().to_string(),
                u.upload_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        uploads,
        vec![("backups/left-behind.tar".to_string(), id.clone())]
    );
    sdk.abort_multipart_upload()
        .bucket(&bucket)
        .key("backups/left-behind.tar")
        .upload_id(&id)
        .send()
        .await
        .expect("abort");
    let listed = sdk
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .expect("list uploads");
    assert!(listed.uploads().is_empty(), "{:?}", listed.uploads());

    let started = sdk
        .create_multipart_upload()
        .bucket(&bucket)
        .key("with-metadata")
        .metadata("origin", "nightly")
        .send()
        .await
        .expect("create");
    let id = started.upload_id().expect("an upload id");
    let part = sdk
        .upload_part()
        .bucket(&bucket)
        .key("with-metadata")
        .upload_id(id)
        .part_number(1)
        .body(b"one part".to_vec().into())
        .send()
        .await
        .expect("part");
    sdk.complete_multipart_upload()
        .bucket(&bucket)
        .key("with-metadata")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap_or_default())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let head = sdk
        .head_object()
        .bucket(&bucket)
        .key("with-metadata")
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("origin"))
            .map(String::as_str),
        Some("nightly"),
        "{:?}",
        head.metadata()
    );
}

/// CopyObject keeps the source's metadata, unless `x-amz-metadata-directive: REPLACE` gives
/// new metadata, which then replaces it entirely.
pub(super) async fn copy_replaces_metadata_only_when_asked(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "directive").await;
    sdk.put_object()
        .bucket(&bucket)
        .key("src")
        .metadata("a", "1")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("put");
    let metadata = |key: &'static str| {
        let (sdk, bucket) = (sdk.clone(), bucket.clone());
        async move {
            let head = sdk
                .head_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .expect("head");
            let mut m: Vec<(String, String)> = head
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            m.sort();
            m
        }
    };
    sdk.copy_object()
        .bucket(&bucket)
        .key("copied")
        .copy_source(format!("{bucket}/src"))
        .metadata("ignored", "yes")
        .send()
        .await
        .expect("copy");
    assert_eq!(metadata("copied").await, vec![("a".into(), "1".into())]);
    sdk.copy_object()
        .bucket(&bucket)
        .key("replaced")
        .copy_source(format!("{bucket}/src"))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("b", "2")
        .send()
        .await
        .expect("copy with REPLACE");
    assert_eq!(metadata("replaced").await, vec![("b".into(), "2".into())]);
}

/// GetBucketAcl and GetObjectAcl name the owner, who has FULL_CONTROL.
pub(super) async fn acls_name_the_owner_with_full_control(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "acl").await;
    let version = put(&s3, &bucket, "k", "x", PutOptions::default()).await;
    let bucket_acl = sdk
        .get_bucket_acl()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket acl");
    let object_acl = sdk
        .get_object_acl()
        .bucket(&bucket)
        .key("k")
        .version_id(&version)
        .send()
        .await
        .expect("object acl");
    for (what, owner, grants) in [
        ("bucket", bucket_acl.owner(), bucket_acl.grants()),
        ("object", object_acl.owner(), object_acl.grants()),
    ] {
        let owner = owner.and_then(|o| o.id()).expect("an owner id");
        assert!(
            grants.iter().any(|g| {
                g.permission() == Some(&Permission::FullControl)
                    && g.grantee().and_then(|e| e.id()) == Some(owner)
            }),
            "{what}: {grants:?}"
        );
    }
}

/// Tags belong to one version: set, read back, absent on another version, removed.
pub(super) async fn tags_belong_to_one_version(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "tags").await;
    let first = put(&s3, &bucket, "k", "1", PutOptions::default()).await;
    let second = put(&s3, &bucket, "k", "2", PutOptions::default()).await;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().expect("a tag");
    sdk.put_object_tagging()
        .bucket(&bucket)
        .key("k")
        .version_id(&first)
        .tagging(
            Tagging::builder()
                .tag_set(tag("retention", "weekly"))
                .build()
                .expect("tagging"),
        )
        .send()
        .await
        .expect("put tags");
    let tags_of = |version: String| {
        let (sdk, bucket) = (sdk.clone(), bucket.clone());
        async move {
            sdk.get_object_tagging()
                .bucket(bucket)
                .key("k")
                .version_id(version)
                .send()
                .await
                .expect("get tags")
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        tags_of(first.clone()).await,
        vec![("retention".to_string(), "weekly".to_string())]
    );
    assert!(tags_of(second).await.is_empty());
    sdk.delete_object_tagging()
        .bucket(&bucket)
        .key("k")
        .version_id(&first)
        .send()
        .await
        .expect("delete tags");
    assert!(tags_of(first).await.is_empty());
}

/// GetObjectAttributes says a version's size and version id.
pub(super) async fn object_attributes_say_size_and_version(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "attrs").await;
    let first = put(&s3, &bucket, "k", "four", PutOptions::default()).await;
    put(&s3, &bucket, "k", "a longer one", PutOptions::default()).await;
    let asked = sdk
        .get_object_attributes()
        .bucket(&bucket)
        .key("k")
        .version_id(&first)
        .object_attributes(ObjectAttributes::ObjectSize)
        .object_attributes(ObjectAttributes::Etag)
        .send()
        .await;
    if server.deviations.lacks_object_attributes {
        let error = asked.expect_err("this server has no GetObjectAttributes");
        assert_eq!(code(&error), "SignatureDoesNotMatch", "{error:?}");
        return;
    }
    let attributes = asked.expect("attributes");
    assert_eq!(attributes.object_size(), Some(4));
    assert_eq!(attributes.version_id(), Some(first.as_str()));
    let etag = attributes.e_tag().expect("an ETag");
    assert_eq!(etag.trim_matches('"'), "8cbad96aced40b3838dd9f07f6ef5772");
}

/// ListObjects (version 1) pages with Marker: the second page starts after the first.
pub(super) async fn list_objects_v1_pages_with_marker(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "v1").await;
    for key in ["a", "b", "c"] {
        put(&s3, &bucket, key, key, PutOptions::default()).await;
    }
    let first = sdk
        .list_objects()
        .bucket(&bucket)
        .max_keys(2)
        .send()
        .await
        .expect("page 1");
    let keys = |c: &[aws_sdk_s3::types::Object]| {
        c.iter()
            .map(|o| o.key().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(first.contents()), ["a", "b"]);
    assert_eq!(first.is_truncated(), Some(true));
    let second = sdk
        .list_objects()
        .bucket(&bucket)
        .marker("b")
        .send()
        .await
        .expect("page 2");
    assert_eq!(keys(second.contents()), ["c"]);
    assert_ne!(second.is_truncated(), Some(true));
}

/// A lifecycle configuration is stored and read back as sent, and removed.
pub(super) async fn lifecycle_is_stored_read_back_and_removed(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "lc").await;
    let missing = sdk
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .expect_err("none yet");
    assert_eq!(
        code(&missing),
        "NoSuchLifecycleConfiguration",
        "{missing:?}"
    );
    let rule = LifecycleRule::builder()
        .id("noncurrent-30")
        .status(ExpirationStatus::Enabled)
        .filter(LifecycleRuleFilter::builder().prefix("backups/").build())
        .noncurrent_version_expiration(
            NoncurrentVersionExpiration::builder()
                .noncurrent_days(30)
                .build(),
        )
        .build()
        .expect("a rule");
    sdk.put_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .lifecycle_configuration(
            BucketLifecycleConfiguration::builder()
                .rules(rule)
                .build()
                .expect("a configuration"),
        )
        .send()
        .await
        .expect("put lifecycle");
    let read = sdk
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .expect("get lifecycle");
    let rule = read.rules().first().expect("the rule");
    assert_eq!(rule.id(), Some("noncurrent-30"));
    assert_eq!(rule.status(), &ExpirationStatus::Enabled);
    assert_eq!(
        rule.filter().and_then(|f| f.prefix()),
        Some("backups/"),
        "{rule:?}"
    );
    assert_eq!(
        rule.noncurrent_version_expiration()
            .and_then(|n| n.noncurrent_days()),
        Some(30)
    );
    sdk.delete_bucket_lifecycle()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete lifecycle");
    let gone = sdk
        .get_bucket_lifecycle_configuration()
        .bucket(&bucket)
        .send()
        .await
        .expect_err("removed");
    assert_eq!(code(&gone), "NoSuchLifecycleConfiguration", "{gone:?}");
}

/// A bucket policy is stored and read back (as JSON with the same statements), and removed.
pub(super) async fn policy_is_stored_read_back_and_removed(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "policy").await;
    let missing = sdk
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect_err("none yet");
    assert_eq!(code(&missing), "NoSuchBucketPolicy", "{missing:?}");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "NoBypass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:BypassGovernanceRetention"],
            "Resource": [format!("arn:aws:s3:::{bucket}/*")]
        }]
    });
    sdk.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("put policy");
    let read = sdk
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("get policy");
    let read: serde_json::Value =
        serde_json::from_str(read.policy().unwrap_or_default()).expect("JSON back");
    let statement = &read["Statement"][0];
    assert_eq!(statement["Sid"], "NoBypass", "{read}");
    assert_eq!(statement["Effect"], "Deny", "{read}");
    let actions = statement["Action"].to_string();
    assert!(actions.contains("s3:BypassGovernanceRetention"), "{read}");
    sdk.delete_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect("delete policy");
    let gone = sdk
        .get_bucket_policy()
        .bucket(&bucket)
        .send()
        .await
        .expect_err("removed");
    assert_eq!(code(&gone), "NoSuchBucketPolicy", "{gone:?}");
}

/// Virtual-hosted-style requests (`BUCKET.localhost:PORT/key`) reach the bucket in the Host
/// header: a GET of key `scratch` in bucket `vhost-…` reads that object, never a bucket named
/// `scratch`.
pub(super) async fn virtual_hosted_requests_name_the_bucket_in_the_host(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "vhost").await;
    put(
        &s3,
        &bucket,
        "scratch",
        "in the bucket",
        PutOptions::default(),
    )
    .await;
    let sdk = support::virtual_hosted_client(&server.endpoint);
    let got = sdk
        .get_object()
        .bucket(&bucket)
        .key("scratch")
        .send()
        .await
        .expect("a virtual-hosted GET");
    let body = got.body.collect().await.expect("body").into_bytes();
    assert_eq!(&body[..], b"in the bucket");
}

/// A ranged GET (as clients that download in parts send) answers 206 with exactly those
/// bytes and their place; a range past the end is 416 InvalidRange.
pub(super) async fn ranged_reads_return_the_bytes_asked_for(server: &Server) {
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "range").await;
    put(&s3, &bucket, "k", "0123456789", PutOptions::default()).await;
    for (range, want, content_range) in [
        ("bytes=2-5", "2345", "bytes 2-5/10"),
        ("bytes=7-", "789", "bytes 7-9/10"),
        ("bytes=-3", "789", "bytes 7-9/10"),
    ] {
        let got = sdk
            .get_object()
            .bucket(&bucket)
            .key("k")
            .range(range)
            .send()
            .await
            .expect("a ranged GET");
        assert_eq!(got.content_range(), Some(content_range), "{range}");
        let body = got.body.collect().await.expect("body").into_bytes();
        assert_eq!(&body[..], want.as_bytes(), "{range}");
    }
    let past = sdk
        .get_object()
        .bucket(&bucket)
        .key("k")
        .range("bytes=20-30")
        .send()
        .await
        .expect_err("past the end");
    assert_eq!(code(&past), "InvalidRange", "{past:?}");
}

/// A lock mode spelled otherwise is refused where a bucket's default names it (400
/// MalformedXML, the configuration unchanged) and where an upload names it (400
/// InvalidArgument, nothing stored): never kept as a mode no delete could pass.
pub(super) async fn unknown_lock_modes_are_refused_in_configurations_and_uploads(server: &Server) {
    use aws_sdk_s3::types::{
        DefaultRetention, ObjectLockMode, ObjectLockRetentionMode, ObjectLockRule,
    };
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = support::bucket::bucket("modes").lock(None).on(&s3).await;
    let refused = sdk
        .put_object_lock_configuration()
        .bucket(&bucket)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .rule(
                    ObjectLockRule::builder()
                        .default_retention(
                            DefaultRetention::builder()
                                .mode(ObjectLockRetentionMode::from("governance"))
                                .days(1)
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect_err("a lower-case mode in a configuration");
    assert_eq!(code(&refused), "MalformedXML", "{refused:?}");
    assert_eq!(
        s3.bucket_lock(&bucket).await.expect("lock"),
        BucketLock::Enabled {
            default_retention: None
        },
        "the configuration is unchanged"
    );
    let until =
        aws_sdk_s3::primitives::DateTime::from_secs(jiff::Timestamp::now().as_second() + 86_400);
    let refused = sdk
        .put_object()
        .bucket(&bucket)
        .key("k")
        .object_lock_mode(ObjectLockMode::from("abc"))
        .object_lock_retain_until_date(until)
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect_err("an unknown mode on an upload");
    let expected = if server.deviations.unknown_upload_mode_is_invalid_request {
        "InvalidRequest"
    } else {
        "InvalidArgument"
    };
    assert_eq!(code(&refused), expected, "{refused:?}");
    let history = s3.key_history(&bucket, "k").await.unwrap_or_default();
    assert!(history.is_empty(), "nothing was stored: {history:?}");
}

/// Each version and delete marker names its owner, and it is who these credentials are
/// (ListBuckets' Owner): what lockwatch shows in the versions pane, `i` and the report.
pub(super) async fn versions_and_markers_name_their_owner(server: &Server) {
    let s3 = server.s3().await;
    let bucket = versioned_bucket(&s3, "owner").await;
    put(&s3, &bucket, "k", "x", PutOptions::default()).await;
    s3.delete_object(&bucket, "k")
        .unrecorded()
        .await
        .expect("a marker");
    let me = s3
        .identity()
        .await
        .expect("ListBuckets")
        .expect("the server names who these credentials are");
    let history = s3.key_history(&bucket, "k").await.expect("history");
    assert_eq!(history.len(), 2, "{history:?}");
    for entry in &history {
        let owner = entry
            .owner
            .as_deref()
            .unwrap_or_else(|| panic!("no owner: {entry:?}"));
        if entry.is_delete_marker() && server.deviations.marker_owner_is_anonymous {
            // Measured: the marker is said to be anonymous's, whoever deleted.
            assert_eq!(owner.id, "anonymous", "{entry:?}");
            continue;
        }
        assert_eq!(owner.id, me.id, "{entry:?} vs {me:?}");
        assert!(!owner.label().is_empty());
    }
}

/// The bucket posture lockwatch reads: lifecycle rules and the policy as set (through the
/// SDK), the recovery window they give, and replication and encryption answered as
/// configured, none, or not supported — never as a failure to read.
pub(super) async fn the_posture_is_read_and_every_answer_classified(server: &Server) {
    use lockwatch::domain::posture::{Answer, recovery_window};
    let s3 = server.s3().await;
    let sdk = support::sdk_client(&server.endpoint);
    let bucket = versioned_bucket(&s3, "posture").await;
    let bare = s3.bucket_posture(&bucket).await;
    assert_eq!(bare.lifecycle, Answer::NoneConfigured, "{bare:?}");
    assert_eq!(bare.policy, Answer::NoneConfigured, "{bare:?}");
    for (what, answer) in [
        ("replication", &bare.replication),
        ("encryption", &bare.encryption),
    ] {
        assert!(
            !matches!(answer, Answer::Failed(_) | Answer::Denied(_)),
            "{what}: {answer:?}"
        );
    }
    assert!(
        !matches!(bare.policy_public, Answer::Failed(_) | Answer::Denied(_)),
        "policy status: {:?}",
        bare.policy_public
    );
    s3.expire_noncurrent_versions(&bucket, "keep-14", "weekly/", 14)
        .unrecorded()
        .await
        .expect("put lifecycle");
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowDeletes",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:DeleteObjectVersion"],
            "Resource": [format!("arn:aws:s3:::{bucket}/*")]
        }]
    });
    sdk.put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("put policy");
    let posture = s3.bucket_posture(&bucket).await;
    let rules = posture.lifecycle.configured().expect("the rule read back");
    assert_eq!(rules[0].id.as_deref(), Some("keep-14"));
    assert_eq!(rules[0].noncurrent_days, Some(14));
    assert_eq!(rules[0].filter.prefix.as_deref(), Some("weekly/"));
    let statements = &posture.policy.configured().expect("the policy").statements;
    assert_eq!(statements.len(), 1, "{statements:?}");
    let window = recovery_window(&posture);
    assert_eq!(window.at_least_days, Some(14), "{window:?}");
    assert!(
        window
            .risks
            .iter()
            .any(|r| r.finding.contains("Principal *")),
        "{window:?}"
    );
}
