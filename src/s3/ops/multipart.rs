//! Uploads and copies in parts.

use super::*;

impl S3 {
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
    pub fn complete_multipart(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
    ) -> Unaudited<impl Future<Output = Result<Option<String>, S3Error>> + Send> {
        Unaudited::new(self.complete_parts(bucket, key, upload_id, parts))
    }

    /// `complete_multipart`, for a write in parts that is audited whole (a copy in parts).
    async fn complete_parts(
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

    /// Copies a version onto its own key in parts of `part_size` bytes with UploadPartCopy — the
    /// only way for objects over 5 GiB — each part guarded by `if_match`. An unfinished copy is
    /// aborted. Returns the new version id.
    pub fn copy_version_in_parts(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        if_match: Option<&str>,
        size: u64,
        part_size: u64,
    ) -> Unaudited<impl Future<Output = Result<Option<String>, S3Error>> + Send> {
        Unaudited::new(async move {
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
                            S3Error::Other(format!(
                                "the server named no ETag for copied part {number}"
                            ))
                        })?;
                    parts.push((number, etag));
                    start = end + 1;
                }
                self.complete_parts(bucket, key, &id, &parts).await
            }
            .await;
            if copied.is_err() {
                let _ = self.abort_multipart(bucket, key, &id).await;
            }
            copied
        })
    }
}
