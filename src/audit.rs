//! The audit trail: one JSON line per write lockwatch performs, appended to a file in the
//! user's data directory (mode 0600). It holds no secret.

pub use crate::domain::audit::{AuditEntry, AuditLine};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// `~/.local/share/lockwatch/audit.jsonl` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lockwatch").map(|d| d.data_dir().join("audit.jsonl"))
}

/// Appends one entry as one whole line: the line is written with a single `write` under an
/// exclusive lock on the file, so that processes (and the workers of one bulk undelete)
/// appending at once never interleave their lines.
/// The trail of `--demo` sessions, beside the real one: `sandbox-audit.jsonl`.
pub fn sandbox_path() -> Option<PathBuf> {
    default_path().map(|p| p.with_file_name("sandbox-audit.jsonl"))
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
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    file.lock()?;
    let written = file.write_all(&line);
    let unlocked = file.unlock();
    written.and(unlocked)
}

/// The last `n` lines, oldest first. A line that is not an entry is kept as unreadable.
pub fn read_last(path: &Path, n: usize) -> std::io::Result<Vec<AuditLine>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut lines: std::collections::VecDeque<AuditLine> = std::collections::VecDeque::new();
    for line in std::io::BufReader::new(file).split(b'\n') {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        lines.push_back(match serde_json::from_slice(&line) {
            Ok(entry) => AuditLine::Entry(Box::new(entry)),
            Err(_) => AuditLine::Unreadable(String::from_utf8_lossy(&line).into_owned()),
        });
        if lines.len() > n {
            lines.pop_front();
        }
    }
    Ok(lines.into())
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
            actor: None,
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
            last,
            [
                AuditLine::Entry(Box::new(entry("delete"))),
                AuditLine::Entry(Box::new(entry("delete-version")))
            ]
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
    fn writers_at_once_never_interleave_and_a_damaged_line_is_shown() {
        let dir = std::env::temp_dir().join(format!("lockwatch-audit-race-{}", std::process::id()));
        let path = dir.join("audit.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let mut e = entry("restore");
                        // Long lines make a split write likely if there is one.
                        e.key = format!("{t}-{i}-{}", "k".repeat(3000));
                        append(&path, &e).expect("append");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("writer");
        }
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{not json\n"))
            .expect("damage");
        let all = read_last(&path, 10_000).expect("read");
        assert_eq!(all.len(), 1601);
        assert_eq!(
            all.iter()
                .filter(|l| matches!(l, AuditLine::Entry(_)))
                .count(),
            1600,
            "every line whole"
        );
        assert_eq!(all.last(), Some(&AuditLine::Unreadable("{not json".into())));
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
