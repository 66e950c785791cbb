//! Diagnostic logging: off unless asked for (`--log LEVEL` or `LOCKWATCH_LOG`), written only
//! to a file of mode 0600 in the user's state directory, never to the terminal, and with every
//! known secret replaced before a line reaches the file.

use std::io::Write;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Mutex, RwLock};
use tracing_subscriber::filter::Targets;

/// Secrets to cut out of every log line: secret keys and session tokens, registered as soon
/// as they are known.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Cuts `secret` out of every log line written from now on.
pub fn redact(secret: &str) {
    // Short values would redact ordinary words; real secrets are long.
    if secret.len() < 8 {
        return;
    }
    if let Ok(mut secrets) = SECRETS.write()
        && !secrets.iter().any(|s| s == secret)
    {
        secrets.push(secret.to_string());
    }
}

fn scrub(line: &str) -> String {
    let mut line = line.to_string();
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if line.contains(secret.as_str()) {
                line = line.replace(secret.as_str(), "[redacted]");
            }
        }
    }
    line
}

/// `~/.local/state/lockwatch/lockwatch.log` on Linux.
pub fn default_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "lockwatch")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("lockwatch.log"))
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(
        "invalid log filter '{0}': give a level (error, warn, info, debug, trace) or targets such as lockwatch=debug,aws_smithy_runtime=info"
    )]
    Filter(String),
    #[error("cannot open the log file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no state directory is known for this user; give the log file with --log-file")]
    NoPath,
}

/// A log file that scrubs secrets from each event (the formatter writes one event per call).
struct Scrubbing(Mutex<std::fs::File>);

impl Write for &Scrubbing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = scrub(&String::from_utf8_lossy(buf));
        let mut file = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("log file lock poisoned"))?;
        file.write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.lock() {
            Ok(mut file) => file.flush(),
            Err(_) => Ok(()),
        }
    }
}

/// Starts logging at `filter` to `path` (or the default path). Returns the file's path.
pub fn init(filter: &str, path: Option<PathBuf>) -> Result<PathBuf, LogError> {
    let targets =
        Targets::from_str(filter.trim()).map_err(|_| LogError::Filter(filter.to_string()))?;
    let path = path.or_else(default_path).ok_or(LogError::NoPath)?;
    let file = crate::files::open_private_append(&path).map_err(|source| LogError::File {
        path: path.clone(),
        source,
    })?;
    let writer: &'static Scrubbing = Box::leak(Box::new(Scrubbing(Mutex::new(file))));
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(move || writer),
        )
        .with(targets)
        .try_init()
        .map_err(|e| LogError::Filter(e.to_string()))?;
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        filter,
        "lockwatch log started"
    );
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_scrubbed_and_short_values_ignored() {
        redact("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        redact("abc");
        assert_eq!(
            scrub("x-amz-security-token:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY abc"),
            "x-amz-security-token:[redacted] abc"
        );
    }

    #[test]
    fn a_log_file_others_could_read_is_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("deep/lockwatch.log");
        std::fs::create_dir_all(dir.path().join("deep")).expect("dir");
        std::fs::write(&path, "old\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        crate::files::open_private_append(&path).expect("open");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
