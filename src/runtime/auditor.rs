//! The rule every write follows, in one place: it is sent once (the S3 layer sends writes with
//! retries off), its outcome is in the audit trail before anything else happens, and only then
//! is the key read back — by the caller, which knows what to read.

use crate::app::{Action, RestoreFailure};
use crate::audit::{self, AuditEntry};
use crate::domain::audit::Actor;
use crate::s3::S3Error;
use jiff::Timestamp;
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Appends to the audit trail from the write tasks; tells the UI when it cannot.
#[derive(Clone)]
pub(super) struct Auditor {
    pub(super) path: Option<PathBuf>,
    pub(super) endpoint: String,
    pub(super) tx: mpsc::UnboundedSender<Action>,
    /// Who writes: known in part at start, completed when the server says who these
    /// credentials are (a request of its own, so that the UI never waits for it).
    pub(super) actor: std::sync::Arc<std::sync::Mutex<Actor>>,
}

/// What a write is about, for its audit line: bucket, key, version id.
pub(super) type Target<'a> = (&'a str, &'a str, Option<&'a str>);

impl Auditor {
    /// Sends `write` once and records its outcome (with the version it created, if any) before
    /// returning it. Never retries: a write whose answer was lost may have happened.
    pub(super) async fn write<T>(
        &self,
        target: Target<'_>,
        action: &str,
        write: impl std::future::Future<Output = Result<T, S3Error>>,
        created: impl FnOnce(&T) -> Option<String>,
    ) -> Result<T, S3Error> {
        let result = write.await;
        let created = result.as_ref().ok().and_then(created);
        self.record(target, action, &result, created).await;
        result
    }

    /// Appends a prepared entry without waiting for the disk; tells the UI if it cannot.
    /// Who writes, as known now.
    pub(super) fn actor(&self) -> Actor {
        match self.actor.lock() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(super) fn append(&self, mut entry: AuditEntry) {
        if entry.actor.is_none() {
            entry.actor = Some(self.actor());
        }
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

    pub(super) async fn record<T>(
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
        self.write_entry(version, action, outcome, error_code, result_version_id)
            .await
    }

    /// A restore, with what reading the key back said when the server's answer was unsure.
    pub(super) async fn record_restore(
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
                    self.write_entry(version, "restore", outcome, code(e), None)
                        .await
                }
            },
            Err(RestoreFailure::AnswerLost { error, read_back }) => {
                let outcome = format!("unconfirmed, read back: {read_back}");
                self.write_entry(version, "restore", outcome, code(error), None)
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

    async fn write_entry(
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
            actor: Some(self.actor()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditLine;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn auditor(dir: &std::path::Path) -> (Auditor, mpsc::UnboundedReceiver<Action>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let auditor = Auditor {
            path: Some(dir.join("audit.jsonl")),
            endpoint: "http://127.0.0.1:1".into(),
            tx,
            actor: Default::default(),
        };
        (auditor, rx)
    }

    fn lines(dir: &std::path::Path) -> Vec<AuditLine> {
        audit::read_last(&dir.join("audit.jsonl"), 100).expect("trail")
    }

    #[test]
    fn a_write_is_sent_once_and_recorded_before_it_returns() {
        let dir = std::env::temp_dir().join(format!("lockwatch-auditor-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (auditor, _rx) = auditor(&dir);
        let sent = AtomicUsize::new(0);
        let lost = rt.block_on(auditor.write(
            ("b", "k", Some("v1")),
            "delete-version",
            async {
                sent.fetch_add(1, Ordering::SeqCst);
                Err::<String, _>(S3Error::Timeout("no answer".into()))
            },
            |_| None,
        ));
        assert!(lost.is_err());
        assert_eq!(sent.load(Ordering::SeqCst), 1, "never resent");
        let first = lines(&dir);
        let [AuditLine::Entry(entry)] = first.as_slice() else {
            panic!("one line: {first:?}")
        };
        assert_eq!(
            (entry.action.as_str(), entry.outcome.as_str()),
            ("delete-version", "failed")
        );

        let made = rt.block_on(auditor.write(
            ("b", "k", None),
            "delete",
            async { Ok::<_, S3Error>("m1".to_string()) },
            |id| Some(id.clone()),
        ));
        assert_eq!(made.as_deref(), Ok("m1"));
        let all = lines(&dir);
        let Some(AuditLine::Entry(entry)) = all.last() else {
            panic!("{all:?}")
        };
        assert_eq!(entry.outcome, "ok");
        assert_eq!(entry.result_version_id.as_deref(), Some("m1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
