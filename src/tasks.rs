//! Multi-step work made of S3 operations and domain checks, run by the runtime.

use crate::app::{RestoreDone, RestoreFailure, UploadRequest, Uploaded};
use crate::domain::history::plan_restore;
use crate::s3::{PutOptions, S3, S3Error};
use std::sync::Arc;

/// Restores a deleted key by removing its delete marker — after listing the key again and
/// checking that `marker_version_id` is still its latest entry. Deletes nothing else.
pub async fn restore(
    s3: &S3,
    bucket: &str,
    key: &Arc<str>,
    marker_version_id: &str,
) -> Result<RestoreDone, RestoreFailure> {
    let history = s3
        .key_history(bucket, key)
        .await
        .map_err(RestoreFailure::Server)?;
    let plan = plan_restore(&history, Some(marker_version_id)).map_err(RestoreFailure::Refused)?;
    if !plan.marker.is_delete_marker() {
        // plan_restore guarantees this; checked again because the cost of being wrong is data.
        return Err(RestoreFailure::Refused(
            crate::domain::history::RestoreRefusal::NotDeleted(plan.marker.version_id),
        ));
    }
    s3.delete_version(bucket, key, &plan.marker.version_id)
        .await
        .map_err(RestoreFailure::Server)?;
    Ok(RestoreDone {
        bucket: bucket.to_string(),
        key: key.clone(),
        marker_version_id: plan.marker.version_id,
        becomes_current: plan.becomes_current,
    })
}

/// Files larger than this are not read into memory for a single PutObject.
pub const MAX_SINGLE_UPLOAD: u64 = 64 * 1024 * 1024;

fn content_type(path: &std::path::Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("txt" | "log" | "conf" | "sql") => "text/plain",
        Some("json") => "application/json",
        Some("gz" | "tgz") => "application/gzip",
        Some("tar") => "application/x-tar",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Uploads a local file as one PutObject (with its Content-Length) and reads the new version
/// back, so that the lock the server holds is what is reported.
pub async fn upload(s3: &S3, upload: &UploadRequest) -> Result<Uploaded, S3Error> {
    let path = &upload.path;
    let local = |e: std::io::Error| S3Error::Other(format!("cannot read {}: {e}", path.display()));
    let meta = tokio::fs::metadata(path).await.map_err(local)?;
    if !meta.is_file() {
        return Err(S3Error::Other(format!("{} is not a file", path.display())));
    }
    if meta.len() > MAX_SINGLE_UPLOAD {
        return Err(S3Error::Other(format!(
            "{} has {} bytes; lockwatch uploads files of up to {} bytes for now (larger ones need a multipart upload). Nothing was sent.",
            path.display(),
            meta.len(),
            MAX_SINGLE_UPLOAD
        )));
    }
    let body = tokio::fs::read(path).await.map_err(local)?;
    let size = body.len() as u64;
    let options = PutOptions {
        content_type: Some(content_type(path).to_string()),
        retention: upload.retention.clone(),
        legal_hold: upload.legal_hold,
    };
    let version_id = s3
        .put_bytes(&upload.bucket, &upload.key, body, &options)
        .await?;
    let lock = s3
        .head(&upload.bucket, &upload.key, version_id.as_deref())
        .await?
        .lock;
    Ok(Uploaded {
        version_id,
        size,
        lock,
    })
}

/// The names in the directory of a partly typed path, directories ending in `/`.
pub fn list_for_completion(input: &str) -> Result<Vec<String>, String> {
    let (dir, _) = crate::domain::paths::split(input);
    let dir = if dir.is_empty() {
        "./".to_string()
    } else {
        dir
    };
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{dir}: {e}"))?;
    Ok(entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect())
}
