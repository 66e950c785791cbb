//! `report --inventory s3://…/manifest.json`: the report built from an S3 Inventory report
//! (CSV with gzip, or Parquet) instead of HEAD requests. The manifest is checked against
//! `manifest.checksum` and every data file against the MD5 the manifest gives. CSV files are
//! read as they arrive (decompressed and parsed chunk by chunk); a Parquet file is kept in a
//! private temporary file first (it is read from its end) and read row by row. Memory stays
//! flat whatever their size.

use super::{Format, Progress, ReportError};
use crate::domain::coverage::{CSV_HEADER, Coverage, csv_row};
use crate::domain::inventory::{Fields, LockFields, Manifest, Schema, entry};
use crate::domain::location::S3Location;
use crate::domain::{HistoryEntry, LockInfo, RetainUntil};
use crate::s3::{S3, S3Error};
use md5::{Digest, Md5};
use std::io::Write;

/// A manifest larger than this is not one.
const MAX_MANIFEST: usize = 16 << 20;
/// A CSV line longer than this is not an inventory row (a key is at most 1 KiB, escaped 3 KiB).
const MAX_LINE: usize = 64 << 10;
/// Compressed bytes handed to the decompressor at once (at most about 4 MiB out).
const INFLATE_STEP: usize = 4 << 10;

pub async fn build(
    s3: &S3,
    endpoint: &str,
    location: &S3Location,
    manifest_at: &S3Location,
    format: Format,
    out: &mut impl Write,
    mut progress: impl FnMut(Progress),
) -> Result<Coverage, ReportError> {
    let fail = |what: String| ReportError::Inventory(what);
    let shown = format!(
        "s3://{}/{}",
        crate::domain::text::sanitize(&manifest_at.bucket),
        crate::domain::text::sanitize(&manifest_at.prefix)
    );
    if manifest_at.prefix.is_empty() || manifest_at.prefix.ends_with('/') {
        return Err(fail(format!(
            "--inventory names the inventory's manifest.json, not a folder: {shown}"
        )));
    }
    let bytes = read_small(s3, &manifest_at.bucket, &manifest_at.prefix)
        .await
        .map_err(|e| fail(format!("cannot read the manifest {shown}: {e}")))?;
    let checksum_key = match manifest_at.prefix.rsplit_once('/') {
        Some((folder, _)) => format!("{folder}/manifest.checksum"),
        None => "manifest.checksum".to_string(),
    };
    let checked = match read_small(s3, &manifest_at.bucket, &checksum_key).await {
        Ok(sum) => {
            let expected = String::from_utf8_lossy(&sum).trim().to_ascii_lowercase();
            let actual = hex(&Md5::digest(&bytes));
            if expected != actual {
                return Err(fail(format!(
                    "the manifest {shown} does not match its manifest.checksum (MD5 {actual}, the checksum file says {}): it was changed or cut short",
                    crate::domain::text::sanitize(&expected)
                )));
            }
            "the manifest matches manifest.checksum"
        }
        Err(e) if e.is_not_found() => {
            "no manifest.checksum next to the manifest: the manifest itself could not be checked"
        }
        Err(e) => {
            return Err(fail(format!(
                "cannot read manifest.checksum next to {shown}: {e}"
            )));
        }
    };
    let manifest = Manifest::parse(&bytes).map_err(|e| fail(format!("{shown}: {e}")))?;
    if manifest.source_bucket != location.bucket {
        return Err(fail(format!(
            "{shown} is an inventory of the bucket {}, not of {}",
            crate::domain::text::sanitize(&manifest.source_bucket),
            location.bucket
        )));
    }
    check_data_files(&manifest, manifest_at).map_err(|e| fail(format!("{shown}: {e}")))?;
    let kind = if manifest.file_format.eq_ignore_ascii_case("CSV") {
        Kind::Csv(Schema::parse(&manifest.file_schema).map_err(|e| fail(format!("{shown}: {e}")))?)
    } else if manifest.file_format.eq_ignore_ascii_case("Parquet") {
        Kind::Parquet(parquet_columns(&manifest.file_schema))
    } else {
        return Err(fail(format!(
            "{shown} is a {} inventory; lockwatch reads CSV and Parquet inventories",
            crate::domain::text::sanitize(&manifest.file_format)
        )));
    };
    if let Kind::Parquet(columns) = &kind
        && !columns.iter().any(|c| c == "key")
    {
        return Err(fail(format!("{shown}: the inventory has no key column")));
    }
    let (mut coverage, no_lock) = super::start(s3, endpoint, location).await;
    if !kind.has_lock_fields() && !no_lock {
        return Err(fail(format!(
            "{shown} has no Object Lock fields: without them every version would look unprotected. Add ObjectLockMode, ObjectLockRetainUntilDate and ObjectLockLegalHoldStatus to the inventory's optional fields, or run the report without --inventory"
        )));
    }
    coverage.count_keys_by_latest();
    let taken_at: Option<jiff::Timestamp> = coverage.taken_at.parse().ok();
    let created = match (manifest.created(), taken_at) {
        (Some(c), Some(now)) => format!(
            "{} UTC, {}",
            crate::domain::format::timestamp(c),
            age(c, now)
        ),
        (Some(c), None) => format!("{} UTC", crate::domain::format::timestamp(c)),
        (None, _) => "at an unknown date (its manifest names none that can be read)".to_string(),
    };
    coverage.source = Some(format!(
        "the S3 Inventory taken {created} ({shown}; {} data file{}; {checked}, each data file matches its MD5{}); versions written, changed or deleted since then are not in it, and no HEAD was sent",
        manifest.files.len(),
        if manifest.files.len() == 1 { "" } else { "s" },
        if kind.has_versions() {
            ""
        } else {
            "; current versions only: the inventory was not set to include all versions"
        }
    ));
    if format == Format::Csv {
        writeln!(out, "{CSV_HEADER}").map_err(ReportError::Output)?;
    }
    for (number, file) in manifest.files.iter().enumerate() {
        let name = crate::domain::text::sanitize(&file.key).into_owned();
        let mut take = |(entry, lock): (HistoryEntry, Option<LockInfo>)| -> Result<(), String> {
            if !entry.key.starts_with(location.prefix.as_str()) {
                return Ok(());
            }
            let lock = lock.map(Ok);
            let protection = match &lock {
                Some(l) => Some(coverage.add_version(&entry, l)),
                None => {
                    coverage.add_marker(&entry);
                    None
                }
            };
            if format == Format::Csv {
                writeln!(out, "{}", csv_row(&entry, lock.as_ref(), protection))
                    .map_err(|e| format!("cannot write the report: {e}"))?;
            }
            if (coverage.versions + coverage.delete_markers) % 1000 == 0 {
                progress(Progress {
                    versions: coverage.versions,
                    in_flight: 0,
                    sample: None,
                    warning: None,
                });
            }
            Ok(())
        };
        match &kind {
            Kind::Csv(schema) => {
                read_data_file(s3, &manifest_at.bucket, &file.key, &file.md5, |line| {
                    take(schema.row(line)?)
                })
                .await
            }
            Kind::Parquet(_) => {
                read_parquet_file(s3, &manifest_at.bucket, &file.key, &file.md5, |fields| {
                    take(entry(fields))
                })
                .await
            }
        }
        .map_err(|e| {
            fail(format!(
                "data file {} of {} ({name}): {e}",
                number + 1,
                manifest.files.len()
            ))
        })?;
    }
    out.flush().map_err(ReportError::Output)?;
    Ok(coverage)
}

/// How long before the report the inventory was taken, said plainly: an old inventory is
/// evidence of then, not of now.
fn age(created: jiff::Timestamp, now: jiff::Timestamp) -> String {
    let seconds = now.as_second() - created.as_second();
    match seconds {
        s if s < 0 => format!(
            "{} after this report was taken by the server's clock: the manifest's date is wrong, or the clocks are",
            crate::domain::lock::format_remaining(jiff::SignedDuration::from_secs(-s))
        ),
        s if s < 86_400 => format!("{} h before this report", s / 3600),
        s => format!(
            "{} day{} before this report",
            s / 86_400,
            if s / 86_400 == 1 { "" } else { "s" }
        ),
    }
}

/// The data files a manifest names must be where an inventory writes them: in the bucket the
/// manifest was read from (its `destinationBucket`), below the configuration's folder (the
/// folder holding the manifest's dated folder), with no empty, `.` or `..` segment (which a
/// client or a server may resolve to another object, or another bucket).
fn check_data_files(manifest: &Manifest, manifest_at: &S3Location) -> Result<(), String> {
    if let Some(destination) = &manifest.destination_bucket {
        let named = destination
            .strip_prefix("arn:aws:s3:::")
            .unwrap_or(destination);
        if named != manifest_at.bucket {
            return Err(format!(
                "it places its data files in the bucket {}, but it was read from {}: an inventory's manifest lies beside its data",
                crate::domain::text::sanitize(named),
                crate::domain::text::sanitize(&manifest_at.bucket)
            ));
        }
    }
    // `bup/config/2026-11-26T01-00Z/manifest.json` → `bup/config/`.
    let folder = |k: &str| {
        k.rsplit_once('/')
            .map_or(String::new(), |(f, _)| f.to_string())
    };
    let dated = folder(&manifest_at.prefix);
    let configuration = match dated.rsplit_once('/') {
        Some((c, _)) => format!("{c}/"),
        None => String::new(),
    };
    for file in &manifest.files {
        let key = file.key.as_str();
        let shown = crate::domain::text::sanitize(key);
        if key
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            return Err(format!(
                "it names the data file {shown}, with an empty, '.' or '..' segment: refused, it could name another object"
            ));
        }
        if !key.starts_with(configuration.as_str()) {
            return Err(format!(
                "it names the data file {shown}, outside its configuration's folder {}: refused",
                crate::domain::text::sanitize(&configuration)
            ));
        }
    }
    Ok(())
}

/// An inventory's data files: CSV (gzip) with its column list, or Parquet with its columns'
/// names (from the manifest's schema message).
enum Kind {
    Csv(Schema),
    Parquet(Vec<String>),
}

const LOCK_COLUMNS: [&str; 3] = [
    "object_lock_mode",
    "object_lock_retain_until_date",
    "object_lock_legal_hold_status",
];

impl Kind {
    fn has_lock_fields(&self) -> bool {
        match self {
            Kind::Csv(schema) => schema.has_lock_fields(),
            Kind::Parquet(columns) => LOCK_COLUMNS.iter().all(|c| columns.iter().any(|n| n == c)),
        }
    }

    fn has_versions(&self) -> bool {
        match self {
            Kind::Csv(schema) => schema.has_versions(),
            Kind::Parquet(columns) => ["version_id", "is_latest", "is_delete_marker"]
                .iter()
                .all(|c| columns.iter().any(|n| n == c)),
        }
    }
}

/// The column names of a Parquet schema message (`message s3.inventory { required binary
/// bucket (UTF8); optional boolean is_latest; … }`).
fn parquet_columns(message: &str) -> Vec<String> {
    let body = message
        .split_once('{')
        .map_or(message, |(_, b)| b)
        .trim_end()
        .trim_end_matches('}');
    body.split(';')
        .filter_map(|field| field.split_whitespace().nth(2))
        .map(|name| name.trim_end_matches(['(', ';']).to_string())
        .collect()
}

/// Downloads one Parquet data file into a private temporary file (Parquet is read from its
/// end, so it cannot be streamed), checks its MD5, then gives each row's fields to `row`.
async fn read_parquet_file(
    s3: &S3,
    bucket: &str,
    key: &str,
    md5: &str,
    row: impl FnMut(Fields) -> Result<(), String>,
) -> Result<(), String> {
    let mut download = s3
        .open_download(bucket, key, None)
        .await
        .map_err(|e| format!("cannot read it: {e}"))?;
    let temp = TempFile::create()?;
    let mut file = std::io::BufWriter::new(&temp.file);
    let mut digest = Md5::new();
    while let Some(chunk) = download
        .next_chunk()
        .await
        .map_err(|e| format!("reading it failed: {e}"))?
    {
        digest.update(&chunk);
        file.write_all(&chunk)
            .map_err(|e| format!("cannot keep it in {}: {e}", temp.path.display()))?;
    }
    file.flush()
        .map_err(|e| format!("cannot keep it in {}: {e}", temp.path.display()))?;
    drop(file);
    let actual = hex(&digest.finalize());
    if !actual.eq_ignore_ascii_case(md5.trim()) {
        return Err(format!(
            "its MD5 is {actual}, the manifest says {}: it was changed or cut short, and the report is not written",
            crate::domain::text::sanitize(md5)
        ));
    }
    // The Parquet reader is a large parser of a file someone else wrote: should it fail by
    // panicking, the report fails with that, never the process.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parquet_rows(&temp.file, row)
    }))
    .unwrap_or_else(|_| {
        Err(
            "the Parquet reader failed on it (the file is malformed): the report is not written"
                .into(),
        )
    })
}

/// Each row of a Parquet inventory as `Fields`. A lock column of a type lockwatch does not
/// expect is kept as a lock it cannot read, never dropped.
fn parquet_rows(
    file: &std::fs::File,
    mut row: impl FnMut(Fields) -> Result<(), String>,
) -> Result<(), String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;
    let file = file
        .try_clone()
        .map_err(|e| format!("cannot read it back: {e}"))?;
    let reader = SerializedFileReader::new(file).map_err(|e| format!("not a Parquet file: {e}"))?;
    let columns: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let has_lock = LOCK_COLUMNS.iter().all(|c| columns.iter().any(|n| n == c));
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| format!("cannot read its rows: {e}"))?;
    let millis = |ms: i64| {
        RetainUntil::from_unix(
            ms.div_euclid(1000),
            (ms.rem_euclid(1000) * 1_000_000) as u32,
        )
    };
    for (number, r) in rows.enumerate() {
        let r = r.map_err(|e| format!("row {}: {e}", number + 1))?;
        let mut f = Fields::default();
        let mut lock = LockFields::default();
        let mut has_key = false;
        for (name, value) in r.get_column_iter() {
            let text = || match value {
                Field::Str(s) if !s.is_empty() => Some(s.clone()),
                _ => None,
            };
            match (name.as_str(), value) {
                (_, Field::Null) => {}
                ("key", Field::Str(k)) => {
                    f.key = k.clone();
                    has_key = true;
                }
                ("version_id", _) => f.version_id = text(),
                ("is_latest", Field::Bool(b)) => f.is_latest = Some(*b),
                ("is_delete_marker", Field::Bool(b)) => f.is_delete_marker = Some(*b),
                ("size", Field::Long(n)) => f.size = u64::try_from(*n).ok(),
                ("last_modified_date", Field::TimestampMillis(ms)) => {
                    f.last_modified = jiff::Timestamp::from_millisecond(*ms).ok();
                }
                ("e_tag", _) => f.etag = text(),
                ("storage_class", _) => f.storage_class = text(),
                ("object_lock_retain_until_date", Field::TimestampMillis(ms)) => {
                    lock.retain_until = Some(Ok(millis(*ms)));
                }
                ("object_lock_retain_until_date", Field::Str(s)) => {
                    lock.retain_until = Some(RetainUntil::parse_utc(s).ok_or_else(|| s.clone()));
                }
                ("object_lock_retain_until_date", other) => {
                    lock.retain_until = Some(Err(other.to_string()));
                }
                ("object_lock_mode", Field::Str(s)) => {
                    lock.mode = Some(s.clone()).filter(|s| !s.is_empty())
                }
                ("object_lock_mode", other) => lock.mode = Some(other.to_string()),
                ("object_lock_legal_hold_status", Field::Str(s)) => {
                    lock.legal_hold = Some(s.clone()).filter(|s| !s.is_empty());
                }
                ("object_lock_legal_hold_status", other) => {
                    lock.legal_hold = Some(other.to_string())
                }
                ("key" | "is_latest" | "is_delete_marker", other) => {
                    return Err(format!(
                        "row {}: {name} is {other}, not what S3 Inventory writes",
                        number + 1
                    ));
                }
                _ => {}
            }
        }
        if !has_key {
            return Err(format!("row {} has no key", number + 1));
        }
        if has_lock {
            f.lock = Some(lock);
        }
        row(f).map_err(|e| format!("row {}: {e}", number + 1))?;
    }
    Ok(())
}

/// A private temporary file, removed when dropped.
struct TempFile {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl TempFile {
    fn create() -> Result<TempFile, String> {
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::env::temp_dir();
        for attempt in 0..16u32 {
            let path = dir.join(format!(
                "lockwatch-inventory-{}-{}-{attempt}.parquet",
                std::process::id(),
                jiff::Timestamp::now().as_nanosecond()
            ));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => return Ok(TempFile { path, file }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(format!(
                        "cannot create a temporary file in {}: {e}",
                        dir.display()
                    ));
                }
            }
        }
        Err(format!(
            "cannot create a temporary file in {}",
            dir.display()
        ))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A small object, whole (at most `MAX_MANIFEST` bytes).
async fn read_small(s3: &S3, bucket: &str, key: &str) -> Result<Vec<u8>, S3Error> {
    let mut download = s3.open_download(bucket, key, None).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = download.next_chunk().await? {
        if bytes.len() + chunk.len() > MAX_MANIFEST {
            return Err(S3Error::Other(format!(
                "larger than {} MiB: not an inventory manifest",
                MAX_MANIFEST >> 20
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Streams one gzip CSV data file: each complete line goes to `row` as it is decompressed;
/// the file's MD5 is checked at the end (a mismatch fails the report: rows already counted
/// are not kept, as the caller returns the error).
async fn read_data_file(
    s3: &S3,
    bucket: &str,
    key: &str,
    md5: &str,
    mut row: impl FnMut(&str) -> Result<(), String>,
) -> Result<(), String> {
    let mut download = s3
        .open_download(bucket, key, None)
        .await
        .map_err(|e| format!("cannot read it: {e}"))?;
    let mut digest = Md5::new();
    let mut gunzip = flate2::write::MultiGzDecoder::new(Vec::new());
    let mut line_number = 0u64;
    let mut lines = |text: &mut Vec<u8>, last: bool| -> Result<(), String> {
        let mut start = 0;
        while let Some(end) = text[start..].iter().position(|b| *b == b'\n') {
            let line = &text[start..start + end];
            start += end + 1;
            line_number += 1;
            handle(line, line_number, &mut row)?;
        }
        text.drain(..start);
        if last && !text.is_empty() {
            line_number += 1;
            let line = std::mem::take(text);
            handle(&line, line_number, &mut row)?;
        }
        if text.len() > MAX_LINE {
            return Err(format!(
                "line {} is longer than {} KiB: not an inventory row",
                line_number + 1,
                MAX_LINE >> 10
            ));
        }
        Ok(())
    };
    while let Some(chunk) = download
        .next_chunk()
        .await
        .map_err(|e| format!("reading it failed: {e}"))?
    {
        digest.update(&chunk);
        // A little at a time: deflate expands up to a thousandfold, so a chunk of a hostile
        // file could otherwise become a gigabyte before a line is looked at.
        for piece in chunk.chunks(INFLATE_STEP) {
            gunzip
                .write_all(piece)
                .map_err(|e| format!("not gzip data: {e}"))?;
            lines(gunzip.get_mut(), false)?;
        }
    }
    let actual = hex(&digest.finalize());
    if !actual.eq_ignore_ascii_case(md5.trim()) {
        return Err(format!(
            "its MD5 is {actual}, the manifest says {}: it was changed or cut short, and the report is not written",
            crate::domain::text::sanitize(md5)
        ));
    }
    let mut rest = gunzip
        .finish()
        .map_err(|e| format!("the gzip data is cut short: {e}"))?;
    lines(&mut rest, true)
}

fn handle(
    line: &[u8],
    number: u64,
    row: &mut impl FnMut(&str) -> Result<(), String>,
) -> Result<(), String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Ok(());
    }
    let text = std::str::from_utf8(line).map_err(|_| format!("line {number} is not UTF-8"))?;
    row(text).map_err(|e| format!("line {number}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
