//! The listing scan, where the server sends no notifications: every version and delete
//! marker of the location is listed (split over folders, merged back into key order, each
//! entry checked to come once and in order), walked beside the last scan kept on disk, and
//! each key's change counted. The new scan is written beside the old one as it goes and
//! replaces it only once it is whole; a scan cut short changes nothing kept.
//!
//! Memory holds one key's entries (of each scan) and a few pages of the listing: the state is
//! on disk, gzip-compressed, one record per key: the key, then per version or delete marker
//! its id, whether it is a marker and the latest, and its LastModified.

use crate::domain::watch::scan::{Entry, compare};
use crate::domain::watch::storm::{Counts, EXAMPLES};
use crate::domain::{EntryKind, HistoryEntry};
use crate::s3::{S3, S3Error, VersionPager};
use crate::work::listing::Split;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

/// The name of the last scan in the state folder, and of the one being written.
pub const FILE: &str = "listing.gz";
const NEW: &str = "listing.gz.new";
/// The longest key or version id a record may hold (S3 keys are at most 1,024 bytes).
const MAX_FIELD: usize = 64 << 10;

/// What a scan found.
#[derive(Debug, Clone, Default)]
pub struct Scanned {
    /// What changed since the last scan (nothing for the first).
    pub counts: Counts,
    /// The first keys hidden, removed or replaced, with what happened to each.
    pub examples: Vec<String>,
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

fn write_u32(out: &mut impl Write, n: usize) -> std::io::Result<()> {
    out.write_all(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes())
}

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    write_u32(out, bytes.len())?;
    out.write_all(bytes)
}

/// One key's record.
fn write_key(out: &mut impl Write, key: &str, entries: &[Entry]) -> std::io::Result<()> {
    write_bytes(out, key.as_bytes())?;
    write_u32(out, entries.len())?;
    for e in entries {
        let flags =
            u8::from(e.marker) | (u8::from(e.latest) << 1) | (u8::from(e.modified.is_some()) << 2);
        out.write_all(&[flags])?;
        if let Some(m) = e.modified {
            out.write_all(&m.to_le_bytes())?;
        }
        write_bytes(out, e.version_id.as_bytes())?;
    }
    Ok(())
}

/// Reads the last scan back, one key at a time.
struct Reader<R: Read> {
    input: R,
}

impl<R: Read> Reader<R> {
    fn u32(&mut self) -> std::io::Result<Option<usize>> {
        let mut b = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = self.input.read(&mut b[got..])?;
            if n == 0 {
                return if got == 0 {
                    Ok(None)
                } else {
                    Err(std::io::Error::other("cut short"))
                };
            }
            got += n;
        }
        Ok(Some(u32::from_le_bytes(b) as usize))
    }

    fn field(&mut self) -> std::io::Result<String> {
        let len = self
            .u32()?
            .ok_or_else(|| std::io::Error::other("cut short"))?;
        if len > MAX_FIELD {
            return Err(std::io::Error::other("a field longer than any key"));
        }
        let mut bytes = vec![0u8; len];
        self.input.read_exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8"))
    }

    fn next_key(&mut self) -> std::io::Result<Option<(String, Vec<Entry>)>> {
        let Some(len) = self.u32()? else {
            return Ok(None);
        };
        if len > MAX_FIELD {
            return Err(std::io::Error::other("a key longer than any key"));
        }
        let mut bytes = vec![0u8; len];
        self.input.read_exact(&mut bytes)?;
        let key = String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8"))?;
        let count = self
            .u32()?
            .ok_or_else(|| std::io::Error::other("cut short"))?;
        let mut entries = Vec::new();
        for _ in 0..count {
            let mut flags = [0u8; 1];
            self.input.read_exact(&mut flags)?;
            let modified = if flags[0] & 4 != 0 {
                let mut m = [0u8; 8];
                self.input.read_exact(&mut m)?;
                Some(i64::from_le_bytes(m))
            } else {
                None
            };
            entries.push(Entry {
                version_id: self.field()?,
                marker: flags[0] & 1 != 0,
                latest: flags[0] & 2 != 0,
                modified,
            });
        }
        Ok(Some((key, entries)))
    }
}

/// The last scan, walked in key order beside the new one.
struct Old {
    reader: Option<Reader<MultiGzDecoder<BufReader<std::fs::File>>>>,
    /// The next key of the last scan not yet compared.
    ahead: Option<(String, Vec<Entry>)>,
    /// Why the last scan could not be read on (it is then the baseline no more).
    damaged: Option<String>,
}

impl Old {
    fn advance(&mut self) {
        self.ahead = None;
        if let Some(reader) = &mut self.reader {
            match reader.next_key() {
                Ok(next) => self.ahead = next,
                Err(e) => {
                    self.damaged = Some(format!("the last scan kept on disk is damaged ({e})"));
                    self.reader = None;
                }
            }
        }
    }
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
    }
    scanned.counts.add(&c);
}

fn entry(e: &HistoryEntry) -> Entry {
    Entry {
        version_id: e.version_id.clone(),
        marker: e.kind == EntryKind::DeleteMarker,
        latest: e.is_latest,
        modified: e.last_modified.map(|t| t.as_millisecond()),
    }
}

/// Compares one key of the new scan with the last scan's (whose keys before it are gone
/// whole), and writes it to the new scan.
fn flush(
    scanned: &mut Scanned,
    old: &mut Old,
    out: &mut impl Write,
    key: &str,
    entries: Vec<Entry>,
) -> std::io::Result<()> {
    while let Some((k, _)) = &old.ahead
        && k.as_str() < key
    {
        if let Some((k, gone)) = old.ahead.take() {
            tally(scanned, &k, &gone, &[]);
        }
        old.advance();
    }
    let before = match &old.ahead {
        Some((k, _)) if k == key => {
            let before = old.ahead.take().map(|(_, e)| e).unwrap_or_default();
            old.advance();
            before
        }
        _ => Vec::new(),
    };
    tally(scanned, key, &before, &entries);
    scanned.keys += 1;
    write_key(out, key, &entries)
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
    let old_path = dir.join(FILE);
    let new_path = dir.join(NEW);
    let disk = |error: std::io::Error| ScanError::Disk {
        path: new_path.display().to_string(),
        error,
    };
    let mut scanned = Scanned::default();
    let mut old = Old {
        reader: None,
        ahead: None,
        damaged: None,
    };
    match crate::watch::state::open_private(&old_path, false).and_then(|f| {
        // An empty file is no scan (created just now by the open).
        if f.metadata()?.len() == 0 {
            Ok(None)
        } else {
            Ok(Some(f))
        }
    }) {
        Ok(Some(file)) => {
            old.reader = Some(Reader {
                input: MultiGzDecoder::new(BufReader::new(file)),
            });
            old.advance();
        }
        Ok(None) => scanned.baseline = Some("the first scan of this location".into()),
        Err(e) => scanned.baseline = Some(format!("the last scan could not be read ({e})")),
    }
    match std::fs::remove_file(&new_path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(disk(e)),
        _ => {}
    }
    let file = crate::watch::state::open_private(&new_path, true).map_err(disk)?;
    let mut out = GzEncoder::new(BufWriter::new(file), Compression::fast());

    let mut pages = Split::<VersionPager>::start(s3, bucket, prefix, s3.listings(), max_keys);
    let mut group: Option<(std::sync::Arc<str>, Vec<Entry>)> = None;
    while let Some(page) = pages.next_page().await {
        let page = match page {
            Ok(page) => page,
            Err(error) => {
                drop(out);
                let _ = std::fs::remove_file(&new_path);
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
                    if let Some((key, entries)) = group.take() {
                        flush(&mut scanned, &mut old, &mut out, &key, entries).map_err(disk)?;
                    }
                    group = Some((e.key.clone(), vec![entry(e)]));
                }
            }
        }
    }
    if let Some((key, entries)) = group.take() {
        flush(&mut scanned, &mut old, &mut out, &key, entries).map_err(disk)?;
    }
    // What the last scan had after the last key listed now is gone.
    while let Some((k, gone)) = old.ahead.take() {
        tally(&mut scanned, &k, &gone, &[]);
        old.advance();
    }
    if scanned.baseline.is_none() {
        scanned.baseline = old.damaged.take();
    }
    let file = out
        .finish()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(disk)?;
    file.sync_all().map_err(disk)?;
    scanned.bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    std::fs::rename(&new_path, &old_path).map_err(disk)?;
    if scanned.baseline.is_some() {
        scanned.counts = Counts::default();
        scanned.examples.clear();
    }
    scanned.seconds = started.elapsed().as_secs_f64();
    Ok(scanned)
}
