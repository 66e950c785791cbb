//! `report --inventory s3://…/manifest.json`: the report built from an S3 Inventory report
//! (CSV, gzip) instead of HEAD requests. The manifest is checked against `manifest.checksum`
//! and every data file against the MD5 the manifest gives; data files are read as they
//! arrive (decompressed and parsed chunk by chunk), so memory stays flat whatever their size.

use super::{Format, Progress, ReportError};
use crate::domain::inventory::{Manifest, Schema};
use crate::domain::location::S3Location;
use crate::domain::report::{CSV_HEADER, Coverage, csv_row};
use crate::s3::{S3, S3Error};
use md5::{Digest, Md5};
use std::io::Write;

/// A manifest larger than this is not one.
const MAX_MANIFEST: usize = 16 << 20;
/// A CSV line longer than this is not an inventory row (a key is at most 1 KiB, escaped 3 KiB).
const MAX_LINE: usize = 64 << 10;

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
    if !manifest.file_format.eq_ignore_ascii_case("CSV") {
        return Err(fail(format!(
            "{shown} is a {} inventory; lockwatch reads CSV inventories (set the inventory's format to CSV)",
            crate::domain::text::sanitize(&manifest.file_format)
        )));
    }
    let schema = Schema::parse(&manifest.file_schema).map_err(|e| fail(format!("{shown}: {e}")))?;
    let (mut coverage, no_lock) = super::start(s3, endpoint, location).await;
    if !schema.has_lock_fields() && !no_lock {
        return Err(fail(format!(
            "{shown} has no Object Lock fields: without them every version would look unprotected. Add ObjectLockMode, ObjectLockRetainUntilDate and ObjectLockLegalHoldStatus to the inventory's optional fields, or run the report without --inventory"
        )));
    }
    coverage.count_keys_by_latest();
    let created = manifest.created().map_or_else(
        || "an unknown date".to_string(),
        crate::domain::format::timestamp,
    );
    coverage.source = Some(format!(
        "the S3 Inventory taken {created} UTC ({shown}; {} data file{}; {checked}, each data file matches its MD5{}); versions written, changed or deleted since then are not in it, and no HEAD was sent",
        manifest.files.len(),
        if manifest.files.len() == 1 { "" } else { "s" },
        if schema.has_versions() {
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
        read_data_file(s3, &manifest_at.bucket, &file.key, &file.md5, |line| {
            let (entry, lock) = schema.row(line)?;
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
                });
            }
            Ok(())
        })
        .await
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
        gunzip
            .write_all(&chunk)
            .map_err(|e| format!("not gzip data: {e}"))?;
        lines(gunzip.get_mut(), false)?;
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
