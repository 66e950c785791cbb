//! The sandbox as an `s3s::S3` implementation: S3 requests in, `Store` calls, S3 answers out.
//! Operations not listed here answer NotImplemented (the trait's default).

use super::store::{ListedVersion, NewLock, Object, Store, StoreError};
use crate::domain::{RetainUntil, RetentionMode, RetentionPeriod, Versioning, percent};
use futures::StreamExt;
use jiff::Timestamp;
use s3s::dto::{self, StreamingBlob};
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

pub struct SandboxS3 {
    pub store: Arc<Mutex<Store>>,
}

impl SandboxS3 {
    fn store(&self) -> S3Result<MutexGuard<'_, Store>> {
        self.store.lock().map_err(|_| {
            S3Error::with_message(S3ErrorCode::InternalError, "sandbox state poisoned")
        })
    }
}

fn now() -> Timestamp {
    Timestamp::now()
}

fn to_s3_time(t: Timestamp) -> dto::Timestamp {
    let odt = time::OffsetDateTime::from_unix_timestamp_nanos(t.as_nanosecond())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dto::Timestamp::from(odt)
}

/// A retain-until date as sent, even past the calendar lockwatch computes with
/// (9999-12-31T23:59:59Z is a common "forever").
fn retain_until_of(t: dto::Timestamp) -> RetainUntil {
    let odt = time::OffsetDateTime::from(t);
    RetainUntil::from_unix(odt.unix_timestamp(), odt.nanosecond())
}

fn retain_until_to_s3(u: RetainUntil) -> dto::Timestamp {
    let odt = time::OffsetDateTime::from_unix_timestamp(u.unix_seconds())
        .map(|t| t + time::Duration::nanoseconds(i64::from(u.subsec_nanos())))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    dto::Timestamp::from(odt)
}

fn delete_marker_header(err: &mut S3Error) {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-amz-delete-marker",
        http::HeaderValue::from_static("true"),
    );
    err.set_headers(headers);
}

fn s3_error(e: StoreError) -> S3Error {
    let message = e.to_string();
    let code = match &e {
        StoreError::NoSuchBucket => S3ErrorCode::NoSuchBucket,
        StoreError::NoSuchKey { .. } => S3ErrorCode::NoSuchKey,
        StoreError::NoSuchVersion => S3ErrorCode::NoSuchVersion,
        StoreError::BucketAlreadyOwnedByYou => S3ErrorCode::BucketAlreadyOwnedByYou,
        StoreError::InvalidBucketName(_) => S3ErrorCode::InvalidBucketName,
        StoreError::Locked(_) => S3ErrorCode::AccessDenied,
        StoreError::InvalidRequest(_) => S3ErrorCode::InvalidRequest,
        StoreError::InvalidArgument(_) => S3ErrorCode::InvalidArgument,
        StoreError::InvalidBucketState(_) => S3ErrorCode::InvalidBucketState,
        StoreError::PreconditionFailed => S3ErrorCode::PreconditionFailed,
        StoreError::MethodNotAllowed => S3ErrorCode::MethodNotAllowed,
        StoreError::EntityTooLarge(_) => S3ErrorCode::EntityTooLarge,
        StoreError::ObjectLockConfigurationNotFound => {
            S3ErrorCode::ObjectLockConfigurationNotFoundError
        }
        StoreError::NoSuchObjectLockConfiguration => S3ErrorCode::NoSuchObjectLockConfiguration,
        StoreError::NoSuchUpload(_) => S3ErrorCode::NoSuchUpload,
        StoreError::BucketNotEmpty => S3ErrorCode::BucketNotEmpty,
    };
    let mut err = S3Error::with_message(code, message);
    if matches!(
        e,
        StoreError::NoSuchKey {
            delete_marker: true
        } | StoreError::MethodNotAllowed
    ) {
        delete_marker_header(&mut err);
    }
    err
}

/// A mode in an XML body (a lock configuration, a retention): AWS answers MalformedXML to
/// anything but `COMPLIANCE` and `GOVERNANCE`, spelled so.
fn xml_mode(s: &str) -> S3Result<RetentionMode> {
    match RetentionMode::parse(s) {
        RetentionMode::Other(_) => Err(S3Error::with_message(
            S3ErrorCode::MalformedXML,
            "The XML you provided was not well-formed or did not validate against our published schema",
        )),
        mode => Ok(mode),
    }
}

/// A mode sent with an object: AWS answers 400 InvalidArgument to anything but the two modes.
fn known_mode(s: &str) -> S3Result<RetentionMode> {
    match RetentionMode::parse(s) {
        RetentionMode::Other(_) => Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Unknown wormMode directive.",
        )),
        mode => Ok(mode),
    }
}

/// Lock headers of a PutObject or CopyObject: mode and date come together or not at all.
fn new_lock(
    mode: Option<&dto::ObjectLockMode>,
    until: Option<dto::Timestamp>,
    hold: Option<&dto::ObjectLockLegalHoldStatus>,
) -> S3Result<NewLock> {
    let retention = match (mode, until) {
        (Some(m), Some(u)) => Some((known_mode(m.as_str())?, retain_until_of(u))),
        (None, None) => None,
        _ => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "x-amz-object-lock-mode and x-amz-object-lock-retain-until-date must both be supplied",
            ));
        }
    };
    Ok(NewLock {
        retention,
        legal_hold: hold.is_some_and(|h| h.as_str() == dto::ObjectLockLegalHoldStatus::ON),
    })
}

async fn read_body(body: Option<StreamingBlob>, max: u64) -> S3Result<bytes::Bytes> {
    let Some(mut stream) = body else {
        return Ok(bytes::Bytes::new());
    };
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| S3Error::with_message(S3ErrorCode::IncompleteBody, e.to_string()))?;
        if (out.len() + chunk.len()) as u64 > max {
            return Err(S3Error::with_message(
                S3ErrorCode::EntityTooLarge,
                format!("This sandbox keeps objects of at most {max} bytes in memory."),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

fn etag(e: &str) -> dto::ETag {
    dto::ETag::Strong(e.to_string())
}

fn max_keys(requested: Option<i32>) -> usize {
    requested.map_or(1000, |m| m.clamp(0, 1000) as usize)
}

fn lock_headers(
    entry: &super::store::Entry,
) -> (
    Option<dto::ObjectLockMode>,
    Option<dto::Timestamp>,
    Option<dto::ObjectLockLegalHoldStatus>,
) {
    let (mode, until) = match &entry.retention {
        Some((m, u)) => (
            Some(dto::ObjectLockMode::from(m.as_str().to_string())),
            Some(retain_until_to_s3(*u)),
        ),
        None => (None, None),
    };
    let hold = Some(dto::ObjectLockLegalHoldStatus::from_static(
        if entry.legal_hold {
            dto::ObjectLockLegalHoldStatus::ON
        } else {
            dto::ObjectLockLegalHoldStatus::OFF
        },
    ));
    (mode, until, hold)
}

/// The headers HeadObject (and GetObject) answer for one version; a delete marker has none.
fn head_output(entry: &super::store::Entry) -> S3Result<dto::HeadObjectOutput> {
    let Some(object) = entry.object() else {
        return Err(s3_error(StoreError::MethodNotAllowed));
    };
    let (mode, until, hold) = lock_headers(entry);
    Ok(dto::HeadObjectOutput {
        content_length: Some(object.body.len() as i64),
        content_type: object.content_type.as_deref().and_then(|c| c.parse().ok()),
        e_tag: Some(etag(&object.etag)),
        last_modified: Some(to_s3_time(entry.last_modified)),
        metadata: Some(object.metadata.clone().into_iter().collect()),
        object_lock_mode: mode,
        object_lock_retain_until_date: until,
        object_lock_legal_hold_status: hold,
        storage_class: Some(dto::StorageClass::from_static(dto::StorageClass::STANDARD)),
        version_id: Some(entry.version_id.clone()),
        ..Default::default()
    })
}

#[async_trait::async_trait]
impl S3 for SandboxS3 {
    async fn list_buckets(
        &self,
        _req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        let store = self.store()?;
        let buckets = store
            .buckets
            .iter()
            .map(|(name, b)| dto::Bucket {
                name: Some(name.clone()),
                creation_date: Some(to_s3_time(b.created)),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(dto::ListBucketsOutput {
            buckets: Some(buckets),
            ..Default::default()
        }))
    }

    async fn create_bucket(
        &self,
        req: S3Request<dto::CreateBucketInput>,
    ) -> S3Result<S3Response<dto::CreateBucketOutput>> {
        let input = req.input;
        let location = input
            .create_bucket_configuration
            .and_then(|c| c.location_constraint)
            .map(|l| l.as_str().to_string());
        self.store()?
            .create_bucket(
                &input.bucket,
                location,
                input.object_lock_enabled_for_bucket.unwrap_or(false),
                now(),
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<dto::GetBucketLocationInput>,
    ) -> S3Result<S3Response<dto::GetBucketLocationOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        Ok(S3Response::new(dto::GetBucketLocationOutput {
            location_constraint: bucket
                .location
                .clone()
                .map(dto::BucketLocationConstraint::from),
        }))
    }

    async fn get_bucket_versioning(
        &self,
        req: S3Request<dto::GetBucketVersioningInput>,
    ) -> S3Result<S3Response<dto::GetBucketVersioningOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let status = match bucket.versioning {
            Versioning::Enabled => Some(dto::BucketVersioningStatus::ENABLED),
            Versioning::Suspended => Some(dto::BucketVersioningStatus::SUSPENDED),
            Versioning::Never => None,
        };
        Ok(S3Response::new(dto::GetBucketVersioningOutput {
            status: status.map(dto::BucketVersioningStatus::from_static),
            ..Default::default()
        }))
    }

    async fn put_bucket_versioning(
        &self,
        req: S3Request<dto::PutBucketVersioningInput>,
    ) -> S3Result<S3Response<dto::PutBucketVersioningOutput>> {
        let input = req.input;
        let enabled = match input
            .versioning_configuration
            .status
            .as_ref()
            .map(|s| s.as_str())
        {
            Some(dto::BucketVersioningStatus::ENABLED) => true,
            Some(dto::BucketVersioningStatus::SUSPENDED) => false,
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "Status must be Enabled or Suspended",
                ));
            }
        };
        self.store()?
            .set_versioning(&input.bucket, enabled)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutBucketVersioningOutput::default()))
    }

    async fn delete_bucket(
        &self,
        req: S3Request<dto::DeleteBucketInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketOutput>> {
        self.store()?
            .delete_bucket(&req.input.bucket)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::DeleteBucketOutput::default()))
    }

    async fn get_object_lock_configuration(
        &self,
        req: S3Request<dto::GetObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetObjectLockConfigurationOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        if !bucket.lock_enabled {
            return Err(s3_error(StoreError::ObjectLockConfigurationNotFound));
        }
        let rule = bucket.default_retention.as_ref().map(|(mode, period)| {
            let (days, years) = match period {
                RetentionPeriod::Days(d) => (Some(*d), None),
                RetentionPeriod::Years(y) => (None, Some(*y)),
            };
            dto::ObjectLockRule {
                default_retention: Some(dto::DefaultRetention {
                    mode: Some(dto::ObjectLockRetentionMode::from(
                        mode.as_str().to_string(),
                    )),
                    days,
                    years,
                }),
            }
        });
        Ok(S3Response::new(dto::GetObjectLockConfigurationOutput {
            object_lock_configuration: Some(dto::ObjectLockConfiguration {
                object_lock_enabled: Some(dto::ObjectLockEnabled::from_static(
                    dto::ObjectLockEnabled::ENABLED,
                )),
                rule,
            }),
        }))
    }

    async fn put_object_lock_configuration(
        &self,
        req: S3Request<dto::PutObjectLockConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutObjectLockConfigurationOutput>> {
        let input = req.input;
        let config = input.object_lock_configuration.unwrap_or_default();
        // AWS: ObjectLockEnabled must be exactly `Enabled`.
        if config.object_lock_enabled.as_ref().map(|e| e.as_str())
            != Some(dto::ObjectLockEnabled::ENABLED)
        {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        }
        let default = match config.rule.and_then(|r| r.default_retention) {
            None => None,
            Some(d) => {
                let mode = d.mode.map(|m| xml_mode(m.as_str())).ok_or_else(|| {
                    S3Error::with_message(
                        S3ErrorCode::MalformedXML,
                        "DefaultRetention needs a Mode",
                    )
                })??;
                let period = match (d.days, d.years) {
                    (Some(days), None) => RetentionPeriod::Days(days),
                    (None, Some(years)) => RetentionPeriod::Years(years),
                    _ => {
                        return Err(S3Error::with_message(
                            S3ErrorCode::MalformedXML,
                            "DefaultRetention needs exactly one of Days and Years",
                        ));
                    }
                };
                Some((mode, period))
            }
        };
        self.store()?
            .set_lock_configuration(&input.bucket, default)
            .map_err(s3_error)?;
        Ok(S3Response::new(
            dto::PutObjectLockConfigurationOutput::default(),
        ))
    }

    async fn put_object(
        &self,
        req: S3Request<dto::PutObjectInput>,
    ) -> S3Result<S3Response<dto::PutObjectOutput>> {
        let input = req.input;
        let max = self.store()?.limits.max_object_bytes;
        if input.content_length.is_some_and(|l| l as u64 > max) {
            return Err(S3Error::with_message(
                S3ErrorCode::EntityTooLarge,
                format!("This sandbox keeps objects of at most {max} bytes in memory."),
            ));
        }
        let lock = new_lock(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date,
            input.object_lock_legal_hold_status.as_ref(),
        )?;
        let body = read_body(input.body, max).await?;
        let metadata: BTreeMap<String, String> =
            input.metadata.unwrap_or_default().into_iter().collect();
        let object = Object::new(body, input.content_type.map(|c| c.to_string()), metadata);
        let tag = object.etag.clone();
        let version = self
            .store()?
            .put_object(&input.bucket, &input.key, object, lock, now())
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutObjectOutput {
            e_tag: Some(etag(&tag)),
            version_id: version,
            ..Default::default()
        }))
    }

    async fn head_object(
        &self,
        req: S3Request<dto::HeadObjectInput>,
    ) -> S3Result<S3Response<dto::HeadObjectOutput>> {
        let input = req.input;
        let store = self.store()?;
        let entry = store
            .read(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        Ok(S3Response::new(head_output(entry)?))
    }

    async fn get_object(
        &self,
        req: S3Request<dto::GetObjectInput>,
    ) -> S3Result<S3Response<dto::GetObjectOutput>> {
        let input = req.input;
        let store = self.store()?;
        let entry = store
            .read(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        let body = entry.object().map(|o| o.body.clone());
        let head = head_output(entry)?;
        // GetObject answers with the same headers as HeadObject, plus the body.
        Ok(S3Response::new(dto::GetObjectOutput {
            body: body.map(|b| StreamingBlob::from(s3s::Body::from(b))),
            content_length: head.content_length,
            content_type: head.content_type,
            e_tag: head.e_tag,
            last_modified: head.last_modified,
            metadata: head.metadata,
            object_lock_mode: head.object_lock_mode,
            object_lock_retain_until_date: head.object_lock_retain_until_date,
            object_lock_legal_hold_status: head.object_lock_legal_hold_status,
            storage_class: head.storage_class,
            version_id: head.version_id,
            ..Default::default()
        }))
    }

    async fn copy_object(
        &self,
        req: S3Request<dto::CopyObjectInput>,
    ) -> S3Result<S3Response<dto::CopyObjectOutput>> {
        let input = req.input;
        let dto::CopySource::Bucket {
            bucket: src_bucket,
            key: src_key,
            version_id: src_version,
        } = &input.copy_source
        else {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "the sandbox copies from bucket/key sources only",
            ));
        };
        let if_match = match &input.copy_source_if_match {
            Some(dto::ETagCondition::ETag(e)) => Some(e.value().to_string()),
            Some(dto::ETagCondition::Any) => Some("*".to_string()),
            None => None,
        };
        let lock = new_lock(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date,
            input.object_lock_legal_hold_status.as_ref(),
        )?;
        let time = now();
        let (version, source_version, tag) = self
            .store()?
            .copy_object(
                (src_bucket, src_key, src_version.as_deref()),
                (&input.bucket, &input.key),
                if_match.as_deref(),
                lock,
                time,
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::CopyObjectOutput {
            copy_object_result: Some(dto::CopyObjectResult {
                e_tag: Some(etag(&tag)),
                last_modified: Some(to_s3_time(time)),
                ..Default::default()
            }),
            copy_source_version_id: Some(source_version),
            version_id: version,
            ..Default::default()
        }))
    }

    async fn delete_object(
        &self,
        req: S3Request<dto::DeleteObjectInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectOutput>> {
        let input = req.input;
        let mut store = self.store()?;
        let deleted = match input.version_id.as_deref() {
            Some(v) => store.delete_version(
                &input.bucket,
                &input.key,
                v,
                input.bypass_governance_retention.unwrap_or(false),
                now(),
            ),
            None => store.delete_object(&input.bucket, &input.key, now()),
        }
        .map_err(s3_error)?;
        Ok(S3Response::new(dto::DeleteObjectOutput {
            delete_marker: deleted.delete_marker.then_some(true),
            version_id: deleted.version_id,
            ..Default::default()
        }))
    }

    async fn delete_objects(
        &self,
        req: S3Request<dto::DeleteObjectsInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectsOutput>> {
        let input = req.input;
        let bypass = input.bypass_governance_retention.unwrap_or(false);
        let quiet = input.delete.quiet.unwrap_or(false);
        let mut store = self.store()?;
        store.bucket(&input.bucket).map_err(s3_error)?;
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in input.delete.objects {
            let result = match object.version_id.as_deref() {
                Some(v) => store.delete_version(&input.bucket, &object.key, v, bypass, now()),
                None => store.delete_object(&input.bucket, &object.key, now()),
            };
            match result {
                Ok(d) => {
                    if !quiet {
                        deleted.push(dto::DeletedObject {
                            key: Some(object.key.clone()),
                            version_id: object.version_id.clone(),
                            delete_marker: d.delete_marker.then_some(true),
                            delete_marker_version_id: if d.delete_marker
                                && object.version_id.is_none()
                            {
                                d.version_id
                            } else {
                                None
                            },
                        });
                    }
                }
                Err(e) => {
                    let err = s3_error(e);
                    errors.push(dto::Error {
                        code: Some(err.code().as_str().to_string()),
                        key: Some(object.key.clone()),
                        message: err.message().map(str::to_string),
                        version_id: object.version_id.clone(),
                    });
                }
            }
        }
        Ok(S3Response::new(dto::DeleteObjectsOutput {
            deleted: Some(deleted),
            errors: Some(errors),
            ..Default::default()
        }))
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<dto::ListObjectsV2Input>,
    ) -> S3Result<S3Response<dto::ListObjectsV2Output>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let code = KeyEncoding::asked(input.encoding_type.as_ref());
        // The continuation token is opaque to clients: the next key, percent-encoded so that
        // any key survives XML.
        let token = match input.continuation_token.as_deref() {
            Some(t) => Some(percent::decode(t).map_err(|_| {
                S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid continuation token")
            })?),
            None => None,
        };
        let after = token.or_else(|| input.start_after.clone());
        let max = max_keys(input.max_keys);
        let listing = self
            .store()?
            .list_objects(
                &input.bucket,
                &prefix,
                input.delimiter.as_deref(),
                after.as_deref(),
                max,
            )
            .map_err(s3_error)?;
        let contents: Vec<dto::Object> = listing
            .objects
            .iter()
            .filter_map(|(key, entry)| {
                let object = entry.object()?;
                Some(dto::Object {
                    key: Some(code.key(key)),
                    e_tag: Some(etag(&object.etag)),
                    last_modified: Some(to_s3_time(entry.last_modified)),
                    size: Some(object.body.len() as i64),
                    storage_class: Some(dto::ObjectStorageClass::from_static(
                        dto::ObjectStorageClass::STANDARD,
                    )),
                    ..Default::default()
                })
            })
            .collect();
        let key_count = (contents.len() + listing.prefixes.len()) as i32;
        Ok(S3Response::new(dto::ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(code.key(&prefix)),
            delimiter: input.delimiter.as_deref().map(|d| code.key(d)),
            max_keys: Some(max as i32),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            start_after: input.start_after.as_deref().map(|k| code.key(k)),
            is_truncated: Some(listing.next.is_some()),
            next_continuation_token: listing.next.as_deref().map(percent::encode),
            contents: Some(contents),
            common_prefixes: Some(
                listing
                    .prefixes
                    .iter()
                    .map(|p| dto::CommonPrefix {
                        prefix: Some(code.key(p)),
                    })
                    .collect(),
            ),
            encoding_type: code.answer(),
            ..Default::default()
        }))
    }

    async fn list_object_versions(
        &self,
        req: S3Request<dto::ListObjectVersionsInput>,
    ) -> S3Result<S3Response<dto::ListObjectVersionsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let code = KeyEncoding::asked(input.encoding_type.as_ref());
        let max = max_keys(input.max_keys);
        let listing = self
            .store()?
            .list_versions(
                &input.bucket,
                &prefix,
                input.delimiter.as_deref(),
                (
                    input.key_marker.as_deref(),
                    input.version_id_marker.as_deref(),
                ),
                max,
            )
            .map_err(s3_error)?;
        let (mut versions, mut markers, mut prefixes) = (Vec::new(), Vec::new(), Vec::new());
        for row in listing.rows {
            match row {
                ListedVersion::Prefix(p) => prefixes.push(dto::CommonPrefix {
                    prefix: Some(code.key(&p)),
                }),
                ListedVersion::Entry {
                    key,
                    entry,
                    is_latest,
                } => match entry.object() {
                    Some(object) => versions.push(dto::ObjectVersion {
                        key: Some(code.key(&key)),
                        version_id: Some(entry.version_id.clone()),
                        is_latest: Some(is_latest),
                        last_modified: Some(to_s3_time(entry.last_modified)),
                        e_tag: Some(etag(&object.etag)),
                        size: Some(object.body.len() as i64),
                        storage_class: Some(dto::ObjectVersionStorageClass::from_static(
                            dto::ObjectVersionStorageClass::STANDARD,
                        )),
                        ..Default::default()
                    }),
                    None => markers.push(dto::DeleteMarkerEntry {
                        key: Some(code.key(&key)),
                        version_id: Some(entry.version_id.clone()),
                        is_latest: Some(is_latest),
                        last_modified: Some(to_s3_time(entry.last_modified)),
                        ..Default::default()
                    }),
                },
            }
        }
        let (next_key, next_version) = match listing.next {
            Some((k, v)) => (Some(k), v),
            None => (None, None),
        };
        Ok(S3Response::new(dto::ListObjectVersionsOutput {
            name: Some(input.bucket),
            prefix: Some(code.key(&prefix)),
            delimiter: input.delimiter.as_deref().map(|d| code.key(d)),
            key_marker: input.key_marker.as_deref().map(|k| code.key(k)),
            version_id_marker: input.version_id_marker,
            max_keys: Some(max as i32),
            is_truncated: Some(next_key.is_some()),
            next_key_marker: next_key.as_deref().map(|k| code.key(k)),
            encoding_type: code.answer(),
            next_version_id_marker: next_version,
            versions: Some(versions),
            delete_markers: Some(markers),
            common_prefixes: Some(prefixes),
            ..Default::default()
        }))
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<dto::CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CreateMultipartUploadOutput>> {
        let input = req.input;
        let lock = new_lock(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date,
            input.object_lock_legal_hold_status.as_ref(),
        )?;
        let id = self
            .store()?
            .create_upload(
                &input.bucket,
                &input.key,
                input.content_type.map(|c| c.to_string()),
                lock,
                now(),
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::CreateMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            upload_id: Some(id),
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        let input = req.input;
        let max = self.store()?.limits.max_object_bytes;
        let body = read_body(input.body, max).await?;
        let tag = self
            .store()?
            .upload_part(
                &input.bucket,
                &input.key,
                &input.upload_id,
                input.part_number,
                body,
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::UploadPartOutput {
            e_tag: Some(etag(&tag)),
            ..Default::default()
        }))
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<dto::UploadPartCopyInput>,
    ) -> S3Result<S3Response<dto::UploadPartCopyOutput>> {
        let input = req.input;
        let dto::CopySource::Bucket {
            bucket: src_bucket,
            key: src_key,
            version_id: src_version,
        } = &input.copy_source
        else {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "the sandbox copies from bucket/key sources only",
            ));
        };
        let range = match input.copy_source_range.as_deref() {
            None => None,
            Some(r) => {
                let parsed = r
                    .strip_prefix("bytes=")
                    .and_then(|r| r.split_once('-'))
                    .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
                match parsed {
                    Some(p) => Some(p),
                    None => {
                        return Err(S3Error::with_message(
                            S3ErrorCode::InvalidArgument,
                            format!("x-amz-copy-source-range '{r}' is not bytes=first-last"),
                        ));
                    }
                }
            }
        };
        let if_match = match &input.copy_source_if_match {
            Some(dto::ETagCondition::ETag(e)) => Some(e.value().to_string()),
            Some(dto::ETagCondition::Any) => Some("*".to_string()),
            None => None,
        };
        let tag = self
            .store()?
            .upload_part_copy(
                (&input.bucket, &input.key, &input.upload_id),
                input.part_number,
                (src_bucket, src_key, src_version.as_deref()),
                range,
                if_match.as_deref(),
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::UploadPartCopyOutput {
            copy_part_result: Some(dto::CopyPartResult {
                e_tag: Some(etag(&tag)),
                last_modified: Some(to_s3_time(now())),
                ..Default::default()
            }),
            ..Default::default()
        }))
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<dto::CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::CompleteMultipartUploadOutput>> {
        let input = req.input;
        let parts: Vec<(i32, String)> = input
            .multipart_upload
            .and_then(|m| m.parts)
            .unwrap_or_default()
            .into_iter()
            .map(|p| {
                (
                    p.part_number.unwrap_or(0),
                    p.e_tag.map(|e| e.value().to_string()).unwrap_or_default(),
                )
            })
            .collect();
        let (version, tag) = self
            .store()?
            .complete_upload(&input.bucket, &input.key, &input.upload_id, &parts, now())
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(etag(&tag)),
            version_id: version,
            ..Default::default()
        }))
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<dto::AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<dto::AbortMultipartUploadOutput>> {
        let input = req.input;
        self.store()?
            .abort_upload(&input.bucket, &input.key, &input.upload_id)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::AbortMultipartUploadOutput::default()))
    }

    async fn get_object_retention(
        &self,
        req: S3Request<dto::GetObjectRetentionInput>,
    ) -> S3Result<S3Response<dto::GetObjectRetentionOutput>> {
        let input = req.input;
        let (mode, until) = self
            .store()?
            .retention(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::GetObjectRetentionOutput {
            retention: Some(dto::ObjectLockRetention {
                mode: Some(dto::ObjectLockRetentionMode::from(
                    mode.as_str().to_string(),
                )),
                retain_until_date: Some(retain_until_to_s3(until)),
            }),
        }))
    }

    async fn put_object_retention(
        &self,
        req: S3Request<dto::PutObjectRetentionInput>,
    ) -> S3Result<S3Response<dto::PutObjectRetentionOutput>> {
        let input = req.input;
        let retention = match input.retention {
            Some(dto::ObjectLockRetention {
                mode: Some(m),
                retain_until_date: Some(u),
            }) => Some((xml_mode(m.as_str())?, retain_until_of(u))),
            Some(dto::ObjectLockRetention {
                mode: None,
                retain_until_date: None,
            })
            | None => None,
            Some(_) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "Retention needs both Mode and RetainUntilDate",
                ));
            }
        };
        self.store()?
            .set_retention(
                &input.bucket,
                &input.key,
                input.version_id.as_deref(),
                retention,
                input.bypass_governance_retention.unwrap_or(false),
                now(),
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutObjectRetentionOutput::default()))
    }

    async fn get_object_legal_hold(
        &self,
        req: S3Request<dto::GetObjectLegalHoldInput>,
    ) -> S3Result<S3Response<dto::GetObjectLegalHoldOutput>> {
        let input = req.input;
        let on = self
            .store()?
            .legal_hold(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::GetObjectLegalHoldOutput {
            legal_hold: Some(dto::ObjectLockLegalHold {
                status: Some(dto::ObjectLockLegalHoldStatus::from_static(if on {
                    dto::ObjectLockLegalHoldStatus::ON
                } else {
                    dto::ObjectLockLegalHoldStatus::OFF
                })),
            }),
        }))
    }

    async fn put_object_legal_hold(
        &self,
        req: S3Request<dto::PutObjectLegalHoldInput>,
    ) -> S3Result<S3Response<dto::PutObjectLegalHoldOutput>> {
        let input = req.input;
        let on = match input.legal_hold.and_then(|h| h.status) {
            Some(s) if s.as_str() == dto::ObjectLockLegalHoldStatus::ON => true,
            Some(s) if s.as_str() == dto::ObjectLockLegalHoldStatus::OFF => false,
            _ => {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "LegalHold Status must be ON or OFF",
                ));
            }
        };
        self.store()?
            .set_legal_hold(&input.bucket, &input.key, input.version_id.as_deref(), on)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutObjectLegalHoldOutput::default()))
    }
}

/// `encoding-type=url` in a listing: keys are percent-encoded when the client asks, as AWS
/// does, because XML 1.0 cannot carry most control characters.
struct KeyEncoding(bool);

impl KeyEncoding {
    fn asked(asked: Option<&dto::EncodingType>) -> KeyEncoding {
        KeyEncoding(asked.is_some_and(|e| e.as_str() == dto::EncodingType::URL))
    }

    fn key(&self, key: &str) -> String {
        if self.0 {
            percent::encode(key)
        } else {
            key.to_string()
        }
    }

    fn answer(&self) -> Option<dto::EncodingType> {
        self.0
            .then(|| dto::EncodingType::from_static(dto::EncodingType::URL))
    }
}
