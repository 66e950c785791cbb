//! `report --checkpoint FILE`: the report's progress on disk — where the listing goes on and
//! the tallies so far — so that a report cut by a failure or Ctrl-C continues where it
//! stopped. Written whole to a temporary file and renamed over the old one (a crash leaves
//! the old checkpoint or the new, never half of one), mode 0600 (it names keys), and held
//! with a lock on `FILE.lock` so that two reports never write the same checkpoint.

use crate::domain::coverage::Resumable;
use crate::domain::pages::VersionMarker;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const FORMAT_VERSION: u32 = 2;
/// A checkpoint holds capped lists; anything larger is not one of lockwatch's.
const MAX_BYTES: u64 = 256 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Checkpoint {
    pub lockwatch_report_checkpoint: u32,
    pub endpoint: String,
    pub bucket: String,
    pub prefix: String,
    pub format: String,
    /// Where the listing goes on; `None` with `complete` false: from the beginning.
    pub next: Option<Marker>,
    pub complete: bool,
    pub state: Resumable,
}

/// `VersionMarker` as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub key: String,
    pub version_id: Option<String>,
}

impl From<&VersionMarker> for Marker {
    fn from(m: &VersionMarker) -> Marker {
        Marker {
            key: m.key.clone(),
            version_id: m.version_id.clone(),
        }
    }
}

impl From<Marker> for VersionMarker {
    fn from(m: Marker) -> VersionMarker {
        VersionMarker {
            key: m.key,
            version_id: m.version_id,
        }
    }
}

/// The report a checkpoint belongs to; resuming another one from it is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub endpoint: String,
    pub bucket: String,
    pub prefix: String,
    pub format: String,
}

/// The checkpoint file, held for the length of the report.
pub struct CheckpointFile {
    path: PathBuf,
    _lock: std::fs::File,
}

impl CheckpointFile {
    /// Takes the file: the checkpoint in it when there is one (refused when it belongs to
    /// another report or is complete), nothing when the file does not exist yet.
    pub fn open(
        path: &Path,
        identity: &Identity,
    ) -> Result<(CheckpointFile, Option<Checkpoint>), String> {
        let shown = path.display();
        let lock_path = sibling(path, ".lock");
        let lock = crate::files::open_private(&lock_path, false)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "another lockwatch report is using the checkpoint {shown} (it holds {})",
                    lock_path.display()
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()));
            }
        }
        let file = CheckpointFile {
            path: path.to_path_buf(),
            _lock: lock,
        };
        let text = match crate::files::read_regular(path, MAX_BYTES, crate::files::Symlinks::Refuse)
        {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((file, None)),
            Err(e) => return Err(format!("cannot read the checkpoint {shown}: {e}")),
        };
        let checkpoint: Checkpoint = serde_json::from_slice(&text)
            .map_err(|e| format!("{shown} is not a lockwatch report checkpoint: {e}"))?;
        if checkpoint.lockwatch_report_checkpoint != FORMAT_VERSION {
            return Err(format!(
                "{shown} is a checkpoint of another lockwatch version (format {}); this one reads format {FORMAT_VERSION}",
                checkpoint.lockwatch_report_checkpoint
            ));
        }
        let theirs = Identity {
            endpoint: checkpoint.endpoint.clone(),
            bucket: checkpoint.bucket.clone(),
            prefix: checkpoint.prefix.clone(),
            format: checkpoint.format.clone(),
        };
        if &theirs != identity {
            return Err(format!(
                "{shown} is the checkpoint of the {} report of s3://{}/{} on {}, not of this one (the {} report of s3://{}/{} on {}): give another file",
                theirs.format,
                crate::domain::text::sanitize(&theirs.bucket),
                crate::domain::text::sanitize(&theirs.prefix),
                crate::domain::text::sanitize(&theirs.endpoint),
                identity.format,
                identity.bucket,
                identity.prefix,
                identity.endpoint
            ));
        }
        if checkpoint.complete {
            let taken = &checkpoint.state.coverage.taken_at;
            let taken = taken.parse::<jiff::Timestamp>().map_or_else(
                |_| crate::domain::text::sanitize(taken).into_owned(),
                |t| format!("{} UTC", crate::domain::format::timestamp(t)),
            );
            return Err(format!(
                "{shown} holds a finished report (taken {taken}): remove it to take a new one"
            ));
        }
        Ok((file, Some(checkpoint)))
    }

    /// After the last save of a finished report: the lock file goes (a report started later
    /// finds the finished checkpoint and stops there).
    pub fn release(self) {
        let _ = std::fs::remove_file(sibling(&self.path, ".lock"));
    }

    /// Replaces the checkpoint on disk with `checkpoint`.
    pub fn save(&self, checkpoint: &Checkpoint) -> Result<(), String> {
        crate::files::replace_whole(&self.path, |out| {
            serde_json::to_writer(out, checkpoint).map_err(std::io::Error::other)
        })
        .map_err(|e| format!("cannot save the checkpoint {}: {e}", self.path.display()))
    }
}

pub fn new_checkpoint(identity: &Identity, state: Resumable) -> Checkpoint {
    Checkpoint {
        lockwatch_report_checkpoint: FORMAT_VERSION,
        endpoint: identity.endpoint.clone(),
        bucket: identity.bucket.clone(),
        prefix: identity.prefix.clone(),
        format: identity.format.clone(),
        next: None,
        complete: false,
        state,
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}
