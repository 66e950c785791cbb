//! S3 Inventory reports, as AWS documents them: `manifest.json` (the bucket, when, the
//! format, the column list and the data files with their MD5) and CSV data files (gzip), one
//! row per version or delete marker with the Object Lock fields. Pure: bytes in, versions and
//! their locks out.

use super::lock::{LegalHold, LockInfo, RetainUntil, RetentionMode};
use super::{EntryKind, HistoryEntry};
use jiff::Timestamp;
use serde::Deserialize;
use std::sync::Arc;

/// What `manifest.json` says (fields lockwatch does not use are ignored).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub source_bucket: String,
    #[serde(default)]
    pub destination_bucket: Option<String>,
    /// Milliseconds since the epoch, as a string.
    pub creation_timestamp: String,
    pub file_format: String,
    pub file_schema: String,
    pub files: Vec<DataFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DataFile {
    pub key: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(rename = "MD5checksum")]
    pub md5: String,
}

impl Manifest {
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| format!("not an S3 Inventory manifest.json: {e}"))?;
        if manifest.files.is_empty() {
            return Err("the manifest lists no data files".into());
        }
        Ok(manifest)
    }

    /// When the inventory was taken.
    pub fn created(&self) -> Option<Timestamp> {
        let ms: i64 = self.creation_timestamp.trim().parse().ok()?;
        Timestamp::from_millisecond(ms).ok()
    }
}

/// The columns of a CSV inventory, by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    columns: usize,
    key: usize,
    version_id: Option<usize>,
    is_latest: Option<usize>,
    is_delete_marker: Option<usize>,
    size: Option<usize>,
    last_modified: Option<usize>,
    etag: Option<usize>,
    storage_class: Option<usize>,
    /// ObjectLockMode, ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus.
    lock: Option<(usize, usize, usize)>,
}

impl Schema {
    /// `fileSchema` of a CSV inventory: `Bucket, Key, VersionId, …`.
    pub fn parse(file_schema: &str) -> Result<Schema, String> {
        let names: Vec<&str> = file_schema.split(',').map(str::trim).collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let key = find("Key").ok_or("the inventory has no Key column")?;
        let lock = match (
            find("ObjectLockMode"),
            find("ObjectLockRetainUntilDate"),
            find("ObjectLockLegalHoldStatus"),
        ) {
            (Some(m), Some(r), Some(h)) => Some((m, r, h)),
            (None, None, None) => None,
            _ => {
                return Err("the inventory has some Object Lock fields but not all three (ObjectLockMode, ObjectLockRetainUntilDate, ObjectLockLegalHoldStatus)".into());
            }
        };
        Ok(Schema {
            columns: names.len(),
            key,
            version_id: find("VersionId"),
            is_latest: find("IsLatest"),
            is_delete_marker: find("IsDeleteMarker"),
            size: find("Size"),
            last_modified: find("LastModifiedDate"),
            etag: find("ETag"),
            storage_class: find("StorageClass"),
            lock,
        })
    }

    pub fn has_lock_fields(&self) -> bool {
        self.lock.is_some()
    }

    /// Whether the inventory lists every version (not only current ones).
    pub fn has_versions(&self) -> bool {
        self.version_id.is_some() && self.is_latest.is_some() && self.is_delete_marker.is_some()
    }

    /// One CSV line: the entry and, for a version, its lock (`None` for a delete marker).
    pub fn row(&self, line: &str) -> Result<(HistoryEntry, Option<LockInfo>), String> {
        let fields = split_csv(line)?;
        if fields.len() != self.columns {
            return Err(format!(
                "a row has {} fields where the schema names {}",
                fields.len(),
                self.columns
            ));
        }
        let field = |i: Option<usize>| i.and_then(|i| fields.get(i)).map(String::as_str);
        let key = super::percent::decode(field(Some(self.key)).unwrap_or(""))
            .map_err(|e| e.to_string())?;
        let flag = |i: Option<usize>, default: bool| -> Result<bool, String> {
            match field(i) {
                None => Ok(default),
                Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
                Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
                Some(v) => Err(format!("{v:?} is neither true nor false")),
            }
        };
        // An inventory of current versions only: each row is the latest version of its key.
        let is_latest = flag(self.is_latest, true)?;
        let is_marker = flag(self.is_delete_marker, false)?;
        let version_id = match field(self.version_id) {
            Some(v) if !v.is_empty() => v.to_string(),
            _ => "null".to_string(),
        };
        let size = match field(self.size) {
            Some(s) if !s.is_empty() => Some(
                s.parse::<u64>()
                    .map_err(|_| format!("the size {s:?} is not a number"))?,
            ),
            _ => None,
        };
        let last_modified = match field(self.last_modified) {
            Some(t) if !t.is_empty() => Some(
                t.parse::<Timestamp>()
                    .map_err(|_| format!("the date {t:?} cannot be read"))?,
            ),
            _ => None,
        };
        let text = |i: Option<usize>| field(i).filter(|v| !v.is_empty()).map(str::to_string);
        let entry = HistoryEntry {
            key: Arc::from(key),
            version_id,
            kind: if is_marker {
                EntryKind::DeleteMarker
            } else {
                EntryKind::Version {
                    size,
                    etag: text(self.etag),
                    storage_class: text(self.storage_class),
                }
            },
            is_latest,
            last_modified,
            owner: None,
        };
        if is_marker {
            return Ok((entry, None));
        }
        let lock = match self.lock {
            None => LockInfo::default(),
            Some((m, r, h)) => {
                let mode = field(Some(m))
                    .filter(|v| !v.is_empty())
                    .map(RetentionMode::parse);
                // A date that cannot be read leaves the mode without a date: never counted
                // as unprotected.
                let retain_until = field(Some(r))
                    .filter(|v| !v.is_empty())
                    .and_then(RetainUntil::parse_utc);
                let legal_hold = match field(Some(h)) {
                    None | Some("") => LegalHold::Off,
                    Some(v) => LegalHold::parse(v),
                };
                let lock = LockInfo {
                    mode: mode.clone(),
                    retain_until,
                    legal_hold,
                };
                // A date without a mode, or a mode with a date that cannot be read, is
                // a lock lockwatch cannot read (`unreadable`): it stays unknown.
                if mode.is_none()
                    && field(Some(r)).is_some_and(|v| !v.is_empty())
                    && retain_until.is_none()
                {
                    LockInfo {
                        mode: Some(RetentionMode::Other(
                            "no mode, a date that cannot be read".into(),
                        )),
                        ..lock
                    }
                } else {
                    lock
                }
            }
        };
        Ok((entry, Some(lock)))
    }
}

/// The fields of one CSV line (RFC 4180 quoting; S3 Inventory quotes every field).
pub fn split_csv(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => {
                    quoted = false;
                    match chars.peek() {
                        None | Some(',') => {}
                        Some(_) => return Err("text after a closing quote".into()),
                    }
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
            }
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus";

    #[test]
    fn rows_become_versions_with_their_locks() {
        let schema = Schema::parse(SCHEMA).expect("schema");
        assert!(schema.has_lock_fields() && schema.has_versions());
        let (entry, lock) = schema
            .row(r#""bup","f%2Fa+b%0A.tar","v1","true","false","12","2026-11-20T10:00:00.000Z","abc","STANDARD","false","","SSE-S3","9999-12-31T23:59:59.000Z","COMPLIANCE","OFF""#)
            .expect("row");
        assert_eq!(&*entry.key, "f/a b\n.tar");
        assert_eq!(entry.version_id, "v1");
        assert!(entry.is_latest && !entry.is_delete_marker());
        assert_eq!(entry.size(), Some(12));
        let lock = lock.expect("a version has a lock");
        assert_eq!(lock.mode, Some(RetentionMode::Compliance));
        assert_eq!(
            lock.retain_until.map(|r| r.date()),
            Some("9999-12-31".into())
        );
        assert_eq!(lock.legal_hold, LegalHold::Off);

        let (marker, lock) = schema
            .row(r#""bup","gone","m1","true","true","","2026-11-21T10:00:00.000Z","","","","","","","","""#)
            .expect("marker row");
        assert!(marker.is_delete_marker() && lock.is_none());
    }

    #[test]
    fn an_unreadable_lock_is_never_no_lock() {
        let schema = Schema::parse(SCHEMA).expect("schema");
        let row = |mode: &str, until: &str, hold: &str| {
            let line = format!(
                r#""b","k","v","true","false","1","2026-11-20T10:00:00.000Z","e","STANDARD","false","","","{until}","{mode}","{hold}""#
            );
            schema.row(&line).expect("row").1.expect("lock")
        };
        assert!(row("GOVERNANCE", "someday", "OFF").unreadable().is_some());
        assert!(row("", "someday", "OFF").unreadable().is_some());
        assert!(
            row("FOREVER", "2030-01-01T00:00:00Z", "OFF")
                .unreadable()
                .is_some()
        );
        assert!(row("", "", "MAYBE").unreadable().is_some());
        assert_eq!(row("", "", "").unreadable(), None);
    }

    #[test]
    fn bad_rows_and_schemas_are_refused() {
        assert!(Schema::parse("Bucket, Size").is_err());
        assert!(Schema::parse("Bucket, Key, ObjectLockMode").is_err());
        let schema = Schema::parse("Bucket, Key").expect("schema");
        assert!(!schema.has_lock_fields() && !schema.has_versions());
        assert!(schema.row(r#""b","k","extra""#).is_err());
        assert!(schema.row(r#""b","k"#).is_err());
        assert!(schema.row(r#""b","%zz""#).is_err());
        assert_eq!(
            split_csv(r#""a ""q"", b",,"c""#).expect("csv"),
            vec!["a \"q\", b", "", "c"]
        );
    }

    #[test]
    fn the_manifest_is_read() {
        let m = Manifest::parse(br#"{"sourceBucket":"bup","destinationBucket":"arn:aws:s3:::inv","version":"2016-11-30","creationTimestamp":"1764201600000","fileFormat":"CSV","fileSchema":"Bucket, Key","files":[{"key":"a.csv.gz","size":10,"MD5checksum":"00"}]}"#).expect("manifest");
        assert_eq!(
            m.created().map(|t| t.to_string()),
            Some("2025-11-27T00:00:00Z".into())
        );
        assert!(Manifest::parse(b"{}").is_err());
        assert!(Manifest::parse(br#"{"sourceBucket":"b","creationTimestamp":"1","fileFormat":"CSV","fileSchema":"Key","files":[]}"#).is_err());
    }
}
