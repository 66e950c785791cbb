//! The state folder of one watched location: what the watcher compares the next interval with
//! (the posture baseline, the storm detector, the last listing) and what it says of itself
//! (`status.json`, read by `lockwatch check` and the UI).
//!
//! One folder per endpoint, bucket and prefix (named by a digest of the three, so no key or
//! prefix ever becomes a path), made 0700, its files 0600, written whole and renamed into
//! place. A lock file is held while a watcher uses it: a second watcher of the same location
//! is refused, and `check` tells a running watcher from a stopped one by it.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::File;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// The largest state file read back (the listing is not read this way).
const MAX_STATE: u64 = 16 << 20;

/// Where the state folders are: `~/.local/state/lockwatch/` on Linux.
pub fn default_base() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lockwatch").map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .to_path_buf()
    })
}

/// The folder of a location: `BASE/ROLE/DIGEST` (`ROLE`: watch or check).
pub fn folder(base: &Path, role: &str, endpoint: &str, bucket: &str, prefix: &str) -> PathBuf {
    use md5::Digest;
    let digest = md5::Md5::digest(format!("{endpoint}\n{bucket}\n{prefix}").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    base.join(role).join(hex)
}

/// What a state folder says it is for (`location.json`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub endpoint: String,
    pub bucket: String,
    pub prefix: String,
}

/// A state folder, held (locked) for as long as this value lives.
pub struct StateDir {
    dir: PathBuf,
    _lock: File,
}

/// Whether a watcher holds the folder now (`None`: no folder or no lock file there).
pub fn held(dir: &Path) -> Option<bool> {
    let lock = open_private(&dir.join("lock"), false).ok()?;
    match lock.try_lock() {
        Ok(()) => Some(false),
        Err(std::fs::TryLockError::WouldBlock) => Some(true),
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

pub use crate::files::open_private;

impl StateDir {
    /// Takes the folder of `identity` under `base/role`, creating it; refused when another
    /// process holds it, or when it is not a folder of this user's (a symbolic link put
    /// there is refused, never followed).
    pub fn open(base: &Path, role: &str, identity: &Identity) -> Result<StateDir, String> {
        let dir = folder(
            base,
            role,
            &identity.endpoint,
            &identity.bucket,
            &identity.prefix,
        );
        let shown = dir.display().to_string();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| format!("cannot create the state folder {shown}: {e}"))?;
        let meta = std::fs::symlink_metadata(&dir)
            .map_err(|e| format!("cannot read the state folder {shown}: {e}"))?;
        if !meta.is_dir() {
            return Err(format!(
                "the state folder {shown} is not a folder (a symbolic link?): remove it"
            ));
        }
        let lock_path = dir.join("lock");
        let lock = open_private(&lock_path, false)
            .map_err(|e| format!("cannot open {}: {e}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "another lockwatch {role} is using the state folder {shown} (of s3://{}/{} on {}); stop it first, or give another --state-dir",
                    crate::domain::text::sanitize(&identity.bucket),
                    crate::domain::text::sanitize(&identity.prefix),
                    crate::domain::text::sanitize(&identity.endpoint)
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", lock_path.display()));
            }
        }
        let state = StateDir { dir, _lock: lock };
        match state.load::<Identity>("location.json")? {
            Some(theirs) if &theirs != identity => {
                return Err(format!(
                    "the state folder {shown} belongs to s3://{}/{} on {}, not to this location: remove it",
                    crate::domain::text::sanitize(&theirs.bucket),
                    crate::domain::text::sanitize(&theirs.prefix),
                    crate::domain::text::sanitize(&theirs.endpoint)
                ));
            }
            Some(_) => {}
            None => state.save("location.json", identity)?,
        }
        Ok(state)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A JSON file of the folder, `None` when there is none yet.
    pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, String> {
        load(&self.path(name))
    }

    /// Replaces a JSON file of the folder, whole.
    pub fn save<T: Serialize>(&self, name: &str, value: &T) -> Result<(), String> {
        let path = self.path(name);
        crate::files::replace_whole(&path, |out| {
            serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::other)?;
            out.write_all(b"\n")
        })
        .map_err(|e| format!("cannot save {}: {e}", path.display()))
    }
}

/// A JSON state file anywhere (`check` reads a watcher's without holding its folder).
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    match crate::files::read_regular(path, MAX_STATE, crate::files::Symlinks::Refuse) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is not what lockwatch wrote: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}
