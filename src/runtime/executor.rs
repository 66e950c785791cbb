//! Runs each effect: the one place that spawns work on the S3 layer, the tasks and the disk,
//! and sends what came back as actions. Stale replies are dropped by the app.

use super::{Reply, local, reads, writes};
use crate::app::{Action, Effect, RequestId};
use crate::audit::Trail;
use crate::domain::location::S3Location;
use crate::s3::S3;
use std::collections::HashMap;
use std::path::Path;
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
/// Pages of versions a folder's probe reads at most, as of a time, before saying it could not
/// decide (a folder of a million versions created after the time would otherwise be read
/// whole for one mark).
const PROBE_PAGES: usize = 20;
/// Bucket detail requests in flight at once.
pub(super) const DETAIL_CONCURRENCY: usize = 8;

pub(super) struct Executor {
    pub(super) s3: S3,
    pub(super) trail: Trail,
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

    /// Spawns work whose one answer goes back to the UI.
    fn answer<F>(&mut self, request: Option<RequestId>, work: F)
    where
        F: Future<Output = Action> + Send + 'static,
    {
        let reply = self.reply();
        self.spawn(request, async move { reply.send(work.await) });
    }

    fn reply(&self) -> Reply {
        Reply(self.tx.clone())
    }

    /// One arm per effect: what it spawns, and whether Esc (a `Cancel` of its request) may
    /// stop it. Writes are never abortable: what was sent must be audited and reported.
    pub(super) fn run(&mut self, effect: Effect) {
        tracing::debug!(?effect, "effect");
        let s3 = self.s3.clone();
        let reply = self.reply();
        let trail = self.trail.clone();
        match effect {
            // The terminal's own: handled by the run loop.
            Effect::Quit
            | Effect::Suspend
            | Effect::Redraw
            | Effect::Clipboard(_)
            | Effect::MouseCapture(_) => {}
            Effect::Release(rows) => local::release(rows),
            Effect::Cancel(request) => {
                if let Some(h) = self.running.remove(&request) {
                    h.abort();
                }
            }
            Effect::CancelBulk { request } => {
                if let Some(cancel) = self.bulk_cancels.get(&request) {
                    cancel.store(true, Ordering::SeqCst);
                }
            }

            // Reads.
            Effect::ListBuckets { request } => {
                self.answer(Some(request), reads::list_buckets(s3, request))
            }
            Effect::LoadBucketDetails { request, bucket } => {
                let permits = self.details.clone();
                self.spawn(Some(request), async move {
                    if let Some(a) = reads::bucket_details(s3, permits, bucket).await {
                        reply.send(a);
                    }
                })
            }
            Effect::LoadBucketInfo { request, bucket } => {
                self.answer(Some(request), reads::bucket_info(s3, request, bucket))
            }
            Effect::LoadObjectInfo {
                request,
                bucket,
                key,
                version_id,
            } => self.answer(
                Some(request),
                reads::object_info(s3, request, bucket, key, version_id),
            ),
            Effect::ListLevel {
                request,
                bucket,
                prefix,
                deleted,
                from,
            } => {
                let location = S3Location { bucket, prefix };
                self.spawn(
                    Some(request),
                    reads::list_level(s3, reply, request, location, deleted, from),
                )
            }
            Effect::ListVersions {
                request,
                bucket,
                key,
            } => self.spawn(
                Some(request),
                reads::list_versions(s3, reply, request, bucket, key),
            ),
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
                    let (s3, permits, reply) = (self.s3.clone(), self.heads.clone(), self.reply());
                    self.spawn(None, async move {
                        if let Some(a) = reads::head_version(s3, permits, version).await {
                            reply.send(a);
                        }
                    });
                }
            }
            Effect::ProbeFolder {
                request,
                bucket,
                prefix,
                at,
            } => {
                let permits = self.details.clone();
                self.answer(Some(request), async move {
                    let _permit = permits.acquire_owned().await;
                    let result = match at {
                        None => {
                            crate::work::ls::folder_holds_a_current_object(&s3, &bucket, &prefix)
                                .await
                        }
                        Some(at) => {
                            crate::work::ls::folder_held_a_key_at(
                                &s3,
                                &bucket,
                                &prefix,
                                at,
                                Some(PROBE_PAGES),
                            )
                            .await
                        }
                    };
                    Action::FolderProbed {
                        request,
                        prefix,
                        result,
                    }
                })
            }
            Effect::PlanRestore {
                request,
                bucket,
                key,
            } => self.answer(Some(request), async move {
                let result = reads::key_history(&s3, &bucket, &key).await;
                Action::RestorePlanned {
                    request,
                    bucket,
                    key,
                    result,
                }
            }),
            Effect::PlanDelete {
                request,
                bucket,
                key,
            } => self.answer(Some(request), async move {
                let result = reads::key_history(&s3, &bucket, &key).await;
                Action::DeletePlanned {
                    request,
                    bucket,
                    key,
                    result,
                }
            }),
            Effect::PlanBulk {
                request,
                bucket,
                targets,
                after,
            } => self.spawn(
                Some(request),
                reads::plan_bulk(s3, reply, request, bucket, targets, after),
            ),
            Effect::BuildReport {
                request,
                bucket,
                prefix,
            } => {
                let endpoint = self.trail.endpoint().to_string();
                let location = S3Location { bucket, prefix };
                let taken_by = self.trail.actor().describe();
                self.spawn(
                    Some(request),
                    reads::build_report(s3, reply, request, endpoint, location, taken_by),
                )
            }
            Effect::Download { request, download } => {
                let progress = progress_reporter(self.tx.clone(), request);
                self.answer(
                    Some(request),
                    reads::download(s3, request, download, progress),
                )
            }

            // Writes: `writes` sends each once and audits it (see `audit::Trail`).
            Effect::Restore {
                request,
                bucket,
                key,
                marker_version_id,
            } => self.answer(None, async move {
                writes::restore(&s3, &trail, request, bucket, key, marker_version_id).await
            }),
            Effect::DeleteObject {
                request,
                bucket,
                key,
                seen,
            } => self.answer(None, async move {
                writes::delete_object(&s3, &trail, request, bucket, key, seen).await
            }),
            Effect::DeleteVersion {
                request,
                version,
                bypass,
            } => self.answer(None, async move {
                writes::delete_version(&s3, &trail, request, version, bypass).await
            }),
            Effect::SetLegalHold {
                request,
                version,
                on,
            } => self.answer(None, async move {
                writes::set_legal_hold(&s3, &trail, request, version, on).await
            }),
            Effect::CopyVersion {
                request,
                version,
                etag,
                size,
                seen,
            } => self.answer(None, async move {
                writes::copy_version(&s3, &trail, request, version, etag, size, seen).await
            }),
            Effect::SetRetention {
                request,
                version,
                mode,
                until,
                bypass,
            } => self.answer(None, async move {
                writes::set_retention(&s3, &trail, request, version, mode, until, bypass).await
            }),
            Effect::ApplyBucket { request, asked } => self.answer(None, async move {
                writes::apply_bucket(&s3, &trail, request, asked).await
            }),
            // Esc may stop it while its body is being sent (`Cancel`).
            Effect::Upload { request, upload } => {
                let progress = progress_reporter(self.tx.clone(), request);
                self.answer(Some(request), async move {
                    writes::upload(&s3, &trail, request, upload, progress).await
                })
            }
            Effect::RunBulk {
                request,
                bucket,
                plans,
            } => {
                let cancel = Arc::new(AtomicBool::new(false));
                self.bulk_cancels.retain(|_, c| Arc::strong_count(c) > 1);
                self.bulk_cancels.insert(request, cancel.clone());
                // Not abortable by request: keys under way must finish and be reported.
                self.spawn(None, async move {
                    writes::run_bulk(&s3, &trail, &reply, request, bucket, &plans, &cancel).await
                })
            }

            // This machine.
            Effect::SaveReport {
                request,
                file_name,
                text,
            } => self.answer(None, local::save_report(request, file_name, text)),
            Effect::CompletePath { input } => self.answer(None, local::complete_path(input)),
            Effect::CompleteDirectory { input } => {
                self.answer(None, local::complete_directory(input))
            }
            Effect::LoadAudit => self.answer(
                None,
                local::load_audit(self.trail.path().map(Path::to_path_buf)),
            ),
        }
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
