//! One function per S3 operation, returning domain types, one page at a time; a file per
//! resource (buckets, listings, objects, locks, deletes, uploads in parts) and one pager for
//! both listings.

mod buckets;
mod deletes;
mod listings;
mod locks;
mod multipart;
mod notify;
mod objects;
mod pager;

pub use notify::TopicConfig;
pub use objects::{Download, PutOptions};
pub use pager::{ObjectPager, Pager, VersionPager};

use super::error::FromSdk;
use super::{S3, S3Error};
use crate::audit::Unaudited;
use crate::domain::pages::{
    ALTERED_KEYS, DeleteOutcome, Listing, ObjectDetails, ObjectsPage, PageGuard, VersionMarker,
    VersionsPage,
};
use crate::domain::percent;
use crate::domain::{
    Bucket, BucketDetails, BucketLock, EntryKind, HistoryEntry, LegalHold, LockInfo, ObjectEntry,
    RetainUntil, RetentionMode, RetentionPeriod, Versioning, history,
};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CompletedMultipartUpload, CompletedPart,
    CreateBucketConfiguration, DefaultRetention, Delete, ObjectIdentifier, ObjectLockConfiguration,
    ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode,
    ObjectLockRetention, ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};
use jiff::Timestamp;
use std::future::Future;
use std::sync::Arc;

fn timestamp(t: Option<&aws_smithy_types::DateTime>) -> Option<Timestamp> {
    let t = t?;
    Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()
}

/// A retain-until date exactly as sent, whatever the calendar lockwatch computes with holds.
fn retain_until(t: Option<&aws_smithy_types::DateTime>) -> Option<RetainUntil> {
    t.map(|t| RetainUntil::from_unix(t.secs(), t.subsec_nanos()))
}

fn size(s: Option<i64>) -> Option<u64> {
    s.and_then(|s| u64::try_from(s).ok())
}

/// Server-supplied ETags come quoted; the quotes are not part of the value.
fn etag(e: Option<&str>) -> Option<String> {
    e.map(|e| e.trim_matches('"').to_string())
}

/// The request configuration for writes: a write is never retried blindly, since a lost answer
/// does not mean the write did not happen.
fn no_retry() -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::default().retry_config(aws_config::retry::RetryConfig::disabled())
}

impl S3 {
    /// Refuses a write before any request is sent when lockwatch runs read-only.
    fn refuse_if_read_only(&self, operation: &str) -> Result<(), S3Error> {
        if self.read_only {
            return Err(S3Error::ReadOnly(operation.to_string()));
        }
        Ok(())
    }
}

/// Adds Content-MD5 of the request body. Object Lock writes and DeleteObjects must carry an
/// integrity header; current SDKs send only a CRC32 checksum, which older MinIO and some
/// gateways reject, so these requests carry both.
fn add_content_md5(request: &mut aws_sdk_s3::config::http::HttpRequest) {
    use md5::{Digest, Md5};
    let Some(body) = request.body().bytes() else {
        return;
    };
    let digest = aws_smithy_types::base64::encode(Md5::digest(body));
    request.headers_mut().insert("Content-MD5", digest);
}

fn smithy_time(t: Timestamp) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(
        t.as_second(),
        t.subsec_nanosecond().max(0) as u32,
    )
}
