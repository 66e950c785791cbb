//! The writes, one named function each. Every one follows the trail's rule (`audit::Trail`):
//! the write is sent once and audited before anything else, then the key or version is read
//! back as the answer requires, and the result goes to the UI as an action.

use crate::app::{Action, BucketRequest, RequestId, SeenLatest};
use crate::audit::{Outcome, Record, Trail, Write, record};
use crate::domain::pages::DeleteOutcome;
use crate::domain::{RetentionMode, VersionRef};
use crate::s3::{S3, S3Error};
use crate::work::tasks;
use jiff::Timestamp;
use std::sync::Arc;

pub(super) async fn restore(
    s3: &S3,
    trail: &Trail,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    marker_version_id: String,
) -> Action {
    let what = Write::Restore;
    let result = tasks::restore(s3, trail, what, &bucket, &key, &marker_version_id).await;
    Action::Restored { request, result }
}

pub(super) async fn delete_object(
    s3: &S3,
    trail: &Trail,
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
            trail
                .write((&bucket, &key, None), Write::Delete, delete, created)
                .await
        }
        Err(e) => {
            let (outcome, error_code) = Outcome::of(&Err::<(), _>(e.clone()));
            let kept = Record {
                outcome,
                error_code,
                ..record((&bucket, &key, None), Write::Delete)
            };
            trail.append(kept).await;
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
    trail: &Trail,
    request: RequestId,
    version: VersionRef,
    bypass: bool,
) -> Action {
    let v = &version;
    let action = Write::DeleteVersion {
        bypass_governance: bypass,
    };
    let delete = s3.delete_version_with(&v.bucket, &v.key, &v.version_id, bypass);
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let result = trail.write(target, action, delete, |_| None).await;
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
    trail: &Trail,
    request: RequestId,
    version: VersionRef,
    on: bool,
) -> Action {
    let v = &version;
    let action = Write::LegalHold { on };
    let hold = s3.set_legal_hold(&v.bucket, &v.key, &v.version_id, on);
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let set = trail.write(target, action, hold, |_| None).await;
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
    trail: &Trail,
    request: RequestId,
    version: VersionRef,
    etag: Option<String>,
    size: Option<u64>,
    seen: Option<SeenLatest>,
) -> Action {
    let v = &version;
    let what = Write::RestoreByCopy;
    let result =
        tasks::restore_by_copy(s3, trail, what, v, etag.as_deref(), size, seen.as_ref()).await;
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
    trail: &Trail,
    request: RequestId,
    asked: BucketRequest,
) -> Action {
    let a = &asked;
    let bucket = (a.bucket.as_str(), "", None);
    let written = async {
        if a.create {
            let create = s3.create_bucket(&a.bucket, a.location.as_deref(), a.object_lock);
            trail
                .write(bucket, Write::CreateBucket, create, |_| None)
                .await?;
        } else if a.enable_versioning_only {
            let enable = s3.enable_versioning(&a.bucket);
            trail
                .write(bucket, Write::EnableVersioning, enable, |_| None)
                .await?;
        }
        if a.object_lock && (!a.create || a.default_retention.is_some()) {
            let set = s3.set_default_retention(&a.bucket, a.default_retention.clone());
            trail
                .write(bucket, Write::SetDefaultRetention, set, |_| None)
                .await?;
        }
        Ok::<(), S3Error>(())
    }
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
    trail: &Trail,
    request: RequestId,
    version: VersionRef,
    mode: RetentionMode,
    until: Timestamp,
    bypass: bool,
) -> Action {
    let v = &version;
    let action = Write::Retention {
        mode: mode.clone(),
        until,
        bypass_governance: bypass,
    };
    let retention = s3.set_retention(
        &v.bucket,
        &v.key,
        &v.version_id,
        mode.clone(),
        until,
        bypass,
    );
    let target = (v.bucket.as_str(), &*v.key, Some(v.version_id.as_str()));
    let set = trail.write(target, action, retention, |_| None).await;
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
    trail: &Trail,
    request: RequestId,
    upload: crate::domain::transfer::UploadRequest,
    progress: impl FnMut(u64, Option<u64>) + Send + 'static,
) -> Action {
    let result = tasks::upload(s3, trail, &upload, progress).await;
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
    trail: &Trail,
    reply: &super::Reply,
    request: RequestId,
    bucket: String,
    plans: &[crate::domain::undelete::KeyPlan],
    cancel: &std::sync::atomic::AtomicBool,
) {
    let tally =
        crate::work::undelete::execute(s3, trail, &bucket, plans, cancel, |plan, outcome| {
            reply.send(Action::BulkKeyDone {
                request,
                key: plan.key.clone(),
                outcome: outcome.clone(),
            });
        })
        .await;
    reply.send(Action::BulkFinished { request, tally });
}

/// The key's history, read back after a write the server did not confirm (its answer was
/// lost or it failed with a 5xx): the write is never sent again, what happened is shown.
async fn read_back_if_unconfirmed<T>(
    s3: &S3,
    result: &Result<T, S3Error>,
    bucket: &str,
    key: &str,
) -> Option<Result<Vec<crate::domain::HistoryEntry>, S3Error>> {
    match result {
        Err(e) if e.outcome_unknown() => Some(s3.key_history(bucket, key).await),
        _ => None,
    }
}
