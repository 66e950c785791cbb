//! One function per S3 operation, returning domain types, one page at a time.

use super::{S3, S3Error};
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

/// Pages through ListObjectVersions with both markers; the SDK has no paginator for it.
pub struct VersionPager {
    s3: S3,
    bucket: String,
    prefix: String,
    delimiter: Option<String>,
    next: Option<VersionMarker>,
    max_keys: Option<i32>,
    done: bool,
    guard: PageGuard,
}

impl VersionPager {
    pub fn new(s3: &S3, bucket: &str, prefix: &str, delimiter: Option<&str>) -> VersionPager {
        VersionPager {
            s3: s3.clone(),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            delimiter: delimiter.map(str::to_string),
            next: None,
            max_keys: None,
            done: false,
            guard: PageGuard::under(Listing::Versions, prefix, delimiter),
        }
    }

    /// Starts after `marker` (the `next` of the last page that arrived) instead of at the
    /// beginning: resumes a listing that failed or was stopped.
    pub fn resume_from(mut self, marker: Option<VersionMarker>) -> VersionPager {
        if let Some(m) = &marker {
            self.guard.start_after_version(m);
        }
        self.next = marker;
        self
    }

    /// After an error, the next `next_page` asks the same page again (not after a runaway:
    /// that listing is over).
    pub fn allow_retry(&mut self) {
        self.done = false;
    }

    /// Starts after `marker` (set before the first page): the server must answer only what
    /// follows it.
    pub fn resume_at(&mut self, marker: VersionMarker) {
        self.guard.start_after_version(&marker);
        self.next = Some(marker);
    }

    /// Smaller pages; used by tests to force keys across page boundaries.
    pub fn with_max_keys(mut self, max_keys: i32) -> VersionPager {
        self.max_keys = Some(max_keys);
        self
    }

    /// The next page, or `None` when the listing is complete.
    pub async fn next_page(&mut self) -> Option<Result<VersionsPage, S3Error>> {
        if self.done {
            return None;
        }
        let result = self
            .s3
            .list_versions_page(
                &self.bucket,
                &self.prefix,
                self.delimiter.as_deref(),
                self.next.as_ref(),
                self.max_keys,
            )
            .await;
        match result {
            Ok(mut page) => {
                if let Err(why) = self.guard.versions_page(&mut page) {
                    // The page is dropped with the listing: its entries may be the loop.
                    self.done = true;
                    return Some(Err(S3Error::Runaway(why)));
                }
                self.next = page.next.clone();
                self.done = page.next.is_none();
                Some(Ok(page))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Walks a ListObjectsV2 listing page by page (the SDK's paginator is not used so that each
/// page reaches the caller, and a failed page can be resumed from its token).
pub struct ObjectPager {
    s3: S3,
    bucket: String,
    prefix: String,
    delimiter: Option<String>,
    token: Option<String>,
    /// StartAfter of the first request.
    start_after: Option<String>,
    done: bool,
    guard: PageGuard,
}

impl ObjectPager {
    pub fn new(s3: &S3, bucket: &str, prefix: &str, delimiter: Option<&str>) -> ObjectPager {
        ObjectPager {
            s3: s3.clone(),
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
            delimiter: delimiter.map(str::to_string),
            token: None,
            start_after: None,
            done: false,
            guard: PageGuard::under(Listing::Keys, prefix, delimiter),
        }
    }

    /// Starts after the key `key` (StartAfter): the server must answer only what follows it.
    pub fn start_after_key(&mut self, key: &str) {
        self.guard.start_after(key);
        self.start_after = Some(key.to_string());
    }

    /// After an error, the next `next_page` asks the same page again.
    pub fn allow_retry(&mut self) {
        self.done = false;
    }

    /// Starts after `token` (the `next_token` of the last page that arrived).
    pub fn resume_from(mut self, token: Option<String>) -> ObjectPager {
        self.token = token;
        self
    }

    /// The next page, or `None` when the listing is complete.
    pub async fn next_page(&mut self) -> Option<Result<ObjectsPage, S3Error>> {
        if self.done {
            return None;
        }
        let mut page = self
            .s3
            .list_objects_page_in(
                &self.bucket,
                &self.prefix,
                self.delimiter.as_deref(),
                self.token.as_deref(),
                self.start_after.as_deref().filter(|_| self.token.is_none()),
            )
            .await;
        match &mut page {
            Ok(p) => {
                if let Err(why) = self.guard.objects_page(p) {
                    self.done = true;
                    return Some(Err(S3Error::Runaway(why)));
                }
                self.token = p.next_token.clone();
                self.done = p.next_token.is_none();
            }
            Err(_) => self.done = true,
        }
        Some(page)
    }
}

impl S3 {
    /// Refuses a write before any request is sent when lockwatch runs read-only.
    fn refuse_if_read_only(&self, operation: &str) -> Result<(), S3Error> {
        if self.read_only {
            return Err(S3Error::ReadOnly(operation.to_string()));
        }
        Ok(())
    }

    /// Who these credentials are to the server: the Owner of ListBuckets' answer (AWS's
    /// canonical user, Ceph's user id); `None` when the server names none.
    pub async fn identity(&self) -> Result<Option<crate::domain::Owner>, S3Error> {
        let out = self
            .client
            .list_buckets()
            .max_buckets(1)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(Owners::default().of(out.owner()).map(|o| (*o).clone()))
    }

    pub async fn list_buckets(&self) -> Result<Vec<Bucket>, S3Error> {
        let mut buckets = Vec::new();
        let mut token: Option<String> = None;
        let mut guard = PageGuard::new(Listing::Keys);
        loop {
            let out = self
                .client
                .list_buckets()
                .set_continuation_token(token.clone())
                .send()
                .await
                .map_err(S3Error::from_sdk)?;
            let next = out.continuation_token().filter(|t| !t.is_empty());
            guard
                .check(
                    out.buckets().iter().filter_map(|b| b.name()),
                    next.map(|t| [t]).as_ref().map(|n| &n[..]),
                )
                .map_err(S3Error::Runaway)?;
            buckets.extend(out.buckets().iter().filter_map(|b| {
                Some(Bucket {
                    name: b.name()?.to_string(),
                    created: timestamp(b.creation_date()),
                })
            }));
            match next {
                Some(next) => token = Some(next.to_string()),
                None => break,
            }
        }
        Ok(buckets)
    }

    pub async fn bucket_versioning(&self, bucket: &str) -> Result<Versioning, S3Error> {
        let out = self
            .client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(match out.status() {
            Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Never,
        })
    }

    pub async fn bucket_lock(&self, bucket: &str) -> Result<BucketLock, S3Error> {
        let out = match self
            .client
            .get_object_lock_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let err = S3Error::from_sdk(e);
                // Servers name "this bucket has no lock configuration" differently.
                return match err.code() {
                    Some(
                        "ObjectLockConfigurationNotFoundError"
                        | "NoSuchObjectLockConfiguration"
                        | "ObjectLockConfigurationNotFound",
                    ) => Ok(BucketLock::Disabled),
                    _ => Err(err),
                };
            }
        };
        let Some(config) = out.object_lock_configuration() else {
            return Ok(BucketLock::Disabled);
        };
        if config.object_lock_enabled() != Some(&ObjectLockEnabled::Enabled) {
            return Ok(BucketLock::Disabled);
        }
        let default_retention = config
            .rule()
            .and_then(|r| r.default_retention())
            .and_then(|d| {
                let mode = RetentionMode::parse(d.mode()?.as_str());
                let period = match (d.days(), d.years()) {
                    (Some(days), _) => RetentionPeriod::Days(days),
                    (None, Some(years)) => RetentionPeriod::Years(years),
                    (None, None) => return None,
                };
                Some((mode, period))
            });
        Ok(BucketLock::Enabled { default_retention })
    }

    pub async fn bucket_details(&self, bucket: &str) -> Result<BucketDetails, S3Error> {
        let (versioning, lock) =
            tokio::join!(self.bucket_versioning(bucket), self.bucket_lock(bucket));
        Ok(BucketDetails {
            versioning: versioning?,
            lock: lock?,
        })
    }

    /// One page of one level (delimiter `/`) below `prefix`.
    pub async fn list_objects_page(
        &self,
        bucket: &str,
        prefix: &str,
        token: Option<&str>,
    ) -> Result<ObjectsPage, S3Error> {
        self.list_objects_page_in(bucket, prefix, Some("/"), token, None)
            .await
    }

    /// One page of ListObjectsV2; without a delimiter, every key below `prefix`.
    pub async fn list_objects_page_in(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        token: Option<&str>,
        start_after: Option<&str>,
    ) -> Result<ObjectsPage, S3Error> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .set_continuation_token(token.map(str::to_string))
            .set_start_after(start_after.map(str::to_string))
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        let coding = KeyCoding::of(out.encoding_type());
        let mut objects = Vec::with_capacity(out.contents().len());
        for o in out.contents() {
            let Some(key) = o.key() else { continue };
            objects.push(ObjectEntry {
                key: Arc::from(coding.key(key)?),
                size: size(o.size()),
                last_modified: timestamp(o.last_modified()),
                storage_class: o.storage_class().map(|s| s.as_str().to_string()),
            });
        }
        let prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .map(|p| coding.key(p))
            .collect::<Result<_, _>>()?;
        let next_token = match (out.is_truncated(), out.next_continuation_token()) {
            (Some(true), Some(t)) if !t.is_empty() && Some(t) != token => Some(t.to_string()),
            (Some(true), _) => {
                return Err(S3Error::Other(
                    "the server said the listing continues but gave no usable continuation token"
                        .into(),
                ));
            }
            _ => None,
        };
        Ok(ObjectsPage {
            objects,
            prefixes,
            next_token,
        })
    }

    pub async fn list_versions_page(
        &self,
        bucket: &str,
        prefix: &str,
        delimiter: Option<&str>,
        from: Option<&VersionMarker>,
        max_keys: Option<i32>,
    ) -> Result<VersionsPage, S3Error> {
        let out = self
            .client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_delimiter(delimiter.map(str::to_string))
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .set_key_marker(from.map(|m| m.key.clone()))
            .set_version_id_marker(from.and_then(|m| m.version_id.clone()))
            .set_max_keys(max_keys)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        let coding = KeyCoding::of(out.encoding_type());
        let mut owners = Owners::default();
        let mut versions = Vec::with_capacity(out.versions().len());
        for v in out.versions() {
            let Some(key) = v.key() else { continue };
            versions.push(HistoryEntry {
                key: Arc::from(coding.key(key)?),
                version_id: v.version_id().unwrap_or("null").to_string(),
                kind: EntryKind::Version {
                    size: size(v.size()),
                    etag: etag(v.e_tag()),
                    storage_class: v.storage_class().map(|s| s.as_str().to_string()),
                },
                is_latest: v.is_latest().unwrap_or(false),
                last_modified: timestamp(v.last_modified()),
                owner: owners.of(v.owner()),
            });
        }
        let mut markers = Vec::with_capacity(out.delete_markers().len());
        for m in out.delete_markers() {
            let Some(key) = m.key() else { continue };
            markers.push(HistoryEntry {
                key: Arc::from(coding.key(key)?),
                version_id: m.version_id().unwrap_or("null").to_string(),
                kind: EntryKind::DeleteMarker,
                is_latest: m.is_latest().unwrap_or(false),
                last_modified: timestamp(m.last_modified()),
                owner: owners.of(m.owner()),
            });
        }
        let prefixes = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .map(|p| coding.key(p))
            .collect::<Result<_, _>>()?;
        let next = match (out.is_truncated(), out.next_key_marker()) {
            (Some(true), Some(key)) if !key.is_empty() => Some(VersionMarker {
                key: coding.key(key)?,
                version_id: out
                    .next_version_id_marker()
                    .filter(|v| !v.is_empty())
                    .map(str::to_string),
            }),
            (Some(true), _) => {
                return Err(S3Error::Other(
                    "the server said the version listing continues but gave no next key marker"
                        .into(),
                ));
            }
            _ => None,
        };
        let altered_keys = !coding.0
            && versions
                .iter()
                .chain(&markers)
                .any(|e| e.key.contains('\u{fffd}'));
        Ok(VersionsPage {
            versions,
            markers,
            prefixes,
            next,
            altered_keys,
        })
    }

    /// Every version and delete marker of exactly `key`, newest first, across all pages.
    pub async fn key_history(&self, bucket: &str, key: &str) -> Result<Vec<HistoryEntry>, S3Error> {
        let mut pager = VersionPager::new(self, bucket, key, None);
        let mut entries = Vec::new();
        let mut altered = false;
        while let Some(page) = pager.next_page().await {
            let page = page?;
            altered |= page.altered_keys;
            if history::absorb_page(&mut entries, key, page.versions, page.markers) {
                break;
            }
        }
        if entries.is_empty() && altered {
            return Err(S3Error::Other(ALTERED_KEYS.into()));
        }
        Ok(entries)
    }

    /// The lock headers of one version (listings do not carry them).
    pub async fn head_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<LockInfo, S3Error> {
        Ok(self.head(bucket, key, Some(version_id)).await?.lock)
    }

    /// Everything HeadObject tells about a version (the latest without a version id).
    pub async fn head(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectDetails, S3Error> {
        let out = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        if let Some(asked) = version_id {
            crate::domain::lock::answered_for(asked, out.version_id()).map_err(S3Error::Other)?;
        }
        let mut metadata: Vec<(String, String)> = out
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        metadata.sort();
        Ok(ObjectDetails {
            version_id: out.version_id().map(str::to_string),
            size: size(out.content_length()),
            etag: etag(out.e_tag()),
            content_type: out.content_type().map(str::to_string),
            storage_class: out.storage_class().map(|s| s.as_str().to_string()),
            last_modified: timestamp(out.last_modified()),
            lock: LockInfo {
                mode: out
                    .object_lock_mode()
                    .map(|m| RetentionMode::parse(m.as_str())),
                retain_until: retain_until(out.object_lock_retain_until_date()),
                legal_hold: out
                    .object_lock_legal_hold_status()
                    .map_or(LegalHold::Off, |h| LegalHold::parse(h.as_str())),
            },
            metadata,
        })
    }

    /// Deletes the current object: on a versioned bucket this adds a delete marker.
    pub async fn delete_object(&self, bucket: &str, key: &str) -> Result<DeleteOutcome, S3Error> {
        self.delete(bucket, key, None, false).await
    }

    /// Removes one version or delete marker for good (refused by the server while locked).
    pub async fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<DeleteOutcome, S3Error> {
        self.delete(bucket, key, Some(version_id), false).await
    }

    /// `delete_version`, optionally sending `x-amz-bypass-governance-retention: true`.
    pub async fn delete_version_with(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        bypass_governance: bool,
    ) -> Result<DeleteOutcome, S3Error> {
        self.delete(bucket, key, Some(version_id), bypass_governance)
            .await
    }

    async fn delete(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        bypass_governance: bool,
    ) -> Result<DeleteOutcome, S3Error> {
        self.refuse_if_read_only("DeleteObject")?;
        let out = self
            .client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .set_bypass_governance_retention(bypass_governance.then_some(true))
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(DeleteOutcome {
            version_id: out.version_id().map(str::to_string),
            delete_marker: out.delete_marker().unwrap_or(false),
        })
    }

    /// The retention of one version, `None` when it has none.
    pub async fn retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Result<Option<(RetentionMode, RetainUntil)>, S3Error> {
        let out = match self
            .client
            .get_object_retention()
            .bucket(bucket)
            .key(key)
            .version_id(version_id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let err = S3Error::from_sdk(e);
                return match err.code() {
                    Some("NoSuchObjectLockConfiguration") => Ok(None),
                    _ => Err(err),
                };
            }
        };
        Ok(out.retention().and_then(|r| {
            let mode = RetentionMode::parse(r.mode()?.as_str());
            Some((mode, retain_until(r.retain_until_date())?))
        }))
    }

    /// Sets or changes the retention of one version. Shortening GOVERNANCE needs
    /// `bypass_governance`; COMPLIANCE can only be extended.
    pub async fn set_retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        mode: RetentionMode,
        until: impl Into<RetainUntil>,
        bypass_governance: bool,
    ) -> Result<(), S3Error> {
        self.refuse_if_read_only("PutObjectRetention")?;
        let retention = ObjectLockRetention::builder()
            .mode(ObjectLockRetentionMode::from(mode.as_str()))
            .retain_until_date({
                let until = until.into();
                aws_smithy_types::DateTime::from_secs_and_nanos(
                    until.unix_seconds(),
                    until.subsec_nanos(),
                )
            })
            .build();
        self.client
            .put_object_retention()
            .bucket(bucket)
            .key(key)
            .version_id(version_id)
            .retention(retention)
            .set_bypass_governance_retention(bypass_governance.then_some(true))
            .customize()
            .config_override(no_retry())
            .mutate_request(add_content_md5)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    pub async fn set_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        on: bool,
    ) -> Result<(), S3Error> {
        self.refuse_if_read_only("PutObjectLegalHold")?;
        let status = if on {
            ObjectLockLegalHoldStatus::On
        } else {
            ObjectLockLegalHoldStatus::Off
        };
        self.client
            .put_object_legal_hold()
            .bucket(bucket)
            .key(key)
            .version_id(version_id)
            .legal_hold(ObjectLockLegalHold::builder().status(status).build())
            .customize()
            .config_override(no_retry())
            .mutate_request(add_content_md5)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    /// Makes an older version current again by copying it onto its own key. With `if_match`,
    /// the server refuses (412) unless the source still has that ETag. Returns the new
    /// version id.
    pub async fn copy_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        if_match: Option<&str>,
    ) -> Result<Option<String>, S3Error> {
        self.refuse_if_read_only("CopyObject")?;
        let source = format!(
            "{}/{}?versionId={}",
            bucket,
            percent::encode(key),
            percent::encode(version_id)
        );
        let guard = if_match.map(str::to_string);
        let out = self
            .client
            .copy_object()
            .bucket(bucket)
            .key(key)
            .copy_source(source)
            .set_copy_source_if_match(if_match.map(|e| format!("\"{e}\"")))
            .customize()
            .config_override(no_retry())
            .mutate_request(move |request| {
                // Ceph RGW 16 reads the condition from `x-amz-copy-if-match` and ignores the
                // standard header; send both so the guard holds there too.
                if let Some(e) = &guard {
                    request
                        .headers_mut()
                        .insert("x-amz-copy-if-match", format!("\"{e}\""));
                }
            })
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(out.version_id().map(str::to_string))
    }

    /// The content of one version (small objects; the whole body is held in memory).
    pub async fn get_bytes(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Vec<u8>, S3Error> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| S3Error::Network(format!("the download broke off: {e}")))?;
        Ok(body.into_bytes().to_vec())
    }

    /// CreateMultipartUpload, with the lock settings of `options`. Returns the upload id.
    pub async fn start_multipart(
        &self,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<String, S3Error> {
        self.refuse_if_read_only("CreateMultipartUpload")?;
        let mut request = self
            .client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .set_content_type(options.content_type.clone());
        if let Some((mode, until)) = &options.retention {
            request = request
                .object_lock_mode(ObjectLockMode::from(mode.as_str()))
                .object_lock_retain_until_date(smithy_time(*until));
        }
        if options.legal_hold {
            request = request.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
        }
        let out = request
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        out.upload_id().map(str::to_string).ok_or_else(|| {
            S3Error::Other("the server started a multipart upload but named no upload id".into())
        })
    }

    /// UploadPart with its Content-Length. Sending the same part again replaces it, so the
    /// SDK's retries are safe here.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        part_number: i32,
        body: Vec<u8>,
    ) -> Result<String, S3Error> {
        self.refuse_if_read_only("UploadPart")?;
        let length = body.len() as i64;
        let out = self
            .client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(part_number)
            .content_length(length)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        out.e_tag().map(str::to_string).ok_or_else(|| {
            S3Error::Other(format!("the server named no ETag for part {part_number}"))
        })
    }

    /// CompleteMultipartUpload of the parts (number, ETag) in order. Returns the version id.
    pub async fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
    ) -> Result<Option<String>, S3Error> {
        self.refuse_if_read_only("CompleteMultipartUpload")?;
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|(n, e)| CompletedPart::builder().part_number(*n).e_tag(e).build())
                    .collect(),
            ))
            .build();
        let out = self
            .client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(completed)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(out.version_id().map(str::to_string))
    }

    pub async fn abort_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), S3Error> {
        self.refuse_if_read_only("AbortMultipartUpload")?;
        self.client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    /// Starts reading one version; the body arrives chunk by chunk through `Download`.
    pub async fn open_download(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Download, S3Error> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_string))
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(Download {
            size: size(out.content_length()),
            etag: etag(out.e_tag()),
            version_id: out.version_id().map(str::to_string),
            body: out.body,
        })
    }

    /// Deletes several versions in one DeleteObjects request; the server answers per key.
    /// Returns, for each requested version, `Ok` or the server's error for that key.
    pub async fn delete_versions(
        &self,
        bucket: &str,
        versions: &[(String, String)],
        bypass_governance: bool,
    ) -> Result<Vec<Result<(), S3Error>>, S3Error> {
        self.refuse_if_read_only("DeleteObjects")?;
        let objects = versions
            .iter()
            .map(|(key, version)| {
                ObjectIdentifier::builder()
                    .key(key)
                    .version_id(version)
                    .build()
                    .map_err(|e| S3Error::Other(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(false)
            .build()
            .map_err(|e| S3Error::Other(e.to_string()))?;
        let out = self
            .client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .set_bypass_governance_retention(bypass_governance.then_some(true))
            .customize()
            .config_override(no_retry())
            .mutate_request(add_content_md5)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(versions
            .iter()
            .map(|(key, version)| {
                let failed = out.errors().iter().find(|e| {
                    e.key() == Some(key.as_str())
                        && e.version_id().is_none_or(|v| v == version.as_str())
                });
                match failed {
                    Some(e) => Err(S3Error::Service {
                        code: e.code().unwrap_or("Unknown").to_string(),
                        message: e.message().unwrap_or("").to_string(),
                        status: None,
                    }),
                    None => Ok(()),
                }
            })
            .collect())
    }

    /// Copies a version onto its own key in parts of `part_size` bytes with UploadPartCopy — the
    /// only way for objects over 5 GiB — each part guarded by `if_match`. An unfinished copy is
    /// aborted. Returns the new version id.
    pub async fn copy_version_in_parts(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        if_match: Option<&str>,
        size: u64,
        part_size: u64,
    ) -> Result<Option<String>, S3Error> {
        self.refuse_if_read_only("UploadPartCopy")?;
        let part_size = part_size.max(5 * 1024 * 1024);
        // Ceph RGW 16 enforces no condition on UploadPartCopy, so the guard is also checked
        // here, before any part is copied.
        if let Some(expected) = if_match {
            let held = self.head(bucket, key, Some(version_id)).await?.etag;
            if held.as_deref() != Some(expected) {
                return Err(S3Error::Service {
                    code: "PreconditionFailed".into(),
                    message: format!(
                        "checked by lockwatch before copying: the version's ETag is {}, not {expected}",
                        held.as_deref().unwrap_or("missing")
                    ),
                    status: None,
                });
            }
        }
        let id = self
            .start_multipart(bucket, key, &PutOptions::default())
            .await?;
        let copied = async {
            let source = format!(
                "{}/{}?versionId={}",
                bucket,
                percent::encode(key),
                percent::encode(version_id)
            );
            let mut parts = Vec::new();
            let mut start = 0u64;
            while start < size {
                let end = (start + part_size).min(size) - 1;
                let number = parts.len() as i32 + 1;
                let guard = if_match.map(str::to_string);
                let out = self
                    .client
                    .upload_part_copy()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&id)
                    .part_number(number)
                    .copy_source(&source)
                    .copy_source_range(format!("bytes={start}-{end}"))
                    .set_copy_source_if_match(if_match.map(|e| format!("\"{e}\"")))
                    .customize()
                    .mutate_request(move |request| {
                        // Ceph RGW 16 answers 411 to a request without Content-Length, and the
                        // SDK sends none for this body-less request.
                        if !request.headers().contains_key("content-length") {
                            request.headers_mut().insert("Content-Length", "0");
                        }
                        // As for CopyObject: Ceph RGW 16 reads only x-amz-copy-if-match.
                        if let Some(e) = &guard {
                            request
                                .headers_mut()
                                .insert("x-amz-copy-if-match", format!("\"{e}\""));
                        }
                    })
                    .send()
                    .await
                    .map_err(S3Error::from_sdk)?;
                let etag = out
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        S3Error::Other(format!("the server named no ETag for copied part {number}"))
                    })?;
                parts.push((number, etag));
                start = end + 1;
            }
            self.complete_multipart(bucket, key, &id, &parts).await
        }
        .await;
        if copied.is_err() {
            let _ = self.abort_multipart(bucket, key, &id).await;
        }
        copied
    }

    /// The bucket's LocationConstraint; `None` for the default region or when not reported.
    pub async fn bucket_location(&self, bucket: &str) -> Result<Option<String>, S3Error> {
        let out = match self
            .client
            .get_bucket_location()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let err = S3Error::from_sdk(e);
                // SeaweedFS answers 200 with a body that names no constraint.
                return match err {
                    S3Error::Unreadable { status: 200, .. } => Ok(None),
                    other => Err(other),
                };
            }
        };
        Ok(out
            .location_constraint()
            .map(|l| l.as_str().to_string())
            .filter(|l| !l.is_empty()))
    }

    /// Whether a bucket of this name exists for these credentials (HeadBucket: 200 yes, 404
    /// no). A bucket that exists but is someone else's (403) is said as such.
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, S3Error> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = S3Error::from_sdk(e);
                if e.is_not_found() || e.code() == Some("NoSuchBucket") {
                    Ok(false)
                } else if matches!(
                    e,
                    S3Error::Service {
                        status: Some(403),
                        ..
                    }
                ) {
                    Err(S3Error::Changed(format!(
                        "a bucket named {bucket} exists and these credentials may not use it (HeadBucket: 403)"
                    )))
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Creates a bucket, optionally with Object Lock (which also turns versioning on). A
    /// bucket of that name that is already yours is refused before anything is sent: AWS in
    /// us-east-1 and Ceph RGW answer a second CreateBucket with success, so without the check
    /// settings meant for a new bucket would land on an existing one.
    pub async fn create_bucket(
        &self,
        bucket: &str,
        location: Option<&str>,
        object_lock: bool,
    ) -> Result<(), S3Error> {
        self.refuse_if_read_only("CreateBucket")?;
        if self.bucket_exists(bucket).await? {
            return Err(S3Error::Changed(format!(
                "bucket {bucket} already exists and is yours, so nothing about it was changed"
            )));
        }
        let config = location.map(|l| {
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(l))
                .build()
        });
        self.client
            .create_bucket()
            .bucket(bucket)
            .set_create_bucket_configuration(config)
            .object_lock_enabled_for_bucket(object_lock)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    /// Sets one lifecycle rule that deletes the noncurrent versions under `prefix` `days` after
    /// they become noncurrent (replacing the bucket's lifecycle configuration). Used to seed
    /// the demonstration buckets.
    pub async fn expire_noncurrent_versions(
        &self,
        bucket: &str,
        rule_id: &str,
        prefix: &str,
        days: i32,
    ) -> Result<(), S3Error> {
        use aws_sdk_s3::types::{
            BucketLifecycleConfiguration, ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
            NoncurrentVersionExpiration,
        };
        self.refuse_if_read_only("PutBucketLifecycleConfiguration")?;
        let rule = LifecycleRule::builder()
            .id(rule_id)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(days)
                    .build(),
            )
            .build()
            .map_err(|e| S3Error::Other(e.to_string()))?;
        let config = BucketLifecycleConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|e| S3Error::Other(e.to_string()))?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(bucket)
            .lifecycle_configuration(config)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    /// Deletes an empty bucket (the server refuses one that holds anything: BucketNotEmpty).
    pub async fn delete_bucket(&self, bucket: &str) -> Result<(), S3Error> {
        self.refuse_if_read_only("DeleteBucket")?;
        self.client
            .delete_bucket()
            .bucket(bucket)
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    pub async fn enable_versioning(&self, bucket: &str) -> Result<(), S3Error> {
        self.put_versioning(bucket, BucketVersioningStatus::Enabled)
            .await
    }

    /// Refused by the server on a bucket with Object Lock.
    pub async fn suspend_versioning(&self, bucket: &str) -> Result<(), S3Error> {
        self.put_versioning(bucket, BucketVersioningStatus::Suspended)
            .await
    }

    async fn put_versioning(
        &self,
        bucket: &str,
        status: BucketVersioningStatus,
    ) -> Result<(), S3Error> {
        self.refuse_if_read_only("PutBucketVersioning")?;
        self.client
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    /// Sets the default retention applied to new versions of a lock-enabled bucket.
    pub async fn set_default_retention(
        &self,
        bucket: &str,
        retention: Option<(RetentionMode, RetentionPeriod)>,
    ) -> Result<(), S3Error> {
        self.refuse_if_read_only("PutObjectLockConfiguration")?;
        let rule = retention.map(|(mode, period)| {
            let builder =
                DefaultRetention::builder().mode(ObjectLockRetentionMode::from(mode.as_str()));
            let builder = match period {
                RetentionPeriod::Days(d) => builder.days(d),
                RetentionPeriod::Years(y) => builder.years(y),
            };
            ObjectLockRule::builder()
                .default_retention(builder.build())
                .build()
        });
        self.client
            .put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .set_rule(rule)
                    .build(),
            )
            .customize()
            .config_override(no_retry())
            .mutate_request(add_content_md5)
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(())
    }

    /// Stores a small object from memory; returns the new version id, if the bucket is
    /// versioned. The body length is sent as Content-Length (no streaming upload).
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        options: &PutOptions,
    ) -> Result<Option<String>, S3Error> {
        self.refuse_if_read_only("PutObject")?;
        let length = body.len() as i64;
        let mut request = self
            .client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_length(length)
            .set_content_type(options.content_type.clone())
            .body(ByteStream::from(body));
        if let Some((mode, until)) = &options.retention {
            request = request
                .object_lock_mode(ObjectLockMode::from(mode.as_str()))
                .object_lock_retain_until_date(smithy_time(*until));
        }
        if options.legal_hold {
            request = request.object_lock_legal_hold_status(ObjectLockLegalHoldStatus::On);
        }
        let out = request
            .customize()
            .config_override(no_retry())
            .send()
            .await
            .map_err(S3Error::from_sdk)?;
        Ok(out.version_id().map(str::to_string))
    }
}

/// A version being read.
pub struct Download {
    pub size: Option<u64>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    body: ByteStream,
}

impl Download {
    /// The next piece of the body; `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, S3Error> {
        self.body
            .try_next()
            .await
            .map_err(|e| S3Error::Network(format!("the download broke off: {e}")))
    }
}

/// Lock settings and metadata for a new object.
#[derive(Debug, Clone, Default)]
pub struct PutOptions {
    pub content_type: Option<String>,
    /// Retention for this version instead of the bucket's default.
    pub retention: Option<(RetentionMode, Timestamp)>,
    pub legal_hold: bool,
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

/// Keys in a listing asked with `encoding-type=url`: decoded when the server says it encoded
/// them (a server that ignores the request sends them as they are).
struct KeyCoding(bool);

impl KeyCoding {
    fn of(answer: Option<&aws_sdk_s3::types::EncodingType>) -> KeyCoding {
        KeyCoding(matches!(answer, Some(aws_sdk_s3::types::EncodingType::Url)))
    }

    fn key(&self, raw: &str) -> Result<String, S3Error> {
        if self.0 {
            percent::decode(raw).map_err(|e| S3Error::Other(e.to_string()))
        } else {
            Ok(raw.to_string())
        }
    }
}

fn smithy_time(t: Timestamp) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(
        t.as_second(),
        t.subsec_nanosecond().max(0) as u32,
    )
}

/// The owners of one page, each kept once however many entries name it.
#[derive(Default)]
struct Owners(Vec<Arc<crate::domain::Owner>>);

impl Owners {
    /// The entry's owner; `None` when the server names none (or only an empty id).
    fn of(
        &mut self,
        owner: Option<&aws_sdk_s3::types::Owner>,
    ) -> Option<Arc<crate::domain::Owner>> {
        let owner = owner?;
        let id = owner.id().unwrap_or_default();
        let display_name = owner.display_name().filter(|n| !n.is_empty());
        if id.is_empty() && display_name.is_none() {
            return None;
        }
        if let Some(known) = self
            .0
            .iter()
            .find(|o| o.id == id && o.display_name.as_deref() == display_name)
        {
            return Some(known.clone());
        }
        let new = Arc::new(crate::domain::Owner {
            id: id.to_string(),
            display_name: display_name.map(str::to_string),
        });
        // A page has one owner or a few; a hostile page of many distinct ones stays linear.
        if self.0.len() < 64 {
            self.0.push(new.clone());
        }
        Some(new)
    }
}
