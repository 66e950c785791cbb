//! `lockwatch report`: the lock-coverage report of a bucket or prefix. Lists every version,
//! reads each one's lock with HEAD (32 at a time, in listing order), and writes Markdown (for
//! an auditor), JSON (for tools) or CSV (one row per version and delete marker).

use crate::domain::location::S3Location;
use crate::domain::report::{CSV_HEADER, Coverage, csv_row};
use crate::domain::{HistoryEntry, LockInfo};
use crate::s3::{S3, S3Error, VersionPager};
use futures::StreamExt;
use jiff::Timestamp;
use std::io::Write;

/// HEAD requests in flight at once.
pub const HEAD_CONCURRENCY: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Markdown,
    Json,
    Csv,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("listing the versions failed after {versions} versions: {error}")]
    Listing { error: S3Error, versions: u64 },
    #[error("cannot write the report: {0}")]
    Output(std::io::Error),
}

/// Builds the report; writes CSV rows to `out` as they come (the other formats are written
/// by the caller from the returned coverage). `progress(versions)` is called per page.
pub async fn build(
    s3: &S3,
    endpoint: &str,
    location: &S3Location,
    format: Format,
    out: &mut impl Write,
    mut progress: impl FnMut(u64),
) -> Result<Coverage, ReportError> {
    let bucket = &location.bucket;
    // Read first: the answers also tell the server's clock.
    let versioning = s3.bucket_versioning(bucket).await.ok();
    let lock = s3.bucket_lock(bucket).await.ok();
    let local = Timestamp::now();
    let offset = s3.server_clock_offset();
    let now = offset
        .and_then(|o| local.checked_add(o).ok())
        .unwrap_or(local);
    let mut coverage = Coverage::new(bucket, &location.prefix, endpoint, now, local, offset);
    coverage.set_bucket(versioning, lock.as_ref());
    let no_lock = lock == Some(crate::domain::BucketLock::Disabled);
    coverage.locks_not_read = no_lock;
    coverage.posture = Some(crate::domain::posture::summarize(
        &s3.bucket_posture(bucket).await,
    ));
    if format == Format::Csv {
        writeln!(out, "{CSV_HEADER}").map_err(ReportError::Output)?;
    }
    let mut pager = VersionPager::new(s3, bucket, &location.prefix, None);
    while let Some(page) = pager.next_page().await {
        let page = page.map_err(|error| ReportError::Listing {
            error,
            versions: coverage.versions,
        })?;
        // Server order: by key, newest first.
        let entries: Vec<HistoryEntry> =
            crate::domain::history::merge_page(page.versions, page.markers);
        // Owned inputs: the futures must not borrow the page (the runtime moves them across
        // threads).
        // Without Object Lock no version can carry a retention or a legal hold (S3 refuses
        // both there): no HEAD can say anything, so none is sent.
        let heads: Vec<(std::sync::Arc<str>, String)> = if no_lock {
            Vec::new()
        } else {
            entries
                .iter()
                .filter(|e| !e.is_delete_marker())
                .map(|e| (e.key.clone(), e.version_id.clone()))
                .collect()
        };
        let mut heads = futures::stream::iter(heads)
            .map(|(key, version_id)| {
                let (s3, bucket) = (s3.clone(), bucket.clone());
                async move {
                    s3.head_version(&bucket, &key, &version_id)
                        .await
                        .map_err(|err| err.to_string())
                }
            })
            .buffered(HEAD_CONCURRENCY)
            .collect::<Vec<Result<LockInfo, String>>>()
            .await
            .into_iter();
        let locks: Vec<Option<Result<LockInfo, String>>> = entries
            .iter()
            .map(|e| {
                if e.is_delete_marker() {
                    None
                } else if no_lock {
                    Some(Ok(LockInfo::default()))
                } else {
                    heads.next()
                }
            })
            .collect();
        for (entry, lock) in entries.iter().zip(locks) {
            let protection = match &lock {
                Some(l) => Some(coverage.add_version(entry, l)),
                None => {
                    coverage.add_marker(entry);
                    None
                }
            };
            if format == Format::Csv {
                writeln!(out, "{}", csv_row(entry, lock.as_ref(), protection))
                    .map_err(ReportError::Output)?;
            }
        }
        progress(coverage.versions);
    }
    out.flush().map_err(ReportError::Output)?;
    Ok(coverage)
}
