//! Reading a bucket's posture: versioning with MFA Delete, the lock configuration, lifecycle
//! rules, the policy, replication and default encryption, each answer kept apart as
//! configured, none configured, not supported by this server, access denied, or failed.

use super::error::FromSdk;
use super::{S3, S3Error};
use crate::domain::posture::{
    Answer, LifecycleRule, PolicySummary, Posture, RuleFilter, VersioningState,
};
use crate::domain::{BucketLock, Versioning};
use aws_sdk_s3::types::{BucketVersioningStatus, ExpirationStatus, MfaDeleteStatus};

/// Sorts a failed read: `none` names the codes that mean "nothing configured".
fn classify<T>(error: S3Error, none: &[&str]) -> Answer<T> {
    let code = error.code().unwrap_or_default().to_string();
    let status = match &error {
        S3Error::Service { status, .. } => *status,
        _ => None,
    };
    if none.contains(&code.as_str()) {
        return Answer::NoneConfigured;
    }
    // A server that does not know the subresource may ignore it and list the bucket instead
    // (Ceph RGW 16 does so for ?encryption): that is "not supported", not a broken answer.
    if let S3Error::Unreadable { detail, .. } = &error
        && detail.contains("ListBucketResult")
    {
        return Answer::NotSupported("it answered with a listing of the bucket instead".into());
    }
    if matches!(code.as_str(), "NotImplemented" | "MethodNotAllowed")
        || matches!(status, Some(501 | 405))
    {
        return Answer::NotSupported(error.to_string());
    }
    if code == "AccessDenied" || status == Some(403) {
        return Answer::Denied(error.to_string());
    }
    Answer::Failed(error.to_string())
}

impl S3 {
    /// Every part of the bucket's posture, read at once.
    pub async fn bucket_posture(&self, bucket: &str) -> Posture {
        let (versioning, lock, lifecycle, policy, policy_public, replication, encryption) = tokio::join!(
            self.versioning_state(bucket),
            self.bucket_lock(bucket),
            self.lifecycle_rules(bucket),
            self.policy_summary(bucket),
            self.policy_public(bucket),
            self.replication(bucket),
            self.encryption(bucket),
        );
        Posture {
            versioning,
            lock: match lock {
                Ok(l) => Answer::Configured(l),
                Err(e) => classify::<BucketLock>(e, &[]),
            },
            lifecycle,
            policy,
            policy_public,
            replication,
            encryption,
        }
    }

    async fn versioning_state(&self, bucket: &str) -> Answer<VersioningState> {
        match self
            .client
            .get_bucket_versioning()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Answer::Configured(VersioningState {
                status: match out.status() {
                    Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
                    Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
                    _ => Versioning::Never,
                },
                mfa_delete: out.mfa_delete().map(|m| *m == MfaDeleteStatus::Enabled),
            }),
            Err(e) => classify(S3Error::from_sdk(e), &[]),
        }
    }

    async fn lifecycle_rules(&self, bucket: &str) -> Answer<Vec<LifecycleRule>> {
        let out = match self
            .client
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => return classify(S3Error::from_sdk(e), &["NoSuchLifecycleConfiguration"]),
        };
        let rules: Vec<LifecycleRule> = out.rules().iter().map(lifecycle_rule).collect();
        if rules.is_empty() {
            Answer::NoneConfigured
        } else {
            Answer::Configured(rules)
        }
    }

    async fn policy_summary(&self, bucket: &str) -> Answer<PolicySummary> {
        match self.client.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => match out.policy() {
                Some(p) if !p.trim().is_empty() => Answer::Configured(PolicySummary::parse(p)),
                _ => Answer::NoneConfigured,
            },
            Err(e) => classify(S3Error::from_sdk(e), &["NoSuchBucketPolicy"]),
        }
    }

    async fn policy_public(&self, bucket: &str) -> Answer<bool> {
        match self
            .client
            .get_bucket_policy_status()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => match out.policy_status().and_then(|s| s.is_public()) {
                Some(public) => Answer::Configured(public),
                None => Answer::NoneConfigured,
            },
            Err(e) => classify(S3Error::from_sdk(e), &["NoSuchBucketPolicy"]),
        }
    }

    async fn replication(&self, bucket: &str) -> Answer<String> {
        match self
            .client
            .get_bucket_replication()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => {
                let rules = out
                    .replication_configuration()
                    .map(|c| c.rules().len())
                    .unwrap_or(0);
                if rules == 0 {
                    Answer::NoneConfigured
                } else {
                    Answer::Configured(format!("{rules} rule{}", if rules == 1 { "" } else { "s" }))
                }
            }
            Err(e) => classify(
                S3Error::from_sdk(e),
                &["ReplicationConfigurationNotFoundError"],
            ),
        }
    }

    async fn encryption(&self, bucket: &str) -> Answer<String> {
        match self
            .client
            .get_bucket_encryption()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => {
                let algorithms: Vec<String> = out
                    .server_side_encryption_configuration()
                    .map(|c| {
                        c.rules()
                            .iter()
                            .filter_map(|r| r.apply_server_side_encryption_by_default())
                            .map(|d| d.sse_algorithm().as_str().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                if algorithms.is_empty() {
                    Answer::NoneConfigured
                } else {
                    Answer::Configured(algorithms.join(", "))
                }
            }
            Err(e) => classify(
                S3Error::from_sdk(e),
                &["ServerSideEncryptionConfigurationNotFoundError"],
            ),
        }
    }
}

fn lifecycle_rule(r: &aws_sdk_s3::types::LifecycleRule) -> LifecycleRule {
    let mut filter = RuleFilter::default();
    #[allow(deprecated)]
    if let Some(p) = r.prefix() {
        filter.prefix = Some(p.to_string());
    }
    if let Some(f) = r.filter() {
        if let Some(p) = f.prefix() {
            filter.prefix = Some(p.to_string());
        }
        if let Some(t) = f.tag() {
            filter
                .tags
                .push((t.key().to_string(), t.value().to_string()));
        }
        filter.size_greater_than = f.object_size_greater_than();
        filter.size_less_than = f.object_size_less_than();
        if let Some(and) = f.and() {
            if let Some(p) = and.prefix() {
                filter.prefix = Some(p.to_string());
            }
            filter.tags.extend(
                and.tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string())),
            );
            filter.size_greater_than = filter.size_greater_than.or(and.object_size_greater_than());
            filter.size_less_than = filter.size_less_than.or(and.object_size_less_than());
        }
    }
    let expiration = r.expiration();
    let noncurrent = r.noncurrent_version_expiration();
    LifecycleRule {
        id: r.id().map(str::to_string),
        enabled: *r.status() == ExpirationStatus::Enabled,
        filter,
        expiration_days: expiration.and_then(|e| e.days()),
        expiration_date: expiration.and_then(|e| e.date()).map(|d| d.to_string()),
        expired_object_delete_marker: expiration
            .and_then(|e| e.expired_object_delete_marker())
            .unwrap_or(false),
        noncurrent_days: noncurrent.and_then(|n| n.noncurrent_days()),
        newer_noncurrent_versions: noncurrent.and_then(|n| n.newer_noncurrent_versions()),
        abort_incomplete_days: r
            .abort_incomplete_multipart_upload()
            .and_then(|a| a.days_after_initiation()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, status: u16) -> S3Error {
        S3Error::Service {
            code: code.into(),
            message: "m".into(),
            status: Some(status),
        }
    }

    #[test]
    fn none_configured_not_supported_denied_and_failed_are_told_apart() {
        let none = &["NoSuchLifecycleConfiguration"];
        assert_eq!(
            classify::<()>(service("NoSuchLifecycleConfiguration", 404), none),
            Answer::NoneConfigured
        );
        assert!(matches!(
            classify::<()>(service("NotImplemented", 501), none),
            Answer::NotSupported(_)
        ));
        assert!(matches!(
            classify::<()>(service("MethodNotAllowed", 405), none),
            Answer::NotSupported(_)
        ));
        assert!(matches!(
            classify::<()>(service("AccessDenied", 403), none),
            Answer::Denied(_)
        ));
        assert!(matches!(
            classify::<()>(
                S3Error::Unreadable {
                    status: 200,
                    detail: "expected X got ListBucketResult".into()
                },
                none
            ),
            Answer::NotSupported(_)
        ));
        assert!(matches!(
            classify::<()>(S3Error::Network("reset".into()), none),
            Answer::Failed(_)
        ));
        assert!(matches!(
            classify::<()>(service("InternalError", 500), none),
            Answer::Failed(_)
        ));
    }
}
