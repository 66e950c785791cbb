//! The only place that spawns: runs effects through the S3 layer, feeds results back as
//! actions, merges terminal events, signals and a once-a-second tick, and draws.

use crate::app::{
    Action, AppState, Effect, LevelPage, RequestId, RestoreFailure, Resume, StartAt, update,
};
use crate::audit::{self, AuditEntry};
use crate::domain::history;
use crate::keys::{Key, Keymap};
use crate::measure::{KeyClock, Measurements};
use crate::s3::S3Error;
use crate::s3::{Connection, ObjectPager, S3, VersionPager};
use crate::tasks;
use crate::ui::{self, Theme};
use crate::undelete;
use futures::StreamExt;
use jiff::Timestamp;
use ratatui::layout::Rect;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::AbortHandle;

/// HEAD requests for lock details in flight at once, at first. The versions pane asks for all
/// its visible rows together; the limit grows so that they take at most `LOCK_ROUNDS` round
/// trips, up to `LOCK_CONCURRENCY_MAX` (a pane taller than 3 × 64 rows takes a little longer).
const LOCK_CONCURRENCY: usize = 8;
const LOCK_ROUNDS: usize = 3;
const LOCK_CONCURRENCY_MAX: usize = 64;
/// Bucket detail requests in flight at once.
const DETAIL_CONCURRENCY: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "lockwatch needs an interactive terminal (could not set it up: {0}). Run it in a terminal, not with redirected input or output."
    )]
    NoTerminal(std::io::Error),
    #[error("the terminal stopped working: {0}")]
    Terminal(std::io::Error),
}

struct Executor {
    s3: S3,
    audit: Auditor,
    tx: mpsc::UnboundedSender<Action>,
    running: HashMap<RequestId, AbortHandle>,
    heads: Arc<Semaphore>,
    /// How many permits `heads` holds in all.
    head_permits: usize,
    details: Arc<Semaphore>,
    /// Running bulk undeletes: setting the flag starts no further key.
    bulk_cancels: HashMap<RequestId, Arc<AtomicBool>>,
}

/// Appends to the audit trail from the write tasks; tells the UI when it cannot.
#[derive(Clone)]
struct Auditor {
    path: Option<PathBuf>,
    endpoint: String,
    tx: mpsc::UnboundedSender<Action>,
}

impl Auditor {
    /// Appends a prepared entry without waiting for the disk; tells the UI if it cannot.
    fn append(&self, entry: AuditEntry) {
        let (path, tx) = (self.path.clone(), self.tx.clone());
        tokio::task::spawn_blocking(move || {
            let error = match path {
                None => "no data directory is known for this user".to_string(),
                Some(p) => match audit::append(&p, &entry) {
                    Ok(()) => return,
                    Err(e) => e.to_string(),
                },
            };
            let _ = tx.send(Action::AuditFailed(error));
        });
    }

    async fn record<T>(
        &self,
        version: (&str, &str, Option<&str>),
        action: &str,
        result: &Result<T, S3Error>,
        result_version_id: Option<String>,
    ) {
        let (outcome, error_code) = match result {
            Ok(_) => ("ok".to_string(), None),
            Err(S3Error::Service { code, status, .. }) => (
                if status.is_some_and(|s| (400..500).contains(&s)) {
                    "refused".to_string()
                } else {
                    "failed".to_string()
                },
                Some(code.clone()),
            ),
            Err(S3Error::Changed(_)) => ("not sent: changed".to_string(), None),
            Err(_) => ("failed".to_string(), None),
        };
        self.write(version, action, outcome, error_code, result_version_id)
            .await
    }

    /// A restore, with what reading the key back said when the server's answer was unsure.
    async fn record_restore(
        &self,
        version: (&str, &str, Option<&str>),
        result: &Result<crate::app::RestoreDone, RestoreFailure>,
    ) {
        let code = |e: &S3Error| Some(e.code().map_or_else(|| e.to_string(), str::to_string));
        match result {
            Ok(done) => match &done.answer_lost {
                None => {
                    self.record(version, "restore", &Ok::<(), _>(()), None)
                        .await
                }
                Some(e) => {
                    let outcome = "done, read back: the server did not confirm it".to_string();
                    self.write(version, "restore", outcome, code(e), None).await
                }
            },
            Err(RestoreFailure::AnswerLost { error, read_back }) => {
                let outcome = format!("unconfirmed, read back: {read_back}");
                self.write(version, "restore", outcome, code(error), None)
                    .await
            }
            Err(RestoreFailure::Server(e)) => {
                self.record(version, "restore", &Err::<(), _>(e.clone()), None)
                    .await
            }
            Err(RestoreFailure::Refused(r)) => {
                let refused = Err::<(), _>(S3Error::Other(r.to_string()));
                self.record(version, "restore", &refused, None).await
            }
        }
    }

    async fn write(
        &self,
        version: (&str, &str, Option<&str>),
        action: &str,
        outcome: String,
        error_code: Option<String>,
        result_version_id: Option<String>,
    ) {
        let (bucket, key, version_id) = version;
        let entry = AuditEntry {
            time: Timestamp::now().to_string(),
            endpoint: self.endpoint.clone(),
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id: version_id.map(str::to_string),
            action: action.to_string(),
            outcome,
            error_code,
            result_version_id,
        };
        let Some(path) = self.path.clone() else {
            let _ = self.tx.send(Action::AuditFailed(
                "no data directory is known for this user".into(),
            ));
            return;
        };
        let written = tokio::task::spawn_blocking(move || audit::append(&path, &entry)).await;
        let error = match written {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e.to_string(),
            Err(e) => e.to_string(),
        };
        let _ = self.tx.send(Action::AuditFailed(error));
    }
}

impl Executor {
    fn spawn<F>(&mut self, request: Option<RequestId>, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(work);
        self.running.retain(|_, h| !h.is_finished());
        if let Some(r) = request {
            self.running.insert(r, handle.abort_handle());
        }
    }

    fn run(&mut self, effect: Effect) {
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
                    let result = tasks::restore(&s3, &bucket, &key, &marker_version_id).await;
                    audit
                        .record_restore((&bucket, &key, Some(&marker_version_id)), &result)
                        .await;
                    send(Action::Restored { request, result });
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
                    let result = match &seen {
                        Some(seen) => tasks::recheck_latest(&s3, &bucket, &key, seen).await,
                        None => Ok(()),
                    };
                    let result = match result {
                        Ok(()) => s3.delete_object(&bucket, &key).await,
                        Err(e) => Err(e),
                    };
                    let created = result.as_ref().ok().and_then(|d| d.version_id.clone());
                    audit
                        .record((&bucket, &key, None), "delete", &result, created)
                        .await;
                    let read_back = read_back_if_unconfirmed(&s3, &result, &bucket, &key).await;
                    send(Action::Deleted {
                        request,
                        bucket,
                        key,
                        result,
                        read_back,
                    });
                })
            }
            Effect::DeleteVersion {
                request,
                version,
                bypass,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    let v = &version;
                    let result = s3
                        .delete_version_with(&v.bucket, &v.key, &v.version_id, bypass)
                        .await;
                    let action = if bypass {
                        "delete-version-bypassing-governance"
                    } else {
                        "delete-version"
                    };
                    audit
                        .record(
                            (&v.bucket, &v.key, Some(&v.version_id)),
                            action,
                            &result,
                            None,
                        )
                        .await;
                    // A refusal is explained from the lock as the server holds it now.
                    let lock = match &result {
                        Err(_) => Some(s3.head_version(&v.bucket, &v.key, &v.version_id).await),
                        Ok(_) => None,
                    };
                    send(Action::VersionDeleted {
                        request,
                        version,
                        result,
                        lock,
                    });
                })
            }
            Effect::SetLegalHold {
                request,
                version,
                on,
            } => {
                let audit = self.audit.clone();
                self.spawn(None, async move {
                    let v = &version;
                    let set = s3
                        .set_legal_hold(&v.bucket, &v.key, &v.version_id, on)
                        .await;
                    let action = if on {
                        "legal-hold-on"
                    } else {
                        "legal-hold-off"
                    };
                    audit
                        .record((&v.bucket, &v.key, Some(&v.version_id)), action, &set, None)
                        .await;
                    let result = match set {
                        Ok(()) => s3.head_version(&v.bucket, &v.key, &v.version_id).await,
                        Err(e) => Err(e),
                    };
                    send(Action::LegalHoldSet {
                        request,
                        version,
                        on,
                        result,
                    });
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
                    let v = &version;
                    let result =
                        tasks::restore_by_copy(&s3, v, etag.as_deref(), size, seen.as_ref()).await;
                    let created = result.as_ref().ok().cloned().flatten();
                    audit
                        .record(
                            (&v.bucket, &v.key, Some(&v.version_id)),
                            "restore-by-copy",
                            &result,
                            created,
                        )
                        .await;
                    let read_back = read_back_if_unconfirmed(&s3, &result, &v.bucket, &v.key).await;
                    send(Action::VersionCopied {
                        request,
                        version,
                        result,
                        read_back,
                    });
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
                    let result = tasks::upload(&s3, &upload, progress).await;
                    let created = result.as_ref().ok().and_then(|u| u.version_id.clone());
                    audit
                        .record(
                            (&upload.bucket, &upload.key, None),
                            "upload",
                            &result,
                            created,
                        )
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
                    let a = &asked;
                    let written = async {
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
                    }
                    .await;
                    let action = if a.create {
                        "create-bucket"
                    } else if a.enable_versioning_only {
                        "enable-versioning"
                    } else {
                        "set-default-retention"
                    };
                    audit
                        .record((&a.bucket, "", None), action, &written, None)
                        .await;
                    let result = match written {
                        Ok(()) => s3.bucket_details(&a.bucket).await,
                        Err(e) => Err(e),
                    };
                    send(Action::BucketApplied {
                        request,
                        asked,
                        result,
                    });
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
                    let v = &version;
                    let set = s3
                        .set_retention(
                            &v.bucket,
                            &v.key,
                            &v.version_id,
                            mode.clone(),
                            until,
                            bypass,
                        )
                        .await;
                    let action = format!(
                        "retention-{}-until-{}{}",
                        mode.as_str().to_ascii_lowercase(),
                        until,
                        if bypass { "-bypassing-governance" } else { "" }
                    );
                    audit
                        .record(
                            (&v.bucket, &v.key, Some(&v.version_id)),
                            &action,
                            &set,
                            None,
                        )
                        .await;
                    // Verify: some servers store something else than was asked.
                    let result = match set {
                        Ok(()) => s3.head_version(&v.bucket, &v.key, &v.version_id).await,
                        Err(e) => Err(e),
                    };
                    send(Action::RetentionSet {
                        request,
                        version,
                        requested: (mode, until),
                        result,
                    });
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

/// Reports a transfer's progress to the UI: at most ten times a second, and always the end.
fn progress_reporter(
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

fn forward_terminal_events(tx: mpsc::UnboundedSender<Action>, key_clock: Option<KeyClock>) {
    tokio::spawn(async move {
        let mut events = crossterm::event::EventStream::new();
        while let Some(event) = events.next().await {
            let action = match event {
                Ok(crossterm::event::Event::Key(k)) => match Key::from_crossterm(&k) {
                    Some(key) => {
                        if let Some(clock) = &key_clock
                            && let Ok(mut read) = clock.lock()
                        {
                            read.push_back(std::time::Instant::now());
                        }
                        Action::Key(key)
                    }
                    None => continue,
                },
                Ok(crossterm::event::Event::Resize(width, height)) => {
                    Action::Resize { width, height }
                }
                Ok(crossterm::event::Event::Mouse(m)) => {
                    use crossterm::event::{MouseButton, MouseEventKind as K};
                    let kind = match m.kind {
                        K::Down(MouseButton::Left) => crate::app::MouseKind::LeftDown,
                        K::ScrollUp => crate::app::MouseKind::ScrollUp,
                        K::ScrollDown => crate::app::MouseKind::ScrollDown,
                        _ => continue,
                    };
                    Action::Mouse(crate::app::Mouse {
                        kind,
                        column: m.column,
                        row: m.row,
                    })
                }
                Ok(_) => continue,
                Err(_) => Action::Terminate,
            };
            if tx.send(action).is_err() {
                return;
            }
        }
        // The terminal closed (the SSH connection dropped).
        let _ = tx.send(Action::Terminate);
    });
}

fn forward_signals(tx: mpsc::UnboundedSender<Action>) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::interrupt(),
    ] {
        let tx = tx.clone();
        if let Ok(mut stream) = signal(kind) {
            tokio::spawn(async move {
                if stream.recv().await.is_some() {
                    let _ = tx.send(Action::Terminate);
                }
            });
        }
    }
    let suspend: fn() -> Action = || Action::Suspend;
    let continued: fn() -> Action = || Action::Continued;
    for (signal_number, action) in [
        (rustix::process::Signal::TSTP, suspend),
        (rustix::process::Signal::CONT, continued),
    ] {
        let kind = SignalKind::from_raw(signal_number.as_raw());
        let tx = tx.clone();
        if let Ok(mut stream) = signal(kind) {
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    if tx.send(action()).is_err() {
                        return;
                    }
                }
            });
        }
    }
}

/// Mouse reporting of presses, releases and the wheel (1000) in SGR form (1006) — not every
/// motion (1002/1003, which crossterm's EnableMouseCapture asks for): over SSH, each motion
/// would be a packet for nothing.
fn set_mouse_capture(on: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout();
    out.write_all(if on {
        b"\x1b[?1000h\x1b[?1006h"
    } else {
        b"\x1b[?1006l\x1b[?1000l"
    })?;
    out.flush()
}

/// Gives the terminal back to the shell and stops lockwatch; returns once it is continued
/// (`fg`), with the terminal taken back and the whole screen drawn again.
fn suspend(terminal: &mut crate::terminal::Screen, mouse: bool) -> std::io::Result<()> {
    let _ = terminal.show_cursor();
    let _ = set_mouse_capture(false);
    ratatui::restore();
    // SIGSTOP cannot be caught, so this stops lockwatch although it handles SIGTSTP; the
    // shell's `fg` sends SIGCONT.
    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::STOP)?;
    take_terminal_back(terminal, mouse)
}

/// Raw mode and the alternate screen again, and a full redraw: after a stop, the shell or
/// another program may have changed both.
fn take_terminal_back(terminal: &mut crate::terminal::Screen, mouse: bool) -> std::io::Result<()> {
    if mouse {
        let _ = set_mouse_capture(true);
    }
    use crossterm::terminal::{Clear, ClearType, EnterAlternateScreen, enable_raw_mode};
    enable_raw_mode()?;
    crossterm::execute!(
        std::io::stdout(),
        EnterAlternateScreen,
        Clear(ClearType::All)
    )?;
    // ratatui draws only what differs from its last frame: an empty frame makes the next one
    // draw every cell. (Terminal::clear would ask the terminal for the cursor position, which
    // a slow SSH link may not answer in time.)
    terminal.draw(|_| {})?;
    Ok(())
}

/// Ticks at every whole second, so that all countdowns change together.
fn forward_ticks(tx: mpsc::UnboundedSender<Action>) {
    tokio::spawn(async move {
        loop {
            let nanos = Timestamp::now().subsec_nanosecond();
            let wait = Duration::from_nanos(1_000_000_000 - nanos.clamp(0, 999_999_999) as u64);
            tokio::time::sleep(wait).await;
            if tx.send(Action::Tick).is_err() {
                return;
            }
        }
    });
}

/// Runs the terminal UI until the user quits or the terminal goes away. The terminal is
/// restored on every way out, including panics (ratatui's hook).
pub async fn run(
    connection: Connection,
    keymap: Keymap,
    theme: Theme,
    mouse: bool,
    start: StartAt,
    bench_report: Option<PathBuf>,
) -> Result<(), RunError> {
    let info = &connection.info;
    tracing::info!(
        endpoint = %info.endpoint,
        region = %info.region,
        access_key = %info.access_key_masked,
        credentials = %info.credentials_source,
        read_only = info.read_only,
        "connected"
    );
    let mut terminal =
        crate::terminal::init(theme.sixteen_colours).map_err(RunError::NoTerminal)?;
    if mouse {
        // A terminal that cannot report the mouse is still fully usable by keys.
        let _ = set_mouse_capture(true);
    }
    let mut measurements = bench_report.as_deref().map(Measurements::new);
    let result = run_loop(
        &mut terminal,
        connection,
        keymap,
        theme,
        mouse,
        start,
        &mut measurements,
    )
    .await;
    let _ = set_mouse_capture(false);
    ratatui::restore();
    if let Some(m) = measurements
        && let Err(e) = m.write()
    {
        eprintln!("lockwatch: cannot write {}: {e}", m.path.display());
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn run_loop(
    terminal: &mut crate::terminal::Screen,
    connection: Connection,
    keymap: Keymap,
    theme: Theme,
    mouse: bool,
    start: StartAt,
    measurements: &mut Option<Measurements>,
) -> Result<(), RunError> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    forward_terminal_events(
        tx.clone(),
        measurements.as_ref().map(|m| m.keys_read.clone()),
    );
    forward_signals(tx.clone());
    forward_ticks(tx.clone());
    let size = terminal.size().map_err(RunError::Terminal)?;
    let mut state = AppState::new(
        keymap,
        connection.info.clone(),
        Rect::new(0, 0, size.width, size.height),
    );
    state.mouse_capture = mouse;
    let audit = Auditor {
        // The sandbox's writes are a demonstration: they stay out of the user's real trail.
        path: if connection.info.sandbox {
            audit::sandbox_path()
        } else {
            audit::default_path()
        },
        endpoint: connection.info.endpoint.clone(),
        tx: tx.clone(),
    };
    let mut executor = Executor {
        s3: connection.s3,
        audit,
        tx,
        running: HashMap::new(),
        heads: Arc::new(Semaphore::new(LOCK_CONCURRENCY)),
        head_permits: LOCK_CONCURRENCY,
        bulk_cancels: HashMap::new(),
        details: Arc::new(Semaphore::new(DETAIL_CONCURRENCY)),
    };
    for effect in state.start(start) {
        if let Some(m) = measurements.as_mut() {
            m.effect_run(&effect);
        }
        executor.run(effect);
    }
    loop {
        // Retention runs on the server's clock: so does every countdown lockwatch shows.
        let offset = executor.s3.server_clock_offset();
        let whole = |o: Option<jiff::SignedDuration>| o.map(|d| d.as_secs());
        if whole(offset) != whole(state.server_clock) {
            update(&mut state, Action::ServerClock(offset), Timestamp::now());
        }
        let now = server_now(&state);
        let started = std::time::Instant::now();
        terminal
            .draw(|frame| ui::render(&state, now, &theme, frame))
            .map_err(RunError::Terminal)?;
        if let Some(m) = measurements.as_mut() {
            m.frame_drawn(started.elapsed(), state.objects.level.len());
        }
        let Some(first) = rx.recv().await else {
            return Ok(());
        };
        // Take everything already queued before drawing again: a burst of pages or keys
        // costs one frame.
        let mut pending = vec![first];
        while let Ok(more) = rx.try_recv() {
            pending.push(more);
            if pending.len() >= 256 {
                break;
            }
        }
        let now = server_now(&state);
        for action in pending {
            let is_key = matches!(action, Action::Key(_));
            if let Some(m) = measurements.as_mut() {
                m.action_arrived(&action);
            }
            let started = std::time::Instant::now();
            let effects = update(&mut state, action, now);
            if is_key && let Some(m) = measurements.as_mut() {
                m.key_handled(started.elapsed());
            }
            for effect in effects {
                match effect {
                    Effect::Suspend => {
                        suspend(terminal, state.mouse_capture).map_err(RunError::Terminal)?
                    }
                    Effect::Redraw => take_terminal_back(terminal, state.mouse_capture)
                        .map_err(RunError::Terminal)?,
                    Effect::MouseCapture(on) => {
                        set_mouse_capture(on).map_err(RunError::Terminal)?
                    }
                    Effect::Clipboard(text) => {
                        use std::io::Write;
                        let mut out = std::io::stdout();
                        out.write_all(crate::app::osc52(&text).as_bytes())
                            .and_then(|_| out.flush())
                            .map_err(RunError::Terminal)?;
                    }
                    effect => {
                        if let Some(m) = measurements.as_mut() {
                            m.effect_run(&effect);
                        }
                        executor.run(effect)
                    }
                }
            }
            if state.quit {
                for handle in executor.running.values() {
                    handle.abort();
                }
                return Ok(());
            }
        }
    }
}

/// The server's time as its answers date it (the local time until they show a difference).
fn server_now(state: &crate::app::AppState) -> Timestamp {
    let local = Timestamp::now();
    state
        .server_clock
        .and_then(|o| local.checked_add(o).ok())
        .unwrap_or(local)
}
