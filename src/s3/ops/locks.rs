//! A version's lock: its retention read and set, its legal hold set.

use super::*;

impl S3 {
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
    pub fn set_retention(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        mode: RetentionMode,
        until: impl Into<RetainUntil>,
        bypass_governance: bool,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        let until: RetainUntil = until.into();
        Unaudited::new(async move {
            self.refuse_if_read_only("PutObjectRetention")?;
            let retention = ObjectLockRetention::builder()
                .mode(ObjectLockRetentionMode::from(mode.as_str()))
                .retain_until_date({
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
        })
    }

    pub fn set_legal_hold(
        &self,
        bucket: &str,
        key: &str,
        version_id: &str,
        on: bool,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }
}
