//! The audit trail: one JSON line per write lockwatch performs, appended to a file in the
//! user's data directory (mode 0600). It holds no secret.

use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// RFC 3339, UTC.
    pub time: String,
    pub endpoint: String,
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// What was asked: `restore`, `delete`, `delete-version`, `legal-hold-on`, …
    pub action: String,
    /// `ok`, or `refused` / `failed` with the S3 error code.
    pub outcome: String,
    pub error_code: Option<String>,
    /// The new version or marker a write created, or what it removed.
    pub result_version_id: Option<String>,
}

/// `~/.local/share/lockwatch/audit.jsonl` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lockwatch").map(|d| d.data_dir().join("audit.jsonl"))
}

pub fn append(path: &Path, entry: &AuditEntry) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let line = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    writeln!(file, "{line}")
}

/// The last `n` entries, oldest first. Lines that are not entries are skipped.
pub fn read_last(path: &Path, n: usize) -> std::io::Result<Vec<AuditEntry>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries: Vec<AuditEntry> = std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    let skip = entries.len().saturating_sub(n);
    entries.drain(..skip);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str) -> AuditEntry {
        AuditEntry {
            time: "2026-11-26T12:00:00Z".into(),
            endpoint: "http://127.0.0.1:8333".into(),
            bucket: "bup".into(),
            key: "tux.svg".into(),
            version_id: Some("v1".into()),
            action: action.into(),
            outcome: "ok".into(),
            error_code: None,
            result_version_id: None,
        }
    }

    #[test]
    fn entries_append_and_read_back_in_order_with_private_permissions() {
        let dir = std::env::temp_dir().join(format!("lockwatch-audit-test-{}", std::process::id()));
        let path = dir.join("nested/audit.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        for a in ["restore", "delete", "delete-version"] {
            append(&path, &entry(a)).expect("append");
        }
        let last = read_last(&path, 2).expect("read");
        assert_eq!(
            last.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["delete", "delete-version"]
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_file_is_an_empty_trail() {
        assert!(
            read_last(Path::new("/nonexistent/lockwatch/audit.jsonl"), 5)
                .expect("ok")
                .is_empty()
        );
    }
}
