//! The audit trail: one JSON line per write lockwatch performs, appended to a file in the
//! user's data directory (mode 0600). It holds no secret.
//!
//! The one path every write takes, from the UI and from the command line alike. The S3
//! layer's writes return an `Unaudited` write that only `Trail::write` can send: it sends it
//! once and appends its outcome before returning it. `Trail::append` adds what happened after
//! (what reading a key back showed) or instead (a write a re-check kept from being sent). A
//! trail that cannot be written is said through the `on_failure` its owner gave (the UI's
//! status line, the command line's stderr); the write itself is never held back by it.

pub use crate::domain::audit::{Actor, AuditEntry, AuditLine, Outcome, Record, Write};
use crate::domain::error::S3Error;
use std::future::Future;
use std::io::{BufRead, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// `~/.local/share/lockwatch/audit.jsonl` on Linux.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lockwatch").map(|d| d.data_dir().join("audit.jsonl"))
}

/// The trail of `--demo` sessions, beside the real one: `sandbox-audit.jsonl`.
pub fn sandbox_path() -> Option<PathBuf> {
    default_path().map(|p| p.with_file_name("sandbox-audit.jsonl"))
}

/// A demonstration starts with a trail of its own: the sandbox is new each run and its version
/// ids repeat, so the entries of an earlier run would look like this run's. The earlier trail is
/// kept beside it as `sandbox-audit.previous.jsonl` (replacing the one before), never deleted.
pub fn fresh_sandbox_trail() -> std::io::Result<()> {
    let Some(path) = sandbox_path() else {
        return Ok(());
    };
    match std::fs::rename(&path, path.with_file_name("sandbox-audit.previous.jsonl")) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What a write is about: bucket, key (empty for the bucket itself), version id.
pub type Target<'a> = (&'a str, &'a str, Option<&'a str>);

/// Told, in words, each time the trail cannot be written.
type OnFailure = Arc<dyn Fn(String) + Send + Sync>;

/// The trail of one connection: where it is kept, the endpoint written to, and who writes —
/// known in part at start (the access key, the local user), completed when the server says who
/// these credentials are (`identified`).
#[derive(Clone)]
pub struct Trail {
    path: Option<PathBuf>,
    endpoint: String,
    actor: Arc<Mutex<Actor>>,
    on_failure: OnFailure,
}

impl Trail {
    pub fn new(
        path: Option<PathBuf>,
        endpoint: &str,
        actor: Actor,
        on_failure: impl Fn(String) + Send + Sync + 'static,
    ) -> Trail {
        Trail {
            path,
            endpoint: endpoint.to_string(),
            actor: Arc::new(Mutex::new(actor)),
            on_failure: Arc::new(on_failure),
        }
    }

    /// Where the trail is kept (none when no data directory is known for this user).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The endpoint written to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Who writes, as known now.
    pub fn actor(&self) -> Actor {
        match self.actor.lock() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The server said who these credentials are (ListBuckets' Owner).
    pub fn identified(&self, id: &str, display_name: Option<String>) {
        let mut actor = match self.actor.lock() {
            Ok(a) => a,
            Err(poisoned) => poisoned.into_inner(),
        };
        actor.owner_id = Some(id.to_string()).filter(|i| !i.is_empty());
        actor.owner_name = display_name;
    }

    /// Sends `write` once and records its outcome (with the version it created, if any) before
    /// returning it. Never retries: a write whose answer was lost may have happened.
    pub async fn write<T, F>(
        &self,
        target: Target<'_>,
        what: Write,
        write: Unaudited<F>,
        created: impl FnOnce(&T) -> Option<String>,
    ) -> Result<T, S3Error>
    where
        F: Future<Output = Result<T, S3Error>>,
    {
        let result = write.0.await;
        let (outcome, error_code) = Outcome::of(&result);
        self.append(Record {
            result_version_id: result.as_ref().ok().and_then(created),
            outcome,
            error_code,
            ..record(target, what)
        })
        .await;
        result
    }

    /// Appends a record and waits for the disk (on a blocking thread), so that nothing after
    /// it happens before it is in the trail; a failure goes to `on_failure`.
    pub async fn append(&self, record: Record) {
        let trail = self.clone();
        let written = match tokio::task::spawn_blocking(move || trail.append_now(record)).await {
            Ok(written) => written,
            Err(e) => Err(std::io::Error::other(e)),
        };
        if let Err(e) = written {
            (self.on_failure)(e.to_string());
        }
    }

    /// Appends one record as one whole line, on this thread. The line is written with a single
    /// `write` under an exclusive lock on the file, so that processes (and the workers of one
    /// bulk undelete) appending at once never interleave their lines.
    fn append_now(&self, record: Record) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Err(std::io::Error::other(
                "no data directory is known for this user",
            ));
        };
        let entry = record.entry(jiff::Timestamp::now(), &self.endpoint, self.actor());
        append_line(path, &entry)
    }
}

/// A record of `what` on `target`, its outcome to be filled in.
pub fn record(target: Target<'_>, what: Write) -> Record {
    let (bucket, key, version_id) = target;
    Record {
        bucket: bucket.to_string(),
        key: key.to_string(),
        version_id: version_id.map(str::to_string),
        write: what,
        outcome: Outcome::Ok,
        error_code: None,
        result_version_id: None,
    }
}

/// A write to the server, not yet sent. The S3 layer's writes return one; `Trail::write` is
/// the one way lockwatch sends it, audited (the future inside is private to this module).
/// `unrecorded` sends it without the trail, by name: for filling the demo sandbox and for
/// tests' fixtures; `.ci/check-layers` fails on it anywhere else in lockwatch.
///
/// ```compile_fail
/// // A write awaited around the trail does not compile:
/// async fn bypass(s3: &lockwatch::s3::S3) {
///     let _ = s3.delete_object("bucket", "key").await;
/// }
/// ```
///
/// ```
/// // Through the trail, it does:
/// use lockwatch::audit::{Trail, Write};
/// async fn audited(s3: &lockwatch::s3::S3, trail: &Trail) {
///     let write = s3.delete_object("bucket", "key");
///     let _ = trail.write(("bucket", "key", None), Write::Delete, write, |_| None).await;
/// }
/// ```
#[must_use = "a write is sent only through Trail::write"]
pub struct Unaudited<F>(F);

impl<F: Future> Unaudited<F> {
    /// For the S3 layer: the future that sends a write.
    pub fn new(send: F) -> Unaudited<F> {
        Unaudited(send)
    }

    /// Sends the write without recording it: the demo's seed and tests' fixtures only.
    pub async fn unrecorded(self) -> F::Output {
        self.0.await
    }
}

/// Who runs lockwatch here, for the audit actor: the local user and the host.
pub fn here(actor: &mut Actor) {
    actor.local_user = local_user();
    actor.host = local_host();
}

/// Who runs lockwatch on this machine: $USER or $LOGNAME, else the name /etc/passwd gives
/// the user id, else the number.
fn local_user() -> Option<String> {
    let uid = rustix::process::getuid().as_raw();
    let from_passwd = || {
        let passwd = crate::files::read_regular_text(Path::new("/etc/passwd"), 4 << 20).ok()?;
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?;
            (id.parse::<u32>().ok()? == uid && !name.is_empty()).then(|| name.to_string())
        })
    };
    let name = env_nonempty("USER")
        .or_else(|| env_nonempty("LOGNAME"))
        .or_else(from_passwd)
        .unwrap_or_else(|| format!("uid {uid}"));
    Some(crate::domain::text::sanitize(&name).into_owned())
}

/// This machine's host name (uname's nodename).
fn local_host() -> Option<String> {
    let uname = rustix::system::uname();
    let name = uname.nodename().to_string_lossy();
    (!name.is_empty()).then(|| crate::domain::text::sanitize(&name).into_owned())
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Appends `entry` to the trail at `path` as one line, under a lock (see `Trail::append`).
fn append_line(path: &Path, entry: &AuditEntry) -> std::io::Result<()> {
    let mut file = crate::files::open_private_append(path)?;
    // Bidirectional overrides and invisible characters (a key, a Keystone project name) are
    // written as `\uXXXX`: `tail` shows the line as it is.
    let json = serde_json::to_string(entry).map_err(std::io::Error::other)?;
    let mut line = crate::domain::text::json_visible(&json)
        .into_owned()
        .into_bytes();
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
            outcome: Outcome::Ok,
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
            append_line(&path, &entry(a)).expect("append");
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
                        append_line(&path, &e).expect("append");
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

    #[test]
    fn a_write_is_sent_once_and_recorded_before_it_returns() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let dir = std::env::temp_dir().join(format!("lockwatch-trail-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let failures = Arc::new(Mutex::new(Vec::new()));
        let said = failures.clone();
        let trail = Trail::new(
            Some(dir.join("audit.jsonl")),
            "http://127.0.0.1:1",
            Actor::default(),
            move |e| said.lock().expect("failures").push(e),
        );
        let lines = || read_last(&dir.join("audit.jsonl"), 100).expect("trail");
        let sent = AtomicUsize::new(0);
        let lost = rt.block_on(trail.write(
            ("b", "k", Some("v1")),
            Write::DeleteVersion {
                bypass_governance: false,
            },
            Unaudited::new(async {
                sent.fetch_add(1, Ordering::SeqCst);
                Err::<String, _>(S3Error::Timeout("no answer".into()))
            }),
            |_| None,
        ));
        assert!(lost.is_err());
        assert_eq!(sent.load(Ordering::SeqCst), 1, "never resent");
        let first = lines();
        let [AuditLine::Entry(entry)] = first.as_slice() else {
            panic!("one line: {first:?}")
        };
        assert_eq!(
            (entry.action.as_str(), &entry.outcome),
            ("delete-version", &Outcome::Failed)
        );

        let made = rt.block_on(trail.write(
            ("b", "k", None),
            Write::Delete,
            Unaudited::new(async { Ok::<_, S3Error>("m1".to_string()) }),
            |id| Some(id.clone()),
        ));
        assert_eq!(made.as_deref(), Ok("m1"));
        let all = lines();
        let Some(AuditLine::Entry(entry)) = all.last() else {
            panic!("{all:?}")
        };
        assert_eq!(entry.outcome, Outcome::Ok);
        assert_eq!(entry.result_version_id.as_deref(), Some("m1"));
        assert!(failures.lock().expect("failures").is_empty());

        // A trail that cannot be written is said, and the write still happens.
        let nowhere = Trail::new(None, "e", Actor::default(), {
            let said = failures.clone();
            move |e| said.lock().expect("failures").push(e)
        });
        let done = rt.block_on(nowhere.write(
            ("b", "k", None),
            Write::Delete,
            Unaudited::new(async { Ok::<_, S3Error>(()) }),
            |_| None,
        ));
        assert_eq!(done, Ok(()));
        assert_eq!(
            failures.lock().expect("failures").as_slice(),
            ["no data directory is known for this user"]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn invisible_and_bidi_characters_are_written_escaped_and_read_back_whole() {
        let dir = std::env::temp_dir().join(format!("lockwatch-audit-bidi-{}", std::process::id()));
        let path = dir.join("audit.jsonl");
        let _ = std::fs::remove_dir_all(&dir);
        let mut e = entry("restore");
        // U+202E reorders the rest of a line in a terminal; a tag character is invisible; an
        // emoji above U+FFFF is harmless and stays as it is.
        e.key = "invoice\u{202E}fdp.exe\u{E0041}-\u{1F600}".into();
        e.actor = Some(Actor {
            keystone_project: Some("ops\u{2066}x".into()),
            ..Actor::default()
        });
        append_line(&path, &e).expect("append");
        let raw = std::fs::read_to_string(&path).expect("read");
        let line = raw.strip_suffix('\n').expect("one whole line");
        assert!(
            !line.chars().any(crate::domain::text::must_escape),
            "a raw invisible or bidi character: {raw:?}"
        );
        assert!(
            raw.contains("\\u202E") && raw.contains("\\uDB40\\uDC41") && raw.contains("\\u2066"),
            "{raw}"
        );
        assert!(raw.contains('\u{1F600}'), "{raw}");
        assert_eq!(
            read_last(&path, 1).expect("read"),
            [AuditLine::Entry(Box::new(e))]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
