//! The listing scan, where the server sends no notifications: every version and delete
//! marker of the location is listed (split over folders, merged back into key order, each
//! entry checked to come once and in order), walked beside the last scan kept on disk, and
//! each key's change counted. The new scan is written beside the old one as it goes and
//! replaces it only once it is whole; a scan cut short changes nothing kept.
//!
//! Memory holds one key's entries (of each scan) and a few pages of the listing: the state is
//! on disk (`records`).

use super::records::{Walker, Writer};
use crate::domain::watch::scan::{Entry, compare};
use crate::domain::watch::storm::{Counts, EXAMPLES};
use crate::domain::{EntryKind, HistoryEntry};
use crate::s3::{S3, S3Error, VersionPager};
use crate::work::listing::Split;
use std::path::Path;
use std::time::Instant;

/// The name of the last scan in the state folder.
pub const FILE: &str = "listing.gz";

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
    /// The size of the scan kept on disk, in bytes.
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error("listing failed after {entries} entries: {error}")]
    Listing { error: S3Error, entries: u64 },
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

/// Lists `prefix` of `bucket`, compares with the scan kept in `dir`, and keeps the new one.
pub async fn scan(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    dir: &Path,
    max_keys: Option<i32>,
) -> Result<Scanned, ScanError> {
    let started = Instant::now();
    let mut scanned = Scanned::default();
    let mut old = match Walker::open(&dir.join(FILE)) {
        Ok(Some(w)) => Some(w),
        Ok(None) => {
            scanned.baseline = Some("the first scan of this location".into());
            None
        }
        Err(e) => {
            scanned.baseline = Some(format!("the last scan could not be read ({e})"));
            None
        }
    };
    let mut out = Writer::create(dir, FILE).map_err(|error| ScanError::Disk {
        path: dir.join(FILE).display().to_string(),
        error,
    })?;
    let disk = |out: &Writer, error: std::io::Error| ScanError::Disk {
        path: out.written_to().display().to_string(),
        error,
    };
    let mut pages = Split::<VersionPager>::start(s3, bucket, prefix, s3.listings(), max_keys);
    let mut group: Option<(std::sync::Arc<str>, Vec<Entry>)> = None;
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
        out.key(key, &entries)
    };
    while let Some(page) = pages.next_page().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                out.abandon();
                return Err(ScanError::Listing {
                    error,
                    entries: scanned.entries,
                });
            }
        };
        for e in &page {
            scanned.entries += 1;
            match &mut group {
                Some((key, entries)) if **key == *e.key => entries.push(entry(e)),
                _ => {
                    if let Some((key, entries)) = group.take()
                        && let Err(e) = flush(&mut scanned, &mut old, &mut out, &key, entries)
                    {
                        let failed = disk(&out, e);
                        out.abandon();
                        return Err(failed);
                    }
                    group = Some((e.key.clone(), vec![entry(e)]));
                }
            }
        }
    }
    if let Some((key, entries)) = group.take()
        && let Err(e) = flush(&mut scanned, &mut old, &mut out, &key, entries)
    {
        let failed = disk(&out, e);
        out.abandon();
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
        let path = out.written_to().display().to_string();
        out.commit()
            .map_err(|error| ScanError::Disk { path, error })?
    };
    if scanned.baseline.is_some() {
        scanned.counts = Counts::default();
        scanned.examples.clear();
        scanned.example_keys.clear();
    }
    scanned.seconds = started.elapsed().as_secs_f64();
    Ok(scanned)
}
