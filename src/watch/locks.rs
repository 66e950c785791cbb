//! The lock count: every version's lock read (the report's pipeline: the listing split over
//! folders, HEADs as many at once as the server takes), kept on disk beside the last count and
//! compared with it — legal holds released, retentions shortened — and what it says of the
//! current versions: how many are protected, the earliest end of their protection, and how
//! many end within the horizon (a backup tool that stopped extending its locks).

use super::records::{Walker, Writer};
use crate::domain::coverage::Protection;
use crate::domain::location::S3Location;
use crate::domain::watch::scan::{Entry, Lock, LockChange, lock_changes};
use crate::domain::{HistoryEntry, LockInfo, RetainUntil};
use crate::s3::S3;
use crate::work::report::{Format, Options, build};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The name of the last lock count in the state folder.
pub const FILE: &str = "locks.gz";
/// Versions named as examples of a change.
const EXAMPLES: usize = 10;

/// The current version whose protection ends first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Earliest {
    /// RFC 3339, milliseconds.
    pub until: String,
    /// Unix seconds of `until`.
    pub until_seconds: i64,
    pub key: String,
    pub version_id: String,
    pub mode: String,
}

/// What a lock count found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counted {
    /// The server's time when it began (RFC 3339).
    pub at: String,
    /// Unix seconds of `at`.
    pub at_seconds: i64,
    /// Versions by protection (its code: compliance, governance, legal_hold, expired, none,
    /// unknown).
    pub by_protection: BTreeMap<String, u64>,
    pub legal_holds: u64,
    pub current_versions: u64,
    /// Current versions a retention or a legal hold protects.
    pub current_protected: u64,
    /// Current versions whose lock could not be read whole (a mode or a hold lockwatch does
    /// not know, a date that is no date, a HEAD that failed): maybe protected, never counted
    /// as unprotected.
    #[serde(default)]
    pub current_unknown: u64,
    /// Current versions whose retention ends within `horizon_days` (and no hold keeps).
    pub current_ending: u64,
    pub horizon_days: u64,
    pub earliest_current: Option<Earliest>,
    /// Versions whose HEAD failed.
    pub unknown: u64,
    pub seconds: f64,
    /// The first versions of each change, for the evidence ("key (version id): …").
    #[serde(skip)]
    pub released: Vec<String>,
    #[serde(skip)]
    pub released_count: u64,
    #[serde(skip)]
    pub shortened: Vec<String>,
    #[serde(skip)]
    pub shortened_count: u64,
    /// The keys of those examples, as the server sent them.
    #[serde(skip)]
    pub released_keys: Vec<String>,
    #[serde(skip)]
    pub shortened_keys: Vec<String>,
    /// There was no count before (or it could not be read): nothing compared.
    #[serde(skip)]
    pub first: bool,
}

/// What the report's pipeline hands each entry to while it counts.
struct Tally {
    out: Option<Writer>,
    failed: Option<std::io::Error>,
    group: Option<(Arc<str>, Vec<Entry>)>,
    counted: Counted,
    now: i64,
    horizon: i64,
}

impl Tally {
    fn write(&mut self, key: &str, entries: &[Entry]) {
        if let Some(out) = &mut self.out
            && let Err(e) = out.key(key, entries)
        {
            self.failed.get_or_insert(e);
        }
    }

    fn add(&mut self, e: &HistoryEntry, lock: Option<(&Result<LockInfo, String>, Protection)>) {
        let mut kept = super::scan::entry(e);
        match lock {
            Some((Ok(info), protection)) => {
                let l = Lock::of(info);
                if e.is_latest {
                    self.current(e, &l, protection);
                }
                kept.lock = Some(l);
            }
            Some((Err(_), _))
                if e.is_latest && e.kind != crate::domain::EntryKind::DeleteMarker =>
            {
                self.counted.current_unknown += 1;
            }
            _ => {}
        }
        match &mut self.group {
            Some((key, entries)) if **key == *e.key => entries.push(kept),
            _ => {
                if let Some((key, entries)) = self.group.take() {
                    self.write(&key, &entries);
                }
                self.group = Some((e.key.clone(), vec![kept]));
            }
        }
    }

    fn current(&mut self, e: &HistoryEntry, lock: &Lock, protection: Protection) {
        if matches!(
            protection,
            Protection::Compliance | Protection::Governance | Protection::LegalHold
        ) {
            self.counted.current_protected += 1;
        }
        if protection == Protection::Unknown {
            self.counted.current_unknown += 1;
        }
        // Running out: a retention in force, no hold to keep it after.
        if lock.hold || !lock.retained_at(self.now) {
            return;
        }
        let Some((secs, nanos)) = lock.until else {
            return;
        };
        if secs <= self.now.saturating_add(self.horizon) {
            self.counted.current_ending += 1;
        }
        if self
            .counted
            .earliest_current
            .as_ref()
            .is_none_or(|x| secs < x.until_seconds)
        {
            self.counted.earliest_current = Some(Earliest {
                until: RetainUntil::from_unix(secs, nanos).rfc3339_millis(),
                until_seconds: secs,
                key: e.key.to_string(),
                version_id: e.version_id.clone(),
                mode: lock.mode.clone(),
            });
        }
    }
}

/// Reads every version's lock of `location`, compares with the count kept in `dir`, and keeps
/// the new one.
pub async fn count(
    s3: &S3,
    endpoint: &str,
    location: &S3Location,
    dir: &Path,
    horizon_days: u64,
    max_keys: Option<i32>,
) -> Result<Counted, String> {
    let started = std::time::Instant::now();
    let now = s3.server_now();
    let out = Writer::create(dir, FILE)
        .map_err(|e| format!("cannot keep the lock count in {}: {e}", dir.display()))?;
    let tally = Arc::new(Mutex::new(Tally {
        out: Some(out),
        failed: None,
        group: None,
        counted: Counted {
            at: crate::domain::format::json_time(now),
            at_seconds: now.as_second(),
            horizon_days,
            ..Counted::default()
        },
        now: now.as_second(),
        horizon: i64::try_from(horizon_days.saturating_mul(86_400)).unwrap_or(i64::MAX),
    }));
    let mut options = Options::new(Format::Json);
    options.max_keys = max_keys;
    let shared = tally.clone();
    options.each = Some(Box::new(move |e, lock| {
        let mut t = match shared.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        t.add(e, lock);
    }));
    let built = build(
        s3,
        endpoint,
        location,
        options,
        &mut std::io::sink(),
        |_| {},
    )
    .await;
    let (out, failed, mut counted) = {
        let mut t = match tally.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some((key, entries)) = t.group.take() {
            t.write(&key, &entries);
        }
        (
            t.out.take(),
            t.failed.take(),
            std::mem::take(&mut t.counted),
        )
    };
    let Some(out) = out else {
        return Err("the lock count was taken twice".into());
    };
    let coverage = match built {
        Ok(c) => c,
        Err(e) => {
            out.abandon();
            return Err(format!("the lock count failed: {e}"));
        }
    };
    let disk = |e: std::io::Error| format!("cannot keep the lock count in {}: {e}", dir.display());
    if let Some(e) = failed {
        out.abandon();
        return Err(disk(e));
    }
    for (p, count) in coverage.by_protection.iter() {
        counted
            .by_protection
            .insert(p.code().to_string(), count.versions);
    }
    counted.legal_holds = coverage.legal_holds;
    counted.current_versions = coverage.current_versions;
    counted.unknown = coverage.unknown_count;
    // The new count is whole on disk beside the kept one: compare them key by key, then put
    // the new one in its place.
    let new_path = out.finish().map_err(disk)?;
    counted.first = true;
    if let Ok(Some(mut old)) = Walker::open(&dir.join(FILE)) {
        let mut new = match Walker::open(&new_path) {
            Ok(Some(w)) => w,
            Ok(None) => return Err("the lock count just written is empty".into()),
            Err(e) => return Err(format!("cannot read back the lock count: {e}")),
        };
        while let Some((key, entries)) = new.next_key() {
            let before = old.until(&key, &mut |_, _| {});
            for change in lock_changes(&before, &entries, counted.at_seconds) {
                note(&mut counted, &key, change);
            }
        }
        counted.first = old.damaged().is_some() || new.damaged().is_some();
    }
    std::fs::rename(&new_path, dir.join(FILE)).map_err(disk)?;
    counted.seconds = started.elapsed().as_secs_f64();
    Ok(counted)
}

fn note(counted: &mut Counted, raw: &str, change: LockChange) {
    let key = crate::domain::text::sanitize(raw);
    match change {
        LockChange::HoldReleased { version_id } => {
            counted.released_count += 1;
            if counted.released.len() < EXAMPLES {
                counted.released_keys.push(raw.to_string());
                counted.released.push(format!(
                    "{key} (version {}): legal hold released",
                    crate::domain::text::sanitize(&version_id)
                ));
            }
        }
        LockChange::Shortened {
            version_id,
            from,
            to,
        } => {
            counted.shortened_count += 1;
            if counted.shortened.len() < EXAMPLES {
                counted.shortened_keys.push(raw.to_string());
                counted.shortened.push(format!(
                    "{key} (version {}): {from}, now {to}",
                    crate::domain::text::sanitize(&version_id)
                ));
            }
        }
    }
}
