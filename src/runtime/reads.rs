//! The effects that read: one function each, from the request to the action(s) that carry
//! the answer back. Listings send a page at a time; the rest send one action. Nothing here
//! writes to the server.

use super::Reply;
use crate::app::{Action, LevelPage, RequestId, Resume};
use crate::domain::VersionRef;
use crate::domain::history;
use crate::domain::location::S3Location;
use crate::domain::transfer::DownloadRequest;
use crate::domain::undelete::Targets;
use crate::s3::{ObjectPager, S3, VersionPager};
use jiff::Timestamp;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub(super) async fn list_buckets(s3: S3, request: RequestId) -> Action {
    let result = s3.list_buckets().await;
    Action::BucketsLoaded { request, result }
}

/// One bucket's versioning and lock configuration, for the buckets pane; `permits` keeps a
/// long list of buckets from asking about all of them at once.
pub(super) async fn bucket_details(
    s3: S3,
    permits: Arc<Semaphore>,
    bucket: String,
) -> Option<Action> {
    let _permit = permits.acquire_owned().await.ok()?;
    let result = s3.bucket_details(&bucket).await;
    Some(Action::BucketDetails { bucket, result })
}

/// What `i` shows about a bucket: its details, its location and its posture, read together.
pub(super) async fn bucket_info(s3: S3, request: RequestId, bucket: String) -> Action {
    let (details, location, posture) = tokio::join!(
        s3.bucket_details(&bucket),
        s3.bucket_location(&bucket),
        s3.bucket_posture(&bucket)
    );
    let result = details.and_then(|d| location.map(|l| (d, l)));
    Action::BucketInfo {
        request,
        bucket,
        result,
        posture: Some(crate::domain::posture::Summary::of(&posture)),
    }
}

/// What `i` shows about an object or one of its versions (a HEAD).
pub(super) async fn object_info(
    s3: S3,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
    version_id: Option<String>,
) -> Action {
    let result = s3.head(&bucket, &key, version_id.as_deref()).await;
    Action::ObjectInfo {
        request,
        bucket,
        key,
        result,
    }
}

/// One folder level of the objects pane, page by page: the current objects, or (`deleted`)
/// every version and delete marker, so that hidden files can be shown. `from` resumes a
/// listing that was stopped.
pub(super) async fn list_level(
    s3: S3,
    reply: Reply,
    request: RequestId,
    location: S3Location,
    deleted: bool,
    from: Option<Resume>,
) {
    let S3Location { bucket, prefix } = location;
    if deleted {
        let marker = match from {
            Some(Resume::Marker(m)) => Some(m),
            _ => None,
        };
        let mut pager = VersionPager::new(&s3, &bucket, &prefix, Some("/")).resume_from(marker);
        while let Some(page) = pager.next_page().await {
            let more = matches!(&page, Ok(p) if p.next.is_some());
            reply.send(Action::LevelPage {
                request,
                result: page.map(LevelPage::Versions),
                more,
            });
        }
    } else {
        let (token, after) = match from {
            Some(Resume::Token { token, after }) => (Some(token), after),
            _ => (None, None),
        };
        let mut pager = ObjectPager::new(&s3, &bucket, &prefix, Some("/"));
        // Where it stood: the guard checks that the listing goes on from there (the token
        // alone says nothing a guard can read).
        if let Some(after) = &after {
            pager.start_after_key(after);
        }
        let mut pager = pager.resume_from(token);
        while let Some(page) = pager.next_page().await {
            let more = matches!(&page, Ok(p) if p.next_token.is_some());
            reply.send(Action::LevelPage {
                request,
                result: page.map(LevelPage::Objects),
                more,
            });
        }
    }
}

/// One key's versions and delete markers, page by page, until a greater key shows up.
pub(super) async fn list_versions(
    s3: S3,
    reply: Reply,
    request: RequestId,
    bucket: String,
    key: Arc<str>,
) {
    let mut pager = VersionPager::new(&s3, &bucket, &key, None);
    while let Some(page) = pager.next_page().await {
        match page {
            Ok(mut page) => {
                // Keys sharing the prefix are not this key's history; once a greater key shows
                // up, the history is complete.
                let past = history::passes_key(&page.versions, &page.markers, &key);
                page.versions.retain(|e| *e.key == *key);
                page.markers.retain(|e| *e.key == *key);
                let more = page.next.is_some() && !past;
                reply.send(Action::VersionsPage {
                    request,
                    result: Ok(page),
                    more,
                });
                if !more {
                    break;
                }
            }
            Err(e) => {
                reply.send(Action::VersionsPage {
                    request,
                    result: Err(e),
                    more: false,
                });
                break;
            }
        }
    }
}

/// The lock of one version (a HEAD), once `permits` lets it go.
pub(super) async fn head_version(
    s3: S3,
    permits: Arc<Semaphore>,
    version: VersionRef,
) -> Option<Action> {
    let _permit = permits.acquire_owned().await.ok()?;
    let result = s3
        .head_version(&version.bucket, &version.key, &version.version_id)
        .await;
    Some(Action::LockLoaded { version, result })
}

/// The key's whole history, read before `r` or `d` asks for confirmation.
pub(super) async fn key_history(
    s3: &S3,
    bucket: &str,
    key: &str,
) -> Result<Vec<crate::domain::HistoryEntry>, crate::s3::S3Error> {
    s3.key_history(bucket, key).await
}

/// The plan for a bulk undelete of marked keys and folders (nothing is sent), with progress.
pub(super) async fn plan_bulk(
    s3: S3,
    reply: Reply,
    request: RequestId,
    bucket: String,
    targets: Targets,
    after: Option<Timestamp>,
) {
    let progress = |keys| reply.send(Action::BulkPlanProgress { request, keys });
    let result = crate::work::undelete::plan_targets(&s3, &bucket, &targets, after, progress).await;
    reply.send(Action::BulkPlanned { request, result });
}

/// The evidence report for `P`, with progress; it is kept as Markdown until `s` saves it.
pub(super) async fn build_report(
    s3: S3,
    reply: Reply,
    request: RequestId,
    endpoint: String,
    location: S3Location,
    taken_by: String,
) {
    let built = crate::work::report::build(
        &s3,
        &endpoint,
        &location,
        crate::work::report::Options::new(crate::work::report::Format::Markdown),
        &mut std::io::sink(),
        |p| {
            reply.send(Action::ReportProgress {
                request,
                versions: p.versions,
            })
        },
    )
    .await;
    let result = built.map_err(|e| e.to_string()).map(|mut c| {
        c.taken_by = Some(taken_by);
        let at = c.taken_at.parse().unwrap_or_else(|_| Timestamp::now());
        (
            c.markdown(),
            crate::app::report_file_name(&location.bucket, at),
        )
    });
    reply.send(Action::ReportBuilt { request, result });
}

/// Saves one version to a local file, with progress (`tasks::download` guards the file).
pub(super) async fn download(
    s3: S3,
    request: RequestId,
    download: DownloadRequest,
    progress: impl FnMut(u64, Option<u64>) + Send + 'static,
) -> Action {
    let result = crate::work::tasks::download(&s3, &download, progress).await;
    Action::Downloaded {
        request,
        download,
        result,
    }
}
