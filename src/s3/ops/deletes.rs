//! Deletes: a delete marker added, one version removed, or many in one DeleteObjects.

use super::*;

impl S3 {
    /// Deletes the current object: on a versioned bucket this adds a delete marker.
    pub fn delete_object(
        &self,
        bucket: &str,
        key: &str,
    ) -> Unaudited<impl Future<Output = Result<DeleteOutcome, S3Error>> + Send> {
        Unaudited::new(async move { self.delete(bucket, key, None, false).await })
    }

    /// Removes one version or delete marker for good (refused by the server while locked).
    pub fn delete_version(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
    ) -> Unaudited<impl Future<Output = Result<DeleteOutcome, S3Error>> + Send> {
        Unaudited::new(async move { self.delete(bucket, key, Some(version_id), false).await })
    }

    /// `delete_version`, optionally sending `x-amz-bypass-governance-retention: true`.
    pub fn delete_version_with(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        bypass_governance: bool,
    ) -> Unaudited<impl Future<Output = Result<DeleteOutcome, S3Error>> + Send> {
        Unaudited::new(async move {
            self.delete(bucket, key, Some(version_id), bypass_governance)
                .await
        })
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

    /// Deletes several versions in one DeleteObjects request; the server answers per key.
    /// Returns, for each requested version, `Ok` or the server's error for that key.
    pub fn delete_versions(
        &self,
        bucket: &str,
        versions: &[(String, String)],
        bypass_governance: bool,
    ) -> Unaudited<impl Future<Output = Result<Vec<Result<(), S3Error>>, S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }
}
