//! One object or version: HEAD with its lock, downloads, uploads in one request, copies.

use super::*;

impl S3 {
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

    /// Stores a small object from memory; returns the new version id, if the bucket is
    /// versioned. The body length is sent as Content-Length (no streaming upload).
    pub fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        options: &PutOptions,
    ) -> Unaudited<impl Future<Output = Result<Option<String>, S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }

    /// Makes an older version current again by copying it onto its own key. With `if_match`,
    /// the server refuses (412) unless the source still has that ETag. Returns the new
    /// version id.
    pub fn copy_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        if_match: Option<&str>,
    ) -> Unaudited<impl Future<Output = Result<Option<String>, S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
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
