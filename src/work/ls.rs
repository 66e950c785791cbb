//! `lockwatch ls`: a listing printed page by page, with the same pagers the terminal UI uses.
//! For scripts (`--json`, one JSON object per line) and for timing against other tools.

use crate::domain::location::S3Location;
use crate::domain::undelete::KeyGrouper;
use crate::domain::{EntryKind, HistoryEntry, ObjectEntry, format, text};
use crate::s3::{ObjectPager, S3, S3Error, VersionPager};
use crate::work::listing::Split;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone)]
pub struct LsOptions {
    pub location: S3Location,
    /// Every version and delete marker instead of the current objects.
    pub versions: bool,
    /// Everything below the prefix instead of one level.
    pub recursive: bool,
    pub json: bool,
    /// As it was at this time: each key by its newest entry written up to then (objects), or
    /// only the entries written up to then (versions).
    pub at: Option<jiff::Timestamp>,
}

/// How far a listing got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LsCount {
    pub pages: u64,
    pub rows: u64,
    /// The reader went away (`| head`) before the listing ended.
    pub reader_gone: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LsError {
    /// The server failed; what was printed before is a partial listing.
    #[error("{}", describe_failure(.error, .count))]
    Server { error: S3Error, count: LsCount },
    #[error("cannot write the listing: {0}")]
    Output(std::io::Error),
}

fn describe_failure(error: &S3Error, count: &LsCount) -> String {
    if count.pages == 0 {
        format!("cannot list: {error}")
    } else {
        format!(
            "the listing is incomplete: it failed after {} pages ({} rows printed): {error}",
            count.pages, count.rows
        )
    }
}

#[derive(Serialize)]
struct JsonObject<'a> {
    key: &'a str,
    size: Option<u64>,
    last_modified: Option<String>,
    storage_class: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonVersion<'a> {
    key: &'a str,
    version_id: &'a str,
    is_latest: bool,
    delete_marker: bool,
    size: Option<u64>,
    etag: Option<&'a str>,
    last_modified: Option<String>,
}

#[derive(Serialize)]
struct JsonObjectAt<'a> {
    key: &'a str,
    version_id: &'a str,
    size: Option<u64>,
    last_modified: Option<String>,
}

#[derive(Serialize)]
struct JsonPrefix<'a> {
    prefix: &'a str,
}

/// Prints the listing to `out` as pages arrive; stops quietly when the reader goes away (a
/// closed pipe, as with `| head`).
pub async fn run(s3: &S3, options: &LsOptions, out: &mut impl Write) -> Result<LsCount, LsError> {
    match run_inner(s3, options, out).await {
        Err(LsError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(LsCount {
            reader_gone: true,
            ..LsCount::default()
        }),
        other => other,
    }
}

async fn run_inner(s3: &S3, options: &LsOptions, out: &mut impl Write) -> Result<LsCount, LsError> {
    let S3Location { bucket, prefix } = &options.location;
    let delimiter = (!options.recursive).then_some("/");
    let mut count = LsCount::default();
    // Names are shown relative to the folder of the prefix (`ls s3://b/f000/backup-0001`
    // shows `backup-0001.tar`), or whole with --recursive.
    let printer = Printer {
        prefix: if options.recursive {
            ""
        } else {
            options.location.folder()
        },
        json: options.json,
    };
    if options.recursive {
        return run_split(s3, options, &printer, out).await;
    }
    if let (Some(at), false) = (options.at, options.versions) {
        // Objects as they were: grouped per key from the version listing.
        let mut pager = VersionPager::new(s3, bucket, prefix, delimiter);
        let mut grouper = KeyGrouper::default();
        while let Some(page) = pager.next_page().await {
            let page = page.map_err(|error| LsError::Server { error, count })?;
            for p in &page.prefixes {
                // A folder is listed as it was only if it held a key then.
                let held = folder_held_a_key_at(s3, bucket, p, at, None).await;
                if held.map_err(|error| LsError::Server { error, count })? {
                    printer.prefix(out, p).map_err(LsError::Output)?;
                    count.rows += 1;
                }
            }
            count.pages += 1;
            for (_, history) in grouper.absorb(page.versions, page.markers) {
                count.rows += printer.at(out, &history, at).map_err(LsError::Output)?;
            }
            out.flush().map_err(LsError::Output)?;
        }
        if let Some((_, history)) = grouper.finish() {
            count.rows += printer.at(out, &history, at).map_err(LsError::Output)?;
        }
        return Ok(count);
    }
    if options.versions {
        let mut pager = VersionPager::new(s3, bucket, prefix, delimiter);
        while let Some(page) = pager.next_page().await {
            let page = page.map_err(|error| LsError::Server { error, count })?;
            for p in &page.prefixes {
                printer.prefix(out, p).map_err(LsError::Output)?;
            }
            let rows = (page.prefixes.len() + page.versions.len() + page.markers.len()) as u64;
            // Versions and markers come as two lists: merged back into the server's order
            // (by key, newest first) for reading.
            for e in &crate::domain::history::merge_page(page.versions, page.markers) {
                let written_by_then = options
                    .at
                    .is_none_or(|at| e.last_modified.is_some_and(|m| m <= at));
                if written_by_then {
                    printer.version(out, e).map_err(LsError::Output)?;
                }
            }
            count.pages += 1;
            count.rows += rows;
            out.flush().map_err(LsError::Output)?;
        }
    } else {
        let mut pager = ObjectPager::new(s3, bucket, prefix, delimiter);
        while let Some(page) = pager.next_page().await {
            let page = page.map_err(|error| LsError::Server { error, count })?;
            for p in &page.prefixes {
                printer.prefix(out, p).map_err(LsError::Output)?;
            }
            for o in &page.objects {
                printer.object(out, o).map_err(LsError::Output)?;
            }
            count.pages += 1;
            count.rows += (page.prefixes.len() + page.objects.len()) as u64;
            out.flush().map_err(LsError::Output)?;
        }
    }
    Ok(count)
}

/// Whether the folder `prefix` held a key at `at` (as `history::state_at` judges a key): its
/// versions are listed, without a delimiter, until one key present then is found. A folder
/// whose files all came later, or were all deleted by then, did not exist as it was. With
/// `pages`, a folder not decided within that many pages is an error that says so (the UI's
/// probe of a folder on screen must not read a million versions).
pub(crate) async fn folder_held_a_key_at(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    at: jiff::Timestamp,
    pages: Option<usize>,
) -> Result<bool, S3Error> {
    let present = |history: &[HistoryEntry]| {
        crate::domain::history::state_at(history, at).is_some_and(|e| !e.is_delete_marker())
    };
    let mut pager = VersionPager::new(s3, bucket, prefix, None);
    let mut grouper = KeyGrouper::default();
    let mut read = 0;
    while let Some(page) = pager.next_page().await {
        let page = page?;
        read += 1;
        if pages.is_some_and(|most| read > most) {
            return Err(S3Error::Other(format!(
                "not decided within {most} pages of versions",
                most = read - 1
            )));
        }
        if grouper
            .absorb(page.versions, page.markers)
            .iter()
            .any(|(_, history)| present(history))
        {
            return Ok(true);
        }
    }
    Ok(grouper
        .finish()
        .is_some_and(|(_, history)| present(&history)))
}

/// Whether the folder `prefix` holds a current object (its keys are not all deleted): the
/// first key of a listing of current objects below it, if any.
pub(crate) async fn folder_holds_a_current_object(
    s3: &S3,
    bucket: &str,
    prefix: &str,
) -> Result<bool, S3Error> {
    let mut pager = ObjectPager::new(s3, bucket, prefix, None).with_max_keys(1);
    // A server that answers empty pages that go on is asked a few times, not forever.
    for _ in 0..8 {
        match pager.next_page().await {
            Some(page) => {
                if !page?.objects.is_empty() {
                    return Ok(true);
                }
            }
            None => return Ok(false),
        }
    }
    Err(S3Error::Other(
        "the server answered empty pages that went on".into(),
    ))
}

/// `ls -r`: the listing split over folders and run several at once (`crate::work::listing`), in
/// the order one listing gives.
async fn run_split(
    s3: &S3,
    options: &LsOptions,
    printer: &Printer<'_>,
    out: &mut impl Write,
) -> Result<LsCount, LsError> {
    let S3Location { bucket, prefix } = &options.location;
    let mut count = LsCount::default();
    if options.versions || options.at.is_some() {
        let mut pages = Split::<VersionPager>::start(s3, bucket, prefix, s3.listings(), None);
        let mut grouper = KeyGrouper::default();
        while let Some(page) = pages.next_page().await {
            let page = page.map_err(|error| LsError::Server { error, count })?;
            count.pages += 1;
            match (options.versions, options.at) {
                (false, Some(at)) => {
                    for (_, history) in grouper.absorb(page, Vec::new()) {
                        count.rows += printer.at(out, &history, at).map_err(LsError::Output)?;
                    }
                }
                (_, at) => {
                    count.rows += page.len() as u64;
                    for e in &page {
                        if at.is_none_or(|at| e.last_modified.is_some_and(|m| m <= at)) {
                            printer.version(out, e).map_err(LsError::Output)?;
                        }
                    }
                }
            }
            out.flush().map_err(LsError::Output)?;
        }
        if let (false, Some(at), Some((_, history))) =
            (options.versions, options.at, grouper.finish())
        {
            count.rows += printer.at(out, &history, at).map_err(LsError::Output)?;
        }
        return Ok(count);
    }
    let mut pages = Split::<ObjectPager>::start(s3, bucket, prefix, s3.listings(), None);
    while let Some(page) = pages.next_page().await {
        let page = page.map_err(|error| LsError::Server { error, count })?;
        for o in &page {
            printer.object(out, o).map_err(LsError::Output)?;
        }
        count.pages += 1;
        count.rows += page.len() as u64;
        out.flush().map_err(LsError::Output)?;
    }
    Ok(count)
}

struct Printer<'a> {
    /// Shown names are relative to this (one level), or whole keys (recursive).
    prefix: &'a str,
    json: bool,
}

impl Printer<'_> {
    /// A key for a terminal: relative to the listed prefix, escaped or quoted so that no key
    /// can send a control sequence (scripts read `--json`, which carries the exact key).
    fn shown<'k>(&self, key: &'k str) -> std::borrow::Cow<'k, str> {
        text::name(key.strip_prefix(self.prefix).unwrap_or(key))
    }

    fn prefix(&self, out: &mut impl Write, prefix: &str) -> std::io::Result<()> {
        if self.json {
            return json_line(out, &JsonPrefix { prefix });
        }
        writeln!(out, "{:>30} {}", "PRE", self.shown(prefix))
    }

    fn object(&self, out: &mut impl Write, o: &ObjectEntry) -> std::io::Result<()> {
        if self.json {
            return json_line(
                out,
                &JsonObject {
                    key: &o.key,
                    size: o.size,
                    last_modified: o.last_modified.map(format::json_time),
                    storage_class: o.storage_class.as_deref(),
                },
            );
        }
        writeln!(
            out,
            "{} {:>10} {}",
            format::maybe_timestamp(o.last_modified),
            o.size.map_or_else(|| "?".to_string(), |s| s.to_string()),
            self.shown(&o.key)
        )
    }

    /// The key of `history` as it was at `at`: printed as an object when its newest entry
    /// written up to then is a version; nothing when it was deleted or did not exist yet.
    fn at(
        &self,
        out: &mut impl Write,
        history: &[HistoryEntry],
        at: jiff::Timestamp,
    ) -> std::io::Result<u64> {
        let then = crate::domain::history::state_at(history, at);
        let Some(entry) = then.filter(|e| !e.is_delete_marker()) else {
            return Ok(0);
        };
        if self.json {
            json_line(
                out,
                &JsonObjectAt {
                    key: &entry.key,
                    version_id: &entry.version_id,
                    size: entry.size(),
                    last_modified: entry.last_modified.map(format::json_time),
                },
            )?;
        } else {
            writeln!(
                out,
                "{} {:>10} {} {}",
                format::maybe_timestamp(entry.last_modified),
                entry
                    .size()
                    .map_or_else(|| "?".to_string(), |s| s.to_string()),
                self.shown(&entry.key),
                text::name(&entry.version_id),
            )?;
        }
        Ok(1)
    }

    fn version(&self, out: &mut impl Write, e: &HistoryEntry) -> std::io::Result<()> {
        let (size, etag) = match &e.kind {
            EntryKind::Version { size, etag, .. } => (*size, etag.as_deref()),
            EntryKind::DeleteMarker => (None, None),
        };
        if self.json {
            return json_line(
                out,
                &JsonVersion {
                    key: &e.key,
                    version_id: &e.version_id,
                    is_latest: e.is_latest,
                    delete_marker: e.is_delete_marker(),
                    size,
                    etag,
                    last_modified: e.last_modified.map(format::json_time),
                },
            );
        }
        writeln!(
            out,
            "{} {:>10} {} {:<6} {}",
            format::maybe_timestamp(e.last_modified),
            if e.is_delete_marker() {
                "(marker)".to_string()
            } else {
                size.map_or_else(|| "?".to_string(), |s| s.to_string())
            },
            text::name(&e.version_id),
            if e.is_latest { "latest" } else { "" },
            self.shown(&e.key)
        )
    }
}

fn json_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    out.write_all(&line)
}
