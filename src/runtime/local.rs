//! The effects on this machine: saving the report, completing a path typed in a form,
//! reading the audit trail, and handing back the memory of rows no longer shown. Blocking
//! work runs off the UI's threads.

use crate::app::{Action, ReleasedRows, RequestId};
use std::path::PathBuf;

/// Runs blocking file work on tokio's blocking threads; a panic there becomes an error text.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r)
}

/// Writes the report in the current directory under `file_name`; an existing file is never
/// replaced (create_new).
pub(super) async fn save_report(request: RequestId, file_name: String, text: String) -> Action {
    let result = blocking(move || {
        use std::io::Write;
        let path = std::env::current_dir()
            .map_err(|e| e.to_string())?
            .join(&file_name);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        file.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path.display().to_string())
    })
    .await;
    Action::ReportSaved { request, result }
}

/// Tab in a form's local path: the files and folders that continue it.
pub(super) async fn complete_path(input: String) -> Action {
    let listed = input.clone();
    let result = blocking(move || crate::work::tasks::list_for_completion(&listed)).await;
    Action::PathCompleted { input, result }
}

/// Tab in a form's local folder: the folders that continue it.
pub(super) async fn complete_directory(input: String) -> Action {
    let listed = input.clone();
    let result = blocking(move || crate::work::tasks::list_dirs_for_completion(&listed)).await;
    Action::DirectoryCompleted { input, result }
}

/// The last thousand lines of the audit trail, for `A`.
pub(super) async fn load_audit(path: Option<PathBuf>) -> Action {
    let result = match path {
        Some(p) => {
            blocking(move || crate::audit::read_last(&p, 1000).map_err(|e| e.to_string())).await
        }
        None => Err("no data directory is known for this user".into()),
    };
    Action::AuditLoaded { result }
}

/// Drops rows no longer shown on a thread of their own, a few megabytes at a time, so that
/// the UI's threads never wait for hundreds of megabytes to be unmapped (nor, while they are,
/// for a page fault). If no thread can be started, they are dropped here.
pub(super) fn release(rows: Box<ReleasedRows>) {
    let _ = std::thread::Builder::new()
        .name("lockwatch-release".into())
        .spawn(move || rows.release());
}
