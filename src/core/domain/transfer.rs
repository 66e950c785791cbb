//! What a write or a transfer was asked to do and what it did, as plain data: the app asks,
//! the tasks carry it out, and both speak of it in these terms.

use super::error::S3Error;
use super::history::RestoreRefusal;
use super::{HistoryEntry, LockInfo, RetentionMode};
use jiff::Timestamp;
use std::path::PathBuf;
use std::sync::Arc;

/// What a restore did, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreFailure {
    #[error("{0}")]
    Refused(RestoreRefusal),
    #[error("{0}")]
    Server(S3Error),
    /// The request went out but the server never confirmed it (answer lost, cut short, or a
    /// 5xx); it was not sent again, and the key was read back to find out what happened.
    #[error(
        "the server did not confirm the request ({error}); lockwatch did not send it again. Read back: {read_back}"
    )]
    AnswerLost { error: S3Error, read_back: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreDone {
    pub bucket: String,
    pub key: Arc<str>,
    pub marker_version_id: String,
    pub becomes_current: Option<HistoryEntry>,
    /// The server did not confirm the delete, and reading the key back showed the marker gone.
    pub answer_lost: Option<S3Error>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    pub bucket: String,
    pub key: String,
    pub path: PathBuf,
    pub retention: Option<(RetentionMode, Timestamp)>,
    pub legal_hold: bool,
}

/// What an upload did, as read back from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub version_id: Option<String>,
    pub size: u64,
    pub lock: LockInfo,
    pub multipart: bool,
    /// The server did not keep the lock sent with the multipart upload; lockwatch applied it
    /// to the new version afterwards.
    pub lock_applied_after: bool,
}

/// What the user saw as a key's latest entry when confirming a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeenLatest {
    /// The latest entry of the version history shown.
    VersionId(String),
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
    /// The version the server sent, as it named it.
    pub version_id: Option<String>,
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
