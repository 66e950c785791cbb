//! Buckets: who these credentials are, the buckets, their versioning, Object Lock settings,
//! location and lifecycle, and the writes that create and configure them.

use super::listings::Owners;
use super::*;

impl S3 {
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
    pub fn create_bucket(
        &self,
        bucket: &str,
        location: Option<&str>,
        object_lock: bool,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }

    /// Sets one lifecycle rule that deletes the noncurrent versions under `prefix` `days` after
    /// they become noncurrent (replacing the bucket's lifecycle configuration). Used to seed
    /// the demonstration buckets.
    pub fn expire_noncurrent_versions(
        &self,
        bucket: &str,
        rule_id: &str,
        prefix: &str,
        days: i32,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }

    /// Deletes an empty bucket (the server refuses one that holds anything: BucketNotEmpty).
    pub fn delete_bucket(
        &self,
        bucket: &str,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }

    pub fn enable_versioning(
        &self,
        bucket: &str,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
            self.put_versioning(bucket, BucketVersioningStatus::Enabled)
                .await
        })
    }

    /// Refused by the server on a bucket with Object Lock.
    pub fn suspend_versioning(
        &self,
        bucket: &str,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
            self.put_versioning(bucket, BucketVersioningStatus::Suspended)
                .await
        })
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
    pub fn set_default_retention(
        &self,
        bucket: &str,
        retention: Option<(RetentionMode, RetentionPeriod)>,
    ) -> Unaudited<impl Future<Output = Result<(), S3Error>> + Send> {
        Unaudited::new(async move {
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
        })
    }
}
