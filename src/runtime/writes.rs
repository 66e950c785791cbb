//! The writes, one named function each. Every one follows the rule in `Auditor`: the write is
//! sent once and audited before anything else, then the key or version is read back as the
//! answer requires, and the result goes to the UI as an action.

use super::auditor::Auditor;
use super::executor::read_back_if_unconfirmed;
use crate::app::{Action, BucketRequest, RequestId, SeenLatest};
use crate::domain::pages::DeleteOutcome;
use crate::domain::{RetentionMode, VersionRef};
use crate::s3::{S3, S3Error};
use crate::tasks;
use jiff::Timestamp;
use std::sync::Arc;

pub(super) async fn restore(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    marker_version_id: String,
) -> Action {
    let result = tasks::restore(s3, &bucket, &key, &marker_version_id).await;
    audit
        .record_restore((&bucket, &key, Some(&marker_version_id)), &result)
        .await;
    Action::Restored { request, result }
}

pub(super) async fn delete_object(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    seen: Option<SeenLatest>,
) -> Action {
    let result = match &seen {
        Some(seen) => tasks::recheck_latest(s3, &bucket, &key, seen).await,
        None => Ok(()),
    };
    let result = match result {
        Ok(()) => {
            let delete = s3.delete_object(&bucket, &key);
            let created = |d: &DeleteOutcome| d.version_id.clone();
            audit
                .write((&bucket, &key, None), "delete", delete, created)
                .await
        }
        Err(e) => {
            audit
                .record(
                    (&bucket, &key, None),
                    "delete",
                    &Err::<(), _>(e.clone()),
                    None,
                )
                .await;
            Err(e)
        }
    };
    let read_back = read_back_if_unconfirmed(s3, &result, &bucket, &key).await;
    Action::Deleted {
        request,
        bucket,
        key,
        result,
        read_back,
    }
}

pub(super) async fn delete_version(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    version: VersionRef,
    bypass: bool,
) -> Action {
    let v = &version;
    let action = if bypass {
        "delete-version-bypassing-governance"
    } else {
        "delete-version"
    };
    let delete = s3.delete_version_with(&v.bucket, &v.key, &v.version_id, bypass);
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let result = audit.write(target, action, delete, |_| None).await;
    // A refusal is explained from the lock as the server holds it now.
    let lock = match &result {
        Err(_) => Some(s3.head_version(&v.bucket, &v.key, &v.version_id).await),
        Ok(_) => None,
    };
    Action::VersionDeleted {
        request,
        version,
        result,
        lock,
    }
}

pub(super) async fn set_legal_hold(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    version: VersionRef,
    on: bool,
) -> Action {
    let v = &version;
    let action = if on {
        "legal-hold-on"
    } else {
        "legal-hold-off"
    };
    let hold = s3.set_legal_hold(&v.bucket, &v.key, &v.version_id, on);
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let set = audit.write(target, action, hold, |_| None).await;
    let result = match set {
        Ok(()) => s3.head_version(&v.bucket, &v.key, &v.version_id).await,
        Err(e) => Err(e),
    };
    Action::LegalHoldSet {
        request,
        version,
        on,
        result,
    }
}

pub(super) async fn copy_version(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    version: VersionRef,
    etag: Option<String>,
    size: Option<u64>,
    seen: Option<SeenLatest>,
) -> Action {
    let v = &version;
    let copy = tasks::restore_by_copy(s3, v, etag.as_deref(), size, seen.as_ref());
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let result = audit
        .write(target, "restore-by-copy", copy, |id| id.clone())
        .await;
    let read_back = read_back_if_unconfirmed(s3, &result, &v.bucket, &v.key).await;
    Action::VersionCopied {
        request,
        version,
        result,
        read_back,
    }
}

pub(super) async fn apply_bucket(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    asked: BucketRequest,
) -> Action {
    let a = &asked;
    let action = if a.create {
        "create-bucket"
    } else if a.enable_versioning_only {
        "enable-versioning"
    } else {
        "set-default-retention"
    };
    let apply = async {
        if a.create {
            s3.create_bucket(&a.bucket, a.location.as_deref(), a.object_lock)
                .await?;
        } else if a.enable_versioning_only {
            s3.enable_versioning(&a.bucket).await?;
        }
        if a.object_lock && (!a.create || a.default_retention.is_some()) {
            s3.set_default_retention(&a.bucket, a.default_retention.clone())
                .await?;
        }
        Ok::<(), S3Error>(())
    };
    let written = audit
        .write((&a.bucket, "", None), action, apply, |_| None)
        .await;
    let result = match written {
        Ok(()) => s3.bucket_details(&a.bucket).await,
        Err(e) => Err(e),
    };
    Action::BucketApplied {
        request,
        asked,
        result,
    }
}

pub(super) async fn set_retention(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    version: VersionRef,
    mode: RetentionMode,
    until: Timestamp,
    bypass: bool,
) -> Action {
    let v = &version;
    let action = format!(
        "retention-{}-until-{}{}",
        mode.as_str().to_ascii_lowercase(),
        until,
        if bypass { "-bypassing-governance" } else { "" }
    );
    let retention = s3.set_retention(
        &v.bucket,
        &v.key,
        &v.version_id,
        mode.clone(),
        until,
        bypass,
    );
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let set = audit.write(target, &action, retention, |_| None).await;
    // Verify: some servers store something else than was asked.
    let result = match set {
        Ok(()) => s3.head_version(&v.bucket, &v.key, &v.version_id).await,
        Err(e) => Err(e),
    };
    Action::RetentionSet {
        request,
        version,
        requested: (mode, until),
        result,
    }
}

/// An upload from a local file, with progress; audited as one write.
pub(super) async fn upload(
    s3: &S3,
    audit: &Auditor,
    request: RequestId,
    upload: crate::domain::transfer::UploadRequest,
    progress: impl FnMut(u64, Option<u64>) + Send + 'static,
) -> Action {
    let put = tasks::upload(s3, &upload, progress);
    let target = (upload.bucket.as_str(), upload.key.as_str(), None);
    let result = audit
        .write(target, "upload", put, |u| u.version_id.clone())
        .await;
    Action::Uploaded {
        request,
        upload,
        result,
    }
}

/// A bulk undelete the user confirmed: each key through `undelete::execute` (markers
/// re-checked, nothing resent), audited and reported as it finishes; `cancel` starts no
/// further key.
pub(super) async fn run_bulk(
    s3: &S3,
    audit: &Auditor,
    reply: &super::executor::Reply,
    request: RequestId,
    bucket: String,
    plans: &[crate::domain::undelete::KeyPlan],
    cancel: &std::sync::atomic::AtomicBool,
) {
    let tally = crate::undelete::execute(s3, &bucket, plans, cancel, |plan, outcome| {
        if let Some(entry) =
            crate::undelete::audit_entry(&audit.endpoint, &bucket, plan, outcome, None)
        {
            audit.append(entry);
        }
        reply.send(Action::BulkKeyDone {
            request,
            key: plan.key.clone(),
            outcome: outcome.clone(),
        });
    })
    .await;
    reply.send(Action::BulkFinished { request, tally });
}
