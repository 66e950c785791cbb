//! Runs each effect: the one place that spawns work on the S3 layer, the tasks and the disk,
//! and sends what came back as actions. Stale replies are dropped by the app.

use super::auditor::Auditor;
use super::writes;
use crate::app::{Action, Effect, LevelPage, RequestId, Resume};
use crate::audit::{self};
use crate::domain::history;
use crate::s3::S3Error;
use crate::s3::{ObjectPager, S3, VersionPager};
use crate::tasks;
use crate::undelete;
use jiff::Timestamp;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

/// HEAD requests for lock details in flight at once, at first. The versions pane asks for all
/// its visible rows together; the limit grows so that they take at most `LOCK_ROUNDS` round
/// trips, up to `LOCK_CONCURRENCY_MAX` (a pane taller than 3 × 64 rows takes a little longer).
pub(super) const LOCK_CONCURRENCY: usize = 8;
const LOCK_ROUNDS: usize = 3;
const LOCK_CONCURRENCY_MAX: usize = 64;
/// Bucket detail requests in flight at once.
pub(super) const DETAIL_CONCURRENCY: usize = 8;

pub(super) struct Executor {
    pub(super) s3: S3,
    pub(super) audit: Auditor,
    pub(super) tx: mpsc::UnboundedSender<Action>,
    pub(super) running: HashMap<RequestId, AbortHandle>,
    pub(super) heads: Arc<Semaphore>,
    /// How many permits `heads` holds in all.
    pub(super) head_permits: usize,
    pub(super) details: Arc<Semaphore>,
    /// Running bulk undeletes: setting the flag starts no further key.
    pub(super) bulk_cancels: HashMap<RequestId, Arc<AtomicBool>>,
}

impl Executor {
    pub(super) fn spawn<F>(&mut self, request: Option<RequestId>, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(work);
        self.running.retain(|_, h| !h.is_finished());
        if let Some(r) = request {
            self.running.insert(r, handle.abort_handle());
        }
    }

    pub(super) fn run(&mut self, effect: Effect) {
        tracing::debug!(?effect, "effect");
        let s3 = self.s3.clone();
        let tx = self.tx.clone();
        // A send fails only once the UI has quit; nothing is left to tell then.
        let send = move |a: Action| {
            let _ = tx.send(a);
        };
        match effect {
            // The terminal's own: handled by the run loop.
            Effect::Quit
            | Effect::Suspend
            | Effect::Redraw
            | Effect::Clipboard(_)
            | Effect::MouseCapture(_) => {}
            Effect::Cancel(request) => {
                if let Some(h) = self.running.remove(&request) {
                    h.abort();
                }
            }
            Effect::PlanBulk {
                request,
                bucket,
                targets,
                after,
            } => self.spawn(Some(request), async move {
                let progress = |keys| send(Action::BulkPlanProgress { request, keys });
                let result = undelete::plan_targets(&s3, &bucket, &targets, after, progress).await;
                send(Action::BulkPlanned { request, result });
            }),
            Effect::RunBulk {
                request,
                bucket,
                plans,
            } => {
                let cancel = Arc::new(AtomicBool::new(false));
                self.bulk_cancels.retain(|_, c| Arc::strong_count(c) > 1);
                self.bulk_cancels.insert(request, cancel.clone());
                let audit = self.audit.clone();
                // Not abortable by request: keys under way must finish and be reported.
                self.spawn(None, async move {
                    let tally =
                        undelete::execute(&s3, &bucket, &plans, &cancel, |plan, outcome| {
                            if let Some(entry) =
                                undelete::audit_entry(&audit.endpoint, &bucket, plan, outcome)
                            {
                                audit.append(entry);
                            }
                            send(Action::BulkKeyDone {
                                request,
                                key: plan.key.clone(),
                                outcome: outcome.clone(),
                            });
                        })
                        .await;
                    send(Action::BulkFinished { request, tally });
                })
            }
            Effect::BuildReport {
                request,
                bucket,
                prefix,
            } => {
                let endpoint = self.audit.endpoint.clone();
                self.spawn(Some(request), async move {
                    let location = crate::domain::location::S3Location {
                        bucket: bucket.clone(),
                        prefix,
                    };
                    let built = crate::report::build(
                        &s3,
                        &endpoint,
                        &location,
                        crate::report::Format::Markdown,
                        &mut std::io::sink(),
                        |versions| send(Action::ReportProgress { request, versions }),
                    )
                    .await;
                    let result = built.map_err(|e| e.to_string()).map(|c| {
                        let at = c.taken_at.parse().unwrap_or_else(|_| Timestamp::now());
                        (c.markdown(), crate::app::report_file_name(&bucket, at))
                    });
                    send(Action::ReportBuilt { request, result });
                })
            }
            Effect::SaveReport {
                request,
                file_name,
                text,
            } => self.spawn(None, async move {
                let written = tokio::task::spawn_blocking(move || {
                    use std::io::Write;
                    let path = std::env::current_dir()
                        .map_err(|e| e.to_string())?
                        .join(&file_name);
                    // create_new: an existing file is never replaced.
                    let mut file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                    file.write_all(text.as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    Ok(path.display().to_string())
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r);
                send(Action::ReportSaved {
                    request,
                    result: written,
                });
            }),
            Effect::CancelBulk { request } => {
                if let Some(cancel) = self.bulk_cancels.get(&request) {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
            Effect::ListBuckets { request } => self.spawn(Some(request), async move {
                let result = s3.list_buckets().await;
                send(Action::BucketsLoaded { request, result });
            }),
            Effect::LoadBucketDetails { request, bucket } => {
                let permits = self.details.clone();
                self.spawn(Some(request), async move {
                    let Ok(_permit) = permits.acquire_owned().await else {
                        return;
                    };
                    let result = s3.bucket_details(&bucket).await;
                    send(Action::BucketDetails { bucket, result });
                })
            }
            Effect::ListLevel {
                request,
                bucket,
                prefix,
                deleted,
                from,
            } => self.spawn(Some(request), async move {
                if deleted {
                    let marker = match from {
                        Some(Resume::Marker(m)) => Some(m),
                        _ => None,
                    };
                    let mut pager =
                        VersionPager::new(&s3, &bucket, &prefix, Some("/")).resume_from(marker);
                    while let Some(page) = pager.next_page().await {
                        let more = matches!(&page, Ok(p) if p.next.is_some());
                        send(Action::LevelPage {
                            request,
                            result: page.map(LevelPage::Versions),
                            more,
                        });
                    }
                } else {
                    let token = match from {
                        Some(Resume::Token(t)) => Some(t),
                        _ => None,
                    };
                    let mut pager =
                        ObjectPager::new(&s3, &bucket, &prefix, Some("/")).resume_from(token);
                    while let Some(page) = pager.next_page().await {
                        let more = matches!(&page, Ok(p) if p.next_token.is_some());
                        send(Action::LevelPage {
                            request,
                            result: page.map(LevelPage::Objects),
                            more,
                        });
                    }
                }
            }),
            Effect::ListVersions {
                request,
                bucket,
                key,
            } => self.spawn(Some(request), async move {
                let mut pager = VersionPager::new(&s3, &bucket, &key, None);
                while let Some(page) = pager.next_page().await {
                    match page {
                        Ok(mut page) => {
                            // Keys sharing the prefix are not this key's history; once a
                            // greater key shows up, the history is complete.
                            let past = history::passes_key(&page.versions, &page.markers, &key);
                            page.versions.retain(|e| *e.key == *key);
                            page.markers.retain(|e| *e.key == *key);
                            let more = page.next.is_some() && !past;
                            send(Action::VersionsPage {
                                request,
                                result: Ok(page),
                                more,
                            });
                            if !more {
                                break;
                            }
                        }
                        Err(e) => {
                            send(Action::VersionsPage {
                                request,
                                result: Err(e),
                                more: false,
                            });
                            break;
                        }
                    }
                }
            }),
            Effect::HeadVersions { versions } => {
                let wanted = versions
                    .len()
                    .div_ceil(LOCK_ROUNDS)
                    .min(LOCK_CONCURRENCY_MAX);
                if wanted > self.head_permits {
                    self.heads.add_permits(wanted - self.head_permits);
                    self.head_permits = wanted;
                }
                for version in versions {
                    let (s3, permits, tx) = (self.s3.clone(), self.heads.clone(), self.tx.clone());
                    self.spawn(None, async move {
                        let Ok(_permit) = permits.acquire_owned().await else {
                            return;
                        };
                        let result = s3
                            .head_version(&version.bucket, &version.key, &version.version_id)
                            .await;
                        let _ = tx.send(Action::LockLoaded { version, result });
                    });
                }
            }
            Effect::PlanRestore {
                request,
                bucket,
                key,
            } => self.spawn(Some(request), async move {
                let result = s3.key_history(&bucket, &key).await;
                send(Action::RestorePlanned {
                    request,
                    bucket,
                    key,
                    result,
                });
            }),
            Effect::PlanDelete {
                request,
                bucket,
                key,
            } => self.spawn(Some(request), async move {
                let result = s3.key_history(&bucket, &key).await;
                send(Action::DeletePlanned {
                    request,
                    bucket,
                    key,
                    result,
                });
            }),
            Effect::Restore {
                request,
                bucket,
                key,
                marker_version_id,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(
                        writes::restore(&s3, &audit, request, bucket, key, marker_version_id).await,
                    )
                })
            }
            Effect::DeleteObject {
                request,
                bucket,
                key,
                seen,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(writes::delete_object(&s3, &audit, request, bucket, key, seen).await)
                })
            }
            Effect::DeleteVersion {
                request,
                version,
                bypass,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(writes::delete_version(&s3, &audit, request, version, bypass).await)
                })
            }
            Effect::SetLegalHold {
                request,
                version,
                on,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(writes::set_legal_hold(&s3, &audit, request, version, on).await)
                })
            }
            Effect::CopyVersion {
                request,
                version,
                etag,
                size,
                seen,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(
                        writes::copy_version(&s3, &audit, request, version, etag, size, seen).await,
                    )
                })
            }
            Effect::CompletePath { input } => self.spawn(None, async move {
                let listed = input.clone();
                let result =
                    tokio::task::spawn_blocking(move || tasks::list_for_completion(&listed))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r);
                send(Action::PathCompleted { input, result });
            }),
            Effect::CompleteDirectory { input } => self.spawn(None, async move {
                let listed = input.clone();
                let result =
                    tokio::task::spawn_blocking(move || tasks::list_dirs_for_completion(&listed))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r);
                send(Action::DirectoryCompleted { input, result });
            }),
            Effect::Download { request, download } => {
                let progress = progress_reporter(self.tx.clone(), request);
                self.spawn(Some(request), async move {
                    let result = tasks::download(&s3, &download, progress).await;
                    send(Action::Downloaded {
                        request,
                        download,
                        result,
                    });
                })
            }
            Effect::Upload { request, upload } => {
                let audit = self.audit.clone();
                let progress = progress_reporter(self.tx.clone(), request);
                self.spawn(Some(request), async move {
                    let put = tasks::upload(&s3, &upload, progress);
                    let target = (upload.bucket.as_str(), upload.key.as_str(), None);
                    let result = audit
                        .write(target, "upload", put, |u| u.version_id.clone())
                        .await;
                    send(Action::Uploaded {
                        request,
                        upload,
                        result,
                    });
                })
            }
            Effect::ApplyBucket { request, asked } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(writes::apply_bucket(&s3, &audit, request, asked).await)
                })
            }
            Effect::SetRetention {
                request,
                version,
                mode,
                until,
                bypass,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    send(
                        writes::set_retention(&s3, &audit, request, version, mode, until, bypass)
                            .await,
                    )
                })
            }
            Effect::LoadBucketInfo { request, bucket } => self.spawn(Some(request), async move {
                let (details, location) =
                    tokio::join!(s3.bucket_details(&bucket), s3.bucket_location(&bucket));
                let result = details.and_then(|d| location.map(|l| (d, l)));
                send(Action::BucketInfo {
                    request,
                    bucket,
                    result,
                });
            }),
            Effect::LoadObjectInfo {
                request,
                bucket,
                key,
                version_id,
            } => self.spawn(Some(request), async move {
                let result = s3.head(&bucket, &key, version_id.as_deref()).await;
                send(Action::ObjectInfo {
                    request,
                    bucket,
                    key,
                    result,
                });
            }),
            Effect::LoadAudit => {
                let path = self.audit.path.clone();
                self.spawn(None, async move {
                    let result = match path {
                        Some(p) => tokio::task::spawn_blocking(move || audit::read_last(&p, 1000))
                            .await
                            .map_err(|e| e.to_string())
                            .and_then(|r| r.map_err(|e| e.to_string())),
                        None => Err("no data directory is known for this user".into()),
                    };
                    send(Action::AuditLoaded { result });
                })
            }
        }
    }
}

/// The key's history, read back after a write the server did not confirm (its answer was
/// lost or it failed with a 5xx): the write is never sent again, what happened is shown.
pub(super) async fn read_back_if_unconfirmed<T>(
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

/// Reports a transfer's progress to the UI: at most ten times a second, and always the end.
pub(super) fn progress_reporter(
    tx: mpsc::UnboundedSender<Action>,
    request: RequestId,
) -> impl FnMut(u64, Option<u64>) + Send + 'static {
    let mut last: Option<std::time::Instant> = None;
    move |done, total| {
        let due = last.is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
        if due || Some(done) == total {
            last = Some(std::time::Instant::now());
            let _ = tx.send(Action::TransferProgress {
                request,
                done,
                total,
            });
        }
    }
}
