//! Multi-step work made of S3 operations and domain checks, run by the runtime.

use crate::audit::{Outcome, Record, Trail, Write, record};
use crate::domain::history::plan_restore;
pub use crate::domain::transfer::{
    DownloadError, DownloadRequest, Downloaded, RestoreDone, RestoreFailure, SeenLatest,
    UploadRequest, Uploaded,
};
use crate::s3::{PutOptions, S3, S3Error};
use std::sync::Arc;

/// Restores a deleted key by removing its delete marker — after listing the key again and
/// checking that `marker_version_id` is still its latest entry. Deletes nothing else. The
/// removal is in the trail as `what` (a restore, or one key of a bulk undelete); so is a
/// removal the re-check kept from being sent, and what reading back found after an answer
/// that never came.
pub async fn restore(
    s3: &S3,
    trail: &Trail,
    what: Write,
    bucket: &str,
    key: &Arc<str>,
    marker_version_id: &str,
) -> Result<RestoreDone, RestoreFailure> {
    let target = (bucket, &**key, Some(marker_version_id));
    let noted = |outcome: Outcome, error_code: Option<String>| Record {
        outcome,
        error_code,
        ..record(target, what.clone())
    };
    let history = match s3.key_history(bucket, key).await {
        Ok(history) => history,
        Err(e) => {
            let (outcome, code) = Outcome::of(&Err::<(), _>(e.clone()));
            trail.append(noted(outcome, code)).await;
            return Err(RestoreFailure::Server(e));
        }
    };
    let refusal = match plan_restore(&history, Some(marker_version_id)) {
        // plan_restore guarantees a marker; checked again because the cost of being wrong is
        // data.
        Ok(plan) if !plan.marker.is_delete_marker() => Err(
            crate::domain::history::RestoreRefusal::NotDeleted(plan.marker.version_id),
        ),
        planned => planned,
    };
    let plan = match refusal {
        Ok(plan) => plan,
        Err(refusal) => {
            trail.append(noted(Outcome::NotSentChanged, None)).await;
            return Err(RestoreFailure::Refused(refusal));
        }
    };
    let removal = s3.delete_version(bucket, key, &plan.marker.version_id);
    let answer_lost = match trail.write(target, what.clone(), removal, |_| None).await {
        Ok(_) => None,
        Err(error) if error.outcome_unknown() => {
            // The delete may have happened. Find out; never send it again blindly.
            let (outcome, failure) = match s3.key_history(bucket, key).await {
                Ok(now) if now.iter().any(|e| e.version_id == plan.marker.version_id) => {
                    let read_back =
                        "the delete marker is still there, so nothing changed; r tries again";
                    (
                        Outcome::Unconfirmed {
                            read_back: read_back.into(),
                        },
                        Some(read_back.to_string()),
                    )
                }
                Ok(_) => (Outcome::DoneUnconfirmed, None),
                Err(again) => {
                    let read_back = format!(
                        "reading the key back failed too ({again}), so whether the marker was removed is unknown; R reloads"
                    );
                    (
                        Outcome::Unconfirmed {
                            read_back: read_back.clone(),
                        },
                        Some(read_back),
                    )
                }
            };
            let code = Some(
                error
                    .code()
                    .map_or_else(|| error.to_string(), str::to_string),
            );
            trail.append(noted(outcome, code)).await;
            if let Some(read_back) = failure {
                return Err(RestoreFailure::AnswerLost { error, read_back });
            }
            Some(error)
        }
        Err(error) => return Err(RestoreFailure::Server(error)),
    };
    Ok(RestoreDone {
        bucket: bucket.to_string(),
        key: key.clone(),
        marker_version_id: plan.marker.version_id,
        becomes_current: plan.becomes_current,
        answer_lost,
    })
}

/// Re-reads the key just before a write that was confirmed on what the user saw; refuses
/// with what changed when the latest entry is no longer the one shown (another client wrote
/// a version, deleted or restored the key meanwhile).
pub async fn recheck_latest(
    s3: &S3,
    bucket: &str,
    key: &str,
    seen: &SeenLatest,
) -> Result<(), S3Error> {
    let history = s3.key_history(bucket, key).await?;
    let latest = crate::domain::history::latest(&history);
    let same = match (seen, latest) {
        (SeenLatest::VersionId(id), Some(l)) => &l.version_id == id,
        (_, None) => false,
    };
    if same {
        return Ok(());
    }
    let now = match latest {
        Some(l) => format!("its latest entry is now {}", describe_entry(l)),
        None => "it has no entries any more".to_string(),
    };
    Err(S3Error::Changed(format!(
        "{} changed after you looked at it: {now}. Nothing was sent: look again, and confirm again if it is still what you want.",
        crate::domain::text::sanitize(key)
    )))
}

/// Files up to this size go up as one PutObject; larger ones in parts.
pub const MULTIPART_THRESHOLD: u64 = 16 * 1024 * 1024;
/// The size of each part of a multipart upload (the last one may be smaller).
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// S3 allows at most 10,000 parts.
pub const MAX_UPLOAD: u64 = PART_SIZE as u64 * 10_000;

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

/// Aborts a multipart upload that did not complete — on an error, and also when the task is
/// cancelled, so that no orphaned parts stay on the server.
struct AbortOnDrop {
    s3: S3,
    bucket: String,
    key: String,
    upload_id: Option<String>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(id) = self.upload_id.take() {
            let (s3, bucket, key) = (self.s3.clone(), self.bucket.clone(), self.key.clone());
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = s3.abort_multipart(&bucket, &key, &id).await;
                });
            }
        }
    }
}

/// Fills `buf` from the file; fewer bytes only at the end of the file.
async fn read_part(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    use tokio::io::AsyncReadExt;
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// Uploads a local file — one PutObject up to 16 MiB, 8 MiB parts above — with its
/// Content-Length on every request, then reads the new version back. A multipart upload whose
/// lock the server did not keep (Ceph RGW 16 ignores lock headers on CreateMultipartUpload)
/// gets the asked retention and legal hold applied and is read back again. The write that
/// makes the version (PutObject, or CompleteMultipartUpload) is in the trail as an upload, and
/// a lock applied after it as its own write.
pub async fn upload(
    s3: &S3,
    trail: &Trail,
    upload: &UploadRequest,
    mut progress: impl FnMut(u64, Option<u64>),
) -> Result<Uploaded, S3Error> {
    let path = &upload.path;
    let local = |e: std::io::Error| S3Error::Other(format!("cannot read {}: {e}", path.display()));
    let meta = tokio::fs::metadata(path).await.map_err(local)?;
    if !meta.is_file() {
        return Err(S3Error::Other(format!("{} is not a file", path.display())));
    }
    let size = meta.len();
    if size > MAX_UPLOAD {
        return Err(S3Error::Other(format!(
            "{} has {size} bytes; S3 takes at most 10,000 parts of {PART_SIZE} bytes. Nothing was sent.",
            path.display()
        )));
    }
    let options = PutOptions {
        content_type: Some(content_type(path).to_string()),
        retention: upload.retention.clone(),
        legal_hold: upload.legal_hold,
    };
    progress(0, Some(size));
    let target = (upload.bucket.as_str(), upload.key.as_str(), None);
    let multipart = size > MULTIPART_THRESHOLD;
    let version_id = if !multipart {
        let body = tokio::fs::read(path).await.map_err(local)?;
        let put = s3.put_bytes(&upload.bucket, &upload.key, body, &options);
        let version = trail
            .write(target, Write::Upload, put, Option::clone)
            .await?;
        progress(size, Some(size));
        version
    } else {
        let id = s3
            .start_multipart(&upload.bucket, &upload.key, &options)
            .await?;
        let mut guard = AbortOnDrop {
            s3: s3.clone(),
            bucket: upload.bucket.clone(),
            key: upload.key.clone(),
            upload_id: Some(id.clone()),
        };
        let mut file = tokio::fs::File::open(path).await.map_err(local)?;
        let mut parts = Vec::new();
        let mut sent = 0u64;
        let mut buf = vec![0u8; PART_SIZE];
        loop {
            let n = read_part(&mut file, &mut buf).await.map_err(local)?;
            if n == 0 {
                break;
            }
            let number = parts.len() as i32 + 1;
            let etag = s3
                .upload_part(&upload.bucket, &upload.key, &id, number, buf[..n].to_vec())
                .await?;
            parts.push((number, etag));
            sent += n as u64;
            progress(sent, Some(size));
        }
        let complete = s3.complete_multipart(&upload.bucket, &upload.key, &id, &parts);
        let version = trail
            .write(target, Write::Upload, complete, Option::clone)
            .await?;
        guard.upload_id = None;
        version
    };
    let mut lock = s3
        .head(&upload.bucket, &upload.key, version_id.as_deref())
        .await?
        .lock;
    let mut lock_applied_after = false;
    if multipart && let Some(v) = &version_id {
        if let Some((mode, until)) = &upload.retention
            && (lock.mode.as_ref() != Some(mode)
                || lock.retain_until.map(|t| t.unix_seconds()) != Some(until.as_second()))
        {
            let set = s3.set_retention(&upload.bucket, &upload.key, v, mode.clone(), *until, false);
            let what = Write::Retention {
                mode: mode.clone(),
                until: *until,
                bypass_governance: false,
            };
            let version = (
                upload.bucket.as_str(),
                upload.key.as_str(),
                Some(v.as_str()),
            );
            trail.write(version, what, set, |_| None).await?;
            lock_applied_after = true;
        }
        if upload.legal_hold && !lock.legal_hold.is_on() {
            let hold = s3.set_legal_hold(&upload.bucket, &upload.key, v, true);
            let version = (
                upload.bucket.as_str(),
                upload.key.as_str(),
                Some(v.as_str()),
            );
            trail
                .write(version, Write::LegalHold { on: true }, hold, |_| None)
                .await?;
            lock_applied_after = true;
        }
        if lock_applied_after {
            lock = s3.head(&upload.bucket, &upload.key, Some(v)).await?.lock;
        }
    }
    Ok(Uploaded {
        version_id,
        size,
        lock,
        multipart,
        lock_applied_after,
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
    if target.symlink_metadata().is_ok() && !request.overwrite {
        return Err(DownloadError::Exists(target));
    }
    let partial_path = request
        .directory
        .join(format!(".{}.lockwatch-partial", request.name));
    let mut download = s3
        .open_download(&request.bucket, &request.key, request.version_id.as_deref())
        .await
        .map_err(DownloadError::Server)?;
    // create_new never follows a link planted at the partial path nor writes into a file
    // already there: another save to the same name under way, or one a crash left behind.
    let std_file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&partial_path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => DownloadError::Local(format!(
                "{} exists: another save to this name is under way, or one was cut off (remove the file to try again)",
                partial_path.display()
            )),
            _ => local(e),
        })?;
    // Only a file this download created is removed when it fails.
    let mut partial = PartialFile(Some(partial_path.clone()));
    let mut file = tokio::fs::File::from_std(std_file);
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
    put_in_place(&partial_path, &target, request.overwrite)?;
    partial.0 = None;
    Ok(Downloaded {
        path: target,
        size: received,
        md5_verified: single_part_etag.is_some(),
        version_id: download.version_id.clone(),
    })
}

/// Moves the checked partial file to its name. Without `overwrite` the name is taken with a
/// hard link, which fails if anything (a file, a link planted meanwhile) is already there; a
/// file system without hard links falls back to a rename after a last check.
fn put_in_place(
    partial: &std::path::Path,
    target: &std::path::Path,
    overwrite: bool,
) -> Result<(), DownloadError> {
    let local = |e: std::io::Error| DownloadError::Local(e.to_string());
    if overwrite {
        return std::fs::rename(partial, target).map_err(local);
    }
    match std::fs::hard_link(partial, target) {
        Ok(()) => std::fs::remove_file(partial).map_err(local),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(DownloadError::Exists(target.to_path_buf()))
        }
        Err(_) if target.symlink_metadata().is_ok() => {
            Err(DownloadError::Exists(target.to_path_buf()))
        }
        Err(_) => std::fs::rename(partial, target).map_err(local),
    }
}

/// Directories in the directory of a partly typed path, for completing a download target.
pub fn list_dirs_for_completion(input: &str) -> Result<Vec<String>, String> {
    Ok(list_for_completion(input)?
        .into_iter()
        .filter(|n| n.ends_with('/'))
        .collect())
}

/// Objects larger than this cannot be copied with one CopyObject.
pub const MAX_SINGLE_COPY: u64 = 5 * 1024 * 1024 * 1024;
/// Part size for copies in parts.
pub const COPY_PART_SIZE: u64 = 512 * 1024 * 1024;

/// Restores an older version by copying it onto its key, guarded by its ETag; in parts when
/// it is over 5 GiB. Nothing is deleted. The copy is in the trail as `what` (a restore by
/// copy, or one key of a bulk undelete), and so is a copy the re-check kept from being sent.
pub async fn restore_by_copy(
    s3: &S3,
    trail: &Trail,
    what: Write,
    version: &crate::domain::VersionRef,
    etag: Option<&str>,
    size: Option<u64>,
    seen: Option<&SeenLatest>,
) -> Result<Option<String>, S3Error> {
    let target = (
        version.bucket.as_str(),
        &*version.key,
        Some(version.version_id.as_str()),
    );
    if let Some(seen) = seen
        && let Err(e) = recheck_latest(s3, &version.bucket, &version.key, seen).await
    {
        let (outcome, error_code) = Outcome::of(&Err::<(), _>(e.clone()));
        let kept = Record {
            outcome,
            error_code,
            ..record(target, what)
        };
        trail.append(kept).await;
        return Err(e);
    }
    let (bucket, key, id) = (&version.bucket, &version.key, &version.version_id);
    match size {
        Some(size) if size > MAX_SINGLE_COPY => {
            let copy = s3.copy_version_in_parts(bucket, key, id, etag, size, COPY_PART_SIZE);
            trail.write(target, what, copy, Option::clone).await
        }
        _ => {
            let copy = s3.copy_version(bucket, key, id, etag);
            trail.write(target, what, copy, Option::clone).await
        }
    }
}

/// `delete marker 3HL4…, written 2026-11-20 10:00:00 UTC` / `version …`: an entry as a
/// report or a refusal names it.
pub fn describe_entry(e: &crate::domain::HistoryEntry) -> String {
    format!(
        "{} {}, written {} UTC",
        if e.is_delete_marker() {
            "delete marker"
        } else {
            "version"
        },
        crate::domain::text::sanitize(&e.version_id),
        crate::domain::format::maybe_timestamp(e.last_modified)
    )
}
