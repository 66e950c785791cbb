//! The sandbox as an `s3s::S3` implementation: S3 requests in, `Store` calls, S3 answers out.
//! Operations not listed here answer NotImplemented (the trait's default).

use super::conditions::{DeleteConditions, ReadConditions, Tag, Verdict, WriteConditions};
use super::integrity::{Algorithm, Claims, Kept};
use super::store::{
    CompletionSums, CopyAs, Described, ListedVersion, NewLock, Object, PartsChecksum, Setting,
    Store, StoreError, Write,
};
use futures::StreamExt;
use jiff::Timestamp;
use lockwatch_core::domain::{RetainUntil, RetentionMode, RetentionPeriod, Versioning, percent};
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

impl SandboxS3 {
    fn reservation(&self) -> Reservation<'_> {
        Reservation {
            store: &self.store,
            bytes: 0,
        }
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
        StoreError::Full(_) => S3ErrorCode::SlowDown,
        StoreError::ObjectLockConfigurationNotFound => {
            S3ErrorCode::ObjectLockConfigurationNotFoundError
        }
        StoreError::NoSuchObjectLockConfiguration => S3ErrorCode::NoSuchObjectLockConfiguration,
        StoreError::NoSuchUpload(_) => S3ErrorCode::NoSuchUpload,
        StoreError::BucketNotEmpty => S3ErrorCode::BucketNotEmpty,
        StoreError::InvalidPart(_) => S3ErrorCode::InvalidPart,
        StoreError::InvalidPartOrder => S3ErrorCode::InvalidPartOrder,
        StoreError::EntityTooSmall => S3ErrorCode::EntityTooSmall,
        StoreError::BadDigest(_) => S3ErrorCode::BadDigest,
        StoreError::InvalidRange(_) => S3ErrorCode::InvalidRange,
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

/// Memory promised to one body while it is read: the whole Content-Length before the first
/// byte, or each chunk of a body of unknown length before it is kept. Given back when dropped,
/// or handed to the store with the body (`commit`).
struct Reservation<'a> {
    store: &'a Mutex<Store>,
    bytes: u64,
}

impl<'a> Reservation<'a> {
    fn grow(&mut self, n: u64) -> S3Result<()> {
        let mut store = self.store.lock().map_err(|_| {
            S3Error::with_message(S3ErrorCode::InternalError, "sandbox state poisoned")
        })?;
        store.reserve(n).map_err(s3_error)?;
        self.bytes += n;
        Ok(())
    }

    /// The store, with this body's promise given back so that the store counts the body itself.
    fn commit(mut self) -> S3Result<MutexGuard<'a, Store>> {
        let mut store = self.store.lock().map_err(|_| {
            S3Error::with_message(S3ErrorCode::InternalError, "sandbox state poisoned")
        })?;
        store.release(std::mem::take(&mut self.bytes));
        Ok(store)
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.bytes > 0
            && let Ok(mut store) = self.store.lock()
        {
            store.release(self.bytes);
        }
    }
}

/// Reads a request body of at most `max` bytes, holding memory for it in `reservation` before
/// it is read (so that concurrent uploads cannot together pass the sandbox's total).
async fn read_body(
    body: Option<StreamingBlob>,
    max: u64,
    length: Option<i64>,
    reservation: &mut Reservation<'_>,
) -> S3Result<bytes::Bytes> {
    let too_large = || {
        S3Error::with_message(
            S3ErrorCode::EntityTooLarge,
            format!("This sandbox keeps objects of at most {max} bytes in memory."),
        )
    };
    if let Some(length) = length {
        let length = u64::try_from(length).unwrap_or(u64::MAX);
        let promised = if length > max {
            Err(too_large())
        } else {
            reservation.grow(length)
        };
        if let Err(e) = promised {
            discard(body);
            return Err(e);
        }
    }
    let Some(mut stream) = body else {
        return Ok(bytes::Bytes::new());
    };
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| S3Error::with_message(S3ErrorCode::IncompleteBody, e.to_string()))?;
        let total = (out.len() + chunk.len()) as u64;
        let room = if total > max {
            Err(too_large())
        } else if total > reservation.bytes {
            reservation.grow(total - reservation.bytes)
        } else {
            Ok(())
        };
        if let Err(e) = room {
            discard(Some(stream));
            return Err(e);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// The rest of a refused body, read and thrown away on the side (for at most a minute): the
/// refusal is answered at once, and a client still sending the body can finish and read it
/// instead of finding the connection closed under it.
fn discard(body: Option<StreamingBlob>) {
    if let Some(mut stream) = body {
        tokio::spawn(async move {
            let drain = async { while let Some(Ok(_)) = stream.next().await {} };
            let _ = tokio::time::timeout(std::time::Duration::from_secs(60), drain).await;
        });
    }
}

/// The sandbox's one user, as S3 names an owner (ListBuckets, listings, ACLs).
pub const OWNER_ID: &str = "lockwatch-sandbox";

fn owner() -> dto::Owner {
    dto::Owner {
        display_name: Some(OWNER_ID.to_string()),
        id: Some(OWNER_ID.to_string()),
    }
}

/// The one grant every bucket and object has: its owner, FULL_CONTROL (the sandbox has one
/// user, and keeps no other ACL).
fn owner_acl() -> (Option<dto::Owner>, Option<dto::Grants>) {
    let grant = dto::Grant {
        grantee: Some(dto::Grantee {
            display_name: Some(OWNER_ID.to_string()),
            id: Some(OWNER_ID.to_string()),
            type_: dto::Type::from_static(dto::Type::CANONICAL_USER),
            email_address: None,
            uri: None,
        }),
        permission: Some(dto::Permission::from_static(dto::Permission::FULL_CONTROL)),
    };
    (Some(owner()), Some(vec![grant]))
}

/// A page of ListObjects (v1 or v2): the objects, with their owner when `with_owner`, and the
/// common prefixes, keys encoded as the client asked.
fn listed_objects(
    listing: &super::store::ObjectListing,
    code: &KeyEncoding,
    with_owner: bool,
) -> (Vec<dto::Object>, Vec<dto::CommonPrefix>) {
    let contents = listing
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
                owner: with_owner.then(owner),
                ..Default::default()
            })
        })
        .collect();
    let prefixes = listing
        .prefixes
        .iter()
        .map(|p| dto::CommonPrefix {
            prefix: Some(code.key(p)),
        })
        .collect();
    (contents, prefixes)
}

fn timestamp_of(t: dto::Timestamp) -> Timestamp {
    let odt = time::OffsetDateTime::from(t);
    Timestamp::from_nanosecond(odt.unix_timestamp_nanos()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Puts a kept checksum in the one of an output's five `checksum_*` fields its algorithm names.
macro_rules! set_checksum {
    ($output:expr, $kept:expr) => {
        if let Some(kept) = $kept {
            let value = Some(kept.value.clone());
            match kept.algorithm {
                Algorithm::Crc32 => $output.checksum_crc32 = value,
                Algorithm::Crc32c => $output.checksum_crc32c = value,
                Algorithm::Crc64Nvme => $output.checksum_crc64nvme = value,
                Algorithm::Sha1 => $output.checksum_sha1 = value,
                Algorithm::Sha256 => $output.checksum_sha256 = value,
            }
        }
    };
}

/// The checksum an input's five `checksum_*` fields name (the first given).
macro_rules! named_checksum {
    ($input:expr) => {
        [
            (Algorithm::Crc32, $input.checksum_crc32.clone()),
            (Algorithm::Crc32c, $input.checksum_crc32c.clone()),
            (Algorithm::Crc64Nvme, $input.checksum_crc64nvme.clone()),
            (Algorithm::Sha1, $input.checksum_sha1.clone()),
            (Algorithm::Sha256, $input.checksum_sha256.clone()),
        ]
        .into_iter()
        .find_map(|(algorithm, value)| value.map(|value| Kept { algorithm, value }))
    };
}

/// CreateMultipartUpload's `x-amz-checksum-algorithm` and `-type`: SHA-1 and SHA-256 checksum
/// the parts' checksums (COMPOSITE), CRC64NVME all the bytes (FULL_OBJECT), CRC32 and CRC32C
/// either (COMPOSITE unless asked), as AWS allows.
fn parts_checksum(
    algorithm: Option<&dto::ChecksumAlgorithm>,
    kind: Option<&dto::ChecksumType>,
) -> S3Result<Option<PartsChecksum>> {
    let Some(algorithm) = algorithm else {
        return match kind {
            Some(_) => Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                "x-amz-checksum-type needs x-amz-checksum-algorithm.",
            )),
            None => Ok(None),
        };
    };
    let algorithm = Algorithm::parse(algorithm.as_str()).ok_or_else(|| {
        S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            "Value for x-amz-checksum-algorithm header is invalid.",
        )
    })?;
    let full_object = match kind.map(|k| k.as_str()) {
        None => algorithm == Algorithm::Crc64Nvme,
        Some(dto::ChecksumType::FULL_OBJECT) => true,
        Some(dto::ChecksumType::COMPOSITE) => false,
        Some(other) => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("Unknown x-amz-checksum-type {other:?}: COMPOSITE or FULL_OBJECT."),
            ));
        }
    };
    let allowed = match algorithm {
        Algorithm::Sha1 | Algorithm::Sha256 => !full_object,
        Algorithm::Crc64Nvme => full_object,
        Algorithm::Crc32 | Algorithm::Crc32c => true,
    };
    if !allowed {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!(
                "The {} checksum type is not supported with {}.",
                if full_object {
                    "FULL_OBJECT"
                } else {
                    "COMPOSITE"
                },
                algorithm.name()
            ),
        ));
    }
    Ok(Some(PartsChecksum {
        algorithm,
        full_object,
    }))
}

/// `COMPOSITE` for a checksum of the parts' checksums (`…-N`), `FULL_OBJECT` otherwise.
fn checksum_type(kept: Option<&Kept>) -> Option<dto::ChecksumType> {
    kept.map(|k| {
        dto::ChecksumType::from_static(if k.value.contains('-') {
            dto::ChecksumType::COMPOSITE
        } else {
            dto::ChecksumType::FULL_OBJECT
        })
    })
}

/// A GET's or HEAD's `If-*` headers (the same four fields in both inputs).
macro_rules! read_conditions {
    ($input:expr) => {
        ReadConditions {
            if_match: tag_condition($input.if_match),
            if_none_match: tag_condition($input.if_none_match),
            if_modified_since: $input.if_modified_since.map(timestamp_of),
            if_unmodified_since: $input.if_unmodified_since.map(timestamp_of),
        }
    };
}

/// A copy's `x-amz-copy-source-if-*` headers (CopyObject, UploadPartCopy).
macro_rules! copy_source_conditions {
    ($input:expr) => {
        ReadConditions {
            if_match: tag_condition($input.copy_source_if_match.clone()),
            if_none_match: tag_condition($input.copy_source_if_none_match.clone()),
            if_modified_since: $input.copy_source_if_modified_since.map(timestamp_of),
            if_unmodified_since: $input.copy_source_if_unmodified_since.map(timestamp_of),
        }
    };
}

fn tag_condition(c: Option<dto::ETagCondition>) -> Option<Tag> {
    c.map(|c| match c {
        dto::ETagCondition::Any => Tag::Any,
        dto::ETagCondition::ETag(e) => Tag::parse(e.value()),
    })
}

/// What a client said about an object with its upload (PutObject, CreateMultipartUpload, a
/// CopyObject that replaces metadata): the same fields in each input.
macro_rules! described {
    ($input:expr) => {
        Described {
            content_type: $input.content_type.map(|c| c.to_string()),
            cache_control: $input.cache_control,
            content_disposition: $input.content_disposition,
            content_encoding: $input.content_encoding.and_then(stored_encoding),
            content_language: $input.content_language,
            expires: $input.expires.map(timestamp_of),
            metadata: $input.metadata.unwrap_or_default().into_iter().collect(),
        }
    };
}

/// `aws-chunked` describes how a body was sent, not the object: AWS keeps the other codings.
fn stored_encoding(sent: String) -> Option<String> {
    let kept: Vec<&str> = sent
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("aws-chunked"))
        .collect();
    (!kept.is_empty()).then(|| kept.join(", "))
}

fn invalid_tag(message: &'static str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidTag, message)
}

/// AWS's limits on an object's tags: at most 10, keys of 1 to 128 characters, values of at
/// most 256.
fn check_tags(tags: &BTreeMap<String, String>) -> S3Result<()> {
    if tags.len() > 10 {
        return Err(invalid_tag("Object tags cannot be greater than 10"));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return Err(invalid_tag("The TagKey you have provided is invalid"));
        }
        if value.chars().count() > 256 {
            return Err(invalid_tag("The TagValue you have provided is invalid"));
        }
    }
    Ok(())
}

/// The tag set of an `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded).
fn header_tags(header: Option<&str>) -> S3Result<BTreeMap<String, String>> {
    let mut tags = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(header.unwrap_or_default().as_bytes()) {
        if tags.insert(key.into_owned(), value.into_owned()).is_some() {
            return Err(invalid_tag(
                "Cannot provide multiple Tags with the same key",
            ));
        }
    }
    check_tags(&tags)?;
    Ok(tags)
}

/// A delete's conditions against what it would delete: the version named, or the key's latest
/// entry (a delete marker included). `Ok(false)`: conditions were given and there is nothing
/// they could hold for, so the delete succeeds without writing anything (no delete marker for
/// a key the client believed to hold an object).
fn delete_holds(
    store: &Store,
    (bucket, key, version): (&str, &str, Option<&str>),
    conditions: &DeleteConditions,
) -> S3Result<bool> {
    if conditions.if_match.is_none()
        && conditions.last_modified.is_none()
        && conditions.size.is_none()
    {
        return Ok(true);
    }
    let entries = store
        .bucket(bucket)
        .map_err(s3_error)?
        .keys
        .get(key)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let target = match version {
        Some(v) => entries.iter().find(|e| e.version_id == v),
        None => entries.first(),
    };
    let facts = target.map(|e| {
        let object = e.object();
        (
            object.map(|o| o.etag.as_str()),
            e.last_modified,
            object.map_or(0, |o| o.body.len() as u64),
        )
    });
    if facts.is_none() {
        Ok(false)
    } else if conditions.hold(facts) {
        Ok(true)
    } else {
        Err(s3_error(StoreError::PreconditionFailed))
    }
}

/// 304 Not Modified, with the ETag and Last-Modified the client compares with.
fn not_modified(entry: &super::store::Entry) -> S3Error {
    let mut err = S3Error::with_message(S3ErrorCode::NotModified, "Not Modified");
    let mut headers = http::HeaderMap::new();
    if let Some(object) = entry.object()
        && let Ok(value) = http::HeaderValue::from_str(&format!("\"{}\"", object.etag))
    {
        headers.insert(http::header::ETAG, value);
    }
    err.set_headers(headers);
    err
}

/// A GET's or HEAD's conditions, answered: 304 or 412 stop it.
fn check_read(entry: &super::store::Entry, conditions: &ReadConditions) -> S3Result<()> {
    let Some(object) = entry.object() else {
        return Ok(());
    };
    match conditions.evaluate(&object.etag, entry.last_modified) {
        Verdict::Go => Ok(()),
        Verdict::NotModified => Err(not_modified(entry)),
        Verdict::Failed => Err(s3_error(StoreError::PreconditionFailed)),
    }
}

/// One part of a multipart object (`?partNumber=N`): its byte range and how many parts there
/// are. An object uploaded whole is one part. A part past the last is 416 InvalidPartNumber.
fn part_range(object: &Object, number: i32) -> S3Result<(u64, u64, usize)> {
    let sizes: &[u64] = if object.parts.is_empty() {
        &[object.body.len() as u64]
    } else {
        &object.parts
    };
    let index = usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .filter(|&i| i < sizes.len());
    let Some(index) = index else {
        let mut err = S3Error::with_message(
            S3ErrorCode::Custom("InvalidPartNumber".into()),
            "The requested partnumber is not satisfiable",
        );
        err.set_status_code(http::StatusCode::RANGE_NOT_SATISFIABLE);
        return Err(err);
    };
    let start: u64 = sizes[..index].iter().sum();
    Ok((start, start + sizes[index], sizes.len()))
}

/// Part `number`'s checksum, when the object was uploaded in checksummed parts.
fn part_checksum(object: &Object, number: i32) -> Option<&Kept> {
    usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| object.part_checksums.get(i))
}

fn tag_set(tags: &BTreeMap<String, String>) -> dto::TagSet {
    tags.iter()
        .map(|(k, v)| dto::Tag {
            key: Some(k.clone()),
            value: Some(v.clone()),
        })
        .collect()
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
/// The version's checksum only when asked for (`x-amz-checksum-mode: ENABLED`), as AWS.
fn head_output(
    entry: &super::store::Entry,
    checksum_mode: Option<&dto::ChecksumMode>,
) -> S3Result<dto::HeadObjectOutput> {
    let Some(object) = entry.object() else {
        return Err(s3_error(StoreError::MethodNotAllowed));
    };
    let (mode, until, hold) = lock_headers(entry);
    let mut sums = dto::HeadObjectOutput::default();
    let shown = object
        .checksum
        .as_ref()
        .filter(|_| checksum_mode.is_some_and(|m| m.as_str() == dto::ChecksumMode::ENABLED));
    set_checksum!(sums, shown);
    Ok(dto::HeadObjectOutput {
        checksum_crc32: sums.checksum_crc32,
        checksum_crc32c: sums.checksum_crc32c,
        checksum_crc64nvme: sums.checksum_crc64nvme,
        checksum_sha1: sums.checksum_sha1,
        checksum_sha256: sums.checksum_sha256,
        checksum_type: checksum_type(shown),
        content_length: Some(object.body.len() as i64),
        content_type: object.described.content_type.clone(),
        cache_control: object.described.cache_control.clone(),
        content_disposition: object.described.content_disposition.clone(),
        content_encoding: object.described.content_encoding.clone(),
        content_language: object.described.content_language.clone(),
        expires: object.described.expires.map(to_s3_time),
        e_tag: Some(etag(&object.etag)),
        last_modified: Some(to_s3_time(entry.last_modified)),
        metadata: Some(object.described.metadata.clone().into_iter().collect()),
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
    /// ListBuckets: every bucket, or pages of `max-buckets` (1 to 10,000) going on from an
    /// opaque continuation token (the last name given, percent-encoded), with `prefix`.
    async fn list_buckets(
        &self,
        req: S3Request<dto::ListBucketsInput>,
    ) -> S3Result<S3Response<dto::ListBucketsOutput>> {
        let input = req.input;
        let max = match input.max_buckets {
            None => usize::MAX,
            Some(m) if (1..=10_000).contains(&m) => m as usize,
            Some(_) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "max-buckets is 1 to 10000",
                ));
            }
        };
        let after = match input.continuation_token.as_deref() {
            Some(t) => Some(percent::decode(t).map_err(|_| {
                S3Error::with_message(S3ErrorCode::InvalidArgument, "invalid continuation token")
            })?),
            None => None,
        };
        let prefix = input.prefix.clone().unwrap_or_default();
        let store = self.store()?;
        let mut names = store
            .buckets
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .filter(|(name, _)| after.as_ref().is_none_or(|a| name.as_str() > a.as_str()));
        let buckets: Vec<dto::Bucket> = names
            .by_ref()
            .take(max)
            .map(|(name, b)| dto::Bucket {
                name: Some(name.clone()),
                creation_date: Some(to_s3_time(b.created)),
                bucket_region: Some(super::REGION.to_string()),
            })
            .collect();
        let more = names.next().is_some();
        let token = more
            .then(|| {
                buckets
                    .last()
                    .and_then(|b| b.name.as_deref())
                    .map(percent::encode)
            })
            .flatten();
        Ok(S3Response::new(dto::ListBucketsOutput {
            buckets: Some(buckets),
            owner: Some(owner()),
            continuation_token: token,
            prefix: input.prefix,
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
        let created = self.store()?.create_bucket(
            &input.bucket,
            location,
            input.object_lock_enabled_for_bucket.unwrap_or(false),
            now(),
        );
        match created {
            // AWS in us-east-1 (the sandbox's region): creating a bucket you already own
            // answers 200 and changes nothing; other regions answer BucketAlreadyOwnedByYou.
            Ok(()) | Err(StoreError::BucketAlreadyOwnedByYou) => {}
            Err(e) => return Err(s3_error(e)),
        }
        Ok(S3Response::new(dto::CreateBucketOutput {
            location: Some(format!("/{}", input.bucket)),
        }))
    }

    async fn head_bucket(
        &self,
        req: S3Request<dto::HeadBucketInput>,
    ) -> S3Result<S3Response<dto::HeadBucketOutput>> {
        self.store()?.bucket(&req.input.bucket).map_err(s3_error)?;
        Ok(S3Response::new(dto::HeadBucketOutput {
            bucket_region: Some(super::REGION.to_string()),
            ..Default::default()
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
        let mut claims = Claims::from_headers(&req.headers)?;
        let trailer = req.trailing_headers;
        let input = req.input;
        let max = self.store()?.limits.max_object_bytes;
        let lock = new_lock(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date,
            input.object_lock_legal_hold_status.as_ref(),
        )?;
        let mut reservation = self.reservation();
        let body = read_body(input.body, max, input.content_length, &mut reservation).await?;
        if let Some(trailer) = trailer.and_then(|t| t.take()) {
            claims.add_trailer(&trailer);
        }
        let checksum = claims.verify(&body)?;
        let tags = header_tags(input.tagging.as_deref())?;
        let conditions = WriteConditions {
            if_match: tag_condition(input.if_match),
            if_none_match: tag_condition(input.if_none_match),
        };
        let mut object = Object::new(body, described!(input));
        object.checksum = checksum.clone();
        let tag = object.etag.clone();
        let write = Write {
            lock,
            tags,
            conditions,
        };
        let version = reservation
            .commit()?
            .put_object(&input.bucket, &input.key, object, write, now())
            .map_err(s3_error)?;
        let mut output = dto::PutObjectOutput {
            e_tag: Some(etag(&tag)),
            version_id: version,
            ..Default::default()
        };
        set_checksum!(output, checksum.as_ref());
        Ok(S3Response::new(output))
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
        check_read(entry, &read_conditions!(input))?;
        let mut head = head_output(entry, input.checksum_mode.as_ref())?;
        let mut status = None;
        if let (Some(number), Some(object)) = (input.part_number, entry.object()) {
            let (start, end, count) = part_range(object, number)?;
            head.content_length = Some((end - start) as i64);
            if !object.parts.is_empty() {
                head.parts_count = Some(count as i32);
                head.content_range = Some(format!(
                    "bytes {start}-{}/{}",
                    end.saturating_sub(1),
                    object.body.len()
                ));
                status = Some(http::StatusCode::PARTIAL_CONTENT);
                // A part's own checksum, when the upload kept one (and it was asked for).
                let shown = head.checksum_type.is_some();
                let part = part_checksum(object, number).filter(|_| shown);
                let mut sums = dto::HeadObjectOutput::default();
                set_checksum!(sums, part);
                head.checksum_crc32 = sums.checksum_crc32;
                head.checksum_crc32c = sums.checksum_crc32c;
                head.checksum_crc64nvme = sums.checksum_crc64nvme;
                head.checksum_sha1 = sums.checksum_sha1;
                head.checksum_sha256 = sums.checksum_sha256;
                if part.is_none() {
                    head.checksum_type = None;
                }
            }
        }
        let mut response = S3Response::new(head);
        response.status = status;
        if !entry.tags.is_empty() {
            response.headers.insert(
                "x-amz-tagging-count",
                http::HeaderValue::from(entry.tags.len()),
            );
        }
        Ok(response)
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
        check_read(entry, &read_conditions!(input))?;
        let body = entry.object().map(|o| o.body.clone()).unwrap_or_default();
        let head = head_output(entry, input.checksum_mode.as_ref())?;
        let full = body.len() as u64;
        // `?partNumber=N` of a multipart object: 206 with that part (a whole upload is part 1).
        let mut parts_count = None;
        let mut part_sum = None;
        let part = match (input.part_number, entry.object()) {
            (Some(number), Some(object)) => {
                let (start, end, count) = part_range(object, number)?;
                if object.parts.is_empty() {
                    None
                } else {
                    parts_count = Some(count as i32);
                    part_sum = part_checksum(object, number).cloned();
                    Some((start, end))
                }
            }
            _ => None,
        };
        // One byte range (`Range: bytes=…`): 206 with that slice, as clients that download in
        // parts expect; a range past the end is 416 InvalidRange.
        let (body, content_range) = match (&input.range, part) {
            (_, Some((start, end))) => (
                body.slice(start as usize..end as usize),
                Some(format!("bytes {start}-{}/{full}", end.saturating_sub(1))),
            ),
            (None, None) => (body, None),
            (Some(range), None) => {
                let r = range.check(full).map_err(|_| {
                    S3Error::with_message(
                        S3ErrorCode::InvalidRange,
                        "The requested range is not satisfiable",
                    )
                })?;
                let slice = body.slice(r.start as usize..r.end as usize);
                (
                    slice,
                    Some(format!(
                        "bytes {}-{}/{full}",
                        r.start,
                        r.end.saturating_sub(1)
                    )),
                )
            }
        };
        let partial = content_range.is_some();
        // A part of the object is not what its checksum covers: a part read by number has its
        // own, a byte range none.
        let whole = !partial;
        let mut sums = dto::GetObjectOutput::default();
        let checksum_type = match (&part_sum, head.checksum_type) {
            (Some(part), Some(kind)) => {
                set_checksum!(sums, Some(part));
                Some(kind)
            }
            (None, kind) if whole => {
                sums.checksum_crc32 = head.checksum_crc32;
                sums.checksum_crc32c = head.checksum_crc32c;
                sums.checksum_crc64nvme = head.checksum_crc64nvme;
                sums.checksum_sha1 = head.checksum_sha1;
                sums.checksum_sha256 = head.checksum_sha256;
                kind
            }
            _ => None,
        };
        // GetObject answers with the same headers as HeadObject, plus the body.
        let mut response = S3Response::new(dto::GetObjectOutput {
            content_length: Some(body.len() as i64),
            content_range,
            accept_ranges: Some("bytes".to_string()),
            body: Some(StreamingBlob::from(s3s::Body::from(body))),
            content_type: head.content_type,
            cache_control: head.cache_control,
            content_disposition: head.content_disposition,
            content_encoding: head.content_encoding,
            content_language: head.content_language,
            expires: head.expires,
            parts_count,
            tag_count: (!entry.tags.is_empty()).then_some(entry.tags.len() as i32),
            checksum_crc32: sums.checksum_crc32,
            checksum_crc32c: sums.checksum_crc32c,
            checksum_crc64nvme: sums.checksum_crc64nvme,
            checksum_sha1: sums.checksum_sha1,
            checksum_sha256: sums.checksum_sha256,
            checksum_type,
            e_tag: head.e_tag,
            last_modified: head.last_modified,
            metadata: head.metadata,
            object_lock_mode: head.object_lock_mode,
            object_lock_retain_until_date: head.object_lock_retain_until_date,
            object_lock_legal_hold_status: head.object_lock_legal_hold_status,
            storage_class: head.storage_class,
            version_id: head.version_id,
            ..Default::default()
        });
        if partial {
            response.status = Some(http::StatusCode::PARTIAL_CONTENT);
        }
        Ok(response)
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
        let conditions = copy_source_conditions!(input);
        let lock = new_lock(
            input.object_lock_mode.as_ref(),
            input.object_lock_retain_until_date,
            input.object_lock_legal_hold_status.as_ref(),
        )?;
        let tags = match input.tagging_directive.as_ref().map(|d| d.as_str()) {
            None | Some(dto::TaggingDirective::COPY) => None,
            Some(dto::TaggingDirective::REPLACE) => Some(header_tags(input.tagging.as_deref())?),
            Some(other) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!("Unknown tagging directive {other:?}: COPY or REPLACE."),
                ));
            }
        };
        let (src_bucket, src_key, src_version) =
            (src_bucket.clone(), src_key.clone(), src_version.clone());
        let described = match input.metadata_directive.as_ref().map(|d| d.as_str()) {
            None | Some(dto::MetadataDirective::COPY) => None,
            Some(dto::MetadataDirective::REPLACE) => Some(described!(input)),
            Some(other) => {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!("Unknown metadata directive {other:?}: COPY or REPLACE."),
                ));
            }
        };
        let time = now();
        let (version, source_version, tag) = self
            .store()?
            .copy_object(
                (&src_bucket, &src_key, src_version.as_deref()),
                (&input.bucket, &input.key),
                &conditions,
                CopyAs { described, tags },
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
        let conditions = DeleteConditions {
            if_match: tag_condition(input.if_match),
            last_modified: input.if_match_last_modified_time.map(timestamp_of),
            size: input.if_match_size,
        };
        let something = delete_holds(
            &store,
            (&input.bucket, &input.key, input.version_id.as_deref()),
            &conditions,
        )?;
        if !something {
            return Ok(S3Response::new(dto::DeleteObjectOutput {
                version_id: input.version_id,
                ..Default::default()
            }));
        }
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
        if input.delete.objects.len() > 1000 {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema (at most 1000 keys)",
            ));
        }
        let mut store = self.store()?;
        store.bucket(&input.bucket).map_err(s3_error)?;
        let (mut deleted, mut errors) = (Vec::new(), Vec::new());
        for object in input.delete.objects {
            let conditions = DeleteConditions {
                if_match: tag_condition(object.e_tag.clone().map(dto::ETagCondition::ETag)),
                last_modified: object.last_modified_time.clone().map(timestamp_of),
                size: object.size,
            };
            let held = delete_holds(
                &store,
                (&input.bucket, &object.key, object.version_id.as_deref()),
                &conditions,
            );
            let result = match (held, object.version_id.as_deref()) {
                (Err(refused), _) => Err(refused),
                (Ok(false), v) => Ok(super::store::Deleted {
                    version_id: v.map(str::to_string),
                    delete_marker: false,
                }),
                (Ok(true), Some(v)) => store
                    .delete_version(&input.bucket, &object.key, v, bypass, now())
                    .map_err(s3_error),
                (Ok(true), None) => store
                    .delete_object(&input.bucket, &object.key, now())
                    .map_err(s3_error),
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
                Err(err) => {
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
        // ListObjectsV2 sends an owner only when asked (fetch-owner).
        let owner_asked = input.fetch_owner.unwrap_or(false);
        let (contents, common_prefixes) = listed_objects(&listing, &code, owner_asked);
        let key_count = (contents.len() + listing.prefixes.len()) as i32;
        Ok(S3Response::new(dto::ListObjectsV2Output {
            name: Some(input.bucket),
            prefix: Some(code.key(&prefix)),
            delimiter: input
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .map(|d| code.key(d)),
            max_keys: Some(max as i32),
            key_count: Some(key_count),
            continuation_token: input.continuation_token,
            start_after: input.start_after.as_deref().map(|k| code.key(k)),
            is_truncated: Some(listing.next.is_some()),
            next_continuation_token: listing.next.as_deref().map(percent::encode),
            contents: Some(contents),
            common_prefixes: Some(common_prefixes),
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
                        owner: Some(owner()),
                        ..Default::default()
                    }),
                    None => markers.push(dto::DeleteMarkerEntry {
                        key: Some(code.key(&key)),
                        version_id: Some(entry.version_id.clone()),
                        is_latest: Some(is_latest),
                        last_modified: Some(to_s3_time(entry.last_modified)),
                        owner: Some(owner()),
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
            delimiter: input
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .map(|d| code.key(d)),
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
        let tags = header_tags(input.tagging.as_deref())?;
        let checksum = parts_checksum(
            input.checksum_algorithm.as_ref(),
            input.checksum_type.as_ref(),
        )?;
        let (bucket, key) = (input.bucket.clone(), input.key.clone());
        let id = self
            .store()?
            .create_upload_checked(
                &bucket,
                &key,
                (described!(input), tags),
                lock,
                checksum,
                now(),
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::CreateMultipartUploadOutput {
            bucket: Some(bucket),
            key: Some(key),
            upload_id: Some(id),
            checksum_algorithm: checksum
                .map(|c| dto::ChecksumAlgorithm::from(c.algorithm.name().to_string())),
            checksum_type: checksum.map(|c| {
                dto::ChecksumType::from_static(if c.full_object {
                    dto::ChecksumType::FULL_OBJECT
                } else {
                    dto::ChecksumType::COMPOSITE
                })
            }),
            ..Default::default()
        }))
    }

    async fn upload_part(
        &self,
        req: S3Request<dto::UploadPartInput>,
    ) -> S3Result<S3Response<dto::UploadPartOutput>> {
        let mut claims = Claims::from_headers(&req.headers)?;
        let trailer = req.trailing_headers;
        let input = req.input;
        let max = self.store()?.limits.max_object_bytes;
        let mut reservation = self.reservation();
        let body = read_body(input.body, max, input.content_length, &mut reservation).await?;
        if let Some(trailer) = trailer.and_then(|t| t.take()) {
            claims.add_trailer(&trailer);
        }
        let sent = claims.verify(&body)?;
        let (tag, checksum) = reservation
            .commit()?
            .upload_part_checked(
                &input.bucket,
                &input.key,
                &input.upload_id,
                input.part_number,
                body,
                sent,
            )
            .map_err(s3_error)?;
        let mut output = dto::UploadPartOutput {
            e_tag: Some(etag(&tag)),
            ..Default::default()
        };
        set_checksum!(output, checksum.as_ref());
        Ok(S3Response::new(output))
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
        let conditions = copy_source_conditions!(input);
        let tag = self
            .store()?
            .upload_part_copy(
                (&input.bucket, &input.key, &input.upload_id),
                input.part_number,
                (src_bucket, src_key, src_version.as_deref()),
                range,
                &conditions,
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
        let listed = input
            .multipart_upload
            .as_ref()
            .and_then(|m| m.parts.clone())
            .unwrap_or_default();
        let mut sums = CompletionSums {
            parts: BTreeMap::new(),
            object: named_checksum!(input),
        };
        let parts: Vec<(i32, String)> = listed
            .into_iter()
            .map(|p| {
                let number = p.part_number.unwrap_or(0);
                if let Some(kept) = named_checksum!(p) {
                    sums.parts.insert(number, kept);
                }
                (
                    number,
                    p.e_tag.map(|e| e.value().to_string()).unwrap_or_default(),
                )
            })
            .collect();
        let conditions = WriteConditions {
            if_match: tag_condition(input.if_match),
            if_none_match: tag_condition(input.if_none_match),
        };
        let (version, tag, checksum) = self
            .store()?
            .complete_upload(
                &input.bucket,
                &input.key,
                &input.upload_id,
                &parts,
                &sums,
                conditions,
                now(),
            )
            .map_err(s3_error)?;
        let mut output = dto::CompleteMultipartUploadOutput {
            bucket: Some(input.bucket),
            key: Some(input.key),
            e_tag: Some(etag(&tag)),
            version_id: version,
            checksum_type: checksum_type(checksum.as_ref()),
            ..Default::default()
        };
        set_checksum!(output, checksum.as_ref());
        Ok(S3Response::new(output))
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
    async fn list_objects(
        &self,
        req: S3Request<dto::ListObjectsInput>,
    ) -> S3Result<S3Response<dto::ListObjectsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let code = KeyEncoding::asked(input.encoding_type.as_ref());
        let max = max_keys(input.max_keys);
        let listing = self
            .store()?
            .list_objects(
                &input.bucket,
                &prefix,
                input.delimiter.as_deref(),
                input.marker.as_deref().filter(|m| !m.is_empty()),
                max,
            )
            .map_err(s3_error)?;
        let (contents, common_prefixes) = listed_objects(&listing, &code, true);
        // AWS sends NextMarker only with a delimiter; without one, clients go on from the last
        // key of the page.
        let next_marker = listing
            .next
            .as_deref()
            .filter(|_| input.delimiter.is_some())
            .map(|k| code.key(k));
        Ok(S3Response::new(dto::ListObjectsOutput {
            name: Some(input.bucket),
            prefix: Some(code.key(&prefix)),
            marker: Some(
                input
                    .marker
                    .as_deref()
                    .map(|m| code.key(m))
                    .unwrap_or_default(),
            ),
            delimiter: input
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .map(|d| code.key(d)),
            max_keys: Some(max as i32),
            is_truncated: Some(listing.next.is_some()),
            next_marker,
            contents: Some(contents),
            common_prefixes: Some(common_prefixes),
            encoding_type: code.answer(),
            ..Default::default()
        }))
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<dto::ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<dto::ListMultipartUploadsOutput>> {
        let input = req.input;
        let prefix = input.prefix.clone().unwrap_or_default();
        let code = KeyEncoding::asked(input.encoding_type.as_ref());
        let max = input
            .max_uploads
            .map_or(1000, |m| m.clamp(0, 1000) as usize);
        let listed = self
            .store()?
            .list_uploads(&input.bucket, &prefix)
            .map_err(s3_error)?;
        // After (key-marker, upload-id-marker), in the order listed (key, then start).
        let after: Vec<_> = match input.key_marker.as_deref().filter(|k| !k.is_empty()) {
            None => listed,
            Some(km) => {
                let upload_marker = input.upload_id_marker.as_deref().filter(|u| !u.is_empty());
                let mut past_marker = false;
                listed
                    .into_iter()
                    .filter(|u| match upload_marker {
                        None => u.key.as_str() > km,
                        Some(um) => {
                            if u.key.as_str() > km || past_marker {
                                true
                            } else {
                                if u.key == km && u.upload_id == um {
                                    past_marker = true;
                                }
                                false
                            }
                        }
                    })
                    .collect()
            }
        };
        let truncated = after.len() > max;
        let page = &after[..after.len().min(max)];
        let uploads = page
            .iter()
            .map(|u| dto::MultipartUpload {
                key: Some(code.key(&u.key)),
                upload_id: Some(u.upload_id.clone()),
                initiated: Some(to_s3_time(u.initiated)),
                owner: Some(owner()),
                initiator: Some(dto::Initiator {
                    display_name: Some(OWNER_ID.to_string()),
                    id: Some(OWNER_ID.to_string()),
                }),
                storage_class: Some(dto::StorageClass::from_static(dto::StorageClass::STANDARD)),
                ..Default::default()
            })
            .collect();
        let last = page.last().filter(|_| truncated);
        Ok(S3Response::new(dto::ListMultipartUploadsOutput {
            bucket: Some(input.bucket),
            prefix: Some(code.key(&prefix)),
            key_marker: input.key_marker.as_deref().map(|k| code.key(k)),
            upload_id_marker: input.upload_id_marker,
            max_uploads: Some(max as i32),
            is_truncated: Some(truncated),
            next_key_marker: last.map(|u| code.key(&u.key)),
            next_upload_id_marker: last.map(|u| u.upload_id.clone()),
            uploads: Some(uploads),
            encoding_type: code.answer(),
            ..Default::default()
        }))
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<dto::GetObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::GetObjectTaggingOutput>> {
        let input = req.input;
        let (version_id, tags) = self
            .store()?
            .tags(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::GetObjectTaggingOutput {
            tag_set: tag_set(&tags),
            version_id: Some(version_id),
        }))
    }

    async fn put_object_tagging(
        &self,
        req: S3Request<dto::PutObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::PutObjectTaggingOutput>> {
        let input = req.input;
        let mut tags = BTreeMap::new();
        for tag in input.tagging.tag_set {
            let (Some(key), Some(value)) = (tag.key, tag.value) else {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "A Tag needs a Key and a Value",
                ));
            };
            if tags.insert(key, value).is_some() {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidTag,
                    "Cannot provide multiple Tags with the same key",
                ));
            }
        }
        check_tags(&tags)?;
        let version_id = self
            .store()?
            .set_tags(&input.bucket, &input.key, input.version_id.as_deref(), tags)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutObjectTaggingOutput {
            version_id: Some(version_id),
        }))
    }

    async fn delete_object_tagging(
        &self,
        req: S3Request<dto::DeleteObjectTaggingInput>,
    ) -> S3Result<S3Response<dto::DeleteObjectTaggingOutput>> {
        let input = req.input;
        let version_id = self
            .store()?
            .set_tags(
                &input.bucket,
                &input.key,
                input.version_id.as_deref(),
                BTreeMap::new(),
            )
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::DeleteObjectTaggingOutput {
            version_id: Some(version_id),
        }))
    }

    async fn get_object_acl(
        &self,
        req: S3Request<dto::GetObjectAclInput>,
    ) -> S3Result<S3Response<dto::GetObjectAclOutput>> {
        let input = req.input;
        self.store()?
            .read(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        let (owner, grants) = owner_acl();
        Ok(S3Response::new(dto::GetObjectAclOutput {
            owner,
            grants,
            ..Default::default()
        }))
    }

    async fn get_bucket_acl(
        &self,
        req: S3Request<dto::GetBucketAclInput>,
    ) -> S3Result<S3Response<dto::GetBucketAclOutput>> {
        self.store()?.bucket(&req.input.bucket).map_err(s3_error)?;
        let (owner, grants) = owner_acl();
        Ok(S3Response::new(dto::GetBucketAclOutput { owner, grants }))
    }

    async fn get_object_attributes(
        &self,
        req: S3Request<dto::GetObjectAttributesInput>,
    ) -> S3Result<S3Response<dto::GetObjectAttributesOutput>> {
        let input = req.input;
        let store = self.store()?;
        let entry = store
            .read(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        let Some(object) = entry.object() else {
            return Err(s3_error(StoreError::NoSuchKey {
                delete_marker: true,
            }));
        };
        // One header, `x-amz-object-attributes: ETag,ObjectSize`, may arrive as one element.
        let asked = |a: &str| {
            input
                .object_attributes
                .iter()
                .flat_map(|x| x.as_str().split(','))
                .any(|x| x.trim().eq_ignore_ascii_case(a))
        };
        let versioned = entry.version_id != "null";
        // The parts of a multipart object, paged by part number (`max-parts` of them after
        // `part-number-marker`).
        let object_parts = (asked("ObjectParts") && !object.parts.is_empty()).then(|| {
            let after = input.part_number_marker.unwrap_or(0).max(0) as usize;
            let max = input.max_parts.map_or(1000, |m| m.clamp(0, 1000)) as usize;
            let page: Vec<dto::ObjectPart> = object
                .parts
                .iter()
                .enumerate()
                .skip(after)
                .take(max)
                .map(|(i, size)| {
                    let mut part = dto::ObjectPart {
                        part_number: Some(i as i32 + 1),
                        size: Some(*size as i64),
                        ..Default::default()
                    };
                    set_checksum!(part, object.part_checksums.get(i));
                    part
                })
                .collect();
            let last = page.last().and_then(|p| p.part_number);
            let truncated = after + page.len() < object.parts.len();
            dto::GetObjectAttributesParts {
                total_parts_count: Some(object.parts.len() as i32),
                part_number_marker: Some(after as i32),
                next_part_number_marker: if truncated { last } else { None },
                max_parts: Some(max as i32),
                is_truncated: Some(truncated),
                parts: Some(page),
            }
        });
        let checksum = asked("Checksum")
            .then_some(object.checksum.as_ref())
            .flatten()
            .map(|kept| {
                let mut sums = dto::Checksum {
                    checksum_type: checksum_type(Some(kept)),
                    ..Default::default()
                };
                set_checksum!(sums, Some(kept));
                sums
            });
        Ok(S3Response::new(dto::GetObjectAttributesOutput {
            object_parts,
            checksum,
            // The ETag here is unquoted, as AWS sends it.
            e_tag: asked("ETag").then(|| dto::ETag::Strong(object.etag.clone())),
            object_size: asked("ObjectSize").then_some(object.body.len() as i64),
            storage_class: asked("StorageClass")
                .then(|| dto::StorageClass::from_static(dto::StorageClass::STANDARD)),
            last_modified: Some(to_s3_time(entry.last_modified)),
            version_id: versioned.then(|| entry.version_id.clone()),
            ..Default::default()
        }))
    }

    async fn put_bucket_lifecycle_configuration(
        &self,
        req: S3Request<dto::PutBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketLifecycleConfigurationOutput>> {
        let input = req.input;
        let Some(config) = input.lifecycle_configuration else {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "The XML you provided was not well-formed or did not validate against our published schema",
            ));
        };
        if config.rules.is_empty() || config.rules.len() > 1000 {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "A lifecycle configuration holds 1 to 1000 rules",
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for rule in &config.rules {
            if let Some(id) = rule.id.as_deref()
                && (id.len() > 255 || !ids.insert(id.to_string()))
            {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "Rule IDs are at most 255 characters and unique within a configuration",
                ));
            }
            if !matches!(
                rule.status.as_str(),
                dto::ExpirationStatus::ENABLED | dto::ExpirationStatus::DISABLED
            ) {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "Status must be Enabled or Disabled",
                ));
            }
        }
        let value = serde_json::to_value(&config)
            .map_err(|e| S3Error::with_message(S3ErrorCode::InternalError, e.to_string()))?;
        self.store()?
            .set_lifecycle(&input.bucket, Some(value))
            .map_err(s3_error)?;
        Ok(S3Response::new(
            dto::PutBucketLifecycleConfigurationOutput::default(),
        ))
    }

    async fn get_bucket_lifecycle_configuration(
        &self,
        req: S3Request<dto::GetBucketLifecycleConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketLifecycleConfigurationOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let Some(value) = bucket.lifecycle.clone() else {
            return Err(S3Error::with_message(
                S3ErrorCode::NoSuchLifecycleConfiguration,
                "The lifecycle configuration does not exist",
            ));
        };
        let config: dto::BucketLifecycleConfiguration = serde_json::from_value(value)
            .map_err(|e| S3Error::with_message(S3ErrorCode::InternalError, e.to_string()))?;
        Ok(S3Response::new(
            dto::GetBucketLifecycleConfigurationOutput {
                rules: Some(config.rules),
                ..Default::default()
            },
        ))
    }

    async fn delete_bucket_lifecycle(
        &self,
        req: S3Request<dto::DeleteBucketLifecycleInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketLifecycleOutput>> {
        self.store()?
            .set_lifecycle(&req.input.bucket, None)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::DeleteBucketLifecycleOutput::default()))
    }

    async fn put_bucket_tagging(
        &self,
        req: S3Request<dto::PutBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::PutBucketTaggingOutput>> {
        let input = req.input;
        let mut tags = BTreeMap::new();
        for tag in &input.tagging.tag_set {
            let (Some(key), Some(value)) = (&tag.key, &tag.value) else {
                return Err(S3Error::with_message(
                    S3ErrorCode::MalformedXML,
                    "A Tag needs a Key and a Value",
                ));
            };
            if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
                return Err(invalid_tag(
                    "A bucket tag's key is 1 to 128 characters and its value at most 256",
                ));
            }
            if tags.insert(key.clone(), value.clone()).is_some() {
                return Err(invalid_tag(
                    "Cannot provide multiple Tags with the same key",
                ));
            }
        }
        if tags.len() > 50 {
            return Err(invalid_tag("A bucket has at most 50 tags"));
        }
        let value = serde_json::to_value(&tags)
            .map_err(|e| S3Error::with_message(S3ErrorCode::InternalError, e.to_string()))?;
        self.store()?
            .set_setting(&input.bucket, Setting::Tagging, Some(value))
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutBucketTaggingOutput::default()))
    }

    async fn get_bucket_tagging(
        &self,
        req: S3Request<dto::GetBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::GetBucketTaggingOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let tags: BTreeMap<String, String> = bucket
            .settings
            .get(&Setting::Tagging)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .ok_or_else(|| {
                S3Error::with_message(S3ErrorCode::NoSuchTagSet, "The TagSet does not exist")
            })?;
        Ok(S3Response::new(dto::GetBucketTaggingOutput {
            tag_set: tag_set(&tags),
        }))
    }

    async fn delete_bucket_tagging(
        &self,
        req: S3Request<dto::DeleteBucketTaggingInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketTaggingOutput>> {
        self.store()?
            .set_setting(&req.input.bucket, Setting::Tagging, None)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::DeleteBucketTaggingOutput::default()))
    }

    async fn put_bucket_ownership_controls(
        &self,
        req: S3Request<dto::PutBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<dto::PutBucketOwnershipControlsOutput>> {
        let input = req.input;
        let rules = &input.ownership_controls.rules;
        let known = [
            dto::ObjectOwnership::BUCKET_OWNER_ENFORCED,
            dto::ObjectOwnership::BUCKET_OWNER_PREFERRED,
            dto::ObjectOwnership::OBJECT_WRITER,
        ];
        if rules.len() != 1 || !known.contains(&rules[0].object_ownership.as_str()) {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedXML,
                "OwnershipControls holds one Rule whose ObjectOwnership is BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter",
            ));
        }
        let value = serde_json::Value::String(rules[0].object_ownership.as_str().to_string());
        self.store()?
            .set_setting(&input.bucket, Setting::OwnershipControls, Some(value))
            .map_err(s3_error)?;
        Ok(S3Response::new(
            dto::PutBucketOwnershipControlsOutput::default(),
        ))
    }

    async fn get_bucket_ownership_controls(
        &self,
        req: S3Request<dto::GetBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<dto::GetBucketOwnershipControlsOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let controls = bucket
            .settings
            .get(&Setting::OwnershipControls)
            .and_then(|v| v.as_str())
            .map(|ownership| dto::OwnershipControls {
                rules: vec![dto::OwnershipControlsRule {
                    object_ownership: dto::ObjectOwnership::from(ownership.to_string()),
                }],
            })
            .ok_or_else(|| {
                S3Error::with_message(
                    S3ErrorCode::OwnershipControlsNotFoundError,
                    "The bucket ownership controls were not found",
                )
            })?;
        Ok(S3Response::new(dto::GetBucketOwnershipControlsOutput {
            ownership_controls: Some(controls),
        }))
    }

    async fn delete_bucket_ownership_controls(
        &self,
        req: S3Request<dto::DeleteBucketOwnershipControlsInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketOwnershipControlsOutput>> {
        self.store()?
            .set_setting(&req.input.bucket, Setting::OwnershipControls, None)
            .map_err(s3_error)?;
        Ok(S3Response::new(
            dto::DeleteBucketOwnershipControlsOutput::default(),
        ))
    }

    async fn put_public_access_block(
        &self,
        req: S3Request<dto::PutPublicAccessBlockInput>,
    ) -> S3Result<S3Response<dto::PutPublicAccessBlockOutput>> {
        let input = req.input;
        let value = serde_json::to_value(&input.public_access_block_configuration)
            .map_err(|e| S3Error::with_message(S3ErrorCode::InternalError, e.to_string()))?;
        self.store()?
            .set_setting(&input.bucket, Setting::PublicAccessBlock, Some(value))
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutPublicAccessBlockOutput::default()))
    }

    async fn get_public_access_block(
        &self,
        req: S3Request<dto::GetPublicAccessBlockInput>,
    ) -> S3Result<S3Response<dto::GetPublicAccessBlockOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let config: dto::PublicAccessBlockConfiguration = bucket
            .settings
            .get(&Setting::PublicAccessBlock)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .ok_or_else(|| {
                let mut err = S3Error::with_message(
                    S3ErrorCode::Custom("NoSuchPublicAccessBlockConfiguration".into()),
                    "The public access block configuration was not found",
                );
                err.set_status_code(http::StatusCode::NOT_FOUND);
                err
            })?;
        Ok(S3Response::new(dto::GetPublicAccessBlockOutput {
            public_access_block_configuration: Some(config),
        }))
    }

    async fn delete_public_access_block(
        &self,
        req: S3Request<dto::DeletePublicAccessBlockInput>,
    ) -> S3Result<S3Response<dto::DeletePublicAccessBlockOutput>> {
        self.store()?
            .set_setting(&req.input.bucket, Setting::PublicAccessBlock, None)
            .map_err(s3_error)?;
        Ok(S3Response::new(
            dto::DeletePublicAccessBlockOutput::default(),
        ))
    }

    /// The sandbox has one user and keeps no ACL but the owner's FULL_CONTROL: `private` (or
    /// that one grant) is what every object already has; anything else would be a grant the
    /// sandbox cannot keep, and is refused rather than ignored.
    async fn put_object_acl(
        &self,
        req: S3Request<dto::PutObjectAclInput>,
    ) -> S3Result<S3Response<dto::PutObjectAclOutput>> {
        let input = req.input;
        self.store()?
            .read(&input.bucket, &input.key, input.version_id.as_deref())
            .map_err(s3_error)?;
        let private = input
            .acl
            .as_ref()
            .is_some_and(|a| a.as_str() == dto::ObjectCannedACL::PRIVATE);
        let owner_only = input.acl.is_none()
            && input.grant_full_control.is_none()
            && input.grant_read.is_none()
            && input.grant_read_acp.is_none()
            && input.grant_write_acp.is_none()
            && input.access_control_policy.as_ref().is_some_and(|p| {
                p.grants.as_ref().is_some_and(|grants| {
                    grants.iter().all(|g| {
                        g.permission
                            .as_ref()
                            .is_some_and(|p| p.as_str() == dto::Permission::FULL_CONTROL)
                            && g.grantee
                                .as_ref()
                                .and_then(|g| g.id.as_deref())
                                .is_some_and(|id| id == OWNER_ID)
                    })
                })
            });
        if !(private || owner_only) {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "The sandbox has one user and keeps only its FULL_CONTROL grant: ACLs other than private are not kept.",
            ));
        }
        Ok(S3Response::new(dto::PutObjectAclOutput::default()))
    }

    async fn put_bucket_notification_configuration(
        &self,
        req: S3Request<dto::PutBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<dto::PutBucketNotificationConfigurationOutput>> {
        let input = req.input;
        let config = input.notification_configuration;
        if config
            .queue_configurations
            .as_ref()
            .is_some_and(|q| !q.is_empty())
            || config
                .lambda_function_configurations
                .as_ref()
                .is_some_and(|l| !l.is_empty())
        {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidArgument,
                "the sandbox sends notifications to topics only",
            ));
        }
        let mut store = self.store()?;
        store.bucket(&input.bucket).map_err(s3_error)?;
        let mut rules = Vec::new();
        for t in config.topic_configurations.unwrap_or_default() {
            if !store.topics.contains_key(&t.topic_arn) {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    format!(
                        "Unable to validate the following destination configurations: {}",
                        t.topic_arn
                    ),
                ));
            }
            let events: Vec<String> = t.events.iter().map(|e| e.as_ref().to_string()).collect();
            if events.is_empty()
                || events.iter().any(|e| {
                    !(e.starts_with("s3:ObjectCreated:") || e.starts_with("s3:ObjectRemoved:"))
                })
            {
                return Err(S3Error::with_message(
                    S3ErrorCode::InvalidArgument,
                    "the sandbox sends s3:ObjectCreated:* and s3:ObjectRemoved:* events only",
                ));
            }
            let prefix = t
                .filter
                .as_ref()
                .and_then(|f| f.key.as_ref())
                .and_then(|k| k.filter_rules.as_ref())
                .into_iter()
                .flatten()
                .filter(|r| {
                    r.name
                        .as_ref()
                        .is_some_and(|n| n.as_str().eq_ignore_ascii_case("prefix"))
                })
                .filter_map(|r| r.value.clone())
                .collect::<String>();
            rules.push(super::notify::Rule {
                id: t.id.unwrap_or_else(|| format!("rule-{}", rules.len() + 1)),
                topic_arn: t.topic_arn,
                events,
                prefix,
            });
        }
        if let Some(kept) = store.notifications_mut(&input.bucket) {
            *kept = rules;
        }
        Ok(S3Response::new(
            dto::PutBucketNotificationConfigurationOutput::default(),
        ))
    }

    async fn get_bucket_notification_configuration(
        &self,
        req: S3Request<dto::GetBucketNotificationConfigurationInput>,
    ) -> S3Result<S3Response<dto::GetBucketNotificationConfigurationOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let topics = bucket
            .notifications
            .iter()
            .map(|r| dto::TopicConfiguration {
                id: Some(r.id.clone()),
                topic_arn: r.topic_arn.clone(),
                events: r
                    .events
                    .iter()
                    .map(|e| dto::Event::from(e.clone()))
                    .collect(),
                filter: (!r.prefix.is_empty()).then(|| dto::NotificationConfigurationFilter {
                    key: Some(dto::S3KeyFilter {
                        filter_rules: Some(vec![dto::FilterRule {
                            name: Some(dto::FilterRuleName::from_static(
                                dto::FilterRuleName::PREFIX,
                            )),
                            value: Some(r.prefix.clone()),
                        }]),
                    }),
                }),
            })
            .collect();
        Ok(S3Response::new(
            dto::GetBucketNotificationConfigurationOutput {
                topic_configurations: Some(topics),
                ..Default::default()
            },
        ))
    }

    async fn put_bucket_policy(
        &self,
        req: S3Request<dto::PutBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::PutBucketPolicyOutput>> {
        let input = req.input;
        // AWS refuses a document that is not a JSON object with Statement: MalformedPolicy.
        let parsed: Option<serde_json::Value> = serde_json::from_str(&input.policy).ok();
        let statements = parsed
            .as_ref()
            .and_then(|p| p.get("Statement"))
            .is_some_and(|s| s.is_array() || s.is_object());
        if !statements || input.policy.len() > 20 * 1024 {
            return Err(S3Error::with_message(
                S3ErrorCode::MalformedPolicy,
                "Policies must be valid JSON with a Statement, at most 20 KB",
            ));
        }
        self.store()?
            .set_policy(&input.bucket, Some(input.policy))
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::PutBucketPolicyOutput::default()))
    }

    async fn get_bucket_policy(
        &self,
        req: S3Request<dto::GetBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::GetBucketPolicyOutput>> {
        let store = self.store()?;
        let bucket = store.bucket(&req.input.bucket).map_err(s3_error)?;
        let Some(policy) = bucket.policy.clone() else {
            return Err(S3Error::with_message(
                S3ErrorCode::NoSuchBucketPolicy,
                "The bucket policy does not exist",
            ));
        };
        Ok(S3Response::new(dto::GetBucketPolicyOutput {
            policy: Some(policy),
        }))
    }

    async fn delete_bucket_policy(
        &self,
        req: S3Request<dto::DeleteBucketPolicyInput>,
    ) -> S3Result<S3Response<dto::DeleteBucketPolicyOutput>> {
        self.store()?
            .set_policy(&req.input.bucket, None)
            .map_err(s3_error)?;
        Ok(S3Response::new(dto::DeleteBucketPolicyOutput::default()))
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
