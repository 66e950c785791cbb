//! The listings the watcher keeps on disk (the last scan, the last lock count): gzip, one
//! record per key in key order — the key, then per version or delete marker its id, whether
//! it is a marker and the latest, its LastModified, and in a lock count its lock. Written to
//! `NAME.new` and renamed over `NAME` once whole; read back a key at a time, so memory holds
//! one key's entries, never the bucket.
//!
//! A listing written in pieces (a scan that goes on at a later look) is saved at checkpoints:
//! each ends the gzip member written so far and syncs the file, so the file up to a
//! checkpoint's length is whole; a later piece cuts it back to that length and appends a
//! member of its own (gzip members read back as one stream).

use crate::domain::watch::scan::{Entry, Lock};
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The longest key, version id or mode a record may hold (S3 keys are at most 1,024 bytes).
const MAX_FIELD: usize = 64 << 10;

const MARKER: u8 = 1;
const LATEST: u8 = 2;
const MODIFIED: u8 = 4;
const LOCK: u8 = 8;
const HOLD: u8 = 16;
const UNTIL: u8 = 32;

fn write_bytes(out: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes())?;
    out.write_all(bytes)
}

/// A new listing being written beside the kept one.
pub struct Writer {
    /// `None` only while a checkpoint swaps members.
    out: Option<GzEncoder<BufWriter<File>>>,
    new: PathBuf,
    path: PathBuf,
}

impl Writer {
    /// Starts `dir/name.new` (one a crash left is replaced).
    pub fn create(dir: &Path, name: &str) -> std::io::Result<Writer> {
        let path = dir.join(name);
        let new = dir.join(format!("{name}.new"));
        match std::fs::remove_file(&new) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let file = crate::files::open_private(&new, true)?;
        Ok(Writer {
            out: Some(GzEncoder::new(BufWriter::new(file), Compression::fast())),
            new,
            path,
        })
    }

    /// Goes on with `dir/name.new` as a checkpoint left it: cut back to `bytes` (what was
    /// written after the checkpoint is dropped) and appended to. Refused when it is not a
    /// regular file of at least that length (a symbolic link there is never followed).
    pub fn resume(dir: &Path, name: &str, bytes: u64) -> std::io::Result<Writer> {
        use std::io::{Seek, SeekFrom};
        let path = dir.join(name);
        let new = dir.join(format!("{name}.new"));
        let mut file = crate::files::open_private(&new, false)?;
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() < bytes || bytes == 0 {
            return Err(std::io::Error::other(
                "the listing begun is shorter than its checkpoint",
            ));
        }
        file.set_len(bytes)?;
        file.seek(SeekFrom::End(0))?;
        Ok(Writer {
            out: Some(GzEncoder::new(BufWriter::new(file), Compression::fast())),
            new,
            path,
        })
    }

    /// Ends the member written so far and syncs the file: its length, which a later
    /// `resume` cuts back to.
    pub fn checkpoint(&mut self) -> std::io::Result<u64> {
        let out = self
            .out
            .take()
            .ok_or_else(|| std::io::Error::other("a checkpoint failed before"))?;
        let file = out
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))?;
        file.sync_data()?;
        let bytes = file.metadata()?.len();
        self.out = Some(GzEncoder::new(BufWriter::new(file), Compression::fast()));
        Ok(bytes)
    }

    fn encoder(&mut self) -> std::io::Result<&mut GzEncoder<BufWriter<File>>> {
        self.out
            .as_mut()
            .ok_or_else(|| std::io::Error::other("a checkpoint failed before"))
    }

    /// Where it is written until it is whole.
    pub fn written_to(&self) -> &Path {
        &self.new
    }

    /// One key's record.
    pub fn key(&mut self, key: &str, entries: &[Entry]) -> std::io::Result<()> {
        let out = self.encoder()?;
        write_bytes(out, key.as_bytes())?;
        out.write_all(
            &u32::try_from(entries.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        )?;
        for e in entries {
            let mut flags = 0;
            for (on, bit) in [
                (e.marker, MARKER),
                (e.latest, LATEST),
                (e.modified.is_some(), MODIFIED),
                (e.lock.is_some(), LOCK),
                (e.lock.as_ref().is_some_and(|l| l.hold), HOLD),
                (e.lock.as_ref().is_some_and(|l| l.until.is_some()), UNTIL),
            ] {
                if on {
                    flags |= bit;
                }
            }
            out.write_all(&[flags])?;
            if let Some(m) = e.modified {
                out.write_all(&m.to_le_bytes())?;
            }
            write_bytes(out, e.version_id.as_bytes())?;
            if let Some(lock) = &e.lock {
                write_bytes(out, lock.mode.as_bytes())?;
                if let Some((secs, nanos)) = lock.until {
                    out.write_all(&secs.to_le_bytes())?;
                    out.write_all(&nanos.to_le_bytes())?;
                }
            }
        }
        Ok(())
    }

    /// Finishes it and puts it in place of the kept one: its size on disk.
    pub fn commit(self) -> std::io::Result<u64> {
        let path = self.path.clone();
        let new = self.finish()?;
        let bytes = std::fs::metadata(&new)?.len();
        std::fs::rename(&new, &path)?;
        Ok(bytes)
    }

    /// Finishes it where it is written (`NAME.new`), to compare it with the kept one first;
    /// the caller renames it into place.
    pub fn finish(self) -> std::io::Result<PathBuf> {
        let file = self
            .out
            .ok_or_else(|| std::io::Error::other("a checkpoint failed before"))?
            .finish()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))?;
        file.sync_all()?;
        Ok(self.new)
    }

    /// Stops writing, leaving the file for a later `resume` from its last checkpoint.
    pub fn set_aside(self) {
        drop(self);
    }

    /// Drops it: the kept one stays as it was.
    pub fn abandon(self) {
        let new = self.new.clone();
        drop(self.out);
        let _ = std::fs::remove_file(new);
    }
}

/// A kept listing read back a key at a time, in key order.
pub struct Walker {
    input: Option<MultiGzDecoder<BufReader<File>>>,
    ahead: Option<(String, Vec<Entry>)>,
    /// Why it could not be read on: it is then no comparison.
    damaged: Option<String>,
}

impl Walker {
    /// The listing kept at `path`: `None` when there is none (or it is empty). A symbolic
    /// link there is refused, never followed.
    pub fn open(path: &Path) -> std::io::Result<Option<Walker>> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = match std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        if !file.metadata()?.is_file() {
            return Err(std::io::Error::other("not a regular file"));
        }
        if file.metadata()?.len() == 0 {
            return Ok(None);
        }
        let mut walker = Walker {
            input: Some(MultiGzDecoder::new(BufReader::new(file))),
            ahead: None,
            damaged: None,
        };
        walker.advance();
        Ok(Some(walker))
    }

    pub fn damaged(&self) -> Option<&str> {
        self.damaged.as_deref()
    }

    fn advance(&mut self) {
        self.ahead = None;
        if let Some(input) = &mut self.input {
            match next_key(input) {
                Ok(next) => self.ahead = next,
                Err(e) => {
                    self.damaged = Some(format!("the listing kept on disk is damaged ({e})"));
                    self.input = None;
                }
            }
        }
    }

    /// The next key and its entries.
    pub fn next_key(&mut self) -> Option<(String, Vec<Entry>)> {
        let next = self.ahead.take();
        if next.is_some() {
            self.advance();
        }
        next
    }

    /// The entries of `key`, after handing `gone` every key before it (gone whole since).
    pub fn until(&mut self, key: &str, gone: &mut dyn FnMut(&str, Vec<Entry>)) -> Vec<Entry> {
        while let Some((k, _)) = &self.ahead
            && k.as_str() < key
        {
            if let Some((k, entries)) = self.next_key() {
                gone(&k, entries);
            }
        }
        match &self.ahead {
            Some((k, _)) if k == key => self.next_key().map(|(_, e)| e).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Every key left, to `gone`.
    pub fn rest(&mut self, gone: &mut dyn FnMut(&str, Vec<Entry>)) {
        while let Some((k, entries)) = self.next_key() {
            gone(&k, entries);
        }
    }
}

fn read_u32(input: &mut impl Read) -> std::io::Result<Option<u32>> {
    let mut b = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        let n = input.read(&mut b[got..])?;
        if n == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(std::io::Error::other("cut short"))
            };
        }
        got += n;
    }
    Ok(Some(u32::from_le_bytes(b)))
}

fn field(input: &mut impl Read) -> std::io::Result<String> {
    let len = read_u32(input)?.ok_or_else(|| std::io::Error::other("cut short"))? as usize;
    if len > MAX_FIELD {
        return Err(std::io::Error::other("a field longer than any key"));
    }
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8"))
}

fn fixed<const N: usize>(input: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut b = [0u8; N];
    input.read_exact(&mut b)?;
    Ok(b)
}

fn next_key(input: &mut impl Read) -> std::io::Result<Option<(String, Vec<Entry>)>> {
    let Some(len) = read_u32(input)? else {
        return Ok(None);
    };
    if len as usize > MAX_FIELD {
        return Err(std::io::Error::other("a key longer than any key"));
    }
    let mut bytes = vec![0u8; len as usize];
    input.read_exact(&mut bytes)?;
    let key = String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8"))?;
    let count = read_u32(input)?.ok_or_else(|| std::io::Error::other("cut short"))?;
    let mut entries = Vec::new();
    for _ in 0..count {
        let [flags] = fixed::<1>(input)?;
        let modified = if flags & MODIFIED != 0 {
            Some(i64::from_le_bytes(fixed::<8>(input)?))
        } else {
            None
        };
        let version_id = field(input)?;
        let lock = if flags & LOCK != 0 {
            let mode = field(input)?;
            let until = if flags & UNTIL != 0 {
                Some((
                    i64::from_le_bytes(fixed::<8>(input)?),
                    u32::from_le_bytes(fixed::<4>(input)?),
                ))
            } else {
                None
            };
            Some(Lock {
                mode,
                until,
                hold: flags & HOLD != 0,
            })
        } else {
            None
        };
        entries.push(Entry {
            version_id,
            marker: flags & MARKER != 0,
            latest: flags & LATEST != 0,
            modified,
            lock,
        });
    }
    Ok(Some((key, entries)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_reads_back_key_by_key_and_a_damaged_one_says_so() {
        let dir = tempfile_dir("records");
        let entries = vec![
            Entry {
                version_id: "v2".into(),
                marker: false,
                latest: true,
                modified: Some(-5),
                lock: Some(Lock {
                    mode: "COMPLIANCE".into(),
                    until: Some((253_402_300_799, 999_000_000)),
                    hold: true,
                }),
            },
            Entry {
                version_id: "m".into(),
                marker: true,
                latest: false,
                modified: None,
                lock: None,
            },
        ];
        let mut w = Writer::create(&dir, "l.gz").expect("create");
        for key in ["a", "b\u{1b}[31m", "c"] {
            w.key(key, &entries).expect("write");
        }
        w.commit().expect("commit");
        let mut walker = Walker::open(&dir.join("l.gz"))
            .expect("open")
            .expect("a listing");
        let mut gone = Vec::new();
        let got = walker.until("c", &mut |k, _| gone.push(k.to_string()));
        assert_eq!(gone, ["a", "b\u{1b}[31m"]);
        assert_eq!(got, entries);
        assert!(walker.next_key().is_none());
        assert!(walker.damaged().is_none());

        // Cut in the middle of a record: said, never a panic or a record made up.
        let bytes = std::fs::read(dir.join("l.gz")).expect("read");
        let mut plain = Vec::new();
        MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut plain)
            .expect("gunzip");
        let mut cut = GzEncoder::new(Vec::new(), Compression::fast());
        cut.write_all(&plain[..plain.len() - 7]).expect("gzip");
        std::fs::write(dir.join("cut.gz"), cut.finish().expect("gzip")).expect("write");
        let mut walker = Walker::open(&dir.join("cut.gz"))
            .expect("open")
            .expect("a listing");
        let mut keys = 0;
        walker.rest(&mut |_, _| keys += 1);
        assert_eq!(keys, 2);
        assert!(
            walker.damaged().is_some_and(|d| d.contains("damaged")),
            "{:?}",
            walker.damaged()
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_listing_written_in_pieces_reads_back_whole_without_what_followed_a_checkpoint() {
        let dir = tempfile_dir("pieces");
        let one = |id: &str| {
            vec![Entry {
                version_id: id.into(),
                marker: false,
                latest: true,
                modified: Some(1),
                lock: None,
            }]
        };
        let mut w = Writer::create(&dir, "l.gz").expect("create");
        w.key("a", &one("1")).expect("write");
        w.key("b", &one("2")).expect("write");
        let bytes = w.checkpoint().expect("checkpoint");
        // Written after the checkpoint, then cut off (a crash, or a key listed again).
        w.key("c", &one("stale")).expect("write");
        w.set_aside();
        assert!(std::fs::metadata(dir.join("l.gz.new")).expect("kept").len() > bytes);
        assert!(
            Writer::resume(&dir, "l.gz", bytes + 1_000_000).is_err(),
            "a checkpoint past the end of the file is refused"
        );
        let mut w = Writer::resume(&dir, "l.gz", bytes).expect("resume");
        w.key("c", &one("3")).expect("write");
        w.checkpoint().expect("an empty member");
        w.key("d", &one("4")).expect("write");
        w.commit().expect("commit");
        let mut walker = Walker::open(&dir.join("l.gz"))
            .expect("open")
            .expect("a listing");
        let mut got = Vec::new();
        walker.rest(&mut |k, e| got.push((k.to_string(), e[0].version_id.clone())));
        assert_eq!(
            got,
            [("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert!(walker.damaged().is_none());
        // A link where the listing goes on is never followed.
        std::fs::remove_file(dir.join("l.gz.new")).ok();
        std::os::unix::fs::symlink(dir.join("l.gz"), dir.join("l.gz.new")).expect("link");
        assert!(Writer::resume(&dir, "l.gz", 10).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lockwatch-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        dir
    }
}
