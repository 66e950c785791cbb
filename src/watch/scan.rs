//! The listing scan, where the server sends no notifications: every version and delete
//! marker of the location is listed (split over folders, merged back into key order, each
//! entry checked to come once and in order), walked beside the last scan kept on disk, and
//! each key's change counted. The new scan is written beside the old one as it goes and
//! replaces it only once it is whole.
//!
//! A scan may be resumed: every `CHECKPOINT` seconds, and when the listing fails or the
//! look's time is up, what is written is made whole up to the last key listed in full and
//! saved with the counts so far (`RESUME`). The next look goes on after that key, comparing
//! each key once; what follows it in the last scan is compared then. A checkpoint is used
//! only with the last scan it began against; anything else starts the scan again.
//!
//! Memory holds one key's entries (of each scan) and a few pages of the listing: the state is
//! on disk (`records`).

use super::records::{Walker, Writer};
use crate::domain::pages::VersionMarker;
use crate::domain::watch::scan::{Entry, compare};
use crate::domain::watch::storm::{Counts, EXAMPLES};
use crate::domain::{EntryKind, HistoryEntry};
use crate::s3::{S3, S3Error, VersionPager};
use crate::work::listing::Split;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, Instant};

/// The name of the last scan in the state folder.
pub const FILE: &str = "listing.gz";
/// Where a scan begun and not finished stands.
pub const RESUME: &str = "listing.resume.json";
/// Seconds between checkpoints of a long scan (a killed watcher loses at most this much).
const CHECKPOINT: Duration = Duration::from_secs(30);
const RESUME_FORMAT: u32 = 1;

/// How a scan runs.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Go on from a checkpoint where there is one, and leave one when cut short.
    pub resumable: bool,
    /// Stop at a key boundary once this long has passed (leaving a checkpoint): the rest is
    /// listed at the next look. At least one key is listed in each piece.
    pub budget: Option<Duration>,
    /// Set when the watcher is asked to stop (SIGTERM, Ctrl-C): stop the same way at the
    /// next key boundary.
    pub stop: Stop,
}

/// Asks a watcher's look to stop early; shared by every clone. Never set: never stops.
#[derive(Debug, Clone, Default)]
pub struct Stop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Stop {
    pub fn set(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// What a scan found.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    /// What changed since the last scan (nothing for the first).
    pub counts: Counts,
    /// The first keys hidden, removed or replaced, with what happened to each.
    pub examples: Vec<String>,
    /// Those keys, as the server sent them.
    pub example_keys: Vec<String>,
    /// Versions and delete markers listed.
    pub entries: u64,
    pub keys: u64,
    pub seconds: f64,
    /// There was no last scan (or it could not be read): this one is the baseline.
    pub baseline: Option<String>,
    /// There was no last scan at all: this is the location's first.
    pub first: bool,
    /// The size of the scan kept on disk, in bytes.
    pub bytes: u64,
    /// Cut at the look's time: the next look goes on after this key (nothing is judged
    /// until the scan is whole).
    pub goes_on_after: Option<String>,
    /// Listed at earlier looks, this scan went on from a checkpoint: the entries listed then.
    pub resumed: Option<u64>,
}

/// `listing.gz` as a checkpoint found it: a checkpoint goes on only against the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Kept {
    bytes: u64,
    modified_ns: i128,
}

fn kept(dir: &Path) -> Option<Kept> {
    let meta = std::fs::symlink_metadata(dir.join(FILE)).ok()?;
    let modified = meta.modified().ok()?;
    let modified_ns = match modified.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    };
    Some(Kept {
        bytes: meta.len(),
        modified_ns,
    })
}

/// What `RESUME` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Checkpoint {
    lockwatch_scan_resume: u32,
    /// The last key listed in full: the scan goes on after it.
    after: String,
    /// The length of `listing.gz.new` made whole at this checkpoint.
    bytes: u64,
    /// The last scan compared with.
    against: Option<Kept>,
    baseline: Option<String>,
    counts: Counts,
    examples: Vec<String>,
    example_keys: Vec<String>,
    entries: u64,
    keys: u64,
    seconds: f64,
}

fn load_checkpoint(dir: &Path) -> Option<Checkpoint> {
    let c: Checkpoint = super::state::load(&dir.join(RESUME)).ok()??;
    (c.lockwatch_scan_resume == RESUME_FORMAT && c.against == kept(dir) && c.bytes > 0).then_some(c)
}

fn drop_checkpoint(dir: &Path) {
    let _ = std::fs::remove_file(dir.join(RESUME));
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("listing failed after {entries} entries: {error}{}", kept_after.as_ref().map_or(String::new(), |k| format!(" (kept: the next look goes on after {})", crate::domain::text::sanitize(k))))]
    Listing {
        error: S3Error,
        entries: u64,
        /// The key the next look goes on after, when what was listed is kept.
        kept_after: Option<String>,
    },
    #[error("cannot keep the scan in {path}: {error}")]
    Disk { path: String, error: std::io::Error },
}

/// Counts what happened to one key, and names it if it is worth an example.
fn tally(scanned: &mut Scanned, key: &str, old: &[Entry], new: &[Entry]) {
    let c = compare(old, new);
    if c.destructive() > 0 && scanned.examples.len() < EXAMPLES {
        let mut what = Vec::new();
        for (n, one, many) in [
            (c.markers_created, "delete marker", "delete markers"),
            (c.versions_deleted, "version deleted", "versions deleted"),
            (c.overwrites, "overwrite", "overwrites"),
        ] {
            if n > 0 {
                what.push(format!("{n} {}", if n == 1 { one } else { many }));
            }
        }
        scanned.examples.push(format!(
            "{} ({})",
            crate::domain::text::sanitize(key),
            what.join(", ")
        ));
        scanned.example_keys.push(key.to_string());
    }
    scanned.counts.add(&c);
}

/// An entry of a listing as kept.
pub fn entry(e: &HistoryEntry) -> Entry {
    Entry {
        version_id: e.version_id.clone(),
        marker: e.kind == EntryKind::DeleteMarker,
        latest: e.is_latest,
        modified: e.last_modified.map(|t| t.as_millisecond()),
        lock: None,
    }
}

/// Lists `prefix` of `bucket`, compares with the scan kept in `dir`, and keeps the new one
/// (with a resumable plan, going on from a checkpoint and leaving one when cut short).
pub async fn scan(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    dir: &Path,
    max_keys: Option<i32>,
    plan: Plan,
) -> Result<Scanned, ScanError> {
    let started = Instant::now();
    let mut scanned = Scanned::default();
    let disk_error = |path: &Path, error: std::io::Error| ScanError::Disk {
        path: path.display().to_string(),
        error,
    };
    let against = kept(dir);
    let mut old = match Walker::open(&dir.join(FILE)) {
        Ok(Some(w)) => Some(w),
        Ok(None) => {
            scanned.baseline = Some("the first scan of this location".into());
            scanned.first = true;
            None
        }
        Err(e) => {
            scanned.baseline = Some(format!("the last scan could not be read ({e})"));
            None
        }
    };
    let checkpoint = if plan.resumable {
        load_checkpoint(dir)
    } else {
        None
    };
    let mut earlier_seconds = 0.0;
    let (mut out, after) = match checkpoint.and_then(|c| {
        Writer::resume(dir, FILE, c.bytes)
            .ok()
            .map(|writer| (writer, c))
    }) {
        Some((writer, c)) => {
            if let Some(w) = &mut old {
                // Compared at the earlier looks, to the key gone on after.
                let _ = w.until(&c.after, &mut |_, _| {});
            }
            scanned.baseline = c.baseline;
            scanned.counts = c.counts;
            scanned.examples = c.examples;
            scanned.example_keys = c.example_keys;
            scanned.entries = c.entries;
            scanned.keys = c.keys;
            scanned.resumed = Some(c.entries);
            earlier_seconds = c.seconds;
            (writer, Some(c.after))
        }
        None => {
            drop_checkpoint(dir);
            let writer = Writer::create(dir, FILE).map_err(|e| disk_error(&dir.join(FILE), e))?;
            (writer, None)
        }
    };
    let mut pages = Split::<VersionPager>::resume(
        s3,
        bucket,
        prefix,
        s3.listings(),
        max_keys,
        after.as_ref().map(|key| VersionMarker {
            key: key.clone(),
            version_id: None,
        }),
    );
    // The last key listed in full (written), and when the last checkpoint was.
    let mut last: Option<String> = after;
    let mut saved_at = Instant::now();
    let mut group: Option<(std::sync::Arc<str>, Vec<Entry>)> = None;
    // Makes what is written whole to the last key and saves where the scan stands.
    let save = |scanned: &Scanned, out: &mut Writer, last: &str| -> std::io::Result<()> {
        let bytes = out.checkpoint()?;
        let c = Checkpoint {
            lockwatch_scan_resume: RESUME_FORMAT,
            after: last.to_string(),
            bytes,
            against,
            baseline: scanned.baseline.clone(),
            counts: scanned.counts,
            examples: scanned.examples.clone(),
            example_keys: scanned.example_keys.clone(),
            entries: scanned.entries,
            keys: scanned.keys,
            seconds: earlier_seconds + started.elapsed().as_secs_f64(),
        };
        crate::files::replace_whole(&dir.join(RESUME), |w| {
            serde_json::to_writer(&mut *w, &c).map_err(std::io::Error::other)
        })
    };
    // One key of the new scan against the last scan's (whose keys before it are gone whole).
    let flush = |scanned: &mut Scanned,
                 old: &mut Option<Walker>,
                 out: &mut Writer,
                 key: &str,
                 entries: Vec<Entry>|
     -> std::io::Result<()> {
        let before = match old {
            Some(w) => w.until(key, &mut |k, gone| tally(scanned, k, &gone, &[])),
            None => Vec::new(),
        };
        tally(scanned, key, &before, &entries);
        scanned.keys += 1;
        scanned.entries += entries.len() as u64;
        out.key(key, &entries)
    };
    'listing: while let Some(page) = pages.next_page().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                let entries = scanned.entries + group.as_ref().map_or(0, |g| g.1.len() as u64);
                // What was listed in full is kept for the next look, where it may be.
                let kept_after = match &last {
                    Some(key) if plan.resumable && save(&scanned, &mut out, key).is_ok() => {
                        out.set_aside();
                        Some(key.clone())
                    }
                    _ => {
                        out.abandon();
                        drop_checkpoint(dir);
                        None
                    }
                };
                return Err(ScanError::Listing {
                    error,
                    entries,
                    kept_after,
                });
            }
        };
        for e in &page {
            match &mut group {
                Some((key, entries)) if **key == *e.key => entries.push(entry(e)),
                _ => {
                    if let Some((key, entries)) = group.take() {
                        if let Err(e) = flush(&mut scanned, &mut old, &mut out, &key, entries) {
                            let failed = disk_error(out.written_to(), e);
                            out.abandon();
                            drop_checkpoint(dir);
                            return Err(failed);
                        }
                        last = Some(key.to_string());
                        let out_of_time = plan.budget.is_some_and(|b| started.elapsed() >= b)
                            || plan.stop.is_set();
                        if plan.resumable && (out_of_time || saved_at.elapsed() >= CHECKPOINT) {
                            if let Err(e) = save(&scanned, &mut out, &key) {
                                let failed = disk_error(&dir.join(RESUME), e);
                                out.abandon();
                                drop_checkpoint(dir);
                                return Err(failed);
                            }
                            saved_at = Instant::now();
                            if out_of_time {
                                // The key begun is listed again at the next look.
                                scanned.goes_on_after = Some(key.to_string());
                                break 'listing;
                            }
                        }
                    }
                    group = Some((e.key.clone(), vec![entry(e)]));
                }
            }
        }
    }
    if scanned.goes_on_after.is_some() {
        out.set_aside();
        scanned.seconds = earlier_seconds + started.elapsed().as_secs_f64();
        return Ok(scanned);
    }
    if let Some((key, entries)) = group.take()
        && let Err(e) = flush(&mut scanned, &mut old, &mut out, &key, entries)
    {
        let failed = disk_error(out.written_to(), e);
        out.abandon();
        drop_checkpoint(dir);
        return Err(failed);
    }
    // What the last scan had after the last key listed now is gone.
    if let Some(w) = &mut old {
        w.rest(&mut |k, gone| tally(&mut scanned, k, &gone, &[]));
        if scanned.baseline.is_none() {
            scanned.baseline = w.damaged().map(str::to_string);
        }
    }
    scanned.bytes = {
        let path = out.written_to().to_path_buf();
        out.commit().map_err(|error| disk_error(&path, error))?
    };
    drop_checkpoint(dir);
    if scanned.baseline.is_some() {
        scanned.counts = Counts::default();
        scanned.examples.clear();
        scanned.example_keys.clear();
    }
    scanned.seconds = earlier_seconds + started.elapsed().as_secs_f64();
    Ok(scanned)
}
