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

/// A download, as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub directory: std::path::PathBuf,
    /// From `domain::paths::local_name`: no separators, never `..`.
    pub name: String,
    pub overwrite: bool,
}

/// How a finished download was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub path: std::path::PathBuf,
    pub size: u64,
    /// True when the MD5 of the file equals the object's ETag (single-part uploads only).
    pub md5_verified: bool,
}

/// Why a download did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DownloadError {
    #[error("{0} exists")]
    Exists(std::path::PathBuf),
    #[error("{0}")]
    Server(S3Error),
    #[error("{0}")]
    Local(String),
    #[error("{0}")]
    Corrupt(String),
}

/// Removes the partial file unless the download completed (also when the task is aborted).
struct PartialFile(Option<std::path::PathBuf>);

impl Drop for PartialFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Downloads one version into `directory/name` through a partial file, checks its size and,
/// for single-part objects, its MD5 against the ETag, and only then puts it in place.
pub async fn download(
    s3: &S3,
    request: &DownloadRequest,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Downloaded, DownloadError> {
    use md5::{Digest, Md5};
    use tokio::io::AsyncWriteExt;
    let local = |e: std::io::Error| DownloadError::Local(e.to_string());
    if !request.directory.is_dir() {
        return Err(DownloadError::Local(format!(
            "{} is not a directory",
            request.directory.display()
        )));
    }
    let target = request.directory.join(&request.name);
    if target.exists() && !request.overwrite {
        return Err(DownloadError::Exists(target));
    }
    let partial_path = request
        .directory
        .join(format!(".{}.lockwatch-partial", request.name));
    let mut download = s3
        .open_download(&request.bucket, &request.key, request.version_id.as_deref())
        .await
        .map_err(DownloadError::Server)?;
    let mut partial = PartialFile(Some(partial_path.clone()));
    let mut file = tokio::fs::File::create(&partial_path)
        .await
        .map_err(local)?;
    let mut hasher = Md5::new();
    let mut received: u64 = 0;
    progress(0, download.size);
    while let Some(chunk) = download.next_chunk().await.map_err(DownloadError::Server)? {
        file.write_all(&chunk).await.map_err(local)?;
        hasher.update(&chunk);
        received += chunk.len() as u64;
        progress(received, download.size);
    }
    file.flush().await.map_err(local)?;
    file.sync_all().await.map_err(local)?;
    drop(file);
    if let Some(expected) = download.size
        && expected != received
    {
        return Err(DownloadError::Corrupt(format!(
            "received {received} bytes, the server announced {expected}; the partial file was removed"
        )));
    }
    let md5: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let single_part_etag = download
        .etag
        .as_deref()
        .filter(|e| e.len() == 32 && e.chars().all(|c| c.is_ascii_hexdigit()));
    if let Some(etag) = single_part_etag
        && !etag.eq_ignore_ascii_case(&md5)
    {
        return Err(DownloadError::Corrupt(format!(
            "the file's MD5 {md5} differs from the ETag {etag}; the partial file was removed"
        )));
    }
    tokio::fs::rename(&partial_path, &target)
        .await
        .map_err(local)?;
    partial.0 = None;
    Ok(Downloaded {
        path: target,
        size: received,
        md5_verified: single_part_etag.is_some(),
    })
}

/// Directories in the directory of a partly typed path, for completing a download target.
pub fn list_dirs_for_completion(input: &str) -> Result<Vec<String>, String> {
    Ok(list_for_completion(input)?
        .into_iter()
        .filter(|n| n.ends_with('/'))
        .collect())
}
