//! Plain data about buckets, objects, versions and locks, and pure functions over them.
//! Nothing here performs I/O or reads the clock.

pub mod audit;
pub mod backoff;
pub mod connection;
pub mod coverage;
pub mod error;
pub mod format;
pub mod history;
pub mod inventory;
pub mod listing;
pub mod location;
pub mod lock;
pub mod pages;
pub mod paths;
pub mod percent;
pub mod posture;
pub mod sample;
pub mod sort;
pub mod text;
pub mod transfer;
pub mod undelete;
pub mod watch;

use jiff::Timestamp;
use std::sync::Arc;

pub use lock::{LegalHold, LockInfo, LockState, RetainUntil, RetentionMode};

/// A bucket as ListBuckets returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bucket {
    pub name: String,
    pub created: Option<Timestamp>,
}

/// The versioning state of a bucket. S3 reports no status at all for a bucket that never had
/// versioning enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    Enabled,
    Suspended,
    Never,
}

impl Versioning {
    pub fn label(self) -> &'static str {
        match self {
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
            Versioning::Never => "never",
        }
    }
}

/// A default retention period of a bucket's Object Lock configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionPeriod {
    Days(i32),
    Years(i32),
}

impl std::fmt::Display for RetentionPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, unit) = match *self {
            RetentionPeriod::Days(n) => (n, "day"),
            RetentionPeriod::Years(n) => (n, "year"),
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

/// A bucket's Object Lock configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketLock {
    /// Object Lock is not enabled on the bucket.
    Disabled,
    /// Object Lock is enabled; new versions get this default retention, if any.
    Enabled {
        default_retention: Option<(RetentionMode, RetentionPeriod)>,
    },
}

impl BucketLock {
    pub fn label(&self) -> String {
        match self {
            BucketLock::Disabled => "no lock".to_string(),
            BucketLock::Enabled {
                default_retention: None,
            } => "lock, no default".to_string(),
            BucketLock::Enabled {
                default_retention: Some((mode, period)),
            } => format!("{} {period}", mode.as_str()),
        }
    }
}

/// The details of a bucket that need one request each after the names are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDetails {
    pub versioning: Versioning,
    pub lock: BucketLock,
}

/// One object as a plain (non-versioned) listing reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEntry {
    pub key: Arc<str>,
    pub size: Option<u64>,
    pub last_modified: Option<Timestamp>,
    pub storage_class: Option<String>,
}

/// What a history entry is: a version carrying data, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Version {
        size: Option<u64>,
        etag: Option<String>,
        storage_class: Option<String>,
    },
    DeleteMarker,
}

/// One version or delete marker of a key, as ListObjectVersions reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub key: Arc<str>,
    /// S3 calls the version of an object written while versioning was off "null".
    pub version_id: String,
    pub kind: EntryKind,
    pub is_latest: bool,
    pub last_modified: Option<Timestamp>,
    /// Who wrote it, as the server names the owner (ListObjectVersions' Owner); `None` when
    /// the server does not say. Shared between the entries of one page.
    pub owner: Option<Arc<Owner>>,
}

/// The owner of a version or delete marker as the server names it: a canonical user id (AWS),
/// a user id such as `tenant$user` (Ceph RGW), and a display name where the server gives one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    pub id: String,
    pub display_name: Option<String>,
}

impl Owner {
    /// The display name, or the id when there is none.
    pub fn label(&self) -> &str {
        self.display_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.id)
    }
}

impl HistoryEntry {
    pub fn is_delete_marker(&self) -> bool {
        matches!(self.kind, EntryKind::DeleteMarker)
    }

    pub fn size(&self) -> Option<u64> {
        match &self.kind {
            EntryKind::Version { size, .. } => *size,
            EntryKind::DeleteMarker => None,
        }
    }
}

/// Identifies one version of one key in one bucket (the lock cache key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VersionRef {
    pub bucket: String,
    pub key: Arc<str>,
    pub version_id: String,
}

/// Hands a large vector's memory back to the system a few megabytes at a time (each step a
/// shrink of its mapping), so that no single unmapping of hundreds of megabytes holds the
/// process's memory map while another thread (the one drawing the screen) waits to fault in a
/// page.
pub fn release_gradually<T>(mut v: Vec<T>) {
    let step = ((8 << 20) / std::mem::size_of::<T>().max(1)).max(1);
    while v.len() > step {
        v.truncate(v.len() - step);
        v.shrink_to_fit();
    }
}
